//! `http`: the cluster API of DESIGN §4.2 (`brightrun-trainer serve` on GPU
//! machines) at `GPU_CLUSTER_API_URL`, with `GPU_CLUSTER_API_KEY` as bearer
//! token. Every call is safe to repeat (a submit carries the job id as its
//! idempotency key), so timeouts and 5xx answers are retried with backoff
//! (`retry::send`). A job is only sent where its device exists: the
//! agent's `GET /v1/info` is read first (kept briefly, `devices::InfoCache`)
//! and a job asking for a GPU the agent lacks is refused before it is sent.

mod export;
mod generate;

use super::devices::{self, InfoCache};
use super::{
    ByteStream, Cluster, ClusterError, ClusterFuture, ExportSpec, ExportView, JobQuery, JobSpec,
    JobUpdate,
};
use brightrun::cluster::AgentInfo;
use brightrun::training::GpuCatalog;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Jobs per query request: one request per page of ids.
pub const QUERY_PAGE: usize = 1000;

pub struct HttpCluster {
    base: String,
    key: Option<String>,
    client: reqwest::Client,
    /// Names the GPU types of the agent's devices (the shipped one until
    /// [`HttpCluster::with_catalog`]).
    catalog: Arc<GpuCatalog>,
    info: InfoCache,
    timeout: Duration,
}

impl HttpCluster {
    pub fn new(base: &str, key: Option<String>, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            key,
            timeout,
            client: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .build()
                .expect("a reqwest client builds"),
            catalog: Arc::new(GpuCatalog::default()),
            info: InfoCache::default(),
        }
    }

    /// The server's GPU catalog, to tell which type each of the agent's GPUs is.
    pub fn with_catalog(mut self, catalog: Arc<GpuCatalog>) -> Self {
        self.catalog = catalog;
        self
    }

    /// `GET /v1/info`; `None` from an agent too old to have it.
    async fn fetch_info(&self) -> Result<Option<AgentInfo>, ClusterError> {
        let url = self.url("/v1/info");
        match self.call::<AgentInfo>(|c| c.get(&url)).await {
            Ok(info) => Ok(Some(info)),
            Err(ClusterError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends the request built by `make`, retrying connection failures,
    /// timeouts and 5xx answers with doubling backoff.
    async fn call<T: DeserializeOwned>(
        &self,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<T, ClusterError> {
        let resp = super::retry::send(|| self.authorised(make(&self.client))).await?;
        let status = resp.status();
        if status.is_success() {
            return resp.json::<T>().await.map_err(|e| {
                ClusterError::Unreachable(format!("the answer was not the cluster API's: {e}"))
            });
        }
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        Err(error_of(status, &body))
    }

    fn authorised(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(key) => req.bearer_auth(key),
            None => req,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The agent's refusal as a cluster error, its `details` kept.
fn error_of(status: StatusCode, body: &Value) -> ClusterError {
    let details = body["details"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| status.to_string());
    match status {
        StatusCode::NOT_FOUND => ClusterError::NotFound,
        StatusCode::CONFLICT => ClusterError::Finished,
        StatusCode::UNAUTHORIZED => {
            ClusterError::Rejected(format!("{details} (check GPU_CLUSTER_API_KEY)"))
        }
        // The agent itself found it lacks the job's device.
        StatusCode::UNPROCESSABLE_ENTITY if body["error"] == "device_unavailable" => {
            ClusterError::Unsuitable(details)
        }
        _ => ClusterError::Rejected(details),
    }
}

#[derive(serde::Deserialize)]
struct Submitted {
    id: String,
}

#[derive(serde::Deserialize)]
struct Updates {
    jobs: Vec<JobUpdate>,
}

#[derive(serde::Deserialize)]
struct LogChunk {
    text: String,
    next_offset: u64,
}

impl Cluster for HttpCluster {
    fn call_budget(&self) -> Duration {
        super::retry::budget(self.timeout)
    }

    fn name(&self) -> &'static str {
        "http"
    }

    fn submit<'a>(&'a self, spec: &'a JobSpec) -> ClusterFuture<'a, String> {
        Box::pin(async move {
            if let Some(info) = self.devices().await? {
                devices::check(spec, &info, &self.catalog)?;
            }
            let url = self.url("/v1/jobs");
            let done: Submitted = self.call(|c| c.post(&url).json(spec)).await?;
            Ok(done.id)
        })
    }

    fn query<'a>(&'a self, asks: &'a [JobQuery]) -> ClusterFuture<'a, Vec<JobUpdate>> {
        Box::pin(async move {
            let url = self.url("/v1/jobs/query");
            let mut all = Vec::with_capacity(asks.len());
            for page in asks.chunks(QUERY_PAGE) {
                let body = json!({ "jobs": page });
                let got: Updates = self.call(|c| c.post(&url).json(&body)).await?;
                all.extend(got.jobs);
            }
            Ok(all)
        })
    }

    fn cancel<'a>(&'a self, external_id: &'a str) -> ClusterFuture<'a, ()> {
        Box::pin(async move {
            let url = self.url(&format!("/v1/jobs/{external_id}/cancel"));
            let _: Value = self.call(|c| c.post(&url)).await?;
            Ok(())
        })
    }

    fn logs<'a>(&'a self, external_id: &'a str, offset: u64) -> ClusterFuture<'a, (String, u64)> {
        Box::pin(async move {
            let url = self.url(&format!("/v1/jobs/{external_id}/logs?offset={offset}"));
            let chunk: LogChunk = self.call(|c| c.get(&url)).await?;
            Ok((chunk.text, chunk.next_offset))
        })
    }

    fn shutdown(&self) -> ClusterFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    fn devices(&self) -> ClusterFuture<'_, Option<AgentInfo>> {
        Box::pin(self.info.get(self.fetch_info()))
    }

    fn generate(&self, spec: super::GenerateSpec) -> ClusterFuture<'_, super::Generation> {
        Box::pin(async move { self.start_generation(&spec).await })
    }

    fn start_export<'a>(&'a self, spec: &'a ExportSpec) -> ClusterFuture<'a, ExportView> {
        Box::pin(self.post_export(spec))
    }

    fn export_status<'a>(&'a self, id: &'a str) -> ClusterFuture<'a, ExportView> {
        Box::pin(self.get_export(id))
    }

    fn export_file<'a>(&'a self, id: &'a str, name: &'a str) -> ClusterFuture<'a, ByteStream> {
        Box::pin(self.stream_export_file(id, name))
    }

    fn remove_export<'a>(&'a self, id: &'a str) -> ClusterFuture<'a, ()> {
        Box::pin(self.delete_export(id))
    }
}
