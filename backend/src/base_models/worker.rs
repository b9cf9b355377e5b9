//! The base-models worker: claims one download (waiting, or one whose
//! worker died: its lease ran out), fetches each file into
//! `<models>/.downloads/<id>/` as `<file>.part`, resuming what an earlier
//! attempt left, keeps it only once it matches the Hub's size and hash, and
//! moves the finished folder to `<models>/<name>`, where the configure page
//! finds it. A cut connection is tried again (up to `MAX_ATTEMPTS`); a
//! corrupt file, a refused token or a bad folder fails the download with
//! the reason.

use super::hub::{Hub, HubError};
use super::queries::{self, Claimed};
use crate::config::ClusterKind;
use crate::error::ServiceError;
use crate::services::Services;
use crate::storage::keys::base_model_object;
use brightrun::base_models::{DownloadStatus, HubFile, HubRef};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use uuid::Uuid;

pub const LEASE: Duration = Duration::from_secs(120);
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// Interrupted attempts before a download is failed.
pub const MAX_ATTEMPTS: i32 = 5;
/// The wait before an interrupted download is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

fn staging(models: &Path, id: Uuid) -> PathBuf {
    models.join(".downloads").join(id.to_string())
}

/// Works on at most one download; its id, or `None` when idle.
#[tracing::instrument(skip_all)]
pub async fn tick(services: &Services) -> Result<Option<Uuid>, ServiceError> {
    let Some(job) = queries::claim(&services.pool, LEASE.as_secs_f64()).await? else {
        return Ok(None);
    };
    let id = job.id;
    let dir = staging(&services.config.base_models.dir, id);
    let done = Arc::new(AtomicU64::new(0));
    let fetch = fetch_all(services, &job, &dir, done.clone());
    let outcome = tokio::select! {
        r = fetch => Some(r),
        () = watch(services, id, done.clone()) => None,
    };
    let bytes = done.load(Ordering::Relaxed);
    match outcome {
        // Deleted while downloading: what was fetched goes too.
        None => remove_files(&services.config.base_models.dir, id, &job.name).await,
        Some(Ok(())) => finish(services, &job, &dir).await?,
        Some(Err(HubError::Unavailable(why))) if job.attempts < MAX_ATTEMPTS => {
            let note = format!("interrupted ({why}); resuming");
            tracing::warn!(%id, "base model download {note}");
            queries::interrupted(&services.pool, id, bytes, &note, RETRY_AFTER.as_secs_f64())
                .await?;
        }
        Some(Err(e)) => {
            tracing::warn!(%id, "base model download failed: {e}");
            queries::finish(
                &services.pool,
                id,
                DownloadStatus::Failed,
                bytes,
                Some(&e.to_string()),
            )
            .await?;
        }
    }
    Ok(Some(id))
}

/// Downloads every file not already kept, counting bytes into `done`.
async fn fetch_all(
    services: &Services,
    job: &Claimed,
    dir: &Path,
    done: Arc<AtomicU64>,
) -> Result<(), HubError> {
    let r = HubRef {
        id: job.hub_id.clone(),
        revision: job.revision.clone(),
    };
    let hub = Hub::new(&services.config.base_models.hub_url);
    let disk = |e: std::io::Error| HubError::Disk(e.to_string());
    tokio::fs::create_dir_all(dir).await.map_err(disk)?;
    let mut kept = 0;
    for file in job.files.iter() {
        let dest = dir.join(&file.path);
        if kept_whole(&dest, file).await {
            kept += file.size;
            done.store(kept, Ordering::Relaxed);
            continue;
        }
        let part = dir.join(format!("{}.part", file.path));
        let counter = done.clone();
        let mut progress = move |have: u64| counter.store(kept + have, Ordering::Relaxed);
        let got = hub
            .download(&r, file, job.hub_token.as_deref(), &part, &mut progress)
            .await;
        if let Err(HubError::Corrupt(_)) = &got {
            let _ = tokio::fs::remove_file(&part).await;
        }
        got?;
        tokio::fs::rename(&part, &dest).await.map_err(disk)?;
        kept += file.size;
    }
    Ok(())
}

/// A file an earlier attempt finished (checked, then renamed from `.part`).
async fn kept_whole(dest: &Path, file: &HubFile) -> bool {
    tokio::fs::metadata(dest)
        .await
        .is_ok_and(|m| m.len() == file.size)
}

/// Writes progress and extends the lease until the row is gone (deleted),
/// which ends the download; otherwise never returns.
async fn watch(services: &Services, id: Uuid, done: Arc<AtomicU64>) {
    loop {
        tokio::time::sleep(PROGRESS_EVERY).await;
        let bytes = done.load(Ordering::Relaxed);
        match queries::progress(&services.pool, id, bytes, LEASE.as_secs_f64()).await {
            Ok(false) => return,
            Ok(true) => {}
            Err(e) => tracing::warn!(%id, "recording download progress: {e}"),
        }
    }
}

/// Checks the folder loads as a model and moves it into place.
async fn finish(services: &Services, job: &Claimed, dir: &Path) -> Result<(), ServiceError> {
    let total = brightrun::base_models::files::total_bytes(&job.files);
    let folder = dir.display().to_string();
    let checked = tokio::task::spawn_blocking(move || {
        brightrun_trainer::model::folder::config_of(&folder).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ServiceError::internal("checking a downloaded model", e))?;
    let dest = services.config.base_models.dir.join(&job.name);
    let stored = match checked {
        Err(reason) => Err(format!(
            "the downloaded files do not load as a model: {reason}"
        )),
        Ok(_) => store_for_cluster(services, job, dir).await,
    };
    let moved = match stored {
        Ok(()) => tokio::fs::rename(dir, &dest).await.map_err(|e| {
            tracing::error!(cause = %e, "moving a downloaded model into place");
            "the download could not be moved into the models folder".to_string()
        }),
        Err(e) => Err(e),
    };
    let (status, error) = match &moved {
        Ok(()) => (DownloadStatus::Ready, None),
        Err(reason) => (DownloadStatus::Failed, Some(reason.as_str())),
    };
    queries::finish(&services.pool, job.id, status, total, error).await?;
    tracing::info!(id = %job.id, name = %job.name, "base model download {}", status.as_str());
    Ok(())
}

/// The file a remote cluster's model folder carries: the files it put in
/// storage, for `training::base_models` to offer it and sign them.
pub const STORED_MARKER: &str = ".brightrun-stored.json";

/// For a remote cluster (http, Ray), whose trainers fetch through signed
/// URLs: every file into storage, then the marker that lists them.
async fn store_for_cluster(services: &Services, job: &Claimed, dir: &Path) -> Result<(), String> {
    if services.config.cluster.kind == ClusterKind::Local {
        return Ok(());
    }
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(cause = %e, "storing a downloaded model");
        "the download could not be put in storage for the cluster".to_string()
    };
    let mut names = Vec::new();
    for file in job.files.iter() {
        let key = base_model_object(&job.name, &file.path).map_err(|e| failed(&e))?;
        let handle = tokio::fs::File::open(dir.join(&file.path))
            .await
            .map_err(|e| failed(&e))?;
        let body = tokio_util::io::ReaderStream::new(handle);
        services
            .storage
            .put_stream(&key, body, file.size)
            .await
            .map_err(|e| failed(&e))?;
        names.push(file.path.clone());
    }
    let marker = serde_json::to_vec(&names).unwrap_or_default();
    tokio::fs::write(dir.join(STORED_MARKER), marker)
        .await
        .map_err(|e| failed(&e))
}

/// Removes a download's staging folder and its model folder.
pub async fn remove_files(models: &Path, id: Uuid, name: &str) {
    for dir in [staging(models, id), models.join(name)] {
        if let Err(e) = tokio::fs::remove_dir_all(&dir).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %dir.display(), "removing a base model's files: {e}");
        }
    }
}

/// Runs until the server stops.
pub async fn run(services: Services) {
    loop {
        match tick(&services).await {
            Ok(Some(_)) => {
                services.workers.ticked("base_models");
                continue;
            }
            Ok(None) => services.workers.ticked("base_models"),
            Err(err) => tracing::warn!(%err, "base model download tick failed"),
        }
        tokio::select! {
            _ = services.work_available() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
