//! Base models from the Hugging Face Hub (`/api/base-models`, the "Base
//! models" page): look a repository up (architecture, parameters, size)
//! before anything is downloaded, add it, follow its download, delete it.
//! The worker (`worker.rs`) downloads into the models folder, where the
//! configure page finds it like any other model folder.

pub mod hub;
pub mod queries;
pub mod worker;

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::base_models::{
    AddBaseModel, BaseModelDownload, HubFile, HubRef, Inspection, files::human_bytes, pick_files,
};
use brightrun_trainer::model::ModelConfig;
use hub::{Hub, HubError};
use uuid::Uuid;

impl From<HubError> for ServiceError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::Gated(_) => Self::Invalid {
                field: "token",
                message: e.to_string(),
            },
            HubError::NotFound(..) => Self::Invalid {
                field: "hub_id",
                message: e.to_string(),
            },
            HubError::Unavailable(_) | HubError::Corrupt(_) => Self::Unavailable(e.to_string()),
            HubError::Disk(cause) => Self::internal("base model download", cause),
        }
    }
}

/// Only the operators in `BRIGHTRUN_HUB_ADMINS` (when set) add and delete.
fn may_manage(services: &Services, email: &str) -> Result<(), ServiceError> {
    let admins = &services.config.base_models.admins;
    if admins.is_empty() || admins.iter().any(|a| a.eq_ignore_ascii_case(email)) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "Only this server's operators may add or delete base models (BRIGHTRUN_HUB_ADMINS); ask one of them.".into(),
        ))
    }
}

fn hub_ref(req: &AddBaseModel) -> Result<HubRef, ServiceError> {
    HubRef::parse(&req.hub_id, req.revision.as_deref())
        .map_err(|(field, message)| ServiceError::Invalid { field, message })
}

/// The Hub token, if one was given. It travels in a header, so only
/// printable ASCII can be sent; anything else is the caller's to fix.
fn token(req: &AddBaseModel) -> Result<Option<&str>, ServiceError> {
    let token = req
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match token {
        Some(t) if !t.bytes().all(|b| b.is_ascii_graphic()) => Err(ServiceError::Invalid {
            field: "token",
            message: "A Hub token holds only printable ASCII characters (hf_…); paste it again without spaces or line breaks.".into(),
        }),
        other => Ok(other),
    }
}

/// What a repository holds and whether the trainer can train it; nothing
/// is downloaded but its file list and config.json.
#[tracing::instrument(skip_all, fields(hub_id = %req.hub_id))]
pub async fn inspect(
    services: &Services,
    email: &str,
    req: &AddBaseModel,
) -> Result<(Inspection, Vec<HubFile>), ServiceError> {
    may_manage(services, email)?;
    let r = hub_ref(req)?;
    let hub = Hub::new(&services.config.base_models.hub_url);
    let all = hub.files(&r, token(req)?).await?;
    let files = pick_files(&all, services.config.base_models.max_bytes).map_err(|reason| {
        ServiceError::Invalid {
            field: "hub_id",
            message: format!("{} cannot be a base model: {reason}.", r.id),
        }
    })?;
    let config_file = files.iter().find(|f| f.path == "config.json");
    let config = hub
        .read(&r, config_file.expect("picked"), token(req)?)
        .await?;
    let config = serde_json::from_slice(&config)
        .map_err(|e| e.to_string())
        .and_then(|v| ModelConfig::from_json(&v).map_err(|e| e.to_string()))
        .map_err(|reason| ServiceError::Invalid {
            field: "hub_id",
            message: format!("BrightRun cannot train {}: {reason}", r.id),
        })?;
    let inspection = Inspection {
        name: r.folder_name(),
        architecture: config.model_type.clone(),
        parameters: config.parameter_count() as u64,
        total_bytes: brightrun::base_models::files::total_bytes(&files),
        files: files.iter().map(|f| f.path.clone()).collect(),
        hub_id: r.id,
        revision: r.revision,
    };
    Ok((inspection, files))
}

/// Looks the repository up and queues its download.
#[tracing::instrument(skip_all, fields(%user, hub_id = %req.hub_id))]
pub async fn add(
    services: &Services,
    user: Uuid,
    email: &str,
    req: &AddBaseModel,
) -> Result<BaseModelDownload, ServiceError> {
    let (found, files) = inspect(services, email, req).await?;
    let taken = crate::training::base_models::list(&services.config)
        .iter()
        .any(|m| m.id == found.name);
    let id = Uuid::new_v4();
    let new = queries::NewDownload {
        id,
        added_by: user,
        hub_id: &found.hub_id,
        revision: &found.revision,
        name: &found.name,
        architecture: &found.architecture,
        parameters: found.parameters,
        files: &files,
        token: token(req)?,
    };
    if taken || !queries::insert(&services.pool, &new).await? {
        return Err(ServiceError::Conflict(format!(
            "{} is already on this server as '{}'.",
            found.hub_id, found.name
        )));
    }
    tracing::info!(%id, bytes = found.total_bytes, "base model download queued ({})", human_bytes(found.total_bytes));
    services.wake_workers();
    get(services, id).await
}

#[tracing::instrument(skip_all)]
pub async fn list(services: &Services) -> Result<Vec<BaseModelDownload>, ServiceError> {
    Ok(queries::list(&services.pool)
        .await?
        .into_iter()
        .map(queries::Row::view)
        .collect())
}

#[tracing::instrument(skip_all, fields(download = %id))]
pub async fn get(services: &Services, id: Uuid) -> Result<BaseModelDownload, ServiceError> {
    queries::get(&services.pool, id)
        .await?
        .map(queries::Row::view)
        .ok_or(ServiceError::NotFound("Base model"))
}

/// Removes the model and its files, or stops its download; refused while
/// a job names it.
#[tracing::instrument(skip_all, fields(download = %id))]
pub async fn delete(services: &Services, email: &str, id: Uuid) -> Result<(), ServiceError> {
    may_manage(services, email)?;
    let model = get(services, id).await?;
    let jobs = queries::jobs_using(&services.pool, &model.name).await?;
    if jobs > 0 {
        return Err(ServiceError::Conflict(format!(
            "{jobs} training job{} use{} {}; delete {} first.",
            if jobs == 1 { "" } else { "s" },
            if jobs == 1 { "s" } else { "" },
            model.name,
            if jobs == 1 { "it" } else { "them" },
        )));
    }
    queries::delete(&services.pool, id).await?;
    remove_stored(services, &model.name).await;
    worker::remove_files(&services.config.base_models.dir, id, &model.name).await;
    Ok(())
}

/// The files a remote cluster's copy put in storage (the marker lists them).
async fn remove_stored(services: &Services, name: &str) {
    let marker = services
        .config
        .base_models
        .dir
        .join(name)
        .join(worker::STORED_MARKER);
    let Ok(text) = tokio::fs::read(&marker).await else {
        return;
    };
    let files: Vec<String> = serde_json::from_slice(&text).unwrap_or_default();
    for file in files {
        if let Ok(key) = crate::storage::keys::base_model_object(name, &file)
            && let Err(e) = services.storage.delete(&key).await
        {
            tracing::warn!(%key, "removing a base model's stored file: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_token(token: &str) -> AddBaseModel {
        AddBaseModel {
            token: Some(token.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_token_that_cannot_go_in_a_header_is_refused_naming_the_field() {
        assert_eq!(
            token(&with_token("  hf_abc123 \n")).unwrap(),
            Some("hf_abc123")
        );
        assert_eq!(token(&with_token("   ")).unwrap(), None);
        for bad in ["hf_a\u{7}b", "hf_ä", "hf a"] {
            match token(&with_token(bad)) {
                Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, "token", "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
