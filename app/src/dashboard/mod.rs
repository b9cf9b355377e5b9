//! The dashboard in the UI: the home page's summary and its server function.

pub mod api;
pub mod page;

pub use page::DashboardPage;
