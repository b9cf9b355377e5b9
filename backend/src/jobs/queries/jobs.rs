//! The job rows a user creates and reads: the new job, one job, a page of
//! them, and what creating one reads (its dataset's name, the model it
//! continues). Every statement has `owner_id` in its WHERE clause; another
//! user's id is simply not found.

use crate::error::ServiceError;
use brightrun::jobs::{Job, JobFilter};
use brightrun::training::{Estimate, Preset, TrainingConfig};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A job as the user sees it, with its dataset's name and its model.
struct JobRow {
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

/// `SELECT`s [`JobRow`]s, the WHERE clause (and what follows) given as a
/// literal: the columns and joins are written once.
macro_rules! select_jobs {
    ($tail:literal, $($arg:expr),+ $(,)?) => {
        sqlx::query_as!(
            JobRow,
            r#"SELECT j.id, j.name, j.dataset_id, d.name AS dataset_name, j.base_model, j.status,
                      j.backend, j.gpu_type, j.gpu_count, j.preset, j.current_step, j.total_steps,
                      j.current_epoch, j.current_metrics,
                      j.cost_so_far::float8 AS "cost_so_far!",
                      (j.estimate->>'cost')::float8 AS estimated_cost, j.error_message,
                      j.retry_count, a.id AS "model_id?", j.parent_model_id,
                      j.validation_dataset_id, j.budget_override, j.created_at, j.started_at,
                      j.finished_at
               FROM training_jobs j
               JOIN datasets d ON d.id = j.dataset_id AND d.owner_id = j.owner_id
               LEFT JOIN model_artifacts a ON a.job_id = j.id AND a.owner_id = j.owner_id
                    AND a.deleted_at IS NULL
               "# + $tail,
            $($arg),+
        )
    };
}

impl TryFrom<JobRow> for Job {
    type Error = ServiceError;
    fn try_from(r: JobRow) -> Result<Self, ServiceError> {
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

/// A new queued job, as `jobs::create` checked it.
pub struct NewJobRow<'a> {
    pub id: Uuid,
    pub owner: Uuid,
    pub dataset: Uuid,
    pub name: &'a str,
    pub base_model: &'a str,
    pub backend: &'a str,
    pub preset: Preset,
    pub config: &'a TrainingConfig,
    pub gpu_type: &'a str,
    pub gpu_count: u32,
    pub estimate: &'a Estimate,
    pub budget_override: bool,
    pub parent_model: Option<Uuid>,
    pub validation_dataset: Option<Uuid>,
}

/// Writes a new queued job; one statement, so one transaction.
pub async fn insert(
    executor: impl sqlx::PgExecutor<'_>,
    job: &NewJobRow<'_>,
) -> Result<(), ServiceError> {
    let config =
        serde_json::to_value(job.config).map_err(|e| ServiceError::internal("config", e))?;
    let estimate =
        serde_json::to_value(job.estimate).map_err(|e| ServiceError::internal("estimate", e))?;
    let done = sqlx::query!(
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
        job.id,
        job.owner,
        job.dataset,
        job.name,
        job.base_model,
        job.backend,
        job.preset.as_str(),
        config,
        job.gpu_type,
        job.gpu_count as i32,
        estimate,
        job.estimate.total_steps.min(i32::MAX as u64) as i32,
        job.budget_override,
        job.parent_model,
        job.validation_dataset as Option<Uuid>,
    )
    .execute(executor)
    .await?;
    ServiceError::one_row(done, "Dataset")
}

pub async fn get(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<Job, ServiceError> {
    select_jobs!(
        "WHERE j.id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Job"))?
    .try_into()
}

/// One page of the owner's jobs, newest first, and how many match.
pub async fn page(
    pool: &PgPool,
    owner: Uuid,
    filter: &JobFilter,
    per_page: u32,
    page: u32,
) -> Result<(Vec<Job>, i64), ServiceError> {
    let q = crate::db::search_pattern(filter.q.as_deref());
    let status = filter.status.map(|s| s.as_str());
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM training_jobs j
           JOIN datasets d ON d.id = j.dataset_id AND d.owner_id = j.owner_id
           WHERE j.owner_id = $1 AND j.deleted_at IS NULL
             AND ($2::text IS NULL OR j.status = $2)
             AND ($3::text IS NULL OR j.name ILIKE $3 OR d.name ILIKE $3 OR j.base_model ILIKE $3)"#,
        owner,
        status,
        q.as_deref(),
    )
    .fetch_one(pool)
    .await?;
    let rows = select_jobs!(
        "WHERE j.owner_id = $1 AND j.deleted_at IS NULL
           AND ($2::text IS NULL OR j.status = $2)
           AND ($3::text IS NULL OR j.name ILIKE $3 OR d.name ILIKE $3 OR j.base_model ILIKE $3)
         ORDER BY j.created_at DESC, j.id LIMIT $4 OFFSET $5",
        owner,
        status,
        q.as_deref(),
        i64::from(per_page),
        crate::db::offset(page, per_page),
    )
    .fetch_all(pool)
    .await?;
    let jobs = rows
        .into_iter()
        .map(Job::try_from)
        .collect::<Result<_, _>>()?;
    Ok((jobs, total))
}

/// The config and estimate a job was created with, as stored.
struct ConfigRow {
    hyperparams: serde_json::Value,
    estimate: Option<serde_json::Value>,
}

/// The config and estimate the job was created with.
pub async fn config_and_estimate(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<(TrainingConfig, Option<Estimate>), ServiceError> {
    let row = sqlx::query_as!(
        ConfigRow,
        "SELECT hyperparams, estimate FROM training_jobs
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Job"))?;
    Ok((
        serde_json::from_value(row.hyperparams)
            .map_err(|e| ServiceError::internal("job config", e))?,
        row.estimate.and_then(|e| serde_json::from_value(e).ok()),
    ))
}

/// The name of the owner's dataset (a new job's default name starts with it).
pub async fn dataset_name(
    pool: &PgPool,
    owner: Uuid,
    dataset: Uuid,
) -> Result<String, ServiceError> {
    Ok(sqlx::query_scalar!(
        "SELECT name FROM datasets WHERE id = $1 AND owner_id = $2",
        dataset,
        owner,
    )
    .fetch_one(pool)
    .await?)
}

/// The owner's model a new run would continue: its name, base model and
/// the config it was trained with.
pub struct ParentRow {
    pub name: String,
    pub base_model: String,
    pub hyperparams: serde_json::Value,
}

pub async fn parent(pool: &PgPool, owner: Uuid, model: Uuid) -> Result<ParentRow, ServiceError> {
    sqlx::query_as!(
        ParentRow,
        "SELECT m.name, m.base_model, j.hyperparams FROM model_artifacts m
         JOIN training_jobs j ON j.id = m.job_id AND j.owner_id = m.owner_id
         WHERE m.id = $1 AND m.owner_id = $2 AND m.deleted_at IS NULL",
        model,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Model"))
}
