//! `/api/notifications` (page, per_page, unread), mark one or all read.

use super::{ApiError, ok};
use axum::extract::State;
use axum::extract::{Path, Query};
use axum::response::Response;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, notifications};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<u32>,
    per_page: Option<u32>,
    #[serde(default)]
    unread: bool,
}

pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
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

pub async fn mark_read(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ServiceError::NotFound("Notification"))?;
    notifications::mark_read(&services, user.id, id).await?;
    Ok(ok(serde_json::json!({ "read": id })))
}

pub async fn mark_all_read(
    State(services): State<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let n = notifications::mark_all_read(&services, user.id).await?;
    Ok(ok(serde_json::json!({ "marked": n })))
}
