// SPDX-License-Identifier: MIT
//! `ansible-inventory --list` (and `--list --export`, `--graph`) output,
//! built from the inventory so both can be compared as data.

use super::model::Inventory;
use super::vars_dirs::VarsDirs;
use crate::yaml::{Node, NodeKind, Tag};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Variables `ansible-inventory` never shows (Ansible's INTERNAL_STATIC_VARS).
const INTERNAL_VARS: [&str; 33] = [
    "ansible_async_path",
    "ansible_collection_name",
    "ansible_config_file",
    "ansible_dependent_role_names",
    "ansible_diff_mode",
    "ansible_facts",
    "ansible_forks",
    "ansible_inventory_sources",
    "ansible_limit",
    "ansible_play_batch",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_role_names",
    "ansible_playbook_python",
    "ansible_role_name",
    "ansible_role_names",
    "ansible_run_tags",
    "ansible_skip_tags",
    "ansible_verbosity",
    "ansible_version",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "groups",
    "group_names",
    "hostvars",
    "playbook_dir",
    "play_hosts",
    "role_name",
    "role_names",
    "role_path",
    "role_uuid",
];

/// A value as ansible-inventory prints it: `!unsafe` text becomes
/// `{"__ansible_unsafe": ...}` and `!vault` text `{"__ansible_vault": ...}`.
pub fn node_to_list_json(n: &Node) -> Value {
    match (&n.tag, &n.kind) {
        (Some(Tag::Unsafe), NodeKind::Str(s)) => {
            let mut m = Map::new();
            m.insert("__ansible_unsafe".into(), Value::String(s.clone()));
            return Value::Object(m);
        }
        (Some(Tag::Vault), NodeKind::Str(s)) => {
            let mut m = Map::new();
            m.insert("__ansible_vault".into(), Value::String(s.clone()));
            return Value::Object(m);
        }
        _ => {}
    }
    match &n.kind {
        NodeKind::Seq(items) => Value::Array(items.iter().map(node_to_list_json).collect()),
        NodeKind::Map(pairs) => {
            let mut m = Map::new();
            for (k, v) in pairs {
                m.insert(k.key_string(), node_to_list_json(v));
            }
            sorted(Value::Object(m))
        }
        _ => n.to_json(),
    }
}

/// Sorts object keys (json.dumps(sort_keys=True)), recursively.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut pairs: Vec<(String, Value)> = m.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn vars_object(vars: &[(String, Node)]) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in vars {
        if INTERNAL_VARS.contains(&k.as_str()) {
            continue;
        }
        m.insert(k.clone(), node_to_list_json(v));
    }
    m
}

impl Inventory {
    /// `ansible-inventory --list`: each host's merged inventory variables
    /// under `_meta.hostvars`, each group with `hosts` and `children`.
    /// `play` are playbook-dir vars directories (`--playbook-dir`).
    pub fn to_list_json(&self, play: &[&VarsDirs]) -> Value {
        self.list_json(play, false)
    }

    /// `ansible-inventory --list --export`: variables where they were
    /// defined (groups get `vars`), not flattened per host.
    pub fn to_list_json_export(&self, play: &[&VarsDirs]) -> Value {
        self.list_json(play, true)
    }

    fn list_json(&self, play: &[&VarsDirs], export: bool) -> Value {
        let hosts = self.group_hosts("all");
        let available: HashSet<&str> = hosts.iter().map(String::as_str).collect();
        let mut out = Map::new();
        let mut seen: HashSet<String> = HashSet::new();
        self.format_group("all", &available, play, export, &mut seen, &mut out);
        let mut hostvars = Map::new();
        for h in &hosts {
            let vars = if export {
                let mut v = self.host(h).map(|x| x.vars.clone()).unwrap_or_default();
                for vd in self.vars_dirs.iter().chain(play.iter().copied()) {
                    for (k, val) in vd.host_vars(h) {
                        super::model::set_var(&mut v, &k, val);
                    }
                }
                v
            } else {
                self.host_vars_merged(h, play)
            };
            let obj = vars_object(&vars);
            if !obj.is_empty() {
                hostvars.insert(h.clone(), Value::Object(obj));
            }
        }
        let mut meta = Map::new();
        meta.insert("hostvars".into(), Value::Object(hostvars));
        meta.insert("profile".into(), Value::String("inventory_legacy".into()));
        out.insert("_meta".into(), Value::Object(meta));
        sorted(Value::Object(out))
    }

    fn format_group(
        &self,
        name: &str,
        available: &HashSet<&str>,
        play: &[&VarsDirs],
        export: bool,
        seen: &mut HashSet<String>,
        out: &mut Map<String, Value>,
    ) {
        let Some(g) = self.group(name) else { return };
        let mut entry = Map::new();
        if name != "all" {
            let hosts: Vec<Value> = g
                .hosts
                .iter()
                .filter(|h| available.contains(h.as_str()))
                .map(|h| Value::String(h.clone()))
                .collect();
            if !hosts.is_empty() {
                entry.insert("hosts".into(), Value::Array(hosts));
            }
        }
        let mut children = Vec::new();
        for c in &g.children {
            children.push(Value::String(c.clone()));
            if !seen.contains(c) {
                self.format_group(c, available, play, export, seen, out);
                seen.insert(c.clone());
            }
        }
        if !children.is_empty() {
            entry.insert("children".into(), Value::Array(children));
        }
        if export {
            let mut vars = g.vars.clone();
            for vd in self.vars_dirs.iter().chain(play.iter().copied()) {
                for (k, v) in vd.group_vars(name) {
                    super::model::set_var(&mut vars, &k, v);
                }
            }
            let mut obj = vars_object(&vars);
            if g.priority != 1 {
                obj.insert("ansible_group_priority".into(), Value::from(g.priority));
            }
            if !obj.is_empty() {
                entry.insert("vars".into(), Value::Object(obj));
            }
        }
        // Empty groups are left out, as ansible-inventory does.
        if !entry.is_empty() {
            out.insert(name.to_string(), Value::Object(entry));
        }
    }

    /// `ansible-inventory --graph [group]`: the group tree with its hosts.
    pub fn to_graph(&self, group: &str) -> Option<String> {
        self.group(group)?;
        let mut lines = Vec::new();
        self.graph_group(group, 0, &mut lines);
        Some(lines.join("\n"))
    }

    fn graph_group(&self, name: &str, depth: usize, lines: &mut Vec<String>) {
        let Some(g) = self.group(name) else { return };
        lines.push(graph_name(&format!("@{name}:"), depth));
        for c in &g.children {
            self.graph_group(c, depth + 1, lines);
        }
        if name != "all" {
            for h in &g.hosts {
                lines.push(graph_name(h, depth + 1));
            }
        }
    }
}

fn graph_name(name: &str, depth: usize) -> String {
    if depth == 0 {
        name.to_string()
    } else {
        format!("{}--{name}", "  |".repeat(depth))
    }
}
