//! The OpenAI-compatible API under `/v1`: code written for OpenAI's client
//! libraries talks to a BrightRun model by changing only `base_url` and the
//! key (a BrightRun API token). Errors keep OpenAI's shape.

pub(crate) mod chat;
mod error;
pub(crate) mod models;
#[expect(
    dead_code,
    reason = "these types only describe answers built as JSON; never constructed"
)]
pub(crate) mod schemas;
pub(crate) mod wire;

pub use error::OpenAiError;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(chat::completions))
        .route("/models", get(models::list))
        .fallback(not_found)
}

async fn not_found() -> OpenAiError {
    OpenAiError {
        status: 404,
        message: "BrightRun's OpenAI-compatible API has /v1/chat/completions and /v1/models."
            .into(),
        param: None,
        code: "unknown_url",
    }
}
