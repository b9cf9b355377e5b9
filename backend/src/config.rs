//! Typed configuration, read once from the environment (and `.env`) at start.
//! Every variable is listed in the README's configuration table with its
//! default; add a row there when adding one here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A configuration variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?} is not valid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: &'static str,
}

#[derive(Clone)]
pub struct Config {
    /// `BRIGHTRUN_ADDR`: where the web server listens.
    pub addr: SocketAddr,
    /// `DATABASE_URL`: an external PostgreSQL; unset starts an embedded one.
    pub database_url: Option<String>,
    /// `BRIGHTRUN_DATA_DIR`: embedded PostgreSQL, local storage and other state.
    pub data_dir: PathBuf,
    /// `BRIGHTRUN_PG_BIN`: folder holding `initdb`, `pg_ctl` and `postgres`.
    pub pg_bin: Option<PathBuf>,
    /// `BRIGHTRUN_SITE_ROOT`: the built site (the `pkg/` with WASM, JS and CSS).
    pub site_root: PathBuf,
    /// `BRIGHTRUN_SECURE_COOKIES`: mark cookies `Secure` (serve behind https).
    pub secure_cookies: bool,
    /// `BRIGHTRUN_SESSION_DAYS`: how long a sign-in lasts.
    pub session_ttl: Duration,
    /// `BRIGHTRUN_SIGNIN_LIMIT`: failed sign-ins per minute per email or client before 429.
    pub signin_failures_per_minute: u32,
    /// `BRIGHTRUN_SIGNUP_LIMIT`: sign-ups per minute per client before 429.
    pub signups_per_minute: u32,
    /// `BRIGHTRUN_TRUSTED_PROXIES`: addresses and ranges of reverse proxies
    /// whose `X-Forwarded-For` names the client (rate limits count clients).
    pub trusted_proxies: brightrun::net::IpRanges,
    /// `BRIGHTRUN_DB_MAX_CONNECTIONS`: size of the connection pool.
    pub db_max_connections: u32,
    /// `BRIGHTRUN_STORAGE`: `local` (a folder, URLs signed by this server) or `s3`.
    pub storage: StorageKind,
    /// `BRIGHTRUN_STORAGE_DIR`: the local store's folder (default `<data dir>/storage`).
    pub storage_dir: PathBuf,
    /// `BRIGHTRUN_STORAGE_KEY`: hex HMAC key for local URLs (default: made once, kept in the data folder).
    pub storage_key: Option<String>,
    /// `BRIGHTRUN_S3_BUCKET` with `AWS_ENDPOINT_URL`, `AWS_REGION`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`
    /// when `BRIGHTRUN_STORAGE=s3` (unset ones fall back to the AWS defaults).
    pub s3: Option<crate::storage::s3::S3Settings>,
    /// `BRIGHTRUN_PUBLIC_URL`: prefix of signed local URLs (default: none, same origin).
    pub public_url: String,
    /// `BRIGHTRUN_DATASET_MAX_MB`: largest dataset accepted.
    pub dataset_max_bytes: u64,
    /// `BRIGHTRUN_TOKENIZER`: a `tokenizer.json` to count tokens with (default: cl100k_base).
    pub tokenizer: Option<PathBuf>,
    /// `BRIGHTRUN_MAX_SEQ_LEN`: examples longer than this many tokens get a warning.
    pub max_seq_len: u64,
    /// `BRIGHTRUN_WORKERS`: run the background workers in this process.
    pub workers: bool,
    /// `BRIGHTRUN_CLUSTER`: where jobs train: `local` (the trainer embedded in
    /// this server, on its CPU) or `http` (`brightrun-trainer serve` at
    /// `GPU_CLUSTER_API_URL`).
    pub cluster: ClusterKind,
    /// `GPU_CLUSTER_API_URL`: the cluster API's base URL for `http`.
    pub cluster_url: Option<String>,
    /// `GPU_CLUSTER_API_KEY`: its bearer token.
    pub cluster_key: Option<String>,
    /// `BRIGHTRUN_LOCAL_TRAINER_JOBS`: jobs the embedded trainer runs at once.
    pub local_trainer_jobs: usize,
    /// `BRIGHTRUN_MODELS_DIR`: Hugging Face model folders offered as base
    /// models (default `<data dir>/models`).
    pub models_dir: PathBuf,
    /// `BRIGHTRUN_HUB_URL`: the Hugging Face Hub (or a mirror) base models
    /// are added from (default `https://huggingface.co`).
    pub hub_url: String,
    /// `BRIGHTRUN_HUB_ADMINS`: comma-separated emails of the operators who
    /// may add and delete base models; empty (the default): every user may.
    pub hub_admins: Vec<String>,
    /// `BRIGHTRUN_HUB_MAX_GB`: the largest base model download accepted
    /// (default 100 GB).
    pub hub_max_bytes: u64,
    /// `BRIGHTRUN_CLUSTER_MODELS`: comma-separated model ids the remote
    /// cluster accepts, offered besides the built-in and local ones.
    pub cluster_models: Vec<String>,
    /// `BRIGHTRUN_GPU_CATALOG`: a GPU catalog file (default: the shipped `config/gpus.json`).
    pub gpu_catalog: Option<PathBuf>,
    /// `BRIGHTRUN_CPU_PRICE_PER_HOUR`: what an hour of the local trainer costs.
    pub cpu_price_per_hour: f64,
    /// `BRIGHTRUN_CLUSTER_TIMEOUT_MS`: how long one request to the cluster
    /// (http, Ray) may take before it is retried.
    pub cluster_timeout: Duration,
    /// `BRIGHTRUN_POLL_MS`: how often the job poller asks the cluster.
    pub poll_interval: Duration,
    /// `BRIGHTRUN_CLUSTER_LOST_MINUTES`: a job the cluster has not answered
    /// about for this long is failed.
    pub cluster_lost_after: Duration,
    /// `BRIGHTRUN_JOB_RETRIES`: automatic resubmissions of a job the cluster lost.
    pub job_retries: u32,
    /// `BRIGHTRUN_STORAGE_PRICE_PER_GB_MONTH`: what a GB of datasets and adapters costs a month.
    pub storage_price_per_gb_month: f64,
    /// `BRIGHTRUN_TRANSFER_PRICE_PER_GB`: what a GB downloaded costs.
    pub transfer_price_per_gb: f64,
    /// `BRIGHTRUN_WEBHOOK_BACKOFF_MS`: the wait after a webhook's first failed
    /// attempt, doubled after each further one.
    pub webhook_backoff: Duration,
    /// `BRIGHTRUN_WEBHOOK_ALLOW`: internal hosts and ranges webhooks may
    /// reach (`receiver.lan, 10.1.2.0/24`); others are refused.
    pub webhook_allow: brightrun::outbound::AllowList,
    /// `RAY_ADDRESS`: the Ray dashboard (Jobs REST API) for `ray`.
    pub ray_address: Option<String>,
    /// `RAY_AUTH_TOKEN`: sent as `Authorization: Bearer` when Ray has token auth on.
    pub ray_token: Option<String>,
    /// `BRIGHTRUN_RAY_ENTRYPOINT`: the command a Ray job runs, `{spec}`
    /// replaced by the spec's signed URL (default `brightrun-trainer run
    /// --spec {spec}`: the trainer installed on the node image).
    pub ray_entrypoint: String,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    Local,
    S3,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The database URL may carry a password.
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("data_dir", &self.data_dir)
            .field("pg_bin", &self.pg_bin)
            .field("site_root", &self.site_root)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_ttl", &self.session_ttl)
            .field(
                "signin_failures_per_minute",
                &self.signin_failures_per_minute,
            )
            .field("db_max_connections", &self.db_max_connections)
            .field("storage", &self.storage)
            .field("storage_dir", &self.storage_dir)
            .field("storage_key", &self.storage_key.as_ref().map(|_| "<set>"))
            .field("s3", &self.s3)
            .field("dataset_max_bytes", &self.dataset_max_bytes)
            .field("tokenizer", &self.tokenizer)
            .field("cluster", &self.cluster)
            .field("cluster_url", &self.cluster_url)
            .field("cluster_key", &self.cluster_key.as_ref().map(|_| "<set>"))
            .field("models_dir", &self.models_dir)
            .field("hub_url", &self.hub_url)
            .field("hub_admins", &self.hub_admins)
            .field("poll_interval", &self.poll_interval)
            .field("ray_address", &self.ray_address)
            .field("ray_token", &self.ray_token.as_ref().map(|_| "<set>"))
            .field("ray_entrypoint", &self.ray_entrypoint)
            .finish()
    }
}

impl Config {
    /// Reads `.env` (if present) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source; tests pass a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let data_dir: PathBuf = var("BRIGHTRUN_DATA_DIR")
            .unwrap_or_else(|| "./.brightrun".into())
            .into();
        let storage = match var("BRIGHTRUN_STORAGE").as_deref().map(str::trim) {
            None | Some("local") => StorageKind::Local,
            Some("s3") => StorageKind::S3,
            Some(other) => {
                return Err(ConfigError {
                    name: "BRIGHTRUN_STORAGE",
                    value: other.to_string(),
                    reason: "expected local or s3",
                });
            }
        };
        let s3 = match (storage, var("BRIGHTRUN_S3_BUCKET")) {
            (StorageKind::S3, None) => {
                return Err(ConfigError {
                    name: "BRIGHTRUN_S3_BUCKET",
                    value: String::new(),
                    reason: "required when BRIGHTRUN_STORAGE=s3",
                });
            }
            (StorageKind::S3, Some(bucket)) => Some(crate::storage::s3::S3Settings {
                bucket,
                endpoint: var("AWS_ENDPOINT_URL").or_else(|| var("AWS_ENDPOINT")),
                region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
                access_key_id: var("AWS_ACCESS_KEY_ID"),
                secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
                session_token: var("AWS_SESSION_TOKEN"),
            }),
            (StorageKind::Local, _) => None,
        };
        let cluster = match var("BRIGHTRUN_CLUSTER").as_deref().map(str::trim) {
            None | Some("local") => ClusterKind::Local,
            Some("http") => ClusterKind::Http,
            Some("ray") => ClusterKind::Ray,
            Some(other) => {
                return Err(ConfigError {
                    name: "BRIGHTRUN_CLUSTER",
                    value: other.to_string(),
                    reason: "expected local, http or ray",
                });
            }
        };
        let ray_address = var("RAY_ADDRESS").map(|u| u.trim_end_matches('/').to_string());
        if cluster == ClusterKind::Ray
            && !ray_address
                .as_deref()
                .is_some_and(|a| a.starts_with("http://") || a.starts_with("https://"))
        {
            return Err(ConfigError {
                name: "RAY_ADDRESS",
                value: ray_address.clone().unwrap_or_default(),
                reason: "required when BRIGHTRUN_CLUSTER=ray: the Ray dashboard's URL, e.g. http://127.0.0.1:8265",
            });
        }
        let ray_entrypoint = var("BRIGHTRUN_RAY_ENTRYPOINT")
            .unwrap_or_else(|| "brightrun-trainer run --spec {spec}".into());
        if !ray_entrypoint.contains("{spec}") {
            return Err(ConfigError {
                name: "BRIGHTRUN_RAY_ENTRYPOINT",
                value: ray_entrypoint,
                reason: "must contain {spec}, where the spec's signed URL goes",
            });
        }
        let cluster_url = var("GPU_CLUSTER_API_URL").map(|u| u.trim_end_matches('/').to_string());
        if cluster == ClusterKind::Http && cluster_url.is_none() {
            return Err(ConfigError {
                name: "GPU_CLUSTER_API_URL",
                value: String::new(),
                reason: "required when BRIGHTRUN_CLUSTER=http",
            });
        }
        let cpu_price_per_hour: f64 = parse(
            &var,
            "BRIGHTRUN_CPU_PRICE_PER_HOUR",
            "0",
            "expected dollars per hour, e.g. 0.05",
        )?;
        if !(cpu_price_per_hour >= 0.0 && cpu_price_per_hour.is_finite()) {
            return Err(ConfigError {
                name: "BRIGHTRUN_CPU_PRICE_PER_HOUR",
                value: cpu_price_per_hour.to_string(),
                reason: "expected a price of 0 or more",
            });
        }
        Ok(Self {
            cluster,
            cluster_url,
            cluster_key: var("GPU_CLUSTER_API_KEY"),
            local_trainer_jobs: parse::<usize>(
                &var,
                "BRIGHTRUN_LOCAL_TRAINER_JOBS",
                "1",
                "expected a whole number",
            )?
            .max(1),
            models_dir: var("BRIGHTRUN_MODELS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("models")),
            hub_url: var("BRIGHTRUN_HUB_URL")
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| "https://huggingface.co".into()),
            hub_admins: var("BRIGHTRUN_HUB_ADMINS")
                .map(|v| {
                    v.split(',')
                        .map(|m| m.trim().to_ascii_lowercase())
                        .filter(|m| !m.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            hub_max_bytes: (parse::<f64>(
                &var,
                "BRIGHTRUN_HUB_MAX_GB",
                "100",
                "expected gigabytes, e.g. 20",
            )? * 1e9) as u64,
            cluster_models: var("BRIGHTRUN_CLUSTER_MODELS")
                .map(|v| {
                    v.split(',')
                        .map(|m| m.trim().to_string())
                        .filter(|m| !m.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            gpu_catalog: var("BRIGHTRUN_GPU_CATALOG").map(PathBuf::from),
            cpu_price_per_hour,
            poll_interval: Duration::from_millis(parse(
                &var,
                "BRIGHTRUN_POLL_MS",
                "2000",
                "expected milliseconds",
            )?),
            cluster_lost_after: Duration::from_secs(
                60 * parse::<u64>(
                    &var,
                    "BRIGHTRUN_CLUSTER_LOST_MINUTES",
                    "10",
                    "expected whole minutes",
                )?,
            ),
            job_retries: parse(
                &var,
                "BRIGHTRUN_JOB_RETRIES",
                "2",
                "expected a whole number",
            )?,
            storage_price_per_gb_month: parse(
                &var,
                "BRIGHTRUN_STORAGE_PRICE_PER_GB_MONTH",
                "0.023",
                "expected dollars, e.g. 0.023",
            )?,
            transfer_price_per_gb: parse(
                &var,
                "BRIGHTRUN_TRANSFER_PRICE_PER_GB",
                "0.09",
                "expected dollars, e.g. 0.09",
            )?,
            ray_address,
            ray_token: var("RAY_AUTH_TOKEN").filter(|t| !t.trim().is_empty()),
            ray_entrypoint,
            cluster_timeout: Duration::from_millis(parse(
                &var,
                "BRIGHTRUN_CLUSTER_TIMEOUT_MS",
                "15000",
                "expected whole milliseconds",
            )?),
            webhook_backoff: Duration::from_millis(parse(
                &var,
                "BRIGHTRUN_WEBHOOK_BACKOFF_MS",
                "30000",
                "expected whole milliseconds",
            )?),
            webhook_allow: {
                let value = var(brightrun::outbound::ALLOW_SETTING).unwrap_or_default();
                brightrun::outbound::AllowList::parse(&value).map_err(|_| ConfigError {
                    name: brightrun::outbound::ALLOW_SETTING,
                    value,
                    reason: "expected host names, IP addresses or ranges like 10.0.0.0/8, separated by commas",
                })?
            },
            storage,
            storage_dir: var("BRIGHTRUN_STORAGE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("storage")),
            storage_key: var("BRIGHTRUN_STORAGE_KEY"),
            s3,
            public_url: var("BRIGHTRUN_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_default(),
            dataset_max_bytes: 1024
                * 1024
                * parse::<u64>(
                    &var,
                    "BRIGHTRUN_DATASET_MAX_MB",
                    "500",
                    "expected whole megabytes",
                )?,
            tokenizer: var("BRIGHTRUN_TOKENIZER").map(PathBuf::from),
            max_seq_len: parse(
                &var,
                "BRIGHTRUN_MAX_SEQ_LEN",
                "2048",
                "expected a whole number of tokens",
            )?,
            workers: parse_bool(&var, "BRIGHTRUN_WORKERS", true)?,
            addr: match var("BRIGHTRUN_ADDR").or_else(|| var("LEPTOS_SITE_ADDR")) {
                Some(v) => parse(
                    &|_: &str| Some(v.clone()),
                    "BRIGHTRUN_ADDR",
                    "",
                    "expected host:port",
                )?,
                None => "127.0.0.1:3000".parse().expect("valid default"),
            },
            database_url: var("DATABASE_URL"),
            data_dir,
            pg_bin: var("BRIGHTRUN_PG_BIN").map(PathBuf::from),
            site_root: var("BRIGHTRUN_SITE_ROOT")
                .or_else(|| var("LEPTOS_SITE_ROOT"))
                .unwrap_or_else(|| "target/site".into())
                .into(),
            secure_cookies: parse_bool(&var, "BRIGHTRUN_SECURE_COOKIES", false)?,
            session_ttl: Duration::from_secs(
                24 * 3600
                    * parse::<u64>(&var, "BRIGHTRUN_SESSION_DAYS", "30", "expected whole days")?,
            ),
            signups_per_minute: parse(
                &var,
                "BRIGHTRUN_SIGNUP_LIMIT",
                "5",
                "expected a whole number of sign-ups",
            )?,
            trusted_proxies: {
                let value = var("BRIGHTRUN_TRUSTED_PROXIES").unwrap_or_default();
                brightrun::net::IpRanges::parse(&value).map_err(|_| ConfigError {
                    name: "BRIGHTRUN_TRUSTED_PROXIES",
                    value,
                    reason: "expected IP addresses or ranges like 10.0.0.0/8, separated by commas",
                })?
            },
            signin_failures_per_minute: parse(
                &var,
                "BRIGHTRUN_SIGNIN_LIMIT",
                "10",
                "expected a whole number",
            )?,
            db_max_connections: parse(
                &var,
                "BRIGHTRUN_DB_MAX_CONNECTIONS",
                "10",
                "expected a whole number",
            )?,
        })
    }
}

fn parse<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
    reason: &'static str,
) -> Result<T, ConfigError> {
    let value = var(name).unwrap_or_else(|| default.to_string());
    value.trim().parse().map_err(|_| ConfigError {
        name,
        value,
        reason,
    })
}

fn parse_bool(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match var(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
        Some(value) => Err(ConfigError {
            name,
            value,
            reason: "expected true or false",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_serve_loopback_with_embedded_postgres() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert!(c.database_url.is_none());
        assert_eq!(c.data_dir, PathBuf::from("./.brightrun"));
        assert_eq!(c.signin_failures_per_minute, 10);
        assert!(!c.secure_cookies);
        assert_eq!(c.session_ttl, Duration::from_secs(30 * 24 * 3600));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = config(&[("BRIGHTRUN_ADDR", "localhost")]).unwrap_err();
        assert_eq!(err.name, "BRIGHTRUN_ADDR");
        let err = config(&[("BRIGHTRUN_SECURE_COOKIES", "maybe")]).unwrap_err();
        assert!(err.to_string().contains("BRIGHTRUN_SECURE_COOKIES"));
    }

    #[test]
    fn the_cluster_is_local_by_default_and_http_needs_its_url() {
        let c = config(&[]).unwrap();
        assert_eq!(c.cluster, ClusterKind::Local);
        assert_eq!(c.local_trainer_jobs, 1);
        assert_eq!(c.models_dir, PathBuf::from("./.brightrun/models"));
        let err = config(&[("BRIGHTRUN_CLUSTER", "http")]).unwrap_err();
        assert_eq!(err.name, "GPU_CLUSTER_API_URL");
        let c = config(&[
            ("BRIGHTRUN_CLUSTER", "http"),
            ("GPU_CLUSTER_API_URL", "http://127.0.0.1:8080/"),
            ("GPU_CLUSTER_API_KEY", "secret-key"),
            ("BRIGHTRUN_CLUSTER_MODELS", "llama-3-8b, qwen2-7b,"),
        ])
        .unwrap();
        assert_eq!(c.cluster_url.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(c.cluster_models, ["llama-3-8b", "qwen2-7b"]);
        assert!(!format!("{c:?}").contains("secret-key"));
        assert_eq!(
            config(&[("BRIGHTRUN_CLUSTER", "slurm")]).unwrap_err().name,
            "BRIGHTRUN_CLUSTER"
        );
        assert_eq!(
            config(&[("BRIGHTRUN_CLUSTER", "ray")]).unwrap_err().name,
            "RAY_ADDRESS",
            "ray needs the dashboard URL"
        );
        let ray = config(&[
            ("BRIGHTRUN_CLUSTER", "ray"),
            ("RAY_ADDRESS", "http://127.0.0.1:8265/"),
            ("RAY_AUTH_TOKEN", "ray-secret"),
        ])
        .unwrap();
        assert_eq!(ray.ray_address.as_deref(), Some("http://127.0.0.1:8265"));
        assert_eq!(ray.ray_entrypoint, "brightrun-trainer run --spec {spec}");
        assert!(!format!("{ray:?}").contains("ray-secret"));
        assert_eq!(
            config(&[
                ("BRIGHTRUN_CLUSTER", "ray"),
                ("RAY_ADDRESS", "http://127.0.0.1:8265"),
                ("BRIGHTRUN_RAY_ENTRYPOINT", "trainer run"),
            ])
            .unwrap_err()
            .name,
            "BRIGHTRUN_RAY_ENTRYPOINT"
        );
        assert_eq!(
            config(&[("BRIGHTRUN_CPU_PRICE_PER_HOUR", "-1")])
                .unwrap_err()
                .name,
            "BRIGHTRUN_CPU_PRICE_PER_HOUR"
        );
    }

    #[test]
    fn debug_hides_the_database_url() {
        let c = config(&[("DATABASE_URL", "postgres://u:hunter2@h/db")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
