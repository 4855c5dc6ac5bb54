// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `systemd_service` (also `systemd`): a unit's masked/enabled/running
//! state through systemctl, with Ansible's decisions and result: `name`,
//! `changed`, `status` (the `systemctl show` properties before any change),
//! `enabled` and `state` when asked for. One probe script asks everything
//! (show, is-enabled, init script), then one script makes the changes.
//! `daemon_reload`/`daemon_reexec` run first and, as in Ansible, do not count
//! as a change.

use super::args::ArgReader;
use super::probe::{Reply, probe};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Map, Value as Json, json};

pub struct SystemdService {
    pub name: &'static str,
}

pub static SYSTEMD: SystemdService = SystemdService { name: "systemd" };

const ARGS: &[ArgSpec] = &[
    ArgSpec::new("name", T::Str).aliases(&["service", "unit"]),
    ArgSpec::new("state", T::Str).choices(&["reloaded", "restarted", "started", "stopped"]),
    ArgSpec::new("enabled", T::Bool),
    ArgSpec::new("force", T::Bool),
    ArgSpec::new("masked", T::Bool),
    ArgSpec::new("daemon_reload", T::Bool).aliases(&["daemon-reload"]),
    ArgSpec::new("daemon_reexec", T::Bool).aliases(&["daemon-reexec"]),
    ArgSpec::new("scope", T::Str).choices(&["system", "user", "global"]),
    ArgSpec::new("no_block", T::Bool),
];

const REQUIRED_ONE_OF: &[&[&str]] = &[&[
    "state",
    "enabled",
    "masked",
    "daemon_reload",
    "daemon_reexec",
]];

static SPEC_SYSTEMD: ModuleSpec = ModuleSpec {
    name: "systemd",
    args: ARGS,
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: REQUIRED_ONE_OF,
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

static SPEC_SYSTEMD_SERVICE: ModuleSpec = ModuleSpec {
    name: "systemd_service",
    ..SPEC_SYSTEMD
};

#[derive(Debug, Clone)]
pub struct SystemdArgs {
    pub name: Option<String>,
    pub state: Option<String>,
    pub enabled: Option<bool>,
    pub masked: Option<bool>,
    pub daemon_reload: bool,
    pub daemon_reexec: bool,
    /// `systemctl` with the scope, `--no-block` and `--force` options.
    pub systemctl: String,
}

/// What the plan decided to run, in order.
pub struct Actions {
    result: ModResult,
    commands: Vec<(String, Failure)>,
}

/// How a failed command fails the task.
#[derive(Clone)]
enum Failure {
    Mask { action: &'static str, found: bool },
    Enable { action: &'static str },
    State { action: String },
}

/// Ansible's `parse_systemctl_show`: `Key=value` lines; only `Exec*`
/// values in braces may span lines.
pub fn parse_show(out: &str) -> Map<String, Json> {
    let mut parsed = Map::new();
    let mut multi: Vec<&str> = Vec::new();
    let mut key: Option<String> = None;
    for line in out.split('\n') {
        match &key {
            None => {
                let Some((k, v)) = line.split_once('=') else {
                    continue;
                };
                if k.starts_with("Exec")
                    && v.trim_start().starts_with('{')
                    && !v.trim_end().ends_with('}')
                {
                    multi.push(v);
                    key = Some(k.to_string());
                    continue;
                }
                parsed.insert(k.to_string(), json!(v.trim()));
            }
            Some(k) => {
                multi.push(line);
                if line.trim_end().ends_with('}') {
                    parsed.insert(k.clone(), json!(multi.join("\n").trim()));
                    multi.clear();
                    key = None;
                }
            }
        }
    }
    parsed
}

fn request_was_ignored(out: &str) -> bool {
    !out.contains('=') && (out.contains("ignoring request") || out.contains("ignoring command"))
}

/// `systemctl is-enabled` states that mean systemd knows the unit.
const VALID_ENABLED_STATES: &[&str] = &[
    "enabled",
    "enabled-runtime",
    "linked",
    "linked-runtime",
    "masked",
    "masked-runtime",
    "static",
    "indirect",
    "disabled",
    "generated",
    "transient",
];

impl SystemdService {
    fn probe_script(&self, a: &SystemdArgs, unit: &str) -> String {
        let sc = &a.systemctl;
        let u = quote(unit);
        let init = quote(&format!("/etc/init.d/{unit}"));
        format!(
            "o=$({sc} show {u} 2>/dev/null); r=$?; kv show \"$o\"; kv showrc $r\n\
             e=$({sc} show {u} 2>&1 >/dev/null); kv showerr \"$e\"\n\
             [ -e {init} ] && kv initd 1\n\
             o=$({sc} is-enabled {u} 2>/dev/null); kv isen \"$o\"\n\
             o=$({sc} is-enabled {u} -l 2>/dev/null); r=$?; kv isenl \"$o\"; kv isenlrc $r\n\
             {sc} list-unit-files {u} >/dev/null 2>&1; kv lufrc $?\n\
             n={u}; for f in /etc/rc?.d/S??*; do [ \"${{f#/etc/rc?.d/S??}}\" = \"$n\" ] && {{ kv sysven 1; break; }}; done\n"
        )
    }

    fn decide(&self, a: &SystemdArgs, reply: &Reply) -> Result<Actions, ModResult> {
        let unit = a.name.clone().unwrap_or_default();
        let sc = &a.systemctl;
        let mut result = ModResult::new();
        result.insert(
            "name".into(),
            a.name.clone().map(Json::String).unwrap_or(Json::Null),
        );
        result.insert("changed".into(), json!(false));
        let mut status = Map::new();
        let mut commands = Vec::new();
        let Some(_) = &a.name else {
            result.insert("status".into(), Json::Object(status));
            return Ok(Actions { result, commands });
        };
        let is_initd = reply.has("initd");
        let show = reply.text("show").unwrap_or_default();
        let show_err = reply.text("showerr").unwrap_or_default();
        let show_rc = reply.text("showrc").unwrap_or_default();
        let mut is_systemd = false;
        if show_rc == "0" && !(request_was_ignored(&show) || request_was_ignored(&show_err)) {
            if !show.is_empty() {
                status = parse_show(&show);
                let load = status.get("LoadState").and_then(Json::as_str);
                is_systemd = load.is_some_and(|l| l != "not-found");
                let masked = load == Some("masked");
                if is_systemd
                    && !masked
                    && let Some(err) = status.get("LoadError").and_then(Json::as_str)
                {
                    return Err(failed(format!("Error loading unit file '{unit}': {err}")));
                }
            }
        } else {
            let isen = reply.text("isen").unwrap_or_default();
            is_systemd = VALID_ENABLED_STATES.contains(&isen.trim())
                || reply.text("lufrc").as_deref() == Some("0");
        }
        let found = is_systemd || is_initd;
        let mut changed = false;
        if let Some(want) = a.masked {
            let masked = reply.text("isen").unwrap_or_default().trim() == "masked";
            if masked != want {
                changed = true;
                let action = if want { "mask" } else { "unmask" };
                commands.push((
                    format!("{sc} {action} {}", quote(&unit)),
                    Failure::Mask { action, found },
                ));
            }
        }
        if let Some(want) = a.enabled {
            let action = if want { "enable" } else { "disable" };
            if !found {
                return Err(failed(format!(
                    "Could not find the requested service {unit}: host"
                )));
            }
            let out = reply.text("isenl").unwrap_or_default();
            let rc = reply.text("isenlrc").unwrap_or_default();
            let mut enabled = false;
            if rc == "0" {
                enabled = !matches!(out.trim_end(), "enabled-runtime" | "indirect" | "alias");
            } else if rc == "1"
                && !a.systemctl.contains(" --user")
                && !a.systemctl.contains(" --global")
                && is_initd
                && !out.trim().ends_with("disabled")
                && reply.has("sysven")
            {
                enabled = true;
            }
            result.insert("enabled".into(), json!(enabled));
            if enabled != want {
                changed = true;
                commands.push((
                    format!("{sc} {action} {}", quote(&unit)),
                    Failure::Enable { action },
                ));
                result.insert("enabled".into(), json!(!enabled));
            }
        }
        if let Some(want) = &a.state {
            if !found {
                return Err(failed(format!(
                    "Could not find the requested service {unit}: host"
                )));
            }
            result.insert("state".into(), json!(want));
            let Some(active) = status.get("ActiveState").and_then(Json::as_str) else {
                let mut r = failed("Service is in unknown state");
                r.insert("status".into(), Json::Object(status));
                return Err(r);
            };
            let running = matches!(active, "active" | "activating");
            let action: Option<String> = match want.as_str() {
                "started" => (!running).then(|| "start".into()),
                "stopped" => (running || active == "deactivating").then(|| "stop".into()),
                other => {
                    result.insert("state".into(), json!("started"));
                    Some(if running {
                        other.trim_end_matches("ed").to_string()
                    } else {
                        "start".into()
                    })
                }
            };
            if let Some(action) = action {
                changed = true;
                commands.push((
                    format!("{sc} {action} {}", quote(&unit)),
                    Failure::State { action },
                ));
            }
        }
        result.insert("changed".into(), json!(changed));
        result.insert("status".into(), Json::Object(status));
        Ok(Actions { result, commands })
    }
}

pub fn parse_args(spec: &'static ModuleSpec, args: &Args) -> Result<SystemdArgs, String> {
    let r = ArgReader::new(spec, args);
    let name = r.str("name");
    for key in ["state", "enabled", "masked"] {
        if r.has(key) && name.is_none() {
            return Err(format!("missing parameter(s) required by '{key}': name"));
        }
    }
    if let Some(unit) = &name
        && let Some(g) = ["*", "?", "["].iter().find(|g| unit.contains(*g))
    {
        return Err(format!(
            "This module does not currently support using glob patterns, found '{g}' in service name: {unit}"
        ));
    }
    let opt_bool = |k: &str| -> Result<Option<bool>, String> {
        if r.has(k) {
            r.bool(k, false).map(Some)
        } else {
            Ok(None)
        }
    };
    let scope = r
        .choice("scope", Some("system"))?
        .unwrap_or_else(|| "system".into());
    // Ansible's module sets XDG_RUNTIME_DIR when the session has none (a
    // become user's sudo session has none): `systemctl --user` finds the
    // user's manager through it.
    let mut systemctl = String::from(if scope == "user" {
        "XDG_RUNTIME_DIR=\"${XDG_RUNTIME_DIR:-/run/user/$(id -u)}\" systemctl"
    } else {
        "systemctl"
    });
    if scope != "system" {
        systemctl.push_str(&format!(" --{scope}"));
    }
    if r.bool("no_block", false)? {
        systemctl.push_str(" --no-block");
    }
    if r.bool("force", false)? {
        systemctl.push_str(" --force");
    }
    Ok(SystemdArgs {
        name,
        state: r.choice("state", None)?,
        enabled: opt_bool("enabled")?,
        masked: opt_bool("masked")?,
        daemon_reload: r.bool("daemon_reload", false)?,
        daemon_reexec: r.bool("daemon_reexec", false)?,
        systemctl,
    })
}

/// Plans a systemd change: daemon-reload/reexec (outside check mode), then
/// the probe and Ansible's decisions.
pub async fn plan_systemd(
    ctx: &ModuleCtx<'_>,
    a: &SystemdArgs,
) -> Result<Step<Actions>, ModuleError> {
    let module = &SYSTEMD;
    if !ctx.check_mode {
        for (on, what) in [
            (a.daemon_reload, "daemon-reload"),
            (a.daemon_reexec, "daemon-reexec"),
        ] {
            if !on {
                continue;
            }
            let out = ctx.run(&format!("{} {what}", a.systemctl), None).await?;
            if out.rc != 0 {
                return Ok(Step::Done(failed(format!(
                    "failure {} during {what}: {}",
                    out.rc,
                    String::from_utf8_lossy(&out.stderr)
                ))));
            }
        }
    }
    let script = match &a.name {
        Some(unit) => module.probe_script(a, unit),
        None => String::new(),
    };
    let reply = probe(ctx, &script).await?;
    if let Some(e) = reply.failure() {
        return Ok(Step::Done(failed(e)));
    }
    match module.decide(a, &reply) {
        Err(r) => Ok(Step::Done(r)),
        Ok(actions) if actions.commands.is_empty() => Ok(Step::Done(actions.result)),
        Ok(actions) => Ok(Step::Change {
            check: actions.result.clone(),
            state: actions,
        }),
    }
}

/// Runs the planned commands; the first failure fails the task.
pub async fn apply_systemd(
    ctx: &ModuleCtx<'_>,
    a: &SystemdArgs,
    actions: Actions,
) -> Result<ModResult, ModuleError> {
    let unit = a.name.clone().unwrap_or_default();
    for (cmd, failure) in &actions.commands {
        let out = ctx.run(cmd, None).await?;
        if out.rc == 0 {
            continue;
        }
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let msg = match failure {
            Failure::Mask { found: false, .. } => {
                format!("Could not find the requested service {unit}: host")
            }
            Failure::Mask { action, .. } => {
                format!("Failed to {action} the service ({unit}): {}", stderr.trim())
            }
            Failure::Enable { action } => {
                format!("Unable to {action} service {unit}: {stdout}{stderr}")
            }
            Failure::State { action } => format!("Unable to {action} service {unit}: {stderr}"),
        };
        return Ok(failed(msg));
    }
    Ok(actions.result)
}

#[async_trait::async_trait]
impl Module for SystemdService {
    type Args = SystemdArgs;
    type State = Actions;

    fn spec(&self) -> &'static ModuleSpec {
        if self.name == "systemd" {
            &SPEC_SYSTEMD
        } else {
            &SPEC_SYSTEMD_SERVICE
        }
    }

    fn parse(&self, args: &Args) -> Result<SystemdArgs, String> {
        parse_args(Module::spec(self), args)
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &SystemdArgs,
    ) -> Result<Step<Actions>, ModuleError> {
        plan_systemd(ctx, a).await
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &SystemdArgs,
        actions: Actions,
    ) -> Result<ModResult, ModuleError> {
        apply_systemd(ctx, a, actions).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_output_with_multiline_exec() {
        let out = "Id=ssh.service\nExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ;\n  status=0/0 }\nDescription={odd\nActiveState=active\n";
        let m = parse_show(out);
        assert_eq!(m["Id"], json!("ssh.service"));
        assert_eq!(
            m["ExecStart"],
            json!("{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ;\n  status=0/0 }")
        );
        assert_eq!(m["Description"], json!("{odd"));
        assert_eq!(m["ActiveState"], json!("active"));
    }

    #[test]
    fn glob_names_are_refused() {
        let args: Args =
            serde_json::from_value(json!({"name": "ssh*", "state": "started"})).unwrap();
        assert!(
            parse_args(&SPEC_SYSTEMD, &args)
                .unwrap_err()
                .contains("glob patterns")
        );
        let args: Args = serde_json::from_value(json!({"enabled": true})).unwrap();
        assert_eq!(
            parse_args(&SPEC_SYSTEMD, &args).unwrap_err(),
            "missing parameter(s) required by 'enabled': name"
        );
    }
}
