//! Step 1, claim: this server's cluster's active jobs, oldest first, each
//! held by a lease so no other server's poller works on it meanwhile.

use super::TickReport;
use super::job::Tracked;
use crate::error::ServiceError;
use crate::jobs::cluster::retry::{Lease, lease_length};
use crate::jobs::queries::tick as queries;
use crate::services::Services;
use chrono::{DateTime, Utc};

/// Most jobs one tick works on.
pub const CLAIM_LIMIT: i64 = 20_000;

/// The jobs one tick works on and its hold on them.
pub struct Tick {
    pub jobs: Vec<Tracked>,
    pub lease: Lease,
    /// The tick's clock: every time it writes is this one.
    pub now: DateTime<Utc>,
}

/// `None` when there is nothing to do. A tick that dies leaves its jobs to
/// the next one after the lease.
pub async fn claim(
    services: &Services,
    report: &mut TickReport,
) -> Result<Option<Tick>, ServiceError> {
    let budget = services.cluster.call_budget();
    let rows = queries::claim(
        &services.pool,
        services.cluster.name(),
        lease_length(budget),
        CLAIM_LIMIT,
    )
    .await?;
    report.sql_statements += 1;
    report.claimed = rows.len();
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let lease = Lease::new(
        rows.iter().map(|r| r.id).collect(),
        first.lease_until,
        budget,
    );
    let now = Utc::now();
    let jobs = rows
        .into_iter()
        .map(Tracked::new)
        .collect::<Result<_, _>>()?;
    Ok(Some(Tick { jobs, lease, now }))
}
