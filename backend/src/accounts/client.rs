//! Who a request comes from, as rate limits count it: the TCP peer, or the
//! client a trusted proxy names (`BRIGHTRUN_TRUSTED_PROXIES`), with IPv6
//! addresses grouped by /64. A request whose peer is unknown counts as
//! `unknown`.

use crate::config::Config;
use crate::services::Services;
use http::HeaderMap;
use http::header::USER_AGENT;
use std::net::SocketAddr;

fn client_key(config: &Config, peer: SocketAddr, headers: &HeaderMap) -> String {
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = brightrun::net::client_address(peer.ip(), forwarded, &config.server.trusted_proxies);
    brightrun::net::client_key(ip)
}

/// The side of a sign-up or sign-in that the request tells: the client's
/// rate-limit key, and the user agent the new session records.
#[derive(Debug, Clone)]
pub struct Client {
    pub key: String,
    pub user_agent: Option<String>,
}

impl Client {
    pub fn from_request(
        services: &Services,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
    ) -> Self {
        Self {
            key: match peer {
                Some(peer) => client_key(&services.config, peer, headers),
                None => "unknown".into(),
            },
            user_agent: headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        }
    }
}
