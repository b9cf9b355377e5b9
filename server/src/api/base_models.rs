//! `/api/base-models`: base models from the Hugging Face Hub — look one up,
//! add it (its download starts), follow it, delete it.

use super::openapi::schemas::{Deleted, Envelope, ErrorBody};
use super::{ApiError, ApiJson, created, ok};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun::base_models::AddBaseModel;
use brightrun::base_models::{BaseModelDownload, Inspection};
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, base_models};
use uuid::Uuid;

fn download_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::NotFound("Base model").into())
}

#[utoipa::path(
    get,
    path = "/api/base-models",
    summary = "List base models",
    tag = "base-models",
    responses(
        (status = 200, description = "Every base model added, with its download's progress", body = Envelope<Vec<BaseModelDownload>>),
    )
)]
pub async fn list(
    State(services): State<Services>,
    _user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(base_models::list(&services).await?))
}

#[utoipa::path(
    post,
    path = "/api/base-models/inspect",
    summary = "Look a model up on the Hub",
    tag = "base-models",
    request_body = AddBaseModel,
    responses(
        (status = 200, description = "What the Hub says about the model", body = Envelope<Inspection>),
        (status = 403, description = "The Hub refused access (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such model on the Hub (`not_found`)", body = ErrorBody),
        (status = 503, description = "The Hub could not be reached (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn inspect(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<AddBaseModel>,
) -> Result<Response, ApiError> {
    let (found, _) = base_models::inspect(&services, &user.email, &body).await?;
    Ok(ok(found))
}

#[utoipa::path(
    post,
    path = "/api/base-models",
    summary = "Add a base model from the Hub",
    tag = "base-models",
    request_body = AddBaseModel,
    responses(
        (status = 201, description = "Added; its download has started", body = Envelope<BaseModelDownload>),
        (status = 403, description = "The Hub refused access (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such model on the Hub (`not_found`)", body = ErrorBody),
        (status = 409, description = "Not possible in its current state (`conflict`)", body = ErrorBody),
        (status = 503, description = "The Hub could not be reached (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn add(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<AddBaseModel>,
) -> Result<Response, ApiError> {
    Ok(created(
        base_models::add(&services, user.id, &user.email, &body).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/base-models/{id}",
    summary = "Show a base model",
    tag = "base-models",
    params(("id" = Uuid, Path, description = "The base model's id")),
    responses(
        (status = 200, description = "The base model and its download's progress", body = Envelope<BaseModelDownload>),
    )
)]
pub async fn show(
    State(services): State<Services>,
    _user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(base_models::get(&services, download_id(&id)?).await?))
}

#[utoipa::path(
    delete,
    path = "/api/base-models/{id}",
    summary = "Delete a base model",
    tag = "base-models",
    params(("id" = Uuid, Path, description = "The base model's id")),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        (status = 403, description = "Only whoever added it may delete it (`forbidden`)", body = ErrorBody),
        (status = 409, description = "Not possible in its current state (`conflict`)", body = ErrorBody),
    )
)]
pub async fn delete(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = download_id(&id)?;
    base_models::delete(&services, &user.email, id).await?;
    Ok(ok(serde_json::json!({ "deleted": id })))
}
