//! The SQL of jobs the user reads. Every statement on a user's rows has
//! `owner_id` in its WHERE clause; another user's id is simply not found.

use crate::error::ServiceError;
use brightrun::jobs::{Job, JobFilter, JobPage, MetricPoint};
use brightrun::training::{Estimate, Preset, TrainingConfig};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

const COLUMNS: &str = "j.id, j.name, j.dataset_id, d.name AS dataset_name, j.base_model, j.status, \
    j.backend, j.gpu_type, j.gpu_count, j.preset, j.current_step, j.total_steps, j.current_epoch, \
    j.current_metrics, j.cost_so_far::float8 AS cost_so_far, \
    (j.estimate->>'cost')::float8 AS estimated_cost, j.error_message, j.retry_count, \
    a.id AS model_id, j.parent_model_id, j.validation_dataset_id, j.budget_override, j.created_at, j.started_at, j.finished_at";

const FROM: &str = "training_jobs j \
    JOIN datasets d ON d.id = j.dataset_id AND d.owner_id = j.owner_id \
    LEFT JOIN model_artifacts a ON a.job_id = j.id AND a.owner_id = j.owner_id \
        AND a.deleted_at IS NULL";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    dataset_id: Uuid,
    dataset_name: String,
    base_model: String,
    status: String,
    backend: String,
    gpu_type: String,
    gpu_count: i32,
    preset: String,
    current_step: i32,
    total_steps: Option<i32>,
    current_epoch: Option<f32>,
    current_metrics: Option<serde_json::Value>,
    cost_so_far: f64,
    estimated_cost: Option<f64>,
    error_message: Option<String>,
    retry_count: i32,
    model_id: Option<Uuid>,
    parent_model_id: Option<Uuid>,
    validation_dataset_id: Option<Uuid>,
    budget_override: bool,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<Row> for Job {
    type Error = ServiceError;
    fn try_from(r: Row) -> Result<Self, ServiceError> {
        let eta_s = r
            .current_metrics
            .as_ref()
            .and_then(|m| m.get("eta_s"))
            .and_then(|v| v.as_f64());
        Ok(Self {
            id: r.id,
            name: r.name,
            dataset_id: r.dataset_id,
            dataset_name: r.dataset_name,
            base_model: r.base_model,
            status: r
                .status
                .parse()
                .map_err(|e| ServiceError::internal("job row", e))?,
            backend: r.backend,
            gpu_type: r.gpu_type,
            gpu_count: r.gpu_count.max(1) as u32,
            preset: Preset::parse(&r.preset).unwrap_or(Preset::Custom),
            current_step: r.current_step.max(0) as u32,
            total_steps: r.total_steps.map(|n| n.max(0) as u32),
            current_epoch: r.current_epoch.map(f64::from),
            current_metrics: r
                .current_metrics
                .and_then(|m| serde_json::from_value(m).ok()),
            eta_s,
            cost_so_far: r.cost_so_far,
            estimated_cost: r.estimated_cost,
            error_message: r.error_message,
            retry_count: r.retry_count.max(0) as u32,
            model_id: r.model_id,
            parent_model_id: r.parent_model_id,
            validation_dataset_id: r.validation_dataset_id,
            budget_override: r.budget_override,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

/// Writes a new queued job; one statement, so one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    executor: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    owner: Uuid,
    dataset: Uuid,
    name: &str,
    base_model: &str,
    backend: &str,
    preset: Preset,
    config: &TrainingConfig,
    gpu_type: &str,
    gpu_count: u32,
    estimate: &Estimate,
    budget_override: bool,
    parent_model: Option<Uuid>,
    validation_dataset: Option<Uuid>,
) -> Result<(), ServiceError> {
    let done = sqlx::query(
        // Only while the dataset is live: its row is share-locked until the
        // insert commits, so a concurrent delete waits and then sees the job.
        "INSERT INTO training_jobs (id, owner_id, dataset_id, name, base_model, backend, preset,
             hyperparams, gpu_type, gpu_count, estimate, total_steps, budget_override, parent_model_id,
             validation_dataset_id)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15
         FROM datasets d WHERE d.id = $3 AND d.owner_id = $2 AND d.deleted_at IS NULL
           AND ($15::uuid IS NULL OR EXISTS (SELECT 1 FROM datasets v
                WHERE v.id = $15 AND v.owner_id = $2 AND v.deleted_at IS NULL))
         FOR SHARE OF d",
    )
    .bind(id)
    .bind(owner)
    .bind(dataset)
    .bind(name)
    .bind(base_model)
    .bind(backend)
    .bind(preset.as_str())
    .bind(serde_json::to_value(config).map_err(|e| ServiceError::internal("config", e))?)
    .bind(gpu_type)
    .bind(gpu_count as i32)
    .bind(serde_json::to_value(estimate).map_err(|e| ServiceError::internal("estimate", e))?)
    .bind(estimate.total_steps.min(i32::MAX as u64) as i32)
    .bind(budget_override)
    .bind(parent_model)
    .bind(validation_dataset)
    .execute(executor)
    .await?;
    ServiceError::one_row(done, "Dataset")
}

/// The first queued or running job of `owner` that `condition` (on `j`,
/// with `$1` the row in question) selects: (name, status).
pub async fn active_user(
    tx: &mut sqlx::PgConnection,
    owner: Uuid,
    id: Uuid,
    condition: &'static str,
) -> Result<Option<(String, String)>, ServiceError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT j.name, j.status FROM training_jobs j
         WHERE {condition} AND j.owner_id = $2 AND j.deleted_at IS NULL
           AND j.status IN ('queued', 'initializing', 'running')
         ORDER BY j.created_at LIMIT 1"
    )))
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut *tx)
    .await?)
}

/// 409 naming the job that still needs what is being deleted.
pub fn in_use(what: &str, job: (String, String)) -> ServiceError {
    ServiceError::Conflict(format!(
        "The job \"{}\" ({}) uses this {what}; cancel it or let it finish, then delete the {what}.",
        job.0, job.1
    ))
}

pub async fn get(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<Job, ServiceError> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE j.id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL"
    )))
    .bind(id)
    .bind(owner)
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Job"))?
    .try_into()
}

/// The config and estimate the job was created with.
pub async fn config_and_estimate(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<(TrainingConfig, Option<Estimate>), ServiceError> {
    let (config, estimate): (serde_json::Value, Option<serde_json::Value>) = sqlx::query_as(
        "SELECT hyperparams, estimate FROM training_jobs
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Job"))?;
    Ok((
        serde_json::from_value(config).map_err(|e| ServiceError::internal("job config", e))?,
        estimate.and_then(|e| serde_json::from_value(e).ok()),
    ))
}

pub async fn list(pool: &PgPool, owner: Uuid, filter: &JobFilter) -> Result<JobPage, ServiceError> {
    let per_page = filter.per_page.unwrap_or(20).clamp(1, 100);
    let page = filter.page.unwrap_or(1).max(1);
    let q = crate::db::search_pattern(filter.q.as_deref());
    let status = filter.status.map(|s| s.as_str());
    let cond = "j.owner_id = $1 AND j.deleted_at IS NULL
         AND ($2::text IS NULL OR j.status = $2)
         AND ($3::text IS NULL OR j.name ILIKE $3 OR d.name ILIKE $3 OR j.base_model ILIKE $3)";
    let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {FROM} WHERE {cond}"
    )))
    .bind(owner)
    .bind(status)
    .bind(&q)
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE {cond}
         ORDER BY j.created_at DESC, j.id LIMIT $4 OFFSET $5"
    )))
    .bind(owner)
    .bind(status)
    .bind(&q)
    .bind(per_page as i64)
    .bind(crate::db::offset(page, per_page))
    .fetch_all(pool)
    .await?;
    Ok(JobPage {
        jobs: rows
            .into_iter()
            .map(Job::try_from)
            .collect::<Result<_, _>>()?,
        total: total.max(0) as u64,
        page,
        per_page,
    })
}

#[derive(sqlx::FromRow)]
struct PointRow {
    step: i32,
    epoch: Option<f32>,
    train_loss: Option<f32>,
    eval_loss: Option<f32>,
    learning_rate: Option<f32>,
    tokens_per_second: Option<f32>,
    grad_norm: Option<f32>,
}

impl From<PointRow> for MetricPoint {
    fn from(r: PointRow) -> Self {
        Self {
            step: r.step.max(0) as u32,
            epoch: r.epoch.map(f64::from),
            train_loss: r.train_loss.map(f64::from),
            eval_loss: r.eval_loss.map(f64::from),
            learning_rate: r.learning_rate.map(f64::from),
            tokens_per_second: r.tokens_per_second.map(f64::from),
            grad_norm: r.grad_norm.map(f64::from),
        }
    }
}

const POINT_COLUMNS: &str = "m.step, m.epoch, m.train_loss, m.eval_loss, m.learning_rate,
    m.tokens_per_second, m.grad_norm";
const POINTS_OF_JOB: &str = "metrics_points m JOIN training_jobs j ON j.id = m.job_id
    WHERE m.job_id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL";

/// At most `limit` of the job's points after `after_step`, in step order;
/// the job must be the owner's.
pub async fn metrics(
    pool: &PgPool,
    owner: Uuid,
    job: Uuid,
    after_step: Option<u32>,
    limit: u32,
) -> Result<Vec<MetricPoint>, ServiceError> {
    let rows = sqlx::query_as::<_, PointRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {POINT_COLUMNS} FROM {POINTS_OF_JOB}
           AND ($3::int IS NULL OR m.step > $3)
         ORDER BY m.step LIMIT $4"
    )))
    .bind(job)
    .bind(owner)
    .bind(after_step.map(|s| s.min(i32::MAX as u32) as i32))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(MetricPoint::from).collect())
}

/// How many points the job has.
pub async fn metric_count(pool: &PgPool, owner: Uuid, job: Uuid) -> Result<u64, ServiceError> {
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {POINTS_OF_JOB}"
    )))
    .bind(job)
    .bind(owner)
    .fetch_one(pool)
    .await?;
    Ok(n.max(0) as u64)
}

/// The job's points at the given positions (0-based, in step order): a
/// thinned chart without reading every point into memory.
pub async fn metrics_at(
    pool: &PgPool,
    owner: Uuid,
    job: Uuid,
    positions: &[usize],
) -> Result<Vec<MetricPoint>, ServiceError> {
    let positions: Vec<i64> = positions.iter().map(|&p| p as i64).collect();
    let rows = sqlx::query_as::<_, PointRow>(sqlx::AssertSqlSafe(format!(
        "SELECT step, epoch, train_loss, eval_loss, learning_rate, tokens_per_second, grad_norm
         FROM (SELECT {POINT_COLUMNS}, row_number() OVER (ORDER BY m.step) - 1 AS n
               FROM {POINTS_OF_JOB}) p
         WHERE n = ANY($3) ORDER BY step"
    )))
    .bind(job)
    .bind(owner)
    .bind(&positions)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(MetricPoint::from).collect())
}

/// The job's points that carry a validation loss (one per eval interval).
pub async fn eval_points(
    pool: &PgPool,
    owner: Uuid,
    job: Uuid,
) -> Result<Vec<MetricPoint>, ServiceError> {
    let rows = sqlx::query_as::<_, PointRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {POINT_COLUMNS} FROM {POINTS_OF_JOB} AND m.eval_loss IS NOT NULL ORDER BY m.step"
    )))
    .bind(job)
    .bind(owner)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(MetricPoint::from).collect())
}
