// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `dpkg_selections`: a package's dpkg selection (install, hold, deinstall,
//! purge), as `dpkg --get-selections` / `--set-selections` see it; holding
//! a package keeps apt from changing it.

use super::args::ArgReader;
use super::probe::probe;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::json;

pub struct DpkgSelections;

static SPEC: ModuleSpec = ModuleSpec {
    name: "dpkg_selections",
    args: &[
        ArgSpec::new("name", T::Str).required(),
        ArgSpec::new("selection", T::Str).required().choices(&[
            "install",
            "hold",
            "deinstall",
            "purge",
        ]),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct SelArgs {
    name: String,
    selection: String,
}

const ENV: &str = "LANG=C.utf8 LC_ALL=C.utf8 LC_MESSAGES=C.utf8 LC_CTYPE=C.utf8 LANGUAGE=C.utf8";

fn outcome(changed: bool, before: &str, after: &str) -> ModResult {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(changed));
    r.insert("before".into(), json!(before));
    r.insert("after".into(), json!(after));
    r
}

#[async_trait::async_trait]
impl Module for DpkgSelections {
    type Args = SelArgs;
    /// The selection before the change.
    type State = String;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<SelArgs, String> {
        let r = ArgReader::new(&SPEC, args);
        r.require(&["name", "selection"])?;
        Ok(SelArgs {
            name: r.str_or("name", ""),
            selection: r.choice("selection", None)?.unwrap_or_default(),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &SelArgs) -> Result<Step<String>, ModuleError> {
        // Asked twice, for stdout and for stderr apart: cheaper than a
        // temp file, and the selection does not change in between.
        let name = quote(&a.name);
        let script = format!(
            "kv out \"$(env {ENV} dpkg --get-selections {name} 2>/dev/null)\"\ne=$(env {ENV} dpkg --get-selections {name} 2>&1 >/dev/null); kv rc $?; kv selerr \"$e\""
        );
        let reply = probe(ctx, &script).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        // Not `err`: that key is the probe's own failure report.
        let err = reply.text("selerr").unwrap_or_default();
        if reply.text("rc").as_deref() != Some("0") {
            return Ok(Step::Done(failed(err)));
        }
        if err.contains("no packages found matching") {
            return Ok(Step::Done(failed(format!(
                "Failed to find package '{}' to perform selection '{}'.",
                a.name, a.selection
            ))));
        }
        let out = reply.text("out").unwrap_or_default();
        let current = out
            .split_whitespace()
            .nth(1)
            .unwrap_or("not present")
            .to_string();
        if current == a.selection {
            return Ok(Step::Done(outcome(false, &current, &a.selection)));
        }
        Ok(Step::Change {
            check: outcome(true, &current, &a.selection),
            state: current,
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &SelArgs,
        before: String,
    ) -> Result<ModResult, ModuleError> {
        let line = format!("{} {}", a.name, a.selection);
        let out = ctx
            .run(
                &format!("env {ENV} dpkg --set-selections"),
                Some(line.as_bytes()),
            )
            .await?;
        if out.rc != 0 {
            let mut r = failed(String::from_utf8_lossy(&out.stderr).trim_end().to_string());
            r.insert("rc".into(), json!(out.rc));
            return Ok(r);
        }
        Ok(outcome(true, &before, &a.selection))
    }
}
