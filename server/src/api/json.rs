//! JSON in and out: `ApiJson<T>` rejects bad bodies with the envelope
//! (instead of axum's plain-text rejection) and `ok`/`created` wrap data.

use super::ApiError;
use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::BadBody(format!(
                "{} Send a JSON body with Content-Type: application/json.",
                rejection.body_text()
            ))),
        }
    }
}

pub fn ok(data: impl Serialize) -> Response {
    Json(serde_json::json!({ "success": true, "data": data })).into_response()
}

pub fn created(data: impl Serialize) -> Response {
    (
        StatusCode::CREATED,
        Json(serde_json::json!({ "success": true, "data": data })),
    )
        .into_response()
}
