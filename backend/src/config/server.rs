//! The web server's settings: where it listens, the built site it serves,
//! how it is reached from outside, and what it runs besides the web server.

use super::vars::{ConfigError, Vars};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `BRIGHTRUN_ADDR` (or `LEPTOS_SITE_ADDR`), default `127.0.0.1:3000`:
    /// where the web server listens.
    pub addr: SocketAddr,
    /// `BRIGHTRUN_SITE_ROOT` (or `LEPTOS_SITE_ROOT`), default `target/site`:
    /// the built site (the `pkg/` with WASM, JS and CSS).
    pub site_root: PathBuf,
    /// `LEPTOS_OUTPUT_NAME`, default `brightrun`: the file name of the built
    /// WASM, JS and CSS under `pkg/` (cargo-leptos sets it when it builds).
    pub leptos_output_name: String,
    /// `BRIGHTRUN_PUBLIC_URL`, default none (same origin): the prefix of
    /// signed local storage URLs and download links.
    pub public_url: String,
    /// `BRIGHTRUN_SECURE_COOKIES`, default `false`: mark cookies `Secure`
    /// (serve behind https).
    pub secure_cookies: bool,
    /// `BRIGHTRUN_TRUSTED_PROXIES`, default none: addresses and ranges of
    /// reverse proxies whose `X-Forwarded-For` names the client (rate limits
    /// count clients).
    pub trusted_proxies: brightrun::net::IpRanges,
    /// `BRIGHTRUN_WORKERS`, default `true`: run the background workers
    /// (dataset validation, job poller, webhooks, base model downloads) in
    /// this process.
    pub workers: bool,
    /// `BRIGHTRUN_METRICS_ADDR`, default none (off): where the operators'
    /// Prometheus endpoint (`GET /metrics`) listens, apart from the site —
    /// e.g. `127.0.0.1:9464`. It has no sign-in: bind it to loopback or a
    /// private network only.
    pub metrics_addr: Option<SocketAddr>,
    /// `BRIGHTRUN_LOG_FORMAT`, default text: `json` logs one JSON object a
    /// line. Read on its own by the binary too, since logging starts first.
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `json` is JSON; anything else (or unset) is text, as before there
    /// was a configuration to refuse it.
    pub fn from_vars(vars: Vars<'_>) -> Self {
        match vars.get("BRIGHTRUN_LOG_FORMAT").as_deref() {
            Some("json") => Self::Json,
            _ => Self::Text,
        }
    }
}

impl ServerConfig {
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            addr: match vars
                .get("BRIGHTRUN_ADDR")
                .or_else(|| vars.get("LEPTOS_SITE_ADDR"))
            {
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| ConfigError::new("BRIGHTRUN_ADDR", v, "expected host:port"))?,
                None => "127.0.0.1:3000".parse().expect("valid default"),
            },
            site_root: vars
                .get("BRIGHTRUN_SITE_ROOT")
                .or_else(|| vars.get("LEPTOS_SITE_ROOT"))
                .unwrap_or_else(|| "target/site".into())
                .into(),
            leptos_output_name: vars
                .get("LEPTOS_OUTPUT_NAME")
                .unwrap_or_else(|| "brightrun".into()),
            public_url: vars.url("BRIGHTRUN_PUBLIC_URL").unwrap_or_default(),
            secure_cookies: vars.flag("BRIGHTRUN_SECURE_COOKIES", false)?,
            trusted_proxies: {
                let value = vars.get("BRIGHTRUN_TRUSTED_PROXIES").unwrap_or_default();
                brightrun::net::IpRanges::parse(&value).map_err(|_| {
                    ConfigError::new(
                        "BRIGHTRUN_TRUSTED_PROXIES",
                        value,
                        "expected IP addresses or ranges like 10.0.0.0/8, separated by commas",
                    )
                })?
            },
            workers: vars.flag("BRIGHTRUN_WORKERS", true)?,
            metrics_addr: match vars.get("BRIGHTRUN_METRICS_ADDR") {
                Some(v) => Some(v.trim().parse().map_err(|_| {
                    ConfigError::new("BRIGHTRUN_METRICS_ADDR", v, "expected host:port")
                })?),
                None => None,
            },
            log_format: LogFormat::from_vars(vars),
        })
    }
}
