// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `distribution` and `lsb` facts, decided as Ansible decides them: a first
//! guess from the same sources the `distro` library reads (os-release,
//! `lsb_release -a`, the first `/etc/*-release` file, `/etc/debian_version`),
//! then Ansible's walk over its list of distribution files, where the first
//! file that parses wins and may refine the guess.

use super::raw::{Raw, py_split, py_splitlines, py_strip};
use super::text::shlex_split;
use regex::Regex;
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;

type Facts = Map<String, Json>;

/// What the `distro` library knows about the host.
#[derive(Debug, Default)]
struct Distro {
    os_release: HashMap<String, String>,
    lsb: HashMap<String, String>,
    release_file: HashMap<String, String>,
    debian_version: String,
}

/// The capture groups of the first match of `pattern` (a constant of this
/// file: an invalid one would simply never match, and the tests catch it).
fn groups(pattern: &str, text: &str) -> Option<Vec<Option<String>>> {
    let r = Regex::new(pattern).ok()?;
    let m = r.captures(text)?;
    Some(
        m.iter()
            .map(|g| g.map(|g| g.as_str().to_string()))
            .collect(),
    )
}

/// Group `n` of the first match.
fn group(pattern: &str, text: &str, n: usize) -> Option<String> {
    groups(pattern, text)?.get(n).cloned().flatten()
}

fn cap1(pattern: &str, data: &str) -> Option<String> {
    group(pattern, data, 1)
}

fn parse_os_release(text: &str) -> Result<HashMap<String, String>, String> {
    let mut props = HashMap::new();
    for token in shlex_split(text, true, true)? {
        if let Some((k, v)) = token.split_once('=') {
            props.insert(k.to_lowercase(), v.to_string());
        }
    }
    if let Some(version) = props.get("version").cloned()
        && let Some(g) = groups(r"\((\D+)\)|,\s*(\D+)", &version)
    {
        let name = g
            .get(1)
            .cloned()
            .flatten()
            .or_else(|| g.get(2).cloned().flatten());
        if let Some(name) = name {
            props.insert("codename".into(), name.clone());
            props.insert("release_codename".into(), name);
        }
    }
    if let Some(c) = props.get("version_codename").cloned() {
        props.insert("codename".into(), c);
    } else if let Some(c) = props.get("ubuntu_codename").cloned() {
        props.insert("codename".into(), c);
    }
    Ok(props)
}

fn parse_lsb_release(text: &str) -> HashMap<String, String> {
    let mut props = HashMap::new();
    for line in py_splitlines(text) {
        if let Some((k, v)) = line.split_once(':') {
            props.insert(k.replace(' ', "_").to_lowercase(), py_strip(v).to_string());
        }
    }
    props
}

/// The first line of a distro release file ("CentOS Linux release 7.9 (Core)").
fn parse_release_line(line: &str) -> HashMap<String, String> {
    let mut info = HashMap::new();
    let reversed: String = py_strip(line).chars().rev().collect();
    let pattern = r"^(?:[^)]*\)(.*)\()? *(?:STL )?([\d.+\-a-z]*\d) *(?:esaeler *)?(.+)";
    if let Some(g) = groups(pattern, &reversed) {
        let rev = |s: &str| s.chars().rev().collect::<String>();
        let get = |n: usize| g.get(n).cloned().flatten().filter(|s| !s.is_empty());
        if let Some(s) = get(3) {
            info.insert("name".into(), rev(&s));
        }
        if let Some(s) = get(2) {
            info.insert("version_id".into(), rev(&s));
        }
        if let Some(s) = get(1) {
            info.insert("codename".into(), rev(&s));
        }
    } else if !line.is_empty() {
        info.insert("name".into(), py_strip(line).to_string());
    }
    info
}

const IGNORED_RELEASE_FILES: &[&str] = &[
    "debian_version",
    "lsb-release",
    "oem-release",
    "os-release",
    "system-release",
    "plesk-release",
    "iredmail-release",
    "board-release",
    "ec2_version",
];

impl Distro {
    fn load(raw: &Raw) -> Result<Distro, String> {
        let etc = "/etc/os-release";
        let usr = "/usr/lib/os-release";
        let path = if raw.is_file(etc) || !raw.is_file(usr) {
            etc
        } else {
            usr
        };
        let os_release = match raw.file_raw(path) {
            Some(text) if raw.is_file(path) => parse_os_release(text)?,
            _ => HashMap::new(),
        };
        let lsb = raw
            .ok("lsb_release")
            .map(parse_lsb_release)
            .unwrap_or_default();
        let mut release_file = HashMap::new();
        if let Some(listing) = raw.section("distro_release_files") {
            let mut files: Vec<(&str, &str)> = listing
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .filter(|(name, _)| !IGNORED_RELEASE_FILES.contains(name))
                .collect();
            files.sort_unstable();
            files.dedup();
            for (name, first) in files {
                let Some(id) = cap1(r"^(\w+)[-_](release|version)$", name) else {
                    continue;
                };
                let mut info = parse_release_line(first);
                if !info.contains_key("name") {
                    continue;
                }
                info.insert("id".into(), id);
                if info
                    .get("name")
                    .is_some_and(|n| n.to_lowercase().contains("cloudlinux"))
                {
                    info.insert("id".into(), "cloudlinux".into());
                }
                release_file = info;
                break;
            }
        }
        let debian_version = raw
            .file_raw("/etc/debian_version")
            .and_then(|t| t.split('\n').next())
            .map(|l| l.trim_end().to_string())
            .unwrap_or_default();
        Ok(Distro {
            os_release,
            lsb,
            release_file,
            debian_version,
        })
    }

    fn os(&self, k: &str) -> &str {
        self.os_release.get(k).map(String::as_str).unwrap_or("")
    }
    fn lsb(&self, k: &str) -> &str {
        self.lsb.get(k).map(String::as_str).unwrap_or("")
    }
    fn rel(&self, k: &str) -> &str {
        self.release_file.get(k).map(String::as_str).unwrap_or("")
    }

    fn id(&self) -> String {
        let norm = |s: &str| s.to_lowercase().replace(' ', "_");
        if !self.os("id").is_empty() {
            let id = norm(self.os("id"));
            return match id.as_str() {
                "ol" => "oracle".into(),
                "opensuse-leap" => "opensuse".into(),
                _ => id,
            };
        }
        if !self.lsb("distributor_id").is_empty() {
            let id = norm(self.lsb("distributor_id"));
            return match id.as_str() {
                "enterpriseenterpriseas" | "enterpriseenterpriseserver" => "oracle".into(),
                "redhatenterpriseworkstation"
                | "redhatenterpriseserver"
                | "redhatenterprisecomputenode" => "rhel".into(),
                _ => id,
            };
        }
        if !self.rel("id").is_empty() {
            let id = norm(self.rel("id"));
            return if id == "redhat" { "rhel".into() } else { id };
        }
        String::new()
    }

    fn version(&self, best: bool) -> String {
        let mut candidates = vec![
            self.os("version_id").to_string(),
            self.lsb("release").to_string(),
            self.rel("version_id").to_string(),
            parse_release_line(self.os("pretty_name"))
                .remove("version_id")
                .unwrap_or_default(),
            parse_release_line(self.lsb("description"))
                .remove("version_id")
                .unwrap_or_default(),
        ];
        let like_debian = self.os("id_like").split_whitespace().any(|w| w == "debian");
        if self.id() == "debian" || like_debian {
            candidates.push(self.debian_version.clone());
        }
        let mut version = String::new();
        for v in candidates {
            if best {
                if v.matches('.').count() > version.matches('.').count() || version.is_empty() {
                    version = v;
                }
            } else if !v.is_empty() {
                return v;
            }
        }
        version
    }

    fn codename(&self) -> String {
        if let Some(c) = self.os_release.get("codename") {
            return c.clone();
        }
        [self.lsb("codename"), self.rel("codename")]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string()
    }

    /// `sys_info.get_distribution()`.
    fn distribution(&self) -> String {
        let d = capitalize(&self.id());
        match d.as_str() {
            "Amzn" => "Amazon".into(),
            "Rhel" => "Redhat".into(),
            "" => "OtherLinux".into(),
            _ => d,
        }
    }

    /// `sys_info.get_distribution_version()`.
    fn distribution_version(&self) -> String {
        let id = self.id();
        let mut version = self.version(false);
        if id == "centos" {
            let best = self.version(true);
            version = best.split('.').take(2).collect::<Vec<_>>().join(".");
        } else if id == "debian" {
            version = self.version(true);
        }
        version
    }

    /// `sys_info.get_distribution_codename()`.
    fn distribution_codename(&self) -> Option<String> {
        if let Some(c) = self.os_release.get("version_codename") {
            return Some(c.clone());
        }
        if let Some(c) = self.os_release.get("ubuntu_codename") {
            return Some(c.clone());
        }
        if self.id() == "ubuntu"
            && let Some(c) = self.lsb.get("codename")
        {
            return Some(c.clone());
        }
        Some(self.codename()).filter(|c| !c.is_empty())
    }
}

/// Python's `str.capitalize()`.
fn capitalize(s: &str) -> String {
    let mut it = s.chars();
    match it.next() {
        Some(f) => f
            .to_uppercase()
            .chain(it.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Ansible's distribution files, in its order: (path, name, may be empty).
const DIST_FILES: &[(&str, &str, bool)] = &[
    ("/etc/altlinux-release", "Altlinux", false),
    ("/etc/oracle-release", "OracleLinux", false),
    ("/etc/slackware-version", "Slackware", false),
    ("/etc/centos-release", "CentOS", false),
    ("/etc/redhat-release", "RedHat", false),
    ("/etc/vmware-release", "VMwareESX", true),
    ("/etc/openwrt_release", "OpenWrt", false),
    ("/etc/os-release", "Amazon", false),
    ("/etc/system-release", "Amazon", false),
    ("/etc/alpine-release", "Alpine", false),
    ("/etc/arch-release", "Archlinux", true),
    ("/etc/os-release", "Archlinux", false),
    ("/etc/os-release", "SUSE", false),
    ("/etc/SuSE-release", "SUSE", false),
    ("/etc/gentoo-release", "Gentoo", false),
    ("/etc/os-release", "Debian", false),
    ("/etc/lsb-release", "Debian", false),
    ("/etc/lsb-release", "Mandriva", false),
    ("/etc/sourcemage-release", "SMGL", false),
    ("/usr/lib/os-release", "ClearLinux", false),
    ("/etc/coreos/update.conf", "Coreos", false),
    ("/etc/os-release", "Flatcar", false),
    ("/etc/os-release", "NA", false),
];

fn search_string(name: &str) -> Option<&'static str> {
    match name {
        "OracleLinux" => Some("Oracle Linux"),
        "RedHat" => Some("Red Hat"),
        "Altlinux" => Some("ALT"),
        "SMGL" => Some("Source Mage GNU/Linux"),
        _ => None,
    }
}

const OS_FAMILY: &[(&str, &[&str])] = &[
    (
        "RedHat",
        &[
            "RedHat",
            "RHEL",
            "Fedora",
            "CentOS",
            "Scientific",
            "SLC",
            "Ascendos",
            "CloudLinux",
            "PSBM",
            "OracleLinux",
            "OVS",
            "OEL",
            "Amazon",
            "Amzn",
            "Virtuozzo",
            "XenServer",
            "Alibaba",
            "EulerOS",
            "openEuler",
            "AlmaLinux",
            "Rocky",
            "TencentOS",
            "EuroLinux",
            "Kylin Linux Advanced Server",
            "MIRACLE",
        ],
    ),
    (
        "Debian",
        &[
            "Debian",
            "Ubuntu",
            "Raspbian",
            "Neon",
            "KDE neon",
            "Linux Mint",
            "SteamOS",
            "Devuan",
            "Kali",
            "Cumulus Linux",
            "Pop!_OS",
            "Parrot",
            "Pardus GNU/Linux",
            "Uos",
            "Deepin",
            "OSMC",
            "Linux Mint Debian Edition",
            "Univention Corporate Server",
        ],
    ),
    (
        "Suse",
        &[
            "SuSE",
            "SLES",
            "SLED",
            "openSUSE",
            "openSUSE Tumbleweed",
            "SLES_SAP",
            "SUSE_LINUX",
            "openSUSE Leap",
            "ALP-Dolomite",
            "SL-Micro",
            "openSUSE MicroOS",
        ],
    ),
    ("Archlinux", &["Archlinux", "Antergos", "Manjaro"]),
    ("Mandrake", &["Mandrake", "Mandriva"]),
    (
        "Solaris",
        &["Solaris", "Nexenta", "OmniOS", "OpenIndiana", "SmartOS"],
    ),
    ("Slackware", &["Slackware"]),
    ("Altlinux", &["Altlinux"]),
    ("SMGL", &["SMGL"]),
    ("Gentoo", &["Gentoo", "Funtoo"]),
    ("Alpine", &["Alpine"]),
    ("AIX", &["AIX"]),
    ("HP-UX", &["HPUX"]),
    ("Darwin", &["MacOSX"]),
    ("FreeBSD", &["FreeBSD", "TrueOS"]),
    ("ClearLinux", &["Clear Linux OS", "Clear Linux Mix"]),
    (
        "DragonFly",
        &[
            "DragonflyBSD",
            "DragonFlyBSD",
            "Gentoo/DragonflyBSD",
            "Gentoo/DragonFlyBSD",
        ],
    ),
    ("NetBSD", &["NetBSD"]),
];

/// The `os_family` of a distribution name.
pub fn os_family(distribution: &str) -> String {
    OS_FAMILY
        .iter()
        .find(|(_, names)| names.contains(&distribution))
        .map(|(family, _)| family.to_string())
        .unwrap_or_else(|| distribution.to_string())
}

fn fact_str<'a>(f: &'a Facts, k: &str) -> &'a str {
    f.get(k).and_then(Json::as_str).unwrap_or("")
}

/// One distribution file's parser: `Ok(None)` when it does not apply.
fn parse_dist_file(
    raw: &Raw,
    distro: &Distro,
    name: &str,
    content: &str,
    path: &str,
    collected: &Facts,
) -> Result<Option<Facts>, String> {
    let data = content.trim_matches(['\'', '"', '\\']);
    let mut f = Facts::new();
    if let Some(needle) = search_string(name) {
        let dist = if data.contains(needle) {
            f.insert("distribution_file_search_string".into(), json!(needle));
            name.to_string()
        } else {
            py_split(data)
                .next()
                .ok_or("IndexError: list index out of range")?
                .to_string()
        };
        f.insert("distribution".into(), json!(dist));
        return Ok(Some(f));
    }
    if name == "Archlinux" {
        if data.contains("Arch Linux") {
            f.insert("distribution".into(), json!(name));
            return Ok(Some(f));
        }
        return Ok(None);
    }
    match name {
        "Slackware" => {
            if !data.contains("Slackware") {
                return Ok(None);
            }
            f.insert("distribution".into(), json!(name));
            if let Some(v) = group(r"\w+[.]\w+\+?", data, 0) {
                f.insert("distribution_version".into(), json!(v));
            }
        }
        "Amazon" => {
            if !data.contains("Amazon") {
                return Ok(None);
            }
            f.insert("distribution".into(), json!("Amazon"));
            if path == "/etc/os-release" {
                if let Some(v) = cap1(r#"VERSION_ID="(.*)""#, data) {
                    let parts: Vec<&str> = v.split('.').collect();
                    let (major, minor) = match parts.as_slice() {
                        [major] => (major.to_string(), "NA".to_string()),
                        [major, minor] => (major.to_string(), minor.to_string()),
                        _ => return Err("ValueError: too many values to unpack".into()),
                    };
                    f.insert("distribution_version".into(), json!(v));
                    f.insert("distribution_major_version".into(), json!(major));
                    f.insert("distribution_minor_version".into(), json!(minor));
                }
            } else {
                let v = py_split(data)
                    .find(|w| !w.is_empty() && w.chars().all(|c| c.is_numeric()))
                    .unwrap_or("NA");
                f.insert("distribution_version".into(), json!(v));
            }
        }
        "OpenWrt" => {
            if !data.contains("OpenWrt") {
                return Ok(None);
            }
            f.insert("distribution".into(), json!(name));
            if let Some(v) = cap1(r#"DISTRIB_RELEASE="(.*)""#, data) {
                f.insert("distribution_version".into(), json!(v));
            }
            if let Some(v) = cap1(r#"DISTRIB_CODENAME="(.*)""#, data) {
                f.insert("distribution_release".into(), json!(v));
            }
        }
        "Alpine" => {
            f.insert("distribution".into(), json!("Alpine"));
            f.insert("distribution_version".into(), json!(data));
        }
        "SUSE" => return parse_suse(raw, data, path, collected).map(Some),
        "Debian" => return parse_debian(raw, data, path, collected),
        "Mandriva" => {
            if !data.contains("Mandriva") {
                return Ok(None);
            }
            if let Some(v) = cap1(r#"DISTRIB_RELEASE="(.*)""#, data) {
                f.insert("distribution_version".into(), json!(v));
            }
            if let Some(v) = cap1(r#"DISTRIB_CODENAME="(.*)""#, data) {
                f.insert("distribution_release".into(), json!(v));
            }
            f.insert("distribution".into(), json!(name));
        }
        "NA" => {
            for line in py_splitlines(data) {
                if let Some(d) = cap1("^NAME=(.*)", line) {
                    f.insert(
                        "distribution".into(),
                        json!(d.trim_matches(['\'', '"', '\\'])),
                    );
                }
                if let Some(v) = cap1("^VERSION=(.*)", line)
                    && fact_str(collected, "distribution_version") == "NA"
                {
                    f.insert(
                        "distribution_version".into(),
                        json!(v.trim_matches(['\'', '"', '\\'])),
                    );
                }
            }
        }
        "Coreos" => {
            if distro.distribution().to_lowercase() != "coreos" || data.is_empty() {
                return Ok(None);
            }
            if let Some(v) = cap1("^GROUP=(.*)", data) {
                f.insert("distribution_release".into(), json!(v.trim_matches('"')));
            }
        }
        "Flatcar" => {
            if distro.distribution().to_lowercase() != "flatcar" || data.is_empty() {
                return Ok(None);
            }
            if let Some(v) = cap1("VERSION=(.*)", data) {
                let v = v.trim_matches('"');
                let major = v.split('.').next().unwrap_or("");
                f.insert("distribution_major_version".into(), json!(major));
                f.insert("distribution_version".into(), json!(v));
            }
        }
        "ClearLinux" => {
            let Some(pname) = cap1(r#"NAME="(.*)""#, data) else {
                return Ok(None);
            };
            if !pname.contains("Clear Linux") {
                return Ok(None);
            }
            f.insert("distribution".into(), json!(pname));
            if let Some(v) = cap1("VERSION_ID=(.*)", data) {
                f.insert("distribution_major_version".into(), json!(v));
                f.insert("distribution_version".into(), json!(v));
            }
            if let Some(v) = cap1("ID=(.*)", data) {
                f.insert("distribution_release".into(), json!(v));
            }
        }
        "CentOS" => {
            if data.contains("CentOS Stream") {
                f.insert("distribution_release".into(), json!("Stream"));
            } else if data.contains("TencentOS Server") {
                f.insert("distribution".into(), json!("TencentOS"));
            } else {
                return Ok(None);
            }
        }
        // A name with no parser of its own (Gentoo): Ansible skips it.
        _ => return Ok(None),
    }
    Ok(Some(f))
}

fn parse_debian(
    raw: &Raw,
    data: &str,
    path: &str,
    collected: &Facts,
) -> Result<Option<Facts>, String> {
    let mut f = Facts::new();
    let mut put = |k: &str, v: String| {
        f.insert(k.into(), json!(v));
    };
    if data.contains("Debian") || data.contains("Raspbian") {
        put("distribution", "Debian".into());
        if let Some(r) = cap1(r"PRETTY_NAME=[^(]+ \(?([^)]+?)\)", data) {
            put("distribution_release", r);
        }
        if fact_str(collected, "distribution_release") == "NA"
            && data.contains("Debian")
            && let Some(out) = raw.ok("tzdata")
        {
            // `dpkg --status tzdata | grep Provides | cut -f2 -d'-'`
            let picked: Vec<&str> = out
                .lines()
                .filter(|l| l.contains("Provides"))
                .map(|l| l.split('-').nth(1).unwrap_or(l))
                .collect();
            put(
                "distribution_release",
                py_strip(&picked.join("\n")).to_string(),
            );
        }
        for line in raw.lines("/etc/debian_version") {
            if let Some(minor) = group(r"(\d+)\.(\d+)", py_strip(line), 2) {
                put("distribution_minor_version", minor);
            }
        }
    } else if data.contains("Ubuntu") {
        put("distribution", "Ubuntu".into());
    } else if data.contains("SteamOS") {
        put("distribution", "SteamOS".into());
    } else if (path == "/etc/lsb-release" || path == "/etc/os-release")
        && (data.contains("Kali") || data.contains("Parrot"))
    {
        let name = if data.contains("Kali") {
            "Kali"
        } else {
            "Parrot"
        };
        put("distribution", name.into());
        if let Some(r) = cap1("DISTRIB_RELEASE=(.*)", data) {
            put("distribution_release", r);
        }
    } else if data.contains("Devuan") {
        put("distribution", "Devuan".into());
        if let Some(r) = cap1(r#"PRETTY_NAME="?[^("]+ \(?([^) "]+)\)?"#, data) {
            put("distribution_release", r);
        }
        if let Some(v) = cap1(r#"VERSION_ID="(.*)""#, data) {
            put("distribution_version", v.clone());
            put("distribution_major_version", v);
        }
    } else if data.contains("Cumulus") {
        put("distribution", "Cumulus Linux".into());
        if let Some(v) = cap1("VERSION_ID=(.*)", data) {
            let parts: Vec<&str> = v.split('.').collect();
            if parts.len() != 3 {
                // Ansible unpacks exactly three parts: any other count fails
                // the whole collector.
                return Err(format!(
                    "ValueError: not enough values to unpack (expected 3, got {})",
                    parts.len()
                ));
            }
            put("distribution_major_version", parts[0].to_string());
            put("distribution_version", v.clone());
        }
        if let Some(r) = cap1(r#"VERSION="(.*)""#, data) {
            put("distribution_release", r);
        }
    } else if data.contains("Mint") {
        put("distribution", "Linux Mint".into());
        if let Some(v) = cap1(r#"VERSION_ID="(.*)""#, data) {
            put(
                "distribution_major_version",
                v.split('.').next().unwrap_or("").to_string(),
            );
            put("distribution_version", v);
        }
    } else if data.contains("UOS") || data.contains("Uos") || data.contains("uos") {
        put("distribution", "Uos".into());
        codename_and_version(&mut put, data);
    } else if data.contains("Deepin") || data.contains("deepin") {
        put("distribution", "Deepin".into());
        codename_and_version(&mut put, data);
    } else if data.contains("LMDE") {
        put("distribution", "Linux Mint Debian Edition".into());
    } else {
        return Ok(None);
    }
    Ok(Some(f))
}

fn codename_and_version(put: &mut impl FnMut(&str, String), data: &str) {
    if let Some(r) = cap1(r#"VERSION_CODENAME="?([^"]+)"?"#, data) {
        put("distribution_release", r);
    }
    if let Some(v) = cap1(r#"VERSION_ID="(.*)""#, data) {
        put(
            "distribution_major_version",
            v.split('.').next().unwrap_or("").to_string(),
        );
        put("distribution_version", v);
    }
}

fn parse_suse(raw: &Raw, data: &str, path: &str, collected: &Facts) -> Result<Facts, String> {
    let mut f = Facts::new();
    let lower = data.to_lowercase();
    if !lower.contains("suse") {
        return Err(String::new());
    }
    if path == "/etc/os-release" {
        for line in py_splitlines(data) {
            if let Some(d) = cap1("^NAME=(.*)", line) {
                f.insert("distribution".into(), json!(d.trim_matches('"')));
            }
            if let Some(v) = cap1(r#"^VERSION_ID="?([0-9]+\.?[0-9]*)"?"#, line) {
                f.insert(
                    "distribution_major_version".into(),
                    json!(v.split('.').next().unwrap_or("")),
                );
                f.insert("distribution_version".into(), json!(v));
            }
            let release = cap1(r#"^VERSION_ID="?[0-9]+\.?([0-9]*)"?"#, line);
            if lower.contains("open") {
                if let Some(r) = release {
                    f.insert("distribution_release".into(), json!(r));
                }
            } else if lower.contains("enterprise") && line.contains("VERSION_ID") {
                let r = release
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "0".into());
                f.insert("distribution_release".into(), json!(r));
            }
        }
    } else if path == "/etc/SuSE-release" {
        if lower.contains("open") {
            let first = raw
                .file(path)
                .and_then(|t| py_splitlines(t).next())
                .unwrap_or("");
            if let Some(d) = py_split(first).next() {
                f.insert("distribution".into(), json!(d));
            }
            for line in py_splitlines(data) {
                if let Some(r) = cap1("CODENAME *= *([^\n]+)", line) {
                    f.insert("distribution_release".into(), json!(py_strip(&r)));
                }
            }
            // Ansible has split `data` into a list of lines here, and its
            // VARIANT_ID search below cannot take a list: the collector
            // fails for every openSUSE SuSE-release it gets this far with.
            return Err("TypeError: expected string or bytes-like object, got 'list'".into());
        } else if lower.contains("enterprise") {
            if data.contains("Server") {
                f.insert("distribution".into(), json!("SLES"));
            } else if data.contains("Desktop") {
                f.insert("distribution".into(), json!("SLED"));
            }
            for line in py_splitlines(data) {
                if let Some(r) = cap1("PATCHLEVEL = ([0-9]+)", line) {
                    let version = format!("{}.{r}", fact_str(collected, "distribution_version"));
                    f.insert("distribution_release".into(), json!(r));
                    f.insert("distribution_version".into(), json!(version));
                }
            }
        }
    }
    match cap1(r#"(?m)^VARIANT_ID="?([^"\n]*)"?"#, data) {
        Some(v) if v == "server-sap" || v == "sles-sap" => {
            f.insert("distribution".into(), json!("SLES_SAP"));
        }
        Some(v) if v == "transactional" => {
            f.insert("distribution".into(), json!("SL-Micro"));
        }
        Some(_) => {}
        None => {
            if raw.is_link("/etc/products.d/baseproduct") {
                let target = raw.ok("baseproduct").map(py_strip).unwrap_or("");
                if target.ends_with("SLES_SAP.prod") {
                    f.insert("distribution".into(), json!("SLES_SAP"));
                } else if target.ends_with("SL-Micro.prod") {
                    f.insert("distribution".into(), json!("SL-Micro"));
                }
            }
        }
    }
    Ok(f)
}

/// The `distribution` collector.
pub fn distribution(
    raw: &Raw,
    system: &str,
    release: &str,
    version: &str,
) -> Result<Facts, String> {
    let mut facts = Facts::new();
    facts.insert("distribution".into(), json!(system));
    facts.insert("distribution_release".into(), json!(release));
    facts.insert("distribution_version".into(), json!(version));
    if system == "Linux" {
        let distro = Distro::load(raw)?;
        let dist = distro.distribution();
        let ver = distro.distribution_version();
        let ver = if ver.is_empty() {
            "NA".to_string()
        } else {
            ver
        };
        let mut file_facts = Facts::new();
        file_facts.insert(
            "distribution".into(),
            json!(if dist.is_empty() { "NA".into() } else { dist }),
        );
        file_facts.insert("distribution_version".into(), json!(ver));
        file_facts.insert(
            "distribution_release".into(),
            json!(
                distro
                    .distribution_codename()
                    .unwrap_or_else(|| "NA".into())
            ),
        );
        let major = ver
            .split('.')
            .next()
            .filter(|m| !m.is_empty())
            .unwrap_or("NA");
        file_facts.insert("distribution_major_version".into(), json!(major));
        for &(path, name, allow_empty) in DIST_FILES {
            if !raw.is_file(path) || (!allow_empty && !raw.non_empty(path)) {
                continue;
            }
            if allow_empty {
                file_facts.insert("distribution".into(), json!(name));
                file_facts.insert("distribution_file_path".into(), json!(path));
                file_facts.insert("distribution_file_variety".into(), json!(name));
                break;
            }
            let content = raw
                .file(path)
                .ok_or("AttributeError: 'NoneType' object has no attribute 'strip'")?;
            let parsed = match parse_dist_file(raw, &distro, name, content, path, &file_facts) {
                Ok(p) => p,
                // SUSE's "not SUSE" answer.
                Err(e) if e.is_empty() => None,
                Err(e) => return Err(e),
            };
            if let Some(parsed) = parsed {
                file_facts.insert("distribution".into(), json!(name));
                file_facts.insert("distribution_file_path".into(), json!(path));
                file_facts.insert("distribution_file_variety".into(), json!(name));
                file_facts.insert("distribution_file_parsed".into(), json!(true));
                file_facts.extend(parsed);
                break;
            }
        }
        facts.extend(file_facts);
    }
    let dist = fact_str(&facts, "distribution").to_string();
    facts.insert("os_family".into(), json!(os_family(&dist)));
    Ok(facts)
}

/// The `lsb` collector. A line of /etc/lsb-release without `=` (a comment,
/// a blank line between entries) makes Ansible's collector fail (IndexError),
/// which drops the `lsb` fact altogether.
pub fn lsb(raw: &Raw) -> Result<Facts, String> {
    let mut lsb: Vec<(&str, String)> = Vec::new();
    let set = |lsb: &mut Vec<(&str, String)>, k: &'static str, v: &str| match lsb
        .iter_mut()
        .find(|(key, _)| *key == k)
    {
        Some(e) => e.1 = v.to_string(),
        None => lsb.push((k, v.to_string())),
    };
    if raw.bin("lsb_release").is_some()
        && let Some(out) = raw.ok("lsb_release")
    {
        for line in py_splitlines(out) {
            let Some((_, value)) = line.split_once(':') else {
                continue;
            };
            let value = py_strip(value);
            if line.contains("LSB Version:") || line.contains("Release:") {
                set(&mut lsb, "release", value);
            } else if line.contains("Distributor ID:") {
                set(&mut lsb, "id", value);
            } else if line.contains("Description:") {
                set(&mut lsb, "description", value);
            } else if line.contains("Codename:") {
                set(&mut lsb, "codename", value);
            }
        }
    }
    if lsb.is_empty() && raw.exists("/etc/lsb-release") {
        for line in raw.lines("/etc/lsb-release") {
            let (_, value) = line
                .split_once('=')
                .ok_or("IndexError: list index out of range")?;
            let value = py_strip(value);
            if line.contains("DISTRIB_ID") {
                set(&mut lsb, "id", value);
            } else if line.contains("DISTRIB_RELEASE") {
                set(&mut lsb, "release", value);
            } else if line.contains("DISTRIB_DESCRIPTION") {
                set(&mut lsb, "description", value);
            } else if line.contains("DISTRIB_CODENAME") {
                set(&mut lsb, "codename", value);
            }
        }
    }
    if let Some(rel) = lsb
        .iter()
        .find(|(k, _)| *k == "release")
        .map(|(_, v)| v.clone())
    {
        let major = rel.split('.').next().unwrap_or("").to_string();
        set(&mut lsb, "major_release", &major);
    }
    let mut out = Map::new();
    for (k, v) in lsb {
        let v = if v.is_empty() {
            v
        } else {
            v.trim_matches(['\'', '"', '\\']).to_string()
        };
        out.insert(k.into(), json!(v));
    }
    let mut facts = Facts::new();
    facts.insert("lsb".into(), Json::Object(out));
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MK: &str = "MK";

    fn reply(sections: &[(&str, &str)]) -> Raw {
        let mut s = String::new();
        for (head, body) in sections {
            s.push_str(&format!("\n{MK} {head}\n{body}"));
        }
        s.push_str(&format!("\n{MK} end\n"));
        Raw::parse(s.as_bytes(), MK)
    }

    const DEBIAN12: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n\
HOME_URL=\"https://www.debian.org/\"\n";

    #[test]
    fn debian_12_as_ansible_reports_it() {
        let raw = reply(&[
            (
                "t",
                "efsr /etc/os-release\nefsr /usr/lib/os-release\n- /etc/lsb-release\n",
            ),
            ("f /etc/os-release", DEBIAN12),
            ("f /usr/lib/os-release", DEBIAN12),
            ("f /etc/debian_version", "12.11\n"),
            (
                "c lsb_release",
                "Distributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n",
            ),
            ("rc lsb_release 0", ""),
            ("bins", "lsb_release /usr/bin/lsb_release\n"),
        ]);
        let f = distribution(&raw, "Linux", "6.1.0", "#1 SMP").expect("parses");
        assert_eq!(f["distribution"], "Debian");
        assert_eq!(f["distribution_version"], "12.11");
        assert_eq!(f["distribution_major_version"], "12");
        assert_eq!(f["distribution_minor_version"], "11");
        assert_eq!(f["distribution_release"], "bookworm");
        assert_eq!(f["distribution_file_path"], "/etc/os-release");
        assert_eq!(f["distribution_file_variety"], "Debian");
        assert_eq!(f["distribution_file_parsed"], true);
        assert_eq!(f["os_family"], "Debian");
        let l = lsb(&raw).expect("lsb");
        assert_eq!(
            l["lsb"],
            json!({"id": "Debian", "description": "Debian GNU/Linux 12 (bookworm)",
                   "release": "12", "codename": "bookworm", "major_release": "12"})
        );
    }

    #[test]
    fn ubuntu_takes_version_from_os_release() {
        let osr = "NAME=\"Ubuntu\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n\
PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n";
        let raw = reply(&[
            ("t", "efsr /etc/os-release\n"),
            ("f /etc/os-release", osr),
            ("f /etc/debian_version", "bookworm/sid\n"),
        ]);
        let f = distribution(&raw, "Linux", "r", "v").expect("parses");
        assert_eq!(f["distribution"], "Ubuntu");
        assert_eq!(f["distribution_version"], "22.04");
        assert_eq!(f["distribution_major_version"], "22");
        assert_eq!(f["distribution_release"], "jammy");
        assert_eq!(f["os_family"], "Debian");
    }

    #[test]
    fn rocky_from_redhat_release() {
        let osr = "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n\
VERSION_ID=\"9.3\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n";
        let raw = reply(&[
            (
                "t",
                "efsr /etc/os-release\nefsr /etc/redhat-release\nefsr /etc/system-release\n",
            ),
            ("f /etc/os-release", osr),
            (
                "f /etc/redhat-release",
                "Rocky Linux release 9.3 (Blue Onyx)\n",
            ),
            (
                "distro_release_files",
                "redhat-release\tRocky Linux release 9.3 (Blue Onyx)\nrocky-release\tRocky Linux release 9.3 (Blue Onyx)\n",
            ),
        ]);
        let f = distribution(&raw, "Linux", "r", "v").expect("parses");
        // "Red Hat" is not in the file: its first word names the distribution.
        assert_eq!(f["distribution"], "Rocky");
        assert_eq!(f["distribution_file_variety"], "RedHat");
        assert_eq!(f["distribution_version"], "9.3");
        assert_eq!(f["distribution_major_version"], "9");
        assert_eq!(f["distribution_release"], "Blue Onyx");
        assert_eq!(f["os_family"], "RedHat");
    }

    #[test]
    fn alpine_and_unknown() {
        let raw = reply(&[
            ("t", "efsr /etc/os-release\nefsr /etc/alpine-release\n"),
            (
                "f /etc/os-release",
                "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n",
            ),
            ("f /etc/alpine-release", "3.19.1\n"),
        ]);
        let f = distribution(&raw, "Linux", "r", "v").expect("parses");
        assert_eq!(f["distribution"], "Alpine");
        assert_eq!(f["distribution_version"], "3.19.1");
        assert_eq!(f["distribution_major_version"], "3");
        assert_eq!(f["os_family"], "Alpine");

        let raw = reply(&[
            ("t", "efsr /etc/os-release\n"),
            ("f /etc/os-release", "NAME=\"Weird OS\"\nVERSION=\"7\"\n"),
        ]);
        let f = distribution(&raw, "Linux", "r", "v").expect("parses");
        assert_eq!(f["distribution"], "Weird OS");
        assert_eq!(f["distribution_version"], "7");
        assert_eq!(f["distribution_file_variety"], "NA");
        assert_eq!(f["os_family"], "Weird OS");
    }

    #[test]
    fn release_line_parser() {
        let i = parse_release_line("CentOS Linux release 7.9.2009 (Core)");
        assert_eq!(i["name"], "CentOS Linux");
        assert_eq!(i["version_id"], "7.9.2009");
        assert_eq!(i["codename"], "Core");
        let i = parse_release_line("Debian GNU/Linux 12 (bookworm)");
        assert_eq!(i["version_id"], "12");
    }

    /// The facts Ansible 2.21 reports for a host whose files are `files`
    /// ((path, flags, content): flags as the probe prints them).
    fn facts_of(files: &[(&str, &str, &str)], release_files: &str) -> Facts {
        let tested: String = files
            .iter()
            .map(|(p, flags, _)| format!("{flags} {p}\n"))
            .collect();
        let heads: Vec<String> = files.iter().map(|(p, _, _)| format!("f {p}")).collect();
        let mut sections: Vec<(&str, &str)> = vec![("t", &tested)];
        for (head, (_, _, body)) in heads.iter().zip(files) {
            sections.push((head, body));
        }
        sections.push(("distro_release_files", release_files));
        distribution(&reply(&sections), "Linux", "r", "v").expect("parses")
    }

    #[test]
    fn centos_7_takes_two_parts_of_the_longest_version() {
        let osr = "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n\
VERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n";
        let rel = "CentOS Linux release 7.9.2009 (Core)\n";
        let f = facts_of(
            &[
                ("/etc/os-release", "efsr", osr),
                ("/etc/centos-release", "efsr", rel),
                ("/etc/redhat-release", "efsr", rel),
                ("/etc/system-release", "efsr", rel),
            ],
            "centos-release\tCentOS Linux release 7.9.2009 (Core)\n\
redhat-release\tCentOS Linux release 7.9.2009 (Core)\n\
system-release\tCentOS Linux release 7.9.2009 (Core)\n",
        );
        // centos-release is not Stream: the RedHat file names it by its first word.
        assert_eq!(f["distribution"], "CentOS");
        assert_eq!(f["distribution_file_path"], "/etc/redhat-release");
        assert_eq!(f["distribution_file_variety"], "RedHat");
        assert_eq!(f["distribution_version"], "7.9");
        assert_eq!(f["distribution_major_version"], "7");
        assert_eq!(f["distribution_release"], "Core");
        assert_eq!(f["os_family"], "RedHat");
        assert!(f.get("distribution_file_search_string").is_none());
    }

    #[test]
    fn centos_stream_is_named_by_centos_release() {
        let osr = "NAME=\"CentOS Stream\"\nVERSION=\"9\"\nID=\"centos\"\nVERSION_ID=\"9\"\n\
PRETTY_NAME=\"CentOS Stream 9\"\n";
        let f = facts_of(
            &[
                ("/etc/os-release", "efsr", osr),
                ("/etc/centos-release", "efsr", "CentOS Stream release 9\n"),
                ("/etc/redhat-release", "efsr", "CentOS Stream release 9\n"),
            ],
            "centos-release\tCentOS Stream release 9\n",
        );
        assert_eq!(f["distribution"], "CentOS");
        assert_eq!(f["distribution_file_path"], "/etc/centos-release");
        assert_eq!(f["distribution_file_variety"], "CentOS");
        assert_eq!(f["distribution_release"], "Stream");
        assert_eq!(f["distribution_version"], "9");
        assert_eq!(f["os_family"], "RedHat");
    }

    #[test]
    fn fedora_has_an_empty_release() {
        let osr = "NAME=\"Fedora Linux\"\nVERSION=\"39 (Server Edition)\"\nID=fedora\nVERSION_ID=39\n\
VERSION_CODENAME=\"\"\nPLATFORM_ID=\"platform:f39\"\nPRETTY_NAME=\"Fedora Linux 39 (Server Edition)\"\n";
        let rel = "Fedora release 39 (Thirty Nine)\n";
        let f = facts_of(
            &[
                ("/etc/os-release", "efsr", osr),
                ("/etc/fedora-release", "efsr", rel),
                ("/etc/redhat-release", "efsr", rel),
                ("/etc/system-release", "efsr", rel),
            ],
            "fedora-release\tFedora release 39 (Thirty Nine)\nredhat-release\tFedora release 39 (Thirty Nine)\n",
        );
        assert_eq!(f["distribution"], "Fedora");
        assert_eq!(f["distribution_version"], "39");
        assert_eq!(f["distribution_major_version"], "39");
        // VERSION_CODENAME is present and empty: Ansible keeps the empty string.
        assert_eq!(f["distribution_release"], "");
        assert_eq!(f["distribution_file_variety"], "RedHat");
        assert_eq!(f["os_family"], "RedHat");
    }

    #[test]
    fn oracle_linux_matches_its_search_string() {
        let osr = "NAME=\"Oracle Linux Server\"\nVERSION=\"8.9\"\nID=\"ol\"\nID_LIKE=\"fedora\"\n\
VERSION_ID=\"8.9\"\nPRETTY_NAME=\"Oracle Linux Server 8.9\"\n";
        let f = facts_of(
            &[
                ("/etc/os-release", "efsr", osr),
                (
                    "/etc/oracle-release",
                    "efsr",
                    "Oracle Linux Server release 8.9\n",
                ),
                (
                    "/etc/redhat-release",
                    "efsr",
                    "Red Hat Enterprise Linux release 8.9\n",
                ),
            ],
            "oracle-release\tOracle Linux Server release 8.9\n",
        );
        assert_eq!(f["distribution"], "OracleLinux");
        assert_eq!(f["distribution_file_search_string"], "Oracle Linux");
        assert_eq!(f["distribution_file_path"], "/etc/oracle-release");
        assert_eq!(f["distribution_version"], "8.9");
        assert_eq!(f["distribution_major_version"], "8");
        assert_eq!(f["distribution_release"], "NA");
        assert_eq!(f["os_family"], "RedHat");
    }

    #[test]
    fn amazon_linux_from_os_release_and_from_system_release() {
        let osr = "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n\
VERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\n";
        let f = facts_of(
            &[
                ("/etc/os-release", "efsr", osr),
                (
                    "/etc/system-release",
                    "efsr",
                    "Amazon Linux release 2 (Karoo)\n",
                ),
            ],
            "",
        );
        assert_eq!(f["distribution"], "Amazon");
        assert_eq!(f["distribution_file_path"], "/etc/os-release");
        assert_eq!(f["distribution_file_variety"], "Amazon");
        assert_eq!(f["distribution_version"], "2");
        assert_eq!(f["distribution_major_version"], "2");
        assert_eq!(f["distribution_minor_version"], "NA");
        assert_eq!(f["os_family"], "RedHat");

        let osr = osr.replace("VERSION_ID=\"2\"", "VERSION_ID=\"2023.3\"");
        let f = facts_of(&[("/etc/os-release", "efsr", &osr)], "");
        assert_eq!(f["distribution_version"], "2023.3");
        assert_eq!(f["distribution_major_version"], "2023");
        assert_eq!(f["distribution_minor_version"], "3");

        // No os-release: the first all-digit word of system-release, or NA.
        let f = facts_of(
            &[(
                "/etc/system-release",
                "efsr",
                "Amazon Linux AMI release 2018.03\n",
            )],
            "",
        );
        assert_eq!(f["distribution"], "Amazon");
        assert_eq!(f["distribution_file_path"], "/etc/system-release");
        assert_eq!(f["distribution_version"], "NA");
        assert_eq!(f["distribution_major_version"], "NA");
        let f = facts_of(
            &[(
                "/etc/system-release",
                "efsr",
                "Amazon Linux release 2 (Karoo)\n",
            )],
            "",
        );
        assert_eq!(f["distribution_version"], "2");
    }

    #[test]
    fn arch_linux_with_empty_and_without_arch_release() {
        let osr = "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n";
        let f = facts_of(
            &[
                ("/etc/os-release", "efsr", osr),
                ("/etc/arch-release", "efr", ""),
            ],
            "",
        );
        // An empty arch-release is enough; it is not "parsed".
        assert_eq!(f["distribution"], "Archlinux");
        assert_eq!(f["distribution_file_path"], "/etc/arch-release");
        assert!(f.get("distribution_file_parsed").is_none());
        assert_eq!(f["distribution_version"], "NA");
        assert_eq!(f["distribution_major_version"], "NA");
        assert_eq!(f["distribution_release"], "NA");
        assert_eq!(f["os_family"], "Archlinux");

        let f = facts_of(&[("/etc/os-release", "efsr", osr)], "");
        assert_eq!(f["distribution"], "Archlinux");
        assert_eq!(f["distribution_file_path"], "/etc/os-release");
        assert_eq!(f["distribution_file_parsed"], true);
    }

    #[test]
    fn opensuse_leap_and_sles_for_sap_from_os_release() {
        let leap = "NAME=\"openSUSE Leap\"\nVERSION=\"15.5\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n\
VERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap 15.5\"\nCPE_NAME=\"cpe:/o:opensuse:leap:15.5\"\n";
        let f = facts_of(&[("/etc/os-release", "efsr", leap)], "");
        assert_eq!(f["distribution"], "openSUSE Leap");
        assert_eq!(f["distribution_file_variety"], "SUSE");
        assert_eq!(f["distribution_version"], "15.5");
        assert_eq!(f["distribution_major_version"], "15");
        // openSUSE's "release" is the minor number.
        assert_eq!(f["distribution_release"], "5");
        assert_eq!(f["os_family"], "Suse");

        let sap = "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nVERSION_ID=\"15.5\"\n\
PRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"\nID=\"sles\"\nID_LIKE=\"suse\"\n\
VARIANT_ID=\"sles-sap\"\nCPE_NAME=\"cpe:/o:suse:sles_sap:15:sp5\"\n";
        let f = facts_of(&[("/etc/os-release", "efsr", sap)], "");
        assert_eq!(f["distribution"], "SLES_SAP");
        assert_eq!(f["distribution_version"], "15.5");
        assert_eq!(f["distribution_release"], "5");
        assert_eq!(f["os_family"], "Suse");

        // SLES 15 GA: no minor number, so release "0".
        let ga = "NAME=\"SLES\"\nVERSION=\"15\"\nVERSION_ID=\"15\"\n\
PRETTY_NAME=\"SUSE Linux Enterprise Server 15\"\nID=\"sles\"\n";
        let f = facts_of(&[("/etc/os-release", "efsr", ga)], "");
        assert_eq!(f["distribution"], "SLES");
        assert_eq!(f["distribution_release"], "0");
        assert_eq!(f["distribution_major_version"], "15");
    }

    #[test]
    fn older_sles_for_sap_is_told_by_its_baseproduct_link() {
        let sles = "NAME=\"SLES\"\nVERSION=\"15-SP1\"\nVERSION_ID=\"15.1\"\n\
PRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP1\"\nID=\"sles\"\n";
        let raw = reply(&[
            (
                "t",
                "efsr /etc/os-release\nefl /etc/products.d/baseproduct\n",
            ),
            ("f /etc/os-release", sles),
            ("c baseproduct", "/etc/products.d/SLES_SAP.prod\n"),
            ("rc baseproduct 0", ""),
        ]);
        let f = distribution(&raw, "Linux", "r", "v").expect("parses");
        assert_eq!(f["distribution"], "SLES_SAP");
        assert_eq!(f["distribution_release"], "1");
    }

    #[test]
    fn sles_11_from_suse_release_adds_the_patchlevel() {
        let rel = "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n";
        let f = facts_of(
            &[("/etc/SuSE-release", "efsr", rel)],
            "SuSE-release\tSUSE Linux Enterprise Server 11 (x86_64)\n",
        );
        assert_eq!(f["distribution"], "SLES");
        assert_eq!(f["distribution_file_path"], "/etc/SuSE-release");
        assert_eq!(f["distribution_version"], "11.4");
        assert_eq!(f["distribution_major_version"], "11");
        assert_eq!(f["distribution_release"], "4");
        assert_eq!(f["os_family"], "Suse");
    }

    #[test]
    fn debian_derivatives_from_os_release() {
        let kali = "PRETTY_NAME=\"Kali GNU/Linux Rolling\"\nNAME=\"Kali GNU/Linux\"\nVERSION_ID=\"2024.1\"\n\
VERSION=\"2024.1\"\nVERSION_CODENAME=kali-rolling\nID=kali\nID_LIKE=debian\n";
        let f = facts_of(&[("/etc/os-release", "efsr", kali)], "");
        assert_eq!(f["distribution"], "Kali");
        assert_eq!(f["distribution_version"], "2024.1");
        assert_eq!(f["distribution_major_version"], "2024");
        assert_eq!(f["distribution_release"], "kali-rolling");
        assert_eq!(f["os_family"], "Debian");

        let mint = "NAME=\"Linux Mint\"\nVERSION=\"21.3 (Virginia)\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\n\
PRETTY_NAME=\"Linux Mint 21.3\"\nVERSION_ID=\"21.3\"\nVERSION_CODENAME=virginia\nUBUNTU_CODENAME=jammy\n";
        let f = facts_of(&[("/etc/os-release", "efsr", mint)], "");
        assert_eq!(f["distribution"], "Linux Mint");
        assert_eq!(f["distribution_version"], "21.3");
        assert_eq!(f["distribution_major_version"], "21");
        assert_eq!(f["distribution_release"], "virginia");
        assert_eq!(f["os_family"], "Debian");

        let devuan = "PRETTY_NAME=\"Devuan GNU/Linux 4 (chimaera)\"\nNAME=\"Devuan GNU/Linux\"\n\
VERSION_ID=\"4\"\nVERSION=\"4 (chimaera)\"\nVERSION_CODENAME=\"chimaera\"\nID=devuan\nID_LIKE=debian\n";
        let f = facts_of(&[("/etc/os-release", "efsr", devuan)], "");
        assert_eq!(f["distribution"], "Devuan");
        assert_eq!(f["distribution_version"], "4");
        assert_eq!(f["distribution_major_version"], "4");
        assert_eq!(f["distribution_release"], "chimaera");
        assert_eq!(f["os_family"], "Debian");
    }

    #[test]
    fn flatcar_clear_linux_openwrt_and_slackware() {
        let flatcar = "NAME=\"Flatcar Container Linux by Kinvolk\"\nID=flatcar\nID_LIKE=coreos\n\
VERSION=3760.2.0\nVERSION_ID=3760.2.0\nBUILD_ID=2024-01-10-1831\n\
PRETTY_NAME=\"Flatcar Container Linux by Kinvolk 3760.2.0 (Oklo)\"\n";
        let f = facts_of(&[("/etc/os-release", "efsr", flatcar)], "");
        assert_eq!(f["distribution"], "Flatcar");
        assert_eq!(f["distribution_version"], "3760.2.0");
        assert_eq!(f["distribution_major_version"], "3760");
        assert_eq!(f["distribution_release"], "NA");
        assert_eq!(f["os_family"], "Flatcar");

        // Clear Linux ships only /usr/lib/os-release.
        let clear = "NAME=\"Clear Linux OS\"\nVERSION=1\nID=clear-linux-os\nID_LIKE=clear-linux-os\n\
VERSION_ID=40990\nPRETTY_NAME=\"Clear Linux OS\"\n";
        let f = facts_of(&[("/usr/lib/os-release", "efsr", clear)], "");
        assert_eq!(f["distribution"], "Clear Linux OS");
        assert_eq!(f["distribution_file_path"], "/usr/lib/os-release");
        assert_eq!(f["distribution_version"], "40990");
        assert_eq!(f["distribution_major_version"], "40990");
        assert_eq!(f["distribution_release"], "clear-linux-os");
        assert_eq!(f["os_family"], "ClearLinux");

        // OpenWrt quotes with single quotes, which Ansible's pattern (double
        // quotes) misses: the version comes from os-release.
        let wrt_rel = "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='23.05.2'\nDISTRIB_REVISION='r23630-842932a63d'\n\
DISTRIB_DESCRIPTION='OpenWrt 23.05.2 r23630-842932a63d'\n";
        let wrt_osr = "NAME=\"OpenWrt\"\nVERSION=\"23.05.2\"\nID=\"openwrt\"\nID_LIKE=\"lede openwrt\"\n\
PRETTY_NAME=\"OpenWrt 23.05.2\"\nVERSION_ID=\"23.05.2\"\n";
        let f = facts_of(
            &[
                ("/etc/os-release", "efsr", wrt_osr),
                ("/etc/openwrt_release", "efsr", wrt_rel),
            ],
            "",
        );
        assert_eq!(f["distribution"], "OpenWrt");
        assert_eq!(f["distribution_file_path"], "/etc/openwrt_release");
        assert_eq!(f["distribution_version"], "23.05.2");
        assert_eq!(f["distribution_major_version"], "23");
        assert_eq!(f["os_family"], "OpenWrt");
        let f = facts_of(
            &[(
                "/etc/openwrt_release",
                "efsr",
                "DISTRIB_ID=\"OpenWrt\"\nDISTRIB_RELEASE=\"19.07.10\"\nDISTRIB_CODENAME=\"openwrt-19.07\"\n",
            )],
            "",
        );
        assert_eq!(f["distribution_version"], "19.07.10");
        // Ansible strips the file's closing quote before matching, so the
        // last line's pattern (here the codename) never matches.
        assert_eq!(f["distribution_release"], "NA");

        let f = facts_of(
            &[("/etc/slackware-version", "efsr", "Slackware 15.0\n")],
            "slackware-version\tSlackware 15.0\n",
        );
        assert_eq!(f["distribution"], "Slackware");
        assert_eq!(f["distribution_version"], "15.0");
        assert_eq!(f["os_family"], "Slackware");
    }

    #[test]
    fn lsb_facts_from_the_release_file_without_lsb_release() {
        let raw = reply(&[
            ("t", "efsr /etc/lsb-release\n"),
            (
                "f /etc/lsb-release",
                "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n\
DISTRIB_DESCRIPTION=\"Ubuntu 22.04.4 LTS\"\n",
            ),
        ]);
        let l = lsb(&raw).expect("lsb");
        assert_eq!(
            l["lsb"],
            json!({"id": "Ubuntu", "release": "22.04", "codename": "jammy",
                   "description": "Ubuntu 22.04.4 LTS", "major_release": "22"})
        );
        let none = reply(&[("t", "- /etc/lsb-release\n")]);
        assert_eq!(lsb(&none).expect("lsb")["lsb"], json!({}));
    }
}
