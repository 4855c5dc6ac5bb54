// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `reboot`: reboots the host and waits for it to come back, as Ansible's
//! action does: the boot id (`/proc/sys/kernel/random/boot_id`) is read
//! before, `shutdown -r` runs, and the boot id is read again until it
//! differs (the SSH connection reconnects by itself when its session has
//! gone, see `transport::ssh`), then the test command must succeed. Both
//! waits retry with Ansible's backoff (2^n seconds, at most 12, plus a
//! random fraction) until `reboot_timeout`.

use super::args::ArgReader;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step};
use crate::template::value_to_json;
use crate::transport::{ExecOutput, quote};
use serde_json::{Value as Json, json};
use std::time::{Duration, Instant};

pub struct Reboot;

static SPEC: ModuleSpec = ModuleSpec {
    name: "reboot",
    args: &[
        ArgSpec::new("pre_reboot_delay", T::Int).aliases(&["pre_reboot_delay_sec"]),
        ArgSpec::new("post_reboot_delay", T::Int).aliases(&["post_reboot_delay_sec"]),
        ArgSpec::new("reboot_timeout", T::Int).aliases(&["reboot_timeout_sec"]),
        ArgSpec::new("connect_timeout", T::Int).aliases(&["connect_timeout_sec"]),
        ArgSpec::new("test_command", T::Str),
        ArgSpec::new("msg", T::Str),
        ArgSpec::new("search_paths", T::List),
        ArgSpec::new("boot_time_command", T::Str),
        ArgSpec::new("reboot_command", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct RebootArgs {
    pre_delay: u64,
    post_delay: u64,
    timeout: u64,
    connect_timeout: Option<u64>,
    test_command: String,
    msg: String,
    search_paths: Vec<String>,
    boot_time_command: String,
    reboot_command: Option<String>,
}

const SEARCH_PATHS: &[&str] = &["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"];

/// Python's repr of a list of strings, for the "not found" message.
fn py_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", items.join(", "))
}

impl RebootArgs {
    /// The program and its arguments (`shutdown -r 0 "message"`).
    fn split_command(&self) -> (String, String) {
        match &self.reboot_command {
            Some(c) => match c.split_once(' ') {
                Some((bin, args)) => (bin.to_string(), args.to_string()),
                None => (c.clone(), String::new()),
            },
            None => (
                "shutdown".to_string(),
                format!("-r {} {}", self.pre_delay / 60, quote(&self.msg)),
            ),
        }
    }

    /// A shell line that finds the program in the search paths (as the
    /// action does with the find module) and prints its path.
    fn find_script(&self) -> String {
        let (bin, _) = self.split_command();
        if bin.starts_with('/') {
            return format!("printf '%s\\n' {}", quote(&bin));
        }
        let dirs: Vec<String> = self.search_paths.iter().map(|d| quote(d)).collect();
        format!(
            "for d in {}; do if [ -e \"$d\"/{b} ]; then printf '%s\\n' \"$d\"/{b}; exit 0; fi; done; exit 1",
            dirs.join(" "),
            b = quote(&bin)
        )
    }
}

/// Ansible's backoff between attempts: 2^n seconds (at most 12) plus a
/// random fraction.
pub fn backoff(attempt: u32) -> Duration {
    let frac = rand::random::<f64>();
    let base = 2f64.powi(attempt.min(8) as i32);
    Duration::from_secs_f64(if base > 12.0 {
        12.0 + frac
    } else {
        base + frac
    })
}

/// Runs a command with a time limit; a hung session counts as a failed try.
pub async fn run_limited(
    ctx: &ModuleCtx<'_>,
    cmd: &str,
    limit: Duration,
) -> Result<ExecOutput, String> {
    match tokio::time::timeout(limit, ctx.run(cmd, None)).await {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(e)) => Err(e.message()),
        Err(_) => Err(format!("timed out after {} seconds", limit.as_secs())),
    }
}

/// Whether the task runs over the local connection (rebooting it would
/// reboot the controller).
pub fn is_local(ctx: &ModuleCtx<'_>) -> bool {
    match ctx.vars.resolve("ansible_connection") {
        Ok(Some(v)) => value_to_json(&v).as_str() == Some("local"),
        _ => false,
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fail(msg: String, rebooted: bool, start: Option<Instant>) -> ModResult {
    let mut r = super::failed(msg);
    r.insert("rebooted".into(), json!(rebooted));
    if let Some(s) = start {
        r.insert("elapsed".into(), json!(s.elapsed().as_secs()));
    }
    r
}

#[async_trait::async_trait]
impl Module for Reboot {
    type Args = RebootArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<RebootArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        let secs = |k: &str, d: i64| a.raw(k).and_then(Json::as_i64).unwrap_or(d).max(0) as u64;
        let search_paths = match a.raw("search_paths") {
            Some(Json::Array(v)) => v
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect(),
            _ => SEARCH_PATHS.iter().map(|s| s.to_string()).collect(),
        };
        Ok(RebootArgs {
            pre_delay: secs("pre_reboot_delay", 0),
            post_delay: secs("post_reboot_delay", 0),
            timeout: secs("reboot_timeout", 600),
            connect_timeout: a
                .raw("connect_timeout")
                .and_then(Json::as_i64)
                .map(|v| v.max(1) as u64),
            test_command: a.str_or("test_command", "whoami"),
            msg: a.str_or("msg", "Reboot initiated by Ansible"),
            search_paths,
            boot_time_command: a
                .str("boot_time_command")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "cat /proc/sys/kernel/random/boot_id".into()),
            reboot_command: a.str("reboot_command"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, _: &RebootArgs) -> Result<Step<()>, ModuleError> {
        if is_local(ctx) {
            let mut r = super::failed(
                "Running reboot with local connection would reboot the control node.",
            );
            r.insert("changed".into(), json!(false));
            r.insert("elapsed".into(), json!(0));
            r.insert("rebooted".into(), json!(false));
            return Ok(Step::Done(r));
        }
        let mut check = ModResult::new();
        check.insert("changed".into(), json!(true));
        check.insert("elapsed".into(), json!(0));
        check.insert("rebooted".into(), json!(true));
        Ok(Step::Change { check, state: () })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &RebootArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        let boot_id = |out: &ExecOutput| text(&out.stdout).trim().to_string();
        let before = ctx.run(&a.boot_time_command, None).await?;
        if before.rc != 0 {
            let mut r = super::failed(format!(
                "reboot: failed to get host boot time info, rc: {}, stdout: {}, stderr: {}",
                before.rc,
                text(&before.stdout),
                text(&before.stderr)
            ));
            r.insert("reboot".into(), json!(false));
            return Ok(r);
        }
        let previous = boot_id(&before);
        let found = ctx.run(&a.find_script(), None).await?;
        let (bin, args) = a.split_command();
        if found.rc != 0 {
            return Ok(super::failed(format!(
                "Unable to find command \"{bin}\" in search paths: {}",
                py_list(&a.search_paths)
            )));
        }
        let path = text(&found.stdout).trim().to_string();
        let command = format!("{} {args}", quote(&path));
        // The session may drop while the command returns: that is success.
        let ran = run_limited(ctx, &command, Duration::from_secs(30)).await;
        let start = Instant::now();
        if let Ok(out) = &ran
            && out.rc != 0
            && out.rc != -1
        {
            return Ok(fail(
                format!(
                    "Reboot command failed. Error was: '{}, {}'",
                    text(&out.stdout).trim(),
                    text(&out.stderr).trim()
                ),
                false,
                Some(start),
            ));
        }
        if a.post_delay > 0 {
            tokio::time::sleep(Duration::from_secs(a.post_delay)).await;
        }
        let limit = Duration::from_secs(a.connect_timeout.unwrap_or(10));
        let deadline = Instant::now() + Duration::from_secs(a.timeout);
        // First the boot id must change, then the test command must pass;
        // each has the whole timeout, as in Ansible.
        let mut attempt = 0;
        loop {
            if Instant::now() >= deadline {
                return Ok(fail(
                    format!(
                        "Timed out waiting for last boot time check (timeout={})",
                        a.timeout
                    ),
                    true,
                    Some(start),
                ));
            }
            match run_limited(ctx, &a.boot_time_command, limit).await {
                Ok(out) if out.rc == 0 => {
                    let now = boot_id(&out);
                    if !now.is_empty() && now != previous {
                        break;
                    }
                }
                _ => {}
            }
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
        }
        let deadline = Instant::now() + Duration::from_secs(a.timeout);
        let mut attempt = 0;
        loop {
            if Instant::now() >= deadline {
                return Ok(fail(
                    format!(
                        "Timed out waiting for post-reboot test command (timeout={})",
                        a.timeout
                    ),
                    true,
                    Some(start),
                ));
            }
            if let Ok(out) = run_limited(ctx, &a.test_command, limit).await
                && out.rc == 0
            {
                break;
            }
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
        }
        let mut r = ModResult::new();
        r.insert("rebooted".into(), json!(true));
        r.insert("changed".into(), json!(true));
        r.insert("elapsed".into(), json!(start.elapsed().as_secs()));
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: Option<&str>, pre: u64) -> RebootArgs {
        RebootArgs {
            pre_delay: pre,
            post_delay: 0,
            timeout: 600,
            connect_timeout: None,
            test_command: "whoami".into(),
            msg: "Reboot initiated by Ansible".into(),
            search_paths: SEARCH_PATHS.iter().map(|s| s.to_string()).collect(),
            boot_time_command: "cat /proc/sys/kernel/random/boot_id".into(),
            reboot_command: cmd.map(str::to_string),
        }
    }

    #[test]
    fn shutdown_command_like_ansible() {
        assert_eq!(
            args(None, 130).split_command(),
            (
                "shutdown".into(),
                "-r 2 'Reboot initiated by Ansible'".into()
            )
        );
        assert_eq!(
            args(Some("systemctl reboot"), 0).split_command(),
            ("systemctl".into(), "reboot".into())
        );
        assert_eq!(
            args(Some("/sbin/reboot"), 0).find_script(),
            "printf '%s\\n' /sbin/reboot"
        );
    }

    #[test]
    fn finds_the_program_in_search_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("shutdown"), "").unwrap();
        let mut a = args(None, 0);
        a.search_paths = vec!["/nonexistent-kiln".into(), dir.path().display().to_string()];
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(a.find_script())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{}/shutdown", dir.path().display())
        );
        assert_eq!(py_list(&a.search_paths[..1]), "['/nonexistent-kiln']");
    }

    #[test]
    fn backoff_grows_to_twelve_seconds() {
        assert!(backoff(0) >= Duration::from_secs(1) && backoff(0) < Duration::from_secs(2));
        assert!(backoff(3) >= Duration::from_secs(8) && backoff(3) < Duration::from_secs(9));
        assert!(backoff(10) >= Duration::from_secs(12) && backoff(10) < Duration::from_secs(13));
    }
}
