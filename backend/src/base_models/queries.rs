//! The SQL of base model downloads: compile-checked statements, one
//! function each. Downloads are the server's, not a user's: no owner scope.

use brightrun::base_models::{BaseModelDownload, DownloadStatus, HubFile};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A download as the page shows it.
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

/// `sqlx::query_as!` into [`Row`], the columns written once, followed by
/// `$rest` (`FROM ...`).
macro_rules! download_query {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            "SELECT id, hub_id, revision, name, architecture, parameters, status, total_bytes,
                    downloaded_bytes, error, created_at "
                + $rest
            $(, $arg)*
        )
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
    let done = sqlx::query!(
        "INSERT INTO base_model_downloads
             (id, added_by, hub_id, revision, name, architecture, parameters, files, total_bytes, hub_token)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (name) DO NOTHING",
        d.id,
        d.added_by,
        d.hub_id,
        d.revision,
        d.name,
        d.architecture,
        d.parameters as i64,
        files,
        total as i64,
        d.token,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<Row>> {
    download_query!("FROM base_model_downloads ORDER BY created_at DESC, id")
        .fetch_all(pool)
        .await
}

pub async fn get(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Row>> {
    download_query!("FROM base_model_downloads WHERE id = $1", id)
        .fetch_optional(pool)
        .await
}

/// Live jobs that name the model.
pub async fn jobs_using(pool: &PgPool, name: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM training_jobs WHERE base_model = $1 AND deleted_at IS NULL"#,
        name,
    )
    .fetch_one(pool)
    .await
}

pub async fn delete(pool: &PgPool, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!("DELETE FROM base_model_downloads WHERE id = $1", id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A download the worker claims: waiting, or one whose worker died.
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
    sqlx::query_as!(
        Claimed,
        r#"UPDATE base_model_downloads
            SET lease_until = now() + make_interval(secs => $1), attempts = attempts + 1,
                updated_at = now()
          WHERE id = (
              SELECT id FROM base_model_downloads
               WHERE status = 'downloading' AND (lease_until IS NULL OR lease_until < now())
               ORDER BY created_at
               FOR UPDATE SKIP LOCKED
               LIMIT 1)
          RETURNING id, hub_id, revision, name,
                    files AS "files: sqlx::types::Json<Vec<HubFile>>", hub_token, attempts"#,
        lease_s,
    )
    .fetch_optional(pool)
    .await
}

/// Records progress and extends the lease; `false` when the row is gone
/// (deleted while downloading).
pub async fn progress(pool: &PgPool, id: Uuid, bytes: u64, lease_s: f64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE base_model_downloads
            SET downloaded_bytes = $2, lease_until = now() + make_interval(secs => $3),
                updated_at = now()
          WHERE id = $1 AND status = 'downloading'",
        id,
        bytes as i64,
        lease_s,
    )
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
    sqlx::query!(
        "UPDATE base_model_downloads
            SET status = $2, downloaded_bytes = $3, error = $4, hub_token = NULL,
                lease_until = NULL, updated_at = now()
          WHERE id = $1",
        id,
        status.as_str(),
        bytes as i64,
        error,
    )
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
    sqlx::query!(
        "UPDATE base_model_downloads
            SET downloaded_bytes = $2, error = $3,
                lease_until = now() + make_interval(secs => $4), updated_at = now()
          WHERE id = $1 AND status = 'downloading'",
        id,
        bytes as i64,
        error,
        retry_s,
    )
    .execute(pool)
    .await?;
    Ok(())
}
