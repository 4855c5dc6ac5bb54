// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Controller work done ahead of a linear barrier: while a task runs on
//! the hosts, each host's next task has its `when` conditions evaluated and
//! (when they hold) its module arguments templated and checked, so that when the barrier is passed the host's next step costs
//! the round trip alone, not the round trip plus the controller's time.
//!
//! Why it is safe: the next task is the one the host's cursor gives if
//! the running task succeeds without changing the task tree (a cursor
//! clone, advanced); anything else (a failure that goes to `rescue`, an
//! include) runs another task, and a prepared entry is only used for the
//! very task (and include frame) it was made for. Every write to what a
//! template can read (host variables, facts, the inventory, which hosts
//! are still in the play) bumps a run-wide generation; an entry made at an
//! older generation is dropped and the arguments are templated again.
//! Templates that read the controller's files or run commands (`lookup`,
//! `query`) are never prepared: the running task may be writing those
//! files (`fetch`, `local_action`). The one controller file a module reads
//! whole (`copy`'s and `template`'s `src`) is read ahead into
//! `modules::read_ahead`, which checks the file's stamp at use.

use super::cursor::Next;
use super::{PlayCtx, Runner};
use crate::modules;
use crate::playbook::Task;
use crate::vars::Layer;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What was worked out ahead for one host's next task.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ahead {
    /// The index (in `Task::all_when` order) of the first condition that
    /// was false: the task is skipped and its arguments were not templated
    /// (Ansible templates no argument of a skipped task).
    pub false_at: Option<usize>,
    /// What the conditions warned while they were worked out (Ansible
    /// prints a `when` warning before the arguments' ones).
    pub when_warnings: Vec<String>,
    /// The templated arguments and what templating them warned, when
    /// every condition held.
    pub args: Option<super::task::Templated>,
}

/// One host's prepared task.
struct Entry {
    task: Arc<Task>,
    frames: Vec<Arc<Layer>>,
    generation: u64,
    ahead: Ahead,
    /// Its record in the walk (to mark it used).
    record: usize,
}

/// How many prepared entries a host keeps: the task just dispatched may
/// not have taken its own yet when the one after it is prepared.
const PER_HOST: usize = 2;

/// The prepared arguments of the run, at most [`PER_HOST`] per host (an
/// entry whose task never ran, because the host went elsewhere, is pushed
/// out by later ones).
#[derive(Default)]
pub(super) struct Prepared {
    entries: Mutex<HashMap<String, Vec<Entry>>>,
    generation: AtomicU64,
}

impl Prepared {
    /// Something a template can read changed: every entry made before is
    /// stale. Callers bump after the write, so that an entry whose
    /// generation was read before it cannot hold the old value unnoticed.
    pub(super) fn vars_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

/// Whether a task's conditions and arguments may be worked out ahead: a
/// plain module call (no loop, no `until`, not an include or meta) whose
/// templates (arguments and `when`) read no controller file or command.
fn preparable(task: &Task) -> bool {
    task.loop_.is_none()
        && task.until.is_empty()
        && task.action != "meta"
        && !task.action.starts_with("include_")
        && !task.action.starts_with("import_")
        && modules::lookup(&task.action).is_some()
        && !task
            .args
            .iter()
            .any(|(_, v)| reads_controller(&v.to_json()))
        && !task.all_when().any(|c| reads_controller(&c.to_json()))
}

fn reads_controller(v: &Json) -> bool {
    match v {
        Json::String(s) => s.contains("lookup") || s.contains("query") || s.contains("q("),
        Json::Array(a) => a.iter().any(reads_controller),
        Json::Object(m) => m.values().any(reads_controller),
        _ => false,
    }
}

/// Whether the running task may change what the next one's templates
/// read: preparing behind it would be wasted (the generation check would
/// drop the entry anyway).
pub(super) fn writes_vars(task: &Task) -> bool {
    task.register.is_some()
        || task.action == "meta"
        || task.action.starts_with("include_")
        || task.action.starts_with("import_")
        || matches!(
            modules::canonical(&task.action),
            "set_fact" | "include_vars" | "add_host" | "group_by" | "set_stats" | "setup"
        )
}

impl Runner {
    /// Evaluates `next`'s conditions for `host` now, ahead of the barrier,
    /// and templates its arguments when they hold.
    pub(super) fn prepare(self: &Arc<Self>, ctx: &Arc<PlayCtx>, host: &str, next: &Next) {
        let task = &next.task;
        if !preparable(task) {
            return;
        }
        let Some(module) = modules::lookup(&task.action) else {
            return;
        };
        let generation = self.prepared.generation.load(Ordering::SeqCst);
        let scope = self.scope(ctx, host, Some(task), &next.vars);
        let mut false_at = None;
        let mut when_warnings = Vec::new();
        for (k, cond) in task.all_when().enumerate() {
            let (held, said) = crate::template::capture_warnings(|| scope.condition(cond));
            when_warnings.extend(said);
            match held {
                Ok(true) => {}
                Ok(false) => {
                    false_at = Some(k);
                    break;
                }
                // The task reports its own error when it runs.
                Err(_) => return,
            }
        }
        let args = match false_at {
            Some(_) => None,
            None => match crate::template::capture_warnings(|| {
                super::task::template_args(task, module.spec(), &scope)
            }) {
                (Ok(a), said) => Some((a, said)),
                (Err(_), _) => return,
            },
        };
        // The file the module will read whole (raw bytes only: a vault is
        // decrypted at use), found by the module's own search.
        if let Some((a, _)) = &args
            && let Some(path) = module.controller_file(&modules::playbook_dir_of(&scope), a)
        {
            self.files.load(std::path::Path::new(&path));
        }
        let ahead = Ahead {
            false_at,
            when_warnings,
            args,
        };
        let record = self.with_walk(|w| w.prepared(host, &task.display_name(), false_at.is_some()));
        if let Ok(mut e) = self.prepared.entries.lock() {
            let list = e.entry(host.to_string()).or_default();
            list.retain(|x| !Arc::ptr_eq(&x.task, task));
            if list.len() >= PER_HOST {
                list.remove(0);
            }
            list.push(Entry {
                task: task.clone(),
                frames: next.vars.clone(),
                generation,
                ahead,
                record,
            });
        }
    }

    /// What was worked out for `task` on `host` in this include frame, if
    /// nothing it was computed from has changed since; the entry is taken
    /// either way.
    pub(super) fn take_prepared(
        &self,
        host: &str,
        task: &Task,
        frames: &[Arc<Layer>],
    ) -> Option<Ahead> {
        let entry = {
            let mut entries = self.prepared.entries.lock().ok()?;
            let list = entries.get_mut(host)?;
            let k = list
                .iter()
                .position(|x| std::ptr::eq(x.task.as_ref(), task))?;
            list.remove(k)
        };
        let same = entry.frames.len() == frames.len()
            && entry
                .frames
                .iter()
                .zip(frames)
                .all(|(a, b)| Arc::ptr_eq(a, b))
            && entry.generation == self.prepared.generation.load(Ordering::SeqCst);
        if !same {
            return None;
        }
        self.with_walk(|w| w.prepared_used(entry.record));
        Some(entry.ahead)
    }
}
