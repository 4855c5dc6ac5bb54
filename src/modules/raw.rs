// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `raw`: the text goes to the remote shell as it is; nothing is quoted.

use super::command::splitlines;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step};
use crate::transport::quote;
use serde_json::{Value as Json, json};

pub struct Raw;

static SPEC: ModuleSpec = ModuleSpec {
    name: "raw",
    args: &[
        ArgSpec::new("_raw_params", T::Str).required(),
        ArgSpec::new("executable", T::Str),
    ],
    free_form: FreeForm::RawParams(&["executable"]),
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct RawArgs {
    line: String,
}

#[async_trait::async_trait]
impl Module for Raw {
    type Args = RawArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<RawArgs, String> {
        let text = args
            .get("_raw_params")
            .and_then(Json::as_str)
            .ok_or("the raw module requires a command")?;
        let line = match args.get("executable").and_then(Json::as_str) {
            Some(exe) => format!("{} -c {}", quote(exe), quote(text)),
            None => text.to_string(),
        };
        Ok(RawArgs { line })
    }

    async fn plan(&self, _ctx: &ModuleCtx<'_>, _a: &RawArgs) -> Result<Step<()>, ModuleError> {
        // raw cannot know what its text does: check mode skips it.
        let mut check = ModResult::new();
        check.insert("changed".into(), json!(false));
        check.insert("skipped".into(), json!(true));
        Ok(Step::Change { check, state: () })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &RawArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        let out = ctx.run_tty(&a.line).await?;
        // raw is an action plugin in Ansible: its failure is the action's.
        Ok(super::by_action(tty_result(&out)))
    }
}

/// The result of a command run with a terminal (`raw`, `script`).
pub fn tty_result(out: &crate::transport::ExecOutput) -> ModResult {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(true));
    r.insert("rc".into(), json!(out.rc));
    r.insert("stdout_lines".into(), Json::Array(splitlines(&stdout)));
    r.insert("stderr_lines".into(), Json::Array(splitlines(&stderr)));
    r.insert("stdout".into(), Json::String(stdout));
    r.insert("stderr".into(), Json::String(stderr));
    if out.rc != 0 {
        r.insert("failed".into(), json!(true));
        r.insert("msg".into(), json!("non-zero return code"));
    }
    r
}
