// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! kiln's YAML loader builds the values Ansible's does. tests/yaml_values/
//! expected.json holds well-formed YAML snippets with what ansible-core
//! 2.21's loader (AnsibleLoader on PyYAML 6.0.4 and libyaml) built from
//! each, Python types included, and the warnings it showed (recorded by
//! tests/oracle/record_yaml_values.py). kiln must build the same value and
//! warn the same way; the cases listed with `known` (a documented, deliberate
//! difference) must build the documented value instead.

use kiln::yaml::{Node, NodeKind, Tag, python_float};
use serde_json::{Value, json};

const SET: &str = "tag:yaml.org,2002:set";

/// kiln's node in the recorder's notation (`["int", "12"]`, `["dict", [[k,
/// v], ...]]`...). `unsafe_` says an enclosing node is `!unsafe`: Ansible
/// leaves every string under it untrusted.
fn typed(node: &Node, unsafe_: bool) -> Value {
    let unsafe_ = unsafe_ || node.is_unsafe();
    match &node.kind {
        NodeKind::Str(s) if node.tag == Some(Tag::Vault) => json!(["vault", s]),
        NodeKind::Str(s) if unsafe_ => json!(["unsafe", s]),
        NodeKind::Str(s) => json!(["str", s]),
        NodeKind::Null => json!(["null"]),
        NodeKind::Bool(b) => json!(["bool", b]),
        NodeKind::Int(i) => json!(["int", i.to_string()]),
        NodeKind::Float(f) => json!(["float", python_float(*f)]),
        NodeKind::Seq(items) => {
            let mut items: Vec<Value> = items.iter().map(|n| typed(n, unsafe_)).collect();
            if node.tag == Some(Tag::Other(SET.into())) {
                // A Python set has no order; the recorder sorts its members.
                items.sort_by_key(Value::to_string);
                json!(["set", items])
            } else {
                json!(["list", items])
            }
        }
        NodeKind::Map(pairs) => {
            let pairs: Vec<Value> = pairs
                .iter()
                .map(|(k, v)| json!([typed(k, unsafe_), typed(v, unsafe_)]))
                .collect();
            json!(["dict", pairs])
        }
    }
}

/// Whether kiln's value `got` is Ansible's `want` as kiln represents it.
/// kiln has no date, bytes or tuple type and its ints are 64-bit: a
/// timestamp is the text Python's `str()` gives it (src/yaml/timestamp.rs;
/// under `!unsafe` that text keeps the unsafe mark, which changes nothing
/// for a value that is no template), `!!binary` is its UTF-8 text and a
/// bigger int its decimal digits (src/yaml/resolve.rs), and the pairs of
/// `!!omap`/`!!pairs` are lists (src/yaml/loader.rs).
fn same(got: &Value, want: &Value) -> bool {
    let kind = |v: &Value| v.get(0).and_then(Value::as_str).unwrap_or("").to_string();
    let items = |v: &Value| {
        v.get(1)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let arg = want.get(1).cloned().unwrap_or(Value::Null);
    let all_same = |g: Vec<Value>, w: Vec<Value>, f: &dyn Fn(&Value, &Value) -> bool| {
        g.len() == w.len() && g.iter().zip(&w).all(|(g, w)| f(g, w))
    };
    match kind(want).as_str() {
        "date" => *got == json!(["str", arg]) || *got == json!(["unsafe", arg]),
        "bytes" => *got == json!(["str", arg]),
        "int" if arg.as_str().and_then(|d| d.parse::<i64>().ok()).is_none() => {
            *got == json!(["str", arg])
        }
        k @ ("tuple" | "list" | "set") => {
            let k = if k == "tuple" { "list" } else { k };
            kind(got) == k && all_same(items(got), items(want), &same)
        }
        "dict" => {
            let pair = |g: &Value, w: &Value| same(&g[0], &w[0]) && same(&g[1], &w[1]);
            kind(got) == "dict" && all_same(items(got), items(want), &pair)
        }
        _ => got == want,
    }
}

/// Why kiln differs from the recorded case, if it does.
fn mismatch(case: &Value) -> Option<String> {
    let src = case["yaml"].as_str().unwrap_or("");
    let refusal = case["known"]["kiln_error"].as_str();
    let loaded = match (kiln::yaml::load_single_str(src, "t.yml"), refusal) {
        (Err(e), Some(part)) if e.message.contains(part) => return None,
        (Ok(_), Some(part)) => return Some(format!("kiln loaded it; known to fail with {part:?}")),
        (Ok(l), None) => l,
        (Err(e), _) => return Some(format!("kiln refused it: {e}")),
    };
    // An empty stream is None in Ansible.
    let got = loaded
        .docs
        .first()
        .map_or_else(|| json!(["null"]), |n| typed(n, false));
    let want = if case["known"].is_object() {
        &case["known"]["kiln"]
    } else {
        &case["ansible"]["value"]
    };
    if !same(&got, want) {
        return Some(format!("kiln built\n    {got}\n  Ansible\n    {want}"));
    }
    // Ansible's warning text is kiln's without the help text that follows
    // it (`Using last defined value only.`), or, for a deprecation, without
    // the version it goes away in.
    let want: Vec<&str> = case["ansible"]["warnings"]
        .as_array()
        .map(|w| w.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let got: Vec<&str> = loaded.warnings.iter().map(|w| w.message.as_str()).collect();
    let same = got.len() == want.len()
        && got.iter().zip(&want).all(|(g, w)| {
            let deprecation = format!("{} and will be removed", w.trim_end_matches('.'));
            *g == *w || g.starts_with(&format!("{w} ")) || g.starts_with(&deprecation)
        });
    if !same && !case["known"].is_object() {
        return Some(format!("kiln warned {got:?}, Ansible {want:?}"));
    }
    None
}

#[test]
fn kiln_builds_the_values_ansible_does() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/yaml_values/expected.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases = doc["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 100, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    let mut known = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        if case["known"].is_object() {
            known += 1;
            let reason = case["known"]["reason"].as_str().unwrap_or("");
            assert!(
                !reason.is_empty(),
                "{name}: a known difference needs its reason"
            );
        }
        if let Some(why) = mismatch(case) {
            failures.push(format!("{name}: {why}"));
        }
    }
    // Known differences are the exception (under 5%).
    assert!(
        known * 20 < cases.len(),
        "{known} of {} cases are known differences",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn kiln_representations_of_python_types() {
    // The comparison itself, on values of the recorded notation.
    let big = "99999999999999999999";
    assert!(same(
        &json!(["str", "2001-12-14"]),
        &json!(["date", "2001-12-14"])
    ));
    assert!(same(
        &json!(["unsafe", "2001-12-14"]),
        &json!(["date", "2001-12-14"])
    ));
    assert!(same(&json!(["str", big]), &json!(["int", big])));
    assert!(!same(&json!(["str", "7"]), &json!(["int", "7"])));
    assert!(same(
        &json!(["dict", [[["str", "hi"], ["list", [["null"]]]]]]),
        &json!(["dict", [[["bytes", "hi"], ["tuple", [["null"]]]]]])
    ));
    assert!(!same(
        &json!(["list", [["null"]]]),
        &json!(["list", [["null"], ["null"]]])
    ));
}
