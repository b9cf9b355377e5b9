//! BrightRun's services: every operation the UI and the REST API offer,
//! and the background workers. One folder per feature (accounts, datasets,
//! base models, training and jobs, models, generation, costs, notifications,
//! webhooks, the dashboard), each with its service functions (taking
//! `&Services` first), its SQL in a `queries` module and, where it has one,
//! its worker; beside them the shared pieces: `config`, `db` (PostgreSQL,
//! embedded or external, and migrations), `storage` (local or S3, keys built
//! in `storage::keys`), `services` (what every caller reaches the backend
//! through), `error` (`ServiceError`, this layer's one error) and
//! `rest_envelope` (the REST error body and the request id). The HTTP layer
//! (`brightrun-server`) and the server functions (`brightrun-app` under
//! `ssr`) both call into this crate; it knows nothing about either, beyond
//! rendering its errors as axum responses.

pub mod accounts;
pub mod base_models;
pub mod charts;
pub mod config;
pub mod costs;
pub mod dashboard;
pub mod datasets;
pub mod db;
pub mod error;
pub mod generation;
pub mod hmac_sha256;
pub mod jobs;
pub mod models;
pub mod notifications;
pub mod observability;
pub mod rest_envelope;
pub mod services;
pub mod storage;
pub mod tokenizing;
pub mod training;
pub mod webhooks;
pub mod workers;

pub use config::Config;
pub use error::ServiceError;
pub use services::Services;
