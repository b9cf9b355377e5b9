//! Who a request comes from, as rate limits count it: the TCP peer, or the
//! client a trusted proxy names (`BRIGHTRUN_TRUSTED_PROXIES`), with IPv6
//! addresses grouped by /64.

use crate::config::Config;
use http::HeaderMap;
use std::net::SocketAddr;

pub fn client_key(config: &Config, peer: SocketAddr, headers: &HeaderMap) -> String {
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = brightrun::net::client_address(peer.ip(), forwarded, &config.trusted_proxies);
    brightrun::net::client_key(ip)
}
