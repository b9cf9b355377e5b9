//! BrightRun's services: configuration, PostgreSQL (embedded or external),
//! accounts, sessions and API tokens. The HTTP layer (`brightrun-server`) and
//! the server functions (`brightrun-app` under `ssr`) both call into this
//! crate; it knows nothing about either.

pub mod accounts;
pub mod base_models;
pub mod config;
pub mod costs;
pub mod dashboard;
pub mod datasets;
pub mod db;
pub mod error;
pub mod generation;
pub mod hmac_sha256;
pub mod http;
pub mod jobs;
pub mod models;
pub mod notifications;
pub mod services;
pub mod storage;
pub mod tokenizing;
pub mod training;
pub mod webhooks;
pub mod workers;

pub use config::Config;
pub use error::ServiceError;
pub use services::Services;
