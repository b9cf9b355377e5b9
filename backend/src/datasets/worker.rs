//! The validation worker. Claims one `uploaded` dataset (or a `validating`
//! one whose lease ran out: its worker died) with `FOR UPDATE SKIP LOCKED`,
//! streams the object through the same validator the browser runs, writes
//! progress as it reads, and stores `ready` or `invalid` with the report.
//! Safe to crash and re-run: nothing is final until the last UPDATE.

use crate::error::ServiceError;
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
#[tracing::instrument(skip(services))]
pub async fn tick(services: &Services) -> Result<Option<Uuid>, ServiceError> {
    let claimed: Option<(Uuid, Uuid, String)> = sqlx::query_as(
        "UPDATE datasets SET status = 'validating', claimed_at = now(), progress_bytes = 0,
                lease_until = now() + make_interval(secs => $1), updated_at = now()
         WHERE id = (
             SELECT id FROM datasets
             WHERE deleted_at IS NULL
               AND (status = 'uploaded' OR (status = 'validating' AND lease_until < now()))
             ORDER BY created_at
             FOR UPDATE SKIP LOCKED
             LIMIT 1)
         RETURNING id, owner_id, storage_key",
    )
    .bind(LEASE.as_secs_f64())
    .fetch_optional(&services.pool)
    .await?;
    let Some((id, owner, key)) = claimed else {
        return Ok(None);
    };
    tracing::info!(%id, "validating dataset");
    let (outcome, read) = match services.storage.size(&key).await? {
        Some(size) => (validate(services, id, &key).await?, size),
        // Gone from storage (removed by hand, a lost volume): nothing to
        // wait for; the dataset is invalid, with the reason.
        None => (missing_file(), 0),
    };
    let report = &outcome.report;
    let status = if report.valid { "ready" } else { "invalid" };
    let mut tx = services.pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE datasets SET status = $2, format = $3, stats = $4, report = $5, samples = $6,
                error_count = $7, warning_count = $8, tokenizer = $9, progress_bytes = $10,
                validated_at = now(), lease_until = NULL, updated_at = now()
         WHERE id = $1 AND status = 'validating' AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(status)
    .bind(report.format.map(|f| f.as_str()))
    .bind(serde_json::to_value(&report.stats).map_err(|e| ServiceError::internal("stats", e))?)
    .bind(serde_json::to_value(report).map_err(|e| ServiceError::internal("report", e))?)
    .bind(serde_json::to_value(&outcome.samples).map_err(|e| ServiceError::internal("samples", e))?)
    .bind(report.error_total().min(i32::MAX as u64) as i32)
    .bind(report.warning_total().min(i32::MAX as u64) as i32)
    .bind(&report.stats.tokenizer)
    .bind(read as i64)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 1 {
        let (kind, title, message) = if report.valid {
            (
                "dataset_ready",
                "Dataset ready",
                format!(
                    "{} trainable examples are ready to train on.",
                    report.stats.trainable_examples
                ),
            )
        } else {
            (
                "dataset_invalid",
                "Dataset needs fixing",
                format!(
                    "Validation found {} errors; the report lists each one.",
                    report.error_total()
                ),
            )
        };
        sqlx::query(
            "INSERT INTO notifications (id, owner_id, notification_type, title, message, link)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::new_v4())
        .bind(owner)
        .bind(kind)
        .bind(title)
        .bind(message)
        .bind(format!("/datasets/{id}"))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(%id, status, errors = report.error_total(), "dataset validated");
    Ok(Some(id))
}

/// Streams the object through the validator, recording progress.
async fn validate(services: &Services, id: Uuid, key: &str) -> Result<Outcome, ServiceError> {
    let limits = ValidationLimits {
        max_file_bytes: services.config.dataset_max_bytes,
        max_seq_len: services.config.max_seq_len,
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
            sqlx::query(
                "UPDATE datasets SET progress_bytes = $2, lease_until = now() + make_interval(secs => $3)
                 WHERE id = $1 AND status = 'validating'",
            )
            .bind(id)
            .bind(read as i64)
            .bind(LEASE.as_secs_f64())
            .execute(&services.pool)
            .await?;
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
