//! Step 4, persist: everything the tick learned, in one transaction — the
//! new points and evaluations in one statement each, the model artifact of
//! each completed job, every job's status, progress and cost in one
//! statement (only where the status is still what the tick read), the
//! compute records and the budget alerts they trigger, and the
//! notifications in one statement. Safe to crash and re-run: points are
//! keyed by (job, step), artifacts by job, and a cost record is written
//! only with the job update that moves `billed_until`.

use super::claim::Tick;
use super::{TickReport, artifacts, billing, notes};
use crate::error::ServiceError;
use crate::jobs::queries::points::{self, NewEvaluation, NewPoint};
use crate::jobs::queries::tick::{self as queries, ComputeRecord, JobWrite};
use crate::notifications::{self, NewNotification};
use crate::services::Services;
use uuid::Uuid;

/// The rows the tick's jobs end with.
#[derive(Default)]
pub struct Settled {
    pub jobs: Vec<JobWrite>,
    pub compute: Vec<ComputeRecord>,
    pub notes: Vec<NewNotification>,
    pub status_changes: usize,
}

/// Settles every job: its row, its bill, what its owner is told.
pub fn settle(services: &Services, tick: &mut Tick) -> Settled {
    let mut settled = Settled::default();
    for t in &mut tick.jobs {
        if t.change.status != t.change.old_status {
            settled.status_changes += 1;
            settled.notes.extend(notes::for_change(t));
        }
        let (row, record) = billing::settle(services, t, tick.now);
        settled.jobs.push(row);
        settled.compute.extend(record);
    }
    settled
}

pub async fn persist(
    services: &Services,
    tick: &mut Tick,
    report: &mut TickReport,
) -> Result<(), ServiceError> {
    let mut tx = services.pool.begin().await?;
    let new_points: Vec<NewPoint> = tick.jobs.iter().flat_map(|t| t.points.clone()).collect();
    if !new_points.is_empty() {
        points::insert_points(&mut tx, &new_points).await?;
        report.sql_statements += 1;
    }
    let evaluations: Vec<NewEvaluation> = tick
        .jobs
        .iter()
        .flat_map(|t| t.evaluations.clone())
        .collect();
    if !evaluations.is_empty() {
        points::insert_evaluations(&mut tx, &evaluations).await?;
        report.sql_statements += 1;
    }
    for t in &tick.jobs {
        if let Some(size) = t.artifact_bytes {
            artifacts::store(&mut tx, t, size).await?;
            report.sql_statements += 2;
        }
    }
    let settled = settle(services, tick);
    report.status_changes += settled.status_changes;
    queries::update_jobs(&mut tx, &settled.jobs).await?;
    report.sql_statements += 1;
    if !settled.compute.is_empty() {
        queries::insert_compute_records(&mut tx, &settled.compute).await?;
        let mut owners: Vec<Uuid> = settled.compute.iter().map(|r| r.owner).collect();
        owners.sort_unstable();
        owners.dedup();
        crate::costs::budget::alert(&mut tx, &owners).await?;
        report.sql_statements += 2;
    }
    if !settled.notes.is_empty() {
        notifications::insert_many(&mut *tx, &settled.notes).await?;
        report.sql_statements += 1;
    }
    tx.commit().await?;
    Ok(())
}
