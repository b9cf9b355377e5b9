//! `POST /v1/generate`: a [`GenerateSpec`] in, its events out as they come,
//! one JSON object per line (`application/x-ndjson`). Closing the response
//! stops the generation.

use super::AppState;
use super::api::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use brightrun::cluster::{GenerateEvent, GenerateSpec};
use std::sync::Arc;
use tokio::sync::mpsc::Receiver;

pub async fn generate(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let spec: GenerateSpec = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_spec", e.to_string()))?;
    let rx = state
        .generator
        .spawn(spec)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_spec", e.to_string()))?;
    Ok(event_lines(rx))
}

/// A response streaming `events` as they come, one JSON object per line;
/// when the client goes away the receiver is dropped, which stops the
/// generation.
pub fn event_lines(events: Receiver<GenerateEvent>) -> Response {
    let lines = futures::stream::unfold(events, |mut events| async move {
        let event = events.recv().await?;
        let mut line = serde_json::to_vec(&event).unwrap_or_default();
        line.push(b'\n');
        Some((Ok::<_, std::convert::Infallible>(Bytes::from(line)), events))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_stream(lines))
        .expect("a valid response")
}
