//! Webhooks: a URL a user registers to receive every notification as a
//! signed JSON POST, and the delivery attempts settings shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The header carrying `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the hook's secret>`.
pub const SIGNATURE_HEADER: &str = "x-brightrun-signature";
/// The header carrying the Unix time the signature covers (`<timestamp>.<body>`).
pub const TIMESTAMP_HEADER: &str = "x-brightrun-timestamp";
pub const EVENT_HEADER: &str = "x-brightrun-event";
pub const DELIVERY_HEADER: &str = "x-brightrun-delivery";
/// Attempts before a delivery is marked failed.
pub const MAX_ATTEMPTS: u32 = 6;
pub const MAX_URL_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub created_at: DateTime<Utc>,
    /// Shown only in the response that creates the hook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWebhook {
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: u32,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Checks a hook URL: http or https, a host, no credentials, not too long.
pub fn validate_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.len() > MAX_URL_CHARS {
        return Err(format!(
            "The URL is longer than {MAX_URL_CHARS} characters."
        ));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("The URL must start with https:// (or http://).")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return Err("The URL has no host.".into());
    }
    if authority.contains('@') {
        return Err(
            "Put no user name or password in the URL; verify the signature header instead.".into(),
        );
    }
    if url.chars().any(char::is_whitespace) {
        return Err("The URL contains spaces.".into());
    }
    Ok(())
}

/// Wait before attempt `attempts + 1`: `base` doubled per failed attempt, at most an hour.
pub fn backoff_ms(attempts: u32, base_ms: u64) -> u64 {
    base_ms
        .saturating_mul(1u64 << attempts.saturating_sub(1).min(20))
        .min(3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(validate_url("https://hooks.example.com/brightrun").is_ok());
        assert!(validate_url("http://127.0.0.1:9000/in").is_ok());
        assert!(validate_url("ftp://x").unwrap_err().contains("https://"));
        assert!(validate_url("https://").unwrap_err().contains("no host"));
        assert!(
            validate_url("https://u:p@x.com/")
                .unwrap_err()
                .contains("password")
        );
        assert!(validate_url(&format!("https://x.com/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1, 1000), 1000);
        assert_eq!(backoff_ms(2, 1000), 2000);
        assert_eq!(backoff_ms(4, 1000), 8000);
        assert_eq!(backoff_ms(30, 1000), 3_600_000);
    }
}
