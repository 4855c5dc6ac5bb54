// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Turning the key/value pairs of a YAML mapping into a map with Python's
//! dict semantics: `<<` merge keys, duplicate keys (the last value wins, at
//! the place of the first key), and Python's key equality (`1`, `1.0` and
//! `true` are the same key).
//!
//! Merge semantics are those of the YAML merge-key spec as PyYAML long
//! implemented them: keys written in the mapping win over merged ones, and
//! in `<<: [*a, *b]` a key of `a` wins over the same key of `b`. (PyYAML
//! 6.0.4 regressed to "later wins" for keys longer than one character,
//! yaml/pyyaml#953; the spec behaviour is kept here.)

use super::error::{Fault, YamlWarning};
use super::node::{Node, NodeKind};
use std::collections::HashMap;

/// A key of a mapping being built: a normal key, or a `<<` merge key.
#[derive(Debug, Clone)]
pub(crate) enum Key {
    Node(Node),
    Merge,
}

/// Python's notion of key identity: equal keys hash alike.
#[derive(Debug, PartialEq, Eq, Hash)]
enum KeyId {
    Null,
    /// Ints, bools (True == 1) and floats with an integral value (1.0 == 1).
    Int(i64),
    /// Any other float, by its bits (-0.0 is caught by `Int(0)` first).
    Float(u64),
    /// NaN never equals anything, not even another NaN.
    Nan(usize),
    Str(String),
}

fn key_id(key: &Node, nan_counter: &mut usize) -> Result<KeyId, Fault> {
    Ok(match &key.kind {
        NodeKind::Null => KeyId::Null,
        NodeKind::Bool(b) => KeyId::Int(i64::from(*b)),
        NodeKind::Int(i) => KeyId::Int(*i),
        NodeKind::Float(f) if f.is_nan() => {
            *nan_counter += 1;
            KeyId::Nan(*nan_counter)
        }
        NodeKind::Float(f) => {
            // 2^63 is the first float beyond i64.
            if f.fract() == 0.0 && *f >= -9.223_372_036_854_776e18 && *f < 9.223_372_036_854_776e18
            {
                KeyId::Int(*f as i64)
            } else {
                KeyId::Float(f.to_bits())
            }
        }
        NodeKind::Str(s) => KeyId::Str(s.clone()),
        NodeKind::Seq(_) | NodeKind::Map(_) => {
            return Err(Fault::new(
                &key.span,
                "while constructing a mapping, found unhashable key (a list or dict cannot be a key)",
            ));
        }
    })
}

/// The YAML node kind PyYAML names in merge errors.
fn node_id(node: &Node) -> &'static str {
    match node.kind {
        NodeKind::Seq(_) => "sequence",
        NodeKind::Map(_) => "mapping",
        _ => "scalar",
    }
}

/// Builds the pairs of a mapping from its keys and values in source order.
/// `warnings` receives Ansible's duplicate-key warnings.
pub(crate) fn build_map(
    pairs: Vec<(Key, Node)>,
    warnings: &mut Vec<YamlWarning>,
) -> Result<Vec<(Node, Node)>, Fault> {
    let mut merged: Vec<(Node, Node)> = Vec::new();
    let mut explicit: Vec<(Node, Node)> = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        match key {
            Key::Node(k) => explicit.push((k, value)),
            Key::Merge => {
                let span = value.span.clone();
                match value.kind {
                    NodeKind::Map(sub) => merged.extend(sub),
                    NodeKind::Seq(items) => {
                        for item in items {
                            let item_span = item.span.clone();
                            match item.kind {
                                NodeKind::Map(sub) => merged.extend(sub),
                                _ => {
                                    return Err(Fault::new(
                                        &item_span,
                                        format!(
                                            "while constructing a mapping, expected a mapping for merging, but found {}",
                                            node_id(&item)
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                    _ => {
                        return Err(Fault::new(
                            &span,
                            format!(
                                "while constructing a mapping, expected a mapping or list of mappings for merging, but found {}",
                                node_id(&value)
                            ),
                        ));
                    }
                }
            }
        }
    }

    let mut out: Vec<(Node, Node)> = Vec::with_capacity(merged.len() + explicit.len());
    let mut index: HashMap<KeyId, usize> = HashMap::with_capacity(out.capacity());
    let mut nans = 0usize;
    // Merged keys first (the first source that has a key wins, silently).
    for (k, v) in merged {
        let id = key_id(&k, &mut nans)?;
        if let std::collections::hash_map::Entry::Vacant(slot) = index.entry(id) {
            slot.insert(out.len());
            out.push((k, v));
        }
    }
    // Then the keys written in the mapping: a repeated key (or one that
    // overrides a merged key) keeps the place and key of the first one and
    // takes the last value, and Ansible warns about it.
    for (k, v) in explicit {
        let id = key_id(&k, &mut nans)?;
        match index.get(&id) {
            Some(&at) => {
                warnings.push(YamlWarning {
                    span: k.span.clone(),
                    message: format!(
                        "Found duplicate mapping key {}. Using last defined value only.",
                        python_repr(&k)
                    ),
                });
                out[at].1 = v;
            }
            None => {
                index.insert(id, out.len());
                out.push((k, v));
            }
        }
    }
    Ok(out)
}

/// Python's `repr()` of a scalar key, as Ansible's warning shows it.
pub(crate) fn python_repr(key: &Node) -> String {
    match &key.kind {
        NodeKind::Str(s) => python_str_repr(s),
        _ => key.key_string(),
    }
}

fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn s(text: &str, line: u32) -> Node {
        Node::str(text, Span::new("t.yml", line, 1))
    }

    fn map(pairs: &[(&str, i64)]) -> Node {
        let sp = Span::new("t.yml", 1, 1);
        Node::new(
            NodeKind::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (s(k, 1), Node::new(NodeKind::Int(*v), sp.clone())))
                    .collect(),
            ),
            sp,
        )
    }

    fn keys(out: &[(Node, Node)]) -> Vec<String> {
        out.iter()
            .map(|(k, v)| format!("{}={}", k.key_string(), v.to_json()))
            .collect()
    }

    #[test]
    fn explicit_keys_win_over_merged_and_earlier_merge_sources_win() {
        let mut w = Vec::new();
        let seq = Node::new(
            NodeKind::Seq(vec![
                map(&[("name", 1), ("x", 1)]),
                map(&[("name", 2), ("only_b", 2)]),
            ]),
            Span::new("t.yml", 1, 1),
        );
        let out = build_map(
            vec![
                (Key::Merge, seq),
                (
                    Key::Node(s("own", 3)),
                    Node::new(NodeKind::Int(9), Span::new("t.yml", 3, 1)),
                ),
                (
                    Key::Node(s("x", 4)),
                    Node::new(NodeKind::Int(7), Span::new("t.yml", 4, 1)),
                ),
            ],
            &mut w,
        )
        .map_err(|f| f.message);
        assert_eq!(
            out.as_deref().map(keys),
            Ok(vec![
                "name=1".into(),
                "x=7".into(),
                "only_b=2".into(),
                "own=9".into()
            ])
        );
        // Only the explicit override of a merged key is reported, as Ansible does.
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].span.line, 4);
        assert_eq!(
            w[0].message,
            "Found duplicate mapping key 'x'. Using last defined value only."
        );
    }

    #[test]
    fn python_key_equality() {
        let sp = Span::new("t.yml", 1, 1);
        let n = |k: NodeKind| Node::new(k, sp.clone());
        let mut w = Vec::new();
        let out = build_map(
            vec![
                (Key::Node(n(NodeKind::Int(1))), n(NodeKind::Str("a".into()))),
                (
                    Key::Node(n(NodeKind::Bool(true))),
                    n(NodeKind::Str("b".into())),
                ),
                (
                    Key::Node(n(NodeKind::Float(1.0))),
                    n(NodeKind::Str("c".into())),
                ),
                (Key::Node(n(NodeKind::Float(f64::NAN))), n(NodeKind::Null)),
                (Key::Node(n(NodeKind::Float(f64::NAN))), n(NodeKind::Null)),
            ],
            &mut w,
        )
        .map_err(|f| f.message);
        assert_eq!(out.as_ref().map(Vec::len), Ok(3));
        assert_eq!(
            out.as_deref().map(keys).map(|k| k[0].clone()),
            Ok("1=\"c\"".to_string())
        );
        assert_eq!(w.len(), 2);
        assert!(w[0].message.contains("key True."), "{}", w[0].message);
        assert!(w[1].message.contains("key 1.0."), "{}", w[1].message);
    }

    #[test]
    fn merge_errors() {
        let sp = Span::new("t.yml", 2, 5);
        let mut w = Vec::new();
        let err = build_map(
            vec![(Key::Merge, Node::new(NodeKind::Int(3), sp.clone()))],
            &mut w,
        )
        .err()
        .map(|f| (f.span, f.message));
        assert_eq!(
            err,
            Some((
                sp,
                "while constructing a mapping, expected a mapping or list of mappings for merging, but found scalar"
                    .to_string()
            ))
        );
    }

    #[test]
    fn repr_of_strings() {
        assert_eq!(python_str_repr("dup"), "'dup'");
        assert_eq!(python_str_repr("it's"), "\"it's\"");
        assert_eq!(python_str_repr("a'\"b\n"), "'a\\'\"b\\n'");
    }
}
