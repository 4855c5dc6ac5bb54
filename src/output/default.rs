// SPDX-License-Identifier: MIT
//! Ansible's default stdout callback: banners, one line per host, error
//! blocks with their origin, loop items, the recap.

use super::json::dumps;
use super::origin::Sources;
use super::{Event, HostStats, Sink, Status};
use crate::span::Span;
use serde_json::Value as Json;
use std::io::Write;

/// One piece of text the screen shows: what one Ansible `display()` call
/// prints (the log file writes one record per chunk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub text: String,
    /// Ansible sends warnings to stderr.
    pub stderr: bool,
}

/// What the screen showed for one event; every sink gets it, so the
/// terminal, the events file and the log file show the same text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shown {
    pub chunks: Vec<Chunk>,
}

impl Shown {
    /// The stdout part, as one string.
    pub fn stdout(&self) -> String {
        self.chunks
            .iter()
            .filter(|c| !c.stderr)
            .map(|c| c.text.as_str())
            .collect()
    }

    /// The stderr part, as one string.
    pub fn stderr(&self) -> String {
        self.chunks
            .iter()
            .filter(|c| c.stderr)
            .map(|c| c.text.as_str())
            .collect()
    }
}

/// Renders events as Ansible's default stdout callback prints them.
pub struct Screen {
    verbosity: u8,
    sources: Sources,
    shown: Shown,
    /// Error blocks already shown: Ansible's display shows each once.
    errors_seen: std::collections::HashSet<String>,
    /// `--diff`: show the diffs modules return.
    diff: bool,
    /// Tasks whose banner waits for a result (free strategies): name ->
    /// whether it is a handler.
    lazy: std::collections::HashMap<String, bool>,
    /// The task whose banner was printed last.
    last_banner: Option<String>,
}

impl Screen {
    pub fn new(verbosity: u8) -> Self {
        Screen {
            verbosity,
            sources: Sources::default(),
            shown: Shown::default(),
            errors_seen: std::collections::HashSet::new(),
            diff: false,
            lazy: std::collections::HashMap::new(),
            last_banner: None,
        }
    }

    /// Under a free strategy, the banner of `task` before its result when
    /// the last banner was another task's.
    fn lazy_banner(&mut self, task: &str) {
        let Some(handler) = self.lazy.get(task).copied() else {
            return;
        };
        if self.last_banner.as_deref() == Some(task) {
            return;
        }
        self.last_banner = Some(task.to_string());
        if handler {
            self.banner(&format!("RUNNING HANDLER [{task}]"));
        } else {
            self.banner(&format!("TASK [{task}]"));
        }
    }

    /// Shows module diffs (`--diff`).
    pub fn with_diff(mut self, on: bool) -> Self {
        self.diff = on;
        self
    }

    /// A module's `diff`, shown before its result line.
    fn diff(&mut self, result: &Json, shown: bool) {
        if !shown {
            return;
        }
        if let Some(d) = result.get("diff") {
            let text = super::diff::render(d);
            if !text.is_empty() {
                self.write(&text);
            }
        }
    }

    /// The text `e` shows, split into display chunks.
    pub fn render(&mut self, e: &Event) -> Shown {
        self.show(e);
        std::mem::take(&mut self.shown)
    }

    fn write(&mut self, s: &str) {
        self.shown.chunks.push(Chunk {
            text: s.to_string(),
            stderr: false,
        });
    }

    fn write_err(&mut self, s: &str) {
        self.shown.chunks.push(Chunk {
            text: s.to_string(),
            stderr: true,
        });
    }

    fn line(&mut self, s: &str) {
        self.write(&format!("{s}\n"));
    }

    fn banner(&mut self, msg: &str) {
        let stars = 79usize.saturating_sub(msg.chars().count()).max(3);
        self.line(&format!("\n{msg} {}", "*".repeat(stars)));
    }

    /// Ansible's `_dump_results`: internal keys dropped, keys sorted, indented
    /// when the module asks for it or at -vvv.
    fn dump(&self, result: &Json, action: &str) -> String {
        let mut r = result.clone();
        let verbose_always = flag(&r, "_ansible_verbose_always");
        if let Json::Object(m) = &mut r {
            m.retain(|k, _| !k.starts_with("_ansible_") && !k.starts_with("_kiln_"));
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
                for k in [
                    "changed",
                    "failed",
                    "skipped",
                    "skip_reason",
                    "skipped_reason",
                ] {
                    m.remove(k);
                }
            }
        }
        let indent = (verbose_always || self.verbosity > 2).then_some(4);
        dumps(&r, indent, true)
    }

    fn verbose(&self, result: &Json) -> bool {
        self.verbosity > 0 || flag(result, "_ansible_verbose_always")
    }

    /// Warnings a module returned, each as Ansible's `[WARNING]:` block.
    fn warnings(&mut self, result: &Json, origin: Option<&Span>) {
        if let Some(Json::Array(ws)) = result.get("warnings") {
            for w in ws {
                let text = w
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| w.to_string());
                let mut block = format!("[WARNING]: {text}\n");
                if let Some(o) = origin {
                    block.push_str(&self.sources.block(o));
                    block.push('\n');
                }
                self.write_err(&block);
            }
        }
    }

    /// The `[ERROR]: Task failed: ...` block Ansible 2.21 prints before a
    /// failed or unreachable host's line.
    fn error_block(
        &mut self,
        result: &Json,
        detail: Option<&str>,
        origin: Option<&Span>,
        controller: bool,
    ) {
        // A module may carry a longer explanation than its `msg` (the text of
        // the exception Ansible's module raised).
        let msg = match (detail, result.get("msg")) {
            (Some(d), _) => d.to_string(),
            (None, Some(Json::String(s))) => s.clone(),
            (None, Some(other)) => other.to_string(),
            (None, None) => String::new(),
        };
        // Ansible's display writes OpenSSH's CRLF line ends as plain newlines.
        let msg = msg.replace("\r\n", "\n");
        let text = if msg.starts_with("Task failed:") {
            msg
        } else if msg.starts_with("Unexpected ") {
            // An exception of the action itself, not a result it returned.
            format!("Task failed: {msg}")
        } else if controller {
            format!("Task failed: Action failed: {msg}")
        } else {
            format!("Task failed: Module failed: {msg}")
        };
        let mut block = format!("[ERROR]: {text}\n");
        if let Some(o) = origin {
            block.push_str(&self.sources.block(o));
            block.push('\n');
        }
        // Ansible's display shows the same error (text and origin) once.
        if !self.errors_seen.insert(block.clone()) {
            return;
        }
        self.write(&block);
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

/// `include_tasks`/`include_role` are shown as `included:` lines.
fn is_include(action: &str) -> bool {
    matches!(action, "include_tasks" | "include_role")
}

fn flag(v: &Json, k: &str) -> bool {
    v.get(k).and_then(Json::as_bool).unwrap_or(false)
}

fn col(name: &str, n: u32) -> String {
    format!("{name}={:<4}", n.to_string())
}

/// The `(item=...)` label: strings as they are, other values as Python
/// prints them.
/// A result's host as Ansible labels it: `h1`, or `h1 -> h3(10.0.0.3)` when
/// the task was delegated (the address only when it is not the name).
fn host_label(host: &str, result: &Json) -> String {
    let Some(d) = result.get("_ansible_delegated_vars") else {
        return host.to_string();
    };
    let Some(to) = d.get("ansible_delegated_host").and_then(Json::as_str) else {
        return host.to_string();
    };
    if to == host {
        return host.to_string();
    }
    match d.get("ansible_host").and_then(Json::as_str) {
        Some(addr) if addr != to => format!("{host} -> {to}({addr})"),
        _ => format!("{host} -> {to}"),
    }
}

fn label(item: &Json) -> String {
    match item {
        Json::String(s) => s.clone(),
        other => crate::template::py_str(&crate::template::json_to_value(other)),
    }
}

/// Writes Ansible's default output to a writer (stdout in the CLI);
/// warnings go to the process's stderr, as Ansible sends them.
pub struct DefaultText<W: Write + Send> {
    out: W,
    screen: Screen,
}

impl<W: Write + Send> DefaultText<W> {
    /// Shows module diffs (`--diff`).
    pub fn with_diff(mut self, on: bool) -> Self {
        self.screen = std::mem::replace(&mut self.screen, Screen::new(0)).with_diff(on);
        self
    }

    pub fn new(out: W, verbosity: u8) -> Self {
        DefaultText {
            out,
            screen: Screen::new(verbosity),
        }
    }
}

impl<W: Write + Send> Sink for DefaultText<W> {
    fn emit(&mut self, e: &Event, _: &Shown) {
        let shown = self.screen.render(e);
        // Output errors (a closed pipe) must not stop the run.
        let _ = self.out.write_all(shown.stdout().as_bytes());
        let _ = self.out.flush();
        let _ = std::io::stderr().write_all(shown.stderr().as_bytes());
    }
}

impl Screen {
    fn show(&mut self, e: &Event) {
        match e {
            Event::PlaybookStart { path } => {
                if self.verbosity > 0 {
                    self.line(&format!("\nPLAYBOOK: {path} {}", "*".repeat(60)));
                }
            }
            Event::PlayStart { name, .. } => {
                self.lazy.clear();
                self.last_banner = None;
                self.banner(&format!("PLAY [{name}]"))
            }
            Event::NoHostsMatched => self.line("skipping: no hosts matched"),
            Event::NoMoreHosts => self.banner("NO MORE HOSTS LEFT"),
            Event::TaskStart {
                name,
                handler,
                lazy,
                ..
            } => {
                if *lazy {
                    self.lazy.insert(name.clone(), *handler);
                    return;
                }
                self.last_banner = Some(name.clone());
                if *handler {
                    self.banner(&format!("RUNNING HANDLER [{name}]"))
                } else {
                    self.banner(&format!("TASK [{name}]"))
                }
            }
            Event::Included { file, hosts, item } => {
                let hosts = hosts.join(", ");
                match item {
                    Some(i) => self.line(&format!(
                        "included: {file} for {hosts} => (item={})",
                        label(i)
                    )),
                    None => self.line(&format!("included: {file} for {hosts}")),
                }
            }
            Event::Retry {
                host,
                task,
                retries_left,
                result,
            } => {
                let mut l =
                    format!("FAILED - RETRYING: [{host}]: {task} ({retries_left} retries left).");
                if self.verbosity > 0 {
                    l = format!("{l}Result was: {}", self.dump(result, ""));
                }
                self.line(&l);
            }
            Event::Warning(w) => self.write_err(&format!("[WARNING]: {w}\n")),
            // An include's items are shown as `included:` lines (an item
            // its `when` skipped as a `skipping:` line).
            Event::ItemResult { action, status, .. }
                if is_include(action) && *status != Status::Skipped => {}
            Event::ItemResult {
                host,
                task,
                action,
                status,
                result,
                label: item,
                diff,
                origin,
                controller,
            } => {
                self.lazy_banner(task);
                // A censored item must not leak through its label either.
                let l = if result.get("censored").is_some() {
                    "(censored due to no_log)".to_string()
                } else {
                    label(item)
                };
                let host = &host_label(host, result);
                self.diff(result, *diff);
                let line = match status {
                    Status::Ok | Status::Changed => {
                        let word = if *status == Status::Ok {
                            "ok"
                        } else {
                            "changed"
                        };
                        let mut line = format!("{word}: [{host}] => (item={l})");
                        if self.verbose(result) {
                            line = format!("{line} => {}", self.dump(result, action));
                        }
                        line
                    }
                    // Ansible leaves a space after a skipped item's label.
                    Status::Skipped => format!("skipping: [{host}] => (item={l}) "),
                    Status::Failed => {
                        if result.get("exception").is_some() {
                            self.error_block(result, None, origin.as_ref(), *controller);
                        }
                        format!(
                            "failed: [{host}] (item={l}) => {}",
                            self.dump(result, action)
                        )
                    }
                    Status::Unreachable => format!(
                        "fatal: [{host}]: UNREACHABLE! => (item={l}) => {}",
                        self.dump(result, action)
                    ),
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
                origin,
                controller,
                error_detail,
                diff,
                task,
                ..
            } => {
                let quiet = matches!(status, Status::Ok | Status::Changed)
                    && (*looped || is_include(action));
                if !quiet {
                    self.lazy_banner(task);
                }
                self.warnings(result, origin.as_ref());
                let host = &host_label(host, result);
                if !*looped {
                    self.diff(result, *diff);
                }
                let line = match status {
                    // A failed loop was told item by item; only debug's
                    // (whose per-item results the callback drops) gets a
                    // summary line.
                    Status::Failed if *looped && !is_debug_action(action) => {
                        if *ignored {
                            self.line("...ignoring");
                        }
                        return;
                    }
                    // Ansible prints the `[ERROR]` block for a result that
                    // carries an exception only.
                    Status::Failed if result.get("exception").is_none() => {
                        format!("fatal: [{host}]: FAILED! => {}", self.dump(result, action))
                    }
                    Status::Failed => {
                        self.error_block(
                            result,
                            error_detail.as_deref(),
                            origin.as_ref(),
                            *controller,
                        );
                        let shown = if *looped {
                            loop_summary(result)
                        } else {
                            result.clone()
                        };
                        format!("fatal: [{host}]: FAILED! => {}", self.dump(&shown, action))
                    }
                    Status::Unreachable => {
                        self.error_block(
                            result,
                            error_detail.as_deref(),
                            origin.as_ref(),
                            *controller,
                        );
                        format!(
                            "fatal: [{host}]: UNREACHABLE! => {}",
                            self.dump(result, action)
                        )
                    }
                    Status::Skipped => {
                        let mut l = format!("skipping: [{host}]");
                        if self.verbosity > 0 && !*looped {
                            l = format!("{l} => {}", self.dump(result, action));
                        }
                        l
                    }
                    // A loop's items were shown one by one, an include's
                    // files as `included:` lines.
                    _ if *looped || is_include(action) => return,
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

/// `debug` under any of its names.
fn is_debug_action(action: &str) -> bool {
    crate::modules::canonical(action) == "debug"
}

/// A failed loop shows its summary without the per-item results.
fn loop_summary(result: &Json) -> Json {
    let mut r = result.clone();
    if let Json::Object(m) = &mut r {
        m.remove("results");
    }
    r
}
