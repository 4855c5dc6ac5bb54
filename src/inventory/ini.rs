// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! INI inventories, read line by line as Ansible's `ini` plugin does:
//! hosts before any section are `ungrouped`; `[g]` lists hosts (with ranges,
//! `:port` and inline `k=v` variables), `[g:vars]` one `k=v` per line,
//! `[g:children]` group names, which may be declared further down.
//! Values are typed with Python's literal rules (see `pyliteral`), in host
//! lines and `[g:vars]` sections alike.

use super::error::InventoryError;
use super::model::Inventory;
use super::pyliteral::{Literal, literal_eval};
use super::range::expand_host_pattern;
use super::shlex;
use crate::span::Span;
use crate::yaml::Node;
use indexmap::IndexMap;
use regex::Regex;
use std::sync::OnceLock;

struct Patterns {
    section: Regex,
    groupname: Regex,
}

fn patterns() -> Result<&'static Patterns, String> {
    static P: OnceLock<Result<Patterns, String>> = OnceLock::new();
    P.get_or_init(|| {
        Ok(Patterns {
            section: Regex::new(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
                .map_err(|e| e.to_string())?,
            groupname: Regex::new(r"^([^:\]\s]+)\s*(?:#.*)?$").map_err(|e| e.to_string())?,
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Hosts,
    Children,
    Vars,
}

/// A group named before its `[g]`/`[g:children]` section.
struct Pending {
    line: u32,
    state: State,
    parents: Vec<String>,
}

/// Python's `str.splitlines()` (the line numbers Ansible counts).
pub(crate) fn split_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let brk = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if brk {
            out.push(&text[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r'
                && let Some((j, '\n')) = chars.peek().copied()
            {
                chars.next();
                end = j + 1;
            }
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Decodes the file: UTF-8, except that comment lines may hold anything
/// (Ansible blanks them); other non-UTF-8 lines are an error.
fn decode(data: &[u8], file: &str) -> Result<String, InventoryError> {
    if let Ok(s) = std::str::from_utf8(data) {
        return Ok(s.to_string());
    }
    let mut out = String::new();
    for (n, line) in data.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first().is_some_and(|b| *b == b'#' || *b == b';') {
            out.push('\n');
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Err(e) => {
                let col = String::from_utf8_lossy(&line[..e.valid_up_to()])
                    .chars()
                    .count()
                    + 1;
                return Err(InventoryError::new(
                    Span::new(file, n as u32 + 1, col as u32),
                    "Failed to parse inventory: the line is not valid UTF-8",
                ));
            }
        }
    }
    Ok(out)
}

/// Parses an INI inventory into `inv`.
pub fn parse_ini(inv: &mut Inventory, data: &[u8], file: &str) -> Result<(), InventoryError> {
    let text = decode(data, file)?;
    let pats = patterns().map_err(|m| InventoryError::new(Span::new(file, 0, 0), m))?;
    let mut pending: IndexMap<String, Pending> = IndexMap::new();
    let mut groupname = "ungrouped".to_string();
    let mut state = State::Hosts;
    for (idx, raw) in split_lines(&text).into_iter().enumerate() {
        let lineno = idx as u32 + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let indent = raw.chars().count() - raw.trim_start().chars().count();
        let at = |col: usize| Span::new(file, lineno, (indent + col + 1) as u32);
        let err = |col: usize, m: String| InventoryError::new(at(col), m);

        if let Some(c) = pats.section.captures(line) {
            let name = c.get(1).map_or("", |m| m.as_str()).to_string();
            let tag = c.get(2).map(|m| m.as_str());
            state = match tag.unwrap_or("hosts") {
                "hosts" => State::Hosts,
                "children" => State::Children,
                "vars" => State::Vars,
                other => {
                    return Err(err(
                        0,
                        format!("Section [{name}:{other}] has unknown type: {other}"),
                    )
                    .with_hint("a section is [group], [group:vars] or [group:children]"));
                }
            };
            if !inv.groups.contains_key(&name) {
                // [g:vars] alone does not declare a group: remember it and
                // check at the end that [g] or [g:children] came.
                if state == State::Vars && !pending.contains_key(&name) {
                    pending.insert(
                        name.clone(),
                        Pending {
                            line: lineno,
                            state,
                            parents: Vec::new(),
                        },
                    );
                }
                inv.add_group(&name, &at(1)).map_err(|m| err(0, m))?;
            }
            if state != State::Vars {
                match pending.get(&name).map(|p| p.state) {
                    Some(State::Children) => {
                        add_pending_children(inv, &name, &mut pending).map_err(|m| err(0, m))?;
                    }
                    Some(State::Vars) => {
                        pending.shift_remove(&name);
                    }
                    _ => {}
                }
            }
            groupname = name;
            continue;
        } else if line.starts_with('[') && line.ends_with(']') {
            return Err(err(
                0,
                format!(
                    "Invalid section entry: '{line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters"
                ),
            ));
        }

        match state {
            State::Hosts => host_line(inv, line, &groupname, &at)?,
            State::Vars => {
                let Some((k, v)) = line.split_once('=') else {
                    return Err(err(0, format!("Expected key=value, got: {line}"))
                        .with_hint("a [group:vars] line is `name=value`"));
                };
                let vcol =
                    k.chars().count() + 1 + (v.chars().count() - v.trim_start().chars().count());
                let value = parse_value(v.trim(), &at(vcol)).map_err(|m| err(vcol, m))?;
                inv.set_variable(&groupname, k.trim(), value)
                    .map_err(|m| err(0, m))?;
            }
            State::Children => {
                let Some(c) = pats.groupname.captures(line) else {
                    return Err(err(0, format!("Expected group name, got: {line}"))
                        .with_hint("a [group:children] section lists one group name per line"));
                };
                let child = c.get(1).map_or("", |m| m.as_str()).to_string();
                if inv.groups.contains_key(&child) {
                    inv.add_child(&groupname, &child).map_err(|m| err(0, m))?;
                } else {
                    match pending.get_mut(&child) {
                        Some(p) => p.parents.push(groupname.clone()),
                        None => {
                            pending.insert(
                                child,
                                Pending {
                                    line: lineno,
                                    state: State::Children,
                                    parents: vec![groupname.clone()],
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    // Ansible reports the first unresolved reference only.
    if let Some((name, p)) = pending.first() {
        let span = Span::new(file, p.line, 1);
        return Err(match p.state {
            State::Vars => InventoryError::new(
                span,
                format!("Section [{name}:vars] not valid for undefined group '{name}'."),
            )
            .with_hint(format!(
                "declare the group with a [{name}] or [{name}:children] section"
            )),
            _ => {
                let parent = p.parents.last().cloned().unwrap_or_default();
                let mut e = InventoryError::new(
                    span,
                    format!("Section [{parent}:children] includes undefined group '{name}'."),
                );
                if inv.hosts.contains_key(name) {
                    e = e.with_hint(format!(
                        "'{name}' is a host; [{parent}:children] lists groups, hosts go in [{parent}]"
                    ));
                }
                e
            }
        });
    }
    Ok(())
}

fn add_pending_children(
    inv: &mut Inventory,
    group: &str,
    pending: &mut IndexMap<String, Pending>,
) -> Result<(), String> {
    let parents = pending
        .get(group)
        .map(|p| p.parents.clone())
        .unwrap_or_default();
    for parent in parents {
        inv.add_child(&parent, group)?;
        if pending
            .get(&parent)
            .is_some_and(|p| p.state == State::Children)
        {
            add_pending_children(inv, &parent, pending)?;
        }
    }
    pending.shift_remove(group);
    Ok(())
}

/// A host line: a host word (name, range, `:port`) and `k=v` words.
fn host_line(
    inv: &mut Inventory,
    line: &str,
    group: &str,
    at: &dyn Fn(usize) -> Span,
) -> Result<(), InventoryError> {
    let err = |col: usize, m: String| InventoryError::new(at(col), m);
    let words = shlex::split(line)
        .map_err(|e| err(0, format!("Error parsing host definition '{line}': {e}")))?;
    let Some(first) = words.first() else {
        return Err(err(0, format!("Expected a host name, got: {line}")));
    };
    let word = first.text.as_str();
    let (hosts, port) = expand_host_pattern(word).map_err(|m| err(first.start, m))?;
    if word.trim().ends_with(':') && port.is_none() {
        return Err(err(
            first.start,
            format!(
                "Invalid host pattern '{word}' supplied, ending in ':' is not allowed, this character is reserved to provide a port."
            ),
        )
        .with_hint("is this a YAML file? YAML inventories need a .yml/.yaml extension or none"));
    }
    if hosts.iter().any(|h| h.trim() == "---") {
        return Err(err(
            first.start,
            format!(
                "Invalid host pattern '{word}' supplied, '---' is normally a sign this is a YAML file."
            ),
        ));
    }
    // A dict: a repeated key keeps its first place and takes the last value.
    let mut vars: Vec<(String, Node)> = Vec::new();
    for w in &words[1..] {
        let Some((k, v)) = w.text.split_once('=') else {
            return Err(err(
                w.start,
                format!(
                    "Expected key=value host variable assignment, got: {}",
                    w.text
                ),
            )
            .with_hint(
                "host variables are written `name=value`; quote values that contain spaces",
            ));
        };
        let value = parse_value(v, &at(w.start)).map_err(|m| err(w.start, m))?;
        super::model::set_var(&mut vars, k, value);
    }
    let span = at(first.start);
    for h in &hosts {
        inv.add_host(h, Some(group), port, &span)
            .map_err(|m| err(first.start, m))?;
        for (k, v) in &vars {
            inv.set_variable(h, k, v.clone())
                .map_err(|m| err(first.start, m))?;
        }
    }
    Ok(())
}

/// Types a value with Python's literal rules; text that is no literal
/// stays a string.
fn parse_value(v: &str, span: &Span) -> Result<Node, String> {
    match literal_eval(v, span) {
        Literal::Value(n) => Ok(n),
        Literal::Text => Ok(Node::str(v, span.clone())),
        Literal::Fatal(m) => Err(format!("Failed to parse inventory: {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::split_lines;

    #[test]
    fn python_splitlines() {
        assert_eq!(split_lines("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(split_lines("a\n\nb\n"), ["a", "", "b"]);
        assert!(split_lines("").is_empty());
    }
}
