// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The role magic variables: which roles a play uses (`ansible_play_role_names`,
//! `role_names`, `ansible_role_names`, `ansible_dependent_role_names`), and for
//! a task of a role, that role (`role_name`, `ansible_role_name`, `role_path`)
//! and the roles that imported or included it (`ansible_parent_role_names`,
//! `ansible_parent_role_paths`).

use super::PlayCtx;
use crate::playbook::{Role, Task};
use crate::vars::MagicVars;
use minijinja::value::Value;
use serde_json::Value as Json;
use std::sync::{Arc, Mutex};

/// The roles `include_role` added to a play while it runs: Ansible appends
/// each included role to the play's roles, so the play-wide lists grow.
#[derive(Default)]
pub(super) struct IncludedRoles {
    inner: Mutex<Counted>,
}

/// The roles counted, and the (include task address, loop item) of each
/// use already counted: Ansible processes one include for all the hosts
/// that ran it.
#[derive(Default)]
struct Counted {
    seen: Vec<(usize, String)>,
    roles: Vec<Arc<Role>>,
}

impl IncludedRoles {
    /// Counts `role` as used by the include `task` (for `item`), once for
    /// all hosts.
    pub(super) fn add(&self, task: &Task, item: Option<&Json>, role: &Arc<Role>) {
        let key = (
            task as *const Task as usize,
            item.map(Json::to_string).unwrap_or_default(),
        );
        if let Ok(mut g) = self.inner.lock()
            && !g.seen.contains(&key)
        {
            g.seen.push(key);
            g.roles.push(role.clone());
        }
    }

    fn roles(&self) -> Vec<Arc<Role>> {
        self.inner
            .lock()
            .map(|g| g.roles.clone())
            .unwrap_or_default()
    }
}

/// Adds first-seen names of `names` to `out`.
fn push_unique(out: &mut Vec<String>, names: impl IntoIterator<Item = String>) {
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
}

/// Sets the role variables of `play` (and of `task`'s role) in `magic`.
pub(super) fn set(magic: &mut MagicVars, play: &PlayCtx, task: Option<&Task>) {
    let mut uses = play.play.role_uses.clone();
    uses.extend(play.included_roles.roles());
    let play_names: Vec<String> = uses.iter().map(|r| r.fqcn.clone()).collect();
    let mut deps = Vec::new();
    push_unique(&mut deps, uses.iter().flat_map(|r| r.dependencies.clone()));
    // Ansible builds this one from a set: its order is not defined.
    let mut all = deps.clone();
    push_unique(&mut all, play_names.iter().cloned());
    magic.set("ansible_role_names", Value::from(all));
    magic.set("ansible_play_role_names", Value::from(play_names.clone()));
    magic.set("role_names", Value::from(play_names));
    magic.set("ansible_dependent_role_names", Value::from(deps));
    let Some(r) = task.and_then(|t| t.role.as_ref()) else {
        return;
    };
    magic.set("role_name", Value::from(r.name.as_str()));
    magic.set("ansible_role_name", Value::from(r.fqcn.as_str()));
    magic.set("role_path", Value::from(r.path.display().to_string()));
    // Only a role reached through import_role/include_role from another
    // role has parents; elsewhere the variables are undefined.
    if !r.parents.is_empty() {
        let names: Vec<String> = r.parents.iter().map(|p| p.0.clone()).collect();
        let paths: Vec<String> = r.parents.iter().map(|p| p.1.clone()).collect();
        magic.set("ansible_parent_role_names", Value::from(names));
        magic.set("ansible_parent_role_paths", Value::from(paths));
    }
}
