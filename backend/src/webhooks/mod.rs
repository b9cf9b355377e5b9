//! Webhooks: register, list, remove, and the delivery attempts. The worker
//! in `worker.rs` POSTs each queued delivery, signed with the hook's secret;
//! the SQL is in `queries`. Every query is scoped by the owner.

pub mod guard;
mod queries;
pub mod worker;

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::webhooks::{Delivery, NewWebhook, Webhook};
use queries::{DeliveryRow, HookRow};
use rand::RngCore;
use uuid::Uuid;

/// Hooks one user may have.
pub const MAX_HOOKS: i64 = 10;

impl From<HookRow> for Webhook {
    fn from(r: HookRow) -> Self {
        Self {
            id: r.id,
            url: r.url,
            created_at: r.created_at,
            secret: None,
        }
    }
}

impl From<DeliveryRow> for Delivery {
    fn from(r: DeliveryRow) -> Self {
        Self {
            id: r.id,
            webhook_id: r.webhook_id,
            event: r.event,
            next_attempt_at: (r.status == "pending").then_some(r.next_attempt_at),
            status: r.status,
            attempts: r.attempts.max(0) as u32,
            last_status_code: r.last_status_code.and_then(|c| u16::try_from(c).ok()),
            last_error: r.last_error,
            delivered_at: r.delivered_at,
            created_at: r.created_at,
        }
    }
}

/// Registers a hook after checking its URL (the rules, then where it
/// points: see `guard`); the secret is in this answer only.
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn create(
    services: &Services,
    owner: Uuid,
    new: NewWebhook,
) -> Result<Webhook, ServiceError> {
    let url = new.url.trim().to_string();
    brightrun::webhooks::validate_url(&url).map_err(|message| ServiceError::Invalid {
        field: "url",
        message,
    })?;
    services
        .webhook_guard
        .check_url(&url)
        .await
        .map_err(|refused| ServiceError::Invalid {
            field: "url",
            message: refused.0,
        })?;
    // Counted and inserted under the owner's lock: parallel requests cannot
    // all pass the cap.
    let mut tx = services.pool.begin().await?;
    queries::lock_owner(&mut tx, owner).await?;
    if queries::count_live(&mut *tx, owner).await? >= MAX_HOOKS {
        return Err(ServiceError::Conflict(format!(
            "You have {MAX_HOOKS} webhooks already; remove one first."
        )));
    }
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("whsec_{}", hex::encode(bytes));
    let id = Uuid::new_v4();
    let created_at = queries::insert(&mut *tx, id, owner, &url, &secret).await?;
    tx.commit().await?;
    Ok(Webhook {
        id,
        url,
        created_at,
        secret: Some(secret),
    })
}

#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn list(services: &Services, owner: Uuid) -> Result<Vec<Webhook>, ServiceError> {
    let rows = queries::live(&services.pool, owner).await?;
    Ok(rows.into_iter().map(Webhook::from).collect())
}

/// Removes the hook and drops its pending deliveries, in one transaction.
#[tracing::instrument(skip_all, fields(owner = %owner, webhook_id = %id))]
pub async fn delete(services: &Services, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let mut tx = services.pool.begin().await?;
    let done = queries::mark_deleted(&mut *tx, owner, id).await?;
    ServiceError::one_row(done, "Webhook")?;
    queries::drop_pending(&mut *tx, owner, id).await?;
    tx.commit().await?;
    Ok(())
}

/// The latest deliveries of one of the owner's hooks (or of all of them).
#[tracing::instrument(skip_all, fields(owner = %owner, webhook_id = ?webhook))]
pub async fn deliveries(
    services: &Services,
    owner: Uuid,
    webhook: Option<Uuid>,
) -> Result<Vec<Delivery>, ServiceError> {
    if let Some(id) = webhook
        && !queries::owns(&services.pool, owner, id).await?
    {
        return Err(ServiceError::NotFound("Webhook"));
    }
    let rows = queries::deliveries(&services.pool, owner, webhook).await?;
    Ok(rows.into_iter().map(Delivery::from).collect())
}
