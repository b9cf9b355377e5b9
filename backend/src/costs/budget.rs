//! The monthly budget: kept on the user, checked when a job is created, and
//! announced at 80, 90 and 100 % once a month each.

use super::queries;
use crate::error::ServiceError;
use crate::notifications::{NewNotification, NotificationType};
use crate::services::Services;
use uuid::Uuid;

/// Largest budget accepted (the column holds 10 digits before the point).
pub const MAX_BUDGET: f64 = 1_000_000_000.0;
/// Smallest budget accepted: a cent. The column keeps cents, so less would
/// be stored as 0, which is no budget at all (and the column refuses it).
pub const MIN_BUDGET: f64 = 0.01;

/// The owner's monthly budget, if one is set.
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn get(services: &Services, owner: Uuid) -> Result<Option<f64>, ServiceError> {
    Ok(queries::budget(&services.pool, owner).await?.flatten())
}

/// Sets (or, with `None`, removes) the budget. Alerts already sent this
/// month stay sent.
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn set(
    services: &Services,
    owner: Uuid,
    budget: Option<f64>,
) -> Result<Option<f64>, ServiceError> {
    if let Some(b) = budget
        && !(b.is_finite() && (MIN_BUDGET..=MAX_BUDGET).contains(&b))
    {
        return Err(ServiceError::Invalid {
            field: "monthly_budget",
            message:
                "The monthly budget is an amount in dollars of at least 0.01 (leave it empty for none)."
                    .into(),
        });
    }
    let done = queries::set_budget(&services.pool, owner, budget).await?;
    ServiceError::one_row(done, "Account")?;
    let mut tx = services.pool.begin().await?;
    alert(&mut tx, &[owner]).await?;
    tx.commit().await?;
    get(services, owner).await
}

/// Holds the owner's job-creation lock until the transaction ends; take it
/// before `check_new_job`.
pub async fn lock_owner_jobs(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
) -> Result<(), ServiceError> {
    queries::lock_owner_jobs(conn, owner).await
}

/// Refuses a job whose estimate passes what is left of the month's budget,
/// counting what active jobs are still expected to cost, unless overridden.
/// Run inside the transaction that inserts the job, after
/// `lock_owner_jobs`: two jobs submitted at once cannot both fit the room
/// that only one of them has.
pub async fn check_new_job(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
    estimate: f64,
    overridden: bool,
) -> Result<(), ServiceError> {
    let Some(budget) = queries::budget(&mut *conn, owner).await?.flatten() else {
        return Ok(());
    };
    let spent = queries::month_spend(&mut *conn, owner).await?;
    let committed = queries::committed(&mut *conn, owner).await?;
    brightrun::costs::check_new_job(Some(budget), spent, committed, estimate, overridden)
        .map_err(|refusal| ServiceError::OverBudget(refusal.to_string()))
}

/// Writes a `budget_alert` notification for each owner whose month's spend
/// newly reached a threshold: the highest one reached, once a month each
/// (thresholds passed together are recorded together). `budget_alerts`'
/// primary key makes each threshold once a month: only the rows this call
/// inserted come back, and only they are announced.
pub async fn alert(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    owners: &[Uuid],
) -> Result<u64, ServiceError> {
    if owners.is_empty() {
        return Ok(0);
    }
    let reached = sqlx::query_as!(
        Reached,
        r#"WITH month AS (
               SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AS start
           ), spend AS (
               SELECT u.id AS owner_id, u.monthly_budget::float8 AS budget,
                      coalesce((SELECT sum(c.amount) FROM cost_records c, month
                                WHERE c.owner_id = u.id AND c.deleted_at IS NULL
                                  AND c.period_start >= month.start AT TIME ZONE 'UTC'), 0)::float8 AS spent
               FROM users u
               WHERE u.id = ANY($1) AND u.monthly_budget IS NOT NULL
           ), reached AS (
               INSERT INTO budget_alerts (owner_id, month, threshold)
               SELECT s.owner_id, (SELECT start FROM month)::date, t.threshold
               FROM spend s CROSS JOIN unnest(ARRAY[80, 90, 100]::smallint[]) AS t(threshold)
               WHERE s.spent >= s.budget * t.threshold / 100.0
               ON CONFLICT DO NOTHING
               RETURNING owner_id, threshold
           ), highest AS (
               SELECT DISTINCT ON (owner_id) owner_id, threshold FROM reached
               ORDER BY owner_id, threshold DESC
           )
           SELECT h.owner_id AS "owner!", h.threshold AS "threshold!",
                  to_char(s.spent, 'FM999999990.00') AS "spent!",
                  to_char(s.budget, 'FM999999990.00') AS "budget!"
           FROM highest h JOIN spend s USING (owner_id)"#,
        owners,
    )
    .fetch_all(&mut **tx)
    .await?;
    let notes: Vec<NewNotification> = reached.into_iter().map(Reached::notification).collect();
    crate::notifications::insert_many(&mut **tx, &notes).await?;
    Ok(notes.len() as u64)
}

/// A threshold an owner's spend newly reached, the amounts already formatted.
struct Reached {
    owner: Uuid,
    threshold: i16,
    spent: String,
    budget: String,
}

impl Reached {
    fn notification(self) -> NewNotification {
        NewNotification {
            owner: self.owner,
            kind: NotificationType::BudgetAlert,
            title: format!("{}% of your monthly budget used", self.threshold),
            message: format!(
                "You have spent ${} of your ${} budget this month.",
                self.spent, self.budget
            ),
            link: Some("/costs".into()),
        }
    }
}
