// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Variables: layers in Ansible's precedence order, resolved lazily.
//!
//! Values from playbooks and inventories are kept as YAML nodes (trusted,
//! templated when read); values produced at run time (registered results,
//! facts) are plain data and never templated again, as in ansible-core 2.19+.
//! A scope resolves a name by looking through its layers from the highest
//! precedence down, renders the value if it is a template (recursively, with
//! a clear error on a cycle) and caches it for the rest of the task.

mod magic;

use crate::template::{Resolver, Templar, TemplateError, json_to_value};
use crate::yaml::{Node, NodeKind, Tag};
use indexmap::IndexMap;
use minijinja::value::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use magic::{HostVarsSource, MagicVars, OMIT};

/// One variable's value.
#[derive(Debug, Clone)]
pub enum VarValue {
    /// From a playbook, inventory or the command line: templated when read.
    Node(Node),
    /// Produced at run time: used as it is.
    Data(serde_json::Value),
}

/// One precedence level: names to values.
pub type Layer = IndexMap<String, VarValue>;

/// Builds a layer from `(name, node)` pairs.
pub fn layer_from_nodes<'a>(pairs: impl IntoIterator<Item = &'a (String, Node)>) -> Layer {
    pairs
        .into_iter()
        .map(|(k, v)| (k.clone(), VarValue::Node(v.clone())))
        .collect()
}

struct ScopeInner {
    templar: Arc<Templar>,
    /// Lowest precedence first.
    layers: Vec<Arc<Layer>>,
    magic: Arc<MagicVars>,
    cache: Mutex<HashMap<String, Value>>,
    /// Names being resolved right now, to report cycles.
    resolving: Mutex<Vec<String>>,
}

/// The variables one task sees on one host. Cheap to clone.
#[derive(Clone)]
pub struct Scope(Arc<ScopeInner>);

impl Scope {
    pub fn new(templar: Arc<Templar>, layers: Vec<Arc<Layer>>, magic: Arc<MagicVars>) -> Scope {
        Scope(Arc::new(ScopeInner {
            templar,
            layers,
            magic,
            cache: Mutex::new(HashMap::new()),
            resolving: Mutex::new(Vec::new()),
        }))
    }

    pub fn templar(&self) -> &Templar {
        &self.0.templar
    }

    /// A scope with one more layer on top (loop items, task vars).
    pub fn with_layer(&self, layer: Arc<Layer>) -> Scope {
        let mut layers = self.0.layers.clone();
        layers.push(layer);
        Scope::new(self.0.templar.clone(), layers, self.0.magic.clone())
    }

    fn raw(&self, name: &str) -> Option<&VarValue> {
        self.0.layers.iter().rev().find_map(|l| l.get(name))
    }

    /// Whether `name` is defined in any layer (without templating it).
    pub fn is_defined(&self, name: &str) -> bool {
        self.raw(name).is_some() || self.0.magic.has(name)
    }

    /// All variable names visible, for `vars`.
    pub fn names(&self) -> Vec<String> {
        let mut seen: IndexMap<String, ()> = IndexMap::new();
        for l in &self.0.layers {
            for k in l.keys() {
                seen.insert(k.clone(), ());
            }
        }
        seen.into_keys().collect()
    }

    /// Renders a node with this scope: strings are templates (unless tagged
    /// `!unsafe`), lists and dicts are rendered item by item. A `!vault`
    /// string is decrypted here, when it is read, and is never templated
    /// (Ansible does not trust vaulted text as a template either).
    pub fn render_node(&self, n: &Node) -> Result<Value, TemplateError> {
        Ok(match &n.kind {
            NodeKind::Str(_) if n.tag == Some(Tag::Vault) => {
                let plain = crate::vault::decrypt_node(n, self.0.templar.vault())
                    .map_err(|e| TemplateError::message("!vault", &e.message()).at(&e.span))?;
                Value::from(plain.as_str())
            }
            NodeKind::Str(s) if n.is_unsafe() => Value::from(s.as_str()),
            NodeKind::Str(s) => self.0.templar.render(s, self).map_err(|e| e.at(&n.span))?,
            NodeKind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.render_node(i)?);
                }
                Value::from(out)
            }
            NodeKind::Map(pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    let key = match &k.kind {
                        NodeKind::Str(s) if !k.is_unsafe() => {
                            self.0.templar.render(s, self).map_err(|e| e.at(&k.span))?
                        }
                        _ => json_to_value(&k.to_json()),
                    };
                    out.push((key, self.render_node(v)?));
                }
                Value::from_pairs(out)
            }
            _ => json_to_value(&n.to_json()),
        })
    }

    /// Renders to plain data.
    pub fn render_json(&self, n: &Node) -> Result<serde_json::Value, TemplateError> {
        self.render_node(n)
            .map(|v| crate::template::value_to_json(&v))
    }

    /// Renders to data to be stored in a variable: a datetime stays one
    /// (see `template::value_to_stored_json`).
    pub fn render_stored_json(&self, n: &Node) -> Result<serde_json::Value, TemplateError> {
        self.render_node(n)
            .map(|v| crate::template::value_to_stored_json(&v))
    }

    /// Evaluates a conditional node (`when` item): a bool literal or an
    /// expression string.
    pub fn condition(&self, n: &Node) -> Result<bool, TemplateError> {
        match &n.kind {
            NodeKind::Bool(b) => Ok(*b),
            NodeKind::Str(s) => self.0.templar.condition(s, self).map_err(|e| e.at(&n.span)),
            NodeKind::Null => Ok(false),
            _ => Err(TemplateError::message(
                &n.key_string(),
                "Conditional expressions must be strings.",
            )
            .at(&n.span)),
        }
    }
}

impl Resolver for Scope {
    fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError> {
        if let Some(v) = self.0.cache.lock().ok().and_then(|c| c.get(name).cloned()) {
            return Ok(Some(v));
        }
        if let Some(v) = self.0.magic.get(name, self) {
            return Ok(Some(v));
        }
        let Some(raw) = self.raw(name).cloned() else {
            return Ok(None);
        };
        let value = match raw {
            VarValue::Data(d) => json_to_value(&d),
            VarValue::Node(n) => {
                {
                    let mut stack =
                        self.0.resolving.lock().map_err(|_| {
                            TemplateError::message(name, "variable resolution failed")
                        })?;
                    if stack.iter().any(|s| s == name) {
                        let chain = stack.join(" -> ");
                        return Err(TemplateError::message(
                            name,
                            &format!("recursive loop detected in template: {chain} -> {name}"),
                        )
                        .at(&n.span));
                    }
                    stack.push(name.to_string());
                }
                let r = self.render_node(&n);
                if let Ok(mut stack) = self.0.resolving.lock() {
                    stack.pop();
                }
                r?
            }
        };
        if let Ok(mut c) = self.0.cache.lock() {
            c.insert(name.to_string(), value.clone());
        }
        Ok(Some(value))
    }
}
