//! Model versions: a model continued from another records it as its parent;
//! the page shows the chain back to the first and the models continued from it.

use crate::error::ServiceError;
use brightrun::models::ModelVersion;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

type Row = (Uuid, String, Option<Uuid>, Option<i16>, DateTime<Utc>);

fn version(r: Row) -> ModelVersion {
    ModelVersion {
        id: r.0,
        name: r.1,
        parent_model_id: r.2,
        rating: r.3.map(|n| n.clamp(1, 5) as u8),
        created_at: r.4,
    }
}

/// The model and its ancestors, oldest first. Deleted ancestors are still
/// named (the chain stays readable), never another owner's.
pub async fn lineage(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<Vec<ModelVersion>, ServiceError> {
    let rows: Vec<Row> = sqlx::query_as(
        "WITH RECURSIVE chain(id, depth) AS (
             SELECT id, 0 FROM model_artifacts WHERE id = $1 AND owner_id = $2
             UNION ALL
             SELECT m.parent_model_id, c.depth + 1
             FROM chain c JOIN model_artifacts m ON m.id = c.id AND m.owner_id = $2
             WHERE m.parent_model_id IS NOT NULL AND c.depth < 100
         )
         SELECT m.id, m.name, m.parent_model_id, m.quality_rating, m.created_at
         FROM chain c JOIN model_artifacts m ON m.id = c.id AND m.owner_id = $2
         ORDER BY c.depth DESC",
    )
    .bind(id)
    .bind(owner)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(version).collect())
}

pub async fn children(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<Vec<ModelVersion>, ServiceError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, parent_model_id, quality_rating, created_at FROM model_artifacts
         WHERE parent_model_id = $1 AND owner_id = $2 AND deleted_at IS NULL
         ORDER BY created_at",
    )
    .bind(id)
    .bind(owner)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(version).collect())
}
