//! Webhooks: register, list, remove, and the delivery attempts. The worker
//! in `worker.rs` POSTs each queued delivery, signed with the hook's secret.

pub mod guard;
pub mod worker;

use crate::error::ServiceError;
use brightrun::webhooks::{Delivery, NewWebhook, Webhook};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

/// Hooks one user may have.
pub const MAX_HOOKS: i64 = 10;

pub async fn create(
    pool: &PgPool,
    guard: &guard::Guard,
    owner: Uuid,
    new: NewWebhook,
) -> Result<Webhook, ServiceError> {
    let url = new.url.trim().to_string();
    brightrun::webhooks::validate_url(&url).map_err(|message| ServiceError::Invalid {
        field: "url",
        message,
    })?;
    guard
        .check_url(&url)
        .await
        .map_err(|refused| ServiceError::Invalid {
            field: "url",
            message: refused.0,
        })?;
    // Counted and inserted under the owner's lock: parallel requests cannot
    // all pass the cap.
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1::text, 0))")
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM webhooks WHERE owner_id = $1 AND deleted_at IS NULL",
    )
    .bind(owner)
    .fetch_one(&mut *tx)
    .await?;
    if count >= MAX_HOOKS {
        return Err(ServiceError::Conflict(format!(
            "You have {MAX_HOOKS} webhooks already; remove one first."
        )));
    }
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("whsec_{}", hex::encode(bytes));
    let id = Uuid::new_v4();
    let created_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO webhooks (id, owner_id, url, secret) VALUES ($1, $2, $3, $4) RETURNING created_at",
    )
    .bind(id)
    .bind(owner)
    .bind(&url)
    .bind(&secret)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Webhook {
        id,
        url,
        created_at,
        secret: Some(secret),
    })
}

pub async fn list(pool: &PgPool, owner: Uuid) -> Result<Vec<Webhook>, ServiceError> {
    let rows: Vec<(Uuid, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, url, created_at FROM webhooks WHERE owner_id = $1 AND deleted_at IS NULL
         ORDER BY created_at",
    )
    .bind(owner)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, url, created_at)| Webhook {
            id,
            url,
            created_at,
            secret: None,
        })
        .collect())
}

/// Removes the hook and drops its pending deliveries, in one transaction.
pub async fn delete(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE webhooks SET deleted_at = now() WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    ServiceError::one_row(done, "Webhook")?;
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook removed'
         WHERE webhook_id = $1 AND owner_id = $2 AND status = 'pending'",
    )
    .bind(id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

type DeliveryRow = (
    Uuid,
    Uuid,
    String,
    String,
    i32,
    Option<i32>,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

/// The latest deliveries of one of the owner's hooks (or of all of them).
pub async fn deliveries(
    pool: &PgPool,
    owner: Uuid,
    webhook: Option<Uuid>,
) -> Result<Vec<Delivery>, ServiceError> {
    if let Some(id) = webhook {
        let exists: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM webhooks WHERE id = $1 AND owner_id = $2")
                .bind(id)
                .bind(owner)
                .fetch_optional(pool)
                .await?;
        exists.ok_or(ServiceError::NotFound("Webhook"))?;
    }
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT id, webhook_id, event, status, attempts, last_status_code, last_error,
                next_attempt_at, delivered_at, created_at
         FROM webhook_deliveries
         WHERE owner_id = $1 AND ($2::uuid IS NULL OR webhook_id = $2)
         ORDER BY created_at DESC, id LIMIT 50",
    )
    .bind(owner)
    .bind(webhook)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Delivery {
            id: r.0,
            webhook_id: r.1,
            event: r.2,
            next_attempt_at: (r.3 == "pending").then_some(r.7),
            status: r.3,
            attempts: r.4.max(0) as u32,
            last_status_code: r.5.and_then(|c| u16::try_from(c).ok()),
            last_error: r.6,
            delivered_at: r.8,
            created_at: r.9,
        })
        .collect())
}
