//! Trained models: list and show, scoped by owner. The poller writes them
//! (one per completed job); downloads and versions build on these.

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::models::Model;
use chrono::{DateTime, Utc};
use uuid::Uuid;

const SELECT: &str = "SELECT m.id, m.name, m.description, m.base_model, m.job_id, j.dataset_id,
        d.name AS dataset_name, m.parent_model_id, m.size_bytes, m.quality_metrics,
        m.quality_rating, m.created_at
     FROM model_artifacts m
     JOIN training_jobs j ON j.id = m.job_id
     JOIN datasets d ON d.id = j.dataset_id";

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

pub async fn list(services: &Services, owner: Uuid) -> Result<Vec<Model>, ServiceError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.owner_id = $1 AND m.deleted_at IS NULL ORDER BY m.created_at DESC LIMIT 200"
    )))
    .bind(owner)
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
