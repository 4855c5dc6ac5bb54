// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `group`: a local group, made with `groupadd`/`groupmod`/`groupdel` as the
//! Ansible module does; one `getent group` probe decides.

use super::accounts::{GroupEnt, Ran, add_output, parse_groups, run_argv};
use super::args::ArgReader;
use super::probe::probe;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::json;

pub struct Group;

static SPEC: ModuleSpec = ModuleSpec {
    name: "group",
    args: &[
        ArgSpec::new("name", T::Str).required(),
        ArgSpec::new("state", T::Str).choices(&["absent", "present"]),
        ArgSpec::new("force", T::Bool),
        ArgSpec::new("gid", T::Int),
        ArgSpec::new("system", T::Bool),
        ArgSpec::new("local", T::Bool),
        ArgSpec::new("non_unique", T::Bool),
        ArgSpec::new("gid_min", T::Int),
        ArgSpec::new("gid_max", T::Int),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct GroupArgs {
    name: String,
    present: bool,
    force: bool,
    gid: Option<i64>,
    system: bool,
    local: bool,
    non_unique: bool,
    gid_min: Option<i64>,
    gid_max: Option<i64>,
}

/// The command that brings the group to its state, if any.
pub fn command(a: &GroupArgs, current: Option<&GroupEnt>) -> Option<Vec<String>> {
    let prefix = if a.local { "l" } else { "" };
    let mut cmd: Vec<String> = Vec::new();
    match (a.present, current) {
        (false, None) => return None,
        (false, Some(_)) => {
            cmd.push(format!("{prefix}groupdel"));
            if a.force && !a.local {
                cmd.push("-f".into());
            }
        }
        (true, None) => {
            cmd.push(format!("{prefix}groupadd"));
            if let Some(g) = a.gid {
                cmd.extend(["-g".into(), g.to_string()]);
                if a.non_unique {
                    cmd.push("-o".into());
                }
            }
            if a.system {
                cmd.push("-r".into());
            }
            if let Some(m) = a.gid_min {
                cmd.extend(["-K".into(), format!("GID_MIN={m}")]);
            }
            if let Some(m) = a.gid_max {
                cmd.extend(["-K".into(), format!("GID_MAX={m}")]);
            }
        }
        (true, Some(cur)) => {
            let g = a.gid.filter(|g| *g != i64::from(cur.gid))?;
            cmd.extend([format!("{prefix}groupmod"), "-g".into(), g.to_string()]);
            if a.non_unique {
                cmd.push("-o".into());
            }
        }
    }
    cmd.push(a.name.clone());
    Some(cmd)
}

fn result(a: &GroupArgs, changed: bool, after: Option<&GroupEnt>, ran: Option<&Ran>) -> ModResult {
    let mut r = ModResult::new();
    r.insert("name".into(), json!(a.name));
    r.insert(
        "state".into(),
        json!(if a.present { "present" } else { "absent" }),
    );
    r.insert("changed".into(), json!(changed));
    if let Some(ran) = ran {
        add_output(&mut r, ran);
    }
    if let Some(g) = after {
        r.insert("system".into(), json!(a.system));
        r.insert("gid".into(), json!(g.gid));
    }
    r
}

async fn lookup(
    ctx: &ModuleCtx<'_>,
    name: &str,
) -> Result<Result<Option<GroupEnt>, String>, ModuleError> {
    // The group file itself for `local`, the name service otherwise.
    let reply = probe(
        ctx,
        &format!(
            "g=$(getent group -- {n} 2>/dev/null || awk -F: -v n={n} '$1==n' /etc/group) && kv g \"$g\"",
            n = quote(name)
        ),
    )
    .await?;
    if let Some(e) = reply.failure() {
        return Ok(Err(e));
    }
    Ok(Ok(reply.text("g").and_then(|t| {
        parse_groups(&t).into_iter().find(|g| g.name == name)
    })))
}

#[async_trait::async_trait]
impl Module for Group {
    type Args = GroupArgs;
    type State = Vec<String>;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<GroupArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["name"])?;
        let int = |k: &str| a.raw(k).and_then(|v| v.as_i64());
        let g = GroupArgs {
            name: a.str("name").unwrap_or_default(),
            present: a.choice("state", Some("present"))?.as_deref() != Some("absent"),
            force: a.bool("force", false)?,
            gid: int("gid"),
            system: a.bool("system", false)?,
            local: a.bool("local", false)?,
            non_unique: a.bool("non_unique", false)?,
            gid_min: int("gid_min"),
            gid_max: int("gid_max"),
        };
        if g.non_unique && g.gid.is_none() {
            return Err("non_unique is True but all of the following are missing: gid".into());
        }
        if g.force && g.local {
            return Err("force is not a valid option for local, force=True and local=True are mutually exclusive".into());
        }
        if g.local && (g.gid_min.is_some() || g.gid_max.is_some()) {
            let which = if g.gid_min.is_some() {
                "gid_min"
            } else {
                "gid_max"
            };
            return Err(format!("'{which}' can not be used with 'local'"));
        }
        Ok(g)
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &GroupArgs,
    ) -> Result<Step<Vec<String>>, ModuleError> {
        let current = match lookup(ctx, &a.name).await? {
            Ok(c) => c,
            Err(e) => return Ok(Step::Done(failed(e))),
        };
        match command(a, current.as_ref()) {
            None => Ok(Step::Done(result(a, false, current.as_ref(), None))),
            Some(cmd) => {
                // Check mode: creation and removal answer only `changed`,
                // a modification the whole result.
                let check = if current.is_some() && a.present {
                    result(a, true, current.as_ref(), None)
                } else {
                    let mut r = ModResult::new();
                    r.insert("changed".into(), json!(true));
                    r
                };
                Ok(Step::Change { check, state: cmd })
            }
        }
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &GroupArgs,
        cmd: Vec<String>,
    ) -> Result<ModResult, ModuleError> {
        let ran = run_argv(ctx, &cmd).await?;
        if ran.rc != 0 {
            let mut r = failed(ran.stderr.clone());
            r.insert("name".into(), json!(a.name));
            return Ok(r);
        }
        let after = match lookup(ctx, &a.name).await? {
            Ok(c) => c,
            Err(e) => return Ok(failed(e)),
        };
        Ok(result(a, true, after.as_ref(), Some(&ran)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(present: bool, gid: Option<i64>) -> GroupArgs {
        GroupArgs {
            name: "ops".into(),
            present,
            force: false,
            gid,
            system: true,
            local: false,
            non_unique: false,
            gid_min: None,
            gid_max: Some(999),
        }
    }

    #[test]
    fn commands_follow_the_state() {
        let cur = GroupEnt {
            name: "ops".into(),
            gid: 500,
            members: vec![],
        };
        assert_eq!(
            command(&args(true, Some(600)), None).unwrap(),
            ["groupadd", "-g", "600", "-r", "-K", "GID_MAX=999", "ops"]
        );
        assert_eq!(
            command(&args(true, Some(600)), Some(&cur)).unwrap(),
            ["groupmod", "-g", "600", "ops"]
        );
        assert!(command(&args(true, Some(500)), Some(&cur)).is_none());
        assert!(command(&args(true, None), Some(&cur)).is_none());
        assert_eq!(
            command(&args(false, None), Some(&cur)).unwrap(),
            ["groupdel", "ops"]
        );
        assert!(command(&args(false, None), None).is_none());
    }
}
