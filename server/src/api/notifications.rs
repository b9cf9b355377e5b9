//! `/api/notifications` (page, per_page, unread), mark one or all read.

use super::{ApiError, ok};
use axum::Extension;
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
    Extension(services): Extension<Services>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(ok(notifications::list(
        &services.pool,
        user.id,
        q.unread,
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(20),
    )
    .await?))
}

pub async fn mark_read(
    Extension(services): Extension<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ServiceError::NotFound("Notification"))?;
    notifications::mark_read(&services.pool, user.id, id).await?;
    Ok(ok(serde_json::json!({ "read": id })))
}

pub async fn mark_all_read(
    Extension(services): Extension<Services>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let n = notifications::mark_all_read(&services.pool, user.id).await?;
    Ok(ok(serde_json::json!({ "marked": n })))
}
