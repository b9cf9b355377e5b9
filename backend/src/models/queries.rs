//! The SQL of trained models: compile-checked statements, one function each.
//! Every statement on a user's rows has `owner_id` in its WHERE clause;
//! another user's id is simply not found.

use crate::error::ServiceError;
use crate::jobs::queries::Used;
use brightrun::models::{Model, ModelFilter, ModelVersion};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A model as the lists and the model page show it, with its job's dataset.
struct Row {
    id: Uuid,
    name: String,
    description: Option<String>,
    base_model: String,
    job_id: Uuid,
    dataset_id: Uuid,
    dataset_name: String,
    parent_model_id: Option<Uuid>,
    size_bytes: i64,
    quality_metrics: Option<serde_json::Value>,
    quality_rating: Option<i16>,
    created_at: DateTime<Utc>,
}

/// `sqlx::query_as!` into [`Row`]: the columns and joins written once,
/// followed by `$rest` (the WHERE clause and any order).
macro_rules! model_query {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            "SELECT m.id, m.name, m.description, m.base_model, m.job_id, j.dataset_id,
                    d.name AS dataset_name, m.parent_model_id, m.size_bytes, m.quality_metrics,
                    m.quality_rating, m.created_at
             FROM model_artifacts m
             JOIN training_jobs j ON j.id = m.job_id AND j.owner_id = m.owner_id
             JOIN datasets d ON d.id = j.dataset_id AND d.owner_id = m.owner_id "
                + $rest
            $(, $arg)*
        )
    };
}

impl From<Row> for Model {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            name: r.name,
            description: r.description,
            base_model: r.base_model,
            job_id: r.job_id,
            dataset_id: r.dataset_id,
            dataset_name: r.dataset_name,
            parent_model_id: r.parent_model_id,
            size_bytes: r.size_bytes.max(0) as u64,
            quality: r
                .quality_metrics
                .and_then(|q| serde_json::from_value(q).ok()),
            rating: r.quality_rating.map(|n| n.clamp(1, 5) as u8),
            created_at: r.created_at,
        }
    }
}

/// The owner's live models, newest first, at most 200.
pub async fn list(
    pool: &PgPool,
    owner: Uuid,
    filter: &ModelFilter,
) -> Result<Vec<Model>, ServiceError> {
    let rows = model_query!(
        "WHERE m.owner_id = $1 AND m.deleted_at IS NULL
           AND ($2::text IS NULL OR m.name ILIKE $2 OR m.description ILIKE $2
                OR d.name ILIKE $2 OR m.base_model ILIKE $2)
           AND ($3::text IS NULL OR m.base_model = $3)
           AND ($4::smallint IS NULL OR m.quality_rating >= $4)
         ORDER BY m.created_at DESC LIMIT 200",
        owner,
        crate::db::search_pattern(filter.q.as_deref()),
        filter.base_model.as_deref().filter(|b| !b.is_empty()),
        filter.min_rating.map(i16::from),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Model::from).collect())
}

pub async fn get(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<Model, ServiceError> {
    let row = model_query!(
        "WHERE m.id = $1 AND m.owner_id = $2 AND m.deleted_at IS NULL",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Model"))?;
    Ok(row.into())
}

/// Sets the name and the description where given (an empty description
/// clears it).
pub async fn update_text(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<(), ServiceError> {
    let done = sqlx::query!(
        "UPDATE model_artifacts SET name = coalesce($3, name),
             description = CASE WHEN $4::text IS NULL THEN description ELSE nullif($4, '') END,
             updated_at = now()
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        id,
        owner,
        name,
        description,
    )
    .execute(pool)
    .await?;
    ServiceError::one_row(done, "Model")
}

/// Deletes the model unless a queued or running job continues it (409
/// naming the job): its files would go while that job still needs them.
/// The row is locked first, so a job being created on it either commits
/// before (and is seen) or finds it deleted.
pub async fn soft_delete(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let mut tx = pool.begin().await?;
    sqlx::query_scalar!(
        "SELECT id FROM model_artifacts WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL
         FOR UPDATE",
        id,
        owner,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ServiceError::NotFound("Model"))?;
    if let Some(job) = crate::jobs::queries::active_using(&mut tx, owner, Used::Model(id)).await? {
        return Err(crate::jobs::queries::in_use("model", job));
    }
    sqlx::query!(
        "UPDATE model_artifacts SET deleted_at = now(), updated_at = now() WHERE id = $1",
        id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Where a live model's files are, and its name.
pub struct Stored {
    pub name: String,
    pub storage_prefix: String,
}

/// A live model's name and storage prefix, for its owner.
pub async fn stored(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<Stored, ServiceError> {
    sqlx::query_as!(
        Stored,
        "SELECT name, storage_prefix FROM model_artifacts
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Model"))
}

/// A row of a model's version chain.
struct VersionRow {
    id: Uuid,
    name: String,
    parent_model_id: Option<Uuid>,
    quality_rating: Option<i16>,
    created_at: DateTime<Utc>,
}

impl From<VersionRow> for ModelVersion {
    fn from(r: VersionRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            parent_model_id: r.parent_model_id,
            rating: r.quality_rating.map(|n| n.clamp(1, 5) as u8),
            created_at: r.created_at,
        }
    }
}

/// The model and its ancestors, oldest first. Deleted ancestors are still
/// named (the chain stays readable), never another owner's.
pub async fn lineage(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<Vec<ModelVersion>, ServiceError> {
    let rows = sqlx::query_as!(
        VersionRow,
        r#"WITH RECURSIVE chain(id, depth) AS (
               SELECT id, 0 FROM model_artifacts WHERE id = $1 AND owner_id = $2
               UNION ALL
               SELECT m.parent_model_id, c.depth + 1
               FROM chain c JOIN model_artifacts m ON m.id = c.id AND m.owner_id = $2
               WHERE m.parent_model_id IS NOT NULL AND c.depth < 100
           )
           SELECT m.id AS "id!", m.name AS "name!", m.parent_model_id,
                  m.quality_rating, m.created_at AS "created_at!"
           FROM chain c JOIN model_artifacts m ON m.id = c.id AND m.owner_id = $2
           ORDER BY c.depth DESC"#,
        id,
        owner,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(ModelVersion::from).collect())
}

/// The owner's live models continued from this one, oldest first.
pub async fn children(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<Vec<ModelVersion>, ServiceError> {
    let rows = sqlx::query_as!(
        VersionRow,
        "SELECT id, name, parent_model_id, quality_rating, created_at FROM model_artifacts
         WHERE parent_model_id = $1 AND owner_id = $2 AND deleted_at IS NULL
         ORDER BY created_at",
        id,
        owner,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(ModelVersion::from).collect())
}

/// A deleted model whose objects are still in storage.
pub struct Deleted {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub storage_prefix: String,
}

/// Up to 100 deleted models whose objects have not been removed yet.
pub async fn deleted_with_objects(pool: &PgPool) -> Result<Vec<Deleted>, ServiceError> {
    Ok(sqlx::query_as!(
        Deleted,
        "SELECT id, owner_id, storage_prefix FROM model_artifacts
         WHERE deleted_at IS NOT NULL AND objects_removed_at IS NULL LIMIT 100",
    )
    .fetch_all(pool)
    .await?)
}

/// Marks a deleted model's objects removed; its row stays.
pub async fn objects_removed(pool: &PgPool, id: Uuid) -> Result<(), ServiceError> {
    sqlx::query!(
        "UPDATE model_artifacts SET objects_removed_at = now() WHERE id = $1",
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}
