//! `/api/datasets`: create (returns the signed upload URL), confirm, list,
//! show, edit, delete, cancel — all scoped to the caller.

use super::{ApiError, ApiJson, created, ok};
use axum::extract::State;
use axum::extract::{Path, Query};
use axum::response::Response;
use brightrun::datasets::{DatasetFilter, DatasetFormat, NewDataset};
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::datasets;
use brightrun_backend::{ServiceError, Services};
use serde::Deserialize;
use uuid::Uuid;

fn dataset_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::NotFound("Dataset").into())
}

pub async fn create(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewDataset>,
) -> Result<Response, ApiError> {
    Ok(created(datasets::create(&services, user.id, body).await?))
}

pub async fn confirm(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(
        datasets::confirm(&services, user.id, dataset_id(&id)?).await?
    ))
}

pub async fn cancel(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    datasets::cleanup::cancel_upload(&services, user.id, dataset_id(&id)?).await?;
    Ok(ok(serde_json::json!({ "cancelled": id })))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    format: Option<String>,
    q: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
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

pub async fn show(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(
        datasets::get(&services, user.id, dataset_id(&id)?).await?
    ))
}

#[derive(Deserialize)]
pub struct Patch {
    name: Option<String>,
    description: Option<String>,
}

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

pub async fn delete(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    datasets::delete(&services, user.id, dataset_id(&id)?).await?;
    Ok(ok(serde_json::json!({ "deleted": id })))
}
