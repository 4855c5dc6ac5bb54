// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! What a terminal user sees: the normal screen text on stdout, and below
//! it a live bar per play on stderr (tasks done of total, host results,
//! the hosts the running task still waits for and for how long, elapsed
//! time). The bar is cleared before each write to stdout and drawn
//! again after, so it never garbles the text.

use super::timing::Timing;
use super::{Event, Shown, Sink, Status};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;

/// Counts of the current play shown on the bar.
#[derive(Default)]
struct Counts {
    ok: u32,
    changed: u32,
    failed: u32,
    unreachable: u32,
}

impl Counts {
    fn line(&self, task: &str) -> String {
        format!(
            "ok={} changed={} failed={} unreachable={}  {task}",
            self.ok, self.changed, self.failed, self.unreachable
        )
    }
}

/// The hosts the running task still waits for, read by the bar at every
/// redraw so their waiting time counts up live.
#[derive(Default)]
struct Waiting {
    since: Option<std::time::Instant>,
    hosts: Vec<String>,
}

impl Waiting {
    /// `  waiting 12s: h3, h7, h9 (+4)`, or nothing.
    fn text(&self) -> String {
        if self.hosts.is_empty() {
            return String::new();
        }
        let secs = self.since.map(|t| t.elapsed().as_secs()).unwrap_or(0);
        let shown: Vec<&str> = self.hosts.iter().take(3).map(String::as_str).collect();
        let more = match self.hosts.len().saturating_sub(3) {
            0 => String::new(),
            n => format!(" (+{n})"),
        };
        format!("  waiting {secs}s: {}{more}", shown.join(", "))
    }
}

/// The per-play progress bar.
pub struct Progress {
    bar: Option<ProgressBar>,
    counts: Counts,
    task: String,
    /// The play's hosts seen so far (the slowest hosts of a task are those
    /// that have not answered yet).
    hosts: Vec<String>,
    waiting: std::sync::Arc<std::sync::Mutex<Waiting>>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            bar: None,
            counts: Counts::default(),
            task: String::new(),
            hosts: Vec::new(),
            waiting: Default::default(),
        }
    }

    fn start_play(&mut self, name: &str, tasks: usize) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        let bar = ProgressBar::with_draw_target(Some(tasks as u64), ProgressDrawTarget::stderr());
        let waiting = self.waiting.clone();
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:25}] {pos}/{len} tasks  {msg}{waiting}  [{elapsed_precise}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "waiting",
            move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                if let Ok(wt) = waiting.lock() {
                    let _ = w.write_str(&wt.text());
                }
            },
        )
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("PLAY [{name}]"));
        bar.enable_steady_tick(std::time::Duration::from_millis(250));
        self.counts = Counts::default();
        self.task.clear();
        self.hosts.clear();
        if let Ok(mut w) = self.waiting.lock() {
            *w = Waiting::default();
        }
        bar.set_message(self.counts.line(""));
        super::trace::set_bar(Some(bar.clone()));
        self.bar = Some(bar);
    }

    fn observe(&mut self, e: &Event) {
        match e {
            Event::PlayStart { name, tasks, .. } => self.start_play(name, *tasks),
            Event::TaskStart { name, .. } => {
                if let Some(b) = &self.bar {
                    // The task before this one is done; includes may add
                    // tasks the count as written did not know.
                    if !self.task.is_empty() {
                        b.inc(1);
                    }
                    if b.position() >= b.length().unwrap_or(0) {
                        b.set_length(b.position() + 1);
                    }
                }
                self.task = name.clone();
                if let Ok(mut w) = self.waiting.lock() {
                    w.since = Some(std::time::Instant::now());
                    w.hosts = self.hosts.clone();
                }
            }
            Event::HostResult { host, status, .. } => {
                match status {
                    Status::Ok => self.counts.ok += 1,
                    Status::Changed => self.counts.changed += 1,
                    Status::Failed => self.counts.failed += 1,
                    Status::Unreachable => self.counts.unreachable += 1,
                    Status::Skipped => {}
                }
                if !self.hosts.contains(host) {
                    self.hosts.push(host.clone());
                }
                if let Ok(mut w) = self.waiting.lock() {
                    w.hosts.retain(|h| h != host);
                }
            }
            Event::Stats(_) => {
                super::trace::set_bar(None);
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                }
                return;
            }
            _ => {}
        }
        if let Some(b) = &self.bar {
            b.set_message(self.counts.line(&self.task));
        }
    }

    /// Runs `f` with the bar cleared from the screen.
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }
}

/// The screen: stdout text, warnings on stderr, the optional progress bar
/// and the optional `--timing` report after the recap.
pub struct Terminal {
    pub progress: Option<Progress>,
    pub timing: Option<Timing>,
    /// Ansible's colours on (a terminal, or ANSIBLE_FORCE_COLOR).
    pub color: bool,
}

impl Sink for Terminal {
    fn emit(&mut self, e: &Event, shown: &Shown) {
        if let Some(t) = &mut self.timing {
            t.observe(e);
        }
        let mut text = shown.part(false, self.color);
        if let (Event::Stats(_), Some(t)) = (e, &self.timing) {
            text.push_str(&t.report());
        }
        let err = shown.part(true, self.color);
        let write = || {
            // Output errors (a closed pipe) must not stop the run.
            if !err.is_empty() {
                let _ = std::io::stderr().write_all(err.as_bytes());
            }
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        };
        match &mut self.progress {
            Some(p) => {
                // The play's bar starts after its banner is written.
                if matches!(e, Event::Stats(_)) {
                    p.observe(e);
                    write();
                } else {
                    p.suspend(write);
                    p.observe(e);
                }
            }
            None => write(),
        }
    }
}
