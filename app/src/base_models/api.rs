//! Base model server functions: look up, add, list, delete.

use crate::AppError;
use brightrun::base_models::{AddBaseModel, BaseModelDownload, Inspection};
use leptos::prelude::*;
use server_fn::codec::Json;
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "inspect_base_model", input = Json, output = crate::rpc::Json)]
pub async fn inspect_base_model(request: AddBaseModel) -> Result<Inspection, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    let (found, _) =
        brightrun_backend::base_models::inspect(&services, &user.email, &request).await?;
    Ok(found)
}

#[server(prefix = "/rpc", endpoint = "download_base_model", input = Json, output = crate::rpc::Json)]
pub async fn download_base_model(request: AddBaseModel) -> Result<BaseModelDownload, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::base_models::add(&services, user.id, &user.email, &request).await?)
}

#[server(prefix = "/rpc", endpoint = "list_base_models", output = crate::rpc::Json)]
pub async fn list_base_models() -> Result<Vec<BaseModelDownload>, AppError> {
    crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::base_models::list(&services).await?)
}

#[server(prefix = "/rpc", endpoint = "delete_base_model", output = crate::rpc::Json)]
pub async fn delete_base_model(id: Uuid) -> Result<(), AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::base_models::delete(&services, &user.email, id).await?)
}
