//! Costs: the records (compute from the poller, storage daily, data
//! transfer per download), the month's summary, the CSV export, and the
//! budget. Every query is scoped by owner.

pub mod budget;
pub mod storage;
pub mod transfer;

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::CostType;
use brightrun::costs::{
    BudgetStatus, CostFilter, CostRecord, CostSummary, DailyCost, JobCost, TypeTotal,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use uuid::Uuid;

/// Bytes in a GB, for storage and transfer prices.
pub const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Most records one `GET /api/costs` returns (the CSV has no limit).
pub const LIST_LIMIT: i64 = 1000;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    cost_type: String,
    amount: f64,
    quantity: Option<f64>,
    unit: Option<String>,
    job_id: Option<Uuid>,
    job_name: Option<String>,
    dataset_id: Option<Uuid>,
    model_id: Option<Uuid>,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
}

impl From<Row> for CostRecord {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            cost_type: r.cost_type.parse().unwrap_or(CostType::Compute),
            amount: r.amount,
            quantity: r.quantity,
            unit: r.unit,
            job_id: r.job_id,
            job_name: r.job_name,
            dataset_id: r.dataset_id,
            model_id: r.model_id,
            period_start: r.period_start,
            period_end: r.period_end,
        }
    }
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

pub fn month_start(now: DateTime<Utc>) -> NaiveDate {
    NaiveDate::from_ymd_opt(now.year(), now.month(), 1).expect("first of month")
}

/// The records matching `filter`, newest first; `limit` None for all.
pub async fn list(
    services: &Services,
    owner: Uuid,
    filter: &CostFilter,
    limit: Option<i64>,
) -> Result<Vec<CostRecord>, ServiceError> {
    filter
        .validate()
        .map_err(|(field, message)| ServiceError::Invalid { field, message })?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.cost_type, c.amount::float8 AS amount, c.quantity, c.unit, c.job_id,
                j.name AS job_name, c.dataset_id, c.model_id, c.period_start, c.period_end
         FROM cost_records c LEFT JOIN training_jobs j ON j.id = c.job_id AND j.owner_id = c.owner_id
         WHERE c.owner_id = $1 AND c.deleted_at IS NULL
           AND ($2::timestamptz IS NULL OR c.period_start >= $2)
           AND ($3::timestamptz IS NULL OR c.period_start < $3)
           AND ($4::text IS NULL OR c.cost_type = $4)
           AND ($5::uuid IS NULL OR c.job_id = $5)
         ORDER BY c.period_start DESC, c.id
         LIMIT $6",
    )
    .bind(owner)
    .bind(filter.from.map(start_of))
    .bind(filter.to.and_then(|d| d.succ_opt()).map(start_of))
    .bind(filter.cost_type.map(|t| t.as_str()))
    .bind(filter.job_id)
    .bind(limit.unwrap_or(i64::MAX))
    .fetch_all(&services.pool)
    .await?;
    Ok(rows.into_iter().map(CostRecord::from).collect())
}

pub async fn csv(
    services: &Services,
    owner: Uuid,
    filter: &CostFilter,
) -> Result<String, ServiceError> {
    let records = list(services, owner, filter, None).await?;
    Ok(brightrun::costs::csv::to_csv(&records))
}

/// What `owner` has been billed since the start of this month.
pub async fn month_spend(
    executor: impl sqlx::PgExecutor<'_>,
    owner: Uuid,
) -> Result<f64, ServiceError> {
    Ok(sqlx::query_scalar(
        "SELECT coalesce(sum(amount), 0)::float8 FROM cost_records
         WHERE owner_id = $1 AND deleted_at IS NULL AND period_start >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
    )
    .bind(owner)
    .fetch_one(executor)
    .await?)
}

pub async fn summary(services: &Services, owner: Uuid) -> Result<CostSummary, ServiceError> {
    let now = Utc::now();
    let month = month_start(now);
    let from = start_of(month);
    let by_type_rows: Vec<(String, f64)> = sqlx::query_as(
        "SELECT cost_type, sum(amount)::float8 FROM cost_records
         WHERE owner_id = $1 AND deleted_at IS NULL AND period_start >= $2 GROUP BY cost_type",
    )
    .bind(owner)
    .bind(from)
    .fetch_all(&services.pool)
    .await?;
    let by_type: Vec<TypeTotal> = CostType::ALL
        .iter()
        .map(|t| TypeTotal {
            cost_type: *t,
            amount: by_type_rows
                .iter()
                .find(|(k, _)| k == t.as_str())
                .map(|(_, a)| *a)
                .unwrap_or(0.0),
        })
        .collect();
    let total = by_type.iter().map(|t| t.amount).sum();
    let by_job: Vec<(Uuid, String, f64)> = sqlx::query_as(
        "SELECT c.job_id, j.name, sum(c.amount)::float8 AS amount
         FROM cost_records c JOIN training_jobs j ON j.id = c.job_id AND j.owner_id = c.owner_id
         WHERE c.owner_id = $1 AND c.deleted_at IS NULL AND c.period_start >= $2
         GROUP BY c.job_id, j.name ORDER BY amount DESC LIMIT 50",
    )
    .bind(owner)
    .bind(from)
    .fetch_all(&services.pool)
    .await?;
    let daily_rows: Vec<(NaiveDate, f64)> = sqlx::query_as(
        "SELECT (period_start AT TIME ZONE 'UTC')::date AS day, sum(amount)::float8
         FROM cost_records WHERE owner_id = $1 AND deleted_at IS NULL AND period_start >= $2
         GROUP BY day",
    )
    .bind(owner)
    .bind(from)
    .fetch_all(&services.pool)
    .await?;
    let today = now.date_naive();
    let daily = month
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|day| DailyCost {
            day,
            amount: daily_rows
                .iter()
                .find(|(d, _)| *d == day)
                .map(|(_, a)| *a)
                .unwrap_or(0.0),
        })
        .collect();
    let budget = budget::get(&services.pool, owner)
        .await?
        .map(|b| BudgetStatus::new(b, total));
    Ok(CostSummary {
        month,
        total,
        by_type,
        by_job: by_job
            .into_iter()
            .map(|(job_id, job_name, amount)| JobCost {
                job_id,
                job_name,
                amount,
            })
            .collect(),
        daily,
        budget,
    })
}
