//! `/api/jobs`: estimate, create, list, show, metrics, logs, cancel, retry —
//! all scoped to the caller — and `/api/training/options`, what a new job
//! may be configured with.

use super::{ApiError, ApiJson, created, ok};
use axum::extract::State;
use axum::extract::{Path, Query};
use axum::response::Response;
use brightrun::jobs::{EstimateRequest, JobFilter, NewJob};
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, jobs, training};
use serde::Deserialize;
use uuid::Uuid;

fn job_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::NotFound("Job").into())
}

pub async fn options(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(training::options(&services, user.id).await?))
}

pub async fn estimate(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<EstimateRequest>,
) -> Result<Response, ApiError> {
    Ok(ok(jobs::estimate(&services, user.id, &body).await?))
}

pub async fn create(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewJob>,
) -> Result<Response, ApiError> {
    Ok(created(jobs::create(&services, user.id, body).await?))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse().map_err(|_| ServiceError::Invalid {
            field: "status",
            message: format!(
                "Unknown status '{s}'; use queued, initializing, running, completed, failed or cancelled."
            ),
        })?),
    };
    let filter = JobFilter {
        status,
        q: query.q,
        page: query.page,
        per_page: query.per_page,
    };
    Ok(ok(jobs::list(&services, user.id, &filter).await?))
}

pub async fn show(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(jobs::get(&services, user.id, job_id(&id)?).await?))
}

#[derive(Deserialize)]
pub struct MetricsQuery {
    after_step: Option<u32>,
}

pub async fn metrics(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<MetricsQuery>,
) -> Result<Response, ApiError> {
    Ok(ok(jobs::metrics(
        &services,
        user.id,
        job_id(&id)?,
        query.after_step,
    )
    .await?))
}

#[derive(Deserialize)]
pub struct LogsQuery {
    #[serde(default)]
    offset: u64,
}

pub async fn logs(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<LogsQuery>,
) -> Result<Response, ApiError> {
    let (text, next_offset) = jobs::logs(&services, user.id, job_id(&id)?, query.offset).await?;
    Ok(ok(
        serde_json::json!({ "text": text, "next_offset": next_offset }),
    ))
}

pub async fn cancel(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(jobs::cancel(&services, user.id, job_id(&id)?).await?))
}

pub async fn retry(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(jobs::retry(&services, user.id, job_id(&id)?).await?))
}
