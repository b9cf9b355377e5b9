//! Errors in OpenAI's shape (`{"error": {"message", "type", "param",
//! "code"}}`), so an OpenAI client raises the exception it would raise
//! against OpenAI itself.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use brightrun_backend::ServiceError;
use serde_json::json;

#[derive(Debug)]
pub struct OpenAiError {
    pub status: u16,
    pub message: String,
    pub param: Option<String>,
    pub code: &'static str,
}

impl OpenAiError {
    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
            param: Some(param.into()),
            code: "invalid_value",
        }
    }

    fn kind(&self) -> &'static str {
        match self.status {
            401 => "authentication_error",
            403 => "permission_error",
            404 => "invalid_request_error",
            429 => "rate_limit_error",
            s if s >= 500 => "server_error",
            _ => "invalid_request_error",
        }
    }

    pub fn body(&self) -> serde_json::Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind(),
            "param": self.param,
            "code": self.code,
        }})
    }
}

impl From<ServiceError> for OpenAiError {
    fn from(e: ServiceError) -> Self {
        let code = match &e {
            ServiceError::Unauthenticated => "invalid_api_key",
            ServiceError::NotFound(_) => "model_not_found",
            other => other.code(),
        };
        let message = match &e {
            ServiceError::Unauthenticated => {
                "Incorrect or missing API key. Create one on BrightRun's API tokens page and pass it as the key.".to_string()
            }
            other => other.to_string(),
        };
        Self {
            status: e.status(),
            message,
            param: e.field().map(str::to_string),
            code,
        }
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body())).into_response()
    }
}
