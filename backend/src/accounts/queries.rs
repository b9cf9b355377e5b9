//! The SQL of accounts: users, sessions, API tokens and rate counters. Every
//! statement is compile-checked; secrets reach the database only as their
//! SHA-256 (`SecretToken::hash`), passwords only as argon2id hashes. Reads
//! of a user skip deleted accounts.

use crate::error::ServiceError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgQueryResult;
use sqlx::postgres::types::PgInterval;
use uuid::Uuid;

/// A live account as its owner sees it.
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

/// An account with the hash its password is checked against.
pub struct CredentialsRow {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub password_hash: String,
}

/// Who a session or an API token belongs to.
pub struct HolderRow {
    pub id: Uuid,
    pub email: String,
}

/// An API token as listed (never its value or hash).
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token to store: the shown prefix and the hash of the value.
pub struct NewTokenRow<'a> {
    pub id: Uuid,
    pub owner: Uuid,
    pub name: &'a str,
    pub prefix: &'a str,
    pub hash: Vec<u8>,
    pub expires_in_days: Option<i32>,
}

pub async fn email_taken(pool: &PgPool, email: &str) -> Result<bool, ServiceError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE email = $1 AND deleted_at IS NULL) AS "taken!""#,
        email,
    )
    .fetch_one(pool)
    .await?)
}

/// The new account, or `None` when a live one has the email already.
pub async fn insert_user(
    pool: &PgPool,
    id: Uuid,
    email: &str,
    password_hash: &str,
) -> Result<Option<UserRow>, ServiceError> {
    Ok(sqlx::query_as!(
        UserRow,
        "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)
         ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING
         RETURNING id, email, created_at",
        id,
        email,
        password_hash,
    )
    .fetch_optional(pool)
    .await?)
}

pub async fn credentials(
    pool: &PgPool,
    email: &str,
) -> Result<Option<CredentialsRow>, ServiceError> {
    Ok(sqlx::query_as!(
        CredentialsRow,
        "SELECT id, email, created_at, password_hash FROM users
         WHERE email = $1 AND deleted_at IS NULL",
        email,
    )
    .fetch_optional(pool)
    .await?)
}

pub async fn user(pool: &PgPool, user_id: Uuid) -> Result<Option<UserRow>, ServiceError> {
    Ok(sqlx::query_as!(
        UserRow,
        "SELECT id, email, created_at FROM users WHERE id = $1 AND deleted_at IS NULL",
        user_id,
    )
    .fetch_optional(pool)
    .await?)
}

pub async fn insert_session(
    pool: &PgPool,
    token_hash: &[u8],
    user_id: Uuid,
    ttl: PgInterval,
    user_agent: Option<&str>,
) -> Result<(), ServiceError> {
    sqlx::query!(
        "INSERT INTO sessions (token_hash, user_id, expires_at, user_agent)
         VALUES ($1, $2, now() + $3, $4)",
        token_hash,
        user_id,
        ttl,
        user_agent,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The holder of a live session, marking it seen.
pub async fn session_holder(
    pool: &PgPool,
    token_hash: &[u8],
) -> Result<Option<HolderRow>, ServiceError> {
    Ok(sqlx::query_as!(
        HolderRow,
        "UPDATE sessions s SET last_seen_at = now()
         FROM users u
         WHERE s.token_hash = $1 AND s.expires_at > now()
           AND u.id = s.user_id AND u.deleted_at IS NULL
         RETURNING u.id, u.email",
        token_hash,
    )
    .fetch_optional(pool)
    .await?)
}

pub async fn delete_session(pool: &PgPool, token_hash: &[u8]) -> Result<(), ServiceError> {
    sqlx::query!("DELETE FROM sessions WHERE token_hash = $1", token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(pool: &PgPool) -> Result<u64, ServiceError> {
    Ok(
        sqlx::query!("DELETE FROM sessions WHERE expires_at <= now()")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

pub async fn insert_token(pool: &PgPool, new: NewTokenRow<'_>) -> Result<TokenRow, ServiceError> {
    Ok(sqlx::query_as!(
        TokenRow,
        "INSERT INTO api_tokens (id, user_id, name, token_prefix, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6))
         RETURNING id, name, token_prefix, created_at, last_used_at, revoked_at, expires_at",
        new.id,
        new.owner,
        new.name,
        new.prefix,
        new.hash,
        new.expires_in_days,
    )
    .fetch_one(pool)
    .await?)
}

pub async fn tokens(pool: &PgPool, owner: Uuid) -> Result<Vec<TokenRow>, ServiceError> {
    Ok(sqlx::query_as!(
        TokenRow,
        "SELECT id, name, token_prefix, created_at, last_used_at, revoked_at, expires_at
         FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
        owner,
    )
    .fetch_all(pool)
    .await?)
}

/// Revokes one of the owner's live tokens; no row when there is none.
pub async fn revoke_token(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<PgQueryResult, ServiceError> {
    Ok(sqlx::query!(
        "UPDATE api_tokens SET revoked_at = now()
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        id,
        owner,
    )
    .execute(pool)
    .await?)
}

/// The holder of a live (unrevoked, unexpired) token, recording its use
/// to the minute: the row is written only when its last use is older, so
/// a script polling with one token is a read per request, not a write on
/// one hot row.
pub async fn token_holder(
    pool: &PgPool,
    token_hash: &[u8],
) -> Result<Option<HolderRow>, ServiceError> {
    Ok(sqlx::query_as!(
        HolderRow,
        r#"WITH h AS (
               SELECT t.id AS token, t.last_used_at, u.id, u.email
               FROM api_tokens t JOIN users u ON u.id = t.user_id AND u.deleted_at IS NULL
               WHERE t.token_hash = $1 AND t.revoked_at IS NULL
                 AND (t.expires_at IS NULL OR t.expires_at > now())),
           used AS (
               UPDATE api_tokens t SET last_used_at = now() FROM h
               WHERE t.id = h.token
                 AND (h.last_used_at IS NULL OR h.last_used_at < now() - interval '1 minute'))
           SELECT h.id AS "id!", h.email AS "email!" FROM h"#,
        token_hash,
    )
    .fetch_optional(pool)
    .await?)
}

/// Counts one hit on every key, in the key's current minute (a window that
/// has ended starts again at 1); returns each key's count.
pub async fn count_hits(pool: &PgPool, keys: &[String]) -> Result<Vec<i32>, ServiceError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO rate_counters (key) SELECT unnest($1::text[])
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN rate_counters.window_start <= now() - interval '1 minute'
                         THEN 1 ELSE rate_counters.hits + 1 END,
             window_start = CASE WHEN rate_counters.window_start <= now() - interval '1 minute'
                         THEN now() ELSE rate_counters.window_start END
         RETURNING hits",
        keys,
    )
    .fetch_all(pool)
    .await?)
}

pub async fn take_back_hit(pool: &PgPool, keys: &[String]) -> Result<(), ServiceError> {
    sqlx::query!(
        "UPDATE rate_counters SET hits = greatest(hits - 1, 0) WHERE key = ANY($1)",
        keys,
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delete_ended_windows(pool: &PgPool) -> Result<u64, ServiceError> {
    Ok(
        sqlx::query!("DELETE FROM rate_counters WHERE window_start <= now() - interval '1 minute'")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
