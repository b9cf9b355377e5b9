//! The job poller. Each tick sequences four steps, each in its own file
//! and callable from a test:
//!
//! 1. [`claim`] the active jobs of this server's cluster (`FOR UPDATE SKIP
//!    LOCKED` with a lease, so several server instances never work on the
//!    same job; the lease and the cluster's retry budget are sized together
//!    in `cluster::retry`);
//! 2. [`dispatch`]: hand queued jobs to the cluster, tell it what the user
//!    cancelled;
//! 3. [`observe`]: ask the cluster about all of them in one call (status
//!    and the metrics after each job's last stored step), then check that a
//!    completed job's adapter is in storage ([`artifacts`]);
//! 4. [`persist`] what changed in one transaction: points, evaluations,
//!    artifacts with their quality, every job's row, [`billing`], budget
//!    alerts and [`notes`].
//!
//! A tick whose lease was taken stops before it writes anything. The SQL
//! lives in `jobs::queries::tick` and `jobs::queries::points`.

pub mod artifacts;
pub mod billing;
pub mod claim;
pub mod dispatch;
pub mod job;
pub mod lost;
pub mod notes;
pub mod observe;
pub mod persist;
pub mod submit;
#[cfg(test)]
mod tests;

use crate::error::ServiceError;
use crate::services::Services;

pub use claim::CLAIM_LIMIT;

/// What one tick did, for logs and the benchmark.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    pub claimed: usize,
    pub submitted: usize,
    pub cluster_requests: usize,
    pub sql_statements: usize,
    pub points: usize,
    pub status_changes: usize,
}

/// One tick: claim → dispatch → observe → persist, timed for the
/// operators' metrics.
#[tracing::instrument(skip_all)]
pub async fn tick(services: &Services) -> Result<TickReport, ServiceError> {
    let start = std::time::Instant::now();
    let result = steps(services).await;
    services
        .observability
        .poll_tick(result.is_ok(), start.elapsed());
    result
}

async fn steps(services: &Services) -> Result<TickReport, ServiceError> {
    let mut report = TickReport::default();
    let Some(mut tick) = claim::claim(services, &mut report).await? else {
        return Ok(report);
    };
    if dispatch::dispatch(services, &mut tick, &mut report)
        .await?
        .is_break()
    {
        return Ok(report);
    }
    if observe::observe(services, &mut tick, &mut report)
        .await?
        .is_break()
    {
        return Ok(report);
    }
    artifacts::check(services, &mut tick.jobs).await?;
    persist::persist(services, &mut tick, &mut report).await?;
    Ok(report)
}

/// Ticks until the server stops: at once when woken (a job was created or
/// cancelled), else every `BRIGHTRUN_POLL_MS`.
pub async fn run(services: Services) {
    loop {
        match tick(&services).await {
            Ok(r) => {
                services.workers.ticked("poller");
                if r.status_changes > 0 || r.points > 0 {
                    tracing::debug!(?r, "poll tick")
                }
            }
            Err(err) => tracing::warn!(%err, "poll tick failed"),
        }
        tokio::select! {
            _ = services.poller_woken() => {}
            _ = tokio::time::sleep(services.config.cluster.poll_interval) => {}
        }
    }
}
