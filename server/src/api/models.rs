//! `/api/models`: list (search, base model, lowest rating), show, edit,
//! delete, download links — all scoped to the caller — and the signed
//! `.tar.gz` bundle link, which needs no session (its signature is the key).

use super::openapi::schemas::{Deleted, Envelope, ErrorBody};
use super::{ApiError, ApiJson, ApiQuery, ok};
use crate::storage_routes::forbidden;
use axum::body::Body;
use axum::extract::State;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use brightrun::models::{Model, ModelDetail, ModelDownload};
use brightrun::models::{ModelFilter, ModelUpdate};
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::costs::transfer::Metered;
use brightrun_backend::{ServiceError, Services, models};
use serde::Deserialize;
use uuid::Uuid;

/// A model id from the path; one that does not parse is not found.
pub(super) fn model_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::NotFound("Model").into())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    q: Option<String>,
    base_model: Option<String>,
    min_rating: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/models",
    summary = "List models",
    tag = "models",
    params(ListQuery),
    responses(
        (status = 200, description = "The caller's models", body = Envelope<Vec<Model>>),
    )
)]
pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let min_rating = match query.min_rating.as_deref() {
        None | Some("") => None,
        Some(r) => Some(r.parse::<u8>().map_err(|_| ServiceError::Invalid {
            field: "min_rating",
            message: format!("`min_rating` is a whole number from 1 to 5, not '{r}'."),
        })?),
    };
    let filter = ModelFilter {
        q: query.q,
        base_model: query.base_model,
        min_rating,
    };
    Ok(ok(models::list(&services, user.id, &filter).await?))
}

#[utoipa::path(
    get,
    path = "/api/models/{id}",
    summary = "Show a model",
    tag = "models",
    params(("id" = Uuid, Path, description = "The model's id")),
    responses(
        (status = 200, description = "The model, its job and its evaluations", body = Envelope<ModelDetail>),
    )
)]
pub async fn show(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(models::detail(&services, user.id, model_id(&id)?).await?))
}

#[utoipa::path(
    patch,
    path = "/api/models/{id}",
    summary = "Edit a model",
    tag = "models",
    request_body = ModelUpdate,
    params(("id" = Uuid, Path, description = "The model's id")),
    responses(
        (status = 200, description = "The edited model", body = Envelope<Model>),
    )
)]
pub async fn update(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ModelUpdate>,
) -> Result<Response, ApiError> {
    Ok(ok(
        models::update(&services, user.id, model_id(&id)?, body).await?
    ))
}

#[utoipa::path(
    delete,
    path = "/api/models/{id}",
    summary = "Delete a model",
    tag = "models",
    params(("id" = Uuid, Path, description = "The model's id")),
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
    let id = model_id(&id)?;
    models::delete(&services, user.id, id).await?;
    Ok(ok(serde_json::json!({ "deleted": id })))
}

#[utoipa::path(
    get,
    path = "/api/models/{id}/download",
    summary = "Download links for a model",
    tag = "models",
    params(("id" = Uuid, Path, description = "The model's id")),
    responses(
        (status = 200, description = "Signed links to the adapter's files and the bundle", body = Envelope<ModelDownload>),
    )
)]
pub async fn download(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(models::download::links(
        &services,
        user.id,
        model_id(&id)?,
    )
    .await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BundleQuery {
    owner: Uuid,
    expires: i64,
    sig: String,
}

#[utoipa::path(
    get,
    path = "/api/models/{id}/bundle.tar.gz",
    summary = "Download a model's bundle (signed link)",
    tag = "models",
    security(()),
    params(("id" = Uuid, Path, description = "The model's id"), BundleQuery),
    responses(
        (status = 200, description = "The adapter as a .tar.gz (streamed)", content_type = "application/gzip", body = Vec<u8>),
        (status = 403, description = "The link is invalid or has expired (`invalid_signature`)", body = ErrorBody),
        (status = 404, description = "The model is gone (`not_found`)", body = ErrorBody),
    )
)]
pub async fn bundle(
    State(services): State<Services>,
    Path(id): Path<String>,
    query: Result<Query<BundleQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (Ok(Query(q)), Ok(id)) = (query, Uuid::parse_str(&id)) else {
        return forbidden();
    };
    if !models::download::verify_bundle(&services, q.owner, id, q.expires, &q.sig) {
        return forbidden();
    }
    match models::bundle::stream(&services, q.owner, id).await {
        Ok((folder, stream)) => {
            let metered = Metered::new(
                Box::pin(stream),
                services.clone(),
                q.owner,
                id,
                "adapter.tar.gz".into(),
            );
            (
                [
                    (header::CONTENT_TYPE, "application/gzip".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{folder}.tar.gz\""),
                    ),
                ],
                Body::from_stream(metered),
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}
