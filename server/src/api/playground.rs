//! `POST /api/models/{id}/chat`: the playground's conversation with one of
//! the caller's models (with `"adapter": false`, its base model from the
//! same weights). The answer streams back as it is generated, one event per
//! line (`application/x-ndjson`): the place in the queue while waiting,
//! `loading`, the text in pieces, and `done` with the token counts (or
//! `error`). Closing the response stops the generation.

use super::openapi::ErrorBody;
use super::{ApiError, ApiJson};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun::generation::GenerationRequest;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, generation};
use uuid::Uuid;

#[utoipa::path(
    post,
    path = "/api/models/{id}/chat",
    summary = "Chat with a model (streamed)",
    tag = "models",
    request_body = GenerationRequest,
    params(("id" = Uuid, Path, description = "The model's id")),
    responses(
        (status = 200, description = "One JSON event per line as the answer is generated: the place in the queue, `loading`, `text` pieces, then `done` with the token counts or `error`", content_type = "application/x-ndjson", body = String),
        (status = 402, description = "The monthly budget is spent (`over_budget`)", body = ErrorBody),
        (status = 429, description = "Too many generations queued (`rate_limited`)", body = ErrorBody),
        (status = 503, description = "No generation can run now (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn chat(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<GenerationRequest>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ServiceError::NotFound("Model"))?;
    let events = generation::start(&services, user.id, &id.to_string(), request).await?;
    Ok(brightrun_trainer::serve::event_lines(events))
}
