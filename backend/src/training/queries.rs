//! The SQL of the configure page and the estimate: the owner's ready
//! datasets and their statistics, and the speed of the owner's finished
//! jobs. Scoped by owner in every statement.

use crate::error::ServiceError;
use sqlx::PgPool;
use uuid::Uuid;

/// A dataset as the configure page offers it (`stats` as stored).
pub struct ReadyRow {
    pub id: Uuid,
    pub name: String,
    pub stats: Option<serde_json::Value>,
}

/// The owner's ready datasets, newest first.
pub async fn ready_datasets(pool: &PgPool, owner: Uuid) -> Result<Vec<ReadyRow>, ServiceError> {
    Ok(sqlx::query_as!(
        ReadyRow,
        "SELECT id, name, stats FROM datasets
         WHERE owner_id = $1 AND status = 'ready' AND deleted_at IS NULL
         ORDER BY created_at DESC",
        owner,
    )
    .fetch_all(pool)
    .await?)
}

/// A dataset's status and statistics.
pub struct StatsRow {
    pub status: String,
    pub stats: Option<serde_json::Value>,
}

pub async fn dataset_stats(
    pool: &PgPool,
    owner: Uuid,
    dataset: Uuid,
) -> Result<Option<StatsRow>, ServiceError> {
    Ok(sqlx::query_as!(
        StatsRow,
        "SELECT status, stats FROM datasets WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        dataset,
        owner,
    )
    .fetch_optional(pool)
    .await?)
}

/// Mean tokens/s over the owner's completed runs of one setup, and how many runs.
pub struct SpeedRow {
    pub tokens_per_second: Option<f64>,
    pub runs: i64,
}

pub async fn speed(
    pool: &PgPool,
    owner: Uuid,
    gpu_type: &str,
    gpu_count: u32,
    base_model: &str,
) -> Result<SpeedRow, ServiceError> {
    Ok(sqlx::query_as!(
        SpeedRow,
        r#"SELECT avg(run.tps) AS tokens_per_second, count(*) AS "runs!" FROM (
               SELECT avg(m.tokens_per_second)::float8 AS tps
               FROM training_jobs j JOIN metrics_points m ON m.job_id = j.id
               WHERE j.owner_id = $1 AND j.status = 'completed' AND j.gpu_type = $2
                 AND j.gpu_count = $3 AND j.base_model = $4 AND j.deleted_at IS NULL
                 AND m.tokens_per_second > 0
               GROUP BY j.id) run"#,
        owner,
        gpu_type,
        gpu_count as i32,
        base_model,
    )
    .fetch_one(pool)
    .await?)
}
