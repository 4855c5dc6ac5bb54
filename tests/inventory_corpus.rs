// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Every case under tests/inventory_corpus/ is loaded with kiln's inventory
//! and rendered as `ansible-inventory --list` (and `--list --export`); the
//! result must equal, as data, what ansible-core 2.21 printed for the same
//! case (recorded by tests/oracle/record_inventory.sh).

use kiln::inventory::{Inventory, VarsDirs, load_vars_dirs};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/inventory_corpus")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("/work/main/tests/inventory_corpus"))
}

/// The first place where two JSON values differ, as a path.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_difference(&format!("{path}.{k}"), p, q) {
                            return Some(d);
                        }
                    }
                    (p, q) => return Some(format!("{path}.{k}: kiln {p:?} vs ansible {q:?}")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(&format!("{path}[{i}]"), p, q)),
        _ if a == b => None,
        _ => Some(format!("{path}: kiln {a} vs ansible {b}")),
    }
}

fn load_case(dir: &Path) -> Result<(Inventory, Option<VarsDirs>), String> {
    let sources = std::fs::read_to_string(dir.join("sources")).map_err(|e| e.to_string())?;
    let mut inv = Inventory::new();
    for s in sources.lines().filter(|l| !l.is_empty()) {
        inv.load_source(s, dir).map_err(|e| e.to_string())?;
    }
    inv.finish().map_err(|e| e.to_string())?;
    let play = match std::fs::read_to_string(dir.join("playbook_dir")) {
        Ok(p) => Some(load_vars_dirs(&dir.join(p.trim()), &inv).map_err(|e| e.to_string())?),
        Err(_) => None,
    };
    Ok((inv, play))
}

#[test]
fn corpus_matches_ansible_inventory() {
    let cases = case_dirs();
    assert!(
        cases.len() >= 20,
        "the corpus has only {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (inv, play) = match load_case(dir) {
            Ok(x) => x,
            Err(e) => {
                failures.push(format!("{name}: load failed: {e}"));
                continue;
            }
        };
        let play_refs: Vec<&VarsDirs> = play.iter().collect();
        for (file, got) in [
            ("expected.json", inv.to_list_json(&play_refs)),
            ("expected_export.json", inv.to_list_json_export(&play_refs)),
        ] {
            let text = match std::fs::read_to_string(dir.join(file)) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{name}/{file}: {e}"));
                    continue;
                }
            };
            let want: Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{name}/{file}: bad JSON: {e}"));
                    continue;
                }
            };
            if got != want {
                let diff = first_difference("", &got, &want).unwrap_or_else(|| "order only".into());
                failures.push(format!("{name}/{file}: {diff}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn case_dirs() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    cases
}

fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Host patterns give the hosts (in order) or the error a play got.
#[test]
fn patterns_match_ansible() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in case_dirs() {
        let Some(Value::Array(entries)) = read_json(&dir.join("expected_patterns.json")) else {
            continue;
        };
        for e in entries {
            let pattern = e["pattern"].as_str().unwrap_or_default();
            // Each pattern was recorded by its own ansible run: the implicit
            // localhost takes the first name a run uses, so start afresh.
            let (inv, _) = match load_case(&dir) {
                Ok(x) => x,
                Err(e) => {
                    failures.push(format!("{}: {e}", dir.display()));
                    break;
                }
            };
            checked += 1;
            match (inv.select(pattern), e.get("hosts"), e.get("error")) {
                (Ok(got), Some(want), _) => {
                    let got: Value = got.into_iter().map(Value::String).collect();
                    if &got != want {
                        failures.push(format!("{pattern:?}: kiln {got} vs ansible {want}"));
                    }
                }
                (Err(err), _, Some(Value::String(want))) => {
                    if !err.message.starts_with(want.as_str()) {
                        failures.push(format!(
                            "{pattern:?}: kiln error {:?} vs ansible {want:?}",
                            err.message
                        ));
                    }
                }
                (got, _, _) => failures.push(format!("{pattern:?}: kiln {got:?} vs ansible {e}")),
            }
        }
    }
    assert!(checked >= 40, "only {checked} patterns checked");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `group_names` of every host and the `groups` variable, as a play sees them.
#[test]
fn magic_vars_match_ansible() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in case_dirs() {
        let Some(want) = read_json(&dir.join("expected_magic.json")) else {
            continue;
        };
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (inv, _) = match load_case(&dir) {
            Ok(x) => x,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        checked += 1;
        let groups: serde_json::Map<String, Value> = inv
            .groups_map()
            .into_iter()
            .map(|(g, hs)| (g, hs.into_iter().map(Value::String).collect()))
            .collect();
        if Value::Object(groups.clone()) != want["groups"] {
            failures.push(format!(
                "{name}: groups kiln {} vs ansible {}",
                Value::Object(groups),
                want["groups"]
            ));
        }
        let Some(names) = want["group_names"].as_object() else {
            failures.push(format!("{name}: no group_names recorded"));
            continue;
        };
        for (host, want_names) in names {
            let got: Value = inv
                .group_names(host)
                .into_iter()
                .map(Value::String)
                .collect();
            if &got != want_names {
                failures.push(format!(
                    "{name}: group_names of {host}: kiln {got} vs ansible {want_names}"
                ));
            }
        }
        let ours = inv.hosts().count();
        if ours != names.len() {
            failures.push(format!(
                "{name}: kiln has {ours} hosts, ansible ran on {}",
                names.len()
            ));
        }
    }
    assert!(checked >= 20, "only {checked} cases checked");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `ansible-inventory --graph`: the group tree with direct hosts.
#[test]
fn graph_matches_ansible() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in case_dirs() {
        let Ok(want) = std::fs::read_to_string(dir.join("expected_graph.txt")) else {
            continue;
        };
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match load_case(&dir) {
            Ok((inv, _)) => {
                checked += 1;
                let got = inv.to_graph("all").unwrap_or_default();
                if got.trim_end() != want.trim_end() {
                    failures.push(format!("{name}:\nkiln:\n{got}\nansible:\n{want}"));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(checked >= 20, "only {checked} cases checked");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Cases whose YAML or `--graph --vars` output differs from Ansible's for a
/// reason kiln accepts, with the reason.
const KNOWN_TEXT_DIFFERENCES: [(&str, &str); 2] = [
    (
        "ini_vars_section_types",
        "an INI literal with an integer dict key (`{3: ...}`): kiln keeps keys as strings, so it quotes and sorts `'3'` where Python writes 3 unsorted",
    ),
    (
        "yaml_types",
        "a YAML date: kiln holds it as its text, so YAML quotes it where PyYAML writes a date object plain",
    ),
];

/// `ansible-inventory --list -y` (and `--export`) byte for byte, and
/// `--graph --vars` as text.
#[test]
fn yaml_and_graph_vars_match_ansible() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in case_dirs() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if KNOWN_TEXT_DIFFERENCES.iter().any(|(c, _)| *c == name) {
            continue;
        }
        let (inv, play) = match load_case(&dir) {
            Ok(x) => x,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let play_refs: Vec<&VarsDirs> = play.iter().collect();
        let outputs = [
            (
                "expected.yaml",
                kiln::cli::inventory::yaml_text(&inv.to_list_yaml_data(&play_refs, false)),
            ),
            (
                "expected_export.yaml",
                kiln::cli::inventory::yaml_text(&inv.to_list_yaml_data(&play_refs, true)),
            ),
            (
                "expected_graph_vars.txt",
                inv.to_graph_vars("all", Some(&play_refs))
                    .unwrap_or_default()
                    + "\n",
            ),
        ];
        for (file, got) in outputs {
            let Ok(want) = std::fs::read_to_string(dir.join(file)) else {
                continue;
            };
            checked += 1;
            if got != want {
                let line = got
                    .lines()
                    .zip(want.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(got.lines().count().min(want.lines().count()));
                failures.push(format!(
                    "{name}/{file} differs at line {}:\n  kiln    {:?}\n  ansible {:?}",
                    line + 1,
                    got.lines().nth(line),
                    want.lines().nth(line)
                ));
            }
        }
    }
    assert!(checked >= 100, "only {checked} outputs checked");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
