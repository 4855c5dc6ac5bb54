// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Changes a run makes to its inventory (`add_host`, `group_by`), with
//! Ansible's reconciling applied at once: new groups sit under `all` (or
//! the parents named), a host that joins a group leaves `ungrouped`, and a
//! new host in no group goes to `ungrouped`.

use super::model::{Inventory, set_var};
use crate::span::Span;
use crate::yaml::Node;

impl Inventory {
    /// Makes `group` exist under each of `parents` (creating them under
    /// `all`). Returns whether anything changed.
    fn ensure_group(
        &mut self,
        group: &str,
        parents: &[String],
        span: &Span,
    ) -> Result<bool, String> {
        let mut changed = false;
        if self.group(group).is_none() {
            self.add_group(group, span)?;
            changed = true;
        }
        let parents: Vec<String> = if parents.is_empty() {
            vec!["all".to_string()]
        } else {
            parents.to_vec()
        };
        for p in &parents {
            if self.group(p).is_none() {
                self.add_group(p, span)?;
                if p != "all" {
                    self.add_child("all", p)?;
                }
                changed = true;
            }
            let has = self
                .group(p)
                .is_some_and(|g| g.children.iter().any(|c| c == group));
            if !has && group != "all" {
                self.add_child(p, group)?;
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Puts `host` in `group`; it leaves `ungrouped` when `group` is a real one.
    fn join(&mut self, group: &str, host: &str) -> Result<bool, String> {
        let already = self
            .group(group)
            .is_some_and(|g| g.hosts.iter().any(|h| h == host));
        if already {
            return Ok(false);
        }
        self.add_child(group, host)?;
        if group != "all" && group != "ungrouped" {
            if let Some(u) = self.groups.get_mut("ungrouped") {
                u.hosts.retain(|h| h != host);
            }
            if let Some(h) = self.hosts.get_mut(host) {
                h.groups.retain(|g| g != "ungrouped");
            }
        }
        Ok(true)
    }

    /// `group_by`: `host` joins `group`, made under `parents` if new.
    pub fn group_host(
        &mut self,
        host: &str,
        group: &str,
        parents: &[String],
        span: &Span,
    ) -> Result<bool, String> {
        let made = self.ensure_group(group, parents, span)?;
        let joined = self.join(group, host)?;
        self.refresh()?;
        Ok(made || joined)
    }

    /// `add_host`: a host (new or not) in `groups`, with `vars` set on it.
    pub fn add_runtime_host(
        &mut self,
        name: &str,
        groups: &[String],
        vars: Vec<(String, Node)>,
        span: &Span,
    ) -> Result<bool, String> {
        let mut changed = false;
        if self.host(name).is_none() {
            self.add_host(name, None, None, span)?;
            changed = true;
        }
        for g in groups {
            changed |= self.ensure_group(g, &[], span)?;
            changed |= self.join(g, name)?;
        }
        let in_none = self
            .host(name)
            .is_some_and(|h| h.groups.iter().all(|g| g == "all"));
        if in_none {
            changed |= self.join("ungrouped", name)?;
        }
        if let Some(h) = self.hosts.get_mut(name) {
            for (k, v) in vars {
                if h.var(&k) != Some(&v) {
                    changed = true;
                }
                set_var(&mut h.vars, &k, v);
            }
        }
        self.refresh()?;
        Ok(changed)
    }

    /// Group depths again (they order group variables) and no stale cache.
    fn refresh(&mut self) -> Result<(), String> {
        self.group_hosts_cache = None;
        self.compute_depths().map_err(|e| e.to_string())
    }
}
