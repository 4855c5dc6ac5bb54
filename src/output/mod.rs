// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! What a run reports: one event bus, many sinks (Ansible's default text
//! output today; JSON events and progress bars plug in the same way), so the
//! outputs can never disagree.

pub mod artifacts;
pub mod awx;
mod compact;
mod default;
pub mod diff;
pub mod events;
pub mod json;
pub mod logfile;
mod origin;
mod posix_json;
pub mod progress;
mod redact;
pub mod result_format;
pub mod timing;
pub mod trace;

use serde_json::Value as Json;
use std::sync::{Arc, Mutex, RwLock};

pub use default::{Chunk, DefaultText, Screen, Shown};
pub use redact::Redact;

/// Ansible's `Origin:` block for `span` (the place and the source lines
/// up to it, a caret under the column), for messages built outside the
/// screen.
pub fn origin_block(span: &crate::span::Span) -> String {
    origin::Sources::default().block(span)
}

/// Ansible's text for an error with causes: the error (if it is not its
/// own first cause), then each cause with the place it comes from, joined
/// by "<<< caused by >>>".
pub fn error_chain(head: Option<&str>, links: &[(&str, &crate::span::Span)]) -> String {
    let mut out = head.map(|h| format!("{h}\n\n")).unwrap_or_default();
    // The task's own link and a cause from the same place (a task written
    // on its action's line) are told as one ("Task failed: X failed."),
    // under that place once; other causes keep their own lines.
    let mut merged: Vec<(String, &crate::span::Span)> = Vec::new();
    for (text, span) in links {
        match merged.last_mut() {
            Some((prev, at)) if **at == **span && prev.starts_with("Task failed") => {
                *prev = format!("{}: {text}", prev.trim_end_matches('.'));
            }
            _ => merged.push((text.to_string(), span)),
        }
    }
    let causes: Vec<String> = merged
        .iter()
        .map(|(text, span)| format!("{text}\n{}", origin_block(span)))
        .collect();
    out.push_str(&causes.join("\n<<< caused by >>>\n\n"));
    out.trim_end_matches('\n').to_string()
}

/// The width of Ansible's display (its `columns`): the terminal's width
/// less one when stdout is a terminal, never under 79 (the width of every
/// banner when stdout is a pipe or a file).
pub fn columns() -> usize {
    let width = console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
        .unwrap_or(0);
    width.saturating_sub(1).max(79)
}

/// The stdout callbacks kiln renders (`stdout_callback` in ansible.cfg,
/// `ANSIBLE_STDOUT_CALLBACK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Callback {
    #[default]
    Default,
    Minimal,
    Oneline,
    /// `ansible.posix.json`: one JSON document at the end.
    Json,
}

impl Callback {
    /// The callback a name selects, written short or as an FQCN.
    pub fn from_name(name: &str) -> Option<Callback> {
        match name.strip_prefix("ansible.builtin.").unwrap_or(name) {
            "default" => Some(Callback::Default),
            "minimal" => Some(Callback::Minimal),
            "oneline" => Some(Callback::Oneline),
            // ansible-core routes the short `json` to ansible.posix.json
            // (installed with the ansible package).
            "json" | "ansible.posix.json" => Some(Callback::Json),
            _ => None,
        }
    }

    /// ansible-core 2.21's error for a stdout callback it cannot load: the
    /// `yaml` callback was removed from community.general (its routing
    /// still names it), anything else is unknown.
    pub fn load_error(name: &str) -> String {
        match name.strip_prefix("ansible.builtin.").unwrap_or(name) {
            "yaml" | "community.general.yaml" => "The 'community.general.yaml' callback plugin has been removed. \
                 The plugin has been superseded by the option `result_format=yaml` in callback plugin \
                 ansible.builtin.default from ansible-core 2.13 onwards. \
                 This feature was removed from collection 'community.general' version 12.0.0."
                .to_string(),
            _ => format!("Could not load '{name}' callback plugin."),
        }
    }
}

/// How a task ended on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Changed,
    Failed,
    Skipped,
    Unreachable,
}

/// Per-host counters of `PLAY RECAP`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HostStats {
    pub ok: u32,
    pub changed: u32,
    pub unreachable: u32,
    pub failed: u32,
    pub skipped: u32,
    pub rescued: u32,
    pub ignored: u32,
}

#[derive(Debug, Clone)]
pub enum Event {
    PlaybookStart {
        path: String,
    },
    PlayStart {
        name: String,
        /// The play's `hosts:` pattern, as templated.
        pattern: String,
        /// How many tasks the play has as written (includes may add more);
        /// the progress display's total.
        tasks: usize,
        /// Where the play is written.
        origin: Option<crate::span::Span>,
    },
    /// The play's pattern matched no host.
    NoHostsMatched,
    /// Every host of the play failed; the rest of the play is skipped.
    NoMoreHosts,
    TaskStart {
        name: String,
        action: String,
        /// A handler (`RUNNING HANDLER [...]`).
        handler: bool,
        /// Where the task is written (`task_path` of the events).
        origin: Option<crate::span::Span>,
        /// Under the free strategies hosts start tasks at their own pace:
        /// the banner waits for a result of the task (as Ansible's default
        /// callback does), and comes again when results of tasks mix.
        lazy: bool,
    },
    /// Hosts included a task file (`included: FILE for HOSTS`), for a loop
    /// item when the include loops.
    Included {
        file: String,
        hosts: Vec<String>,
        item: Option<Json>,
    },
    /// A host takes the running task up (it has a fork): ansible-runner's
    /// `runner_on_start`. Meta tasks have none.
    HostStart {
        host: String,
    },
    /// An `until` loop failed an attempt and tries again.
    Retry {
        host: String,
        task: String,
        retries_left: i64,
        result: Json,
    },
    /// A poll found an async job still running.
    AsyncPoll {
        host: String,
        jid: String,
        result: Json,
    },
    /// The controller stopped polling an async job (`poll` > 0): it
    /// finished, or failed or ran out of time (Ansible's
    /// `runner_on_async_ok` / `runner_on_async_failed`, shown before the
    /// host's result).
    AsyncDone {
        host: String,
        jid: String,
        failed: bool,
        result: Json,
    },
    /// One host's result of a task (a loop's summary for looped tasks).
    HostResult {
        host: String,
        task: String,
        action: String,
        status: Status,
        /// Failed, but `ignore_errors` let the host go on.
        ignored: bool,
        result: Json,
        /// Whether the task looped (its items were reported one by one).
        looped: bool,
        /// Where the task is written (for the `Origin:` of error messages).
        origin: Option<crate::span::Span>,
        /// The action runs on the controller (Ansible's "Action failed")
        /// rather than as a module on the host ("Module failed").
        controller: bool,
        /// A longer explanation of a failure than the result's `msg`.
        error_detail: Option<String>,
        /// When the host started the task (events' `start`, `--timing`).
        started: Option<chrono::DateTime<chrono::Utc>>,
        /// Diffs of this task are shown (`--diff`, or the task's `diff`).
        diff: bool,
    },
    /// One loop item's result.
    ItemResult {
        host: String,
        task: String,
        action: String,
        status: Status,
        result: Json,
        label: Json,
        /// Diffs of this task are shown (`--diff`, or the task's `diff`).
        diff: bool,
        /// Where the task is written, for a failed item's `[ERROR]` block.
        origin: Option<crate::span::Span>,
        /// The action runs on the controller (its failures are "Action
        /// failed", not "Module failed").
        controller: bool,
        /// A failed item's own message for its `[ERROR]` block when
        /// no_log censored the result shown after it.
        error_detail: Option<String>,
    },
    /// A handler was notified on a host: when a flush takes the host's
    /// saved notifications (or at once while handlers run), once per
    /// handler not already notified there (`playbook_on_notify`).
    Notify {
        host: String,
        handler: String,
    },
    Warning(String),
    /// What ansible-playbook prints before its stdout callback loads: the
    /// `-vv` version block and the `-v` "Using ... as config file" line.
    /// Shown as verbose text; event streams see bare lines.
    Preamble(String),
    /// A `-vv` message (`display.vv`) shown outside any callback: "N plays
    /// in", "META: ...", saved notifications, the callbacks passed over.
    Verbose(String),
    /// A line an action prints on stdout as it runs (`pause`).
    Display(String),
    /// The custom stats `set_stats` set: per host name, and `_run` for
    /// the run-wide ones. Comes just before `Stats`, when there are any.
    CustomStats(serde_json::Map<String, Json>),
    /// The play recap, hosts in the order they were first seen.
    Stats(Vec<(String, HostStats)>),
}

/// Something that shows or stores events. `shown` is the text the screen
/// printed for the event (empty when the bus has no screen).
pub trait Sink: Send {
    fn emit(&mut self, e: &Event, shown: &Shown);
}

/// Delivers every event to every sink, in order; with a redactor set,
/// secrets are masked before any sink sees the event.
#[derive(Default)]
pub struct Bus {
    sinks: Mutex<Vec<Box<dyn Sink>>>,
    redactor: RwLock<Option<Arc<dyn Redact>>>,
    screen: Mutex<Option<Screen>>,
}

impl Bus {
    pub fn new() -> Self {
        Bus::default()
    }

    pub fn add(&self, sink: Box<dyn Sink>) {
        if let Ok(mut s) = self.sinks.lock() {
            s.push(sink);
        }
    }

    /// Renders every event once with `screen`; each sink gets that text.
    pub fn set_screen(&self, screen: Screen) {
        if let Ok(mut slot) = self.screen.lock() {
            *slot = Some(screen);
        }
    }

    /// Masks the secrets `r` knows in every event from now on.
    pub fn set_redactor(&self, r: Arc<dyn Redact>) {
        if let Ok(mut slot) = self.redactor.write() {
            *slot = Some(r);
        }
    }

    pub fn emit(&self, mut e: Event) {
        if let Some(r) = self.redactor.read().ok().and_then(|r| r.clone())
            && !r.knows_none()
        {
            redact::event(r.as_ref(), &mut e);
        }
        // Rendered after redaction, so no sink can show a secret.
        let shown = match self.screen.lock() {
            Ok(mut s) => s.as_mut().map(|s| s.render(&e)).unwrap_or_default(),
            Err(_) => Shown::default(),
        };
        if let Ok(mut sinks) = self.sinks.lock() {
            for s in sinks.iter_mut() {
                s.emit(&e, &shown);
            }
        }
    }
}

/// Collects events in memory (tests, library users).
#[derive(Clone, Default)]
pub struct Recorder(pub std::sync::Arc<Mutex<Vec<Event>>>);

impl Sink for Recorder {
    fn emit(&mut self, e: &Event, _: &Shown) {
        if let Ok(mut v) = self.0.lock() {
            v.push(e.clone());
        }
    }
}

impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}
