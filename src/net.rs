//! IP address ranges from settings (`10.0.0.0/8, fd00::/8, 127.0.0.1`), and
//! who a request comes from: the client behind trusted proxies, keyed so that
//! one IPv6 network counts as one client.

use std::net::{IpAddr, Ipv6Addr};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpRanges(Vec<(IpAddr, u8)>);

impl IpRanges {
    /// A comma-separated list of addresses and ranges; the error names the bad entry.
    pub fn parse(setting: &str) -> Result<Self, String> {
        let mut ranges = Self::default();
        for entry in setting.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let range = Self::parse_entry(entry)?.ok_or_else(|| {
                format!("'{entry}' is not an IP address or a range like 10.0.0.0/8")
            })?;
            ranges.0.push(range);
        }
        Ok(ranges)
    }

    /// `ip` or `ip/prefix` (IPv6 in brackets or not); `None` when `entry` is
    /// not an address at all (a host name, say).
    pub fn parse_entry(entry: &str) -> Result<Option<(IpAddr, u8)>, String> {
        let (addr, prefix) = match entry.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (entry, None),
        };
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        let Ok(ip) = addr.parse::<IpAddr>() else {
            return match prefix {
                Some(_) => Err(format!("'{entry}': '{addr}' is not an IP address")),
                None => Ok(None),
            };
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= max)
                .ok_or_else(|| format!("'{entry}': the prefix length must be 0 to {max}"))?,
        };
        Ok(Some((ip, prefix)))
    }

    pub fn push(&mut self, range: (IpAddr, u8)) {
        self.0.push(range);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` (IPv4-mapped IPv6 counted as IPv4) is in any range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = unmapped(ip);
        self.0.iter().any(|&(net, prefix)| match (ip, net) {
            (IpAddr::V4(a), IpAddr::V4(n)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                u32::from(a) & mask == u32::from(n) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(n)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                u128::from(a) & mask == u128::from(n) & mask
            }
            _ => false,
        })
    }
}

fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The client's address: the TCP peer, or, when the peer is a trusted proxy,
/// the right-most `X-Forwarded-For` address that is not one (the left part
/// of that header is whatever the client wrote, so it is never believed).
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &IpRanges) -> IpAddr {
    if !trusted.contains(peer) {
        return unmapped(peer);
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or("").rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    unmapped(client)
}

/// What rate limits count a client by: its IPv4 address, or its IPv6 /64
/// (one household or server gets a whole /64 and can rotate inside it).
pub fn client_key(ip: IpAddr) -> String {
    match unmapped(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match() {
        let r = IpRanges::parse("10.1.2.0/24, 127.0.0.1, [fd00::]/8").unwrap();
        assert!(r.contains(ip("10.1.2.200")));
        assert!(!r.contains(ip("10.1.3.1")));
        assert!(r.contains(ip("::ffff:127.0.0.1")));
        assert!(!r.contains(ip("127.0.0.2")));
        assert!(r.contains(ip("fdab::1")));
        assert!(IpRanges::parse("").unwrap().is_empty());
        assert!(
            IpRanges::parse("10.0.0.0/33")
                .unwrap_err()
                .contains("0 to 32")
        );
        assert!(IpRanges::parse("x/8").unwrap_err().contains("not an IP"));
        assert!(
            IpRanges::parse("proxy.lan")
                .unwrap_err()
                .contains("'proxy.lan'")
        );
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let trusted = IpRanges::parse("10.0.0.0/8").unwrap();
        let xff = Some("6.6.6.6, 203.0.113.9, 10.0.0.3");
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_address(ip("198.51.100.1"), xff, &trusted),
            ip("198.51.100.1")
        );
        // Behind two trusted hops, the first untrusted address from the right.
        assert_eq!(
            client_address(ip("10.0.0.2"), xff, &trusted),
            ip("203.0.113.9")
        );
        // A proxy that sent no header is the client.
        assert_eq!(
            client_address(ip("10.0.0.2"), None, &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), Some("junk"), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("::ffff:1.2.3.4"), None, &trusted),
            ip("1.2.3.4")
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_slash_64() {
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(client_key(ip("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
        assert_eq!(client_key(ip("203.0.113.9")), "203.0.113.9");
        assert_eq!(client_key(ip("::ffff:203.0.113.9")), "203.0.113.9");
    }
}
