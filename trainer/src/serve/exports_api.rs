//! The export routes of the cluster API: `POST /v1/exports` (201, or 200
//! for an id sent before), `GET /v1/exports/{id}`, `GET
//! /v1/exports/{id}/files/{name}` (a completed export's file, by a name it
//! listed) and `DELETE /v1/exports/{id}`.

use super::AppState;
use super::api::ApiError;
use super::exports::SubmitError;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use brightrun::cluster::{ExportSpec, ExportView};
use std::sync::Arc;

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no export with id `{id}`"),
    )
}

pub async fn submit(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Response, ApiError> {
    let invalid = |e: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_spec", e);
    let spec: ExportSpec = serde_json::from_slice(&body).map_err(|e| invalid(e.to_string()))?;
    let (view, created) = state.exports.submit(spec).map_err(|e| match e {
        SubmitError::Invalid(e) => invalid(e.to_string()),
        full @ SubmitError::Full => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", full.to_string())
        }
    })?;
    let code = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(view)).into_response())
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<ExportView>, ApiError> {
    state
        .exports
        .view(&id)
        .map(Json)
        .ok_or_else(|| not_found(&id))
}

pub async fn file(
    State(state): State<Arc<AppState>>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (path, size) = state.exports.file(&id, &name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("export `{id}` has no completed file `{name}`"),
        )
    })?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::internal("opening the exported file", e))?;
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, size)
        .body(Body::from_stream(tokio_util::io::ReaderStream::new(file)))
        .expect("a valid response"))
}

pub async fn remove(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let exports = state.exports.clone();
    let found = id.clone();
    let removed = tokio::task::spawn_blocking(move || exports.remove(&found))
        .await
        .map_err(|e| ApiError::internal("removing the export", e))?;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}
