// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Executable inventory scripts, read as Ansible's `script` inventory
//! plugin reads them: `SCRIPT --list` prints a JSON object of groups (each
//! `{hosts, vars, children}`, a bare list of hosts, or a mapping taken as
//! the variables of a host named like the group) and `_meta.hostvars`; a
//! script without `_meta` is asked `SCRIPT --host NAME` for every host.
//!
//! Ansible tries the script plugin first for every executable file, so an
//! executable file is run before it is parsed as YAML or INI.

use super::error::InventoryError;
use super::model::Inventory;
use crate::span::Span;
use crate::yaml::{Node, NodeKind, Tag};
use indexmap::IndexSet;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

/// Whether Ansible's script plugin takes the file: it is executable.
pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Python's name of a JSON value's type, as Ansible's messages give it.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// What a script run printed on stdout, or why it cannot be used.
fn run(path: &Path, args: &[&str], span: &Span) -> Result<String, InventoryError> {
    let shown = std::iter::once(path.display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|w| crate::transport::quote(&w))
        .collect::<Vec<_>>()
        .join(" ");
    // ETXTBSY: another thread of this process forked while the script was
    // open for writing (tests write scripts then run them); it passes.
    let mut attempt = 0;
    let out = loop {
        let r = Command::new(path).args(args).stdin(Stdio::null()).output();
        match r {
            Err(e) if e.raw_os_error() == Some(26) && attempt < 20 => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => break other,
        }
    }
    .map_err(|e| {
        InventoryError::new(
            span.clone(),
            format!("Failed to execute inventory script command '{shown}': {e}"),
        )
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
    let with_stderr = |e: InventoryError| {
        if stderr.is_empty() {
            e
        } else {
            e.with_hint(format!("Standard error from inventory script:\n{stderr}"))
        }
    };
    if !out.status.success() {
        let code = out
            .status
            .code()
            .map(|c| c.to_string())
            .unwrap_or_else(|| "(killed by a signal)".into());
        return Err(with_stderr(InventoryError::new(
            span.clone(),
            format!("Inventory script ('{shown}') returned non-zero exit code {code}."),
        )));
    }
    String::from_utf8(out.stdout).map_err(|_| {
        with_stderr(InventoryError::new(
            span.clone(),
            format!(
                "Inventory script ('{shown}') result contained characters that cannot be interpreted as UTF-8."
            ),
        ))
    })
}

/// A JSON value as a variable: `{"__ansible_unsafe": s}` and
/// `{"__ansible_vault": s}` (ansible-inventory's own encoding) come back as
/// tagged strings.
fn to_node(v: &Value, span: &Span, ids: &mut u32) -> Node {
    if let Value::Object(m) = v
        && m.len() == 1
    {
        for (key, tag) in [
            ("__ansible_unsafe", Tag::Unsafe),
            ("__ansible_vault", Tag::Vault),
        ] {
            if let Some(Value::String(s)) = m.get(key) {
                let mut n = Node::str(s.clone(), span.clone());
                n.tag = Some(tag);
                return n;
            }
        }
    }
    // Each list or mapping of the output is one object in Ansible (shared
    // by the hosts of a group): a column of its own on line 0 (which shows
    // only the file) tells them apart.
    *ids += 1;
    let own = Span::new(span.file.clone(), 0, *ids);
    let kind = match v {
        Value::Array(a) => NodeKind::Seq(a.iter().map(|x| to_node(x, span, ids)).collect()),
        Value::Object(o) => NodeKind::Map(
            o.iter()
                .map(|(k, x)| (Node::str(k.clone(), span.clone()), to_node(x, span, ids)))
                .collect(),
        ),
        other => return Node::from_json(other, span),
    };
    Node::new(kind, own)
}

fn parse_json(text: &str, what: &str, span: &Span) -> Result<Value, InventoryError> {
    serde_json::from_str(text).map_err(|e| {
        InventoryError::new(
            span.clone(),
            format!("{what} could not be parsed as JSON: {e}"),
        )
    })
}

impl Inventory {
    /// Runs an inventory script and adds what it printed.
    pub(crate) fn load_script(&mut self, path: &Path) -> Result<(), InventoryError> {
        let span = Span::new(path.display().to_string(), 0, 0);
        let text = run(path, &["--list"], &span)?;
        let what = format!("Inventory script ('{}') result", path.display());
        let data = parse_json(&text, &what, &span)?;
        let Value::Object(top) = data else {
            return Err(InventoryError::new(
                span,
                format!("{what} is '{}' instead of 'dict'.", type_name(&data)),
            ));
        };
        let mut meta: Option<&serde_json::Map<String, Value>> = None;
        let mut hosts: IndexSet<String> = IndexSet::new();
        for (group, gdata) in &top {
            if group == "_meta" {
                match gdata.get("hostvars") {
                    Some(Value::Object(m)) => meta = Some(m),
                    other => {
                        let t = other.map(type_name).unwrap_or("NoneType");
                        return Err(InventoryError::new(
                            span,
                            format!(
                                "{what} contains '_meta.hostvars' which is '{t}' instead of 'dict'."
                            ),
                        ));
                    }
                }
                continue;
            }
            self.script_group(group, gdata, &mut hosts, &what, &span)?;
        }
        if meta.is_none() {
            self.warnings.push(format!(
                "{}: Inventory scripts should always provide 'meta.hostvars'. Host variables will be collected by running the inventory script with the '--host' option for each host.",
                path.display()
            ));
        }
        for host in &hosts {
            let vars = match meta {
                Some(m) => m
                    .get(host)
                    .cloned()
                    .unwrap_or(Value::Object(Default::default())),
                None => {
                    let out = run(path, &["--host", host], &span)?;
                    if out.trim().is_empty() {
                        Value::Object(Default::default())
                    } else {
                        parse_json(
                            &out,
                            &format!(
                                "Inventory script ('{}') result for host '{host}'",
                                path.display()
                            ),
                            &span,
                        )?
                    }
                }
            };
            let Value::Object(vars) = vars else {
                return Err(InventoryError::new(
                    span,
                    format!("Invalid data from file, expected dictionary and got:\n\n{vars}"),
                ));
            };
            for (k, v) in &vars {
                let node = to_node(v, &span, &mut self.script_ids);
                self.set_variable(host, k, node)
                    .map_err(|m| InventoryError::new(span.clone(), m))?;
            }
        }
        Ok(())
    }

    /// One top-level entry of `--list` other than `_meta`.
    fn script_group(
        &mut self,
        group: &str,
        data: &Value,
        hosts: &mut IndexSet<String>,
        what: &str,
        span: &Span,
    ) -> Result<(), InventoryError> {
        let err = |m: String| InventoryError::new(span.clone(), m);
        let group = self.add_group(group, span).map_err(err)?;
        // Ansible's deprecated shapes: a bare value is the group's hosts; a
        // mapping without any known key is one host's variables.
        let (host_list, vars, children) = match data {
            Value::Object(m)
                if ["hosts", "vars", "children"]
                    .iter()
                    .any(|k| m.contains_key(*k)) =>
            {
                (m.get("hosts"), m.get("vars"), m.get("children"))
            }
            Value::Object(_) => {
                self.warnings.push(format!(
                    "{}: Treating malformed group '{group}' as the sole host of that group. Variables provided in this manner cannot be templated.",
                    span.file
                ));
                self.script_hosts(&group, &[Value::String(group.clone())], hosts, span)?;
                (None, Some(data), None)
            }
            other => {
                self.warnings.push(format!(
                    "{}: Group '{group}' was converted to 'dict' from '{}'.",
                    span.file,
                    type_name(other)
                ));
                (Some(other), None, None)
            }
        };
        if let Some(h) = host_list {
            let Value::Array(list) = h else {
                return Err(err(format!(
                    "{what} contains '{group}.hosts' which is '{}' instead of 'list'.",
                    type_name(h)
                )));
            };
            self.script_hosts(&group, list, hosts, span)?;
        }
        if let Some(v) = vars {
            let Value::Object(m) = v else {
                return Err(err(format!(
                    "{what} contains '{group}.vars' which is '{}' instead of 'dict'.",
                    type_name(v)
                )));
            };
            for (k, val) in m {
                let node = to_node(val, span, &mut self.script_ids);
                self.set_variable(&group, k, node).map_err(err)?;
            }
        }
        if let Some(c) = children {
            // Python iterates a list's items or a dict's keys.
            let names: Vec<String> = match c {
                Value::Array(a) => a
                    .iter()
                    .map(|x| match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect(),
                Value::Object(o) => o.keys().cloned().collect(),
                Value::String(s) => s.chars().map(String::from).collect(),
                other => {
                    return Err(err(format!(
                        "{what} contains '{group}.children' which is '{}' instead of 'list'.",
                        type_name(other)
                    )));
                }
            };
            for child in names {
                let child = self.add_group(&child, span).map_err(err)?;
                self.add_child(&group, &child).map_err(err)?;
            }
        }
        Ok(())
    }

    fn script_hosts(
        &mut self,
        group: &str,
        list: &[Value],
        hosts: &mut IndexSet<String>,
        span: &Span,
    ) -> Result<(), InventoryError> {
        for h in list {
            let name = match h {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            self.add_host(&name, Some(group), None, span)
                .map_err(|m| InventoryError::new(span.clone(), m))?;
            hosts.insert(name);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Loads an executable script with `body` as its only source.
    fn load(body: &str) -> Result<Inventory, InventoryError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("inv");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut inv = Inventory::new();
        inv.load_source("inv", dir.path())?;
        inv.finish()?;
        Ok(inv)
    }

    fn error_of(body: &str) -> InventoryError {
        match load(body) {
            Ok(_) => panic!("script {body:?} was accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn failing_script_names_exit_code_and_stderr() {
        let e = error_of("echo 'no database' >&2; exit 7");
        assert!(e.span.file.ends_with("/inv"), "{e}");
        assert!(e.message.contains("returned non-zero exit code 7"), "{e}");
        assert_eq!(
            e.hint.as_deref(),
            Some("Standard error from inventory script:\nno database")
        );
    }

    #[test]
    fn bad_json_is_an_error() {
        let e = error_of("echo '{\"web\": [}'");
        assert!(e.message.contains("could not be parsed as JSON"), "{e}");
        let e = error_of("echo '[1, 2]'");
        assert!(e.message.contains("is 'list' instead of 'dict'"), "{e}");
        let e = error_of("echo '{\"web\": {\"hosts\": \"h1\"}}'");
        assert!(
            e.message
                .contains("contains 'web.hosts' which is 'str' instead of 'list'"),
            "{e}"
        );
        let e = error_of("echo '{\"web\": {\"vars\": [1]}}'");
        assert!(e.message.contains("'web.vars' which is 'list'"), "{e}");
        let e = error_of("echo '{\"_meta\": {\"hostvars\": []}}'");
        assert!(
            e.message.contains("'_meta.hostvars' which is 'list'"),
            "{e}"
        );
    }

    #[test]
    fn host_answer_must_be_a_mapping() {
        let e =
            error_of("if [ \"$1\" = --list ]; then echo '{\"g\": [\"h1\"]}'; else echo '[1]'; fi");
        assert!(e.message.contains("expected dictionary"), "{e}");
        let e = error_of("if [ \"$1\" = --list ]; then echo '{\"g\": [\"h1\"]}'; else exit 4; fi");
        assert!(e.message.contains("non-zero exit code 4"), "{e}");
    }

    #[test]
    fn host_fallback_and_tags() {
        let inv = load(
            "if [ \"$1\" = --list ]; then echo '{\"g\": {\"hosts\": [\"h1\"], \"vars\": {\"u\": {\"__ansible_unsafe\": \"{{ x }}\"}}}}'; \
             else echo '{\"port\": 22}'; fi",
        )
        .expect("loads");
        let h = inv.host("h1").expect("h1");
        assert_eq!(
            h.var("port").map(|n| n.kind.clone()),
            Some(NodeKind::Int(22))
        );
        let g = inv.group("g").expect("g");
        assert!(g.var("u").is_some_and(|n| n.is_unsafe()));
        assert!(inv.warnings.iter().any(|w| w.contains("'meta.hostvars'")));
    }

    #[test]
    fn executable_ini_without_shebang_is_read_as_ini() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hosts");
        std::fs::write(&path, "[g]\nh1 a=1\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut inv = Inventory::new();
        inv.load_source("hosts", dir.path()).expect("loads as INI");
        inv.finish().expect("finish");
        assert_eq!(inv.group_hosts("g"), vec!["h1".to_string()]);
    }
}
