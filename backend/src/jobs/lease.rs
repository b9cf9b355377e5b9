//! The poller's claim on the jobs of one tick. It lasts at least
//! [`MIN_LEASE`] and twice the longest one cluster call can take (its
//! retries included), and it is renewed before any cluster call that could
//! outlast it: a tick that submits many jobs to a slow cluster keeps
//! them, so a second server's poller never works on a job this one holds.

use crate::error::ServiceError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// The shortest claim.
pub const MIN_LEASE: Duration = Duration::from_secs(10);

/// How long a claim lasts when one cluster call can take `call_budget`.
pub fn length(call_budget: Duration) -> Duration {
    MIN_LEASE.max(call_budget * 2)
}

pub struct Lease {
    ids: Vec<Uuid>,
    until: DateTime<Utc>,
    length: Duration,
    call_budget: Duration,
}

impl Lease {
    pub fn new(ids: Vec<Uuid>, until: DateTime<Utc>, call_budget: Duration) -> Self {
        Self {
            ids,
            until,
            length: length(call_budget),
            call_budget,
        }
    }

    /// Makes sure the claim outlasts one more cluster call: renews it when
    /// that call could end after it. `false` when another poller has taken
    /// any of the jobs (this tick must stop and write nothing).
    pub async fn keep(&mut self, pool: &PgPool) -> Result<bool, ServiceError> {
        let margin = chrono::Duration::from_std(self.call_budget + Duration::from_secs(5))
            .unwrap_or(chrono::Duration::MAX);
        if Utc::now() + margin < self.until {
            return Ok(true);
        }
        let renewed: Vec<DateTime<Utc>> = sqlx::query_scalar(
            "UPDATE training_jobs SET lease_until = now() + make_interval(secs => $3)
             WHERE id = ANY($1) AND lease_until = $2
             RETURNING lease_until",
        )
        .bind(&self.ids)
        .bind(self.until)
        .bind(self.length.as_secs_f64())
        .fetch_all(pool)
        .await?;
        if renewed.len() < self.ids.len() {
            tracing::warn!(
                held = self.ids.len(),
                renewed = renewed.len(),
                "the poller's lease ran out under it"
            );
            return Ok(false);
        }
        self.until = renewed.into_iter().min().unwrap_or(self.until);
        tracing::debug!(until = %self.until, "poller lease renewed");
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_outlasts_two_of_the_slowest_calls() {
        assert_eq!(length(Duration::from_secs(1)), MIN_LEASE);
        let slow = Duration::from_millis(61_400);
        assert_eq!(length(slow), slow * 2);
    }
}
