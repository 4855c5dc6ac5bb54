// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! YAML (and JSON) inventories, read as Ansible's `yaml` plugin does: every
//! top-level key is a group with optional `hosts:`, `vars:` and `children:`
//! mappings; a host key may be a range or carry `:port`. Entries Ansible
//! skips with a warning are skipped here with the same warning.

use super::error::InventoryError;
use super::model::Inventory;
use super::range::expand_host_pattern;
use crate::yaml::{Node, NodeKind};

/// Parses the (single) YAML document of an inventory file into `inv`.
pub fn parse_yaml_doc(inv: &mut Inventory, doc: &Node) -> Result<(), InventoryError> {
    let top = match &doc.kind {
        NodeKind::Map(m) if !m.is_empty() => m,
        NodeKind::Null => {
            return Err(InventoryError::new(
                doc.span.clone(),
                "Parsed empty YAML file",
            ));
        }
        NodeKind::Map(_) => {
            return Err(InventoryError::new(
                doc.span.clone(),
                "Parsed empty YAML file",
            ));
        }
        _ => {
            return Err(InventoryError::new(
                doc.span.clone(),
                format!(
                    "YAML inventory has invalid structure, it should be a dictionary, got: {}",
                    doc.type_name()
                ),
            ));
        }
    };
    if let Some(p) = doc.get("plugin").filter(|p| truthy(p)) {
        return Err(InventoryError::new(
            p.span.clone(),
            format!(
                "Plugin configuration YAML file, not YAML inventory: inventory plugins (here '{}') are not supported",
                p.key_string()
            ),
        )
        .with_hint("kiln reads static YAML, JSON and INI inventories; save the plugin's output with `ansible-inventory --list` instead"));
    }
    for (k, v) in top {
        parse_group(inv, k, v)?;
    }
    Ok(())
}

/// Python truthiness of a loaded value.
fn truthy(n: &Node) -> bool {
    match &n.kind {
        NodeKind::Null => false,
        NodeKind::Bool(b) => *b,
        NodeKind::Int(i) => *i != 0,
        NodeKind::Float(f) => *f != 0.0,
        NodeKind::Str(s) => !s.is_empty(),
        NodeKind::Seq(s) => !s.is_empty(),
        NodeKind::Map(m) => !m.is_empty(),
    }
}

/// Ansible's class name of a value, for its messages.
fn py_type(n: &Node) -> &'static str {
    match n.kind {
        NodeKind::Null => "NoneType",
        NodeKind::Bool(_) => "bool",
        NodeKind::Int(_) => "int",
        NodeKind::Float(_) => "float",
        NodeKind::Str(_) => "str",
        NodeKind::Seq(_) => "list",
        NodeKind::Map(_) => "dict",
    }
}

/// A section value: a string `x` stands for `{x: null}`.
fn section_map(
    group: &str,
    section: &str,
    v: &Node,
) -> Result<Option<Vec<(Node, Node)>>, InventoryError> {
    match &v.kind {
        NodeKind::Str(_) => Ok(Some(vec![(
            v.clone(),
            Node::new(NodeKind::Null, v.span.clone()),
        )])),
        NodeKind::Map(m) => Ok(Some(m.clone())),
        NodeKind::Null => Ok(None),
        _ => Err(InventoryError::new(
            v.span.clone(),
            format!(
                "Invalid \"{section}\" entry for \"{group}\" group, requires a dictionary, found \"{}\" instead.",
                py_type(v)
            ),
        )),
    }
}

/// Parses one group; returns the name Ansible would go on with (even for
/// a skipped definition, which then fails where it is used as a child).
fn parse_group(inv: &mut Inventory, key: &Node, data: &Node) -> Result<String, InventoryError> {
    let name = match &key.kind {
        NodeKind::Str(s) => s.clone(),
        _ => {
            return Err(InventoryError::new(
                key.span.clone(),
                format!(
                    "Unable to add group {}: Invalid group name supplied, expected a string but got {} for {}",
                    key.key_string(),
                    py_type(key),
                    key.key_string()
                ),
            ));
        }
    };
    let entries = match &data.kind {
        NodeKind::Map(m) => m,
        NodeKind::Null => {
            inv.add_group(&name, &key.span).map_err(|m| {
                InventoryError::new(key.span.clone(), format!("Unable to add group {name}: {m}"))
            })?;
            return Ok(name);
        }
        _ => {
            inv.warnings.push(format!(
                "{}: Skipping '{name}' as this is not a valid group definition",
                key.span
            ));
            return Ok(name);
        }
    };
    inv.add_group(&name, &key.span).map_err(|m| {
        InventoryError::new(key.span.clone(), format!("Unable to add group {name}: {m}"))
    })?;
    // Sections are checked first, in this order, before anything is read.
    for section in ["vars", "children", "hosts"] {
        if let Some(v) = data.get(section) {
            section_map(&name, section, v)?;
        }
    }
    for (k, v) in entries {
        let key_name = k.key_string();
        let is_section = matches!(k.as_str(), Some("vars" | "children" | "hosts"));
        let map = if is_section {
            section_map(&name, &key_name, v)?
        } else {
            match &v.kind {
                NodeKind::Map(m) => Some(m.clone()),
                NodeKind::Null => None,
                _ => {
                    inv.warnings.push(format!(
                        "{}: Skipping key ({key_name}) in group ({name}) as it is not a mapping, it is a {}",
                        k.span,
                        py_type(v)
                    ));
                    continue;
                }
            }
        };
        let Some(map) = map else {
            // An empty entry (null) is skipped silently.
            continue;
        };
        match (is_section, key_name.as_str()) {
            (true, "vars") => {
                for (var, value) in &map {
                    inv.set_variable(&name, &var.key_string(), value.clone())
                        .map_err(|m| InventoryError::new(var.span.clone(), m))?;
                }
            }
            (true, "children") => {
                for (sub, subdata) in &map {
                    let subname = parse_group(inv, sub, subdata)?;
                    inv.add_child(&name, &subname).map_err(|m| {
                        let mut e = InventoryError::new(sub.span.clone(), m);
                        if !matches!(subdata.kind, NodeKind::Map(_) | NodeKind::Null) {
                            e = e.with_hint(format!(
                                "a child group is a mapping (hosts/vars/children) or empty, not a {}",
                                py_type(subdata)
                            ));
                        }
                        e
                    })?;
                }
            }
            (true, "hosts") => {
                for (pattern, hostdata) in &map {
                    parse_host(inv, &name, pattern, hostdata)?;
                }
            }
            _ => inv.warnings.push(format!(
                "{}: Skipping unexpected key ({key_name}) in group ({name}), only \"vars\", \"children\" and \"hosts\" are valid",
                k.span
            )),
        }
    }
    Ok(name)
}

fn parse_host(
    inv: &mut Inventory,
    group: &str,
    pattern: &Node,
    data: &Node,
) -> Result<(), InventoryError> {
    let Some(word) = pattern.as_str() else {
        return Err(InventoryError::new(
            pattern.span.clone(),
            format!(
                "Host pattern {} must be a string. Enclose integers/floats in quotation marks.",
                pattern.key_string()
            ),
        ));
    };
    let (hosts, port) =
        expand_host_pattern(word).map_err(|m| InventoryError::new(pattern.span.clone(), m))?;
    // `host: <falsy>` counts as no variables; anything else must be a mapping.
    let vars: Vec<(Node, Node)> = match &data.kind {
        NodeKind::Map(m) => m.clone(),
        _ if !truthy(data) => Vec::new(),
        _ => {
            return Err(InventoryError::new(
                data.span.clone(),
                format!(
                    "Invalid data from file, expected dictionary and got:\n\n{}",
                    describe(data)
                ),
            )
            .with_hint(format!("the variables of host '{word}' must be a mapping")));
        }
    };
    for h in &hosts {
        inv.add_host(h, Some(group), port, &pattern.span)
            .map_err(|m| InventoryError::new(pattern.span.clone(), m))?;
        for (k, v) in &vars {
            inv.set_variable(h, &k.key_string(), v.clone())
                .map_err(|m| InventoryError::new(k.span.clone(), m))?;
        }
    }
    Ok(())
}

/// A short rendering of a value for messages.
fn describe(n: &Node) -> String {
    match &n.kind {
        NodeKind::Str(s) => s.clone(),
        _ => n.to_json().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `text` into a fresh inventory: the inventory, or the error.
    fn parse(text: &str) -> Result<Inventory, InventoryError> {
        let mut docs = crate::yaml::load_str(text, "inv.yml")
            .map_err(|e| {
                InventoryError::new(crate::span::Span::synthetic("inv.yml"), e.to_string())
            })?
            .docs;
        let doc = docs
            .pop()
            .unwrap_or_else(|| Node::new(NodeKind::Null, crate::span::Span::synthetic("inv.yml")));
        let mut inv = Inventory::new();
        parse_yaml_doc(&mut inv, &doc)?;
        Ok(inv)
    }

    fn refused(text: &str) -> InventoryError {
        match parse(text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e,
        }
    }

    /// The messages are ansible-inventory 2.21's for the same files, with
    /// Python's tagged class names shortened to the plain type.
    #[test]
    fn structure_errors_as_ansible_inventory_words_them() {
        for (text, want) in [
            ("", "Parsed empty YAML file"),
            ("{}", "Parsed empty YAML file"),
            (
                "- a\n- b\n",
                "YAML inventory has invalid structure, it should be a dictionary, got: list",
            ),
            (
                "g1:\n  vars: [1]\n",
                "Invalid \"vars\" entry for \"g1\" group, requires a dictionary, found \"list\" instead.",
            ),
            (
                "g1:\n  hosts: 5\n",
                "Invalid \"hosts\" entry for \"g1\" group, requires a dictionary, found \"int\" instead.",
            ),
            (
                "5:\n  hosts: {a: }\n",
                "Unable to add group 5: Invalid group name supplied, expected a string but got int for 5",
            ),
            (
                "g1:\n  hosts:\n    5:\n",
                "Host pattern 5 must be a string. Enclose integers/floats in quotation marks.",
            ),
            (
                "g1:\n  hosts:\n    a: 7\n",
                "Invalid data from file, expected dictionary and got:\n\n7",
            ),
        ] {
            assert_eq!(refused(text).message, want, "{text:?}");
        }
        let e = refused("plugin: foo\n");
        assert!(
            e.message
                .starts_with("Plugin configuration YAML file, not YAML inventory"),
            "{e}"
        );
        assert!(
            e.hint
                .is_some_and(|h| h.contains("ansible-inventory --list"))
        );
        // A falsy `plugin` is an ordinary group name.
        let inv = parse("plugin:\n").expect("a group");
        assert!(inv.group("plugin").is_some());
        let e = refused("g1:\n  hosts:\n    a: [x]\n");
        assert_eq!(
            e.hint.as_deref(),
            Some("the variables of host 'a' must be a mapping")
        );
        assert!(e.message.ends_with("[\"x\"]"), "{e}");
    }

    #[test]
    fn skipped_entries_warn_and_the_rest_loads() {
        let inv = parse(
            "g0: 5\ng1:\n  hosts: web1\n  foo: {x: 1}\n  bar: 3\n  baz:\n  vars: \ng2:\n  hosts:\n    db[1:2]:2222: 0\n    q: {v: 1}\n",
        )
        .expect("loads");
        let w = inv.warnings.join("\n");
        assert!(
            w.contains("Skipping 'g0' as this is not a valid group definition"),
            "{w}"
        );
        assert!(
            w.contains("Skipping unexpected key (foo) in group (g1), only \"vars\", \"children\" and \"hosts\" are valid"),
            "{w}"
        );
        assert!(
            w.contains("Skipping key (bar) in group (g1) as it is not a mapping, it is a int"),
            "{w}"
        );
        // The empty `baz` is skipped in silence.
        assert!(!w.contains("baz"), "{w}");
        // A string `hosts` is one host; a falsy host value is no variables.
        assert_eq!(
            inv.group("g1").map(|g| g.hosts.clone()),
            Some(vec!["web1".to_string()])
        );
        let g2 = inv.group("g2").expect("g2");
        assert_eq!(g2.hosts, ["db1", "db2", "q"]);
        let db1 = inv.host("db1").expect("db1");
        assert!(
            db1.vars
                .iter()
                .any(|(k, v)| k == "ansible_port" && v.kind == NodeKind::Int(2222))
        );
        let q = inv.host("q").expect("q");
        assert!(
            q.vars
                .iter()
                .any(|(k, v)| k == "v" && v.kind == NodeKind::Int(1))
        );
    }

    #[test]
    fn children_that_are_no_group() {
        // The skipped child is then unknown where it is used.
        let e = refused("g1:\n  children:\n    g2: 5\n");
        assert!(
            e.hint.is_some_and(|h| h.contains("not a int")),
            "hint for a scalar child"
        );
        let inv = parse("g1:\n  children:\n    g2:\n      hosts: {h: }\n    g3:\n").expect("loads");
        let g1 = inv.group("g1").expect("g1");
        assert_eq!(g1.children, ["g2", "g3"]);
        let e = refused("g1:\n  children:\n    g1:\n");
        assert_eq!(e.message, "can't add group to itself");
    }
}
