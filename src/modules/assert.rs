// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `assert`: evaluates conditionals on the controller.

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::{Value as Json, json};

pub struct Assert;

static SPEC: ModuleSpec = ModuleSpec {
    name: "assert",
    args: &[
        ArgSpec::new("that", T::Raw).required(),
        ArgSpec::new("fail_msg", T::Raw).aliases(&["msg"]),
        ArgSpec::new("success_msg", T::Raw),
        ArgSpec::new("quiet", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Controller,
    any_args: false,
    raw_args: &["that"],
};

pub struct AssertArgs {
    that: Vec<String>,
    fail_msg: Option<Json>,
    success_msg: Option<Json>,
    quiet: bool,
}

#[async_trait::async_trait]
impl Module for Assert {
    type Args = AssertArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<AssertArgs, String> {
        let that = match args.get("that") {
            Some(Json::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Bool(b)) => vec![if *b { "True" } else { "False" }.to_string()],
            _ => return Err("conditional required in \"that\" string".into()),
        };
        Ok(AssertArgs {
            that,
            fail_msg: args.get("fail_msg").or_else(|| args.get("msg")).cloned(),
            success_msg: args.get("success_msg").cloned(),
            quiet: args
                .get("quiet")
                .and_then(super::spec::to_bool)
                .unwrap_or(false),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &AssertArgs) -> Result<Step<()>, ModuleError> {
        for (i, cond) in a.that.iter().enumerate() {
            match ctx.templar.condition(cond, ctx.vars) {
                Ok(true) => {}
                Ok(false) => {
                    let mut r = failed("Assertion failed");
                    if let Some(m) = &a.fail_msg {
                        r.insert("msg".into(), m.clone());
                    }
                    r.insert("changed".into(), json!(false));
                    // A quiet assert's failure is shown on one line too.
                    if !a.quiet {
                        r.insert("_ansible_verbose_always".into(), json!(true));
                    }
                    r.insert("assertion".into(), Json::String(cond.clone()));
                    r.insert("evaluated_to".into(), json!(false));
                    return Ok(Step::Done(r));
                }
                Err(e) => {
                    // Ansible's task-level wording (the screen adds no
                    // "Action failed" to it).
                    let mut r = failed(format!("Task failed: {}", e.message));
                    r.insert("changed".into(), json!(false));
                    r.insert(super::FAILED_CONDITION.into(), json!(i));
                    return Ok(Step::Done(r));
                }
            }
        }
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        r.insert(
            "msg".into(),
            a.success_msg
                .clone()
                .unwrap_or_else(|| json!("All assertions passed")),
        );
        if a.quiet {
            r.insert("_ansible_verbose_always".into(), json!(false));
        } else {
            r.insert("_ansible_verbose_always".into(), json!(true));
        }
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &AssertArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}
