// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Host addresses as Ansible reads them in inventories: a host name, an IPv4
//! or IPv6 address, possibly with `[x:y]` ranges, and an optional `:port`
//! (mandatory brackets around an IPv6 address that carries a port).
//!
//! When a host word is not such an address, Ansible keeps the word whole as
//! the host name (so `foo:bar` is one host and `h_:22` has no port); the
//! caller gets `None` here and does the same.

use regex::Regex;
use std::sync::OnceLock;

struct Patterns {
    bracketed_hostport: Regex,
    hostport: Regex,
    ipv4: Regex,
    ipv6: Regex,
    hostname: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(build).as_ref()
}

fn build() -> Option<Patterns> {
    let numeric_range = r"\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]";
    let hex_range = r"\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]";
    let alnum_range = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]";
    let v6 = format!("(?:[0-9a-f]{{1,4}}|{hex_range})");
    let v4 = format!("(?:[01]?[0-9]{{1,2}}|2[0-4][0-9]|25[0-5]|{numeric_range})");
    // A label may not end with '-' or '_' (a look-behind in Ansible's
    // pattern, spelled out here: one item that is not '_', or several whose
    // last is alphanumeric or a range).
    let first = format!(r"(?:\w|{alnum_range})");
    let middle = format!(r"(?:[\w-]|{alnum_range})");
    let last = format!(r"(?:[\w&&[^_]]|{alnum_range})");
    let label = format!("(?:{first}{middle}*{last}|{last})");
    let ipv6 = [
        format!("(?:{v6}:){{7}}{v6}"),
        format!("(?:{v6}:){{1,6}}:"),
        format!("(?:{v6}:)(?::{v6}){{1,6}}"),
        format!("(?:{v6}:){{2}}(?::{v6}){{1,5}}"),
        format!("(?:{v6}:){{3}}(?::{v6}){{1,4}}"),
        format!("(?:{v6}:){{4}}(?::{v6}){{1,3}}"),
        format!("(?:{v6}:){{5}}(?::{v6}){{1,2}}"),
        format!("(?:{v6}:){{6}}(?::{v6})"),
        format!(":(?::{v6}){{1,6}}"),
        format!("{v6}?::"),
        format!(r"(?:0:){{6}}(?:{v6}\.){{3}}{v6}"),
        format!(r"::(?:ffff:)?(?:{v6}\.){{3}}{v6}"),
        format!(r"(?:0:){{5}}ffff:(?:{v6}\.){{3}}{v6}"),
    ]
    .join("|");
    Some(Patterns {
        bracketed_hostport: Regex::new(r"^\[(.+)\]:([0-9]+)$").ok()?,
        hostport: Regex::new(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$").ok()?,
        ipv4: Regex::new(&format!(r"(?i)^(?:{v4}\.){{3}}{v4}$")).ok()?,
        ipv6: Regex::new(&format!("(?i)^(?:{ipv6})$")).ok()?,
        hostname: Regex::new(&format!(r"(?i)^{label}(?:\.{label})*$")).ok()?,
    })
}

/// A host word split into host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub host: String,
    pub port: Option<i64>,
}

/// Parses `address` like Ansible's `parse_address`; `None` when it is not a
/// valid host name or IP address (or has a range and `allow_ranges` is off).
pub fn parse_address(address: &str, allow_ranges: bool) -> Option<Address> {
    let p = patterns()?;
    let mut addr = address.to_string();
    let mut port = None;
    // Both forms are tried in turn, the second on what the first left.
    for re in [&p.bracketed_hostport, &p.hostport] {
        if let Some(c) = re.captures(&addr) {
            let host = c.get(1).map_or("", |m| m.as_str()).to_string();
            port = Some(c.get(2).map_or("", |m| m.as_str()).parse::<i64>().ok()?);
            addr = host;
        }
    }
    let valid = p.ipv4.is_match(&addr) || p.ipv6.is_match(&addr) || p.hostname.is_match(&addr);
    if !valid || (!allow_ranges && addr.contains('[')) {
        return None;
    }
    Some(Address { host: addr, port })
}

/// Whether `name` is an IPv4 or IPv6 address (possibly with ranges), which
/// decides `inventory_hostname_short`.
pub fn is_ip_address(name: &str) -> bool {
    patterns().is_some_and(|p| p.ipv4.is_match(name) || p.ipv6.is_match(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pa(s: &str) -> Option<(String, Option<i64>)> {
        parse_address(s, true).map(|a| (a.host, a.port))
    }

    #[test]
    fn addresses() {
        assert_eq!(pa("h:22"), Some(("h".into(), Some(22))));
        assert_eq!(
            pa("h.example.com:22"),
            Some(("h.example.com".into(), Some(22)))
        );
        assert_eq!(pa("h-:22"), None);
        assert_eq!(pa("h_:22"), None);
        assert_eq!(pa("_h"), Some(("_h".into(), None)));
        assert_eq!(pa("a..b:22"), None);
        assert_eq!(pa("fe80::1"), Some(("fe80::1".into(), None)));
        assert_eq!(pa("[fe80::1]:22"), Some(("fe80::1".into(), Some(22))));
        assert_eq!(pa("::1"), Some(("::1".into(), None)));
        assert_eq!(pa("1.2.3.4:5"), Some(("1.2.3.4".into(), Some(5))));
        assert_eq!(pa("[1.2.3.4]:5"), Some(("1.2.3.4".into(), Some(5))));
        assert_eq!(pa("h[1:3]:22"), Some(("h[1:3]".into(), Some(22))));
        assert_eq!(pa("10.0.0.[1:3]"), Some(("10.0.0.[1:3]".into(), None)));
        assert_eq!(pa("foo:bar"), None);
        assert_eq!(pa("h[a:1]"), None);
        assert_eq!(parse_address("h[1:3]", false), None);
        assert!(is_ip_address("10.1.2.3"));
        assert!(!is_ip_address("web.example.com"));
    }
}
