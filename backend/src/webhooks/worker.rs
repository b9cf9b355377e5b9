//! Delivers queued webhook events: claims due deliveries (`SKIP LOCKED`, so
//! several servers share the queue), POSTs each as JSON signed with
//! HMAC-SHA256 of the body under the hook's secret, and records the attempt.
//! A failure is retried with doubling waits up to `MAX_ATTEMPTS`.

use crate::error::ServiceError;
use crate::hmac_sha256;
use crate::services::Services;
use crate::webhooks::guard;
use crate::webhooks::queries::{self, DueRow, FailedAttempt};
use brightrun::webhooks::{
    DELIVERY_HEADER, EVENT_HEADER, MAX_ATTEMPTS, SIGNATURE_HEADER, TIMESTAMP_HEADER, backoff_ms,
};
use chrono::Utc;
use std::time::Duration;

const BATCH: i64 = 20;
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// `sha256=<hex>` of `<timestamp>.<body>` under `secret`: what receivers
/// recompute, with the `X-BrightRun-Timestamp` header's value. The signed
/// timestamp lets a receiver refuse an old delivery replayed at it.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hmac_hex(secret, &[format!("{timestamp}.").as_bytes(), body])
}

fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
    let mac = hmac_sha256::sign(secret.as_bytes(), parts);
    format!("sha256={}", hex::encode(mac))
}

/// One pass over due deliveries; returns how many were attempted.
#[tracing::instrument(skip_all)]
pub async fn tick(services: &Services) -> Result<usize, ServiceError> {
    let due = queries::claim_due(&services.pool, BATCH).await?;
    let attempts = due.iter().map(|d| deliver(services, d));
    let results = futures::future::join_all(attempts).await;
    for (d, result) in due.iter().zip(results) {
        record(services, d, result).await?;
    }
    Ok(due.len())
}

/// Records one attempt: delivered, or to be retried after a doubling wait,
/// or failed for good after `MAX_ATTEMPTS`.
async fn record(
    services: &Services,
    d: &DueRow,
    result: Result<u16, (Option<u16>, String)>,
) -> Result<(), ServiceError> {
    let attempts = d.attempts + 1;
    match result {
        Ok(code) => queries::mark_delivered(&services.pool, d.id, attempts, i32::from(code)).await,
        Err((code, error)) => {
            let wait = backoff_ms(
                attempts as u32,
                services.config.webhooks.backoff.as_millis() as u64,
            );
            tracing::info!(delivery = %d.id, attempts, %error, "webhook delivery failed");
            let failed = FailedAttempt {
                attempts,
                status_code: code.map(i32::from),
                error,
                give_up: attempts as u32 >= MAX_ATTEMPTS,
                retry_in_secs: wait as f64 / 1000.0,
            };
            queries::mark_failed(&services.pool, d.id, &failed).await
        }
    }
}

/// POSTs one event; the status code on a 2xx, else what went wrong.
async fn deliver(services: &Services, d: &DueRow) -> Result<u16, (Option<u16>, String)> {
    let body = serde_json::to_vec(&serde_json::json!({
        "id": d.id,
        "event": d.event,
        "created_at": d.created_at,
        "notification": {
            "id": d.notification_id,
            "type": d.event,
            "title": d.title,
            "message": d.message,
            "link": d.link.as_deref().map(|l| services.absolute_url(l)),
            "created_at": d.created_at,
        }
    }))
    .expect("json");
    let timestamp = Utc::now().timestamp();
    services
        .webhook_guard
        .check_literal(&d.url)
        .map_err(|refused| (None, refused.0))?;
    let response = services
        .webhook_http
        .post(&d.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, "BrightRun-Webhooks/1")
        .header(EVENT_HEADER, &d.event)
        .header(DELIVERY_HEADER, d.id.to_string())
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature(&d.secret, timestamp, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| {
            if let Some(refused) = guard::refusal(&e) {
                return (None, refused);
            }
            let what = if e.is_timeout() {
                "timed out after 10 s".to_string()
            } else if e.is_connect() {
                "could not connect".to_string()
            } else {
                "request failed".to_string()
            };
            (None, what)
        })?;
    let code = response.status().as_u16();
    if response.status().is_success() {
        Ok(code)
    } else {
        Err((Some(code), format!("the receiver answered HTTP {code}")))
    }
}

/// Delivers until the server stops, checking the queue every second.
pub async fn run(services: Services) {
    loop {
        match tick(&services).await {
            Ok(n) => {
                services.workers.ticked("webhooks");
                if n == BATCH as usize {
                    continue;
                }
            }
            Err(err) => tracing::warn!(%err, "webhook tick failed"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex_of_the_timestamp_and_body() {
        // RFC 4231 test case 2, split across parts.
        assert_eq!(
            hmac_hex("Jefe", &[b"what do ya ", b"want for nothing?"]),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signature("k", 1700000000, b"{}"),
            hmac_hex("k", &[b"1700000000.{}"])
        );
        assert_ne!(
            signature("k", 1700000000, b"{}"),
            signature("k", 1700000001, b"{}")
        );
    }
}
