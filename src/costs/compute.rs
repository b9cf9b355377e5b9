//! Compute billing: a running job gets a cost record each minute and a last
//! one when it stops, covering exactly the time since the previous record.

use chrono::{DateTime, Utc};

/// How often a running job's compute is written.
pub const BILLING_INTERVAL_S: i64 = 60;

/// The period to bill now, if any: from where billing stopped (or the start)
/// to `end`, once a minute has passed or the job has stopped. `end` is the
/// moment the job stopped (a cancel's request time) or now.
pub fn segment(
    started: Option<DateTime<Utc>>,
    billed_until: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
    stopped: bool,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let from = billed_until.or(started)?;
    if end <= from {
        return None;
    }
    let due = stopped || (end - from).num_seconds() >= BILLING_INTERVAL_S;
    due.then_some((from, end))
}

/// GPU-hours of a period on `gpu_count` GPUs.
pub fn gpu_hours(from: DateTime<Utc>, to: DateTime<Utc>, gpu_count: u32) -> f64 {
    (to - from).num_milliseconds().max(0) as f64 / 3_600_000.0 * gpu_count.max(1) as f64
}

/// The price of a period on `gpu_count` GPUs at `price_per_hour` each.
pub fn amount(from: DateTime<Utc>, to: DateTime<Utc>, price_per_hour: f64, gpu_count: u32) -> f64 {
    gpu_hours(from, to, gpu_count) * price_per_hour
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap()
    }

    #[test]
    fn bills_each_minute_and_at_the_end() {
        assert_eq!(segment(None, None, t(600), false), None, "never started");
        assert_eq!(
            segment(Some(t(0)), None, t(30), false),
            None,
            "under a minute"
        );
        assert_eq!(segment(Some(t(0)), None, t(61), false), Some((t(0), t(61))));
        assert_eq!(
            segment(Some(t(0)), Some(t(61)), t(90), false),
            None,
            "continues from where the last record ended"
        );
        assert_eq!(
            segment(Some(t(0)), Some(t(61)), t(90), true),
            Some((t(61), t(90)))
        );
        assert_eq!(
            segment(Some(t(0)), Some(t(90)), t(90), true),
            None,
            "nothing twice"
        );
    }

    #[test]
    fn a_cancel_before_the_last_record_bills_nothing_more() {
        // Billing reached t(120) but the user cancelled at t(100): no record
        // after the cancel, and none negative.
        assert_eq!(segment(Some(t(0)), Some(t(120)), t(100), true), None);
    }

    #[test]
    fn amount_is_time_times_price_times_count() {
        let a = amount(t(0), t(0) + Duration::minutes(30), 2.0, 4);
        assert!((a - 4.0).abs() < 1e-9, "{a}");
        assert_eq!(amount(t(10), t(0), 2.0, 1), 0.0);
    }
}
