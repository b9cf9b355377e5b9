//! Costs: the records (compute from the poller, storage daily, data
//! transfer per download), the month's summary, the CSV export, and the
//! budget. Every query is scoped by owner; the SQL is in `queries`.

pub mod budget;
mod queries;
pub mod storage;
pub mod transfer;

use crate::error::ServiceError;
use crate::services::Services;
use brightrun::CostType;
use brightrun::costs::{
    BudgetStatus, CostFilter, CostRecord, CostSummary, DailyCost, JobCost, TypeTotal,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use queries::{CostRow, DailyRow, JobCostRow, RecordFilter, TypeTotalRow};
use uuid::Uuid;

/// Bytes in a GB, for storage and transfer prices.
pub const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Most records one `GET /api/costs` returns (the CSV has no limit).
pub const LIST_LIMIT: i64 = 1000;

impl From<CostRow> for CostRecord {
    fn from(r: CostRow) -> Self {
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

impl From<JobCostRow> for JobCost {
    fn from(r: JobCostRow) -> Self {
        Self {
            job_id: r.job_id,
            job_name: r.job_name,
            amount: r.amount,
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
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn list(
    services: &Services,
    owner: Uuid,
    filter: &CostFilter,
    limit: Option<i64>,
) -> Result<Vec<CostRecord>, ServiceError> {
    filter
        .validate()
        .map_err(|(field, message)| ServiceError::Invalid { field, message })?;
    let rows = queries::records(
        &services.pool,
        owner,
        RecordFilter {
            from: filter.from.map(start_of),
            to: filter.to.and_then(|d| d.succ_opt()).map(start_of),
            cost_type: filter.cost_type.map(|t| t.as_str()),
            job_id: filter.job_id,
            limit: limit.unwrap_or(i64::MAX),
        },
    )
    .await?;
    Ok(rows.into_iter().map(CostRecord::from).collect())
}

/// Every record matching `filter`, as CSV.
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn csv(
    services: &Services,
    owner: Uuid,
    filter: &CostFilter,
) -> Result<String, ServiceError> {
    let records = list(services, owner, filter, None).await?;
    Ok(brightrun::costs::csv::to_csv(&records))
}

/// This month so far: the total, by type, by job, by day, and the budget.
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn summary(services: &Services, owner: Uuid) -> Result<CostSummary, ServiceError> {
    let now = Utc::now();
    let month = month_start(now);
    let from = start_of(month);
    let by_type = type_totals(queries::totals_by_type(&services.pool, owner, from).await?);
    let total = by_type.iter().map(|t| t.amount).sum();
    let by_job = queries::totals_by_job(&services.pool, owner, from).await?;
    let daily_rows = queries::totals_by_day(&services.pool, owner, from).await?;
    let budget = queries::budget(&services.pool, owner)
        .await?
        .flatten()
        .map(|b| BudgetStatus::new(b, total));
    Ok(CostSummary {
        month,
        total,
        by_type,
        by_job: by_job.into_iter().map(JobCost::from).collect(),
        daily: daily_costs(month, now.date_naive(), &daily_rows),
        budget,
    })
}

/// Every cost type, in `CostType::ALL`'s order, 0 where it has no records.
fn type_totals(rows: Vec<TypeTotalRow>) -> Vec<TypeTotal> {
    CostType::ALL
        .iter()
        .map(|t| TypeTotal {
            cost_type: *t,
            amount: rows
                .iter()
                .find(|r| r.cost_type == t.as_str())
                .map(|r| r.amount)
                .unwrap_or(0.0),
        })
        .collect()
}

/// Every day of `month` up to `today`, 0 where it has no records.
fn daily_costs(month: NaiveDate, today: NaiveDate, rows: &[DailyRow]) -> Vec<DailyCost> {
    month
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|day| DailyCost {
            day,
            amount: rows
                .iter()
                .find(|r| r.day == day)
                .map(|r| r.amount)
                .unwrap_or(0.0),
        })
        .collect()
}
