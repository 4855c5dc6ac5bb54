// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `debug`: shows a message or a variable (on the controller).

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step};
use crate::template::value_to_stored_json;
use serde_json::{Value as Json, json};

pub struct Debug;

static SPEC: ModuleSpec = ModuleSpec {
    name: "debug",
    args: &[
        ArgSpec::new("msg", T::Raw),
        ArgSpec::new("var", T::Raw),
        ArgSpec::new("verbosity", T::Int),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[&["msg", "var"]],
    required_one_of: &[],
    runs_on: RunsOn::Controller,
    any_args: false,
    raw_args: &["var"],
};

pub enum DebugArgs {
    Msg(Json, i64),
    Var(String, i64),
}

#[async_trait::async_trait]
impl Module for Debug {
    type Args = DebugArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<DebugArgs, String> {
        let verbosity = args.get("verbosity").and_then(Json::as_i64).unwrap_or(0);
        Ok(match args.get("var") {
            Some(v) => DebugArgs::Var(
                match v {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                },
                verbosity,
            ),
            None => DebugArgs::Msg(
                args.get("msg")
                    .cloned()
                    .unwrap_or_else(|| json!("Hello world!")),
                verbosity,
            ),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &DebugArgs) -> Result<Step<()>, ModuleError> {
        let (DebugArgs::Msg(_, v) | DebugArgs::Var(_, v)) = a;
        let mut r = ModResult::new();
        if i64::from(ctx.verbosity) < *v {
            r.insert(
                "skipped_reason".into(),
                json!("Verbosity threshold not met."),
            );
            r.insert("skipped".into(), json!(true));
            r.insert("changed".into(), json!(false));
            return Ok(Step::Done(r));
        }
        match a {
            // ansible-core 2.21 drops a `msg` that is None (a lookup
            // with `errors='ignore'`, `{{ none }}`) from the result.
            DebugArgs::Msg(m, _) if m.is_null() => {}
            DebugArgs::Msg(m, _) => {
                r.insert("msg".into(), m.clone());
            }
            DebugArgs::Var(name, _) => {
                // `var` names a variable or an expression; undefined is not an
                // error here, Ansible prints a marker instead.
                let expr = format!("{{{{ {name} }}}}");
                let value = match ctx.templar.render(&expr, ctx.vars) {
                    Ok(v) => value_to_stored_json(&v),
                    Err(e) if e.is_undefined() => {
                        // ansible-core 2.21 shows the error in place of the
                        // value and warns; the task still succeeds. A missing
                        // attribute is an undefined value to it as well.
                        r.insert(
                            "warnings".into(),
                            json!([format!(
                                "Encountered 1 template error.\nerror 1 - {}",
                                e.message
                            )]),
                        );
                        json!(format!("<< error 1 - {} >>", e.message))
                    }
                    Err(e) => {
                        let mut f = super::failed(e.message);
                        f.insert("changed".into(), json!(false));
                        return Ok(Step::Done(f));
                    }
                };
                r.insert(name.clone(), value);
            }
        }
        r.insert("changed".into(), json!(false));
        r.insert("_ansible_verbose_always".into(), json!(true));
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &DebugArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}
