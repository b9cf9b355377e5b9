//! Exports of a trained model (DESIGN §4.4): asked for per format, made by
//! the exports worker (`worker.rs`) from the adapter in storage and the base
//! weights on this server, stored under
//! `lora-models/<owner>/<model>/exports/<format>/` and downloaded through
//! signed links like the adapter. One export per model and format: asking
//! again for one that is queued, running or done is a 409; a failed one is
//! queued again. An export runs where the base model's weights are: here
//! with the local cluster backend, on the cluster with the others (the
//! agent with http, a Ray job with ray: `remote.rs`).

mod notes;
pub mod queries;
mod remote;
pub mod worker;

use crate::error::ServiceError;
use crate::services::Services;
use crate::storage::keys;
use brightrun::models::{DownloadLink, ExportDownload, ExportFormat, ExportStatus, ModelExport};
use uuid::Uuid;

/// The format a request names, or a 400 naming `format` and the valid ones.
pub fn parse_format(raw: &str) -> Result<ExportFormat, ServiceError> {
    ExportFormat::parse(raw).ok_or_else(|| ServiceError::Invalid {
        field: "format",
        message: format!(
            "Unknown export format '{raw}'; choose one of: {}.",
            ExportFormat::names()
        ),
    })
}

/// Queues an export of the owner's model in `format` and returns it.
#[tracing::instrument(skip_all, fields(%owner, model = %id, format = %format))]
pub async fn request(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    format: ExportFormat,
) -> Result<ModelExport, ServiceError> {
    let model = queries::exportable(&services.pool, owner, id).await?;
    exportable_here(services, &model).await?;
    let prefix = keys::export_prefix(owner, id, format.as_str());
    if !queries::queue(&services.pool, owner, id, format, &prefix).await? {
        let status = queries::get(&services.pool, owner, id, format)
            .await?
            .map_or("asked for", |e| e.status.as_str());
        return Err(ServiceError::Conflict(format!(
            "This model's {format} export is already {status}; only a failed export can be asked for again."
        )));
    }
    services.wake_workers();
    queries::get(&services.pool, owner, id, format)
        .await?
        .ok_or(ServiceError::Internal)
}

/// Refuses (409) what the worker could not do: a base model no longer
/// offered, or an adapter whose files are gone from storage.
async fn exportable_here(
    services: &Services,
    model: &queries::Exportable,
) -> Result<(), ServiceError> {
    if crate::training::base_models::find(&services.config, &model.base_model).is_err() {
        return Err(ServiceError::Conflict(format!(
            "The base model '{}' this model was trained from is no longer on this server; add it \
             again to export the model.",
            model.base_model
        )));
    }
    let stored = super::stored_files(services, &model.storage_prefix).await?;
    let has = |name: &str| stored.iter().any(|(n, _, _)| *n == name);
    if !crate::jobs::spec::REQUIRED.iter().all(|name| has(name)) {
        return Err(ServiceError::Conflict(
            "This model's adapter files are no longer in storage; train it again to export it."
                .into(),
        ));
    }
    Ok(())
}

/// The model's exports (404 for a model that is not the owner's).
#[tracing::instrument(skip_all, fields(%owner, model = %id))]
pub async fn list(
    services: &Services,
    owner: Uuid,
    id: Uuid,
) -> Result<Vec<ModelExport>, ServiceError> {
    queries::exportable(&services.pool, owner, id).await?;
    queries::list(&services.pool, owner, id).await
}

/// Signed links (valid an hour) to each file of a completed export.
#[tracing::instrument(skip_all, fields(%owner, model = %id, format = %format))]
pub async fn links(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    format: ExportFormat,
) -> Result<ExportDownload, ServiceError> {
    queries::exportable(&services.pool, owner, id).await?;
    let export = queries::get(&services.pool, owner, id, format)
        .await?
        .ok_or(ServiceError::NotFound("Export"))?;
    if export.status != ExportStatus::Completed {
        return Err(ServiceError::Conflict(format!(
            "This model's {format} export is {}; its files can be downloaded once it has completed.",
            export.status.as_str()
        )));
    }
    let prefix = keys::export_prefix(owner, id, format.as_str());
    let ttl = super::download::LINK_TTL;
    let mut files = Vec::new();
    let mut expires_at = chrono::Utc::now();
    for file in export.files {
        let key = keys::export_object(&prefix, &file.name)?;
        let signed = services.storage.download_url(&key, ttl).await?;
        expires_at = signed.expires_at;
        files.push(DownloadLink {
            name: file.name,
            url: signed.url,
            size_bytes: Some(file.size_bytes),
        });
    }
    Ok(ExportDownload {
        format,
        files,
        expires_at,
    })
}

/// Removes a deleted model's exports: their rows, then every object under
/// its exports' folder (a worker still exporting finds its row gone and
/// removes what it uploads afterwards itself).
pub(crate) async fn remove_for_model(
    services: &Services,
    owner: Uuid,
    model: Uuid,
) -> Result<(), ServiceError> {
    queries::delete_for_model(&services.pool, model).await?;
    services
        .storage
        .delete_prefix(&keys::exports_root(owner, model))
        .await?;
    Ok(())
}
