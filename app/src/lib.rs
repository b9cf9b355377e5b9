//! BrightRun's web UI: routes, pages, the UI kit and the server functions
//! behind them. Under `ssr` the server functions call `brightrun-backend`;
//! under `hydrate` they are HTTP calls. Pages are grouped by feature.

#![recursion_limit = "512"]

pub mod accounts;
pub mod base_models;
pub mod costs;
pub mod dashboard;
pub mod datasets;
pub mod error;
pub mod jobs;
pub mod layout;
pub mod models;
pub mod notifications;
pub mod routes;
pub mod rpc;
pub mod training;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod ssr;

pub use error::AppError;
pub use routes::{App, shell};
