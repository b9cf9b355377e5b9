//! Step 2, dispatch: new jobs are handed to the cluster (or cancelled at
//! once when the user cancelled first); a job the user cancelled is told
//! to stop, again each tick until the cluster confirms. The lease is kept
//! before every cluster call.

use super::TickReport;
use super::claim::Tick;
use super::job::Tracked;
use super::lost;
use super::submit::submit;
use crate::error::ServiceError;
use crate::jobs::cluster::ClusterError;
use crate::jobs::failure::explain;
use crate::services::Services;
use brightrun::JobStatus;
use chrono::{DateTime, Utc};
use std::ops::ControlFlow;

/// `Break` when the lease was lost: the tick stops and writes nothing.
pub async fn dispatch(
    services: &Services,
    tick: &mut Tick,
    report: &mut TickReport,
) -> Result<ControlFlow<()>, ServiceError> {
    for t in &mut tick.jobs {
        if t.change.external.is_none() {
            if let Some(at) = t.job.cancel_requested_at {
                t.change.status = JobStatus::Cancelled;
                t.change.finished_at = Some(at);
                continue;
            }
            if !tick.lease.keep(&services.pool).await? {
                return Ok(ControlFlow::Break(()));
            }
            // The job's config and dataset are read for the spec.
            report.sql_statements += 1;
            if submit_new(services, t, tick.now).await {
                report.submitted += 1;
            }
            report.cluster_requests += 1;
        } else if t.job.cancel_requested_at.is_some() {
            if !tick.lease.keep(&services.pool).await? {
                return Ok(ControlFlow::Break(()));
            }
            report.cluster_requests += 1;
            cancel(services, t).await;
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// Submits a job the cluster does not have yet; `true` when it took it. A
/// cluster that cannot be reached is tried again next tick (until the job
/// counts as lost); one that refuses fails the job, saying why.
async fn submit_new(services: &Services, t: &mut Tracked, now: DateTime<Utc>) -> bool {
    match submit(services, &t.job).await {
        Ok(external) => {
            t.change.external = Some(external);
            t.change.seen_at = Some(now);
            true
        }
        Err(ClusterError::Unreachable(e)) => {
            tracing::warn!(job = %t.job.id, "cannot submit yet: {e}");
            lost::check(services, t, now, &e);
            false
        }
        Err(e) => {
            t.change.status = JobStatus::Failed;
            t.change.error = Some(explain(&e.to_string()));
            t.change.finished_at = Some(now);
            false
        }
    }
}

/// Tells the cluster to stop the job; a job it has finished or forgotten
/// needs nothing more.
async fn cancel(services: &Services, t: &Tracked) {
    let Some(external) = &t.change.external else {
        return;
    };
    let cancelled = services.cluster.cancel(external).await;
    crate::observability::cluster_call(services, "cancel", &cancelled);
    match cancelled {
        Ok(()) | Err(ClusterError::Finished) | Err(ClusterError::NotFound) => {}
        Err(e) => tracing::warn!(job = %t.job.id, "cancel not delivered: {e}"),
    }
}
