// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The loaded YAML tree. Values are already resolved with YAML 1.1 (PyYAML)
//! rules, so `yes` is a bool and `0644` is 420, and every node keeps its span
//! and its explicit tag (`!unsafe`, `!vault`).

use crate::span::Span;

/// How a scalar was written. Quoted scalars are always strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// Explicit tags that change how Ansible treats a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tag {
    /// `!unsafe`: never templated.
    Unsafe,
    /// `!vault`: an inline encrypted value (the text is the envelope).
    Vault,
    /// Any other explicit tag, kept verbatim (e.g. `tag:yaml.org,2002:str`).
    Other(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Insertion order is kept; keys are unique (the loader keeps the last
    /// value of a duplicate key, at the position of the first).
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
    pub tag: Option<Tag>,
    /// The style of a scalar; `Plain` for collections.
    pub style: ScalarStyle,
}

impl Node {
    pub fn new(kind: NodeKind, span: Span) -> Self {
        Node {
            kind,
            span,
            tag: None,
            style: ScalarStyle::Plain,
        }
    }

    pub fn str(s: impl Into<String>, span: Span) -> Self {
        Node::new(NodeKind::Str(s.into()), span)
    }

    /// Looks up a string key in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(pairs) => pairs
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    pub fn is_unsafe(&self) -> bool {
        matches!(self.tag, Some(Tag::Unsafe))
    }

    /// The key as Ansible would print it in a dict (Python's str of the key).
    pub fn key_string(&self) -> String {
        match &self.kind {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Null => "None".into(),
            NodeKind::Bool(true) => "True".into(),
            NodeKind::Bool(false) => "False".into(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => crate::yaml::python_float(*f),
            NodeKind::Seq(_) | NodeKind::Map(_) => format!("{:?}", self.to_json()),
        }
    }

    /// A short name of the node's type for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "bool",
            NodeKind::Int(_) => "int",
            NodeKind::Float(_) => "float",
            NodeKind::Str(_) => "string",
            NodeKind::Seq(_) => "list",
            NodeKind::Map(_) => "dict",
        }
    }

    /// Plain data, tags and spans dropped.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            NodeKind::Null => J::Null,
            NodeKind::Bool(b) => J::Bool(*b),
            NodeKind::Int(i) => J::from(*i),
            NodeKind::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(crate::yaml::python_float(*f))),
            NodeKind::Str(s) => J::String(s.clone()),
            NodeKind::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(pairs) => J::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.key_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Builds a node tree from plain data (for `-e` JSON, facts...), every
    /// node carrying `span`.
    pub fn from_json(v: &serde_json::Value, span: &Span) -> Node {
        use serde_json::Value as J;
        let kind = match v {
            J::Null => NodeKind::Null,
            J::Bool(b) => NodeKind::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => NodeKind::Int(i),
                None => NodeKind::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => NodeKind::Str(s.clone()),
            J::Array(a) => NodeKind::Seq(a.iter().map(|x| Node::from_json(x, span)).collect()),
            J::Object(o) => NodeKind::Map(
                o.iter()
                    .map(|(k, x)| (Node::str(k.clone(), span.clone()), Node::from_json(x, span)))
                    .collect(),
            ),
        };
        Node::new(kind, span.clone())
    }
}

/// Python's repr of a float (`1.0`, `1e+20`, `inf`), which Ansible shows.
pub fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == f.trunc() && f.abs() < 1e16 {
        return format!("{f:.1}");
    }
    let s = format!("{f:?}");
    // Rust prints 1e20 as "1e20"; Python prints "1e+20".
    if let Some((m, e)) = s.split_once('e')
        && !e.starts_with('-')
    {
        return format!("{m}e+{e}");
    }
    s
}
