// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The ansible.utils IP filters Kubernetes playbooks use: `ipaddr` (with
//! its common queries), `ipv4`, `ipv6`, `ipmath`, `next_nth_usable`.
//! ansible.utils is not installed in the oracle venv, so these follow the
//! collection's documented examples (see the unit tests).

use super::{Def, err, int, items, text};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("ipaddr", |v: Def, q: Option<Value>| {
        filter(&v, q.as_ref(), None)
    });
    env.add_filter("ipv4", |v: Def, q: Option<Value>| {
        filter(&v, q.as_ref(), Some(4))
    });
    env.add_filter("ipv6", |v: Def, q: Option<Value>| {
        filter(&v, q.as_ref(), Some(6))
    });
    env.add_filter("ipmath", |v: Def, amount: i64| -> Result<String, Error> {
        let n = Net::parse(&text(&v)).ok_or_else(|| {
            err(format!(
                "You must pass a valid IP address; {} is invalid",
                text(&v)
            ))
        })?;
        let a = n.addr as i128 + i128::from(amount);
        if a < 0 || a as u128 > n.max() {
            return Err(err("Your IP address math resulted in an invalid address"));
        }
        Ok(n.fmt_addr(a as u128))
    });
    env.add_filter(
        "next_nth_usable",
        |v: Def, offset: i64| -> Result<Value, Error> {
            let n = Net::parse(&text(&v)).ok_or_else(|| err("You must pass a valid IP address"))?;
            let target = n.addr as i128 + i128::from(offset);
            let (first, last) = n.usable();
            if target >= first as i128 && target <= last as i128 {
                Ok(Value::from(n.fmt_addr(target as u128)))
            } else {
                Ok(Value::from(()))
            }
        },
    );
}

/// An address with its prefix (a bare address has the full-length prefix).
#[derive(Clone, Copy)]
struct Net {
    v6: bool,
    addr: u128,
    prefix: u32,
}

impl Net {
    fn bits(&self) -> u32 {
        if self.v6 { 128 } else { 32 }
    }

    fn max(&self) -> u128 {
        if self.v6 {
            u128::MAX
        } else {
            u128::from(u32::MAX)
        }
    }

    fn parse(s: &str) -> Option<Net> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip: IpAddr = a.parse().ok()?;
        let (v6, addr) = match ip {
            IpAddr::V4(x) => (false, u128::from(u32::from(x))),
            IpAddr::V6(x) => (true, u128::from(x)),
        };
        let bits = if v6 { 128 } else { 32 };
        let prefix = match p {
            None => bits,
            Some(p) if p.contains('.') && !v6 => {
                // A netmask written as an address.
                let m: Ipv4Addr = p.parse().ok()?;
                let m = u32::from(m);
                if m.leading_ones() + m.trailing_zeros() != 32 {
                    return None;
                }
                m.leading_ones()
            }
            Some(p) => p.parse::<u32>().ok().filter(|x| *x <= bits)?,
        };
        Some(Net { v6, addr, prefix })
    }

    fn mask(&self) -> u128 {
        let host = self.bits() - self.prefix;
        if host >= 128 {
            0
        } else {
            (self.max() >> host) << host
        }
    }

    fn network(&self) -> u128 {
        self.addr & self.mask()
    }

    fn broadcast(&self) -> u128 {
        self.network() | (!self.mask() & self.max())
    }

    fn size(&self) -> u128 {
        let host = self.bits() - self.prefix;
        if host >= 128 {
            u128::MAX
        } else {
            1u128 << host
        }
    }

    fn usable(&self) -> (u128, u128) {
        if self.size() <= 2 || self.v6 && self.prefix >= 127 {
            (self.network(), self.broadcast())
        } else if self.v6 {
            (self.network() + 1, self.broadcast())
        } else {
            (self.network() + 1, self.broadcast() - 1)
        }
    }

    fn fmt_addr(&self, a: u128) -> String {
        if self.v6 {
            Ipv6Addr::from(a).to_string()
        } else {
            Ipv4Addr::from(a as u32).to_string()
        }
    }

    fn is_private(&self) -> bool {
        let a = self.addr;
        if self.v6 {
            let x = Ipv6Addr::from(a);
            (x.segments()[0] & 0xfe00) == 0xfc00
        } else {
            let x = Ipv4Addr::from(a as u32);
            x.is_private()
                || x.is_loopback()
                || x.is_link_local()
                || x.octets()[0] == 100 && (x.octets()[1] & 0xc0) == 64
        }
    }
}

fn query(n: &Net, original: &str, q: &str) -> Result<Value, Error> {
    let with_prefix = |a: u128| format!("{}/{}", n.fmt_addr(a), n.prefix);
    // A network (no host bits) is not an address: those queries give None.
    let is_network = n.prefix < n.bits() && n.addr == n.network() && n.size() > 2;
    let none = Value::from(());
    Ok(match q {
        "" => Value::from(original),
        "address/prefix" | "host/prefix" | "host" => {
            if is_network {
                none
            } else {
                Value::from(with_prefix(n.addr))
            }
        }
        "address" | "ip" => {
            if is_network {
                none
            } else {
                Value::from(n.fmt_addr(n.addr))
            }
        }
        "network" => Value::from(n.fmt_addr(n.network())),
        "netmask" => Value::from(n.fmt_addr(n.mask())),
        "hostmask" => Value::from(n.fmt_addr(!n.mask() & n.max())),
        "broadcast" => {
            if n.v6 || n.size() <= 2 {
                Value::from(())
            } else {
                Value::from(n.fmt_addr(n.broadcast()))
            }
        }
        "prefix" => Value::from(i64::from(n.prefix)),
        "size" => Value::from(n.size()),
        "subnet" | "cidr" | "network/prefix" => Value::from(with_prefix(n.network())),
        "net" => {
            if n.addr == n.network() {
                Value::from(with_prefix(n.network()))
            } else {
                none
            }
        }
        "first_usable" => Value::from(n.fmt_addr(n.usable().0)),
        "last_usable" => Value::from(n.fmt_addr(n.usable().1)),
        "range_usable" => {
            let (a, b) = n.usable();
            Value::from(format!("{}-{}", n.fmt_addr(a), n.fmt_addr(b)))
        }
        "version" => Value::from(if n.v6 { 6 } else { 4 }),
        "private" => {
            if n.is_private() {
                Value::from(original)
            } else {
                none
            }
        }
        "public" => {
            if n.is_private() {
                none
            } else {
                Value::from(original)
            }
        }
        "ipv4" | "ipv6" => {
            let want6 = q == "ipv6";
            if n.v6 == want6 {
                Value::from(original)
            } else {
                Value::from(false)
            }
        }
        "bool" => Value::from(true),
        "revdns" => {
            if n.v6 {
                let hex = format!("{:032x}", n.addr);
                let rev: Vec<String> = hex.chars().rev().map(|c| c.to_string()).collect();
                Value::from(format!("{}.ip6.arpa.", rev.join(".")))
            } else {
                let o = Ipv4Addr::from(n.addr as u32).octets();
                Value::from(format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0]))
            }
        }
        "wrap" => {
            if n.v6 {
                Value::from(format!("[{original}]"))
            } else {
                Value::from(original)
            }
        }
        other => {
            // An integer query: the nth address of the network.
            match other.parse::<i128>() {
                Ok(i) => {
                    let a = if i >= 0 {
                        n.network() as i128 + i
                    } else {
                        n.broadcast() as i128 + 1 + i
                    };
                    if a < n.network() as i128 || a > n.broadcast() as i128 {
                        Value::from(false)
                    } else {
                        Value::from(with_prefix(a as u128))
                    }
                }
                Err(_) => return Err(err(format!("Unknown filter type: {other}"))),
            }
        }
    })
}

fn one(v: &Value, q: &str, version: Option<u8>) -> Result<Value, Error> {
    let s = match v.kind() {
        ValueKind::String => text(v),
        ValueKind::Number => match int(v) {
            Some(i) if i >= 0 => {
                let i = i as u128;
                if i <= u128::from(u32::MAX) {
                    Ipv4Addr::from(i as u32).to_string()
                } else {
                    Ipv6Addr::from(i).to_string()
                }
            }
            _ => return Ok(Value::from(false)),
        },
        _ => return Ok(Value::from(false)),
    };
    let Some(n) = Net::parse(&s) else {
        return Ok(Value::from(false));
    };
    if let Some(want) = version
        && n.v6 != (want == 6)
    {
        return Ok(Value::from(false));
    }
    query(&n, &s, q)
}

fn filter(v: &Value, q: Option<&Value>, version: Option<u8>) -> Result<Value, Error> {
    let q = q.map(text).unwrap_or_default();
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => {
            let mut out = Vec::new();
            for item in items(v)? {
                let r = one(&item, &q, version)?;
                let keep = (r.kind() != ValueKind::Bool || r.is_true()) && !r.is_none();
                if keep {
                    out.push(r);
                }
            }
            Ok(Value::from(out))
        }
        _ => one(v, &q, version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: &str, query: &str) -> String {
        let r = filter(&Value::from(v), Some(&Value::from(query)), None).unwrap();
        super::super::text(&r)
    }

    #[test]
    fn documented_examples() {
        let n = "192.168.32.0/24";
        assert_eq!(q(n, "network"), "192.168.32.0");
        assert_eq!(q(n, "netmask"), "255.255.255.0");
        assert_eq!(q(n, "broadcast"), "192.168.32.255");
        assert_eq!(q(n, "size"), "256");
        assert_eq!(q(n, "prefix"), "24");
        assert_eq!(q(n, "1"), "192.168.32.1/24");
        assert_eq!(q(n, "-1"), "192.168.32.255/24");
        assert_eq!(q(n, "first_usable"), "192.168.32.1");
        assert_eq!(q(n, "last_usable"), "192.168.32.254");
        assert_eq!(q(n, "net"), "192.168.32.0/24");
        assert_eq!(q("192.168.122.1/24", "net"), "None");
        assert_eq!(q("192.168.122.1/24", "address"), "192.168.122.1");
        assert_eq!(q("192.168.122.1/24", "host"), "192.168.122.1/24");
        assert_eq!(q("192.168.122.1/24", "subnet"), "192.168.122.0/24");
        assert_eq!(q("10.0.0.1", "private"), "10.0.0.1");
        assert_eq!(q("8.8.8.8", "private"), "None");
        assert_eq!(q("2001:db8::1/64", "network"), "2001:db8::");
        assert_eq!(q("not an ip", ""), "False");
        let list = Value::from(vec!["192.168.1.1", "x", "10.0.0.0/8", "fe80::1"]);
        let r = filter(&list, None, Some(4)).unwrap();
        assert_eq!(super::super::text(&r), "['192.168.1.1', '10.0.0.0/8']");
    }
}
