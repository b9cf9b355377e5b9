//! A scrape: what is read rather than counted (jobs by status, the pool,
//! the workers' last ticks) is set, then the whole registry is written in
//! the OpenMetrics text format.

use super::{Metrics, StatusLabels, WorkerLabels, queries};
use crate::services::Services;
use brightrun::JobStatus;
use std::time::Duration;

/// The media type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How long a scrape waits for the jobs count: a pool with no free
/// connection must not stall the scrape that would show it.
const COUNT_WAIT: Duration = Duration::from_secs(2);

/// The exposition. A database that does not answer in time leaves the jobs
/// gauge out (rather than stale) and the rest is still written.
pub async fn render(services: &Services) -> String {
    let m = &services.observability;
    // Before the query, which would count its own connection as in use.
    set_pool(m, &services.pool);
    let counted = tokio::time::timeout(COUNT_WAIT, queries::jobs_by_status(&services.pool)).await;
    match counted {
        Ok(Ok(counts)) => set_jobs(m, &counts),
        Ok(Err(err)) => {
            tracing::warn!(%err, "metrics: counting jobs by status failed");
            m.jobs.clear();
        }
        Err(_) => {
            tracing::warn!("metrics: counting jobs by status took over {COUNT_WAIT:?}");
            m.jobs.clear();
        }
    }
    for (worker, at) in services.workers.report() {
        let seconds = at.timestamp_micros() as f64 / 1e6;
        m.worker_last_tick
            .get_or_create(&WorkerLabels { worker })
            .set(seconds);
    }
    m.encode()
}

/// Every status is written, 0 when no job has it, so a series never
/// disappears when its last job moves on.
fn set_jobs(m: &Metrics, counts: &[(String, i64)]) {
    for status in JobStatus::ALL {
        let n = counts
            .iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n);
        m.jobs
            .get_or_create(&StatusLabels {
                status: status.as_str(),
            })
            .set(n);
    }
}

fn set_pool(m: &Metrics, pool: &sqlx::PgPool) {
    let size = i64::from(pool.size());
    let idle = pool.num_idle() as i64;
    m.pool_size.set(size);
    m.pool_idle.set(idle);
    m.pool_in_use.set((size - idle).max(0));
    m.pool_max
        .set(i64::from(pool.options().get_max_connections()));
}
