//! JSON in and out: `ApiJson<T>` rejects bad bodies with the envelope
//! (instead of axum's plain-text rejection), naming the field that was
//! wrong where there is one, and `ok`/`created`/`accepted` wrap data.

use super::ApiError;
use axum::Json;
use axum::extract::rejection::JsonRejection;
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
            Err(rejection) => Err(ApiError::BadBody {
                field: field_of(&rejection),
                details: format!(
                    "{} Send a JSON body with Content-Type: application/json.",
                    rejection.body_text()
                ),
            }),
        }
    }
}

/// The field a body of the wrong shape got wrong: the last key on the path
/// to the value that did not fit (`dtype` of `config.dtype`).
fn field_of(rejection: &JsonRejection) -> Option<String> {
    let JsonRejection::JsonDataError(e) = rejection else {
        return None;
    };
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(e) = err.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>() {
            return e.path().iter().rev().find_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            });
        }
        source = err.source();
    }
    None
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

/// 202: the work asked for has been queued.
pub fn accepted(data: impl Serialize) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "success": true, "data": data })),
    )
        .into_response()
}
