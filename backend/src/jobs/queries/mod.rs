//! The SQL of jobs, every statement compile-checked: the rows users read
//! and create ([`jobs`]), cancel and retry ([`lifecycle`]), what other
//! features ask before a delete ([`in_use`]), points and evaluations
//! ([`points`]), the poller's claim and writes ([`tick`]), and what the
//! job monitor's poll reads ([`updates`]). The rest of `jobs` calls these.

pub mod in_use;
pub mod jobs;
pub mod lifecycle;
pub mod points;
pub mod tick;
pub mod updates;

pub use in_use::{ActiveJob, Used, active_using, in_use};
pub use jobs::{NewJobRow, config_and_estimate, get, insert};
pub use points::{eval_points, metric_count, metrics, metrics_at};
