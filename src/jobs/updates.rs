//! What the job monitor's poll asks and gets: only what changed since the
//! page's last look. The page says what it has (the last step, its log
//! offset, the version it saw); an unchanged job answers `Unchanged` (over
//! REST, `304 Not Modified` for the version as an ETag), a changed one its
//! small status, the points and evaluations after that step, the log after
//! that offset and the samples when a new evaluation came. The version is
//! computed from the job's row and the last stored step and evaluation, so
//! checking it reads no points.

use super::log_tail::{TAIL_BYTES, whole_lines};
use super::records::{Job, JobDetail, MetricPoint};
use super::samples::JobSamples;
use super::series::downsample;
use crate::status::JobStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most points a chart is drawn from; longer series are thinned evenly.
pub const CHART_POINTS: usize = 400;

/// What the page already has; every part optional (none: everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdatesSince {
    /// The last step whose point the page holds.
    pub after_step: Option<u32>,
    /// How many bytes of the log it has read; `None`: send the log's tail.
    pub log_offset: Option<u64>,
    /// The version it last saw: the same one answers `Unchanged`.
    pub version: Option<String>,
}

/// The job's small status: what its header and status card show that
/// changes while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobProgress {
    pub status: JobStatus,
    pub current_step: u32,
    pub total_steps: Option<u32>,
    pub current_epoch: Option<f64>,
    /// The latest step's metrics (loss, learning rate, tokens/s).
    pub current_metrics: Option<MetricPoint>,
    /// Seconds left, from the trainer's own measure.
    pub eta_s: Option<f64>,
    pub cost_so_far: f64,
    pub error_message: Option<String>,
    pub retry_count: u32,
    /// The trained model, once the job completed.
    pub model_id: Option<Uuid>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<&Job> for JobProgress {
    fn from(j: &Job) -> Self {
        Self {
            status: j.status,
            current_step: j.current_step,
            total_steps: j.total_steps,
            current_epoch: j.current_epoch,
            current_metrics: j.current_metrics.clone(),
            eta_s: j.eta_s,
            cost_so_far: j.cost_so_far,
            error_message: j.error_message.clone(),
            retry_count: j.retry_count,
            model_id: j.model_id,
            started_at: j.started_at,
            finished_at: j.finished_at,
        }
    }
}

impl Job {
    /// The job as `progress` leaves it (what does not change while a job
    /// runs, its name and configuration, is kept).
    pub fn apply(&mut self, p: JobProgress) {
        self.status = p.status;
        self.current_step = p.current_step;
        self.total_steps = p.total_steps;
        self.current_epoch = p.current_epoch;
        self.current_metrics = p.current_metrics;
        self.eta_s = p.eta_s;
        self.cost_so_far = p.cost_so_far;
        self.error_message = p.error_message;
        self.retry_count = p.retry_count;
        self.model_id = p.model_id;
        self.started_at = p.started_at;
        self.finished_at = p.finished_at;
    }
}

/// What changed since the page's last look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobUpdates {
    /// The job's version now (the REST ETag's value).
    pub version: String,
    pub progress: JobProgress,
    /// How many points the job has in all.
    pub metric_count: u32,
    /// The points after `after_step`, in step order (evenly thinned to
    /// [`CHART_POINTS`] when there are more).
    pub metrics: Vec<MetricPoint>,
    /// The validation points after `after_step`.
    pub eval_points: Vec<MetricPoint>,
    /// The log after `log_offset`, or its tail (whole lines, at most
    /// `TAIL_BYTES`) when no offset was given.
    pub log: String,
    /// Where the log read ended: the next poll's `log_offset`.
    pub log_offset: u64,
    /// `log` is the log's tail, to show instead of what the page has.
    pub log_is_tail: bool,
    /// The evaluations to show, when one came after `after_step`.
    pub samples: Option<JobSamples>,
}

/// A poll's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobPoll {
    /// The version the page gave is still the job's.
    Unchanged {
        version: String,
    },
    Changed(Box<JobUpdates>),
}

/// What a job's version is computed from: its row and its last point and
/// evaluation, each read by one index probe.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionParts {
    pub status: JobStatus,
    pub current_step: u32,
    pub cost_so_far: f64,
    pub updated_at: DateTime<Utc>,
    /// When the poller last heard from the cluster about the job: the log
    /// may have grown since the version before.
    pub cluster_seen_at: Option<DateTime<Utc>>,
    pub model_id: Option<Uuid>,
    pub last_point: Option<u32>,
    pub last_evaluation: Option<u32>,
}

impl VersionParts {
    /// A short weak validator: FNV-1a over the parts, stable across
    /// processes and builds (so several server instances agree).
    pub fn version(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(self.status.to_string().as_bytes());
        eat(&self.current_step.to_le_bytes());
        eat(&self.cost_so_far.to_bits().to_le_bytes());
        eat(&self.updated_at.timestamp_micros().to_le_bytes());
        let seen = self.cluster_seen_at.map_or(-1, |t| t.timestamp_micros());
        eat(&seen.to_le_bytes());
        eat(self.model_id.unwrap_or_default().as_bytes());
        eat(&self.last_point.map_or(-1, i64::from).to_le_bytes());
        eat(&self.last_evaluation.map_or(-1, i64::from).to_le_bytes());
        format!("{h:016x}")
    }
}

/// `If-None-Match` against `version`: a list of (weak or strong) tags,
/// or `*`.
pub fn matches_version(if_none_match: &str, version: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == version)
}

/// `version` as a weak ETag header value.
pub fn etag(version: &str) -> String {
    format!("W/\"{version}\"")
}

impl JobDetail {
    /// The last step whose point the page holds.
    pub fn last_step(&self) -> Option<u32> {
        self.metrics.last().map(|p| p.step)
    }

    /// The detail with `u` applied: the new status, the new points
    /// appended (the series thinned again once it holds twice what a chart
    /// draws), the new evaluations and samples.
    pub fn apply(&mut self, u: JobUpdates) {
        self.job.apply(u.progress);
        self.metric_count = u.metric_count;
        let last = self.last_step();
        self.metrics.extend(
            u.metrics
                .into_iter()
                .filter(|p| last.is_none_or(|l| p.step > l)),
        );
        if self.metrics.len() > 2 * CHART_POINTS {
            self.metrics = downsample(&self.metrics, CHART_POINTS);
        }
        let last_eval = self.eval_points.last().map(|p| p.step);
        self.eval_points.extend(
            u.eval_points
                .into_iter()
                .filter(|p| last_eval.is_none_or(|l| p.step > l)),
        );
        if let Some(samples) = u.samples {
            self.samples = samples;
        }
    }
}

/// The page's log after a poll: the tail replaces it, a chunk is
/// appended; either way only the last whole lines within `TAIL_BYTES`
/// are kept.
pub fn append_log(log: &mut String, chunk: &str, is_tail: bool) {
    if is_tail {
        log.clear();
    }
    log.push_str(chunk);
    let keep = TAIL_BYTES as usize;
    if log.len() > keep {
        *log = whole_lines(log, 0, keep).to_string();
    }
}

#[cfg(test)]
mod tests;
