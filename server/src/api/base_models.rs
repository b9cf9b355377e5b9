//! `/api/base-models`: base models from the Hugging Face Hub — look one up,
//! add it (its download starts), follow it, delete it.

use super::{ApiError, ApiJson, created, ok};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun::base_models::AddBaseModel;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, base_models};
use uuid::Uuid;

fn download_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::NotFound("Base model").into())
}

pub async fn list(
    State(services): State<Services>,
    _user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(base_models::list(&services).await?))
}

pub async fn inspect(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<AddBaseModel>,
) -> Result<Response, ApiError> {
    let (found, _) = base_models::inspect(&services, &user.email, &body).await?;
    Ok(ok(found))
}

pub async fn add(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<AddBaseModel>,
) -> Result<Response, ApiError> {
    Ok(created(
        base_models::add(&services, user.id, &user.email, &body).await?,
    ))
}

pub async fn show(
    State(services): State<Services>,
    _user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(base_models::get(&services, download_id(&id)?).await?))
}

pub async fn delete(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = download_id(&id)?;
    base_models::delete(&services, &user.email, id).await?;
    Ok(ok(serde_json::json!({ "deleted": id })))
}
