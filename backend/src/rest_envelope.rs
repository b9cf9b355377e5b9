//! The REST error envelope of DESIGN §4.1 and the request id it carries.
//! The id is set per request by the server's middleware in a task-local, so
//! any layer that renders an error can include it without threading it
//! through every call.

use crate::error::ServiceError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

tokio::task_local! {
    pub static REQUEST_ID: Uuid;
}

/// The current request's id, or a fresh one outside a request.
pub fn request_id() -> Uuid {
    REQUEST_ID
        .try_with(|id| *id)
        .unwrap_or_else(|_| Uuid::new_v4())
}

/// `{"error": code, "details": …, "request_id": …}` with the given status.
pub fn error_response(status: u16, code: &str, details: &str, field: Option<&str>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = request_id();
    let details = if status.is_server_error() {
        format!("{details} Quote request id {request_id} if you report this.")
    } else {
        details.to_string()
    };
    let mut body = json!({ "error": code, "details": details, "request_id": request_id });
    if let Some(field) = field {
        body["field"] = json!(field);
    }
    (status, Json(body)).into_response()
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        error_response(self.status(), self.code(), &self.to_string(), self.field())
    }
}
