// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! One play: its hosts, its variables, and its sections (pre_tasks, roles and
//! tasks, post_tasks), each followed by the handlers it notified. Hosts walk
//! the task tree with a cursor each; under the linear strategy the hosts
//! whose next task comes first run it together, up to the fork limit.

use super::cursor::{Cursor, Failure, Key, Next};
use super::task::HostOutcome;
use super::{PlayCtx, Runner};
use crate::output::{Event, Status};
use crate::plan::Why;
use crate::playbook::{Play, Task};
use crate::vars::Scope;
use crate::vars::{Layer, VarValue, layer_from_nodes};
use crate::yaml::{Node, NodeKind};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// What happened to a host in a play, beyond its cursor.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum HostState {
    Running,
    /// Failed or unreachable: it takes no further part in the play.
    Dead,
    /// `meta: end_host` / `end_play`: done without failing.
    Ended,
}

impl Runner {
    /// Runs one play; returns true when the rest of the playbook must not
    /// run (every host of a batch failed, or `any_errors_fatal` /
    /// `max_fail_percentage` broke the play), as ansible-playbook stops.
    pub(super) async fn run_play(self: &Arc<Self>, play: &Play, playbook_dir: &str) -> bool {
        let mut play_vars = layer_from_nodes(play.vars.iter());
        if !play.vars_files.is_empty() && self.vars_files_without_host(play, &play_vars) {
            return true;
        }
        self.prompt_vars(play, &mut play_vars);
        let play_vars = Arc::new(play_vars);
        let pscope = self.play_scope(&play_vars);
        let pattern = match pscope.render_json(&play.hosts) {
            Ok(Json::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            Ok(Json::String(s)) => s,
            Ok(other) => other.to_string(),
            // ansible-core 2.21 ends the run there (exit code 4), before
            // the play's banner; an empty pattern would select every host.
            Err(e) => {
                self.crash_with(
                    4,
                    format!(
                        "Error processing keyword 'hosts': {}\nOrigin: {}",
                        e.message, play.hosts.span
                    ),
                );
                return true;
            }
        };
        let name = match &play.name {
            Some(n) => match pscope.render_json(n) {
                Ok(Json::String(s)) => s,
                Ok(other) => other.to_string(),
                Err(_) => n.key_string(),
            },
            None => pattern.clone(),
        };
        // Each term that matches nothing is warned of (`hosts: [h1, ghost]`
        // runs on h1 with a warning about ghost), as ansible-core does.
        let (mut hosts, said) = match self.inventory().select_with_warnings(&pattern) {
            Ok(sel) => (sel.hosts, sel.warnings),
            Err(e) => {
                self.bus.emit(Event::Warning(e.to_string()));
                (Vec::new(), Vec::new())
            }
        };
        let nothing = format!("Could not match supplied host pattern, ignoring: {pattern}");
        let nothing_said = said.contains(&nothing);
        for w in said {
            self.bus.emit(Event::Warning(w));
        }
        if hosts.is_empty() && !nothing_said {
            self.bus.emit(Event::Warning(nothing));
        }
        // `--limit` (set on the inventory, `@file` read, by `prepare`).
        if let Err(e) = self.inventory().apply_limit(&mut hosts) {
            self.bus.emit(Event::Warning(e.to_string()));
            hosts.clear();
        }
        // `order`: the order hosts run (and are shown) in.
        if let Some(o) = &play.order
            && let Ok(o) = pscope.render_json(o)
        {
            let o = match o {
                Json::String(s) => s,
                other => other.to_string(),
            };
            match o.as_str() {
                "inventory" => {}
                "reverse_inventory" => hosts.reverse(),
                "sorted" => hosts.sort(),
                "reverse_sorted" => {
                    hosts.sort();
                    hosts.reverse();
                }
                "shuffle" => {
                    use rand::seq::SliceRandom;
                    hosts.shuffle(&mut rand::thread_rng());
                }
                // ansible-core's inventory raises an options error
                // when it is asked for the play's hosts: before the
                // banner, ending the run with exit code 5.
                other => {
                    self.crash_with(
                        5,
                        format!("Invalid 'order' specified for inventory hosts: {other}"),
                    );
                    return true;
                }
            }
        }
        let all_hosts = hosts.clone();
        self.conns.new_play();
        // Hosts that failed or were unreachable in an earlier play stay out.
        hosts.retain(|h| !self.conns.is_dead(h));
        if hosts.is_empty() {
            self.bus.emit(Event::PlayStart {
                name: name.clone(),
                pattern: pattern.clone(),
                tasks: play.all_tasks().len(),
                origin: Some(play.span.clone()),
            });
            self.bus.emit(Event::NoHostsMatched);
            return false;
        }
        let mut defaults = Layer::new();
        let mut rvars = Layer::new();
        // The play's roles and those named by import_role export their
        // defaults and vars to the whole play (static uses are public in
        // Ansible), unless `private_role_vars` is set or the import says
        // `public: false`.
        let public = !self.opts.private_role_vars.unwrap_or(false);
        let imported = play.role_uses.iter().filter(|u| {
            u.public.unwrap_or(public) && !play.roles.iter().any(|r| Arc::ptr_eq(r, u))
        });
        let listed = play.roles.iter().filter(|_| public);
        for r in listed.chain(imported) {
            for (k, v) in &r.defaults {
                defaults.insert(k.clone(), VarValue::Node(v.clone()));
            }
            for (k, v) in &r.vars {
                rvars.insert(k.clone(), VarValue::Node(v.clone()));
            }
        }
        let (skip_before, skip_all) = self.start_at(play);
        let role_defaults = Arc::new(defaults);
        let role_vars = Arc::new(rvars);
        // A templated `serial` that is no number or percentage: ansible-core
        // 2.21 raises Python's int() error when it cuts the batches, before
        // the play's banner, and the run ends there (exit code 250).
        let batches = match batches(&pscope, play.serial.as_ref(), &hosts) {
            Ok(b) => b,
            Err(msg) => {
                let at = play
                    .serial
                    .as_ref()
                    .map(|s| format!("\nOrigin: {}", s.span))
                    .unwrap_or_default();
                self.crash(format!("Error processing keyword 'serial': {msg}{at}"));
                return true;
            }
        };
        let max_fail = play
            .max_fail_percentage
            .as_ref()
            .and_then(|n| pscope.render_json(n).ok())
            .and_then(|v| {
                v.as_f64().or_else(|| {
                    v.as_str()
                        .and_then(|s| s.trim_end_matches('%').parse().ok())
                })
            });
        let strategy = super::free::Strategy::of(self, play, &play_vars);
        self.with_walk(|w| w.play(&name, strategy));
        for batch in batches {
            if self.interrupt.stopping() {
                return true;
            }
            // Each serial batch is shown as the play starting again.
            self.bus.emit(Event::PlayStart {
                name: name.clone(),
                pattern: pattern.clone(),
                tasks: play.all_tasks().len(),
                origin: Some(play.span.clone()),
            });
            let ctx = Arc::new(PlayCtx {
                name: name.clone(),
                strategy,
                play: play.clone(),
                play_vars: play_vars.clone(),
                role_defaults: role_defaults.clone(),
                role_vars: role_vars.clone(),
                vars_files: Mutex::new(HashMap::new()),
                hosts: batch.clone(),
                all_hosts: all_hosts.clone(),
                pattern: pattern.clone(),
                refreshed_hosts: std::sync::RwLock::new(None),
                playbook_dir: playbook_dir.to_string(),
                notified: Mutex::new(HashMap::new()),
                pending: Mutex::new(HashMap::new()),
                skip_before: skip_before.clone(),
                skip_all,
                max_fail,
                aborted: std::sync::atomic::AtomicBool::new(false),
                shared_magic: std::sync::RwLock::new(None),
                included_roles: Default::default(),
                role_runs: Default::default(),
            });
            self.with_walk(|w| w.batch(&batch));
            let mut states: Vec<HostState> = vec![HostState::Running; batch.len()];
            if !play.vars_files.is_empty() {
                for (i, h) in batch.iter().enumerate() {
                    if let Err(msg) = self.load_vars_files(&ctx, h) {
                        self.fail_host_early(h, &msg);
                        states[i] = HostState::Dead;
                    }
                }
            }
            for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
                self.run_section(&ctx, Arc::new(section.clone()), &mut states)
                    .await;
                // Interrupted: no handler runs, as under Ansible.
                if self.interrupt.stopping() {
                    return true;
                }
                // An empty section flushes nothing (as the lowering has it).
                if !section.is_empty() {
                    self.with_walk(|w| w.join(Why::Handlers));
                }
                self.flush_handlers(&ctx, &mut states).await;
                if states.iter().all(|s| *s != HostState::Running) {
                    break;
                }
            }
            // A batch that failed entirely, or tripped any_errors_fatal or
            // max_fail_percentage, ends the play.
            self.with_walk(|w| w.join(Why::Batch));
            let all_failed = states.iter().all(|s| *s == HostState::Dead);
            if all_failed || ctx.aborted.load(std::sync::atomic::Ordering::SeqCst) {
                return true;
            }
        }
        self.with_walk(|w| w.join(Why::Play));
        false
    }

    /// `vars_prompt`: each variable not given with `-e` is asked on the
    /// terminal, or takes its default (with Ansible's warning) without one.
    fn prompt_vars(&self, play: &Play, vars: &mut Layer) {
        let Some(entries) = play.vars_prompt.as_ref().and_then(Node::as_seq) else {
            return;
        };
        let pscope = self.play_scope(&Arc::new(vars.clone()));
        let text = |e: &Node, k: &str| -> Option<Json> {
            e.get(k)
                .map(|n| pscope.render_json(n).unwrap_or_else(|_| n.to_json()))
        };
        let flag = |e: &Node, k: &str, dflt: bool| {
            text(e, k)
                .and_then(|v| crate::modules::spec::to_bool(&v))
                .unwrap_or(dflt)
        };
        for e in entries {
            let Some(name) = e.get("name").and_then(Node::as_str) else {
                continue;
            };
            if self.extra.contains_key(name) {
                continue;
            }
            let default = text(e, "default").unwrap_or(Json::Null);
            let value = match self.opts.ask {
                Some(ask) => {
                    let prompt = match text(e, "prompt") {
                        Some(Json::String(p)) => p,
                        _ => name.to_string(),
                    };
                    let shown = match &default {
                        Json::Null => format!("{prompt}: "),
                        Json::String(d) => format!("{prompt} [{d}]: "),
                        d => format!("{prompt} [{d}]: "),
                    };
                    let private = flag(e, "private", true);
                    let mut answer = ask(&shown, private);
                    if flag(e, "confirm", false)
                        && let Ok(first) = &answer
                    {
                        match ask(&format!("confirm {shown}"), private) {
                            Ok(again) if again == *first => {}
                            Ok(_) => {
                                self.bus.emit(Event::Warning(
                                    "***** VALUES ENTERED DO NOT MATCH ****".into(),
                                ));
                                answer = Err("the values entered do not match".into());
                            }
                            Err(e) => answer = Err(e),
                        }
                    }
                    match answer {
                        Ok(a) if a.is_empty() => default.clone(),
                        Ok(a) => Json::String(a),
                        Err(msg) => {
                            self.bus.emit(Event::Warning(format!("{name}: {msg}")));
                            default.clone()
                        }
                    }
                }
                None => {
                    if !self
                        .prompt_warned
                        .swap(true, std::sync::atomic::Ordering::SeqCst)
                    {
                        self.bus.emit(Event::Warning(
                            "Not prompting as we are not in interactive mode".into(),
                        ));
                    }
                    default
                }
            };
            // `encrypt` hashes the answer as the password_hash filter does.
            let value = match (text(e, "encrypt"), &value) {
                (Some(Json::String(scheme)), Json::String(_)) => {
                    let mut l = Layer::new();
                    l.insert("__kiln_prompt".into(), VarValue::Data(value.clone()));
                    l.insert("__kiln_scheme".into(), VarValue::Data(json!(scheme)));
                    l.insert(
                        "__kiln_salt".into(),
                        VarValue::Data(text(e, "salt").unwrap_or(Json::Null)),
                    );
                    let expr = Node::str(
                        "{{ __kiln_prompt | password_hash(__kiln_scheme, __kiln_salt) }}",
                        e.span.clone(),
                    );
                    pscope
                        .with_layer(Arc::new(l))
                        .render_json(&expr)
                        .unwrap_or(value)
                }
                _ => value,
            };
            vars.insert(name.to_string(), VarValue::Data(value));
        }
    }

    /// A host that fails before any task (its vars_files): reported as
    /// Ansible reports a failed task.
    fn fail_host_early(&self, host: &str, msg: &str) {
        self.stat(host, |s| s.failed += 1);
        if let Ok(mut f) = self.any_failed.lock() {
            *f = true;
        }
        self.mark_dead(host);
        self.bus.emit(Event::Warning(format!("{host}: {msg}")));
    }

    /// The variables of one vars file: a dictionary, or a list of
    /// dictionaries merged in order (vaulted values stay vaulted).
    fn read_vars_file(&self, path: &std::path::Path) -> Result<Vec<(String, Node)>, String> {
        let Some(doc) = self.vars_document(path)? else {
            return Ok(Vec::new());
        };
        let maps: Vec<&Node> = match &doc.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            NodeKind::Null => Vec::new(),
            _ => vec![&doc],
        };
        let mut out = Vec::new();
        for m in maps {
            let pairs = m.as_map().ok_or_else(|| {
                format!(
                    "{}: variable files must contain either a dictionary of variables, or a list of dictionaries",
                    path.display()
                )
            })?;
            for (k, v) in pairs {
                out.push((k.key_string(), v.clone()));
            }
        }
        Ok(out)
    }

    /// ansible-core reads a play's vars_files once with no host before the
    /// play starts (for vars_prompt and the play's keywords): an entry
    /// that names a variable only a host has is skipped then with a
    /// warning (shown once, before the banner), and a name that templates
    /// to no string ends the run with exit code 4. Each host reads them
    /// again in `load_vars_files`. Returns true when the run must stop.
    fn vars_files_without_host(&self, play: &Play, play_vars: &Layer) -> bool {
        let mut known = play_vars.clone();
        'entries: for entry in &play.vars_files {
            let scope = self.play_scope(&Arc::new(known.clone()));
            let candidates: Vec<&Node> = match &entry.kind {
                NodeKind::Seq(items) => items.iter().collect(),
                _ => vec![entry],
            };
            for c in candidates {
                let name = match scope.render_json(c) {
                    Ok(Json::String(s)) => s,
                    Ok(other) => {
                        self.crash_with(
                            4,
                            format!(
                                "Invalid `vars_files` value of type '{}'.\nOrigin: {}\n\nA `vars_files` value should either be a string or list of strings.",
                                crate::modules::spec::json_type(&other),
                                c.span
                            ),
                        );
                        return true;
                    }
                    Err(e) if e.is_undefined() => {
                        self.bus.emit(Event::Warning(format!(
                            "skipping vars_files item due to an undefined variable\n{}",
                            crate::output::origin_block(&entry.span)
                        )));
                        continue 'entries;
                    }
                    // Reported for each host when it reads them.
                    Err(_) => continue 'entries,
                };
                if let Some(path) = vars_file_path(&play.dir, &name) {
                    // A file that does not load is reported per host.
                    if let Ok(pairs) = self.read_vars_file(&path) {
                        for (k, v) in pairs {
                            known.insert(k, VarValue::Node(v));
                        }
                    }
                    continue 'entries;
                }
            }
        }
        false
    }

    /// Reads a host's `vars_files` as ansible-core 2.21 does: each entry a
    /// file name (templated with the host's variables) or a list of
    /// candidates, the first found in the play's `vars/` or its directory.
    /// An entry none of whose files exists is skipped without a word, and
    /// one naming an undefined variable with a warning.
    fn load_vars_files(self: &Arc<Self>, ctx: &Arc<PlayCtx>, host: &str) -> Result<(), String> {
        let scope = self.scope(ctx, host, None, &[]);
        let mut layer = Layer::new();
        'entries: for entry in &ctx.play.vars_files {
            let candidates: Vec<&Node> = match &entry.kind {
                NodeKind::Seq(items) => items.iter().collect(),
                _ => vec![entry],
            };
            let mut found = None;
            for c in &candidates {
                let name = match scope.render_json(c) {
                    Ok(Json::String(s)) => s,
                    Ok(other) => {
                        return Err(format!(
                            "Invalid `vars_files` value of type '{}'.\nOrigin: {}\n\nA `vars_files` value should either be a string or list of strings.",
                            crate::modules::spec::json_type(&other),
                            c.span
                        ));
                    }
                    Err(e) if e.is_undefined() => {
                        self.bus.emit(Event::Warning(format!(
                            "skipping vars_files item due to an undefined variable\n{}",
                            crate::output::origin_block(&entry.span)
                        )));
                        continue 'entries;
                    }
                    Err(e) => return Err(e.to_string()),
                };
                if let Some(path) = vars_file_path(&ctx.play.dir, &name) {
                    found = Some(path);
                    break;
                }
            }
            let Some(path) = found else {
                continue;
            };
            for (k, v) in self.read_vars_file(&path)? {
                layer.insert(k, VarValue::Node(v));
            }
        }
        if let Ok(mut m) = ctx.vars_files.lock() {
            m.insert(host.to_string(), Arc::new(layer));
        }
        Ok(())
    }

    /// `any_errors_fatal` on the task, or `max_fail_percentage` of the
    /// batch exceeded: the play stops for every host.
    pub(super) fn stops_play(&self, ctx: &PlayCtx, _task: &Task, states: &[HostState]) -> bool {
        if let Some(max) = ctx.max_fail {
            let dead = states.iter().filter(|s| **s == HostState::Dead).count() as f64;
            return dead / states.len().max(1) as f64 * 100.0 > max;
        }
        false
    }

    /// `any_errors_fatal` on the task (or inherited from its play or block).
    pub(super) fn fatal(&self, task: &Task) -> bool {
        task.inherit.any_errors_fatal.as_ref().is_some_and(|n| {
            matches!(n.kind, NodeKind::Bool(true))
                || n.as_str()
                    .is_some_and(|s| matches!(s, "true" | "yes" | "True"))
        })
    }

    /// Runs `task` on a group of hosts (all at the same position).
    pub(super) async fn run_group(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        task: &Arc<Task>,
        group: &[(usize, Next)],
        forks: &Arc<Semaphore>,
        handler: bool,
    ) -> Vec<(usize, HostOutcome)> {
        if self.interrupt.stopping() {
            return Vec::new();
        }
        // Ansible renders a task's name once, before any host runs it, with
        // the variables of the first host that runs it (see `shown_name`).
        let (shown_as, name_warning) =
            self.name_and_warning(ctx, task, &ctx.hosts[group[0].0], &group[0].1.vars);
        if task.action != "meta" {
            // --step asks first, with the name as written (Ansible asks
            // before it templates the name); a skipped task shows nothing.
            let shown = format!(
                "{}: {}",
                if handler { "HANDLER" } else { "TASK" },
                task.display_name()
            );
            let on = (ctx.strategy != super::free::Strategy::Linear)
                .then(|| ctx.hosts[group[0].0].as_str());
            if let super::step::Answer::Skip = self.step(&shown, on) {
                return group
                    .iter()
                    .map(|(i, _)| (*i, HostOutcome::untouched()))
                    .collect();
            }
            self.say_stray_warnings();
            if let Some(w) = name_warning {
                self.bus.emit(Event::Warning(w));
            }
            self.bus.emit(Event::TaskStart {
                name: shown_as.clone(),
                action: task.action.clone(),
                handler,
                origin: Some(task.span.clone()),
                lazy: ctx.strategy != super::free::Strategy::Linear,
            });
        }
        // run_once: the first host runs it, every host gets its result.
        let run_once = {
            let scope = self.scope(ctx, &ctx.hosts[group[0].0], Some(task), &group[0].1.vars);
            match &task.inherit.run_once {
                Some(n) => scope
                    .render_json(n)
                    .ok()
                    .and_then(|v| crate::modules::spec::to_bool(&v))
                    .unwrap_or(false),
                None => false,
            }
        };
        // Ansible runs these actions once, for the first host, and reports
        // nothing for the others (BYPASS_HOST_LOOP).
        let bypass = matches!(
            crate::modules::canonical(&task.action),
            "pause" | "add_host"
        );
        let runners: Vec<&(usize, Next)> = if run_once || bypass {
            vec![&group[0]]
        } else {
            group.iter().collect()
        };
        // The task joins the graph: a node per runner after its host's
        // last one, and under linear a barrier every host waits on.
        let why = ctx.strategy.lockstep().then(|| {
            if run_once {
                Why::RunOnce
            } else if !handler && (self.fatal(task) || ctx.max_fail.is_some()) {
                Why::FailCheck
            } else {
                Why::Task
            }
        });
        let names: Vec<&str> = runners
            .iter()
            .map(|(i, _)| ctx.hosts[*i].as_str())
            .collect();
        let include = task.action.starts_with("include_");
        let nodes = self.with_walk(|w| w.task(&names, &task.display_name(), handler, include, why));
        let runners = self.dispatch_order(runners, &nodes);
        // Meta tasks are instant: run them in host order, as Ansible prints them.
        if task.action == "meta" {
            // The linear strategy runs these metas for the first host only;
            // what they do applies to every host of the play.
            let once = !matches!(
                super::task::meta_action(task),
                Some(
                    "noop"
                        | "reset_connection"
                        | "end_host"
                        | "role_complete"
                        | "flush_handlers"
                        | "end_role"
                )
            );
            let mut outs = Vec::new();
            for (n, ((i, next), node)) in runners.into_iter().enumerate() {
                if self.interrupt.stopping() {
                    break;
                }
                self.with_walk(|w| w.start(node));
                if once && n > 0 {
                    self.with_walk(|w| w.finish(node));
                    outs.push((*i, HostOutcome::untouched()));
                    continue;
                }
                let out = self
                    .run_task_on_host(ctx, task, &ctx.hosts[*i], &next.vars, &shown_as)
                    .await;
                self.with_walk(|w| w.finish(node));
                outs.push((*i, out));
            }
            return outs;
        }
        // `throttle` narrows the fork limit for this task.
        let throttle = {
            let scope = self.scope(ctx, &ctx.hosts[group[0].0], Some(task), &group[0].1.vars);
            super::task::scope_int(&scope, task.inherit.throttle.as_ref())
                .ok()
                .flatten()
                .filter(|t| *t > 0)
        };
        let forks = match throttle {
            Some(t) => Arc::new(Semaphore::new((t as usize).min(self.opts.forks.max(1)))),
            None => forks.clone(),
        };
        let mut set = tokio::task::JoinSet::new();
        for ((i, next), node) in runners {
            let runner = self.clone();
            let ctx = ctx.clone();
            let task = task.clone();
            let host = ctx.hosts[*i].clone();
            let vars = next.vars.clone();
            // Hosts take fork slots in inventory order (Ansible queues them
            // so): with fewer forks than hosts, the order hosts start (and,
            // with one fork, finish) in is the inventory's.
            let permit = forks.clone().acquire_owned().await;
            // Interrupted while waiting for a slot: this host does not start.
            if self.interrupt.stopping() {
                break;
            }
            // Queued to a fork: ansible-runner's runner_on_start.
            self.with_walk(|w| w.start(node));
            self.bus.emit(Event::HostStart { host: host.clone() });
            let i = *i;
            let interrupt = self.interrupt.clone();
            let shown_as = shown_as.clone();
            set.spawn(async move {
                let _permit = permit;
                // A second Ctrl-C drops the host task: its session's
                // channel closes, and a write it was making is never
                // renamed over the destination.
                tokio::select! {
                    out = runner.run_task_on_host(&ctx, &task, &host, &vars, &shown_as) => Some((i, out, node)),
                    () = interrupt.aborted() => None,
                }
            });
        }
        let mut outs = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok(Some((i, out, node))) = joined {
                self.with_walk(|w| w.finish(node));
                outs.push((i, out));
            }
        }
        self.report_includes(ctx, &outs);
        if (run_once || bypass)
            && let Some((_, first)) = outs.first()
        {
            let first = first.clone();
            for (i, _) in group.iter().skip(1) {
                if let Some(reg) = &task.register
                    && !bypass
                {
                    self.set_host_vars(
                        &ctx.hosts[*i],
                        [(
                            reg.clone(),
                            Json::Object(super::task::registered_view(&first.result)),
                        )],
                    );
                }
                let mut copy = first.clone();
                copy.copy = true;
                outs.push((*i, copy));
            }
        }
        outs
    }

    /// The runners in the order the graph's ready set gives them, each
    /// with its node. Every node of a task is ready when it is added (the
    /// cursors only reveal a host's next task once its last one is done,
    /// and under linear once the barrier before it is passed); one that is
    /// not is a bookkeeping slip, caught by debug builds, and still runs
    /// last so that no host's task is lost.
    fn dispatch_order<'a>(
        &self,
        runners: Vec<&'a (usize, Next)>,
        nodes: &[petgraph::stable_graph::NodeIndex],
    ) -> Vec<(&'a (usize, Next), petgraph::stable_graph::NodeIndex)> {
        let paired = runners.into_iter().zip(nodes.iter().copied());
        let (mut ready, late): (Vec<_>, Vec<_>) =
            self.with_walk(|w| paired.partition(|(_, n)| w.is_ready(*n)));
        debug_assert!(late.is_empty(), "a node dispatched before it was ready");
        ready.extend(late);
        ready
    }

    /// `included: FILE for h1, h2` lines: one per file (and loop item), the
    /// hosts in play order, printed once the task is done on every host.
    fn report_includes(&self, ctx: &PlayCtx, outs: &[(usize, HostOutcome)]) {
        type Line = ((String, Option<Json>), Vec<String>);
        let mut lines: Vec<Line> = Vec::new();
        let mut sorted: Vec<&(usize, HostOutcome)> = outs.iter().collect();
        sorted.sort_by_key(|(i, _)| *i);
        for (i, out) in sorted {
            let Some(Json::Array(files)) = out.result.get(super::task::INCLUDED) else {
                continue;
            };
            for f in files {
                let file = f
                    .get(0)
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string();
                let item = f.get(1).cloned().filter(|v| !v.is_null());
                let key = (file, item);
                match lines.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, hosts)) => hosts.push(ctx.hosts[*i].clone()),
                    None => lines.push((key, vec![ctx.hosts[*i].clone()])),
                }
            }
        }
        for ((file, item), hosts) in lines {
            self.bus.emit(Event::Included { file, hosts, item });
        }
    }

    /// Applies one host's outcome: stats, cursor movement, handlers,
    /// includes and meta actions.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn settle(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        task: &Arc<Task>,
        i: usize,
        out: HostOutcome,
        cursor: &mut Cursor,
        states: &mut [HostState],
        _key: &Key,
    ) {
        let host = ctx.hosts[i].clone();
        let in_rescue = cursor.in_rescue();
        ctx.role_runs
            .record(&host, task, out.status, out.ignored, in_rescue);
        match out.status {
            Status::Unreachable if out.ignored => {
                // ignore_unreachable: Ansible counts the host ok and ignored,
                // and it stays in the play.
                self.stat(&host, |s| {
                    s.ok += 1;
                    s.ignored += 1;
                });
                cursor.advance();
                return;
            }
            Status::Unreachable => {
                self.stat(&host, |s| s.unreachable += 1);
                if let Ok(mut f) = self.any_unreachable.lock() {
                    *f = true;
                }
                self.mark_dead(&host);
                states[i] = HostState::Dead;
                // Past this task: "NO MORE HOSTS LEFT" only shows when tasks
                // remain after it.
                cursor.advance();
                return;
            }
            Status::Failed if !out.ignored => {
                // A failure inside a block with rescue counts as rescued.
                match cursor.fail() {
                    Failure::Rescued => {
                        self.stat(&host, |s| s.rescued += 1);
                        // The task's own `name` as written (no role
                        // prefix, nothing for an unnamed task), as
                        // ansible-core serializes it.
                        let failed_task = json!({
                            "name": task.name.as_ref().map(Node::key_string).unwrap_or_default(),
                            "action": task.action,
                        });
                        self.set_host_vars(
                            &host,
                            [
                                ("ansible_failed_task".to_string(), failed_task),
                                (
                                    "ansible_failed_result".to_string(),
                                    Json::Object(super::task::registered_view(&out.result)),
                                ),
                            ],
                        );
                    }
                    Failure::Failed => {
                        self.stat(&host, |s| s.failed += 1);
                        if let Ok(mut f) = self.any_failed.lock() {
                            *f = true;
                        }
                        if cursor.failed {
                            states[i] = HostState::Dead;
                            self.mark_dead(&host);
                        }
                    }
                }
                return;
            }
            _ => {}
        }
        let include_items = if task.action.starts_with("include_") && task.loop_.is_some() {
            out.result
                .get("results")
                .and_then(Json::as_array)
                // Items skipped by `when` count neither ok nor skipped.
                .map_or(0, |r| {
                    r.iter().filter(|x| x.get("skip_reason").is_none()).count() as u32
                })
        } else {
            0
        };
        self.stat(&host, |s| match out.status {
            _ if task.action == "meta" || out.copy => {}
            Status::Ok if include_items > 0 => s.ok += include_items,
            Status::Skipped => s.skipped += 1,
            _ => {
                s.ok += 1;
                if out
                    .result
                    .get("changed")
                    .and_then(Json::as_bool)
                    .unwrap_or(false)
                {
                    s.changed += 1;
                }
                if out.ignored && out.status == Status::Failed {
                    s.ignored += 1;
                }
            }
        });
        if matches!(out.status, Status::Ok | Status::Changed) {
            self.custom_stats(&host, &out.result, out.copy);
        }
        cursor.advance();
        if !out.notify.is_empty()
            && let Ok(mut n) = ctx.notified.lock()
        {
            let list = n.entry(host.clone()).or_default();
            for h in out.notify {
                if !list.contains(&h) {
                    list.push(h);
                }
            }
        }
        if let Some(runs) = out.include {
            cursor.include(runs);
        }
        match out.meta.as_deref() {
            Some("end_host") => {
                cursor.end();
                states[i] = HostState::Ended;
            }
            Some("end_play") | Some("end_batch") => {
                for s in states.iter_mut() {
                    if *s == HostState::Running {
                        *s = HostState::Ended;
                    }
                }
            }
            Some("flush_handlers") => {
                // Run right away for every host waiting at this point.
                let mut st = states.to_vec();
                Box::pin(self.flush_handlers(ctx, &mut st)).await;
                for (k, s) in st.into_iter().enumerate() {
                    if s == HostState::Dead {
                        states[k] = s;
                    }
                }
            }
            Some("clear_facts") => {
                if let Ok(mut hs) = self.hosts.lock() {
                    for h in &ctx.hosts {
                        if let Some(st) = hs.get_mut(h) {
                            st.facts.clear();
                        }
                    }
                }
                self.prepared.vars_changed();
            }
            Some("refresh_inventory") => {
                if let Err(e) = self.refresh_inventory(ctx) {
                    self.bus.emit(Event::Warning(format!(
                        "refresh_inventory: the inventory could not be read again: {e}"
                    )));
                }
            }
            Some("reset_connection") => self.conns.reset(&host),
            Some("clear_host_errors") => {
                // Every host of the play is cleared; the ones already out of
                // this play come back for the next plays, and a run whose
                // failures were all cleared exits 0 as Ansible's does.
                for h in &ctx.hosts {
                    self.conns.revive(h);
                }
                self.prepared.vars_changed();
                if self.conns.none_dead() {
                    for flag in [&self.any_failed, &self.any_unreachable] {
                        if let Ok(mut f) = flag.lock() {
                            *f = false;
                        }
                    }
                }
            }
            Some("end_role") => {
                if let Some(role) = &task.role {
                    cursor.skip_role(role);
                }
            }
            _ => {}
        }
    }

    /// Runs the handlers notified so far, in the order they are defined, on
    /// the hosts that notified them.
    pub(super) async fn flush_handlers(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        states: &mut [HostState],
    ) {
        let forks = Arc::new(Semaphore::new(self.opts.forks.max(1)));
        let force = ctx
            .play
            .force_handlers
            .as_ref()
            .is_some_and(|n| matches!(n.kind, NodeKind::Bool(true)))
            || self.opts.force_handlers;
        let names = self.handler_names(ctx);
        loop {
            let mut ran = false;
            for (idx, handler) in ctx.play.handlers.iter().enumerate() {
                if self.interrupt.stopping() {
                    return;
                }
                // Host by host in the play's order, as Ansible flushes.
                for (i, host) in ctx.hosts.iter().enumerate() {
                    let may_run = states[i] == HostState::Running
                        || (force
                            && states[i] == HostState::Dead
                            && !self.conns.is_unreachable(host));
                    self.announce_notifications(ctx, host, &names, may_run);
                }
                let pending = ctx.pending.lock().map(|p| p.clone()).unwrap_or_default();
                let mut group = Vec::new();
                for (i, host) in ctx.hosts.iter().enumerate() {
                    let wanted = pending.get(host).is_some_and(|p| p.contains(&idx));
                    let may_run = states[i] == HostState::Running
                        || (force
                            && states[i] == HostState::Dead
                            && !self.conns.is_unreachable(host));
                    if wanted && may_run {
                        group.push((
                            i,
                            Next {
                                key: Vec::new(),
                                task: handler.clone(),
                                vars: Vec::new(),
                                in_rescue: false,
                            },
                        ));
                    }
                }
                if group.is_empty() {
                    continue;
                }
                ran = true;
                // A handler runs once per notification round.
                if let Ok(mut pending) = ctx.pending.lock() {
                    for (i, _) in &group {
                        if let Some(p) = pending.get_mut(&ctx.hosts[*i]) {
                            p.remove(&idx);
                        }
                    }
                }
                let outs = self.run_group(ctx, handler, &group, &forks, true).await;
                for (i, out) in outs {
                    let mut cursor = Cursor::new(Arc::new(Vec::new()));
                    let mut st = states.to_vec();
                    Box::pin(self.settle(ctx, handler, i, out, &mut cursor, &mut st, &Vec::new()))
                        .await;
                    if st[i] == HostState::Dead || cursor.failed {
                        states[i] = HostState::Dead;
                        self.mark_dead(&ctx.hosts[i]);
                    }
                }
            }
            if !ran {
                break;
            }
        }
        // Notifications of hosts that could not run their handlers end
        // with the flush.
        if let Ok(mut p) = ctx.pending.lock() {
            p.clear();
        }
    }
}

impl Runner {
    /// Each handler's name as notifications match it (a templated name as
    /// it renders with the play's variables).
    pub(super) fn handler_names(self: &Arc<Self>, ctx: &Arc<PlayCtx>) -> Vec<String> {
        ctx.play
            .handlers
            .iter()
            .map(|handler| {
                let hname = handler
                    .name
                    .as_ref()
                    .map(|n| n.key_string())
                    .unwrap_or_else(|| handler.action_written.clone());
                if crate::template::is_template(&hname)
                    && let (Some(n), Some(first)) = (&handler.name, ctx.hosts.first())
                    && let Ok(Json::String(r)) =
                        self.scope(ctx, first, Some(handler), &[]).render_json(n)
                {
                    return r;
                }
                hname
            })
            .collect()
    }

    /// Takes `host`'s saved notifications to the handlers they reach (by
    /// name: the last handler of that name; by topic: every listener) and,
    /// when
    /// `report`, tells of each handler newly notified there
    /// (`playbook_on_notify`). A flush does this host by host, when the
    /// host reaches it.
    pub(super) fn announce_notifications(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        host: &str,
        names: &[String],
        report: bool,
    ) {
        let saved = match ctx.notified.lock() {
            Ok(mut n) => n.get_mut(host).map(std::mem::take).unwrap_or_default(),
            Err(_) => return,
        };
        if saved.is_empty() {
            return;
        }
        let mut fresh = Vec::new();
        if let Ok(mut pending) = ctx.pending.lock() {
            let set = pending.entry(host.to_string()).or_default();
            for x in saved {
                // The last handler defined with the name wins, as Ansible
                // searches them from the last.
                let by_name = names.iter().rposition(|n| *n == x);
                // Listeners are reported the last defined first, as Ansible
                // searches them.
                let listeners = ctx
                    .play
                    .handlers
                    .iter()
                    .enumerate()
                    .rev()
                    .filter(|(_, h)| h.listen.contains(&x))
                    .map(|(k, _)| k);
                for k in by_name.into_iter().chain(listeners) {
                    // A handler already waiting for the host is not
                    // notified again.
                    if set.insert(k) {
                        fresh.push(k);
                    }
                }
            }
        }
        if report {
            for k in fresh {
                let handler = self.shown_name(ctx, &ctx.play.handlers[k], host, &[]);
                self.bus.emit(Event::Notify {
                    host: host.to_string(),
                    handler,
                });
            }
        }
    }
}

/// `serial`: the batches of hosts the play runs on, one after the other. A
/// number, a percentage, or a list of them (the last repeats).
pub fn batches(
    scope: &Scope,
    serial: Option<&Node>,
    hosts: &[String],
) -> Result<Vec<Vec<String>>, String> {
    let Some(serial) = serial else {
        return Ok(vec![hosts.to_vec()]);
    };
    let value = scope.render_json(serial).map_err(|e| e.to_string())?;
    let steps: Vec<Json> = match value {
        Json::Array(a) => a,
        other => vec![other],
    };
    let n = hosts.len();
    let size = |v: &Json| -> Result<usize, String> {
        let s = match v {
            Json::Number(x) => return Ok(x.as_u64().unwrap_or(0) as usize),
            Json::String(s) => s.trim().to_string(),
            other => other.to_string(),
        };
        crate::playbook::serial::batch_size(&s, n)
    };
    let mut out = Vec::new();
    let mut rest: Vec<String> = hosts.to_vec();
    let mut idx = 0;
    while !rest.is_empty() {
        let step = steps
            .get(idx.min(steps.len().saturating_sub(1)))
            .cloned()
            .unwrap_or(Json::from(0));
        let mut k = size(&step)?;
        if k == 0 {
            k = rest.len();
        }
        let take = k.min(rest.len());
        out.push(rest.drain(..take).collect());
        idx += 1;
    }
    Ok(out)
}

/// Where a `vars_files` name is found, searched as ansible-core's loader
/// does for a play: `vars/NAME` then `NAME` beside the play (no second
/// `vars/` when the name starts with it); a name starting with `/` or `~`
/// is taken as it is.
fn vars_file_path(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    let expanded = crate::template::expanduser(name);
    let absolute = std::path::Path::new(&expanded);
    if absolute.is_absolute() {
        return absolute.exists().then(|| absolute.to_path_buf());
    }
    let mut search = Vec::with_capacity(2);
    if name.split('/').next() != Some("vars") {
        search.push(dir.join("vars").join(name));
    }
    search.push(dir.join(name));
    search.into_iter().find(|p| p.exists())
}
