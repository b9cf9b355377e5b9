//! The dashboard's numbers for one user: datasets (and how many are ready),
//! live jobs, models and this month's spend, read in one query.

pub mod queries;

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::dashboard::DashboardSummary;
use uuid::Uuid;

#[tracing::instrument(skip_all, fields(%owner))]
pub async fn summary(services: &Services, owner: Uuid) -> Result<DashboardSummary, ServiceError> {
    let counts = queries::counts(&services.pool, owner).await?;
    Ok(DashboardSummary {
        datasets: counts.datasets as u64,
        ready_datasets: counts.ready_datasets as u64,
        active_jobs: counts.active_jobs as u64,
        models: counts.models as u64,
        month_cost: counts.month_cost,
    })
}
