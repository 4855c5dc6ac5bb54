// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `package_facts`: the installed packages, from the host's own tools in
//! one probe: `dpkg-query` (with `apt-cache policy` for each installed
//! version's origin, as python-apt reports it), `rpm -qa`, `apk info -v`.
//! Ansible's `apt` manager needs python-apt on the host; kiln needs only
//! dpkg (and apt-cache for origins).

use super::probe::{Reply, probe};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;

pub struct PackageFacts;

/// Ansible's managers (sorted) and the aliases it accepts.
const MANAGERS: &[&str] = &["apk", "apt", "pacman", "pkg", "pkg_info", "portage", "rpm"];
const ALIASES: &[(&str, &str)] = &[
    ("dnf", "rpm"),
    ("dnf5", "rpm"),
    ("yum", "rpm"),
    ("zypper", "rpm"),
    ("pkg5", "pkg"),
    ("pkgng", "pkg"),
    ("openbsd_pkg", "pkg_info"),
];
/// The managers kiln reads; the others are reported as unusable.
const READ: &[(&str, &str)] = &[("apk", "apk"), ("apt", "dpkg-query"), ("rpm", "rpm")];

static SPEC: ModuleSpec = ModuleSpec {
    name: "package_facts",
    args: &[
        ArgSpec::new("manager", T::List),
        ArgSpec::new("strategy", T::Str).choices(&["first", "all"]),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct PackageArgs {
    /// As written (lower-cased).
    requested: Vec<String>,
    /// In the order to try, `auto` expanded.
    managers: Vec<String>,
    first: bool,
}

const PROBE: &str = r#"kv path "$PATH"
t=$(mktemp) || exit 1
if command -v dpkg-query >/dev/null 2>&1; then
  dpkg-query -W -f '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${Section}\n' > "$t" 2>/dev/null && kfile apt "$t"
  if command -v apt-cache >/dev/null 2>&1; then
    apt-cache policy > "$t" 2>/dev/null && kfile aptsrc "$t"
    n=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}:${Architecture}\n' 2>/dev/null | awk 'substr($0,2,1)=="i"{print $NF}')
    [ -n "$n" ] && apt-cache policy $n > "$t" 2>/dev/null && kfile aptpol "$t"
  fi
fi
if command -v rpm >/dev/null 2>&1; then rpm -qa --qf '%{NAME}|%{VERSION}|%{RELEASE}|%{EPOCH}|%{ARCH}\n' > "$t" 2>/dev/null && kfile rpm "$t"; fi
if command -v apk >/dev/null 2>&1; then apk info -v > "$t" 2>/dev/null && kfile apk "$t"; fi
rm -f -- "$t"
"#;

/// `apt-cache policy` (no arguments): each package file's origin (`o=`).
fn source_origins(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("release ") {
            if let Some(src) = current.take() {
                let o = rest
                    .split(',')
                    .find_map(|kv| kv.strip_prefix("o="))
                    .unwrap_or("")
                    .to_string();
                out.insert(src, o);
            }
        } else if line.starts_with(' ')
            && let Some((prio, src)) = t.split_once(' ')
            && prio.parse::<i64>().is_ok()
        {
            current = Some(src.to_string());
        }
    }
    out
}

/// `apt-cache policy PKG:ARCH...`: the origin of each installed version
/// (its first package file's), by `name:arch`.
fn installed_origins(text: &str, sources: &HashMap<String, String>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut pkg = String::new();
    let mut in_installed = false;
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            pkg = line.trim_end_matches(':').to_string();
            in_installed = false;
            continue;
        }
        let t = line.trim();
        if line.starts_with(" *** ") {
            in_installed = true;
            continue;
        }
        // A version line (`     1.2-3 500`) ends the installed one's files.
        if line.starts_with("     ") && !line.starts_with("        ") {
            in_installed = false;
            continue;
        }
        if in_installed && let Some((_, src)) = t.split_once(' ') {
            let origin = sources.get(src).cloned().unwrap_or_default();
            out.entry(pkg.clone()).or_insert(origin);
            in_installed = false;
        }
    }
    out
}

type Packages = Map<String, Json>;

fn add(pkgs: &mut Packages, details: Map<String, Json>) {
    let name = details
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    match pkgs.get_mut(&name) {
        Some(Json::Array(list)) => list.push(Json::Object(details)),
        _ => {
            pkgs.insert(name, json!([details]));
        }
    }
}

fn apt_packages(reply: &Reply) -> Option<Packages> {
    let text = reply.text("apt")?;
    let sources = source_origins(&reply.text("aptsrc").unwrap_or_default());
    let origins = installed_origins(&reply.text("aptpol").unwrap_or_default(), &sources);
    let mut pkgs = Packages::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 5 || f[0].chars().nth(1) != Some('i') {
            continue;
        }
        let origin = origins
            .get(&format!("{}:{}", f[1], f[3]))
            .or_else(|| origins.get(f[1]))
            .cloned()
            .unwrap_or_default();
        let mut d = Map::new();
        d.insert("name".into(), json!(f[1]));
        d.insert("version".into(), json!(f[2]));
        d.insert("arch".into(), json!(f[3]));
        d.insert("category".into(), json!(f[4]));
        d.insert("origin".into(), json!(origin));
        d.insert("source".into(), json!("apt"));
        add(&mut pkgs, d);
    }
    Some(pkgs)
}

fn rpm_packages(reply: &Reply) -> Option<Packages> {
    let text = reply.text("rpm")?;
    let none = |v: &str| if v == "(none)" { "None" } else { v }.to_string();
    let mut pkgs = Packages::new();
    for line in text.trim().lines() {
        let f: Vec<&str> = line.split('|').collect();
        if f.len() != 5 {
            continue;
        }
        let mut d = Map::new();
        for (k, v) in ["name", "version", "release", "epoch", "arch"]
            .iter()
            .zip(&f)
        {
            d.insert((*k).into(), json!(none(v)));
        }
        d.insert("source".into(), json!("rpm"));
        add(&mut pkgs, d);
    }
    Some(pkgs)
}

/// `apk info -v` lines are `name-version-rN`.
fn apk_packages(reply: &Reply) -> Option<Packages> {
    let text = reply.text("apk")?;
    let mut pkgs = Packages::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let Some((rest, release)) = line.rsplit_once('-') else {
            continue;
        };
        let Some((name, version)) = rest.rsplit_once('-') else {
            continue;
        };
        let mut d = Map::new();
        d.insert("name".into(), json!(name));
        d.insert("version".into(), json!(version));
        d.insert("release".into(), json!(release));
        d.insert("source".into(), json!("apk"));
        add(&mut pkgs, d);
    }
    Some(pkgs)
}

#[async_trait::async_trait]
impl Module for PackageFacts {
    type Args = PackageArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<PackageArgs, String> {
        let a = super::args::ArgReader::new(&SPEC, args);
        let requested: Vec<String> = match a.raw("manager") {
            Some(Json::Array(v)) => v
                .iter()
                .map(|x| x.as_str().unwrap_or_default().to_lowercase())
                .collect(),
            Some(Json::String(s)) => s.split(',').map(|x| x.trim().to_lowercase()).collect(),
            _ => vec!["auto".into()],
        };
        let mut managers = requested.clone();
        if let Some(i) = managers.iter().position(|m| m == "auto") {
            managers.remove(i);
            managers.extend(MANAGERS.iter().map(|m| m.to_string()));
        }
        let known = |m: &str| MANAGERS.contains(&m) || ALIASES.iter().any(|(a, _)| *a == m);
        let unsupported: Vec<&str> = managers
            .iter()
            .map(String::as_str)
            .filter(|m| !known(m))
            .collect();
        if !unsupported.is_empty() {
            return Err(if requested.iter().any(|m| m == "auto") {
                "Could not auto detect a usable package manager, check warnings for details.".into()
            } else {
                format!(
                    "Unsupported package managers requested: {}",
                    unsupported.join(", ")
                )
            });
        }
        Ok(PackageArgs {
            requested,
            managers,
            first: a.choice("strategy", Some("first"))?.as_deref() != Some("all"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &PackageArgs) -> Result<Step<()>, ModuleError> {
        let reply = probe(ctx, PROBE).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let path = reply.text("path").unwrap_or_default();
        let mut packages = Packages::new();
        let mut warnings = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let mut found = 0;
        for m in &a.managers {
            if a.first && found > 0 {
                break;
            }
            let name = ALIASES
                .iter()
                .find(|(al, _)| al == m)
                .map_or(m.as_str(), |(_, real)| real);
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let got = match name {
                "apt" => apt_packages(&reply),
                "rpm" => rpm_packages(&reply),
                "apk" => apk_packages(&reply),
                _ => None,
            };
            match got {
                Some(p) if !p.is_empty() => {
                    found += 1;
                    for (k, v) in p {
                        match (packages.get_mut(&k), v) {
                            (Some(Json::Array(have)), Json::Array(more)) => have.extend(more),
                            (_, v) => {
                                packages.insert(k, v);
                            }
                        }
                    }
                }
                Some(_) => warnings.push(json!(format!(
                    "Found \"{name}\" but no associated packages"
                ))),
                None => {
                    if a.requested.iter().any(|r| r == m) {
                        let tool = READ
                            .iter()
                            .find(|(n, _)| *n == name)
                            .map_or(name, |(_, t)| t);
                        warnings.push(json!(format!(
                            "Requested package manager {m} was not usable by this module: Failed to find required executable \"{tool}\" in paths: {path}"
                        )));
                    }
                }
            }
        }
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        if !warnings.is_empty() {
            r.insert("warnings".into(), Json::Array(warnings));
        }
        if found == 0 {
            let list: Vec<String> = a.managers.iter().map(|m| format!("'{m}'")).collect();
            r.insert("failed".into(), json!(true));
            r.insert(
                "msg".into(),
                json!(format!(
                    "Could not detect a supported package manager from the following list: [{}], or the required Python library is not installed. Check warnings for details.",
                    list.join(", ")
                )),
            );
            return Ok(Step::Done(r));
        }
        r.insert(
            "ansible_facts".into(),
            json!({ "packages": Json::Object(packages) }),
        );
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &PackageArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_from_apt_cache_policy() {
        let all = " 100 /var/lib/dpkg/status\n     release a=now\n 500 http://deb.debian.org/debian bookworm/main amd64 Packages\n     release v=12.15,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64\n     origin deb.debian.org\n";
        let sources = source_origins(all);
        assert_eq!(
            sources
                .get("http://deb.debian.org/debian bookworm/main amd64 Packages")
                .map(String::as_str),
            Some("Debian")
        );
        let pol = "dpkg:amd64:\n  Installed: 1.21.22\n  Candidate: 1.21.23\n  Version table:\n     1.21.23 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n *** 1.21.22 100\n        100 /var/lib/dpkg/status\ncoreutils:amd64:\n  Installed: 9.1-1\n  Version table:\n *** 9.1-1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n        100 /var/lib/dpkg/status\n";
        let o = installed_origins(pol, &sources);
        assert_eq!(o.get("dpkg:amd64").map(String::as_str), Some(""));
        assert_eq!(o.get("coreutils:amd64").map(String::as_str), Some("Debian"));
    }
}
