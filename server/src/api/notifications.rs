//! `/api/notifications` (page, per_page, unread), mark one or all read.

use super::openapi::schemas::{Envelope, MarkedAllRead, MarkedRead};
use super::{ApiError, ApiQuery, ok};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun::notifications::NotificationPage;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, notifications};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    page: Option<u32>,
    per_page: Option<u32>,
    #[serde(default)]
    unread: bool,
}

#[utoipa::path(
    get,
    path = "/api/notifications",
    summary = "List notifications",
    tag = "notifications",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of notifications, newest first", body = Envelope<NotificationPage>),
    )
)]
pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(ok(notifications::list(
        &services,
        user.id,
        q.unread,
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(20),
    )
    .await?))
}

#[utoipa::path(
    patch,
    path = "/api/notifications/{id}/read",
    summary = "Mark a notification read",
    tag = "notifications",
    params(("id" = Uuid, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "Marked read", body = Envelope<MarkedRead>),
    )
)]
pub async fn mark_read(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ServiceError::NotFound("Notification"))?;
    notifications::mark_read(&services, user.id, id).await?;
    Ok(ok(serde_json::json!({ "read": id })))
}

#[utoipa::path(
    post,
    path = "/api/notifications/read-all",
    summary = "Mark every notification read",
    tag = "notifications",
    responses(
        (status = 200, description = "Every notification marked read", body = Envelope<MarkedAllRead>),
    )
)]
pub async fn mark_all_read(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let n = notifications::mark_all_read(&services, user.id).await?;
    Ok(ok(serde_json::json!({ "marked": n })))
}
