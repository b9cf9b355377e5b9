//! Keeps webhook requests off the server's own machine and network: every
//! host is resolved here, each address is checked against
//! `brightrun::outbound`, and the connection goes to the checked addresses
//! only (the client's resolver is this one, so there is no second lookup a
//! rebinding DNS server could answer differently). Redirects stay off.

use brightrun::outbound::AllowList;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Why a webhook URL may not be called, in words for the user.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

#[derive(Clone)]
pub struct Guard {
    allow: Arc<AllowList>,
}

impl Guard {
    pub fn new(allow: AllowList) -> Self {
        Self {
            allow: Arc::new(allow),
        }
    }

    /// The HTTP client for webhook deliveries: this guard as its resolver,
    /// no redirects, no proxy (a proxy would connect for us, unchecked).
    pub fn client(&self, timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(self.clone()))
            .build()
            .expect("http client")
    }

    /// Checks `url` now: an address in it directly, a host name by resolving
    /// it. Deliveries check again on every attempt (the resolver).
    pub async fn check_url(&self, url: &str) -> Result<(), Refused> {
        match host_of(url)? {
            (host, Some(ip)) => self.check_ip(&host, ip),
            (host, None) => self.resolve_checked(&host).await.map(|_| ()),
        }
    }

    /// Checks the address written in `url`, if it has one: the client does
    /// not resolve (so does not check) those. Host names are left to the
    /// resolver.
    pub fn check_literal(&self, url: &str) -> Result<(), Refused> {
        match host_of(url)? {
            (host, Some(ip)) => self.check_ip(&host, ip),
            (_, None) => Ok(()),
        }
    }

    fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        self.allow.check(host, ip).map_err(Refused)
    }

    /// The addresses of `host` the server may connect to; refused when it
    /// has any other: a name that points inside is refused whole, rather
    /// than used through whichever public address it also lists.
    async fn resolve_checked(&self, host: &str) -> Result<Vec<SocketAddr>, Refused> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|_| Refused(format!("The host {host} could not be resolved.")))?
            .collect();
        if addrs.is_empty() {
            return Err(Refused(format!("The host {host} has no addresses.")));
        }
        for addr in &addrs {
            self.check_ip(host, addr.ip())?;
        }
        Ok(addrs)
    }
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.clone();
        Box::pin(async move {
            let addrs = guard.resolve_checked(name.as_str()).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The URL's host, and its address when the host is one.
fn host_of(url: &str) -> Result<(String, Option<IpAddr>), Refused> {
    let parsed = reqwest::Url::parse(url).map_err(|_| Refused("This is not a URL.".into()))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| Refused("The URL has no host.".into()))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    Ok((host.to_string(), bare.parse().ok()))
}

/// The refusal behind a failed request, if the guard refused it.
pub fn refusal(err: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.0.clone());
        }
        source = e.source();
    }
    None
}
