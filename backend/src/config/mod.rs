//! Typed configuration, read once from the environment (and `.env`) at
//! start, grouped by concern: one section per file, each field documented
//! where it is declared with its variable and default. The README's
//! configuration table lists the same variables for operators: add a row
//! there when adding a field here. Secrets are `Secret`s, never printed or
//! serialized. Sections read through `Vars`, so tests pass a map instead of
//! the environment, and a command that needs one section (logging, the
//! embedded database, the dataset check) reads only that one.

mod accounts;
mod base_models;
mod billing;
mod cluster;
mod database;
mod datasets;
mod secret;
mod server;
mod storage;
mod vars;
mod webhooks;

pub use accounts::AccountsConfig;
pub use base_models::BaseModelsConfig;
pub use billing::BillingConfig;
pub use cluster::{ClusterConfig, ClusterKind, RayConfig};
pub use database::DatabaseConfig;
pub use datasets::{DatasetsConfig, tokenizer_threads};
pub use secret::Secret;
pub use server::{LogFormat, ServerConfig};
pub use storage::{StorageConfig, StorageKind};
pub use vars::{ConfigError, Vars};
pub use webhooks::WebhooksConfig;

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// `BRIGHTRUN_DATA_DIR`, default `./.brightrun`: the embedded
    /// PostgreSQL, the local trainer's work, and the defaults of the storage
    /// and models folders and of the local signing key.
    pub data_dir: PathBuf,
    /// Listening, the built site, cookies, proxies, workers, logs (`server.rs`).
    pub server: ServerConfig,
    /// External or embedded PostgreSQL (`database.rs`).
    pub database: DatabaseConfig,
    /// Local folder or S3 (`storage.rs`).
    pub storage: StorageConfig,
    /// Upload limit and token counting (`datasets.rs`).
    pub datasets: DatasetsConfig,
    /// Where jobs train and how the poller treats the cluster (`cluster.rs`).
    pub cluster: ClusterConfig,
    /// Local model folders and the Hugging Face Hub (`base_models.rs`).
    pub base_models: BaseModelsConfig,
    /// Sessions and sign-in/sign-up rate limits (`accounts.rs`).
    pub accounts: AccountsConfig,
    /// CPU, storage and transfer prices (`billing.rs`).
    pub billing: BillingConfig,
    /// Delivery back-off and the internal hosts allowed (`webhooks.rs`).
    pub webhooks: WebhooksConfig,
}

impl Config {
    /// Reads `.env` (if present) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source; tests pass a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars::new(&get);
        let data_dir: PathBuf = vars
            .get("BRIGHTRUN_DATA_DIR")
            .unwrap_or_else(|| "./.brightrun".into())
            .into();
        Ok(Self {
            storage: StorageConfig::from_vars(vars, &data_dir)?,
            cluster: ClusterConfig::from_vars(vars)?,
            billing: BillingConfig::from_vars(vars)?,
            base_models: BaseModelsConfig::from_vars(vars, &data_dir)?,
            webhooks: WebhooksConfig::from_vars(vars)?,
            datasets: DatasetsConfig::from_vars(vars)?,
            server: ServerConfig::from_vars(vars)?,
            database: DatabaseConfig::from_vars(vars)?,
            accounts: AccountsConfig::from_vars(vars)?,
            data_dir,
        })
    }
}

#[cfg(test)]
mod tests;
