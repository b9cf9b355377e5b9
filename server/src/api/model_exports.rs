//! `/api/models/{id}/exports`: ask for an export of a model (merged
//! safetensors, GGUF), follow it, and get signed links to its files once
//! it has completed — all scoped to the caller.

use super::models::model_id;
use super::openapi::schemas::{Envelope, ErrorBody};
use super::{ApiError, ApiJson, accepted, ok};
use axum::extract::{Path, State};
use axum::response::Response;
use brightrun::models::{ExportDownload, ExportFormat, ExportRequest, ModelExport};
use brightrun_backend::Services;
use brightrun_backend::accounts::CurrentUser;
use brightrun_backend::models::exports;
use serde::Deserialize;

/// The body as sent: the format is checked here, so that an unknown one is
/// a 400 naming `format` and listing the valid ones.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExportRequest {
    format: String,
}

#[utoipa::path(
    post,
    path = "/api/models/{id}/exports",
    summary = "Export a model",
    description = "Queues an export of the model in one format; the export runs in the \
        background (follow it with `GET /api/models/{id}/exports`). Asking again for a format \
        that is queued, running or completed is a 409; a failed one is queued again.",
    tag = "models",
    request_body = ExportRequest,
    params(("id" = Uuid, Path, description = "The model's id")),
    responses(
        (status = 202, description = "The export, queued", body = Envelope<ModelExport>),
        (status = 409, description = "Already asked for, or not possible on this server (`conflict`)", body = ErrorBody),
    )
)]
pub async fn request(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RawExportRequest>,
) -> Result<Response, ApiError> {
    let id = model_id(&id)?;
    let format = exports::parse_format(&body.format)?;
    Ok(accepted(
        exports::request(&services, user.id, id, format).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/models/{id}/exports",
    summary = "List a model's exports",
    tag = "models",
    params(("id" = Uuid, Path, description = "The model's id")),
    responses(
        (status = 200, description = "The model's exports with their progress", body = Envelope<Vec<ModelExport>>),
    )
)]
pub async fn list(
    State(services): State<Services>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(exports::list(&services, user.id, model_id(&id)?).await?))
}

#[utoipa::path(
    get,
    path = "/api/models/{id}/exports/{format}/download",
    summary = "Download links for a model's export",
    tag = "models",
    params(
        ("id" = Uuid, Path, description = "The model's id"),
        ("format" = ExportFormat, Path, description = "The export's format"),
    ),
    responses(
        (status = 200, description = "Signed links (valid an hour) to the export's files", body = Envelope<ExportDownload>),
        (status = 400, description = "No such format (`invalid_input`, `field` is `format`)", body = ErrorBody),
        (status = 409, description = "The export has not completed (`conflict`)", body = ErrorBody),
    )
)]
pub async fn download(
    State(services): State<Services>,
    user: CurrentUser,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = model_id(&id)?;
    let format = exports::parse_format(&format)?;
    Ok(ok(exports::links(&services, user.id, id, format).await?))
}
