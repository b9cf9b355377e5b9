//! Dataset server functions: the session user and input in, one call to
//! `brightrun_backend::datasets` out.

use crate::AppError;
use brightrun::datasets::{CreatedDataset, Dataset, DatasetDetail, DatasetPage};
use leptos::prelude::*;
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "list_datasets", output = crate::rpc::Json)]
pub async fn list_datasets(
    status: Option<String>,
    format: Option<String>,
    q: Option<String>,
    page: Option<u32>,
) -> Result<DatasetPage, AppError> {
    use brightrun::datasets::{DatasetFilter, DatasetFormat};
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    let filter = DatasetFilter {
        status: status
            .as_deref()
            .filter(|s| !s.is_empty())
            .and_then(|s| s.parse().ok()),
        format: format.as_deref().and_then(DatasetFormat::parse),
        q,
        page,
        per_page: Some(12),
    };
    Ok(brightrun_backend::datasets::list(&services, user.id, &filter).await?)
}

#[server(prefix = "/rpc", endpoint = "create_dataset", output = crate::rpc::Json)]
pub async fn create_dataset(
    name: String,
    description: Option<String>,
    file_name: String,
    size_bytes: u64,
) -> Result<CreatedDataset, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    let new = brightrun::datasets::NewDataset {
        name,
        description,
        file_name,
        size_bytes,
    };
    Ok(brightrun_backend::datasets::create(&services, user.id, new).await?)
}

#[server(prefix = "/rpc", endpoint = "confirm_dataset", output = crate::rpc::Json)]
pub async fn confirm_dataset(id: Uuid) -> Result<Dataset, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::datasets::confirm(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "cancel_dataset_upload", output = crate::rpc::Json)]
pub async fn cancel_dataset_upload(id: Uuid) -> Result<(), AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::datasets::cleanup::cancel_upload(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "get_dataset", output = crate::rpc::Json)]
pub async fn get_dataset(id: Uuid) -> Result<DatasetDetail, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(brightrun_backend::datasets::get(&services, user.id, id).await?)
}

#[server(prefix = "/rpc", endpoint = "update_dataset", output = crate::rpc::Json)]
pub async fn update_dataset(
    id: Uuid,
    name: String,
    description: Option<String>,
) -> Result<Dataset, AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    Ok(
        brightrun_backend::datasets::update(&services, user.id, id, Some(name), description)
            .await?,
    )
}

#[server(prefix = "/rpc", endpoint = "delete_dataset", output = crate::rpc::Json)]
pub async fn delete_dataset(id: Uuid) -> Result<(), AppError> {
    let user = crate::ssr::current_user().await?;
    let services = crate::ssr::services()?;
    brightrun_backend::datasets::delete(&services, user.id, id).await?;
    leptos_axum::redirect("/datasets");
    Ok(())
}
