//! Cost server functions: the month's summary, the records, the budget.

use crate::AppError;
use brightrun::costs::{CostFilter, CostRecord, CostSummary};
use leptos::prelude::*;
use server_fn::codec::Json;

#[server(prefix = "/rpc", endpoint = "month_costs", output = crate::rpc::Json)]
pub async fn month_costs() -> Result<CostSummary, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::costs::summary(&services, user.id).await?)
}

#[server(prefix = "/rpc", endpoint = "list_costs", input = Json, output = crate::rpc::Json)]
pub async fn list_costs(filter: CostFilter) -> Result<Vec<CostRecord>, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::costs::list(&services, user.id, &filter, Some(200)).await?)
}

#[server(prefix = "/rpc", endpoint = "get_budget", output = crate::rpc::Json)]
pub async fn get_budget() -> Result<Option<f64>, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::costs::budget::get(&services, user.id).await?)
}

/// `monthly_budget` as typed: empty removes the budget.
#[server(prefix = "/rpc", endpoint = "set_budget", output = crate::rpc::Json)]
pub async fn set_budget(monthly_budget: String) -> Result<Option<f64>, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    let text = monthly_budget
        .trim()
        .trim_start_matches('$')
        .replace(',', "");
    let budget = if text.is_empty() {
        None
    } else {
        Some(text.parse::<f64>().map_err(|_| AppError::Invalid {
            field: Some("monthly_budget".into()),
            message: format!(
                "'{monthly_budget}' is not an amount; write dollars such as 25 or 12.50."
            ),
        })?)
    };
    Ok(brightrun_backend::costs::budget::set(&services, user.id, budget).await?)
}
