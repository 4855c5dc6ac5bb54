// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The small collectors: platform, selinux, apparmor, chroot, fips, python,
//! caps, pkg_mgr, service_mgr, systemd, cmdline, date_time, env, loadavg,
//! ssh_pub_keys, user, dns, iscsi, nvme, fibre_channel_wwn, facter, ohai.
//! Each takes the script's raw reply (and the facts gathered before it, for
//! the collectors Ansible lets look at them) and returns Ansible's keys
//! without the `ansible_` prefix.

use super::raw::{Raw, py_split, py_splitlines, py_strip};
use super::text::shlex_split;
use serde_json::{Map, Value as Json, json};

pub type Facts = Map<String, Json>;

fn get<'a>(f: &'a Facts, k: &str) -> &'a str {
    f.get(k).and_then(Json::as_str).unwrap_or("")
}

/// What the Python probe reported (only when python3 exists on the host).
pub fn python_probe(raw: &Raw) -> Option<Facts> {
    let out = raw.ok("python")?;
    match serde_json::from_str(py_strip(out)) {
        Ok(Json::Object(m)) => Some(m),
        _ => None,
    }
}

/// `platform`.
pub fn platform(raw: &Raw) -> Facts {
    let mut f = Facts::new();
    let first = |path: &str, cmd: &str| -> String {
        raw.file(path)
            .or_else(|| raw.ok(cmd).map(py_strip))
            .unwrap_or("")
            .to_string()
    };
    let system = first("/proc/sys/kernel/ostype", "uname_s");
    let machine = raw.ok("uname_m").map(py_strip).unwrap_or("").to_string();
    let nodename = first("/proc/sys/kernel/hostname", "uname_n");
    f.insert("system".into(), json!(system));
    f.insert(
        "kernel".into(),
        json!(first("/proc/sys/kernel/osrelease", "uname_r")),
    );
    f.insert(
        "kernel_version".into(),
        json!(first("/proc/sys/kernel/version", "uname_v")),
    );
    f.insert("machine".into(), json!(machine));
    let probe = python_probe(raw);
    if let Some(v) = probe.as_ref().and_then(|p| p.get("python_version")) {
        f.insert("python_version".into(), v.clone());
    }
    let fqdn = fqdn(raw, &nodename);
    f.insert("fqdn".into(), json!(fqdn));
    f.insert(
        "hostname".into(),
        json!(nodename.split('.').next().unwrap_or("")),
    );
    f.insert("nodename".into(), json!(nodename));
    let domain: Vec<&str> = fqdn.split('.').skip(1).collect();
    f.insert("domain".into(), json!(domain.join(".")));
    let bits = probe
        .as_ref()
        .and_then(|p| p.get("bits"))
        .and_then(Json::as_str)
        .map(|b| b.replace("bit", ""))
        .or_else(|| raw.ok("long_bit").map(|o| py_strip(o).to_string()));
    if let Some(bits) = &bits {
        f.insert("userspace_bits".into(), json!(bits));
    }
    let i86 = {
        // Solaris-style `i86pc`/`i386`..`i686` machine names.
        let m = machine.as_str();
        m.find('i').is_some_and(|_| {
            m.match_indices('i').any(|(i, _)| {
                let rest = &m[i + 1..];
                rest.starts_with("86pc")
                    || ["386", "486", "586", "686"]
                        .iter()
                        .any(|a| rest.starts_with(a))
            })
        })
    };
    let user_arch = |f: &mut Facts| match bits.as_deref() {
        Some("64") => {
            f.insert("userspace_architecture".into(), json!("x86_64"));
        }
        Some("32") => {
            f.insert("userspace_architecture".into(), json!("i386"));
        }
        _ => {}
    };
    if machine == "x86_64" {
        f.insert("architecture".into(), json!(machine));
        user_arch(&mut f);
    } else if i86 {
        f.insert("architecture".into(), json!("i386"));
        user_arch(&mut f);
    } else {
        f.insert("architecture".into(), json!(machine));
    }
    let machine_id = raw
        .file("/var/lib/dbus/machine-id")
        .or_else(|| raw.file("/etc/machine-id"));
    if let Some(id) = machine_id.and_then(|t| py_splitlines(t).next()) {
        f.insert("machine_id".into(), json!(id));
    }
    f
}

/// `socket.getfqdn()`: the reverse lookup of the host name's first address;
/// the first of its names that has a dot, else its canonical name.
fn fqdn(raw: &Raw, nodename: &str) -> String {
    let Some(out) = raw.ok("fqdn_rev") else {
        return nodename.to_string();
    };
    let Some(line) = out.lines().next() else {
        return nodename.to_string();
    };
    let names: Vec<&str> = line.split_whitespace().skip(1).collect();
    match names.first() {
        None => nodename.to_string(),
        Some(canonical) => names
            .iter()
            .find(|n| n.contains('.'))
            .unwrap_or(canonical)
            .to_string(),
    }
}

/// `selinux`: libselinux is looked for where the dynamic linker keeps it
/// (Ansible loads it with ctypes), the state is read from selinuxfs and
/// /etc/selinux/config.
pub fn selinux(raw: &Raw) -> Facts {
    let mut f = Facts::new();
    let mut s = Map::new();
    if !raw.any_tested(|p, flags| p.ends_with("/libselinux.so.1") && flags.contains('e')) {
        s.insert("status".into(), json!("Missing selinux Python library"));
        f.insert("selinux".into(), Json::Object(s));
        f.insert("selinux_python_present".into(), json!(false));
        return f;
    }
    f.insert("selinux_python_present".into(), json!(true));
    if !raw.exists("/sys/fs/selinux/enforce") {
        s.insert("status".into(), json!("disabled"));
    } else {
        s.insert("status".into(), json!("enabled"));
        let policyvers = raw
            .file("/sys/fs/selinux/policyvers")
            .and_then(|v| v.parse::<i64>().ok())
            .map(Json::from)
            .unwrap_or_else(|| json!("unknown"));
        s.insert("policyvers".into(), policyvers);
        let config = raw.file("/etc/selinux/config").unwrap_or("");
        let setting = |key: &str| {
            py_splitlines(config)
                .map(py_strip)
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| py_strip(k) == key)
                .map(|(_, v)| py_strip(v).trim_matches('"').to_string())
        };
        let config_mode = match setting("SELINUX").as_deref() {
            Some("enforcing") => "enforcing",
            Some("permissive") => "permissive",
            Some("disabled") => "disabled",
            _ => "unknown",
        };
        s.insert("config_mode".into(), json!(config_mode));
        let mode = match raw.file("/sys/fs/selinux/enforce") {
            Some("1") => "enforcing",
            Some("0") => "permissive",
            _ => "unknown",
        };
        s.insert("mode".into(), json!(mode));
        s.insert(
            "type".into(),
            json!(setting("SELINUXTYPE").unwrap_or_else(|| "unknown".into())),
        );
    }
    f.insert("selinux".into(), Json::Object(s));
    f
}

pub fn apparmor(raw: &Raw) -> Facts {
    let status = if raw.exists("/sys/kernel/security/apparmor") {
        "enabled"
    } else {
        "disabled"
    };
    let mut f = Facts::new();
    f.insert("apparmor".into(), json!({ "status": status }));
    f
}

/// `chroot`: `/` against PID 1's root; when that cannot be read, against
/// the root inode number of the file system type.
pub fn chroot(raw: &Raw) -> Facts {
    let mut f = Facts::new();
    let from_env = raw.env_var("debian_chroot").is_some_and(|v| !v.is_empty());
    let is_chroot = if from_env {
        true
    } else {
        let stat = raw.cmd("root_stat");
        let lines: Vec<&str> = stat.map(|c| c.out.lines().collect()).unwrap_or_default();
        match (stat.map(|c| c.rc), lines.as_slice()) {
            (Some(0), [mine, pid1, ..]) => mine != pid1,
            _ => {
                let fstype = raw.ok("root_fstype").unwrap_or("");
                let root_ino = if fstype.contains("btrfs") {
                    256
                } else if fstype.contains("xfs") {
                    128
                } else {
                    2
                };
                let my_ino = lines
                    .first()
                    .and_then(|l| l.split_whitespace().nth(1))
                    .or_else(|| raw.ok("root_ls").and_then(|o| o.split_whitespace().next()))
                    .and_then(|i| i.parse::<u64>().ok());
                my_ino.is_some_and(|i| i != root_ino)
            }
        }
    };
    f.insert("is_chroot".into(), json!(is_chroot));
    f
}

pub fn fips(raw: &Raw) -> Facts {
    let mut f = Facts::new();
    f.insert(
        "fips".into(),
        json!(raw.file("/proc/sys/crypto/fips_enabled") == Some("1")),
    );
    f
}

/// `python`: only when the host has a python3 (kiln itself needs none).
pub fn python(raw: &Raw) -> Facts {
    let mut f = Facts::new();
    let Some(p) = python_probe(raw) else {
        return f;
    };
    let vi = p
        .get("version_info")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let at = |i: usize| vi.get(i).cloned().unwrap_or(Json::Null);
    f.insert(
        "python".into(),
        json!({
            "version": {"major": at(0), "minor": at(1), "micro": at(2),
                        "releaselevel": at(3), "serial": at(4)},
            "version_info": vi,
            "executable": p.get("executable").cloned().unwrap_or(Json::Null),
            "has_sslcontext": p.get("has_sslcontext").cloned().unwrap_or(json!(false)),
            "type": p.get("type").cloned().unwrap_or(Json::Null),
        }),
    );
    f
}

pub fn caps(raw: &Raw) -> Facts {
    let mut f = Facts::new();
    let mut enforced = json!("N/A");
    let mut list = json!("N/A");
    if raw.bin("capsh").is_some()
        && let Some(out) = raw.ok("capsh")
    {
        let mut e = "NA".to_string();
        let mut caps: Vec<Json> = Vec::new();
        for line in py_splitlines(out).filter(|l| !l.is_empty()) {
            if line.starts_with("Current:") {
                let after = line.split(':').nth(1).map(py_strip).unwrap_or("");
                if after == "=ep" {
                    e = "False".into();
                } else {
                    e = "True".into();
                    let v = line.split('=').nth(1).unwrap_or("");
                    caps = v.split(',').map(|c| json!(py_strip(c))).collect();
                }
            }
        }
        enforced = json!(e);
        list = Json::Array(caps);
    }
    f.insert("system_capabilities_enforced".into(), enforced);
    f.insert("system_capabilities".into(), list);
    f
}

const PKG_MGRS: &[(&str, &str)] = &[
    ("/usr/bin/rpm-ostree", "atomic_container"),
    ("/usr/bin/yum", "dnf"),
    ("/usr/bin/dnf-3", "dnf"),
    ("/usr/bin/dnf5", "dnf5"),
    ("/usr/bin/apt-get", "apt"),
    ("/usr/bin/zypper", "zypper"),
    ("/usr/sbin/urpmi", "urpmi"),
    ("/usr/bin/pacman", "pacman"),
    ("/bin/opkg", "opkg"),
    ("/usr/pkg/bin/pkgin", "pkgin"),
    ("/opt/local/bin/pkgin", "pkgin"),
    ("/opt/tools/bin/pkgin", "pkgin"),
    ("/opt/local/bin/port", "macports"),
    ("/usr/local/bin/brew", "homebrew"),
    ("/opt/homebrew/bin/brew", "homebrew"),
    ("/sbin/apk", "apk"),
    ("/usr/sbin/pkg", "pkgng"),
    ("/usr/sbin/swlist", "swdepot"),
    ("/usr/bin/emerge", "portage"),
    ("/usr/sbin/pkgadd", "svr4pkg"),
    ("/usr/bin/pkg", "pkg5"),
    ("/usr/bin/xbps-install", "xbps"),
    ("/usr/local/sbin/pkg", "pkgng"),
    ("/usr/bin/swupd", "swupd"),
    ("/usr/sbin/sorcery", "sorcery"),
    ("/usr/bin/installp", "installp"),
];

/// `pkg_mgr`: the last package manager found, then the family's default.
pub fn pkg_mgr(raw: &Raw, collected: &Facts) -> Facts {
    let family = get(collected, "os_family");
    let mut name = "unknown".to_string();
    for (path, mgr) in PKG_MGRS {
        if family == "Altlinux" && *path == "/usr/bin/pkg" {
            continue;
        }
        if raw.exists(path) {
            name = mgr.to_string();
        }
    }
    if family == "RedHat" {
        name = if raw.exists("/run/ostree-booted") {
            "atomic_container".into()
        } else {
            let mut found = "unknown".to_string();
            for (path, cmd) in [
                ("/usr/bin/dnf", "realpath_dnf"),
                ("/usr/bin/microdnf", "realpath_microdnf"),
            ] {
                if raw.exists(path) {
                    let real = raw.ok(cmd).map(py_strip).unwrap_or(path);
                    found = if real == "/usr/bin/dnf5" {
                        "dnf5"
                    } else {
                        "dnf"
                    }
                    .into();
                    break;
                }
            }
            found
        };
    } else if family == "Debian" && name != "apt" {
        name = "apt".into();
    } else if family == "Altlinux" && name == "apt" {
        name = "apt_rpm".into();
    }
    if name == "apt" && raw.exists("/usr/bin/rpm") {
        name = if raw.cmd("rpm_apt").is_some_and(|c| c.rc == 0) {
            "apt_rpm".into()
        } else {
            "apt".into()
        };
    }
    let mut f = Facts::new();
    f.insert("pkg_mgr".into(), json!(name));
    f
}

fn systemd_managed(raw: &Raw) -> bool {
    raw.bin("systemctl").is_some()
        && [
            "/run/systemd/system/",
            "/dev/.run/systemd/",
            "/dev/.systemd/",
        ]
        .iter()
        .any(|c| raw.exists(c))
}

/// `service_mgr`: PID 1's name, else what the host has installed.
pub fn service_mgr(raw: &Raw, collected: &Facts) -> Facts {
    let mut proc_1: Option<String> = raw.file("/proc/1/comm").map(str::to_string);
    if proc_1.is_none() {
        proc_1 = raw.cmd("ps1").and_then(|c| {
            // Ansible drops output that starts like ` *[0-9]+ ` (a pid).
            let rest = c.out.trim_start_matches(' ');
            let digits = rest.len()
                - rest
                    .trim_start_matches(|ch: char| ch.is_ascii_digit())
                    .len();
            let numeric = digits > 0 && rest[digits..].starts_with(' ');
            (c.rc == 0 && !py_strip(&c.out).is_empty() && !numeric).then(|| c.out.clone())
        });
    }
    if proc_1.as_deref() == Some("COMMAND\n") {
        proc_1 = None;
    }
    if proc_1.is_none() && raw.is_link("/sbin/init") {
        proc_1 = raw
            .ok("sbin_init")
            .map(|o| o.trim_end_matches('\n').to_string());
    }
    let proc_1 = proc_1
        .map(|p| py_strip(p.rsplit('/').next().unwrap_or("")).to_string())
        .filter(|p| p != "init" && !p.ends_with("sh"));
    let system = get(collected, "system");
    let distribution = get(collected, "distribution");
    let name = if let Some(p) = proc_1 {
        match p.as_str() {
            "procd" => "openwrt_init".into(),
            "runit-init" => "runit".into(),
            "svscan" => "svc".into(),
            "openrc-init" => "openrc".into(),
            _ => p,
        }
    } else if distribution == "OpenWrt" {
        "openwrt_init".into()
    } else if distribution == "SMGL" {
        "simpleinit_msb".into()
    } else if system == "Linux" {
        let offline = raw.bin("systemctl").is_some()
            && raw.is_link("/sbin/init")
            && raw
                .ok("sbin_init")
                .is_some_and(|t| py_strip(t).rsplit('/').next() == Some("systemd"));
        if systemd_managed(raw) {
            "systemd".into()
        } else if raw.bin("initctl").is_some() && raw.exists("/etc/init/") {
            "upstart".into()
        } else if raw.exists("/sbin/openrc") {
            "openrc".into()
        } else if offline {
            "systemd".into()
        } else if raw.exists("/etc/init.d/") {
            "sysvinit".into()
        } else if raw.exists("/etc/dinit.d/") {
            "dinit".into()
        } else {
            "service".into()
        }
    } else {
        "service".into()
    };
    let mut f = Facts::new();
    f.insert("service_mgr".into(), json!(name));
    f
}

pub fn systemd(raw: &Raw) -> Result<Facts, String> {
    let mut f = Facts::new();
    if raw.bin("systemctl").is_some() && systemd_managed(raw) {
        let Some(out) = raw.ok("systemctl_version") else {
            return Ok(f);
        };
        let features = out.split('\n').nth(1).ok_or("IndexError")?.to_string();
        let version: i64 = out
            .split(' ')
            .nth(1)
            .and_then(|v| py_strip(v).parse().ok())
            .ok_or("ValueError: invalid literal for int()")?;
        f.insert(
            "systemd".into(),
            json!({"features": features, "version": version}),
        );
    }
    Ok(f)
}

fn cmdline_dict(data: &str, lists: bool) -> Map<String, Json> {
    let mut d = Map::new();
    let Ok(pieces) = shlex_split(data, false, false) else {
        return d;
    };
    for piece in pieces {
        match piece.split_once('=') {
            None => {
                d.insert(piece, json!(true));
            }
            Some((k, v)) => match d.get_mut(k) {
                Some(Json::Array(a)) if lists => a.push(json!(v)),
                Some(existing) if lists => {
                    let old = existing.take();
                    *existing = json!([old, v]);
                }
                _ => {
                    d.insert(k.to_string(), json!(v));
                }
            },
        }
    }
    d
}

pub fn cmdline(raw: &Raw) -> Facts {
    let mut f = Facts::new();
    if let Some(data) = raw.file("/proc/cmdline") {
        f.insert("cmdline".into(), Json::Object(cmdline_dict(data, false)));
        f.insert(
            "proc_cmdline".into(),
            Json::Object(cmdline_dict(data, true)),
        );
    }
    f
}

/// `date_time`, from one `date` call (local fields) and the epoch (UTC).
pub fn date_time(raw: &Raw) -> Result<Facts, String> {
    let out = raw.ok("date").ok_or("date is not available")?;
    let v: Vec<&str> = py_strip(out).split('|').collect();
    let [epoch, nanos, y, m, a, w, ww, d, hh, mm, ss, tz, tz_off] = v.as_slice() else {
        return Err(format!("unexpected date output: {out}"));
    };
    let secs: i64 = epoch.parse().map_err(|_| format!("bad epoch {epoch}"))?;
    let micro = nanos
        .parse::<u64>()
        .map(|n| format!("{:06}", n / 1000))
        .unwrap_or_else(|_| "000000".into());
    let utc = chrono::DateTime::from_timestamp(secs, 0).ok_or("bad epoch")?;
    let utc_fmt = |f: &str| utc.format(f).to_string();
    // time.tzname[1]: the zone's daylight-saving name, or its only name.
    let zone = |cmd: &str| {
        raw.ok(cmd).and_then(|o| {
            let (name, off) = py_strip(o).split_once('|')?;
            Some((name.to_string(), off.parse::<i32>().ok()?))
        })
    };
    let tz_dst = match (zone("date_jan"), zone("date_jul")) {
        (Some((jn, jo)), Some((un, uo))) => {
            if jo < uo {
                un
            } else if jo > uo {
                jn
            } else {
                un
            }
        }
        _ => tz.to_string(),
    };
    let dt = json!({
        "year": y, "month": m, "weekday": a, "weekday_number": w, "weeknumber": ww,
        "day": d, "hour": hh, "minute": mm, "second": ss,
        "epoch": epoch, "epoch_int": secs.to_string(),
        "date": format!("{y}-{m}-{d}"), "time": format!("{hh}:{mm}:{ss}"),
        "iso8601_micro": format!("{}.{micro}Z", utc_fmt("%Y-%m-%dT%H:%M:%S")),
        "iso8601": utc_fmt("%Y-%m-%dT%H:%M:%SZ"),
        "iso8601_basic": format!("{y}{m}{d}T{hh}{mm}{ss}{micro}"),
        "iso8601_basic_short": format!("{y}{m}{d}T{hh}{mm}{ss}"),
        "tz": tz, "tz_dst": tz_dst, "tz_offset": tz_off,
    });
    let mut f = Facts::new();
    f.insert("date_time".into(), dt);
    Ok(f)
}

pub fn env(raw: &Raw) -> Facts {
    let mut env = Map::new();
    for (k, v) in &raw.env {
        env.insert(k.clone(), json!(v));
    }
    let mut f = Facts::new();
    f.insert("env".into(), Json::Object(env));
    f
}

pub fn loadavg(raw: &Raw) -> Facts {
    let mut f = Facts::new();
    let vals: Vec<f64> = raw
        .file("/proc/loadavg")
        .map(|l| py_split(l).take(3).filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default();
    if let [a, b, c] = vals.as_slice() {
        f.insert("loadavg".into(), json!({"1m": a, "5m": b, "15m": c}));
    }
    f
}

/// `ssh_pub_keys`: the first directory that has a key wins (Ansible stops
/// as soon as a later directory repeats an algorithm).
pub fn ssh_pub_keys(raw: &Raw) -> Result<Facts, String> {
    let mut f = Facts::new();
    for dir in ["/etc/ssh", "/etc/openssh", "/etc"] {
        for algo in ["dsa", "rsa", "ecdsa", "ed25519"] {
            let name = format!("ssh_host_key_{algo}_public");
            if f.contains_key(&name) {
                return Ok(f);
            }
            if let Some(data) = raw.file(&format!("{dir}/ssh_host_{algo}_key.pub")) {
                let mut words = py_split(data);
                let (Some(keytype), Some(key)) = (words.next(), words.next()) else {
                    return Err("ValueError: not enough values to unpack".into());
                };
                f.insert(name.clone(), json!(key));
                f.insert(format!("{name}_keytype"), json!(keytype));
            }
        }
    }
    Ok(f)
}

fn passwd_fields(line: &str) -> Option<Vec<&str>> {
    let fields: Vec<&str> = line.trim_end_matches('\n').split(':').collect();
    (fields.len() >= 7).then_some(fields)
}

/// `user`: `getpass.getuser()` and its passwd entry.
pub fn user(raw: &Raw) -> Result<Facts, String> {
    let (uid, euid) = raw.ids("Uid:").ok_or("no user ids")?;
    let (gid, _egid) = raw.ids("Gid:").ok_or("no group ids")?;
    let passwd = raw.file_raw("/etc/passwd").unwrap_or("");
    let by_name = |name: &str| -> Option<Vec<String>> {
        if raw.bin("getent").is_some() {
            if let Some(out) = raw.ok("pw_name") {
                return passwd_fields(out.lines().next()?)
                    .map(|f| f.iter().map(|s| s.to_string()).collect());
            }
            return None;
        }
        passwd
            .lines()
            .filter_map(passwd_fields)
            .find(|f| f[0] == name)
            .map(|f| f.iter().map(|s| s.to_string()).collect())
    };
    let by_uid = || -> Option<Vec<String>> {
        if raw.bin("getent").is_some() {
            let out = raw.ok("pw_uid")?;
            return passwd_fields(out.lines().next()?)
                .map(|f| f.iter().map(|s| s.to_string()).collect());
        }
        passwd
            .lines()
            .filter_map(passwd_fields)
            .find(|f| f[2].parse::<u32>().ok() == Some(uid))
            .map(|f| f.iter().map(|s| s.to_string()).collect())
    };
    let env_name = ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .filter_map(|k| raw.env_var(k))
        .find(|v| !v.is_empty())
        .map(str::to_string);
    let user_id = match env_name {
        Some(n) => n,
        None => by_uid()
            .map(|p| p[0].clone())
            .ok_or("KeyError: uid not found")?,
    };
    let pw = by_name(&user_id)
        .or_else(by_uid)
        .ok_or("KeyError: getpwuid(): uid not found")?;
    let num = |s: &str| s.parse::<i64>().map(Json::from).unwrap_or(Json::Null);
    let mut f = Facts::new();
    f.insert("user_id".into(), json!(user_id));
    f.insert("user_uid".into(), num(&pw[2]));
    f.insert("user_gid".into(), num(&pw[3]));
    f.insert("user_gecos".into(), json!(pw[4]));
    f.insert("user_dir".into(), json!(pw[5]));
    f.insert("user_shell".into(), json!(pw[6..].join(":")));
    f.insert("real_user_id".into(), json!(uid));
    f.insert("effective_user_id".into(), json!(euid));
    f.insert("real_group_id".into(), json!(gid));
    // Ansible reports the real group id here too (os.getgid()).
    f.insert("effective_group_id".into(), json!(gid));
    Ok(f)
}

/// `dns`: /etc/resolv.conf.
pub fn dns(raw: &Raw) -> Facts {
    let mut dns = Map::new();
    let text = raw.file("/etc/resolv.conf").unwrap_or("");
    for line in py_splitlines(text) {
        if line.starts_with('#') || line.starts_with(';') || py_strip(line).is_empty() {
            continue;
        }
        let tokens: Vec<&str> = py_split(line).collect();
        let Some((first, rest)) = tokens.split_first() else {
            continue;
        };
        let list = |v: &[&str]| Json::Array(v.iter().map(|s| json!(s)).collect());
        match *first {
            "nameserver" => {
                let entry = dns
                    .entry("nameservers")
                    .or_insert_with(|| Json::Array(Vec::new()));
                if let Json::Array(a) = entry {
                    a.extend(rest.iter().map(|s| json!(s)));
                }
            }
            "domain" => {
                if let Some(d) = rest.first() {
                    dns.insert("domain".into(), json!(d));
                }
            }
            "search" => {
                dns.insert("search".into(), list(rest));
            }
            "sortlist" => {
                dns.insert("sortlist".into(), list(rest));
            }
            "options" => {
                let mut opts = Map::new();
                for o in rest {
                    match o.split_once(':') {
                        Some((k, v)) if !v.is_empty() => {
                            opts.insert(k.into(), json!(v));
                        }
                        Some((k, _)) => {
                            opts.insert(k.into(), json!(true));
                        }
                        None => {
                            opts.insert(o.to_string(), json!(true));
                        }
                    }
                }
                dns.insert("options".into(), Json::Object(opts));
            }
            _ => {}
        }
    }
    let mut f = Facts::new();
    f.insert("dns".into(), Json::Object(dns));
    f
}

pub fn iscsi(raw: &Raw) -> Facts {
    let mut iqn = String::new();
    for line in py_splitlines(raw.file("/etc/iscsi/initiatorname.iscsi").unwrap_or("")) {
        if line.starts_with('#') || line.starts_with(';') || py_strip(line).is_empty() {
            continue;
        }
        if let Some(v) = line.strip_prefix("InitiatorName=") {
            iqn = v.to_string();
            break;
        }
    }
    let mut f = Facts::new();
    f.insert("iscsi_iqn".into(), json!(iqn));
    f
}

pub fn nvme(raw: &Raw) -> Facts {
    let mut nqn = String::new();
    for line in py_splitlines(raw.file("/etc/nvme/hostnqn").unwrap_or("")) {
        if line.starts_with('#') || line.starts_with(';') || py_strip(line).is_empty() {
            continue;
        }
        if line.starts_with("nqn.") {
            nqn = line.to_string();
            break;
        }
    }
    let mut f = Facts::new();
    f.insert("hostnqn".into(), json!(nqn));
    f
}

pub fn fibre_channel_wwn(raw: &Raw) -> Facts {
    let mut wwns = Vec::new();
    for path in
        raw.files_matching(|p| p.starts_with("/sys/class/fc_host/") && p.ends_with("/port_name"))
    {
        for line in raw.lines(&path) {
            let l = line.trim_end();
            wwns.push(json!(l.chars().skip(2).collect::<String>()));
        }
    }
    let mut f = Facts::new();
    f.insert("fibre_channel_wwn".into(), Json::Array(wwns));
    f
}

/// facter or ohai JSON, prefixed (`facter_...`, `ohai_...`).
pub fn external(raw: &Raw, which: &str, warnings: &mut Vec<String>) -> Facts {
    let out = if which == "facter" {
        raw.ok("facter_puppet").or_else(|| raw.ok("facter"))
    } else {
        raw.ok("ohai")
    };
    let mut f = Facts::new();
    let Some(out) = out else {
        return f;
    };
    match serde_json::from_str::<Json>(out) {
        Ok(Json::Object(m)) => {
            for (k, v) in m {
                f.insert(format!("{which}_{k}"), v);
            }
        }
        _ => warnings.push(if which == "facter" {
            "Failed to parse facter facts".into()
        } else {
            "Failed to gather ohai facts".into()
        }),
    }
    f
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
    fn platform_facts() {
        let raw = reply(&[
            ("f /proc/sys/kernel/ostype", "Linux\n"),
            ("f /proc/sys/kernel/osrelease", "6.1.0-18-amd64\n"),
            (
                "f /proc/sys/kernel/version",
                "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1\n",
            ),
            ("f /proc/sys/kernel/hostname", "web1\n"),
            ("c uname_m", "x86_64\n"),
            ("rc uname_m 0", ""),
            ("c fqdn_rev", "10.0.0.5      web1.example.org web1\n"),
            ("rc fqdn_rev 0", ""),
            (
                "c python",
                "{\"python_version\": \"3.11.2\", \"bits\": \"64bit\"}\n",
            ),
            ("rc python 0", ""),
            ("f /etc/machine-id", "0123abcd\n"),
        ]);
        let f = platform(&raw);
        assert_eq!(f["system"], "Linux");
        assert_eq!(f["kernel"], "6.1.0-18-amd64");
        assert_eq!(f["fqdn"], "web1.example.org");
        assert_eq!(f["domain"], "example.org");
        assert_eq!(f["hostname"], "web1");
        assert_eq!(f["userspace_bits"], "64");
        assert_eq!(f["architecture"], "x86_64");
        assert_eq!(f["userspace_architecture"], "x86_64");
        assert_eq!(f["machine_id"], "0123abcd");
        assert_eq!(f["python_version"], "3.11.2");
    }

    #[test]
    fn platform_without_python() {
        let raw = reply(&[
            ("f /proc/sys/kernel/ostype", "Linux\n"),
            ("f /proc/sys/kernel/hostname", "db.example.org\n"),
            ("c uname_m", "aarch64\n"),
            ("rc uname_m 0", ""),
            ("c long_bit", "64\n"),
            ("rc long_bit 0", ""),
        ]);
        let f = platform(&raw);
        assert!(f.get("python_version").is_none());
        assert_eq!(f["userspace_bits"], "64");
        assert_eq!(f["architecture"], "aarch64");
        assert!(f.get("userspace_architecture").is_none());
        assert_eq!(f["hostname"], "db");
        assert_eq!(f["nodename"], "db.example.org");
        // No resolver answer: getfqdn() gives the name back.
        assert_eq!(f["fqdn"], "db.example.org");
        assert_eq!(f["domain"], "example.org");
    }

    #[test]
    fn proc_cmdline_keeps_repeats_as_lists() {
        let raw = reply(&[(
            "f /proc/cmdline",
            "BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet console=tty0 console=ttyS0,115200\n",
        )]);
        let f = cmdline(&raw);
        assert_eq!(f["cmdline"]["console"], "ttyS0,115200");
        assert_eq!(
            f["proc_cmdline"]["console"],
            json!(["tty0", "ttyS0,115200"])
        );
        assert_eq!(f["cmdline"]["ro"], true);
        assert_eq!(f["cmdline"]["root"], "UUID=x");
    }

    #[test]
    fn resolv_conf() {
        let raw = reply(&[(
            "f /etc/resolv.conf",
            "# comment\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nsearch a.org b.org\noptions ndots:2 rotate\ndomain a.org\n",
        )]);
        assert_eq!(
            dns(&raw)["dns"],
            json!({"nameservers": ["1.1.1.1", "8.8.8.8"], "search": ["a.org", "b.org"],
                   "options": {"ndots": "2", "rotate": true}, "domain": "a.org"})
        );
    }

    #[test]
    fn user_from_env_and_passwd() {
        let raw = reply(&[
            ("env0", "LOGNAME=deploy\0HOME=/home/deploy\0"),
            (
                "id",
                "Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n",
            ),
            (
                "f /etc/passwd",
                "root:x:0:0:root:/root:/bin/bash\ndeploy:x:1000:1000:Deploy,,,:/home/deploy:/bin/sh\n",
            ),
        ]);
        let f = user(&raw).expect("user");
        assert_eq!(f["user_id"], "deploy");
        assert_eq!(f["user_dir"], "/home/deploy");
        assert_eq!(f["user_gecos"], "Deploy,,,");
        assert_eq!(f["user_uid"], 1000);
        assert_eq!(f["effective_group_id"], 1000);
    }

    #[test]
    fn service_manager_from_pid_1() {
        let collected: Facts =
            serde_json::from_value(json!({"system": "Linux"})).unwrap_or_default();
        let raw = reply(&[("f /proc/1/comm", "systemd\n")]);
        assert_eq!(service_mgr(&raw, &collected)["service_mgr"], "systemd");
        let raw = reply(&[("f /proc/1/comm", "bash\n"), ("t", "ed /etc/init.d/\n")]);
        assert_eq!(service_mgr(&raw, &collected)["service_mgr"], "sysvinit");
    }

    #[test]
    fn capabilities() {
        let raw = reply(&[
            ("bins", "capsh /usr/sbin/capsh\n"),
            (
                "c capsh",
                "Current: =ep cap_sys_resource-ep\nBounding set =cap_chown\n",
            ),
            ("rc capsh 0", ""),
        ]);
        let f = caps(&raw);
        assert_eq!(f["system_capabilities_enforced"], "True");
        assert_eq!(f["system_capabilities"], json!(["ep cap_sys_resource-ep"]));
        let f = caps(&reply(&[]));
        assert_eq!(f["system_capabilities"], "N/A");
    }

    #[test]
    fn date_time_shape() {
        let raw = reply(&[
            (
                "c date",
                "1795706491|749563285|2026|11|Thursday|4|47|26|16|21|31|CET|+0100\n",
            ),
            ("rc date 0", ""),
            ("c date_jan", "CET|+0100\n"),
            ("rc date_jan 0", ""),
            ("c date_jul", "CEST|+0200\n"),
            ("rc date_jul 0", ""),
        ]);
        let f = date_time(&raw).expect("date");
        let d = &f["date_time"];
        assert_eq!(d["iso8601"], "2026-11-26T15:21:31Z");
        assert_eq!(d["iso8601_micro"], "2026-11-26T15:21:31.749563Z");
        assert_eq!(d["iso8601_basic"], "20261126T162131749563");
        assert_eq!(d["tz_dst"], "CEST");
        assert_eq!(d["epoch_int"], "1795706491");
    }
}
