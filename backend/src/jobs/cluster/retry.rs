//! How long the poller may hold a job, decided in one place: a cluster
//! call is retried within a fixed budget (connection errors, timeouts, 5xx
//! and 429, with doubling backoff; every call is safe to repeat), and the
//! poller's lease on its jobs lasts at least [`MIN_LEASE`] and two of the
//! slowest calls, renewed before any call that could outlast it. A tick
//! that submits many jobs to a slow cluster keeps them, so a second
//! server's poller never works on a job this one holds. Changing the
//! retries changes the lease with them.

use super::ClusterError;
use crate::error::ServiceError;
use crate::jobs::queries::tick as queries;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The shortest claim.
pub const MIN_LEASE: Duration = Duration::from_secs(10);

/// The longest `send` takes when each attempt may take `timeout`: every
/// attempt timing out, and the waits between them.
pub fn budget(timeout: Duration) -> Duration {
    let waits: Duration = (0..ATTEMPTS - 1).map(|i| FIRST_BACKOFF * 2u32.pow(i)).sum();
    timeout * ATTEMPTS + waits
}

/// How long a claim lasts when one cluster call can take `call_budget`.
pub fn lease_length(call_budget: Duration) -> Duration {
    MIN_LEASE.max(call_budget * 2)
}

/// The first answer that is not worth retrying, or `Unreachable` with the
/// last reason after the last attempt; any answer returned is the caller's
/// to read.
pub async fn send(
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, ClusterError> {
    let mut backoff = FIRST_BACKOFF;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match make().send().await {
            Ok(resp)
                if resp.status().is_server_error()
                    || resp.status() == reqwest::StatusCode::TOO_MANY_REQUESTS =>
            {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                last = format!("{status}: {}", text.chars().take(300).collect::<String>());
            }
            Ok(resp) => return Ok(resp),
            Err(e) => last = e.to_string(),
        }
        if attempt < ATTEMPTS {
            tracing::warn!(attempt, error = %last, "cluster call failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }
    Err(ClusterError::Unreachable(last))
}

/// The poller's claim on the jobs of one tick.
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
            length: lease_length(call_budget),
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
        let renewed = queries::renew_lease(pool, &self.ids, self.until, self.length).await?;
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
    fn the_budget_is_every_attempt_timing_out_plus_the_waits() {
        // 4 × 15 s + 0.2 + 0.4 + 0.8 s.
        assert_eq!(
            budget(Duration::from_secs(15)),
            Duration::from_millis(61_400)
        );
    }

    #[test]
    fn a_lease_outlasts_two_of_the_slowest_calls() {
        assert_eq!(lease_length(Duration::from_secs(1)), MIN_LEASE);
        let slow = Duration::from_millis(61_400);
        assert_eq!(lease_length(slow), slow * 2);
    }
}
