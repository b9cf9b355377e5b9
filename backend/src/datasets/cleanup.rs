//! Removes what users abandoned: uploads never confirmed within the URL's
//! lifetime (row and any partial object), and the objects of deleted datasets.

use super::UPLOAD_TTL;
use crate::error::ServiceError;
use crate::services::Services;
use uuid::Uuid;

/// One pass; returns how many datasets it cleaned.
pub async fn tick(services: &Services) -> Result<usize, ServiceError> {
    let stale: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, storage_key FROM datasets
         WHERE (status = 'pending_upload' AND deleted_at IS NULL AND created_at < now() - make_interval(secs => $1))
            OR (deleted_at IS NOT NULL AND storage_key <> '')
         LIMIT 100",
    )
    .bind(UPLOAD_TTL.as_secs_f64() + 60.0)
    .fetch_all(&services.pool)
    .await?;
    for (id, key) in &stale {
        super::delete_objects(services, key).await?;
        // An abandoned upload leaves no row; a deleted dataset keeps its row
        // (jobs may refer to it) without an object.
        sqlx::query("DELETE FROM datasets WHERE id = $1 AND status = 'pending_upload' AND deleted_at IS NULL")
            .bind(id)
            .execute(&services.pool)
            .await?;
        sqlx::query(
            "UPDATE datasets SET storage_key = '' WHERE id = $1 AND deleted_at IS NOT NULL",
        )
        .bind(id)
        .execute(&services.pool)
        .await?;
    }
    Ok(stale.len())
}

/// Cancels one pending upload now (the wizard's Cancel): row and object go.
pub async fn cancel_upload(services: &Services, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let key: Option<String> = sqlx::query_scalar(
        "DELETE FROM datasets WHERE id = $1 AND owner_id = $2 AND status = 'pending_upload' RETURNING storage_key",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&services.pool)
    .await?;
    match key {
        Some(key) => super::delete_objects(services, &key).await,
        None => Err(ServiceError::NotFound("Pending upload")),
    }
}
