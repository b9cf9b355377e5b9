//! Training jobs in the UI: the list, the live job monitor (its stage
//! indicator, status card, loss chart, samples and actions), and the server
//! functions behind them.

pub mod api;
pub mod detail_page;
pub mod job_actions;
pub mod list_page;
pub mod loss_chart;
pub mod samples;
pub mod stage_indicator;
pub mod status_badge;
pub mod status_card;

pub use detail_page::JobPage;
pub use list_page::JobsPage;
pub use stage_indicator::JobStageIndicator;
pub use status_card::JobStatusCard;
