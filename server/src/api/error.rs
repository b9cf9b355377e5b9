//! The REST layer's error: service errors plus what only HTTP can get wrong
//! (a body or query string that is not what the route expects, a route
//! that does not exist).

use axum::response::{IntoResponse, Response};
use brightrun_backend::ServiceError;
use brightrun_backend::rest_envelope::error_response;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The body is not JSON of the expected shape; says what was wrong,
    /// and which field when one was.
    #[error("{details}")]
    BadBody {
        details: String,
        field: Option<String>,
    },
    /// The query string does not fit the parameters the route takes.
    #[error("{details}")]
    BadQuery { details: String },
    #[error("No such API route. See the README for the list of routes.")]
    UnknownRoute,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Service(err) => err.into_response(),
            Self::BadBody { details, field } => {
                error_response(400, "invalid_body", &details, field.as_deref())
            }
            Self::BadQuery { details } => error_response(400, "invalid_query", &details, None),
            Self::UnknownRoute => error_response(404, "not_found", &self.to_string(), None),
        }
    }
}
