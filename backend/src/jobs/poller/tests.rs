//! The poller's pure steps, called directly: applying the cluster's answer
//! to a job and what its owner is told.

use super::job::Tracked;
use super::{notes, observe};
use crate::jobs::queries::tick::ClaimedRow;
use crate::notifications::NotificationType;
use brightrun::JobStatus;
use brightrun::cluster::{JobUpdate, JobView, StepMetrics};
use chrono::{DateTime, Utc};
use uuid::Uuid;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn running_job(step: i32) -> Tracked {
    Tracked::new(ClaimedRow {
        lease_until: at("2025-01-01T00:10:00Z"),
        id: Uuid::from_u128(1),
        owner_id: Uuid::from_u128(2),
        name: "eq run".into(),
        status: "running".into(),
        external_job_id: Some("tj_1".into()),
        current_step: step,
        total_steps: Some(10),
        current_epoch: None,
        model_id: Uuid::from_u128(3),
        parent_model_id: None,
        base_model: "tiny-llama".into(),
        gpu_type: "cpu".into(),
        gpu_count: 1,
        price_per_hour: Some(0.1),
        started_at: Some(at("2025-01-01T00:00:00Z")),
        cancel_requested_at: None,
        cluster_seen_at: None,
        billed_until: None,
        queued_at: at("2025-01-01T00:00:00Z"),
        retry_count: 0,
        attempt: 0,
        error_message: None,
        trained_on: None,
    })
    .unwrap()
}

fn point(step: u64) -> StepMetrics {
    StepMetrics {
        step,
        total_steps: 10,
        epoch: step as f64 / 10.0,
        train_loss: 2.0,
        learning_rate: 1e-4,
        grad_norm: 1.0,
        tokens_per_second: 100.0,
        elapsed_s: 1.0,
        eta_s: 9.0,
        val_loss: None,
        evaluations: Vec::new(),
    }
}

fn update(status: JobStatus, steps: &[u64]) -> JobUpdate {
    let mut job = JobView::new("tj_1", status, at("2025-01-01T00:00:00Z"));
    job.progress.total_steps = 10;
    JobUpdate {
        job,
        points: steps.iter().map(|&s| point(s)).collect(),
    }
}

#[test]
fn only_points_after_the_stored_step_are_kept_and_the_last_is_current() {
    let mut t = running_job(2);
    let now = at("2025-01-01T00:05:00Z");
    observe::apply(&mut t, &update(JobStatus::Running, &[1, 2, 3, 4]), now);
    let steps: Vec<i32> = t.points.iter().map(|p| p.point.step).collect();
    assert_eq!(steps, [3, 4]);
    assert_eq!(t.change.step, 4);
    assert_eq!(t.change.metrics.as_ref().unwrap()["eta_s"], 9.0);
    assert_eq!(t.change.status, JobStatus::Running);
    assert_eq!(t.change.finished_at, None);
}

#[test]
fn an_illegal_move_is_ignored_and_a_finish_is_dated() {
    let mut t = running_job(0);
    let now = at("2025-01-01T00:05:00Z");
    observe::apply(&mut t, &update(JobStatus::Queued, &[]), now);
    assert_eq!(
        t.change.status,
        JobStatus::Running,
        "running never goes back"
    );
    observe::apply(&mut t, &update(JobStatus::Completed, &[]), now);
    assert_eq!(t.change.status, JobStatus::Completed);
    assert_eq!(t.change.finished_at, Some(now));
}

#[test]
fn a_completed_job_tells_of_its_run_and_its_adapter() {
    let mut t = running_job(9);
    t.change.status = JobStatus::Completed;
    let notes = notes::for_change(&t);
    let kinds: Vec<NotificationType> = notes.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            NotificationType::JobCompleted,
            NotificationType::ArtifactReady
        ]
    );
    assert_eq!(
        notes[1].link.as_deref(),
        Some(format!("/models/{}", Uuid::from_u128(3)).as_str())
    );
    assert!(notes.iter().all(|n| n.owner == Uuid::from_u128(2)));
    t.change.status = JobStatus::Running;
    assert!(notes::for_change(&t).is_empty(), "running was not a move");
}
