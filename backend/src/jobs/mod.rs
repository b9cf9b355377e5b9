//! Training jobs: create (config checked, estimate written in the same
//! statement), list, show, metrics, logs, cancel, retry — every query
//! scoped by owner — plus the cluster backends and the poller that moves
//! jobs through their states.

pub mod chart;
pub mod cluster;
pub mod evaluations;
pub mod failure;
pub mod poller;
pub mod queries;
pub mod spec;
pub mod updates;

use crate::error::ServiceError;
use crate::services::Services;
use crate::training::{self, base_models};
use brightrun::JobStatus;
use brightrun::jobs::{
    EstimateRequest, Job, JobDetail, JobFilter, JobPage, MetricPoint, NewJob, sample_indices,
};
use brightrun::training::{Estimate, Preset};
use uuid::Uuid;

/// Most points a chart is sent; longer series are thinned evenly.
pub const CHART_POINTS: usize = brightrun::jobs::CHART_POINTS;
/// Most points one metrics call returns; ask again after the last step for more.
pub const MAX_POINTS_PER_CALL: u32 = 5000;
/// Longest job name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

#[tracing::instrument(skip_all, fields(user = %owner, dataset = %req.dataset_id))]
pub async fn estimate(
    services: &Services,
    owner: Uuid,
    req: &EstimateRequest,
) -> Result<Estimate, ServiceError> {
    training::estimate_for(services, owner, req).await
}

#[tracing::instrument(skip_all, fields(user = %owner, dataset = %new.dataset_id))]
pub async fn create(services: &Services, owner: Uuid, new: NewJob) -> Result<Job, ServiceError> {
    let config = new.resolved_config();
    if let Some(parent) = new.parent_model_id {
        parent_fits(services, owner, parent, &new.base_model, &config).await?;
    }
    let req = new.estimate_request();
    let estimate = training::estimate_for(services, owner, &req).await?;
    if estimate.training_examples == 0 {
        return Err(ServiceError::Conflict(
            "The dataset has no trainable examples left after the validation split; lower the split or add examples."
                .into(),
        ));
    }
    let model = base_models::find(&services.config, &new.base_model)?;
    let name = match new.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => {
            let dataset =
                queries::jobs::dataset_name(&services.pool, owner, new.dataset_id).await?;
            format!("{dataset} · {}", Preset::matching(&config).label())
        }
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ServiceError::Invalid {
            field: "name",
            message: format!("Job names are at most {MAX_NAME_CHARS} characters."),
        });
    }
    let id = Uuid::new_v4();
    let mut tx = services.pool.begin().await?;
    crate::costs::budget::lock_owner_jobs(&mut tx, owner).await?;
    crate::costs::budget::check_new_job(&mut tx, owner, estimate.cost, new.budget_override).await?;
    let row = queries::NewJobRow {
        id,
        owner,
        dataset: new.dataset_id,
        name: &name,
        base_model: &model.id,
        backend: services.cluster.name(),
        preset: Preset::matching(&config),
        config: &config,
        gpu_type: &new.gpu_type,
        gpu_count: new.gpu_count,
        estimate: &estimate,
        budget_override: new.budget_override,
        parent_model: new.parent_model_id,
        validation_dataset: new.validation_dataset_id,
    };
    queries::insert(&mut *tx, &row).await?;
    tx.commit().await?;
    tracing::info!(%id, "job queued");
    services.wake_poller();
    queries::get(&services.pool, owner, id).await
}

/// A run continuing a model keeps its base model, LoRA rank and target
/// modules (the weights' shapes depend on them); says which to change.
async fn parent_fits(
    services: &Services,
    owner: Uuid,
    parent: Uuid,
    base_model: &str,
    config: &brightrun::training::TrainingConfig,
) -> Result<(), ServiceError> {
    let queries::jobs::ParentRow {
        name,
        base_model: parent_base,
        hyperparams,
    } = queries::jobs::parent(&services.pool, owner, parent).await?;
    let theirs: brightrun::training::TrainingConfig = serde_json::from_value(hyperparams)
        .map_err(|e| ServiceError::internal("parent config", e))?;
    if parent_base != base_model {
        return Err(ServiceError::Invalid {
            field: "base_model",
            message: format!(
                "{name} was trained on {parent_base}; continue it on the same base model."
            ),
        });
    }
    if theirs.lora_r != config.lora_r {
        return Err(ServiceError::Invalid {
            field: "lora_r",
            message: format!(
                "{name} has LoRA rank {}; a continued run keeps it (set rank to {}).",
                theirs.lora_r, theirs.lora_r
            ),
        });
    }
    let (mut a, mut b) = (theirs.target_modules.clone(), config.target_modules.clone());
    a.sort();
    b.sort();
    if a != b {
        return Err(ServiceError::Invalid {
            field: "target_modules",
            message: format!(
                "{name} adapts {}; a continued run adapts the same modules.",
                a.join(", ")
            ),
        });
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(user = %owner))]
pub async fn list(
    services: &Services,
    owner: Uuid,
    filter: &JobFilter,
) -> Result<JobPage, ServiceError> {
    let per_page = filter.per_page.unwrap_or(20).clamp(1, 100);
    let page = filter.page.unwrap_or(1).max(1);
    let (jobs, total) = queries::jobs::page(&services.pool, owner, filter, per_page, page).await?;
    Ok(JobPage {
        jobs,
        total: total.max(0) as u64,
        page,
        per_page,
    })
}

#[tracing::instrument(skip_all, fields(user = %owner, job = %id))]
pub async fn get(services: &Services, owner: Uuid, id: Uuid) -> Result<JobDetail, ServiceError> {
    let job = queries::get(&services.pool, owner, id).await?;
    let (config, estimate) = queries::config_and_estimate(&services.pool, owner, id).await?;
    // The chart's points only: a long run's every point is never read here.
    let count = queries::metric_count(&services.pool, owner, id).await?;
    let positions = sample_indices(count as usize, CHART_POINTS);
    let metrics = queries::metrics_at(&services.pool, owner, id, &positions).await?;
    let eval_points = queries::eval_points(&services.pool, owner, id).await?;
    let samples = evaluations::samples_of(&services.pool, owner, id).await?;
    Ok(JobDetail {
        job,
        config,
        estimate,
        metric_count: count.min(u64::from(u32::MAX)) as u32,
        metrics,
        eval_points,
        samples,
    })
}

#[tracing::instrument(skip_all, fields(user = %owner, job = %id, after_step))]
pub async fn metrics(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    after_step: Option<u32>,
) -> Result<Vec<MetricPoint>, ServiceError> {
    // A job with no points yet and an unknown job must differ.
    queries::get(&services.pool, owner, id).await?;
    queries::metrics(&services.pool, owner, id, after_step, MAX_POINTS_PER_CALL).await
}

/// The end of the job's log (its last whole lines within `TAIL_BYTES`):
/// its length first, then one chunk from near the end, never the whole log.
#[tracing::instrument(skip_all, fields(user = %owner, job = %id))]
pub async fn log_tail(services: &Services, owner: Uuid, id: Uuid) -> Result<String, ServiceError> {
    use brightrun::jobs::log_tail::{TAIL_BYTES, tail_start, whole_lines};
    let (_, len) = logs(services, owner, id, u64::MAX).await?;
    let start = tail_start(len, TAIL_BYTES);
    let (chunk, _) = logs(services, owner, id, start).await?;
    Ok(whole_lines(&chunk, start, TAIL_BYTES as usize).to_string())
}

/// The job's log from byte `offset`, as the cluster keeps it.
#[tracing::instrument(skip_all, fields(user = %owner, job = %id, offset))]
pub async fn logs(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    offset: u64,
) -> Result<(String, u64), ServiceError> {
    let external = queries::lifecycle::external_id(&services.pool, owner, id).await?;
    let Some(external) = external else {
        return Ok((String::new(), 0));
    };
    match services.cluster.logs(&external, offset).await {
        Ok(chunk) => Ok(chunk),
        Err(cluster::ClusterError::NotFound) => Ok((String::new(), offset)),
        Err(e) => Err(ServiceError::Conflict(format!(
            "The log is not available right now: {e}."
        ))),
    }
}

/// Asks the job to stop. A job not yet handed to the cluster is cancelled
/// at once; otherwise the cluster is told now (and again by the poller
/// until it confirms), and cost stops accruing from this moment.
#[tracing::instrument(skip_all, fields(user = %owner, job = %id))]
pub async fn cancel(services: &Services, owner: Uuid, id: Uuid) -> Result<Job, ServiceError> {
    let Some(external) = queries::lifecycle::request_cancel(&services.pool, owner, id).await?
    else {
        let job = queries::get(&services.pool, owner, id).await?;
        return Err(ServiceError::Conflict(format!(
            "This job is already {}; only a queued or running job can be cancelled.",
            job.status
        )));
    };
    if let Some(external) = external {
        match services.cluster.cancel(&external).await {
            Ok(()) | Err(cluster::ClusterError::Finished) => {}
            Err(e) => tracing::warn!(%id, "cancel not delivered yet, the poller retries: {e}"),
        }
    }
    services.wake_poller();
    queries::get(&services.pool, owner, id).await
}

/// Puts a failed or cancelled job back in the queue as a new attempt: its
/// points and progress start over; the cluster sees a new idempotency key,
/// and the model gets a new id, so the earlier attempt's signed upload URLs
/// (valid for days) point at a prefix the new model never reads.
#[tracing::instrument(skip_all, fields(user = %owner, job = %id))]
pub async fn retry(services: &Services, owner: Uuid, id: Uuid) -> Result<Job, ServiceError> {
    let job = queries::get(&services.pool, owner, id).await?;
    if !brightrun::jobs::can_retry(job.status) {
        return Err(ServiceError::Conflict(format!(
            "This job is {}; only a failed or cancelled job can be retried.",
            job.status
        )));
    }
    let mut tx = services.pool.begin().await?;
    let dataset_live = queries::lifecycle::dataset_live(&mut tx, owner, job.dataset_id).await?;
    if !dataset_live {
        return Err(ServiceError::Conflict(
            "The dataset this job trains on has been deleted; start a new job on another dataset."
                .into(),
        ));
    }
    queries::lifecycle::requeue(&mut tx, owner, id, job.status).await?;
    tx.commit().await?;
    services.wake_poller();
    let job = queries::get(&services.pool, owner, id).await?;
    debug_assert_eq!(job.status, JobStatus::Queued);
    Ok(job)
}
