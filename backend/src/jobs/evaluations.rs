//! A job's evaluations as stored (`job_evaluations`): the poller writes
//! the ones the trainer's metrics carry, bounded as a remote machine's
//! input must be; the job detail reads the one before training and the
//! latest.

use crate::error::ServiceError;
use brightrun::cluster::{Evaluation, StepMetrics};
use brightrun::jobs::JobSamples;
use sqlx::PgPool;
use uuid::Uuid;

/// Evaluations gathered over one poller tick, written in one statement.
#[derive(Default)]
pub struct Batch {
    job: Vec<Uuid>,
    step: Vec<i32>,
    val_loss: Vec<f32>,
    samples: Vec<serde_json::Value>,
}

impl Batch {
    /// The evaluations `point` carries (a loss that is not a number, or a
    /// step out of range, is dropped; long text is cut).
    pub fn push(&mut self, job: Uuid, point: &StepMetrics) {
        for e in point.evaluations.iter().filter_map(Evaluation::bounded) {
            let Ok(step) = i32::try_from(e.step) else {
                continue;
            };
            self.job.push(job);
            self.step.push(step);
            self.val_loss.push(e.val_loss as f32);
            self.samples
                .push(serde_json::to_value(&e.samples).unwrap_or_default());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.job.is_empty()
    }

    /// Writes the batch; an evaluation already stored is kept.
    pub async fn insert(&self, conn: &mut sqlx::PgConnection) -> Result<(), ServiceError> {
        sqlx::query(
            "INSERT INTO job_evaluations (job_id, step, val_loss, samples)
             SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::real[], $4::jsonb[])
             ON CONFLICT (job_id, step) DO NOTHING",
        )
        .bind(&self.job)
        .bind(&self.step)
        .bind(&self.val_loss)
        .bind(&self.samples)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// The owner's job's evaluation before training and its latest one.
pub async fn samples_of(pool: &PgPool, owner: Uuid, job: Uuid) -> Result<JobSamples, ServiceError> {
    let rows: Vec<(i32, f32, serde_json::Value)> = sqlx::query_as(
        "SELECT e.step, e.val_loss, e.samples FROM job_evaluations e
         JOIN training_jobs j ON j.id = e.job_id
         WHERE e.job_id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL
           AND (e.step = 0 OR e.step = (SELECT max(step) FROM job_evaluations WHERE job_id = $1))
         ORDER BY e.step",
    )
    .bind(job)
    .bind(owner)
    .fetch_all(pool)
    .await?;
    let evaluations = rows
        .into_iter()
        .map(|(step, val_loss, samples)| {
            Ok(Evaluation {
                step: step.max(0) as u64,
                val_loss: f64::from(val_loss),
                samples: serde_json::from_value(samples)
                    .map_err(|e| ServiceError::internal("stored samples", e))?,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(JobSamples::from_evaluations(evaluations))
}
