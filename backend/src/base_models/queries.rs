//! The SQL of base model downloads.

use brightrun::base_models::{BaseModelDownload, DownloadStatus, HubFile};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub hub_id: String,
    pub revision: String,
    pub name: String,
    pub architecture: String,
    pub parameters: i64,
    pub status: String,
    pub total_bytes: i64,
    pub downloaded_bytes: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

macro_rules! columns {
    () => {
        "id, hub_id, revision, name, architecture, parameters, status, total_bytes,
         downloaded_bytes, error, created_at"
    };
}

impl Row {
    pub fn view(self) -> BaseModelDownload {
        BaseModelDownload {
            id: self.id,
            hub_id: self.hub_id,
            revision: self.revision,
            name: self.name,
            architecture: self.architecture,
            parameters: self.parameters.max(0) as u64,
            status: DownloadStatus::parse(&self.status).unwrap_or(DownloadStatus::Failed),
            total_bytes: self.total_bytes.max(0) as u64,
            downloaded_bytes: self.downloaded_bytes.max(0) as u64,
            error: self.error,
            created_at: self.created_at,
        }
    }
}

pub struct NewDownload<'a> {
    pub id: Uuid,
    pub added_by: Uuid,
    pub hub_id: &'a str,
    pub revision: &'a str,
    pub name: &'a str,
    pub architecture: &'a str,
    pub parameters: u64,
    pub files: &'a [HubFile],
    pub token: Option<&'a str>,
}

/// Inserts the download; `false` when a model of that name is already there.
pub async fn insert(pool: &PgPool, d: &NewDownload<'_>) -> sqlx::Result<bool> {
    let files = serde_json::to_value(d.files).unwrap_or_default();
    let total = brightrun::base_models::files::total_bytes(d.files);
    let done = sqlx::query(
        "INSERT INTO base_model_downloads
             (id, added_by, hub_id, revision, name, architecture, parameters, files, total_bytes, hub_token)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(d.id)
    .bind(d.added_by)
    .bind(d.hub_id)
    .bind(d.revision)
    .bind(d.name)
    .bind(d.architecture)
    .bind(d.parameters as i64)
    .bind(files)
    .bind(total as i64)
    .bind(d.token)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM base_model_downloads ORDER BY created_at DESC, id"
    ))
    .fetch_all(pool)
    .await
}

pub async fn get(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Row>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM base_model_downloads WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Live jobs that name the model.
pub async fn jobs_using(pool: &PgPool, name: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM training_jobs WHERE base_model = $1 AND deleted_at IS NULL",
    )
    .bind(name)
    .fetch_one(pool)
    .await
}

pub async fn delete(pool: &PgPool, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM base_model_downloads WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A download the worker claims: waiting, or one whose worker died.
#[derive(sqlx::FromRow)]
pub struct Claimed {
    pub id: Uuid,
    pub hub_id: String,
    pub revision: String,
    pub name: String,
    pub files: sqlx::types::Json<Vec<HubFile>>,
    pub hub_token: Option<String>,
    pub attempts: i32,
}

pub async fn claim(pool: &PgPool, lease_s: f64) -> sqlx::Result<Option<Claimed>> {
    sqlx::query_as(
        "UPDATE base_model_downloads
            SET lease_until = now() + make_interval(secs => $1), attempts = attempts + 1,
                updated_at = now()
          WHERE id = (
              SELECT id FROM base_model_downloads
               WHERE status = 'downloading' AND (lease_until IS NULL OR lease_until < now())
               ORDER BY created_at
               FOR UPDATE SKIP LOCKED
               LIMIT 1)
          RETURNING id, hub_id, revision, name, files, hub_token, attempts",
    )
    .bind(lease_s)
    .fetch_optional(pool)
    .await
}

/// Records progress and extends the lease; `false` when the row is gone
/// (deleted while downloading).
pub async fn progress(pool: &PgPool, id: Uuid, bytes: u64, lease_s: f64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE base_model_downloads
            SET downloaded_bytes = $2, lease_until = now() + make_interval(secs => $3),
                updated_at = now()
          WHERE id = $1 AND status = 'downloading'",
    )
    .bind(id)
    .bind(bytes as i64)
    .bind(lease_s)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the download: `ready`, or `failed` with the reason; the token goes.
pub async fn finish(
    pool: &PgPool,
    id: Uuid,
    status: DownloadStatus,
    bytes: u64,
    error: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE base_model_downloads
            SET status = $2, downloaded_bytes = $3, error = $4, hub_token = NULL,
                lease_until = NULL, updated_at = now()
          WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(bytes as i64)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// An interrupted attempt: tried again after `retry_s`, the reason kept.
pub async fn interrupted(
    pool: &PgPool,
    id: Uuid,
    bytes: u64,
    error: &str,
    retry_s: f64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE base_model_downloads
            SET downloaded_bytes = $2, error = $3,
                lease_until = now() + make_interval(secs => $4), updated_at = now()
          WHERE id = $1 AND status = 'downloading'",
    )
    .bind(id)
    .bind(bytes as i64)
    .bind(error)
    .bind(retry_s)
    .execute(pool)
    .await?;
    Ok(())
}
