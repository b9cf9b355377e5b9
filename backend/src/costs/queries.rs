//! The SQL of costs: the records (read, and written for storage and data
//! transfer; compute records are the poller's), the month's sums, and the
//! budget on the user. Every statement is scoped by owner and
//! compile-checked. Amounts are `numeric` in the table and `float8` here.

use crate::error::ServiceError;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgQueryResult;
use uuid::Uuid;

/// One cost record, with the name of its job when it has one.
pub struct CostRow {
    pub id: Uuid,
    pub cost_type: String,
    pub amount: f64,
    pub quantity: Option<f64>,
    pub unit: Option<String>,
    pub job_id: Option<Uuid>,
    pub job_name: Option<String>,
    pub dataset_id: Option<Uuid>,
    pub model_id: Option<Uuid>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

/// Which records `records` returns: periods starting in `[from, to)`, of
/// one type, of one job; `None` is no bound.
pub struct RecordFilter<'a> {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub cost_type: Option<&'a str>,
    pub job_id: Option<Uuid>,
    pub limit: i64,
}

pub struct TypeTotalRow {
    pub cost_type: String,
    pub amount: f64,
}

pub struct JobCostRow {
    pub job_id: Uuid,
    pub job_name: String,
    pub amount: f64,
}

pub struct DailyRow {
    pub day: NaiveDate,
    pub amount: f64,
}

/// A storage bill for one day: every owner's bytes held, priced per
/// GB-month, the day's share of the month.
pub struct StorageBill {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub bytes_per_gb: f64,
    pub month_fraction: f64,
    pub price_per_gb_month: f64,
}

/// A download of one of the owner's model files.
pub struct TransferRecord<'a> {
    pub id: Uuid,
    pub owner: Uuid,
    pub model: Uuid,
    pub amount: f64,
    pub gb: f64,
    pub bytes: i64,
    pub file: &'a str,
    pub at: DateTime<Utc>,
}

/// The owner's records matching `filter`, newest first.
pub async fn records(
    pool: &PgPool,
    owner: Uuid,
    filter: RecordFilter<'_>,
) -> Result<Vec<CostRow>, ServiceError> {
    Ok(sqlx::query_as!(
        CostRow,
        r#"SELECT c.id, c.cost_type, c.amount::float8 AS "amount!", c.quantity, c.unit, c.job_id,
                  j.name AS "job_name?", c.dataset_id, c.model_id, c.period_start, c.period_end
           FROM cost_records c LEFT JOIN training_jobs j ON j.id = c.job_id AND j.owner_id = c.owner_id
           WHERE c.owner_id = $1 AND c.deleted_at IS NULL
             AND ($2::timestamptz IS NULL OR c.period_start >= $2)
             AND ($3::timestamptz IS NULL OR c.period_start < $3)
             AND ($4::text IS NULL OR c.cost_type = $4)
             AND ($5::uuid IS NULL OR c.job_id = $5)
           ORDER BY c.period_start DESC, c.id
           LIMIT $6"#,
        owner,
        filter.from,
        filter.to,
        filter.cost_type,
        filter.job_id,
        filter.limit,
    )
    .fetch_all(pool)
    .await?)
}

/// What `owner` has been billed since the start of this month (UTC).
pub async fn month_spend(
    executor: impl sqlx::PgExecutor<'_>,
    owner: Uuid,
) -> Result<f64, ServiceError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT coalesce(sum(amount), 0)::float8 AS "spent!" FROM cost_records
           WHERE owner_id = $1 AND deleted_at IS NULL AND period_start >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"#,
        owner,
    )
    .fetch_one(executor)
    .await?)
}

/// The owner's totals per cost type since `from`; types with none are absent.
pub async fn totals_by_type(
    pool: &PgPool,
    owner: Uuid,
    from: DateTime<Utc>,
) -> Result<Vec<TypeTotalRow>, ServiceError> {
    Ok(sqlx::query_as!(
        TypeTotalRow,
        r#"SELECT cost_type, sum(amount)::float8 AS "amount!" FROM cost_records
           WHERE owner_id = $1 AND deleted_at IS NULL AND period_start >= $2 GROUP BY cost_type"#,
        owner,
        from,
    )
    .fetch_all(pool)
    .await?)
}

/// The owner's 50 costliest jobs since `from`, costliest first.
pub async fn totals_by_job(
    pool: &PgPool,
    owner: Uuid,
    from: DateTime<Utc>,
) -> Result<Vec<JobCostRow>, ServiceError> {
    // `ORDER BY 3`: the sum; the "amount!" alias is not a name SQL can sort by.
    Ok(sqlx::query_as!(
        JobCostRow,
        r#"SELECT c.job_id AS "job_id!", j.name AS job_name, sum(c.amount)::float8 AS "amount!"
           FROM cost_records c JOIN training_jobs j ON j.id = c.job_id AND j.owner_id = c.owner_id
           WHERE c.owner_id = $1 AND c.deleted_at IS NULL AND c.period_start >= $2
           GROUP BY c.job_id, j.name ORDER BY 3 DESC LIMIT 50"#,
        owner,
        from,
    )
    .fetch_all(pool)
    .await?)
}

/// The owner's total per UTC day since `from`; days with none are absent.
pub async fn totals_by_day(
    pool: &PgPool,
    owner: Uuid,
    from: DateTime<Utc>,
) -> Result<Vec<DailyRow>, ServiceError> {
    Ok(sqlx::query_as!(
        DailyRow,
        r#"SELECT (period_start AT TIME ZONE 'UTC')::date AS "day!", sum(amount)::float8 AS "amount!"
           FROM cost_records WHERE owner_id = $1 AND deleted_at IS NULL AND period_start >= $2
           GROUP BY 1"#,
        owner,
        from,
    )
    .fetch_all(pool)
    .await?)
}

/// The live account's monthly budget: `None` for no account, `Some(None)`
/// for no budget.
pub async fn budget(
    executor: impl sqlx::PgExecutor<'_>,
    owner: Uuid,
) -> Result<Option<Option<f64>>, ServiceError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT monthly_budget::float8 AS "budget?" FROM users WHERE id = $1 AND deleted_at IS NULL"#,
        owner,
    )
    .fetch_optional(executor)
    .await?)
}

/// Sets the live account's budget, rounded to cents; `None` removes it.
pub async fn set_budget(
    pool: &PgPool,
    owner: Uuid,
    budget: Option<f64>,
) -> Result<PgQueryResult, ServiceError> {
    Ok(sqlx::query!(
        "UPDATE users SET monthly_budget = round($2::float8::numeric, 2), updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL",
        owner,
        budget,
    )
    .execute(pool)
    .await?)
}

/// Takes the owner's job-creation lock until the transaction ends.
pub async fn lock_owner_jobs(
    conn: &mut sqlx::PgConnection,
    owner: Uuid,
) -> Result<(), ServiceError> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('jobs:' || $1::uuid::text, 0))",
        owner,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What the owner's active jobs are still expected to cost: each one's
/// estimate less what it has cost so far, never below 0.
pub async fn committed(
    executor: impl sqlx::PgExecutor<'_>,
    owner: Uuid,
) -> Result<f64, ServiceError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT coalesce(sum(greatest(coalesce((estimate->>'cost')::float8, 0) - cost_so_far::float8, 0)), 0)::float8 AS "committed!"
           FROM training_jobs
           WHERE owner_id = $1 AND status IN ('queued', 'initializing', 'running') AND deleted_at IS NULL"#,
        owner,
    )
    .fetch_one(executor)
    .await?)
}

/// Writes one storage record per owner holding something on the day (a
/// day already billed is left alone); returns how many were written.
pub async fn bill_storage(pool: &PgPool, bill: &StorageBill) -> Result<u64, ServiceError> {
    let done = sqlx::query!(
        "WITH held AS (
             SELECT owner_id, sum(size_bytes)::float8 AS bytes FROM (
                 SELECT owner_id, size_bytes FROM datasets
                 WHERE deleted_at IS NULL AND status NOT IN ('pending_upload') AND created_at < $2
                 UNION ALL
                 SELECT owner_id, size_bytes FROM model_artifacts
                 WHERE deleted_at IS NULL AND created_at < $2
                 UNION ALL
                 SELECT e.owner_id, e.size_bytes FROM model_exports e
                 JOIN model_artifacts m ON m.id = e.model_id AND m.deleted_at IS NULL
                 WHERE e.status = 'completed' AND e.completed_at < $2
             ) s GROUP BY owner_id
         )
         INSERT INTO cost_records (id, owner_id, cost_type, amount, quantity, unit, details, period_start, period_end)
         SELECT gen_random_uuid(), owner_id, 'storage',
                round((bytes / $3 * $4 * $5)::numeric, 4), bytes / $3 * $4, 'gb_month',
                jsonb_build_object('bytes', bytes), $1, $2
         FROM held WHERE bytes > 0
         ON CONFLICT (owner_id, period_start) WHERE cost_type = 'storage' DO NOTHING",
        bill.start,
        bill.end,
        bill.bytes_per_gb,
        bill.month_fraction,
        bill.price_per_gb_month,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Writes the record of one download, if the model is the owner's.
pub async fn insert_transfer(pool: &PgPool, r: &TransferRecord<'_>) -> Result<(), ServiceError> {
    sqlx::query!(
        "INSERT INTO cost_records (id, owner_id, model_id, cost_type, amount, quantity, unit, details, period_start, period_end)
         SELECT $1, $2, m.id, 'data_transfer', round($4::float8::numeric, 4), $5, 'gb',
                jsonb_build_object('bytes', $6::bigint, 'file', $7::text), $8, $8
         FROM model_artifacts m WHERE m.id = $3 AND m.owner_id = $2",
        r.id,
        r.owner,
        r.model,
        r.amount,
        r.gb,
        r.bytes,
        r.file,
        r.at,
    )
    .execute(pool)
    .await?;
    Ok(())
}
