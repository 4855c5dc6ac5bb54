// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `ansible-inventory --list` (and `--list --export`, `--graph`) output,
//! built from the inventory so both can be compared as data.

use super::model::Inventory;
use super::vars_dirs::VarsDirs;
use crate::span::Span;
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

/// The variables ansible-inventory shows (internal ones removed).
fn shown(vars: Vec<(String, Node)>) -> Vec<(String, Node)> {
    vars.into_iter()
        .filter(|(k, _)| !INTERNAL_VARS.contains(&k.as_str()))
        .collect()
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

    /// The hosts `--list` shows: every host, cut down by `--limit`.
    fn listed_hosts(&self) -> Vec<String> {
        let mut hosts = self.group_hosts("all");
        // A limit that cannot be evaluated was refused when it was set.
        let _ = self.apply_limit(&mut hosts);
        hosts
    }

    /// A host's variables as ansible-inventory shows them: merged (or, for
    /// `--export`, only the host's own and its host_vars files).
    fn listed_host_vars(&self, host: &str, play: &[&VarsDirs], export: bool) -> Map<String, Value> {
        vars_object(&self.listed_host_nodes(host, play, export))
    }

    fn listed_host_nodes(
        &self,
        host: &str,
        play: &[&VarsDirs],
        export: bool,
    ) -> Vec<(String, Node)> {
        let vars = if export {
            let mut v = self.host(host).map(|x| x.vars.clone()).unwrap_or_default();
            for vd in self.vars_dirs.iter().chain(play.iter().copied()) {
                for (k, val) in vd.host_vars(host) {
                    super::model::set_var(&mut v, &k, val);
                }
            }
            v
        } else {
            self.host_vars_merged(host, play)
        };
        shown(vars)
    }

    /// A group's own variables with its group_vars files and a priority
    /// other than 1 (ansible-inventory's `_get_group_variables`).
    fn listed_group_vars(&self, name: &str, play: &[&VarsDirs]) -> Map<String, Value> {
        vars_object(&self.listed_group_nodes(name, play))
    }

    fn listed_group_nodes(&self, name: &str, play: &[&VarsDirs]) -> Vec<(String, Node)> {
        let Some(g) = self.group(name) else {
            return Vec::new();
        };
        let mut vars = g.vars.clone();
        for vd in self.vars_dirs.iter().chain(play.iter().copied()) {
            for (k, v) in vd.group_vars(name) {
                super::model::set_var(&mut vars, &k, v);
            }
        }
        if g.priority != 1 {
            let n = Node::new(NodeKind::Int(g.priority), g.span.clone());
            super::model::set_var(&mut vars, "ansible_group_priority", n);
        }
        shown(vars)
    }

    fn list_json(&self, play: &[&VarsDirs], export: bool) -> Value {
        let hosts = self.listed_hosts();
        let available: HashSet<&str> = hosts.iter().map(String::as_str).collect();
        let mut out = Map::new();
        let mut seen: HashSet<String> = HashSet::new();
        self.format_group("all", &available, play, export, &mut seen, &mut out);
        let mut hostvars = Map::new();
        for h in &hosts {
            let obj = self.listed_host_vars(h, play, export);
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
            let obj = self.listed_group_vars(name, play);
            if !obj.is_empty() {
                entry.insert("vars".into(), Value::Object(obj));
            }
        }
        // Empty groups are left out, as ansible-inventory does.
        if !entry.is_empty() {
            out.insert(name.to_string(), Value::Object(entry));
        }
    }

    /// `ansible-inventory --list --yaml`: the tree of `all` with nested
    /// `children`, each host's variables under the first group that lists
    /// it (`{}` elsewhere), as data for the YAML writer.
    pub fn to_list_yaml_data(&self, play: &[&VarsDirs], export: bool) -> Value {
        let hosts = self.listed_hosts();
        let available: HashSet<&str> = hosts.iter().map(String::as_str).collect();
        let mut walk = YamlWalk {
            inv: self,
            play,
            export,
            available: &available,
            seen_hosts: HashSet::new(),
            seen_groups: HashSet::new(),
        };
        let mut out = Map::new();
        if let Some(entry) = walk.group("all") {
            out.insert("all".into(), entry);
        }
        let out = Value::Object(out);
        let mut anchors = Anchors::default();
        anchors.find(&out);
        anchors.mark(out)
    }

    /// `ansible-inventory --graph [group]`: the group tree with its hosts.
    pub fn to_graph(&self, group: &str) -> Option<String> {
        self.to_graph_vars(group, None)
    }

    /// `--graph`, with `--vars` when `vars` gives the playbook-dir vars
    /// directories: each host's and group's variables as `{name = value}`
    /// (Python's `str` of the value), sorted by name.
    pub fn to_graph_vars(&self, group: &str, vars: Option<&[&VarsDirs]>) -> Option<String> {
        self.group(group)?;
        let mut lines = Vec::new();
        self.graph_group(group, 0, vars, &mut lines);
        Some(lines.join("\n"))
    }

    fn graph_group(
        &self,
        name: &str,
        depth: usize,
        vars: Option<&[&VarsDirs]>,
        lines: &mut Vec<String>,
    ) {
        let Some(g) = self.group(name) else { return };
        lines.push(graph_name(&format!("@{name}:"), depth));
        for c in &g.children {
            self.graph_group(c, depth + 1, vars, lines);
        }
        if name != "all" {
            for h in &g.hosts {
                lines.push(graph_name(h, depth + 1));
                if let Some(play) = vars {
                    show_vars(&self.listed_host_nodes(h, play, false), depth + 2, lines);
                }
            }
        }
        if let Some(play) = vars {
            show_vars(&self.listed_group_nodes(name, play), depth + 1, lines);
        }
    }
}

/// State of ansible-inventory's `yaml_inventory` walk.
struct YamlWalk<'a> {
    inv: &'a Inventory,
    play: &'a [&'a VarsDirs],
    export: bool,
    available: &'a HashSet<&'a str>,
    seen_hosts: HashSet<String>,
    seen_groups: HashSet<String>,
}

impl YamlWalk<'_> {
    /// One group's entry, `None` when it would be empty (left out).
    fn group(&mut self, name: &str) -> Option<Value> {
        let g = self.inv.group(name)?;
        let mut children = Map::new();
        for c in &g.children {
            if c == "all" {
                continue;
            }
            if self.seen_groups.contains(c) {
                children.insert(c.clone(), Value::Object(Map::new()));
            } else {
                if let Some(entry) = self.group(c) {
                    children.insert(c.clone(), entry);
                }
                self.seen_groups.insert(c.clone());
            }
        }
        let mut hosts = Map::new();
        if name != "all" {
            for h in &g.hosts {
                if !self.available.contains(h.as_str()) {
                    continue;
                }
                let vars = if self.seen_hosts.insert(h.clone()) {
                    let nodes = self.inv.listed_host_nodes(h, self.play, self.export);
                    nodes
                        .iter()
                        .map(|(k, n)| (k.clone(), json_with_refs(n)))
                        .collect()
                } else {
                    Map::new()
                };
                hosts.insert(h.clone(), Value::Object(vars));
            }
        }
        let mut entry = Map::new();
        if !children.is_empty() {
            entry.insert("children".into(), Value::Object(children));
        }
        if !hosts.is_empty() {
            entry.insert("hosts".into(), Value::Object(hosts));
        }
        if self.export {
            let vars = self.inv.listed_group_vars(name, self.play);
            if !vars.is_empty() {
                entry.insert("vars".into(), Value::Object(vars));
            }
        }
        (!entry.is_empty()).then_some(Value::Object(entry))
    }
}

/// Key of the wrapper that carries a value's identity until anchors are
/// chosen (never printed).
const REF_KEY: &str = "__kiln_ref";

/// A variable's value as data, each list or mapping wrapped with where it
/// was defined: values defined at one place are one Python object in
/// Ansible (a group's variable shared by its hosts), which PyYAML writes
/// once with an anchor and then as aliases.
fn json_with_refs(n: &Node) -> Value {
    refs_under(n, None)
}

/// `parent`: the identity of the enclosing value and this one's key in it.
/// A part of a value written inline (an INI `[1, [2]]`) has the span of
/// the whole: it is then known by the path from the whole.
fn refs_under(n: &Node, parent: Option<(&str, &Span, String)>) -> Value {
    let id = match &parent {
        Some((pid, pspan, key)) if *pspan == &n.span => format!("{pid}/{key}"),
        _ => format!("{}\0{}\0{}", n.span.file, n.span.line, n.span.col),
    };
    let inner = match &n.kind {
        NodeKind::Seq(items) if n.tag.is_none() => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| refs_under(x, Some((&id, &n.span, i.to_string()))))
                .collect(),
        ),
        NodeKind::Map(pairs) if n.tag.is_none() => Value::Object(
            pairs
                .iter()
                .map(|(k, v)| {
                    let key = k.key_string();
                    (key.clone(), refs_under(v, Some((&id, &n.span, key))))
                })
                .collect(),
        ),
        _ => return node_to_list_json(n),
    };
    // Line and column 0 is a value made up by kiln: no known identity.
    if n.span.line == 0 && n.span.col == 0 {
        return inner;
    }
    let mut m = Map::new();
    m.insert(REF_KEY.into(), Value::String(id));
    m.insert("value".into(), inner);
    Value::Object(m)
}

fn as_ref(v: &Value) -> Option<(&str, &Value)> {
    match v {
        Value::Object(m) if m.len() == 2 => Some((m.get(REF_KEY)?.as_str()?, m.get("value")?)),
        _ => None,
    }
}

/// PyYAML's serializer: an object met a second time (in the order the
/// sorted output is walked) gets the next `idNNN` anchor.
#[derive(Default)]
struct Anchors {
    seen: std::collections::HashMap<String, Option<String>>,
    emitted: HashSet<String>,
    count: usize,
}

impl Anchors {
    fn find(&mut self, v: &Value) {
        if let Some((id, inner)) = as_ref(v) {
            if let Some(slot) = self.seen.get_mut(id) {
                if slot.is_none() {
                    self.count += 1;
                    *slot = Some(format!("id{:03}", self.count));
                }
                return;
            }
            self.seen.insert(id.to_string(), None);
            return self.find(inner);
        }
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                for k in keys {
                    self.find(&m[k]);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| self.find(x)),
            _ => {}
        }
    }

    /// Replaces the wrappers: first occurrences of anchored objects carry
    /// the anchor, later ones become aliases, the others are unwrapped.
    fn mark(&mut self, v: Value) -> Value {
        use crate::template::yaml_dump::{ALIAS_KEY, ANCHOR_KEY};
        if let Some((id, _)) = as_ref(&v) {
            let id = id.to_string();
            let Value::Object(mut m) = v else {
                return v;
            };
            let inner = m.remove("value").unwrap_or(Value::Null);
            let Some(Some(anchor)) = self.seen.get(&id).cloned() else {
                return self.mark(inner);
            };
            let mut out = Map::new();
            if self.emitted.insert(id) {
                out.insert(ANCHOR_KEY.into(), Value::String(anchor));
                out.insert("value".into(), self.mark(inner));
            } else {
                out.insert(ALIAS_KEY.into(), Value::String(anchor));
            }
            return Value::Object(out);
        }
        match v {
            Value::Object(m) => {
                let mut pairs: Vec<(String, Value)> = m.into_iter().collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(pairs.into_iter().map(|(k, x)| (k, self.mark(x))).collect())
            }
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.mark(x)).collect()),
            other => other,
        }
    }
}

/// `{name = value}` lines, as `--graph --vars` prints them.
fn show_vars(vars: &[(String, Node)], depth: usize, lines: &mut Vec<String>) {
    let mut sorted: Vec<&(String, Node)> = vars.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, n) in sorted {
        let v = crate::template::json_to_value(&n.to_json());
        let text = crate::template::py_str(&v);
        lines.push(graph_name(&format!("{{{k} = {text}}}"), depth));
    }
}

fn graph_name(name: &str, depth: usize) -> String {
    if depth == 0 {
        name.to_string()
    } else {
        format!("{}--{name}", "  |".repeat(depth))
    }
}
