// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `fail`: fails the task with a message.

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::{Value as Json, json};

pub struct Fail;

static SPEC: ModuleSpec = ModuleSpec {
    name: "fail",
    args: &[ArgSpec::new("msg", T::Raw)],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Controller,
    any_args: false,
    raw_args: &[],
};

#[async_trait::async_trait]
impl Module for Fail {
    type Args = Json;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<Json, String> {
        Ok(args
            .get("msg")
            .cloned()
            .unwrap_or_else(|| json!("Failed as requested from task")))
    }

    async fn plan(&self, _: &ModuleCtx<'_>, msg: &Json) -> Result<Step<()>, ModuleError> {
        let mut r = failed("");
        r.insert("msg".into(), msg.clone());
        r.insert("changed".into(), json!(false));
        Ok(Step::Done(r))
    }

    async fn apply(&self, _: &ModuleCtx<'_>, _: &Json, _: ()) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}
