//! An export on the cluster, where the base weights are (the http
//! backend's agent, or a Ray job): the spec sent with the adapter (and a
//! Hub base model's files) as signed URLs, its progress polled into the
//! page's, each written file streamed from the cluster into storage under
//! the export's prefix, and the cluster's copy removed. The export's id is
//! the cluster's key, so a claim taken over after a server restart finds
//! the export still running there. Everything the cluster sends is checked:
//! names must be plain object names, sizes what it listed, reasons short
//! plain text.

use super::queries::Claimed;
use super::worker::{EXPORT_SHARE, Failure, Shared, object_name, show};
use crate::jobs::cluster::{ClusterError, ExportSpec, ExportView};
use crate::services::Services;
use crate::storage::keys;
use brightrun::cluster::ExportRunStatus;
use brightrun::models::{ExportFile, ExportFormat};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const POLL_EVERY: Duration = Duration::from_millis(500);
/// Times an agent may lose the export (restarted) before it fails.
const MAX_LOST: u32 = 3;
/// The longest reason from the agent that is shown.
const MAX_REASON: usize = 500;

pub(super) async fn produce(
    services: &Services,
    job: &Claimed,
    format: ExportFormat,
    shown: &Shared,
    cancel: &AtomicBool,
) -> Result<Vec<ExportFile>, Failure> {
    let spec = spec(services, job, format).await?;
    show(shown, 0.0, "sending the export to the cluster");
    let view = services
        .cluster
        .start_export(&spec)
        .await
        .map_err(cluster_failure)?;
    let outcome = follow(services, job, &spec, view, shown, cancel).await;
    // Done or failed, the cluster's copy goes (a crash leaves it for the
    // next claim, which follows the same run).
    remove(services, &spec.export_id).await;
    outcome
}

/// Polls the export until it ends, then stores its files.
async fn follow(
    services: &Services,
    job: &Claimed,
    spec: &ExportSpec,
    mut view: ExportView,
    shown: &Shared,
    cancel: &AtomicBool,
) -> Result<Vec<ExportFile>, Failure> {
    let cluster = &services.cluster;
    let mut lost = 0;
    let files = loop {
        match view.status {
            ExportRunStatus::Completed => break view.files,
            ExportRunStatus::Failed => return Err(agent_failure(view.error.as_deref())),
            _ => show(
                shown,
                view.fraction.clamp(0.0, 1.0) * EXPORT_SHARE,
                &view.stage,
            ),
        }
        tokio::time::sleep(POLL_EVERY).await;
        if cancel.load(Ordering::Relaxed) {
            return Err(Failure("The export was stopped.".into()));
        }
        view = match cluster.export_status(&spec.export_id).await {
            Err(ClusterError::NotFound) if lost < MAX_LOST => {
                lost += 1;
                tracing::warn!(id = %spec.export_id, lost, "the agent lost the export; sending it again");
                cluster.start_export(spec).await
            }
            other => other,
        }
        .map_err(cluster_failure)?;
    };
    store(services, job, &spec.export_id, files, shown, cancel).await
}

/// The spec of this export, every URL signed.
async fn spec(
    services: &Services,
    job: &Claimed,
    format: ExportFormat,
) -> Result<ExportSpec, Failure> {
    let base = crate::training::base_models::find(&services.config, &job.base_model)
        .map_err(|_| super::worker::base_gone(&job.base_model))?;
    let signing = "signing the export's links";
    let base_model_files = match &base.stored_files {
        Some(files) => Some(
            crate::jobs::spec::base_model_urls(services, &base.id, files)
                .await
                .map_err(|e| Failure::internal(signing, e))?,
        ),
        None => None,
    };
    let adapter = crate::jobs::spec::adapter_urls(services, &job.adapter_prefix)
        .await
        .map_err(|e| Failure::internal(signing, e))?;
    Ok(ExportSpec {
        export_id: cluster_id(job),
        base_model: base.spec_name,
        base_model_files,
        adapter,
        format,
        upload: None,
    })
}

/// The export's name on the cluster: one per request (a failed export
/// asked for again is a new run; Ray never reuses a job's id), the same
/// for every claim of it.
fn cluster_id(job: &Claimed) -> String {
    format!("{}-{}", job.id, job.created_at.timestamp_micros())
}

/// Streams each listed file from the agent into storage; the files stored.
async fn store(
    services: &Services,
    job: &Claimed,
    id: &str,
    files: Vec<ExportFile>,
    shown: &Shared,
    cancel: &AtomicBool,
) -> Result<Vec<ExportFile>, Failure> {
    if files.is_empty() {
        return Err(agent_failure(Some("it wrote no files")));
    }
    let total = files.iter().map(|f| f.size_bytes).sum::<u64>().max(1);
    let mut done = 0;
    for file in &files {
        if object_name(Path::new(&file.name)).as_deref() != Some(file.name.as_str()) {
            return Err(agent_failure(Some(
                "it listed a file with an unusable name",
            )));
        }
        if cancel.load(Ordering::Relaxed) {
            return Err(Failure("The export was stopped.".into()));
        }
        let progress = EXPORT_SHARE + (1.0 - EXPORT_SHARE) * done as f32 / total as f32;
        show(shown, progress, format!("storing {}", file.name));
        copy(services, &job.storage_prefix, id, file).await?;
        done += file.size_bytes;
    }
    Ok(files)
}

/// One file from the agent into storage, exactly the size it listed.
async fn copy(
    services: &Services,
    prefix: &str,
    id: &str,
    file: &ExportFile,
) -> Result<(), Failure> {
    let storing = "storing the exported files";
    let body = services
        .cluster
        .export_file(id, &file.name)
        .await
        .map_err(cluster_failure)?;
    let key = keys::export_object(prefix, &file.name).map_err(|e| Failure::internal(storing, e))?;
    let written = services
        .storage
        .put_stream(&key, body, file.size_bytes)
        .await
        .map_err(|e| Failure::internal(storing, e))?;
    if written != file.size_bytes {
        return Err(Failure::internal(
            storing,
            format!("{}: {written} bytes of {}", file.name, file.size_bytes),
        ));
    }
    Ok(())
}

async fn remove(services: &Services, id: &str) {
    if let Err(e) = services.cluster.remove_export(id).await {
        tracing::warn!(%id, "removing an export from the agent: {e}");
    }
}

/// A cluster call that failed, as the page says it.
fn cluster_failure(e: ClusterError) -> Failure {
    match e {
        ClusterError::Unsuitable(why) => Failure(format!("This cluster cannot export: {why}.")),
        ClusterError::Unreachable(why) => {
            tracing::warn!("export: the cluster is unreachable: {why}");
            Failure(
                "The GPU machine could not be reached while exporting; ask for the export again."
                    .into(),
            )
        }
        other => Failure::internal("talking to the GPU machine", other),
    }
}

/// The agent's reason, as plain text of a bounded length.
fn agent_failure(reason: Option<&str>) -> Failure {
    let reason: String = reason
        .unwrap_or("it gave no reason")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON)
        .collect();
    Failure(format!(
        "The GPU machine could not export this model: {reason}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agents_reason_is_shown_short_and_plain() {
        let long = format!("bad\u{1b}[31m{}", "x".repeat(10_000));
        let shown = agent_failure(Some(&long)).0;
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert!(shown.len() < MAX_REASON + 100, "{}", shown.len());
        assert!(agent_failure(None).0.contains("no reason"));
    }
}
