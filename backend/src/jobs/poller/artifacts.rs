//! A completed job's adapter: it must be in storage before the job says
//! completed (observed after the cluster's answer), and it becomes a model
//! artifact with a quality judged on the job's losses (persisted with the
//! tick). Artifacts are keyed by job, so a re-run tick writes none twice.

use super::job::Tracked;
use crate::error::ServiceError;
use crate::jobs::queries::points;
use crate::jobs::queries::tick::{self as queries, NewArtifact};
use crate::jobs::spec::{ARTIFACTS, REQUIRED};
use crate::services::Services;
use crate::storage::keys;
use brightrun::JobStatus;

/// Sizes the adapter of every job that completed this tick; one whose
/// required files did not reach storage fails instead, saying which.
pub async fn check(services: &Services, jobs: &mut [Tracked]) -> Result<(), ServiceError> {
    for t in jobs
        .iter_mut()
        .filter(|t| t.change.status == JobStatus::Completed)
    {
        let mut size = 0i64;
        let mut missing = Vec::new();
        for file in ARTIFACTS {
            let key = keys::adapter_object(t.job.owner_id, t.job.model_id, file)?;
            match services.storage.size(&key).await? {
                Some(n) => size += n as i64,
                None if REQUIRED.contains(file) => missing.push(*file),
                None => {}
            }
        }
        if missing.is_empty() {
            t.artifact_bytes = Some(size);
        } else {
            t.change.status = JobStatus::Failed;
            t.change.error = Some(format!(
                "The trainer finished but {} did not reach storage; retry the job.",
                missing.join(" and ")
            ));
        }
    }
    Ok(())
}

/// Stores the job's model with its quality (two statements).
pub async fn store(
    conn: &mut sqlx::PgConnection,
    t: &Tracked,
    size_bytes: i64,
) -> Result<(), ServiceError> {
    let job = &t.job;
    let losses = points::losses(&mut *conn, job.id).await?;
    let train: Vec<f64> = losses
        .iter()
        .filter_map(|l| l.train_loss.map(f64::from))
        .collect();
    let val = losses.iter().rev().find_map(|l| l.eval_loss.map(f64::from));
    let quality = brightrun::models::assess(&train, val);
    let artifact = NewArtifact {
        id: job.model_id,
        owner: job.owner_id,
        job: job.id,
        parent: job.parent_model_id,
        name: &job.name,
        base_model: &job.base_model,
        storage_prefix: keys::adapter_prefix(job.owner_id, job.model_id),
        size_bytes,
        quality_metrics: quality
            .as_ref()
            .map(|q| serde_json::to_value(q).unwrap_or_default()),
        quality_rating: quality.as_ref().map(|q| q.rating as i16),
    };
    queries::insert_artifact(conn, &artifact).await
}
