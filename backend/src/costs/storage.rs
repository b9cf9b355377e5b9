//! Storage billing: once a day, each owner's datasets, adapters and
//! completed exports in storage, in GB-months (a day is 1/days-in-month of
//! a month) at `BRIGHTRUN_STORAGE_PRICE_PER_GB_MONTH`. One record per owner
//! and day.

use super::GB;
use super::queries::{self, StorageBill};
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
#[tracing::instrument(skip_all, fields(%day))]
pub async fn bill_day(services: &Services, day: NaiveDate) -> Result<u64, ServiceError> {
    let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let bill = StorageBill {
        start,
        end: start + chrono::Duration::days(1),
        bytes_per_gb: GB,
        month_fraction: 1.0 / f64::from(days_in_month(day)),
        price_per_gb_month: services.config.billing.storage_price_per_gb_month,
    };
    queries::bill_storage(&services.pool, &bill).await
}

/// Bills yesterday (UTC); run hourly, so a restart misses nothing.
#[tracing::instrument(skip_all)]
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
