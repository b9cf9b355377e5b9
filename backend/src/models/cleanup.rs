//! Removes the objects of deleted models. The row stays (its job and cost
//! records refer to it), marked as emptied.

use crate::error::ServiceError;
use crate::jobs::spec::ARTIFACTS;
use crate::services::Services;
use uuid::Uuid;

/// One pass; returns how many models it emptied.
pub async fn tick(services: &Services) -> Result<usize, ServiceError> {
    let deleted: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, storage_prefix FROM model_artifacts
         WHERE deleted_at IS NOT NULL AND objects_removed_at IS NULL LIMIT 100",
    )
    .fetch_all(&services.pool)
    .await?;
    for (id, prefix) in &deleted {
        for file in ARTIFACTS {
            services.storage.delete(&format!("{prefix}{file}")).await?;
        }
        sqlx::query("UPDATE model_artifacts SET objects_removed_at = now() WHERE id = $1")
            .bind(id)
            .execute(&services.pool)
            .await?;
    }
    Ok(deleted.len())
}
