// SPDX-License-Identifier: MIT
//! `dnf` (and `yum`, which ansible-core redirects to it): packages on RPM
//! hosts with Ansible's arguments. Ansible's module drives dnf's Python API;
//! kiln drives the command line: one `rpm -q` query covers every name of
//! the task (a spec such as `name-1.2` is matched by rpm's own NVR prefix
//! rule), `dnf check-update` tells whether `latest` would upgrade, and one
//! `dnf -y install|upgrade|remove` transaction does the change. The result
//! is the module's (`msg`, `results` as `Installed: NEVRA` / `Removed:
//! NEVRA` read from dnf's transaction summary, `rc`).
//!
//! No RPM host can be built from the registries reachable where kiln is
//! developed (only Debian's archive), so this module is tested by its
//! command generation and by parsing dnf 4 transaction output written in
//! dnf's documented summary format (tests below), not against a live host.

use super::args::ArgReader;
use super::probe::probe;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Value as Json, json};

pub struct Dnf {
    pub yum: bool,
}

const ARGS: &[ArgSpec] = &[
    ArgSpec::new("allow_downgrade", T::Bool),
    ArgSpec::new("allowerasing", T::Bool),
    ArgSpec::new("autoremove", T::Bool),
    ArgSpec::new("best", T::Bool),
    ArgSpec::new("bugfix", T::Bool),
    ArgSpec::new("cacheonly", T::Bool),
    ArgSpec::new("conf_file", T::Str),
    ArgSpec::new("disable_excludes", T::Str),
    ArgSpec::new("disable_gpg_check", T::Bool),
    ArgSpec::new("disable_plugin", T::List),
    ArgSpec::new("disablerepo", T::List),
    ArgSpec::new("download_only", T::Bool),
    ArgSpec::new("download_dir", T::Str),
    ArgSpec::new("enable_plugin", T::List),
    ArgSpec::new("enablerepo", T::List),
    ArgSpec::new("exclude", T::List),
    ArgSpec::new("installroot", T::Str),
    ArgSpec::new("install_weak_deps", T::Bool),
    ArgSpec::new("list", T::Str),
    ArgSpec::new("name", T::List).aliases(&["pkg"]),
    ArgSpec::new("nobest", T::Bool),
    ArgSpec::new("releasever", T::Str),
    ArgSpec::new("security", T::Bool),
    ArgSpec::new("skip_broken", T::Bool),
    ArgSpec::new("state", T::Str).choices(&["absent", "installed", "latest", "present", "removed"]),
    ArgSpec::new("update_cache", T::Bool).aliases(&["expire-cache"]),
    ArgSpec::new("update_only", T::Bool),
    ArgSpec::new("validate_certs", T::Bool),
    ArgSpec::new("sslverify", T::Bool),
    ArgSpec::new("lock_timeout", T::Int),
    ArgSpec::new("use_backend", T::Str).choices(&["auto", "dnf", "yum", "yum4", "dnf4", "dnf5"]),
];

static DNF: ModuleSpec = ModuleSpec {
    name: "dnf",
    args: ARGS,
    free_form: FreeForm::No,
    mutually_exclusive: &[&["name", "list"], &["best", "nobest"]],
    required_one_of: &[&["name", "list", "update_cache"]],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

static YUM: ModuleSpec = ModuleSpec { name: "yum", ..DNF };

#[derive(Debug, Clone, Default)]
pub struct DnfArgs {
    names: Vec<String>,
    /// installed, latest or removed (present/absent normalised).
    state: String,
    update_cache: bool,
    update_only: bool,
    allow_downgrade: bool,
    allowerasing: bool,
    autoremove: bool,
    disable_gpg_check: bool,
    disable_excludes: Option<String>,
    enablerepo: Vec<String>,
    disablerepo: Vec<String>,
    exclude: Vec<String>,
    install_weak_deps: bool,
    best: Option<bool>,
    skip_broken: bool,
    cacheonly: bool,
    conf_file: Option<String>,
    installroot: String,
    releasever: Option<String>,
    security: bool,
    bugfix: bool,
    download_only: bool,
    download_dir: Option<String>,
    list: Option<String>,
}

fn list(r: &ArgReader<'_>, k: &str) -> Vec<String> {
    match r.raw(k) {
        Some(Json::Array(v)) => v
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .flat_map(|s| {
                s.split(',')
                    .map(|p| p.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Json::String(s)) => s
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

impl DnfArgs {
    /// dnf's global options for the task's settings.
    pub fn options(&self) -> Vec<String> {
        let mut o: Vec<String> = vec!["-y".into()];
        if let Some(c) = &self.conf_file {
            o.push(format!("--config={c}"));
        }
        if self.installroot != "/" {
            o.push(format!("--installroot={}", self.installroot));
        }
        if let Some(r) = &self.releasever {
            o.push(format!("--releasever={r}"));
        }
        if !self.disablerepo.is_empty() {
            o.push(format!("--disablerepo={}", self.disablerepo.join(",")));
        }
        if !self.enablerepo.is_empty() {
            o.push(format!("--enablerepo={}", self.enablerepo.join(",")));
        }
        if !self.exclude.is_empty() {
            o.push(format!("--exclude={}", self.exclude.join(",")));
        }
        if let Some(d) = &self.disable_excludes {
            o.push(format!("--disableexcludes={d}"));
        }
        if self.disable_gpg_check {
            o.push("--nogpgcheck".into());
        }
        if !self.install_weak_deps {
            o.push("--setopt=install_weak_deps=False".into());
        }
        match self.best {
            Some(true) => o.push("--best".into()),
            Some(false) => o.push("--nobest".into()),
            None => {}
        }
        if self.skip_broken {
            o.push("--skip-broken".into());
        }
        if self.allowerasing {
            o.push("--allowerasing".into());
        }
        if self.cacheonly {
            o.push("--cacheonly".into());
        }
        if self.security {
            o.push("--security".into());
        }
        if self.bugfix {
            o.push("--bugfix".into());
        }
        if self.download_only {
            o.push("--downloadonly".into());
            if let Some(d) = &self.download_dir {
                o.push(format!("--downloaddir={d}"));
            }
        }
        o
    }

    /// The transaction for the names the query said need it.
    pub fn transaction(&self, missing: &[String], present: &[String]) -> Option<Vec<String>> {
        let mut w: Vec<String> = vec!["dnf".into()];
        w.extend(self.options());
        match self.state.as_str() {
            "removed" => {
                if present.is_empty() {
                    return None;
                }
                w.push("remove".into());
                w.extend(present.iter().cloned());
            }
            "latest" => {
                // Missing packages are installed, present ones upgraded,
                // both in one transaction (`install` upgrades what is there).
                w.push("install".into());
                w.extend(missing.iter().cloned());
                w.extend(present.iter().cloned());
            }
            _ => {
                if missing.is_empty() {
                    return None;
                }
                w.push("install".into());
                if self.allow_downgrade {
                    w.push("--allow-downgrade".into());
                }
                w.extend(missing.iter().cloned());
            }
        }
        Some(w)
    }
}

/// The module's `results` from a dnf 4 transaction summary: each package
/// under `Installed:`, `Upgraded:`, `Downgraded:` or `Reinstalled:` is
/// "Installed: NEVRA", under `Removed:` (or `Erased:`) "Removed: NEVRA".
pub fn parse_transaction(out: &str) -> Vec<String> {
    let mut results = Vec::new();
    let mut section: Option<&str> = None;
    for line in out.lines() {
        let t = line.trim();
        match t {
            "Installed:"
            | "Upgraded:"
            | "Downgraded:"
            | "Reinstalled:"
            | "Installed dependencies:" => {
                section = Some("Installed");
                continue;
            }
            "Removed:" | "Erased:" | "Removed dependencies:" => {
                section = Some("Removed");
                continue;
            }
            "" => {
                section = None;
                continue;
            }
            _ => {}
        }
        if t == "Complete!" {
            section = None;
            continue;
        }
        if let Some(kind) = section {
            if !line.starts_with(' ') {
                section = None;
                continue;
            }
            for pkg in t.split_whitespace() {
                results.push(format!("{kind}: {pkg}"));
            }
        }
    }
    results
}

/// The query: which names rpm knows as installed (one record per name).
fn query_script(a: &DnfArgs) -> String {
    let mut s = String::from(
        "command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1 || kv nodnf 1\n",
    );
    for (i, n) in a.names.iter().enumerate() {
        s.push_str(&format!(
            "q=$(rpm -q --qf '%{{NAME}}-%{{VERSION}}-%{{RELEASE}}.%{{ARCH}}\\n' -- {} 2>/dev/null) && kv i{i} \"$q\"\n",
            quote(n)
        ));
    }
    if a.state == "latest" && !a.names.is_empty() {
        let names: Vec<String> = a.names.iter().map(|n| quote(n)).collect();
        s.push_str(&format!(
            "dnf -q check-update {} >/dev/null 2>&1; kv cu $?\n",
            names.join(" ")
        ));
    }
    s
}

fn result(msg: &str, changed: bool, results: Vec<String>, rc: i32) -> ModResult {
    let mut r = ModResult::new();
    r.insert("msg".into(), json!(msg));
    r.insert("changed".into(), json!(changed));
    r.insert("results".into(), json!(results));
    r.insert("rc".into(), json!(rc));
    r
}

#[async_trait::async_trait]
impl Module for Dnf {
    type Args = DnfArgs;
    type State = Vec<String>;

    fn spec(&self) -> &'static ModuleSpec {
        if self.yum { &YUM } else { &DNF }
    }

    fn parse(&self, args: &Args) -> Result<DnfArgs, String> {
        let r = ArgReader::new(self.spec(), args);
        let state = match r.choice("state", None)?.as_deref() {
            Some("absent" | "removed") => "removed",
            Some("latest") => "latest",
            _ => "installed",
        };
        let a = DnfArgs {
            names: list(&r, "name"),
            state: state.into(),
            update_cache: r.bool("update_cache", false)?,
            update_only: r.bool("update_only", false)?,
            allow_downgrade: r.bool("allow_downgrade", false)?,
            allowerasing: r.bool("allowerasing", false)?,
            autoremove: r.bool("autoremove", false)?,
            disable_gpg_check: r.bool("disable_gpg_check", false)?,
            disable_excludes: r.str("disable_excludes"),
            enablerepo: list(&r, "enablerepo"),
            disablerepo: list(&r, "disablerepo"),
            exclude: list(&r, "exclude"),
            install_weak_deps: r.bool("install_weak_deps", true)?,
            best: match (r.has("best"), r.has("nobest")) {
                (true, _) => Some(r.bool("best", true)?),
                (_, true) => Some(!r.bool("nobest", false)?),
                _ => None,
            },
            skip_broken: r.bool("skip_broken", false)?,
            cacheonly: r.bool("cacheonly", false)?,
            conf_file: r.str("conf_file"),
            installroot: r.str_or("installroot", "/"),
            releasever: r.str("releasever"),
            security: r.bool("security", false)?,
            bugfix: r.bool("bugfix", false)?,
            download_only: r.bool("download_only", false)?,
            download_dir: r.str("download_dir"),
            list: r.str("list"),
        };
        if a.names.is_empty() && a.list.is_none() && !a.update_cache {
            return Err("one of the following is required: name, list, update_cache".into());
        }
        if a.autoremove && a.state == "installed" && r.has("state") {
            return Err("Autoremove should be used alone or with state=absent".into());
        }
        Ok(a)
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &DnfArgs,
    ) -> Result<Step<Vec<String>>, ModuleError> {
        if a.list.is_some() {
            return Ok(Step::Done(failed(
                "kiln's dnf module does not implement 'list' (use package_facts)",
            )));
        }
        if a.update_cache && a.names.is_empty() {
            let mut w: Vec<String> = vec!["dnf".into()];
            w.extend(a.options());
            w.push("makecache".into());
            return Ok(Step::Change {
                check: result("Cache updated", false, vec![], 0),
                state: w,
            });
        }
        let reply = probe(ctx, &query_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        if reply.has("nodnf") {
            return Ok(Step::Done(failed(
                "Could not find dnf or yum on the host (kiln's dnf module drives the dnf command line)",
            )));
        }
        let (mut missing, mut present) = (Vec::new(), Vec::new());
        for (i, n) in a.names.iter().enumerate() {
            if reply.has(&format!("i{i}")) {
                present.push(n.clone());
            } else {
                missing.push(n.clone());
            }
        }
        if a.state == "latest" {
            // check-update answers 100 when an update is available.
            let updates = reply.text("cu").as_deref() == Some("100");
            if missing.is_empty() && !updates {
                return Ok(Step::Done(result("Nothing to do", false, vec![], 0)));
            }
            if a.update_only {
                missing.clear();
            }
        }
        let Some(mut cmd) = a.transaction(&missing, &present) else {
            return Ok(Step::Done(result("Nothing to do", false, vec![], 0)));
        };
        if a.update_cache {
            cmd.insert(2, "--refresh".into());
        }
        let preview: Vec<String> = match a.state.as_str() {
            "removed" => present.iter().map(|p| format!("Removed: {p}")).collect(),
            _ => missing.iter().map(|p| format!("Installed: {p}")).collect(),
        };
        Ok(Step::Change {
            check: result(
                "Check mode: No changes made, but would have if not in check mode",
                true,
                preview,
                0,
            ),
            state: cmd,
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        _: &DnfArgs,
        cmd: Vec<String>,
    ) -> Result<ModResult, ModuleError> {
        let line = super::accounts::argv_line(&cmd);
        let out = ctx.run(&format!("LANG=C LC_ALL=C {line}"), None).await?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if cmd.iter().any(|w| w == "makecache") {
            if out.rc != 0 {
                let mut r = failed(stderr.trim().to_string());
                r.insert("results".into(), json!([]));
                r.insert("rc".into(), json!(1));
                return Ok(r);
            }
            return Ok(result("Cache updated", false, vec![], 0));
        }
        if out.rc != 0 {
            let mut r = failed(if stderr.contains("No match for argument") {
                "Failed to install some of the specified packages".to_string()
            } else {
                stderr.trim().to_string()
            });
            let failures: Vec<String> = stderr
                .lines()
                .filter_map(|l| l.strip_prefix("No match for argument: "))
                .map(|p| format!("No package {p} available."))
                .collect();
            if !failures.is_empty() {
                r.insert("failures".into(), json!(failures));
            }
            r.insert("results".into(), json!([]));
            r.insert("rc".into(), json!(1));
            return Ok(r);
        }
        let results = parse_transaction(&stdout);
        let changed = !results.is_empty();
        Ok(result(
            if changed { "" } else { "Nothing to do" },
            changed,
            results,
            0,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dnf 4 transaction summary in dnf's output format (not recorded on a
    /// live host: none can be built here, see the module docs).
    const INSTALL_OUTPUT: &str =
        "Last metadata expiration check: 0:01:02 ago on Thu 26 Nov 2026 06:00:00 PM UTC.
Dependencies resolved.
================================================================================
 Package            Architecture  Version                Repository        Size
================================================================================
Installing:
 jq                 x86_64        1.6-15.el9             appstream        186 k
Installing dependencies:
 oniguruma          x86_64        6.9.6-1.el9.5          appstream        217 k

Transaction Summary
================================================================================
Install  2 Packages

Total download size: 403 k
Installed size: 1.1 M
Downloading Packages:
Running transaction
  Preparing        :                                                        1/1
  Installing       : oniguruma-6.9.6-1.el9.5.x86_64                         1/2
  Installing       : jq-1.6-15.el9.x86_64                                   2/2
  Verifying        : jq-1.6-15.el9.x86_64                                   1/2
  Verifying        : oniguruma-6.9.6-1.el9.5.x86_64                         2/2

Installed:
  jq-1.6-15.el9.x86_64                 oniguruma-6.9.6-1.el9.5.x86_64

Complete!
";

    const REMOVE_OUTPUT: &str = "Dependencies resolved.
Running transaction
  Erasing          : tree-1.8.0-10.el9.x86_64                               1/1

Removed:
  tree-1.8.0-10.el9.x86_64

Complete!
";

    fn args(state: &str) -> DnfArgs {
        DnfArgs {
            names: vec!["jq".into(), "tree-1.8.0".into()],
            state: state.into(),
            install_weak_deps: true,
            installroot: "/".into(),
            ..DnfArgs::default()
        }
    }

    #[test]
    fn transactions_are_built_from_the_query() {
        let mut a = args("installed");
        a.allow_downgrade = true;
        a.disable_excludes = Some("kubernetes".into());
        a.enablerepo = vec!["epel".into()];
        assert_eq!(
            a.transaction(&["jq".into()], &["tree-1.8.0".into()])
                .unwrap(),
            [
                "dnf",
                "-y",
                "--enablerepo=epel",
                "--disableexcludes=kubernetes",
                "install",
                "--allow-downgrade",
                "jq"
            ]
        );
        assert!(a.transaction(&[], &["jq".into()]).is_none());
        let gone = args("removed");
        assert_eq!(
            gone.transaction(&["jq".into()], &["tree-1.8.0".into()])
                .unwrap(),
            ["dnf", "-y", "remove", "tree-1.8.0"]
        );
        assert!(gone.transaction(&["jq".into()], &[]).is_none());
    }

    #[test]
    fn transaction_output_becomes_results() {
        assert_eq!(
            parse_transaction(INSTALL_OUTPUT),
            [
                "Installed: jq-1.6-15.el9.x86_64",
                "Installed: oniguruma-6.9.6-1.el9.5.x86_64"
            ]
        );
        assert_eq!(
            parse_transaction(REMOVE_OUTPUT),
            ["Removed: tree-1.8.0-10.el9.x86_64"]
        );
        assert!(
            parse_transaction("Dependencies resolved.\nNothing to do.\nComplete!\n").is_empty()
        );
    }

    #[test]
    fn one_query_for_all_names() {
        let s = query_script(&args("latest"));
        assert_eq!(s.matches("rpm -q").count(), 2);
        assert!(s.contains("check-update jq tree-1.8.0"));
    }
}
