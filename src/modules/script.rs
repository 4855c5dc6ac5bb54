// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `script`: a controller script (found as `copy` finds its `src`: the
//! playbook's `files/`, then its directory) run on the host.
//!
//! The script goes on stdin into a private directory made by `mktemp -d`
//! (mode 0700), runs there with a terminal as Ansible's ssh connection runs
//! it (`-tt`: stderr arrives in stdout, lines end in `\r\n`), and the
//! directory is removed in the same command whatever the script did. The
//! rest of the free-form text after the script's name is passed on as
//! written, as Ansible replaces only the name.

use super::command::shell_words;
use super::copy::find_needle;
use super::raw::tty_result;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, by_action, failed, raised};
use crate::transport::quote;
use serde_json::{Value as Json, json};

pub struct Script;

static SPEC: ModuleSpec = ModuleSpec {
    name: "script",
    args: &[
        ArgSpec::new("_raw_params", T::Str),
        ArgSpec::new("cmd", T::Str),
        ArgSpec::new("creates", T::Str),
        ArgSpec::new("removes", T::Str),
        ArgSpec::new("chdir", T::Str),
        ArgSpec::new("executable", T::Str),
    ],
    free_form: FreeForm::RawParams(&["creates", "removes", "chdir", "executable"]),
    mutually_exclusive: &[&["_raw_params", "cmd"]],
    required_one_of: &[&["_raw_params", "cmd"]],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct ScriptArgs {
    /// The text as written, trimmed.
    text: String,
    /// The script's name (the first shell word).
    source: String,
    creates: Option<String>,
    removes: Option<String>,
    chdir: Option<String>,
    executable: Option<String>,
}

/// What the apply step runs.
pub struct Prepared {
    bytes: Vec<u8>,
    name: String,
}

fn arg(args: &Args, k: &str) -> Option<String> {
    args.get(k)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A skip result with Ansible's message.
fn skipped(msg: String) -> ModResult {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(false));
    r.insert("skipped".into(), json!(true));
    r.insert("msg".into(), json!(msg));
    r
}

#[async_trait::async_trait]
impl Module for Script {
    type Args = ScriptArgs;
    type State = Prepared;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<ScriptArgs, String> {
        let text = arg(args, "_raw_params")
            .or_else(|| arg(args, "cmd"))
            .ok_or("one of the following is required: _raw_params, cmd")?
            .trim()
            .to_string();
        let source = shell_words(&text)?
            .into_iter()
            .next()
            .ok_or("no script given")?;
        let chdir = arg(args, "chdir");
        Ok(ScriptArgs {
            text,
            source,
            creates: arg(args, "creates"),
            removes: arg(args, "removes"),
            chdir,
            executable: arg(args, "executable"),
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &ScriptArgs,
    ) -> Result<Step<Prepared>, ModuleError> {
        if let Some(d) = &a.chdir
            && !d.starts_with('/')
        {
            return Ok(Step::Done(raised(format!(
                "chdir {d} must be an absolute path for a Unix-aware remote node"
            ))));
        }
        if a.creates.is_some() || a.removes.is_some() {
            let test = |p: &Option<String>| match p {
                Some(p) => format!("if [ -e {} ]; then echo 1; else echo 0; fi", quote(p)),
                None => "echo -".into(),
            };
            let out = ctx
                .run(&format!("{}; {}", test(&a.creates), test(&a.removes)), None)
                .await?;
            let text = String::from_utf8_lossy(&out.stdout);
            let answers: Vec<&str> = text.lines().collect();
            if let Some(c) = &a.creates
                && answers.first() == Some(&"1")
            {
                return Ok(Step::Done(skipped(format!(
                    "{c} exists, matching creates option"
                ))));
            }
            if let Some(r) = &a.removes
                && answers.get(1) != Some(&"1")
            {
                return Ok(Step::Done(skipped(format!(
                    "{r} does not exist, matching removes option"
                ))));
            }
        }
        let path = match find_needle(ctx, "files", &a.source) {
            Ok(p) => p,
            Err(e) => return Ok(Step::Done(raised(e))),
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => return Ok(Step::Done(failed(format!("{path}: {e}")))),
        };
        let check = if a.creates.is_some() || a.removes.is_some() {
            let mut r = ModResult::new();
            r.insert("changed".into(), json!(true));
            r
        } else {
            // The script may say it changed nothing: Ansible does not guess.
            skipped("Check mode is not supported for this task.".into())
        };
        let name = super::probe::basename(&path).to_string();
        Ok(Step::Change {
            check,
            state: Prepared { bytes, name },
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &ScriptArgs,
        p: Prepared,
    ) -> Result<ModResult, ModuleError> {
        // A private directory holds the script until it has run.
        let put = format!(
            "d=$(umask 077 && mktemp -d \"${{TMPDIR:-/tmp}}/kiln-script.XXXXXXXX\") && cat > \"$d\"/{n} && chmod 0700 \"$d\"/{n} && printf %s \"$d\"",
            n = quote(&p.name)
        );
        let out = ctx.run(&put, Some(&p.bytes)).await?;
        let dir = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.rc != 0 || dir.is_empty() {
            return Ok(failed(format!(
                "could not put the script on the host: {}",
                String::from_utf8_lossy(&out.stderr).trim_end()
            )));
        }
        let target = format!("{}/{}", quote(&dir), quote(&p.name));
        let command = a.text.replace(&a.source, &target);
        let command = match &a.executable {
            Some(e) => format!("{e} {command}"),
            None => command,
        };
        let cd = match &a.chdir {
            Some(d) => format!("cd {} && ", quote(d)),
            None => String::new(),
        };
        let line = format!(
            "( {cd}{command} ); rc=$?; rm -rf -- {}; exit $rc",
            quote(&dir)
        );
        let out = ctx.run_tty(&line).await?;
        Ok(by_action(tty_result(&out)))
    }
}
