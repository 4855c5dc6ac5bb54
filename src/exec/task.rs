// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! One task on one host: loop expansion, `when`, argument templating, the
//! module, `changed_when`/`failed_when`, `register`, and the result event.

use super::{PlayCtx, Runner};
use crate::modules::{
    self, ADD_GROUP, ADD_HOST_KEY, Become, ModuleCtx, ModuleError, PARENT_GROUPS, RunsOn, async_job,
};
use crate::output::{Event, Status};
use crate::playbook::{Item, Loop, Task};
use crate::template::value_to_json;
use crate::vars::{Layer, Scope, VarValue};
use crate::yaml::Node;
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;

/// Task lists to run next on a host, each with the variables it sees.
pub(super) type IncludeRuns = Vec<(Vec<Item>, Vec<Arc<Layer>>)>;

/// How a task ended on one host, for the play to act on.
#[derive(Clone, Debug)]
pub(super) struct HostOutcome {
    pub status: Status,
    pub ignored: bool,
    /// The full result (what `register` stores, before any censoring).
    pub result: Map<String, Json>,
    /// Task lists to run next on this host (`include_tasks`/`include_role`),
    /// with the variables each sees.
    pub include: Option<IncludeRuns>,
    /// A `meta` action to carry out.
    pub meta: Option<String>,
    /// Handlers (names or topics) notified by a change.
    pub notify: Vec<String>,
    /// A copy of another host's result (`run_once`): not counted again.
    pub copy: bool,
}

impl HostOutcome {
    /// A host that ran nothing and shows nothing (a task `--step` skipped,
    /// the other hosts of a `run_once` task): ok, uncounted.
    pub(super) fn untouched() -> HostOutcome {
        HostOutcome {
            status: Status::Ok,
            ignored: false,
            result: Map::new(),
            include: None,
            meta: None,
            notify: Vec::new(),
            copy: true,
        }
    }
}

/// How one run of the module ended.
struct Outcome {
    result: Map<String, Json>,
    unreachable: bool,
}

fn status_of(r: &Map<String, Json>, unreachable: bool) -> Status {
    let flag = |k: &str| r.get(k).and_then(Json::as_bool).unwrap_or(false);
    if unreachable {
        Status::Unreachable
    } else if flag("failed") {
        Status::Failed
    } else if flag("skipped") {
        Status::Skipped
    } else if flag("changed") {
        Status::Changed
    } else {
        Status::Ok
    }
}

/// Ansible 2.21's result for a host it cannot reach.
fn unreachable(e: &crate::transport::TransportError) -> Outcome {
    let mut r = Map::new();
    r.insert("changed".into(), json!(false));
    r.insert("unreachable".into(), json!(true));
    r.insert(
        "msg".into(),
        Json::String(format!("Task failed: {}", e.unreachable_msg())),
    );
    Outcome {
        result: r,
        unreachable: true,
    }
}

/// Internal result key: the files an include brought in, with their items
/// (shown as `included: FILE for HOSTS`), never registered nor shown.
pub(super) const INCLUDED: &str = "_kiln_included";

/// Ansible puts this placeholder where a Python traceback would go.
const NO_TRACEBACK: &str = "(traceback unavailable)";

/// The text Ansible puts in place of a `no_log` result.
pub const CENSORED: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// Keys a censored result keeps (Ansible's PRESERVE set).
const PRESERVE: &[&str] = &[
    "attempts",
    "changed",
    "deprecations",
    "exception",
    "retries",
    "warnings",
];

fn censor(r: &Map<String, Json>) -> Map<String, Json> {
    let mut v: Map<String, Json> = r
        .iter()
        .filter(|(k, _)| PRESERVE.contains(&k.as_str()))
        .map(|(k, x)| (k.clone(), x.clone()))
        .collect();
    v.insert("censored".into(), json!(CENSORED));
    v
}

impl Runner {
    /// Whether the task shows and computes diffs: its `diff` keyword,
    /// else `--diff`.
    pub(super) fn diff_on(&self, task: &Task, scope: &Scope) -> bool {
        match bool_of(scope, task.inherit.diff.as_ref()) {
            Ok(Some(d)) => d,
            _ => self.opts.diff,
        }
    }
}

/// The `meta` action a task names (`_raw_params`).
pub(super) fn meta_action(task: &Task) -> Option<&str> {
    task.args
        .iter()
        .find(|(k, _)| k == "_raw_params")
        .and_then(|(_, v)| v.as_str())
}

/// What ansible-core says at `-vv` (`META: ...`) when a meta action runs
/// for `host`.
fn meta_said(task: &Task, host: &str) -> String {
    let action = meta_action(task).unwrap_or_default();
    match action {
        "flush_handlers" => format!("triggered running handlers for {host}"),
        "refresh_inventory" => "inventory successfully refreshed".into(),
        "clear_facts" => "facts cleared".into(),
        "clear_host_errors" => "cleared host errors".into(),
        "end_batch" => "ending batch".into(),
        "end_play" => "ending play".into(),
        "end_host" => format!("ending play for {host}"),
        "end_role" => {
            let role = task
                .role
                .as_ref()
                .map(|r| r.name.as_str())
                .unwrap_or_default();
            format!("ending role {role} for {host}")
        }
        "reset_connection" => "reset connection".into(),
        other => other.to_string(),
    }
}

/// A meta task whose `when` is false: ansible-core's skip result, which
/// says what the action did not do.
fn meta_skipped(task: &Task, host: &str) -> Map<String, Json> {
    let action = meta_action(task).unwrap_or_default();
    let role = task
        .role
        .as_ref()
        .map(|r| r.name.as_str())
        .unwrap_or_default();
    let suffix = match action {
        "flush_handlers" => format!(", not running handlers for {host}"),
        "clear_facts" => format!(", not clearing facts and fact cache for {host}"),
        "clear_host_errors" => format!(", not clearing host error state for {host}"),
        "end_batch" => ", continuing current batch".to_string(),
        "end_play" => ", continuing play".to_string(),
        "end_host" => format!(", continuing execution for {host}"),
        "end_role" => format!(", continuing role {role} for {host}"),
        _ => String::new(),
    };
    let msg = if action == "end_host" {
        format!("end_host conditional evaluated to false, continuing execution for {host}")
    } else {
        action.to_string()
    };
    let mut r = Map::new();
    r.insert("changed".into(), json!(false));
    r.insert("skipped".into(), json!(true));
    r.insert("msg".into(), json!(msg));
    r.insert(
        "skip_reason".into(),
        json!(format!("{action} conditional evaluated to False{suffix}")),
    );
    r
}

/// The result key Ansible gives callbacks about a delegated task.
pub const DELEGATED_VARS: &str = "_ansible_delegated_vars";

/// What callbacks see of a result: the status flags are dropped (they are
/// the event's status), also from each loop item; with `no_log` only
/// Ansible's preserved keys and the `censored` notice are left.
fn callback_view(r: &Map<String, Json>, no_log: bool) -> Map<String, Json> {
    let mut v = r.clone();
    // Stored datetimes are shown as Ansible's callbacks show them.
    v.values_mut().for_each(crate::template::unmark_datetimes);
    v.retain(|k, _| !k.starts_with("_kiln_"));
    v.remove("failed");
    v.remove("skipped");
    let results = v.remove("results");
    if no_log {
        v = censor(&v);
    }
    if let Some(Json::Array(mut items)) = results {
        for i in items.iter_mut() {
            if let Json::Object(m) = i {
                m.remove("failed");
                m.remove("skipped");
                if no_log {
                    *m = censor(m);
                }
            }
        }
        v.insert("results".into(), Json::Array(items));
    }
    v
}

/// What `register` stores: `failed` is always there.
pub(super) fn registered_view(r: &Map<String, Json>) -> Map<String, Json> {
    let mut v = r.clone();
    registered_keys(&mut v);
    // A loop's items are registered the same way (each one ran through
    // ansible-core's executor, skipped ones too); an item is known by the
    // `ansible_loop_var` every item carries.
    if let Some(Json::Array(items)) = v.get_mut("results") {
        for item in items {
            if let Json::Object(m) = item
                && m.contains_key("ansible_loop_var")
            {
                registered_keys(m);
            }
        }
    }
    v
}

/// A result as a variable holds it: no internal keys, and `failed` always
/// there.
fn registered_keys(v: &mut Map<String, Json>) {
    v.retain(|k, _| !k.starts_with("_ansible_") && !k.starts_with("_kiln_"));
    if !v.contains_key("failed") {
        v.insert("failed".into(), json!(false));
    }
}

fn failed(msg: impl Into<String>) -> Map<String, Json> {
    let mut r = modules::failed(msg);
    r.insert("changed".into(), json!(false));
    r
}

/// The defaults `module_defaults` gives `action`, as ansible-core merges
/// them: the levels' dicts, outermost first, replace each other's entries
/// whole (an inner `debug: {...}` replaces an outer one); then the entries
/// of the groups that hold the action fill the arguments, in the order the
/// entries came, and the action's own entry wins over every group.
fn module_defaults(levels: &[Node], action: &str) -> Vec<(String, Node)> {
    let mut merged: Vec<(String, &Node)> = Vec::new();
    for level in levels {
        let dicts: Vec<&Node> = match level.as_seq() {
            Some(items) => items.iter().collect(),
            None => vec![level],
        };
        for d in dicts {
            let Some(pairs) = d.as_map() else { continue };
            for (k, v) in pairs {
                let key = k.key_string();
                let key = match key.strip_prefix("group/") {
                    Some(g) => format!("group/{}", modules::action_groups::qualified(g)),
                    None => modules::canonical(&key).to_string(),
                };
                match merged.iter_mut().find(|(n, _)| *n == key) {
                    Some(e) => e.1 = v,
                    None => merged.push((key, v)),
                }
            }
        }
    }
    let mut out: Vec<(String, Node)> = Vec::new();
    let mut fill = |args: &Node| {
        for (ak, av) in args.as_map().into_iter().flatten() {
            let name = ak.key_string();
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some(e) => e.1 = av.clone(),
                None => out.push((name, av.clone())),
            }
        }
    };
    for (k, v) in &merged {
        if let Some(g) = k.strip_prefix("group/")
            && modules::action_groups::holds(g, action)
        {
            fill(v);
        }
    }
    for (k, v) in &merged {
        if k == action {
            fill(v);
        }
    }
    out
}

/// A keyword that holds a whole number (`timeout`, `throttle`).
pub(super) fn scope_int(scope: &Scope, n: Option<&Node>) -> Result<Option<i64>, String> {
    let Some(n) = n else { return Ok(None) };
    match scope.render_json(n).map_err(|e| e.to_string())? {
        Json::Null => Ok(None),
        Json::Number(x) => Ok(x.as_i64().or_else(|| x.as_f64().map(|f| f as i64))),
        Json::String(t) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("'{t}' is not a valid integer")),
        other => Err(format!("{other} is not a valid integer")),
    }
}

/// An include that failed: a `public` that is not a boolean gets
/// ansible-core 2.21's chain of causes in its `[ERROR]` text (the task,
/// then the keyword's value twice), each with its origin.
fn include_failed(task: &Task, msg: String) -> Map<String, Json> {
    let why = msg
        .strip_prefix(PUBLIC_ERROR)
        .filter(|why| why.ends_with("could not be converted to 'bool'."));
    let value = task
        .args
        .iter()
        .find(|(k, _)| k == "public")
        .map(|(_, v)| v);
    let (Some(why), Some(value)) = (why, value) else {
        return failed(msg);
    };
    let detail = crate::output::error_chain(
        Some(&msg),
        &[
            ("Task failed.", &task.span),
            ("Error processing keyword 'public'.", &value.span),
            (why, &value.span),
        ],
    );
    with_detail(failed(msg), detail)
}

/// `retries` (`isa` int) or `delay` (float), templated as ansible-core
/// 2.21 post-validates them; a value that is no number fails the task
/// with its chain of causes (the task, then the value twice).
fn keyword_number(
    scope: &Scope,
    task: &Task,
    n: Option<&Node>,
    keyword: &str,
    isa: &str,
) -> Result<Option<f64>, Map<String, Json>> {
    let Some(n) = n else { return Ok(None) };
    let v = scope.render_json(n).map_err(|e| {
        failed(format!(
            "Task failed: Error processing keyword '{keyword}': {}",
            e.message
        ))
    })?;
    let num = match &v {
        Json::Null => return Ok(None),
        Json::Number(x) => x.as_f64(),
        Json::String(t) if isa == "int" => t.trim().parse::<i64>().ok().map(|i| i as f64),
        Json::String(t) => t.trim().parse::<f64>().ok(),
        _ => None,
    };
    if let Some(x) = num {
        return Ok(Some(if isa == "int" { x.trunc() } else { x }));
    }
    let text = match &v {
        Json::String(t) => t.clone(),
        other => other.to_string(),
    };
    let why = format!("The value '{text}' could not be converted to '{isa}'.");
    let msg = format!("Task failed: Error processing keyword '{keyword}': {why}");
    let keyword_said = format!("Error processing keyword '{keyword}'.");
    let detail = crate::output::error_chain(
        Some(&msg),
        &[
            ("Task failed.", &task.span),
            (&keyword_said, &n.span),
            (&why, &n.span),
        ],
    );
    Err(with_detail(failed(msg), detail))
}

/// A failed result with the text Ansible's `[ERROR]` block shows for it.
fn with_detail(mut r: Map<String, Json>, detail: String) -> Map<String, Json> {
    r.insert(modules::ERROR_DETAIL.into(), json!(detail));
    r
}

/// How an include's failure on its `public` keyword begins.
const PUBLIC_ERROR: &str = "Task failed: Error processing keyword 'public': ";

/// include_role's `public`, templated when the include runs; like
/// ansible-core 2.21 (the keyword's post-validation), a value that is not
/// a boolean, or does not render, fails the task.
fn public_of(scope: &Scope, n: &Node) -> Result<bool, String> {
    let fail = |why: String| format!("{PUBLIC_ERROR}{why}");
    let v = scope.render_json(n).map_err(|e| fail(e.to_string()))?;
    modules::spec::to_bool(&v).ok_or_else(|| {
        let text = match &v {
            Json::String(t) => t.clone(),
            other => other.to_string(),
        };
        fail(format!(
            "The value '{text}' could not be converted to 'bool'."
        ))
    })
}

/// The task's `async` and `poll`, when `async` is set and above zero
/// (`poll` defaults to Ansible's 15 seconds).
fn async_of(task: &Task, scope: &Scope) -> Result<Option<async_job::AsyncRun>, String> {
    let limit = scope_int(scope, task.async_.as_ref())?.unwrap_or(0);
    if limit <= 0 {
        return Ok(None);
    }
    let poll = scope_int(scope, task.poll.as_ref())?.unwrap_or(15).max(0);
    Ok(Some(async_job::AsyncRun {
        limit: limit as u64,
        poll: poll as u64,
        dir: async_job::async_dir(scope),
        on_poll: None,
        background: None,
    }))
}

fn bool_of(scope: &Scope, n: Option<&Node>) -> Result<Option<bool>, String> {
    let Some(n) = n else { return Ok(None) };
    let v = scope.render_json(n).map_err(|e| e.to_string())?;
    Ok(Some(modules::spec::to_bool(&v).unwrap_or(false)))
}

fn string_of(scope: &Scope, n: Option<&Node>) -> Result<Option<String>, String> {
    let Some(n) = n else { return Ok(None) };
    match scope.render_json(n).map_err(|e| e.to_string())? {
        Json::String(s) => Ok(Some(s)),
        Json::Null => Ok(None),
        other => Ok(Some(other.to_string())),
    }
}

/// Where a result's warnings point: the task, except for debug's
/// undefined `var`, which ansible-core 2.21 places at the `var` value.
/// The play's implicit "Gathering Facts" task: Ansible makes it with no
/// place in the playbook, so its errors and warnings print no `Origin:`.
fn implicit_gather(task: &Task) -> bool {
    task.action == "gather_facts"
        && task.name.as_ref().and_then(|n| n.as_str()) == Some("Gathering Facts")
}

fn warning_origin(task: &Task, result: &Map<String, Json>) -> crate::span::Span {
    let warned = result.contains_key("warnings") && !result.contains_key("failed");
    if warned
        && modules::canonical(&task.action) == "debug"
        && let Some((_, var)) = task.args.iter().find(|(k, _)| k == "var")
    {
        return var.span.clone();
    }
    task.span.clone()
}

impl Runner {
    /// Prints what templates warned outside a task's captured templating
    /// (loop items, labels, names): Ansible's display says those at once,
    /// before the result they came up in.
    pub(super) fn say_stray_warnings(&self) {
        for w in crate::template::take_stray_warnings() {
            self.bus.emit(Event::Warning(w));
        }
    }

    /// Runs `task` on `host` and reports its result; the play acts on the
    /// returned outcome (stats, cursor, handlers).
    pub(super) async fn run_task_on_host(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        host: &str,
        frame_vars: &[Arc<Layer>],
        shown_as: &str,
    ) -> HostOutcome {
        let started = chrono::Utc::now();
        let scope = self.scope(play, host, Some(task), frame_vars);
        // The name as the task's banner showed it (rendered once per task).
        let name = shown_as.to_string();
        let no_log = self.no_log(task, &scope);
        let mut include = None;
        let mut meta = None;
        if task.action == "meta" {
            // Ansible prints a meta task's banner once per host.
            self.bus.emit(Event::TaskStart {
                name: name.clone(),
                action: task.action.clone(),
                handler: false,
                origin: Some(task.span.clone()),
                lazy: play.strategy != super::free::Strategy::Linear,
            });
        }
        // ansible-core 2.21 runs these meta actions whatever their `when`
        // says, with a warning.
        let when_unsupported = task.action == "meta"
            && matches!(
                meta_action(task),
                Some("noop" | "refresh_inventory" | "reset_connection")
            )
            && task.all_when().next().is_some();
        if when_unsupported && let Some(m) = meta_action(task) {
            self.bus.emit(Event::Warning(format!(
                "{m} task does not support when conditional"
            )));
        }
        let (result, unreachable, looped) = match task.action.as_str() {
            "meta" => match if when_unsupported {
                Ok(true)
            } else {
                self.when_holds(task, &scope)
            } {
                Ok(true) => {
                    meta = task
                        .args
                        .iter()
                        .find(|(k, _)| k == "_raw_params")
                        .and_then(|(_, v)| v.as_str().map(str::to_string));
                    if meta.as_deref() == Some("flush_handlers") {
                        // The host's notifications are told as it reaches
                        // the flush (under this task's banner).
                        let names = self.handler_names(play);
                        self.announce_notifications(play, host, &names, true);
                    }
                    if self.opts.verbosity > 1 {
                        let said = meta_said(task, host);
                        self.bus.emit(Event::Verbose(format!("META: {said}")));
                    }
                    let mut r = Map::new();
                    r.insert("changed".into(), json!(false));
                    // Ansible prints nothing for a meta task that ran.
                    return HostOutcome {
                        status: Status::Ok,
                        ignored: false,
                        result: r,
                        include: None,
                        meta,
                        notify: Vec::new(),
                        copy: false,
                    };
                }
                Ok(false) => {
                    let r = meta_skipped(task, host);
                    if self.opts.verbosity > 1
                        && let Some(Json::String(why)) = r.get("skip_reason")
                    {
                        self.bus.emit(Event::Verbose(format!("META: {why}")));
                    }
                    (r, false, false)
                }
                Err(e) => (failed(e), false, false),
            },
            "include_tasks" | "include_role" => {
                match self.include(play, task, &name, host, &scope).await {
                    Ok(Some((r, runs))) => {
                        include = Some(runs);
                        (r, false, task.loop_.is_some())
                    }
                    Ok(None) => (skipped_result(task), false, false),
                    Err(e) => (include_failed(task, e), false, false),
                }
            }
            _ => match &task.loop_ {
                None => {
                    let prepared = self.take_prepared(host, task, frame_vars);
                    let o = self.run_until(play, task, host, &scope, prepared).await;
                    (o.result, o.unreachable, false)
                }
                Some(lp) => {
                    let (r, u) = self
                        .run_loop(play, task, &name, host, &scope, lp, no_log)
                        .await;
                    (r, u, true)
                }
            },
        };
        let mut result = result;
        if !unreachable && matches!(modules::canonical(&task.action), "group_by" | "add_host") {
            self.apply_inventory_change(play, host, task, &mut result);
        }
        if let Some(Json::String(text)) = result.remove(modules::DISPLAY) {
            self.bus.emit(Event::Display(text));
        }
        let status = status_of(&result, unreachable);
        let mut ignored = false;
        if status == Status::Failed {
            match bool_of(&scope, task.inherit.ignore_errors.as_ref()) {
                Ok(Some(true)) => ignored = true,
                Ok(_) => {}
                Err(e) => self.bus.emit(Event::Warning(format!("ignore_errors: {e}"))),
            }
        }
        if status == Status::Unreachable
            && let Ok(Some(true)) = bool_of(&scope, task.inherit.ignore_unreachable.as_ref())
        {
            ignored = true;
        }
        // A task that ran out of `until` retries with the module itself
        // succeeding failed by the executor's verdict, not by an exception:
        // Ansible leaves the key out (and so prints no `[ERROR]` block for
        // it); a module's own failure got its marker when retries ran out.
        let retries_ran_out = !task.until.is_empty() && result.contains_key("attempts");
        if matches!(status, Status::Failed | Status::Unreachable)
            && !result.contains_key("exception")
            && !retries_ran_out
            && !looped
            // A polled job that ran out of time: the executor's verdict.
            && !result.contains_key("async_result")
        {
            result.insert("exception".into(), json!(NO_TRACEBACK));
        }
        if let Some(reg) = &task.register
            && !unreachable
        {
            self.set_host_vars(
                host,
                [(reg.clone(), Json::Object(registered_view(&result)))],
            );
        }
        if status != Status::Failed
            && status != Status::Unreachable
            && let Some(Json::Object(facts)) = result.get("ansible_facts")
        {
            self.apply_facts(task, &scope, host, facts);
        }
        let mut notify = Vec::new();
        if status == Status::Changed {
            for n in &task.notify {
                match scope.render_json(n) {
                    Ok(Json::String(s)) => notify.push(s),
                    Ok(Json::Array(a)) => {
                        notify.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)))
                    }
                    Ok(other) => notify.push(other.to_string()),
                    Err(e) => self.bus.emit(Event::Warning(format!("notify: {e}"))),
                }
            }
        }
        // -vv: a notification outside the handlers is saved for the next
        // flush (while handlers run, the flush tells of it at once).
        let in_handlers = play
            .play
            .handlers
            .iter()
            .any(|h| std::ptr::eq(h.as_ref(), task));
        if self.opts.verbosity > 1 && !in_handlers && !notify.is_empty() {
            let names = self.handler_names(play);
            for n in &notify {
                let known =
                    names.contains(n) || play.play.handlers.iter().any(|h| h.listen.contains(n));
                if known {
                    self.bus.emit(Event::Verbose(format!(
                        "Notification for handler {n} has been saved."
                    )));
                }
            }
        }
        self.say_stray_warnings();
        self.bus.emit(Event::HostResult {
            host: host.to_string(),
            task: name,
            action: task.action.clone(),
            status,
            ignored,
            result: Json::Object(callback_view(&result, no_log)),
            looped,
            origin: (!implicit_gather(task)).then(|| warning_origin(task, &result)),
            controller: modules::lookup(&task.action)
                .is_some_and(|m| m.spec().runs_on != RunsOn::Host),
            // Ansible's `[ERROR]` line quotes the failure's own message even
            // when no_log censors the result shown after it.
            error_detail: result
                .get(modules::ERROR_DETAIL)
                .or_else(|| result.get("msg").filter(|_| no_log && !looped))
                .and_then(Json::as_str)
                .map(str::to_string),
            diff: self.diff_on(task, &scope),
            started: Some(started),
        });
        HostOutcome {
            status,
            ignored,
            result,
            include,
            meta,
            notify,
            copy: false,
        }
    }

    /// `group_by` / `add_host`: changes the inventory as the result (or
    /// each loop item's) says; `changed` tells whether anything changed.
    fn apply_inventory_change(
        &self,
        play: &PlayCtx,
        host: &str,
        task: &Task,
        result: &mut Map<String, Json>,
    ) {
        let apply = |r: &mut Map<String, Json>| {
            if status_of(r, false) != Status::Changed {
                return;
            }
            let span = task.span.clone();
            let outcome = if let Some(Json::String(group)) = r.get(ADD_GROUP) {
                let parents: Vec<String> = r
                    .get(PARENT_GROUPS)
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let (group, host) = (group.clone(), host.to_string());
                self.change_inventory_kept(
                    play,
                    Arc::new(move |inv| inv.group_host(&host, &group, &parents, &span)),
                )
            } else if let Some(Json::Object(add)) = r.get(ADD_HOST_KEY) {
                let name = add
                    .get("host_name")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string();
                let groups: Vec<String> = add
                    .get("groups")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let vars: Vec<(String, crate::yaml::Node)> = add
                    .get("host_vars")
                    .and_then(Json::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), crate::yaml::Node::from_json(v, &span)))
                            .collect()
                    })
                    .unwrap_or_default();
                self.change_inventory_kept(
                    play,
                    Arc::new(move |inv| inv.add_runtime_host(&name, &groups, vars.clone(), &span)),
                )
            } else {
                return;
            };
            match outcome {
                Ok(changed) => {
                    r.insert("changed".into(), json!(changed));
                }
                Err(msg) => {
                    r.insert("failed".into(), json!(true));
                    r.insert("msg".into(), json!(msg));
                }
            }
        };
        match result.get_mut("results") {
            Some(Json::Array(items)) => {
                let mut any = false;
                for item in items.iter_mut() {
                    if let Json::Object(m) = item {
                        apply(m);
                        any |= m.get("changed").and_then(Json::as_bool).unwrap_or(false);
                    }
                }
                result.insert("changed".into(), json!(any));
            }
            _ => apply(result),
        }
    }

    /// The name a task is shown by: a templated name rendered with the
    /// variables of `first`, the first host running the task (Ansible
    /// renders the name once, for the first host of the batch still in the
    /// play), an include's item included; the name as written when that
    /// fails.
    pub(super) fn shown_name(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        first: &str,
        frame_vars: &[Arc<Layer>],
    ) -> String {
        self.name_and_warning(play, task, first, frame_vars).0
    }

    /// The task's name as shown and, when a variable in it is undefined,
    /// ansible-core 2.21's warning about it (with the name's Origin): the
    /// name then shows `<< error N - MSG >>` in place of each expression
    /// that failed. Rendered with the variables of `first`, as
    /// [`Runner::shown_name`] says.
    pub(super) fn name_and_warning(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        first: &str,
        frame_vars: &[Arc<Layer>],
    ) -> (String, Option<String>) {
        let with_role = |r: String| match task.shown_role() {
            Some(role) => format!("{} : {r}", role.fqcn),
            None => r,
        };
        let Some(n) = &task.name else {
            return (task.display_name(), None);
        };
        let Some(text) = n.as_str() else {
            return (task.display_name(), None);
        };
        if !crate::template::is_template(text) {
            return (task.display_name(), None);
        }
        let scope = self.scope(play, first, Some(task), frame_vars);
        match scope.render_json(n) {
            Ok(Json::String(r)) => return (with_role(r), None),
            Ok(_) => return (task.display_name(), None),
            Err(e) if !e.message.ends_with("is undefined") => {
                return (task.display_name(), None);
            }
            Err(_) => {}
        }
        // Each `{{ ... }}` rendered on its own: the failing ones become
        // markers, numbered as Ansible numbers its template errors.
        let mut shown = String::new();
        let mut errors: Vec<String> = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            let Some(len) = rest[open..].find("}}") else {
                break;
            };
            shown.push_str(&rest[..open]);
            let expr = &rest[open..open + len + 2];
            let node = crate::yaml::Node::new(
                crate::yaml::NodeKind::Str(expr.to_string()),
                n.span.clone(),
            );
            match scope.render_json(&node) {
                Ok(Json::String(s)) => shown.push_str(&s),
                Ok(other) => shown.push_str(&other.to_string()),
                Err(e) => {
                    errors.push(e.message);
                    shown.push_str(&format!(
                        "<< error {} - {} >>",
                        errors.len(),
                        errors[errors.len() - 1]
                    ));
                }
            }
            rest = &rest[open + len + 2..];
        }
        shown.push_str(rest);
        if errors.is_empty() {
            return (task.display_name(), None);
        }
        let count = if errors.len() == 1 {
            "1 template error".to_string()
        } else {
            format!("{} template errors", errors.len())
        };
        let mut warning = format!("Encountered {count}.\n");
        for (i, m) in errors.iter().enumerate() {
            warning.push_str(&format!("error {} - {m}\n", i + 1));
        }
        warning.push_str(crate::output::origin_block(&n.span).trim_end_matches('\n'));
        warning.push('\n');
        (with_role(shown), Some(warning))
    }

    /// All of a task's conditions (inherited first) hold.
    fn when_holds(&self, task: &Task, scope: &Scope) -> Result<bool, String> {
        for cond in task.all_when() {
            let holds = scope.condition(cond).map_err(|e| when_failed(&e))?;
            if !holds {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// One item of a looped include, told as the callback tells it
    /// (`shown`: the task's name as its banner showed it).
    fn include_item(
        &self,
        host: &str,
        task: &Task,
        shown: &str,
        status: Status,
        r: &Map<String, Json>,
        item: &Json,
    ) {
        self.say_stray_warnings();
        self.bus.emit(Event::ItemResult {
            host: host.to_string(),
            task: shown.to_string(),
            action: task.action.clone(),
            status,
            result: Json::Object(r.clone()),
            label: item.clone(),
            diff: false,
            origin: Some(task.span.clone()),
            controller: true,
            error_detail: None,
        });
    }

    /// `include_tasks` / `include_role`: the task lists to run next.
    async fn include(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        shown: &str,
        host: &str,
        scope: &Scope,
    ) -> Result<Option<(Map<String, Json>, IncludeRuns)>, String> {
        // With a loop, `when` is a condition on each item.
        if task.loop_.is_none() && !self.when_holds(task, scope)? {
            return Ok(None);
        }
        let items: Vec<Option<Json>> = match &task.loop_ {
            None => vec![None],
            Some(lp) => loop_items(scope, lp)?.into_iter().map(Some).collect(),
        };
        let loop_var = self.loop_var(task, scope);
        let mut runs = Vec::new();
        let mut results = Vec::new();
        let mut files: Vec<(String, Option<Json>)> = Vec::new();
        for item in items {
            let mut layer = Layer::new();
            if let Some(i) = &item {
                layer.insert(loop_var.clone(), VarValue::Data(i.clone()));
            }
            let layer = Arc::new(layer);
            let iscope = scope.with_layer(layer.clone());
            if let Some(i) = &item
                && !self.when_holds(task, &iscope)?
            {
                let mut r = skipped_result(task);
                r.remove("skipped");
                r.insert("ansible_loop_var".into(), json!(loop_var));
                r.insert(loop_var.clone(), i.clone());
                self.include_item(host, task, shown, Status::Skipped, &r, i);
                results.push(r);
                continue;
            }
            let arg = |k: &str| task.args.iter().find(|(n, _)| n == k).map(|(_, v)| v);
            let render = |n: &crate::yaml::Node| -> Result<String, String> {
                match iscope.render_json(n).map_err(|e| e.to_string())? {
                    Json::String(s) => Ok(s),
                    other => Ok(other.to_string()),
                }
            };
            let (tasks, file) = if task.action == "include_tasks" {
                let file_node = arg("file")
                    .or_else(|| arg("_raw_params"))
                    .ok_or("include_tasks needs a file")?;
                let file = render(file_node)?;
                let mut candidates = Vec::new();
                if let Some(r) = &task.role {
                    candidates.push(r.path.join("tasks").join(&file));
                }
                candidates.push(task.dir.join(&file));
                candidates.push(std::path::Path::new(&play.playbook_dir).join(&file));
                let path = candidates
                    .iter()
                    .find(|p| p.is_file())
                    .cloned()
                    .ok_or_else(|| {
                        format!("Could not find or access '{file}' on the Ansible Controller.")
                    })?;
                let inherit = included_inherit(task, arg("apply"))?;
                let items = crate::playbook::parse_task_file(
                    &path,
                    &inherit,
                    task.role.clone(),
                    std::path::Path::new(&play.playbook_dir),
                    &self.load_options(),
                    &play.play.load_vars,
                )
                .map_err(|errs| {
                    errs.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                })?;
                (items, path.display().to_string())
            } else {
                let name = render(arg("name").ok_or("include_role needs a name")?)?;
                let mut froms = Vec::new();
                for k in [
                    "tasks_from",
                    "vars_from",
                    "defaults_from",
                    "handlers_from",
                    "rolespec_validate",
                    "allow_duplicates",
                ] {
                    if let Some(n) = arg(k) {
                        froms.push((k, render(n)?));
                    }
                }
                let files = crate::playbook::RoleFiles::from_lookup(|k| {
                    froms.iter().find(|(f, _)| *f == k).map(|(_, v)| v.clone())
                });
                let inherit = included_inherit(task, arg("apply"))?;
                let (items, role) = crate::playbook::load_role_items(
                    &name,
                    &files,
                    &inherit,
                    task.role.as_ref(),
                    std::path::Path::new(&play.playbook_dir),
                    &self.load_options(),
                    &play.play.load_vars,
                )
                .map_err(|errs| {
                    errs.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                })?;
                if let Some(r) = &role {
                    play.included_roles.add(task, item.as_ref(), r);
                }
                let public = match arg("public") {
                    // ansible-core 2.21: an include is private by default,
                    // unless `private_role_vars` is set (either way).
                    None => self.opts.private_role_vars.is_some_and(|p| !p),
                    Some(n) => public_of(&iscope, n)?,
                };
                if public && let Some(role) = first_role(&items) {
                    self.publish_role(play, host, &role, &iscope);
                }
                (items, name)
            };
            let mut vars = vec![layer];
            if !task.vars.is_empty() {
                vars.push(Arc::new(crate::vars::layer_from_nodes(task.vars.iter())));
            }
            runs.push((tasks, vars));
            let mut r = Map::new();
            r.insert("changed".into(), json!(false));
            if let Some(i) = &item {
                r.insert("ansible_loop_var".into(), json!(loop_var));
                r.insert(loop_var.clone(), i.clone());
                self.include_item(host, task, shown, Status::Ok, &r, i);
            }
            files.push((file, item));
            results.push(r);
        }
        let mut out = Map::new();
        out.insert("changed".into(), json!(false));
        if task.loop_.is_some() {
            out.insert("msg".into(), json!("All items completed"));
            out.insert(
                "results".into(),
                Json::Array(results.into_iter().map(Json::Object).collect()),
            );
        }
        out.insert(INCLUDED.into(), json!(files));
        Ok(Some((out, runs)))
    }

    /// include_role with `public: true`: the role's vars, and its defaults
    /// where nothing defines the name already, stay visible to the tasks
    /// after the include, at the play's level (below role and task vars,
    /// so an `apply`'s vars still win in a later include).
    fn publish_role(
        &self,
        play: &Arc<PlayCtx>,
        host: &str,
        role: &crate::playbook::Role,
        scope: &Scope,
    ) {
        let Ok(mut per_host) = play.vars_files.lock() else {
            return;
        };
        let mut layer = per_host
            .get(host)
            .map(|l| l.as_ref().clone())
            .unwrap_or_default();
        for (k, v) in &role.defaults {
            if !scope.is_defined(k)
                && let Ok(j) = scope.render_json(v)
            {
                layer.insert(k.clone(), VarValue::Data(j));
            }
        }
        for (k, v) in &role.vars {
            if let Ok(j) = scope.render_json(v) {
                layer.insert(k.clone(), VarValue::Data(j));
            }
        }
        per_host.insert(host.to_string(), Arc::new(layer));
    }

    /// Stores the facts a result returned: set_fact and include_vars set
    /// host variables, other modules gathered facts; delegate_facts gives
    /// them to the delegate.
    fn apply_facts(&self, task: &Task, scope: &Scope, host: &str, facts: &Map<String, Json>) {
        let fact_host = match (
            bool_of(scope, task.inherit.delegate_facts.as_ref()),
            string_of(scope, task.inherit.delegate_to.as_ref()),
        ) {
            (Ok(Some(true)), Ok(Some(d))) => d,
            _ => host.to_string(),
        };
        let host = fact_host.as_str();
        if matches!(task.action.as_str(), "set_fact" | "include_vars") {
            self.set_host_vars(host, facts.iter().map(|(k, v)| (k.clone(), v.clone())));
        } else if let Ok(mut hs) = self.hosts.lock() {
            let st = hs.entry(host.to_string()).or_default();
            for (k, v) in facts {
                // ansible_facts keys lose one `ansible_` prefix, except
                // local facts, which keep their name.
                let key = match k.as_str() {
                    "ansible_local" => k.clone(),
                    _ => k.strip_prefix("ansible_").unwrap_or(k).to_string(),
                };
                st.facts.insert(key, v.clone());
            }
            drop(hs);
            self.prepared.vars_changed();
        }
    }

    fn loop_var(&self, task: &Task, scope: &Scope) -> String {
        task.loop_control
            .as_ref()
            .and_then(|lc| lc.get("loop_var"))
            .and_then(|n| scope.render_json(n).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "item".to_string())
    }

    /// `name` is the task's name as its banner showed it: each item's
    /// result carries it (a loop variable in it was undefined then).
    #[allow(clippy::too_many_arguments)]
    async fn run_loop(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        name: &str,
        host: &str,
        scope: &Scope,
        lp: &Loop,
        no_log: bool,
    ) -> (Map<String, Json>, bool) {
        // A loop over nothing is decided by the task's conditions first.
        let items = match loop_items(scope, lp) {
            Ok(i) => i,
            Err(LoopError::Other(msg)) => return (failed(msg), false),
            Err(LoopError::Render(e)) => return (loop_failed(task, lp, e), false),
            Err(LoopError::NotList(t)) => return (loop_not_list(lp, t), false),
        };
        let lc = task.loop_control.as_ref();
        let loop_var = self.loop_var(task, scope);
        let index_var = lc
            .and_then(|l| l.get("index_var"))
            .and_then(|n| n.as_str())
            .map(str::to_string);
        let flag = |k: &str, default: bool| {
            lc.and_then(|l| l.get(k))
                .and_then(|n| scope.render_json(n).ok())
                .and_then(|v| crate::modules::spec::to_bool(&v))
                .unwrap_or(default)
        };
        let extended = flag("extended", false);
        // `extended_allitems: false` leaves the (possibly large) list out.
        let allitems = flag("extended_allitems", true);
        let pause = lc
            .and_then(|l| l.get("pause"))
            .and_then(|n| scope.render_json(n).ok())
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        let label = lc.and_then(|l| l.get("label")).cloned();
        let mut results = Vec::with_capacity(items.len());
        let mut loop_warnings: Vec<Json> = Vec::new();
        // Variables set by earlier items (set_fact, include_vars): the
        // scope was taken before the loop, later items must see them.
        let mut set_by_items = Layer::new();
        let mut any_changed = false;
        let mut any_failed = false;
        let mut all_skipped = true;
        let n = items.len();
        for (idx, item) in items.iter().enumerate() {
            if idx > 0 && pause > 0.0 {
                tokio::time::sleep(std::time::Duration::from_secs_f64(pause)).await;
            }
            let mut layer = Layer::new();
            layer.insert(loop_var.clone(), VarValue::Data(item.clone()));
            if let Some(iv) = &index_var {
                layer.insert(iv.clone(), VarValue::Data(json!(idx)));
            }
            // Ansible's ansible_loop has no previtem on the first item and
            // no nextitem on the last (undefined, not null); it is also
            // given back in each item's result.
            let ansible_loop = extended.then(|| {
                let mut m = Map::new();
                m.insert("index".into(), json!(idx + 1));
                m.insert("index0".into(), json!(idx));
                m.insert("first".into(), json!(idx == 0));
                m.insert("last".into(), json!(idx + 1 == n));
                m.insert("length".into(), json!(n));
                m.insert("revindex".into(), json!(n - idx));
                m.insert("revindex0".into(), json!(n - idx - 1));
                if allitems {
                    m.insert("allitems".into(), json!(items));
                }
                if let Some(next) = items.get(idx + 1) {
                    m.insert("nextitem".into(), next.clone());
                }
                if idx > 0 {
                    m.insert("previtem".into(), items[idx - 1].clone());
                }
                Json::Object(m)
            });
            if let Some(al) = &ansible_loop {
                layer.insert("ansible_loop".into(), VarValue::Data(al.clone()));
            }
            let item_scope = if set_by_items.is_empty() {
                scope.with_layer(Arc::new(layer))
            } else {
                scope
                    .with_layer(Arc::new(set_by_items.clone()))
                    .with_layer(Arc::new(layer))
            };
            let o = self.run_until(play, task, host, &item_scope, None).await;
            if o.unreachable {
                return (o.result, true);
            }
            let mut r = o.result;
            // ansible-core 2.21 reports the delegate's connection variables
            // with the first item only (later items reuse the connection).
            if idx > 0
                && let Some(Json::Object(d)) = r.get_mut(DELEGATED_VARS)
            {
                d.remove("ansible_host");
            }
            r.insert(loop_var.clone(), item.clone());
            r.insert("ansible_loop_var".into(), json!(loop_var));
            if let Some(iv) = &index_var {
                r.insert("ansible_index_var".into(), json!(iv));
                r.insert(iv.clone(), json!(idx));
            }
            if let Some(al) = ansible_loop {
                r.insert("ansible_loop".into(), al);
            }
            // The label is rendered inside the item's run in Ansible: what
            // it warns joins the item's warnings.
            let shown = match &label {
                Some(l) => {
                    let (shown, said) =
                        crate::template::capture_warnings(|| item_scope.render_json(l));
                    add_warnings(&mut r, said);
                    shown.unwrap_or_else(|_| item.clone())
                }
                None => item.clone(),
            };
            if let Some(Json::Array(w)) = r.get("warnings") {
                loop_warnings.extend(w.iter().cloned());
            }
            let st = status_of(&r, false);
            // Each item's facts are set before the next item runs (a
            // set_fact loop accumulates).
            if st != Status::Failed
                && let Some(Json::Object(facts)) = r.get("ansible_facts")
            {
                self.apply_facts(task, &item_scope, host, facts);
                if matches!(task.action.as_str(), "set_fact" | "include_vars") {
                    for (k, v) in facts {
                        set_by_items.insert(k.clone(), VarValue::Data(v.clone()));
                    }
                }
            }
            // A failed item carries the exception marker (the loop's own
            // result does not).
            if st == Status::Failed && !r.contains_key("exception") && !r.contains_key("attempts") {
                r.insert("exception".into(), json!(NO_TRACEBACK));
            }
            any_changed |= r.get("changed").and_then(Json::as_bool).unwrap_or(false);
            any_failed |= st == Status::Failed;
            all_skipped &= st == Status::Skipped;
            self.say_stray_warnings();
            self.bus.emit(Event::ItemResult {
                host: host.to_string(),
                task: name.to_string(),
                action: task.action.clone(),
                status: st,
                result: Json::Object(callback_view(&r, no_log)),
                // Ansible hides the item of a no_log loop too.
                label: if no_log { Json::Null } else { shown },
                diff: self.diff_on(task, &item_scope),
                origin: Some(task.span.clone()),
                controller: modules::lookup(&task.action)
                    .is_some_and(|m| m.spec().runs_on != RunsOn::Host),
                // Ansible's `[ERROR]` line quotes the item's own message
                // even when no_log censors the result shown after it.
                error_detail: r
                    .get(modules::ERROR_DETAIL)
                    .or_else(|| r.get("msg").filter(|_| no_log))
                    .and_then(Json::as_str)
                    .map(str::to_string),
            });
            results.push(Json::Object(r));
        }
        let mut out = Map::new();
        out.insert("changed".into(), json!(any_changed));
        if results.is_empty() {
            out.insert("skipped".into(), json!(true));
            out.insert("skip_reason".into(), json!("No items in the list"));
            out.insert("skipped_reason".into(), json!("No items in the list"));
        } else if any_failed {
            out.insert("failed".into(), json!(true));
            out.insert("msg".into(), json!("One or more items failed"));
        } else if all_skipped {
            out.insert("skipped".into(), json!(true));
            out.insert("msg".into(), json!("All items skipped"));
        } else {
            out.insert("msg".into(), json!("All items completed"));
        }
        out.insert("results".into(), Json::Array(results));
        // The loop's result gathers its items' warnings, as 2.21's does.
        if !loop_warnings.is_empty() {
            out.insert("warnings".into(), Json::Array(loop_warnings));
        }
        (out, false)
    }

    /// `no_log` of the task; an error counts as true, so a secret is never
    /// shown because its flag could not be read.
    fn no_log(&self, task: &Task, scope: &Scope) -> bool {
        bool_of(scope, task.inherit.no_log.as_ref()).map_or(true, |b| b.unwrap_or(false))
    }

    /// One run with `until`/`retries`/`delay`. Like ansible-core 2.21, a
    /// task runs once plus `retries` times (3 when only `until` is set);
    /// with no retry at all `until` is never checked, and `retries`
    /// without `until` retries until the task does not fail.
    async fn run_until(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        host: &str,
        scope: &Scope,
        prepared: Option<super::prepare::Ahead>,
    ) -> Outcome {
        let keywords = keyword_number(scope, task, task.retries.as_ref(), "retries", "int")
            .and_then(|r| {
                keyword_number(scope, task, task.delay.as_ref(), "delay", "float").map(|d| (r, d))
            });
        let (retries, delay) = match keywords {
            Ok(v) => v,
            // A skipped task never gets as far as its keywords.
            Err(r) => {
                if let Ok(false) = self.when_holds(task, scope) {
                    return self.run_once(play, task, host, scope, prepared, None).await;
                }
                return Outcome {
                    result: r,
                    unreachable: false,
                };
            }
        };
        let retries = match retries {
            Some(n) => n.max(0.0) as i64,
            None if !task.until.is_empty() => 3,
            None => 0,
        };
        if retries == 0 {
            return self.run_once(play, task, host, scope, prepared, None).await;
        }
        let total = retries + 1;
        // A negative delay is one second, as in ansible-core.
        let delay = match delay.unwrap_or(5.0) {
            d if d < 0.0 => 1.0,
            d => d,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut o = self
                .run_once(play, task, host, scope, None, Some(attempt))
                .await;
            if o.unreachable
                || o.result
                    .get("skipped")
                    .and_then(Json::as_bool)
                    .unwrap_or(false)
            {
                return o;
            }
            o.result.insert("attempts".into(), json!(attempt));
            let mut layer = Layer::new();
            for (k, v) in &o.result {
                layer.insert(k.clone(), VarValue::Data(v.clone()));
            }
            if let Some(reg) = &task.register {
                layer.insert(
                    reg.clone(),
                    VarValue::Data(Json::Object(registered_view(&o.result))),
                );
            }
            let view = scope.with_layer(Arc::new(layer));
            let mut done = true;
            if task.until.is_empty() {
                done = o.result.get("failed").and_then(Json::as_bool) != Some(true);
            }
            for c in &task.until {
                match view.condition(c) {
                    Ok(true) => {}
                    Ok(false) => {
                        done = false;
                        break;
                    }
                    Err(e) => {
                        let cause = format!("An 'until' expression failed: {}", e.message);
                        let msg = format!("Task failed: {cause}");
                        let detail = crate::output::error_chain(
                            Some(&msg),
                            &[("Task failed.", &task.span), (&cause, &c.span)],
                        );
                        o.result = with_detail(failed(msg), detail);
                        o.result.insert("exception".into(), json!(NO_TRACEBACK));
                        return o;
                    }
                }
            }
            if done {
                return o;
            }
            if attempt >= total {
                // Out of attempts: ansible-core reports one fewer than it
                // ran. The module's own failure keeps its exception
                // (Ansible prints its [ERROR] block); a result that only
                // the until conditions kept failing carries none.
                o.result.insert("attempts".into(), json!(attempt - 1));
                if o.result.get("failed").and_then(Json::as_bool) == Some(true) {
                    o.result
                        .entry("exception")
                        .or_insert_with(|| json!(NO_TRACEBACK));
                }
                o.result.insert("failed".into(), json!(true));
                return o;
            }
            // Ansible announces each failed attempt but the last.
            let mut shown = o.result.clone();
            shown.insert("attempts".into(), json!(attempt + 1));
            shown.insert("retries".into(), json!(total));
            self.bus.emit(Event::Retry {
                host: host.to_string(),
                task: task.display_name(),
                retries_left: total - attempt - 1,
                result: Json::Object(callback_view(&shown, self.no_log(task, scope))),
            });
            tokio::time::sleep(std::time::Duration::from_secs_f64(delay)).await;
        }
    }

    /// One run of the task; the warnings its conditions and arguments
    /// raised while templated lead the result's `warnings`, where
    /// ansible-core 2.21 puts what it captured during the task.
    async fn run_once(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        host: &str,
        scope: &Scope,
        prepared: Option<super::prepare::Ahead>,
        attempt: Option<i64>,
    ) -> Outcome {
        let mut warned = Vec::new();
        let mut o = self
            .run_once_warned(play, task, host, scope, prepared, attempt, &mut warned)
            .await;
        if !warned.is_empty() {
            let own = o.result.remove("warnings");
            add_warnings(&mut o.result, warned);
            if let Some(Json::Array(own)) = own {
                add_warnings(&mut o.result, own);
            }
        }
        o
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_once_warned(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        host: &str,
        scope: &Scope,
        prepared: Option<super::prepare::Ahead>,
        attempt: Option<i64>,
        warned: &mut Vec<String>,
    ) -> Outcome {
        let done = |result| Outcome {
            result,
            unreachable: false,
        };
        // when: every condition must hold (inherited ones first); worked
        // out ahead of the barrier when nothing it reads changed since.
        let (known, prepared) = match prepared {
            Some(a) => {
                warned.extend(a.when_warnings);
                (Some(a.false_at), a.args)
            }
            None => (None, None),
        };
        for (k, cond) in task.all_when().enumerate() {
            let holds = match known {
                // Worked out ahead: the conditions before the first false
                // one held.
                Some(false_at) => Ok(false_at != Some(k)),
                None => {
                    let (held, said) = crate::template::capture_warnings(|| scope.condition(cond));
                    warned.extend(said);
                    held
                }
            };
            match holds {
                Ok(true) => {}
                Ok(false) => {
                    let mut r = Map::new();
                    r.insert("changed".into(), json!(false));
                    r.insert("false_condition".into(), cond.to_json());
                    r.insert("skip_reason".into(), json!("Conditional result was False"));
                    r.insert("skipped".into(), json!(true));
                    return done(r);
                }
                Err(e) => {
                    let msg = when_failed(&e);
                    let cause = format!("A 'when' expression failed: {}", e.message);
                    let detail = crate::output::error_chain(
                        Some(&msg),
                        &[("Task failed.", &task.span), (&cause, &cond.span)],
                    );
                    return done(with_detail(failed(msg), detail));
                }
            }
        }
        let Some(module) = modules::lookup(&task.action) else {
            return done(failed(format!(
                "couldn't resolve module/action '{}'",
                task.action
            )));
        };
        let spec = module.spec();
        // Arguments templated ahead of the barrier (prepare.rs) are used
        // when nothing they were templated from has changed since.
        let (args, said) = match prepared {
            Some(a) => a,
            None => match crate::template::capture_warnings(|| template_args(task, spec, scope)) {
                (Ok(a), said) => (a, said),
                (Err(r), said) => {
                    warned.extend(said);
                    return done(r);
                }
            },
        };
        warned.extend(said);
        // `async`: the module runs as a detached job on the host.
        let async_run = match async_of(task, scope) {
            Ok(a) => a.map(|mut a| {
                a.background = Some(async_job::Background {
                    host: host.to_string(),
                    scope: scope.clone(),
                });
                let bus = self.bus.clone();
                let host = host.to_string();
                a.on_poll = Some(Arc::new(move |status: &Map<String, Json>| {
                    bus.emit(Event::AsyncPoll {
                        host: host.clone(),
                        jid: status
                            .get("ansible_job_id")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        result: Json::Object(status.clone()),
                    })
                }));
                a
            }),
            Err(e) => return done(failed(e)),
        };
        if async_run.is_some() {
            match async_job::support(&task.action) {
                async_job::Support::Detached => {}
                async_job::Support::RefusedByAnsible => {
                    return done(async_job::refused(&task.action_written));
                }
                async_job::Support::NotInKiln => {
                    return done(failed(format!(
                        "kiln cannot run the module '{}' with async",
                        task.action_written
                    )));
                }
            }
        }
        if task.action == "include_vars" {
            return done(self.include_vars(play, task, &args));
        }
        // Privilege escalation, check mode, environment.
        let inherit = &task.inherit;
        let become_ = match bool_of(scope, inherit.become_.as_ref()) {
            Ok(b) => b.unwrap_or(self.opts.become_),
            Err(e) => return done(failed(e)),
        };
        let mut become_ = if become_ {
            let user = string_of(scope, inherit.become_user.as_ref())
                .ok()
                .flatten()
                .or_else(|| self.opts.become_user.clone())
                .unwrap_or_else(|| "root".into());
            let method = string_of(scope, inherit.become_method.as_ref())
                .ok()
                .flatten()
                .or_else(|| self.opts.become_method.clone())
                .unwrap_or_else(|| "sudo".into());
            let mut b = Become::from_vars(method, user, scope, self.opts.become_password.as_ref());
            // Host variables win over keywords, as for the method and user.
            if b.exe.is_none() {
                b.exe = string_of(scope, inherit.become_exe.as_ref()).ok().flatten();
            }
            if b.flags.is_none() {
                b.flags = string_of(scope, inherit.become_flags.as_ref())
                    .ok()
                    .flatten()
                    .or_else(|| self.opts.become_flags.clone());
            }
            Some(b)
        } else {
            None
        };
        let check_mode = match bool_of(scope, inherit.check_mode.as_ref()) {
            Ok(b) => b.unwrap_or(self.opts.check),
            Err(e) => return done(failed(e)),
        };
        let mut env = Vec::new();
        let mut merge = |m: Map<String, Json>| {
            for (k, v) in m {
                let v = match v {
                    Json::String(s) => s,
                    other => crate::template::py_str(&crate::template::json_to_value(&other)),
                };
                env.retain(|(x, _): &(String, String)| *x != k);
                env.push((k, v));
            }
        };
        for e in &inherit.environment {
            match scope.render_json(e) {
                Ok(Json::Object(m)) => merge(m),
                Ok(Json::Null) => {}
                // A level written as a list of dictionaries is those
                // levels in order (ansible-core keeps `environment` as a
                // list of them).
                Ok(Json::Array(levels))
                    if levels
                        .iter()
                        .all(|l| matches!(l, Json::Object(_) | Json::Null)) =>
                {
                    for l in levels {
                        if let Json::Object(m) = l {
                            merge(m);
                        }
                    }
                }
                // ansible-core skips a level that is no dictionary, with a
                // warning that shows every level's value as written.
                Ok(_) => {
                    let written: Vec<Json> =
                        inherit.environment.iter().map(Node::to_json).collect();
                    warned.push(format!(
                        "could not parse environment value, skipping: {}",
                        crate::template::py_repr(&crate::template::json_to_value(&Json::Array(
                            written
                        )))
                    ));
                }
                Err(e) => return done(failed(e.to_string())),
            }
        }
        // The delegate's name and address, for callbacks' `h1 -> h3(addr)`.
        let mut delegated: Option<(String, String)> = None;
        let conn = if spec.runs_on == RunsOn::Host {
            // delegate_to runs the module through another host's connection.
            // A delegate_to that does not render fails the task with
            // ansible-core 2.21's chain (the task, then the value).
            if let Some(n) = inherit.delegate_to.as_ref()
                && let Err(e) = scope.render_json(n)
            {
                let msg = format!("Task failed: {}", e.message);
                let detail = crate::output::error_chain(
                    Some(&msg),
                    &[("Task failed.", &task.span), (&e.message, &n.span)],
                );
                let mut r = with_detail(failed(msg), detail);
                // The callback names the delegate as written.
                r.insert(
                    DELEGATED_VARS.into(),
                    json!({"ansible_delegated_host": n.key_string()}),
                );
                return done(r);
            }
            let target = match string_of(scope, inherit.delegate_to.as_ref()) {
                Ok(Some(d)) if d != host => Some(d),
                Ok(_) => None,
                Err(e) => return done(failed(e)),
            };
            let opened = match &target {
                Some(d) => {
                    let dscope = self.scope(play, d, Some(task), &[]);
                    let addr = super::connect::first_var(&dscope, &["ansible_host"])
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| d.clone());
                    delegated = Some((d.clone(), addr));
                    self.connection(play, task, d, &dscope).await
                }
                None => self.connection(play, task, host, scope).await,
            };
            match opened {
                Ok((c, login)) => {
                    // Like Ansible (become_allow_same_user off), becoming the
                    // user we logged in as runs no sudo at all.
                    if become_.as_ref().is_some_and(|b| b.user == login) {
                        become_ = None;
                    }
                    Some(c)
                }
                Err(e) => return unreachable(&e),
            }
        } else {
            // Controller actions (set_fact, debug...) are delegated too:
            // only the label and delegate_facts tell.
            if let Ok(Some(d)) = string_of(scope, inherit.delegate_to.as_ref())
                && d != host
            {
                let dscope = self.scope(play, &d, Some(task), &[]);
                let addr = super::connect::first_var(&dscope, &["ansible_host"])
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| d.clone());
                delegated = Some((d, addr));
            }
            None
        };
        let ctx = ModuleCtx {
            host,
            conn,
            become_,
            check_mode,
            diff: self.diff_on(task, scope),
            templar: &self.templar,
            vars: scope,
            verbosity: self.opts.verbosity,
            env,
            jobs: self.jobs.clone(),
            files: self.files.clone(),
        };
        // `timeout`: the task fails when its module runs longer.
        let limit = match scope_int(scope, inherit.timeout.as_ref()) {
            Ok(t) => t.filter(|t| *t > 0),
            Err(e) => return done(failed(e)),
        };
        let execution = async {
            match &async_run {
                Some(a) => module.execute_async(&ctx, &args, a).await,
                None => module.execute(&ctx, &args).await,
            }
        };
        let executed = match limit {
            Some(secs) => {
                match tokio::time::timeout(std::time::Duration::from_secs(secs as u64), execution)
                    .await
                {
                    Ok(r) => r,
                    Err(_) => {
                        // ansible-core 2.21's words and result keys.
                        let mut r =
                            failed(format!("Task failed: Timed out after {secs} second(s)."));
                        r.insert(
                            "timedout".into(),
                            json!({
                                "frame": "Configure `DISPLAY_TRACEBACK` to see a traceback on timeout errors.",
                                "period": secs,
                            }),
                        );
                        return done(r);
                    }
                }
            }
            None => execution.await,
        };
        let mut result = match executed {
            Ok(r) => r,
            Err(ModuleError::Unreachable(e)) => return unreachable(&e),
            Err(ModuleError::Failed(msg)) => return done(failed(msg)),
            Err(ModuleError::NotEscalated(out)) => return done(modules::not_escalated(&out)),
        };
        // A polled job's end is announced before the host's result, and
        // before failed_when/changed_when judge it (as in Ansible).
        if async_run.as_ref().is_some_and(|a| a.poll > 0) {
            let jid = result
                .get("ansible_job_id")
                .or_else(|| {
                    result
                        .get("async_result")
                        .and_then(|r| r.get("ansible_job_id"))
                })
                .and_then(Json::as_str)
                .map(str::to_string);
            if let Some(jid) = jid {
                let failed = result
                    .get("failed")
                    .and_then(Json::as_bool)
                    .unwrap_or(false);
                let mut view = callback_view(&result, self.no_log(task, scope));
                // The job's failure carries the exception marker the host's
                // result gets below (not a timeout: the executor's verdict).
                if failed && !view.contains_key("exception") && !view.contains_key("async_result") {
                    view.insert("exception".into(), json!(NO_TRACEBACK));
                }
                self.bus.emit(Event::AsyncDone {
                    host: host.to_string(),
                    jid,
                    failed,
                    result: Json::Object(view),
                });
            }
        }
        if let Some(i) = result.remove(modules::FAILED_CONDITION) {
            condition_origin(task, &mut result, i.as_u64().unwrap_or_default());
        }
        // changed_when and failed_when see the attempt's number.
        if let Some(a) = attempt {
            result.insert("attempts".into(), json!(a));
        }
        if let Err(msg) = self.post_conditions(task, scope, &mut result) {
            result.insert("failed".into(), json!(true));
            result.insert("msg".into(), Json::String(msg));
        }
        if !result.contains_key("changed") {
            result.insert("changed".into(), json!(false));
        }
        if let Some((d, addr)) = delegated {
            result.insert(
                DELEGATED_VARS.into(),
                json!({"ansible_delegated_host": d, "ansible_host": addr}),
            );
        }
        done(result)
    }

    /// `changed_when` and `failed_when`, which see the result under the
    /// registered name.
    fn post_conditions(
        &self,
        task: &Task,
        scope: &Scope,
        result: &mut Map<String, Json>,
    ) -> Result<(), String> {
        if task.changed_when.is_empty() && task.failed_when.is_empty() {
            return Ok(());
        }
        let view = |result: &Map<String, Json>| {
            let mut layer = Layer::new();
            // The result's own keys are visible too, as Ansible makes them.
            for (k, v) in result {
                layer.insert(k.clone(), VarValue::Data(v.clone()));
            }
            if let Some(reg) = &task.register {
                layer.insert(reg.clone(), VarValue::Data(Json::Object(result.clone())));
            }
            scope.with_layer(Arc::new(layer))
        };
        let skipped = result
            .get("skipped")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        if !task.changed_when.is_empty() && !skipped {
            let s = view(result);
            let mut changed = true;
            // Like Ansible, the list stops at its first false entry.
            for c in &task.changed_when {
                match s.condition(c) {
                    Ok(true) => {}
                    Ok(false) => {
                        changed = false;
                        break;
                    }
                    Err(e) => {
                        // The result stays the action's; failed_when is not
                        // evaluated after it.
                        condition_failed(result, task, ("changed_when", c), &e);
                        return Ok(());
                    }
                }
            }
            result.insert("changed".into(), json!(changed));
            result.insert("changed_when_result".into(), json!(changed));
        }
        if !task.failed_when.is_empty() && !skipped {
            let s = view(result);
            let mut failed = true;
            for c in &task.failed_when {
                match s.condition(c) {
                    Ok(true) => {}
                    Ok(false) => {
                        failed = false;
                        break;
                    }
                    Err(e) => {
                        condition_failed(result, task, ("failed_when", c), &e);
                        return Ok(());
                    }
                }
            }
            let was_failed = result
                .get("failed")
                .and_then(Json::as_bool)
                .unwrap_or(false);
            result.insert("failed_when_result".into(), json!(failed));
            result.insert("failed".into(), json!(failed));
            if failed && !was_failed {
                result.insert(
                    "msg".into(),
                    json!("Task failed: Action failed: A 'failed_when' expression evaluated to 'True'."),
                );
            }
            if !failed && was_failed {
                result.insert(
                    "failed_when_suppressed_exception".into(),
                    json!(NO_TRACEBACK),
                );
            }
        }
        Ok(())
    }
}

/// Appends `said` to the result's `warnings`.
fn add_warnings<W: Into<Json>>(r: &mut Map<String, Json>, said: Vec<W>) {
    if said.is_empty() {
        return;
    }
    let list = r
        .entry("warnings")
        .or_insert_with(|| Json::Array(Vec::new()));
    if let Json::Array(l) = list {
        l.extend(said.into_iter().map(Into::into));
    }
}

/// A task's templated arguments and the warnings templating them raised.
pub(super) type Templated = (Map<String, Json>, Vec<String>);

/// A task's module arguments as templated in `scope` (an `omit` drops
/// one; `module_defaults` fill what the task does not set), each coerced
/// to its declared type; `Err` holds the failed result.
pub(super) fn template_args(
    task: &Task,
    spec: &modules::spec::ModuleSpec,
    scope: &Scope,
) -> Result<Map<String, Json>, Map<String, Json>> {
    // Template the arguments; `omit` drops one. The arguments of set_fact
    // and debug become variables (the facts, the registered `msg`), where
    // Ansible keeps a datetime a datetime; every other module gets plain data.
    let stores = matches!(modules::canonical(&task.action), "set_fact" | "debug");
    let mut args = Map::new();
    for (k, v) in &task.args {
        let value = if spec.raw_args.contains(&k.as_str()) {
            v.to_json()
        } else {
            let rendered = if stores {
                scope.render_stored_json(v)
            } else {
                scope.render_json(v)
            };
            match rendered {
                Ok(j) => j,
                Err(e) => return Err(arg_failed(task, k, v, e)),
            }
        };
        if value.as_str() == Some(crate::vars::OMIT) {
            continue;
        }
        let value = match spec.arg(k) {
            Some(a) => match modules::spec::coerce(a, &value) {
                Ok(v) => v,
                Err(m) => return Err(failed(m)),
            },
            None => value,
        };
        // set_fact templates its variable names too, as ansible-core's
        // action does.
        let key =
            if modules::canonical(&task.action) == "set_fact" && crate::template::is_template(k) {
                match scope.render_json(&Node::str(k, v.span.clone())) {
                    Ok(Json::String(s)) => s,
                    Ok(other) => other.to_string(),
                    Err(e) => return Err(arg_failed(task, k, v, e)),
                }
            } else {
                k.clone()
            };
        args.insert(key, value);
    }
    // module_defaults fill what the task does not set.
    for (k, v) in module_defaults(&task.inherit.module_defaults, &task.action) {
        if args.contains_key(&k) || task.args.iter().any(|(a, _)| *a == k) {
            continue;
        }
        let value = match scope.render_json(&v) {
            Ok(j) => j,
            Err(e) => return Err(failed(e.to_string())),
        };
        if value.as_str() == Some(crate::vars::OMIT) {
            continue;
        }
        let value = match spec.arg(&k) {
            Some(a) => match modules::spec::coerce(a, &value) {
                Ok(v) => v,
                Err(m) => return Err(failed(m)),
            },
            None => value,
        };
        args.insert(k, value);
    }
    Ok(args)
}

/// ansible-core's help for a conditional that is no boolean.
const BROKEN_HINT: &str = "Broken conditionals can be temporarily allowed with the `ALLOW_BROKEN_CONDITIONALS` configuration option.";

/// A `changed_when`/`failed_when` that could not be evaluated fails the
/// task but keeps the action's result (a `msg` it has too): the error is
/// its `<keyword>_result`, and the screen tells it.
fn condition_failed(
    result: &mut Map<String, Json>,
    task: &Task,
    (keyword, cond): (&str, &Node),
    e: &crate::template::TemplateError,
) {
    if let Some(ex) = result.remove("exception") {
        result.insert(format!("{keyword}_suppressed_exception"), ex);
    }
    result.insert("failed".into(), json!(true));
    result.insert("exception".into(), json!(NO_TRACEBACK));
    result.insert(format!("{keyword}_result"), json!(e.message));
    let cause = format!("A '{keyword}' expression failed: {}", e.message);
    let head = format!("Task failed: Action failed: {cause}");
    // A result that brought no `msg` of its own gets the error's, as
    // ansible-core 2.21 fills an empty one from the exception.
    if result
        .get("msg")
        .is_none_or(|m| m.is_null() || m.as_str() == Some(""))
    {
        result.insert("msg".into(), json!(head));
    }
    // A condition that rendered to no boolean is its own cause, with its
    // origin and Ansible's hint; other errors are told with the keyword.
    let broken = e.message.starts_with("Conditional result (")
        && e.message
            .ends_with("Conditionals must have a boolean result.");
    let detail = if broken {
        let said = format!("A '{keyword}' expression failed.");
        let chain = crate::output::error_chain(
            Some(&head),
            &[
                ("Task failed: Action failed.", &task.span),
                (&said, &cond.span),
                (&e.message, &cond.span),
            ],
        );
        format!("{chain}\n\n{BROKEN_HINT}")
    } else {
        crate::output::error_chain(
            Some(&head),
            &[
                ("Task failed: Action failed.", &task.span),
                (&cause, &cond.span),
            ],
        )
    };
    result.insert(modules::ERROR_DETAIL.into(), json!(detail));
}

/// A loop expression that did not render: an undefined variable fails the
/// task (told as caused by the expression), any other error is the
/// expression's own. Either raised, so the result carries an exception.
fn loop_failed(task: &Task, lp: &Loop, e: crate::template::TemplateError) -> Map<String, Json> {
    let node = match lp {
        Loop::Loop(n) => n,
        Loop::With { items, .. } => items,
    };
    let undefined = e.is_undefined();
    let cause = e.clone().rendering().message;
    let msg = e.in_loop();
    let detail = if undefined {
        crate::output::error_chain(
            Some(&msg),
            &[("Task failed.", &task.span), (&cause, &node.span)],
        )
    } else {
        crate::output::error_chain(None, &[(&msg, &node.span)])
    };
    let mut r = with_detail(failed(msg), detail);
    r.insert("exception".into(), json!(NO_TRACEBACK));
    r
}

/// A `loop` that rendered to no list: told at the loop's expression, with
/// ansible-core's hint after it.
fn loop_not_list(lp: &Loop, type_name: &str) -> Map<String, Json> {
    let node = match lp {
        Loop::Loop(n) => n,
        Loop::With { items, .. } => items,
    };
    let msg = not_list_msg(type_name);
    let detail = format!(
        "{}\n\nProvide a list of items/templates, or a template resolving to a list.",
        crate::output::error_chain(None, &[(&msg, &node.span)])
    );
    let mut r = with_detail(failed(msg), detail);
    r.insert("exception".into(), json!(NO_TRACEBACK));
    r
}

/// An `assert` condition (the `i`th of `that`) that could not be
/// evaluated: the screen tells the error as caused by that condition.
fn condition_origin(task: &Task, result: &mut Map<String, Json>, i: u64) {
    let Some(that) = task.args.iter().find(|(k, _)| k == "that").map(|(_, v)| v) else {
        return;
    };
    let node = match &that.kind {
        crate::yaml::NodeKind::Seq(items) => usize::try_from(i)
            .ok()
            .and_then(|i| items.get(i))
            .unwrap_or(that),
        _ => that,
    };
    let Some(msg) = result.get("msg").and_then(Json::as_str).map(str::to_string) else {
        return;
    };
    let cause = msg.strip_prefix("Task failed: ").unwrap_or(&msg);
    let detail = crate::output::error_chain(
        Some(&msg),
        &[("Task failed.", &task.span), (cause, &node.span)],
    );
    result.insert(modules::ERROR_DETAIL.into(), json!(detail));
}

/// Ansible's words for a `when` that could not be evaluated.
fn when_failed(e: &crate::template::TemplateError) -> String {
    format!("Task failed: A 'when' expression failed: {}", e.message)
}

/// Ansible's words for an argument whose template failed: the task, its
/// arguments' finalization and the argument each wrap the template's error.
fn arg_failed(
    task: &Task,
    key: &str,
    value: &Node,
    e: crate::template::TemplateError,
) -> Map<String, Json> {
    let action = &task.action;
    let fqcn = if action.contains('.') {
        action.to_string()
    } else {
        format!("ansible.builtin.{action}")
    };
    let finalization = format!("Finalization of task args for '{fqcn}' failed");
    let resolving = format!(
        "Error while resolving value for '{key}': {}",
        e.rendering().message
    );
    let msg = format!("Task failed: {finalization}: {resolving}");
    let detail = crate::output::error_chain(
        Some(&msg),
        &[
            ("Task failed.", &task.span),
            (&format!("{finalization}."), &task.action_span),
            (&resolving, &value.span),
        ],
    );
    with_detail(failed(msg), detail)
}

fn first_role(items: &[Item]) -> Option<Arc<crate::playbook::Role>> {
    items.iter().find_map(|i| match i {
        Item::Task(t) => t.role.clone(),
        Item::Block(b) => first_role(&b.block),
    })
}

/// What the tasks of a dynamic include inherit: the include's keywords
/// (its conditions were checked already; its own tags select the include
/// only, as Ansible's do) with its `apply:` keywords laid over them.
impl Runner {
    /// How files loaded while the run goes (dynamic includes) are read:
    /// the run's roles path, vault, extra vars and templar, as when the
    /// playbook loaded.
    fn load_options(&self) -> crate::playbook::LoadOptions {
        crate::playbook::LoadOptions {
            roles_path: self.opts.roles_path.clone(),
            vault: self.templar.vault_handle(),
            extra: self.extra.clone(),
            templar: Some(self.templar.clone()),
        }
    }
}

fn included_inherit(
    task: &Task,
    apply: Option<&Node>,
) -> Result<crate::playbook::Inherited, String> {
    let mut inherit = task.parent_inherit.clone();
    inherit.when.clear();
    inherit.tags = task.parent_tags.clone();
    match apply {
        Some(a) => crate::playbook::apply_keywords(&inherit, a).map_err(|e| e.to_string()),
        None => Ok(inherit),
    }
}

fn skipped_result(task: &Task) -> Map<String, Json> {
    let mut r = Map::new();
    r.insert("changed".into(), json!(false));
    if let Some(c) = task.all_when().last() {
        r.insert("false_condition".into(), c.to_json());
    }
    r.insert("skip_reason".into(), json!("Conditional result was False"));
    r.insert("skipped".into(), json!(true));
    r
}

/// The items of a loop: `loop` takes a list as it is; `with_<lookup>`
/// applies that lookup (items flattens one level, dict gives key/value
/// pairs, indexed_items gives [index, item], nested the cartesian product,
/// together zips; any other lookup, `sequence` among them, runs as that
/// lookup plugin).
/// Why a loop has no items: its expression did not render (Ansible tells
/// that with the expression's origin), or its items are not a loop's.
enum LoopError {
    Render(crate::template::TemplateError),
    /// `loop` rendered to something that is no list (its Python type).
    NotList(&'static str),
    Other(String),
}

/// ansible-core 2.21's words for a `loop` that is no list.
fn not_list_msg(type_name: &str) -> String {
    format!("The `loop` value must resolve to a 'list', not '{type_name}'.")
}

impl From<String> for LoopError {
    fn from(s: String) -> Self {
        LoopError::Other(s)
    }
}

impl From<LoopError> for String {
    fn from(e: LoopError) -> Self {
        match e {
            LoopError::Render(e) => e.in_loop(),
            LoopError::NotList(t) => not_list_msg(t),
            LoopError::Other(s) => s,
        }
    }
}

fn loop_items(scope: &Scope, lp: &Loop) -> Result<Vec<Json>, LoopError> {
    let (node, lookup) = match lp {
        Loop::Loop(n) => (n, "loop"),
        Loop::With { lookup, items } => (items, lookup.as_str()),
    };
    let v = scope.render_node(node).map_err(LoopError::Render)?;
    if lookup == "loop" && !matches!(value_to_json(&v), Json::Array(_)) {
        return Err(LoopError::NotList(crate::template::py_type_name(&v)));
    }
    Ok(items_of(scope, node, lookup, v)?)
}

/// The items of a rendered loop expression `v`.
fn items_of(
    scope: &Scope,
    node: &Node,
    lookup: &str,
    v: minijinja::Value,
) -> Result<Vec<Json>, String> {
    if !matches!(
        lookup,
        "loop"
            | "list"
            | "items"
            | "dict"
            | "indexed_items"
            | "nested"
            | "together"
            | "subelements"
    ) {
        // Any other `with_<lookup>`: that lookup plugin on the terms.
        return scope
            .templar()
            .lookup(lookup, &v, scope)
            .map(|items| items.iter().map(value_to_json).collect())
            .map_err(|e| e.to_string());
    }
    let j = value_to_json(&v);
    if let Some(items) = super::with_lookup::items(scope, lookup, j.clone(), node) {
        return items;
    }
    let as_list = |j: Json| -> Vec<Json> {
        match j {
            Json::Array(a) => a,
            other => vec![other],
        }
    };
    match (lookup, j) {
        ("loop", Json::Array(items)) | ("list", Json::Array(items)) => Ok(items),
        ("items", j) => Ok(as_list(j)
            .into_iter()
            .flat_map(|i| match i {
                Json::Array(inner) => inner,
                other => vec![other],
            })
            .collect()),
        ("dict", Json::Object(m)) => Ok(m
            .into_iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect()),
        ("dict", other) => Err(format!(
            "with_dict expects a dict, got {}",
            crate::template::py_str(&crate::template::json_to_value(&other))
        )),
        ("indexed_items", j) => Ok(as_list(j)
            .into_iter()
            .enumerate()
            .map(|(i, x)| json!([i, x]))
            .collect()),
        ("nested", j) => {
            let lists: Vec<Vec<Json>> = as_list(j).into_iter().map(as_list).collect();
            let mut acc: Vec<Vec<Json>> = vec![Vec::new()];
            for l in lists {
                let mut next = Vec::new();
                for prefix in &acc {
                    for x in &l {
                        let mut p = prefix.clone();
                        p.push(x.clone());
                        next.push(p);
                    }
                }
                acc = next;
            }
            Ok(acc.into_iter().map(Json::Array).collect())
        }
        ("together", j) => {
            let lists: Vec<Vec<Json>> = as_list(j).into_iter().map(as_list).collect();
            let n = lists.iter().map(Vec::len).max().unwrap_or(0);
            Ok((0..n)
                .map(|i| {
                    Json::Array(
                        lists
                            .iter()
                            .map(|l| l.get(i).cloned().unwrap_or(Json::Null))
                            .collect(),
                    )
                })
                .collect())
        }
        ("subelements", Json::Array(terms)) => subelements(terms),
        (_, other) => Err(format!(
            "Invalid data passed to 'loop', it requires a list, got this instead: {}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.",
            crate::template::py_str(&crate::template::json_to_value(&other))
        )),
    }
}

/// `with_subelements: [list, "key.path", {skip_missing: bool}]`: each
/// element paired with each entry of its sub-list; as Ansible's lookup
/// does, the sub-list's key is taken out of the element it pairs, and an
/// element (or a whole registered result) marked `skipped` gives nothing.
fn subelements(terms: Vec<Json>) -> Result<Vec<Json>, String> {
    let failed = |m: String| format!("The lookup plugin 'subelements' failed: {m}");
    let shown = |v: &Json| crate::template::py_str(&crate::template::json_to_value(v));
    // Ansible skips anything whose `skipped` is there and not `False`.
    let skipped = |v: &Json| v.get("skipped").is_some_and(|s| *s != Json::Bool(false));
    let usage = "subelements lookup expects a list of two or three items,";
    if !(2..=3).contains(&terms.len()) {
        return Err(failed(usage.into()));
    }
    let wrong_types = || {
        failed(format!(
            "{usage} first a dict or a list, second a string pointing to the subkey"
        ))
    };
    let Json::String(path) = &terms[1] else {
        return Err(wrong_types());
    };
    let elements: Vec<Json> = match &terms[0] {
        Json::Array(a) => a.clone(),
        first @ Json::Object(_) if skipped(first) => return Ok(Vec::new()),
        Json::Object(m) => m.values().cloned().collect(),
        _ => return Err(wrong_types()),
    };
    let skip_missing = terms
        .get(2)
        .and_then(|f| f.get("skip_missing"))
        .and_then(crate::modules::spec::to_bool)
        .unwrap_or(false);
    let keys: Vec<&str> = path.split('.').collect();
    let last_key = keys.last().copied().unwrap_or_default();
    let mut out = Vec::new();
    for mut element in elements {
        if !element.is_object() {
            return Err(failed(format!(
                "subelements lookup expects a dictionary, got '{}'",
                shown(&element)
            )));
        }
        if skipped(&element) {
            continue;
        }
        // A JSON pointer to the dict the walk has reached. As in Ansible, a
        // key is "the last" by its name, and a missing key that may be
        // skipped leaves the walk where it is.
        let mut pointer = String::new();
        let mut sublist = Vec::new();
        for key in &keys {
            let here = element
                .pointer(&pointer)
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default();
            match here.get(*key) {
                None if skip_missing => {}
                None => {
                    return Err(failed(format!(
                        "could not find '{key}' key in iterated item '{}'",
                        shown(&Json::Object(here))
                    )));
                }
                Some(v) if *key != last_key => {
                    if v.is_object() {
                        pointer.push('/');
                        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    } else if !skip_missing {
                        return Err(failed(format!(
                            "the key {key} should point to a dictionary, got '{}'",
                            shown(v)
                        )));
                    }
                }
                Some(Json::Array(_)) => {
                    if let Some(Json::Array(a)) = element
                        .pointer_mut(&pointer)
                        .and_then(Json::as_object_mut)
                        .and_then(|m| m.remove(*key))
                    {
                        sublist = a;
                    }
                }
                Some(v) => {
                    return Err(failed(format!(
                        "the key {key} should point to a list, got '{}'",
                        shown(v)
                    )));
                }
            }
        }
        for x in sublist {
            out.push(json!([element.clone(), x]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The refusals are ansible-core 2.21's, recorded from the same terms
    /// (a refused `with_subelements` prints an [ERROR] block that kiln's
    /// loop failures do not show yet, so no golden holds them).
    #[test]
    fn subelements_refusals_as_ansible() {
        let refusal = |terms: Json| match subelements(terms.as_array().cloned().unwrap_or_default())
        {
            Ok(items) => panic!("{terms}: {items:?}"),
            Err(e) => e
                .strip_prefix("The lookup plugin 'subelements' failed: ")
                .map(str::to_string)
                .unwrap_or_else(|| panic!("{e}")),
        };
        assert_eq!(
            refusal(json!([[{"name": "x"}], "auth.keys"])),
            "could not find 'auth' key in iterated item '{'name': 'x'}'"
        );
        assert_eq!(
            refusal(json!([[{"name": "x", "auth": 5}], "auth.keys"])),
            "the key auth should point to a dictionary, got '5'"
        );
        assert_eq!(
            refusal(json!([[{"name": "x", "auth": {"keys": 5}}], "auth.keys"])),
            "the key keys should point to a list, got '5'"
        );
        assert_eq!(
            refusal(json!([[5], "keys"])),
            "subelements lookup expects a dictionary, got '5'"
        );
        assert_eq!(
            refusal(json!([[{"name": "x"}]])),
            "subelements lookup expects a list of two or three items,"
        );
        assert_eq!(
            refusal(json!([[{"name": "x"}], 5])),
            "subelements lookup expects a list of two or three items, first a dict or a list, second a string pointing to the subkey"
        );
        assert_eq!(
            refusal(json!(["x", "keys"])),
            "subelements lookup expects a list of two or three items, first a dict or a list, second a string pointing to the subkey"
        );
        // skip_missing does not excuse a last key that is no list.
        assert_eq!(
            refusal(json!([[{"keys": 1}], "keys", {"skip_missing": true}])),
            "the key keys should point to a list, got '1'"
        );
        // A dict of elements is taken by its values; the key is taken out
        // of the element each pair shows.
        let pairs = subelements(vec![
            json!({"a": {"n": 1, "k": [1, 2]}, "b": {"n": 2, "k": [], "skipped": false}}),
            json!("k"),
        ])
        .expect("pairs");
        assert_eq!(pairs, vec![json!([{"n": 1}, 1]), json!([{"n": 1}, 2])]);
    }
}
