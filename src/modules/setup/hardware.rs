// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `hardware` collector for Linux: processors, memory, DMI, block
//! devices, uptime, LVM and mounts, with Ansible's quirks kept where they
//! decide values (the socket/core bookkeeping of /proc/cpuinfo, sector
//! sizes that fall back to the integer 512, ",bind" on every bind mount).

use super::raw::{Raw, py_split, py_strip};
use super::text::bytes_to_human;
use indexmap::IndexMap;
use regex::Regex;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

type Facts = Map<String, Json>;

/// Python's `round()` of a float: halves go to the even neighbour.
fn py_round(x: f64) -> i64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && (r as i64) % 2 != 0 {
        (r - x.signum()) as i64
    } else {
        r as i64
    }
}

fn int(s: &str) -> Result<i64, String> {
    py_strip(s)
        .parse::<i64>()
        .map_err(|_| format!("ValueError: invalid literal for int() with base 10: '{s}'"))
}

/// A `sockets`/`cores` key: Ansible starts with the integer 0 and then uses
/// the strings it reads, so `0` and `"0"` are different keys.
fn key(initial: bool, v: &str) -> String {
    if initial {
        "\u{0}int0".into()
    } else {
        v.to_string()
    }
}

pub fn cpu(raw: &Raw, architecture: &str) -> Result<Facts, String> {
    let mut f = Facts::new();
    let xen = raw.exists("/proc/xen")
        || raw
            .lines("/sys/hypervisor/type")
            .first()
            .is_some_and(|l| py_strip(l) == "xen");
    if raw.file_raw("/proc/cpuinfo").is_none() {
        return Ok(f);
    }
    let mut processor: Vec<Json> = Vec::new();
    let mut flags: Option<Vec<Json>> = None;
    let (mut i, mut vendor_occ, mut model_occ, mut proc_occ) = (0i64, 0, 0, 0i64);
    let (mut physid, mut physid_init) = (String::new(), true);
    let (mut coreid, mut coreid_init) = (String::new(), true);
    let mut sockets: IndexMap<String, i64> = IndexMap::new();
    let mut cores: IndexMap<String, i64> = IndexMap::new();
    let (mut zp, mut zmt) = (0i64, 0i64);
    let mut xen_paravirt = false;
    for line in raw.lines("/proc/cpuinfo") {
        let (k, v) = match line.split_once(':') {
            Some((k, v)) => (py_strip(k), py_strip(v)),
            None => (py_strip(line), ""),
        };
        if xen && k == "flags" && !v.contains("vme") {
            xen_paravirt = true;
        }
        if k == "flags" {
            flags = Some(py_split(v).map(|x| json!(x)).collect());
        }
        match k {
            "model name" | "Processor" | "vendor_id" | "cpu" | "Vendor" | "processor" => {
                processor.push(json!(v));
                match k {
                    "vendor_id" => vendor_occ += 1,
                    "model name" => model_occ += 1,
                    "processor" => proc_occ += 1,
                    _ => {}
                }
                i += 1;
            }
            "physical id" => {
                physid = v.to_string();
                physid_init = false;
                sockets.entry(physid.clone()).or_insert(1);
            }
            "core id" => {
                coreid = v.to_string();
                coreid_init = false;
                // Ansible checks `sockets` here, not `cores`.
                if !sockets.contains_key(&coreid) {
                    cores.insert(coreid.clone(), 1);
                }
            }
            "cpu cores" => {
                sockets.insert(key(physid_init, &physid), int(v)?);
            }
            "siblings" => {
                cores.insert(key(coreid_init, &coreid), int(v)?);
            }
            "# processors" => zp = int(v)?,
            "max thread id" => zmt = int(v)? + 1,
            "ncpus active" => i = int(v)?,
            _ => {}
        }
    }
    f.insert("processor".into(), Json::Array(processor));
    if let Some(fl) = flags {
        f.insert("flags".into(), Json::Array(fl));
    }
    if vendor_occ > 0 && vendor_occ == model_occ {
        i = vendor_occ;
    }
    if ["armv", "aarch", "ppc"]
        .iter()
        .any(|p| architecture.starts_with(p))
    {
        i = proc_occ;
    }
    let mut put = |k: &str, v: i64| {
        f.insert(k.into(), json!(v));
    };
    if architecture == "s390x" {
        put("processor_count", 1);
        if zmt == 0 {
            return Err("ZeroDivisionError: division by zero".into());
        }
        put("processor_cores", py_round(zp as f64 / zmt as f64));
        put("processor_threads_per_core", zmt);
        put("processor_vcpus", zp);
        put("processor_nproc", zp);
    } else if xen_paravirt {
        for k in [
            "processor_count",
            "processor_cores",
            "processor_vcpus",
            "processor_nproc",
        ] {
            put(k, i);
        }
        put("processor_threads_per_core", 1);
    } else {
        let count = if sockets.is_empty() {
            i
        } else {
            sockets.len() as i64
        };
        let cores_per = match sockets.values().next() {
            Some(&c) if c != 0 => c,
            _ => 1,
        };
        let tpc = match cores.values().next() {
            Some(&c) => py_round(c as f64 / cores_per as f64),
            None => py_round(1.0 / cores_per as f64),
        };
        put("processor_count", count);
        put("processor_cores", cores_per);
        put("processor_threads_per_core", tpc);
        put("processor_vcpus", tpc * count * cores_per);
        put("processor_nproc", proc_occ);
    }
    // len(os.sched_getaffinity(0)), which `nproc` prints.
    if let Some(n) = raw
        .ok("nproc")
        .and_then(|o| py_strip(o).parse::<i64>().ok())
    {
        f.insert("processor_nproc".into(), json!(n));
    }
    Ok(f)
}

const MEMORY_TOP: &[&str] = &["MemTotal", "SwapTotal", "MemFree", "SwapFree"];
const MEMORY_ALL: &[&str] = &[
    "MemTotal",
    "SwapTotal",
    "MemFree",
    "SwapFree",
    "Buffers",
    "Cached",
    "SwapCached",
];

pub fn memory(raw: &Raw) -> Result<Facts, String> {
    let mut f = Facts::new();
    if raw.file_raw("/proc/meminfo").is_none() {
        return Ok(f);
    }
    let mut stats: BTreeMap<String, i64> = BTreeMap::new();
    for line in raw.lines("/proc/meminfo") {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let val = || -> Result<i64, String> {
            let first = py_strip(v).split(' ').next().unwrap_or("");
            Ok(int(first)?.div_euclid(1024))
        };
        if MEMORY_TOP.contains(&k) {
            f.insert(format!("{}_mb", k.to_lowercase()), json!(val()?));
        }
        if MEMORY_ALL.contains(&k) {
            stats.insert(k.to_lowercase(), val()?);
        }
    }
    let g = |k: &str| stats.get(k).copied();
    let real_used = g("memtotal").zip(g("memfree")).map(|(t, f)| t - f);
    let nocache_free = match (g("cached"), g("memfree"), g("buffers")) {
        (Some(c), Some(m), Some(b)) => Some(c + m + b),
        _ => None,
    };
    let nocache_used = g("memtotal").zip(nocache_free).map(|(t, f)| t - f);
    let swap_used = g("swaptotal").zip(g("swapfree")).map(|(t, f)| t - f);
    f.insert(
        "memory_mb".into(),
        json!({
            "real": {"total": g("memtotal"), "used": real_used, "free": g("memfree")},
            "nocache": {"free": nocache_free, "used": nocache_used},
            "swap": {"total": g("swaptotal"), "free": g("swapfree"), "used": swap_used,
                     "cached": g("swapcached")},
        }),
    );
    Ok(f)
}

const FORM_FACTOR: &[&str] = &[
    "Unknown",
    "Other",
    "Unknown",
    "Desktop",
    "Low Profile Desktop",
    "Pizza Box",
    "Mini Tower",
    "Tower",
    "Portable",
    "Laptop",
    "Notebook",
    "Hand Held",
    "Docking Station",
    "All In One",
    "Sub Notebook",
    "Space-saving",
    "Lunch Box",
    "Main Server Chassis",
    "Expansion Chassis",
    "Sub Chassis",
    "Bus Expansion Chassis",
    "Peripheral Chassis",
    "RAID Chassis",
    "Rack Mount Chassis",
    "Sealed-case PC",
    "Multi-system",
    "CompactPCI",
    "AdvancedTCA",
    "Blade",
    "Blade Enclosure",
    "Tablet",
    "Convertible",
    "Detachable",
    "IoT Gateway",
    "Embedded PC",
    "Mini PC",
    "Stick PC",
];

/// (fact, sysfs file, dmidecode keyword)
const DMI: &[(&str, &str, &str)] = &[
    ("bios_date", "bios_date", "bios-release-date"),
    ("bios_vendor", "bios_vendor", "bios-vendor"),
    ("bios_version", "bios_version", "bios-version"),
    ("board_asset_tag", "board_asset_tag", "baseboard-asset-tag"),
    ("board_name", "board_name", "baseboard-product-name"),
    ("board_serial", "board_serial", "baseboard-serial-number"),
    ("board_vendor", "board_vendor", "baseboard-manufacturer"),
    ("board_version", "board_version", "baseboard-version"),
    (
        "chassis_asset_tag",
        "chassis_asset_tag",
        "chassis-asset-tag",
    ),
    ("chassis_serial", "chassis_serial", "chassis-serial-number"),
    ("chassis_vendor", "chassis_vendor", "chassis-manufacturer"),
    ("chassis_version", "chassis_version", "chassis-version"),
    ("form_factor", "chassis_type", "chassis-type"),
    ("product_name", "product_name", "system-product-name"),
    ("product_serial", "product_serial", "system-serial-number"),
    ("product_uuid", "product_uuid", "system-uuid"),
    ("product_version", "product_version", "system-version"),
    ("system_vendor", "sys_vendor", "system-manufacturer"),
];

pub fn dmi(raw: &Raw) -> Result<Facts, String> {
    let mut f = Facts::new();
    let dir = "/sys/devices/virtual/dmi/id";
    if raw.exists(&format!("{dir}/product_name")) {
        for (fact, file, _) in DMI {
            let v = match raw.file(&format!("{dir}/{file}")) {
                None => "NA".to_string(),
                Some(data) if *fact == "form_factor" => {
                    let n = int(data)?;
                    let idx = if n < 0 {
                        FORM_FACTOR.len() as i64 + n
                    } else {
                        n
                    };
                    usize::try_from(idx)
                        .ok()
                        .and_then(|i| FORM_FACTOR.get(i))
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| format!("unknown ({data})"))
                }
                Some(data) => data.to_string(),
            };
            f.insert(fact.to_string(), json!(v));
        }
    } else if raw.bin("dmidecode").is_none() {
        for (fact, _, _) in DMI {
            f.insert(fact.to_string(), json!("NA"));
        }
    } else {
        for (fact, _, kw) in DMI {
            let v = match raw.ok(&format!("dmi_{kw}")) {
                Some(out) => out
                    .lines()
                    .filter(|l| !l.starts_with('#'))
                    .collect::<String>(),
                None => "NA".into(),
            };
            f.insert(fact.to_string(), json!(v));
        }
    }
    Ok(f)
}

/// s390 /proc/sysinfo, read with Ansible's pattern. Its `^` binds only the
/// first alternative and `$` only the last, and `0+(.+)` keeps one digit of
/// an all-zero sequence code: kept, as they decide the values.
pub fn sysinfo(raw: &Raw) -> Result<Facts, String> {
    let mut f = Facts::new();
    if !raw.exists("/proc/sysinfo") {
        return Ok(f);
    }
    let keys = [
        "system_vendor",
        "product_version",
        "product_serial",
        "product_name",
        "product_uuid",
    ];
    for k in keys {
        f.insert(k.into(), json!("NA"));
    }
    // An empty file reads as None, which Ansible's finditer() rejects.
    let data = raw
        .file("/proc/sysinfo")
        .ok_or("TypeError: expected string or bytes-like object, got 'NoneType'")?;
    let re = Regex::new(
        r"(?m)^(?:Manufacturer:\s+(?P<system_vendor>.+))|(?:Type:\s+(?P<product_name>.+))|(?:Sequence Code:\s+0+(?P<product_serial>.+))$",
    )
    .map_err(|e| e.to_string())?;
    for caps in re.captures_iter(data) {
        for k in keys {
            if let Some(m) = caps.name(k) {
                f.insert(k.into(), json!(m.as_str()));
            }
        }
    }
    Ok(f)
}

/// `name -> [entries]` of a /dev/disk/by-* directory, by target basename.
fn device_links(raw: &Raw, dir: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if !raw.exists(dir) {
        return out;
    }
    for (name, target) in raw.links(dir).unwrap_or(&[]) {
        let base = target.rsplit('/').next().unwrap_or(target).to_string();
        out.entry(base).or_default().push(name.clone());
    }
    for v in out.values_mut() {
        v.sort_unstable();
        v.dedup();
    }
    out
}

fn links_json(m: &BTreeMap<String, Vec<String>>) -> Json {
    Json::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

/// Resolves `..` and `.` of a path joined from a link directory and target.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn holders(raw: &Raw, dir: &str) -> Json {
    let mut out = Vec::new();
    for folder in raw.list(&format!("{dir}/holders")).unwrap_or(&[]) {
        if !folder.starts_with("dm-") {
            continue;
        }
        let name = raw.file(&format!("{dir}/holders/{folder}/dm/name"));
        out.push(json!(name.unwrap_or(folder)));
    }
    Json::Array(out)
}

/// A value as Ansible has it: the file's content, else the fallback file,
/// else the integer 512.
fn sector_size(raw: &Raw, dir: &str) -> Json {
    raw.file(&format!("{dir}/queue/logical_block_size"))
        .or_else(|| raw.file(&format!("{dir}/queue/hw_sector_size")))
        .map(|s| json!(s))
        .unwrap_or(json!(512))
}

fn json_int(v: &Json) -> Result<i64, String> {
    match v {
        Json::Number(n) => n.as_i64().ok_or_else(|| "bad number".to_string()),
        Json::String(s) => int(s),
        _ => Err("TypeError: int() argument".into()),
    }
}

pub fn devices(raw: &Raw) -> Result<Facts, String> {
    let mut f = Facts::new();
    f.insert("devices".into(), json!({}));
    // The probe lists /sys/block even where it is missing (a chroot); its
    // file test tells whether Ansible's listdir() would have failed.
    let unlisted = raw.any_tested(|p, flags| p == "/sys/block" && !flags.contains('d'));
    let Some(blocks) = raw.list("/sys/block").filter(|_| !unlisted) else {
        return Ok(f);
    };
    let pcidata = raw.ok("lspci").filter(|_| raw.bin("lspci").is_some());
    let by_id = raw.links("/dev/disk/by-id").unwrap_or(&[]);
    let wwn: BTreeMap<String, String> = by_id
        .iter()
        .filter_map(|(name, target)| {
            let w = name.strip_prefix("wwn-")?;
            Some((target.rsplit('/').next()?.to_string(), w.to_string()))
        })
        .collect();
    let mut masters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in raw.section("masters").unwrap_or("").lines() {
        let el: Vec<&str> = p.split('/').collect();
        if let (Some(dev), Some(target)) = (el.get(3), el.get(5)) {
            masters
                .entry(target.to_string())
                .or_default()
                .push(dev.to_string());
        }
    }
    for v in masters.values_mut() {
        v.sort_unstable();
        v.dedup();
    }
    let kinds = [
        ("ids", device_links(raw, "/dev/disk/by-id")),
        ("uuids", device_links(raw, "/dev/disk/by-uuid")),
        ("labels", device_links(raw, "/dev/disk/by-label")),
        ("masters", masters),
    ];
    let mut all_links = Map::new();
    for (k, m) in &kinds {
        all_links.insert(k.to_string(), links_json(m));
    }
    f.insert("device_links".into(), Json::Object(all_links));
    let link_of = |name: &str| -> Json {
        let mut m = Map::new();
        for (k, links) in &kinds {
            m.insert(
                k.to_string(),
                json!(links.get(name).cloned().unwrap_or_default()),
            );
        }
        Json::Object(m)
    };
    let uuid_links: Vec<(String, String)> = raw
        .links("/dev/disk/by-uuid")
        .unwrap_or(&[])
        .iter()
        .map(|(n, t)| {
            let full = if t.starts_with('/') {
                t.clone()
            } else {
                format!("/dev/disk/by-uuid/{t}")
            };
            (n.clone(), normalize(&full))
        })
        .collect();
    let block_links: BTreeMap<&str, &str> = raw
        .links("/sys/block")
        .unwrap_or(&[])
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let host_re = Regex::new(r"^.+/([a-f0-9]{4}:[a-f0-9]{2}:[0|1][a-f0-9]\.[0-7])/").ok();
    let sched_re = Regex::new(r"^.*?(\[(.*)\])").ok();
    let serial_re = Regex::new(r"(?:Unit serial|Serial) number:\s+(\w+)").ok();
    let mut devices = Map::new();
    for block in blocks {
        let dir = format!("/sys/block/{block}");
        let (sysdir, no_links) = match block_links.get(block.as_str()) {
            Some(target) => (format!("/sys/block/{target}"), false),
            None => (dir.clone(), true),
        };
        let mut virtual_ = 1;
        if no_links
            && raw
                .list(&dir)
                .unwrap_or(&[])
                .iter()
                .any(|e| e.contains("device"))
        {
            virtual_ = 0;
        }
        let diskname = sysdir.rsplit('/').next().unwrap_or(block).to_string();
        let mut d = Map::new();
        d.insert("virtual".into(), json!(virtual_));
        d.insert("links".into(), link_of(block));
        for k in ["vendor", "model", "sas_address", "sas_device_handle"] {
            d.insert(k.into(), json!(raw.file(&format!("{dir}/device/{k}"))));
        }
        if raw.bin("sg_inq").is_some() {
            let serial = raw
                .ok(&format!("sg_inq {block}"))
                .and_then(|o| serial_re.as_ref()?.captures(o)?.get(1))
                .map(|m| m.as_str().to_string());
            if let Some(s) = serial {
                d.insert("serial".into(), json!(s));
            }
        } else if let Some(s) = raw.file(&format!("{dir}/device/serial")) {
            d.insert("serial".into(), json!(s));
        }
        d.insert(
            "removable".into(),
            json!(raw.file(&format!("{dir}/removable"))),
        );
        let discard = if raw.file(&format!("{dir}/queue/discard_max_hw_bytes")) == Some("0") {
            json!("0")
        } else {
            json!(raw.file(&format!("{dir}/queue/discard_granularity")))
        };
        d.insert("support_discard".into(), discard);
        if let Some(w) = wwn.get(&diskname) {
            d.insert("wwn".into(), json!(w));
        }
        let part_re = Regex::new(&format!(r"({}[p]?\d+)", regex::escape(&diskname))).ok();
        let mut parts = Map::new();
        for folder in raw.list(&dir).unwrap_or(&[]) {
            let Some(partname) = part_re
                .as_ref()
                .and_then(|r| r.captures(folder))
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string())
            else {
                continue;
            };
            let pdir = format!("{dir}/{partname}");
            let mut part = Map::new();
            part.insert("links".into(), link_of(&partname));
            part.insert(
                "start".into(),
                raw.file(&format!("{pdir}/start"))
                    .map(|s| json!(s))
                    .unwrap_or(json!(0)),
            );
            let ss = sector_size(raw, &pdir);
            let size = raw
                .file(&format!("{pdir}/size"))
                .map(int)
                .transpose()?
                .unwrap_or(0);
            let sectors = (size * 512).div_euclid(json_int(&ss)?);
            part.insert("sectorsize".into(), ss.clone());
            part.insert("sectors".into(), json!(sectors));
            part.insert(
                "size".into(),
                json!(bytes_to_human(sectors as f64 * json_int(&ss)? as f64)),
            );
            let uuid = uuid_links
                .iter()
                .find(|(_, real)| *real == format!("/dev/{partname}"))
                .map(|(u, _)| u.clone());
            part.insert("uuid".into(), json!(uuid));
            part.insert("holders".into(), holders(raw, &pdir));
            parts.insert(partname, Json::Object(part));
        }
        d.insert("partitions".into(), Json::Object(parts));
        d.insert(
            "rotational".into(),
            json!(raw.file(&format!("{dir}/queue/rotational"))),
        );
        let sched = raw
            .file(&format!("{dir}/queue/scheduler"))
            .and_then(|s| sched_re.as_ref()?.captures(s)?.get(2))
            .map(|m| m.as_str().to_string())
            .unwrap_or_default();
        d.insert("scheduler_mode".into(), json!(sched));
        let ss = sector_size(raw, &dir);
        let size = int(raw
            .file(&format!("{dir}/size"))
            .ok_or("TypeError: int() argument must be a string, not 'NoneType'")?)?;
        let sectors = (size * 512).div_euclid(json_int(&ss)?);
        d.insert("sectorsize".into(), ss.clone());
        d.insert("sectors".into(), json!(sectors));
        d.insert(
            "size".into(),
            json!(bytes_to_human(sectors as f64 * json_int(&ss)? as f64)),
        );
        let mut host = String::new();
        if let (Some(re), Some(pci)) = (&host_re, pcidata)
            && let Some(id) = re.captures(&sysdir).and_then(|c| c.get(1))
        {
            let line_re = Regex::new(&format!(r"(?m)^{}\s(.*)$", regex::escape(id.as_str()))).ok();
            if let Some(m) =
                line_re.and_then(|r| r.captures(pci)?.get(1).map(|m| m.as_str().to_string()))
            {
                host = m;
            }
        }
        d.insert("host".into(), json!(host));
        d.insert("holders".into(), holders(raw, &dir));
        devices.insert(diskname, Json::Object(d));
    }
    f.insert("devices".into(), Json::Object(devices));
    Ok(f)
}

pub fn uptime(raw: &Raw) -> Facts {
    let mut f = Facts::new();
    if let Some(secs) = raw
        .file("/proc/uptime")
        .and_then(|t| t.split(' ').next())
        .and_then(|s| s.parse::<f64>().ok())
    {
        f.insert("uptime_seconds".into(), json!(secs.trunc() as i64));
    }
    f
}

pub fn lvm(raw: &Raw, uid: u32) -> Facts {
    let mut f = Facts::new();
    if raw.bin("vgs").is_none() || uid != 0 {
        f.insert("lvm".into(), json!("N/A"));
        return f;
    }
    let rows = |name: &str| -> Vec<Vec<String>> {
        raw.cmd(name)
            .map(|c| {
                c.out
                    .lines()
                    .map(|l| py_strip(l).split(',').map(str::to_string).collect())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut vgs = Map::new();
    for items in rows("vgs") {
        if items.len() < 3 {
            continue;
        }
        let n = items.len();
        vgs.insert(
            items[0].clone(),
            json!({"size_g": items[n - 2], "free_g": items[n - 1], "num_lvs": items[2],
                   "num_pvs": items[1], "lvs": {}}),
        );
    }
    let mut lvs = Map::new();
    if raw.bin("lvs").is_some() {
        for items in rows("lvs") {
            if items.len() < 4 {
                continue;
            }
            lvs.insert(
                items[0].clone(),
                json!({"size_g": items[3], "vg": items[1]}),
            );
            if let Some(Json::Object(vg)) = vgs.get_mut(&items[1])
                && let Some(Json::Object(l)) = vg.get_mut("lvs")
            {
                l.insert(items[0].clone(), json!({"size_g": items[3]}));
            }
        }
    }
    let mut pvs = Map::new();
    if raw.bin("pvs").is_some() {
        for items in rows("pvs") {
            if items.len() < 6 {
                continue;
            }
            let dev = if items[0].starts_with("/dev/dm-") {
                match raw.ok(&format!("dm {}", items[0])) {
                    Some(name) => format!("/dev/mapper/{}", name.trim_end()),
                    None => items[0].clone(),
                }
            } else {
                items[0].clone()
            };
            pvs.insert(
                dev,
                json!({"size_g": items[4], "free_g": items[5], "vg": items[1]}),
            );
        }
    }
    f.insert("lvm".into(), json!({"lvs": lvs, "vgs": vgs, "pvs": pvs}));
    f
}

/// `\NNN` octal escapes of /proc/mounts fields. Ansible's pattern takes any
/// three digits, so an 8 or 9 among them fails its octal conversion.
fn unescape_octal(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            if b[i + 1..i + 4].iter().any(|c| *c > b'7') {
                return Err(format!(
                    "ValueError: invalid literal for int() with base 8: '{}'",
                    &s[i + 1..i + 4]
                ));
            }
            let n = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            if let Some(c) = char::from_u32(n) {
                out.push(c);
                i += 4;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(ch);
        i += ch.len_utf8();
    }
    Ok(out)
}

pub fn mounts(raw: &Raw) -> Result<Facts, String> {
    let mut f = Facts::new();
    let mut binds = std::collections::BTreeSet::new();
    if raw.bin("findmnt").is_some()
        && let Some(out) = raw.ok("findmnt")
    {
        for line in out.lines() {
            let fields: Vec<&str> = py_split(line).collect();
            if fields.len() >= 2 && fields[1].contains(']') {
                binds.insert(fields[0].to_string());
            }
        }
    }
    let mut uuids: BTreeMap<String, String> = BTreeMap::new();
    if raw.bin("lsblk").is_some()
        && let Some(out) = raw.ok("lsblk")
    {
        for line in out.lines().filter(|l| !l.is_empty()) {
            let line = py_strip(line);
            if let Some((dev, uuid)) = line.rsplit_once(py_space_char) {
                let (dev, uuid) = (py_strip(dev), py_strip(uuid));
                if !dev.is_empty() {
                    uuids
                        .entry(dev.to_string())
                        .or_insert_with(|| uuid.to_string());
                }
            }
        }
    }
    let sizes: BTreeMap<usize, Vec<i64>> = raw
        .section("mountsizes")
        .unwrap_or("")
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let idx = it.next()?.parse().ok()?;
            let vals: Vec<i64> = it.filter_map(|v| v.parse().ok()).collect();
            Some((idx, vals))
        })
        .collect();
    let mut results: IndexMap<String, Map<String, Json>> = IndexMap::new();
    let mtab = raw.section("mtab").unwrap_or("");
    for (n, line) in mtab.split('\n').enumerate() {
        let raw_fields: Vec<&str> = py_split(line).collect();
        if raw_fields.len() < 4 {
            continue;
        }
        let fields = raw_fields
            .iter()
            .map(|s| unescape_octal(s))
            .collect::<Result<Vec<String>, String>>()?;
        let (device, mount, fstype, options) = (&fields[0], &fields[1], &fields[2], &fields[3]);
        let dump = int(fields.get(4).ok_or("IndexError: list index out of range")?)?;
        let passno = int(fields.get(5).ok_or("IndexError: list index out of range")?)?;
        let real_dev = device.starts_with('/') || device.starts_with('\\') || device.contains(":/");
        if !real_dev || fstype == "none" {
            continue;
        }
        let mut opts = options.clone();
        if binds.contains(mount) {
            // Ansible's "already tagged" test wants a `"` after "bind".
            let tagged = opts.find("bind").is_some_and(|i| opts[i..].contains('"'));
            if !tagged {
                opts.push_str(",bind");
            }
        }
        let mut info = Map::new();
        info.insert("mount".into(), json!(mount));
        info.insert("device".into(), json!(device));
        info.insert("fstype".into(), json!(fstype));
        info.insert("options".into(), json!(opts));
        info.insert("dump".into(), json!(dump));
        info.insert("passno".into(), json!(passno));
        if let Some([frsize, bsize, blocks, bavail, files, favail]) =
            sizes.get(&(n + 1)).map(Vec::as_slice)
        {
            info.insert("size_total".into(), json!(frsize * blocks));
            info.insert("size_available".into(), json!(frsize * bavail));
            info.insert("block_size".into(), json!(bsize));
            info.insert("block_total".into(), json!(blocks));
            info.insert("block_available".into(), json!(bavail));
            info.insert("block_used".into(), json!(blocks - bavail));
            info.insert("inode_total".into(), json!(files));
            info.insert("inode_available".into(), json!(favail));
            info.insert("inode_used".into(), json!(files - favail));
        }
        let uuid = match uuids.get(device.as_str()) {
            Some(u) => u.clone(),
            None => udevadm_uuid(raw, raw_fields[0]),
        };
        let uuid = if uuid.is_empty() { "N/A".into() } else { uuid };
        info.insert("uuid".into(), json!(uuid));
        results.insert(mount.clone(), info);
    }
    f.insert(
        "mounts".into(),
        Json::Array(results.into_values().map(Json::Object).collect()),
    );
    Ok(f)
}

fn py_space_char(c: char) -> bool {
    super::raw::py_space(c)
}

fn udevadm_uuid(raw: &Raw, device: &str) -> String {
    if raw.bin("udevadm").is_none() {
        return "N/A".into();
    }
    let Some(out) = raw.ok(&format!("udevadm {device}")) else {
        return "N/A".into();
    };
    // Ansible's `re.search('ID_FS_UUID=(.*)\n', out)`: the first occurrence,
    // anywhere in a line, up to the end of that line, which must end in a
    // newline.
    const KEY: &str = "ID_FS_UUID=";
    out.find(KEY)
        .map(|i| &out[i + KEY.len()..])
        .and_then(|rest| rest.find('\n').map(|j| rest[..j].to_string()))
        .unwrap_or_else(|| "N/A".into())
}

/// The whole collector, in Ansible's order.
pub fn hardware(raw: &Raw, architecture: &str, uid: u32) -> Result<Facts, String> {
    let mut f = Facts::new();
    f.extend(cpu(raw, architecture)?);
    f.extend(memory(raw)?);
    f.extend(dmi(raw)?);
    f.extend(sysinfo(raw)?);
    f.extend(devices(raw)?);
    f.extend(uptime(raw));
    f.extend(lvm(raw, uid));
    f.extend(mounts(raw)?);
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

    const CPUINFO_2: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\n\
physical id\t: 0\nsiblings\t: 4\ncore id\t\t: 0\ncpu cores\t: 2\nflags\t\t: fpu vme sse\n\n\
processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nphysical id\t: 0\nsiblings\t: 4\n\
core id\t\t: 1\ncpu cores\t: 2\nflags\t\t: fpu vme sse\n";

    #[test]
    fn cpuinfo_counts() {
        let raw = reply(&[
            ("f /proc/cpuinfo", CPUINFO_2),
            ("c nproc", "2\n"),
            ("rc nproc 0", ""),
        ]);
        let f = cpu(&raw, "x86_64").expect("cpu");
        assert_eq!(
            f["processor"],
            json!(["0", "GenuineIntel", "Xeon", "1", "GenuineIntel", "Xeon"])
        );
        assert_eq!(f["processor_count"], 1);
        assert_eq!(f["processor_cores"], 2);
        assert_eq!(f["processor_threads_per_core"], 2);
        assert_eq!(f["processor_vcpus"], 4);
        assert_eq!(f["processor_nproc"], 2);
        assert_eq!(f["flags"], json!(["fpu", "vme", "sse"]));
    }

    #[test]
    fn cpuinfo_without_topology() {
        // No physical id / core id (VMs): count the vendor ids.
        let info = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n\n\
processor\t: 1\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n";
        let f = cpu(&reply(&[("f /proc/cpuinfo", info)]), "x86_64").expect("cpu");
        assert_eq!(f["processor_count"], 2);
        assert_eq!(f["processor_cores"], 1);
        assert_eq!(f["processor_threads_per_core"], 1);
        assert_eq!(f["processor_vcpus"], 2);
        assert_eq!(f["processor_nproc"], 2);
    }

    #[test]
    fn meminfo() {
        let info = "MemTotal:       24683520 kB\nMemFree:        17466624 kB\nBuffers:         10240 kB\n\
Cached:          5000000 kB\nSwapCached:            0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n";
        let f = memory(&reply(&[("f /proc/meminfo", info)])).expect("mem");
        assert_eq!(f["memtotal_mb"], 24105);
        assert_eq!(f["memfree_mb"], 17057);
        assert_eq!(f["memory_mb"]["real"]["used"], 24105 - 17057);
        assert_eq!(f["memory_mb"]["nocache"]["free"], 4882 + 17057 + 10);
        assert_eq!(f["memory_mb"]["swap"]["cached"], 0);
    }

    #[test]
    fn block_device_with_partition() {
        let raw = reply(&[
            ("l /sys/block", "sda\n"),
            (
                "k /sys/block",
                "lrwxrwxrwx 1 root root 0 Jan 1 00:00 sda -> ../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda\n",
            ),
            ("t", "ed /dev/disk/by-uuid\n"),
            (
                "k /dev/disk/by-uuid",
                "lrwxrwxrwx 1 root root 10 Jan 1 00:00 1234-abcd -> ../../sda1\n",
            ),
            ("l /sys/block/sda", "device\nsda1\nqueue\nsize\n"),
            ("f /sys/block/sda/device/model", "Samsung SSD\n"),
            ("f /sys/block/sda/removable", "0\n"),
            (
                "f /sys/block/sda/queue/discard_max_hw_bytes",
                "2147450880\n",
            ),
            ("f /sys/block/sda/queue/discard_granularity", "512\n"),
            ("f /sys/block/sda/queue/rotational", "0\n"),
            ("f /sys/block/sda/queue/scheduler", "none [mq-deadline]\n"),
            ("f /sys/block/sda/queue/logical_block_size", "512\n"),
            ("f /sys/block/sda/size", "1000215216\n"),
            ("f /sys/block/sda/sda1/start", "2048\n"),
            ("f /sys/block/sda/sda1/size", "1048576\n"),
            ("bins", "lspci /usr/bin/lspci\n"),
            ("c lspci", "0000:00:1f.2 SATA controller: Intel\n"),
            ("rc lspci 0", ""),
        ]);
        let f = devices(&raw).expect("devices");
        let sda = &f["devices"]["sda"];
        assert_eq!(sda["model"], "Samsung SSD");
        assert_eq!(sda["vendor"], Json::Null);
        assert_eq!(sda["support_discard"], "512");
        assert_eq!(sda["scheduler_mode"], "mq-deadline");
        assert_eq!(sda["sectors"], 1000215216);
        assert_eq!(sda["size"], "476.94 GB");
        assert_eq!(sda["host"], "SATA controller: Intel");
        let p = &sda["partitions"]["sda1"];
        assert_eq!(p["start"], "2048");
        assert_eq!(p["sectorsize"], 512);
        assert_eq!(p["size"], "512.00 MB");
        assert_eq!(p["uuid"], "1234-abcd");
        assert_eq!(p["links"]["uuids"], json!(["1234-abcd"]));
        assert_eq!(f["device_links"]["uuids"], json!({"sda1": ["1234-abcd"]}));
    }

    #[test]
    fn mount_entries() {
        let raw = reply(&[
            (
                "mtab",
                "proc /proc proc rw 0 0\n/dev/vda / ext4 rw,relatime 0 0\n/dev/vda /srv\\040data ext4 rw 0 0\n",
            ),
            ("mountsizes", "2 4096 4096 100 40 50 20\n3\n"),
            ("bins", "findmnt /usr/bin/findmnt\n"),
            (
                "c findmnt",
                "/ /dev/vda ext4 rw\n/srv\\x20data /dev/vda[/data] ext4 rw\n",
            ),
            ("rc findmnt 0", ""),
        ]);
        let f = mounts(&raw).expect("mounts");
        let m = f["mounts"].as_array().cloned().unwrap_or_default();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0]["mount"], "/");
        assert_eq!(m[0]["size_total"], 409600);
        assert_eq!(m[0]["block_used"], 60);
        assert_eq!(m[0]["inode_used"], 30);
        assert_eq!(m[0]["uuid"], "N/A");
        assert_eq!(m[1]["mount"], "/srv data");
        assert!(m[1].get("size_total").is_none());
    }

    #[test]
    fn python_rounding() {
        assert_eq!(py_round(0.5), 0);
        assert_eq!(py_round(1.5), 2);
        assert_eq!(py_round(2.5), 2);
        assert_eq!(py_round(0.25), 0);
        assert_eq!(py_round(2.0), 2);
    }

    /// (count, cores, threads per core, vcpus, nproc) as Ansible computes them.
    fn topology(f: &Facts) -> [i64; 5] {
        [
            "processor_count",
            "processor_cores",
            "processor_threads_per_core",
            "processor_vcpus",
            "processor_nproc",
        ]
        .map(|k| f[k].as_i64().unwrap_or(-1))
    }

    #[test]
    fn cpuinfo_of_arm_counts_processor_lines() {
        // Graviton: no model name nor vendor, "Features" instead of "flags".
        let one = |n: usize| {
            format!(
                "processor\t: {n}\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd evtstrm aes\n\
CPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd0c\n\n"
            )
        };
        let info: String = (0..4).map(one).collect();
        let f = cpu(&reply(&[("f /proc/cpuinfo", &info)]), "aarch64").expect("cpu");
        assert_eq!(topology(&f), [4, 1, 1, 4, 4]);
        assert_eq!(f["processor"], json!(["0", "1", "2", "3"]));
        assert!(f.get("flags").is_none());

        // A Raspberry Pi lists model names too: still one CPU per "processor".
        let pi: String = (0..4)
            .map(|n| format!("processor\t: {n}\nmodel name\t: ARMv7 Processor rev 4 (v7l)\n\n"))
            .collect::<String>()
            + "Hardware\t: BCM2835\nModel\t\t: Raspberry Pi 3 Model B Rev 1.2\n";
        let f = cpu(&reply(&[("f /proc/cpuinfo", &pi)]), "armv7l").expect("cpu");
        assert_eq!(topology(&f), [4, 1, 1, 4, 4]);
        assert_eq!(f["processor"][1], "ARMv7 Processor rev 4 (v7l)");
    }

    #[test]
    fn cpuinfo_of_s390x_and_xen_paravirt() {
        let z = "vendor_id       : IBM/S390\n# processors    : 4\nbogomips per cpu: 3033.00\n\
max thread id   : 0\nfeatures\t: esan3 zarch stfle msa\n\
processor 0: version = FF,  identification = 0F6FA8,  machine = 3906\n";
        let f = cpu(&reply(&[("f /proc/cpuinfo", z)]), "s390x").expect("cpu");
        assert_eq!(topology(&f), [1, 4, 1, 4, 4]);
        assert_eq!(f["processor"], json!(["IBM/S390"]));
        // Ansible divides by zero when "max thread id" is missing.
        let broken = "vendor_id       : IBM/S390\n# processors    : 4\n";
        assert!(cpu(&reply(&[("f /proc/cpuinfo", broken)]), "s390x").is_err());

        // A Xen PV guest: no "vme" flag, every processor counts as a socket and a core.
        let pv: String = (0..2)
            .map(|n| {
                format!(
                    "processor\t: {n}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel Xeon\n\
physical id\t: 0\nsiblings\t: 2\ncore id\t\t: {n}\ncpu cores\t: 2\nflags\t\t: fpu de tsc msr pae\n\n"
                )
            })
            .collect();
        let f = cpu(
            &reply(&[("t", "ed /proc/xen\n"), ("f /proc/cpuinfo", &pv)]),
            "x86_64",
        )
        .expect("cpu");
        assert_eq!(topology(&f), [2, 2, 1, 2, 2]);
        // The same CPUs on HVM (with vme) use the topology lines instead.
        let hvm = pv.replace("fpu de", "fpu vme de");
        let f = cpu(
            &reply(&[("t", "ed /proc/xen\n"), ("f /proc/cpuinfo", &hvm)]),
            "x86_64",
        )
        .expect("cpu");
        assert_eq!(topology(&f), [1, 2, 1, 2, 2]);
    }

    #[test]
    fn dmi_from_sysfs_with_chassis_types() {
        let id = "/sys/devices/virtual/dmi/id";
        let with_chassis = |chassis: &str| {
            reply(&[
                ("t", &format!("ef {id}/product_name\n")),
                (&format!("f {id}/product_name"), "PowerEdge R650\n"),
                (&format!("f {id}/sys_vendor"), "Dell Inc.\n"),
                (&format!("f {id}/bios_version"), "1.13.2\n"),
                (&format!("f {id}/chassis_type"), chassis),
            ])
        };
        let f = dmi(&with_chassis("23\n")).expect("dmi");
        assert_eq!(f["form_factor"], "Rack Mount Chassis");
        assert_eq!(f["product_name"], "PowerEdge R650");
        assert_eq!(f["system_vendor"], "Dell Inc.");
        assert_eq!(f["bios_version"], "1.13.2");
        // Root-only files (serials, uuid) read as missing: "NA".
        assert_eq!(f["product_serial"], "NA");
        assert_eq!(f["product_uuid"], "NA");
        assert_eq!(f.len(), 18);
        assert_eq!(
            dmi(&with_chassis("1\n")).expect("dmi")["form_factor"],
            "Other"
        );
        assert_eq!(
            dmi(&with_chassis("10\n")).expect("dmi")["form_factor"],
            "Notebook"
        );
        // Past the end of Ansible's table.
        assert_eq!(
            dmi(&with_chassis("40\n")).expect("dmi")["form_factor"],
            "unknown (40)"
        );
        // Not a number: Ansible's int() raises.
        assert!(dmi(&with_chassis("rack\n")).is_err());
    }

    #[test]
    fn dmi_from_dmidecode_or_nothing() {
        let raw = reply(&[
            (
                "c dmi_system-product-name",
                "# SMBIOS implementations newer than version 3.2.0 are not\n# fully supported by this version of dmidecode.\nProLiant DL380 Gen10\n",
            ),
            ("rc dmi_system-product-name 0", ""),
            ("c dmi_system-uuid", "Permission denied\n"),
            ("rc dmi_system-uuid 1", ""),
            ("bins", "dmidecode /usr/sbin/dmidecode\n"),
        ]);
        let f = dmi(&raw).expect("dmi");
        assert_eq!(f["product_name"], "ProLiant DL380 Gen10");
        assert_eq!(f["product_uuid"], "NA");
        assert_eq!(f["bios_vendor"], "NA");
        assert_eq!(f.len(), 18);

        let f = dmi(&reply(&[])).expect("dmi");
        assert_eq!(f.len(), 18);
        assert!(f.values().all(|v| v == "NA"));
    }

    #[test]
    fn sysinfo_of_ibm_z() {
        let info = "Manufacturer:         IBM\nType:                 3906\nModel:                708              M03\n\
Sequence Code:        00000000000A1B2C\nPlant:                02\n";
        let f = sysinfo(&reply(&[
            ("t", "ef /proc/sysinfo\n"),
            ("f /proc/sysinfo", info),
        ]))
        .expect("sysinfo");
        assert_eq!(f["system_vendor"], "IBM");
        assert_eq!(f["product_name"], "3906");
        assert_eq!(f["product_serial"], "A1B2C");
        assert_eq!(f["product_version"], "NA");
        assert_eq!(f["product_uuid"], "NA");
        assert!(sysinfo(&reply(&[])).expect("sysinfo").is_empty());
    }
}
