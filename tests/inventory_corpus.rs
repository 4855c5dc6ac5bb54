// SPDX-License-Identifier: MIT
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
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    cases.sort();
    assert!(cases.len() >= 20, "the corpus has only {} cases", cases.len());
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
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
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
