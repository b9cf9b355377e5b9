//! The poller's SQL: the claim of a tick's jobs and its lease, what a
//! submit reads, and the tick's writes — every job's row in one statement,
//! the compute records in one, a completed job's model artifact. The
//! claim is `FOR UPDATE SKIP LOCKED` with a lease, so several server
//! instances never work on the same job.

use crate::error::ServiceError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// A claimed job as the tick reads it.
#[derive(Debug, Clone)]
pub struct ClaimedRow {
    /// When this tick's claim ends (the same for every job of the tick).
    pub lease_until: DateTime<Utc>,
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub status: String,
    pub external_job_id: Option<String>,
    pub current_step: i32,
    pub total_steps: Option<i32>,
    pub current_epoch: Option<f32>,
    pub model_id: Uuid,
    pub parent_model_id: Option<Uuid>,
    pub base_model: String,
    pub gpu_type: String,
    pub gpu_count: i32,
    pub price_per_hour: Option<f64>,
    pub started_at: Option<DateTime<Utc>>,
    pub cancel_requested_at: Option<DateTime<Utc>>,
    pub cluster_seen_at: Option<DateTime<Utc>>,
    pub billed_until: Option<DateTime<Utc>>,
    pub queued_at: DateTime<Utc>,
    pub retry_count: i32,
    pub attempt: i32,
    pub error_message: Option<String>,
    /// The device the trainer reported it trains on (`DeviceInfo` as JSON).
    pub trained_on: Option<serde_json::Value>,
}

/// Claims up to `limit` active jobs of the `backend` cluster for `lease`,
/// oldest first, skipping those another poller holds.
pub async fn claim(
    pool: &PgPool,
    backend: &str,
    lease: Duration,
    limit: i64,
) -> Result<Vec<ClaimedRow>, ServiceError> {
    Ok(sqlx::query_as!(
        ClaimedRow,
        r#"WITH c AS (
               SELECT id FROM training_jobs
               WHERE status IN ('queued', 'initializing', 'running') AND deleted_at IS NULL
                 AND backend = $3 AND (lease_until IS NULL OR lease_until < now())
               ORDER BY queued_at
               LIMIT $2
               FOR UPDATE SKIP LOCKED)
           UPDATE training_jobs j SET lease_until = now() + make_interval(secs => $1)
           FROM c
           WHERE j.id = c.id
           RETURNING j.id, j.owner_id, j.name, j.status, j.external_job_id, j.current_step,
                     j.total_steps, j.current_epoch, j.model_id, j.parent_model_id, j.base_model,
                     j.gpu_type, j.gpu_count,
                     (j.estimate->>'price_per_hour')::float8 AS price_per_hour,
                     j.started_at, j.cancel_requested_at, j.cluster_seen_at, j.billed_until,
                     j.queued_at, j.retry_count, j.attempt, j.error_message, j.trained_on,
                     j.lease_until AS "lease_until!""#,
        lease.as_secs_f64(),
        limit,
        backend,
    )
    .fetch_all(pool)
    .await?)
}

/// Extends the lease on `ids` that still ends at `until` by `length`;
/// returns the new ends (fewer than `ids` when another poller took some).
pub async fn renew_lease(
    pool: &PgPool,
    ids: &[Uuid],
    until: DateTime<Utc>,
    length: Duration,
) -> Result<Vec<DateTime<Utc>>, ServiceError> {
    Ok(sqlx::query_scalar!(
        r#"UPDATE training_jobs SET lease_until = now() + make_interval(secs => $3)
           WHERE id = ANY($1) AND lease_until = $2
           RETURNING lease_until AS "lease_until!""#,
        ids,
        until,
        length.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?)
}

/// What a job's spec is built from besides its claimed row. `None` keys
/// and prefixes are deleted datasets and models.
pub struct SubmitInputs {
    pub hyperparams: serde_json::Value,
    pub dataset_key: String,
    pub parent_prefix: Option<String>,
    pub has_validation: bool,
    pub validation_key: Option<String>,
}

/// `None` when the job's dataset has been deleted.
pub async fn submit_inputs(pool: &PgPool, job: Uuid) -> Result<Option<SubmitInputs>, sqlx::Error> {
    sqlx::query_as!(
        SubmitInputs,
        r#"SELECT j.hyperparams, d.storage_key AS dataset_key,
                  p.storage_prefix AS "parent_prefix?",
                  j.validation_dataset_id IS NOT NULL AS "has_validation!",
                  v.storage_key AS "validation_key?"
           FROM training_jobs j
           JOIN datasets d ON d.id = j.dataset_id AND d.owner_id = j.owner_id
                AND d.deleted_at IS NULL
           LEFT JOIN datasets v ON v.id = j.validation_dataset_id AND v.owner_id = j.owner_id
                AND v.deleted_at IS NULL
           LEFT JOIN model_artifacts p ON p.id = j.parent_model_id AND p.owner_id = j.owner_id
                AND p.objects_removed_at IS NULL
           WHERE j.id = $1"#,
        job,
    )
    .fetch_optional(pool)
    .await
}

/// A completed job's adapter, as stored.
pub struct NewArtifact<'a> {
    pub id: Uuid,
    pub owner: Uuid,
    pub job: Uuid,
    pub parent: Option<Uuid>,
    pub name: &'a str,
    pub base_model: &'a str,
    pub storage_prefix: String,
    pub size_bytes: i64,
    pub quality_metrics: Option<serde_json::Value>,
    pub quality_rating: Option<i16>,
}

/// Stores a completed job's model; a job's second artifact is ignored.
pub async fn insert_artifact(
    conn: &mut sqlx::PgConnection,
    a: &NewArtifact<'_>,
) -> Result<(), ServiceError> {
    sqlx::query!(
        "INSERT INTO model_artifacts (id, owner_id, job_id, parent_model_id, name, base_model,
             storage_prefix, size_bytes, quality_metrics, quality_rating)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (job_id) DO NOTHING",
        a.id,
        a.owner,
        a.job,
        a.parent,
        a.name,
        a.base_model,
        a.storage_prefix,
        a.size_bytes,
        a.quality_metrics,
        a.quality_rating,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A job's row as the tick leaves it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobWrite {
    pub id: Uuid,
    /// The status the tick read: the row is only written if it still has it.
    pub old_status: &'static str,
    pub status: &'static str,
    pub external: Option<String>,
    pub step: i32,
    pub total: Option<i32>,
    pub epoch: Option<f32>,
    /// `None` keeps the stored metrics.
    pub metrics: Option<serde_json::Value>,
    pub error: Option<String>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub seen: Option<DateTime<Utc>>,
    pub retries: i32,
    pub cost: f64,
    pub billed: Option<DateTime<Utc>>,
    pub trained_on: Option<serde_json::Value>,
}

/// Writes every job's row in one statement and releases its lease.
pub async fn update_jobs(
    conn: &mut sqlx::PgConnection,
    jobs: &[JobWrite],
) -> Result<(), ServiceError> {
    fn col<T>(jobs: &[JobWrite], f: impl Fn(&JobWrite) -> T) -> Vec<T> {
        jobs.iter().map(f).collect()
    }
    sqlx::query!(
        "UPDATE training_jobs j SET status = u.status, external_job_id = u.external,
             current_step = u.step, total_steps = coalesce(u.total, j.total_steps),
             current_epoch = u.epoch, current_metrics = coalesce(u.metrics, j.current_metrics),
             error_message = u.error,
             started_at = u.started, finished_at = u.finished, cluster_seen_at = u.seen,
             retry_count = u.retries, cost_so_far = u.cost::numeric(12, 4), lease_until = NULL,
             billed_until = u.billed, trained_on = u.trained_on,
             updated_at = CASE WHEN u.status <> u.old_status OR u.step <> j.current_step
                               THEN now() ELSE j.updated_at END
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[],
                     $7::real[], $8::jsonb[], $9::text[], $10::timestamptz[], $11::timestamptz[],
                     $12::timestamptz[], $13::int[], $14::float8[], $15::timestamptz[],
                     $16::jsonb[])
              AS u(id, old_status, status, external, step, total, epoch, metrics, error,
                   started, finished, seen, retries, cost, billed, trained_on)
         WHERE j.id = u.id AND j.status = u.old_status",
        &col(jobs, |j| j.id),
        &col(jobs, |j| j.old_status.to_string()),
        &col(jobs, |j| j.status.to_string()),
        &col(jobs, |j| j.external.clone()) as &[Option<String>],
        &col(jobs, |j| j.step),
        &col(jobs, |j| j.total) as &[Option<i32>],
        &col(jobs, |j| j.epoch) as &[Option<f32>],
        &col(jobs, |j| j.metrics.clone()) as &[Option<serde_json::Value>],
        &col(jobs, |j| j.error.clone()) as &[Option<String>],
        &col(jobs, |j| j.started) as &[Option<DateTime<Utc>>],
        &col(jobs, |j| j.finished) as &[Option<DateTime<Utc>>],
        &col(jobs, |j| j.seen) as &[Option<DateTime<Utc>>],
        &col(jobs, |j| j.retries),
        &col(jobs, |j| j.cost),
        &col(jobs, |j| j.billed) as &[Option<DateTime<Utc>>],
        &col(jobs, |j| j.trained_on.clone()) as &[Option<serde_json::Value>],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One segment of a job's compute, to bill.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputeRecord {
    pub job: Uuid,
    pub owner: Uuid,
    pub amount: f64,
    pub gpu_hours: f64,
    pub gpu_type: String,
    pub gpu_count: i32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Writes the compute records in one statement, each only where this
/// tick's job update landed (its `billed_until` is the record's end), so a
/// record is never written twice.
pub async fn insert_compute_records(
    conn: &mut sqlx::PgConnection,
    records: &[ComputeRecord],
) -> Result<(), ServiceError> {
    fn col<T>(records: &[ComputeRecord], f: impl Fn(&ComputeRecord) -> T) -> Vec<T> {
        records.iter().map(f).collect()
    }
    sqlx::query!(
        "INSERT INTO cost_records (id, owner_id, job_id, cost_type, amount, quantity, unit,
             details, period_start, period_end)
         SELECT gen_random_uuid(), b.owner, b.job, 'compute', round(b.amount::numeric, 4),
                b.hours, 'gpu_hours', jsonb_build_object('gpu_type', b.gpu, 'gpu_count', b.count),
                b.from_at, b.to_at
         FROM UNNEST($1::uuid[], $2::uuid[], $3::float8[], $4::float8[], $5::text[], $6::int[],
                     $7::timestamptz[], $8::timestamptz[])
              AS b(job, owner, amount, hours, gpu, count, from_at, to_at)
         WHERE EXISTS (SELECT 1 FROM training_jobs j WHERE j.id = b.job AND j.billed_until = b.to_at)",
        &col(records, |r| r.job),
        &col(records, |r| r.owner),
        &col(records, |r| r.amount),
        &col(records, |r| r.gpu_hours),
        &col(records, |r| r.gpu_type.clone()),
        &col(records, |r| r.gpu_count),
        &col(records, |r| r.from),
        &col(records, |r| r.to),
    )
    .execute(conn)
    .await?;
    Ok(())
}
