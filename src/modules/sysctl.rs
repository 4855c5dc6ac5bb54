// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `ansible.posix.sysctl`: a kernel parameter in a sysctl file and, when
//! asked, in the running kernel. One probe reads the current value
//! (`sysctl -e -n`) and the file; the file is rewritten the module's way
//! (lines stripped, `key=value`, later duplicates dropped) with the safe
//! write; `sysctl -w` and `sysctl -p FILE` apply it.

use super::args::ArgReader;
use super::probe::{FileStat, probe, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn, to_bool};
use super::write::{Source, WriteError, WriteSpec, write};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::json;

pub struct Sysctl;

static SPEC: ModuleSpec = ModuleSpec {
    name: "sysctl",
    args: &[
        ArgSpec::new("name", T::Str).required().aliases(&["key"]),
        ArgSpec::new("value", T::Str).aliases(&["val"]),
        ArgSpec::new("state", T::Str).choices(&["present", "absent"]),
        ArgSpec::new("reload", T::Bool),
        ArgSpec::new("sysctl_set", T::Bool),
        ArgSpec::new("ignoreerrors", T::Bool),
        ArgSpec::new("sysctl_file", T::Path),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct SysctlArgs {
    name: String,
    value: String,
    present: bool,
    reload: bool,
    set: bool,
    ignore: bool,
    file: String,
}

/// What the module decided.
#[derive(Debug, Default, PartialEq)]
pub struct Decision {
    pub changed: bool,
    pub set_proc: bool,
    /// The new file content, when the file changes.
    pub file: Option<String>,
}

/// Whitespace-separated words equal, one by one.
fn values_equal(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// The module's `process`: `proc` is `sysctl -e -n`'s output (None if it
/// failed), `content` the file (empty if missing).
pub fn decide(a: &SysctlArgs, proc_value: Option<&str>, content: &str) -> Decision {
    let lines: Vec<&str> = content.lines().map(str::trim).collect();
    let mut values: Vec<(String, String)> = Vec::new();
    for l in &lines {
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') || !l.contains('=') {
            continue;
        }
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        match values.iter_mut().find(|(n, _)| *n == k) {
            Some(slot) => slot.1 = v,
            None => values.push((k, v)),
        }
    }
    let file_value = values
        .iter()
        .find(|(k, _)| *k == a.name)
        .map(|(_, v)| v.as_str());
    let mut d = Decision::default();
    let mut write = false;
    match file_value {
        None if a.present => {
            d.changed = true;
            write = true;
        }
        None => {}
        Some(v) if !v.is_empty() && !a.present => {
            d.changed = true;
            write = true;
        }
        Some(v) if v != a.value => {
            d.changed = true;
            write = true;
        }
        Some(_) if a.reload && proc_value.is_none_or(|p| !values_equal(p, &a.value)) => {
            d.changed = true;
        }
        Some(_) => {}
    }
    if a.set && a.present {
        match proc_value {
            None => d.changed = true,
            Some(p) if !values_equal(p, &a.value) => {
                d.changed = true;
                d.set_proc = true;
            }
            Some(_) => {}
        }
    }
    if write {
        let mut seen: Vec<String> = Vec::new();
        let mut out = String::new();
        for l in &lines {
            if l.is_empty() || l.starts_with('#') || l.starts_with(';') || !l.contains('=') {
                out.push_str(l);
                out.push('\n');
                continue;
            }
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            let (k, v) = (k.trim(), v.trim());
            if seen.iter().any(|s| s == k) {
                continue;
            }
            seen.push(k.to_string());
            if k == a.name {
                if a.present {
                    out.push_str(&format!("{k}={}\n", a.value.trim()));
                }
            } else {
                out.push_str(&format!("{k}={v}\n"));
            }
        }
        if a.present && !seen.contains(&a.name) {
            out.push_str(&format!("{}={}\n", a.name, a.value.trim()));
        }
        d.file = Some(out);
    }
    d
}

/// The module's test of sysctl's stderr for a setting that did not take.
fn stderr_failed(err: &str) -> bool {
    err.lines().any(|l| {
        l.starts_with("sysctl: setting key \"")
            && (l.ends_with("\": Invalid argument") || l.ends_with("\": Read-only file system"))
    })
}

#[async_trait::async_trait]
impl Module for Sysctl {
    type Args = SysctlArgs;
    type State = (Decision, String, Option<FileStat>);

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<SysctlArgs, String> {
        let r = ArgReader::new(&SPEC, args);
        r.require(&["name"])?;
        let present = r.choice("state", Some("present"))?.as_deref() != Some("absent");
        let raw_value = r.str("value");
        if present && raw_value.is_none() {
            return Err("state is present but all of the following are missing: value".into());
        }
        let name = r.str("name").unwrap_or_default().trim().to_string();
        if name.is_empty() {
            return Err("name cannot be blank".into());
        }
        // The module reads booleans as 1/0 and strips other values.
        let value = match &raw_value {
            None => String::new(),
            Some(v) => match to_bool(&json!(v)) {
                Some(true) if !v.is_empty() => "1".into(),
                Some(false) if !v.is_empty() => "0".into(),
                _ => v.trim().to_string(),
            },
        };
        if present && value.is_empty() {
            return Err("value cannot be blank".into());
        }
        Ok(SysctlArgs {
            name,
            value,
            present,
            reload: r.bool("reload", true)?,
            set: r.bool("sysctl_set", false)?,
            ignore: r.bool("ignoreerrors", false)?,
            file: r.str_or("sysctl_file", "/etc/sysctl.conf"),
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &SysctlArgs,
    ) -> Result<Step<Self::State>, ModuleError> {
        let script = format!(
            "export LANG=C LC_MESSAGES=C\nv=$(sysctl -e -n {n} 2>/dev/null) && kv proc \"$v\"\nf=$(realpath -m -- {f} 2>/dev/null || printf %s {f})\nkv real \"$f\"\nif [ -f \"$f\" ]; then kst st \"$f\" -L; kfile content \"$f\" || kv err \"Failed to open {shown}\"; fi\n",
            n = quote(&a.name),
            f = sh_path(&a.file),
            shown = a.file.replace('"', "")
        );
        let reply = probe(ctx, &script).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let content = reply.text("content").unwrap_or_default();
        let proc_value = reply.text("proc");
        let d = decide(a, proc_value.as_deref(), &content);
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(d.changed));
        if !d.changed {
            return Ok(Step::Done(r));
        }
        let real = reply.text("real").unwrap_or_else(|| a.file.clone());
        Ok(Step::Change {
            check: r,
            state: (d, real, reply.stat("st")),
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &SysctlArgs,
        (d, real, st): Self::State,
    ) -> Result<ModResult, ModuleError> {
        let e = if a.ignore { "-e " } else { "" };
        if d.set_proc {
            let cmd = format!(
                "LANG=C LC_ALL=C LC_MESSAGES=C sysctl {e}-w {}",
                quote(&format!("{}={}", a.name, a.value))
            );
            let out = ctx.run(&cmd, None).await?;
            let (o, er) = (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
            if out.rc != 0 || stderr_failed(&er) {
                return Ok(failed(format!("setting {} failed: {o}{er}", a.name)));
            }
        }
        if let Some(content) = &d.file {
            let spec = WriteSpec {
                dest: &real,
                source: Source::Bytes(content.as_bytes()),
                uid: st.as_ref().map(|s| s.uid),
                gid: st.as_ref().map(|s| s.gid),
                strict_ids: false,
                mode: st.as_ref().map(|s| s.perm()).unwrap_or(0o644),
                backup: false,
                validate: None,
                mkdirs: false,
                md5: false,
            };
            match write(ctx, &spec).await? {
                Ok(_) => {}
                Err(WriteError::Failed(m)) => return Ok(failed(m)),
                Err(WriteError::Validate { stderr, .. }) => return Ok(failed(stderr)),
            }
        }
        if a.reload {
            let cmd = format!(
                "LANG=C LC_ALL=C LC_MESSAGES=C sysctl {e}-p {}",
                sh_path(&a.file)
            );
            let out = ctx.run(&cmd, None).await?;
            let (o, er) = (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
            if out.rc != 0 || stderr_failed(&er) {
                return Ok(failed(format!("Failed to reload sysctl: {o}{er}")));
            }
        }
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(true));
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(value: &str, present: bool) -> SysctlArgs {
        SysctlArgs {
            name: "vm.swappiness".into(),
            value: value.into(),
            present,
            reload: true,
            set: false,
            ignore: false,
            file: "/etc/sysctl.conf".into(),
        }
    }

    #[test]
    fn file_rewritten_the_modules_way() {
        let content = "# comment\n  net.ipv4.ip_forward = 1 \nvm.swappiness=60\nvm.swappiness=70\n";
        let d = decide(&args("10", true), Some("60\n"), content);
        assert!(d.changed);
        assert_eq!(
            d.file.unwrap(),
            "# comment\nnet.ipv4.ip_forward=1\nvm.swappiness=10\n"
        );
        // The last duplicate is the file's value, as in the module: asking
        // for it changes nothing (the duplicate line stays).
        let same = decide(&args("70", true), Some("70"), content);
        assert_eq!(same, Decision::default());
        let clean = "vm.swappiness=10\n";
        assert_eq!(
            decide(&args("10", true), Some("10\n"), clean),
            Decision::default()
        );
        // reload: the running value differs.
        let d = decide(&args("10", true), Some("60\n"), clean);
        assert!(d.changed && d.file.is_none() && !d.set_proc);
        let gone = decide(&args("", false), None, clean);
        assert_eq!(gone.file.unwrap(), "");
        assert!(!decide(&args("", false), None, "").changed);
    }

    #[test]
    fn sysctl_set_compares_words() {
        let mut a = args("4096 87380 6291456", true);
        a.set = true;
        a.name = "net.ipv4.tcp_rmem".into();
        let file = "net.ipv4.tcp_rmem=4096 87380 6291456\n";
        assert!(!decide(&a, Some("4096\t87380\t6291456\n"), file).changed);
        let d = decide(&a, Some("4096 131072 6291456\n"), file);
        assert!(d.set_proc && d.changed);
        assert!(stderr_failed(
            "sysctl: setting key \"x.y\": Read-only file system"
        ));
    }
}

/// kiln's decisions against ansible.posix's `sysctl` on the same file and
/// kernel value, recorded by tests/oracle/record_sysctl.py into
/// tests/sysctl_cases/.
#[cfg(test)]
mod oracle_cases {
    use super::*;
    use serde_json::{Value as Json, json};

    const CASES: &str = include_str!("../../tests/sysctl_cases/cases.json");
    const EXPECTED: &str = include_str!("../../tests/sysctl_cases/expected.json");

    /// What matters of a run: the result, whether the kernel value was set
    /// and the file reloaded, and the file after.
    fn summary(changed: &Json, set: bool, reload: bool, after: Option<&str>) -> Json {
        json!({"changed": changed, "set": set, "reload": reload, "after": after})
    }

    fn verdict(case: &Json) -> Json {
        let args: Args = case["args"].as_object().unwrap().clone();
        let a = match Sysctl.parse(&args) {
            Ok(a) => a,
            Err(msg) => return json!({"failed": true, "msg": msg}),
        };
        let check = case["check_mode"].as_bool().unwrap_or(false);
        let before = case["before"].as_str();
        let d = decide(&a, case["proc"].as_str(), before.unwrap_or_default());
        let after = match (&d.file, check) {
            (Some(f), false) => Some(f.as_str()),
            _ => before,
        };
        summary(
            &json!(d.changed),
            d.set_proc && !check,
            d.changed && a.reload && !check,
            after,
        )
    }

    fn wanted(want: &Json) -> Json {
        if want["failed"] == json!(true) {
            return json!({"failed": true, "msg": want["msg"]});
        }
        let ran = |flag: &str| {
            want["commands"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c.as_array().unwrap().iter().any(|w| w == flag))
        };
        summary(
            &want["changed"],
            ran("-w"),
            ran("-p"),
            want["after"].as_str(),
        )
    }

    #[test]
    fn every_case_decides_as_ansible_does() {
        crate::modules::assert_oracle_cases(CASES, EXPECTED, 25, verdict, wanted);
    }
}
