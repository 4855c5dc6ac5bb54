// SPDX-License-Identifier: MIT
//! Ansible's default stdout callback: banners, one line per host, the recap.

use super::json::dumps;
use super::{Event, HostStats, Sink, Status};
use serde_json::Value as Json;
use std::io::Write;

/// Writes Ansible's default output to a writer (stdout in the CLI).
pub struct DefaultText<W: Write + Send> {
    out: W,
    verbosity: u8,
}

impl<W: Write + Send> DefaultText<W> {
    pub fn new(out: W, verbosity: u8) -> Self {
        DefaultText { out, verbosity }
    }

    fn line(&mut self, s: &str) {
        // Output errors (a closed pipe) must not stop the run.
        let _ = writeln!(self.out, "{s}");
        let _ = self.out.flush();
    }

    fn banner(&mut self, msg: &str) {
        let stars = 79usize.saturating_sub(msg.chars().count()).max(3);
        self.line(&format!("\n{msg} {}", "*".repeat(stars)));
    }

    /// Ansible's `_dump_results`: internal keys dropped, keys sorted, indented
    /// when the module asks for it or at -vvv.
    fn dump(&self, result: &Json, action: &str) -> String {
        let mut r = result.clone();
        let verbose_always = r
            .get("_ansible_verbose_always")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        if let Json::Object(m) = &mut r {
            m.retain(|k, _| !k.starts_with("_ansible_"));
            if self.verbosity < 3 {
                m.remove("invocation");
                m.remove("diff");
            }
            m.remove("exception");
            m.remove("warnings");
            m.remove("deprecations");
            if action == "debug" && m.contains_key("msg") {
                m.retain(|k, _| k == "msg");
            } else if action == "debug" {
                m.remove("changed");
                m.remove("failed");
                m.remove("skipped");
                m.remove("skip_reason");
                m.remove("skipped_reason");
            }
        }
        let indent = (verbose_always || self.verbosity > 2).then_some(4);
        dumps(&r, indent, true)
    }

    fn verbose(&self, result: &Json) -> bool {
        self.verbosity > 0
            || result
                .get("_ansible_verbose_always")
                .and_then(Json::as_bool)
                .unwrap_or(false)
    }

    fn recap(&mut self, stats: &[(String, HostStats)]) {
        self.banner("PLAY RECAP");
        for (h, s) in stats {
            self.line(&format!(
                "{h:<26} : {} {} {} {} {} {} {}",
                col("ok", s.ok),
                col("changed", s.changed),
                col("unreachable", s.unreachable),
                col("failed", s.failed),
                col("skipped", s.skipped),
                col("rescued", s.rescued),
                col("ignored", s.ignored),
            ));
        }
        self.line("");
    }
}

fn col(name: &str, n: u32) -> String {
    format!("{name}={:<4}", n.to_string())
}

fn label(item: &Json) -> String {
    match item {
        Json::String(s) => s.clone(),
        other => crate::template::py_str(&crate::template::json_to_value(other)),
    }
}

impl<W: Write + Send> Sink for DefaultText<W> {
    fn emit(&mut self, e: &Event) {
        match e {
            Event::PlaybookStart { path } => {
                if self.verbosity > 0 {
                    self.line(&format!("\nPLAYBOOK: {path} {}", "*".repeat(60)));
                }
            }
            Event::PlayStart { name } => self.banner(&format!("PLAY [{name}]")),
            Event::NoHostsMatched => self.line("skipping: no hosts matched"),
            Event::NoMoreHosts => self.banner("NO MORE HOSTS LEFT"),
            Event::TaskStart { name, .. } => self.banner(&format!("TASK [{name}]")),
            Event::Warning(w) => {
                let _ = writeln!(std::io::stderr(), "[WARNING]: {w}");
            }
            Event::ItemResult {
                host,
                action,
                status,
                result,
                label: item,
                ..
            } => {
                let l = label(item);
                let line = match status {
                    Status::Ok => format!("ok: [{host}] => (item={l})"),
                    Status::Changed => format!("changed: [{host}] => (item={l})"),
                    Status::Skipped => format!("skipping: [{host}] => (item={l})"),
                    Status::Failed => {
                        format!(
                            "failed: [{host}] (item={l}) => {}",
                            self.dump(result, action)
                        )
                    }
                    Status::Unreachable => {
                        format!(
                            "fatal: [{host}]: UNREACHABLE! => (item={l}) => {}",
                            self.dump(result, action)
                        )
                    }
                };
                let line = if !matches!(status, Status::Failed | Status::Unreachable)
                    && self.verbose(result)
                {
                    format!("{line} => {}", self.dump(result, action))
                } else {
                    line
                };
                self.line(&line);
            }
            Event::HostResult {
                host,
                action,
                status,
                ignored,
                result,
                looped,
                ..
            } => {
                let line = match status {
                    Status::Failed if *looped => {
                        format!(
                            "fatal: [{host}]: FAILED! => {}",
                            self.dump(&loop_summary(result), action)
                        )
                    }
                    Status::Failed => {
                        format!("fatal: [{host}]: FAILED! => {}", self.dump(result, action))
                    }
                    Status::Unreachable => {
                        format!(
                            "fatal: [{host}]: UNREACHABLE! => {}",
                            self.dump(result, action)
                        )
                    }
                    _ if *looped && *status != Status::Skipped => return,
                    Status::Skipped => {
                        let mut l = format!("skipping: [{host}]");
                        if self.verbosity > 0 && !*looped {
                            l = format!("{l} => {}", self.dump(result, action));
                        }
                        l
                    }
                    Status::Ok | Status::Changed => {
                        let word = if *status == Status::Ok {
                            "ok"
                        } else {
                            "changed"
                        };
                        let mut l = format!("{word}: [{host}]");
                        if self.verbose(result) {
                            l = format!("{l} => {}", self.dump(result, action));
                        }
                        l
                    }
                };
                self.line(&line);
                if *ignored {
                    self.line("...ignoring");
                }
            }
            Event::Stats(stats) => self.recap(stats),
        }
    }
}

/// A failed loop shows its summary without the per-item results.
fn loop_summary(result: &Json) -> Json {
    let mut r = result.clone();
    if let Json::Object(m) = &mut r {
        m.remove("results");
    }
    r
}
