// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `tempfile`: a new temporary file or directory on the host (`mktemp`,
//! private mode, one round trip). Like Ansible's module it does not run in
//! check mode.

use super::args::ArgReader;
use super::probe::{PRELUDE, Reply, add_path_info, basename, run_script, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::json;

pub struct TempFile;

static SPEC: ModuleSpec = ModuleSpec {
    name: "tempfile",
    args: &[
        ArgSpec::new("state", T::Str).choices(&["file", "directory"]),
        ArgSpec::new("path", T::Path),
        ArgSpec::new("prefix", T::Str),
        ArgSpec::new("suffix", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct TempArgs {
    directory: bool,
    path: Option<String>,
    prefix: String,
    suffix: String,
}

/// Python's `repr` of a string, for the prefix/suffix messages.
fn py_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// The mktemp command line: `PREFIX` + 8 random characters + `SUFFIX`
/// (after `--`: a prefix may start with a dash).
pub fn mktemp_script(a: &TempArgs) -> String {
    let dir = match &a.path {
        Some(p) => sh_path(p),
        None => "\"${TMPDIR:-/tmp}\"".to_string(),
    };
    let d = if a.directory { " -d" } else { "" };
    format!(
        "{PRELUDE}t=$(mktemp{d} -p {dir} --suffix={} -- {} 2>&1) || {{ kv err \"$t\"; exit 1; }}\nkv path \"$t\"\nkst info \"$t\"\nexit 0\n",
        quote(&a.suffix),
        quote(&format!("{}XXXXXXXX", a.prefix)),
    )
}

#[async_trait::async_trait]
impl Module for TempFile {
    type Args = TempArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<TempArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        Ok(TempArgs {
            directory: a.choice("state", Some("file"))?.as_deref() == Some("directory"),
            path: a.str("path"),
            prefix: a.str_or("prefix", "ansible."),
            suffix: a.str_or("suffix", ""),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &TempArgs) -> Result<Step<()>, ModuleError> {
        for (name, v) in [("prefix", &a.prefix), ("suffix", &a.suffix)] {
            if !v.is_empty() && v != basename(v) {
                return Ok(Step::Done(failed(format!(
                    "{name} must be a valid file name component, got {}",
                    py_repr(v)
                ))));
            }
        }
        if ctx.check_mode {
            // Not a check-mode module: Ansible skips it.
            let mut r = ModResult::new();
            r.insert("changed".into(), json!(false));
            r.insert(
                "msg".into(),
                json!("remote module (tempfile) does not support check mode"),
            );
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
        a: &TempArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        let reply = Reply::from_output(&run_script(ctx, &mktemp_script(a), None).await?);
        if let Some(e) = reply.failure() {
            return Ok(failed(e.trim_start_matches("mktemp: ").to_string()));
        }
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(true));
        r.insert("path".into(), json!(reply.text("path")));
        add_path_info(&mut r, reply.stat("info").as_ref());
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mktemp_makes_private_names() {
        let dir = tempfile::tempdir().unwrap();
        let a = TempArgs {
            directory: false,
            path: Some(dir.path().display().to_string()),
            prefix: "pre 'x'.".into(),
            suffix: ".txt".into(),
        };
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(mktemp_script(&a))
            .output()
            .unwrap();
        let r = Reply::from_output(&crate::transport::ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        });
        let p = r.text("path").unwrap();
        let name = basename(&p);
        assert!(
            name.starts_with("pre 'x'.") && name.ends_with(".txt") && name.len() == 8 + 8 + 4,
            "{name}"
        );
        assert_eq!(r.stat("info").unwrap().perm(), 0o600);
        assert_eq!(py_repr("a/b"), "'a/b'");
        // A prefix with a leading dash is a name, not an option of mktemp.
        let dashed = TempArgs {
            prefix: "-$(touch pwned)".into(),
            suffix: "`x`;".into(),
            ..a
        };
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(mktemp_script(&dashed))
            .current_dir(dir.path())
            .output()
            .unwrap();
        let r = Reply::from_output(&crate::transport::ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        });
        let p = r.text("path").unwrap();
        let name = basename(&p);
        assert!(
            name.starts_with("-$(touch pwned)") && name.ends_with("`x`;"),
            "{name}"
        );
        assert!(!dir.path().join("pwned").exists());
    }
}
