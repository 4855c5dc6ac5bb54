// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Differential test against ansible-core's own fact collectors.
//!
//! tests/facts_cases/cases.json describes fake hosts (files, directories,
//! links, tools and their output); tests/oracle/record_facts.py ran
//! ansible-core 2.21's collector classes against each one and wrote what they
//! returned to tests/facts_cases/expected.json. Here each host is turned into
//! the reply kiln's probe (facts.sh) would print on it, section by section as
//! facts.sh writes them, and kiln's collectors must give exactly Ansible's facts.

use super::raw::Raw;
use super::{distribution, hardware, local, network, system, virt};
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

const CASES: &str = include_str!("../../../tests/facts_cases/cases.json");
const EXPECTED: &str = include_str!("../../../tests/facts_cases/expected.json");

const MK: &str = "@@MK";

/// One fake host, as the case file gives it.
struct Host {
    files: BTreeMap<String, String>,
    dirs: BTreeSet<String>,
    links: BTreeMap<String, String>,
    executable: BTreeSet<String>,
    bins: BTreeMap<String, String>,
    cmds: BTreeMap<String, (String, i32)>,
    platform: BTreeMap<String, String>,
    /// `ansible_architecture` as the cpu facts see it.
    arch: String,
    /// statvfs() of mount points: frsize, bsize, blocks, bavail, files, favail.
    statvfs: BTreeMap<String, [i64; 6]>,
    /// The process environment and ids (uid, euid, gid, egid).
    env: BTreeMap<String, String>,
    ids: [u32; 4],
    /// Commands' stderr (local fact scripts).
    errs: BTreeMap<String, String>,
    fact_path: String,
}

fn str_map(v: Option<&Json>) -> BTreeMap<String, String> {
    v.and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn str_set(v: Option<&Json>) -> BTreeSet<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Parent directories of an absolute path, nearest first.
fn parents(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut p = path;
    while let Some(i) = p.rfind('/') {
        p = &p[..i];
        out.push(if p.is_empty() { "/".into() } else { p.into() });
    }
    out
}

/// `path` with `.` and `..` folded (targets of relative links).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

impl Host {
    fn new(case: &Json) -> Host {
        let files = str_map(case.get("files"));
        let links = str_map(case.get("links"));
        let mut dirs = str_set(case.get("dirs"));
        for p in files.keys().chain(links.keys()) {
            dirs.extend(parents(p));
        }
        for d in dirs.clone() {
            dirs.extend(parents(&d));
        }
        let cmds = case
            .get("cmds")
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let out = v.get("out").and_then(Json::as_str).unwrap_or_default();
                        let rc = v.get("rc").and_then(Json::as_i64).unwrap_or(0);
                        (k.clone(), (out.to_string(), rc as i32))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Host {
            files,
            dirs,
            links,
            executable: str_set(case.get("executable")),
            bins: str_map(case.get("bins")),
            cmds,
            platform: str_map(case.get("platform")),
            arch: case
                .get("arch")
                .and_then(Json::as_str)
                .unwrap_or("x86_64")
                .to_string(),
            env: str_map(case.get("env")),
            ids: {
                let ids = case.get("ids");
                let id = |k: &str| {
                    ids.and_then(|i| i.get(k))
                        .and_then(Json::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                };
                let (uid, gid) = (id("uid").unwrap_or(0), id("gid").unwrap_or(0));
                [
                    uid,
                    id("euid").unwrap_or(uid),
                    gid,
                    id("egid").unwrap_or(gid),
                ]
            },
            errs: case
                .get("cmds")
                .and_then(Json::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.get("err")?.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            fact_path: case
                .get("fact_path")
                .and_then(Json::as_str)
                .unwrap_or("/etc/ansible/facts.d")
                .to_string(),
            statvfs: case
                .get("statvfs")
                .and_then(Json::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let n = |f: &str| v.get(f).and_then(Json::as_i64).unwrap_or_default();
                            let vals = ["frsize", "bsize", "blocks", "bavail", "files", "favail"];
                            (k.clone(), vals.map(n))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Where `path` leads once its links are followed (`readlink -f`).
    fn resolve(&self, path: &str) -> String {
        let mut p = normalize(path);
        for _ in 0..40 {
            // A link anywhere on the path, the longest prefix first.
            let hit = std::iter::once(p.clone())
                .chain(parents(&p))
                .find(|q| self.links.contains_key(q));
            let Some(link) = hit else { return p };
            let target = &self.links[&link];
            let base = if target.starts_with('/') {
                target.clone()
            } else {
                let dir = parents(&link).into_iter().next().unwrap_or_default();
                format!("{dir}/{target}")
            };
            p = normalize(&format!("{base}{}", &p[link.len()..]));
        }
        p
    }

    fn content(&self, path: &str) -> Option<&str> {
        self.files.get(&self.resolve(path)).map(String::as_str)
    }

    fn is_dir(&self, path: &str) -> bool {
        self.dirs.contains(&self.resolve(path))
    }

    /// facts.sh's `T` flags.
    fn flags(&self, path: &str) -> String {
        // `dir/` names only a directory.
        if path.len() > 1 && path.ends_with('/') && !self.is_dir(path) {
            return "-".into();
        }
        let path = normalize(path.trim_end_matches('/'));
        let file = self.content(&path);
        let dir = self.is_dir(&path);
        let mut f = String::new();
        if file.is_some() || dir {
            f.push('e');
        }
        if file.is_some() {
            f.push('f');
        }
        if dir {
            f.push('d');
        }
        if self.links.contains_key(&path) {
            f.push('l');
        }
        // A directory's size is never 0.
        if file.is_some_and(|c| !c.is_empty()) || dir {
            f.push('s');
        }
        if file.is_some() || dir {
            // The probe runs as root: everything is readable.
            f.push('r');
        }
        if dir || self.executable.contains(&self.resolve(&path)) {
            f.push('x');
        }
        if f.is_empty() { "-".into() } else { f }
    }

    /// Entries of a directory: files, directories and links right under it.
    fn entries(&self, dir: &str) -> Vec<String> {
        let dir = self.resolve(dir);
        let prefix = if dir == "/" {
            "/".into()
        } else {
            format!("{dir}/")
        };
        let mut out: BTreeSet<String> = BTreeSet::new();
        for p in self.files.keys().chain(self.links.keys()).chain(&self.dirs) {
            if let Some(rest) = p.strip_prefix(&prefix)
                && !rest.is_empty()
                && !rest.contains('/')
            {
                out.insert(rest.to_string());
            }
        }
        out.into_iter().collect()
    }

    fn cmd(&self, key: &str) -> (String, i32) {
        self.cmds
            .get(key)
            .cloned()
            .unwrap_or_else(|| (String::new(), 127))
    }

    fn plat(&self, k: &str, default: &str) -> String {
        self.platform
            .get(k)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }
}

/// facts.sh's output for a host, for the given collectors.
struct Probe<'a> {
    host: &'a Host,
    out: String,
}

impl Probe<'_> {
    fn section(&mut self, head: &str, body: &str) {
        self.out.push_str(&format!("\n{MK} {head}\n{body}"));
    }

    /// `T paths...`
    fn tests(&mut self, paths: &[&str]) {
        let body: String = paths
            .iter()
            .map(|p| format!("{} {p}\n", self.host.flags(p)))
            .collect();
        self.section("t", &body);
    }

    /// `F paths...`
    fn whole(&mut self, paths: &[&str]) {
        for p in paths {
            if let Some(c) = self.host.content(p) {
                let c = c.to_string();
                self.section(&format!("f {p}"), &c);
            }
        }
    }

    /// `R paths...`: the first line, when it is not empty.
    fn first_lines(&mut self, paths: &[&str]) {
        for p in paths {
            if self.host.is_dir(p) {
                continue;
            }
            let first = self
                .host
                .content(p)
                .and_then(|c| c.split('\n').next())
                .unwrap_or_default()
                .to_string();
            if !first.is_empty() {
                self.section(&format!("f {p}"), &format!("{first}\n"));
            }
        }
    }

    /// `X name` with the host's output of `key`.
    fn run(&mut self, name: &str, key: &str) {
        let (out, rc) = self.host.cmd(key);
        self.section(&format!("c {name}"), &out);
        self.section(&format!("rc {name} {rc}"), "");
    }

    fn has_bin(&self, tool: &str) -> bool {
        self.host.bins.contains_key(tool)
    }
}

/// The tools facts.sh looks for (`S bins`).
const PROBE_TOOLS: &[&str] = &[
    "lsb_release",
    "capsh",
    "systemctl",
    "initctl",
    "ip",
    "ethtool",
    "lspci",
    "lsblk",
    "findmnt",
    "udevadm",
    "vgs",
    "lvs",
    "pvs",
    "dmsetup",
    "dmidecode",
    "sg_inq",
    "nproc",
    "facter",
    "cfacter",
    "ohai",
    "getent",
    "stat",
    "timeout",
    "python3",
    "rpm",
    "dpkg",
    "ps",
    "uname",
    "date",
    "id",
    "lscpu",
    "readlink",
];

fn probe_reply(host: &Host, collectors: &[&str]) -> String {
    let has = |c: &str| collectors.contains(&c);
    let mut p = Probe {
        host,
        out: String::new(),
    };
    let bins: String = PROBE_TOOLS
        .iter()
        .filter_map(|t| host.bins.get(*t).map(|b| format!("{t} {b}\n")))
        .collect();
    p.section("bins", &bins);
    let env: String = host.env.iter().map(|(k, v)| format!("{k}={v}\0")).collect();
    p.section("env0", &env);
    let [uid, euid, gid, egid] = host.ids;
    p.section(
        "id",
        &format!("Uid:\t{uid}\t{euid}\t{euid}\t{euid}\nGid:\t{gid}\t{egid}\t{egid}\t{egid}\n"),
    );

    if has("distribution") || has("lsb") {
        if p.has_bin("lsb_release") {
            p.run("lsb_release", "lsb_release -a");
        }
        p.whole(&["/etc/lsb-release"]);
    }
    if has("distribution") {
        p.tests(&[
            "/etc/os-release",
            "/usr/lib/os-release",
            "/etc/altlinux-release",
            "/etc/oracle-release",
            "/etc/slackware-version",
            "/etc/centos-release",
            "/etc/redhat-release",
            "/etc/vmware-release",
            "/etc/openwrt_release",
            "/etc/system-release",
            "/etc/alpine-release",
            "/etc/arch-release",
            "/etc/SuSE-release",
            "/etc/gentoo-release",
            "/etc/lsb-release",
            "/etc/sourcemage-release",
            "/etc/coreos/update.conf",
            "/etc/products.d/baseproduct",
        ]);
        p.whole(&[
            "/etc/os-release",
            "/usr/lib/os-release",
            "/etc/altlinux-release",
            "/etc/oracle-release",
            "/etc/slackware-version",
            "/etc/centos-release",
            "/etc/redhat-release",
            "/etc/openwrt_release",
            "/etc/system-release",
            "/etc/alpine-release",
            "/etc/SuSE-release",
            "/etc/gentoo-release",
            "/etc/sourcemage-release",
            "/etc/coreos/update.conf",
            "/etc/debian_version",
        ]);
        if host.links.contains_key("/etc/products.d/baseproduct") {
            let target = host.resolve("/etc/products.d/baseproduct");
            p.section("c baseproduct", &format!("{target}\n"));
            p.section("rc baseproduct 0", "");
        }
        // /etc/*-release /etc/*_release /etc/*-version /etc/*_version
        let mut listing = String::new();
        for suffix in ["-release", "_release", "-version", "_version"] {
            for name in host.entries("/etc") {
                let path = format!("/etc/{name}");
                if name.starts_with('.') || !name.ends_with(suffix) {
                    continue;
                }
                if let Some(c) = host.content(&path) {
                    let first = c.split('\n').next().unwrap_or_default();
                    listing.push_str(&format!("{name}\t{first}\n"));
                }
            }
        }
        p.section("distro_release_files", &listing);
        if p.has_bin("dpkg") {
            let osr = host.content("/etc/os-release").unwrap_or_default();
            let named = osr.contains("VERSION_CODENAME=") || osr.contains("UBUNTU_CODENAME=");
            if !named {
                p.run("tzdata", "dpkg --status tzdata");
            }
        }
    }
    if has("apparmor") {
        p.tests(&["/sys/kernel/security/apparmor"]);
    }
    if has("fips") {
        p.first_lines(&["/proc/sys/crypto/fips_enabled"]);
    }
    if has("cmdline") {
        p.whole(&["/proc/cmdline"]);
    }
    if has("virtual") {
        p.tests(&[
            "/proc/1/cgroup",
            "/proc/1/environ",
            "/proc/vz",
            "/proc/lve",
            "/proc/bc",
            "/.dockerenv",
            "/.dockerinit",
            "/proc/xen",
            "/proc/self/status",
            "/proc/cpuinfo",
            "/proc/modules",
            "/rhev/",
            "/dev/kvm",
        ]);
        p.whole(&["/proc/1/cgroup", "/proc/xen/capabilities", "/proc/modules"]);
        p.first_lines(&[
            "/run/systemd/container",
            "/sys/devices/virtual/dmi/id/product_name",
            "/sys/devices/virtual/dmi/id/sys_vendor",
            "/sys/devices/virtual/dmi/id/product_family",
            "/sys/devices/virtual/dmi/id/bios_vendor",
        ]);
        p.whole(&["/proc/1/environ"]);
        let status = host.content("/proc/self/status").unwrap_or_default();
        let vxid: String = status
            .lines()
            .filter(|l| l.starts_with("VxID:"))
            .map(|l| format!("{l}\n"))
            .collect();
        p.section("vxid", &vxid);
        if host.is_dir("/rhev") {
            let comms: String = host
                .entries("/proc")
                .iter()
                .filter(|n| n.starts_with(|c: char| c.is_ascii_digit()))
                .filter_map(|n| host.content(&format!("/proc/{n}/comm")))
                .map(|c| format!("{}\n", c.split('\n').next().unwrap_or_default()))
                .collect();
            p.section("rhev_comms", &comms);
        }
        if p.has_bin("dmidecode") {
            p.run(
                "dmi_system-product-name",
                "dmidecode -s system-product-name",
            );
        }
        let s390 = host.content("/proc/cpuinfo").is_some_and(|c| {
            c.lines()
                .any(|l| l.starts_with("vendor_id") && l.contains("IBM/S390"))
        });
        if p.has_bin("lscpu") && s390 {
            p.run("lscpu", "lscpu");
        }
    }
    let hardware = collectors.iter().any(|c| c.starts_with("hardware"));
    if hardware {
        p.tests(&[
            "/proc/xen",
            "/proc/meminfo",
            "/proc/cpuinfo",
            "/sys/devices/virtual/dmi/id/product_name",
            "/proc/sysinfo",
            "/etc/mtab",
            "/dev/disk/by-id",
            "/dev/disk/by-uuid",
            "/dev/disk/by-label",
            "/sys/block",
        ]);
        p.first_lines(&["/sys/hypervisor/type"]);
        p.whole(&["/proc/meminfo", "/proc/sysinfo", "/proc/uptime"]);
        if p.has_bin("nproc") {
            p.run("nproc", "nproc");
        }
        let dmi = "/sys/devices/virtual/dmi/id";
        let keys = [
            "bios_date",
            "bios_vendor",
            "bios_version",
            "board_asset_tag",
            "board_name",
            "board_serial",
            "board_vendor",
            "board_version",
            "chassis_asset_tag",
            "chassis_serial",
            "chassis_vendor",
            "chassis_version",
            "chassis_type",
            "product_name",
            "product_serial",
            "product_uuid",
            "product_version",
            "sys_vendor",
        ];
        if host.content(&format!("{dmi}/product_name")).is_some()
            || host.is_dir(&format!("{dmi}/product_name"))
        {
            for k in keys {
                p.whole(&[&format!("{dmi}/{k}")]);
            }
        } else if p.has_bin("dmidecode") {
            for k in [
                "bios-release-date",
                "bios-vendor",
                "bios-version",
                "baseboard-asset-tag",
                "baseboard-product-name",
                "baseboard-serial-number",
                "baseboard-manufacturer",
                "baseboard-version",
                "chassis-asset-tag",
                "chassis-serial-number",
                "chassis-manufacturer",
                "chassis-version",
                "chassis-type",
                "system-product-name",
                "system-serial-number",
                "system-uuid",
                "system-version",
                "system-manufacturer",
            ] {
                p.run(&format!("dmi_{k}"), &format!("dmidecode -s {k}"));
            }
        }
    }
    if has("hardware.devices") {
        devices_probe(&mut p);
    }
    if has("hardware.mounts") {
        mounts_probe(&mut p);
    }
    if hardware && p.has_bin("vgs") {
        let opts = "--noheadings --nosuffix --units g --separator ,";
        p.run("vgs", &format!("vgs {opts}"));
        if p.has_bin("lvs") {
            p.run("lvs", &format!("lvs {opts}"));
        }
        if p.has_bin("pvs") {
            p.run("pvs", &format!("pvs {opts}"));
            if p.has_bin("dmsetup") {
                let (out, _) = host.cmd(&format!("pvs {opts}"));
                for line in out.lines() {
                    let pv = line
                        .split(',')
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches(' ');
                    if pv.starts_with("/dev/dm-") {
                        p.run(
                            &format!("dm {pv}"),
                            &format!("dmsetup info -C --noheadings -o name {pv}"),
                        );
                    }
                }
            }
        }
    }
    if has("virtual") || hardware {
        p.whole(&["/proc/cpuinfo"]);
    }
    if has("pkg_mgr") {
        p.tests(&[
            "/usr/bin/rpm-ostree",
            "/usr/bin/yum",
            "/usr/bin/dnf-3",
            "/usr/bin/dnf5",
            "/usr/bin/apt-get",
            "/usr/bin/zypper",
            "/usr/sbin/urpmi",
            "/usr/bin/pacman",
            "/bin/opkg",
            "/usr/pkg/bin/pkgin",
            "/opt/local/bin/pkgin",
            "/opt/tools/bin/pkgin",
            "/opt/local/bin/port",
            "/usr/local/bin/brew",
            "/opt/homebrew/bin/brew",
            "/sbin/apk",
            "/usr/sbin/pkg",
            "/usr/sbin/swlist",
            "/usr/bin/emerge",
            "/usr/sbin/pkgadd",
            "/usr/bin/pkg",
            "/usr/bin/xbps-install",
            "/usr/local/sbin/pkg",
            "/usr/bin/swupd",
            "/usr/sbin/sorcery",
            "/usr/bin/installp",
            "/run/ostree-booted",
            "/usr/bin/dnf",
            "/usr/bin/microdnf",
            "/usr/bin/rpm",
        ]);
        for (name, path) in [
            ("realpath_dnf", "/usr/bin/dnf"),
            ("realpath_microdnf", "/usr/bin/microdnf"),
        ] {
            if host.flags(path).contains('e') {
                let real = host.resolve(path);
                p.section(&format!("c {name}"), &format!("{real}\n"));
                p.section(&format!("rc {name} 0"), "");
            }
        }
        if host.flags("/usr/bin/rpm").contains('e') && host.flags("/usr/bin/apt-get").contains('e')
        {
            p.run("rpm_apt", "rpm -q --whatprovides /usr/bin/apt-get");
        }
    }
    if has("service_mgr") {
        p.tests(&[
            "/proc/1/comm",
            "/sbin/init",
            "/run/systemd/system/",
            "/dev/.run/systemd/",
            "/dev/.systemd/",
            "/etc/init/",
            "/sbin/openrc",
            "/etc/init.d/",
            "/etc/dinit.d/",
        ]);
        p.whole(&["/proc/1/comm"]);
        if host.content("/proc/1/comm").is_none() && p.has_bin("ps") {
            // `ps -p 1 -o comm | tail -n 1`: the last line; the status is tail's.
            let (out, _) = host.cmd("ps -p 1 -o comm");
            let last = out
                .split_inclusive('\n')
                .next_back()
                .unwrap_or_default()
                .to_string();
            p.section("c ps1", &last);
            p.section("rc ps1 0", "");
        }
        if let Some(target) = host.links.get("/sbin/init") {
            p.section("c sbin_init", &format!("{target}\n"));
            p.section("rc sbin_init 0", "");
        }
    }
    if has("dns") {
        p.whole(&["/etc/resolv.conf"]);
    }
    if has("fibre_channel_wwn") {
        for port in host.entries("/sys/class/fc_host") {
            p.whole(&[&format!("/sys/class/fc_host/{port}/port_name")]);
        }
    }
    if has("iscsi") {
        p.whole(&["/etc/iscsi/initiatorname.iscsi"]);
    }
    if has("nvme") {
        p.whole(&["/etc/nvme/hostnqn"]);
    }
    if has("ssh_pub_keys") {
        for dir in ["/etc/ssh", "/etc/openssh", "/etc"] {
            let files: Vec<String> = ["dsa", "rsa", "ecdsa", "ed25519"]
                .iter()
                .map(|a| format!("{dir}/ssh_host_{a}_key.pub"))
                .collect();
            p.first_lines(&files.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
    if has("local") {
        local_probe(&mut p, &host.fact_path);
    }
    if has("user") {
        user_probe(&mut p);
    }
    if has("network") && p.has_bin("ip") {
        network_probe(&mut p);
    }
    p.section("end", "");
    p.out
}

/// facts.sh's network part: routes, then per interface its sysfs files, links
/// and `ip addr` / `ethtool` output, then the local routing tables.
fn network_probe(p: &mut Probe) {
    let host = p.host;
    p.run("route4", "ip -4 route get 8.8.8.8");
    p.run("route6", "ip -6 route get 2404:6800:400a:800::1012");
    let devices = host.entries("/sys/class/net");
    p.section("l /sys/class/net", &lines(&devices));
    for dev in &devices {
        let path = format!("/sys/class/net/{dev}");
        if !host.is_dir(&path) {
            continue;
        }
        p.section(&format!("l {path}"), &lines(&host.entries(&path)));
        let files: Vec<String> = [
            "address",
            "mtu",
            "operstate",
            "type",
            "speed",
            "flags",
            "bridge/bridge_id",
            "bridge/stp_state",
            "bonding/slaves",
            "bonding/mode",
            "bonding/miimon",
            "bonding/lacp_rate",
            "bonding/primary",
            "bonding/all_slaves_active",
            "bonding_slave/perm_hwaddr",
        ]
        .iter()
        .map(|f| format!("{path}/{f}"))
        .collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        p.first_lines(&files);
        if host.flags(&format!("{path}/bridge")).contains('e') {
            p.section(
                &format!("l {path}/brif"),
                &lines(&host.entries(&format!("{path}/brif"))),
            );
        }
        if host.flags(&format!("{path}/device")).contains('e') && p.has_bin("readlink") {
            let target = host
                .links
                .get(&format!("{path}/device"))
                .cloned()
                .unwrap_or_default();
            p.section(&format!("c devlink {dev}"), &format!("{target}\n"));
            p.section(&format!("rc devlink {dev} 0"), "");
            let module = format!("{path}/device/driver/module");
            if host.flags(&module).contains('e') {
                let real = host.resolve(&module);
                p.section(&format!("c module {dev}"), &format!("{real}\n"));
                p.section(&format!("rc module {dev} 0"), "");
            }
        }
        p.run(
            &format!("addr_primary {dev}"),
            &format!("ip addr show primary dev {dev}"),
        );
        if host.cmd(&format!("ip addr show primary dev {dev}")).1 != 0 {
            p.run(
                &format!("addr_all {dev}"),
                &format!("ip addr show dev {dev}"),
            );
        }
        p.run(
            &format!("addr_secondary {dev}"),
            &format!("ip addr show secondary dev {dev}"),
        );
        if p.has_bin("ethtool") {
            p.run(&format!("ethtool_k {dev}"), &format!("ethtool -k {dev}"));
            p.run(&format!("ethtool_t {dev}"), &format!("ethtool -T {dev}"));
        }
    }
    p.run("local4", "ip -4 route show table local");
    p.run("local6", "ip -6 route show table local");
}

/// facts.sh's local part: each `*.fact` file of the fact path, run when
/// executable (stdout, then its status and stderr), read otherwise.
fn local_probe(p: &mut Probe, fact_path: &str) {
    let host = p.host;
    p.tests(&[fact_path]);
    if !host.is_dir(fact_path) {
        return;
    }
    for name in host.entries(fact_path) {
        if name.starts_with('.') || !name.ends_with(".fact") {
            continue;
        }
        let path = format!("{fact_path}/{name}");
        if host.flags(&path).contains('x') {
            let (out, rc) = host.cmd(&name);
            let err = host.errs.get(&name).cloned().unwrap_or_default();
            p.section(&format!("lx {path}"), &out);
            p.section(&format!("lrc {rc} {path}"), &err);
        } else {
            let text = host.content(&path).unwrap_or_default().to_string();
            p.section(&format!("lr {path}"), &text);
        }
    }
}

/// facts.sh's user part: the login name from the environment, getent's
/// entries for it and for the real uid, and /etc/passwd.
fn user_probe(p: &mut Probe) {
    let host = p.host;
    let name = ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .filter_map(|k| host.env.get(*k))
        .find(|v| !v.is_empty())
        .cloned()
        .unwrap_or_default();
    p.section("user_name", &format!("{name}\n"));
    if p.has_bin("getent") {
        // getent on a files-only NSS: a number is a uid, anything else a name.
        let getent = |key: &str| -> (String, i32) {
            let passwd = host.content("/etc/passwd").unwrap_or_default();
            let hit = passwd.lines().find(|l| {
                let f: Vec<&str> = l.split(':').collect();
                f.len() == 7
                    && if key.parse::<u32>().is_ok() {
                        f[2] == key
                    } else {
                        f[0] == key
                    }
            });
            match hit {
                Some(l) => (format!("{l}\n"), 0),
                None => (String::new(), 2),
            }
        };
        if !name.is_empty() {
            let (out, rc) = getent(&name);
            p.section("c pw_name", &out);
            p.section(&format!("rc pw_name {rc}"), "");
        }
        let (out, rc) = getent(&host.ids[0].to_string());
        p.section("c pw_uid", &out);
        p.section(&format!("rc pw_uid {rc}"), "");
    }
    p.whole(&["/etc/passwd"]);
}

/// `K dir`: the directory's symlinks as `ls -l` prints them.
fn long_listing(p: &mut Probe, dir: &str) {
    let host = p.host;
    if !host.is_dir(dir) {
        return;
    }
    let body: String = host
        .entries(dir)
        .iter()
        .map(
            |n| match host.links.get(&format!("{}/{n}", host.resolve(dir))) {
                Some(t) => format!("lrwxrwxrwx 1 root root 10 Nov 27 09:00 {n} -> {t}\n"),
                None => format!("-rw-r--r-- 1 root root 4096 Nov 27 09:00 {n}\n"),
            },
        )
        .collect();
    p.section(&format!("k {dir}"), &format!("total 0\n{body}"));
}

/// facts.sh's block device part: lspci, the /sys/block and /dev/disk/by-*
/// links, slaves, and per disk and partition its sysfs files and holders.
fn devices_probe(p: &mut Probe) {
    let host = p.host;
    if p.has_bin("lspci") {
        p.run("lspci", "lspci -D");
    }
    let blocks = host.entries("/sys/block");
    p.section("l /sys/block", &lines(&blocks));
    for dir in [
        "/sys/block",
        "/dev/disk/by-id",
        "/dev/disk/by-uuid",
        "/dev/disk/by-label",
    ] {
        long_listing(p, dir);
    }
    let mut masters = String::new();
    for b in &blocks {
        for s in host.entries(&format!("/sys/block/{b}/slaves")) {
            masters.push_str(&format!("/sys/block/{b}/slaves/{s}\n"));
        }
    }
    p.section("masters", &masters);
    for b in &blocks {
        let blk = format!("/sys/block/{b}");
        if !host.flags(&blk).contains('e') {
            continue;
        }
        p.section(&format!("l {blk}"), &lines(&host.entries(&blk)));
        let files: Vec<String> = [
            "device/vendor",
            "device/model",
            "device/sas_address",
            "device/sas_device_handle",
            "device/serial",
            "removable",
            "queue/discard_max_hw_bytes",
            "queue/discard_granularity",
            "queue/rotational",
            "queue/scheduler",
            "queue/logical_block_size",
            "queue/hw_sector_size",
            "size",
        ]
        .iter()
        .map(|f| format!("{blk}/{f}"))
        .collect();
        p.first_lines(&files.iter().map(String::as_str).collect::<Vec<_>>());
        if p.has_bin("sg_inq") {
            p.run(&format!("sg_inq {b}"), &format!("sg_inq /dev/{b}"));
        }
        holders_probe(p, &blk);
        for part in host.entries(&blk) {
            let pdir = format!("{blk}/{part}");
            if !part.starts_with(b.as_str()) || !host.is_dir(&pdir) {
                continue;
            }
            let files: Vec<String> = [
                "start",
                "queue/logical_block_size",
                "queue/hw_sector_size",
                "size",
            ]
            .iter()
            .map(|f| format!("{pdir}/{f}"))
            .collect();
            p.first_lines(&files.iter().map(String::as_str).collect::<Vec<_>>());
            holders_probe(p, &pdir);
        }
    }
}

/// The dm names of a disk's or partition's holders, then their listing.
fn holders_probe(p: &mut Probe, dir: &str) {
    let host = p.host;
    let held = host.entries(&format!("{dir}/holders"));
    for h in held.iter().filter(|h| h.starts_with("dm-")) {
        p.first_lines(&[&format!("{dir}/holders/{h}/dm/name")]);
    }
    p.section(&format!("l {dir}/holders"), &lines(&held));
}

/// facts.sh's mount part: the mount table, findmnt and lsblk, statvfs of
/// each real mount (by mtab line number) and udevadm for each device.
fn mounts_probe(p: &mut Probe) {
    let host = p.host;
    let mtab_path = if host.flags("/etc/mtab").contains('e') {
        "/etc/mtab"
    } else {
        "/proc/mounts"
    };
    let mtab = host.content(mtab_path).unwrap_or_default().to_string();
    p.section("mtab", &mtab);
    if p.has_bin("findmnt") {
        p.run("findmnt", "findmnt --list --noheadings --notruncate");
    }
    if p.has_bin("lsblk") {
        p.run(
            "lsblk",
            "lsblk --list --noheadings --paths --output NAME,UUID --exclude 2",
        );
    }
    // The shell's `read` loop: fields split on blanks, only real devices.
    let entries: Vec<(usize, Vec<&str>)> = mtab
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split_whitespace().collect::<Vec<_>>()))
        .filter(|(_, w)| {
            let dev = w.first().copied().unwrap_or_default();
            w.get(2) != Some(&"none")
                && (dev.starts_with('/') || dev.starts_with('\\') || dev.contains(":/"))
        })
        .collect();
    if p.has_bin("stat") {
        let sizes: String = entries
            .iter()
            .map(|(i, w)| {
                let mount = unescape(w.get(1).copied().unwrap_or_default());
                match host.statvfs.get(&mount) {
                    Some(v) => format!("{i} {}\n", v.map(|n| n.to_string()).join(" ")),
                    None => format!("{i} \n"),
                }
            })
            .collect();
        p.section("mountsizes", &sizes);
    }
    if p.has_bin("udevadm") {
        for (_, w) in &entries {
            let dev = w[0];
            p.run(
                &format!("udevadm {dev}"),
                &format!("udevadm info --query property --name {dev}"),
            );
        }
    }
}

/// `\NNN` octal escapes folded, as facts.sh's printf does for a mount point.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 4)
            .filter(|d| d.bytes().all(|b| (b'0'..=b'7').contains(&b)));
        match code
            .and_then(|d| u32::from_str_radix(d, 8).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Names one a line, as `L` prints a listing.
fn lines(names: &[String]) -> String {
    names.iter().map(|n| format!("{n}\n")).collect()
}

/// kiln's facts of one collector for the probe's reply.
fn kiln_facts(
    raw: &Raw,
    host: &Host,
    collected: &Map<String, Json>,
    collector: &str,
) -> Result<Map<String, Json>, String> {
    match collector {
        "pkg_mgr" => Ok(system::pkg_mgr(raw, collected)),
        "service_mgr" => Ok(system::service_mgr(raw, collected)),
        "distribution" => distribution::distribution(
            raw,
            &host.plat("system", "Linux"),
            &host.plat("release", "6.1.0-13-amd64"),
            &host.plat(
                "version",
                "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)",
            ),
        ),
        "lsb" => distribution::lsb(raw),
        "virtual" => virt::virtual_facts(raw),
        "apparmor" => Ok(system::apparmor(raw)),
        "fips" => Ok(system::fips(raw)),
        "cmdline" => Ok(system::cmdline(raw)),
        "dns" => Ok(system::dns(raw)),
        "network" => network::network(raw),
        "hardware.cpu" => hardware::cpu(raw, &host.arch),
        "hardware.memory" => hardware::memory(raw),
        "hardware.dmi" => hardware::dmi(raw),
        "hardware.sysinfo" => hardware::sysinfo(raw),
        "hardware.uptime" => Ok(hardware::uptime(raw)),
        // The probe runs as root (its `id` section says uid 0).
        "hardware.lvm" => Ok(hardware::lvm(raw, 0)),
        "hardware.mounts" => hardware::mounts(raw),
        "hardware.devices" => hardware::devices(raw),
        "iscsi" => Ok(system::iscsi(raw)),
        "nvme" => Ok(system::nvme(raw)),
        "fibre_channel_wwn" => Ok(system::fibre_channel_wwn(raw)),
        "ssh_pub_keys" => system::ssh_pub_keys(raw),
        "user" => system::user(raw),
        "local" => local::local(raw, &host.fact_path)
            .0
            .ok_or_else(|| "the collector failed".to_string()),
        other => Err(format!("no kiln collector mapped for {other}")),
    }
}

#[test]
fn collectors_agree_with_ansible_core() {
    let cases: Vec<Json> = serde_json::from_str(CASES).expect("cases.json parses");
    let expected: Map<String, Json> = serde_json::from_str(EXPECTED).expect("expected.json parses");
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().expect("case name");
        let collectors: Vec<&str> = case["collectors"]
            .as_array()
            .expect("collectors")
            .iter()
            .filter_map(Json::as_str)
            .collect();
        let want = expected
            .get(name)
            .unwrap_or_else(|| panic!("{name}: not recorded; run tests/oracle/record_facts.py"));
        let host = Host::new(case);
        let reply = probe_reply(&host, &collectors);
        let raw = Raw::parse(reply.as_bytes(), MK);
        let mut collected: Map<String, Json> = case
            .get("facts")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        for c in &collectors {
            let want = &want[*c];
            let got = kiln_facts(&raw, &host, &collected, c);
            if let Ok(g) = &got {
                collected.extend(g.clone());
            }
            let same = match (&got, want.get("__error__")) {
                (Err(_), Some(_)) => true,
                (Ok(g), None) => &Json::Object(g.clone()) == want,
                _ => false,
            };
            if !same {
                failures.push(format!(
                    "{name} [{c}]\n  ansible: {want}\n  kiln:    {}",
                    match got {
                        Ok(g) => Json::Object(g).to_string(),
                        Err(e) => format!("error {e}"),
                    }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
