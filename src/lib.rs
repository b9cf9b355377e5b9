//! BrightRun's domain: the typed models the UI and the server share, and the
//! rules both enforce. Pure by policy: no I/O, no async runtime, so the same
//! code compiles to wasm32 for the browser and to native for the server.

pub mod accounts;
pub mod base_models;
pub mod cluster;
pub mod costs;
pub mod dashboard;
pub mod datasets;
pub mod generation;
pub mod jobs;
pub mod models;
pub mod net;
pub mod notifications;
pub mod outbound;
pub mod status;
pub mod training;
pub mod url;
pub mod users;
pub mod webhooks;

pub use accounts::{AccountRuleError, Email, MIN_PASSWORD_CHARS, validate_password};
pub use status::{CostType, DatasetStatus, JobStatus, NotificationType, UnknownStatus};
pub use users::{ApiTokenInfo, NewApiToken, UserProfile};
