// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `pause`: waits `seconds` or `minutes`, or for Enter at a prompt. As in
//! Ansible, a prompt is only asked when kiln's stdin is a terminal; without
//! one a timed pause still waits and an untimed one warns and goes on. The
//! executor runs it once per play batch, for the first host (Ansible's
//! `BYPASS_HOST_LOOP`).

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn, to_bool};
use super::{Args, DISPLAY, ModResult, ModuleCtx, ModuleError, raised};
use serde_json::{Value as Json, json};
use std::io::IsTerminal;

pub struct Pause;

static SPEC: ModuleSpec = ModuleSpec {
    name: "pause",
    args: &[
        ArgSpec::new("echo", T::Bool),
        ArgSpec::new("minutes", T::Raw),
        ArgSpec::new("seconds", T::Raw),
        ArgSpec::new("prompt", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Controller,
    any_args: false,
    raw_args: &[],
};

/// Python's `int(value)` for `seconds`/`minutes` (floats are truncated).
fn int_of(name: &str, v: &Json) -> Result<i64, String> {
    let bad = || {
        format!(
            "argument '{name}' is of type {} and we were unable to convert to int",
            super::spec::json_type(v)
        )
    };
    match v {
        Json::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .ok_or_else(bad),
        Json::String(s) => s.trim().parse::<i64>().map_err(|_| bad()),
        Json::Bool(b) => Ok(i64::from(*b)),
        _ => Err(bad()),
    }
}

/// Python's `str(round(x, 2))`.
fn py_round2(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    if r.fract() == 0.0 {
        format!("{r:.1}")
    } else {
        format!("{r}")
    }
}

/// Reads one line from the terminal.
async fn read_line() -> String {
    tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        let _ = std::io::stdin().read_line(&mut s);
        s.trim_end_matches(['\r', '\n']).to_string()
    })
    .await
    .unwrap_or_default()
}

#[async_trait::async_trait]
impl super::DynModule for Pause {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn execute(&self, _: &ModuleCtx<'_>, args: &Args) -> Result<ModResult, ModuleError> {
        let get = |k: &str| args.get(k).filter(|v| !v.is_null());
        if get("minutes").is_some() && get("seconds").is_some() {
            return Ok(raised("parameters are mutually exclusive: minutes|seconds"));
        }
        let echo = match get("echo") {
            None => true,
            Some(v) => to_bool(v).unwrap_or(true),
        };
        let prompt = get("prompt").map(|v| match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        });
        let (seconds, unit) = match (get("minutes"), get("seconds")) {
            (Some(m), _) => match int_of("minutes", m) {
                Ok(m) => (Some(m * 60), "minutes"),
                Err(e) => return Ok(super::failed(e)),
            },
            (None, Some(s)) => match int_of("seconds", s) {
                Ok(s) => (Some(s), "seconds"),
                Err(e) => return Ok(super::failed(e)),
            },
            (None, None) => (None, "minutes"),
        };
        let hidden = if echo { "" } else { " (output is hidden)" };
        let start = std::time::Instant::now();
        let started = chrono::Local::now();
        let mut r = ModResult::new();
        let mut user_input = String::new();
        let terminal = std::io::stdin().is_terminal();
        match seconds {
            Some(secs) => {
                let secs = secs.max(1);
                let mut shown = format!("Pausing for {secs} seconds{hidden}");
                if prompt.is_some() {
                    shown.push_str(
                        "\n(ctrl+C then 'C' = continue early, ctrl+C then 'A' = abort)\r",
                    );
                }
                r.insert(DISPLAY.into(), json!(shown));
                tokio::time::sleep(std::time::Duration::from_secs(secs.unsigned_abs())).await;
            }
            None if terminal => {
                let text = prompt
                    .clone()
                    .unwrap_or_else(|| "Press enter to continue, Ctrl+C to interrupt".into());
                // The prompt is for the person at the terminal, not an
                // event: Ansible writes it there directly too.
                #[allow(clippy::print_stderr)]
                {
                    eprint!("{text}{hidden}:");
                }
                user_input = read_line().await;
            }
            None => {
                r.insert(
                    "warnings".into(),
                    json!(["Not waiting for response to prompt as stdin is not interactive"]),
                );
            }
        }
        let took = start.elapsed().as_secs_f64();
        let shown = if unit == "minutes" {
            py_round2(took / 60.0)
        } else {
            py_round2(took)
        };
        r.insert("changed".into(), json!(false));
        r.insert("rc".into(), json!(0));
        r.insert("stderr".into(), json!(""));
        let stdout = format!("Paused for {shown} {unit}");
        r.insert("stdout_lines".into(), json!([stdout]));
        r.insert("stderr_lines".into(), json!([]));
        r.insert("stdout".into(), json!(stdout));
        r.insert(
            "start".into(),
            json!(started.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
        );
        r.insert(
            "stop".into(),
            json!(
                chrono::Local::now()
                    .format("%Y-%m-%d %H:%M:%S%.6f")
                    .to_string()
            ),
        );
        r.insert("delta".into(), json!(took as i64));
        r.insert("echo".into(), json!(echo));
        r.insert("user_input".into(), json!(user_input));
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_numbers() {
        assert_eq!(py_round2(1.0412), "1.04");
        assert_eq!(py_round2(0.0001), "0.0");
        assert_eq!(int_of("seconds", &json!(2.7)).unwrap(), 2);
        assert!(int_of("seconds", &json!("x")).is_err());
    }
}
