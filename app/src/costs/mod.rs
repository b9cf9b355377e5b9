//! Costs in the UI: the `/costs` page (month, types, jobs, daily trend,
//! records, CSV export), the budget banner, and their server functions.

pub mod api;
pub mod budget_banner;
pub mod page;
pub mod trend_chart;

pub use budget_banner::BudgetBanner;
pub use page::CostsPage;
