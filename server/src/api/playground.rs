//! `POST /api/models/{id}/chat`: the playground's conversation with one of
//! the caller's models (with `"adapter": false`, its base model from the
//! same weights). The answer streams back as it is generated, one event per
//! line (`application/x-ndjson`): the place in the queue while waiting,
//! `loading`, the text in pieces, and `done` with the token counts (or
//! `error`). Closing the response stops the generation.

use super::{ApiError, ApiJson};
use axum::extract::Path;
use axum::extract::State;
use axum::response::Response;
use brightrun::generation::GenerationRequest;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::{ServiceError, Services, generation};
use uuid::Uuid;

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
