//! Model server functions: list, the model page, edit, delete, download
//! links, exports.

use crate::AppError;
use brightrun::models::{ExportDownload, ExportFormat, ModelExport};
use brightrun::models::{Model, ModelDetail, ModelDownload, ModelUpdate};
use leptos::prelude::*;
use server_fn::codec::Json;
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "list_models", output = crate::rpc::Json)]
pub async fn list_models(
    q: Option<String>,
    base_model: Option<String>,
    min_rating: Option<u8>,
) -> Result<Vec<Model>, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    let filter = brightrun::models::ModelFilter {
        q,
        base_model,
        min_rating,
    };
    Ok(brightrun_backend::models::list(&services, user.id, &filter).await?)
}

#[server(prefix = "/rpc", endpoint = "get_model", output = crate::rpc::Json)]
pub async fn get_model(id: Uuid) -> Result<ModelDetail, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::models::detail(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "update_model", input = Json, output = crate::rpc::Json)]
pub async fn update_model(id: Uuid, change: ModelUpdate) -> Result<Model, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::models::update(&services, user.id, id, change).await?)
}

#[server(prefix = "/rpc", endpoint = "delete_model", output = crate::rpc::Json)]
pub async fn delete_model(id: Uuid) -> Result<(), AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::models::delete(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "model_download", output = crate::rpc::Json)]
pub async fn model_download_links(id: Uuid) -> Result<ModelDownload, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::models::download::links(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "list_model_exports", output = crate::rpc::Json)]
pub async fn list_model_exports(id: Uuid) -> Result<Vec<ModelExport>, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::models::exports::list(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "export_model", input = Json, output = crate::rpc::Json)]
pub async fn export_model(id: Uuid, format: ExportFormat) -> Result<ModelExport, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::models::exports::request(&services, user.id, id, format).await?)
}

#[server(prefix = "/rpc", endpoint = "model_export_links", input = Json, output = crate::rpc::Json)]
pub async fn model_export_links(
    id: Uuid,
    format: ExportFormat,
) -> Result<ExportDownload, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::models::exports::links(&services, user.id, id, format).await?)
}
