//! Notifications: what the header bell and `/notifications` read. Scoped by
//! owner in every query.

use crate::error::ServiceError;
use sqlx::PgPool;
use uuid::Uuid;

pub async fn unread_count(pool: &PgPool, owner: Uuid) -> Result<i64, ServiceError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM notifications
         WHERE owner_id = $1 AND read_at IS NULL AND deleted_at IS NULL",
    )
    .bind(owner)
    .fetch_one(pool)
    .await?)
}
