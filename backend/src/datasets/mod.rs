//! Datasets: create (with a signed upload URL), confirm, list, show, edit,
//! delete — every query scoped by owner — plus the validation worker and the
//! clean-up of abandoned uploads.

pub mod cleanup;
pub mod queries;
pub mod worker;

use crate::error::ServiceError;
use crate::services::Services;
use crate::storage::keys;
use brightrun::DatasetStatus;
use brightrun::datasets::records::check_text;
use brightrun::datasets::{
    CreatedDataset, Dataset, DatasetDetail, DatasetFilter, DatasetPage, NewDataset, UploadTarget,
};
use std::time::Duration;
use uuid::Uuid;

/// How long an upload URL stays valid.
pub const UPLOAD_TTL: Duration = Duration::from_secs(3600);

fn invalid((field, message): (&'static str, String)) -> ServiceError {
    ServiceError::Invalid { field, message }
}

#[tracing::instrument(skip_all, fields(%owner, file = %new.file_name, size = new.size_bytes))]
pub async fn create(
    services: &Services,
    owner: Uuid,
    new: NewDataset,
) -> Result<CreatedDataset, ServiceError> {
    check_text(&new.name, new.description.as_deref()).map_err(invalid)?;
    keys::safe_file_name(&new.file_name)?;
    let limit = services.config.datasets.max_bytes;
    if new.size_bytes > limit {
        return Err(ServiceError::TooLarge(format!(
            "The file is {:.1} MB; the limit is {} MB.",
            new.size_bytes as f64 / 1_048_576.0,
            limit / 1_048_576
        )));
    }
    if new.size_bytes == 0 {
        return Err(ServiceError::Invalid {
            field: "size_bytes",
            message: "The file is empty.".into(),
        });
    }
    let id = Uuid::new_v4();
    let key = keys::dataset_object(owner, id, &new.file_name)?;
    let upload = services
        .storage
        .browser_upload(
            &keys::dataset_upload_object(&key),
            new.size_bytes.min(limit),
            UPLOAD_TTL,
        )
        .await?;
    let dataset = queries::insert(&services.pool, id, owner, &new, &key).await?;
    Ok(CreatedDataset {
        dataset,
        upload: UploadTarget {
            url: upload.url,
            method: upload.method.to_string(),
            expires_at: upload.expires_at,
            max_bytes: new.size_bytes.min(limit),
            fields: upload.fields.into_iter().collect(),
        },
    })
}

/// Marks an upload complete once the object is really there.
#[tracing::instrument(skip_all, fields(%owner, dataset = %id))]
pub async fn confirm(services: &Services, owner: Uuid, id: Uuid) -> Result<Dataset, ServiceError> {
    let queries::UploadState {
        status,
        key,
        declared_size: declared,
    } = queries::upload_state(&services.pool, owner, id).await?;
    if status != DatasetStatus::PendingUpload {
        return Err(ServiceError::Conflict(format!(
            "This dataset is already {}; only a pending upload can be confirmed.",
            status.as_str().replace('_', " ")
        )));
    }
    // The upload moves to the dataset's own object: whatever is sent to the
    // upload URL later (it cannot be revoked on S3) is never read. A dataset
    // created before uploads had their own object has its file in place.
    services
        .storage
        .rename(&keys::dataset_upload_object(&key), &key)
        .await?;
    let Some(size) = services.storage.size(&key).await? else {
        return Err(ServiceError::Conflict(
            "No uploaded file was found. Send the file to the upload URL first, then confirm."
                .into(),
        ));
    };
    // The upload URL carries the declared size as its limit; an S3 server
    // that ignores a POST policy's range is caught here too.
    if size > declared.min(services.config.datasets.max_bytes) {
        services.storage.delete(&key).await?;
        return Err(ServiceError::TooLarge(format!(
            "The uploaded file is {size} bytes, more than the {declared} bytes this dataset was created for. Create the dataset again with the file's real size."
        )));
    }
    let dataset = queries::mark_uploaded(&services.pool, owner, id, size).await?;
    services.wake_workers();
    Ok(dataset)
}

/// Whether a PUT to the stored object `path` may write it: a dataset's upload
/// object only while that dataset waits for its upload (a validated file cannot be
/// swapped under its statistics, estimate and trainer). Other objects are
/// not datasets' and are left to their signature.
#[tracing::instrument(skip_all, fields(%path))]
pub async fn accepts_upload(services: &Services, path: &str) -> Result<(), ServiceError> {
    if !keys::is_dataset_key(path) {
        return Ok(());
    }
    let Some((owner, id)) = keys::dataset_of_key(path) else {
        return Err(ServiceError::NotFound("Dataset"));
    };
    let queries::UploadState { status, key, .. } =
        queries::upload_state(&services.pool, owner, id).await?;
    if keys::dataset_upload_object(&key) != path {
        return Err(ServiceError::NotFound("Dataset"));
    }
    if status != DatasetStatus::PendingUpload {
        return Err(ServiceError::Conflict(format!(
            "This dataset is already {}; its file cannot be replaced. Create a new dataset to upload another file.",
            status.as_str().replace('_', " ")
        )));
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(%owner))]
pub async fn list(
    services: &Services,
    owner: Uuid,
    filter: &DatasetFilter,
) -> Result<DatasetPage, ServiceError> {
    queries::list(&services.pool, owner, filter).await
}

#[tracing::instrument(skip_all, fields(%owner, dataset = %id))]
pub async fn get(
    services: &Services,
    owner: Uuid,
    id: Uuid,
) -> Result<DatasetDetail, ServiceError> {
    queries::detail(&services.pool, owner, id).await
}

#[tracing::instrument(skip_all, fields(%owner, dataset = %id))]
pub async fn update(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    name: Option<String>,
    description: Option<String>,
) -> Result<Dataset, ServiceError> {
    let current = queries::detail(&services.pool, owner, id).await?.dataset;
    let name = name.unwrap_or(current.name);
    let description = description.or(current.description);
    check_text(&name, description.as_deref()).map_err(invalid)?;
    queries::update_text(
        &services.pool,
        owner,
        id,
        name.trim(),
        description.as_deref(),
    )
    .await
}

/// Soft delete; the object is removed by the clean-up.
#[tracing::instrument(skip_all, fields(%owner, dataset = %id))]
pub async fn delete(services: &Services, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    queries::soft_delete(&services.pool, owner, id).await
}

/// Deletes a dataset's file and anything left at its upload object.
#[tracing::instrument(skip_all, fields(%key))]
pub(crate) async fn delete_objects(services: &Services, key: &str) -> Result<(), ServiceError> {
    services.storage.delete(key).await?;
    services
        .storage
        .delete(&keys::dataset_upload_object(key))
        .await
}
