// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `async_status`: the status of a job started with `async` (and `poll: 0`),
//! read from its job file; `mode: cleanup` removes the file.

use super::async_job::{self, status_base, status_of};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step};
use crate::transport::quote;
use serde_json::{Map, Value as Json, json};

pub struct AsyncStatus;

static SPEC: ModuleSpec = ModuleSpec {
    name: "async_status",
    args: &[
        ArgSpec::new("jid", T::Str).required(),
        ArgSpec::new("mode", T::Str).choices(&["status", "cleanup"]),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct StatusArgs {
    jid: String,
    cleanup: bool,
}

/// Marker the script prints before the job file's path.
const PATH: &str = "__kiln_job_path__";

#[async_trait::async_trait]
impl Module for AsyncStatus {
    type Args = StatusArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<StatusArgs, String> {
        let jid = match args.get("jid") {
            Some(Json::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => return Err("missing required arguments: jid".into()),
        };
        Ok(StatusArgs {
            jid,
            cleanup: args.get("mode").and_then(Json::as_str) == Some("cleanup"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &StatusArgs) -> Result<Step<()>, ModuleError> {
        let dir = async_job::dir_word(&async_job::async_dir(ctx.vars));
        // The path is printed first (the host expands `~`), then whether
        // the file exists, then its content (or nothing, once removed).
        let act = if a.cleanup {
            "rm -f \"$f\""
        } else {
            "cat \"$f\""
        };
        let script = format!(
            "f={dir}/{jid}; printf '%s\\n%s\\n' {PATH} \"$f\"; if [ -e \"$f\" ]; then echo 1; {act}; else echo 0; fi",
            jid = quote(&a.jid),
        );
        let out = ctx.run(&script, None).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let rest = text
            .split_once(&format!("{PATH}\n"))
            .map(|(_, r)| r)
            .unwrap_or_default();
        let mut parts = rest.splitn(3, '\n');
        let file = parts.next().unwrap_or_default().to_string();
        let exists = parts.next() == Some("1");
        let body = parts.next().unwrap_or_default();
        if !exists {
            let mut r = status_base(&a.jid);
            r.insert("results_file".into(), json!(file));
            r.insert("started".into(), json!(true));
            r.insert("finished".into(), json!(true));
            r.insert("failed".into(), json!(true));
            r.insert("msg".into(), json!("could not find job"));
            return Ok(Step::Done(r));
        }
        if a.cleanup {
            return Ok(Step::Done(async_job::erased(&a.jid, &file)));
        }
        let data: Map<String, Json> = match serde_json::from_str(body) {
            Ok(Json::Object(m)) => m,
            // Not written yet: the job is running.
            _ if body.trim().is_empty() => {
                let mut m = Map::new();
                m.insert("started".into(), json!(1));
                m.insert("finished".into(), json!(0));
                m
            }
            _ => {
                let mut r = status_base(&a.jid);
                r.insert("results_file".into(), json!(file));
                r.insert("started".into(), json!(true));
                r.insert("finished".into(), json!(true));
                r.insert("failed".into(), json!(true));
                r.insert(
                    "msg".into(),
                    json!(format!("Could not parse job output: {body}")),
                );
                return Ok(Step::Done(r));
            }
        };
        let mut r = status_of(&ctx.jobs, &a.jid, &file, data);
        if !r.contains_key("changed") {
            r.insert("changed".into(), json!(false));
        }
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &StatusArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}
