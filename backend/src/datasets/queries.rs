//! The SQL of datasets: compile-checked statements, one function each. Every
//! statement on a user's rows has `owner_id` in its WHERE clause; another
//! user's id is simply not found. What the workers run (the validation claim
//! and the clean-up) is in `queries/work.rs`.

pub mod work;

use crate::error::ServiceError;
use crate::jobs::queries::Used;
use brightrun::DatasetStatus;
use brightrun::datasets::{
    Dataset, DatasetDetail, DatasetFilter, DatasetFormat, DatasetPage, NewDataset, ValidationReport,
};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A dataset as its statements return it.
struct Row {
    id: Uuid,
    name: String,
    description: Option<String>,
    status: String,
    format: Option<String>,
    file_name: String,
    size_bytes: i64,
    progress_bytes: i64,
    error_count: i32,
    warning_count: i32,
    trainable_examples: Option<i64>,
    total_tokens: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// `sqlx::query_as!` into [`Row`], the dataset's columns written once between
/// `$before` (`SELECT`, `... RETURNING`) and `$after` (`FROM ...`, or empty).
macro_rules! dataset_query {
    ($before:literal, $after:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            $before
                + " id, name, description, status, format, file_name, size_bytes,
                    progress_bytes, error_count, warning_count,
                    (stats->>'trainable_examples')::bigint AS \"trainable_examples?\",
                    (stats->'tokens'->>'total')::bigint AS \"total_tokens?\",
                    created_at, updated_at "
                + $after
            $(, $arg)*
        )
    };
}

impl TryFrom<Row> for Dataset {
    type Error = ServiceError;
    fn try_from(r: Row) -> Result<Self, ServiceError> {
        Ok(Self {
            id: r.id,
            name: r.name,
            description: r.description,
            status: r
                .status
                .parse()
                .map_err(|e| ServiceError::internal("dataset row", e))?,
            format: r.format.as_deref().and_then(DatasetFormat::parse),
            file_name: r.file_name,
            size_bytes: r.size_bytes.max(0) as u64,
            progress_bytes: r.progress_bytes.max(0) as u64,
            error_count: r.error_count.max(0) as u32,
            warning_count: r.warning_count.max(0) as u32,
            trainable_examples: r.trainable_examples.map(|n| n.max(0) as u64),
            total_tokens: r.total_tokens.map(|n| n.max(0) as u64),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// A description as stored: trimmed, and none when blank.
fn stored_description(description: Option<&str>) -> Option<&str> {
    description.map(str::trim).filter(|d| !d.is_empty())
}

pub async fn insert(
    pool: &PgPool,
    id: Uuid,
    owner: Uuid,
    new: &NewDataset,
    key: &str,
) -> Result<Dataset, ServiceError> {
    dataset_query!(
        "INSERT INTO datasets (id, owner_id, name, description, file_name, storage_key, size_bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING",
        "",
        id,
        owner,
        new.name.trim(),
        stored_description(new.description.as_deref()),
        &new.file_name,
        key,
        new.size_bytes as i64,
    )
    .fetch_one(pool)
    .await?
    .try_into()
}

/// What uploading to a dataset depends on: its status, its object's key and
/// the size it was created for (the upload URL's limit).
pub struct UploadState {
    pub status: DatasetStatus,
    pub key: String,
    pub declared_size: u64,
}

pub async fn upload_state(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<UploadState, ServiceError> {
    struct UploadRow {
        status: String,
        storage_key: String,
        size_bytes: i64,
    }
    let row = sqlx::query_as!(
        UploadRow,
        "SELECT status, storage_key, size_bytes FROM datasets
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Dataset"))?;
    Ok(UploadState {
        status: row
            .status
            .parse()
            .map_err(|e| ServiceError::internal("dataset row", e))?,
        key: row.storage_key,
        declared_size: row.size_bytes.max(0) as u64,
    })
}

pub async fn mark_uploaded(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
    size: u64,
) -> Result<Dataset, ServiceError> {
    dataset_query!(
        "UPDATE datasets SET status = 'uploaded', size_bytes = $3, updated_at = now()
         WHERE id = $1 AND owner_id = $2 AND status = 'pending_upload' AND deleted_at IS NULL
         RETURNING",
        "",
        id,
        owner,
        size as i64,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| {
        ServiceError::Conflict("The dataset changed while confirming; reload and try again.".into())
    })?
    .try_into()
}

pub async fn list(
    pool: &PgPool,
    owner: Uuid,
    f: &DatasetFilter,
) -> Result<DatasetPage, ServiceError> {
    let per_page = f.per_page.unwrap_or(20).clamp(1, 100);
    let page = f.page.unwrap_or(1).max(1);
    let q = crate::db::search_pattern(f.q.as_deref());
    let status = f.status.map(|s| s.as_str());
    let format = f.format.map(|s| s.as_str());
    // The count and the page share their filter, word for word.
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM datasets
           WHERE owner_id = $1 AND deleted_at IS NULL
             AND ($2::text IS NULL OR status = $2)
             AND ($3::text IS NULL OR format = $3)
             AND ($4::text IS NULL OR name ILIKE $4)"#,
        owner,
        status,
        format,
        q.as_deref(),
    )
    .fetch_one(pool)
    .await?;
    let rows = dataset_query!(
        "SELECT",
        "FROM datasets
         WHERE owner_id = $1 AND deleted_at IS NULL
           AND ($2::text IS NULL OR status = $2)
           AND ($3::text IS NULL OR format = $3)
           AND ($4::text IS NULL OR name ILIKE $4)
         ORDER BY created_at DESC, id LIMIT $5 OFFSET $6",
        owner,
        status,
        format,
        q.as_deref(),
        i64::from(per_page),
        crate::db::offset(page, per_page),
    )
    .fetch_all(pool)
    .await?;
    Ok(DatasetPage {
        items: rows
            .into_iter()
            .map(Dataset::try_from)
            .collect::<Result<_, _>>()?,
        total: total as u64,
        page,
        per_page,
    })
}

pub async fn detail(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<DatasetDetail, ServiceError> {
    struct Extra {
        report: Option<serde_json::Value>,
        samples: Option<serde_json::Value>,
    }
    let row = dataset_query!(
        "SELECT",
        "FROM datasets WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Dataset"))?;
    let extra = sqlx::query_as!(
        Extra,
        "SELECT report, samples FROM datasets WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        id,
        owner,
    )
    .fetch_one(pool)
    .await?;
    let report: Option<ValidationReport> = extra
        .report
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| ServiceError::internal("stored report unreadable", e))?;
    let samples = extra
        .samples
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| ServiceError::internal("stored samples unreadable", e))?
        .unwrap_or_default();
    Ok(DatasetDetail {
        dataset: row.try_into()?,
        report,
        samples,
    })
}

pub async fn update_text(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
    name: &str,
    description: Option<&str>,
) -> Result<Dataset, ServiceError> {
    dataset_query!(
        "UPDATE datasets SET name = $3, description = $4, updated_at = now()
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL RETURNING",
        "",
        id,
        owner,
        name,
        stored_description(description),
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Dataset"))?
    .try_into()
}

/// Deletes the dataset unless a queued or running job trains on it (409
/// naming the job). The row is locked first, so a job being created on it
/// either commits before (and is seen) or finds it deleted.
pub async fn soft_delete(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<(), ServiceError> {
    let mut tx = pool.begin().await?;
    sqlx::query_scalar!(
        "SELECT id FROM datasets WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL FOR UPDATE",
        id,
        owner,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ServiceError::NotFound("Dataset"))?;
    if let Some(job) = crate::jobs::queries::active_using(&mut tx, owner, Used::Dataset(id)).await?
    {
        return Err(crate::jobs::queries::in_use("dataset", job));
    }
    sqlx::query!(
        "UPDATE datasets SET deleted_at = now(), updated_at = now() WHERE id = $1",
        id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
