//! The routes of the cluster API (DESIGN 4.2) and their JSON.

use super::AppState;
use super::agent::CancelError;
use crate::spec::JobSpec;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use brightrun::cluster::{JobQuery, JobView};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

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

    pub(super) fn internal(what: &str, e: impl std::fmt::Display) -> Self {
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

fn blocking_error(what: &'static str) -> impl Fn(tokio::task::JoinError) -> ApiError {
    move |e| ApiError::internal(what, e)
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
        .and_then(|spec| super::inputs::admit(spec, &state.inputs))
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_spec", e.to_string()))?;
    if let Some(refused) = super::info::refusal(&spec, &state.info) {
        return Err(refused);
    }
    let agent = state.agent.clone();
    let (job, created) = tokio::task::spawn_blocking(move || agent.submit(spec))
        .await
        .map_err(blocking_error("queueing the job"))?
        .map_err(|e| ApiError::internal("queueing the job", e))?;
    let code = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        code,
        Json(json!({"id": job.id, "status": job.status.as_str()})),
    )
        .into_response())
}

pub async fn get_job(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    state
        .agent
        .job(&id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&id))
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
    let jobs = match q.ids {
        Some(ids) => {
            let ids: Vec<&str> = ids
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .collect();
            state.agent.jobs(Some(&ids))
        }
        None => state.agent.jobs(None),
    };
    Ok(Json(json!({"jobs": jobs})))
}

#[derive(Deserialize)]
pub struct QueryBody {
    jobs: Vec<JobQuery>,
}

/// `POST /v1/jobs/query` with `{"jobs": [{"id", "after_step"}]}`: each job's
/// view with its points after that step, so one poll tick is one request
/// however many jobs run. Unknown ids are left out.
pub async fn query_jobs(State(state): State<Arc<AppState>>, body: Bytes) -> ApiResult<Json<Value>> {
    let body: QueryBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("expected {{\"jobs\": [{{\"id\", \"after_step\"}}]}}: {e}"),
        )
    })?;
    Ok(Json(json!({"jobs": state.agent.query(&body.jobs)})))
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
    let points = state
        .agent
        .metrics(&id, q.after_step)
        .ok_or_else(|| ApiError::not_found(&id))?;
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
    let agent = state.agent.clone();
    let found = id.clone();
    let (text, next) = tokio::task::spawn_blocking(move || agent.logs(&found, q.offset))
        .await
        .map_err(blocking_error("reading the log"))?
        .ok_or_else(|| ApiError::not_found(&id))?
        .map_err(|e| ApiError::internal("reading the log", e))?;
    Ok(Json(json!({"text": text, "next_offset": next})))
}

/// `POST /v1/jobs/{id}/cancel`: the job object. A queued job is cancelled at
/// once, a running one stops at its next step; a finished one is a 409.
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    let agent = state.agent.clone();
    let job = tokio::task::spawn_blocking(move || agent.cancel(&id))
        .await
        .map_err(blocking_error("cancelling the job"))?
        .map_err(|e| match e {
            CancelError::NotFound(id) => ApiError::not_found(&id),
            e @ CancelError::Finished { .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            CancelError::Io(e) => ApiError::internal("cancelling the job", e),
        })?;
    Ok(Json(job))
}

pub async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}
