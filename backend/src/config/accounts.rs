//! Accounts: how long a sign-in lasts and the rate limits on signing in and
//! up.

use super::vars::{ConfigError, Vars};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AccountsConfig {
    /// `BRIGHTRUN_SESSION_DAYS`, default `30`: how long a sign-in lasts.
    pub session_ttl: Duration,
    /// `BRIGHTRUN_SIGNIN_LIMIT`, default `10`: failed sign-ins per minute per
    /// email or client before 429.
    pub signin_failures_per_minute: u32,
    /// `BRIGHTRUN_SIGNUP_LIMIT`, default `5`: sign-ups per minute per client
    /// before 429.
    pub signups_per_minute: u32,
}

impl AccountsConfig {
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            session_ttl: Duration::from_secs(
                24 * 3600
                    * vars.parse::<u64>("BRIGHTRUN_SESSION_DAYS", "30", "expected whole days")?,
            ),
            signin_failures_per_minute: vars.parse(
                "BRIGHTRUN_SIGNIN_LIMIT",
                "10",
                "expected a whole number",
            )?,
            signups_per_minute: vars.parse(
                "BRIGHTRUN_SIGNUP_LIMIT",
                "5",
                "expected a whole number of sign-ups",
            )?,
        })
    }
}
