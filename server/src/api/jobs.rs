//! `/api/jobs`: estimate, create, list, show, updates (the monitor's poll,
//! with ETags), metrics, logs, cancel, retry —
//! all scoped to the caller — and `/api/training/options`, what a new job
//! may be configured with.

use super::openapi::schemas::{Envelope, ErrorBody, LogChunk};
use super::{ApiError, ApiJson, ApiQuery, created, ok};
use axum::extract::Path;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use brightrun::jobs::updates::{etag, matches_version};
use brightrun::jobs::{ConfigureOptions, Job, JobDetail, JobPage, JobUpdates, MetricPoint};
use brightrun::jobs::{EstimateRequest, JobFilter, JobPoll, NewJob, UpdatesSince};
use brightrun::training::Estimate;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, jobs, training};
use serde::Deserialize;
use uuid::Uuid;

fn job_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::NotFound("Job").into())
}

#[utoipa::path(
    get,
    path = "/api/training/options",
    summary = "What a new job may use",
    tag = "jobs",
    responses(
        (status = 200, description = "The presets, ready datasets, base models and GPU types a new job may use", body = Envelope<ConfigureOptions>),
    )
)]
pub async fn options(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(training::options(&services, user.id).await?))
}

#[utoipa::path(
    post,
    path = "/api/jobs/estimate",
    summary = "Estimate a job",
    tag = "jobs",
    request_body = EstimateRequest,
    responses(
        (status = 200, description = "Memory, time and cost estimates for the configuration", body = Envelope<Estimate>),
        (status = 404, description = "No such dataset or base model (`not_found`)", body = ErrorBody),
    )
)]
pub async fn estimate(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<EstimateRequest>,
) -> Result<Response, ApiError> {
    Ok(ok(jobs::estimate(&services, user.id, &body).await?))
}

#[utoipa::path(
    post,
    path = "/api/jobs",
    summary = "Start a fine-tuning job",
    tag = "jobs",
    request_body = NewJob,
    responses(
        (status = 201, description = "The job, queued", body = Envelope<Job>),
        (status = 402, description = "The monthly budget would be exceeded (`over_budget`)", body = ErrorBody),
        (status = 404, description = "No such dataset or base model (`not_found`)", body = ErrorBody),
        (status = 409, description = "Not possible in its current state (`conflict`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewJob>,
) -> Result<Response, ApiError> {
    Ok(created(jobs::create(&services, user.id, body).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/jobs",
    summary = "List jobs",
    tag = "jobs",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of the caller's jobs, newest first", body = Envelope<JobPage>),
    )
)]
pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
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

/// The job with its chart's points; `304` when `If-None-Match` names its
/// version (checked without reading a point).
#[utoipa::path(
    get,
    path = "/api/jobs/{id}",
    summary = "Show a job",
    tag = "jobs",
    params(("id" = Uuid, Path, description = "The job's id"), ("If-None-Match" = Option<String>, Header, description = "The `ETag` of the answer last seen: `304` when nothing changed")),
    responses(
        (status = 304, description = "Unchanged since the `If-None-Match` version (no body)"),
        (status = 200, description = "The job with its chart's points, its log tail and evaluations; `ETag` header", body = Envelope<JobDetail>),
    )
)]
pub async fn show(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = job_id(&id)?;
    let version = jobs::updates::version(&services, user.id, id).await?;
    if if_none_match(&headers).is_some_and(|tags| matches_version(tags, &version)) {
        return Ok(not_modified(&version));
    }
    Ok(with_etag(
        ok(jobs::get(&services, user.id, id).await?),
        &version,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UpdatesQuery {
    after_step: Option<String>,
    log_offset: Option<String>,
}

/// What changed since the caller's last look (DESIGN: the monitor's
/// poll): the points after `after_step`, the log after `log_offset`, the
/// job's small status; `304` when `If-None-Match` names its version.
#[utoipa::path(
    get,
    path = "/api/jobs/{id}/updates",
    summary = "What changed in a job",
    tag = "jobs",
    params(("id" = Uuid, Path, description = "The job's id"), UpdatesQuery, ("If-None-Match" = Option<String>, Header, description = "The `ETag` of the answer last seen: `304` when nothing changed")),
    responses(
        (status = 304, description = "Unchanged since the `If-None-Match` version (no body)"),
        (status = 200, description = "What changed: new points, the log after the offset, the status; `ETag` header", body = Envelope<JobUpdates>),
    )
)]
pub async fn updates(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<UpdatesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = job_id(&id)?;
    let since = UpdatesSince {
        after_step: number(query.after_step.as_deref(), "after_step")?,
        log_offset: number(query.log_offset.as_deref(), "log_offset")?,
        version: if_none_match(&headers).map(str::to_string),
    };
    Ok(
        match jobs::updates::since(&services, user.id, id, &since).await? {
            JobPoll::Unchanged { version } => not_modified(&version),
            JobPoll::Changed(u) => with_etag(ok(&u), &u.version),
        },
    )
}

/// A query parameter that must be a whole number of at least 0, if given.
fn number<T: std::str::FromStr>(
    raw: Option<&str>,
    field: &'static str,
) -> Result<Option<T>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            ServiceError::Invalid {
                field,
                message: format!("{field} must be a whole number of at least 0, not '{v}'."),
            }
            .into()
        }),
    }
}

fn if_none_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok())
}

/// A response revalidated every time (never used stale) under `version`.
fn with_etag(mut res: Response, version: &str) -> Response {
    let h = res.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
        h.insert(ETAG, tag);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    res
}

fn not_modified(version: &str) -> Response {
    with_etag(StatusCode::NOT_MODIFIED.into_response(), version)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    after_step: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/jobs/{id}/metrics",
    summary = "Read a job's metrics",
    tag = "jobs",
    params(("id" = Uuid, Path, description = "The job's id"), MetricsQuery),
    responses(
        (status = 200, description = "The training metrics, after `after_step` when given", body = Envelope<Vec<MetricPoint>>),
    )
)]
pub async fn metrics(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<MetricsQuery>,
) -> Result<Response, ApiError> {
    Ok(ok(jobs::metrics(
        &services,
        user.id,
        job_id(&id)?,
        query.after_step,
    )
    .await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    #[serde(default)]
    offset: u64,
}

#[utoipa::path(
    get,
    path = "/api/jobs/{id}/logs",
    summary = "Read a job's log",
    tag = "jobs",
    params(("id" = Uuid, Path, description = "The job's id"), LogsQuery),
    responses(
        (status = 200, description = "The log from `offset`", body = Envelope<LogChunk>),
    )
)]
pub async fn logs(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<LogsQuery>,
) -> Result<Response, ApiError> {
    let (text, next_offset) = jobs::logs(&services, user.id, job_id(&id)?, query.offset).await?;
    Ok(ok(
        serde_json::json!({ "text": text, "next_offset": next_offset }),
    ))
}

#[utoipa::path(
    post,
    path = "/api/jobs/{id}/cancel",
    summary = "Cancel a job",
    tag = "jobs",
    params(("id" = Uuid, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job, cancelled", body = Envelope<Job>),
        (status = 409, description = "Not possible in its current state (`conflict`)", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(jobs::cancel(&services, user.id, job_id(&id)?).await?))
}

#[utoipa::path(
    post,
    path = "/api/jobs/{id}/retry",
    summary = "Retry a job",
    tag = "jobs",
    params(("id" = Uuid, Path, description = "The job's id")),
    responses(
        (status = 200, description = "A new job with the same configuration", body = Envelope<Job>),
        (status = 402, description = "The monthly budget would be exceeded (`over_budget`)", body = ErrorBody),
        (status = 409, description = "Not possible in its current state (`conflict`)", body = ErrorBody),
    )
)]
pub async fn retry(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(jobs::retry(&services, user.id, job_id(&id)?).await?))
}
