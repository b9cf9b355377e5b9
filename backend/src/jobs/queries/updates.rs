//! What the job monitor's poll reads: the job's version parts (its row and
//! its last point and evaluation, one index probe each, no points read) and
//! the validation points after a step. Owner-scoped like every job read.

use crate::error::ServiceError;
use brightrun::jobs::MetricPoint;
use brightrun::jobs::updates::VersionParts;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

struct VersionRow {
    status: String,
    current_step: i32,
    cost_so_far: f64,
    updated_at: DateTime<Utc>,
    cluster_seen_at: Option<DateTime<Utc>>,
    model_id: Option<Uuid>,
    last_point: Option<i32>,
    last_evaluation: Option<i32>,
}

/// The owner's job's version parts; `NotFound` for another's or none.
pub async fn version(pool: &PgPool, owner: Uuid, job: Uuid) -> Result<VersionParts, ServiceError> {
    let row = sqlx::query_as!(
        VersionRow,
        r#"SELECT j.status, j.current_step, j.cost_so_far::float8 AS "cost_so_far!",
                  j.updated_at, j.cluster_seen_at,
                  (SELECT a.id FROM model_artifacts a
                    WHERE a.job_id = j.id AND a.deleted_at IS NULL) AS model_id,
                  (SELECT m.step FROM metrics_points m WHERE m.job_id = j.id
                    ORDER BY m.step DESC LIMIT 1) AS last_point,
                  (SELECT e.step FROM job_evaluations e WHERE e.job_id = j.id
                    ORDER BY e.step DESC LIMIT 1) AS last_evaluation
           FROM training_jobs j
           WHERE j.id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL"#,
        job,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Job"))?;
    let step = |s: i32| s.max(0) as u32;
    Ok(VersionParts {
        status: row
            .status
            .parse()
            .map_err(|e| ServiceError::internal("job row", e))?,
        current_step: step(row.current_step),
        cost_so_far: row.cost_so_far,
        updated_at: row.updated_at,
        cluster_seen_at: row.cluster_seen_at,
        model_id: row.model_id,
        last_point: row.last_point.map(step),
        last_evaluation: row.last_evaluation.map(step),
    })
}

/// The job's points with a validation loss after `after_step` (all of
/// them for `None`), in step order.
pub async fn eval_points_after(
    pool: &PgPool,
    owner: Uuid,
    job: Uuid,
    after_step: Option<u32>,
) -> Result<Vec<MetricPoint>, ServiceError> {
    let rows = sqlx::query_as!(
        super::points::PointRow,
        "SELECT m.step, m.epoch, m.train_loss, m.eval_loss, m.learning_rate,
                m.tokens_per_second, m.grad_norm
         FROM metrics_points m JOIN training_jobs j ON j.id = m.job_id
         WHERE m.job_id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL
           AND m.eval_loss IS NOT NULL AND ($3::int IS NULL OR m.step > $3)
         ORDER BY m.step",
        job,
        owner,
        after_step.map(|s| s.min(i32::MAX as u32) as i32),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(MetricPoint::from).collect())
}
