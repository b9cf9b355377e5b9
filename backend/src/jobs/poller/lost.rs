//! Jobs the cluster has lost: one it no longer knows is submitted again a
//! few times (`BRIGHTRUN_JOB_RETRIES`); one it has not answered about for
//! too long (`BRIGHTRUN_CLUSTER_LOST_MINUTES`) is failed, so that no job is
//! ever stuck `running`.

use super::job::Tracked;
use super::submit::submit;
use crate::services::Services;
use brightrun::JobStatus;
use chrono::{DateTime, Utc};

/// The cluster answered but no longer knows the job (its agent lost its
/// table, or the job was never stored): submit again, a few times.
pub async fn resubmit(services: &Services, t: &mut Tracked, now: DateTime<Utc>) {
    let change = &mut t.change;
    if change.retry_count >= services.config.cluster.job_retries as i32 {
        change.status = JobStatus::Failed;
        change.error = Some(format!(
            "The training cluster lost this job {} times; retry it when the cluster is healthy.",
            change.retry_count + 1
        ));
        return;
    }
    change.retry_count += 1;
    tracing::warn!(job = %t.job.id, retry = change.retry_count, "the cluster lost the job; submitting it again");
    match submit(services, &t.job).await {
        Ok(external) => {
            t.change.external = Some(external);
            t.change.seen_at = Some(now);
        }
        Err(e) => tracing::warn!(job = %t.job.id, "resubmitting failed: {e}"),
    }
}

/// Fails a job the cluster has not answered about for too long.
pub fn check(services: &Services, t: &mut Tracked, now: DateTime<Utc>, why: &str) {
    let since = t.change.seen_at.unwrap_or(t.job.queued_at);
    let limit = chrono::Duration::from_std(services.config.cluster.lost_after)
        .unwrap_or(chrono::Duration::minutes(10));
    if now - since > limit {
        t.change.status = JobStatus::Failed;
        t.change.error = Some(format!(
            "The training cluster has not answered for {} minutes ({why}); retry the job once it is back.",
            limit.num_minutes().max(1)
        ));
    }
}
