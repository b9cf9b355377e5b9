//! `/api/webhooks`: register (the secret is in this response only), list,
//! remove, and each hook's delivery attempts.

use super::{ApiError, ApiJson, created, ok};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun::webhooks::NewWebhook;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, webhooks};
use uuid::Uuid;

fn hook_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::NotFound("Webhook").into())
}

pub async fn create(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<Response, ApiError> {
    Ok(created(webhooks::create(&services, user.id, body).await?))
}

pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(webhooks::list(&services, user.id).await?))
}

pub async fn delete(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = hook_id(&id)?;
    webhooks::delete(&services, user.id, id).await?;
    Ok(ok(serde_json::json!({ "deleted": id })))
}

pub async fn deliveries(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(webhooks::deliveries(
        &services,
        user.id,
        Some(hook_id(&id)?),
    )
    .await?))
}
