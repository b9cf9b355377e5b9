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

/// What a job may use that is being deleted.
#[derive(Clone, Copy)]
pub enum Used {
    /// The dataset it trains on.
    Dataset(Uuid),
    /// The model it continues.
    Model(Uuid),
}

/// The owner's first queued or running job that uses `what`.
pub async fn active_using(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
    what: Used,
) -> Result<Option<ActiveJob>, ServiceError> {
    let (dataset, model) = match what {
        Used::Dataset(id) => (Some(id), None),
        Used::Model(id) => (None, Some(id)),
    };
    Ok(sqlx::query_as!(
        ActiveJob,
        "SELECT j.name, j.status FROM training_jobs j
         WHERE j.owner_id = $1 AND j.deleted_at IS NULL
           AND (j.dataset_id = $2 OR j.parent_model_id = $3)
           AND j.status IN ('queued', 'initializing', 'running')
         ORDER BY j.created_at LIMIT 1",
        owner,
        dataset,
        model,
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
