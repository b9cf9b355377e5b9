//! Server-side sessions. The cookie holds a random token; the row holds its
//! hash, the user and the expiry. An unknown, forged or expired token is
//! simply no session.

use super::secrets::SecretToken;
use crate::error::ServiceError;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    ttl: Duration,
    user_agent: Option<&str>,
) -> Result<SecretToken, ServiceError> {
    let token = SecretToken::generate("");
    let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(30));
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, expires_at, user_agent)
         VALUES ($1, $2, now() + $3, $4)",
    )
    .bind(token.hash())
    .bind(user_id)
    .bind(ttl)
    .bind(user_agent.map(|ua| ua.chars().take(300).collect::<String>()))
    .execute(pool)
    .await?;
    Ok(token)
}

/// The user of a live session.
pub async fn user_for(
    pool: &PgPool,
    token: &SecretToken,
) -> Result<Option<(Uuid, String)>, ServiceError> {
    Ok(sqlx::query_as::<_, (Uuid, String)>(
        "UPDATE sessions s SET last_seen_at = now()
         FROM users u
         WHERE s.token_hash = $1 AND s.expires_at > now()
           AND u.id = s.user_id AND u.deleted_at IS NULL
         RETURNING u.id, u.email",
    )
    .bind(token.hash())
    .fetch_optional(pool)
    .await?)
}

pub async fn delete(pool: &PgPool, token: &SecretToken) -> Result<(), ServiceError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token.hash())
        .execute(pool)
        .await?;
    Ok(())
}

/// Removes expired sessions; run from time to time.
pub async fn delete_expired(pool: &PgPool) -> Result<u64, ServiceError> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE expires_at <= now()")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
