//! The SQL of notifications. [`insert_many`] is the only statement in the
//! backend that writes the `notifications` table; every read and update is
//! scoped by owner.

use crate::error::ServiceError;
use brightrun::NotificationType;
use brightrun::notifications::Notification;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A notification to write: whose, about what, and the page it links to.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub owner: Uuid,
    pub kind: NotificationType,
    pub title: String,
    pub message: String,
    /// The page of the object it is about.
    pub link: Option<String>,
}

/// Writes one notification (its webhook deliveries are queued by a
/// trigger); returns its id.
pub async fn insert(
    executor: impl sqlx::PgExecutor<'_>,
    note: &NewNotification,
) -> Result<Uuid, ServiceError> {
    let ids = insert_many(executor, std::slice::from_ref(note)).await?;
    Ok(ids[0])
}

/// Writes every notification in one statement (a poller tick may have
/// thousands); returns their ids in order.
pub async fn insert_many(
    executor: impl sqlx::PgExecutor<'_>,
    notes: &[NewNotification],
) -> Result<Vec<Uuid>, ServiceError> {
    let ids: Vec<Uuid> = notes.iter().map(|_| Uuid::new_v4()).collect();
    if notes.is_empty() {
        return Ok(ids);
    }
    let owners: Vec<Uuid> = notes.iter().map(|n| n.owner).collect();
    let kinds: Vec<String> = notes.iter().map(|n| n.kind.as_str().to_string()).collect();
    let titles: Vec<String> = notes.iter().map(|n| n.title.clone()).collect();
    let messages: Vec<String> = notes.iter().map(|n| n.message.clone()).collect();
    let links: Vec<Option<String>> = notes.iter().map(|n| n.link.clone()).collect();
    sqlx::query!(
        "INSERT INTO notifications (id, owner_id, notification_type, title, message, link)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])",
        &ids,
        &owners,
        &kinds,
        &titles,
        &messages,
        &links as &[Option<String>],
    )
    .execute(executor)
    .await?;
    Ok(ids)
}

pub async fn unread_count(pool: &PgPool, owner: Uuid) -> Result<i64, ServiceError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM notifications
           WHERE owner_id = $1 AND read_at IS NULL AND deleted_at IS NULL"#,
        owner,
    )
    .fetch_one(pool)
    .await?)
}

struct NotificationRow {
    id: Uuid,
    notification_type: String,
    title: String,
    message: String,
    link: Option<String>,
    read_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl NotificationRow {
    /// `None` for a kind this build does not know (the list skips it).
    fn notification(self) -> Option<Notification> {
        Some(Notification {
            id: self.id,
            kind: self.notification_type.parse().ok()?,
            title: self.title,
            message: self.message,
            link: self.link,
            read: self.read_at.is_some(),
            created_at: self.created_at,
        })
    }
}

/// One page, newest first; `unread_only` for the unread ones.
pub async fn page(
    pool: &PgPool,
    owner: Uuid,
    unread_only: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<Notification>, ServiceError> {
    let rows = sqlx::query_as!(
        NotificationRow,
        "SELECT id, notification_type, title, message, link, read_at, created_at
         FROM notifications
         WHERE owner_id = $1 AND deleted_at IS NULL AND (NOT $2 OR read_at IS NULL)
         ORDER BY created_at DESC, id LIMIT $3 OFFSET $4",
        owner,
        unread_only,
        limit,
        offset,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(NotificationRow::notification)
        .collect())
}

/// How many a page's filter matches, and how many are unread.
pub struct Counts {
    pub total: i64,
    pub unread: i64,
}

pub async fn counts(pool: &PgPool, owner: Uuid, unread_only: bool) -> Result<Counts, ServiceError> {
    Ok(sqlx::query_as!(
        Counts,
        r#"SELECT count(*) FILTER (WHERE NOT $2 OR read_at IS NULL) AS "total!",
                  count(*) FILTER (WHERE read_at IS NULL) AS "unread!"
           FROM notifications WHERE owner_id = $1 AND deleted_at IS NULL"#,
        owner,
        unread_only,
    )
    .fetch_one(pool)
    .await?)
}

/// Marks one read (already read stays as it was).
pub async fn mark_read(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let done = sqlx::query!(
        "UPDATE notifications SET read_at = coalesce(read_at, now())
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        id,
        owner,
    )
    .execute(pool)
    .await?;
    ServiceError::one_row(done, "Notification")
}

/// Marks every unread one read; returns how many.
pub async fn mark_all_read(pool: &PgPool, owner: Uuid) -> Result<u64, ServiceError> {
    Ok(sqlx::query!(
        "UPDATE notifications SET read_at = now()
         WHERE owner_id = $1 AND read_at IS NULL AND deleted_at IS NULL",
        owner,
    )
    .execute(pool)
    .await?
    .rows_affected())
}
