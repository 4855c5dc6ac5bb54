// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Running validated playbooks: plays in order; within a task hosts run
//! concurrently up to the fork limit. A failed or unreachable host leaves
//! the play; the others go on.
//!
//! # The scheduler and the plan graph (issue 8)
//!
//! The run walks a plan graph of the same kind `--plan` prints
//! ([`crate::plan::Plan`]: a node per (host, task) and barrier nodes), held
//! in `graph::Walk`. Two parts share the work:
//!
//! - **The cursors** (cursor.rs) are each host's state machine over the task
//!   tree: blocks, rescue and always, included files, `end_role`. Only they
//!   know a host's next task, because it depends on what the host ran
//!   (`when`, a failure that goes to `rescue`, a dynamic include or loop).
//! - **The graph** decides when a node may run. Each task a cursor reveals
//!   is appended as a run node after its host's last node (no rescan: the
//!   cost is the nodes added, as with `Plan::expand`); under `linear` a
//!   barrier follows that every live host of the batch waits on (`Task`,
//!   `RunOnce`, or `FailCheck` where `any_errors_fatal` /
//!   `max_fail_percentage` are checked); `free` and `host_pinned` only
//!   grow each host's chain. The play adds `Handlers` barriers at section
//!   ends, `Batch` at serial batch ends and `Play` at its end, where the
//!   next batch or play hangs. A node is dispatched from the ready set
//!   (everything before it done) in inventory order under the fork limit;
//!   finishing a node releases what waits on it, and a barrier whose
//!   predecessors are all done is passed at once. A failed or unreachable
//!   host is pruned: no later barrier waits on it and no node is added
//!   for it.
//!
//! One loop runs a section under every strategy (section.rs): each idle
//! host's cursor gives its next task, the strategy picks what may start
//! (under `linear` the hosts whose next task has the smallest key, once
//! nothing is in flight; under `free` every idle host; under `host_pinned`
//! every idle host holding a fork slot), and `run_group`, the one dispatch
//! point for tasks and handlers, grows the graph and dispatches from its
//! ready set. The run ends with the walked graph and when
//! each node started and finished ([`RunOutcome::walked`]); tests check per
//! construct that the barriers are those the lowering places and that no
//! node started before what it hangs on had finished (walk_tests.rs).
//!
//! What is left is listed in docs/scheduler-graph.md.

mod connect;
mod cursor;
mod free;
mod graph;
mod include_vars;
mod interrupt;
mod options;
mod play;
mod prepare;
mod role_runs;
mod role_vars;
mod section;
mod step;
mod tags;
mod task;
#[cfg(test)]
mod walk_tests;
mod with_lookup;

use crate::inventory::Inventory;
use crate::output::{Bus, Event, HostStats};
use crate::playbook::{Play, Playbook, Task};
use crate::template::{Templar, json_to_value};
use crate::vars::{HostVarsSource, Layer, MagicVars, Scope, VarValue, layer_from_nodes};
use indexmap::IndexMap;
use minijinja::value::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use connect::CONNECT_SETUP_LIMIT;
pub use graph::{PreparedRecord, Walked};
pub use interrupt::{EXIT_INTERRUPTED, Interrupt};
pub use options::{Connector, OpenFn, Reloader, RunOptions};
pub use play::batches as serial_batches;
pub use tags::selected as tags_selected;

/// What a run ended with.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub stats: Vec<(String, HostStats)>,
    /// ansible-playbook's exit code: 0, 2 (a host failed), 4 (unreachable),
    /// 99 (interrupted by Ctrl-C).
    pub exit_code: i32,
    /// The signal that stopped the run early, if one did.
    pub interrupted: Option<i32>,
    /// The plan graph the run walked, with when each node ran.
    pub walked: Walked,
    /// An error that stopped the whole run where ansible-playbook stops
    /// with an exception (exit code 250, no recap): printed by the caller.
    pub error: Option<String>,
}

/// Per-host state that lives across plays.
#[derive(Default)]
struct HostState {
    /// set_fact and registered variables (Ansible's "set_facts / registered vars" level).
    dynamic: Arc<Layer>,
    /// Facts (`ansible_facts`).
    facts: serde_json::Map<String, serde_json::Value>,
}

/// One run of one or more playbooks.
pub struct Runner {
    templar: Arc<Templar>,
    /// The run's inventory; `add_host` and `group_by` replace it (copy on
    /// write: readers keep the version they took).
    inventory: std::sync::RwLock<Arc<Inventory>>,
    opts: RunOptions,
    extra: Arc<Layer>,
    bus: Arc<Bus>,
    inv_layers: Mutex<HashMap<String, Arc<Vec<Arc<Layer>>>>>,
    hosts: Mutex<HashMap<String, HostState>>,
    conns: connect::Connections,
    stats: Mutex<IndexMap<String, HostStats>>,
    /// What `set_stats` set (the recap's CUSTOM STATS).
    custom: Mutex<crate::modules::set_stats::CustomStats>,
    any_unreachable: Mutex<bool>,
    any_failed: Mutex<bool>,
    /// `--start-at-task` found its task: everything from here on runs.
    started: std::sync::atomic::AtomicBool,
    /// "Not prompting" was said (once per run, as Ansible's display does).
    prompt_warned: std::sync::atomic::AtomicBool,
    /// The add_host and group_by changes made so far, applied again after
    /// `meta: refresh_inventory` rereads the sources (as Ansible does).
    dynamic: Mutex<Vec<InventoryChange>>,
    /// `--step` still asks before each task (`c` stops it).
    step_on: std::sync::atomic::AtomicBool,
    /// `--step` found no more answers on stdin: the run stops.
    step_aborted: std::sync::atomic::AtomicBool,
    /// What stopped the run as an exception stops ansible-playbook.
    /// The exit code and message (250 for an exception; 5 for an options
    /// error such as an invalid `order`).
    crashed: Mutex<Option<(i32, String)>>,
    /// Layers from group_vars/ and host_vars/ next to the playbook.
    playbook_vars: Mutex<Option<crate::inventory::VarsDirs>>,
    /// Ctrl-C / SIGTERM: set by the binary's signal listener.
    interrupt: Arc<Interrupt>,
    /// The plan graph, built and walked as the run goes.
    walk: Mutex<graph::Walk>,
    /// The run's `poll: 0` jobs.
    jobs: Arc<crate::modules::async_job::Jobs>,
    /// Controller files read ahead of the barriers (prepare.rs).
    files: Arc<crate::modules::read_ahead::ReadAhead>,
    /// Arguments templated ahead of the barriers (prepare.rs).
    prepared: prepare::Prepared,
}

/// One add_host or group_by change to the inventory.
type InventoryChange = Arc<dyn Fn(&mut Inventory) -> Result<bool, String> + Send + Sync>;

/// What a play shares with each of its host tasks.
struct PlayCtx {
    name: String,
    /// The play's strategy (`linear`, `free`, `host_pinned`).
    strategy: free::Strategy,
    play: Play,
    play_vars: Arc<Layer>,
    /// Defaults of every role of the play (lowest precedence).
    role_defaults: Arc<Layer>,
    /// Vars of every role of the play (visible play-wide, as Ansible does
    /// unless role vars are private).
    role_vars: Arc<Layer>,
    /// Each host's `vars_files`, loaded when the play starts.
    vars_files: Mutex<HashMap<String, Arc<Layer>>>,
    hosts: Vec<String>,
    /// Every host the pattern matched, including those already failed.
    all_hosts: Vec<String>,
    /// The play's host pattern, as templated.
    pattern: String,
    /// What the pattern matches after `meta: refresh_inventory`: Ansible
    /// computes `ansible_play_hosts_all` and `ansible_play_hosts` again
    /// (the batch stays as it was).
    refreshed_hosts: std::sync::RwLock<Option<Vec<String>>>,
    playbook_dir: String,
    /// Handlers notified per host, not yet run.
    notified: Mutex<HashMap<String, Vec<String>>>,
    /// The handlers (by index) those notifications reached, per host,
    /// waiting for the flush that runs them.
    pending: Mutex<HashMap<String, std::collections::BTreeSet<usize>>>,
    /// Tasks passed over by `--start-at-task` (by address).
    skip_before: std::collections::HashSet<usize>,
    /// `--start-at-task` names a task of a later play.
    skip_all: bool,
    /// `max_fail_percentage` of the play.
    max_fail: Option<f64>,
    /// any_errors_fatal or max_fail_percentage stopped the play.
    aborted: std::sync::atomic::AtomicBool,
    /// The host lists every host's magic variables share, built once: each
    /// is as long as the inventory, so building them per host-task made a
    /// play's controller time grow with the square of its hosts.
    /// Dropped when `add_host`/`group_by` change the inventory.
    shared_magic: std::sync::RwLock<Option<Arc<SharedMagic>>>,
    /// Roles `include_role` added to the play so far.
    included_roles: role_vars::IncludedRoles,
    /// Which use of each role ran on each host.
    role_runs: role_runs::RoleRuns,
}

/// Magic variables that are the same for every host of a play.
struct SharedMagic {
    groups: Value,
    play_hosts: Value,
    play_hosts_all: Value,
    play_batch: Value,
    /// `Connections::dead_changes` when built: the lists leave out the
    /// hosts that failed or were unreachable in the play, as Ansible's do,
    /// so a host failing makes them stale.
    dead_changes: u64,
}

impl Runner {
    pub fn new(
        templar: Arc<Templar>,
        inventory: Arc<Inventory>,
        opts: RunOptions,
        extra: Layer,
        bus: Arc<Bus>,
        interrupt: Arc<Interrupt>,
    ) -> Arc<Runner> {
        Arc::new(Runner {
            conns: connect::Connections::new(opts.connect_forks),
            interrupt,
            templar,
            inventory: std::sync::RwLock::new(inventory),
            step_on: std::sync::atomic::AtomicBool::new(opts.step),
            step_aborted: std::sync::atomic::AtomicBool::new(false),
            crashed: Mutex::new(None),
            opts,
            extra: Arc::new(extra),
            bus,
            inv_layers: Mutex::new(HashMap::new()),
            hosts: Mutex::new(HashMap::new()),
            stats: Mutex::new(IndexMap::new()),
            custom: Mutex::default(),
            any_unreachable: Mutex::new(false),
            any_failed: Mutex::new(false),
            playbook_vars: Mutex::new(None),
            started: std::sync::atomic::AtomicBool::new(false),
            prompt_warned: std::sync::atomic::AtomicBool::new(false),
            dynamic: Mutex::new(Vec::new()),
            walk: Mutex::default(),
            jobs: Arc::default(),
            files: Arc::default(),
            prepared: prepare::Prepared::default(),
        })
    }

    /// Runs every play of `pb` in order (call `finish` after the last playbook).
    pub async fn run_playbook(self: &Arc<Self>, pb: &Playbook) {
        self.bus.emit(Event::PlaybookStart {
            path: pb.path.display().to_string(),
        });
        if self.opts.verbosity > 1 {
            self.bus.emit(Event::Verbose(format!(
                "{} plays in {}",
                pb.plays.len(),
                pb.path.display()
            )));
        }
        let dir = pb
            .path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    std::path::Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(std::path::Path::new("."));
        match crate::inventory::load_vars_dirs(dir, &self.inventory()) {
            Ok(v) => {
                if let Ok(mut slot) = self.playbook_vars.lock() {
                    *slot = Some(v);
                }
                if let Ok(mut l) = self.inv_layers.lock() {
                    l.clear();
                }
            }
            Err(e) => self.bus.emit(Event::Warning(e.to_string())),
        }
        let playbook_dir = std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .display()
            .to_string();
        for play in &pb.plays {
            if self.run_play(play, &playbook_dir).await
                || self.interrupt.stopping()
                || self.step_aborted()
                || self.crashed().is_some()
            {
                break;
            }
        }
    }

    /// Waits for the modules still running for `poll: 0` tasks, or stops
    /// them (`stop`: the run is interrupted); before the sessions they use
    /// are closed.
    pub async fn settle_jobs(&self, stop: bool) {
        self.jobs.settle(stop).await;
    }

    /// Closes the hosts' sessions (see `Connections::close_all`); after
    /// `finish`, before the process exits.
    pub async fn close_connections(&self) {
        self.conns.close_all().await;
    }

    /// The error that stopped the run as an exception, if one did.
    fn crashed(&self) -> Option<(i32, String)> {
        self.crashed.lock().ok().and_then(|c| c.clone())
    }

    /// Stops the run where ansible-playbook stops with an exception: the
    /// plays left do not run and there is no recap.
    fn crash(&self, msg: String) {
        self.crash_with(250, msg);
    }

    /// As `crash`, with ansible-playbook's exit code for the error's kind.
    fn crash_with(&self, code: i32, msg: String) {
        if let Ok(mut c) = self.crashed.lock() {
            c.get_or_insert((code, msg));
        }
    }

    /// The recap and the exit code; also emits the stats event.
    pub fn finish(&self) -> RunOutcome {
        let mut walked = self.walk.lock().map(|mut w| w.take()).unwrap_or_default();
        walked.files = self.files.counts();
        walked.files_held = self.files.held();
        if let Some((code, error)) = self.crashed() {
            return RunOutcome {
                stats: Vec::new(),
                exit_code: code,
                interrupted: self.interrupt.signal(),
                walked,
                error: Some(error),
            };
        }
        let stats: Vec<(String, HostStats)> = self
            .stats
            .lock()
            .map(|s| {
                // A host with nothing counted (it ran only meta tasks, as a
                // host ended by end_host before any result) is not in
                // Ansible's recap.
                let mut v: Vec<(String, HostStats)> = s
                    .iter()
                    .filter(|(_, st)| {
                        st.ok
                            + st.changed
                            + st.unreachable
                            + st.failed
                            + st.skipped
                            + st.rescued
                            + st.ignored
                            > 0
                    })
                    .map(|(h, st)| (h.clone(), st.clone()))
                    .collect();
                // Ansible's recap lists hosts sorted by name.
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            })
            .unwrap_or_default();
        let custom = self.custom.lock().map(|c| c.0.clone()).unwrap_or_default();
        if !custom.is_empty() {
            self.bus.emit(Event::CustomStats(custom));
        }
        self.bus.emit(Event::Stats(stats.clone()));
        let unreachable = self.any_unreachable.lock().map(|b| *b).unwrap_or(false);
        let failed = self.any_failed.lock().map(|b| *b).unwrap_or(false);
        let interrupted = self.interrupt.signal();
        let exit_code = if let Some(code) = self.interrupt.exit_code() {
            code
        } else if self.step_aborted() {
            250
        } else if unreachable {
            4
        } else if failed {
            2
        } else {
            0
        };
        RunOutcome {
            stats,
            exit_code,
            interrupted,
            walked,
            error: None,
        }
    }

    /// Adds what a `set_stats` result (or each of its loop items) sets to
    /// the run's custom stats: per-host stats for `host`, run-wide ones
    /// once (not again for `run_once` copies of the result).
    fn custom_stats(
        &self,
        host: &str,
        result: &serde_json::Map<String, serde_json::Value>,
        copy: bool,
    ) {
        use crate::modules::set_stats::Stats;
        let items: Vec<Option<&serde_json::Value>> =
            match result.get("results").and_then(serde_json::Value::as_array) {
                Some(items) => items.iter().map(|r| r.get("ansible_stats")).collect(),
                None => vec![result.get("ansible_stats")],
            };
        let Ok(mut custom) = self.custom.lock() else {
            return;
        };
        for r in items {
            let Some(s) = r.and_then(Stats::from_json) else {
                continue;
            };
            if s.per_host {
                custom.add(host, &s);
            } else if !copy {
                custom.add("_run", &s);
            }
        }
    }

    /// A failed or unreachable host leaves the play: its connection is
    /// marked dead and the graph prunes it (no later barrier waits on it).
    fn mark_dead(&self, host: &str) {
        self.conns.mark_dead(host);
        self.with_walk(|w| w.prune(host));
        // The play's host lists (ansible_play_hosts...) changed.
        self.prepared.vars_changed();
    }

    /// Works on the run's graph (a poisoned lock still holds a usable one).
    fn with_walk<T>(&self, f: impl FnOnce(&mut graph::Walk) -> T) -> T {
        match self.walk.lock() {
            Ok(mut w) => f(&mut w),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    fn stat(&self, host: &str, f: impl FnOnce(&mut HostStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(s.entry(host.to_string()).or_default());
        }
    }

    /// The inventory as it is now.
    fn inventory(&self) -> Arc<Inventory> {
        match self.inventory.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Changes the inventory (`add_host`, `group_by`); every cache built
    /// from it is dropped.
    fn change_inventory<T>(
        &self,
        play: &PlayCtx,
        f: impl FnOnce(&mut Inventory) -> Result<T, String>,
    ) -> Result<T, String> {
        let out = {
            let mut guard = self
                .inventory
                .write()
                .map_err(|_| "the inventory is unavailable".to_string())?;
            f(Arc::make_mut(&mut guard))?
        };
        if let Ok(mut l) = self.inv_layers.lock() {
            l.clear();
        }
        if let Ok(mut s) = play.shared_magic.write() {
            *s = None;
        }
        self.prepared.vars_changed();
        Ok(out)
    }

    /// A change made by add_host or group_by: made now and kept, to be
    /// made again on a refreshed inventory.
    fn change_inventory_kept(&self, play: &PlayCtx, f: InventoryChange) -> Result<bool, String> {
        let out = self.change_inventory(play, |inv| f(inv))?;
        if let Ok(mut d) = self.dynamic.lock() {
            d.push(f);
        }
        Ok(out)
    }

    /// `meta: refresh_inventory`: the sources are read again (a script
    /// runs again, a file is reread), the run's add_host and group_by
    /// changes made again on top, and every cache of the old one dropped.
    fn refresh_inventory(&self, play: &PlayCtx) -> Result<(), String> {
        let Some(reload) = &self.opts.inventory_reload else {
            return Ok(());
        };
        let mut fresh = (reload.0)()?;
        let changes: Vec<InventoryChange> =
            self.dynamic.lock().map(|d| d.clone()).unwrap_or_default();
        for f in &changes {
            f(&mut fresh)?;
        }
        self.change_inventory(play, |inv| {
            *inv = fresh;
            Ok(())
        })?;
        // The play's pattern matched again (without --limit, as Ansible's
        // ansible_play_hosts_all ignores restrictions).
        let all = self.inventory().select(&play.pattern).unwrap_or_default();
        if let Ok(mut r) = play.refreshed_hosts.write() {
            *r = Some(all);
        }
        if let Ok(mut s) = play.shared_magic.write() {
            *s = None;
        }
        Ok(())
    }

    /// Inventory and group_vars/host_vars layers of a host, lowest first.
    fn inventory_layers(&self, host: &str) -> Arc<Vec<Arc<Layer>>> {
        if let Some(l) = self
            .inv_layers
            .lock()
            .ok()
            .and_then(|m| m.get(host).cloned())
        {
            return l;
        }
        let pb = self.playbook_vars.lock().ok().and_then(|v| v.clone());
        let dirs: Vec<&crate::inventory::VarsDirs> = pb.iter().collect();
        let layers: Vec<Arc<Layer>> = self
            .inventory()
            .host_vars_layers_with(host, &dirs)
            .iter()
            .map(|l| Arc::new(layer_from_nodes(l.vars.iter())))
            .collect();
        let layers = Arc::new(layers);
        if let Ok(mut m) = self.inv_layers.lock() {
            m.insert(host.to_string(), layers.clone());
        }
        layers
    }

    fn dynamic_layer(&self, host: &str) -> Arc<Layer> {
        self.hosts
            .lock()
            .ok()
            .and_then(|h| h.get(host).map(|s| s.dynamic.clone()))
            .unwrap_or_default()
    }

    fn facts_layer(&self, host: &str) -> Arc<Layer> {
        let facts = self
            .hosts
            .lock()
            .ok()
            .and_then(|h| h.get(host).map(|s| s.facts.clone()))
            .unwrap_or_default();
        let mut layer = Layer::new();
        // Facts are visible as ansible_facts and as top-level ansible_* names.
        for (k, v) in &facts {
            // Facts are injected as top-level `ansible_*` variables, except
            // the few Ansible injects under their own names.
            if k.starts_with("_ansible") {
                continue;
            }
            let name = if k.starts_with("ansible_")
                || matches!(k.as_str(), "gather_subset" | "module_setup")
            {
                k.clone()
            } else {
                format!("ansible_{k}")
            };
            layer.insert(name, VarValue::Data(v.clone()));
        }
        layer.insert(
            "ansible_facts".into(),
            VarValue::Data(serde_json::Value::Object(facts)),
        );
        Arc::new(layer)
    }

    /// Adds set_fact results and registered values to a host's variables.
    fn set_host_vars(
        &self,
        host: &str,
        vars: impl IntoIterator<Item = (String, serde_json::Value)>,
    ) {
        if let Ok(mut hs) = self.hosts.lock() {
            let st = hs.entry(host.to_string()).or_default();
            let mut layer = (*st.dynamic).clone();
            for (k, v) in vars {
                layer.insert(k, VarValue::Data(v));
            }
            st.dynamic = Arc::new(layer);
        }
        self.prepared.vars_changed();
    }

    fn magic(self: &Arc<Self>, play: &Arc<PlayCtx>, host: &str) -> MagicVars {
        let source: Arc<dyn HostVarsSource> = Arc::new(HostVarsView {
            runner: self.clone(),
            play: play.clone(),
        });
        let mut m = MagicVars::new(Some(source));
        m.set("inventory_hostname", Value::from(host));
        m.set(
            "inventory_hostname_short",
            Value::from(host.split('.').next().unwrap_or(host)),
        );
        m.set(
            "group_names",
            Value::from(self.inventory().group_names(host)),
        );
        // Values are reference-counted: these clones copy no host list.
        let dead_changes = self.conns.dead_changes();
        let cached = play
            .shared_magic
            .read()
            .ok()
            .and_then(|s| s.clone())
            .filter(|s| s.dead_changes == dead_changes);
        let shared = match cached {
            Some(s) => s,
            None => {
                let live = |hosts: &[String]| {
                    Value::from(
                        hosts
                            .iter()
                            .filter(|h| !self.conns.is_dead(h) && !self.conns.left_play(h))
                            .cloned()
                            .collect::<Vec<_>>(),
                    )
                };
                let refreshed = play.refreshed_hosts.read().ok().and_then(|r| r.clone());
                let built = Arc::new(SharedMagic {
                    groups: Value::from_pairs(
                        self.inventory()
                            .groups_map()
                            .into_iter()
                            .map(|(g, hs)| (g, Value::from(hs)))
                            .collect::<Vec<(String, Value)>>(),
                    ),
                    play_hosts: live(refreshed.as_deref().unwrap_or(&play.hosts)),
                    play_hosts_all: Value::from(
                        refreshed.clone().unwrap_or_else(|| play.all_hosts.clone()),
                    ),
                    play_batch: live(&play.hosts),
                    dead_changes,
                });
                if let Ok(mut slot) = play.shared_magic.write() {
                    *slot = Some(built.clone());
                }
                built
            }
        };
        m.set("groups", shared.groups.clone());
        m.set("play_hosts", shared.play_batch.clone());
        m.set("ansible_play_hosts", shared.play_hosts.clone());
        m.set("ansible_play_hosts_all", shared.play_hosts_all.clone());
        m.set("ansible_play_batch", shared.play_batch.clone());
        m.set("ansible_play_name", Value::from(play.name.as_str()));
        m.set("playbook_dir", Value::from(play.playbook_dir.as_str()));
        m.set("ansible_check_mode", Value::from(self.opts.check));
        m.set("ansible_diff_mode", Value::from(self.opts.diff));
        m.set("ansible_forks", Value::from(self.opts.forks));
        m.set("ansible_verbosity", Value::from(self.opts.verbosity));
        // Ansible's option variables: the -l and -i as given (paths made
        // absolute), present only when the option is.
        if let Some(limit) = &self.opts.limit {
            m.set("ansible_limit", Value::from(limit.as_str()));
        }
        let inventory = self.inventory();
        let sources = inventory.inventory_sources();
        if !sources.is_empty() {
            m.set("ansible_inventory_sources", Value::from(sources.to_vec()));
        }
        let run_tags = if self.opts.tags.is_empty() {
            vec!["all".to_string()]
        } else {
            self.opts.tags.clone()
        };
        m.set("ansible_run_tags", Value::from(run_tags));
        m.set(
            "ansible_skip_tags",
            Value::from(self.opts.skip_tags.clone()),
        );
        m.set(
            "ansible_version",
            json_to_value(&serde_json::json!({
                "full": "2.21.0", "major": 2, "minor": 21, "revision": 0, "string": "2.21.0"
            })),
        );
        if let Some(cfg) = &self.opts.config_file {
            m.set(
                "ansible_config_file",
                Value::from(cfg.display().to_string()),
            );
        }
        m
    }

    /// The variables of `host` in `play` for `task` (when given), in
    /// Ansible's precedence order, lowest first.
    fn scope(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        host: &str,
        task: Option<&Task>,
        frame_vars: &[Arc<Layer>],
    ) -> Scope {
        let mut layers: Vec<Arc<Layer>> = vec![play.role_defaults.clone()];
        if let Some(r) = task.and_then(|t| t.role.as_ref()) {
            layers.push(Arc::new(layer_from_nodes(r.defaults.iter())));
        }
        layers.extend(self.inventory_layers(host).iter().cloned());
        layers.push(self.facts_layer(host));
        layers.push(play.play_vars.clone());
        if let Some(vf) = play
            .vars_files
            .lock()
            .ok()
            .and_then(|m| m.get(host).cloned())
        {
            layers.push(vf);
        }
        layers.push(play.role_vars.clone());
        if let Some(t) = task {
            if let Some(r) = &t.role {
                layers.push(Arc::new(layer_from_nodes(r.vars.iter())));
            }
            if !t.inherit.vars.is_empty() || !t.vars.is_empty() {
                layers.push(Arc::new(layer_from_nodes(
                    t.inherit.vars.iter().chain(&t.vars),
                )));
            }
        }
        layers.push(self.dynamic_layer(host));
        if let Some(r) = task.and_then(|t| t.role.as_ref())
            && !r.params.is_empty()
        {
            layers.push(Arc::new(layer_from_nodes(r.params.iter())));
        }
        layers.extend(frame_vars.iter().cloned());
        layers.push(self.extra.clone());
        let mut magic = self.magic(play, host);
        role_vars::set(&mut magic, play, task);
        if let Some(t) = task {
            magic.set(
                "ansible_search_path",
                Value::from(search_path(t, &play.playbook_dir)),
            );
        }
        Scope::new(self.templar.clone(), layers, Arc::new(magic))
    }

    /// Whether `--tags`/`--skip-tags`/`--start-at-task` let `task` run.
    /// A repeated use of a role that ran on `host` already is passed over
    /// there too.
    fn task_selected(&self, play: &PlayCtx, task: &Arc<Task>, host: &str) -> bool {
        if play.skip_all
            || play.skip_before.contains(&(Arc::as_ptr(task) as usize))
            || play.role_runs.passed_over(host, task)
        {
            return false;
        }
        tags::selected(&task.inherit.tags, &self.opts.tags, &self.opts.skip_tags)
    }

    /// `--start-at-task`: the tasks of `play` to pass over, or all of them
    /// when the task is in a later play.
    fn start_at(&self, play: &Play) -> (std::collections::HashSet<usize>, bool) {
        use std::sync::atomic::Ordering;
        let mut skip = std::collections::HashSet::new();
        let Some(start) = &self.opts.start_at_task else {
            return (skip, false);
        };
        if self.started.load(Ordering::SeqCst) {
            return (skip, false);
        }
        for t in play.all_tasks() {
            let plain = t
                .name
                .as_ref()
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_string();
            if tags::name_matches(start, &t.display_name()) || tags::name_matches(start, &plain) {
                self.started.store(true, Ordering::SeqCst);
                return (skip, false);
            }
            skip.insert(Arc::as_ptr(&t) as usize);
        }
        (skip, true)
    }

    /// A scope without a host, for the play's `hosts` and `name`.
    fn play_scope(&self, play_vars: &Arc<Layer>) -> Scope {
        Scope::new(
            self.templar.clone(),
            vec![play_vars.clone(), self.extra.clone()],
            Arc::new(MagicVars::new(None)),
        )
    }
}

/// `hostvars` for one play: any host's variables, built when read.
struct HostVarsView {
    runner: Arc<Runner>,
    play: Arc<PlayCtx>,
}

impl HostVarsSource for HostVarsView {
    fn host_names(&self) -> Vec<String> {
        self.runner
            .inventory()
            .hosts()
            .map(|h| h.name.clone())
            .collect()
    }

    fn scope_for(&self, host: &str) -> Option<Scope> {
        self.runner.inventory().resolve_host(host)?;
        Some(self.runner.scope(&self.play, host, None, &[]))
    }
}

/// Ansible's `ansible_search_path` for a task: its role's directory and
/// those of the roles above it (nearest first, as Ansible reverses its
/// dependency chain, repeats kept), then the directory of the file the task
/// is in and the playbook's directory, each only if not listed yet.
/// Relative paths of lookups and of the template module are searched there
/// (each directory's `files/` or `templates/` first).
fn search_path(task: &Task, playbook_dir: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(r) = &task.role {
        out.push(r.path.display().to_string());
        out.extend(r.chain.iter().rev().cloned());
    }
    for d in [task.dir.display().to_string(), playbook_dir.to_string()] {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}
