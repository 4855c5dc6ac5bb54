// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `wait_for_connection`: retries a trivial remote command (kiln's stand-in
//! for Ansible's ping module, which needs Python) every `sleep` seconds
//! until it answers or `timeout` passes. The SSH connection reconnects by
//! itself when its session has gone. Check mode skips it, as Ansible does.

use super::args::ArgReader;
use super::reboot::run_limited;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step};
use serde_json::{Value as Json, json};
use std::time::{Duration, Instant};

pub struct WaitForConnection;

static SPEC: ModuleSpec = ModuleSpec {
    name: "wait_for_connection",
    args: &[
        ArgSpec::new("connect_timeout", T::Int),
        ArgSpec::new("delay", T::Int),
        ArgSpec::new("sleep", T::Int),
        ArgSpec::new("timeout", T::Int),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct WaitArgs {
    connect_timeout: u64,
    delay: u64,
    sleep: u64,
    timeout: u64,
}

#[async_trait::async_trait]
impl Module for WaitForConnection {
    type Args = WaitArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<WaitArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        let n = |k: &str, d: i64| a.raw(k).and_then(Json::as_i64).unwrap_or(d).max(0) as u64;
        Ok(WaitArgs {
            connect_timeout: n("connect_timeout", 5).max(1),
            delay: n("delay", 0),
            sleep: n("sleep", 1),
            timeout: n("timeout", 600),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, _: &WaitArgs) -> Result<Step<()>, ModuleError> {
        if ctx.check_mode {
            let mut r = ModResult::new();
            r.insert("skipped".into(), json!(true));
            return Ok(Step::Done(r));
        }
        Ok(Step::Change {
            check: ModResult::new(),
            state: (),
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &WaitArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        let start = Instant::now();
        if a.delay > 0 {
            tokio::time::sleep(Duration::from_secs(a.delay)).await;
        }
        let deadline = start + Duration::from_secs(a.delay + a.timeout);
        let limit = Duration::from_secs(a.connect_timeout);
        let mut r = ModResult::new();
        loop {
            let error = match run_limited(ctx, "echo pong", limit).await {
                Ok(out) if out.rc == 0 && out.stdout.starts_with(b"pong") => break,
                Ok(_) => "ping test failed".to_string(),
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                r.insert("failed".into(), json!(true));
                r.insert(
                    "msg".into(),
                    json!(format!("timed out waiting for ping module test: {error}")),
                );
                break;
            }
            tokio::time::sleep(Duration::from_secs(a.sleep)).await;
        }
        r.insert("elapsed".into(), json!(start.elapsed().as_secs()));
        Ok(r)
    }
}
