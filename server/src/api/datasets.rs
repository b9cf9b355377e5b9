//! `/api/datasets`: create (returns the signed upload URL), confirm, list,
//! show, edit, delete, cancel — all scoped to the caller.

use super::openapi::schemas::{Cancelled, Deleted, Envelope, ErrorBody};
use super::{ApiError, ApiJson, ApiQuery, created, ok};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun::datasets::{CreatedDataset, Dataset, DatasetDetail, DatasetPage};
use brightrun::datasets::{DatasetFilter, DatasetFormat, NewDataset};
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::datasets;
use brightrun_backend::{ServiceError, Services};
use serde::Deserialize;
use uuid::Uuid;

fn dataset_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::NotFound("Dataset").into())
}

#[utoipa::path(
    post,
    path = "/api/datasets",
    summary = "Create a dataset (get its upload URL)",
    tag = "datasets",
    request_body = NewDataset,
    responses(
        (status = 201, description = "The dataset and the signed URL to PUT its file to", body = Envelope<CreatedDataset>),
        (status = 413, description = "Larger than the upload limit (`too_large`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewDataset>,
) -> Result<Response, ApiError> {
    Ok(created(datasets::create(&services, user.id, body).await?))
}

#[utoipa::path(
    post,
    path = "/api/datasets/{id}/confirm",
    summary = "Confirm an upload (starts validation)",
    tag = "datasets",
    params(("id" = Uuid, Path, description = "The dataset's id")),
    responses(
        (status = 200, description = "Uploaded; validation is queued", body = Envelope<Dataset>),
        (status = 409, description = "Not possible in its current state (`conflict`)", body = ErrorBody),
    )
)]
pub async fn confirm(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(
        datasets::confirm(&services, user.id, dataset_id(&id)?).await?
    ))
}

#[utoipa::path(
    post,
    path = "/api/datasets/{id}/cancel",
    summary = "Cancel a pending upload",
    tag = "datasets",
    params(("id" = Uuid, Path, description = "The dataset's id")),
    responses(
        (status = 200, description = "The pending upload is cancelled and removed", body = Envelope<Cancelled>),
        (status = 409, description = "Not possible in its current state (`conflict`)", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    datasets::cleanup::cancel_upload(&services, user.id, dataset_id(&id)?).await?;
    Ok(ok(serde_json::json!({ "cancelled": id })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    status: Option<String>,
    format: Option<String>,
    q: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/datasets",
    summary = "List datasets",
    tag = "datasets",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of the caller's datasets", body = Envelope<DatasetPage>),
    )
)]
pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse().map_err(|_| ServiceError::Invalid {
            field: "status",
            message: format!(
                "Unknown status '{s}'; use pending_upload, uploaded, validating, ready or invalid."
            ),
        })?),
    };
    let format = match query.format.as_deref() {
        None | Some("") => None,
        Some(f) => Some(DatasetFormat::parse(f).ok_or_else(|| ServiceError::Invalid {
            field: "format",
            message: format!(
                "Unknown format '{f}'; use brightrun_v4_jsonl, brightrun_v4_json, brightrun_v3_json or openai_chat_jsonl."
            ),
        })?),
    };
    let filter = DatasetFilter {
        status,
        format,
        q: query.q,
        page: query.page,
        per_page: query.per_page,
    };
    Ok(ok(datasets::list(&services, user.id, &filter).await?))
}

#[utoipa::path(
    get,
    path = "/api/datasets/{id}",
    summary = "Show a dataset",
    tag = "datasets",
    params(("id" = Uuid, Path, description = "The dataset's id")),
    responses(
        (status = 200, description = "The dataset, its validation report and statistics", body = Envelope<DatasetDetail>),
    )
)]
pub async fn show(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(
        datasets::get(&services, user.id, dataset_id(&id)?).await?
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Patch {
    name: Option<String>,
    description: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/api/datasets/{id}",
    summary = "Rename or describe a dataset",
    tag = "datasets",
    request_body = Patch,
    params(("id" = Uuid, Path, description = "The dataset's id")),
    responses(
        (status = 200, description = "The edited dataset", body = Envelope<Dataset>),
    )
)]
pub async fn update(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Patch>,
) -> Result<Response, ApiError> {
    Ok(ok(datasets::update(
        &services,
        user.id,
        dataset_id(&id)?,
        body.name,
        body.description,
    )
    .await?))
}

#[utoipa::path(
    delete,
    path = "/api/datasets/{id}",
    summary = "Delete a dataset",
    tag = "datasets",
    params(("id" = Uuid, Path, description = "The dataset's id")),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        (status = 409, description = "Not possible in its current state (`conflict`)", body = ErrorBody),
    )
)]
pub async fn delete(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    datasets::delete(&services, user.id, dataset_id(&id)?).await?;
    Ok(ok(serde_json::json!({ "deleted": id })))
}
