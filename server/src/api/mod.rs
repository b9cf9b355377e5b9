//! The REST API under `/api` (DESIGN §4.1): the same operations the UI's
//! server functions offer, for scripts. Success is `{"success": true,
//! "data": …}`; errors are the envelope of `brightrun_backend::http`.

mod auth;
mod datasets;
mod error;
mod jobs;
mod json;
mod tokens;

pub use error::ApiError;
pub use json::{ApiJson, created, ok};

use axum::Router;
use axum::routing::{delete, get, post};
use leptos::config::LeptosOptions;

pub fn router() -> Router<LeptosOptions> {
    Router::new()
        .route("/health", get(health))
        .route("/auth/signup", post(auth::sign_up))
        .route("/auth/signin", post(auth::sign_in))
        .route("/auth/signout", post(auth::sign_out))
        .route("/me", get(auth::me))
        .route("/tokens", post(tokens::create).get(tokens::list))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route("/datasets", post(datasets::create).get(datasets::list))
        .route(
            "/datasets/{id}",
            get(datasets::show)
                .patch(datasets::update)
                .delete(datasets::delete),
        )
        .route("/datasets/{id}/confirm", post(datasets::confirm))
        .route("/datasets/{id}/cancel", post(datasets::cancel))
        .route("/training/options", get(jobs::options))
        .route("/jobs", post(jobs::create).get(jobs::list))
        .route("/jobs/estimate", post(jobs::estimate))
        .route("/jobs/{id}", get(jobs::show))
        .route("/jobs/{id}/metrics", get(jobs::metrics))
        .route("/jobs/{id}/logs", get(jobs::logs))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/jobs/{id}/retry", post(jobs::retry))
        .fallback(not_found)
}

async fn health() -> axum::response::Response {
    ok(serde_json::json!({ "status": "ok" }))
}

async fn not_found() -> ApiError {
    ApiError::UnknownRoute
}
