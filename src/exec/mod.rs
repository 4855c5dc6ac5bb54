// SPDX-License-Identifier: MIT
//! Running validated playbooks: plays in order, each lowered to a plan graph
//! and walked stage by stage; within a stage hosts run concurrently up to the
//! fork limit. A failed or unreachable host leaves the play; the others go on.

mod connect;
mod options;
mod task;

use crate::inventory::Inventory;
use crate::output::{Bus, Event, HostStats};
use crate::plan::PlayPlan;
use crate::playbook::{Inherited, Play, Playbook, Task};
use crate::template::{Templar, json_to_value};
use crate::vars::{HostVarsSource, Layer, MagicVars, Scope, VarValue, layer_from_nodes};
use indexmap::IndexMap;
use minijinja::value::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

pub use options::RunOptions;

/// What a run ended with.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub stats: Vec<(String, HostStats)>,
    /// ansible-playbook's exit code: 0, 2 (a host failed), 4 (unreachable).
    pub exit_code: i32,
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
    inventory: Arc<Inventory>,
    opts: RunOptions,
    extra: Arc<Layer>,
    bus: Arc<Bus>,
    inv_layers: Mutex<HashMap<String, Arc<Vec<Arc<Layer>>>>>,
    hosts: Mutex<HashMap<String, HostState>>,
    conns: connect::Connections,
    stats: Mutex<IndexMap<String, HostStats>>,
    any_unreachable: Mutex<bool>,
    any_failed: Mutex<bool>,
    /// Layers from group_vars/ and host_vars/ next to the playbook.
    playbook_vars: Mutex<Option<crate::inventory::VarsDirs>>,
}

/// What a play shares with each of its host tasks.
struct PlayCtx {
    name: String,
    play_vars: Arc<Layer>,
    hosts: Vec<String>,
    /// Every host the pattern matched, including those already failed.
    all_hosts: Vec<String>,
    inherit: Inherited,
    playbook_dir: String,
}

impl Runner {
    pub fn new(
        templar: Arc<Templar>,
        inventory: Arc<Inventory>,
        opts: RunOptions,
        extra: Layer,
        bus: Arc<Bus>,
    ) -> Arc<Runner> {
        Arc::new(Runner {
            templar,
            inventory,
            opts,
            extra: Arc::new(extra),
            bus,
            inv_layers: Mutex::new(HashMap::new()),
            hosts: Mutex::new(HashMap::new()),
            conns: connect::Connections::default(),
            stats: Mutex::new(IndexMap::new()),
            any_unreachable: Mutex::new(false),
            any_failed: Mutex::new(false),
            playbook_vars: Mutex::new(None),
        })
    }

    /// Runs every play of `pb` in order (call `finish` after the last playbook).
    pub async fn run_playbook(self: &Arc<Self>, pb: &Playbook) {
        self.bus.emit(Event::PlaybookStart {
            path: pb.path.display().to_string(),
        });
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
        match crate::inventory::load_vars_dirs(dir, &self.inventory) {
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
            self.run_play(play, &playbook_dir).await;
        }
    }

    /// The recap and the exit code; also emits the stats event.
    pub fn finish(&self) -> RunOutcome {
        let stats: Vec<(String, HostStats)> = self
            .stats
            .lock()
            .map(|s| {
                let mut v: Vec<(String, HostStats)> =
                    s.iter().map(|(h, st)| (h.clone(), st.clone())).collect();
                // Ansible's recap lists hosts sorted by name.
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            })
            .unwrap_or_default();
        self.bus.emit(Event::Stats(stats.clone()));
        let unreachable = self.any_unreachable.lock().map(|b| *b).unwrap_or(false);
        let failed = self.any_failed.lock().map(|b| *b).unwrap_or(false);
        let exit_code = if unreachable {
            4
        } else if failed {
            2
        } else {
            0
        };
        self.conns.close_all();
        RunOutcome { stats, exit_code }
    }

    fn stat(&self, host: &str, f: impl FnOnce(&mut HostStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(s.entry(host.to_string()).or_default());
        }
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
            .inventory
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
            let name = if k.starts_with("ansible_") {
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
        m.set("group_names", Value::from(self.inventory.group_names(host)));
        let groups: Vec<(String, Value)> = self
            .inventory
            .groups_map()
            .into_iter()
            .map(|(g, hs)| (g, Value::from(hs)))
            .collect();
        m.set("groups", Value::from_pairs(groups));
        let hosts = Value::from(play.hosts.clone());
        m.set("play_hosts", hosts.clone());
        m.set("ansible_play_hosts", hosts.clone());
        m.set("ansible_play_hosts_all", Value::from(play.all_hosts.clone()));
        m.set("ansible_play_batch", hosts);
        m.set("ansible_play_name", Value::from(play.name.as_str()));
        m.set("playbook_dir", Value::from(play.playbook_dir.as_str()));
        m.set("ansible_check_mode", Value::from(self.opts.check));
        m.set("ansible_diff_mode", Value::from(self.opts.diff));
        m.set("ansible_forks", Value::from(self.opts.forks));
        m.set("ansible_verbosity", Value::from(self.opts.verbosity));
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

    /// The variables of `host` in `play`, with `task_vars` when given.
    fn scope(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        host: &str,
        task_vars: Option<Arc<Layer>>,
    ) -> Scope {
        let mut layers: Vec<Arc<Layer>> = self.inventory_layers(host).iter().cloned().collect();
        layers.push(self.facts_layer(host));
        layers.push(play.play_vars.clone());
        if let Some(t) = task_vars {
            layers.push(t);
        }
        layers.push(self.dynamic_layer(host));
        layers.push(self.extra.clone());
        Scope::new(
            self.templar.clone(),
            layers,
            Arc::new(self.magic(play, host)),
        )
    }

    /// A scope without a host, for the play's `hosts` and `name`.
    fn play_scope(&self, play_vars: &Arc<Layer>) -> Scope {
        Scope::new(
            self.templar.clone(),
            vec![play_vars.clone(), self.extra.clone()],
            Arc::new(MagicVars::new(None)),
        )
    }

    async fn run_play(self: &Arc<Self>, play: &Play, playbook_dir: &str) {
        let play_vars = Arc::new(layer_from_nodes(play.vars.iter()));
        let pscope = self.play_scope(&play_vars);
        let pattern = match pscope.render_json(&play.hosts) {
            Ok(serde_json::Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            Ok(serde_json::Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(e) => {
                self.bus.emit(Event::Warning(format!(
                    "cannot template the play's hosts: {e}"
                )));
                String::new()
            }
        };
        let name = match &play.name {
            Some(n) => match pscope.render_json(n) {
                Ok(serde_json::Value::String(s)) => s,
                Ok(other) => other.to_string(),
                Err(_) => n.key_string(),
            },
            None => pattern.clone(),
        };
        let mut hosts = match self.inventory.select(&pattern) {
            Ok(h) => h,
            Err(e) => {
                self.bus.emit(Event::Warning(e.to_string()));
                Vec::new()
            }
        };
        if let Some(limit) = &self.opts.limit {
            match self.inventory.select(limit) {
                Ok(allowed) => hosts.retain(|h| allowed.contains(h)),
                Err(e) => {
                    self.bus.emit(Event::Warning(e.to_string()));
                    hosts.clear();
                }
            }
        }
        let all_hosts = hosts.clone();
        // Hosts that failed or were unreachable in an earlier play stay out.
        hosts.retain(|h| !self.conns.is_dead(h));
        self.bus.emit(Event::PlayStart { name: name.clone() });
        if hosts.is_empty() {
            self.bus.emit(Event::NoHostsMatched);
            return;
        }
        let ctx = Arc::new(PlayCtx {
            name,
            play_vars,
            hosts: hosts.clone(),
            all_hosts,
            inherit: play.inherit.clone(),
            playbook_dir: playbook_dir.to_string(),
        });
        let tasks: Vec<Arc<Task>> = play.tasks.iter().cloned().map(Arc::new).collect();
        let plan = PlayPlan::linear(hosts.len(), tasks.len());
        let forks = Arc::new(Semaphore::new(self.opts.forks.max(1)));
        let mut alive: Vec<bool> = vec![true; hosts.len()];
        for stage in 0..plan.stages.len() {
            let runs: Vec<(usize, usize)> = plan.runs(stage).filter(|(h, _)| alive[*h]).collect();
            if runs.is_empty() {
                if alive.iter().all(|a| !a) {
                    self.bus.emit(Event::NoMoreHosts);
                }
                break;
            }
            let t = runs[0].1;
            let task = tasks[t].clone();
            self.bus.emit(Event::TaskStart {
                name: task.display_name(),
                action: task.action.clone(),
            });
            let mut set = tokio::task::JoinSet::new();
            for (h, _) in runs {
                let runner = self.clone();
                let ctx = ctx.clone();
                let task = task.clone();
                let host = hosts[h].clone();
                let forks = forks.clone();
                set.spawn(async move {
                    let _permit = forks.acquire_owned().await;
                    let ok = runner.run_task_on_host(&ctx, &task, &host).await;
                    (h, ok)
                });
            }
            while let Some(joined) = set.join_next().await {
                if let Ok((h, keep_going)) = joined {
                    alive[h] = keep_going;
                }
            }
        }
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
            .inventory
            .hosts()
            .map(|h| h.name.clone())
            .collect()
    }

    fn scope_for(&self, host: &str) -> Option<Scope> {
        self.runner.inventory.host(host)?;
        Some(self.runner.scope(&self.play, host, None))
    }
}
