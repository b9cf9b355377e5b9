//! A job's compute bill as a tick leaves it: its cost so far on its row,
//! and a cost record each minute and when it stops. Billed from the start
//! to the finish, and for a cancelled job to the moment the user asked,
//! never after; not at all for a job that failed before it had a device.

use super::job::{Change, Tracked};
use crate::jobs::queries::tick::{ClaimedRow, ComputeRecord, JobWrite};
use crate::services::Services;
use brightrun::JobStatus;
use brightrun::cluster::placement::{self, Billing};
use brightrun::costs;
use chrono::{DateTime, Utc};

/// The job's row to write and the compute record due this tick, if any.
/// Sets a finished job's end.
pub fn settle(
    services: &Services,
    t: &mut Tracked,
    now: DateTime<Utc>,
) -> (JobWrite, Option<ComputeRecord>) {
    let (job, change) = (&t.job, &mut t.change);
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
    let mut record = None;
    if let Some(billed) = &billed
        && let Some((from, to)) = costs::segment(
            change.started_at,
            job.billed_until,
            end,
            change.status.is_terminal(),
        )
        && (change.trained_on.is_some() || change.status.is_terminal())
    {
        record = Some(ComputeRecord {
            job: job.id,
            owner: job.owner_id,
            amount: costs::compute::amount(from, to, billed.price_per_hour, billed.count),
            gpu_hours: costs::compute::gpu_hours(from, to, billed.count),
            gpu_type: billed.gpu_type.clone(),
            gpu_count: billed.count as i32,
            from,
            to,
        });
        billed_until = Some(to);
    }
    (row(job, change, cost, billed_until), record)
}

/// What this job's compute is billed as: the device that trained (see
/// `placement::billing`); `None`, not billed at all, for a job that failed
/// before it had a device — the cluster could not give it the one it asked for.
fn billing(services: &Services, job: &ClaimedRow, change: &Change) -> Option<Billing> {
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

fn row(job: &ClaimedRow, c: &Change, cost: f64, billed_until: Option<DateTime<Utc>>) -> JobWrite {
    JobWrite {
        id: job.id,
        old_status: c.old_status.as_str(),
        status: c.status.as_str(),
        external: c.external.clone(),
        step: c.step,
        total: c.total,
        epoch: c.epoch,
        metrics: c.metrics.clone(),
        error: c.error.clone(),
        started: c.started_at,
        finished: c.finished_at,
        seen: c.seen_at,
        retries: c.retry_count,
        cost,
        billed: billed_until,
        trained_on: c
            .trained_on
            .as_ref()
            .and_then(|d| serde_json::to_value(d).ok()),
    }
}
