//! `POST /api/tokens` (the token is in this response only), `GET
//! /api/tokens`, `DELETE /api/tokens/{id}`.

use super::openapi::schemas::{Envelope, ErrorBody, Revoked};
use super::{ApiError, ApiJson, created, ok};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun::{ApiTokenInfo, NewApiToken};
use brightrun_backend::accounts::{CurrentUser, tokens};
use brightrun_backend::{ServiceError, Services};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    name: String,
    /// Days until it expires; absent: never.
    #[serde(default)]
    expires_in_days: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/api/tokens",
    summary = "Create an API token",
    tag = "accounts",
    request_body = NewToken,
    responses(
        (status = 201, description = "The new token; its secret is in this response only", body = Envelope<NewApiToken>),
        (status = 403, description = "Tokens are created from a signed-in session, not with another token (`forbidden`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<Response, ApiError> {
    Ok(created(
        tokens::create(&services, &user, &body.name, body.expires_in_days).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/tokens",
    summary = "List API tokens",
    tag = "accounts",
    responses(
        (status = 200, description = "The caller's tokens (without their secrets)", body = Envelope<Vec<ApiTokenInfo>>),
    )
)]
pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(tokens::list(&services, user.id).await?))
}

#[utoipa::path(
    delete,
    path = "/api/tokens/{id}",
    summary = "Revoke an API token",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 200, description = "Revoked", body = Envelope<Revoked>),
    )
)]
pub async fn revoke(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    // A malformed id is as unknown as someone else's.
    let id = Uuid::parse_str(&id).map_err(|_| ServiceError::NotFound("API token"))?;
    tokens::revoke(&services, user.id, id).await?;
    Ok(ok(serde_json::json!({ "revoked": id })))
}
