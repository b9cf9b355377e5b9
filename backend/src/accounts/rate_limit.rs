//! Failed sign-in limiting, in PostgreSQL so that every server instance
//! counts the same failures. A key is `email:<address>` or `client:<ip>`;
//! reaching `limit` failures within a minute on any key refuses further tries
//! until the oldest falls out of the window.

use crate::error::ServiceError;
use sqlx::PgPool;

pub async fn check(pool: &PgPool, keys: &[&str], limit: u32) -> Result<(), ServiceError> {
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let worst: Option<i64> = sqlx::query_scalar(
        "SELECT max(n) FROM (
             SELECT count(*) AS n FROM signin_failures
             WHERE key = ANY($1) AND created_at > now() - interval '1 minute'
             GROUP BY key) per_key",
    )
    .bind(&keys)
    .fetch_one(pool)
    .await?;
    if worst.unwrap_or(0) >= i64::from(limit) {
        tracing::warn!(?keys, "sign-in rate limit reached");
        return Err(ServiceError::RateLimited);
    }
    Ok(())
}

pub async fn record_failure(pool: &PgPool, keys: &[&str]) -> Result<(), ServiceError> {
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM signin_failures WHERE key = ANY($1) AND created_at < now() - interval '1 minute'")
        .bind(&keys)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO signin_failures (key) SELECT unnest($1::text[])")
        .bind(&keys)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
