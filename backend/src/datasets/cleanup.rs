//! Removes what users abandoned: uploads never confirmed within the URL's
//! lifetime (row and any partial object), and the objects of deleted datasets.

use super::UPLOAD_TTL;
use super::queries::work as queries;
use crate::error::ServiceError;
use crate::services::Services;
use std::time::Duration;
use uuid::Uuid;

/// One pass; returns how many datasets it cleaned.
#[tracing::instrument(skip_all)]
pub async fn tick(services: &Services) -> Result<usize, ServiceError> {
    // A minute past the upload URL's expiry, so no upload is still arriving.
    let unconfirmed_after = UPLOAD_TTL + Duration::from_secs(60);
    let stale = queries::abandoned(&services.pool, unconfirmed_after).await?;
    for dataset in &stale {
        super::delete_objects(services, &dataset.storage_key).await?;
        queries::objects_removed(&services.pool, dataset.id).await?;
    }
    Ok(stale.len())
}

/// Cancels one pending upload now (the wizard's Cancel): row and object go.
#[tracing::instrument(skip_all, fields(%owner, dataset = %id))]
pub async fn cancel_upload(services: &Services, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    match queries::delete_pending(&services.pool, owner, id).await? {
        Some(key) => super::delete_objects(services, &key).await,
        None => Err(ServiceError::NotFound("Pending upload")),
    }
}
