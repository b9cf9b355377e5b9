//! Step 3, observe: one question to the cluster for every job it has
//! (status and the metrics after each job's last stored step), its answer
//! applied to each job. Status moves follow the state machine; an illegal
//! one is logged and ignored. A job the cluster no longer knows is
//! submitted again; when the cluster does not answer, jobs silent for too
//! long are failed.

use super::TickReport;
use super::claim::Tick;
use super::job::{Change, Tracked};
use super::lost;
use crate::error::ServiceError;
use crate::jobs::cluster::{JobQuery, JobUpdate, StepMetrics, http::QUERY_PAGE};
use crate::jobs::evaluations;
use crate::jobs::failure::explain;
use crate::jobs::queries::points::{NewPoint, PointRow};
use crate::services::Services;
use brightrun::JobStatus;
use brightrun::jobs::{MetricPoint, allowed};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::ops::ControlFlow;

/// `Break` when the lease was lost: the tick stops and writes nothing.
pub async fn observe(
    services: &Services,
    tick: &mut Tick,
    report: &mut TickReport,
) -> Result<ControlFlow<()>, ServiceError> {
    let asks: Vec<JobQuery> = tick
        .jobs
        .iter()
        .filter_map(|t| {
            t.on_cluster().map(|id| JobQuery {
                id: id.to_string(),
                after_step: (t.change.step > 0).then_some(t.change.step as u64),
            })
        })
        .collect();
    if asks.is_empty() {
        return Ok(ControlFlow::Continue(()));
    }
    if !tick.lease.keep(&services.pool).await? {
        return Ok(ControlFlow::Break(()));
    }
    report.cluster_requests += asks.len().div_ceil(QUERY_PAGE);
    let now = tick.now;
    let answer = services.cluster.query(&asks).await;
    crate::observability::cluster_call(services, "query", &answer);
    match answer {
        Ok(updates) => {
            let by_id: HashMap<&str, &JobUpdate> =
                updates.iter().map(|u| (u.job.id.as_str(), u)).collect();
            for t in &mut tick.jobs {
                let Some(external) = t.on_cluster() else {
                    continue;
                };
                match by_id.get(external) {
                    Some(update) => {
                        t.change.seen_at = Some(now);
                        apply(t, update, now);
                    }
                    None => {
                        report.cluster_requests += 1;
                        lost::resubmit(services, t, now).await;
                    }
                }
            }
        }
        Err(e) => {
            tracing::warn!("the cluster did not answer this tick: {e}");
            for t in &mut tick.jobs {
                if t.on_cluster().is_some() {
                    lost::check(services, t, now, &e.to_string());
                }
            }
        }
    }
    report.points = tick.jobs.iter().map(|t| t.points.len()).sum();
    Ok(ControlFlow::Continue(()))
}

/// Applies the cluster's answer about one job.
pub fn apply(t: &mut Tracked, update: &JobUpdate, now: DateTime<Utc>) {
    take_points(t, &update.points);
    let change = &mut t.change;
    if update.job.progress.total_steps > 0 {
        change.total = Some(update.job.progress.total_steps.min(i32::MAX as u64) as i32);
    }
    let remote = update.job.status;
    if remote != change.status {
        if allowed(change.status, remote) {
            change.status = remote;
        } else {
            tracing::warn!(
                job = %t.job.id,
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

/// Keeps the points after the stored step (and the evaluations they carry);
/// the last becomes the job's step, epoch and current metrics.
fn take_points(t: &mut Tracked, points: &[StepMetrics]) {
    let mut last: Option<&StepMetrics> = None;
    for p in points {
        if p.step as i64 <= t.change.step as i64 {
            continue;
        }
        t.points.push(NewPoint {
            job: t.job.id,
            point: stored(p),
        });
        t.evaluations.extend(evaluations::carried(t.job.id, p));
        last = Some(p);
    }
    if let Some(p) = last {
        current(&mut t.change, p);
    }
}

fn finite(v: f64) -> Option<f32> {
    v.is_finite().then_some(v as f32)
}

fn step_of(p: &StepMetrics) -> i32 {
    p.step.min(i32::MAX as u64) as i32
}

/// A reported point as it is stored (what is not a number is left out).
fn stored(p: &StepMetrics) -> PointRow {
    PointRow {
        step: step_of(p),
        epoch: finite(p.epoch),
        train_loss: finite(p.train_loss),
        eval_loss: p.val_loss.and_then(finite),
        learning_rate: finite(p.learning_rate),
        tokens_per_second: finite(p.tokens_per_second),
        grad_norm: finite(p.grad_norm),
    }
}

/// The job's progress and current metrics from its latest point.
fn current(change: &mut Change, p: &StepMetrics) {
    change.step = step_of(p);
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
