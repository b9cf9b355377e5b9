//! Notifications: what the header bell, its dropdown and `/notifications`
//! read, and marking them read. Written by the dataset worker, the job
//! poller and the budget alerts, always through [`insert`] or
//! [`insert_many`] with a typed [`NotificationType`]; each insert also
//! queues its webhook deliveries (a trigger). Scoped by owner in every query.

pub mod queries;

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::notifications::NotificationPage;
use uuid::Uuid;

pub use brightrun::NotificationType;
pub use queries::{NewNotification, insert, insert_many};

pub const MAX_PER_PAGE: u32 = 100;

#[tracing::instrument(skip_all, fields(user = %owner))]
pub async fn unread_count(services: &Services, owner: Uuid) -> Result<i64, ServiceError> {
    queries::unread_count(&services.pool, owner).await
}

/// Newest first; `unread_only` for the unread ones.
#[tracing::instrument(skip_all, fields(user = %owner, unread_only, page, per_page))]
pub async fn list(
    services: &Services,
    owner: Uuid,
    unread_only: bool,
    page: u32,
    per_page: u32,
) -> Result<NotificationPage, ServiceError> {
    let page = page.max(1);
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let pool = &services.pool;
    let offset = crate::db::offset(page, per_page);
    let items = queries::page(pool, owner, unread_only, i64::from(per_page), offset).await?;
    let counts = queries::counts(pool, owner, unread_only).await?;
    Ok(NotificationPage {
        items,
        unread: counts.unread.max(0) as u64,
        total: counts.total.max(0) as u64,
        page,
        per_page,
    })
}

/// Marks one read (already read stays as it was).
#[tracing::instrument(skip_all, fields(user = %owner, notification = %id))]
pub async fn mark_read(services: &Services, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    queries::mark_read(&services.pool, owner, id).await
}

/// Marks every unread one read; returns how many.
#[tracing::instrument(skip_all, fields(user = %owner))]
pub async fn mark_all_read(services: &Services, owner: Uuid) -> Result<u64, ServiceError> {
    queries::mark_all_read(&services.pool, owner).await
}
