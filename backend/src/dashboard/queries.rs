//! The dashboard's SQL: one statement of counts, each scoped by owner.

use crate::error::ServiceError;
use sqlx::PgPool;
use uuid::Uuid;

/// The counts as PostgreSQL returns them.
pub struct Counts {
    pub datasets: i64,
    pub ready_datasets: i64,
    pub active_jobs: i64,
    pub models: i64,
    pub month_cost: f64,
}

pub async fn counts(pool: &PgPool, owner: Uuid) -> Result<Counts, ServiceError> {
    Ok(sqlx::query_as!(
        Counts,
        r#"SELECT
            (SELECT count(*) FROM datasets WHERE owner_id = $1 AND deleted_at IS NULL) AS "datasets!",
            (SELECT count(*) FROM datasets WHERE owner_id = $1 AND deleted_at IS NULL AND status = 'ready')
                AS "ready_datasets!",
            (SELECT count(*) FROM training_jobs WHERE owner_id = $1 AND deleted_at IS NULL
                AND status IN ('queued', 'initializing', 'running')) AS "active_jobs!",
            (SELECT count(*) FROM model_artifacts WHERE owner_id = $1 AND deleted_at IS NULL) AS "models!",
            (SELECT COALESCE(sum(amount), 0)::float8 FROM cost_records WHERE owner_id = $1 AND deleted_at IS NULL
                AND period_start >= date_trunc('month', now())) AS "month_cost!""#,
        owner,
    )
    .fetch_one(pool)
    .await?)
}
