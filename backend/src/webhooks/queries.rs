//! The SQL of webhooks: the hooks (scoped by owner) and their delivery
//! queue, which the worker claims with `SKIP LOCKED`. Deliveries are queued
//! by a trigger when a notification is written, never here.

use crate::error::ServiceError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgQueryResult;
use uuid::Uuid;

/// A hook as listed (never its secret).
pub struct HookRow {
    pub id: Uuid,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

pub struct DeliveryRow {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A claimed delivery with what its POST needs: the hook's URL and secret
/// and the notification it announces.
pub struct DueRow {
    pub id: Uuid,
    pub attempts: i32,
    pub event: String,
    pub url: String,
    pub secret: String,
    pub notification_id: Uuid,
    pub title: String,
    pub message: String,
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// How an attempt that did not deliver is recorded.
pub struct FailedAttempt {
    pub attempts: i32,
    pub status_code: Option<i32>,
    pub error: String,
    pub give_up: bool,
    pub retry_in_secs: f64,
}

/// Takes the owner's webhook lock until the transaction ends: counting and
/// inserting under it, parallel requests cannot all pass the cap.
pub async fn lock_owner(conn: &mut sqlx::PgConnection, owner: Uuid) -> Result<(), ServiceError> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1::uuid::text, 0))",
        owner,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn count_live(
    executor: impl sqlx::PgExecutor<'_>,
    owner: Uuid,
) -> Result<i64, ServiceError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM webhooks WHERE owner_id = $1 AND deleted_at IS NULL"#,
        owner,
    )
    .fetch_one(executor)
    .await?)
}

/// Stores a hook; returns when it was created.
pub async fn insert(
    executor: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    owner: Uuid,
    url: &str,
    secret: &str,
) -> Result<DateTime<Utc>, ServiceError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO webhooks (id, owner_id, url, secret) VALUES ($1, $2, $3, $4) RETURNING created_at",
        id,
        owner,
        url,
        secret,
    )
    .fetch_one(executor)
    .await?)
}

pub async fn live(pool: &PgPool, owner: Uuid) -> Result<Vec<HookRow>, ServiceError> {
    Ok(sqlx::query_as!(
        HookRow,
        "SELECT id, url, created_at FROM webhooks WHERE owner_id = $1 AND deleted_at IS NULL
         ORDER BY created_at",
        owner,
    )
    .fetch_all(pool)
    .await?)
}

pub async fn mark_deleted(
    executor: impl sqlx::PgExecutor<'_>,
    owner: Uuid,
    id: Uuid,
) -> Result<PgQueryResult, ServiceError> {
    Ok(sqlx::query!(
        "UPDATE webhooks SET deleted_at = now() WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        id,
        owner,
    )
    .execute(executor)
    .await?)
}

/// Fails the hook's pending deliveries (the hook was removed).
pub async fn drop_pending(
    executor: impl sqlx::PgExecutor<'_>,
    owner: Uuid,
    id: Uuid,
) -> Result<(), ServiceError> {
    sqlx::query!(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook removed'
         WHERE webhook_id = $1 AND owner_id = $2 AND status = 'pending'",
        id,
        owner,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Whether the owner has (or had: removed ones count) the hook.
pub async fn owns(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<bool, ServiceError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM webhooks WHERE id = $1 AND owner_id = $2",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .is_some())
}

/// The owner's 50 latest deliveries, of one hook or of all.
pub async fn deliveries(
    pool: &PgPool,
    owner: Uuid,
    webhook: Option<Uuid>,
) -> Result<Vec<DeliveryRow>, ServiceError> {
    Ok(sqlx::query_as!(
        DeliveryRow,
        "SELECT id, webhook_id, event, status, attempts, last_status_code, last_error,
                next_attempt_at, delivered_at, created_at
         FROM webhook_deliveries
         WHERE owner_id = $1 AND ($2::uuid IS NULL OR webhook_id = $2)
         ORDER BY created_at DESC, id LIMIT 50",
        owner,
        webhook,
    )
    .fetch_all(pool)
    .await?)
}

/// Claims up to `batch` due deliveries of live hooks for two minutes (a
/// worker that dies leaves them to the next), with what their POSTs need.
pub async fn claim_due(pool: &PgPool, batch: i64) -> Result<Vec<DueRow>, ServiceError> {
    Ok(sqlx::query_as!(
        DueRow,
        r#"WITH due AS (
               SELECT id FROM webhook_deliveries
               WHERE status = 'pending' AND next_attempt_at <= now()
                 AND EXISTS (SELECT 1 FROM webhooks w
                             WHERE w.id = webhook_id AND w.deleted_at IS NULL)
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
           ), claimed AS (
               UPDATE webhook_deliveries d SET next_attempt_at = now() + interval '2 minutes'
               FROM due WHERE d.id = due.id
               RETURNING d.id, d.attempts, d.event, d.webhook_id, d.notification_id
           )
           SELECT c.id AS "id!", c.attempts AS "attempts!", c.event AS "event!",
                  w.url, w.secret, c.notification_id AS "notification_id!",
                  n.title, n.message, n.link, n.created_at
           FROM claimed c
           JOIN webhooks w ON w.id = c.webhook_id AND w.deleted_at IS NULL
           JOIN notifications n ON n.id = c.notification_id AND n.owner_id = w.owner_id"#,
        batch,
    )
    .fetch_all(pool)
    .await?)
}

pub async fn mark_delivered(
    pool: &PgPool,
    id: Uuid,
    attempts: i32,
    status_code: i32,
) -> Result<(), ServiceError> {
    sqlx::query!(
        "UPDATE webhook_deliveries SET status = 'delivered', attempts = $2,
             last_status_code = $3, last_error = NULL, delivered_at = now()
         WHERE id = $1",
        id,
        attempts,
        status_code,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed attempt: pending again after the wait, or failed for
/// good.
pub async fn mark_failed(pool: &PgPool, id: Uuid, f: &FailedAttempt) -> Result<(), ServiceError> {
    sqlx::query!(
        "UPDATE webhook_deliveries SET status = CASE WHEN $5 THEN 'failed' ELSE 'pending' END,
             attempts = $2, last_status_code = $3, last_error = $4,
             next_attempt_at = now() + make_interval(secs => $6)
         WHERE id = $1",
        id,
        f.attempts,
        f.status_code,
        f.error,
        f.give_up,
        f.retry_in_secs,
    )
    .execute(pool)
    .await?;
    Ok(())
}
