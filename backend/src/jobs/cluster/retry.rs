//! Sending to a cluster's REST API: connection errors, timeouts, 5xx and
//! 429 are retried with doubling backoff (every call is safe to repeat);
//! any other answer is the caller's to read.

use super::ClusterError;
use std::time::Duration;

const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// The longest `send` takes when each attempt may take `timeout`: every
/// attempt timing out, and the waits between them.
pub fn budget(timeout: std::time::Duration) -> std::time::Duration {
    let waits: Duration = (0..ATTEMPTS - 1).map(|i| FIRST_BACKOFF * 2u32.pow(i)).sum();
    timeout * ATTEMPTS + waits
}

/// The first answer that is not worth retrying, or `Unreachable` with the
/// last reason after the last attempt.
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
}
