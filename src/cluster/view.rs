//! Where a job is, as the cluster answers it: `GET /v1/jobs/{id}`, each
//! entry of a list, and the batched query the poller makes each tick.

use super::{DeviceInfo, StepMetrics};
use crate::status::JobStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A job's status, progress, latest metrics and error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    /// The agent's id for the job.
    pub id: String,
    /// The caller's id (the idempotency key).
    pub job_id: String,
    pub status: JobStatus,
    pub progress: Progress,
    /// The latest step's metrics.
    pub metrics: Option<StepMetrics>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The device the job trains on, once its trainer has chosen it: what
    /// is billed. `None` before, and from trainers that predate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceInfo>,
}

impl JobView {
    /// A job before its first step: `status`, no progress, no metrics.
    pub fn new(id: &str, status: JobStatus, created_at: DateTime<Utc>) -> Self {
        Self {
            id: id.to_string(),
            job_id: id.to_string(),
            status,
            progress: Progress {
                step: 0,
                total_steps: 0,
                epoch: 0.0,
            },
            metrics: None,
            error: None,
            created_at,
            started_at: None,
            finished_at: None,
            device: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub step: u64,
    pub total_steps: u64,
    pub epoch: f64,
}

/// One entry of a query's answer: a job's view and its points after the step asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobUpdate {
    #[serde(flatten)]
    pub job: JobView,
    pub points: Vec<StepMetrics>,
}

/// What a query asks about one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobQuery {
    pub id: String,
    /// Only points after this step (none: every point).
    #[serde(default)]
    pub after_step: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_is_the_view_with_its_points_beside_it() {
        let at = DateTime::parse_from_rfc3339("2025-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let update = JobUpdate {
            job: JobView::new("j1", JobStatus::Running, at),
            points: vec![],
        };
        let json = serde_json::to_value(&update).unwrap();
        assert_eq!(json["status"], "running");
        assert_eq!(json["progress"]["total_steps"], 0);
        assert_eq!(json["points"], serde_json::json!([]));
        assert_eq!(serde_json::from_value::<JobUpdate>(json).unwrap(), update);
    }
}
