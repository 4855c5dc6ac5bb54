// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `community.general.timezone`: the system time zone and the hardware
//! clock's mode. With a working `timedatectl` (systemd) it reads `status`
//! and runs `set-timezone`/`set-local-rtc` as the module's systemd class
//! does; without it, the zone is `/etc/localtime` (a link into
//! `/usr/share/zoneinfo`) plus Debian's `/etc/timezone`. The result is the
//! module's: `changed`, the before/after `diff`, and `msg` listing the
//! commands run.

use super::args::ArgReader;
use super::probe::{Reply, probe};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Map, Value as Json, json};

pub struct Timezone;

static SPEC: ModuleSpec = ModuleSpec {
    name: "timezone",
    args: &[
        ArgSpec::new("hwclock", T::Str)
            .choices(&["local", "UTC"])
            .aliases(&["rtc"]),
        ArgSpec::new("name", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[&["hwclock", "name"]],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct TzArgs {
    hwclock: Option<String>,
    name: Option<String>,
}

fn probe_script(a: &TzArgs) -> String {
    let mut s = String::from(
        "export LANGUAGE=C LC_ALL=C\nt=$(command -v timedatectl) && st=$(\"$t\" status 2>/dev/null) && { kv tdc \"$t\"; kv status \"$st\"; }\n",
    );
    if let Some(n) = &a.name {
        s.push_str(&format!(
            "[ -f /usr/share/zoneinfo/{n} ] && kv tzok 1\nl=$(readlink /etc/localtime 2>/dev/null) && kv link \"$l\"\n",
            n = quote(n)
        ));
    }
    s
}

/// A `Key: value` field of `timedatectl status`.
fn status_field(status: &str, names: &[&str]) -> Option<String> {
    status.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        names
            .contains(&k.trim())
            .then(|| v.split_whitespace().next().unwrap_or("").to_string())
    })
}

/// Python's `module.boolean` on timedatectl's yes/no.
fn rtc_mode(v: &str) -> &'static str {
    match v.to_lowercase().as_str() {
        "yes" | "on" | "1" | "true" | "y" | "t" => "local",
        _ => "UTC",
    }
}

/// The current values (`hwclock`, `name`), in the module's key order.
fn current(a: &TzArgs, r: &Reply) -> Result<Vec<(&'static str, String)>, String> {
    let status = r.text("status");
    let mut v = Vec::new();
    if a.hwclock.is_some() {
        let s = status
            .as_deref()
            .ok_or("get(key, phase) is not implemented on target platform")?;
        let raw = status_field(s, &["RTC in local TZ"]).unwrap_or_default();
        v.push(("hwclock", rtc_mode(&raw).to_string()));
    }
    if a.name.is_some() {
        let name = match status.as_deref() {
            Some(s) => status_field(s, &["Time zone", "Timezone"]).unwrap_or_default(),
            None => r
                .text("link")
                .and_then(|l| l.split_once("zoneinfo/").map(|(_, z)| z.to_string()))
                .unwrap_or_default(),
        };
        v.push(("name", name));
    }
    Ok(v)
}

fn abort(msg: &str, done: &[String]) -> ModResult {
    let mut lines = vec!["Error message:".to_string(), msg.to_string()];
    if !done.is_empty() {
        lines.push("Other message(s):".into());
        lines.extend(done.iter().cloned());
    }
    failed(lines.join("\n"))
}

fn planned(a: &TzArgs) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(h) = &a.hwclock {
        v.push(("hwclock", h.clone()));
    }
    if let Some(n) = &a.name {
        v.push(("name", n.clone()));
    }
    v
}

fn as_map(v: &[(&'static str, String)]) -> Json {
    let m: Map<String, Json> = v.iter().map(|(k, x)| (k.to_string(), json!(x))).collect();
    Json::Object(m)
}

fn result(
    before: &[(&'static str, String)],
    after: &[(&'static str, String)],
    msgs: &[String],
) -> ModResult {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(before != after));
    r.insert(
        "diff".into(),
        json!({"before": as_map(before), "after": as_map(after)}),
    );
    if !msgs.is_empty() {
        r.insert("msg".into(), json!(msgs.join("\n")));
    }
    r
}

pub struct TzState {
    timedatectl: Option<String>,
    before: Vec<(&'static str, String)>,
}

#[async_trait::async_trait]
impl Module for Timezone {
    type Args = TzArgs;
    type State = TzState;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<TzArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        let t = TzArgs {
            hwclock: a.choice("hwclock", None)?,
            name: a.str("name"),
        };
        if t.hwclock.is_none() && t.name.is_none() {
            return Err("one of the following is required: hwclock, name".into());
        }
        Ok(t)
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &TzArgs) -> Result<Step<TzState>, ModuleError> {
        let reply = probe(ctx, &probe_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        if let Some(n) = &a.name
            && !reply.has("tzok")
        {
            return Ok(Step::Done(abort(
                &format!("given timezone \"{n}\" is not available"),
                &[],
            )));
        }
        let before = match current(a, &reply) {
            Ok(v) => v,
            Err(e) => return Ok(Step::Done(abort(&e, &[]))),
        };
        let plan = planned(a);
        if before == plan {
            return Ok(Step::Done(result(&before, &plan, &[])));
        }
        Ok(Step::Change {
            check: result(&before, &plan, &[]),
            state: TzState {
                timedatectl: reply.text("tdc"),
                before,
            },
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &TzArgs,
        st: TzState,
    ) -> Result<ModResult, ModuleError> {
        let plan = planned(a);
        let mut msgs = Vec::new();
        for ((key, was), (_, want)) in st.before.iter().zip(plan.iter()) {
            if was == want {
                continue;
            }
            let words: Vec<String> = match (&st.timedatectl, *key) {
                (Some(t), "hwclock") => vec![
                    t.clone(),
                    "set-local-rtc".into(),
                    if want == "local" { "yes" } else { "no" }.into(),
                ],
                (Some(t), _) => vec![t.clone(), "set-timezone".into(), want.clone()],
                (None, "name") => {
                    let cmd = format!(
                        "ln -sf /usr/share/zoneinfo/{z} /etc/localtime && {{ [ ! -e /etc/timezone ] || printf '%s\\n' {z} > /etc/timezone; }}",
                        z = quote(want)
                    );
                    let out = ctx.run(&cmd, None).await?;
                    if out.rc != 0 {
                        return Ok(abort(&String::from_utf8_lossy(&out.stderr), &msgs));
                    }
                    continue;
                }
                (None, _) => {
                    return Ok(abort(
                        "set(key, value) is not implemented on target platform",
                        &msgs,
                    ));
                }
            };
            let line = super::accounts::argv_line(&words);
            let out = ctx
                .run(&format!("LANGUAGE=C LC_ALL=C {line}"), None)
                .await?;
            if out.rc != 0 {
                let mut r = failed(String::from_utf8_lossy(&out.stderr).trim().to_string());
                r.insert("rc".into(), json!(out.rc));
                r.insert("cmd".into(), json!(words.join(" ")));
                super::accounts::put_output(
                    &mut r,
                    &String::from_utf8_lossy(&out.stdout),
                    &String::from_utf8_lossy(&out.stderr),
                );
                return Ok(r);
            }
            msgs.push(format!("executed `{}`", words.join(" ")));
        }
        let reply = probe(ctx, &probe_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(failed(e));
        }
        let after = match current(a, &reply) {
            Ok(v) => v,
            Err(e) => return Ok(abort(&e, &msgs)),
        };
        if after != plan {
            return Ok(abort(
                &format!(
                    "still not desired state, though changes have made - planned: {}, after: {}",
                    py_dict(&plan),
                    py_dict(&after)
                ),
                &msgs,
            ));
        }
        Ok(result(&st.before, &after, &msgs))
    }
}

/// Python's repr of a small str dict.
fn py_dict(v: &[(&'static str, String)]) -> String {
    let items: Vec<String> = v.iter().map(|(k, x)| format!("'{k}': '{x}'")).collect();
    format!("{{{}}}", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "               Local time: Thu 2026-11-26 18:00:00 UTC\n           Universal time: Thu 2026-11-26 18:00:00 UTC\n                Time zone: Etc/UTC (UTC, +0000)\nSystem clock synchronized: no\n              NTP service: n/a\n          RTC in local TZ: no\n";

    #[test]
    fn reads_timedatectl_status() {
        assert_eq!(
            status_field(STATUS, &["Time zone", "Timezone"]).unwrap(),
            "Etc/UTC"
        );
        assert_eq!(
            rtc_mode(&status_field(STATUS, &["RTC in local TZ"]).unwrap()),
            "UTC"
        );
        let before = vec![("name", "Etc/UTC".to_string())];
        let after = vec![("name", "Europe/Paris".to_string())];
        let r = result(&before, &after, &["executed `x`".into()]);
        assert_eq!(r["changed"], json!(true));
        assert_eq!(r["diff"]["before"]["name"], json!("Etc/UTC"));
        assert_eq!(py_dict(&after), "{'name': 'Europe/Paris'}");
        assert_eq!(
            abort("m", &["executed `a`".into()])["msg"],
            json!("Error message:\nm\nOther message(s):\nexecuted `a`")
        );
    }
}
