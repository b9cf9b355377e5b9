//! A job's lifecycle as its owner drives it: its cluster id (for its log),
//! the cancel request, and the retry that queues it again. Scoped by owner.

use crate::error::ServiceError;
use sqlx::PgPool;
use uuid::Uuid;

/// The cluster's id for the owner's job (`None` before it is submitted).
pub async fn external_id(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<String>, ServiceError> {
    sqlx::query_scalar!(
        "SELECT external_job_id FROM training_jobs
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(ServiceError::NotFound("Job"))
}

/// Records the user's cancel on an active job (the first time counts);
/// `None` when the job is not active, else the cluster's id for it.
pub async fn request_cancel(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<Option<String>>, ServiceError> {
    Ok(sqlx::query_scalar!(
        "UPDATE training_jobs
         SET cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now()
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL
           AND status IN ('queued', 'initializing', 'running')
         RETURNING external_job_id",
        id,
        owner,
    )
    .fetch_optional(pool)
    .await?)
}

/// Whether the owner's dataset is live, share-locked until the transaction
/// ends (a retried job must not start on a dataset being deleted).
pub async fn dataset_live(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
    dataset: Uuid,
) -> Result<bool, ServiceError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM datasets WHERE id = $1 AND owner_id = $2
                          AND deleted_at IS NULL FOR SHARE) AS "live!""#,
        dataset,
        owner,
    )
    .fetch_one(conn)
    .await?)
}

/// Puts a failed or cancelled job (still `status`) back in the queue as a
/// new attempt with a new model id, its points deleted.
pub async fn requeue(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
    id: Uuid,
    status: brightrun::JobStatus,
) -> Result<(), ServiceError> {
    let done = sqlx::query!(
        "UPDATE training_jobs
         SET status = 'queued', external_job_id = NULL, attempt = attempt + 1,
             retry_count = retry_count + 1, error_message = NULL, current_step = 0,
             current_epoch = NULL, current_metrics = NULL, cancel_requested_at = NULL,
             started_at = NULL, finished_at = NULL, cost_so_far = 0, cluster_seen_at = NULL,
             billed_until = NULL, trained_on = NULL, model_id = gen_random_uuid(),
             lease_until = NULL, queued_at = now(), updated_at = now()
         WHERE id = $1 AND owner_id = $2 AND status = $3 AND deleted_at IS NULL",
        id,
        owner,
        status.as_str(),
    )
    .execute(&mut *conn)
    .await?;
    ServiceError::one_row(done, "Job")?;
    sqlx::query!("DELETE FROM metrics_points WHERE job_id = $1", id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
