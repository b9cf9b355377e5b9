//! `Services`: what every handler, server function and worker reaches the
//! backend through — the pool, the configuration, storage, the tokenizer and
//! the signal that wakes the workers. Cheap to clone; put in the request
//! extensions by the server and in the Leptos context for server functions.

use crate::config::{Config, StorageKind};
use crate::storage::Storage;
use crate::storage::signing::SigningKey;
use brightrun::datasets::TokenCounter;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct Services {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub storage: Storage,
    pub tokenizer: Arc<dyn TokenCounter>,
    wake: Arc<Notify>,
}

impl Services {
    /// Builds storage and the tokenizer from the configuration.
    pub fn new(pool: PgPool, config: Config) -> Result<Self, String> {
        let storage = match config.storage {
            StorageKind::Local => {
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
                Storage::local(&config.storage_dir, key, config.public_url.clone()).map_err(
                    |e| {
                        format!(
                            "cannot use storage folder {}: {e}",
                            config.storage_dir.display()
                        )
                    },
                )?
            }
            StorageKind::S3 => Storage::s3(config.s3_bucket.as_deref().unwrap_or_default())
                .map_err(|e| format!("cannot configure S3 storage: {e}"))?,
        };
        let tokenizer = crate::tokenizing::load(config.tokenizer.as_deref())?;
        Ok(Self {
            pool,
            config: Arc::new(config),
            storage,
            tokenizer,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Tells the workers there is new work (they also poll).
    pub fn wake_workers(&self) {
        self.wake.notify_waiters();
    }

    pub async fn work_available(&self) {
        self.wake.notified().await;
    }
}
