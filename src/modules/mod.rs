// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Native modules. Each module is one file with a typed argument struct, a
//! plan step (probe the host, say what would change) and an apply step; check
//! mode stops after the plan, so it comes for free.
//!
//! The file modules (stat, file, copy, template, lineinfile, blockinfile,
//! replace, slurp, tempfile) need no Python on the host: `probe.rs` runs one
//! small POSIX sh script that answers in framed, binary-safe records (stat
//! fields, checksums, file contents, user lookups), the controller decides
//! (text edits, symbolic modes and diffs are computed here), and `write.rs`
//! makes the change in one more script: content on stdin into a `mktemp`
//! file beside the destination, owner/group/mode set, `validate`d, backed
//! up, then renamed into place. Every value in those scripts is quoted by
//! `transport::quote`; paths are only ever used through shell variables.
//!
//! The other host modules follow the same pattern with the host's own
//! tools: `find` (GNU find + stat), `script` (a private temp dir), `fetch`
//! (a streamed, SHA-1-checked download), `wait_for` (bash's /dev/tcp or
//! nc), `package_facts` (dpkg-query/apt-cache, rpm, apk), `uri` and
//! `get_url` (the host's curl, else GNU wget, else BusyBox wget for
//! requests without secrets, else the controller's rustls client through
//! the SSH session, streaming the body into the host; options and secrets
//! on stdin: `http.rs` says which path is taken when),
//! `unarchive` (tar/unzip). `group_by`, `add_host` and `pause` are
//! controller actions; the executor applies their inventory changes.

mod accounts;
pub mod action_groups;
mod apt;
mod apt_repository;
mod args;
mod assert;
pub mod async_job;
mod async_status;
mod authorized_key;
mod blockinfile;
mod command;
mod context;
mod copy;
mod copy_remote_dir;
mod copytree;
mod cron;
mod deb822_repository;
mod debug;
mod debversion;
mod dnf;
mod dnf_output;
mod dpkg_selections;
mod edit;
pub mod engine_actions;
mod escalation;
mod fail;
mod fetch;
mod file;
mod find;
mod get_url;
mod group;
mod hostname;
mod http;
mod http_spool;
mod http_stream;
mod http_wget;
// The controller's HTTPS pieces, shared with the `url` lookup.
pub(crate) use http::urljoin as http_urljoin;
pub(crate) use http_stream::no_proxy as http_no_proxy;
pub(crate) use http_stream::tls_config as http_tls_config;
mod inventory_actions;
mod k8s;
mod k8s_apply;
mod k8s_common;
mod k8s_drain;
mod k8s_hash;
mod k8s_info;
mod lineinfile;
mod local_file;
mod locale_gen;
mod modprobe;
mod mount;
mod package;
mod package_facts;
mod pause;
mod perms;
mod ping;
mod probe;
mod pyre;
mod raw;
pub mod read_ahead;
mod reboot;
mod replace;
mod script;
mod service;
mod set_fact;
pub mod set_stats;
pub mod setup;
mod slurp;
pub mod spec;
mod stat;
mod sysctl;
mod systemd_service;
mod tempfile;
mod template;
mod timezone;
mod unarchive;
mod uri;
mod user;
mod validate_argument_spec;
mod wait_for;
mod wait_for_connection;
mod write;

use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::sync::OnceLock;

pub use context::{Become, ModuleCtx};
pub use copy::playbook_dir_of;
pub use inventory_actions::{ADD_GROUP, ADD_HOST_KEY, PARENT_GROUPS};
pub use spec::{ArgSpec, ArgType, FreeForm, ModuleSpec, RunsOn};

/// Result key for the longer error text Ansible shows in its `[ERROR]`
/// block; internal, never registered nor shown as a key.
pub const ERROR_DETAIL: &str = "_kiln_error_detail";

/// Result key for which of `assert`'s conditions could not be evaluated
/// (its index): the executor, which knows where each is written, tells the
/// error with that place. Internal, never registered nor shown.
pub const FAILED_CONDITION: &str = "_kiln_failed_condition";

/// Result key for a line Ansible's action prints while it runs (`pause`'s
/// "Pausing for N seconds"); the executor shows it and drops the key.
pub const DISPLAY: &str = "_kiln_display";

/// A module's result: Ansible's result dict.
pub type ModResult = Map<String, Json>;

/// Arguments after templating, with `omit` already dropped.
pub type Args = Map<String, Json>;

/// What a task's run on a host ended with, besides a normal result.
#[derive(Debug)]
pub enum ModuleError {
    /// The host could not be reached (Ansible's UNREACHABLE).
    Unreachable(crate::transport::TransportError),
    /// The task failed before the module could run (a wrong become
    /// password): the message is the result's `msg`.
    Failed(String),
    /// The become program ran but never ran the command (its marker never
    /// appeared: the user is not in sudoers, ...): what it said, which
    /// Ansible reports as a module whose output is not JSON.
    NotEscalated(crate::transport::ExecOutput),
}

impl ModuleError {
    /// The message of a failure that is not a module result of its own.
    pub fn message(&self) -> String {
        match self {
            ModuleError::Unreachable(e) => e.to_string(),
            ModuleError::Failed(m) => m.clone(),
            ModuleError::NotEscalated(_) => NO_JSON.to_string(),
        }
    }
}

/// Ansible's words for a module whose output holds no JSON.
const NO_JSON: &str = "Module result deserialization failed: No start of json char found";

/// Ansible's result for a module task whose escalation never happened:
/// the become program's words in `module_stdout`/`module_stderr`.
pub fn not_escalated(out: &crate::transport::ExecOutput) -> ModResult {
    let mut r = failed(NO_JSON);
    r.insert("changed".into(), Json::Bool(false));
    r.insert(
        "module_stdout".into(),
        Json::String(String::from_utf8_lossy(&out.stdout).into_owned()),
    );
    r.insert(
        "module_stderr".into(),
        Json::String(String::from_utf8_lossy(&out.stderr).into_owned()),
    );
    r.insert("rc".into(), Json::from(out.rc));
    // The action's error, then the module's as its cause (the output
    // layer puts the task's origin between them).
    r.insert(
        ERROR_DETAIL.into(),
        Json::String(format!(
            "Task failed: Action failed: {NO_JSON}\n\nTask failed: Action failed.{CAUSED_BY}{NO_JSON} See stdout/stderr for the returned output.\n"
        )),
    );
    r
}

/// Ansible's result when an action's `_find_needle` finds no file on the
/// controller: an error out of the action, not a failure it returned, so
/// `msg` carries "Task failed:" and the cause adds a hint.
pub fn missing_on_controller(msg: &str) -> ModResult {
    let mut r = failed(format!("Task failed: {msg}"));
    r.insert("changed".into(), Json::Bool(false));
    r.insert(
        ERROR_DETAIL.into(),
        Json::String(format!(
            "Task failed: {msg}\n\nTask failed.{CAUSED_BY}{msg} If you are using a module and expect the file to exist on the remote, see the remote_src option.\n"
        )),
    );
    r
}

/// The copy action's file search failing inside its own error handling:
/// Ansible wraps it as "Unexpected AnsibleActionFail error", with the
/// search as the cause and its remote_src hint after it.
pub fn unexpected_action_fail(e: &str) -> ModResult {
    let mut r = failed(format!("Unexpected AnsibleActionFail error: {e}"));
    r.insert("changed".into(), Json::Bool(false));
    r.insert(
        ERROR_DETAIL.into(),
        Json::String(format!(
            "Task failed: Unexpected AnsibleActionFail error: {e}\n\nTask failed: Unexpected AnsibleActionFail error.{CAUSED_BY}{e}\n\nIf you are using a module and expect the file to exist on the remote, see the remote_src option.\n"
        )),
    );
    r
}

/// For the actions that stat their destination before the module runs
/// (Ansible's `copy`, `template`, `unarchive`): an escalation that never
/// happened fails that stat, in its words, with what the become program
/// said (its stderr first, as Ansible takes `module_stderr` first).
pub fn remote_stat_failed(path: &str, e: ModuleError) -> ModuleError {
    let ModuleError::NotEscalated(out) = e else {
        return e;
    };
    let said = [&out.stderr, &out.stdout]
        .into_iter()
        .map(|b| String::from_utf8_lossy(b).trim_end().to_string())
        .find(|t| !t.is_empty())
        .unwrap_or_else(|| NO_JSON.to_string());
    ModuleError::Failed(format!(
        "Task failed: Failed to get information on remote file ({path}): {said}"
    ))
}

/// Where an error detail's cause begins (Ansible's `<<< caused by >>>`).
pub const CAUSED_BY: &str = "\n\n<<< caused by >>>\n\n";

/// The outcome of a plan step.
pub enum Step<S> {
    /// Nothing to do (or nothing that check mode could do): the final result.
    Done(ModResult),
    /// Something would change: `check` is the result check mode reports,
    /// `state` what the apply step needs.
    Change { check: ModResult, state: S },
}

/// One module: typed arguments, a plan and an apply.
#[async_trait::async_trait]
pub trait Module: Send + Sync + 'static {
    type Args: Send + Sync;
    type State: Send;
    fn spec(&self) -> &'static ModuleSpec;
    /// Builds the typed arguments; the message is the task's failure.
    fn parse(&self, args: &Args) -> Result<Self::Args, String>;
    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        args: &Self::Args,
    ) -> Result<Step<Self::State>, ModuleError>;
    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        args: &Self::Args,
        state: Self::State,
    ) -> Result<ModResult, ModuleError>;
    /// Whether the apply step can run as a detached job (`async`).
    fn detachable(&self) -> bool {
        false
    }
    /// For `async`: the apply step as one command line run detached on
    /// the host, and how its output becomes the result. `None` (the
    /// default) when the module cannot run detached.
    fn detach(&self, _args: &Self::Args, _state: &Self::State) -> Option<async_job::Detached> {
        None
    }
    /// The controller file the plan step will read whole (`copy`'s and
    /// `template`'s `src`), found from `playbook_dir` the way the plan step
    /// finds it, so that it can be read ahead of the barrier. `None`
    /// (the default) when the module reads none.
    fn controller_file(&self, _playbook_dir: &str, _args: &Self::Args) -> Option<String> {
        None
    }
}

/// The object-safe face of a module, used by the executor.
#[async_trait::async_trait]
pub trait DynModule: Send + Sync {
    fn spec(&self) -> &'static ModuleSpec;
    async fn execute(&self, ctx: &ModuleCtx<'_>, args: &Args) -> Result<ModResult, ModuleError>;
    /// Whether the module can run as a detached job (`async`).
    fn detachable(&self) -> bool {
        false
    }
    /// Runs the module under `async`: plan here, apply as a detached job
    /// (or by the controller when the apply step is not one command).
    async fn execute_async(
        &self,
        ctx: &ModuleCtx<'_>,
        args: &Args,
        _run: &async_job::AsyncRun,
    ) -> Result<ModResult, ModuleError> {
        self.execute(ctx, args).await
    }
    /// [`Module::controller_file`] for untyped arguments.
    fn controller_file(&self, _playbook_dir: &str, _args: &Args) -> Option<String> {
        None
    }
}

#[async_trait::async_trait]
impl<M: Module> DynModule for M {
    fn spec(&self) -> &'static ModuleSpec {
        Module::spec(self)
    }

    fn controller_file(&self, playbook_dir: &str, raw: &Args) -> Option<String> {
        let args = self.parse(raw).ok()?;
        Module::controller_file(self, playbook_dir, &args)
    }

    async fn execute(&self, ctx: &ModuleCtx<'_>, raw: &Args) -> Result<ModResult, ModuleError> {
        let args = match self.parse(raw) {
            Ok(a) => a,
            Err(msg) => return Ok(failed(msg)),
        };
        match self.plan(ctx, &args).await? {
            Step::Done(r) => Ok(r),
            Step::Change { check, .. } if ctx.check_mode => Ok(check),
            Step::Change { state, .. } => self.apply(ctx, &args, state).await,
        }
    }

    fn detachable(&self) -> bool {
        Module::detachable(self)
    }

    async fn execute_async(
        &self,
        ctx: &ModuleCtx<'_>,
        raw: &Args,
        run: &async_job::AsyncRun,
    ) -> Result<ModResult, ModuleError> {
        use async_job::Launch;
        // Without polling, a module that is not one command runs on after
        // the task returned, as Ansible's job does.
        if run.poll == 0
            && !Module::detachable(self)
            && let Some(bg) = &run.background
            && let Some(me) = lookup(Module::spec(self).name)
        {
            return run.run_in_background(ctx, me, raw, bg).await;
        }
        // Ansible runs the whole module in the job; what the plan decides
        // without changing anything is stored as the job's result.
        let launch = match self.parse(raw) {
            Err(msg) => Launch::Settled(failed(msg)),
            Ok(args) => match self.plan(ctx, &args).await? {
                Step::Done(r) => Launch::Settled(r),
                Step::Change { check, .. } if ctx.check_mode => Launch::Settled(check),
                Step::Change { state, .. } => match self.detach(&args, &state) {
                    Some(d) => Launch::Run(d),
                    // A native apply step is several remote operations, not
                    // one command to detach: the controller runs it, within
                    // the watchdog's limit, and the job file gets its result.
                    None => {
                        let limit =
                            std::time::Duration::from_secs(async_job::kill_after(run.limit));
                        match tokio::time::timeout(limit, self.apply(ctx, &args, state)).await {
                            Ok(r) => Launch::Settled(r?),
                            Err(_) => Launch::Settled(async_job::timed_out()),
                        }
                    }
                },
            },
        };
        run.run(ctx, launch).await
    }
}

/// A failed result with a message.
pub fn failed(msg: impl Into<String>) -> ModResult {
    let msg: String = msg.into();
    let mut r = Map::new();
    r.insert("failed".into(), Json::Bool(true));
    // A message made by `with_details` carries the module's `details` too.
    match msg.split_once(DETAILS) {
        Some((m, d)) => {
            r.insert("msg".into(), Json::String(m.to_string()));
            r.insert("details".into(), Json::String(d.to_string()));
        }
        None => {
            r.insert("msg".into(), Json::String(msg));
        }
    }
    r
}

/// Separates a failure message from its `details` inside one error string.
const DETAILS: char = '\u{1f}';

/// A failure message with the `details` Ansible's modules add to some
/// (the exact cause under a general message, e.g. a bad symbolic mode).
/// The error strings the planning helpers return pass through many callers
/// unchanged; [`failed`] splits them again.
pub fn with_details(msg: &str, details: &str) -> String {
    format!("{msg}{DETAILS}{details}")
}

/// A failure an action plugin raises: Ansible prints `Task failed: MSG`
/// with no "Module failed"/"Action failed" in between.
pub fn raised(msg: impl Into<String>) -> ModResult {
    let msg = msg.into();
    let mut r = failed(msg.clone());
    r.insert(
        ERROR_DETAIL.into(),
        Json::String(format!("Task failed: {msg}")),
    );
    r
}

/// Marks a failed result as built by the action plugin on the controller
/// (`Task failed: Action failed: MSG`), for modules that run on the host.
pub fn by_action(mut r: ModResult) -> ModResult {
    if let Some(Json::String(msg)) = r.get("msg") {
        let detail = format!("Task failed: Action failed: {msg}");
        r.insert(ERROR_DETAIL.into(), Json::String(detail));
    }
    r
}

fn registry() -> &'static HashMap<&'static str, Box<dyn DynModule>> {
    static REG: OnceLock<HashMap<&'static str, Box<dyn DynModule>>> = OnceLock::new();
    REG.get_or_init(|| {
        let all: Vec<Box<dyn DynModule>> = vec![
            Box::new(command::Command { shell: false }),
            Box::new(command::Command { shell: true }),
            Box::new(raw::Raw),
            Box::new(debug::Debug),
            Box::new(set_fact::SetFact),
            Box::new(set_stats::SetStats),
            Box::new(assert::Assert),
            Box::new(fail::Fail),
            Box::new(ping::Ping),
            Box::new(engine_actions::EngineAction(&engine_actions::INCLUDE_TASKS)),
            Box::new(engine_actions::EngineAction(&engine_actions::INCLUDE_ROLE)),
            Box::new(engine_actions::EngineAction(&engine_actions::META)),
            Box::new(engine_actions::EngineAction(&engine_actions::INCLUDE_VARS)),
            Box::new(setup::Setup),
            Box::new(setup::GatherFacts),
            Box::new(stat::Stat),
            Box::new(file::File),
            Box::new(copy::Copy),
            Box::new(template::Template),
            Box::new(lineinfile::LineInFile),
            Box::new(blockinfile::BlockInFile),
            Box::new(replace::Replace),
            Box::new(slurp::Slurp),
            Box::new(tempfile::TempFile),
            Box::new(k8s_info::K8sInfo),
            Box::new(k8s::K8s),
            Box::new(k8s_drain::K8sDrain),
            Box::new(authorized_key::AuthorizedKey),
            Box::new(user::User),
            Box::new(group::Group),
            Box::new(reboot::Reboot),
            Box::new(wait_for_connection::WaitForConnection),
            Box::new(sysctl::Sysctl),
            Box::new(hostname::Hostname),
            Box::new(timezone::Timezone),
            Box::new(cron::Cron),
            Box::new(modprobe::Modprobe),
            Box::new(mount::Mount),
            Box::new(locale_gen::LocaleGen),
            Box::new(dnf::Dnf { yum: false }),
            Box::new(dnf::Dnf { yum: true }),
            Box::new(apt::Apt),
            Box::new(apt_repository::AptRepository),
            Box::new(dpkg_selections::DpkgSelections),
            Box::new(package::Package),
            Box::new(deb822_repository::Deb822Repository),
            Box::new(service::Service),
            Box::new(systemd_service::SystemdService { name: "systemd" }),
            Box::new(systemd_service::SystemdService {
                name: "systemd_service",
            }),
            Box::new(find::Find),
            Box::new(script::Script),
            Box::new(fetch::Fetch),
            Box::new(inventory_actions::GroupBy),
            Box::new(inventory_actions::AddHost),
            Box::new(pause::Pause),
            Box::new(wait_for::WaitFor),
            Box::new(package_facts::PackageFacts),
            Box::new(uri::Uri),
            Box::new(get_url::GetUrl),
            Box::new(unarchive::Unarchive),
            Box::new(async_status::AsyncStatus),
            Box::new(validate_argument_spec::ValidateArgumentSpec),
        ];
        all.into_iter().map(|m| (m.spec().name, m)).collect()
    })
}

/// Collections whose modules kiln implements natively. A module is known by
/// its short name and by its fully qualified name in its own collection (and
/// `ansible.legacy.`); ansible-core's runtime redirects let playbooks call
/// e.g. `authorized_key` without the collection prefix, so the short name is
/// the registry key.
const COLLECTIONS: &[&str] = &[
    "ansible.builtin.",
    "ansible.legacy.",
    "ansible.posix.",
    "community.general.",
    "kubernetes.core.",
];

/// The canonical short name of a module written as `name` or with the
/// prefix of one of [`COLLECTIONS`].
pub fn canonical(name: &str) -> &str {
    COLLECTIONS
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

/// Finds a module by any of its names.
pub fn lookup(name: &str) -> Option<&'static dyn DynModule> {
    registry().get(canonical(name)).map(|b| b.as_ref())
}

/// Every module name kiln knows (short names), for suggestions.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = registry().keys().copied().collect();
    v.sort_unstable();
    v
}

pub use set_fact::is_identifier;

/// The loop every differential test of a module shares: each case of
/// `cases` (a JSON list, an `id` each) must give, through `verdict`, what
/// `wanted` makes of the answer recorded from Ansible under `expected`'s
/// `cases[id]`; every difference is listed in one failure.
#[cfg(test)]
pub(crate) fn assert_oracle_cases(
    cases: &str,
    expected: &str,
    at_least: usize,
    verdict: impl Fn(&Json) -> Json,
    wanted: impl Fn(&Json) -> Json,
) {
    let cases: Vec<Json> = serde_json::from_str(cases).expect("cases.json");
    let expected: Json = serde_json::from_str(expected).expect("expected.json");
    assert!(cases.len() >= at_least, "{} cases", cases.len());
    let mut bad = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().expect("case id");
        let want = &expected["cases"][id];
        assert!(want.is_object(), "{id}: not recorded");
        let (got, want) = (verdict(case), wanted(want));
        if got != want {
            bad.push(format!("{id}:\n  kiln:    {got}\n  ansible: {want}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} cases differ:\n{}",
        bad.len(),
        cases.len(),
        bad.join("\n")
    );
}

/// A text-editing module's final result (a failure, or nothing to do) as
/// its differential tests compare it: changed, failed, msg, rc, and the
/// file left as it was.
#[cfg(test)]
pub(crate) fn final_edit_json(r: &ModResult, before: Option<&str>) -> Json {
    let mut v = serde_json::json!({
        "changed": r.get("changed").cloned().unwrap_or(Json::Bool(false)),
        "failed": r.get("failed").cloned().unwrap_or(Json::Bool(false)),
        "msg": r["msg"],
        "after": before,
    });
    if let Some(rc) = r.get("rc") {
        v["rc"] = rc.clone();
    }
    v
}
