//! The dashboard's numbers, one query, scoped by owner.

use crate::error::ServiceError;
use brightrun::dashboard::DashboardSummary;
use sqlx::PgPool;
use uuid::Uuid;

pub async fn summary(pool: &PgPool, owner: Uuid) -> Result<DashboardSummary, ServiceError> {
    let (datasets, ready, active, models, cost): (i64, i64, i64, i64, f64) = sqlx::query_as(
        "SELECT
            (SELECT count(*) FROM datasets WHERE owner_id = $1 AND deleted_at IS NULL),
            (SELECT count(*) FROM datasets WHERE owner_id = $1 AND deleted_at IS NULL AND status = 'ready'),
            (SELECT count(*) FROM training_jobs WHERE owner_id = $1 AND deleted_at IS NULL
                AND status IN ('queued', 'initializing', 'running')),
            (SELECT count(*) FROM model_artifacts WHERE owner_id = $1 AND deleted_at IS NULL),
            (SELECT COALESCE(sum(amount), 0)::float8 FROM cost_records WHERE owner_id = $1 AND deleted_at IS NULL
                AND period_start >= date_trunc('month', now()))",
    )
    .bind(owner)
    .fetch_one(pool)
    .await?;
    Ok(DashboardSummary {
        datasets: datasets as u64,
        ready_datasets: ready as u64,
        active_jobs: active as u64,
        models: models as u64,
        month_cost: cost,
    })
}
