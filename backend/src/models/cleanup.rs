//! Removes the objects of deleted models, their exports' included. The row
//! stays (its job and cost records refer to it), marked as emptied.

use super::queries;
use crate::error::ServiceError;
use crate::jobs::spec::ARTIFACTS;
use crate::services::Services;

/// One pass; returns how many models it emptied.
#[tracing::instrument(skip_all)]
pub async fn tick(services: &Services) -> Result<usize, ServiceError> {
    let deleted = queries::deleted_with_objects(&services.pool).await?;
    for model in &deleted {
        for file in ARTIFACTS {
            let key = crate::storage::keys::object_in(&model.storage_prefix, file);
            services.storage.delete(&key).await?;
        }
        super::exports::remove_for_model(services, model.owner_id, model.id).await?;
        queries::objects_removed(&services.pool, model.id).await?;
    }
    Ok(deleted.len())
}
