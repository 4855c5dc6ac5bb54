// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `minimal` and `oneline` stdout callbacks of ansible-core: one block
//! (or one line) per host result, no banners, no loop items, no recap.
//! They render the same bus events as the default layout, so every other
//! sink (events, log file) sees the text they print.

use super::default::{color, status_color};
use super::json::dumps;
use super::{Event, Screen, Status};
use serde_json::Value as Json;

/// Actions whose output Ansible shows as text (`MODULE_NO_JSON`).
fn no_json(action: &str) -> bool {
    matches!(
        action.rsplit('.').next().unwrap_or(action),
        "command" | "shell" | "raw" | "win_command" | "win_shell"
    )
}

/// Internal keys (`_ansible_*`, kiln's `_kiln_*`) removed at every depth,
/// as Ansible's `strip_internal_keys` does before showing a result.
pub(super) fn strip_internal(v: &mut Json) {
    match v {
        Json::Object(m) => {
            m.retain(|k, _| !k.starts_with("_ansible_") && !k.starts_with("_kiln_"));
            m.values_mut().for_each(strip_internal);
        }
        Json::Array(a) => a.iter_mut().for_each(strip_internal),
        _ => {}
    }
}

/// A result value as Python's `str()` shows it inside `%s`.
fn text(v: Option<&Json>) -> String {
    match v {
        None => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => crate::template::py_str(&crate::template::json_to_value(other)),
    }
}

fn rc(result: &Json) -> String {
    match result.get("rc") {
        None => "-1".into(),
        some => text(some),
    }
}

impl Screen {
    /// Ansible's `_dump_results` as these callbacks call it.
    fn compact_dump(&self, result: &Json, indent: usize) -> String {
        let mut r = result.clone();
        let verbose_always = r
            .get("_ansible_verbose_always")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        strip_internal(&mut r);
        if let Json::Object(m) = &mut r {
            if self.verbosity < 3 {
                m.remove("invocation");
                m.remove("diff");
            }
            m.remove("exception");
            m.remove("warnings");
            m.remove("deprecations");
        }
        // An indent of 0 counts as none: Ansible then uses its default of 4
        // when the result asks to be shown verbosely or at -vvv.
        let indent = if indent == 0 && (verbose_always || self.verbosity > 2) {
            4
        } else {
            indent
        };
        dumps(&r, Some(indent), true)
    }

    /// `_clean_results`: `debug` shows only its message (or its variable).
    fn clean_debug(result: &Json, action: &str) -> Json {
        let mut r = result.clone();
        if action.rsplit('.').next() != Some("debug") {
            return r;
        }
        if let Json::Object(m) = &mut r {
            if m.contains_key("msg") {
                m.retain(|k, _| {
                    k.starts_with("_ansible_")
                        || matches!(
                            k.as_str(),
                            "msg" | "exception" | "warnings" | "deprecations"
                        )
                });
            } else {
                for k in [
                    "changed",
                    "failed",
                    "skipped",
                    "invocation",
                    "skip_reason",
                    "skipped_reason",
                    // A looped debug's item keys (ansible-core's
                    // _hide_in_debug).
                    "ansible_loop_var",
                    "ansible_index_var",
                    "ansible_loop",
                ] {
                    m.remove(k);
                }
            }
        }
        r
    }

    pub(super) fn show_minimal(&mut self, e: &Event) {
        if let Event::Verbose(v) | Event::Preamble(v) = e {
            self.line_c(v, color::VERBOSE);
            return;
        }
        let Event::HostResult {
            host,
            action,
            status,
            result,
            looped,
            origin,
            controller,
            error_detail,
            diff,
            ..
        } = e
        else {
            if let Event::Warning(w) = e {
                self.warn_once(&format!("[WARNING]: {w}\n"));
            }
            return;
        };
        self.warnings(result, action, origin.as_ref());
        if matches!(status, Status::Failed | Status::Unreachable) {
            self.error_block(
                result,
                error_detail.as_deref(),
                origin.as_ref(),
                *controller,
            );
        }
        if !*looped {
            self.diff(
                result,
                *diff && matches!(status, Status::Ok | Status::Changed),
            );
        }
        let generic = |caption: &str| {
            format!(
                "{host} | {caption} | rc={} >>\n{}{}{}\n",
                rc(result),
                text(result.get("stdout")),
                text(result.get("stderr")),
                text(result.get("msg"))
            )
        };
        let shown = match status {
            Status::Failed if no_json(action) && result.get("module_stderr").is_none() => {
                generic("FAILED")
            }
            Status::Failed => format!("{host} | FAILED! => {}", self.compact_dump(result, 4)),
            Status::Ok | Status::Changed => {
                let state = if *status == Status::Changed {
                    "CHANGED"
                } else {
                    "SUCCESS"
                };
                let r = Self::clean_debug(result, action);
                if no_json(action) && r.get("ansible_job_id").is_none() {
                    generic(state)
                } else {
                    format!("{host} | {state} => {}", self.compact_dump(&r, 4))
                }
            }
            Status::Skipped => format!("{host} | SKIPPED"),
            Status::Unreachable => {
                format!("{host} | UNREACHABLE! => {}", self.compact_dump(result, 4))
            }
        };
        self.display(&shown, status_color(*status));
    }

    pub(super) fn show_oneline(&mut self, e: &Event) {
        if let Event::Verbose(v) | Event::Preamble(v) = e {
            self.line_c(v, color::VERBOSE);
            return;
        }
        let Event::HostResult {
            host,
            action,
            status,
            result,
            ..
        } = e
        else {
            if let Event::Warning(w) = e {
                self.warn_once(&format!("[WARNING]: {w}\n"));
            }
            return;
        };
        let one = |s: &str| s.replace('\n', "\\n").replace('\r', "\\r");
        let generic = |caption: &str| {
            let out = one(&text(result.get("stdout")));
            let err = text(result.get("stderr"));
            if err.is_empty() {
                format!("{host} | {caption} | rc={} | (stdout) {out}", rc(result))
            } else {
                format!(
                    "{host} | {caption} | rc={} | (stdout) {out} (stderr) {}",
                    rc(result),
                    one(&err)
                )
            }
        };
        let flat = |s: &Self, r: &Json| s.compact_dump(r, 0).replace('\n', "");
        match status {
            Status::Failed => {
                if let Some(x) = result.get("exception") {
                    let x = text(Some(x));
                    if no_json(action) && result.get("module_stderr").is_none() {
                        self.display(&generic("FAILED"), color::ERROR);
                    } else if self.verbosity < 3 {
                        let last = x.trim().rsplit('\n').next().unwrap_or_default().to_string();
                        self.display(&format!(
                            "An exception occurred during task execution. To see the full traceback, use -vvv. The error was: {last}"
                        ), color::ERROR);
                    } else {
                        self.display(&format!(
                            "An exception occurred during task execution. The full traceback is:\n{}",
                            x.replace('\n', "")
                        ), color::ERROR);
                    }
                }
                let l = format!("{host} | FAILED! => {}", flat(self, result));
                self.display(&l, color::ERROR);
            }
            Status::Ok | Status::Changed => {
                let state = if *status == Status::Changed {
                    "CHANGED"
                } else {
                    "SUCCESS"
                };
                let l = if no_json(action) && result.get("ansible_job_id").is_none() {
                    generic(state)
                } else {
                    format!("{host} | {state} => {}", flat(self, result))
                };
                self.display(&l, status_color(*status));
            }
            Status::Unreachable => self.display(
                &format!("{host} | UNREACHABLE!: {}", text(result.get("msg"))),
                color::UNREACHABLE,
            ),
            Status::Skipped => self.display(&format!("{host} | SKIPPED"), color::SKIP),
        }
    }

    /// One `Display.display` call in colour `code`: Windows line ends made
    /// plain, and a line end added unless the text has one.
    fn display(&mut self, msg: &str, code: &str) {
        let msg = msg.replace("\r\n", "\n");
        if msg.ends_with('\n') {
            self.write_c(&msg, code, false);
        } else {
            self.line_c(&msg, code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Callback;
    use super::*;
    use serde_json::json;

    fn result(status: Status, action: &str, r: Json) -> Event {
        Event::HostResult {
            host: "h1".into(),
            task: "t".into(),
            action: action.into(),
            status,
            ignored: false,
            result: r,
            looped: false,
            origin: None,
            controller: false,
            error_detail: None,
            started: None,
            diff: false,
        }
    }

    #[test]
    fn minimal_commands_show_their_text() {
        let mut s = Screen::new(0).with_callback(Callback::Minimal);
        let out = s.render(&result(
            Status::Changed,
            "command",
            json!({"changed": true, "rc": 0, "stdout": "hi", "stderr": ""}),
        ));
        assert_eq!(out.stdout(), "h1 | CHANGED | rc=0 >>\nhi\n");
        let out = s.render(&result(
            Status::Ok,
            "debug",
            json!({"msg": "x", "changed": false, "_ansible_verbose_always": true}),
        ));
        assert_eq!(out.stdout(), "h1 | SUCCESS => {\n    \"msg\": \"x\"\n}\n");
        let out = s.render(&Event::Stats(Vec::new()));
        assert_eq!(out.stdout(), "");
    }

    #[test]
    fn oneline_flattens_results() {
        let mut s = Screen::new(0).with_callback(Callback::Oneline);
        let out = s.render(&result(
            Status::Ok,
            "ping",
            json!({"changed": false, "ping": "pong"}),
        ));
        assert_eq!(
            out.stdout(),
            "h1 | SUCCESS => {\"changed\": false,\"ping\": \"pong\"}\n"
        );
        let out = s.render(&result(
            Status::Changed,
            "shell",
            json!({"changed": true, "rc": 1, "stdout": "a\nb", "stderr": "e"}),
        ));
        assert_eq!(
            out.stdout(),
            "h1 | CHANGED | rc=1 | (stdout) a\\nb (stderr) e\n"
        );
    }
}
