//! The dashboard's numbers.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DashboardSummary {
    pub datasets: u64,
    pub ready_datasets: u64,
    pub active_jobs: u64,
    pub models: u64,
    /// This calendar month's recorded costs, in dollars.
    pub month_cost: f64,
}
