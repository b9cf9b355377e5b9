//! Rate limits in PostgreSQL, so that every server instance counts the same
//! tries. A key is `email:<address>`, `client:<address or IPv6 /64>` or
//! `signup:<client>`; each counts hits in a one-minute window. `hit` counts
//! first and then compares, in one statement, so a concurrent burst is
//! counted whole: the hits past `limit` are refused.

use super::queries;
use crate::error::ServiceError;
use crate::services::Services;
use sqlx::PgPool;

/// Counts one try on every key; `RateLimited` when any key is past `limit`
/// in its current minute.
pub(crate) async fn hit(pool: &PgPool, keys: &[String], limit: u32) -> Result<(), ServiceError> {
    let counts = queries::count_hits(pool, keys).await?;
    if counts.iter().any(|&n| i64::from(n) > i64::from(limit)) {
        tracing::warn!(?keys, "rate limit reached");
        return Err(ServiceError::RateLimited);
    }
    Ok(())
}

/// Takes back one hit on every key: a try that turned out not to count (a
/// sign-in that succeeded).
pub(crate) async fn forgive(pool: &PgPool, keys: &[String]) -> Result<(), ServiceError> {
    queries::take_back_hit(pool, keys).await
}

/// Drops every window that has ended; returns how many.
#[tracing::instrument(skip_all)]
pub async fn prune(services: &Services) -> Result<u64, ServiceError> {
    queries::delete_ended_windows(&services.pool).await
}
