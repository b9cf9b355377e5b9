//! The dashboard's server function: the signed-in user's counts and this
//! month's spend, in one call.

use crate::AppError;
use brightrun::dashboard::DashboardSummary;
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "load_dashboard", output = crate::rpc::Json)]
pub async fn load_dashboard() -> Result<DashboardSummary, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::dashboard::summary(&services, user.id).await?)
}
