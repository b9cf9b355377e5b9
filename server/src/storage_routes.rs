//! `PUT` and `GET /storage/{path}`: the local store's signed URLs. The PUT
//! streams to the store and stops at the signed maximum size (413, nothing
//! kept); a bad or expired signature is 403 and reveals nothing. A dataset's
//! file is accepted only while the dataset waits for it (409 after confirm).

use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use brightrun_backend::Services;
use brightrun_backend::costs::transfer;
use brightrun_backend::rest_envelope::error_response;
use brightrun_backend::storage::UploadError;
use futures::StreamExt;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Signed {
    expires: i64,
    #[serde(default)]
    max: u64,
    sig: String,
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/storage/{*path}",
        axum::routing::put(put_object).get(get_object),
    )
}

/// A bad, tampered or expired signed link: 403, revealing nothing.
pub(crate) fn forbidden() -> Response {
    error_response(
        403,
        "invalid_signature",
        "This link is invalid or has expired. Ask BrightRun for a new one.",
        None,
    )
}

async fn put_object(
    State(services): State<Services>,
    Path(path): Path<String>,
    query: Result<Query<Signed>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Response {
    let Ok(Query(q)) = query else {
        return forbidden();
    };
    if !services
        .storage
        .verify_local("PUT", &path, q.expires, q.max, &q.sig)
    {
        return forbidden();
    }
    if let Err(err) = brightrun_backend::datasets::accepts_upload(&services, &path).await {
        return err.into_response();
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > q.max) {
        return error_response(
            413,
            "too_large",
            &format!(
                "The upload is larger than the {}-byte limit of this link.",
                q.max
            ),
            None,
        );
    }
    let body = req.into_body().into_data_stream().boxed();
    match services.storage.put_stream(&path, body, q.max).await {
        Ok(size) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "success": true, "data": { "size": size } })),
        )
            .into_response(),
        Err(UploadError::TooLarge(max)) => error_response(
            413,
            "too_large",
            &format!(
                "The upload is larger than the {max}-byte limit of this link; nothing was kept."
            ),
            None,
        ),
        Err(UploadError::Interrupted(e)) => {
            tracing::warn!(%e, "upload interrupted");
            error_response(
                400,
                "upload_interrupted",
                "The upload was interrupted; nothing was kept. Try again.",
                None,
            )
        }
        Err(UploadError::Store(e)) => {
            tracing::error!(%e, "storage write failed");
            error_response(500, "internal", "Storage failed.", None)
        }
    }
}

async fn get_object(
    State(services): State<Services>,
    Path(path): Path<String>,
    query: Result<Query<Signed>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return forbidden();
    };
    if !services
        .storage
        .verify_local("GET", &path, q.expires, q.max, &q.sig)
    {
        return forbidden();
    }
    match services.storage.get_stream(&path).await {
        Ok(stream) => {
            let name = path
                .rsplit('/')
                .next()
                .unwrap_or("download")
                .replace('"', "");
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                match brightrun_backend::storage::keys::model_of_key(&path) {
                    // Model files are billed as data transfer, by the bytes sent.
                    Some((owner, model)) => Body::from_stream(transfer::Metered::new(
                        Box::pin(stream),
                        services.clone(),
                        owner,
                        model,
                        name.clone(),
                    )),
                    None => Body::from_stream(stream),
                },
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}
