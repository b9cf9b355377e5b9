//! A job's evaluations (`job_evaluations`): the poller stores the ones the
//! trainer's metrics carry, bounded as a remote machine's input must be;
//! the job detail reads the one before training and the latest.

use super::queries::points::{self, NewEvaluation};
use crate::error::ServiceError;
use brightrun::cluster::{Evaluation, StepMetrics};
use brightrun::jobs::JobSamples;
use sqlx::PgPool;
use uuid::Uuid;

/// The evaluations `point` carries, to store (a loss that is not a number,
/// or a step out of range, is dropped; long text is cut).
pub fn carried(job: Uuid, point: &StepMetrics) -> impl Iterator<Item = NewEvaluation> + '_ {
    point
        .evaluations
        .iter()
        .filter_map(Evaluation::bounded)
        .filter_map(move |e| {
            Some(NewEvaluation {
                job,
                step: i32::try_from(e.step).ok()?,
                val_loss: e.val_loss as f32,
                samples: serde_json::to_value(&e.samples).unwrap_or_default(),
            })
        })
}

/// The owner's job's evaluation before training and its latest one.
pub async fn samples_of(pool: &PgPool, owner: Uuid, job: Uuid) -> Result<JobSamples, ServiceError> {
    let evaluations = points::first_and_last_evaluations(pool, owner, job)
        .await?
        .into_iter()
        .map(|row| {
            Ok(Evaluation {
                step: row.step.max(0) as u64,
                val_loss: f64::from(row.val_loss),
                samples: serde_json::from_value(row.samples)
                    .map_err(|e| ServiceError::internal("stored samples", e))?,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(JobSamples::from_evaluations(evaluations))
}
