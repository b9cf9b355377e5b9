//! The monthly budget: kept on the user, checked when a job is created, and
//! announced at 80, 90 and 100 % once a month each.

use crate::error::ServiceError;
use sqlx::PgPool;
use uuid::Uuid;

/// Largest budget accepted (the column holds 10 digits before the point).
pub const MAX_BUDGET: f64 = 1_000_000_000.0;

pub async fn get(
    executor: impl sqlx::PgExecutor<'_>,
    owner: Uuid,
) -> Result<Option<f64>, ServiceError> {
    Ok(sqlx::query_scalar::<_, Option<f64>>(
        "SELECT monthly_budget::float8 FROM users WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(owner)
    .fetch_optional(executor)
    .await?
    .flatten())
}

/// Sets (or, with `None`, removes) the budget. Alerts already sent this
/// month stay sent.
pub async fn set(
    pool: &PgPool,
    owner: Uuid,
    budget: Option<f64>,
) -> Result<Option<f64>, ServiceError> {
    if let Some(b) = budget
        && !(b.is_finite() && b > 0.0 && b <= MAX_BUDGET)
    {
        return Err(ServiceError::Invalid {
            field: "monthly_budget",
            message:
                "The monthly budget is an amount in dollars above 0 (leave it empty for none)."
                    .into(),
        });
    }
    let done = sqlx::query(
        "UPDATE users SET monthly_budget = round($2::numeric, 2), updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(owner)
    .bind(budget)
    .execute(pool)
    .await?;
    ServiceError::one_row(done, "Account")?;
    let mut tx = pool.begin().await?;
    alert(&mut tx, &[owner]).await?;
    tx.commit().await?;
    get(pool, owner).await
}

/// Refuses a job whose estimate passes what is left of the month's budget,
/// counting what active jobs are still expected to cost, unless overridden.
/// Holds the owner's job-creation lock until the transaction ends.
pub async fn lock_owner_jobs(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
) -> Result<(), ServiceError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('jobs:' || $1::text, 0))")
        .bind(owner)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Run inside the transaction that inserts the job, after
/// `lock_owner_jobs`: two jobs submitted at once cannot both fit the room
/// that only one of them has.
pub async fn check_new_job(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
    estimate: f64,
    overridden: bool,
) -> Result<(), ServiceError> {
    let Some(budget) = get(&mut *conn, owner).await? else {
        return Ok(());
    };
    let spent = super::month_spend(&mut *conn, owner).await?;
    let committed: f64 = sqlx::query_scalar(
        "SELECT coalesce(sum(greatest(coalesce((estimate->>'cost')::float8, 0) - cost_so_far::float8, 0)), 0)::float8
         FROM training_jobs
         WHERE owner_id = $1 AND status IN ('queued', 'initializing', 'running') AND deleted_at IS NULL",
    )
    .bind(owner)
    .fetch_one(&mut *conn)
    .await?;
    brightrun::costs::check_new_job(Some(budget), spent, committed, estimate, overridden)
        .map_err(|refusal| ServiceError::OverBudget(refusal.to_string()))
}

/// Writes a `budget_alert` notification for each owner whose month's spend
/// newly reached a threshold: the highest one reached, once a month each
/// (thresholds passed together are recorded together).
pub async fn alert(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    owners: &[Uuid],
) -> Result<u64, ServiceError> {
    if owners.is_empty() {
        return Ok(0);
    }
    let done = sqlx::query(
        "WITH month AS (
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
         INSERT INTO notifications (id, owner_id, notification_type, title, message, link)
         SELECT gen_random_uuid(), h.owner_id, 'budget_alert',
                format('%s%% of your monthly budget used', h.threshold),
                format('You have spent $%s of your $%s budget this month.',
                       to_char(s.spent, 'FM999999990.00'), to_char(s.budget, 'FM999999990.00')),
                '/costs'
         FROM highest h JOIN spend s USING (owner_id)",
    )
    .bind(owners)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
