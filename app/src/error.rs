//! The UI layer's error: what a server function may tell the browser. Built
//! from the service error (never from a raw cause), it carries the field a
//! message belongs to so forms can show it in place.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input refused; `field` names the form field when there is one.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    NotFound(String),
    /// A job's estimate passes the monthly budget; the form offers an override.
    #[error("{0}")]
    OverBudget(String),
    #[error("Something went wrong on our side (request {request_id}).")]
    Internal { request_id: String },
    /// The request never got an answer (network, server down).
    #[error("Could not reach BrightRun: {0}")]
    Transport(String),
}

impl AppError {
    /// The message for `field`, if this error is about it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid {
                field: Some(f),
                message,
            } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// True when the error belongs to no particular field.
    pub fn is_general(&self) -> bool {
        !matches!(self, Self::Invalid { field: Some(_), .. })
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<brightrun_backend::ServiceError> for AppError {
    fn from(err: brightrun_backend::ServiceError) -> Self {
        use brightrun_backend::ServiceError as S;
        // The server function's HTTP status follows the error (400, 401,
        // 404, 429 …) instead of the blanket 500 server functions default to.
        if let (Some(opts), Ok(status)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            axum::http::StatusCode::from_u16(err.status()),
        ) {
            opts.set_status(status);
        }
        match &err {
            S::Invalid { field, message } => Self::Invalid {
                field: Some(field.to_string()),
                message: message.clone(),
            },
            S::EmailTaken => Self::Invalid {
                field: Some("email".into()),
                message: err.to_string(),
            },
            S::Unauthenticated => Self::Unauthenticated,
            S::NotFound(_) => Self::NotFound(err.to_string()),
            S::InvalidCredentials
            | S::RateLimited
            | S::Conflict(_)
            | S::TooLarge(_)
            | S::Forbidden(_)
            | S::Unavailable(_) => Self::Refused(err.to_string()),
            S::OverBudget(m) => Self::OverBudget(m.clone()),
            S::Internal => Self::Internal {
                request_id: brightrun_backend::rest_envelope::request_id().to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_found_by_field() {
        let e = AppError::Invalid {
            field: Some("password".into()),
            message: "too short".into(),
        };
        assert_eq!(e.for_field("password").as_deref(), Some("too short"));
        assert_eq!(e.for_field("email"), None);
        assert!(!e.is_general());
        assert!(AppError::Unauthenticated.is_general());
    }
}
