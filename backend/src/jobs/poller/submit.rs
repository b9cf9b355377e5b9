//! Handing a job to the cluster: its spec is built from the claimed row and
//! what only a submit needs (its config, its datasets' and parent model's
//! storage), read here for new or lost jobs rather than by every claim.

use crate::jobs::cluster::ClusterError;
use crate::jobs::queries::tick::{self as queries, ClaimedRow};
use crate::jobs::spec::{self, SpecInput};
use crate::services::Services;
use brightrun::training::TrainingConfig;

/// Builds the spec and submits it; returns the cluster's id for the job.
/// A job whose dataset, validation file or parent model is gone is
/// `Rejected`, saying which.
pub async fn submit(services: &Services, job: &ClaimedRow) -> Result<String, ClusterError> {
    let inputs = queries::submit_inputs(&services.pool, job.id)
        .await
        .map_err(|e| ClusterError::Unreachable(format!("the database: {e}")))?
        .ok_or_else(|| {
            ClusterError::Rejected("its dataset has been deleted; start a new job instead".into())
        })?;
    let config: TrainingConfig = serde_json::from_value(inputs.hyperparams).map_err(|e| {
        ClusterError::Rejected(format!("the job's stored config is unreadable: {e}"))
    })?;
    if inputs.has_validation && inputs.validation_key.is_none() {
        return Err(ClusterError::Rejected(
            "its validation dataset has been deleted; start a new job instead".into(),
        ));
    }
    if job.parent_model_id.is_some() && inputs.parent_prefix.is_none() {
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
            dataset_key: &inputs.dataset_key,
            validation_key: inputs.validation_key.as_deref(),
            config: &config,
            total_steps: job.total_steps.unwrap_or(0).max(0) as u64,
            parent_prefix: inputs.parent_prefix.as_deref(),
            gpu_type: &job.gpu_type,
            gpu_count: job.gpu_count.max(1) as u32,
        },
    )
    .await
    .map_err(|e| ClusterError::Rejected(e.to_string()))?;
    let submitted = services.cluster.submit(&spec).await;
    crate::observability::cluster_call(services, "submit", &submitted);
    submitted
}
