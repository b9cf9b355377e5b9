//! Rate limits in PostgreSQL, so that every server instance counts the same
//! tries. A key is `email:<address>`, `client:<address or IPv6 /64>` or
//! `signup:<client>`; each counts hits in a one-minute window. `hit` counts
//! first and then compares, in one statement, so a concurrent burst is
//! counted whole: the hits past `limit` are refused.

use crate::error::ServiceError;
use sqlx::PgPool;

/// Counts one try on every key; `RateLimited` when any key is past `limit`
/// in its current minute.
pub async fn hit(pool: &PgPool, keys: &[String], limit: u32) -> Result<(), ServiceError> {
    let counts: Vec<i32> = sqlx::query_scalar(
        "INSERT INTO rate_counters (key) SELECT unnest($1::text[])
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN rate_counters.window_start <= now() - interval '1 minute'
                         THEN 1 ELSE rate_counters.hits + 1 END,
             window_start = CASE WHEN rate_counters.window_start <= now() - interval '1 minute'
                         THEN now() ELSE rate_counters.window_start END
         RETURNING hits",
    )
    .bind(keys)
    .fetch_all(pool)
    .await?;
    if counts.iter().any(|&n| i64::from(n) > i64::from(limit)) {
        tracing::warn!(?keys, "rate limit reached");
        return Err(ServiceError::RateLimited);
    }
    Ok(())
}

/// Takes back one hit on every key: a try that turned out not to count (a
/// sign-in that succeeded).
pub async fn forgive(pool: &PgPool, keys: &[String]) -> Result<(), ServiceError> {
    sqlx::query("UPDATE rate_counters SET hits = greatest(hits - 1, 0) WHERE key = ANY($1)")
        .bind(keys)
        .execute(pool)
        .await?;
    Ok(())
}

/// Drops every window that has ended; returns how many.
pub async fn prune(pool: &PgPool) -> Result<u64, ServiceError> {
    let done =
        sqlx::query("DELETE FROM rate_counters WHERE window_start <= now() - interval '1 minute'")
            .execute(pool)
            .await?;
    Ok(done.rows_affected())
}
