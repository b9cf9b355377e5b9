//! One claimed job on its way through a tick: its row as claimed, the row
//! as the tick leaves it, and what the cluster reported for it.

use crate::error::ServiceError;
use crate::jobs::queries::points::{NewEvaluation, NewPoint};
use crate::jobs::queries::tick::ClaimedRow;
use brightrun::JobStatus;
use brightrun::cluster::DeviceInfo;
use chrono::{DateTime, Utc};

/// A job of this tick.
pub struct Tracked {
    /// The row as claimed; never changed.
    pub job: ClaimedRow,
    pub change: Change,
    /// Points after the last stored step, from the cluster.
    pub points: Vec<NewPoint>,
    pub evaluations: Vec<NewEvaluation>,
    /// The size of a completed job's adapter, once all of it is in storage.
    pub artifact_bytes: Option<i64>,
}

/// A job's row as this tick leaves it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub old_status: JobStatus,
    pub status: JobStatus,
    pub external: Option<String>,
    pub step: i32,
    pub total: Option<i32>,
    pub epoch: Option<f32>,
    /// The latest point's metrics when this tick brought new points; `None`
    /// keeps the stored ones (most of a 10,000-job tick sends nothing here).
    pub metrics: Option<serde_json::Value>,
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub seen_at: Option<DateTime<Utc>>,
    pub retry_count: i32,
    /// The device that trains, once the trainer has said.
    pub trained_on: Option<DeviceInfo>,
}

impl Tracked {
    /// The job as claimed, nothing changed yet.
    pub fn new(job: ClaimedRow) -> Result<Self, ServiceError> {
        let status: JobStatus = job
            .status
            .parse()
            .map_err(|e| ServiceError::internal("job row", e))?;
        let change = Change {
            old_status: status,
            status,
            external: job.external_job_id.clone(),
            step: job.current_step,
            total: job.total_steps,
            epoch: job.current_epoch,
            metrics: None,
            error: job.error_message.clone(),
            started_at: job.started_at,
            finished_at: None,
            seen_at: job.cluster_seen_at,
            retry_count: job.retry_count,
            trained_on: job
                .trained_on
                .clone()
                .and_then(|v| serde_json::from_value(v).ok()),
        };
        Ok(Self {
            job,
            change,
            points: Vec::new(),
            evaluations: Vec::new(),
            artifact_bytes: None,
        })
    }

    /// The cluster has the job and it is not finished: it is asked about.
    pub fn on_cluster(&self) -> Option<&str> {
        if self.change.status.is_terminal() {
            return None;
        }
        self.change.external.as_deref()
    }
}
