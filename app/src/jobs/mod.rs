//! Training jobs in the UI: the list, the live job monitor with its loss
//! chart, and the server functions behind them.

pub mod api;
pub mod detail_page;
pub mod list_page;
pub mod loss_chart;
pub mod samples;
pub mod status_badge;

pub use detail_page::JobPage;
pub use list_page::JobsPage;
