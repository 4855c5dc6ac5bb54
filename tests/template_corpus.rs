// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The 41 CMT templates rendered by kiln (`Templar::render_file`, the
//! template module's settings) must give the bytes Ansible's `template`
//! module wrote, recorded by tests/oracle/record_template_corpus.py into
//! tests/template_corpus/expected/.

use kiln::template::{Resolver, Templar, TemplateError, TemplateOptions, json_to_value};
use minijinja::value::Value;
use serde_json::Value as Json;
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/template_corpus")
}

/// Plain variables: the base set with the case's own on top.
struct Vars(serde_json::Map<String, Json>);

impl Resolver for Vars {
    fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError> {
        Ok(self.0.get(name).map(json_to_value))
    }
}

/// The template module's Jinja arguments of a case.
fn template_options(j: &Json) -> TemplateOptions {
    let mut o = TemplateOptions::default();
    let text = |k: &str| j.get(k).and_then(Json::as_str).map(str::to_string);
    let flag = |k: &str| j.get(k).and_then(Json::as_bool);
    if let Some(v) = text("variable_start_string") {
        o.variable_start_string = v;
    }
    if let Some(v) = text("variable_end_string") {
        o.variable_end_string = v;
    }
    if let Some(v) = text("block_start_string") {
        o.block_start_string = v;
    }
    if let Some(v) = text("block_end_string") {
        o.block_end_string = v;
    }
    if let Some(v) = text("newline_sequence") {
        o.newline_sequence = v;
    }
    if let Some(v) = flag("trim_blocks") {
        o.trim_blocks = v;
    }
    if let Some(v) = flag("lstrip_blocks") {
        o.lstrip_blocks = v;
    }
    o
}

/// The first line where two texts differ, for the failure report.
fn first_difference(want: &str, got: &str) -> String {
    for (i, (w, g)) in want.split('\n').zip(got.split('\n')).enumerate() {
        if w != g {
            return format!("line {}: ansible {w:?}, kiln {g:?}", i + 1);
        }
    }
    format!(
        "ansible has {} lines, kiln {}",
        want.split('\n').count(),
        got.split('\n').count()
    )
}

#[test]
fn cmt_templates_render_like_ansible() {
    let doc: Json = serde_json::from_str(
        &std::fs::read_to_string(corpus().join("cases.json")).expect("cases.json"),
    )
    .expect("cases.json is JSON");
    let cases = doc["cases"].as_array().expect("cases");
    let templar = Templar::new();
    let mut templates = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or_default();
        let template = case["template"].as_str().unwrap_or_default();
        if !template.starts_with("../extra/") {
            templates.insert(template.to_string());
        }
        let mut vars = doc["base"].as_object().cloned().unwrap_or_default();
        if let Some(extra) = case["vars"].as_object() {
            for (k, v) in extra {
                vars.insert(k.clone(), v.clone());
            }
        }
        let path = corpus().join("templates").join(template);
        let text = std::fs::read_to_string(&path).expect("template file");
        let options = template_options(&case["options"]);
        // The template module searches the template's own directory last.
        let dirs = vec![path.parent().map(|p| p.to_path_buf()).unwrap_or_default()];
        let want = std::fs::read(corpus().join("expected").join(name)).expect("expected output");
        match templar.render_file_in(&text, &Vars(vars), &options, &dirs) {
            Ok(got) if got.as_bytes() == want.as_slice() => {}
            Ok(got) => failures.push(format!(
                "{name} ({template}): {}",
                first_difference(&String::from_utf8_lossy(&want), &got)
            )),
            Err(e) => failures.push(format!("{name} ({template}): kiln fails: {e}")),
        }
    }
    eprintln!(
        "template corpus: {}/{} renders byte-identical to Ansible's ({} templates)",
        cases.len() - failures.len(),
        cases.len(),
        templates.len()
    );
    assert_eq!(templates.len(), 41, "every CMT template is covered");
    assert!(failures.is_empty(), "differences:\n{}", failures.join("\n"));
}
