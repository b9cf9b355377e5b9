//! The exports worker. A tick first puts back exports whose worker died
//! (their lease ran out), then claims the oldest queued one with `FOR
//! UPDATE SKIP LOCKED` and sequences its steps: fetch the adapter from
//! storage into `<data dir>/exports/<id>/adapter`, run the trainer's export
//! on the blocking pool into `…/out`, upload what it wrote under the
//! export's prefix, and store the files (or the reason it failed). While it
//! works a heartbeat writes the progress (every 500 ms) and extends the
//! lease; a heartbeat that finds the claim lost (the model deleted) stops
//! the export, and what it uploaded is removed.

use super::notes;
use super::queries::{self, Claimed};
use crate::config::ClusterKind;
use crate::error::ServiceError;
use crate::services::Services;
use crate::storage::keys;
use brightrun::models::{ExportFile, ExportFormat, ExportProgress};
use brightrun_trainer::TrainerError;
use brightrun_trainer::export::ExportJob;
use futures::StreamExt;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// A claim lasts this long; every heartbeat extends it.
pub const LEASE: Duration = Duration::from_secs(60);
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// Claims that died before an export is failed instead of queued again (an
/// export that takes the server down with it must not do so forever).
pub const MAX_ATTEMPTS: i32 = 3;
pub const STOPPED: &str = "The export stopped unexpectedly three times (the server restarted \
    while it ran); ask for it again, and if it stops again the model may need more memory than \
    this server has.";
/// The share of the progress bar the trainer's work fills; uploads fill the rest.
pub(super) const EXPORT_SHARE: f32 = 0.9;

/// Why an export failed: the reason the model page shows. The cause of an
/// internal failure has been logged where it was made.
#[derive(Debug)]
pub(super) struct Failure(pub(super) String);

impl Failure {
    pub(super) fn internal(doing: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "model export failed {doing}");
        Self(format!(
            "The export failed on the server {doing}; ask for it again, and if it fails again, \
             tell the operator."
        ))
    }
}

/// What the page shows of the export at work: set by the steps, written by
/// the heartbeat.
#[derive(Default)]
pub(super) struct Shown {
    fraction: f32,
    stage: String,
}

pub(super) type Shared = Arc<Mutex<Shown>>;

pub(super) fn show(shown: &Shared, fraction: f32, stage: impl Into<String>) {
    let mut s = shown.lock().unwrap_or_else(|p| p.into_inner());
    s.fraction = fraction;
    s.stage = stage.into();
}

/// Works on at most one export; its id, or `None` when idle.
#[tracing::instrument(skip_all)]
pub async fn tick(services: &Services) -> Result<Option<Uuid>, ServiceError> {
    requeue_stale(services).await?;
    let Some(job) = queries::claim(&services.pool, LEASE.as_secs_f64()).await? else {
        return Ok(None);
    };
    tracing::info!(id = %job.id, format = %job.format, attempt = job.attempts, "exporting a model");
    let work = services
        .config
        .data_dir
        .join("exports")
        .join(job.id.to_string());
    let shown = Shared::default();
    let cancel = Arc::new(AtomicBool::new(false));
    let outcome = tokio::select! {
        r = produce(services, &job, &work, &shown, &cancel) => r,
        never = heartbeat(services, &job, &shown, &cancel) => match never {},
    };
    remove_dir(&work).await;
    settle(services, &job, outcome, cancel.load(Ordering::Relaxed)).await?;
    Ok(Some(job.id))
}

/// Puts back exports whose worker died; those that died too often fail,
/// and their owners are told.
async fn requeue_stale(services: &Services) -> Result<(), ServiceError> {
    let mut tx = services.pool.begin().await?;
    let (stale, stopped) = queries::requeue_stale(&mut *tx, MAX_ATTEMPTS, STOPPED).await?;
    let notes: Vec<_> = stopped
        .iter()
        .map(|s| {
            let ended = notes::Ended {
                owner: s.owner_id,
                model: s.model_id,
                model_name: &s.model_name,
                format: &s.format,
            };
            ended.failed(STOPPED)
        })
        .collect();
    crate::notifications::insert_many(&mut *tx, &notes).await?;
    tx.commit().await?;
    if stale > 0 {
        tracing::warn!(
            stale,
            failed = notes.len(),
            "model exports whose worker died were queued again"
        );
    }
    Ok(())
}

/// The steps of one export; the files stored.
async fn produce(
    services: &Services,
    job: &Claimed,
    work: &Path,
    shown: &Shared,
    cancel: &Arc<AtomicBool>,
) -> Result<Vec<ExportFile>, Failure> {
    let format = ExportFormat::parse(&job.format)
        .ok_or_else(|| Failure(format!("Unknown export format '{}'.", job.format)))?;
    if services.config.cluster.kind != ClusterKind::Local {
        return super::remote::produce(services, job, format, shown, cancel).await;
    }
    let base = base_weights(services, &job.base_model)?;
    let (adapter, out) = (work.join("adapter"), work.join("out"));
    remove_dir(work).await;
    for dir in [&adapter, &out] {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| Failure::internal("making its work folder", e))?;
    }
    show(shown, 0.0, "fetching the adapter");
    fetch_adapter(services, &job.adapter_prefix, &adapter).await?;
    let written = export(base, format, adapter, out.clone(), shown, cancel).await?;
    upload(services, &job.storage_prefix, &out, written, shown, cancel).await
}

/// What the trainer loads the base model from: the built-in name or the
/// model's folder on this server.
fn base_weights(services: &Services, base_model: &str) -> Result<String, Failure> {
    crate::training::base_models::find(&services.config, base_model)
        .map(|b| b.spec_name)
        .map_err(|_| base_gone(base_model))
}

pub(super) fn base_gone(base_model: &str) -> Failure {
    Failure(format!(
        "The base model '{base_model}' this model was trained from is no longer offered; add it \
         again, then ask for the export again."
    ))
}

/// Copies the adapter's stored files into `dir`.
async fn fetch_adapter(services: &Services, prefix: &str, dir: &Path) -> Result<(), Failure> {
    let fetching = "fetching the adapter from storage";
    let stored = crate::models::stored_files(services, prefix)
        .await
        .map_err(|e| Failure::internal(fetching, e))?;
    for required in crate::jobs::spec::REQUIRED {
        if !stored.iter().any(|(name, _, _)| name == required) {
            return Err(Failure(
                "This model's adapter files are no longer in storage; train it again to export it."
                    .into(),
            ));
        }
    }
    for (name, key, _) in stored {
        let mut body = services
            .storage
            .get_stream(&key)
            .await
            .map_err(|e| Failure::internal(fetching, e))?;
        let mut file = tokio::fs::File::create(dir.join(name))
            .await
            .map_err(|e| Failure::internal(fetching, e))?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Failure::internal(fetching, e))?;
            file.write_all(&chunk)
                .await
                .map_err(|e| Failure::internal(fetching, e))?;
        }
        file.flush()
            .await
            .map_err(|e| Failure::internal(fetching, e))?;
    }
    Ok(())
}

/// Runs the trainer's export on the blocking pool; the files it wrote,
/// relative to `out`.
async fn export(
    base: String,
    format: ExportFormat,
    adapter: PathBuf,
    out: PathBuf,
    shown: &Shared,
    cancel: &Arc<AtomicBool>,
) -> Result<Vec<PathBuf>, Failure> {
    let (shown, cancel) = (shown.clone(), cancel.clone());
    tokio::task::spawn_blocking(move || {
        let job = ExportJob {
            base_model: &base,
            adapter_dir: &adapter,
            format,
            out_dir: &out,
            cancel: Some(&cancel),
        };
        let mut report = |p: ExportProgress| show(&shown, p.fraction() * EXPORT_SHARE, p.stage);
        brightrun_trainer::export::run(&job, &mut report)
    })
    .await
    .map_err(|e| Failure::internal("exporting (the export task stopped)", e))?
    .map_err(trainer_failure)
}

/// The trainer's error as the page shows it: what the user can act on in
/// its own words, the rest as an internal failure.
fn trainer_failure(e: TrainerError) -> Failure {
    match brightrun_trainer::export::user_reason(&e) {
        Some(reason) => Failure(reason),
        None => Failure::internal("exporting", e),
    }
}

/// Uploads each written file under `prefix`; the files as stored.
async fn upload(
    services: &Services,
    prefix: &str,
    out: &Path,
    written: Vec<PathBuf>,
    shown: &Shared,
    cancel: &AtomicBool,
) -> Result<Vec<ExportFile>, Failure> {
    let storing = "storing the exported files";
    let mut sized = Vec::new();
    for relative in written {
        let name = object_name(&relative)
            .ok_or_else(|| Failure::internal(storing, format!("odd path {relative:?}")))?;
        let path = out.join(&relative);
        let size = tokio::fs::metadata(&path)
            .await
            .map_err(|e| Failure::internal(storing, e))?
            .len();
        sized.push((name, path, size));
    }
    let total: u64 = sized.iter().map(|(_, _, size)| size).sum::<u64>().max(1);
    let mut done = 0u64;
    let mut files = Vec::new();
    for (name, path, size) in sized {
        if cancel.load(Ordering::Relaxed) {
            return Err(Failure("The export was stopped.".into()));
        }
        let progress = EXPORT_SHARE + (1.0 - EXPORT_SHARE) * done as f32 / total as f32;
        show(shown, progress, format!("uploading {name}"));
        let key = keys::export_object(prefix, &name).map_err(|e| Failure::internal(storing, e))?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| Failure::internal(storing, e))?;
        services
            .storage
            .put_stream(&key, tokio_util::io::ReaderStream::new(file), size)
            .await
            .map_err(|e| Failure::internal(storing, e))?;
        done += size;
        files.push(ExportFile {
            name,
            size_bytes: size,
        });
    }
    Ok(files)
}

/// A path the trainer wrote as the object name under the prefix: its
/// plain components joined by `/`.
pub(super) fn object_name(relative: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = relative
        .components()
        .map(|c| match c {
            std::path::Component::Normal(part) => part.to_str(),
            _ => None,
        })
        .collect();
    let parts = parts.filter(|p| !p.is_empty())?;
    Some(parts.join("/"))
}

/// Writes progress and extends the lease every `PROGRESS_EVERY`; when the
/// claim is lost, raises `cancel`. Never returns.
async fn heartbeat(
    services: &Services,
    job: &Claimed,
    shown: &Shared,
    cancel: &AtomicBool,
) -> Infallible {
    loop {
        tokio::time::sleep(PROGRESS_EVERY).await;
        let (fraction, stage) = {
            let s = shown.lock().unwrap_or_else(|p| p.into_inner());
            (s.fraction, s.stage.clone())
        };
        let lease = LEASE.as_secs_f64();
        match queries::progress(
            &services.pool,
            job.id,
            job.attempts,
            fraction,
            &stage,
            lease,
        )
        .await
        {
            Ok(true) => {}
            Ok(false) => cancel.store(true, Ordering::Relaxed),
            Err(e) => tracing::warn!(id = %job.id, "recording export progress: {e}"),
        }
    }
}

/// Stores the outcome while the claim holds. A failed export's partial
/// uploads are removed; so is everything an export uploaded after its row
/// went with its model. An export queued again keeps its prefix: the next
/// attempt writes the same objects.
async fn settle(
    services: &Services,
    job: &Claimed,
    outcome: Result<Vec<ExportFile>, Failure>,
    cancelled: bool,
) -> Result<(), ServiceError> {
    let (pool, id) = (&services.pool, job.id);
    let ended = notes::Ended {
        owner: job.owner_id,
        model: job.model_id,
        model_name: &job.model_name,
        format: &job.format,
    };
    let failed = outcome.is_err();
    let mut tx = pool.begin().await?;
    let stored = match outcome {
        _ if cancelled => false,
        Ok(files) => {
            let stored = queries::complete(&mut *tx, id, job.attempts, &files).await?;
            if stored {
                let size = files.iter().map(|f| f.size_bytes).sum();
                crate::notifications::insert(&mut *tx, &ended.ready(size)).await?;
                tracing::info!(%id, files = files.len(), "model export completed");
            }
            stored
        }
        Err(Failure(reason)) => {
            let stored = queries::fail(&mut *tx, id, job.attempts, &reason).await?;
            if stored {
                crate::notifications::insert(&mut *tx, &ended.failed(&reason)).await?;
                tracing::warn!(%id, %reason, "model export failed");
            }
            stored
        }
    };
    tx.commit().await?;
    // A failed export's partial uploads go.
    if stored && failed {
        services.storage.delete_prefix(&job.storage_prefix).await?;
    }
    if stored {
        return Ok(());
    }
    if !queries::exists(pool, id).await? {
        tracing::info!(%id, "model deleted while it was exported; its files are removed");
        services.storage.delete_prefix(&job.storage_prefix).await?;
    }
    Ok(())
}

async fn remove_dir(dir: &Path) {
    if let Err(e) = tokio::fs::remove_dir_all(dir).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(dir = %dir.display(), "removing an export's work folder: {e}");
    }
}

/// Runs until the server stops: exports one after another, then waits to
/// be woken (or 5 s).
pub async fn run(services: Services) {
    loop {
        match tick(&services).await {
            Ok(Some(_)) => {
                services.workers.ticked("exports");
                continue;
            }
            Ok(None) => services.workers.ticked("exports"),
            Err(err) => tracing::warn!(%err, "model export tick failed"),
        }
        tokio::select! {
            _ = services.work_available() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_paths_become_object_names() {
        assert_eq!(
            object_name(Path::new("model-q8_0.gguf")).as_deref(),
            Some("model-q8_0.gguf")
        );
        assert_eq!(
            object_name(Path::new("merged/config.json")).as_deref(),
            Some("merged/config.json")
        );
        assert_eq!(object_name(Path::new("../x")), None);
        assert_eq!(object_name(Path::new("/etc/passwd")), None);
        assert_eq!(object_name(Path::new("")), None);
    }

    #[test]
    fn only_what_the_user_can_act_on_is_shown_in_the_trainers_words() {
        let shown = trainer_failure(TrainerError::TooBig("needs 30 GiB, 8 GiB free".into()));
        assert!(shown.0.contains("needs 30 GiB"), "{}", shown.0);
        let hidden = trainer_failure(TrainerError::Io("/srv/brightrun/x: disk full".into()));
        assert!(!hidden.0.contains("/srv"), "{}", hidden.0);
        assert!(hidden.0.contains("ask for it again"), "{}", hidden.0);
    }
}
