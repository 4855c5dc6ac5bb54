// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `service`: Ansible's action picks the module of the host's service
//! manager (`use`, else the `service_mgr` fact, else a probe) and runs it
//! with the task's arguments, minus those that module does not take. kiln
//! runs its `systemd_service` flow on systemd hosts; other service managers
//! (sysvinit, openrc, ...) are not supported yet and fail the task clearly.

use super::args::ArgReader;
use super::probe::probe;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::systemd_service::{Actions, SystemdArgs, apply_systemd, plan_systemd};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::template::value_to_json;
use serde_json::Value as Json;

pub struct Service;

static SPEC: ModuleSpec = ModuleSpec {
    name: "service",
    args: &[
        ArgSpec::new("name", T::Str).required(),
        ArgSpec::new("state", T::Str).choices(&["reloaded", "restarted", "started", "stopped"]),
        ArgSpec::new("sleep", T::Int),
        ArgSpec::new("pattern", T::Str),
        ArgSpec::new("enabled", T::Bool),
        ArgSpec::new("runlevel", T::Str),
        ArgSpec::new("arguments", T::Str).aliases(&["args"]),
        ArgSpec::new("use", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct ServiceArgs {
    /// `auto` or a module name.
    use_: String,
    systemd: SystemdArgs,
}

/// The host's service manager as the facts name it, if they were gathered.
fn service_mgr_fact(ctx: &ModuleCtx<'_>) -> Option<String> {
    let facts = ctx.vars.resolve("ansible_facts").ok()??;
    match value_to_json(&facts) {
        Json::Object(m) => m.get("service_mgr")?.as_str().map(str::to_string),
        _ => None,
    }
}

#[async_trait::async_trait]
impl Module for Service {
    type Args = ServiceArgs;
    type State = Actions;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<ServiceArgs, String> {
        let r = ArgReader::new(&SPEC, args);
        r.require(&["name"])?;
        if !r.has("state") && !r.has("enabled") {
            // What the systemd module says when given neither.
            return Err(
                "one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec".into(),
            );
        }
        let systemd = SystemdArgs {
            name: r.str("name"),
            state: r.choice("state", None)?,
            enabled: if r.has("enabled") {
                Some(r.bool("enabled", false)?)
            } else {
                None
            },
            masked: None,
            daemon_reload: false,
            daemon_reexec: false,
            systemctl: "systemctl".into(),
        };
        Ok(ServiceArgs {
            use_: r.str_or("use", "auto").to_lowercase(),
            systemd,
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &ServiceArgs,
    ) -> Result<Step<Actions>, ModuleError> {
        let mut manager = a.use_.clone();
        if manager == "auto" {
            manager = service_mgr_fact(ctx).unwrap_or_else(|| "auto".into());
        }
        if manager == "auto" {
            // Ansible's fact: systemd when /run/systemd/system exists (booted with systemd).
            let reply = probe(ctx, "[ -d /run/systemd/system ] && kv systemd 1").await?;
            if let Some(e) = reply.failure() {
                return Ok(Step::Done(failed(e)));
            }
            if reply.has("systemd") {
                manager = "systemd".into();
            }
        }
        if manager != "systemd" {
            return Ok(Step::Done(failed(format!(
                "kiln's service module manages systemd hosts only; this host's service manager is {manager}"
            ))));
        }
        plan_systemd(ctx, &a.systemd).await
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &ServiceArgs,
        actions: Actions,
    ) -> Result<ModResult, ModuleError> {
        apply_systemd(ctx, &a.systemd, actions).await
    }
}
