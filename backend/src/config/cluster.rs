//! Where jobs train and how the job poller treats the cluster: `local` (the
//! trainer embedded in this server, on its CPU), `http` (`brightrun-trainer
//! serve` at `GPU_CLUSTER_API_URL`) or `ray` (a Ray cluster's Jobs API at
//! `RAY_ADDRESS`). `url` and `key` belong to `http` only; `ray` holds the
//! Ray values; the poller's values (`poll_interval`, `timeout`,
//! `lost_after`, `job_retries`) apply to every kind.

use super::secret::Secret;
use super::vars::{ConfigError, Vars};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterKind {
    Local,
    Http,
    Ray,
}

impl ClusterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Http => "http",
            Self::Ray => "ray",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// `BRIGHTRUN_CLUSTER`, default `local`: `local`, `http` or `ray`.
    pub kind: ClusterKind,
    /// `GPU_CLUSTER_API_URL` (required for `http`): the cluster API's base URL.
    pub url: Option<String>,
    /// `GPU_CLUSTER_API_KEY`, default none: the `http` cluster's bearer token.
    pub key: Option<Secret<String>>,
    /// The Ray cluster's values (used for `ray`).
    pub ray: RayConfig,
    /// `BRIGHTRUN_LOCAL_TRAINER_JOBS`, default `1`: jobs the embedded
    /// trainer runs at once.
    pub local_trainer_jobs: usize,
    /// `BRIGHTRUN_CLUSTER_MODELS`, default none: comma-separated model ids a
    /// remote cluster accepts, offered besides the built-in and local ones.
    pub models: Vec<String>,
    /// `BRIGHTRUN_GPU_CATALOG`, default the shipped `config/gpus.json`: the
    /// GPUs offered and their prices.
    pub gpu_catalog: Option<PathBuf>,
    /// `BRIGHTRUN_CLUSTER_TIMEOUT_MS`, default `15000`: how long one request
    /// to the cluster (http, Ray) may take before it is retried.
    pub timeout: Duration,
    /// `BRIGHTRUN_POLL_MS`, default `2000`: how often the job poller asks
    /// the cluster.
    pub poll_interval: Duration,
    /// `BRIGHTRUN_CLUSTER_LOST_MINUTES`, default `10`: a job the cluster has
    /// not answered about for this long is failed.
    pub lost_after: Duration,
    /// `BRIGHTRUN_JOB_RETRIES`, default `2`: automatic resubmissions of a
    /// job the cluster lost.
    pub job_retries: u32,
}

#[derive(Debug, Clone)]
pub struct RayConfig {
    /// `RAY_ADDRESS` (required for `ray`): the Ray dashboard (Jobs REST
    /// API), e.g. `http://127.0.0.1:8265`.
    pub address: Option<String>,
    /// `RAY_AUTH_TOKEN`, default none: sent as `Authorization: Bearer` when
    /// Ray has token auth on.
    pub token: Option<Secret<String>>,
    /// `BRIGHTRUN_RAY_ENTRYPOINT`, default `brightrun-trainer run --spec
    /// {spec}` (the trainer installed on the node image): the command a Ray
    /// job runs, `{spec}` replaced by the spec's signed URL.
    pub entrypoint: String,
}

impl ClusterConfig {
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let kind = vars.choice(
            "BRIGHTRUN_CLUSTER",
            &[
                ("local", ClusterKind::Local),
                ("http", ClusterKind::Http),
                ("ray", ClusterKind::Ray),
            ],
            "expected local, http or ray",
        )?;
        let ray = RayConfig::from_vars(vars, kind)?;
        let url = vars.url("GPU_CLUSTER_API_URL");
        if kind == ClusterKind::Http && url.is_none() {
            return Err(ConfigError::new(
                "GPU_CLUSTER_API_URL",
                "",
                "required when BRIGHTRUN_CLUSTER=http",
            ));
        }
        Ok(Self {
            kind,
            url,
            key: vars.secret("GPU_CLUSTER_API_KEY"),
            ray,
            local_trainer_jobs: vars
                .parse::<usize>(
                    "BRIGHTRUN_LOCAL_TRAINER_JOBS",
                    "1",
                    "expected a whole number",
                )?
                .max(1),
            models: vars.list("BRIGHTRUN_CLUSTER_MODELS"),
            gpu_catalog: vars.get("BRIGHTRUN_GPU_CATALOG").map(PathBuf::from),
            timeout: Duration::from_millis(vars.parse(
                "BRIGHTRUN_CLUSTER_TIMEOUT_MS",
                "15000",
                "expected whole milliseconds",
            )?),
            poll_interval: Duration::from_millis(vars.parse(
                "BRIGHTRUN_POLL_MS",
                "2000",
                "expected milliseconds",
            )?),
            lost_after: Duration::from_secs(
                60 * vars.parse::<u64>(
                    "BRIGHTRUN_CLUSTER_LOST_MINUTES",
                    "10",
                    "expected whole minutes",
                )?,
            ),
            job_retries: vars.parse("BRIGHTRUN_JOB_RETRIES", "2", "expected a whole number")?,
        })
    }
}

impl RayConfig {
    fn from_vars(vars: Vars<'_>, kind: ClusterKind) -> Result<Self, ConfigError> {
        let address = vars.url("RAY_ADDRESS");
        let is_http = |a: &str| a.starts_with("http://") || a.starts_with("https://");
        if kind == ClusterKind::Ray && !address.as_deref().is_some_and(is_http) {
            return Err(ConfigError::new(
                "RAY_ADDRESS",
                address.unwrap_or_default(),
                "required when BRIGHTRUN_CLUSTER=ray: the Ray dashboard's URL, e.g. http://127.0.0.1:8265",
            ));
        }
        let entrypoint = vars
            .get("BRIGHTRUN_RAY_ENTRYPOINT")
            .unwrap_or_else(|| "brightrun-trainer run --spec {spec}".into());
        if !entrypoint.contains("{spec}") {
            return Err(ConfigError::new(
                "BRIGHTRUN_RAY_ENTRYPOINT",
                entrypoint,
                "must contain {spec}, where the spec's signed URL goes",
            ));
        }
        Ok(Self {
            address,
            token: vars.secret("RAY_AUTH_TOKEN"),
            entrypoint,
        })
    }
}
