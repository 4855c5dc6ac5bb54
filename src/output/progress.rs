// SPDX-License-Identifier: MIT
//! What a terminal user sees: the normal screen text on stdout, and below
//! it a live bar per play on stderr (tasks done of total, host results,
//! elapsed time). The bar is cleared before each write to stdout and drawn
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

/// The per-play progress bar.
pub struct Progress {
    bar: Option<ProgressBar>,
    counts: Counts,
    task: String,
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
        }
    }

    fn start_play(&mut self, name: &str, tasks: usize) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        let bar = ProgressBar::with_draw_target(Some(tasks as u64), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:25}] {pos}/{len} tasks  {msg}  [{elapsed_precise}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("PLAY [{name}]"));
        bar.enable_steady_tick(std::time::Duration::from_millis(250));
        self.counts = Counts::default();
        self.task.clear();
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
            }
            Event::HostResult { status, .. } => match status {
                Status::Ok => self.counts.ok += 1,
                Status::Changed => self.counts.changed += 1,
                Status::Failed => self.counts.failed += 1,
                Status::Unreachable => self.counts.unreachable += 1,
                Status::Skipped => {}
            },
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
