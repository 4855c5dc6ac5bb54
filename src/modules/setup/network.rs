// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `network` collector for Linux: interfaces from /sys/class/net,
//! addresses from `ip addr show primary|secondary dev X`, the default routes
//! from `ip route get`, and the local routing table. Like Ansible, nothing is
//! reported when the host has no `ip` tool.

use super::raw::{Raw, py_split, py_splitlines, py_strip};
use indexmap::IndexMap;
use regex::Regex;
use serde_json::{Map, Value as Json, json};
use std::net::Ipv4Addr;

type Facts = Map<String, Json>;
type Iface = Map<String, Json>;

const V4_PROBE: &str = "8.8.8.8";
const V6_PROBE: &str = "2404:6800:400a:800::1012";

fn iface_type(code: &str) -> &'static str {
    match code {
        "1" => "ether",
        "32" => "infiniband",
        "512" => "ppp",
        "772" => "loopback",
        "65534" => "tunnel",
        _ => "unknown",
    }
}

fn default_route(out: &str, probe: &str) -> Map<String, Json> {
    let mut d = Map::new();
    let Some(first) = py_splitlines(out).next() else {
        return d;
    };
    let words: Vec<&str> = py_split(first).collect();
    if words.first() != Some(&probe) {
        return d;
    }
    for i in 0..words.len().saturating_sub(1) {
        match words[i] {
            "dev" => {
                d.insert("interface".into(), json!(words[i + 1]));
            }
            "src" => {
                d.insert("address".into(), json!(words[i + 1]));
            }
            "via" if words[i + 1] != probe => {
                d.insert("gateway".into(), json!(words[i + 1]));
            }
            _ => {}
        }
    }
    d
}

struct Ctx<'a> {
    interfaces: IndexMap<String, Iface>,
    default4: &'a mut Map<String, Json>,
    default6: &'a mut Map<String, Json>,
    all4: Vec<Json>,
    all6: Vec<Json>,
}

fn v4_info(address: &str, broadcast: &str, prefix: &str) -> Result<Iface, String> {
    let addr: Ipv4Addr = address.parse().map_err(|_| {
        format!("OSError: illegal IP address string passed to inet_aton: {address}")
    })?;
    let len: u32 = prefix
        .parse()
        .map_err(|_| format!("ValueError: invalid literal for int(): '{prefix}'"))?;
    let mask: u32 = if len == 0 {
        0
    } else {
        u32::MAX.checked_shl(32 - len.min(32)).unwrap_or(0)
    };
    let network = u32::from(addr) & mask;
    let mut m = Iface::new();
    m.insert("address".into(), json!(address));
    m.insert("broadcast".into(), json!(broadcast));
    m.insert("netmask".into(), json!(Ipv4Addr::from(mask).to_string()));
    m.insert("network".into(), json!(Ipv4Addr::from(network).to_string()));
    m.insert("prefix".into(), json!(prefix));
    Ok(m)
}

fn parse_ip_output(
    cx: &mut Ctx,
    device: &str,
    output: &str,
    secondary: bool,
    macaddress: Option<&Json>,
) -> Result<(), String> {
    // Ansible's MAC is the last one read from any interface's `address`
    // file; before the first one it is unset and the lookup fails.
    let mac = || {
        macaddress
            .cloned()
            .ok_or_else(|| "NameError: free variable 'macaddress'".to_string())
    };
    for line in py_splitlines(output) {
        let words: Vec<&str> = py_split(line).collect();
        let Some(&first) = words.first() else {
            continue;
        };
        if first == "inet" {
            let w1 = words.get(1).copied().unwrap_or("");
            let mut broadcast = "";
            let (address, prefix) = match w1.split_once('/') {
                Some((a, p)) => {
                    if words.len() > 3 && words[2] == "brd" {
                        broadcast = words[3];
                    }
                    (a, p)
                }
                None => (w1, "32"),
            };
            let info = v4_info(address, broadcast, prefix)?;
            let iface = words.last().copied().unwrap_or(device).to_string();
            if iface != device {
                cx.interfaces.insert(iface.clone(), Iface::new());
            }
            let entry = cx.interfaces.entry(iface.clone()).or_default();
            if !secondary && !entry.contains_key("ipv4") {
                entry.insert("ipv4".into(), Json::Object(info.clone()));
            } else if let Json::Array(a) =
                entry.entry("ipv4_secondaries").or_insert_with(|| json!([]))
            {
                a.push(Json::Object(info.clone()));
            }
            if secondary {
                let dev = cx.interfaces.entry(device.to_string()).or_default();
                let list = dev.entry("ipv4_secondaries").or_insert_with(|| json!([]));
                if device != iface
                    && let Json::Array(a) = list
                {
                    a.push(Json::Object(info.clone()));
                }
            }
            if cx.default4.get("address").and_then(Json::as_str) == Some(address) {
                let dev = cx.interfaces.get(device).cloned().unwrap_or_default();
                for k in ["broadcast", "netmask", "network", "prefix"] {
                    if let Some(v) = info.get(k) {
                        cx.default4.insert(k.into(), v.clone());
                    }
                }
                cx.default4.insert("macaddress".into(), mac()?);
                cx.default4.insert(
                    "mtu".into(),
                    dev.get("mtu").cloned().ok_or("KeyError: 'mtu'")?,
                );
                cx.default4.insert(
                    "type".into(),
                    dev.get("type").cloned().unwrap_or(json!("unknown")),
                );
                cx.default4.insert("alias".into(), json!(iface));
            }
            if !address.starts_with("127.") {
                cx.all4.push(json!(address));
            }
        } else if first == "inet6" {
            let (address, prefix, scope) = if words.get(2) == Some(&"peer") {
                let p = words
                    .get(3)
                    .and_then(|w| w.split_once('/'))
                    .map(|(_, p)| p)
                    .ok_or("ValueError: not enough values to unpack")?;
                (words[1], p, words.get(5).copied().unwrap_or(""))
            } else {
                let (a, p) = words
                    .get(1)
                    .and_then(|w| w.split_once('/'))
                    .ok_or("ValueError: not enough values to unpack")?;
                (a, p, words.get(3).copied().unwrap_or(""))
            };
            let dev = cx.interfaces.entry(device.to_string()).or_default();
            if let Json::Array(a) = dev.entry("ipv6").or_insert_with(|| json!([])) {
                a.push(json!({"address": address, "prefix": prefix, "scope": scope}));
            }
            let dev = dev.clone();
            if cx.default6.get("address").and_then(Json::as_str) == Some(address) {
                cx.default6.insert("prefix".into(), json!(prefix));
                cx.default6.insert("scope".into(), json!(scope));
                cx.default6.insert("macaddress".into(), mac()?);
                cx.default6.insert(
                    "mtu".into(),
                    dev.get("mtu").cloned().ok_or("KeyError: 'mtu'")?,
                );
                cx.default6.insert(
                    "type".into(),
                    dev.get("type").cloned().unwrap_or(json!("unknown")),
                );
            }
            if address != "::1" {
                cx.all6.push(json!(address));
            }
        }
    }
    Ok(())
}

fn ethtool(raw: &Raw, device: &str) -> Result<Iface, String> {
    let mut data = Iface::new();
    if raw.bin("ethtool").is_none() {
        return Ok(data);
    }
    if let Some(out) = raw.ok(&format!("ethtool_k {device}")) {
        let mut features = Map::new();
        for line in py_splitlines(py_strip(out)) {
            if line.is_empty() || line.ends_with(':') {
                continue;
            }
            let parts: Vec<&str> = line.split(": ").collect();
            let [k, v] = parts.as_slice() else {
                return Err("ValueError: too many values to unpack".into());
            };
            if v.is_empty() {
                continue;
            }
            features.insert(py_strip(k).replace('-', "_"), json!(py_strip(v)));
        }
        data.insert("features".into(), Json::Object(features));
    }
    if let Some(out) = raw.ok(&format!("ethtool_t {device}")) {
        let grab = |pat: &str| -> Vec<Json> {
            Regex::new(pat)
                .map(|r| {
                    r.captures_iter(out)
                        .filter_map(|c| c.get(1))
                        .map(|m| json!(m.as_str().to_lowercase()))
                        .collect()
                })
                .unwrap_or_default()
        };
        data.insert(
            "timestamping".into(),
            json!(grab(r"SOF_TIMESTAMPING_(\w+)")),
        );
        data.insert(
            "hw_timestamp_filters".into(),
            json!(grab(r"HWTSTAMP_FILTER_(\w+)")),
        );
        let phc = Regex::new(r"PTP Hardware Clock: (\d+)")
            .ok()
            .and_then(|r| r.captures(out)?.get(1)?.as_str().parse::<i64>().ok());
        if let Some(p) = phc {
            data.insert("phc_index".into(), json!(p));
        }
    }
    Ok(data)
}

fn locally_reachable(raw: &Raw) -> Json {
    let mut v4: Vec<String> = Vec::new();
    let mut v6: Vec<String> = Vec::new();
    for name in ["local4", "local6"] {
        let Some(out) = raw.ok(name) else { continue };
        for line in py_splitlines(out) {
            let words: Vec<&str> = py_split(line).collect();
            if words.first() != Some(&"local") {
                continue;
            }
            let Some(addr) = words.get(1) else { continue };
            let list = if addr.contains(':') { &mut v6 } else { &mut v4 };
            if !list.iter().any(|a| a == addr) {
                list.push(addr.to_string());
            }
        }
    }
    json!({"ipv4": v4, "ipv6": v6})
}

pub fn network(raw: &Raw) -> Result<Facts, String> {
    let mut f = Facts::new();
    if raw.bin("ip").is_none() {
        return Ok(f);
    }
    let mut default4 = default_route(
        raw.cmd("route4").map(|c| c.out.as_str()).unwrap_or(""),
        V4_PROBE,
    );
    let mut default6 = default_route(
        raw.cmd("route6").map(|c| c.out.as_str()).unwrap_or(""),
        V6_PROBE,
    );
    let mut cx = Ctx {
        interfaces: IndexMap::new(),
        default4: &mut default4,
        default6: &mut default6,
        all4: Vec::new(),
        all6: Vec::new(),
    };
    // Not reset per interface: one without an `address` file reports the
    // previous interface's MAC in the default route facts, as Ansible does.
    let mut macaddress: Option<Json> = None;
    for device in raw.list("/sys/class/net").unwrap_or(&[]) {
        let path = format!("/sys/class/net/{device}");
        let Some(entries) = raw.list(&path) else {
            continue;
        };
        let has = |e: &str| entries.iter().any(|x| x == e);
        let file = |e: &str| raw.file(&format!("{path}/{e}"));
        let mut i = Iface::new();
        i.insert("device".into(), json!(device));
        if has("address") {
            let mac = file("address").unwrap_or("");
            if !mac.is_empty() && mac != "00:00:00:00:00:00" {
                i.insert("macaddress".into(), json!(mac));
            }
            macaddress = Some(json!(mac));
        }
        if has("mtu") {
            let mtu: i64 = file("mtu")
                .and_then(|m| m.parse().ok())
                .ok_or("ValueError: bad mtu")?;
            i.insert("mtu".into(), json!(mtu));
        }
        if has("operstate") {
            i.insert("active".into(), json!(file("operstate") != Some("down")));
        }
        if let Some(m) = raw.ok(&format!("module {device}")) {
            let m = py_strip(m);
            i.insert("module".into(), json!(m.rsplit('/').next().unwrap_or(m)));
        }
        if has("type") {
            i.insert("type".into(), json!(iface_type(file("type").unwrap_or(""))));
        }
        if has("bridge") {
            i.insert("type".into(), json!("bridge"));
            let brif = raw.list(&format!("{path}/brif")).unwrap_or(&[]);
            i.insert("interfaces".into(), json!(brif));
            if raw.file_raw(&format!("{path}/bridge/bridge_id")).is_some()
                || file("bridge/bridge_id").is_some()
            {
                i.insert("id".into(), json!(file("bridge/bridge_id").unwrap_or("")));
            }
            if let Some(stp) = file("bridge/stp_state") {
                i.insert("stp".into(), json!(stp == "1"));
            }
        }
        // Ansible reuses its interface path variable for a bond's
        // all_slaves_active file once the bond has a primary slave, so the
        // checks after that (slave MAC, device, speed, flags) find nothing.
        let mut path_lost = false;
        if has("bonding") {
            i.insert("type".into(), json!("bonding"));
            let words = |k: &str| -> Vec<String> {
                py_split(file(k).unwrap_or(""))
                    .map(str::to_string)
                    .collect()
            };
            let first = |k: &str| -> Result<String, String> {
                words(k)
                    .into_iter()
                    .next()
                    .ok_or_else(|| "IndexError: list index out of range".to_string())
            };
            i.insert("slaves".into(), json!(words("bonding/slaves")));
            i.insert("mode".into(), json!(first("bonding/mode")?));
            i.insert("miimon".into(), json!(first("bonding/miimon")?));
            i.insert("lacp_rate".into(), json!(first("bonding/lacp_rate")?));
            if let Some(primary) = file("bonding/primary") {
                i.insert("primary".into(), json!(primary));
                path_lost = true;
                if let Some(a) = file("bonding/all_slaves_active") {
                    i.insert("all_slaves_active".into(), json!(a == "1"));
                }
            }
        }
        let has = |e: &str| !path_lost && has(e);
        if has("bonding_slave") {
            i.insert(
                "perm_macaddress".into(),
                json!(file("bonding_slave/perm_hwaddr").unwrap_or("")),
            );
        }
        if has("device")
            && let Some(link) = raw.ok(&format!("devlink {device}"))
        {
            let link = link.trim_end_matches('\n');
            i.insert(
                "pciid".into(),
                json!(link.rsplit('/').next().unwrap_or(link)),
            );
        }
        if has("speed")
            && let Some(speed) = file("speed")
        {
            let s: i64 = speed.parse().map_err(|_| "ValueError: bad speed")?;
            i.insert("speed".into(), json!(s));
        }
        if has("flags") {
            let flags = file("flags").unwrap_or("");
            let v = i64::from_str_radix(flags.trim_start_matches("0x"), 16).map_err(|_| {
                format!("ValueError: invalid literal for int() with base 16: '{flags}'")
            })?;
            i.insert("promisc".into(), json!(v & 0x0100 > 0));
        }
        cx.interfaces.insert(device.clone(), i);
        let primary = raw
            .ok(&format!("addr_primary {device}"))
            .or_else(|| raw.ok(&format!("addr_all {device}")));
        if let Some(out) = primary {
            parse_ip_output(&mut cx, device, out, false, macaddress.as_ref())?;
        }
        if let Some(out) = raw.ok(&format!("addr_secondary {device}")) {
            parse_ip_output(&mut cx, device, out, true, macaddress.as_ref())?;
        }
        let extra = ethtool(raw, device)?;
        cx.interfaces
            .entry(device.clone())
            .or_default()
            .extend(extra);
    }
    let mut names = Vec::new();
    let mut ifaces = Vec::new();
    for (name, data) in std::mem::take(&mut cx.interfaces) {
        let name = name.replace(':', "_");
        names.push(json!(name));
        ifaces.push((name, data));
    }
    f.insert("interfaces".into(), Json::Array(names));
    for (name, data) in ifaces {
        f.insert(name, Json::Object(data));
    }
    let (all4, all6) = (std::mem::take(&mut cx.all4), std::mem::take(&mut cx.all6));
    drop(cx);
    f.insert("default_ipv4".into(), Json::Object(default4));
    f.insert("default_ipv6".into(), Json::Object(default6));
    f.insert("all_ipv4_addresses".into(), Json::Array(all4));
    f.insert("all_ipv6_addresses".into(), Json::Array(all6));
    f.insert("locally_reachable_ips".into(), locally_reachable(raw));
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(sections: &[(&str, &str)]) -> Raw {
        let mut s = String::new();
        for (head, body) in sections {
            s.push_str(&format!("\nMK {head}\n{body}"));
        }
        s.push_str("\nMK end\n");
        Raw::parse(s.as_bytes(), "MK")
    }

    #[test]
    fn eth0_with_default_routes() {
        let raw = reply(&[
            ("bins", "ip /usr/sbin/ip\n"),
            (
                "c route4",
                "8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \n    cache \n",
            ),
            ("rc route4 0", ""),
            (
                "c route6",
                "2404:6800:400a:800::1012 from :: via fd00::1 dev eth0 proto static src fd00::2 metric 1024 pref medium\n",
            ),
            ("rc route6 0", ""),
            ("l /sys/class/net", "lo\neth0\n"),
            (
                "l /sys/class/net/lo",
                "address\nmtu\noperstate\ntype\nflags\n",
            ),
            ("f /sys/class/net/lo/address", "00:00:00:00:00:00\n"),
            ("f /sys/class/net/lo/mtu", "65536\n"),
            ("f /sys/class/net/lo/operstate", "unknown\n"),
            ("f /sys/class/net/lo/type", "772\n"),
            ("f /sys/class/net/lo/flags", "0x9\n"),
            (
                "c addr_primary lo",
                "1: lo: <LOOPBACK,UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n    inet6 ::1/128 scope host \n",
            ),
            ("rc addr_primary lo 0", ""),
            ("c addr_secondary lo", ""),
            ("rc addr_secondary lo 0", ""),
            (
                "l /sys/class/net/eth0",
                "address\nmtu\noperstate\ntype\nflags\nspeed\ndevice\n",
            ),
            ("f /sys/class/net/eth0/address", "02:fc:00:00:00:01\n"),
            ("f /sys/class/net/eth0/mtu", "1400\n"),
            ("f /sys/class/net/eth0/operstate", "up\n"),
            ("f /sys/class/net/eth0/type", "1\n"),
            ("f /sys/class/net/eth0/flags", "0x1003\n"),
            ("f /sys/class/net/eth0/speed", "-1\n"),
            ("c devlink eth0", "../../../virtio2\n"),
            ("rc devlink eth0 0", ""),
            (
                "c addr_primary eth0",
                "2: eth0: <UP>\n    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\n    inet6 fd00::2/64 scope global \n    inet6 fe80::fc:ff:fe00:1/64 scope link \n",
            ),
            ("rc addr_primary eth0 0", ""),
            (
                "c addr_secondary eth0",
                "    inet 192.0.2.9/24 brd 192.0.2.255 scope global secondary eth0:1\n",
            ),
            ("rc addr_secondary eth0 0", ""),
            (
                "c local4",
                "local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1\nlocal 192.0.2.2 dev eth0\n",
            ),
            ("rc local4 0", ""),
        ]);
        let f = network(&raw).expect("network");
        assert_eq!(f["interfaces"], json!(["lo", "eth0", "eth0_1"]));
        assert_eq!(f["eth0"]["pciid"], "virtio2");
        assert_eq!(f["eth0"]["speed"], -1);
        assert_eq!(f["eth0"]["promisc"], false);
        assert_eq!(f["eth0"]["ipv4"]["network"], "192.0.2.0");
        assert_eq!(f["eth0"]["ipv4"]["netmask"], "255.255.255.0");
        assert_eq!(f["eth0"]["ipv4_secondaries"][0]["address"], "192.0.2.9");
        assert_eq!(f["eth0_1"]["ipv4_secondaries"][0]["address"], "192.0.2.9");
        assert!(f["lo"].get("macaddress").is_none());
        assert_eq!(f["lo"]["type"], "loopback");
        assert_eq!(
            f["default_ipv4"],
            json!({"gateway": "192.0.2.1", "interface": "eth0", "address": "192.0.2.2",
                   "broadcast": "192.0.2.255", "netmask": "255.255.255.0", "network": "192.0.2.0",
                   "prefix": "24", "macaddress": "02:fc:00:00:00:01", "mtu": 1400, "type": "ether",
                   "alias": "eth0"})
        );
        assert_eq!(f["default_ipv6"]["gateway"], "fd00::1");
        assert_eq!(f["default_ipv6"]["scope"], "global");
        assert_eq!(f["all_ipv4_addresses"], json!(["192.0.2.2", "192.0.2.9"]));
        assert_eq!(
            f["all_ipv6_addresses"],
            json!(["fd00::2", "fe80::fc:ff:fe00:1"])
        );
        assert_eq!(
            f["locally_reachable_ips"],
            json!({"ipv4": ["127.0.0.0/8", "192.0.2.2"], "ipv6": []})
        );
    }

    #[test]
    fn no_ip_tool_no_facts() {
        assert!(network(&reply(&[])).expect("network").is_empty());
    }

    #[test]
    fn ethtool_features_and_timestamping() {
        let raw = reply(&[
            ("bins", "ethtool /usr/sbin/ethtool\n"),
            (
                "c ethtool_k eth0",
                "Features for eth0:\nrx-checksumming: on\ntx-checksumming: on\n\
\ttx-checksum-ipv4: off [fixed]\nscatter-gather: on\n\ttx-scatter-gather: on\n",
            ),
            ("rc ethtool_k eth0 0", ""),
            (
                "c ethtool_t eth0",
                "Time stamping parameters for eth0:\nCapabilities:\n\
\thardware-transmit     (SOF_TIMESTAMPING_TX_HARDWARE)\n\tsoftware-transmit     (SOF_TIMESTAMPING_TX_SOFTWARE)\n\
\thardware-receive      (SOF_TIMESTAMPING_RX_HARDWARE)\nPTP Hardware Clock: 0\n\
Hardware Transmit Timestamp Modes:\n\toff                   (HWTSTAMP_TX_OFF)\n\
Hardware Receive Filter Modes:\n\tnone                  (HWTSTAMP_FILTER_NONE)\n\tall                   (HWTSTAMP_FILTER_ALL)\n",
            ),
            ("rc ethtool_t eth0 0", ""),
        ]);
        let d = ethtool(&raw, "eth0").expect("ethtool");
        assert_eq!(
            d["features"],
            json!({"rx_checksumming": "on", "tx_checksumming": "on",
                   "tx_checksum_ipv4": "off [fixed]", "scatter_gather": "on",
                   "tx_scatter_gather": "on"})
        );
        assert_eq!(
            d["timestamping"],
            json!(["tx_hardware", "tx_software", "rx_hardware"])
        );
        assert_eq!(d["hw_timestamp_filters"], json!(["none", "all"]));
        assert_eq!(d["phc_index"], 0);

        // Newer ethtool prints "none" for a NIC without a clock; no ethtool at all: nothing.
        let raw = reply(&[
            ("bins", "ethtool /usr/sbin/ethtool\n"),
            ("c ethtool_t lo", "PTP Hardware Clock: none\n"),
            ("rc ethtool_t lo 0", ""),
        ]);
        let d = ethtool(&raw, "lo").expect("ethtool");
        assert!(d.get("phc_index").is_none());
        assert!(d.get("features").is_none());
        assert!(ethtool(&reply(&[]), "eth0").expect("ethtool").is_empty());
    }

    #[test]
    fn locally_reachable_addresses_from_the_local_tables() {
        let raw = reply(&[
            (
                "c local4",
                "local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1\n\
local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1\n\
broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1\n\
local 10.0.0.5 dev eth0 proto kernel scope host src 10.0.0.5\n",
            ),
            ("rc local4 0", ""),
            (
                "c local6",
                "local ::1 dev lo proto kernel metric 0 pref medium\n\
local fe80::1 dev eth0 proto kernel metric 0 pref medium\n\
multicast ff00::/8 dev eth0 proto kernel metric 256 pref medium\n",
            ),
            ("rc local6 0", ""),
        ]);
        assert_eq!(
            locally_reachable(&raw),
            json!({"ipv4": ["127.0.0.0/8", "127.0.0.1", "10.0.0.5"], "ipv6": ["::1", "fe80::1"]})
        );
    }
}
