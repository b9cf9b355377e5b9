//! The routes of the cluster API (DESIGN 4.2) and their JSON.

use super::AppState;
use super::jobs::{Job, Status};
use super::store;
use crate::spec::JobSpec;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Every error the API returns: `{"error": code, "details": message}`.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    details: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, details: impl Into<String>) -> Self {
        Self {
            status,
            code,
            details: details.into(),
        }
    }

    fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no job with id `{id}`"),
        )
    }

    fn internal(what: &str, e: impl std::fmt::Display) -> Self {
        tracing::error!("{what}: {e}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{what} failed on the trainer; see its log"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.code, "details": self.details})),
        )
            .into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn query<T>(q: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
}

fn find(state: &AppState, id: &str) -> ApiResult<Arc<Job>> {
    state.table.get(id).ok_or_else(|| ApiError::not_found(id))
}

/// The job object of `GET /v1/jobs/{id}`.
pub fn job_json(job: &Job) -> Value {
    let state = job.lock();
    let r = &state.record;
    let last = state.points.last();
    json!({
        "id": job.id,
        "job_id": r.spec.job_id,
        "status": r.status.as_str(),
        "progress": {
            "step": last.map_or(0, |p| p.step),
            "total_steps": r.total_steps,
            "epoch": last.map_or(0.0, |p| p.epoch),
        },
        "metrics": last,
        "error": r.error,
        "created_at": r.created_at,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
    })
}

/// `POST /v1/jobs`: 201 `{"id", "status": "queued"}`, or 200 with the same
/// id when this `job_id` was submitted before.
pub async fn submit(State(state): State<Arc<AppState>>, body: Bytes) -> ApiResult<Response> {
    let text = std::str::from_utf8(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_spec",
            format!("the body is not UTF-8: {e}"),
        )
    })?;
    let spec = JobSpec::from_json(text)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_spec", e.to_string()))?;
    let table = state.table.clone();
    let (job, created) = tokio::task::spawn_blocking(move || table.submit(spec))
        .await
        .map_err(|e| ApiError::internal("queueing the job", e))?
        .map_err(|e| ApiError::internal("queueing the job", e))?;
    // A new job is reported as queued even if a worker took it meanwhile.
    let (code, status) = if created {
        (StatusCode::CREATED, Status::Queued)
    } else {
        (StatusCode::OK, job.lock().record.status)
    };
    Ok((code, Json(json!({"id": job.id, "status": status.as_str()}))).into_response())
}

pub async fn get_job(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let job = find(&state, &id)?;
    Ok(Json(job_json(&job)))
}

#[derive(Deserialize)]
pub struct IdsQuery {
    ids: Option<String>,
}

/// `GET /v1/jobs?ids=a,b,c`: `{"jobs": [...]}`, in the order asked; ids the
/// trainer does not know are left out. Without `ids`, every job.
pub async fn list_jobs(
    State(state): State<Arc<AppState>>,
    q: Result<Query<IdsQuery>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let q = query(q)?;
    let jobs: Vec<Value> = match q.ids {
        Some(ids) => ids
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .filter_map(|id| state.table.get(id))
            .map(|j| job_json(&j))
            .collect(),
        None => state.table.all().iter().map(|j| job_json(j)).collect(),
    };
    Ok(Json(json!({"jobs": jobs})))
}

#[derive(Deserialize)]
pub struct MetricsQuery {
    #[serde(default)]
    after_step: Option<u64>,
}

/// `GET /v1/jobs/{id}/metrics?after_step=N`: `{"points": [...]}`, the steps after N.
pub async fn metrics(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    q: Result<Query<MetricsQuery>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let q = query(q)?;
    let job = find(&state, &id)?;
    let guard = job.lock();
    let points: Vec<_> = match q.after_step {
        Some(after) => {
            let from = guard.points.partition_point(|p| p.step <= after);
            &guard.points[from..]
        }
        None => &guard.points[..],
    }
    .to_vec();
    drop(guard);
    Ok(Json(json!({"points": points})))
}

#[derive(Deserialize)]
pub struct LogsQuery {
    #[serde(default)]
    offset: u64,
}

/// `GET /v1/jobs/{id}/logs?offset=N`: `{"text", "next_offset"}`, bytes of the
/// job's log from N.
pub async fn logs(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    q: Result<Query<LogsQuery>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let q = query(q)?;
    let job = find(&state, &id)?;
    let path = job.log_path();
    let (text, next) = tokio::task::spawn_blocking(move || store::read_from(&path, q.offset))
        .await
        .map_err(|e| ApiError::internal("reading the log", e))?
        .map_err(|e| ApiError::internal("reading the log", e))?;
    Ok(Json(json!({"text": text, "next_offset": next})))
}

/// `POST /v1/jobs/{id}/cancel`: the job object. A queued job is cancelled at
/// once, a running one stops at its next step; a finished one is a 409.
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let job = find(&state, &id)?;
    let j = job.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = j.lock();
        let r = &mut guard.record;
        match r.status {
            s if s.is_finished() => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!("job `{}` is already {}", j.id, s.as_str()),
                ));
            }
            Status::Queued => {
                r.status = Status::Cancelled;
                r.cancel_requested = true;
                r.finished_at = Some(Utc::now());
                j.persist(&guard)
                    .map_err(|e| ApiError::internal("cancelling the job", e))?;
                drop(guard);
                j.log("cancelled before it started");
            }
            _ => {
                if !r.cancel_requested {
                    r.cancel_requested = true;
                    j.persist(&guard)
                        .map_err(|e| ApiError::internal("cancelling the job", e))?;
                    drop(guard);
                    j.log("cancel requested: stopping at the next step");
                }
                j.cancel.store(true, Ordering::SeqCst);
            }
        }
        Ok(())
    })
    .await
    .map_err(|e| ApiError::internal("cancelling the job", e))??;
    Ok(Json(job_json(&job)))
}

pub async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}
