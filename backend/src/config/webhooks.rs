//! Webhook deliveries: the retry back-off and the internal hosts they may
//! reach (public addresses are always allowed, internal ones refused unless
//! listed).

use super::vars::{ConfigError, Vars};
use brightrun::outbound::{ALLOW_SETTING, AllowList};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct WebhooksConfig {
    /// `BRIGHTRUN_WEBHOOK_BACKOFF_MS`, default `30000`: the wait after a
    /// webhook's first failed attempt, doubled after each further one.
    pub backoff: Duration,
    /// `BRIGHTRUN_WEBHOOK_ALLOW`, default none: internal hosts and ranges
    /// webhooks may reach (`receiver.lan, 10.1.2.0/24`); others are refused.
    pub allow: AllowList,
}

impl WebhooksConfig {
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let value = vars.get(ALLOW_SETTING).unwrap_or_default();
        let allow = AllowList::parse(&value).map_err(|_| {
            ConfigError::new(
                ALLOW_SETTING,
                value,
                "expected host names, IP addresses or ranges like 10.0.0.0/8, separated by commas",
            )
        })?;
        Ok(Self {
            backoff: Duration::from_millis(vars.parse(
                "BRIGHTRUN_WEBHOOK_BACKOFF_MS",
                "30000",
                "expected whole milliseconds",
            )?),
            allow,
        })
    }
}
