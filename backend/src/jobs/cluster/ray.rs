//! `ray`: jobs on a Ray cluster through its Jobs REST API at `RAY_ADDRESS`
//! (`RAY_AUTH_TOKEN` as bearer token when Ray has token auth on).
//!
//! Each BrightRun job is one Ray job whose `submission_id` is the cluster
//! job id (so a retried submit cannot start a second run) and whose
//! entrypoint is `brightrun-trainer run --spec <signed URL>`. The spec lives
//! in storage beside the two objects the trainer reports to as it trains —
//! `status.json` (its `JobView`) and `metrics.jsonl` — all under
//! `ray-jobs/<id>/`, reached by signed URLs: the trainer never holds storage
//! credentials and progress never depends on scraping logs. Ray's own
//! status is combined with the trainer's: a Ray `SUCCEEDED` whose trainer
//! says failed (or never said it finished) is a failure.

use super::{
    Cluster, ClusterError, ClusterFuture, JobQuery, JobSpec, JobUpdate, JobView, StepMetrics,
};
use crate::services::OwnUrl;
use crate::storage::Storage;
use brightrun::JobStatus;
use brightrun::cluster::Report;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// A queued job may wait a while; its URLs must outlive that.
const URL_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
const REPORT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Jobs whose reports are read at once.
const READ_AHEAD: usize = 16;

pub struct RayCluster {
    base: String,
    token: Option<String>,
    entrypoint: String,
    storage: Storage,
    own_url: OwnUrl,
    client: reqwest::Client,
    timeout: Duration,
}

/// Where a Ray job's spec and reports live.
pub fn report_key(id: &str, file: &str) -> String {
    format!("ray-jobs/{id}/{file}")
}

/// The Ray accelerator type of a catalog GPU (Ray's `accelerator_type:` resources).
pub fn accelerator(gpu_type: &str) -> String {
    match gpu_type {
        "t4" => "T4".into(),
        "l4" => "L4".into(),
        "a10g" => "A10G".into(),
        "a100-40gb" => "A100-40G".into(),
        "a100-80gb" => "A100-80G".into(),
        "h100-80gb" => "H100".into(),
        other => other.to_uppercase(),
    }
}

/// `value` as one shell word.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

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
fn ray_failure(job: &RayJob) -> String {
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

impl RayCluster {
    pub fn new(
        base: &str,
        token: Option<String>,
        entrypoint: String,
        storage: Storage,
        own_url: OwnUrl,
        timeout: Duration,
    ) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            token,
            entrypoint,
            storage,
            own_url,
            timeout,
            client: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .build()
                .expect("a reqwest client builds"),
        }
    }

    async fn send(
        &self,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClusterError> {
        let resp = super::retry::send(|| {
            let req = make(&self.client);
            match &self.token {
                Some(t) => req.bearer_auth(t),
                None => req,
            }
        })
        .await?;
        match resp.status().as_u16() {
            401 | 403 => Err(ClusterError::Rejected(format!(
                "Ray refused the request ({}): check RAY_AUTH_TOKEN",
                resp.status()
            ))),
            404 => Err(ClusterError::NotFound),
            _ => Ok(resp),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn exists(&self, id: &str) -> Result<bool, ClusterError> {
        match self
            .send(|c| c.get(self.url(&format!("/api/jobs/{id}"))))
            .await
        {
            Ok(resp) => Ok(resp.status().is_success()),
            Err(ClusterError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn signed(&self, key: &str, put: bool) -> Result<String, ClusterError> {
        let signed = if put {
            self.storage
                .upload_url(key, REPORT_MAX_BYTES, URL_TTL)
                .await
        } else {
            self.storage.download_url(key, URL_TTL).await
        }
        .map_err(|e| ClusterError::Rejected(format!("signing {key}: {e}")))?;
        Ok(self.own_url.absolute(&signed.url))
    }

    /// The trainer's last report on `id`, and its points after `after`.
    async fn report(&self, id: &str, after: Option<u64>) -> (Option<JobView>, Vec<StepMetrics>) {
        let view: Option<JobView> =
            match self.storage.get_bytes(&report_key(id, "status.json")).await {
                Ok(Some(b)) => serde_json::from_slice(&b).ok(),
                _ => None,
            };
        let step = view.as_ref().map(|v| v.progress.step).unwrap_or(0);
        if step == 0 || after.is_some_and(|a| a >= step) {
            return (view, Vec::new());
        }
        let points = match self
            .storage
            .get_bytes(&report_key(id, "metrics.jsonl"))
            .await
        {
            Ok(Some(b)) => points_after(&String::from_utf8_lossy(&b), after),
            _ => Vec::new(),
        };
        (view, points)
    }
}

impl Cluster for RayCluster {
    fn call_budget(&self) -> Duration {
        super::retry::budget(self.timeout)
    }

    fn name(&self) -> &'static str {
        "ray"
    }

    fn submit<'a>(&'a self, spec: &'a JobSpec) -> ClusterFuture<'a, String> {
        Box::pin(async move {
            let id = spec.job_id.clone();
            if self.exists(&id).await? {
                return Ok(id);
            }
            // A resubmission (Ray lost the job) reports afresh.
            let _ = self.storage.delete(&report_key(&id, "status.json")).await;
            let mut spec = spec.clone();
            spec.report = Some(Report {
                status: self.signed(&report_key(&id, "status.json"), true).await?,
                metrics: self.signed(&report_key(&id, "metrics.jsonl"), true).await?,
            });
            let body = serde_json::to_vec(&spec).expect("json");
            let spec_key = report_key(&id, "spec.json");
            self.storage
                .put_bytes(&spec_key, body.into())
                .await
                .map_err(|e| ClusterError::Unreachable(format!("storing the spec: {e}")))?;
            let spec_url = self.signed(&spec_key, false).await?;
            let entrypoint = self.entrypoint.replace("{spec}", &shell_quote(&spec_url));
            let (gpu_type, count) = spec
                .gpu
                .as_ref()
                .map(|g| (g.gpu_type.as_str(), g.count))
                .unwrap_or(("cpu", 1));
            let mut body = json!({
                "submission_id": id,
                "entrypoint": entrypoint,
                "entrypoint_num_cpus": 1,
                "metadata": {
                    "brightrun": "1",
                    "brightrun_job": id,
                    "brightrun_owner": spec.owner.clone().unwrap_or_default(),
                },
            });
            if gpu_type != "cpu" {
                body["entrypoint_num_gpus"] = json!(count);
                body["entrypoint_resources"] =
                    json!({ format!("accelerator_type:{}", accelerator(gpu_type)): 0.001 });
            }
            let resp = match self
                .send(|c| c.post(self.url("/api/jobs/")).json(&body))
                .await
            {
                Ok(resp) => resp,
                // Ray answers a duplicate submission_id with a 500: the job is there.
                Err(ClusterError::Unreachable(e)) => {
                    return if self.exists(&id).await? {
                        Ok(id)
                    } else {
                        Err(ClusterError::Unreachable(e))
                    };
                }
                Err(e) => return Err(e),
            };
            let status = resp.status();
            if status.is_success() {
                return Ok(id);
            }
            let text = resp.text().await.unwrap_or_default();
            if text.contains("already exists") {
                return Ok(id);
            }
            Err(ClusterError::Rejected(format!(
                "Ray refused the job ({status}): {}",
                text.chars().take(400).collect::<String>()
            )))
        })
    }

    fn query<'a>(&'a self, asks: &'a [JobQuery]) -> ClusterFuture<'a, Vec<JobUpdate>> {
        Box::pin(async move {
            let resp = self.send(|c| c.get(self.url("/api/jobs/"))).await?;
            let jobs: Vec<RayJob> = resp.json().await.map_err(|e| {
                ClusterError::Unreachable(format!("the answer was not Ray's job list: {e}"))
            })?;
            let ours: HashMap<String, RayJob> = jobs
                .into_iter()
                .filter(|j| {
                    j.metadata
                        .as_ref()
                        .is_some_and(|m| m.get("brightrun").is_some_and(|v| v == "1"))
                })
                .filter_map(|j| j.submission_id.clone().map(|id| (id, j)))
                .collect();
            let known: Vec<(String, Option<u64>, RayJob)> = asks
                .iter()
                .filter_map(|a| {
                    ours.get(&a.id)
                        .map(|j| (a.id.clone(), a.after_step, j.clone()))
                })
                .collect();
            let updates: Vec<JobUpdate> = futures::stream::iter(known)
                .map(|(id, after, job)| async move {
                    let (report, points) = self.report(&id, after).await;
                    JobUpdate {
                        job: combine(&id, &job, report),
                        points,
                    }
                })
                .buffered(READ_AHEAD)
                .collect()
                .await;
            Ok(updates)
        })
    }

    fn cancel<'a>(&'a self, external_id: &'a str) -> ClusterFuture<'a, ()> {
        Box::pin(async move {
            let resp = self
                .send(|c| c.post(self.url(&format!("/api/jobs/{external_id}/stop"))))
                .await?;
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            if body["stopped"] == json!(false) {
                return Err(ClusterError::Finished);
            }
            Ok(())
        })
    }

    fn logs<'a>(&'a self, external_id: &'a str, offset: u64) -> ClusterFuture<'a, (String, u64)> {
        Box::pin(async move {
            let resp = self
                .send(|c| c.get(self.url(&format!("/api/jobs/{external_id}/logs"))))
                .await?;
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let logs = body["logs"].as_str().unwrap_or_default().as_bytes();
            let from = (offset as usize).min(logs.len());
            Ok((
                String::from_utf8_lossy(&logs[from..]).into_owned(),
                logs.len() as u64,
            ))
        })
    }

    fn shutdown(&self) -> ClusterFuture<'_, ()> {
        // Ray keeps running the jobs; the next server picks them up.
        Box::pin(async { Ok(()) })
    }
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
    fn specs_go_in_one_shell_word_and_gpus_get_ray_names() {
        assert_eq!(
            shell_quote("http://x/a?b=1&c='d'"),
            r"'http://x/a?b=1&c='\''d'\'''"
        );
        assert_eq!(accelerator("a100-80gb"), "A100-80G");
        assert_eq!(accelerator("h100-80gb"), "H100");
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
