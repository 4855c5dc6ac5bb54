// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `hostname`: the host's name, permanent and current. On a host run by
//! systemd (or with `use: systemd`/`debian`) through `hostnamectl` as the
//! module's systemd strategy does; otherwise Debian's file strategy
//! (`/etc/hostname`). One probe reads both names and the FQDN.

use super::args::ArgReader;
use super::probe::{Reply, probe};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::json;

pub struct Hostname;

static SPEC: ModuleSpec = ModuleSpec {
    name: "hostname",
    args: &[
        ArgSpec::new("name", T::Str).required(),
        ArgSpec::new("use", T::Str).choices(&[
            "alpine", "debian", "freebsd", "generic", "macos", "macosx", "darwin", "openbsd",
            "openrc", "redhat", "sles", "solaris", "systemd",
        ]),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct HostnameArgs {
    name: String,
    /// `Some(true)`: hostnamectl; `Some(false)`: /etc/hostname; `None`: decide
    /// on the host (systemd running or not).
    systemd: Option<bool>,
}

/// The probe: which strategy, both names, the FQDN.
fn probe_script(a: &HostnameArgs) -> String {
    let detect = match a.systemd {
        Some(true) => "sd=1",
        Some(false) => "sd=0",
        None => "if [ -d /run/systemd/system ]; then sd=1; else sd=0; fi",
    };
    format!(
        "{detect}\nkv sd $sd\nif [ $sd = 1 ]; then\n\
         c=$(hostnamectl --transient status 2>&1) || {{ kv err \"Command failed rc=$?, out=$c, err=\"; exit 0; }}\n\
         p=$(hostnamectl --static status 2>&1) || {{ kv err \"Command failed rc=$?, out=$p, err=\"; exit 0; }}\n\
         kv cur \"$c\"; kv perm \"$p\"\n\
         else p=; [ -f /etc/hostname ] && p=$(cat /etc/hostname); kv cur \"$p\"; kv perm \"$p\"; fi\n\
         kv fqdn \"$(hostname -f 2>/dev/null || uname -n)\"\n"
    )
}

fn trimmed(r: &Reply, k: &str) -> String {
    r.text(k).unwrap_or_default().trim().to_string()
}

/// The result: `changed`, `name`, the facts and (when changed) the diff.
fn result(name: &str, changed: bool, before: &str, fqdn: &str) -> ModResult {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(changed));
    r.insert("name".into(), json!(name));
    let domain = fqdn.split('.').skip(1).collect::<Vec<_>>().join(".");
    r.insert(
        "ansible_facts".into(),
        json!({
            "ansible_hostname": name.split('.').next().unwrap_or(""),
            "ansible_nodename": name,
            "ansible_fqdn": fqdn,
            "ansible_domain": domain,
        }),
    );
    if changed {
        r.insert(
            "diff".into(),
            json!({"after": format!("hostname = {name}\n"), "before": format!("hostname = {before}\n")}),
        );
    }
    r
}

/// What apply runs: set the permanent name, then the current one.
pub struct Change {
    systemd: bool,
    permanent: bool,
    current: bool,
    before: String,
}

#[async_trait::async_trait]
impl Module for Hostname {
    type Args = HostnameArgs;
    type State = Change;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<HostnameArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["name"])?;
        let systemd = match a.choice("use", None)?.as_deref() {
            None => None,
            Some("systemd" | "debian") => Some(true),
            Some("alpine" | "sles") => Some(false),
            Some(other) => {
                return Err(format!(
                    "kiln's hostname module does not implement the '{other}' strategy"
                ));
            }
        };
        Ok(HostnameArgs {
            name: a.str("name").unwrap_or_default(),
            systemd,
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &HostnameArgs,
    ) -> Result<Step<Change>, ModuleError> {
        let reply = probe(ctx, &probe_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let systemd = trimmed(&reply, "sd") == "1";
        if systemd && a.name.len() > 64 {
            return Ok(Step::Done(failed(
                "name cannot be longer than 64 characters on systemd servers, try a shorter name",
            )));
        }
        let (cur, perm) = (trimmed(&reply, "cur"), trimmed(&reply, "perm"));
        let before = if a.name != cur {
            cur.clone()
        } else {
            perm.clone()
        };
        let change = Change {
            systemd,
            permanent: perm != a.name,
            current: systemd && cur != a.name,
            before,
        };
        let changed = change.permanent || change.current;
        let r = result(&a.name, changed, &change.before, &trimmed(&reply, "fqdn"));
        if !changed {
            return Ok(Step::Done(r));
        }
        Ok(Step::Change {
            check: r,
            state: change,
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &HostnameArgs,
        c: Change,
    ) -> Result<ModResult, ModuleError> {
        let n = quote(&a.name);
        let mut s = String::new();
        if c.permanent {
            if c.systemd {
                s.push_str(&format!(
                    "o=$(hostnamectl --pretty --static set-hostname {n} 2>&1) || {{ kv err \"Command failed rc=$?, out=, err=$o\"; exit 0; }}\n"
                ));
            } else {
                s.push_str(&format!(
                    "printf '%s\\n' {n} > /etc/hostname || {{ kv err 'failed to update hostname: cannot write /etc/hostname'; exit 0; }}\n"
                ));
            }
        }
        if c.current {
            s.push_str(&format!(
                "o=$(hostnamectl --transient set-hostname {n} 2>&1) || {{ kv err \"Command failed rc=$?, out=, err=$o\"; exit 0; }}\n"
            ));
        }
        s.push_str("kv fqdn \"$(hostname -f 2>/dev/null || uname -n)\"\n");
        let reply = probe(ctx, &s).await?;
        if let Some(e) = reply.failure() {
            return Ok(failed(e));
        }
        Ok(result(&a.name, true, &c.before, &trimmed(&reply, "fqdn")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_shape() {
        let r = result("web1.example.org", true, "old", "web1.example.org");
        assert_eq!(r["ansible_facts"]["ansible_hostname"], json!("web1"));
        assert_eq!(r["ansible_facts"]["ansible_domain"], json!("example.org"));
        assert_eq!(r["diff"]["before"], json!("hostname = old\n"));
        let same = result("web1", false, "web1", "web1");
        assert!(same.get("diff").is_none());
        assert_eq!(same["ansible_facts"]["ansible_domain"], json!(""));
    }

    #[test]
    fn file_strategy_probe_reads_etc_hostname() {
        let a = HostnameArgs {
            name: "x".into(),
            systemd: Some(false),
        };
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!(
                "{}{}",
                super::super::probe::PRELUDE,
                probe_script(&a)
            ))
            .output()
            .unwrap();
        let r = Reply::from_output(&crate::transport::ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        });
        assert_eq!(trimmed(&r, "sd"), "0");
        assert!(r.has("perm") && r.has("fqdn"));
    }
}
