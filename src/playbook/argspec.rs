// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A role's argument specs (`meta/argument_specs.yml`, else the
//! `argument_specs` key of `meta/main.yml`) and the validation task Ansible
//! puts before the role's tasks when the entry point (`main` or the
//! `tasks_from` name) has a spec. The checks themselves are the
//! `validate_argument_spec` module's (src/modules/validate_argument_spec.rs).

use super::common::{Ctx, load_doc};
use super::{PlaybookError, Role};
use crate::span::Span;
use crate::template::{json_to_value, py_repr};
use crate::vault::Secrets;
use crate::yaml::Node;
use serde_json::{Map, Value as Json, json};

/// The `argument_specs` mapping of the role at `path` (empty if none).
pub(super) fn role_specs(path: &std::path::Path, ctx: &Ctx) -> Result<Json, PlaybookError> {
    let meta = path.join("meta");
    // The dedicated file wins over meta/main; the two are never merged.
    for ext in ["yml", "yaml", "json"] {
        let p = meta.join(format!("argument_specs.{ext}"));
        if p.is_file() {
            let doc = load_doc(&p, ctx, Secrets::VarsSections)?;
            return Ok(doc
                .and_then(|d| d.get("argument_specs").map(Node::to_json))
                .unwrap_or(Json::Null));
        }
    }
    match super::role::main_file(&meta, "main") {
        Some(p) => Ok(load_doc(&p, ctx, Secrets::VarsSections)?
            .and_then(|d| d.get("argument_specs").map(Node::to_json))
            .unwrap_or(Json::Null)),
        None => Ok(Json::Null),
    }
}

/// The validation task for `entry`, as a task entry to parse like any
/// other, or `None` when that entry point has no spec.
pub(super) fn validation_task(specs: &Json, role: &Role, entry: &str) -> Option<Node> {
    let spec = specs.get(entry).filter(|s| match s {
        Json::Object(m) => !m.is_empty(),
        Json::Null => false,
        _ => true,
    })?;
    let mut name = format!("Validating arguments against arg spec '{entry}'");
    if let Some(d) = spec.get("short_description") {
        name.push_str(" - ");
        name.push_str(&match d {
            Json::String(s) => s.clone(),
            other => py_repr(&json_to_value(other)),
        });
    }
    let provided: Map<String, Json> = role
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    let task = json!({
        "action": "ansible.builtin.validate_argument_spec",
        "args": {
            "argument_spec": spec.get("options").cloned().unwrap_or_else(|| json!({})),
            "provided_arguments": provided,
            "validate_args_context": {
                "type": "role",
                "name": role.fqcn,
                "argument_spec_name": entry,
                "path": role.path.display().to_string(),
            },
        },
        "name": name,
        "tags": ["always"],
    });
    // The task comes from no file: Ansible's error shows `Origin: <unknown>`
    // followed by the task's Python text cut to 120 columns, which is what
    // this span prints as its place.
    let origin = format!(
        "<unknown>\n\n{}",
        shorten(&py_repr(&json_to_value(&task)), 120)
    );
    Some(Node::from_json(&task, &Span::synthetic(&origin)))
}

/// Python's `textwrap.shorten`: whitespace collapsed, and if the text is
/// longer than `width`, as many whole words as fit before ` [...]`.
fn shorten(text: &str, width: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= width {
        return joined;
    }
    const MORE: &str = " [...]";
    let mut out = String::new();
    for w in words {
        let next = if out.is_empty() {
            w.to_string()
        } else {
            format!("{out} {w}")
        };
        if next.chars().count() + MORE.len() > width {
            break;
        }
        out = next;
    }
    format!("{out}{MORE}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_at_words() {
        assert_eq!(shorten("a  b\nc", 120), "a b c");
        let long = "word ".repeat(40);
        let s = shorten(&long, 30);
        assert_eq!(s, "word word word word word [...]");
        assert!(s.len() <= 30);
    }
}
