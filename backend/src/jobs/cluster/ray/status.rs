//! Ray's view of a job combined with the trainer's own report: Ray says
//! whether the process runs, the trainer what it trained. A Ray
//! `SUCCEEDED` whose trainer says failed (or never said it finished) is a
//! failure.

use brightrun::JobStatus;
use brightrun::cluster::{JobView, StepMetrics};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;

/// One job of `GET /api/jobs/`.
#[derive(Debug, Clone, Deserialize)]
pub struct RayJob {
    #[serde(default)]
    pub submission_id: Option<String>,
    pub status: String,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub metadata: Option<HashMap<String, String>>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub end_time: Option<i64>,
    #[serde(default)]
    pub driver_exit_code: Option<i32>,
}

fn at(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.filter(|m| *m > 0)
        .and_then(DateTime::from_timestamp_millis)
}

/// Why Ray failed a job whose trainer did not say, in words a user can act on.
pub(super) fn ray_failure(job: &RayJob) -> String {
    let message = job.message.clone().unwrap_or_default();
    if job.driver_exit_code == Some(127) || message.contains("exit code 127") {
        return "Ray could not start the trainer (exit code 127): install brightrun-trainer on the Ray nodes' image, or point BRIGHTRUN_RAY_ENTRYPOINT at it.".into();
    }
    let short: String = message.chars().take(400).collect();
    format!("Ray reported the job failed: {short}")
}

/// Ray's status and the trainer's own report, as one view.
pub fn combine(id: &str, job: &RayJob, report: Option<JobView>) -> JobView {
    let mut v = report.unwrap_or_else(|| {
        JobView::new(
            id,
            JobStatus::Queued,
            at(job.start_time).unwrap_or_else(Utc::now),
        )
    });
    v.id = id.to_string();
    v.job_id = id.to_string();
    match job.status.as_str() {
        "PENDING" if !v.status.is_terminal() => v.status = JobStatus::Queued,
        "RUNNING" if v.status == JobStatus::Queued => v.status = JobStatus::Initializing,
        "STOPPED" if v.status != JobStatus::Completed => v.status = JobStatus::Cancelled,
        "SUCCEEDED" if !v.status.is_terminal() => {
            v.status = JobStatus::Failed;
            v.error = Some(
                "Ray reported the job succeeded, but the trainer never reported finishing; see the job's log.".into(),
            );
        }
        "FAILED" if v.status != JobStatus::Failed => {
            v.status = JobStatus::Failed;
            v.error = Some(ray_failure(job));
        }
        _ => {}
    }
    if v.status.is_terminal() && v.finished_at.is_none() {
        v.finished_at = Some(at(job.end_time).unwrap_or_else(Utc::now));
    }
    v
}

/// The points of a `metrics.jsonl` after `after` (lines that do not parse are skipped).
pub fn points_after(text: &str, after: Option<u64>) -> Vec<StepMetrics> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<StepMetrics>(l).ok())
        .filter(|p| after.is_none_or(|a| p.step > a))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ray(status: &str) -> RayJob {
        RayJob {
            submission_id: Some("j".into()),
            status: status.into(),
            message: Some("Job entrypoint command failed with exit code 1".into()),
            metadata: None,
            start_time: Some(1_780_000_000_000),
            end_time: Some(1_780_000_060_000),
            driver_exit_code: Some(1),
        }
    }

    fn report(status: JobStatus, error: Option<&str>) -> Option<JobView> {
        Some(combine("j", &ray("RUNNING"), None)).map(|mut v| {
            v.status = status;
            v.error = error.map(String::from);
            v
        })
    }

    #[test]
    fn ray_success_needs_the_trainer_to_say_completed() {
        let ok = combine("j", &ray("SUCCEEDED"), report(JobStatus::Completed, None));
        assert_eq!(ok.status, JobStatus::Completed);
        let failed = combine(
            "j",
            &ray("SUCCEEDED"),
            report(JobStatus::Failed, Some("out of memory")),
        );
        assert_eq!(
            (failed.status, failed.error.as_deref()),
            (JobStatus::Failed, Some("out of memory"))
        );
        let silent = combine("j", &ray("SUCCEEDED"), report(JobStatus::Running, None));
        assert_eq!(silent.status, JobStatus::Failed);
        assert!(silent.error.unwrap().contains("never reported finishing"));
        assert!(silent.finished_at.is_some());
    }

    #[test]
    fn ray_states_map_onto_brightruns() {
        assert_eq!(
            combine("j", &ray("PENDING"), None).status,
            JobStatus::Queued
        );
        assert_eq!(
            combine("j", &ray("RUNNING"), None).status,
            JobStatus::Initializing
        );
        assert_eq!(
            combine("j", &ray("RUNNING"), report(JobStatus::Running, None)).status,
            JobStatus::Running
        );
        assert_eq!(
            combine("j", &ray("STOPPED"), None).status,
            JobStatus::Cancelled
        );
        let failed = combine("j", &ray("FAILED"), None);
        assert_eq!(failed.status, JobStatus::Failed);
        assert!(failed.error.unwrap().contains("exit code 1"));
        let mut missing = ray("FAILED");
        missing.driver_exit_code = Some(127);
        assert!(
            combine("j", &missing, None)
                .error
                .unwrap()
                .contains("install brightrun-trainer")
        );
        let trainer = combine(
            "j",
            &ray("FAILED"),
            report(JobStatus::Failed, Some("diverged")),
        );
        assert_eq!(
            trainer.error.as_deref(),
            Some("diverged"),
            "the trainer's reason wins"
        );
    }

    #[test]
    fn points_after_the_last_stored_step() {
        let line = |s: u64| {
            format!(
                r#"{{"step":{s},"total_steps":4,"epoch":0.5,"train_loss":2.0,"learning_rate":0.001,"grad_norm":1.0,"tokens_per_second":10.0,"elapsed_s":1.0,"eta_s":1.0,"val_loss":null}}"#
            )
        };
        let text = format!("{}\n{}\nnot json\n{}\n", line(1), line(2), line(3));
        let steps: Vec<u64> = points_after(&text, Some(1))
            .iter()
            .map(|p| p.step)
            .collect();
        assert_eq!(steps, [2, 3]);
        assert_eq!(points_after(&text, None).len(), 3);
    }
}
