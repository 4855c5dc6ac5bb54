// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `apt`: Debian packages with apt-get, without Python on the host.
//!
//! Ansible's module asks python-apt about each package; kiln asks the host
//! once for every name of the task (`dpkg-query` for what is installed,
//! `apt-cache policy` for what could be, the cache's age) and decides here
//! with Ansible's rules, then runs the same `apt-get` command line Ansible
//! would (one transaction for all the packages), so its output, the result's
//! `stdout`/`msg` and the host's end state match. Check mode runs the command
//! with `--simulate`, as Ansible does.
//!
//! Not done: fnmatch patterns in package names, `build-dep`, a `deb` URL,
//! the dependencies of a local `deb` (dpkg reports them missing), aptitude
//! (Ansible too uses apt-get when aptitude is absent, as on these hosts).

use super::args::ArgReader;
use super::command::{shell_words, splitlines};
use super::debversion;
use super::probe::{Reply, probe};
use super::setup::text::fnmatch;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Value as Json, json};
use std::cmp::Ordering;
use std::collections::BTreeMap;

pub struct Apt;

static SPEC: ModuleSpec = ModuleSpec {
    name: "apt",
    args: &[
        ArgSpec::new("state", T::Str).choices(&[
            "absent",
            "build-dep",
            "fixed",
            "latest",
            "present",
        ]),
        ArgSpec::new("update_cache", T::Bool).aliases(&["update-cache"]),
        ArgSpec::new("update_cache_retries", T::Int),
        ArgSpec::new("update_cache_retry_max_delay", T::Int),
        ArgSpec::new("cache_valid_time", T::Int),
        ArgSpec::new("purge", T::Bool),
        ArgSpec::new("package", T::List).aliases(&["pkg", "name"]),
        ArgSpec::new("deb", T::Path),
        ArgSpec::new("default_release", T::Str).aliases(&["default-release"]),
        ArgSpec::new("install_recommends", T::Bool).aliases(&["install-recommends"]),
        ArgSpec::new("force", T::Bool),
        ArgSpec::new("upgrade", T::Str).choices(&["dist", "full", "no", "safe", "yes"]),
        ArgSpec::new("dpkg_options", T::Str),
        ArgSpec::new("autoremove", T::Bool),
        ArgSpec::new("autoclean", T::Bool),
        ArgSpec::new("fail_on_autoremove", T::Bool),
        ArgSpec::new("policy_rc_d", T::Int),
        ArgSpec::new("only_upgrade", T::Bool),
        ArgSpec::new("force_apt_get", T::Bool),
        ArgSpec::new("clean", T::Bool),
        ArgSpec::new("allow_unauthenticated", T::Bool).aliases(&["allow-unauthenticated"]),
        ArgSpec::new("allow_downgrade", T::Bool).aliases(&[
            "allow-downgrade",
            "allow_downgrades",
            "allow-downgrades",
        ]),
        ArgSpec::new("allow_change_held_packages", T::Bool),
        ArgSpec::new("lock_timeout", T::Int),
        ArgSpec::new("auto_install_module_deps", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[&["deb", "package", "upgrade"]],
    // Ansible lists autoremove, deb, package, update_cache and upgrade as
    // required_one_of, but autoremove defaults to false (not None), so the
    // rule never fails: `apt: autoclean=true` alone is valid.
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

const APT_GET: &str = "/usr/bin/apt-get";
const DEFAULT_DPKG_OPTIONS: &str = "force-confdef,force-confold";
/// apt-get's summary when a transaction does nothing.
const APT_GET_ZERO: &str = "\n0 upgraded, 0 newly installed, 0 to remove";
/// Ansible runs apt with the best parsable locale; minbase Debian has C.utf8.
const ENV: &str = "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LANG=C.utf8 LC_ALL=C.utf8 LC_MESSAGES=C.utf8 LC_CTYPE=C.utf8 LANGUAGE=C.utf8";

pub struct AptArgs {
    state: String,
    update_cache: bool,
    cache_valid_time: i64,
    purge: bool,
    packages: Vec<String>,
    deb: Option<String>,
    default_release: Option<String>,
    install_recommends: Option<bool>,
    force: bool,
    upgrade: Option<String>,
    /// `-o "Dpkg::Options::=--X" ... -o DPkg::Lock::Timeout=N`, as Ansible builds it.
    dpkg_options: String,
    /// `dpkg_options` as given (`force-confdef,force-confold`), for dpkg itself.
    dpkg_options_compressed: String,
    autoremove: bool,
    autoclean: bool,
    fail_on_autoremove: bool,
    policy_rc_d: Option<i64>,
    only_upgrade: bool,
    clean: bool,
    allow_unauthenticated: bool,
    allow_downgrade: bool,
    allow_change_held_packages: bool,
}

fn expand_dpkg_options(compressed: &str) -> String {
    compressed
        .split(',')
        .map(|o| format!("-o \"Dpkg::Options::=--{o}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the host said about one package name.
#[derive(Debug, Default, Clone)]
struct PkgInfo {
    /// dpkg's `Status` (`install ok installed`, `deinstall ok config-files`).
    status: Option<String>,
    installed_version: Option<String>,
    /// `apt-cache policy` knows the name.
    known: bool,
    candidate: Option<String>,
    /// The version table, newest first.
    versions: Vec<String>,
}

impl PkgInfo {
    fn is_installed(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.ends_with(" installed"))
    }

    fn has_files(&self) -> bool {
        self.status.is_some()
            && !self
                .status
                .as_deref()
                .is_some_and(|s| s.ends_with(" not-installed"))
    }
}

/// The host's answer to one probe.
#[derive(Clone)]
pub struct HostView {
    now: i64,
    cache_time: i64,
    pkgs: BTreeMap<String, PkgInfo>,
    auto: Vec<String>,
}

/// `name`, `=`/`>=`, version, as Ansible's `package_split`.
fn package_split(spec: &str) -> (&str, Option<&str>, Option<&str>) {
    if let Some(i) = spec.find('=') {
        if i > 0 && spec.as_bytes()[i - 1] == b'>' {
            return (&spec[..i - 1], Some(">="), Some(&spec[i + 1..]));
        }
        return (&spec[..i], Some("="), Some(&spec[i + 1..]));
    }
    (spec, None, None)
}

fn probe_script(names: &[&str], default_release: Option<&str>) -> String {
    let words: Vec<String> = names.iter().map(|n| quote(n)).collect();
    let words = words.join(" ");
    let release = default_release
        .map(|r| format!(" -o APT::Default-Release={}", quote(r)))
        .unwrap_or_default();
    let mut s = String::from("kv now \"$(date +%s)\"\n");
    s.push_str(
        "if [ -e /var/lib/apt/periodic/update-success-stamp ]; then kv cache \"$(stat -c %Y /var/lib/apt/periodic/update-success-stamp)\"; elif [ -e /var/lib/apt/lists ]; then kv cache \"$(stat -c %Y /var/lib/apt/lists)\"; fi\n",
    );
    if !names.is_empty() {
        s.push_str(&format!(
            "kv status \"$(dpkg-query -W -f='${{Package}}\\t${{Status}}\\t${{Version}}\\n' -- {words} 2>/dev/null)\"\n"
        ));
        s.push_str(&format!(
            "kv policy \"$(apt-cache{release} policy -- {words} 2>/dev/null)\"\n"
        ));
        s.push_str(&format!(
            "kv auto \"$(apt-mark showauto -- {words} 2>/dev/null)\"\n"
        ));
    }
    s
}

fn parse_view(reply: &Reply, names: &[&str]) -> HostView {
    let num = |k: &str| {
        reply
            .text(k)
            .and_then(|t| t.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    let mut pkgs: BTreeMap<String, PkgInfo> = names
        .iter()
        .map(|n| (n.to_string(), PkgInfo::default()))
        .collect();
    for line in reply.text("status").unwrap_or_default().lines() {
        let mut f = line.split('\t');
        let (Some(name), Some(status), Some(version)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        // dpkg-query names multi-arch packages without the arch suffix.
        if let Some(p) = pkgs.get_mut(name) {
            p.status = Some(status.to_string());
            if status.ends_with(" installed") {
                p.installed_version = Some(version.to_string());
            }
        }
    }
    let policy = reply.text("policy").unwrap_or_default();
    let mut current: Option<String> = None;
    for line in policy.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            let name = line.trim_end_matches(':').to_string();
            if let Some(p) = pkgs.get_mut(&name) {
                p.known = true;
            }
            current = Some(name);
            continue;
        }
        let Some(p) = current.as_ref().and_then(|c| pkgs.get_mut(c)) else {
            continue;
        };
        let t = line.trim();
        if let Some(c) = t.strip_prefix("Candidate:") {
            let c = c.trim();
            p.candidate = (c != "(none)").then(|| c.to_string());
            continue;
        }
        let t = t.strip_prefix("***").unwrap_or(t).trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        // A version line is "VERSION PRIORITY"; source lines start with
        // the priority and name where the version comes from.
        if words.len() == 2
            && words[1].parse::<i64>().is_ok()
            && words[0].parse::<i64>().is_err()
            && !words[0].ends_with(':')
        {
            p.versions.push(words[0].to_string());
        }
    }
    let auto = reply
        .text("auto")
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    HostView {
        now: num("now"),
        cache_time: num("cache"),
        pkgs,
        auto,
    }
}

/// Ansible's `package_best_match`: the version apt would install.
fn best_match(p: &PkgInfo, cmp: Option<&str>, version: Option<&str>) -> Option<String> {
    match (cmp, version) {
        (Some("="), Some(v)) => p.versions.iter().find(|x| fnmatch(x, v)).cloned(),
        (Some(">="), Some(v)) => p
            .candidate
            .clone()
            .filter(|c| debversion::compare(c, v) != Ordering::Less),
        _ => p.candidate.clone(),
    }
}

/// What a mode of the flow may do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Probe only: stop at the first command that would change something.
    Plan,
    /// Check mode: commands with `--simulate`, no cache update.
    Check,
    Apply,
}

enum Outcome {
    Final(ModResult),
    WouldChange,
}

/// A result from its pairs; as Ansible does for every module, `stdout` and
/// `stderr` get their `_lines` lists.
fn result(pairs: Vec<(&str, Json)>) -> ModResult {
    let mut r: ModResult = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    for key in ["stdout", "stderr"] {
        if let Some(Json::String(text)) = r.get(key) {
            let lines = splitlines(text);
            r.insert(format!("{key}_lines"), Json::Array(lines));
        }
    }
    r
}

/// Ansible's `parse_diff`: the part of apt-get's output between
/// "Reading state information..." and the "N upgraded" line.
fn parse_diff(out: &str) -> Json {
    let lines: Vec<&str> = out.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "Reading state information...")
        .map(|i| i + 1)
        .unwrap_or(0);
    let upgraded = regex::Regex::new(r"^[0-9]+ (packages )?upgraded").ok();
    let end = lines
        .iter()
        .position(|l| upgraded.as_ref().is_some_and(|r| r.is_match(l)))
        .map(|i| i + 1)
        .unwrap_or(lines.len());
    let part = if start <= end {
        &lines[start..end]
    } else {
        &[][..]
    };
    json!({ "prepared": part.join("\n") })
}

struct Ran {
    rc: i32,
    stdout: String,
    stderr: String,
}

impl Apt {
    /// Runs an apt command line as Ansible's `run_command` would run it:
    /// split into words (shlex), each word quoted, with apt's environment
    /// and, when asked, a temporary policy-rc.d.
    async fn run(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
        cmd: &str,
        policy: bool,
    ) -> Result<Ran, ModuleError> {
        let words = shell_words(cmd).map_err(ModuleError::Failed)?;
        let line: Vec<String> = words.iter().map(|w| quote(w)).collect();
        let mut script = format!("env {ENV} {}", line.join(" "));
        if let (true, Some(code)) = (policy, a.policy_rc_d) {
            // Ansible moves an existing policy-rc.d aside, writes one that
            // exits with the code, and puts things back afterwards.
            script = format!(
                "p=/usr/sbin/policy-rc.d; b=; if [ -e \"$p\" ]; then b=$(mktemp -d) && mv \"$p\" \"$b/\" || {{ echo 'Fail to move /usr/sbin/policy-rc.d' >&2; exit 1; }}; fi\nprintf '#!/bin/sh\\nexit %d\\n' {code} > \"$p\" && chmod 0755 \"$p\"\n{script}\nrc=$?\nrm -f \"$p\"; if [ -n \"$b\" ]; then mv \"$b/policy-rc.d\" \"$p\"; rmdir \"$b\"; fi\nexit $rc"
            );
        }
        let out = ctx.run(&script, None).await?;
        Ok(Ran {
            rc: out.rc,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    async fn view(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
        names: &[&str],
    ) -> Result<Result<HostView, String>, ModuleError> {
        let reply = probe(ctx, &probe_script(names, a.default_release.as_deref())).await?;
        if let Some(e) = reply.failure() {
            return Ok(Err(e));
        }
        Ok(Ok(parse_view(&reply, names)))
    }

    fn diff_of(&self, ctx: &ModuleCtx<'_>, out: &str) -> Json {
        if ctx.diff { parse_diff(out) } else { json!({}) }
    }

    /// Ansible's `main()` flow for these arguments, in `mode`.
    async fn flow(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
        mode: Mode,
        seed: &mut Option<HostView>,
    ) -> Result<Outcome, ModuleError> {
        if a.clean {
            if mode == Mode::Plan {
                return Ok(Outcome::WouldChange);
            }
            // Ansible cleans even in check mode.
            let r = self.run(ctx, a, "apt-get clean", false).await?;
            if r.rc != 0 || !r.stderr.is_empty() {
                let msg = if r.rc != 0 {
                    "apt-get clean failed".to_string()
                } else {
                    format!("apt-get clean failed: {}", r.stderr)
                };
                return Ok(Outcome::Final(result(vec![
                    ("failed", json!(true)),
                    ("msg", json!(msg)),
                    ("stdout", json!(r.stdout)),
                    ("rc", json!(r.rc)),
                ])));
            }
            if a.packages.is_empty() && a.upgrade.is_none() && a.deb.is_none() {
                return Ok(Outcome::Final(result(vec![
                    ("changed", json!(true)),
                    ("msg", json!(r.stdout)),
                    ("stdout", json!(r.stdout)),
                    ("stderr", json!(r.stderr)),
                    ("diff", self.diff_of(ctx, &r.stdout)),
                ])));
            }
        }
        let names: Vec<&str> = a
            .packages
            .iter()
            .filter(|p| p.as_str() != "*")
            .map(|p| package_split(p).0)
            .collect();
        // The plan's query serves check mode and the change too: one query
        // per task for all its names.
        let mut view = match seed.take() {
            Some(v) => v,
            None => match self.view(ctx, a, &names).await? {
                Ok(v) => v,
                Err(e) => return Ok(Outcome::Final(failed(e))),
            },
        };
        if mode == Mode::Plan {
            *seed = Some(view.clone());
        }
        let mut cache_updated = false;
        let mut cache_time = view.cache_time;
        if (a.update_cache || a.cache_valid_time > 0)
            && view.cache_time + a.cache_valid_time < view.now
        {
            match mode {
                Mode::Plan => return Ok(Outcome::WouldChange),
                Mode::Check => cache_updated = true,
                Mode::Apply => {
                    let r = self
                        .run(
                            ctx,
                            a,
                            &format!("apt-get update -q {}", a.dpkg_options),
                            false,
                        )
                        .await?;
                    if r.rc != 0 {
                        return Ok(Outcome::Final(failed(format!(
                            "Failed to update apt cache: {}",
                            format!("{}{}", r.stdout, r.stderr).trim()
                        ))));
                    }
                    view = match self.view(ctx, a, &names).await? {
                        Ok(v) => v,
                        Err(e) => return Ok(Outcome::Final(failed(e))),
                    };
                    cache_updated = view.cache_time != cache_time;
                    cache_time = view.cache_time;
                }
            }
            if a.packages.is_empty() && a.upgrade.is_none() && a.deb.is_none() {
                return Ok(Outcome::Final(result(vec![
                    ("changed", json!(cache_updated)),
                    ("cache_updated", json!(cache_updated)),
                    ("cache_update_time", json!(cache_time)),
                ])));
            }
        }
        if let Some(mode_name) = &a.upgrade {
            return self.upgrade(ctx, a, mode_name, mode).await;
        }
        if let Some(deb) = &a.deb {
            if a.state != "present" {
                return Ok(Outcome::Final(failed("deb only supports state=present")));
            }
            return self.install_deb(ctx, a, deb, mode).await;
        }
        let all = a.packages.iter().any(|p| p == "*");
        let packages: Vec<&str> = a
            .packages
            .iter()
            .map(|p| p.trim())
            .filter(|p| *p != "*")
            .collect();
        if a.state == "latest" && all {
            if !packages.is_empty() {
                return Ok(Outcome::Final(failed(
                    "unable to install additional packages when upgrading all installed packages",
                )));
            }
            return self.upgrade(ctx, a, "yes", mode).await;
        }
        if let Some(bad) = packages.iter().find(|p| p.matches('=').count() > 1) {
            return Ok(Outcome::Final(failed(format!(
                "invalid package spec: {bad}"
            ))));
        }
        if packages.is_empty() {
            for (on, op) in [(a.autoclean, "autoclean"), (a.autoremove, "autoremove")] {
                if on {
                    return self.cleanup(ctx, a, op, mode).await;
                }
            }
        }
        if a.state != "absent" {
            // Ansible fails at once, before the install's own result (which
            // would carry the cache fields), on a name apt does not know.
            for spec in &packages {
                let name = package_split(spec).0;
                if let Some(p) = view.pkgs.get(name)
                    && !p.known
                    && p.status.is_none()
                {
                    return Ok(Outcome::Final(failed(format!(
                        "No package matching '{name}' is available"
                    ))));
                }
            }
        }
        let mut out = match a.state.as_str() {
            "absent" => self.remove(ctx, a, &packages, &view, mode).await?,
            "build-dep" => Outcome::Final(failed("kiln's apt does not do state=build-dep yet")),
            _ => self.install(ctx, a, &packages, &view, mode).await?,
        };
        if a.state != "absent"
            && let Outcome::Final(r) = &mut out
        {
            r.insert("cache_updated".into(), json!(cache_updated));
            r.insert("cache_update_time".into(), json!(cache_time));
        }
        Ok(out)
    }

    async fn install(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
        packages: &[&str],
        view: &HostView,
        mode: Mode,
    ) -> Result<Outcome, ModuleError> {
        let upgrade = a.state == "latest";
        let mut list = Vec::new();
        let mut names = Vec::new();
        for spec in packages {
            let (name, cmp, version) = package_split(spec);
            names.push(name);
            let empty = PkgInfo::default();
            let p = view.pkgs.get(name).unwrap_or(&empty);
            let installed = p.is_installed();
            let installed_ok = match (installed, cmp, version, &p.installed_version) {
                (false, ..) => false,
                (true, Some("="), Some(v), Some(iv)) => fnmatch(iv, v),
                (true, Some(">="), Some(v), Some(iv)) => {
                    debversion::compare(iv, v) != Ordering::Less
                }
                (true, ..) => true,
            };
            let best = best_match(p, cmp, version);
            // A name apt knows with no version of its own (a virtual
            // package): apt-get decides what provides it.
            let virtual_pkg = !installed && p.known && p.versions.is_empty();
            let installable: Option<String> = if installed {
                best.filter(|b| Some(b) != p.installed_version.as_ref())
            } else {
                best
            };
            if !installed && a.only_upgrade {
                continue;
            }
            if !installed_ok && installable.is_none() && !virtual_pkg {
                return Ok(Outcome::Final(failed(format!(
                    "no available installation candidate for {spec}"
                ))));
            }
            if virtual_pkg {
                list.push(format!("'{name}'"));
            } else if let Some(v) = &installable
                && ((!installed && !a.only_upgrade) || upgrade || !installed_ok)
            {
                list.push(format!("'{name}={v}'"));
            } else if installed_ok && installable.is_some() && cmp == Some("=") {
                list.push(format!("'{name}={}'", version.unwrap_or_default()));
            }
        }
        if list.is_empty() {
            // Ansible marks the named packages manually installed even when
            // nothing is installed: only those apt holds as automatic matter.
            let auto: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| view.auto.iter().any(|x| x == n))
                .collect();
            if mode == Mode::Apply && !auto.is_empty() {
                let cmd = format!("apt-mark manual {}", auto.join(" "));
                self.run(ctx, a, &cmd, false).await?;
            }
            return Ok(Outcome::Final(result(vec![("changed", json!(false))])));
        }
        if mode == Mode::Plan {
            return Ok(Outcome::WouldChange);
        }
        let opt = |on: bool, s: &'static str| if on { s } else { "" };
        let mut cmd = format!(
            "{APT_GET} -y {} {} {} {} {} {} {} install {}",
            a.dpkg_options,
            opt(a.only_upgrade, "--only-upgrade"),
            opt(a.state == "fixed", "--fix-broken"),
            opt(a.force, "--force-yes"),
            opt(a.autoremove, "--auto-remove"),
            opt(a.fail_on_autoremove, "--no-remove"),
            opt(mode == Mode::Check, "--simulate"),
            list.join(" ")
        );
        self.append_common(a, &mut cmd, true);
        let r = self.run(ctx, a, &cmd, true).await?;
        let res = if r.rc != 0 {
            result(vec![
                ("failed", json!(true)),
                ("msg", json!(format!("'{cmd}' failed: {}", r.stderr))),
                ("stdout", json!(r.stdout)),
                ("stderr", json!(r.stderr)),
                ("rc", json!(r.rc)),
            ])
        } else {
            result(vec![
                ("changed", json!(true)),
                ("stdout", json!(r.stdout)),
                ("stderr", json!(r.stderr)),
                ("diff", self.diff_of(ctx, &r.stdout)),
            ])
        };
        if mode == Mode::Apply {
            let cmd = format!("apt-mark manual {}", names.join(" "));
            let m = self.run(ctx, a, &cmd, false).await?;
            if m.rc != 0 && r.rc == 0 {
                return Ok(Outcome::Final(result(vec![
                    ("failed", json!(true)),
                    ("msg", json!(format!("Command '{cmd}' failed."))),
                    ("stdout", json!(m.stdout)),
                    ("stderr", json!(m.stderr)),
                    ("rc", json!(m.rc)),
                ])));
            }
        }
        Ok(Outcome::Final(res))
    }

    /// `deb`: local .deb files (comma separated) installed with dpkg unless
    /// the same version is installed. Unlike Ansible, missing dependencies
    /// are not installed through apt first: dpkg then fails and says which.
    async fn install_deb(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
        debs: &str,
        mode: Mode,
    ) -> Result<Outcome, ModuleError> {
        let files: Vec<&str> = debs.split(',').collect();
        let mut script = String::new();
        for (i, f) in files.iter().enumerate() {
            let q = quote(f);
            script.push_str(&format!(
                "if [ -f {q} ]; then kv p{i} \"$(dpkg-deb -f {q} Package)\"; kv v{i} \"$(dpkg-deb -f {q} Version)\"; \
                 kv i{i} \"$(dpkg-query -W -f='${{Status}} ${{Version}}' \"$(dpkg-deb -f {q} Package)\" 2>/dev/null)\"; fi\n"
            ));
        }
        let reply = probe(ctx, &script).await?;
        if let Some(e) = reply.failure() {
            return Ok(Outcome::Final(failed(e)));
        }
        let mut install = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let Some(version) = reply.text(&format!("v{i}")) else {
                return Ok(Outcome::Final(failed(format!(
                    "Unable to install package: {f} is not a readable .deb file"
                ))));
            };
            let installed = reply.text(&format!("i{i}")).unwrap_or_default();
            let same = installed
                .strip_prefix("install ok installed ")
                .or_else(|| installed.strip_prefix("hold ok installed "))
                .is_some_and(|v| debversion::compare(v, &version) == Ordering::Equal);
            if !same {
                install.push(*f);
            }
        }
        if install.is_empty() {
            return Ok(Outcome::Final(result(vec![
                ("changed", json!(false)),
                ("stdout", json!("")),
                ("stderr", json!("")),
                ("diff", json!("")),
            ])));
        }
        if mode == Mode::Plan {
            return Ok(Outcome::WouldChange);
        }
        let mut options: Vec<String> = a
            .dpkg_options_compressed
            .split(',')
            .map(|o| format!("--{o}"))
            .collect();
        if mode == Mode::Check {
            options.push("--simulate".into());
        }
        if a.force {
            options.push("--force-all".into());
        }
        let cmd = format!("dpkg {} -i {}", options.join(" "), install.join(" "));
        let r = self.run(ctx, a, &cmd, true).await?;
        if r.rc != 0 {
            return Ok(Outcome::Final(result(vec![
                ("failed", json!(true)),
                ("msg", json!(format!("{cmd} failed"))),
                ("stdout", json!(r.stdout)),
                ("stderr", json!(r.stderr)),
            ])));
        }
        Ok(Outcome::Final(result(vec![
            ("changed", json!(true)),
            ("stdout", json!(r.stdout)),
            ("stderr", json!(r.stderr)),
            // Ansible's deb path computes the diff whether or not asked.
            ("diff", parse_diff(&r.stdout)),
        ])))
    }

    /// The options Ansible appends after the command.
    fn append_common(&self, a: &AptArgs, cmd: &mut String, install: bool) {
        if let Some(r) = &a.default_release {
            cmd.push_str(&format!(" -t '{r}'"));
        }
        if install {
            match a.install_recommends {
                Some(false) => cmd.push_str(" -o APT::Install-Recommends=no"),
                Some(true) => cmd.push_str(" -o APT::Install-Recommends=yes"),
                None => {}
            }
            if a.allow_unauthenticated {
                cmd.push_str(" --allow-unauthenticated");
            }
            if a.allow_downgrade {
                cmd.push_str(" --allow-downgrades");
            }
            if a.allow_change_held_packages {
                cmd.push_str(" --allow-change-held-packages");
            }
        }
    }

    async fn remove(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
        packages: &[&str],
        view: &HostView,
        mode: Mode,
    ) -> Result<Outcome, ModuleError> {
        let mut list = Vec::new();
        for spec in packages {
            let (name, cmp, version) = package_split(spec);
            let Some(p) = view.pkgs.get(name) else {
                continue;
            };
            let installed_ok = match (p.is_installed(), cmp, version, &p.installed_version) {
                (false, ..) => false,
                (true, Some("="), Some(v), Some(iv)) => fnmatch(iv, v),
                (true, Some(">="), Some(v), Some(iv)) => {
                    debversion::compare(iv, v) != Ordering::Less
                }
                (true, ..) => true,
            };
            if installed_ok || (p.has_files() && a.purge) {
                list.push(format!("'{spec}'"));
            }
        }
        if list.is_empty() {
            return Ok(Outcome::Final(result(vec![("changed", json!(false))])));
        }
        if mode == Mode::Plan {
            return Ok(Outcome::WouldChange);
        }
        let opt = |on: bool, s: &'static str| if on { s } else { "" };
        let packages = list.join(" ");
        let cmd = format!(
            "{APT_GET} -q -y {} {} {} {} {} {} remove {packages}",
            a.dpkg_options,
            opt(a.purge, "--purge"),
            opt(a.force, "--force-yes"),
            opt(a.autoremove, "--auto-remove"),
            opt(mode == Mode::Check, "--simulate"),
            opt(a.allow_change_held_packages, "--allow-change-held-packages"),
        );
        let r = self.run(ctx, a, &cmd, true).await?;
        if r.rc != 0 {
            return Ok(Outcome::Final(result(vec![
                ("failed", json!(true)),
                (
                    "msg",
                    json!(format!("'apt-get remove {packages}' failed: {}", r.stderr)),
                ),
                ("stdout", json!(r.stdout)),
                ("stderr", json!(r.stderr)),
                ("rc", json!(r.rc)),
            ])));
        }
        Ok(Outcome::Final(result(vec![
            ("changed", json!(true)),
            ("stdout", json!(r.stdout)),
            ("stderr", json!(r.stderr)),
            ("diff", self.diff_of(ctx, &r.stdout)),
        ])))
    }

    async fn cleanup(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
        op: &str,
        mode: Mode,
    ) -> Result<Outcome, ModuleError> {
        let opt = |on: bool, s: &'static str| if on { s } else { "" };
        // Plan with a simulation: whether anything would go is in its output.
        let simulate = mode != Mode::Apply;
        let cmd = format!(
            "{APT_GET} -y {} {} {} {op} {}",
            a.dpkg_options,
            opt(a.purge, "--purge"),
            opt(a.force, "--force-yes"),
            opt(simulate, "--simulate")
        );
        let r = self.run(ctx, a, &cmd, mode == Mode::Apply).await?;
        if r.rc != 0 {
            return Ok(Outcome::Final(result(vec![
                ("failed", json!(true)),
                ("msg", json!(format!("'apt-get {op}' failed: {}", r.stderr))),
                ("stdout", json!(r.stdout)),
                ("stderr", json!(r.stderr)),
                ("rc", json!(r.rc)),
            ])));
        }
        let marker = if op == "autoremove" {
            "The following packages will be REMOVED"
        } else {
            "Del "
        };
        let changed = r.stdout.contains(marker);
        if mode == Mode::Plan && changed {
            return Ok(Outcome::WouldChange);
        }
        Ok(Outcome::Final(result(vec![
            ("changed", json!(changed)),
            ("stdout", json!(r.stdout)),
            ("stderr", json!(r.stderr)),
            ("diff", self.diff_of(ctx, &r.stdout)),
        ])))
    }

    async fn upgrade(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
        kind: &str,
        mode: Mode,
    ) -> Result<Outcome, ModuleError> {
        let opt = |on: bool, s: &'static str| if on { s } else { "" };
        let auto = opt(a.autoremove, "--auto-remove");
        // No aptitude on the host: Ansible then uses apt-get for every kind.
        let upgrade_command = match kind {
            "dist" | "full" => format!("dist-upgrade {auto}"),
            _ => format!("upgrade --with-new-pkgs {auto}"),
        };
        let simulate = mode != Mode::Apply;
        let mut cmd = format!(
            "{APT_GET} -y {} {} {} {} {} {} {upgrade_command}",
            a.dpkg_options,
            opt(a.force, "--force-yes"),
            opt(a.fail_on_autoremove, "--no-remove"),
            opt(a.allow_unauthenticated, "--allow-unauthenticated"),
            opt(a.allow_downgrade, "--allow-downgrades"),
            opt(simulate, "--simulate"),
        );
        self.append_common(a, &mut cmd, false);
        let r = self.run(ctx, a, &cmd, mode == Mode::Apply).await?;
        if r.rc != 0 {
            return Ok(Outcome::Final(result(vec![
                ("failed", json!(true)),
                (
                    "msg",
                    json!(format!(
                        "'{APT_GET} {upgrade_command}' failed: {}",
                        r.stderr
                    )),
                ),
                ("stdout", json!(r.stdout)),
                ("rc", json!(r.rc)),
            ])));
        }
        if r.stdout.contains(APT_GET_ZERO) {
            return Ok(Outcome::Final(result(vec![
                ("changed", json!(false)),
                ("msg", json!(r.stdout)),
                ("stdout", json!(r.stdout)),
                ("stderr", json!(r.stderr)),
            ])));
        }
        if mode == Mode::Plan {
            return Ok(Outcome::WouldChange);
        }
        Ok(Outcome::Final(result(vec![
            ("changed", json!(true)),
            ("msg", json!(r.stdout)),
            ("stdout", json!(r.stdout)),
            ("stderr", json!(r.stderr)),
            ("diff", self.diff_of(ctx, &r.stdout)),
        ])))
    }
}

#[async_trait::async_trait]
impl Module for Apt {
    type Args = AptArgs;
    type State = Option<HostView>;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<AptArgs, String> {
        let r = ArgReader::new(&SPEC, args);
        let packages = match r.raw("package") {
            Some(Json::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            // Through `package`, whose `name` is not coerced to a list.
            Some(Json::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
            Some(other) => vec![other.to_string()],
            None => Vec::new(),
        };
        let upgrade = r.choice("upgrade", Some("no"))?.filter(|u| u != "no");
        let lock_timeout = r.raw("lock_timeout").and_then(Json::as_i64).unwrap_or(60);
        let dpkg_options_compressed = r.str_or("dpkg_options", DEFAULT_DPKG_OPTIONS);
        let dpkg_options = format!(
            "{} -o DPkg::Lock::Timeout={lock_timeout}",
            expand_dpkg_options(&dpkg_options_compressed)
        );
        Ok(AptArgs {
            state: r
                .choice("state", Some("present"))?
                .unwrap_or_else(|| "present".into()),
            update_cache: r.bool("update_cache", false)?,
            cache_valid_time: r
                .raw("cache_valid_time")
                .and_then(Json::as_i64)
                .unwrap_or(0),
            purge: r.bool("purge", false)?,
            packages,
            deb: r.str("deb"),
            default_release: r.str("default_release"),
            install_recommends: match r.raw("install_recommends") {
                Some(_) => Some(r.bool("install_recommends", false)?),
                None => None,
            },
            force: r.bool("force", false)?,
            upgrade,
            dpkg_options,
            dpkg_options_compressed,
            autoremove: r.bool("autoremove", false)?,
            autoclean: r.bool("autoclean", false)?,
            fail_on_autoremove: r.bool("fail_on_autoremove", false)?,
            policy_rc_d: r.raw("policy_rc_d").and_then(Json::as_i64),
            only_upgrade: r.bool("only_upgrade", false)?,
            clean: r.bool("clean", false)?,
            allow_unauthenticated: r.bool("allow_unauthenticated", false)?,
            allow_downgrade: r.bool("allow_downgrade", false)?,
            allow_change_held_packages: r.bool("allow_change_held_packages", false)?,
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
    ) -> Result<Step<Option<HostView>>, ModuleError> {
        let mut seed = None;
        match self.flow(ctx, a, Mode::Plan, &mut seed).await? {
            Outcome::Final(r) => Ok(Step::Done(r)),
            Outcome::WouldChange if ctx.check_mode => {
                let check = match self.flow(ctx, a, Mode::Check, &mut seed).await? {
                    Outcome::Final(r) => r,
                    Outcome::WouldChange => result(vec![("changed", json!(true))]),
                };
                Ok(Step::Change { check, state: None })
            }
            Outcome::WouldChange => Ok(Step::Change {
                check: ModResult::new(),
                state: seed,
            }),
        }
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &AptArgs,
        mut seed: Option<HostView>,
    ) -> Result<ModResult, ModuleError> {
        Ok(match self.flow(ctx, a, Mode::Apply, &mut seed).await? {
            Outcome::Final(r) => r,
            Outcome::WouldChange => result(vec![("changed", json!(true))]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_specs_as_ansible() {
        assert_eq!(package_split("jq"), ("jq", None, None));
        assert_eq!(package_split("jq=1.6*"), ("jq", Some("="), Some("1.6*")));
        assert_eq!(package_split("jq>=1.5"), ("jq", Some(">="), Some("1.5")));
    }

    #[test]
    fn dpkg_options_expand_like_ansible() {
        assert_eq!(
            expand_dpkg_options(DEFAULT_DPKG_OPTIONS),
            "-o \"Dpkg::Options::=--force-confdef\" -o \"Dpkg::Options::=--force-confold\""
        );
    }

    #[test]
    fn reads_policy_and_status() {
        // The probe's framing: `KEY:LEN\n` + value + `\n`.
        let rec = |k: &str, v: &str| format!("{k}:{}\n{v}\n", v.len());
        let policy = "jq:\n  Installed: 1.6-2.1\n  Candidate: 1.6-2.1\n  Version table:\n *** 1.6-2.1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n        100 /var/lib/dpkg/status\ntree:\n  Installed: (none)\n  Candidate: 2.1.0-1\n  Version table:\n     2.1.0-1 500";
        let stdout = [
            rec("now", "1700000000"),
            rec("cache", "1690000000"),
            rec("status", "jq\tinstall ok installed\t1.6-2.1\nbogus\tx\tfoo"),
            rec("auto", ""),
            rec("policy", policy),
        ]
        .concat();
        let out = crate::transport::ExecOutput {
            rc: 0,
            stdout: stdout.into_bytes(),
            stderr: Vec::new(),
        };
        let reply = Reply::from_output(&out);
        assert_eq!(reply.failure(), None);
        let v = parse_view(&reply, &["jq", "tree", "nope"]);
        assert_eq!(v.now, 1_700_000_000);
        assert_eq!(v.cache_time, 1_690_000_000);
        let jq = &v.pkgs["jq"];
        assert!(jq.is_installed());
        assert_eq!(jq.installed_version.as_deref(), Some("1.6-2.1"));
        assert_eq!(jq.versions, vec!["1.6-2.1".to_string()]);
        let tree = &v.pkgs["tree"];
        assert!(!tree.is_installed() && tree.known);
        assert_eq!(tree.candidate.as_deref(), Some("2.1.0-1"));
        assert!(!v.pkgs["nope"].known);
        assert_eq!(
            best_match(tree, Some("="), Some("2.1*")).as_deref(),
            Some("2.1.0-1")
        );
        assert_eq!(best_match(tree, Some("="), Some("3*")), None);
        assert_eq!(best_match(tree, Some(">="), Some("3")), None);
    }

    #[test]
    fn diff_is_the_transaction_summary() {
        let out = "Reading package lists...\nBuilding dependency tree...\nReading state information...\nThe following NEW packages will be installed:\n  jq\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\nSetting up jq\n";
        assert_eq!(
            parse_diff(out),
            json!({"prepared": "The following NEW packages will be installed:\n  jq\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."})
        );
    }
}
