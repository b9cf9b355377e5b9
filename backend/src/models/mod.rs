//! Trained models: list (filtered), show with the job's summary and the
//! version chain, edit, soft delete, download links and the tar.gz bundle;
//! exports (merged, GGUF) in `exports`.
//! Every query is scoped by owner (the SQL is in `queries.rs`).

pub mod bundle;
pub mod cleanup;
pub mod download;
pub mod exports;
pub mod queries;

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::models::{Model, ModelDetail, ModelFilter, ModelUpdate};
use uuid::Uuid;

#[tracing::instrument(skip_all, fields(%owner))]
pub async fn list(
    services: &Services,
    owner: Uuid,
    filter: &ModelFilter,
) -> Result<Vec<Model>, ServiceError> {
    if filter.min_rating.is_some_and(|r| !(1..=5).contains(&r)) {
        return Err(ServiceError::Invalid {
            field: "min_rating",
            message: "The lowest rating is a whole number from 1 to 5.".into(),
        });
    }
    queries::list(&services.pool, owner, filter).await
}

#[tracing::instrument(skip_all, fields(%owner, model = %id))]
pub async fn get(services: &Services, owner: Uuid, id: Uuid) -> Result<Model, ServiceError> {
    queries::get(&services.pool, owner, id).await
}

/// The model page: the model, its job's summary and curves, and its versions.
#[tracing::instrument(skip_all, fields(%owner, model = %id))]
pub async fn detail(
    services: &Services,
    owner: Uuid,
    id: Uuid,
) -> Result<ModelDetail, ServiceError> {
    let model = get(services, owner, id).await?;
    let job = crate::jobs::get(services, owner, model.job_id).await?;
    let lineage = queries::lineage(&services.pool, owner, id).await?;
    let children = queries::children(&services.pool, owner, id).await?;
    let exports = exports::queries::list(&services.pool, owner, id).await?;
    Ok(ModelDetail {
        model,
        adapter: job.kept_adapter(),
        job,
        lineage,
        children,
        exports,
    })
}

#[tracing::instrument(skip_all, fields(%owner, model = %id))]
pub async fn update(
    services: &Services,
    owner: Uuid,
    id: Uuid,
    change: ModelUpdate,
) -> Result<Model, ServiceError> {
    let change = change
        .validated()
        .map_err(|(field, message)| ServiceError::Invalid { field, message })?;
    queries::update_text(
        &services.pool,
        owner,
        id,
        change.name.as_deref(),
        change.description.as_deref(),
    )
    .await?;
    get(services, owner, id).await
}

/// Soft delete: the model leaves every list at once; its objects go on the
/// next cleanup pass. Models continued from it keep their own weights.
/// Refused (409 naming the job) while a queued or running job continues it.
#[tracing::instrument(skip_all, fields(%owner, model = %id))]
pub async fn delete(services: &Services, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    queries::soft_delete(&services.pool, owner, id).await?;
    services.wake_workers();
    Ok(())
}

/// The adapter files in storage under `prefix`, in `ARTIFACTS` order:
/// (file name, object key, size). Missing ones are left out.
pub(crate) async fn stored_files(
    services: &Services,
    prefix: &str,
) -> Result<Vec<(&'static str, String, u64)>, ServiceError> {
    let mut files = Vec::new();
    for name in crate::jobs::spec::ARTIFACTS {
        let key = crate::storage::keys::object_in(prefix, name);
        if let Some(size) = services.storage.size(&key).await? {
            files.push((*name, key, size));
        }
    }
    Ok(files)
}
