// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `set_fact`: sets host variables (already templated by the executor).

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::{Map, Value as Json, json};

pub struct SetFact;

static SPEC: ModuleSpec = ModuleSpec {
    name: "set_fact",
    args: &[ArgSpec::new("cacheable", T::Bool)],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Controller,
    any_args: true,
    raw_args: &[],
};

#[async_trait::async_trait]
impl Module for SetFact {
    type Args = Map<String, Json>;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<Self::Args, String> {
        let facts: Map<String, Json> = args
            .iter()
            .filter(|(k, _)| k.as_str() != "cacheable")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(facts)
    }

    async fn plan(&self, _: &ModuleCtx<'_>, facts: &Self::Args) -> Result<Step<()>, ModuleError> {
        if facts.is_empty() {
            return Ok(Step::Done(failed(
                "No key/value pairs provided, at least one is required for this action to succeed",
            )));
        }
        for k in facts.keys() {
            if !is_identifier(k) {
                return Ok(Step::Done(failed(format!(
                    "The variable name '{k}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores."
                ))));
            }
        }
        let mut r = ModResult::new();
        r.insert("ansible_facts".into(), Json::Object(facts.clone()));
        r.insert("changed".into(), json!(false));
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &Self::Args,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

/// A valid Ansible variable name (a Python identifier, not a keyword).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}
