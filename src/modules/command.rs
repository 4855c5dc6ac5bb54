// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `command` and `shell`: run a program on the host. `command` passes each
//! argument literally (every word goes through the quoting routine); `shell`
//! hands its text to `/bin/sh -c` (or `executable`).

use super::async_job::{Detached, JobOutput};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step};
use crate::transport::{ExecOutput, quote};
use serde_json::{Value as Json, json};

pub struct Command {
    pub shell: bool,
}

const ARGS: &[ArgSpec] = &[
    ArgSpec::new("_raw_params", T::Str),
    ArgSpec::new("cmd", T::Str),
    ArgSpec::new("argv", T::List),
    ArgSpec::new("chdir", T::Path),
    ArgSpec::new("executable", T::Str),
    ArgSpec::new("creates", T::Path),
    ArgSpec::new("removes", T::Path),
    ArgSpec::new("stdin", T::Str),
    ArgSpec::new("stdin_add_newline", T::Bool),
    ArgSpec::new("strip_empty_ends", T::Bool),
    ArgSpec::new("expand_argument_vars", T::Bool),
];

/// Keys taken out of free-form text as `k=v` (Ansible's splitter list).
const FREE_FORM_KEYS: &[&str] = &[
    "chdir",
    "creates",
    "removes",
    "executable",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
    "expand_argument_vars",
];

static COMMAND: ModuleSpec = ModuleSpec {
    name: "command",
    args: ARGS,
    free_form: FreeForm::RawParams(FREE_FORM_KEYS),
    mutually_exclusive: &[&["_raw_params", "cmd", "argv"]],
    required_one_of: &[&["_raw_params", "cmd", "argv"]],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

static SHELL: ModuleSpec = ModuleSpec {
    name: "shell",
    args: ARGS,
    free_form: FreeForm::RawParams(FREE_FORM_KEYS),
    mutually_exclusive: &[&["_raw_params", "cmd"]],
    required_one_of: &[&["_raw_params", "cmd"]],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

#[derive(Clone)]
pub struct CommandArgs {
    /// What the result's `cmd` shows: a list for command, a string for shell.
    cmd: Json,
    /// The command text as written (free form or `cmd`), when there was one.
    text: Option<String>,
    /// The command line the remote shell runs.
    line: String,
    chdir: Option<String>,
    creates: Option<String>,
    removes: Option<String>,
    stdin: Option<Vec<u8>>,
    strip: bool,
}

/// Exit code and stderr marker used when `chdir` fails or the program does not
/// exist, so the result can say what Ansible says.
const CHDIR_FAILED: &str = "__kiln_chdir_failed__";
const NOT_FOUND: &str = "__kiln_not_found__";

fn str_arg(args: &Args, k: &str) -> Option<String> {
    args.get(k).and_then(|v| v.as_str()).map(str::to_string)
}

fn bool_arg(args: &Args, k: &str, default: bool) -> bool {
    args.get(k)
        .and_then(super::spec::to_bool)
        .unwrap_or(default)
}

/// Python's `str.splitlines()`.
pub fn splitlines(s: &str) -> Vec<Json> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(Json::String(std::mem::take(&mut cur)));
            }
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => out.push(Json::String(std::mem::take(&mut cur))),
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Json::String(cur));
    }
    out
}

/// A glob pattern as a shell word: literal parts quoted, `*?[` left bare.
fn glob_word(pattern: &str) -> String {
    let mut out = String::new();
    let mut lit = String::new();
    for c in pattern.chars() {
        if matches!(c, '*' | '?' | '[' | ']') {
            if !lit.is_empty() {
                out.push_str(&quote(&lit));
                lit.clear();
            }
            out.push(c);
        } else {
            lit.push(c);
        }
    }
    if !lit.is_empty() {
        out.push_str(&quote(&lit));
    }
    out
}

/// Ansible's time format for `start`/`end`.
pub fn timestamp(t: chrono::DateTime<chrono::Local>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// Python's str(timedelta).
pub fn delta(d: chrono::TimeDelta) -> String {
    let us = d.num_microseconds().unwrap_or(0).max(0);
    let secs = us / 1_000_000;
    format!(
        "{}:{:02}:{:02}.{:06}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60,
        us % 1_000_000
    )
}

impl Command {
    fn base(&self, a: &CommandArgs) -> ModResult {
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        r.insert("stdout".into(), json!(""));
        r.insert("stderr".into(), json!(""));
        r.insert("rc".into(), Json::Null);
        r.insert("cmd".into(), a.cmd.clone());
        r.insert("start".into(), Json::Null);
        r.insert("end".into(), Json::Null);
        r.insert("delta".into(), Json::Null);
        r.insert("msg".into(), json!(""));
        r
    }

    /// Result when `creates`/`removes` says there is nothing to do.
    fn skip(&self, a: &CommandArgs, check: bool, msg: String, stdout: String) -> ModResult {
        let mut r = self.base(a);
        let _ = check;
        r.insert("msg".into(), Json::String(msg));
        r.insert("stdout".into(), Json::String(stdout.clone()));
        r.insert("rc".into(), json!(0));
        r.insert("stdout_lines".into(), Json::Array(splitlines(&stdout)));
        r.insert("stderr_lines".into(), json!([]));
        r
    }
}

#[async_trait::async_trait]
impl Module for Command {
    type Args = CommandArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        if self.shell { &SHELL } else { &COMMAND }
    }

    fn parse(&self, args: &Args) -> Result<CommandArgs, String> {
        let raw = str_arg(args, "_raw_params").or_else(|| str_arg(args, "cmd"));
        let (cmd, line) = if self.shell {
            let text = raw.ok_or("no command given")?;
            let exe = str_arg(args, "executable").unwrap_or_else(|| "/bin/sh".into());
            (
                Json::String(text.clone()),
                format!("exec {} -c {}", quote(&exe), quote(&text)),
            )
        } else {
            let words: Vec<String> = match (raw, args.get("argv")) {
                (Some(text), _) => shell_words(&text)?,
                (None, Some(Json::Array(a))) => a
                    .iter()
                    .map(|v| match v {
                        Json::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect(),
                _ => return Err("no command given".into()),
            };
            let Some(first) = words.first() else {
                return Err("no command given".into());
            };
            let quoted: Vec<String> = words.iter().map(|w| quote(w)).collect();
            let line = format!(
                "command -v {} >/dev/null 2>&1 || {{ printf %s {NOT_FOUND} >&2; exit 127; }}; exec {}",
                quote(first),
                quoted.join(" ")
            );
            (
                Json::Array(words.into_iter().map(Json::String).collect()),
                line,
            )
        };
        let stdin = str_arg(args, "stdin").map(|mut s| {
            if bool_arg(args, "stdin_add_newline", true) {
                s.push('\n');
            }
            s.into_bytes()
        });
        Ok(CommandArgs {
            text: str_arg(args, "_raw_params").or_else(|| str_arg(args, "cmd")),
            cmd,
            line,
            chdir: str_arg(args, "chdir"),
            creates: str_arg(args, "creates"),
            removes: str_arg(args, "removes"),
            stdin,
            strip: bool_arg(args, "strip_empty_ends", true),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &CommandArgs) -> Result<Step<()>, ModuleError> {
        let would = if ctx.check_mode { "Would" } else { "Did" };
        if a.creates.is_some() || a.removes.is_some() {
            // One probe answers both: each pattern matched or not.
            let probe = |p: &Option<String>| match p {
                Some(p) => format!(
                    "for f in {}; do [ -e \"$f\" ] || [ -L \"$f\" ] && {{ echo 1; exit 0; }}; done; echo 0",
                    glob_word(p)
                ),
                None => "echo -".to_string(),
            };
            let script = format!("({}); ({})", probe(&a.creates), probe(&a.removes));
            let cd = match &a.chdir {
                Some(d) => format!("cd {} 2>/dev/null; ", quote(d)),
                None => String::new(),
            };
            let out = ctx.run(&format!("{cd}{script}"), None).await?;
            let text = String::from_utf8_lossy(&out.stdout);
            let mut lines = text.lines();
            let created = lines.next() == Some("1");
            let removed_exists = lines.next() == Some("1");
            if let Some(c) = &a.creates
                && created
            {
                return Ok(Step::Done(self.skip(
                    a,
                    ctx.check_mode,
                    format!("{would} not run command since '{c}' exists"),
                    format!("skipped, since {c} exists"),
                )));
            }
            if let Some(r) = &a.removes
                && !removed_exists
            {
                return Ok(Step::Done(self.skip(
                    a,
                    ctx.check_mode,
                    format!("{would} not run command since '{r}' does not exist"),
                    format!("skipped, since {r} does not exist"),
                )));
            }
        }
        let mut check = self.base(a);
        check.insert("changed".into(), json!(true));
        check.insert("rc".into(), json!(0));
        check.insert(
            "msg".into(),
            json!("Command would have run if not in check mode"),
        );
        if a.creates.is_none() && a.removes.is_none() {
            check.insert("skipped".into(), json!(true));
            check.insert("changed".into(), json!(false));
        }
        check.insert("stdout_lines".into(), json!([]));
        check.insert("stderr_lines".into(), json!([]));
        Ok(Step::Change { check, state: () })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &CommandArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        let start = chrono::Local::now();
        let out: ExecOutput = ctx.run(&self.line(a), a.stdin.as_deref()).await?;
        let end = chrono::Local::now();
        Ok(self.result_of(a, out, start, end))
    }

    fn detachable(&self) -> bool {
        true
    }

    fn detach(&self, a: &CommandArgs, _: &()) -> Option<Detached> {
        let shell = self.shell;
        let args = a.clone();
        Some(Detached {
            line: self.line(a),
            stdin: a.stdin.clone(),
            finish: std::sync::Arc::new(move |o: JobOutput| {
                let now = chrono::Local::now();
                let out = ExecOutput {
                    rc: o.rc,
                    stdout: o.stdout,
                    stderr: o.stderr,
                };
                Command { shell }.result_of(
                    &args,
                    out,
                    o.start.unwrap_or(now),
                    o.end.unwrap_or(now),
                )
            }),
        })
    }
}

impl Command {
    /// The command line the host runs, after `chdir`.
    fn line(&self, a: &CommandArgs) -> String {
        match &a.chdir {
            Some(d) => format!(
                "cd {} 2>/dev/null || {{ printf %s {CHDIR_FAILED} >&2; exit 1; }}; {}",
                quote(d),
                a.line
            ),
            None => a.line.clone(),
        }
    }

    /// The module's result from the command's output.
    fn result_of(
        &self,
        a: &CommandArgs,
        out: ExecOutput,
        start: chrono::DateTime<chrono::Local>,
        end: chrono::DateTime<chrono::Local>,
    ) -> ModResult {
        let mut r = self.base(a);
        let stderr_raw = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.rc == 1 && stderr_raw == CHDIR_FAILED {
            r.insert(
                "msg".into(),
                json!("Unable to change directory before execution."),
            );
            r.insert("failed".into(), json!(true));
            return r;
        }
        if out.rc == 127 && stderr_raw == NOT_FOUND {
            // ansible-core 2.21 reports the command as given and a short message.
            if let Some(text) = &a.text {
                r.insert("cmd".into(), Json::String(text.clone()));
            }
            r.insert("rc".into(), json!(2));
            r.insert("msg".into(), json!("Error executing command."));
            // The module failed before it started the program: no times.
            for k in ["start", "end", "delta"] {
                r.remove(k);
            }
            let prog = a.cmd.get(0).and_then(|v| v.as_str()).unwrap_or_default();
            r.insert(
                super::ERROR_DETAIL.into(),
                Json::String(format!(
                    "Error executing command: [Errno 2] No such file or directory: b'{prog}'"
                )),
            );
            r.insert("failed".into(), json!(true));
            r.insert("stdout_lines".into(), json!([]));
            r.insert("stderr_lines".into(), json!([]));
            return r;
        }
        let mut stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut stderr = stderr_raw;
        if a.strip {
            stdout = stdout.trim_end_matches(['\r', '\n']).to_string();
            stderr = stderr.trim_end_matches(['\r', '\n']).to_string();
        }
        r.insert("changed".into(), json!(true));
        r.insert("rc".into(), json!(out.rc));
        r.insert("start".into(), Json::String(timestamp(start)));
        r.insert("end".into(), Json::String(timestamp(end)));
        r.insert("delta".into(), Json::String(delta(end - start)));
        r.insert("stdout_lines".into(), Json::Array(splitlines(&stdout)));
        r.insert("stderr_lines".into(), Json::Array(splitlines(&stderr)));
        r.insert("stdout".into(), Json::String(stdout));
        r.insert("stderr".into(), Json::String(stderr));
        if out.rc != 0 {
            r.insert(
                "msg".into(),
                json!("The command exited with a non-zero return code."),
            );
            r.insert("failed".into(), json!(true));
        }
        r
    }
}

/// Python's shlex.split (POSIX mode), which the command module applies to
/// its text.
pub fn shell_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('\\' | '"' | '$' | '`' | '\n')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err("No closing quotation".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(x) => cur.push(x),
                    None => return Err("No escaped character".into()),
                }
            }
            '#' if !in_word => break,
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_like_python() {
        assert_eq!(
            shell_words("echo 'a b' \"c\\\"d\" e\\ f").unwrap(),
            ["echo", "a b", "c\"d", "e f"]
        );
        assert_eq!(shell_words("ls # comment").unwrap(), ["ls"]);
        assert!(shell_words("echo 'open").is_err());
        assert_eq!(shell_words("a ''").unwrap(), ["a", ""]);
    }

    #[test]
    fn splitlines_like_python() {
        assert_eq!(
            splitlines("a\nb\r\nc\rd\n"),
            vec![json!("a"), json!("b"), json!("c"), json!("d")]
        );
        assert!(splitlines("").is_empty());
    }

    #[test]
    fn glob_words_keep_metacharacters() {
        assert_eq!(glob_word("/tmp/a b*"), "'/tmp/a b'*");
        assert_eq!(glob_word("/x/y"), "/x/y");
    }

    #[test]
    fn python_timedelta() {
        assert_eq!(
            delta(chrono::TimeDelta::microseconds(3_723_000_042)),
            "1:02:03.000042"
        );
    }
}
