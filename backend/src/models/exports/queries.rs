//! The SQL of model exports: compile-checked statements, one function each.
//! What a user reads or asks for is scoped by `owner_id`; the worker's
//! statements are the server's own and name the export and its claim (the
//! attempt number), so a worker that lost its claim changes nothing.

use crate::error::ServiceError;
use brightrun::models::{ExportFile, ExportFormat, ExportStatus, ModelExport};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::types::Json;
use uuid::Uuid;

/// An export as the model page shows it.
struct Row {
    id: Uuid,
    model_id: Uuid,
    format: String,
    status: String,
    progress: f32,
    stage: Option<String>,
    error: Option<String>,
    files: Json<Vec<ExportFile>>,
    size_bytes: i64,
    created_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

/// `sqlx::query_as!` into [`Row`]: the columns written once, followed by
/// `$rest` (the WHERE clause and any order).
macro_rules! export_query {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"SELECT id, model_id, format, status, progress, stage, error,
                      files AS "files: Json<Vec<ExportFile>>", size_bytes, created_at, completed_at
               FROM model_exports "#
                + $rest
            $(, $arg)*
        )
    };
}

impl Row {
    /// `None` for a format or status this build does not know (a row
    /// written by a newer server): it is left out rather than misread.
    fn view(self) -> Option<ModelExport> {
        Some(ModelExport {
            id: self.id,
            model_id: self.model_id,
            format: ExportFormat::parse(&self.format)?,
            status: ExportStatus::parse(&self.status)?,
            progress: self.progress.clamp(0.0, 1.0),
            stage: self.stage,
            error: self.error,
            files: self.files.0,
            size_bytes: self.size_bytes.max(0) as u64,
            created_at: self.created_at,
            completed_at: self.completed_at,
        })
    }
}

/// A live model of the owner, as an export needs it.
pub struct Exportable {
    pub base_model: String,
    pub storage_prefix: String,
}

pub async fn exportable(
    pool: &PgPool,
    owner: Uuid,
    model: Uuid,
) -> Result<Exportable, ServiceError> {
    sqlx::query_as!(
        Exportable,
        "SELECT base_model, storage_prefix FROM model_artifacts
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL AND objects_removed_at IS NULL",
        model,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Model"))
}

/// The model's exports, in the order they were asked for.
pub async fn list(
    pool: &PgPool,
    owner: Uuid,
    model: Uuid,
) -> Result<Vec<ModelExport>, ServiceError> {
    let rows = export_query!(
        "WHERE model_id = $1 AND owner_id = $2 ORDER BY created_at, format",
        model,
        owner,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().filter_map(Row::view).collect())
}

pub async fn get(
    pool: &PgPool,
    owner: Uuid,
    model: Uuid,
    format: ExportFormat,
) -> Result<Option<ModelExport>, ServiceError> {
    let row = export_query!(
        "WHERE model_id = $1 AND owner_id = $2 AND format = $3",
        model,
        owner,
        format.as_str(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(Row::view))
}

/// Queues the export: a new row, or a failed one queued again in place.
/// `false` when one in this format is already queued, running or done.
pub async fn queue(
    pool: &PgPool,
    owner: Uuid,
    model: Uuid,
    format: ExportFormat,
    storage_prefix: &str,
) -> Result<bool, ServiceError> {
    let done = sqlx::query!(
        "INSERT INTO model_exports (id, model_id, owner_id, format, storage_prefix)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (model_id, format) DO UPDATE
            SET status = 'queued', progress = 0, stage = NULL, error = NULL, attempts = 0,
                lease_until = NULL, started_at = NULL, completed_at = NULL,
                created_at = now(), updated_at = now()
          WHERE model_exports.status = 'failed'",
        Uuid::new_v4(),
        model,
        owner,
        format.as_str(),
        storage_prefix,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An export the worker has claimed, with what it needs from its model.
pub struct Claimed {
    pub id: Uuid,
    pub format: String,
    pub storage_prefix: String,
    pub attempts: i32,
    /// When it was asked for (again): with the id, what names this request
    /// on a cluster, so a takeover follows the same run and a new request
    /// starts a new one.
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub owner_id: Uuid,
    pub model_id: Uuid,
    pub model_name: String,
    pub base_model: String,
    pub adapter_prefix: String,
}

/// Claims the oldest queued export of a live model, for `lease_s`.
pub async fn claim(pool: &PgPool, lease_s: f64) -> Result<Option<Claimed>, ServiceError> {
    Ok(sqlx::query_as!(
        Claimed,
        r#"WITH next AS (
               SELECT e.id FROM model_exports e
               JOIN model_artifacts m ON m.id = e.model_id AND m.deleted_at IS NULL
               WHERE e.status = 'queued'
               ORDER BY e.created_at
               FOR UPDATE OF e SKIP LOCKED
               LIMIT 1
           )
           UPDATE model_exports e
              SET status = 'running', attempts = e.attempts + 1, progress = 0, stage = NULL,
                  lease_until = now() + make_interval(secs => $1), started_at = now(),
                  updated_at = now()
             FROM next, model_artifacts m
            WHERE e.id = next.id AND m.id = e.model_id
        RETURNING e.id, e.format, e.storage_prefix, e.attempts, e.created_at, e.owner_id,
                  e.model_id, m.name AS "model_name!", m.base_model AS "base_model!",
                  m.storage_prefix AS "adapter_prefix!""#,
        lease_s,
    )
    .fetch_optional(pool)
    .await?)
}

/// An export whose worker died once too often, failed by [`requeue_stale`].
pub struct Stopped {
    pub owner_id: Uuid,
    pub model_id: Uuid,
    pub model_name: String,
    pub format: String,
}

/// Running exports whose lease ran out (their worker died) go back to the
/// queue; after `max_attempts` tries one is failed with `reason` instead.
/// Returns how many were put back or failed, and the failed ones.
pub async fn requeue_stale(
    executor: impl sqlx::PgExecutor<'_>,
    max_attempts: i32,
    reason: &str,
) -> Result<(usize, Vec<Stopped>), ServiceError> {
    let rows = sqlx::query!(
        r#"UPDATE model_exports e
              SET status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'queued' END,
                  error = CASE WHEN attempts >= $1 THEN $2 END,
                  progress = 0, stage = NULL, lease_until = NULL, updated_at = now()
            WHERE status = 'running' AND lease_until < now()
        RETURNING e.owner_id, e.model_id, e.format, e.status,
                  (SELECT m.name FROM model_artifacts m WHERE m.id = e.model_id) AS model_name"#,
        max_attempts,
        reason,
    )
    .fetch_all(executor)
    .await?;
    let count = rows.len();
    let stopped = rows
        .into_iter()
        .filter(|r| r.status == "failed")
        .map(|r| Stopped {
            owner_id: r.owner_id,
            model_id: r.model_id,
            model_name: r.model_name.unwrap_or_default(),
            format: r.format,
        })
        .collect();
    Ok((count, stopped))
}

/// Writes progress and extends the lease; `false` when the claim is lost
/// (the row deleted with its model, or queued again).
pub async fn progress(
    pool: &PgPool,
    id: Uuid,
    attempt: i32,
    fraction: f32,
    stage: &str,
    lease_s: f64,
) -> Result<bool, ServiceError> {
    let done = sqlx::query!(
        "UPDATE model_exports
            SET progress = $3, stage = $4, lease_until = now() + make_interval(secs => $5),
                updated_at = now()
          WHERE id = $1 AND attempts = $2 AND status = 'running'",
        id,
        attempt,
        fraction.clamp(0.0, 1.0),
        stage,
        lease_s,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores the files and marks the export completed; `false` when the claim
/// was lost meanwhile.
pub async fn complete(
    executor: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    attempt: i32,
    files: &[ExportFile],
) -> Result<bool, ServiceError> {
    let size: u64 = files.iter().map(|f| f.size_bytes).sum();
    let done = sqlx::query!(
        "UPDATE model_exports
            SET status = 'completed', progress = 1, stage = NULL, error = NULL, files = $3,
                size_bytes = $4, lease_until = NULL, completed_at = now(), updated_at = now()
          WHERE id = $1 AND attempts = $2 AND status = 'running'",
        id,
        attempt,
        serde_json::to_value(files).unwrap_or_default(),
        size as i64,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the export failed with a reason safe to show; `false` when the
/// claim was lost meanwhile.
pub async fn fail(
    executor: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    attempt: i32,
    reason: &str,
) -> Result<bool, ServiceError> {
    let done = sqlx::query!(
        "UPDATE model_exports
            SET status = 'failed', error = $3, stage = NULL, lease_until = NULL, updated_at = now()
          WHERE id = $1 AND attempts = $2 AND status = 'running'",
        id,
        attempt,
        reason,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the export's row is still there (its model not cleaned up).
pub async fn exists(pool: &PgPool, id: Uuid) -> Result<bool, ServiceError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM model_exports WHERE id = $1) AS "exists!""#,
        id,
    )
    .fetch_one(pool)
    .await?)
}

/// Deletes a model's export rows.
pub async fn delete_for_model(pool: &PgPool, model: Uuid) -> Result<u64, ServiceError> {
    let done = sqlx::query!("DELETE FROM model_exports WHERE model_id = $1", model)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
