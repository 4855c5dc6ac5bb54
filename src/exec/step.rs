// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `--step`: before each task (once per task under the linear strategy,
//! per host under the free ones), ask `Perform task: TASK: name
//! (N)o/(y)es/(c)ontinue:`. `y` runs the task, `c` runs it and stops
//! asking, anything else skips it for every host, with no output at all.
//!
//! Like ansible-playbook, the question is written on stdout and the answer
//! read from stdin, terminal or not (answers can be piped in); when stdin
//! ends before an answer the run stops with exit code 250, as Ansible's
//! does (its `input()` raises EOFError).

use super::Runner;
use crate::output::Event;
use std::io::{BufRead, Write};
use std::sync::atomic::Ordering;

/// What the user said for one task.
pub(super) enum Answer {
    Run,
    Skip,
}

impl Runner {
    /// Asks whether to run `shown` (`TASK: name` or `HANDLER: name`), on
    /// `host` under the free strategies. `Run` when `--step` is off.
    pub(super) fn step(&self, shown: &str, host: Option<&str>) -> Answer {
        if self.step_aborted.load(Ordering::SeqCst) {
            return Answer::Skip;
        }
        if !self.step_on.load(Ordering::SeqCst) {
            return Answer::Run;
        }
        let mut msg = format!("Perform task: {shown} ");
        if let Some(h) = host {
            msg.push_str(&format!("on {h} "));
        }
        msg.push_str("(N)o/(y)es/(c)ontinue: ");
        let mut out = std::io::stdout();
        let _ = write!(out, "{msg}");
        let _ = out.flush();
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line);
        if !matches!(read, Ok(n) if n > 0) {
            // No answer can come: Ansible's run ends here with an error.
            self.step_aborted.store(true, Ordering::SeqCst);
            let _ = writeln!(out);
            let _ = out.flush();
            // Part of the terminal dialogue, like the prompt itself: said
            // where the question was asked, not as an event.
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "[ERROR]: --step: no answer to '{}' (end of input)",
                    msg.trim_end()
                );
            }
            return Answer::Skip;
        }
        let answer = line.trim_end_matches(['\n', '\r']).to_lowercase();
        let run = match answer.as_str() {
            "y" | "yes" => Answer::Run,
            "c" | "continue" => {
                self.step_on.store(false, Ordering::SeqCst);
                Answer::Run
            }
            _ => Answer::Skip,
        };
        // Ansible then shows the question again as a banner.
        let text = msg.trim();
        let stars = 79usize.saturating_sub(text.chars().count()).max(3);
        self.bus
            .emit(Event::Display(format!("\n{text} {}", "*".repeat(stars))));
        run
    }

    /// Whether `--step` ran out of answers (the run's exit code is 250).
    pub(super) fn step_aborted(&self) -> bool {
        self.step_aborted.load(Ordering::SeqCst)
    }
}
