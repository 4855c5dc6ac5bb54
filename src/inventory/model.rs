// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Hosts and groups, with the bookkeeping rules of Ansible's inventory data:
//! first-seen order, `all` and `ungrouped`, children and parents, depth and
//! priority, the implicit localhost.

use super::error::InventoryError;
use super::vars_dirs::VarsDirs;
use crate::span::Span;
use crate::vault::VaultSecrets;
use crate::yaml::{Node, NodeKind};
use indexmap::IndexMap;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Names that make Ansible use its implicit localhost when no host of that
/// name is in the inventory.
pub const LOCALHOST_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// One inventory host.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub name: String,
    /// Variables set on the host by inventory sources, in first-definition
    /// order; a later definition replaces the value in place. Like Ansible,
    /// this includes `inventory_file`, `inventory_dir` and the
    /// `ansible_port` given as `host:port`.
    pub vars: Vec<(String, Node)>,
    /// The groups the host was put in directly, in order.
    pub groups: Vec<String>,
    /// True only for the implicit localhost (never stored in the inventory).
    pub implicit: bool,
    /// Where the host was first declared.
    pub span: Span,
}

impl Host {
    pub fn var(&self, key: &str) -> Option<&Node> {
        self.vars.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// One inventory group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub vars: Vec<(String, Node)>,
    /// Child groups in the order they were added.
    pub children: Vec<String>,
    /// Direct member hosts in the order they were added.
    pub hosts: Vec<String>,
    pub parents: Vec<String>,
    /// Longest distance from `all` (0 for `all`), set by `finish`.
    pub depth: u32,
    /// `ansible_group_priority` (default 1); not kept among `vars`.
    pub priority: i64,
    pub span: Span,
}

impl Group {
    fn new(name: &str, span: Span) -> Self {
        Group {
            name: name.to_string(),
            vars: Vec::new(),
            children: Vec::new(),
            hosts: Vec::new(),
            parents: Vec::new(),
            depth: 0,
            priority: 1,
            span,
        }
    }

    pub fn var(&self, key: &str) -> Option<&Node> {
        self.vars.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// The inventory: every source merged, in Ansible's order.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub(crate) hosts: IndexMap<String, Host>,
    pub(crate) groups: IndexMap<String, Group>,
    /// Warnings Ansible would print while loading (skipped YAML entries,
    /// odd group names, duplicate keys...), in the order met.
    pub warnings: Vec<String>,
    /// `ansible_python_interpreter` of the implicit localhost (Ansible uses
    /// its own interpreter there).
    pub localhost_python: String,
    /// Path sources (files or directories, absolute), in `-i` order: their
    /// directories hold the inventory's group_vars/ and host_vars/.
    pub(crate) sources: Vec<PathBuf>,
    /// Every source as Ansible records it (paths made absolute, host lists
    /// as given): the `ansible_inventory_sources` variable.
    pub(crate) source_names: Vec<String>,
    /// group_vars/ and host_vars/ next to each path source, loaded by `finish`.
    pub(crate) vars_dirs: Vec<VarsDirs>,
    /// The first localhost-like host declared; it then answers for the
    /// other localhost names too.
    pub(crate) localhost: Option<String>,
    /// Name of the implicit localhost once a pattern has created it: the
    /// first name used sticks, as in Ansible.
    pub(crate) implicit_name: OnceLock<String>,
    /// What `inventory_file`/`inventory_dir` new hosts get.
    pub(crate) current_source: Option<(String, String)>,
    /// Every group's hosts (with descendants'), computed by `finish` since
    /// `groups` and patterns ask for them often; dropped by any change.
    pub(crate) group_hosts_cache: Option<IndexMap<String, Vec<String>>>,
    /// Passwords for vault-encrypted inventory and vars files.
    pub(crate) vault: Arc<VaultSecrets>,
    /// `--limit`'s terms (`@file` lines read), set by `set_limit`.
    pub(crate) subset: Option<Vec<String>>,
    /// Numbers the values inventory scripts give (see `script::to_node`).
    pub(crate) script_ids: u32,
}

impl Default for Inventory {
    fn default() -> Self {
        Self::new()
    }
}

/// Sets `key` in an ordered variable list: a new key goes last, an existing
/// one keeps its place and takes the new value (Python dict semantics).
pub(crate) fn set_var(vars: &mut Vec<(String, Node)>, key: &str, value: Node) {
    match vars.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => vars.push((key.to_string(), value)),
    }
}

/// Whether Ansible accepts `name` as a variable name without a deprecation.
fn valid_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            name,
            "true" | "false" | "none" | "True" | "False" | "None" | "not"
        )
}

/// Characters Ansible calls invalid in a group name (it warns, keeps them).
fn invalid_group_chars(name: &str) -> Vec<char> {
    let mut bad: Vec<char> = Vec::new();
    for (i, c) in name.chars().enumerate() {
        let word = c.is_alphanumeric() || c == '_';
        if (!word || (i == 0 && c.is_numeric())) && !bad.contains(&c) {
            bad.push(c);
        }
    }
    bad
}

impl Inventory {
    /// The passwords for vault-encrypted inventory files and group_vars/
    /// host_vars files; set before loading the sources.
    pub fn set_vault_secrets(&mut self, secrets: Arc<VaultSecrets>) {
        self.vault = secrets;
    }

    /// An empty inventory with the implicit groups `all` and `ungrouped`.
    pub fn new() -> Self {
        let mut inv = Inventory {
            hosts: IndexMap::new(),
            groups: IndexMap::new(),
            warnings: Vec::new(),
            localhost_python: "/usr/bin/python3".into(),
            sources: Vec::new(),
            source_names: Vec::new(),
            vars_dirs: Vec::new(),
            localhost: None,
            implicit_name: OnceLock::new(),
            current_source: None,
            group_hosts_cache: None,
            vault: Arc::default(),
            subset: None,
            script_ids: 0,
        };
        let span = Span::synthetic("<implicit>");
        for g in ["all", "ungrouped"] {
            inv.groups.insert(g.into(), Group::new(g, span.clone()));
        }
        // Cannot fail: both groups exist and form no loop.
        let _ = inv.add_child("all", "ungrouped");
        inv
    }

    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.get(name)
    }

    /// Hosts in the order they were first seen.
    pub fn hosts(&self) -> impl Iterator<Item = &Host> {
        self.hosts.values()
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    /// Groups in the order they were first seen (`all`, `ungrouped` first).
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// The sources loaded, as Ansible's `ansible_inventory_sources` lists them.
    pub fn inventory_sources(&self) -> &[String] {
        &self.source_names
    }

    /// The group_vars/ and host_vars/ directories found next to the
    /// inventory sources (loaded by `finish`).
    pub fn inventory_vars_dirs(&self) -> &[VarsDirs] {
        &self.vars_dirs
    }

    /// Adds a group if new; returns its name. Odd characters only warn
    /// (Ansible's default `TRANSFORM_INVALID_GROUP_CHARS=never`).
    pub(crate) fn add_group(&mut self, name: &str, span: &Span) -> Result<String, String> {
        if name.is_empty() {
            return Err("Invalid empty/false group name provided".into());
        }
        self.group_hosts_cache = None;
        if !self.groups.contains_key(name) {
            let bad = invalid_group_chars(name);
            if !bad.is_empty() {
                let list: String = bad.iter().collect();
                self.warnings.push(format!(
                    "{span}: invalid character(s) \"{list}\" in group name ({name}): Ansible keeps them, but such a group cannot be used in a template as `groups.{name}`"
                ));
            }
            self.groups
                .insert(name.to_string(), Group::new(name, span.clone()));
        }
        Ok(name.to_string())
    }

    /// Adds a host if new (and to `group` if given). A port only counts
    /// when the host is new, as in Ansible.
    pub(crate) fn add_host(
        &mut self,
        name: &str,
        group: Option<&str>,
        port: Option<i64>,
        span: &Span,
    ) -> Result<(), String> {
        if name.is_empty() {
            return Err("Invalid empty host name provided".into());
        }
        self.group_hosts_cache = None;
        if let Some(g) = group
            && !self.groups.contains_key(g)
        {
            return Err(format!("Could not find group {g} in inventory"));
        }
        if !self.hosts.contains_key(name) {
            let mut host = Host {
                name: name.to_string(),
                vars: Vec::new(),
                groups: Vec::new(),
                implicit: false,
                span: span.clone(),
            };
            // Python's truthiness: port 0 is no port.
            if let Some(p) = port.filter(|p| *p != 0) {
                set_var(
                    &mut host.vars,
                    "ansible_port",
                    Node::new(NodeKind::Int(p), span.clone()),
                );
            }
            let (file, dir) = match &self.current_source {
                Some((f, d)) => (
                    Node::str(f.clone(), Span::synthetic("<inventory>")),
                    Node::str(d.clone(), Span::synthetic("<inventory>")),
                ),
                None => (
                    Node::new(NodeKind::Null, Span::synthetic("<inventory>")),
                    Node::new(NodeKind::Null, Span::synthetic("<inventory>")),
                ),
            };
            set_var(&mut host.vars, "inventory_file", file);
            set_var(&mut host.vars, "inventory_dir", dir);
            self.hosts.insert(name.to_string(), host);
            if LOCALHOST_NAMES.contains(&name) {
                match &self.localhost {
                    None => self.localhost = Some(name.to_string()),
                    Some(first) => self.warnings.push(format!(
                        "{span}: A duplicate localhost-like entry was found ({name}). First found localhost was {first}"
                    )),
                }
            }
        }
        if let Some(g) = group {
            self.add_host_to_group(g, name);
        }
        Ok(())
    }

    fn add_host_to_group(&mut self, group: &str, host: &str) {
        self.group_hosts_cache = None;
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        // A host's own group list is short and mirrors the groups' member
        // lists, so membership is asked of it: a scan of the group's hosts
        // made loading N hosts into one group cost N² (found by the
        // yaml_inventory fuzz target: 43,000 hosts took seconds).
        match self.hosts.get_mut(host) {
            Some(h) => {
                if h.groups.iter().any(|x| x == group) {
                    return;
                }
                h.groups.push(group.to_string());
            }
            None => {
                if g.hosts.iter().any(|h| h == host) {
                    return;
                }
            }
        }
        g.hosts.push(host.to_string());
    }

    /// Sets a variable on a group or host; a group of that name wins over a
    /// host of the same name, as in Ansible.
    pub(crate) fn set_variable(
        &mut self,
        entity: &str,
        key: &str,
        value: Node,
    ) -> Result<(), String> {
        if !valid_var_name(key) {
            self.warnings.push(format!(
                "{}: Accepting inventory variable with invalid name '{key}' (deprecated in Ansible, to be removed in 2.23): variable names must start with a letter or underscore and contain only letters, numbers and underscores",
                value.span
            ));
        }
        if let Some(g) = self.groups.get_mut(entity) {
            if key == "ansible_group_priority" {
                match priority_of(&value) {
                    Some(p) => g.priority = p,
                    None => self.warnings.push(format!(
                        "{}: Invalid priority value for group '{entity}'; keeping priority {}",
                        value.span, g.priority
                    )),
                }
            } else {
                set_var(&mut g.vars, key, value);
            }
            Ok(())
        } else if let Some(h) = self.hosts.get_mut(entity) {
            set_var(&mut h.vars, key, value);
            Ok(())
        } else {
            Err(format!("Could not identify group or host named {entity}"))
        }
    }

    /// Puts a group or host (a group of that name first) under `group`.
    pub(crate) fn add_child(&mut self, group: &str, child: &str) -> Result<(), String> {
        if !self.groups.contains_key(group) {
            return Err(format!("{group} is not a known group"));
        }
        self.group_hosts_cache = None;
        if self.groups.contains_key(child) {
            if group == child {
                return Err("can't add group to itself".into());
            }
            let already = self
                .groups
                .get(group)
                .is_some_and(|g| g.children.iter().any(|c| c == child));
            if already {
                return Ok(());
            }
            if self.ancestors(group).iter().any(|a| a == child) {
                return Err(format!(
                    "Adding group '{child}' as child to '{group}' creates a recursive dependency loop."
                ));
            }
            if let Some(g) = self.groups.get_mut(group) {
                g.children.push(child.to_string());
            }
            if let Some(c) = self.groups.get_mut(child)
                && !c.parents.iter().any(|p| p == group)
            {
                c.parents.push(group.to_string());
            }
            Ok(())
        } else if self.hosts.contains_key(child) {
            self.add_host_to_group(group, child);
            Ok(())
        } else {
            Err(format!("{child} is not a known host nor group"))
        }
    }

    /// Every ancestor of a group (parents, their parents...), nearest first.
    pub fn ancestors(&self, group: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut frontier: Vec<String> = self
            .groups
            .get(group)
            .map(|g| g.parents.clone())
            .unwrap_or_default();
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for g in frontier {
                if out.contains(&g) {
                    continue;
                }
                if let Some(gr) = self.groups.get(&g) {
                    next.extend(gr.parents.iter().cloned());
                }
                out.push(g);
            }
            frontier = next;
        }
        out
    }

    /// The groups a host belongs to, directly or through child groups.
    fn all_groups_of(&self, host: &Host) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for g in &host.groups {
            if !out.contains(g) {
                out.push(g.clone());
            }
            for a in self.ancestors(g) {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// Runs once all sources are loaded (Ansible's reconcile step): every
    /// top group goes under `all`, hosts in no group go to `ungrouped` (and
    /// leave it once in another group), depths are computed, and the
    /// group_vars/ and host_vars/ next to the sources are loaded.
    pub fn finish(&mut self) -> Result<(), InventoryError> {
        let names: Vec<String> = self.groups.keys().cloned().collect();
        for g in &names {
            let orphan = self.groups.get(g).is_some_and(|gr| gr.parents.is_empty());
            if g != "all" && orphan {
                let span = self
                    .groups
                    .get(g)
                    .map(|x| x.span.clone())
                    .unwrap_or_else(|| Span::synthetic("<inventory>"));
                self.add_child("all", g)
                    .map_err(|m| InventoryError::new(span, m))?;
            }
        }
        let host_names: Vec<String> = self.hosts.keys().cloned().collect();
        // Hosts leaving `ungrouped`, removed from its member list in one
        // pass at the end rather than one scan each.
        let mut leaving: std::collections::HashSet<String> = std::collections::HashSet::new();
        for h in &host_names {
            let Some(host) = self.hosts.get(h) else {
                continue;
            };
            let mine = self.all_groups_of(host);
            if mine.iter().any(|g| g == "ungrouped") {
                if mine.iter().any(|g| g != "all" && g != "ungrouped") {
                    leaving.insert(h.clone());
                    if let Some(hh) = self.hosts.get_mut(h) {
                        hh.groups.retain(|x| x != "ungrouped");
                    }
                }
            } else if !host.implicit && mine.iter().all(|g| g == "all") {
                // Ansible adds the name as a child of `ungrouped`, which
                // takes a group of the same name over the host.
                let span = host.span.clone();
                self.add_child("ungrouped", h)
                    .map_err(|m| InventoryError::new(span, m))?;
            }
        }
        if !leaving.is_empty()
            && let Some(u) = self.groups.get_mut("ungrouped")
        {
            u.hosts.retain(|x| !leaving.contains(x));
            self.group_hosts_cache = None;
        }
        let mut clash: Vec<&String> = self
            .groups
            .keys()
            .filter(|g| self.hosts.contains_key(*g))
            .collect();
        clash.sort();
        let clash: Vec<String> = clash
            .into_iter()
            .map(|c| format!("Found both group and host with same name: {c}"))
            .collect();
        for w in clash {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
        self.compute_depths()?;
        let cache: IndexMap<String, Vec<String>> = self
            .groups
            .keys()
            .map(|g| (g.clone(), self.compute_group_hosts(g)))
            .collect();
        self.group_hosts_cache = Some(cache);
        self.vars_dirs.clear();
        let mut bases: Vec<PathBuf> = Vec::new();
        for s in &self.sources {
            let base = if s.is_dir() {
                s.clone()
            } else {
                s.parent().map(PathBuf::from).unwrap_or_default()
            };
            bases.push(base);
        }
        for base in bases {
            let vd = super::vars_dirs::load_vars_dirs(&base, self)?;
            self.warnings.extend(vd.warnings.iter().cloned());
            self.vars_dirs.push(vd);
        }
        Ok(())
    }

    /// Depth = longest path from `all` (Bellman-Ford style relaxation over
    /// parents). A loop, which the parsers refuse when the edge is added,
    /// would keep raising depths: it is an error.
    pub(crate) fn compute_depths(&mut self) -> Result<(), InventoryError> {
        let mut depth: IndexMap<String, u32> = self.groups.keys().map(|n| (n.clone(), 0)).collect();
        let limit = self.groups.len() + 1;
        for _ in 0..=limit {
            let mut changed = false;
            for (name, g) in &self.groups {
                let d = g
                    .parents
                    .iter()
                    .filter_map(|p| depth.get(p).map(|d| d + 1))
                    .max()
                    .unwrap_or(0);
                if depth.get(name) != Some(&d) {
                    depth.insert(name.clone(), d);
                    changed = true;
                }
            }
            if !changed {
                for (name, d) in depth {
                    if let Some(g) = self.groups.get_mut(&name) {
                        g.depth = d;
                    }
                }
                return Ok(());
            }
        }
        let span = self
            .groups
            .values()
            .find(|g| g.depth as usize > limit || !g.parents.is_empty())
            .map(|g| g.span.clone())
            .unwrap_or_else(|| Span::synthetic("<inventory>"));
        Err(InventoryError::new(
            span,
            "The inventory groups have a recursive dependency loop.",
        ))
    }

    /// The hosts of a group and of all its descendants, in Ansible's order:
    /// the group's own hosts, then its children's, level by level (the
    /// implicit localhost is never in `all`).
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        match &self.group_hosts_cache {
            Some(c) => c.get(group).cloned().unwrap_or_default(),
            None => self.compute_group_hosts(group),
        }
    }

    fn compute_group_hosts(&self, group: &str) -> Vec<String> {
        let Some(g) = self.groups.get(group) else {
            return Vec::new();
        };
        let mut ordered: Vec<&str> = vec![&g.name];
        let mut seen: HashSet<&str> = HashSet::new();
        seen.insert(&g.name);
        let mut level: Vec<&str> = Vec::new();
        for c in &g.children {
            if seen.insert(c) {
                ordered.push(c);
                level.push(c);
            }
        }
        while !level.is_empty() {
            let mut next = Vec::new();
            for name in level {
                if let Some(gr) = self.groups.get(name) {
                    for c in &gr.children {
                        if seen.insert(c) {
                            ordered.push(c);
                            next.push(c.as_str());
                        }
                    }
                }
            }
            level = next;
        }
        let mut out: Vec<String> = Vec::new();
        let mut seen_hosts: HashSet<&str> = HashSet::new();
        for name in ordered {
            if let Some(gr) = self.groups.get(name) {
                for h in &gr.hosts {
                    if seen_hosts.insert(h) {
                        out.push(h.clone());
                    }
                }
            }
        }
        out
    }

    /// All groups `host` is in (with ancestors), in Ansible's variable
    /// order: by depth, then `ansible_group_priority`, then name; `all`
    /// first. The implicit localhost is in no group.
    pub fn groups_of(&self, host: &str) -> Vec<&str> {
        let Some(h) = self.hosts.get(host) else {
            return Vec::new();
        };
        let mut gs: Vec<&Group> = self
            .all_groups_of(h)
            .iter()
            .filter_map(|g| self.groups.get(g))
            .collect();
        gs.sort_by(|a, b| (a.depth, a.priority, &a.name).cmp(&(b.depth, b.priority, &b.name)));
        gs.into_iter().map(|g| g.name.as_str()).collect()
    }

    /// Ansible's `group_names`: the host's groups (with ancestors and
    /// `ungrouped`, without `all`), sorted by name.
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let Some(h) = self.hosts.get(host) else {
            return Vec::new();
        };
        let mut names: Vec<String> = self
            .all_groups_of(h)
            .into_iter()
            .filter(|g| g != "all")
            .collect();
        names.sort();
        names
    }

    /// Ansible's `groups`: every group (in first-seen order, with `all` and
    /// `ungrouped`) and its hosts including those of descendant groups.
    pub fn groups_map(&self) -> IndexMap<String, Vec<String>> {
        if let Some(c) = &self.group_hosts_cache {
            return c.clone();
        }
        self.groups
            .keys()
            .map(|g| (g.clone(), self.group_hosts(g)))
            .collect()
    }

    /// The implicit localhost Ansible creates when a pattern names
    /// `localhost`, `127.0.0.1` or `::1` and the inventory has no such host:
    /// local connection, this program's Python, no group.
    pub fn implicit_localhost(&self, name: &str) -> Option<Host> {
        if !LOCALHOST_NAMES.contains(&name)
            || self.hosts.contains_key(name)
            || self.localhost.is_some()
        {
            return None;
        }
        let name = self.implicit_name.get_or_init(|| name.to_string()).clone();
        let span = Span::synthetic("<implicit localhost>");
        let mut vars = Vec::new();
        set_var(
            &mut vars,
            "ansible_python_interpreter",
            Node::str(self.localhost_python.clone(), span.clone()),
        );
        set_var(
            &mut vars,
            "ansible_connection",
            Node::str("local", span.clone()),
        );
        Some(Host {
            name,
            vars,
            groups: Vec::new(),
            implicit: true,
            span,
        })
    }

    /// Resolves a host name as Ansible's `get_host` does: an inventory host,
    /// else for a localhost name the declared localhost-like host or the
    /// implicit localhost.
    pub fn resolve_host(&self, name: &str) -> Option<std::borrow::Cow<'_, Host>> {
        if let Some(h) = self.hosts.get(name) {
            return Some(std::borrow::Cow::Borrowed(h));
        }
        if LOCALHOST_NAMES.contains(&name) {
            if let Some(l) = &self.localhost {
                return self.hosts.get(l).map(std::borrow::Cow::Borrowed);
            }
            return self.implicit_localhost(name).map(std::borrow::Cow::Owned);
        }
        None
    }
}

/// Python's `int(value)` as Ansible applies it to `ansible_group_priority`.
fn priority_of(value: &Node) -> Option<i64> {
    match &value.kind {
        NodeKind::Int(i) => Some(*i),
        NodeKind::Bool(b) => Some(i64::from(*b)),
        NodeKind::Float(f) if f.is_finite() => Some(f.trunc() as i64),
        NodeKind::Str(s) => s.trim().replace('_', "").parse().ok(),
        _ => None,
    }
}
