// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `setup`: Ansible's Linux fact set in one round trip. One POSIX sh script
//! (setup/facts.sh, embedded) collects raw data on the host, with no Python
//! needed there; the controller turns it into Ansible's fact names and
//! shapes, collector by collector (setup/*.rs), honouring `gather_subset`
//! (setup/subset.rs), `filter`, `fact_path` and `gather_timeout`.
//!
//! The implicit "Gathering Facts" task is the same module: see
//! [`gathering_facts_args`] and [`gather_facts`].

mod distribution;
mod hardware;
mod local;
mod network;
#[cfg(test)]
mod oracle_tests;
mod raw;
mod subset;
mod system;
pub(crate) mod text;
mod virt;

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use raw::Raw;
use serde_json::{Map, Value as Json, json};

/// The fact gathering script, run with `sh -c`.
const SCRIPT: &str = include_str!("setup/facts.sh");

/// Ansible's defaults.
pub const DEFAULT_FACT_PATH: &str = "/etc/ansible/facts.d";
pub const DEFAULT_GATHER_TIMEOUT: i64 = 10;

pub struct Setup;

static SPEC: ModuleSpec = ModuleSpec {
    name: "setup",
    args: &[
        ArgSpec::new("gather_subset", T::List),
        ArgSpec::new("gather_timeout", T::Int),
        ArgSpec::new("filter", T::List),
        ArgSpec::new("fact_path", T::Path),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

/// Typed arguments.
#[derive(Debug, Clone)]
pub struct SetupArgs {
    /// As given (it is reported back as the `gather_subset` fact).
    pub gather_subset: Vec<String>,
    pub gather_timeout: i64,
    pub filter: Vec<String>,
    pub fact_path: String,
    /// The collectors to run, dependencies included.
    collectors: Vec<&'static str>,
}

/// A list argument as Ansible's `type='list', elements='str'` gives it.
fn str_list(v: Option<&Json>) -> Option<Vec<String>> {
    match v? {
        Json::Null => None,
        Json::Array(a) => Some(
            a.iter()
                .map(|x| match x {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        ),
        Json::String(s) => Some(s.split(',').map(|p| p.trim().to_string()).collect()),
        other => Some(vec![other.to_string()]),
    }
}

/// Builds the typed arguments; the error is the task's failure message.
pub fn parse_args(args: &Args) -> Result<SetupArgs, String> {
    let gather_subset =
        str_list(args.get("gather_subset")).unwrap_or_else(|| vec!["all".to_string()]);
    let gather_timeout = match args.get("gather_timeout") {
        None | Some(Json::Null) => DEFAULT_GATHER_TIMEOUT,
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .ok_or_else(|| {
                format!(
                    "argument 'gather_timeout' is of type {} and we were unable to convert to int",
                    super::spec::json_type(v)
                )
            })?,
    };
    let filter = str_list(args.get("filter")).unwrap_or_default();
    let fact_path = args
        .get("fact_path")
        .and_then(Json::as_str)
        .unwrap_or(DEFAULT_FACT_PATH)
        .to_string();
    let collectors = subset::resolve(&gather_subset)?
        .into_iter()
        .map(|c| c.name)
        .collect();
    Ok(SetupArgs {
        gather_subset,
        gather_timeout,
        filter,
        fact_path,
        collectors,
    })
}

/// The command line that runs the script for these arguments.
fn command(a: &SetupArgs, marker: &str) -> String {
    format!(
        "/bin/sh -c {} kiln-facts {} {} {} {}",
        quote(SCRIPT),
        quote(marker),
        quote(&a.collectors.join(" ")),
        quote(&a.fact_path),
        quote(&a.gather_timeout.max(1).to_string()),
    )
}

fn marker() -> String {
    use rand::Rng;
    let n: u128 = rand::thread_rng().r#gen();
    format!("@@kiln-facts-{n:032x}")
}

/// Turns the script's reply into the facts of the selected collectors,
/// without the `ansible_` prefix (facter/ohai facts carry their own).
/// Returns the facts and the warnings the module reports.
pub fn facts_from_reply(
    reply: &[u8],
    marker: &str,
    a: &SetupArgs,
) -> (Map<String, Json>, Vec<String>) {
    let raw = Raw::parse(reply, marker);
    let mut facts: Map<String, Json> = Map::new();
    let mut warnings = Vec::new();
    let uid = raw.ids("Uid:").map(|(r, _)| r).unwrap_or(u32::MAX);
    for name in &a.collectors {
        // A collector that fails drops its own facts only, as in Ansible.
        let got: Result<Map<String, Json>, String> = match *name {
            "platform" => Ok(system::platform(&raw)),
            "distribution" => {
                let get = |k: &str| {
                    facts
                        .get(k)
                        .and_then(Json::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| fallback_uname(&raw, k))
                };
                distribution::distribution(
                    &raw,
                    &get("system"),
                    &get("kernel"),
                    &get("kernel_version"),
                )
            }
            "lsb" => distribution::lsb(&raw),
            "selinux" => Ok(system::selinux(&raw)),
            "apparmor" => Ok(system::apparmor(&raw)),
            "chroot" => Ok(system::chroot(&raw)),
            "fips" => Ok(system::fips(&raw)),
            "python" => Ok(system::python(&raw)),
            "caps" => Ok(system::caps(&raw)),
            "pkg_mgr" => Ok(system::pkg_mgr(&raw, &facts)),
            "service_mgr" => Ok(system::service_mgr(&raw, &facts)),
            "cmdline" => Ok(system::cmdline(&raw)),
            "date_time" => system::date_time(&raw),
            "env" => Ok(system::env(&raw)),
            "loadavg" => Ok(system::loadavg(&raw)),
            "ssh_pub_keys" => system::ssh_pub_keys(&raw),
            "user" => system::user(&raw),
            "systemd" => system::systemd(&raw),
            "virtual" => virt::virtual_facts(&raw),
            "hardware" => {
                let arch = facts
                    .get("architecture")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string();
                hardware::hardware(&raw, &arch, uid)
            }
            "dns" => Ok(system::dns(&raw)),
            "fibre_channel_wwn" => Ok(system::fibre_channel_wwn(&raw)),
            "iscsi" => Ok(system::iscsi(&raw)),
            "nvme" => Ok(system::nvme(&raw)),
            "network" => network::network(&raw),
            "local" => {
                let (f, w) = local::local(&raw, &a.fact_path);
                warnings.extend(w);
                f.ok_or_else(|| "TypeError in local facts".to_string())
            }
            "facter" | "ohai" => Ok(system::external(&raw, name, &mut warnings)),
            _ => Ok(Map::new()),
        };
        if let Ok(f) = got {
            facts.extend(f);
        }
    }
    (facts, warnings)
}

/// `platform.system()`/`release()`/`version()` when the platform collector
/// did not run (distribution needs them).
fn fallback_uname(raw: &Raw, key: &str) -> String {
    let path = match key {
        "system" => "/proc/sys/kernel/ostype",
        "kernel" => "/proc/sys/kernel/osrelease",
        _ => "/proc/sys/kernel/version",
    };
    raw.file(path).unwrap_or("Linux").to_string()
}

/// The names as Ansible returns them inside `ansible_facts`.
fn prefixed(facts: Map<String, Json>) -> Map<String, Json> {
    facts
        .into_iter()
        .map(|(k, v)| {
            if k.starts_with("facter_") || k.starts_with("ohai_") {
                (k, v)
            } else {
                (format!("ansible_{k}"), v)
            }
        })
        .collect()
}

/// `filter`: fnmatch patterns on the (prefixed) names; a pattern without
/// the prefix also matches with `ansible_` put in front.
fn matches_filter(name: &str, filter: &[String]) -> bool {
    if filter.is_empty() || filter.iter().any(|f| f == "*") {
        return true;
    }
    filter.iter().any(|f| {
        f.is_empty()
            || text::fnmatch(name, f)
            || (!f.starts_with("ansible_")
                && !f.starts_with("facter")
                && !f.starts_with("ohai")
                && text::fnmatch(name, &format!("ansible_{f}")))
    })
}

/// The module's result for a reply: `{"ansible_facts": {...}, "changed": false}`.
pub fn result_from_reply(reply: &[u8], marker: &str, a: &SetupArgs) -> ModResult {
    let (facts, warnings) = facts_from_reply(reply, marker, a);
    let mut out: Map<String, Json> = prefixed(facts)
        .into_iter()
        .filter(|(k, _)| matches_filter(k, &a.filter))
        .collect();
    let meta = [
        ("gather_subset", json!(a.gather_subset)),
        ("module_setup", json!(true)),
    ];
    for (k, v) in meta {
        if matches_filter(k, &a.filter) {
            out.insert(k.into(), v);
        }
    }
    let mut r = ModResult::new();
    r.insert("ansible_facts".into(), Json::Object(out));
    r.insert("changed".into(), json!(false));
    if !warnings.is_empty() {
        r.insert("warnings".into(), json!(warnings));
    }
    r
}

/// Runs the script on the host and builds the result.
pub async fn run_setup(ctx: &ModuleCtx<'_>, a: &SetupArgs) -> Result<ModResult, ModuleError> {
    let mark = marker();
    let out = ctx.run(&command(a, &mark), None).await?;
    if !String::from_utf8_lossy(&out.stdout).contains(&format!("{mark} end")) {
        let mut r = failed(format!(
            "fact gathering did not complete on the host (rc {}): {}",
            out.rc,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
        r.insert("rc".into(), json!(out.rc));
        return Ok(r);
    }
    Ok(result_from_reply(&out.stdout, &mark, a))
}

/// The arguments of the implicit "Gathering Facts" task: the play's
/// `gather_subset`, `gather_timeout` and `fact_path` keywords (templated),
/// each only when the play sets it, as Ansible's PlayIterator does. A scalar
/// `gather_subset` becomes a one-element list, as a play's list keyword
/// does (so `"!all,network"` is one word there, unlike in module arguments).
pub fn gathering_facts_args(
    gather_subset: Option<Json>,
    gather_timeout: Option<Json>,
    fact_path: Option<Json>,
) -> Args {
    let mut args = Args::new();
    let gather_subset = gather_subset.map(|v| match v {
        Json::Array(_) | Json::Null => v,
        other => Json::Array(vec![other]),
    });
    for (k, v) in [
        ("gather_subset", gather_subset),
        ("gather_timeout", gather_timeout),
        ("fact_path", fact_path),
    ] {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            args.insert(k.into(), v);
        }
    }
    args
}

/// The implicit "Gathering Facts" task (Ansible's `gather_facts` action
/// running `setup`): setup's result plus `_ansible_facts_gathered: true`
/// inside `ansible_facts`, which tells later plays the host has facts. When
/// setup fails, the result is the action's: `failed_modules` holds setup's
/// own result and `msg` names the module.
pub async fn gather_facts(ctx: &ModuleCtx<'_>, args: &Args) -> Result<ModResult, ModuleError> {
    let setup_result = match parse_args(args) {
        Ok(a) => run_setup(ctx, &a).await?,
        Err(msg) => failed(msg),
    };
    Ok(gather_facts_result(setup_result))
}

/// Wraps setup's result as the `gather_facts` action reports it.
pub fn gather_facts_result(setup_result: ModResult) -> ModResult {
    if setup_result.get("failed").and_then(Json::as_bool) == Some(true) {
        let mut inner = ModResult::new();
        inner.insert("changed".into(), json!(false));
        inner.insert("failed".into(), json!(true));
        inner.insert("warnings".into(), json!([]));
        inner.insert("deprecations".into(), json!([]));
        inner.insert("exception".into(), json!("(traceback unavailable)"));
        for (k, v) in setup_result {
            inner.insert(k, v);
        }
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        r.insert(
            "ansible_facts".into(),
            json!({"_ansible_facts_gathered": true}),
        );
        let msg = "The following modules failed to execute: ansible.legacy.setup.";
        // Ansible's `[ERROR]` block: the action's error, then the module's
        // as the event that caused it.
        let cause = inner
            .get("msg")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        r.insert(
            super::ERROR_DETAIL.into(),
            json!(format!(
                "Task failed: Action failed: {msg}\n\nTask failed: Action failed.\n\n<<< caused by >>>\n\n{msg}\n\n+--[ Sub-Event 1 of 1 ]---\n| \n| {}\n| \n+--[ End Sub-Event ]---\n",
                cause.replace('\n', "\n| ")
            )),
        );
        r.insert("msg".into(), json!(msg));
        r.insert(
            "failed_modules".into(),
            json!({"ansible.legacy.setup": inner}),
        );
        r.insert("failed".into(), json!(true));
        return r;
    }
    let mut r = setup_result;
    if let Some(Json::Object(f)) = r.get_mut("ansible_facts") {
        f.insert("_ansible_facts_gathered".into(), json!(true));
    }
    r
}

#[async_trait::async_trait]
impl Module for Setup {
    type Args = SetupArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<SetupArgs, String> {
        parse_args(args)
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &SetupArgs) -> Result<Step<()>, ModuleError> {
        // Gathering changes nothing: check mode gathers too.
        Ok(Step::Done(run_setup(ctx, a).await?))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &SetupArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

/// `gather_facts`: the action behind a play's implicit "Gathering Facts"
/// task (and usable as a task of its own).
pub struct GatherFacts;

static GATHER_SPEC: ModuleSpec = ModuleSpec {
    name: "gather_facts",
    args: &[
        ArgSpec::new("gather_subset", T::List),
        ArgSpec::new("gather_timeout", T::Int),
        ArgSpec::new("fact_path", T::Path),
        ArgSpec::new("parallel", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

#[async_trait::async_trait]
impl super::DynModule for GatherFacts {
    fn spec(&self) -> &'static ModuleSpec {
        &GATHER_SPEC
    }

    async fn execute(&self, ctx: &ModuleCtx<'_>, args: &Args) -> Result<ModResult, ModuleError> {
        let mut args = args.clone();
        args.remove("parallel");
        gather_facts(ctx, &args).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: Json) -> SetupArgs {
        let Json::Object(m) = v else { panic!("object") };
        parse_args(&m).expect("valid args")
    }

    #[test]
    fn defaults_and_coercions() {
        let a = args(json!({}));
        assert_eq!(a.gather_subset, ["all"]);
        assert_eq!(a.gather_timeout, 10);
        assert_eq!(a.fact_path, "/etc/ansible/facts.d");
        let a = args(json!({"gather_subset": "!all,network", "gather_timeout": "5"}));
        assert_eq!(a.gather_subset, ["!all", "network"]);
        assert_eq!(a.gather_timeout, 5);
        assert!(a.collectors.contains(&"network") && a.collectors.contains(&"dns"));
        let Json::Object(bad) = json!({"gather_subset": ["nope"]}) else {
            return;
        };
        assert!(
            parse_args(&bad)
                .unwrap_err()
                .starts_with("Bad subset 'nope'")
        );
    }

    #[test]
    fn play_keywords_become_module_arguments() {
        let args = gathering_facts_args(Some(json!("!all,network")), Some(json!(5)), None);
        assert_eq!(args.get("gather_subset"), Some(&json!(["!all,network"])));
        assert_eq!(args.get("gather_timeout"), Some(&json!(5)));
        assert!(!args.contains_key("fact_path"));
        // The play keyword's single word excludes an unknown subset, which
        // leaves only `min` (always added first).
        let a = parse_args(&args).expect("valid");
        assert_eq!(a.gather_subset, ["!all,network"]);
        assert_eq!(a.collectors.len(), subset::MINIMAL.len());
        assert!(gathering_facts_args(None, None, None).is_empty());
    }

    #[test]
    fn gathering_facts_wraps_setup_like_the_action() {
        let ok = gather_facts_result(
            serde_json::from_value(
                json!({"ansible_facts": {"ansible_os_family": "Debian"}, "changed": false}),
            )
            .unwrap_or_default(),
        );
        assert_eq!(ok["ansible_facts"]["_ansible_facts_gathered"], true);
        assert_eq!(ok["ansible_facts"]["ansible_os_family"], "Debian");
        let bad = gather_facts_result(failed("Bad subset 'x' given to Ansible."));
        assert_eq!(bad["failed"], true);
        assert_eq!(
            bad["msg"],
            "The following modules failed to execute: ansible.legacy.setup."
        );
        assert_eq!(
            bad["ansible_facts"],
            json!({"_ansible_facts_gathered": true})
        );
        assert_eq!(
            bad["failed_modules"]["ansible.legacy.setup"]["msg"],
            "Bad subset 'x' given to Ansible."
        );
    }

    #[test]
    fn filter_matches_with_and_without_prefix() {
        let f = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches_filter(
            "ansible_distribution",
            &f(&["distribution"])
        ));
        assert!(matches_filter("ansible_memtotal_mb", &f(&["ansible_*_mb"])));
        assert!(!matches_filter(
            "gather_subset",
            &f(&["ansible_distribution"])
        ));
        assert!(matches_filter("anything", &f(&[])));
        assert!(!matches_filter("facter_x", &f(&["facter"])));
    }

    #[test]
    fn result_shape_for_a_distribution_only_subset() {
        let a = args(json!({"gather_subset": ["!min", "!all", "distribution"]}));
        assert_eq!(a.collectors, ["distribution"]);
        let reply = "\nMK t\nefsr /etc/os-release\n\nMK f /etc/os-release\nID=debian\nVERSION_ID=\"12\"\n\
PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n\
\nMK f /etc/debian_version\n12.11\n\nMK f /proc/sys/kernel/ostype\nLinux\n\nMK end\n";
        let r = result_from_reply(reply.as_bytes(), "MK", &a);
        let f = &r["ansible_facts"];
        assert_eq!(f["ansible_os_family"], "Debian");
        assert_eq!(f["ansible_distribution_version"], "12.11");
        assert_eq!(f["gather_subset"], json!(["!min", "!all", "distribution"]));
        assert_eq!(f["module_setup"], true);
        assert_eq!(r["changed"], false);
        assert!(f.get("ansible_env").is_none());
    }

    #[test]
    fn a_bare_reply_gives_what_can_be_known() {
        // A host with no tools, no /proc and no python: no collector panics,
        // those that cannot work drop out, the rest keep Ansible's defaults.
        let a = args(json!({}));
        let (f, _) = facts_from_reply(b"\nMK id\nUid:\t0\t0\nGid:\t0\t0\n\nMK end\n", "MK", &a);
        assert_eq!(f["system_capabilities"], "N/A");
        assert_eq!(f["lvm"], "N/A");
        assert_eq!(f["fips"], false);
        assert_eq!(f["local"], json!({}));
        assert_eq!(f["service_mgr"], "service");
        assert!(f.get("python").is_none() && f.get("python_version").is_none());
        assert!(f.get("interfaces").is_none(), "no `ip`, no network facts");
        assert!(f.get("date_time").is_none(), "no `date`");
    }

    #[test]
    fn script_runs_under_dash_with_set_u() {
        // The real script against this machine, through the shell that runs
        // it on hosts: it must finish and give every section it promises.
        let a = args(json!({"gather_subset": ["all"], "fact_path": "/nonexistent"}));
        let mark = marker();
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(command(&a, &mark))
            .output()
            .expect("sh runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("{mark} end")),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = result_from_reply(&out.stdout, &mark, &a);
        let f = &r["ansible_facts"];
        for k in [
            "ansible_system",
            "ansible_kernel",
            "ansible_os_family",
            "ansible_user_id",
            "ansible_env",
            "ansible_date_time",
            "ansible_memtotal_mb",
            "ansible_processor_vcpus",
            "ansible_mounts",
            "ansible_service_mgr",
            "ansible_pkg_mgr",
            "ansible_local",
        ] {
            assert!(f.get(k).is_some(), "{k} missing");
        }
    }
}
