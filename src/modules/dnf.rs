// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `dnf` (and `yum`, which ansible-core redirects to it): packages on RPM
//! hosts with Ansible's arguments. Ansible's module drives dnf's Python API;
//! kiln drives the command line: one remote query (rpm's package list and
//! an `rpm -q` for every name of the task; a spec such as `name-1.2` is
//! matched by rpm's own NVR prefix rule) decides, then one
//! `dnf -y install|upgrade|remove` transaction does the change (`latest`
//! with both missing and installed names marks an `install` and an
//! `upgrade` in one dnf shell script: one resolve, one transaction, as
//! Ansible's one goal). `results` are Ansible's `Installed: NEVRA` / `Removed:
//! NEVRA`: the difference of rpm's package lists before and after, or in
//! check mode what `dnf --assumeno` would do (src/modules/dnf_output.rs).
//!
//! No RPM distribution's archive is reachable where kiln is developed, so
//! there is no RPM host to test on; Debian ships dnf 4, rpm and
//! createrepo-c, and tests/playbooks/dnf_local.yml runs this module (and
//! Ansible's, for the golden) on a bare Debian host against a local
//! repository of packages built there, installed into an installroot.

use super::accounts::argv_line;
use super::args::ArgReader;
use super::dnf_output::{self, Installed, RPM_QF, parse_installed};
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

    /// The one transaction for what the query found, if any: `install`
    /// for missing names, `upgrade` for present ones under `latest` (dnf's
    /// `install` leaves an installed package as it is), `remove` for
    /// present ones. `latest` with both kinds marks both in one dnf shell
    /// script, one resolve and one transaction, as Ansible's module marks
    /// `install` and `upgrade` jobs in one goal.
    pub fn transaction(&self, missing: &[String], present: &[String]) -> Option<Txn> {
        let mut jobs: Vec<(&str, &[String])> = Vec::new();
        match self.state.as_str() {
            "removed" => jobs.push(("remove", present)),
            "latest" => {
                if !self.update_only {
                    jobs.push(("install", missing));
                }
                jobs.push(("upgrade", present));
            }
            _ => jobs.push(("install", missing)),
        }
        jobs.retain(|(_, names)| !names.is_empty());
        let mut argv: Vec<String> = vec!["dnf".into()];
        argv.extend(self.options());
        if self.update_cache {
            argv.push("--refresh".into());
        }
        match jobs.as_slice() {
            [] => None,
            [(verb, names)] => {
                argv.push((*verb).into());
                argv.extend(names.iter().cloned());
                Some(Txn { argv, shell: None })
            }
            _ => {
                // dnf shell splits its lines like a POSIX shell.
                let mut script = String::new();
                for (verb, names) in &jobs {
                    script.push_str(verb);
                    for n in names.iter() {
                        script.push(' ');
                        script.push_str(&quote(n));
                    }
                    script.push('\n');
                }
                script.push_str("run\n");
                argv.push("shell".into());
                Some(Txn {
                    argv,
                    shell: Some(script),
                })
            }
        }
    }
}

/// One dnf transaction: a command line, and when it marks several kinds
/// of job, the dnf shell script it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Txn {
    argv: Vec<String>,
    shell: Option<String>,
}

impl Txn {
    /// The same command with names that no repository has skipped.
    fn lenient(&self) -> Txn {
        let mut argv = self.argv.clone();
        argv.insert(1.min(argv.len()), "--setopt=strict=False".into());
        Txn {
            argv,
            shell: self.shell.clone(),
        }
    }

    /// The names the transaction installs (for failure messages).
    fn installs(&self) -> Vec<String> {
        match &self.shell {
            Some(script) => script
                .lines()
                .filter_map(|l| l.strip_prefix("install "))
                .flat_map(|l| l.split(' '))
                .map(|w| w.trim_matches('\'').to_string())
                .collect(),
            None => match self.argv.iter().position(|w| w == "install") {
                Some(at) => self.argv[at + 1..].to_vec(),
                None => Vec::new(),
            },
        }
    }
}

/// The query: rpm's list of installed packages (the "before" of the
/// transaction) and, for every name of the task, whether rpm knows it as
/// installed; one remote command. With an installroot, rpm reads that
/// root's database.
fn query_script(a: &DnfArgs) -> String {
    let root = rpm_root(a);
    let mut s = String::from(
        "command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1 || kv nodnf 1\n",
    );
    s.push_str(&format!(
        "kv before \"$(rpm{root} -qa --qf {} 2>/dev/null)\"\n",
        quote(RPM_QF)
    ));
    for (i, n) in a.names.iter().enumerate() {
        s.push_str(&format!(
            "q=$(rpm{root} -q --qf '%{{NAME}}-%{{VERSION}}-%{{RELEASE}}.%{{ARCH}}\\n' -- {} 2>/dev/null) && kv i{i} \"$q\"\n",
            quote(n)
        ));
    }
    s
}

fn rpm_root(a: &DnfArgs) -> String {
    if a.installroot == "/" {
        String::new()
    } else {
        format!(" --root={}", quote(&a.installroot))
    }
}

/// The transaction as one script, under LANG=C (dnf's messages are read);
/// then rpm's list again. dnf shell answers 0 whatever its commands met
/// and runs the jobs it could mark: its errors are found in its messages,
/// and for a real run a resolve-only pass (`--assumeno`) must meet none
/// before the transaction runs, so a name that cannot be marked changes
/// nothing, as in Ansible's module.
fn run_script(a: &DnfArgs, txn: &Txn, dry: bool) -> String {
    let mut argv = txn.argv.clone();
    if dry {
        argv.insert(1, "--assumeno".into());
    }
    let line = |w: &[String]| format!("LANG=C LC_ALL=C {}", argv_line(w));
    // An error other than the refusal `--assumeno` itself causes.
    let errors = "grep -v '^Error: Operation aborted' \"$t/err\" | grep -q '^Error:'";
    let mut s = String::from("rc=0\n");
    match &txn.shell {
        None => s.push_str(&format!(
            "{} >>\"$t/out\" 2>>\"$t/err\" </dev/null; rc=$?\n",
            line(&argv)
        )),
        Some(script) => {
            s.push_str(&format!("printf %s {} > \"$t/script\"\n", quote(script)));
            let run = format!(
                "{} \"$t/script\" >>\"$t/out\" 2>>\"$t/err\" </dev/null\n\
                 if {errors}; then rc=1; kv shellerr 1; fi\n",
                line(&argv)
            );
            if !dry {
                let mut guard = argv.clone();
                guard.insert(1, "--assumeno".into());
                s.push_str(&format!(
                    "{} \"$t/script\" >\"$t/gout\" 2>\"$t/gerr\" </dev/null\n\
                     if grep -v '^Error: Operation aborted' \"$t/gerr\" | grep -q '^Error:'; then rc=1; kv shellerr 1; cat \"$t/gout\" >>\"$t/out\"; grep -v '^Error: Operation aborted' \"$t/gerr\" >>\"$t/err\"; fi\n\
                     if [ $rc = 0 ]; then\n{run}fi\n",
                    line(&guard)
                ));
            } else {
                s.push_str(&run);
            }
        }
    }
    let root = rpm_root(a);
    format!(
        "t=$(mktemp -d) || exit 1\n{s}kv rc $rc\nkv dnfout \"$(cat \"$t/out\" 2>/dev/null)\"\nkv dnferr \"$(cat \"$t/err\" 2>/dev/null)\"\nkv after \"$(rpm{root} -qa --qf {} 2>/dev/null)\"\nrm -rf \"$t\"\n",
        quote(RPM_QF)
    )
}

/// The result of a transaction that failed: Ansible's `failures` when dnf
/// named packages it could not find (on stdout), or found no repository
/// at all to look in, else dnf's own error (on stderr).
/// `results` holds what the refused transaction would have done (`table`:
/// dnf's resolved transaction, see [`refused_table`]), as Ansible's module
/// lists the transaction before it fails.
fn failure(
    a: &DnfArgs,
    (stdout, stderr): (&str, &str),
    table: &str,
    txn: &Txn,
    before: &[Installed],
) -> ModResult {
    let mut failures = dnf_output::failures(&format!("{stdout}\n{stderr}"), &a.exclude);
    if failures.is_empty() && stderr.contains("There are no enabled repositories") {
        // Every name to install is then one no repository has.
        failures = txn
            .installs()
            .into_iter()
            .map(|n| format!("No package {n} available."))
            .collect();
    }
    // A resolve-only pass ends in this refusal; it is not the failure.
    let stderr: String = stderr
        .lines()
        .filter(|l| l.trim() != "Error: Operation aborted.")
        .collect::<Vec<_>>()
        .join("\n");
    let mut r = failed(if failures.is_empty() {
        stderr.trim().to_string()
    } else {
        "Failed to install some of the specified packages".to_string()
    });
    if !failures.is_empty() {
        r.insert("failures".into(), json!(failures));
    }
    let (installed, removed) = dnf_output::planned(table, before);
    r.insert(
        "results".into(),
        json!(dnf_output::results(&installed, &removed)),
    );
    r.insert("rc".into(), json!(1));
    r
}

/// dnf's table of what a failed transaction would have done. A dnf shell
/// script marks the jobs it can and prints it; one command stops at the
/// first name no repository has (dnf's `strict`) before resolving, so it
/// is resolved once more without `strict`, answering no, to list what the
/// other names would have installed as Ansible's module does.
async fn refused_table(
    ctx: &ModuleCtx<'_>,
    a: &DnfArgs,
    (stdout, stderr): (&str, &str),
    txn: &Txn,
) -> Result<String, ModuleError> {
    if txn.shell.is_some()
        || dnf_output::failures(&format!("{stdout}\n{stderr}"), &a.exclude).is_empty()
    {
        return Ok(stdout.to_string());
    }
    let reply = probe(ctx, &run_script(a, &txn.lenient(), true)).await?;
    Ok(reply.text("dnfout").unwrap_or_default())
}

/// What apply needs: the commands and rpm's list before them.
pub struct Plan {
    txn: Txn,
    before: Vec<Installed>,
    /// Results Ansible reports before the transaction's (names a removal
    /// did not find).
    notes: Vec<String>,
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
    type State = Plan;

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

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &DnfArgs) -> Result<Step<Plan>, ModuleError> {
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
                state: Plan {
                    txn: Txn {
                        argv: w,
                        shell: None,
                    },
                    before: Vec::new(),
                    notes: Vec::new(),
                },
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
        let before = parse_installed(&reply.text("before").unwrap_or_default());
        let (mut missing, mut present) = (Vec::new(), Vec::new());
        for (i, n) in a.names.iter().enumerate() {
            if reply.has(&format!("i{i}")) {
                present.push(n.clone());
            } else if a.state == "removed"
                || a.allow_downgrade
                || !dnf_output::newer_installed(n, &before)
            {
                missing.push(n.clone());
            }
        }
        // A removal reports the names it did not find, as dnf's API does.
        let notes: Vec<String> = if a.state == "removed" {
            missing
                .iter()
                .map(|n| format!("No match for argument: {n}"))
                .collect()
        } else {
            Vec::new()
        };
        let Some(txn) = a.transaction(&missing, &present) else {
            return Ok(Step::Done(result("Nothing to do", false, notes, 0)));
        };
        if !ctx.check_mode {
            // The transaction decides (it may find nothing to do: `latest`
            // of an up-to-date package).
            return Ok(Step::Change {
                check: result("", false, vec![], 0),
                state: Plan { txn, before, notes },
            });
        }
        // Check mode: dnf resolves the same transactions and stops.
        let dry = probe(ctx, &run_script(a, &txn, true)).await?;
        let out = dry.text("dnfout").unwrap_or_default();
        let err = dry.text("dnferr").unwrap_or_default();
        let (installed, removed) = dnf_output::planned(&out, &before);
        let failing = !dnf_output::failures(&format!("{out}\n{err}"), &a.exclude).is_empty()
            || dry.has("shellerr")
            || (dry.text("rc").as_deref() != Some("0")
                && !format!("{out}{err}").contains("Operation aborted"));
        let r = if failing {
            let table = refused_table(ctx, a, (&out, &err), &txn).await?;
            failure(a, (&out, &err), &table, &txn, &before)
        } else if installed.is_empty() && removed.is_empty() {
            result("Nothing to do", false, notes, 0)
        } else {
            let mut results = notes;
            results.extend(dnf_output::results(&installed, &removed));
            result(
                "Check mode: No changes made, but would have if not in check mode",
                true,
                results,
                0,
            )
        };
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &DnfArgs,
        plan: Plan,
    ) -> Result<ModResult, ModuleError> {
        if plan.txn.argv.iter().any(|w| w == "makecache") {
            let line = argv_line(&plan.txn.argv);
            let out = ctx.run(&format!("LANG=C LC_ALL=C {line}"), None).await?;
            if out.rc != 0 {
                let mut r = failed(String::from_utf8_lossy(&out.stderr).trim().to_string());
                r.insert("results".into(), json!([]));
                r.insert("rc".into(), json!(1));
                return Ok(r);
            }
            return Ok(result("Cache updated", false, vec![], 0));
        }
        let reply = probe(ctx, &run_script(a, &plan.txn, false)).await?;
        if let Some(e) = reply.failure() {
            return Ok(failed(e));
        }
        let after = parse_installed(&reply.text("after").unwrap_or_default());
        let (installed, removed) = dnf_output::diff(&plan.before, &after);
        if reply.text("rc").as_deref() != Some("0") {
            let out = reply.text("dnfout").unwrap_or_default();
            let err = reply.text("dnferr").unwrap_or_default();
            let table = refused_table(ctx, a, (&out, &err), &plan.txn).await?;
            return Ok(failure(a, (&out, &err), &table, &plan.txn, &plan.before));
        }
        if installed.is_empty() && removed.is_empty() {
            return Ok(result("Nothing to do", false, plan.notes, 0));
        }
        let mut results = plan.notes;
        results.extend(dnf_output::results(&installed, &removed));
        Ok(result("", true, results, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(state: &str) -> DnfArgs {
        DnfArgs {
            names: vec!["jq".into(), "tree-1.8.0".into()],
            state: state.into(),
            install_weak_deps: true,
            installroot: "/".into(),
            ..DnfArgs::default()
        }
    }

    fn argv(t: Option<Txn>) -> Vec<String> {
        t.map(|t| t.argv).unwrap_or_default()
    }

    #[test]
    fn transactions_are_built_from_the_query() {
        let mut a = args("installed");
        a.disable_excludes = Some("kubernetes".into());
        a.enablerepo = vec!["epel".into()];
        assert_eq!(
            argv(a.transaction(&["jq".into()], &["tree-1.8.0".into()])),
            [
                "dnf",
                "-y",
                "--enablerepo=epel",
                "--disableexcludes=kubernetes",
                "install",
                "jq"
            ]
        );
        assert!(a.transaction(&[], &["jq".into()]).is_none());
        let gone = args("removed");
        assert_eq!(
            argv(gone.transaction(&["jq".into()], &["tree-1.8.0".into()])),
            ["dnf", "-y", "remove", "tree-1.8.0"]
        );
        assert!(gone.transaction(&["jq".into()], &[]).is_none());
        // latest: dnf's install leaves installed packages alone, so the
        // installed ones are upgraded; with both kinds one dnf shell script
        // marks both jobs for one transaction.
        let mut latest = args("latest");
        latest.update_cache = true;
        let both = latest.transaction(&["jq".into()], &["tree-1.8.0".into()]);
        assert_eq!(
            both,
            Some(Txn {
                argv: ["dnf", "-y", "--refresh", "shell"]
                    .map(String::from)
                    .to_vec(),
                shell: Some("install jq\nupgrade tree-1.8.0\nrun\n".into()),
            })
        );
        assert_eq!(both.map(|t| t.installs()), Some(vec!["jq".to_string()]));
        assert_eq!(
            argv(latest.transaction(&[], &["jq".into()])),
            ["dnf", "-y", "--refresh", "upgrade", "jq"]
        );
        latest.update_only = true;
        assert!(latest.transaction(&["jq".into()], &[]).is_none());
        assert_eq!(
            argv(latest.transaction(&["jq".into()], &["tree".into()])),
            ["dnf", "-y", "--refresh", "upgrade", "tree"]
        );
    }

    /// A single `dnf install` stops at a name no repository has, before it
    /// prints a transaction; the result lists what the lenient resolve of
    /// the same command would have installed, as Ansible's module does.
    #[test]
    fn a_refused_command_lists_its_transaction() {
        let mut a = args("installed");
        a.names = vec!["kiln-b".into(), "kiln-nope".into()];
        let txn = a
            .transaction(&a.names.clone(), &[])
            .unwrap_or_else(|| panic!("a transaction"));
        assert_eq!(
            txn.lenient().argv,
            [
                "dnf",
                "--setopt=strict=False",
                "-y",
                "install",
                "kiln-b",
                "kiln-nope"
            ]
        );
        // dnf 4's output for the strict command, then the lines that
        // matter of the lenient one with --assumeno (dnf_output's tests
        // have a whole table).
        let strict = (
            "No match for argument: kiln-nope\n",
            "Error: Unable to find a match: kiln-nope\n",
        );
        let lenient = "No match for argument: kiln-nope\nDependencies resolved.\nInstalling:\n kiln-b   noarch   1.0-1   kiln   5.8 k\n\nOperation aborted.\n";
        let r = failure(&a, strict, lenient, &txn, &[]);
        assert_eq!(r["msg"], "Failed to install some of the specified packages");
        assert_eq!(r["failures"], json!(["No package kiln-nope available."]));
        assert_eq!(r["results"], json!(["Installed: kiln-b-1.0-1.noarch"]));
        // Without a table (nothing else to install) the list is empty.
        let none = failure(&a, strict, strict.0, &txn, &[]);
        assert_eq!(none["results"], json!([]));
    }

    #[test]
    fn one_query_for_all_names() {
        let mut a = args("latest");
        a.installroot = "/srv/root".into();
        let s = query_script(&a);
        // One rpm list and one rpm -q per name, all in the installroot.
        assert_eq!(s.matches("rpm --root=/srv/root -q").count(), 3);
        assert!(s.contains("-- jq ") && s.contains("-- tree-1.8.0 "));
    }

    #[test]
    fn a_shell_transaction_runs_only_after_a_clean_resolve() {
        let a = args("latest");
        let txn = a
            .transaction(&["jq".into()], &["tree-1.8.0".into()])
            .unwrap_or_else(|| panic!("a transaction"));
        // Check mode: the one resolve-only pass.
        let dry = run_script(&a, &txn, true);
        assert_eq!(dry.matches("LANG=C LC_ALL=C dnf").count(), 1);
        assert!(dry.contains("dnf --assumeno -y shell \"$t/script\""));
        // A real run: the resolve-only pass guards the one transaction.
        let real = run_script(&a, &txn, false);
        let guard = real.find("dnf --assumeno -y shell");
        let run = real.find("dnf -y shell");
        assert!(guard.is_some() && run.is_some() && guard < run, "{real}");
        assert_eq!(real.matches("dnf -y shell").count(), 1);
        assert!(real.contains("if [ $rc = 0 ]; then"));
        // A single job is a plain command line.
        let one = a.transaction(&["jq".into()], &[]);
        let one = one.unwrap_or_else(|| panic!("a transaction"));
        assert!(run_script(&a, &one, false).contains("dnf -y install jq"));
        assert!(!run_script(&a, &one, false).contains("--assumeno"));
    }
}
