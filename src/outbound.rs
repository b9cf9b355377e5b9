//! Where the server may send requests that a user chose the target of (webhook
//! receivers): never to its own machine or network unless an operator says
//! so. `internal_class` names the address ranges that are inside;
//! `AllowList` is the operator's exceptions (`BRIGHTRUN_WEBHOOK_ALLOW`).

use crate::net::IpRanges;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The setting that lists allowed internal hosts and ranges.
pub const ALLOW_SETTING: &str = "BRIGHTRUN_WEBHOOK_ALLOW";

/// The kind of internal address `ip` is, or `None` for a public one.
/// IPv6 addresses that carry an IPv4 one (mapped, compatible, NAT64, 6to4)
/// are judged by the IPv4 address inside.
pub fn internal_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => v4_class(v4),
            None => v6_class(v6),
        },
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(match (a, b) {
        (0, _) => "unspecified",
        (127, _) => "loopback",
        (10, _) | (192, 168) => "private",
        (172, 16..=31) => "private",
        (169, 254) => "link-local",
        (100, 64..=127) => "shared (carrier-grade NAT)",
        (192, 0) if ip.octets()[2] == 0 => "reserved",
        (224..=239, _) => "multicast",
        (240..=255, _) => "reserved",
        _ => return None,
    })
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if first & 0xffc0 == 0xfe80 {
        "link-local"
    } else if first & 0xffc0 == 0xfec0 {
        "private" // site-local, deprecated but still routed inside some networks
    } else if first & 0xfe00 == 0xfc00 {
        "unique-local"
    } else if first & 0xff00 == 0xff00 {
        "multicast"
    } else {
        return None;
    })
}

/// The IPv4 address an IPv6 address stands for, where it carries one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible; not :: or ::1).
        [0, 0, 0, 0, 0, 0xffff, ..] => Some(low),
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 || lo > 1 => Some(low),
        // 64:ff9b::a.b.c.d (NAT64).
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(low),
        // 2002:AABB:CCDD::/48 (6to4).
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// Hosts and ranges an operator lets webhooks reach although they are
/// internal: `receiver.lan, 10.1.2.0/24, 127.0.0.1, fd00::/8`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllowList {
    hosts: Vec<String>,
    ranges: IpRanges,
}

impl AllowList {
    /// Parses the comma-separated setting; the error names the bad entry.
    pub fn parse(setting: &str) -> Result<Self, String> {
        let mut list = Self::default();
        for entry in setting.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if let Some(range) = IpRanges::parse_entry(entry)? {
                list.ranges.push(range);
            } else if entry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                list.hosts
                    .push(entry.trim_end_matches('.').to_ascii_lowercase());
            } else {
                return Err(format!(
                    "'{entry}' is neither a host name, an IP address nor a range like 10.0.0.0/8"
                ));
            }
        }
        Ok(list)
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.ranges.is_empty()
    }

    /// Whether `host` (as written in the URL) or its address `ip` is listed.
    pub fn allows(&self, host: &str, ip: IpAddr) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host) || self.ranges.contains(ip)
    }

    /// `Ok` when the server may connect to `ip` for `host`; else why not, in
    /// words a user can act on.
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), String> {
        match internal_class(ip) {
            Some(class) if !self.allows(host, ip) => Err(format!(
                "{host} is {ip}, a {class} address: webhooks are sent only to public \
                 addresses (an operator can allow a receiver with {ALLOW_SETTING})"
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<&'static str> {
        internal_class(s.parse().unwrap())
    }

    #[test]
    fn every_internal_class_is_named() {
        for (ip, want) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("::1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.0.10", "private"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("fd00::1", "unique-local"),
            ("fc00::5", "unique-local"),
            ("0.0.0.0", "unspecified"),
            ("::", "unspecified"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("224.0.0.1", "multicast"),
            ("ff02::1", "multicast"),
            ("255.255.255.255", "reserved"),
        ] {
            assert_eq!(class(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_of_internal_ipv4_addresses_are_internal() {
        assert_eq!(class("::ffff:127.0.0.1"), Some("loopback"));
        assert_eq!(class("::ffff:169.254.169.254"), Some("link-local"));
        assert_eq!(class("::10.0.0.1"), Some("private"));
        assert_eq!(class("64:ff9b::c0a8:0101"), Some("private"));
        assert_eq!(class("2002:7f00:0001::1"), Some("loopback"));
        assert_eq!(class("::ffff:93.184.216.34"), None);
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn the_allow_list_takes_hosts_addresses_and_ranges() {
        let list = AllowList::parse(" receiver.LAN , 10.1.2.0/24,127.0.0.1, [fd00::]/8 ").unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(list.allows("Receiver.lan.", ip("10.9.9.9")));
        assert!(list.allows("x", ip("10.1.2.200")));
        assert!(!list.allows("x", ip("10.1.3.1")));
        assert!(list.allows("x", ip("127.0.0.1")));
        assert!(list.allows("x", ip("::ffff:127.0.0.1")));
        assert!(!list.allows("x", ip("127.0.0.2")));
        assert!(list.allows("x", ip("fdab::1")));
        assert!(AllowList::parse("").unwrap().is_empty());
        assert!(
            AllowList::parse("10.0.0.0/33")
                .unwrap_err()
                .contains("0 to 32")
        );
        assert!(AllowList::parse("x/8").unwrap_err().contains("not an IP"));
        assert!(AllowList::parse("a_b").unwrap_err().contains("'a_b'"));
    }

    #[test]
    fn check_explains_a_refusal_and_lets_listed_receivers_through() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let err = AllowList::default().check("localhost", ip).unwrap_err();
        assert!(
            err.contains("loopback") && err.contains(ALLOW_SETTING),
            "{err}"
        );
        assert!(
            AllowList::parse("localhost")
                .unwrap()
                .check("localhost", ip)
                .is_ok()
        );
        assert!(
            AllowList::default()
                .check("example.com", "93.184.216.34".parse().unwrap())
                .is_ok()
        );
    }
}
