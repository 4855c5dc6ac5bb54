// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `ping`: proves the host answers a command; returns `ping: pong`.

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::{Value as Json, json};

pub struct Ping;

static SPEC: ModuleSpec = ModuleSpec {
    name: "ping",
    args: &[ArgSpec::new("data", T::Str)],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

#[async_trait::async_trait]
impl Module for Ping {
    type Args = String;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<String, String> {
        Ok(args
            .get("data")
            .and_then(Json::as_str)
            .unwrap_or("pong")
            .to_string())
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, data: &String) -> Result<Step<()>, ModuleError> {
        if data == "crash" {
            return Ok(Step::Done(failed("boom")));
        }
        // A real round trip: ping answers only if the host runs a command.
        let out = ctx.run("true", None).await?;
        if out.rc != 0 {
            return Ok(Step::Done(failed(format!(
                "the host could not run a command (rc {})",
                out.rc
            ))));
        }
        let mut r = ModResult::new();
        r.insert("ping".into(), Json::String(data.clone()));
        r.insert("changed".into(), json!(false));
        Ok(Step::Done(r))
    }

    async fn apply(&self, _: &ModuleCtx<'_>, _: &String, _: ()) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}
