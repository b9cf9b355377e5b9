//! `/api/webhooks`: register (the secret is in this response only), list,
//! remove, and each hook's delivery attempts.

use super::openapi::schemas::{Deleted, Envelope};
use super::{ApiError, ApiJson, created, ok};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun::webhooks::NewWebhook;
use brightrun::webhooks::{Delivery, Webhook};
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, webhooks};
use uuid::Uuid;

fn hook_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ServiceError::NotFound("Webhook").into())
}

#[utoipa::path(
    post,
    path = "/api/webhooks",
    summary = "Register a webhook",
    tag = "notifications",
    request_body = NewWebhook,
    responses(
        (status = 201, description = "The webhook; its signing secret is in this response only", body = Envelope<Webhook>),
    )
)]
pub async fn create(
    State(services): State<Services>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<Response, ApiError> {
    Ok(created(webhooks::create(&services, user.id, body).await?))
}

#[utoipa::path(
    get,
    path = "/api/webhooks",
    summary = "List webhooks",
    tag = "notifications",
    responses(
        (status = 200, description = "The caller's webhooks", body = Envelope<Vec<Webhook>>),
    )
)]
pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(ok(webhooks::list(&services, user.id).await?))
}

#[utoipa::path(
    delete,
    path = "/api/webhooks/{id}",
    summary = "Remove a webhook",
    tag = "notifications",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "Removed", body = Envelope<Deleted>),
    )
)]
pub async fn delete(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = hook_id(&id)?;
    webhooks::delete(&services, user.id, id).await?;
    Ok(ok(serde_json::json!({ "deleted": id })))
}

#[utoipa::path(
    get,
    path = "/api/webhooks/{id}/deliveries",
    summary = "A webhook's deliveries",
    tag = "notifications",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The hook's delivery attempts, newest first", body = Envelope<Vec<Delivery>>),
    )
)]
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
