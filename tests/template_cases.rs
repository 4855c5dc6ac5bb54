// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! kiln's templar against ansible-core 2.21 on the expression table of
//! tests/template_cases/cases.txt, whose answers tests/oracle/record_templates.py
//! recorded into tests/template_cases/expected.json.
//!
//! Every case must give Ansible's value and type (or, for a condition,
//! true/false), or fail where Ansible fails. Error messages must match for
//! the kinds a user reads most (undefined variables, conditionals); for the
//! others the agreement is counted and printed. Cases where kiln knowingly
//! differs are listed with their reason in known_differences.txt; a listed
//! case that starts to agree fails the test so that the list stays true, and
//! so does a listed case where kiln gives a value: a known difference must
//! fail loudly, never give another value than Ansible's in silence. The one
//! exception is marked `[kiln accepts]`: Ansible refuses the case and kiln
//! cannot refuse it without also refusing what Ansible accepts.

use kiln::template::{
    Resolver, Templar, TemplateError, json_to_value, py_repr, py_type_name, value_to_json,
};
use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/template_cases")
}

/// Variables as Ansible holds them: plain data, strings templated when read
/// (recursively, with a cycle check), task variables over play variables.
struct Inner {
    templar: Arc<Templar>,
    layers: Vec<serde_json::Map<String, Json>>,
    cache: Mutex<HashMap<String, Value>>,
    resolving: Mutex<Vec<String>>,
}

#[derive(Clone)]
struct Vars(Arc<Inner>);

impl Vars {
    fn new(templar: Arc<Templar>, play: &Json, task: &Json) -> Vars {
        let layer = |j: &Json| j.as_object().cloned().unwrap_or_default();
        Vars(Arc::new(Inner {
            templar,
            layers: vec![layer(play), layer(task)],
            cache: Mutex::new(HashMap::new()),
            resolving: Mutex::new(Vec::new()),
        }))
    }

    fn raw(&self, name: &str) -> Option<&Json> {
        self.0.layers.iter().rev().find_map(|l| l.get(name))
    }

    fn names(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for l in &self.0.layers {
            for k in l.keys() {
                if !seen.contains(k) {
                    seen.push(k.clone());
                }
            }
        }
        seen
    }

    fn render_data(&self, j: &Json) -> Result<Value, TemplateError> {
        Ok(match j {
            Json::String(s) => self.0.templar.render(s, self)?,
            Json::Array(a) => Value::from(
                a.iter()
                    .map(|x| self.render_data(x))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Json::Object(m) => {
                let mut out = Vec::new();
                // Ansible templates values, never keys.
                for (k, v) in m {
                    out.push((Value::from(k.as_str()), self.render_data(v)?));
                }
                Value::from_pairs(out)
            }
            other => json_to_value(other),
        })
    }
}

impl Resolver for Vars {
    fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError> {
        match name {
            "vars" => return Ok(Some(Value::from_object(AllVars(self.clone())))),
            "playbook_dir" => return Ok(Some(Value::from(cases_dir().display().to_string()))),
            "ansible_search_path" => {
                return Ok(Some(Value::from(vec![Value::from(
                    cases_dir().display().to_string(),
                )])));
            }
            _ => {}
        }
        if let Some(v) = self.0.cache.lock().ok().and_then(|c| c.get(name).cloned()) {
            return Ok(Some(v));
        }
        let Some(raw) = self.raw(name).cloned() else {
            return Ok(None);
        };
        {
            let mut stack = self
                .0
                .resolving
                .lock()
                .map_err(|_| TemplateError::message(name, "poisoned"))?;
            if stack.iter().any(|s| s == name) {
                return Err(TemplateError::message(
                    name,
                    "Recursive loop detected in template: maximum recursion depth exceeded",
                ));
            }
            stack.push(name.to_string());
        }
        let r = self.render_data(&raw);
        if let Ok(mut stack) = self.0.resolving.lock() {
            stack.pop();
        }
        let v = r?;
        if let Ok(mut c) = self.0.cache.lock() {
            c.insert(name.to_string(), v.clone());
        }
        Ok(Some(v))
    }
}

/// `vars`: every variable as a lazy dict, as the run's scope provides it.
#[derive(Clone)]
struct AllVars(Vars);

impl std::fmt::Debug for AllVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("vars")
    }
}

impl Object for AllVars {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.0.resolve(key.as_str()?) {
            Ok(v) => v,
            Err(e) => Some(Value::from(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                e.message,
            ))),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.names().into_iter().map(Value::from).collect())
    }
}

/// The part of Ansible's task error that the templar itself produced.
fn core_message(ansible: &str) -> &str {
    let mut m = ansible;
    for prefix in [
        "Task failed: Finalization of task args for 'ansible.builtin.debug' failed: Error while resolving value for 'msg': ",
        "Task failed: A 'when' expression failed: ",
        "Error while evaluating conditional: ",
    ] {
        m = m.strip_prefix(prefix).unwrap_or(m);
    }
    m
}

/// Messages compared strictly: the ones a user reads to fix a playbook.
fn strict_message(core: &str) -> bool {
    core.ends_with(" is undefined") || core.starts_with("Conditional result (")
}

/// A conditional's message names where the expression came from; kiln adds
/// the place when it knows it, so compare up to there. Ansible's framing of
/// a plugin's error ("The filter plugin 'ansible.builtin.x' failed: ") is
/// not compared, the plugin's own message is.
fn comparable(core: &str) -> &str {
    let mut m = core;
    for frame in [
        "The filter plugin '",
        "The test plugin '",
        "The lookup plugin '",
    ] {
        if let Some(rest) = m.strip_prefix(frame)
            && let Some(i) = rest.find("' failed: ")
        {
            m = &rest[i + "' failed: ".len()..];
        }
    }
    for prefix in ["Error rendering template: ", "Error rendering expression: "] {
        m = m.strip_prefix(prefix).unwrap_or(m);
    }
    match m.find(" at '") {
        Some(i) if m.starts_with("Conditional result (") => &m[..i],
        _ => m,
    }
}

/// How the message of a case where Ansible gives a value and kiln fails
/// starts.
const KILN_FAILS: &str = "ansible gives ";

enum Outcome {
    Pass { message_agrees: Option<bool> },
    Fail(String),
}

fn run_case(templar: &Arc<Templar>, play_vars: &Json, case: &Json) -> Outcome {
    let text = case["text"].as_str().unwrap_or_default();
    let kind = case["kind"].as_str().unwrap_or_default();
    let only_type = case["compare"] == "type";
    let ansible = &case["ansible"];
    let status = ansible["status"].as_str().unwrap_or_default();
    let vars = Vars::new(templar.clone(), play_vars, &case["vars"]);

    let got: Result<Value, TemplateError> = if kind == "condition" {
        templar.condition(text, &vars).map(Value::from)
    } else {
        templar.render(text, &vars)
    };

    match (status, got) {
        ("failed", Err(e)) => {
            let core = core_message(ansible["error"].as_str().unwrap_or_default());
            let want = comparable(core);
            let agrees = e.message.contains(want);
            if strict_message(core) && !agrees {
                return Outcome::Fail(format!(
                    "message differs\n      ansible: {core}\n      kiln:    {}",
                    e.message
                ));
            }
            if !agrees && std::env::var("KILN_SHOW_MESSAGES").is_ok() {
                eprintln!(
                    "  message {}: ansible: {core}\n      kiln:    {}",
                    case["id"], e.message
                );
            }
            Outcome::Pass {
                message_agrees: Some(agrees),
            }
        }
        ("failed", Ok(v)) => Outcome::Fail(format!(
            "ansible fails ({}) but kiln gives {}",
            core_message(ansible["error"].as_str().unwrap_or_default()),
            serde_json::to_string(&value_to_json(&v)).unwrap_or_default()
        )),
        (_, Err(e)) => Outcome::Fail(format!(
            "{KILN_FAILS}{} but kiln fails: {}",
            if status == "skipped" {
                "false".to_string()
            } else {
                serde_json::to_string(&ansible["value"]).unwrap_or_default()
            },
            e.message
        )),
        ("skipped", Ok(v)) => {
            if v.kind() == minijinja::value::ValueKind::Bool && !v.is_true() {
                Outcome::Pass {
                    message_agrees: None,
                }
            } else {
                Outcome::Fail(format!("ansible: false, kiln: {v:?}"))
            }
        }
        (_, Ok(v)) if kind == "condition" => {
            if v.is_true() {
                Outcome::Pass {
                    message_agrees: None,
                }
            } else {
                Outcome::Fail("ansible: true, kiln: false".into())
            }
        }
        (_, Ok(v)) => {
            let want_type = ansible["type"].as_str().unwrap_or_default();
            let got_type = py_type_name(&v);
            let want = serde_json::to_string(&ansible["value"]).unwrap_or_default();
            // The recorder gives a value JSON cannot hold (a datetime) as
            // its Python repr.
            let plain = matches!(
                want_type,
                "int" | "float" | "str" | "bool" | "list" | "dict" | "NoneType"
            );
            let got = if plain {
                serde_json::to_string(&value_to_json(&v)).unwrap_or_default()
            } else {
                serde_json::to_string(&py_repr(&v)).unwrap_or_default()
            };
            if want_type != got_type {
                Outcome::Fail(format!(
                    "type: ansible {want_type} {want}, kiln {got_type} {got}"
                ))
            } else if !only_type && want != got {
                Outcome::Fail(format!(
                    "value:\n      ansible: {want}\n      kiln:    {got}"
                ))
            } else {
                Outcome::Pass {
                    message_agrees: None,
                }
            }
        }
    }
}

/// The reason of a listed case where Ansible fails and kiln gives a value.
const KILN_ACCEPTS: &str = "[kiln accepts]";

/// `id reason` lines of known_differences.txt.
fn known_differences() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(cases_dir().join("known_differences.txt")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, why) = l.split_once(' ').unwrap_or((l, ""));
            (id.to_string(), why.trim().to_string())
        })
        .collect()
}

#[test]
fn templates_match_ansible() {
    let main = check_table("expected.json");
    assert!(main >= 500, "the table has {main} cases");
}

/// community.general's and ansible.utils' filters (json_query, ipaddr...).
#[test]
fn collection_filters_match_ansible() {
    check_table("expected_collections.json");
}

/// Runs every case of one recorded table; returns how many it holds.
fn check_table(file: &str) -> usize {
    let doc: Json = serde_json::from_str(
        &std::fs::read_to_string(cases_dir().join(file)).expect("expected table"),
    )
    .expect("the table is JSON");
    let cases = doc["cases"].as_array().expect("cases");
    let known = known_differences();
    let known_here = cases
        .iter()
        .filter(|c| known.contains_key(c["id"].as_str().unwrap_or_default()))
        .count();
    let filter = std::env::var("KILN_CASE").ok();
    let templar = Templar::new();
    // ALLOW_BROKEN_CONDITIONALS is a run-wide setting: its cases get their own templar.
    let lenient = Templar::new();
    lenient.set_allow_broken_conditionals(true);

    let (mut pass, mut messages_agree, mut messages_total) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut fixed = Vec::new();
    let mut silent = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap_or_default();
        if let Some(f) = &filter
            && !f.split(',').any(|x| x == id)
        {
            continue;
        }
        let t = if case["allow_broken_conditionals"] == true {
            &lenient
        } else {
            &templar
        };
        let outcome = run_case(t, &doc["vars"], case);
        match (outcome, known.contains_key(id)) {
            (Outcome::Pass { message_agrees }, listed) => {
                pass += 1;
                if let Some(a) = message_agrees {
                    messages_total += 1;
                    messages_agree += usize::from(a);
                }
                if listed {
                    fixed.push(id.to_string());
                }
            }
            (Outcome::Fail(why), true) => {
                // Only a case that Ansible refuses may be listed as one
                // that kiln accepts (a playbook that runs under Ansible
                // must not fail under kiln, so that side wins).
                let accepted = known[id].starts_with(KILN_ACCEPTS)
                    && case["ansible"]["status"].as_str() == Some("failed");
                if !why.starts_with(KILN_FAILS) && !accepted {
                    silent.push(format!("{id}: {why}"));
                }
            }
            (Outcome::Fail(why), false) => failures.push(format!(
                "{id} (cases.txt:{} [{}]) {}\n      {why}",
                case["line"],
                case["group"].as_str().unwrap_or_default(),
                case["text"]
            )),
        }
    }
    let total = if filter.is_some() {
        pass + failures.len()
    } else {
        cases.len()
    };
    eprintln!(
        "{file}: {pass}/{total} agree with ansible-core {}, {known_here} known differences, \
         error messages agree in {messages_agree}/{messages_total}",
        doc["ansible_version"].as_str().unwrap_or_default(),
    );
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(
        fixed.is_empty(),
        "listed in known_differences.txt but now agree: {fixed:?}"
    );
    assert!(
        silent.is_empty(),
        "listed in known_differences.txt but kiln gives a value instead of failing: {silent:#?}"
    );
    assert!(failures.is_empty(), "{} cases differ", failures.len());
    cases.len()
}
