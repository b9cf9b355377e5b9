//! Trained models: list (filtered), show with the job's summary and the
//! version chain, edit, soft delete, download links and the tar.gz bundle.
//! Every query is scoped by owner.

pub mod bundle;
pub mod cleanup;
pub mod download;
pub mod versions;

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::models::{Model, ModelDetail, ModelFilter, ModelUpdate};
use chrono::{DateTime, Utc};
use uuid::Uuid;

const SELECT: &str = "SELECT m.id, m.name, m.description, m.base_model, m.job_id, j.dataset_id,
        d.name AS dataset_name, m.parent_model_id, m.size_bytes, m.quality_metrics,
        m.quality_rating, m.created_at
     FROM model_artifacts m
     JOIN training_jobs j ON j.id = m.job_id AND j.owner_id = m.owner_id
     JOIN datasets d ON d.id = j.dataset_id AND d.owner_id = m.owner_id";

#[derive(sqlx::FromRow)]
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

pub async fn list(
    services: &Services,
    owner: Uuid,
    filter: &ModelFilter,
) -> Result<Vec<Model>, ServiceError> {
    if filter.min_rating.is_some_and(|r| !(1..=5).contains(&r)) {
        return Err(ServiceError::Invalid {
            field: "min_rating",
            message: "The lowest rating is a whole number from 1 to 5.".into(),
        });
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.owner_id = $1 AND m.deleted_at IS NULL
           AND ($2::text IS NULL OR m.name ILIKE $2 OR m.description ILIKE $2
                OR d.name ILIKE $2 OR m.base_model ILIKE $2)
           AND ($3::text IS NULL OR m.base_model = $3)
           AND ($4::smallint IS NULL OR m.quality_rating >= $4)
         ORDER BY m.created_at DESC LIMIT 200"
    )))
    .bind(owner)
    .bind(crate::db::search_pattern(filter.q.as_deref()))
    .bind(filter.base_model.as_deref().filter(|b| !b.is_empty()))
    .bind(filter.min_rating.map(i16::from))
    .fetch_all(&services.pool)
    .await?;
    Ok(rows.into_iter().map(Model::from).collect())
}

pub async fn get(services: &Services, owner: Uuid, id: Uuid) -> Result<Model, ServiceError> {
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.id = $1 AND m.owner_id = $2 AND m.deleted_at IS NULL"
    )))
    .bind(id)
    .bind(owner)
    .fetch_optional(&services.pool)
    .await?
    .ok_or(ServiceError::NotFound("Model"))?;
    Ok(row.into())
}

/// The model page: the model, its job's summary and curves, and its versions.
pub async fn detail(
    services: &Services,
    owner: Uuid,
    id: Uuid,
) -> Result<ModelDetail, ServiceError> {
    let model = get(services, owner, id).await?;
    let job = crate::jobs::get(services, owner, model.job_id).await?;
    let lineage = versions::lineage(&services.pool, owner, id).await?;
    let children = versions::children(&services.pool, owner, id).await?;
    Ok(ModelDetail {
        model,
        adapter: job.kept_adapter(),
        job,
        lineage,
        children,
    })
}

pub async fn update(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    change: ModelUpdate,
) -> Result<Model, ServiceError> {
    let change = change
        .validated()
        .map_err(|(field, message)| ServiceError::Invalid { field, message })?;
    let done = sqlx::query(
        "UPDATE model_artifacts SET name = coalesce($3, name),
             description = CASE WHEN $4::text IS NULL THEN description ELSE nullif($4, '') END,
             updated_at = now()
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(owner)
    .bind(change.name)
    .bind(change.description)
    .execute(&services.pool)
    .await?;
    ServiceError::one_row(done, "Model")?;
    get(services, owner, id).await
}

/// Soft delete: the model leaves every list at once; its objects go on the
/// next cleanup pass. Models continued from it keep their own weights.
/// Deletes the model unless a queued or running job continues it (409
/// naming the job): its files would go while that job still needs them.
pub async fn delete(services: &Services, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let mut tx = services.pool.begin().await?;
    let live: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM model_artifacts WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL
         FOR UPDATE",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut *tx)
    .await?;
    live.ok_or(ServiceError::NotFound("Model"))?;
    let continuing = "j.parent_model_id = $1";
    if let Some(job) = crate::jobs::queries::active_user(&mut tx, owner, id, continuing).await? {
        return Err(crate::jobs::queries::in_use("model", job));
    }
    sqlx::query("UPDATE model_artifacts SET deleted_at = now(), updated_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    services.wake_workers();
    Ok(())
}

/// The adapter files in storage under `prefix`, in `ARTIFACTS` order:
/// (file name, object key, size). Missing ones are left out.
pub(crate) async fn stored_files(
    services: &Services,
    prefix: &str,
) -> Result<Vec<(&'static str, String, u64)>, ServiceError> {
    let mut files = Vec::new();
    for name in crate::jobs::spec::ARTIFACTS {
        let key = format!("{prefix}{name}");
        if let Some(size) = services.storage.size(&key).await? {
            files.push((*name, key, size));
        }
    }
    Ok(files)
}

/// Where a live model's files are, for its owner.
pub(crate) async fn storage_prefix(
    services: &Services,
    owner: Uuid,
    id: Uuid,
) -> Result<String, ServiceError> {
    sqlx::query_scalar(
        "SELECT storage_prefix FROM model_artifacts WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&services.pool)
    .await?
    .ok_or(ServiceError::NotFound("Model"))
}
