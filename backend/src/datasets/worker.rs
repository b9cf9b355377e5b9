//! The validation worker. Claims one `uploaded` dataset (or a `validating`
//! one whose lease ran out: its worker died) with `FOR UPDATE SKIP LOCKED`,
//! streams the object through the same validator the browser runs, writes
//! progress as it reads, and stores `ready` or `invalid` with the report.
//! Safe to crash and re-run: nothing is final until the last UPDATE.

use super::queries::work as queries;
use crate::error::ServiceError;
use crate::notifications::{self, NewNotification, NotificationType};
use crate::services::Services;
use brightrun::datasets::validator::Outcome;
use brightrun::datasets::{IssueKind, ReportIssue, ValidationLimits, ValidationReport, Validator};
use futures::StreamExt;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A claim lasts this long; progress updates extend it.
pub const LEASE: Duration = Duration::from_secs(120);
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Validates at most one dataset; returns its id, or `None` when idle.
#[tracing::instrument(skip_all)]
pub async fn tick(services: &Services) -> Result<Option<Uuid>, ServiceError> {
    let Some(queries::Claimed {
        id,
        owner_id: owner,
        storage_key: key,
    }) = queries::claim(&services.pool, LEASE).await?
    else {
        return Ok(None);
    };
    tracing::info!(%id, "validating dataset");
    let start = Instant::now();
    let (outcome, read) = match services.storage.size(&key).await? {
        Some(size) => (validate(services, id, &key).await?, size),
        // Gone from storage (removed by hand, a lost volume): nothing to
        // wait for; the dataset is invalid, with the reason.
        None => (missing_file(), 0),
    };
    let report = &outcome.report;
    let rows = report.stats.pairs + report.stats.conversations;
    services
        .observability
        .dataset_validated(rows, read, report.valid, start.elapsed());
    let status = if report.valid { "ready" } else { "invalid" };
    let mut tx = services.pool.begin().await?;
    let stored = queries::store_outcome(&mut tx, id, status, &outcome, read).await?;
    if stored {
        let (kind, title, message) = if report.valid {
            (
                NotificationType::DatasetReady,
                "Dataset ready",
                format!(
                    "{} trainable examples are ready to train on.",
                    report.stats.trainable_examples
                ),
            )
        } else {
            (
                NotificationType::DatasetInvalid,
                "Dataset needs fixing",
                format!(
                    "Validation found {} errors; the report lists each one.",
                    report.error_total()
                ),
            )
        };
        let note = NewNotification {
            owner,
            kind,
            title: title.into(),
            message,
            link: Some(format!("/datasets/{id}")),
        };
        notifications::insert(&mut *tx, &note).await?;
    }
    tx.commit().await?;
    tracing::info!(%id, status, errors = report.error_total(), "dataset validated");
    Ok(Some(id))
}

/// Streams the object through the validator, recording progress.
async fn validate(services: &Services, id: Uuid, key: &str) -> Result<Outcome, ServiceError> {
    let limits = ValidationLimits {
        max_file_bytes: services.config.datasets.max_bytes,
        max_seq_len: services.config.datasets.max_seq_len,
        ..ValidationLimits::default()
    };
    let mut stream = services.storage.get_stream(key).await?;
    let tokenizer = services.tokenizer.clone();
    // The validator is CPU work: it runs on the blocking pool, fed by this task.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(4);
    let validation = tokio::task::spawn_blocking(move || {
        let mut v = Validator::new(tokenizer.as_ref(), limits);
        while let Some(chunk) = rx.blocking_recv() {
            v.push(&chunk);
        }
        v.finish()
    });
    let mut read = 0u64;
    let mut last_progress = Instant::now();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ServiceError::internal("reading dataset object", e))?;
        read += chunk.len() as u64;
        if tx.send(chunk).await.is_err() {
            break;
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            queries::progress(&services.pool, id, read, LEASE).await?;
        }
    }
    drop(tx);
    validation
        .await
        .map_err(|e| ServiceError::internal("validation task failed", e))
}

/// The outcome for a dataset whose file is no longer in storage.
fn missing_file() -> Outcome {
    let mut report = ValidationReport::default();
    report.push(ReportIssue {
        kind: IssueKind::EmptyFile,
        line: None,
        path: None,
        field: None,
        message: "The uploaded file is no longer in storage.".into(),
        hint: "Delete this dataset and upload the file again.".into(),
    });
    Outcome {
        report,
        samples: Vec::new(),
    }
}

/// Runs ticks until the queue is empty, then waits to be woken (or 2 s).
pub async fn run(services: Services) {
    loop {
        match tick(&services).await {
            Ok(Some(_)) => {
                services.workers.ticked("validation");
                continue;
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(%err, "validation tick failed"),
        }
        match super::cleanup::tick(&services).await {
            Ok(_) => services.workers.ticked("validation"),
            Err(err) => tracing::warn!(%err, "dataset clean-up failed"),
        }
        tokio::select! {
            _ = services.work_available() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}
