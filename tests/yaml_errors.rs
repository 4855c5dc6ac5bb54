// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! kiln's YAML errors point where Ansible's do. tests/yaml_errors/expected.json
//! holds broken YAML snippets with the problem text and position (1-based
//! line and column of the problem mark) that ansible-core 2.21's loader
//! reported for each (PyYAML on libyaml, recorded by
//! tests/oracle/record_yaml_errors.py). kiln must fail at the same line and
//! column with a message containing the same problem text, and the same
//! context text for a syntax error (or, for the
//! cases listed with an `equivalent`, the documented position and text),
//! show the offending line with a caret under that column, and never panic.

use serde_json::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};

fn load_cases(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    doc["cases"].as_array().cloned().unwrap_or_default()
}

/// What a case must produce: line, column, problem text and (for libyaml's
/// syntax errors) the context text, what was being read.
struct Want {
    line: u64,
    col: u64,
    problem: String,
    context: Option<String>,
}

fn want(case: &Value) -> Want {
    let w = if case["equivalent"].is_object() {
        &case["equivalent"]
    } else {
        &case["ansible"]
    };
    Want {
        line: w["line"].as_u64().unwrap_or(0),
        col: w["col"].as_u64().unwrap_or(0),
        problem: w["problem"].as_str().unwrap_or("").to_string(),
        // libyaml's own contexts ("while parsing a block mapping"); kiln
        // words the composer's (duplicate anchors, a second document) with
        // the anchor name and both positions instead.
        context: w["context"]
            .as_str()
            .filter(|c| w["kind"] == "syntax" && c.starts_with("while "))
            .map(|context| {
                // Where that started, when it is not where the problem is.
                let (line, col) = (&w["context_mark"]["line"], &w["context_mark"]["col"]);
                if (line, col) == (&w["line"], &w["col"]) || line.is_null() {
                    context.to_string()
                } else {
                    format!("{context} (started at line {line}, column {col})")
                }
            }),
    }
}

/// Loads like Ansible (one document per file); `None` if kiln panicked.
fn kiln(src: &str) -> Option<Result<kiln::yaml::Loaded, kiln::yaml::YamlError>> {
    catch_unwind(AssertUnwindSafe(|| {
        kiln::yaml::load_single_str(src, "t.yml")
    }))
    .ok()
}

/// The lines of `src` as libyaml counts them (a lone CR, NEL, LS and PS
/// end lines too).
fn libyaml_lines(src: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find(['\r', '\n', '\u{85}', '\u{2028}', '\u{2029}']) {
        lines.push(&rest[..at]);
        let width = if rest[at..].starts_with("\r\n") {
            2
        } else {
            rest[at..].chars().next().map_or(1, char::len_utf8)
        };
        rest = &rest[at + width..];
    }
    lines.push(rest);
    lines
}

/// Why kiln's error for `src` differs from `w`, if it does.
fn mismatch(src: &str, w: &Want) -> Option<String> {
    let e = match kiln(src) {
        None => return Some("kiln panicked".into()),
        Some(Ok(_)) => return Some("kiln loaded it without error".into()),
        Some(Err(e)) => e,
    };
    let got = (u64::from(e.span.line), u64::from(e.span.col));
    let context_missing = w.context.as_ref().is_some_and(|c| !e.message.contains(c));
    if got != (w.line, w.col) || !e.message.contains(&w.problem) || context_missing {
        return Some(format!(
            "kiln says {}:{} {:?}, Ansible {}:{} {:?} (context {:?})",
            got.0, got.1, e.message, w.line, w.col, w.problem, w.context
        ));
    }
    // The excerpt shows the line (`N | text`) and a caret under the column.
    let line_no = e.span.line.to_string();
    let line = libyaml_lines(src)
        .get(e.span.line as usize - 1)
        .copied()
        .unwrap_or("");
    let shown = format!("{line_no} | {line}");
    let caret_row = e.excerpt.lines().last().unwrap_or("");
    let caret_at = caret_row
        .split_once(" | ")
        .map(|(_, marks)| marks.chars().count());
    if !e.excerpt.contains(shown.trim_end()) || caret_at != Some(e.span.col as usize) {
        return Some(format!("bad excerpt:\n{}", e.excerpt));
    }
    let text = e.to_string();
    if !text.starts_with(&format!("t.yml:{}:{}: ", e.span.line, e.span.col)) || !text.contains('^')
    {
        return Some(format!("bad display:\n{text}"));
    }
    None
}

#[test]
fn kiln_reports_yaml_errors_where_ansible_does() {
    let cases = load_cases(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/yaml_errors/expected.json"
    ));
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    let mut equivalent = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let src = case["yaml"].as_str().unwrap_or("");
        if case["equivalent"].is_object() {
            equivalent += 1;
            let reason = case["equivalent"]["reason"].as_str().unwrap_or("");
            assert!(!reason.is_empty(), "{name}: an equivalent needs its reason");
        }
        if let Some(why) = mismatch(src, &want(case)) {
            failures.push(format!("{name}: {why}"));
        }
    }
    // Cases that cannot agree are the exception (under 10%).
    assert!(
        equivalent * 10 < cases.len(),
        "{equivalent} of {} cases use an equivalent",
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

/// Development aid: compares kiln with Ansible on snippets mutated at random
/// by `record_yaml_errors.py --fuzz N FILE [SEED]`. Run with
/// `KILN_YAML_FUZZ=FILE cargo test --test yaml_errors -- --ignored --nocapture`.
#[test]
#[ignore = "needs KILN_YAML_FUZZ, a file written by record_yaml_errors.py --fuzz"]
fn fuzzed_yaml_matches_ansible() {
    let Ok(path) = std::env::var("KILN_YAML_FUZZ") else {
        panic!("set KILN_YAML_FUZZ to a file written by record_yaml_errors.py --fuzz");
    };
    let cases = load_cases(&path);
    let (mut syntax, mut other) = (Vec::new(), Vec::new());
    for case in &cases {
        let src = case["yaml"].as_str().unwrap_or("");
        let a = &case["ansible"];
        let report = |why: String| format!("{src:?}\n    {why}");
        match a["kind"].as_str() {
            Some("syntax" | "reader") => {
                if let Some(why) = mismatch(src, &want(case)) {
                    syntax.push(report(why));
                }
            }
            // Constructor errors and clean loads are about values, which
            // saphyr-parser builds: listed, but they do not fail the run.
            Some("constructor") => match kiln(src) {
                Some(Err(e))
                    if (u64::from(e.span.line), u64::from(e.span.col))
                        == (
                            a["line"].as_u64().unwrap_or(0),
                            a["col"].as_u64().unwrap_or(0),
                        ) => {}
                got => other.push(report(format!("constructor error {a}; kiln {got:?}"))),
            },
            _ => match kiln(src) {
                Some(Ok(_)) => {}
                None => syntax.push(report("kiln panicked".into())),
                Some(Err(e)) => other.push(report(format!("Ansible loads it; kiln: {e}"))),
            },
        }
    }
    println!("value-level differences ({}):", other.len());
    for o in &other {
        println!("  {o}");
    }
    println!("syntax differences ({} of {}):", syntax.len(), cases.len());
    for s in &syntax {
        println!("  {s}");
    }
    assert!(syntax.is_empty());
}
