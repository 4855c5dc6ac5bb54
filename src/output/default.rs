// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Ansible's default stdout callback: banners, one line per host, error
//! blocks with their origin, loop items, the recap.

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
    /// The text in Ansible's colours, when the display call has one
    /// (shown on a terminal, or with ANSIBLE_FORCE_COLOR).
    pub painted: Option<String>,
}

impl Chunk {
    /// A chunk without colour.
    pub fn plain(text: impl Into<String>, stderr: bool) -> Chunk {
        Chunk {
            text: text.into(),
            stderr,
            painted: None,
        }
    }

    /// The text, in colour when `color` is on.
    pub fn shown(&self, color: bool) -> &str {
        match (&self.painted, color) {
            (Some(p), true) => p,
            _ => &self.text,
        }
    }
}

/// The ANSI colours of Ansible's default `COLOR_*` settings.
pub mod color {
    pub const OK: &str = "0;32";
    pub const CHANGED: &str = "0;33";
    pub const SKIP: &str = "0;36";
    pub const INCLUDED: &str = "0;36";
    pub const ERROR: &str = "0;31";
    pub const UNREACHABLE: &str = "1;31";
    pub const WARN: &str = "1;35";
    pub const DEBUG: &str = "1;30";
    pub const VERBOSE: &str = "0;34";
    pub const DIFF_ADD: &str = "0;32";
    pub const DIFF_REMOVE: &str = "0;31";
    pub const DIFF_LINES: &str = "0;36";
}

/// Ansible's `stringc`: every line wrapped in the colour.
pub(super) fn paint(text: &str, code: &str) -> String {
    text.split('\n')
        .map(|t| format!("\x1b[{code}m{t}\x1b[0m"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A display call's screen text in colour: the message painted without
/// the line end the display writes after it.
fn painted(text: &str, code: &str) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    format!("{}\n", paint(body, code))
}

/// A diff as Ansible colours it: added, removed and `@@` lines each
/// painted with their line end inside (so a painted empty line follows).
fn paint_diff(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let code = if line.starts_with('+') {
            Some(color::DIFF_ADD)
        } else if line.starts_with('-') {
            Some(color::DIFF_REMOVE)
        } else if line.starts_with("@@") {
            Some(color::DIFF_LINES)
        } else {
            None
        };
        match code {
            Some(c) => out.push_str(&paint(line, c)),
            None => out.push_str(line),
        }
    }
    // The display adds a line end only when the text has none.
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
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
        self.part(false, false)
    }

    /// The stderr part, as one string.
    pub fn stderr(&self) -> String {
        self.part(true, false)
    }

    /// The stdout (`stderr` false) or stderr part, in colour when `color`.
    pub fn part(&self, stderr: bool, color: bool) -> String {
        self.chunks
            .iter()
            .filter(|c| c.stderr == stderr)
            .map(|c| c.shown(color))
            .collect()
    }

    /// Everything, in the order shown, in colour when `color`.
    pub fn all(&self, color: bool) -> String {
        self.chunks.iter().map(|c| c.shown(color)).collect()
    }
}

/// Renders events as Ansible's default stdout callback prints them.
pub struct Screen {
    pub(super) verbosity: u8,
    /// Which stdout callback's layout the screen follows.
    pub(super) callback: super::Callback,
    sources: Sources,
    shown: Shown,
    /// Error blocks already shown: Ansible's display shows each once.
    errors_seen: std::collections::HashSet<String>,
    /// Warnings already shown (text and origin): Ansible's display shows
    /// each once per run, however many hosts or tasks raise it.
    warnings_seen: std::collections::HashSet<String>,
    /// Tasks whose banner waits for a result (free strategies): name ->
    /// whether it is a handler.
    lazy: std::collections::HashMap<String, bool>,
    /// The task whose banner was printed last.
    last_banner: Option<String>,
    /// The `profile_tasks` callback, when enabled.
    profile: Option<super::timing::Profile>,
    /// `display_ok_hosts` and `display_skipped_hosts`: with either off, a
    /// task's banner waits for the first result shown under it.
    ok_hosts: bool,
    skipped_hosts: bool,
    /// The banner of the running task, not shown yet.
    pending: Option<Vec<Chunk>>,
    /// The `ansible.posix.json` document being built.
    json_doc: Option<super::posix_json::JsonDoc>,
    /// `check_mode_markers` in a --check run: `[CHECK MODE]` after banners
    /// and `DRY RUN` banners around the run.
    check_markers: bool,
    /// `display_failed_stderr`: failures and their errors go to stderr.
    failed_stderr: bool,
    /// `display_included_hosts`: the `included:` lines.
    included_hosts: bool,
    /// `show_task_path_on_failure`: `task path:` before a failure.
    task_path_on_failure: bool,
    /// `show_custom_stats`: the CUSTOM STATS block after the recap.
    show_custom_stats: bool,
    /// What `set_stats` set, per host and `_run`.
    custom_stats: serde_json::Map<String, Json>,
    /// How results are written after `=>` (json or yaml).
    format: super::result_format::ResultFormat,
    /// The display's width: banners are padded with stars up to it.
    columns: usize,
}

impl Screen {
    pub fn new(verbosity: u8) -> Self {
        Screen {
            verbosity,
            callback: super::Callback::Default,
            sources: Sources::default(),
            shown: Shown::default(),
            errors_seen: std::collections::HashSet::new(),
            warnings_seen: std::collections::HashSet::new(),
            profile: None,
            ok_hosts: true,
            skipped_hosts: true,
            pending: None,
            json_doc: None,
            check_markers: false,
            failed_stderr: false,
            included_hosts: true,
            task_path_on_failure: false,
            show_custom_stats: false,
            custom_stats: serde_json::Map::new(),
            format: super::result_format::ResultFormat::default(),
            columns: 79,
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
            self.banner(&format!("RUNNING HANDLER [{task}]{}", self.mark()));
        } else {
            self.banner(&format!("TASK [{task}]{}", self.mark()));
        }
    }

    /// `display_included_hosts` and `show_task_path_on_failure`.
    pub fn with_included_and_paths(mut self, included: bool, path_on_failure: bool) -> Self {
        self.included_hosts = included;
        self.task_path_on_failure = path_on_failure;
        self
    }

    /// The display's width (`super::columns()` on a terminal).
    pub fn with_columns(mut self, columns: usize) -> Self {
        self.columns = columns;
        self
    }

    /// `result_format`, `pretty_results` and `result_indentation`.
    pub fn with_result_format(mut self, f: super::result_format::ResultFormat) -> Self {
        self.format = f;
        self
    }

    /// `show_custom_stats` (the default and json callbacks share it).
    pub fn with_custom_stats(mut self, on: bool) -> Self {
        self.show_custom_stats = on;
        if let Some(doc) = &mut self.json_doc {
            doc.show_custom_stats(on);
        }
        self
    }

    /// `check_mode_markers` (pass it on only for a --check run) and
    /// `display_failed_stderr`.
    pub fn with_markers(mut self, check_markers: bool, failed_stderr: bool) -> Self {
        self.check_markers = check_markers;
        self.failed_stderr = failed_stderr;
        self
    }

    /// ` [CHECK MODE]` after a banner's title when the markers are on.
    fn mark(&self) -> &'static str {
        if self.check_markers {
            " [CHECK MODE]"
        } else {
            ""
        }
    }

    /// `json_indent` of the `ansible.posix.json` callback (`None`: one line).
    pub fn with_json_indent(mut self, indent: Option<usize>) -> Self {
        if self.callback == super::Callback::Json {
            self.json_doc = Some(super::posix_json::JsonDoc::new(indent));
        }
        self
    }

    /// `display_ok_hosts` and `display_skipped_hosts`.
    pub fn with_display_hosts(mut self, ok: bool, skipped: bool) -> Self {
        self.ok_hosts = ok;
        self.skipped_hosts = skipped;
        self
    }

    /// Shows the running task's banner if it is still waiting.
    fn ensure_banner(&mut self) {
        if let Some(chunks) = self.pending.take() {
            self.shown.chunks.extend(chunks);
        }
    }

    /// Adds the `profile_tasks` callback's lines.
    pub fn with_profile(mut self, options: super::timing::ProfileOptions) -> Self {
        self.profile = Some(super::timing::Profile::new(options));
        self
    }

    /// Follows the layout of stdout callback `c` instead of `default`.
    pub fn with_callback(mut self, c: super::Callback) -> Self {
        self.callback = c;
        if c == super::Callback::Json && self.json_doc.is_none() {
            self.json_doc = Some(super::posix_json::JsonDoc::new(Some(4)));
        }
        self
    }

    /// A module's `diff`, shown before its result line. Callers pass
    /// `shown` only for an ok or changed result: Ansible sends a diff to the
    /// callback for those alone, never for a failed, skipped or unreachable
    /// one (item by item too).
    pub(super) fn diff(&mut self, result: &Json, shown: bool) {
        if !shown {
            return;
        }
        if let Some(d) = result.get("diff") {
            let mut text = super::diff::render(d);
            if !text.is_empty() {
                // Ansible's display ends every message with a newline; apt's
                // `prepared` text has none of its own.
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                let p = paint_diff(&text);
                self.shown.chunks.push(Chunk {
                    text,
                    stderr: false,
                    painted: Some(p),
                });
            }
        }
    }

    /// The text `e` shows, split into display chunks.
    pub fn render(&mut self, e: &Event) -> Shown {
        match self.callback {
            super::Callback::Default => self.show(e),
            super::Callback::Minimal => self.show_minimal(e),
            super::Callback::Oneline => self.show_oneline(e),
            super::Callback::Json => self.show_json(e),
        }
        // profile_tasks is called after the stdout callback, as Ansible
        // calls aggregate callbacks after it.
        if let Some(p) = &mut self.profile {
            let texts = match e {
                Event::TaskStart { name, origin, .. } => {
                    let path = origin
                        .as_ref()
                        .map(|s| format!("{}:{}", s.file, s.line))
                        .unwrap_or_default();
                    vec![p.task_start(name, &path)]
                }
                Event::Stats(_) => p.recap(self.columns),
                _ => Vec::new(),
            };
            for t in texts.iter().filter(|t| !t.is_empty()) {
                self.write(t);
            }
        }
        std::mem::take(&mut self.shown)
    }

    /// `ansible.posix.json`: warnings and verbose lines as usual, the
    /// document after the last play.
    fn show_json(&mut self, e: &Event) {
        match e {
            Event::Warning(w) => self.warn_once(&format!("[WARNING]: {w}\n")),
            Event::Verbose(v) | Event::Preamble(v) => self.line_c(v, color::VERBOSE),
            _ => {}
        }
        if let Some(doc) = self.json_doc.as_mut().and_then(|d| d.observe(e)) {
            self.write(&doc);
        }
    }

    pub(super) fn write(&mut self, s: &str) {
        self.shown.chunks.push(Chunk::plain(s, false));
    }

    /// A display call in colour `code`.
    pub(super) fn write_c(&mut self, s: &str, code: &str, stderr: bool) {
        self.shown.chunks.push(Chunk {
            text: s.to_string(),
            stderr,
            painted: Some(painted(s, code)),
        });
    }

    /// A warning (stderr, in the warning colour).
    pub(super) fn write_err(&mut self, s: &str) {
        self.write_c(s, color::WARN, true);
    }

    /// A `[WARNING]` block, unless the same block was shown before.
    pub(super) fn warn_once(&mut self, block: &str) {
        if self.warnings_seen.insert(block.to_string()) {
            self.write_err(block);
        }
    }

    pub(super) fn line(&mut self, s: &str) {
        self.write(&format!("{s}\n"));
    }

    /// A line in colour `code`.
    pub(super) fn line_c(&mut self, s: &str, code: &str) {
        self.write_c(&format!("{s}\n"), code, false);
    }

    fn banner(&mut self, msg: &str) {
        // Ansible counts display cells: a wide character takes two.
        let stars = self
            .columns
            .saturating_sub(console::measure_text_width(msg))
            .max(3);
        self.line(&format!("\n{msg} {}", "*".repeat(stars)));
    }

    /// Ansible's `_dump_results`: internal keys dropped (at every depth, as
    /// `strip_internal_keys` does), keys sorted, indented
    /// when the module asks for it or at -vvv.
    fn dump(&self, result: &Json, action: &str) -> String {
        let mut r = result.clone();
        let verbose_always = flag(&r, "_ansible_verbose_always");
        super::compact::strip_internal(&mut r);
        if let Json::Object(m) = &mut r {
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
        self.format.dump(&r, verbose_always || self.verbosity > 2)
    }

    fn verbose(&self, result: &Json) -> bool {
        self.verbosity > 0 || flag(result, "_ansible_verbose_always")
    }

    /// Warnings a module returned, each as Ansible's `[WARNING]:` block.
    ///
    /// Only the template errors `debug` reports about its own `var` or
    /// `msg` point at a place: ansible-core 2.21 raises those with the
    /// argument as their source, while a module's returned warnings and
    /// those of lookups, filters and tests (see `template::warnings`) have
    /// none, so they print no `Origin:`.
    pub(super) fn warnings(&mut self, result: &Json, action: &str, origin: Option<&Span>) {
        if let Some(Json::Array(ws)) = result.get("warnings") {
            for w in ws {
                let text = w
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| w.to_string());
                let mut block = format!("[WARNING]: {text}\n");
                let placed = crate::modules::canonical(action) == "debug"
                    && text.starts_with("Encountered ");
                if let Some(o) = origin.filter(|_| placed) {
                    block.push_str(&self.sources.block(o));
                    block.push('\n');
                }
                self.warn_once(&block);
            }
        }
    }

    /// The `[ERROR]: Task failed: ...` block Ansible 2.21 prints before a
    /// failed or unreachable host's line.
    pub(super) fn error_block(
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
        // A text that carries its causes' origins is Ansible's whole text.
        let text = if msg.starts_with("Task failed:") || msg.contains("\nOrigin: ") {
            msg
        } else if msg.starts_with("Unexpected ") {
            // An exception of the action itself, not a result it returned.
            format!("Task failed: {msg}")
        } else if controller {
            format!("Task failed: Action failed: {msg}")
        } else {
            format!("Task failed: Module failed: {msg}")
        };
        // Ansible puts the task's origin between the error and its cause;
        // a chain whose links carry their own origins is shown as it is
        // (a cause may carry its own, as a template file's place).
        let split = text.split_once(crate::modules::CAUSED_BY);
        let chained = split
            .map(|(head, _)| head)
            .unwrap_or(&text)
            .contains("\nOrigin: ");
        let (text, cause) = match (origin, split) {
            (Some(_), Some((head, cause))) if !chained => {
                (head.to_string(), Some(cause.to_string()))
            }
            _ => (text.clone(), None),
        };
        let mut block = format!("[ERROR]: {text}\n");
        if let Some(o) = origin {
            // A text with a chain of causes carries each one's origin,
            // the task's among them.
            if !chained {
                block.push_str(&self.sources.block(o));
            }
            block.push('\n');
        }
        if let Some(cause) = cause {
            let caused_by = crate::modules::CAUSED_BY.trim_start_matches('\n');
            block.push_str(&format!("{caused_by}{cause}\n"));
        }
        // Ansible's display shows the same error (text and origin) once.
        if !self.errors_seen.insert(block.clone()) {
            return;
        }
        self.write_c(&block, color::ERROR, self.failed_stderr);
    }

    fn recap(&mut self, stats: &[(String, HostStats)]) {
        self.banner("PLAY RECAP");
        for (h, s) in stats {
            let cols = [
                ("ok", s.ok, Some(color::OK)),
                ("changed", s.changed, Some(color::CHANGED)),
                ("unreachable", s.unreachable, Some(color::UNREACHABLE)),
                ("failed", s.failed, Some(color::ERROR)),
                ("skipped", s.skipped, Some(color::SKIP)),
                ("rescued", s.rescued, Some(color::OK)),
                ("ignored", s.ignored, Some(color::WARN)),
            ];
            let plain: Vec<String> = cols.iter().map(|(n, v, _)| col(n, *v)).collect();
            // Ansible's hostcolor and colorize: the host by its worst
            // result, each non-zero counter in its colour.
            let host_code = if s.failed > 0 || s.unreachable > 0 {
                color::ERROR
            } else if s.changed > 0 {
                color::CHANGED
            } else {
                color::OK
            };
            let painted: Vec<String> = cols
                .iter()
                .map(|(n, v, c)| match c {
                    Some(c) if *v != 0 => paint(&col(n, *v), c),
                    _ => col(n, *v),
                })
                .collect();
            let text = format!("{h:<26} : {}\n", plain.join(" "));
            // The host is padded as its painted text (11 more characters).
            let host = paint(h, host_code);
            let p = format!("{host:<37} : {}\n", painted.join(" "));
            self.shown.chunks.push(Chunk {
                text,
                stderr: false,
                painted: Some(p),
            });
        }
        self.line("");
    }
}

impl Screen {
    /// The CUSTOM STATS block: each host's stats (hosts sorted), then the
    /// run-wide ones, each dumped as one line (Ansible dumps them indented
    /// by one and drops the line ends).
    fn show_custom_stats(&mut self) {
        if !self.show_custom_stats || self.custom_stats.is_empty() {
            return;
        }
        self.banner("CUSTOM STATS:");
        let custom = std::mem::take(&mut self.custom_stats);
        let format = self.format;
        let one_line = |v: &Json| -> String {
            let mut v = v.clone();
            // Ansible's _dump_results drops these keys of any result.
            if let Json::Object(m) = &mut v {
                m.retain(|k, _| {
                    !k.starts_with("_ansible_")
                        && !matches!(
                            k.as_str(),
                            "invocation" | "diff" | "exception" | "warnings" | "deprecations"
                        )
                });
            }
            format.dump_indented(&v, Some(1)).replace('\n', "")
        };
        let mut hosts: Vec<&String> = custom.keys().filter(|k| *k != "_run").collect();
        hosts.sort();
        for h in hosts {
            let line = format!("\t{h}: {}", one_line(&custom[h]));
            self.line(&line);
        }
        if let Some(run) = custom.get("_run") {
            self.line("");
            let line = format!("\tRUN: {}", one_line(run));
            self.line(&line);
        }
        self.line("");
    }
}

/// `include_tasks`/`include_role` are shown as `included:` lines.
fn is_include(action: &str) -> bool {
    matches!(action, "include_tasks" | "include_role")
}

/// The colour of a host's result line.
pub(super) fn status_color(s: Status) -> &'static str {
    match s {
        Status::Ok => color::OK,
        Status::Changed => color::CHANGED,
        Status::Skipped => color::SKIP,
        Status::Failed => color::ERROR,
        Status::Unreachable => color::UNREACHABLE,
    }
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
    color: bool,
}

impl<W: Write + Send> DefaultText<W> {
    pub fn new(out: W, verbosity: u8) -> Self {
        DefaultText {
            out,
            screen: Screen::new(verbosity),
            color: false,
        }
    }

    /// Writes Ansible's colours.
    pub fn with_color(mut self, on: bool) -> Self {
        self.color = on;
        self
    }

    /// Follows the layout of stdout callback `c`.
    pub fn with_callback(mut self, c: super::Callback) -> Self {
        self.screen = std::mem::replace(&mut self.screen, Screen::new(0)).with_callback(c);
        self
    }
}

impl<W: Write + Send> Sink for DefaultText<W> {
    fn emit(&mut self, e: &Event, _: &Shown) {
        let shown = self.screen.render(e);
        // Output errors (a closed pipe) must not stop the run.
        let _ = self.out.write_all(shown.part(false, self.color).as_bytes());
        let _ = self.out.flush();
        let _ = std::io::stderr().write_all(shown.part(true, self.color).as_bytes());
    }
}

impl Screen {
    fn show(&mut self, e: &Event) {
        match e {
            Event::PlaybookStart { path } => {
                // ansible-playbook names the playbook file from -vv on.
                if self.verbosity > 1 {
                    let base = std::path::Path::new(path)
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_else(|| path.clone());
                    self.banner(&format!("PLAYBOOK: {base}"));
                }
                if self.check_markers {
                    self.banner("DRY RUN");
                }
            }
            Event::PlayStart { name, .. } => {
                self.pending = None;
                self.lazy.clear();
                self.last_banner = None;
                self.banner(&format!("PLAY [{name}]{}", self.mark()))
            }
            Event::NoHostsMatched => self.line_c("skipping: no hosts matched", color::SKIP),
            Event::NoMoreHosts => self.banner("NO MORE HOSTS LEFT"),
            Event::TaskStart {
                name,
                handler,
                lazy,
                origin,
                ..
            } => {
                if *lazy {
                    self.lazy.insert(name.clone(), *handler);
                    return;
                }
                self.last_banner = Some(name.clone());
                self.pending = None;
                if *handler {
                    self.banner(&format!("RUNNING HANDLER [{name}]{}", self.mark()))
                } else {
                    self.banner(&format!("TASK [{name}]{}", self.mark()))
                }
                if self.verbosity >= 2
                    && let Some(o) = origin
                {
                    self.line_c(&format!("task path: {}:{}", o.file, o.line), color::DEBUG);
                }
                if !(self.ok_hosts && self.skipped_hosts) {
                    // Held back until a result under it is shown.
                    self.pending = Some(std::mem::take(&mut self.shown.chunks));
                }
            }
            Event::Included { .. } if !self.included_hosts => {}
            Event::Included { file, hosts, item } => {
                let hosts = hosts.join(", ");
                match item {
                    Some(i) => self.line_c(
                        &format!("included: {file} for {hosts} => (item={})", label(i)),
                        color::INCLUDED,
                    ),
                    None => self.line_c(&format!("included: {file} for {hosts}"), color::INCLUDED),
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
                // ansible-core's default callback shows the result from
                // -vvv on (checked with 2.21's ansible-playbook).
                if self.verbosity > 2 {
                    l = format!("{l}Result was: {}", self.dump(result, ""));
                }
                self.line_c(&l, color::DEBUG);
            }
            Event::AsyncPoll { host, jid, result } => {
                // Python's str() of the flags.
                let flag = |k: &str| match result.get(k) {
                    Some(Json::Bool(true)) => "True".to_string(),
                    Some(Json::Bool(false)) => "False".to_string(),
                    Some(Json::Null) | None => "None".to_string(),
                    Some(other) => other.to_string(),
                };
                self.line_c(
                    &format!(
                        "ASYNC POLL on {host}: jid={jid} started={} finished={}",
                        flag("started"),
                        flag("finished")
                    ),
                    color::DEBUG,
                );
            }
            Event::AsyncDone {
                host, jid, failed, ..
            } => {
                let word = if *failed { "FAILED" } else { "OK" };
                self.line_c(&format!("ASYNC {word} on {host}: jid={jid}"), color::DEBUG);
            }
            Event::Warning(w) => self.warn_once(&format!("[WARNING]: {w}\n")),
            Event::Verbose(v) | Event::Preamble(v) => self.line_c(v, color::VERBOSE),
            Event::Notify { host, handler } => {
                if self.verbosity > 1 {
                    self.line_c(
                        &format!("NOTIFIED HANDLER {handler} for {host}"),
                        color::VERBOSE,
                    );
                }
            }
            Event::Display(text) => self.line(text),
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
                error_detail,
            } => {
                let visible = match status {
                    Status::Ok => self.ok_hosts,
                    Status::Skipped => self.skipped_hosts,
                    _ => true,
                };
                if !visible {
                    return;
                }
                self.ensure_banner();
                self.lazy_banner(task);
                // A censored item must not leak through its label either.
                let l = if result.get("censored").is_some() {
                    "(censored due to no_log)".to_string()
                } else {
                    label(item)
                };
                self.warnings(result, action, None);
                // Ansible names a skipped host without its delegate.
                let plain = host.to_string();
                let host = &host_label(host, result);
                self.diff(
                    result,
                    *diff && matches!(status, Status::Ok | Status::Changed),
                );
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
                    Status::Skipped => format!("skipping: [{plain}] => (item={l}) "),
                    Status::Failed => {
                        if result.get("exception").is_some() {
                            self.error_block(
                                result,
                                error_detail.as_deref(),
                                origin.as_ref(),
                                *controller,
                            );
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
                let to_stderr =
                    self.failed_stderr && matches!(status, Status::Failed | Status::Unreachable);
                self.write_c(&format!("{line}\n"), status_color(*status), to_stderr);
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
                let visible = match status {
                    Status::Skipped => self.skipped_hosts,
                    Status::Ok if !is_include(action) => self.ok_hosts,
                    _ => true,
                };
                if !visible {
                    return;
                }
                self.ensure_banner();
                let quiet = matches!(status, Status::Ok | Status::Changed)
                    && (*looped || is_include(action));
                if !quiet {
                    self.lazy_banner(task);
                }
                // A loop's warnings were printed with its items.
                if !*looped {
                    self.warnings(result, action, origin.as_ref());
                }
                // Ansible names a skipped host without its delegate.
                let plain = host.to_string();
                let host = &host_label(host, result);
                if !*looped {
                    self.diff(
                        result,
                        *diff && matches!(status, Status::Ok | Status::Changed),
                    );
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
                        // show_task_path_on_failure (-vv shows it anyway,
                        // under the banner).
                        if self.task_path_on_failure
                            && self.verbosity < 2
                            && !*looped
                            && let Some(o) = origin
                        {
                            self.line_c(&format!("task path: {}:{}", o.file, o.line), color::DEBUG);
                        }
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
                        let mut l = format!("skipping: [{plain}]");
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
                let to_stderr =
                    self.failed_stderr && matches!(status, Status::Failed | Status::Unreachable);
                self.write_c(&format!("{line}\n"), status_color(*status), to_stderr);
                if *ignored {
                    self.line_c("...ignoring", color::SKIP);
                }
            }
            Event::CustomStats(m) => self.custom_stats = m.clone(),
            // The default callback shows no per-host start.
            Event::HostStart { .. } => {}
            Event::Stats(stats) => {
                self.pending = None;
                self.recap(stats);
                self.show_custom_stats();
                if self.check_markers {
                    self.banner("DRY RUN");
                }
            }
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
