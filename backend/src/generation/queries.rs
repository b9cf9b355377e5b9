//! The SQL of generation: the owner's live models, the ones whose adapter
//! files are still in storage. Scoped by owner in every statement.

use crate::error::ServiceError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// What answering with a trained model needs: its base model and where its
/// adapter is stored.
pub struct AdapterRow {
    pub base_model: String,
    pub storage_prefix: String,
}

pub async fn adapter(
    pool: &PgPool,
    owner: Uuid,
    model: Uuid,
) -> Result<Option<AdapterRow>, ServiceError> {
    Ok(sqlx::query_as!(
        AdapterRow,
        "SELECT base_model, storage_prefix FROM model_artifacts
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL AND objects_removed_at IS NULL",
        model,
        owner,
    )
    .fetch_optional(pool)
    .await?)
}

/// A trained model as the model list names it.
pub struct ModelRow {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub email: String,
}

/// The owner's trained models, newest first (at most 1,000).
pub async fn models(pool: &PgPool, owner: Uuid) -> Result<Vec<ModelRow>, ServiceError> {
    Ok(sqlx::query_as!(
        ModelRow,
        "SELECT m.id, m.created_at, u.email FROM model_artifacts m
         JOIN users u ON u.id = m.owner_id
         WHERE m.owner_id = $1 AND m.deleted_at IS NULL AND m.objects_removed_at IS NULL
         ORDER BY m.created_at DESC LIMIT 1000",
        owner,
    )
    .fetch_all(pool)
    .await?)
}
