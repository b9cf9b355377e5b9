//! The job poller. Each tick claims the active jobs of this server's
//! cluster (`FOR UPDATE SKIP LOCKED` with a lease, so several server
//! instances never work on the same job), hands queued ones to the cluster,
//! asks the cluster about all of them in one call (status and the metrics
//! after each job's last stored step), and writes what changed in one
//! transaction: the new points in one statement, the model artifact of each
//! completed job, every job's status, progress and cost in one statement,
//! and the notifications in one statement. Status moves follow the state
//! machine; an illegal one is logged and ignored. Safe to crash and re-run:
//! points are keyed by (job, step) and artifacts by job.

use super::cluster::{ClusterError, JobQuery, JobUpdate, StepMetrics};
use super::failure::explain;
use super::spec::{self, ARTIFACTS, REQUIRED, SpecInput};
use crate::error::ServiceError;
use crate::services::Services;
use brightrun::JobStatus;
use brightrun::cluster::DeviceInfo;
use brightrun::cluster::placement::{self, Billing};
use brightrun::costs;
use brightrun::jobs::{MetricPoint, allowed};
use brightrun::training::TrainingConfig;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// Most jobs one tick works on.
pub const CLAIM_LIMIT: i64 = 20_000;

/// What one tick did, for logs and the benchmark.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    pub claimed: usize,
    pub submitted: usize,
    pub cluster_requests: usize,
    pub sql_statements: usize,
    pub points: usize,
    pub status_changes: usize,
}

#[derive(sqlx::FromRow)]
struct Claimed {
    /// When this tick's claim ends (the same for every job of the tick).
    lease_until: DateTime<Utc>,
    id: Uuid,
    owner_id: Uuid,
    name: String,
    status: String,
    external_job_id: Option<String>,
    current_step: i32,
    total_steps: Option<i32>,
    current_epoch: Option<f32>,
    model_id: Uuid,
    parent_model_id: Option<Uuid>,
    base_model: String,
    gpu_type: String,
    gpu_count: i32,
    price_per_hour: Option<f64>,
    started_at: Option<DateTime<Utc>>,
    cancel_requested_at: Option<DateTime<Utc>>,
    cluster_seen_at: Option<DateTime<Utc>>,
    billed_until: Option<DateTime<Utc>>,
    queued_at: DateTime<Utc>,
    retry_count: i32,
    attempt: i32,
    error_message: Option<String>,
    /// The device the trainer reported it trains on (`DeviceInfo` as JSON).
    trained_on: Option<serde_json::Value>,
}

/// A job's row as this tick leaves it.
struct Change {
    old_status: JobStatus,
    status: JobStatus,
    external: Option<String>,
    step: i32,
    total: Option<i32>,
    epoch: Option<f32>,
    /// The latest point's metrics when this tick brought new points; `None`
    /// keeps the stored ones (most of a 10,000-job tick sends nothing here).
    metrics: Option<serde_json::Value>,
    error: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    seen_at: Option<DateTime<Utc>>,
    retry_count: i32,
    /// The device that trains, once the trainer has said.
    trained_on: Option<DeviceInfo>,
}

#[derive(Default)]
struct Points {
    job: Vec<Uuid>,
    step: Vec<i32>,
    epoch: Vec<Option<f32>>,
    train_loss: Vec<Option<f32>>,
    eval_loss: Vec<Option<f32>>,
    learning_rate: Vec<Option<f32>>,
    tokens_per_second: Vec<Option<f32>>,
    grad_norm: Vec<Option<f32>>,
}

fn finite(v: f64) -> Option<f32> {
    v.is_finite().then_some(v as f32)
}

pub async fn tick(services: &Services) -> Result<TickReport, ServiceError> {
    let mut report = TickReport::default();
    let claimed: Vec<Claimed> = sqlx::query_as(
        "WITH c AS (
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
                   j.gpu_type, j.gpu_count, (j.estimate->>'price_per_hour')::float8 AS price_per_hour,
                   j.started_at, j.cancel_requested_at, j.cluster_seen_at, j.billed_until, j.queued_at,
                   j.retry_count, j.attempt, j.error_message, j.trained_on, j.lease_until",
    )
    .bind(super::lease::length(services.cluster.call_budget()).as_secs_f64())
    .bind(CLAIM_LIMIT)
    .bind(services.cluster.name())
    .fetch_all(&services.pool)
    .await?;
    report.sql_statements += 1;
    report.claimed = claimed.len();
    if claimed.is_empty() {
        return Ok(report);
    }
    // A tick that dies leaves its jobs to the next one after the lease.
    let mut lease = super::lease::Lease::new(
        claimed.iter().map(|j| j.id).collect(),
        claimed[0].lease_until,
        services.cluster.call_budget(),
    );
    let now = Utc::now();
    let mut changes: Vec<Change> = Vec::with_capacity(claimed.len());
    for job in &claimed {
        let status: JobStatus = job
            .status
            .parse()
            .map_err(|e| ServiceError::internal("job row", e))?;
        changes.push(Change {
            old_status: status,
            status,
            external: job.external_job_id.clone(),
            step: job.current_step,
            total: job.total_steps,
            epoch: job.current_epoch,
            metrics: None,
            error: job.error_message.clone(),
            started_at: job.started_at,
            finished_at: None,
            seen_at: job.cluster_seen_at,
            retry_count: job.retry_count,
            trained_on: job
                .trained_on
                .clone()
                .and_then(|v| serde_json::from_value(v).ok()),
        });
    }

    // Hand new jobs to the cluster; cancel what the user asked to stop.
    for (job, change) in claimed.iter().zip(changes.iter_mut()) {
        if change.external.is_none() {
            if let Some(at) = job.cancel_requested_at {
                change.status = JobStatus::Cancelled;
                change.finished_at = Some(at);
                continue;
            }
            if !lease.keep(&services.pool).await? {
                return Ok(report);
            }
            // The job's config and dataset are read for the spec.
            report.sql_statements += 1;
            match submit(services, job).await {
                Ok(external) => {
                    report.submitted += 1;
                    change.external = Some(external);
                    change.seen_at = Some(now);
                }
                Err(ClusterError::Unreachable(e)) => {
                    tracing::warn!(job = %job.id, "cannot submit yet: {e}");
                    lost_check(services, job, change, now, &e);
                }
                Err(e) => {
                    change.status = JobStatus::Failed;
                    change.error = Some(explain(&e.to_string()));
                    change.finished_at = Some(now);
                }
            }
            report.cluster_requests += 1;
        } else if job.cancel_requested_at.is_some()
            && let Some(external) = &change.external
        {
            if !lease.keep(&services.pool).await? {
                return Ok(report);
            }
            report.cluster_requests += 1;
            match services.cluster.cancel(external).await {
                Ok(()) | Err(ClusterError::Finished) | Err(ClusterError::NotFound) => {}
                Err(e) => tracing::warn!(job = %job.id, "cancel not delivered: {e}"),
            }
        }
    }

    // One question for every job the cluster has.
    let asks: Vec<JobQuery> = changes
        .iter()
        .filter(|c| !c.status.is_terminal())
        .filter_map(|c| {
            c.external.as_ref().map(|id| JobQuery {
                id: id.clone(),
                after_step: (c.step > 0).then_some(c.step as u64),
            })
        })
        .collect();
    let mut points = Points::default();
    let mut evaluations = super::evaluations::Batch::default();
    let mut completing: Vec<usize> = Vec::new();
    if !asks.is_empty() {
        if !lease.keep(&services.pool).await? {
            return Ok(report);
        }
        report.cluster_requests += asks.len().div_ceil(super::cluster::http::QUERY_PAGE);
        match services.cluster.query(&asks).await {
            Ok(updates) => {
                let by_id: HashMap<&str, &JobUpdate> =
                    updates.iter().map(|u| (u.job.id.as_str(), u)).collect();
                for (i, (job, change)) in claimed.iter().zip(changes.iter_mut()).enumerate() {
                    if change.status.is_terminal() {
                        continue;
                    }
                    let Some(external) = change.external.clone() else {
                        continue;
                    };
                    match by_id.get(external.as_str()) {
                        Some(update) => {
                            change.seen_at = Some(now);
                            apply(job, change, update, (&mut points, &mut evaluations), now);
                            if change.status == JobStatus::Completed {
                                completing.push(i);
                            }
                        }
                        None => {
                            report.cluster_requests += 1;
                            lost_job(services, job, change, now).await;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!("the cluster did not answer this tick: {e}");
                for (job, change) in claimed.iter().zip(changes.iter_mut()) {
                    if change.external.is_some() && !change.status.is_terminal() {
                        lost_check(services, job, change, now, &e.to_string());
                    }
                }
            }
        }
    }
    report.points = points.job.len();

    // A completed job needs its adapter in storage before it says so.
    let mut artifact_sizes: HashMap<usize, i64> = HashMap::new();
    for &i in &completing {
        let job = &claimed[i];
        let mut size = 0i64;
        let mut missing = Vec::new();
        for file in ARTIFACTS {
            let key = spec::artifact_key(job.owner_id, job.model_id, file)?;
            match services.storage.size(&key).await? {
                Some(n) => size += n as i64,
                None if REQUIRED.contains(file) => missing.push(*file),
                None => {}
            }
        }
        if missing.is_empty() {
            artifact_sizes.insert(i, size);
        } else {
            let change = &mut changes[i];
            change.status = JobStatus::Failed;
            change.error = Some(format!(
                "The trainer finished but {} did not reach storage; retry the job.",
                missing.join(" and ")
            ));
        }
    }

    let mut tx = services.pool.begin().await?;
    if !points.job.is_empty() {
        sqlx::query(
            "INSERT INTO metrics_points (job_id, step, epoch, train_loss, eval_loss,
                 learning_rate, tokens_per_second, grad_norm)
             SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::real[], $4::real[], $5::real[],
                 $6::real[], $7::real[], $8::real[])
             ON CONFLICT (job_id, step) DO NOTHING",
        )
        .bind(&points.job)
        .bind(&points.step)
        .bind(&points.epoch)
        .bind(&points.train_loss)
        .bind(&points.eval_loss)
        .bind(&points.learning_rate)
        .bind(&points.tokens_per_second)
        .bind(&points.grad_norm)
        .execute(&mut *tx)
        .await?;
        report.sql_statements += 1;
    }
    if !evaluations.is_empty() {
        evaluations.insert(&mut tx).await?;
        report.sql_statements += 1;
    }
    for (&i, &size) in &artifact_sizes {
        let job = &claimed[i];
        let losses: Vec<(Option<f32>, Option<f32>)> = sqlx::query_as(
            "SELECT train_loss, eval_loss FROM metrics_points WHERE job_id = $1 ORDER BY step",
        )
        .bind(job.id)
        .fetch_all(&mut *tx)
        .await?;
        let train: Vec<f64> = losses
            .iter()
            .filter_map(|(t, _)| t.map(f64::from))
            .collect();
        let val = losses.iter().rev().find_map(|(_, v)| v.map(f64::from));
        let quality = brightrun::models::assess(&train, val);
        sqlx::query(
            "INSERT INTO model_artifacts (id, owner_id, job_id, parent_model_id, name, base_model,
                 storage_prefix, size_bytes, quality_metrics, quality_rating)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (job_id) DO NOTHING",
        )
        .bind(job.model_id)
        .bind(job.owner_id)
        .bind(job.id)
        .bind(job.parent_model_id)
        .bind(&job.name)
        .bind(&job.base_model)
        .bind(spec::artifact_prefix(job.owner_id, job.model_id))
        .bind(size)
        .bind(
            quality
                .as_ref()
                .map(|q| serde_json::to_value(q).unwrap_or_default()),
        )
        .bind(quality.as_ref().map(|q| q.rating as i16))
        .execute(&mut *tx)
        .await?;
        report.sql_statements += 2;
    }

    let mut notes = Notes::default();
    let mut cols = JobColumns::default();
    let mut bills = Bills::default();
    for (job, change) in claimed.iter().zip(changes.iter_mut()) {
        if change.status != change.old_status {
            report.status_changes += 1;
            notes.add(job, change);
        }
        if change.status.is_terminal() && change.finished_at.is_none() {
            change.finished_at = Some(job.cancel_requested_at.unwrap_or(now));
        }
        if change.status == JobStatus::Cancelled
            && let Some(at) = job.cancel_requested_at
        {
            // Billed to the moment the user asked, never after.
            change.finished_at = Some(at);
        }
        let billed = billing(services, job, change);
        let end = change.finished_at.unwrap_or(now);
        let cost = match (change.started_at, &billed) {
            (Some(start), Some(b)) => costs::compute::amount(start, end, b.price_per_hour, b.count),
            _ => 0.0,
        };
        // Compute is written to cost_records each minute and when the job stops.
        // Not before the device that trains is known: every record is then
        // at its price (the trainer says at once; an old one, at the end).
        let mut billed_until = job.billed_until;
        if let Some(billed) = &billed
            && let Some((from, to)) = costs::segment(
                change.started_at,
                job.billed_until,
                end,
                change.status.is_terminal(),
            )
            && (change.trained_on.is_some() || change.status.is_terminal())
        {
            let (price, count) = (billed.price_per_hour, billed.count);
            bills.push(
                job,
                billed,
                from,
                to,
                costs::compute::amount(from, to, price, count),
            );
            billed_until = Some(to);
        }
        cols.push(job.id, change, cost, billed_until);
    }
    sqlx::query(
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
    )
    .bind(&cols.id)
    .bind(&cols.old_status)
    .bind(&cols.status)
    .bind(&cols.external)
    .bind(&cols.step)
    .bind(&cols.total)
    .bind(&cols.epoch)
    .bind(&cols.metrics)
    .bind(&cols.error)
    .bind(&cols.started)
    .bind(&cols.finished)
    .bind(&cols.seen)
    .bind(&cols.retries)
    .bind(&cols.cost)
    .bind(&cols.billed)
    .bind(&cols.trained_on)
    .execute(&mut *tx)
    .await?;
    report.sql_statements += 1;
    if !bills.job.is_empty() {
        sqlx::query(
            "INSERT INTO cost_records (id, owner_id, job_id, cost_type, amount, quantity, unit,
                 details, period_start, period_end)
             SELECT gen_random_uuid(), b.owner, b.job, 'compute', round(b.amount::numeric, 4),
                    b.hours, 'gpu_hours', jsonb_build_object('gpu_type', b.gpu, 'gpu_count', b.count),
                    b.from_at, b.to_at
             FROM UNNEST($1::uuid[], $2::uuid[], $3::float8[], $4::float8[], $5::text[], $6::int[],
                         $7::timestamptz[], $8::timestamptz[])
                  AS b(job, owner, amount, hours, gpu, count, from_at, to_at)
             -- Only where this tick's update landed: a record is never written twice.
             WHERE EXISTS (SELECT 1 FROM training_jobs j WHERE j.id = b.job AND j.billed_until = b.to_at)",
        )
        .bind(&bills.job)
        .bind(&bills.owner)
        .bind(&bills.amount)
        .bind(&bills.hours)
        .bind(&bills.gpu)
        .bind(&bills.count)
        .bind(&bills.from)
        .bind(&bills.to)
        .execute(&mut *tx)
        .await?;
        let mut owners = bills.owner.clone();
        owners.sort_unstable();
        owners.dedup();
        crate::costs::budget::alert(&mut tx, &owners).await?;
        report.sql_statements += 2;
    }
    if !notes.owner.is_empty() {
        sqlx::query(
            "INSERT INTO notifications (id, owner_id, notification_type, title, message, link)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])",
        )
        .bind(&notes.id)
        .bind(&notes.owner)
        .bind(&notes.kind)
        .bind(&notes.title)
        .bind(&notes.message)
        .bind(&notes.link)
        .execute(&mut *tx)
        .await?;
        report.sql_statements += 1;
    }
    tx.commit().await?;
    Ok(report)
}

/// Builds the spec and submits it. Only new (or lost) jobs come here, so
/// their config and dataset are read here rather than by every claim.
async fn submit(services: &Services, job: &Claimed) -> Result<String, ClusterError> {
    type Inputs = (
        serde_json::Value,
        String,
        Option<String>,
        bool,
        Option<String>,
    );
    let (hyperparams, dataset_key, parent_prefix, has_validation, validation_key): Inputs =
        sqlx::query_as(
            "SELECT j.hyperparams, d.storage_key, p.storage_prefix,
                    j.validation_dataset_id IS NOT NULL, v.storage_key
             FROM training_jobs j
             JOIN datasets d ON d.id = j.dataset_id AND d.owner_id = j.owner_id
                  AND d.deleted_at IS NULL
             LEFT JOIN datasets v ON v.id = j.validation_dataset_id AND v.owner_id = j.owner_id
                  AND v.deleted_at IS NULL
             LEFT JOIN model_artifacts p ON p.id = j.parent_model_id AND p.owner_id = j.owner_id
                  AND p.objects_removed_at IS NULL
             WHERE j.id = $1",
        )
        .bind(job.id)
        .fetch_optional(&services.pool)
        .await
        .map_err(|e| ClusterError::Unreachable(format!("the database: {e}")))?
        .ok_or_else(|| {
            ClusterError::Rejected("its dataset has been deleted; start a new job instead".into())
        })?;
    let config: TrainingConfig = serde_json::from_value(hyperparams).map_err(|e| {
        ClusterError::Rejected(format!("the job's stored config is unreadable: {e}"))
    })?;
    if has_validation && validation_key.is_none() {
        return Err(ClusterError::Rejected(
            "its validation dataset has been deleted; start a new job instead".into(),
        ));
    }
    if job.parent_model_id.is_some() && parent_prefix.is_none() {
        return Err(ClusterError::Rejected(
            "the model it continues has been deleted and its files removed; start a new run instead"
                .into(),
        ));
    }
    let spec = spec::build(
        services,
        &SpecInput {
            job: job.id,
            attempt: job.attempt,
            owner: job.owner_id,
            model: job.model_id,
            base_model: &job.base_model,
            dataset_key: &dataset_key,
            validation_key: validation_key.as_deref(),
            config: &config,
            total_steps: job.total_steps.unwrap_or(0).max(0) as u64,
            parent_prefix: parent_prefix.as_deref(),
            gpu_type: &job.gpu_type,
            gpu_count: job.gpu_count.max(1) as u32,
        },
    )
    .await
    .map_err(|e| ClusterError::Rejected(e.to_string()))?;
    services.cluster.submit(&spec).await
}

/// Applies the cluster's answer about one job.
fn apply(
    job: &Claimed,
    change: &mut Change,
    update: &JobUpdate,
    (points, evaluations): (&mut Points, &mut super::evaluations::Batch),
    now: DateTime<Utc>,
) {
    let mut last: Option<&StepMetrics> = None;
    for p in &update.points {
        if p.step as i64 <= change.step as i64 {
            continue;
        }
        points.job.push(job.id);
        points.step.push(p.step.min(i32::MAX as u64) as i32);
        points.epoch.push(finite(p.epoch));
        points.train_loss.push(finite(p.train_loss));
        points.eval_loss.push(p.val_loss.and_then(finite));
        points.learning_rate.push(finite(p.learning_rate));
        points.tokens_per_second.push(finite(p.tokens_per_second));
        points.grad_norm.push(finite(p.grad_norm));
        evaluations.push(job.id, p);
        last = Some(p);
    }
    if let Some(p) = last {
        change.step = p.step.min(i32::MAX as u64) as i32;
        change.epoch = finite(p.epoch);
        let point = MetricPoint {
            step: change.step as u32,
            epoch: Some(p.epoch),
            train_loss: Some(p.train_loss),
            eval_loss: p.val_loss,
            learning_rate: Some(p.learning_rate),
            tokens_per_second: Some(p.tokens_per_second),
            grad_norm: Some(p.grad_norm),
        };
        let mut value = serde_json::to_value(&point).unwrap_or_default();
        value["eta_s"] = serde_json::json!(p.eta_s);
        change.metrics = Some(value);
    }
    if update.job.progress.total_steps > 0 {
        change.total = Some(update.job.progress.total_steps.min(i32::MAX as u64) as i32);
    }
    let remote = update.job.status;
    if remote != change.status {
        if allowed(change.status, remote) {
            change.status = remote;
        } else {
            tracing::warn!(
                job = %job.id,
                from = %change.status,
                to = %remote,
                "the cluster reported an illegal status move; ignored"
            );
        }
    }
    if change.status != JobStatus::Queued && change.started_at.is_none() {
        change.started_at = Some(update.job.started_at.unwrap_or(now));
    }
    if change.status.is_terminal() {
        change.finished_at = Some(update.job.finished_at.unwrap_or(now));
    }
    if change.status == JobStatus::Failed {
        change.error = Some(explain(update.job.error.as_deref().unwrap_or("")));
    }
    if let Some(device) = &update.job.device {
        change.trained_on = Some(device.clone());
    }
}

/// What this job's compute is billed as: the device that trained (see
/// `placement::billing`); `None`, not billed at all, for a job that failed
/// before it had a device — the cluster could not give it the one it asked for.
fn billing(services: &Services, job: &Claimed, change: &Change) -> Option<Billing> {
    if change.status == JobStatus::Failed && change.trained_on.is_none() && change.step == 0 {
        return None;
    }
    Some(placement::billing(
        &services.catalog,
        &job.gpu_type,
        job.price_per_hour.unwrap_or(0.0),
        job.gpu_count.max(1) as u32,
        change.trained_on.as_ref(),
    ))
}

/// The cluster answered but no longer knows the job (its agent lost its
/// table, or the job was never stored): submit again, a few times.
async fn lost_job(services: &Services, job: &Claimed, change: &mut Change, now: DateTime<Utc>) {
    if change.retry_count >= services.config.job_retries as i32 {
        change.status = JobStatus::Failed;
        change.error = Some(format!(
            "The training cluster lost this job {} times; retry it when the cluster is healthy.",
            change.retry_count + 1
        ));
        return;
    }
    change.retry_count += 1;
    tracing::warn!(job = %job.id, retry = change.retry_count, "the cluster lost the job; submitting it again");
    match submit(services, job).await {
        Ok(external) => {
            change.external = Some(external);
            change.seen_at = Some(now);
        }
        Err(e) => tracing::warn!(job = %job.id, "resubmitting failed: {e}"),
    }
}

/// Fails a job the cluster has not answered about for too long, so that it
/// is never stuck `running`.
fn lost_check(
    services: &Services,
    job: &Claimed,
    change: &mut Change,
    now: DateTime<Utc>,
    why: &str,
) {
    let since = change.seen_at.unwrap_or(job.queued_at);
    let limit = chrono::Duration::from_std(services.config.cluster_lost_after)
        .unwrap_or(chrono::Duration::minutes(10));
    if now - since > limit {
        change.status = JobStatus::Failed;
        change.error = Some(format!(
            "The training cluster has not answered for {} minutes ({why}); retry the job once it is back.",
            limit.num_minutes().max(1)
        ));
    }
}

#[derive(Default)]
struct JobColumns {
    id: Vec<Uuid>,
    old_status: Vec<String>,
    status: Vec<String>,
    external: Vec<Option<String>>,
    step: Vec<i32>,
    total: Vec<Option<i32>>,
    epoch: Vec<Option<f32>>,
    metrics: Vec<Option<serde_json::Value>>,
    error: Vec<Option<String>>,
    started: Vec<Option<DateTime<Utc>>>,
    finished: Vec<Option<DateTime<Utc>>>,
    seen: Vec<Option<DateTime<Utc>>>,
    retries: Vec<i32>,
    cost: Vec<f64>,
    billed: Vec<Option<DateTime<Utc>>>,
    trained_on: Vec<Option<serde_json::Value>>,
}

/// This tick's compute cost records.
#[derive(Default)]
struct Bills {
    job: Vec<Uuid>,
    owner: Vec<Uuid>,
    amount: Vec<f64>,
    hours: Vec<f64>,
    gpu: Vec<String>,
    count: Vec<i32>,
    from: Vec<DateTime<Utc>>,
    to: Vec<DateTime<Utc>>,
}

impl Bills {
    fn push(
        &mut self,
        job: &Claimed,
        billed: &Billing,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        amount: f64,
    ) {
        self.job.push(job.id);
        self.owner.push(job.owner_id);
        self.amount.push(amount);
        self.hours
            .push(costs::compute::gpu_hours(from, to, billed.count));
        self.gpu.push(billed.gpu_type.clone());
        self.count.push(billed.count as i32);
        self.from.push(from);
        self.to.push(to);
    }
}

impl JobColumns {
    fn push(&mut self, id: Uuid, c: &Change, cost: f64, billed: Option<DateTime<Utc>>) {
        self.id.push(id);
        self.old_status.push(c.old_status.as_str().to_string());
        self.status.push(c.status.as_str().to_string());
        self.external.push(c.external.clone());
        self.step.push(c.step);
        self.total.push(c.total);
        self.epoch.push(c.epoch);
        self.metrics.push(c.metrics.clone());
        self.error.push(c.error.clone());
        self.started.push(c.started_at);
        self.finished.push(c.finished_at);
        self.seen.push(c.seen_at);
        self.retries.push(c.retry_count);
        self.cost.push(cost);
        self.billed.push(billed);
        self.trained_on.push(
            c.trained_on
                .as_ref()
                .and_then(|d| serde_json::to_value(d).ok()),
        );
    }
}

#[derive(Default)]
struct Notes {
    id: Vec<Uuid>,
    owner: Vec<Uuid>,
    kind: Vec<String>,
    title: Vec<String>,
    message: Vec<String>,
    link: Vec<String>,
}

impl Notes {
    fn add(&mut self, job: &Claimed, change: &Change) {
        let link = format!("/training/jobs/{}", job.id);
        let (kind, title, message) = match change.status {
            JobStatus::Running if change.old_status != JobStatus::Running => (
                "job_started",
                "Training started",
                format!("{} is training on {}.", job.name, job.gpu_type),
            ),
            JobStatus::Completed => (
                "job_completed",
                "Training complete",
                format!("{} finished; its adapter is ready to download.", job.name),
            ),
            JobStatus::Failed => (
                "job_failed",
                "Training failed",
                format!(
                    "{}: {}",
                    job.name,
                    change.error.as_deref().unwrap_or("the trainer stopped")
                ),
            ),
            JobStatus::Cancelled => (
                "job_cancelled",
                "Training cancelled",
                format!("{} was cancelled; it is billed up to the cancel.", job.name),
            ),
            _ => return,
        };
        self.push(job.owner_id, kind, title, message, link);
        if change.status == JobStatus::Completed {
            self.push(
                job.owner_id,
                "artifact_ready",
                "Adapter ready",
                format!(
                    "The LoRA adapter from {} is in storage and ready to download.",
                    job.name
                ),
                format!("/models/{}", job.model_id),
            );
        }
    }

    fn push(&mut self, owner: Uuid, kind: &str, title: &str, message: String, link: String) {
        self.id.push(Uuid::new_v4());
        self.owner.push(owner);
        self.kind.push(kind.into());
        self.title.push(title.into());
        self.message.push(message);
        self.link.push(link);
    }
}

/// Ticks until the server stops: at once when woken (a job was created or
/// cancelled), else every `BRIGHTRUN_POLL_MS`.
pub async fn run(services: Services) {
    loop {
        match tick(&services).await {
            Ok(r) => {
                services.workers.ticked("poller");
                if r.status_changes > 0 || r.points > 0 {
                    tracing::debug!(?r, "poll tick")
                }
            }
            Err(err) => tracing::warn!(%err, "poll tick failed"),
        }
        tokio::select! {
            _ = services.poller_woken() => {}
            _ = tokio::time::sleep(services.config.poll_interval) => {}
        }
    }
}
