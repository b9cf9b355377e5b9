//! `Services`: what every handler, server function and worker reaches the
//! backend through — the pool, the configuration, storage, the tokenizer and
//! the signal that wakes the workers. Cheap to clone; put in the request
//! extensions by the server and in the Leptos context for server functions.

use crate::config::{ClusterKind, Config, StorageKind};
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
    /// Builds storage and the tokenizer from the configuration.
    pub fn new(pool: PgPool, config: Config) -> Result<Self, String> {
        let key = match &config.storage_key {
            Some(hex) => SigningKey::from_hex(hex)
                .ok_or("BRIGHTRUN_STORAGE_KEY must be at least 64 hex characters")?,
            None => SigningKey::load_or_create(&config.data_dir).map_err(|e| {
                format!(
                    "cannot keep the storage key in {}: {e}",
                    config.data_dir.display()
                )
            })?,
        };
        let storage = match config.storage {
            StorageKind::Local => {
                Storage::local(&config.storage_dir, key.clone(), config.public_url.clone())
                    .map_err(|e| {
                        format!(
                            "cannot use storage folder {}: {e}",
                            config.storage_dir.display()
                        )
                    })?
            }
            StorageKind::S3 => Storage::s3(&config.s3.clone().unwrap_or_default())
                .map_err(|e| format!("cannot configure S3 storage: {e}"))?,
        };
        let tokenizer = crate::tokenizing::load(config.tokenizer.as_deref())?;
        let catalog = Arc::new(crate::training::load_catalog(&config)?);
        let own_url = OwnUrl::new(format!("http://{}", config.addr));
        let cluster: Arc<dyn Cluster> = match config.cluster {
            ClusterKind::Local => {
                let dir = config.data_dir.join("trainer");
                Arc::new(
                    LocalCluster::start(&dir, config.local_trainer_jobs, config.job_retries)
                        .map_err(|e| {
                            format!("cannot start the local trainer in {}: {e}", dir.display())
                        })?,
                )
            }
            ClusterKind::Http => Arc::new(
                HttpCluster::new(
                    config.cluster_url.as_deref().unwrap_or_default(),
                    config.cluster_key.clone(),
                    config.cluster_timeout,
                )
                .with_catalog(catalog.clone()),
            ),
            ClusterKind::Ray => Arc::new(RayCluster::new(
                config.ray_address.as_deref().unwrap_or_default(),
                config.ray_token.clone(),
                config.ray_entrypoint.clone(),
                storage.clone(),
                own_url.clone(),
                config.cluster_timeout,
            )),
        };
        let webhook_guard = Guard::new(config.webhook_allow.clone());
        Ok(Self {
            pool,
            webhook_http: webhook_guard.client(crate::webhooks::worker::TIMEOUT),
            webhook_guard,
            workers: Arc::default(),
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
