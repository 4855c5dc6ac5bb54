// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Ansible's magic variables: `inventory_hostname`, `groups`, `hostvars`
//! (lazy, per host), `vars`, `omit` and the play-level ones.

use super::Scope;
use crate::template::Resolver;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind};
use std::collections::HashMap;
use std::sync::Arc;

/// Gives the scope of another host, for `hostvars[...]`.
pub trait HostVarsSource: Send + Sync {
    fn host_names(&self) -> Vec<String>;
    fn scope_for(&self, host: &str) -> Option<Scope>;
}

/// The magic variables of one host in one play.
pub struct MagicVars {
    values: HashMap<&'static str, Value>,
    hostvars: Option<Arc<dyn HostVarsSource>>,
}

/// The placeholder that makes a module argument disappear (`omit`).
pub const OMIT: &str = "__omit_place_holder__kiln";

impl MagicVars {
    pub fn new(hostvars: Option<Arc<dyn HostVarsSource>>) -> Self {
        let mut values = HashMap::new();
        values.insert("omit", Value::from(OMIT));
        MagicVars { values, hostvars }
    }

    pub fn set(&mut self, name: &'static str, v: Value) {
        self.values.insert(name, v);
    }

    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name) || matches!(name, "hostvars" | "vars")
    }

    pub(super) fn get(&self, name: &str, scope: &Scope) -> Option<Value> {
        match name {
            "hostvars" => self
                .hostvars
                .as_ref()
                .map(|h| Value::from_object(HostVars(h.clone()))),
            "vars" => Some(Value::from_object(ScopeVars(scope.clone()))),
            _ => self.values.get(name).cloned(),
        }
    }
}

/// `hostvars`: host name -> that host's variables, built only when read.
#[derive(Clone)]
struct HostVars(Arc<dyn HostVarsSource>);

impl std::fmt::Debug for HostVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hostvars")
    }
}

impl Object for HostVars {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let scope = self.0.scope_for(key.as_str()?)?;
        Some(Value::from_object(ScopeVars(scope)))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.host_names().into_iter().map(Value::from).collect())
    }
}

/// A scope seen as a dict (`vars`, `hostvars['h']`), templated on access.
#[derive(Clone)]
struct ScopeVars(Scope);

impl std::fmt::Debug for ScopeVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("vars")
    }
}

impl Object for ScopeVars {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.0.resolve(key.as_str()?) {
            Ok(v) => v,
            // An error while templating travels as an invalid value, so the
            // template that read it fails with this message.
            Err(e) => Some(Value::from(Error::new(
                ErrorKind::InvalidOperation,
                e.to_string(),
            ))),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.names().into_iter().map(Value::from).collect())
    }
}
