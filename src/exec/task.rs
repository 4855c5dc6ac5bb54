// SPDX-License-Identifier: MIT
//! One task on one host: loop expansion, `when`, argument templating, the
//! module, `changed_when`/`failed_when`, `register`, and the result event.

use super::{PlayCtx, Runner};
use crate::modules::{self, Become, ModuleCtx, ModuleError, RunsOn};
use crate::output::{Event, Status};
use crate::playbook::{Loop, Task};
use crate::template::value_to_json;
use crate::vars::{Layer, Scope, VarValue, layer_from_nodes};
use crate::yaml::{Node, NodeKind};
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;

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
    r.insert("msg".into(), Json::String(format!("Task failed: {}", e.unreachable_msg())));
    Outcome {
        result: r,
        unreachable: true,
    }
}

/// Ansible puts this placeholder where a Python traceback would go.
const NO_TRACEBACK: &str = "(traceback unavailable)";

/// What callbacks see of a result: the status flags are dropped (they are
/// the event's status), also from each loop item.
fn callback_view(r: &Map<String, Json>) -> Map<String, Json> {
    let mut v = r.clone();
    v.remove("failed");
    v.remove("skipped");
    if let Some(Json::Array(items)) = v.get_mut("results") {
        for i in items.iter_mut() {
            if let Json::Object(m) = i {
                m.remove("failed");
                m.remove("skipped");
            }
        }
    }
    v
}

/// What `register` stores: `failed` is always there.
fn registered_view(r: &Map<String, Json>) -> Map<String, Json> {
    let mut v = r.clone();
    v.retain(|k, _| !k.starts_with("_ansible_"));
    if !v.contains_key("failed") {
        v.insert("failed".into(), json!(false));
    }
    v
}

fn failed(msg: impl Into<String>) -> Map<String, Json> {
    let mut r = modules::failed(msg);
    r.insert("changed".into(), json!(false));
    r
}

/// Picks the task's keyword, else the play's.
fn pick<'a>(task: &'a Option<Node>, play: &'a Option<Node>) -> Option<&'a Node> {
    task.as_ref().or(play.as_ref())
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

impl Runner {
    /// Runs `task` on `host`; false when the host must leave the play.
    pub(super) async fn run_task_on_host(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        host: &str,
    ) -> bool {
        let task_vars =
            (!task.vars.is_empty()).then(|| Arc::new(layer_from_nodes(task.vars.iter())));
        let scope = self.scope(play, host, task_vars);
        let name = task.display_name();
        let (result, unreachable, looped) = match &task.loop_ {
            None => {
                let o = self.run_once(play, task, host, &scope).await;
                (o.result, o.unreachable, false)
            }
            Some(lp) => {
                let (r, u) = self.run_loop(play, task, host, &scope, lp).await;
                (r, u, true)
            }
        };
        let mut status = status_of(&result, unreachable);
        let mut ignored = false;
        if status == Status::Failed {
            match bool_of(
                &scope,
                pick(&task.inherit.ignore_errors, &play.inherit.ignore_errors),
            ) {
                Ok(Some(true)) => ignored = true,
                Ok(_) => {}
                Err(e) => {
                    self.bus.emit(Event::Warning(format!("ignore_errors: {e}")));
                }
            }
        }
        let mut result = result;
        if matches!(status, Status::Failed | Status::Unreachable) && !result.contains_key("exception") {
            result.insert("exception".into(), json!(NO_TRACEBACK));
        }
        if let Some(reg) = &task.register {
            if !unreachable {
                self.set_host_vars(host, [(reg.clone(), Json::Object(registered_view(&result)))]);
            }
        }
        if status != Status::Failed && status != Status::Unreachable {
            if let Some(Json::Object(facts)) = result.get("ansible_facts") {
                if task.action == "set_fact" {
                    self.set_host_vars(host, facts.iter().map(|(k, v)| (k.clone(), v.clone())));
                } else if let Ok(mut hs) = self.hosts.lock() {
                    let st = hs.entry(host.to_string()).or_default();
                    for (k, v) in facts {
                        st.facts
                            .insert(k.trim_start_matches("ansible_").to_string(), v.clone());
                    }
                }
            }
        }
        self.stat(host, |s| match status {
            Status::Ok => s.ok += 1,
            Status::Changed => {
                s.ok += 1;
                s.changed += 1;
            }
            Status::Skipped => s.skipped += 1,
            Status::Failed if ignored => {
                s.ok += 1;
                s.ignored += 1;
                if result.get("changed").and_then(Json::as_bool).unwrap_or(false) {
                    s.changed += 1;
                }
            }
            Status::Failed => s.failed += 1,
            Status::Unreachable => s.unreachable += 1,
        });
        if status == Status::Failed && !ignored {
            if let Ok(mut f) = self.any_failed.lock() {
                *f = true;
            }
            self.conns.mark_dead(host);
        }
        if status == Status::Unreachable {
            if let Ok(mut f) = self.any_unreachable.lock() {
                *f = true;
            }
            self.conns.mark_dead(host);
        }
        if ignored {
            // Ansible reports an ignored failure as failed, then "...ignoring".
            status = Status::Failed;
        }
        self.bus.emit(Event::HostResult {
            host: host.to_string(),
            task: name,
            action: task.action.clone(),
            status,
            ignored,
            result: Json::Object(callback_view(&result)),
            looped,
        });
        !(matches!(status, Status::Failed | Status::Unreachable) && !ignored)
    }

    async fn run_loop(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        host: &str,
        scope: &Scope,
        lp: &Loop,
    ) -> (Map<String, Json>, bool) {
        let items = match loop_items(scope, lp) {
            Ok(i) => i,
            Err(msg) => return (failed(msg), false),
        };
        let mut results = Vec::with_capacity(items.len());
        let mut any_changed = false;
        let mut any_failed = false;
        let mut all_skipped = true;
        for item in items {
            let mut layer = Layer::new();
            layer.insert("item".into(), VarValue::Data(item.clone()));
            let item_scope = scope.with_layer(Arc::new(layer));
            let o = self.run_once(play, task, host, &item_scope).await;
            if o.unreachable {
                return (o.result, true);
            }
            let mut r = o.result;
            r.insert("item".into(), item.clone());
            r.insert("ansible_loop_var".into(), json!("item"));
            let st = status_of(&r, false);
            any_changed |= st == Status::Changed;
            any_failed |= st == Status::Failed;
            all_skipped &= st == Status::Skipped;
            self.bus.emit(Event::ItemResult {
                host: host.to_string(),
                task: task.display_name(),
                action: task.action.clone(),
                status: st,
                result: Json::Object(callback_view(&r)),
                label: item,
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
        (out, false)
    }

    async fn run_once(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        host: &str,
        scope: &Scope,
    ) -> Outcome {
        let done = |result| Outcome {
            result,
            unreachable: false,
        };
        // when: every condition must hold.
        for cond in &task.when {
            match scope.condition(cond) {
                Ok(true) => {}
                Ok(false) => {
                    let mut r = Map::new();
                    r.insert("changed".into(), json!(false));
                    r.insert(
                        "false_condition".into(), cond.to_json());
                    r.insert("skip_reason".into(), json!("Conditional result was False"));
                    r.insert("skipped".into(), json!(true));
                    return done(r);
                }
                Err(e) => return done(failed(e.to_string())),
            }
        }
        let Some(module) = modules::lookup(&task.action) else {
            return done(failed(format!(
                "couldn't resolve module/action '{}'",
                task.action
            )));
        };
        let spec = module.spec();
        // Template the arguments; `omit` drops one.
        let mut args = Map::new();
        for (k, v) in &task.args {
            let value = if spec.raw_args.contains(&k.as_str()) {
                v.to_json()
            } else {
                match scope.render_json(v) {
                    Ok(j) => j,
                    Err(e) => {
                        return done(failed(format!(
                            "The task includes an option with an undefined variable or a template error: {e}"
                        )));
                    }
                }
            };
            if value.as_str() == Some(crate::vars::OMIT) {
                continue;
            }
            let value = match spec.arg(k) {
                Some(a) => match modules::spec::coerce(a, &value) {
                    Ok(v) => v,
                    Err(m) => return done(failed(m)),
                },
                None => value,
            };
            args.insert(k.clone(), value);
        }
        // Privilege escalation and check mode.
        let inherit = &task.inherit;
        let pinh = &play.inherit;
        let become_ = match bool_of(scope, pick(&inherit.become_, &pinh.become_)) {
            Ok(b) => b.unwrap_or(self.opts.become_),
            Err(e) => return done(failed(e)),
        };
        let mut become_ = if become_ {
            let user = string_of(scope, pick(&inherit.become_user, &pinh.become_user))
                .ok()
                .flatten()
                .or_else(|| self.opts.become_user.clone())
                .unwrap_or_else(|| "root".into());
            let method = string_of(scope, pick(&inherit.become_method, &pinh.become_method))
                .ok()
                .flatten()
                .or_else(|| self.opts.become_method.clone())
                .unwrap_or_else(|| "sudo".into());
            Some(Become { method, user })
        } else {
            None
        };
        let check_mode = match bool_of(scope, pick(&inherit.check_mode, &pinh.check_mode)) {
            Ok(b) => b.unwrap_or(self.opts.check),
            Err(e) => return done(failed(e)),
        };
        let conn = if spec.runs_on == RunsOn::Host {
            match self.connection(play, task, host, scope).await {
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
            None
        };
        let ctx = ModuleCtx {
            host,
            conn,
            become_,
            check_mode,
            diff: self.opts.diff,
            templar: &self.templar,
            vars: scope,
            verbosity: self.opts.verbosity,
        };
        let mut result = match module.execute(&ctx, &args).await {
            Ok(r) => r,
            Err(ModuleError::Unreachable(e)) => return unreachable(&e),
        };
        if let Err(msg) = self.post_conditions(task, scope, &mut result) {
            result.insert("failed".into(), json!(true));
            result.insert("msg".into(), Json::String(msg));
        }
        if !result.contains_key("changed") {
            result.insert("changed".into(), json!(false));
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
        let skipped = result.get("skipped").and_then(Json::as_bool).unwrap_or(false);
        if !task.changed_when.is_empty() && !skipped {
            let s = view(result);
            let mut changed = true;
            for c in &task.changed_when {
                changed &= s.condition(c).map_err(|e| e.to_string())?;
            }
            result.insert("changed".into(), json!(changed));
            result.insert("changed_when_result".into(), json!(changed));
        }
        if !task.failed_when.is_empty() && !skipped {
            let s = view(result);
            let mut failed = true;
            for c in &task.failed_when {
                failed &= s.condition(c).map_err(|e| e.to_string())?;
            }
            let was_failed = result.get("failed").and_then(Json::as_bool).unwrap_or(false);
            result.insert("failed_when_result".into(), json!(failed));
            result.insert("failed".into(), json!(failed));
            if failed && !was_failed {
                result.insert(
                    "msg".into(),
                    json!("Task failed: Action failed: A 'failed_when' expression evaluated to 'True'."),
                );
            }
            if !failed && was_failed {
                result.insert("failed_when_suppressed_exception".into(), json!(NO_TRACEBACK));
            }
        }
        Ok(())
    }
}

/// The items of a loop: `loop` takes a list as it is, `with_items` flattens
/// one level, `with_list` takes the list.
fn loop_items(scope: &Scope, lp: &Loop) -> Result<Vec<Json>, String> {
    let (node, flatten) = match lp {
        Loop::Loop(n) => (n, false),
        Loop::With { lookup, items } => (items, lookup == "items"),
    };
    let v = scope.render_node(node).map_err(|e| e.to_string())?;
    let j = value_to_json(&v);
    match j {
        Json::Array(items) if flatten => Ok(items
            .into_iter()
            .flat_map(|i| match i {
                Json::Array(inner) => inner,
                other => vec![other],
            })
            .collect()),
        Json::Array(items) => Ok(items),
        Json::String(s) if flatten => Ok(vec![Json::String(s)]),
        other => Err(format!(
            "Invalid data passed to 'loop', it requires a list, got this instead: {}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.",
            crate::template::py_str(&crate::template::json_to_value(&other))
        )),
    }
}
