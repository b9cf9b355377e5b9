//! The REST API under `/api` (DESIGN §4.1): the same operations the UI's
//! server functions offer, for scripts. Success is `{"success": true,
//! "data": …}`; errors are the envelope of `brightrun_backend::rest_envelope`.

mod auth;
mod base_models;
mod costs;
mod datasets;
mod docs_page;
mod error;
mod jobs;
mod json;
mod model_exports;
mod models;
mod notifications;
mod openapi;
mod playground;
mod query;
mod tokens;
mod webhooks;

pub use error::ApiError;
pub use json::{ApiJson, accepted, created, ok};
pub use openapi::ApiDoc;
pub use query::ApiQuery;

use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::{delete, get, patch, post};
use brightrun_backend::Services;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(docs_page::page))
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
        .route(
            "/base-models",
            post(base_models::add).get(base_models::list),
        )
        .route("/base-models/inspect", post(base_models::inspect))
        .route(
            "/base-models/{id}",
            get(base_models::show).delete(base_models::delete),
        )
        .route("/training/options", get(jobs::options))
        .route("/jobs", post(jobs::create).get(jobs::list))
        .route("/jobs/estimate", post(jobs::estimate))
        .route("/jobs/{id}", get(jobs::show))
        .route("/jobs/{id}/updates", get(jobs::updates))
        .route("/jobs/{id}/metrics", get(jobs::metrics))
        .route("/jobs/{id}/logs", get(jobs::logs))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/jobs/{id}/retry", post(jobs::retry))
        .route("/models", get(models::list))
        .route(
            "/models/{id}",
            get(models::show)
                .patch(models::update)
                .delete(models::delete),
        )
        .route("/models/{id}/download", get(models::download))
        .route(
            "/models/{id}/exports",
            post(model_exports::request).get(model_exports::list),
        )
        .route(
            "/models/{id}/exports/{format}/download",
            get(model_exports::download),
        )
        .route("/models/{id}/chat", post(playground::chat))
        .route("/models/{id}/bundle.tar.gz", get(models::bundle))
        .route("/costs", get(costs::list))
        .route("/costs/summary", get(costs::summary))
        .route(
            "/settings/budget",
            get(costs::get_budget).put(costs::set_budget),
        )
        .route("/notifications", get(notifications::list))
        .route(
            "/notifications/read-all",
            post(notifications::mark_all_read),
        )
        .route("/notifications/{id}/read", patch(notifications::mark_read))
        .route("/webhooks", post(webhooks::create).get(webhooks::list))
        .route("/webhooks/{id}", delete(webhooks::delete))
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .fallback(not_found)
}

/// Up, and when each background worker last finished a tick.
#[utoipa::path(get, path = "/api/health", tag = "meta", security(()),
    responses((status = 200, description = "The server is up", body = openapi::Envelope<openapi::schemas::Health>)))]
async fn health(State(services): State<Services>) -> axum::response::Response {
    ok(serde_json::json!({ "status": "ok", "workers": services.workers.report() }))
}

async fn not_found() -> ApiError {
    ApiError::UnknownRoute
}
