// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Broken inventories: each must fail with Ansible's message (or a clearer
//! one where Ansible's is a Python internal) at the right line and column.
//! Every input here is one ansible-inventory 2.21 also refuses.

use super::*;
use std::path::Path;

/// Writes `text` as `name` in a fresh directory and loads it.
fn load(name: &str, text: &str) -> Result<Inventory, InventoryError> {
    let dir = tempfile::tempdir()
        .map_err(|e| InventoryError::new(crate::span::Span::synthetic("tmp"), e.to_string()))?;
    std::fs::write(dir.path().join(name), text)
        .map_err(|e| InventoryError::new(crate::span::Span::synthetic("tmp"), e.to_string()))?;
    let mut inv = Inventory::new();
    inv.load_source(name, dir.path())?;
    inv.finish()?;
    Ok(inv)
}

/// Asserts that loading fails with `message` (a prefix) at `line:col`.
fn fails(name: &str, text: &str, message: &str, line: u32, col: u32) {
    match load(name, text) {
        Ok(_) => panic!("{name}: {text:?} loaded, expected {message:?}"),
        Err(e) => {
            assert!(
                e.message.starts_with(message),
                "{text:?}: got {:?}, expected {message:?}",
                e.message
            );
            assert_eq!((e.span.line, e.span.col), (line, col), "{text:?}: {e}");
            assert!(e.span.file.ends_with(name), "{e}");
        }
    }
}

#[test]
fn ini_errors() {
    fails(
        "h.ini",
        "[web\nhost1\n",
        "invalid host range in '[web'",
        1,
        1,
    );
    fails(
        "h.ini",
        "[g]\nh\n[g:foo]\n",
        "Section [g:foo] has unknown type: foo",
        3,
        1,
    );
    fails(
        "h.ini",
        "[g : vars]\n",
        "Invalid section entry: '[g : vars]'",
        1,
        1,
    );
    fails(
        "h.ini",
        "[web]\nhost1 a=b c\n",
        "Expected key=value host variable assignment, got: c",
        2,
        11,
    );
    fails(
        "h.ini",
        "[g]\nh\n[g:vars]\n  noequals\n",
        "Expected key=value, got: noequals",
        4,
        3,
    );
    fails(
        "h.ini",
        "[g:children]\nh x=1\n",
        "Expected group name, got: h x=1",
        2,
        1,
    );
    fails(
        "h.ini",
        "[p:children]\nc\n[c:vars]\nx=1\n",
        "Section [p:children] includes undefined group 'c'.",
        2,
        1,
    );
    fails(
        "h.ini",
        "[c:vars]\nx=1\n",
        "Section [c:vars] not valid for undefined group 'c'.",
        1,
        1,
    );
    fails(
        "h.ini",
        "[a:children]\nb\n[b:children]\na\n",
        "Adding group 'a' as child to 'b' creates a recursive dependency loop.",
        4,
        1,
    );
    fails(
        "h.ini",
        "[a:children]\na\n",
        "can't add group to itself",
        2,
        1,
    );
    fails(
        "h.ini",
        "[g]\nh[z:a]\n",
        "host range must have begin <= end",
        2,
        1,
    );
    fails(
        "h.ini",
        "[g]\nok\n  h[01:3]\n",
        "host range must specify equal-length begin and end formats",
        3,
        3,
    );
    fails(
        "h.ini",
        "[g]\nh[1:]\n",
        "host range must specify end value",
        2,
        1,
    );
    fails(
        "h.ini",
        "[g]\nh[a:1]\n",
        "invalid literal for int() with base 10: 'a'",
        2,
        1,
    );
    fails(
        "h.ini",
        "[g]\nh[1:10:0]\n",
        "range() arg 3 must not be zero",
        2,
        1,
    );
    fails(
        "h.ini",
        "[g]\nh:\n",
        "Invalid host pattern 'h:' supplied, ending in ':' is not allowed",
        2,
        1,
    );
    fails(
        "h.ini",
        "---\n",
        "Invalid host pattern '---' supplied, '---' is normally a sign this is a YAML file.",
        1,
        1,
    );
    fails(
        "h.ini",
        "[g]\nh a='x\n",
        "Error parsing host definition 'h a='x': No closing quotation",
        2,
        1,
    );
    fails(
        "h.ini",
        "[g]\nh a=x\\\n",
        "Error parsing host definition 'h a=x\\': No escaped character",
        2,
        1,
    );
    fails(
        "h.ini",
        "[g]\nh d=\"{[1]: 2}\"\n",
        "Failed to parse inventory: unhashable type: 'list'",
        2,
        3,
    );
    fails(
        "h.ini",
        "[g]\nh\n[g:vars]\ns={{1}}\n",
        "Failed to parse inventory: unhashable type: 'set'",
        4,
        3,
    );
}

#[test]
fn ini_error_hints() {
    let e = load("h.ini", "[p:children]\nh\n[g]\nh\n").err();
    let e = e.unwrap_or_else(|| panic!("loaded"));
    assert_eq!(
        e.message,
        "Section [p:children] includes undefined group 'h'."
    );
    assert!(
        e.hint
            .as_deref()
            .is_some_and(|h| h.contains("'h' is a host")),
        "{e}"
    );
    let shown = e.to_string();
    assert!(shown.contains("h.ini:2:1: Section [p:children]"), "{shown}");
}

#[test]
fn yaml_errors() {
    fails(
        "h.yml",
        "g4:\n  vars: [1]\n",
        "Invalid \"vars\" entry for \"g4\" group, requires a dictionary, found \"list\" instead.",
        2,
        9,
    );
    fails(
        "h.yml",
        "g4:\n  hosts:\n    a: [1]\n",
        "Invalid data from file, expected dictionary and got:",
        3,
        8,
    );
    fails(
        "h.yml",
        "g:\n  hosts:\n    42:\n",
        "Host pattern 42 must be a string.",
        3,
        5,
    );
    fails(
        "h.yml",
        "g:\n  children:\n    c:\n      children:\n        g:\n",
        "Adding group 'c' as child to 'g' creates a recursive dependency loop.",
        3,
        5,
    );
    fails(
        "h.yml",
        "g4:\n  children:\n    c1: [1]\n",
        "c1 is not a known host nor group",
        3,
        5,
    );
    fails(
        "h.yml",
        "g:\n  hosts:\n    h[z:a]:\n",
        "host range must have begin <= end",
        3,
        5,
    );
    fails(
        "h.yml",
        "plugin: constructed\n",
        "Plugin configuration YAML file, not YAML inventory: inventory plugins (here 'constructed')",
        1,
        9,
    );
    // A YAML syntax error is reported where the YAML loader found it.
    let e = load("h.yml", "all:\n  hosts: [a, b\n")
        .err()
        .unwrap_or_else(|| panic!("loaded"));
    assert!(e.span.file.ends_with("h.yml") && e.span.line >= 2, "{e}");
}

#[test]
fn source_errors() {
    let mut inv = Inventory::new();
    let e = inv.load_source("no/such/file", Path::new("/nonexistent"));
    assert!(e.is_err_and(|e| e.message.starts_with("inventory source not found")));
    fails(
        "h.toml",
        "[g]\nh\n",
        "TOML inventories are not supported",
        0,
        0,
    );
    fails(
        "script",
        "#!/bin/sh\necho '{'\n",
        "this file starts with `#!` like an inventory script, but it is not executable",
        1,
        1,
    );
}

#[test]
fn vars_dir_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = dir.path();
    std::fs::create_dir_all(p.join("group_vars")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(p.join("hosts.ini"), "[web]\nw1\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(p.join("group_vars/web.yml"), "- a\n- b\n").unwrap_or_else(|e| panic!("{e}"));
    let mut inv = Inventory::new();
    inv.load_source("hosts.ini", p)
        .unwrap_or_else(|e| panic!("{e}"));
    let e = inv
        .finish()
        .err()
        .unwrap_or_else(|| panic!("finish accepted a list"));
    assert!(
        e.message
            .contains("expected dicts but got a 'dict' and a 'list'"),
        "{e}"
    );
    assert_eq!(e.span.line, 1, "{e}");
}

/// Ansible offers a file to the YAML plugin, then to the INI one: a `.yml`
/// file that is no YAML inventory but valid INI is an INI inventory.
#[test]
fn parser_fallback() {
    let inv = load("h.yml", "[1,2]\nh\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        inv.group("1,2").map(|g| g.hosts.clone()),
        Some(vec!["h".to_string()])
    );
    let inv = load("hosts", "h1\nh2 a=1\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inv.select("ungrouped").unwrap_or_default(), ["h1", "h2"]);
    // An empty file is an empty inventory.
    let inv = load("empty.yml", "").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inv.hosts().count(), 0);
}

#[test]
fn pattern_errors() {
    let inv = load("h.ini", "[web]\nw[1:3]\n").unwrap_or_else(|e| panic!("{e}"));
    let e = inv
        .select("~(")
        .err()
        .unwrap_or_else(|| panic!("bad regex accepted"));
    assert!(
        e.message.starts_with("Invalid host list pattern: ~("),
        "{e}"
    );
    assert_eq!(e.pattern, "~(");
    let e = inv
        .select("all:web[5]")
        .err()
        .unwrap_or_else(|| panic!("index accepted"));
    assert_eq!(
        e.message,
        "No hosts matched the subscripted pattern 'web[5]'"
    );
    assert_eq!(inv.select("web[1:]").unwrap_or_default(), ["w2", "w3"]);
    let s = inv.select_with_warnings("web:nomatch").unwrap_or_default();
    assert_eq!(s.hosts, ["w1", "w2", "w3"]);
    assert_eq!(
        s.warnings,
        ["Could not match supplied host pattern, ignoring: nomatch"]
    );
}

#[test]
fn implicit_localhost() {
    let inv = load("h.ini", "[all:vars]\nav=1\n[web]\nw1\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inv.select("all").unwrap_or_default(), ["w1"]);
    assert_eq!(inv.select("127.0.0.1").unwrap_or_default(), ["127.0.0.1"]);
    // The first name used sticks, as in Ansible.
    assert_eq!(inv.select("localhost").unwrap_or_default(), ["127.0.0.1"]);
    let h = inv
        .resolve_host("localhost")
        .unwrap_or_else(|| panic!("no implicit localhost"));
    assert!(h.implicit);
    assert_eq!(
        h.var("ansible_connection").and_then(|v| v.as_str()),
        Some("local")
    );
    assert!(inv.groups_of(&h.name).is_empty());
    let merged = inv.host_vars_merged("localhost", &[]);
    assert!(
        merged.iter().any(|(k, _)| k == "av"),
        "implicit localhost gets `all` vars"
    );
    assert!(inv.group_hosts("all").iter().all(|h| h != "127.0.0.1"));
}

#[test]
fn variable_order_and_spans() {
    let inv = load("h.ini", "[web]\nw1 a=1\n[web:vars]\nb=2\n[all:vars]\na=0\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let layers = inv.host_vars_layers("w1");
    let kinds: Vec<LayerSource> = layers.iter().map(|l| l.source.clone()).collect();
    assert_eq!(
        kinds,
        [
            LayerSource::InventoryGroup("all".into()),
            LayerSource::InventoryGroup("web".into()),
            LayerSource::InventoryHost
        ]
    );
    let a = inv
        .host("w1")
        .and_then(|h| h.var("a"))
        .unwrap_or_else(|| panic!("no a"));
    assert_eq!((a.span.line, a.span.col), (2, 4));
    assert_eq!(inv.groups_of("w1"), ["all", "web"]);
    assert_eq!(inv.group_names("w1"), ["web"]);
}
