//! `Services`: what every handler, server function and worker reaches the
//! backend through — the pool, the configuration, storage, the tokenizer and
//! the signal that wakes the workers. Cheap to clone; part of the server's
//! router state (handlers take `State<Services>`) and in the Leptos context
//! for server functions.

use crate::config::{ClusterKind, Config, Secret, StorageKind};
use crate::jobs::cluster::{Cluster, http::HttpCluster, local::LocalCluster, ray::RayCluster};
use crate::storage::Storage;
use crate::storage::signing::SigningKey;
use crate::webhooks::guard::Guard;
use brightrun::datasets::TokenCounter;
use brightrun::training::GpuCatalog;
use sqlx::PgPool;
use std::sync::{Arc, OnceLock};
use tokio::sync::Notify;

#[derive(Clone)]
pub struct Services {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub storage: Storage,
    pub tokenizer: Arc<dyn TokenCounter>,
    /// Where jobs train (`BRIGHTRUN_CLUSTER`).
    pub cluster: Arc<dyn Cluster>,
    pub catalog: Arc<GpuCatalog>,
    /// Signs links this server serves itself (model bundles), whatever the storage.
    pub link_key: SigningKey,
    /// Checks and makes webhook requests (`BRIGHTRUN_WEBHOOK_ALLOW`).
    pub webhook_guard: Guard,
    /// The client webhook deliveries use: `webhook_guard` resolves for it.
    pub webhook_http: reqwest::Client,
    /// The background workers' last successful ticks (`/api/health`).
    pub workers: Arc<crate::workers::WorkerHealth>,
    /// The operators' metrics, this server's own registry (`observability`).
    pub observability: Arc<crate::observability::Metrics>,
    wake: Arc<Notify>,
    wake_poller: Arc<Notify>,
    /// This server's own address, known once it listens: signed local URLs
    /// handed to the trainer must be absolute.
    own_url: OwnUrl,
}

/// Where this server listens, once it does (the first `set` wins): makes
/// signed local URLs absolute for trainers elsewhere.
#[derive(Clone)]
pub struct OwnUrl {
    cell: Arc<OnceLock<String>>,
    fallback: String,
}

impl OwnUrl {
    pub fn new(fallback: String) -> Self {
        Self {
            cell: Arc::new(OnceLock::new()),
            fallback,
        }
    }

    pub fn set(&self, url: String) {
        let _ = self.cell.set(url);
    }

    /// `url` made absolute: signed local URLs are paths unless
    /// `BRIGHTRUN_PUBLIC_URL` is set.
    pub fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            let base = self.cell.get().unwrap_or(&self.fallback);
            format!("{base}{url}")
        } else {
            url.to_string()
        }
    }
}

impl Services {
    /// Builds storage, the tokenizer, the GPU catalog and the cluster from
    /// the configuration.
    #[tracing::instrument(skip_all, fields(storage = ?config.storage.kind, cluster = config.cluster.kind.as_str()))]
    pub fn new(pool: PgPool, config: Config) -> Result<Self, String> {
        let key = signing_key(&config)?;
        let storage = storage(&config, &key)?;
        if let Some(threads) = config.datasets.tokenizer_threads {
            crate::tokenizing::set_threads(threads);
        }
        let tokenizer = crate::tokenizing::load(config.datasets.tokenizer.as_deref())?;
        let catalog = Arc::new(crate::training::load_catalog(&config)?);
        let own_url = OwnUrl::new(format!("http://{}", config.server.addr));
        let cluster = cluster(&config, &storage, &own_url, &catalog)?;
        let webhook_guard = Guard::new(config.webhooks.allow.clone());
        Ok(Self {
            pool,
            webhook_http: webhook_guard.client(crate::webhooks::worker::TIMEOUT),
            webhook_guard,
            workers: Arc::default(),
            observability: Arc::default(),
            config: Arc::new(config),
            storage,
            tokenizer,
            cluster,
            catalog,
            link_key: key,
            wake: Arc::new(Notify::new()),
            wake_poller: Arc::new(Notify::new()),
            own_url,
        })
    }

    /// Records where this server listens (the first call wins).
    pub fn set_own_url(&self, url: String) {
        self.own_url.set(url);
    }

    /// `url` made absolute (see `OwnUrl`): the trainer needs a full URL.
    pub fn absolute_url(&self, url: &str) -> String {
        self.own_url.absolute(url)
    }

    /// Tells the job poller to tick now (a job was created or cancelled).
    pub fn wake_poller(&self) {
        self.wake_poller.notify_waiters();
    }

    pub async fn poller_woken(&self) {
        self.wake_poller.notified().await;
    }

    /// Tells the workers there is new work (they also poll).
    pub fn wake_workers(&self) {
        self.wake.notify_waiters();
    }

    pub async fn work_available(&self) {
        self.wake.notified().await;
    }
}

/// The key that signs local URLs: the configured one, else the one kept in
/// the data folder (made on first start).
fn signing_key(config: &Config) -> Result<SigningKey, String> {
    match &config.storage.key {
        Some(hex) => SigningKey::from_hex(hex.expose())
            .ok_or_else(|| "BRIGHTRUN_STORAGE_KEY must be at least 64 hex characters".into()),
        None => SigningKey::load_or_create(&config.data_dir).map_err(|e| {
            format!(
                "cannot keep the storage key in {}: {e}",
                config.data_dir.display()
            )
        }),
    }
}

fn storage(config: &Config, key: &SigningKey) -> Result<Storage, String> {
    let settings = &config.storage;
    match settings.kind {
        StorageKind::Local => {
            Storage::local(&settings.dir, key.clone(), config.server.public_url.clone())
                .map_err(|e| format!("cannot use storage folder {}: {e}", settings.dir.display()))
        }
        StorageKind::S3 => Storage::s3(&settings.s3.clone().unwrap_or_default())
            .map_err(|e| format!("cannot configure S3 storage: {e}")),
    }
}

/// The configured cluster backend. Secrets leave their wrapper here, for
/// the client that sends them.
fn cluster(
    config: &Config,
    storage: &Storage,
    own_url: &OwnUrl,
    catalog: &Arc<GpuCatalog>,
) -> Result<Arc<dyn Cluster>, String> {
    let c = &config.cluster;
    let exposed = |s: &Option<Secret<String>>| s.as_ref().map(|s| s.expose().clone());
    Ok(match c.kind {
        ClusterKind::Local => {
            let dir = config.data_dir.join("trainer");
            Arc::new(
                LocalCluster::start(&dir, c.local_trainer_jobs, c.job_retries).map_err(|e| {
                    format!("cannot start the local trainer in {}: {e}", dir.display())
                })?,
            )
        }
        ClusterKind::Http => Arc::new(
            HttpCluster::new(
                c.url.as_deref().unwrap_or_default(),
                exposed(&c.key),
                c.timeout,
            )
            .with_catalog(catalog.clone()),
        ),
        ClusterKind::Ray => Arc::new(RayCluster::new(
            c.ray.address.as_deref().unwrap_or_default(),
            exposed(&c.ray.token),
            c.ray.entrypoint.clone(),
            storage.clone(),
            own_url.clone(),
            c.timeout,
        )),
    })
}
