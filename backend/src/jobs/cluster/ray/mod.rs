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
//! says failed (or never said it finished) is a failure. Exports run as
//! Ray jobs too (`export.rs`).

mod export;
mod status;
mod submission;

pub use status::{RayJob, combine, points_after};
pub use submission::{accelerator, submission};

use super::{
    ByteStream, Cluster, ClusterError, ClusterFuture, ExportSpec, ExportView, JobQuery, JobSpec,
    JobUpdate, JobView, StepMetrics,
};
use crate::services::OwnUrl;
use crate::storage::Storage;
use brightrun::cluster::Report;
use futures::StreamExt;
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

/// Where a Ray job's spec and reports live (built in `storage::keys`).
pub use crate::storage::keys::ray_job_object as report_key;

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
        if put {
            return self.signed_upload(key, REPORT_MAX_BYTES).await;
        }
        let signed = self
            .storage
            .download_url(key, URL_TTL)
            .await
            .map_err(|e| ClusterError::Rejected(format!("signing {key}: {e}")))?;
        Ok(self.own_url.absolute(&signed.url))
    }

    async fn signed_upload(&self, key: &str, max_bytes: u64) -> Result<String, ClusterError> {
        let signed = self
            .storage
            .upload_url(key, max_bytes, URL_TTL)
            .await
            .map_err(|e| ClusterError::Rejected(format!("signing {key}: {e}")))?;
        Ok(self.own_url.absolute(&signed.url))
    }

    /// `POST /api/jobs/` with `body`; a job already there under `id` is
    /// the job asked for.
    async fn post_job(&self, id: &str, body: &Value) -> Result<(), ClusterError> {
        let resp = match self
            .send(|c| c.post(self.url("/api/jobs/")).json(body))
            .await
        {
            Ok(resp) => resp,
            // Ray answers a duplicate submission_id with a 500: the job is there.
            Err(ClusterError::Unreachable(e)) => {
                return if self.exists(id).await? {
                    Ok(())
                } else {
                    Err(ClusterError::Unreachable(e))
                };
            }
            Err(e) => return Err(e),
        };
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        if text.contains("already exists") {
            return Ok(());
        }
        Err(ClusterError::Rejected(format!(
            "Ray refused the job ({status}): {}",
            text.chars().take(400).collect::<String>()
        )))
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
            let body = submission(&id, &spec, &spec_url, &self.entrypoint);
            self.post_job(&id, &body).await?;
            Ok(id)
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

    fn start_export<'a>(&'a self, spec: &'a ExportSpec) -> ClusterFuture<'a, ExportView> {
        Box::pin(self.submit_export(spec))
    }

    fn export_status<'a>(&'a self, id: &'a str) -> ClusterFuture<'a, ExportView> {
        Box::pin(self.export_view(id))
    }

    fn export_file<'a>(&'a self, id: &'a str, name: &'a str) -> ClusterFuture<'a, ByteStream> {
        Box::pin(self.export_stream(id, name))
    }

    fn remove_export<'a>(&'a self, id: &'a str) -> ClusterFuture<'a, ()> {
        Box::pin(self.remove_export_job(id))
    }
}
