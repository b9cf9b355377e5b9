//! Notifications: what the header bell, its dropdown and `/notifications`
//! read, and marking them read. Written by the dataset worker, the job
//! poller and the budget alerts; each insert also queues its webhook
//! deliveries (a trigger). Scoped by owner in every query.

use crate::error::ServiceError;
use brightrun::notifications::{Notification, NotificationPage};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub const MAX_PER_PAGE: u32 = 100;

pub async fn unread_count(pool: &PgPool, owner: Uuid) -> Result<i64, ServiceError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM notifications
         WHERE owner_id = $1 AND read_at IS NULL AND deleted_at IS NULL",
    )
    .bind(owner)
    .fetch_one(pool)
    .await?)
}

type Row = (
    Uuid,
    String,
    String,
    String,
    Option<String>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

fn notification(r: Row) -> Option<Notification> {
    Some(Notification {
        id: r.0,
        kind: r.1.parse().ok()?,
        title: r.2,
        message: r.3,
        link: r.4,
        read: r.5.is_some(),
        created_at: r.6,
    })
}

/// Newest first; `unread_only` for the unread ones.
pub async fn list(
    pool: &PgPool,
    owner: Uuid,
    unread_only: bool,
    page: u32,
    per_page: u32,
) -> Result<NotificationPage, ServiceError> {
    let page = page.max(1);
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, notification_type, title, message, link, read_at, created_at FROM notifications
         WHERE owner_id = $1 AND deleted_at IS NULL AND (NOT $2 OR read_at IS NULL)
         ORDER BY created_at DESC, id LIMIT $3 OFFSET $4",
    )
    .bind(owner)
    .bind(unread_only)
    .bind(i64::from(per_page))
    .bind(crate::db::offset(page, per_page))
    .fetch_all(pool)
    .await?;
    let (total, unread): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE NOT $2 OR read_at IS NULL), count(*) FILTER (WHERE read_at IS NULL)
         FROM notifications WHERE owner_id = $1 AND deleted_at IS NULL",
    )
    .bind(owner)
    .bind(unread_only)
    .fetch_one(pool)
    .await?;
    Ok(NotificationPage {
        items: rows.into_iter().filter_map(notification).collect(),
        unread: unread.max(0) as u64,
        total: total.max(0) as u64,
        page,
        per_page,
    })
}

/// Marks one read (already read stays as it was).
pub async fn mark_read(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = coalesce(read_at, now())
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(owner)
    .execute(pool)
    .await?;
    ServiceError::one_row(done, "Notification")
}

/// Marks every unread one read; returns how many.
pub async fn mark_all_read(pool: &PgPool, owner: Uuid) -> Result<u64, ServiceError> {
    Ok(sqlx::query(
        "UPDATE notifications SET read_at = now()
         WHERE owner_id = $1 AND read_at IS NULL AND deleted_at IS NULL",
    )
    .bind(owner)
    .execute(pool)
    .await?
    .rows_affected())
}
