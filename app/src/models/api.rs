//! Model server functions.

use crate::AppError;
use brightrun::models::Model;
use leptos::prelude::*;
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "list_models")]
pub async fn list_models() -> Result<Vec<Model>, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::models::list(&services, user.id).await?)
}

#[server(prefix = "/rpc", endpoint = "get_model")]
pub async fn get_model(id: Uuid) -> Result<Model, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::models::get(&services, user.id, id).await?)
}
