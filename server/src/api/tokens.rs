//! `POST /api/tokens` (the token is in this response only), `GET
//! /api/tokens`, `DELETE /api/tokens/{id}`.

use super::{ApiError, ApiJson, created, ok};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun_backend::accounts::{CurrentUser, tokens};
use brightrun_backend::{ServiceError, Services};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct NewToken {
    name: String,
    /// Days until it expires; absent: never.
    #[serde(default)]
    expires_in_days: Option<u32>,
}

pub async fn create(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<Response, ApiError> {
    Ok(created(
        tokens::create(&services, &user, &body.name, body.expires_in_days).await?,
    ))
}

pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(tokens::list(&services, user.id).await?))
}

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
