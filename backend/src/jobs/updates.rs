//! The job monitor's poll: what changed since the page's last look. The
//! version check comes first and reads only the job's row and two index
//! probes, so an unchanged job (a finished one left open, a running one
//! between poller ticks) costs one small query; a changed one reads the
//! points and evaluations after the page's step and the log after its
//! offset. (The page's chart asks for its SVG only when the point count it
//! gets here has changed.)

use super::{CHART_POINTS, evaluations, queries};
use crate::error::ServiceError;
use crate::services::Services;
use brightrun::jobs::log_tail::{TAIL_BYTES, tail_start, whole_lines};
use brightrun::jobs::updates::{VersionParts, matches_version};
use brightrun::jobs::{JobPoll, JobProgress, JobUpdates, UpdatesSince, downsample};
use uuid::Uuid;

/// Most new points one poll reads (a page that slept for days catches up
/// over several polls; each is thinned to [`CHART_POINTS`]).
const MAX_NEW_POINTS: u32 = 50_000;

/// The owner's job's version: the ETag of its detail and its updates.
#[tracing::instrument(skip_all, fields(user = %owner, job = %id))]
pub async fn version(services: &Services, owner: Uuid, id: Uuid) -> Result<String, ServiceError> {
    Ok(queries::updates::version(&services.pool, owner, id)
        .await?
        .version())
}

/// What changed since `since`; `Unchanged` when its version (a bare one,
/// or an `If-None-Match` list of ETags) names the job's.
#[tracing::instrument(skip_all, fields(user = %owner, job = %id, after_step = ?since.after_step))]
pub async fn since(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    since: &UpdatesSince,
) -> Result<JobPoll, ServiceError> {
    let parts = queries::updates::version(&services.pool, owner, id).await?;
    let version = parts.version();
    if since
        .version
        .as_deref()
        .is_some_and(|known| matches_version(known, &version))
    {
        return Ok(JobPoll::Unchanged { version });
    }
    let pool = &services.pool;
    let job = queries::get(pool, owner, id).await?;
    let after = since.after_step;
    let new_points = queries::metrics(pool, owner, id, after, MAX_NEW_POINTS).await?;
    let count = queries::metric_count(pool, owner, id).await?;
    let eval_points = queries::updates::eval_points_after(pool, owner, id, after).await?;
    let (log, log_offset, log_is_tail) = log_since(services, owner, id, since.log_offset).await;
    let samples = match new_evaluation(&parts, after) {
        true => Some(evaluations::samples_of(pool, owner, id).await?),
        false => None,
    };
    Ok(JobPoll::Changed(Box::new(JobUpdates {
        version,
        progress: JobProgress::from(&job),
        metric_count: count.min(u64::from(u32::MAX)) as u32,
        metrics: downsample(&new_points, CHART_POINTS),
        eval_points,
        log,
        log_offset,
        log_is_tail,
        samples,
    })))
}

/// An evaluation at or after the page's step: its samples may be new.
fn new_evaluation(parts: &VersionParts, after: Option<u32>) -> bool {
    parts
        .last_evaluation
        .is_some_and(|e| after.is_none_or(|a| e >= a))
}

/// The log after `offset` (or its tail when there is none, or when what
/// came since is more than the page shows), where the read ended, and
/// whether it is the tail. A log the cluster cannot give now is empty,
/// asked again from the same offset next time.
async fn log_since(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    offset: Option<u64>,
) -> (String, u64, bool) {
    let read = async {
        let (start, is_tail) = match offset {
            Some(o) => (o, false),
            None => {
                let (_, len) = super::logs(services, owner, id, u64::MAX).await?;
                (tail_start(len, TAIL_BYTES), true)
            }
        };
        let (chunk, next) = super::logs(services, owner, id, start).await?;
        if is_tail || chunk.len() > TAIL_BYTES as usize {
            let tail = whole_lines(&chunk, if is_tail { start } else { 0 }, TAIL_BYTES as usize);
            return Ok::<_, ServiceError>((tail.to_string(), next, true));
        }
        Ok((chunk, next, false))
    };
    match read.await {
        Ok(got) => got,
        Err(e) => {
            tracing::debug!(%id, "log not read this poll: {e}");
            (String::new(), offset.unwrap_or(0), false)
        }
    }
}
