//! Whether a job still needs what is being deleted: a dataset it trains
//! on, a model it continues. Run inside the deleting transaction, after the
//! row to delete is locked. Scoped by owner.

use crate::error::ServiceError;
use uuid::Uuid;

/// An active job that uses what is being deleted.
pub struct ActiveJob {
    pub name: String,
    pub status: String,
}

/// The owner's first queued or running job that trains on `dataset`.
pub async fn active_on_dataset(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
    dataset: Uuid,
) -> Result<Option<ActiveJob>, ServiceError> {
    Ok(sqlx::query_as!(
        ActiveJob,
        "SELECT j.name, j.status FROM training_jobs j
         WHERE j.dataset_id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL
           AND j.status IN ('queued', 'initializing', 'running')
         ORDER BY j.created_at LIMIT 1",
        dataset,
        owner,
    )
    .fetch_optional(conn)
    .await?)
}

/// The owner's first queued or running job that continues `model`.
pub async fn active_on_model(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
    model: Uuid,
) -> Result<Option<ActiveJob>, ServiceError> {
    Ok(sqlx::query_as!(
        ActiveJob,
        "SELECT j.name, j.status FROM training_jobs j
         WHERE j.parent_model_id = $1 AND j.owner_id = $2 AND j.deleted_at IS NULL
           AND j.status IN ('queued', 'initializing', 'running')
         ORDER BY j.created_at LIMIT 1",
        model,
        owner,
    )
    .fetch_optional(conn)
    .await?)
}

/// 409 naming the job that still needs what is being deleted.
pub fn in_use(what: &str, job: ActiveJob) -> ServiceError {
    ServiceError::Conflict(format!(
        "The job \"{}\" ({}) uses this {what}; cancel it or let it finish, then delete the {what}.",
        job.name, job.status
    ))
}
