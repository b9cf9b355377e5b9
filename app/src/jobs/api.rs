//! Job server functions: the list, one job with its metrics, what changed
//! since the monitor's last poll, its log, cancel and retry — the session
//! user and input in, one call to `brightrun_backend::jobs` out.

use crate::AppError;
use brightrun::jobs::{Job, JobDetail, JobPage, JobPoll};
use leptos::prelude::*;
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "list_jobs", output = crate::rpc::Json)]
pub async fn list_jobs(
    status: Option<String>,
    q: Option<String>,
    page: Option<u32>,
) -> Result<JobPage, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    let filter = brightrun::jobs::JobFilter {
        status: status
            .as_deref()
            .filter(|s| !s.is_empty())
            .and_then(|s| s.parse().ok()),
        q,
        page,
        per_page: Some(20),
    };
    Ok(brightrun_backend::jobs::list(&services, user.id, &filter).await?)
}

#[server(prefix = "/rpc", endpoint = "get_job", output = crate::rpc::Json)]
pub async fn get_job(id: Uuid) -> Result<JobDetail, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::jobs::get(&services, user.id, id).await?)
}

/// What changed since the page's last look: `Unchanged` when `version` is
/// still the job's (see `brightrun::jobs::updates`).
#[server(prefix = "/rpc", endpoint = "job_updates", output = crate::rpc::Json)]
pub async fn job_updates(
    id: Uuid,
    after_step: Option<u32>,
    log_offset: Option<u64>,
    version: Option<String>,
) -> Result<JobPoll, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    let since = brightrun::jobs::UpdatesSince {
        after_step,
        log_offset,
        version,
    };
    Ok(brightrun_backend::jobs::updates::since(&services, user.id, id, &since).await?)
}

/// The end of the job's log (its last whole lines, at most 16 KB).
#[server(prefix = "/rpc", endpoint = "job_log", output = crate::rpc::Json)]
pub async fn job_log(id: Uuid) -> Result<String, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::jobs::log_tail(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "cancel_job", output = crate::rpc::Json)]
pub async fn cancel_job(id: Uuid) -> Result<Job, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::jobs::cancel(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "retry_job", output = crate::rpc::Json)]
pub async fn retry_job(id: Uuid) -> Result<Job, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::jobs::retry(&services, user.id, id).await?)
}
