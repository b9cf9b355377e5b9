//! Storage billing: once a day, each owner's datasets and adapters in
//! storage, in GB-months (a day is 1/days-in-month of a month) at
//! `BRIGHTRUN_STORAGE_PRICE_PER_GB_MONTH`. One record per owner and day.

use super::GB;
use crate::error::ServiceError;
use crate::services::Services;
use chrono::{Datelike, NaiveDate};

fn days_in_month(day: NaiveDate) -> u32 {
    let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).expect("first");
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("next month");
    (next - first).num_days() as u32
}

/// Bills `day` for every owner holding something; a day already billed is
/// left alone. Returns how many records were written.
pub async fn bill_day(services: &Services, day: NaiveDate) -> Result<u64, ServiceError> {
    let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let end = start + chrono::Duration::days(1);
    let fraction = 1.0 / f64::from(days_in_month(day));
    let done = sqlx::query(
        "WITH held AS (
             SELECT owner_id, sum(size_bytes)::float8 AS bytes FROM (
                 SELECT owner_id, size_bytes FROM datasets
                 WHERE deleted_at IS NULL AND status NOT IN ('pending_upload') AND created_at < $2
                 UNION ALL
                 SELECT owner_id, size_bytes FROM model_artifacts
                 WHERE deleted_at IS NULL AND created_at < $2
             ) s GROUP BY owner_id
         )
         INSERT INTO cost_records (id, owner_id, cost_type, amount, quantity, unit, details, period_start, period_end)
         SELECT gen_random_uuid(), owner_id, 'storage',
                round((bytes / $3 * $4 * $5)::numeric, 4), bytes / $3 * $4, 'gb_month',
                jsonb_build_object('bytes', bytes), $1, $2
         FROM held WHERE bytes > 0
         ON CONFLICT (owner_id, period_start) WHERE cost_type = 'storage' DO NOTHING",
    )
    .bind(start)
    .bind(end)
    .bind(GB)
    .bind(fraction)
    .bind(services.config.storage_price_per_gb_month)
    .execute(&services.pool)
    .await?;
    Ok(done.rows_affected())
}

/// Bills yesterday (UTC); run hourly, so a restart misses nothing.
pub async fn tick(services: &Services) -> Result<u64, ServiceError> {
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    bill_day(services, yesterday).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_have_their_days() {
        assert_eq!(
            days_in_month(NaiveDate::from_ymd_opt(2026, 2, 10).unwrap()),
            28
        );
        assert_eq!(
            days_in_month(NaiveDate::from_ymd_opt(2028, 2, 1).unwrap()),
            29
        );
        assert_eq!(
            days_in_month(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            31
        );
    }
}
