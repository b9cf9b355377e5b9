//! The SQL of the dataset workers: the validation claim (`FOR UPDATE SKIP
//! LOCKED`, a lease its progress extends), the stored outcome, and the
//! clean-up of abandoned uploads and deleted datasets' objects.

use crate::error::ServiceError;
use brightrun::datasets::validator::Outcome;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// A dataset a validation worker holds.
pub struct Claimed {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub storage_key: String,
}

/// Claims the oldest `uploaded` dataset, or a `validating` one whose lease
/// ran out (its worker died), for `lease`.
pub async fn claim(pool: &PgPool, lease: Duration) -> Result<Option<Claimed>, ServiceError> {
    Ok(sqlx::query_as!(
        Claimed,
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
        lease.as_secs_f64(),
    )
    .fetch_optional(pool)
    .await?)
}

/// Records how far validation has read and extends the lease.
pub async fn progress(
    pool: &PgPool,
    id: Uuid,
    read: u64,
    lease: Duration,
) -> Result<(), ServiceError> {
    sqlx::query!(
        "UPDATE datasets SET progress_bytes = $2, lease_until = now() + make_interval(secs => $3)
         WHERE id = $1 AND status = 'validating'",
        id,
        read as i64,
        lease.as_secs_f64(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores the validation's outcome as `status` (`ready` or `invalid`) and
/// ends the lease; `false` when the dataset is no longer being validated
/// (deleted meanwhile).
pub async fn store_outcome(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    outcome: &Outcome,
    read: u64,
) -> Result<bool, ServiceError> {
    let report = &outcome.report;
    let json = |what: &'static str, value: serde_json::Result<serde_json::Value>| {
        value.map_err(|e| ServiceError::internal(what, e))
    };
    let done = sqlx::query!(
        "UPDATE datasets SET status = $2, format = $3, stats = $4, report = $5, samples = $6,
                error_count = $7, warning_count = $8, tokenizer = $9, progress_bytes = $10,
                validated_at = now(), lease_until = NULL, updated_at = now()
         WHERE id = $1 AND status = 'validating' AND deleted_at IS NULL",
        id,
        status,
        report.format.map(|f| f.as_str()),
        json("stats", serde_json::to_value(&report.stats))?,
        json("report", serde_json::to_value(report))?,
        json("samples", serde_json::to_value(&outcome.samples))?,
        report.error_total().min(i32::MAX as u64) as i32,
        report.warning_total().min(i32::MAX as u64) as i32,
        &report.stats.tokenizer,
        read as i64,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A dataset whose object is to go.
pub struct Abandoned {
    pub id: Uuid,
    pub storage_key: String,
}

/// Up to 100 datasets with an object to remove: uploads not confirmed
/// within `unconfirmed_after`, and deleted datasets that still have one.
pub async fn abandoned(
    pool: &PgPool,
    unconfirmed_after: Duration,
) -> Result<Vec<Abandoned>, ServiceError> {
    Ok(sqlx::query_as!(
        Abandoned,
        "SELECT id, storage_key FROM datasets
         WHERE (status = 'pending_upload' AND deleted_at IS NULL AND created_at < now() - make_interval(secs => $1))
            OR (deleted_at IS NOT NULL AND storage_key <> '')
         LIMIT 100",
        unconfirmed_after.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?)
}

/// Once its object is gone: an abandoned upload leaves no row; a deleted
/// dataset keeps its row (jobs may refer to it) without an object.
pub async fn objects_removed(pool: &PgPool, id: Uuid) -> Result<(), ServiceError> {
    sqlx::query!(
        "DELETE FROM datasets WHERE id = $1 AND status = 'pending_upload' AND deleted_at IS NULL",
        id,
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "UPDATE datasets SET storage_key = '' WHERE id = $1 AND deleted_at IS NOT NULL",
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes the owner's pending upload; its object's key, or `None` when
/// there is no such upload.
pub async fn delete_pending(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<String>, ServiceError> {
    Ok(sqlx::query_scalar!(
        "DELETE FROM datasets WHERE id = $1 AND owner_id = $2 AND status = 'pending_upload' RETURNING storage_key",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?)
}
