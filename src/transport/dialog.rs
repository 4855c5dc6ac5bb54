// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A command that holds a short conversation before it runs: privilege
//! escalation asks for a password on the command's own output streams, and
//! the answer must go to its stdin only once the question has been seen
//! (never in the command line, where `ps` would show it).

use std::time::Duration;

use super::ExecOutput;

/// What the conversation wants next, after seeing the output so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing recognised yet: wait for more output.
    Wait,
    /// Write these bytes to the command's stdin (the answer to a prompt),
    /// then keep waiting.
    Reply(Vec<u8>),
    /// The conversation is over: feed the command's real stdin and let it
    /// run to the end.
    Ready,
    /// Give up: the channel is closed and the task fails with this message
    /// (a wrong password, which would otherwise be asked for again).
    Fail(String),
}

/// The side of the conversation that knows what is asked.
pub trait Dialog: Send {
    /// Called whenever output arrives, with all of it so far.
    fn step(&mut self, stdout: &[u8], stderr: &[u8]) -> Step;
    /// How long to wait for `Ready` before failing.
    fn timeout(&self) -> Duration;
    /// The message when `timeout` passes without `Ready`.
    fn timeout_message(&self, out: &ExecOutput) -> String;
    /// How much of `stdout` (as seen at `Ready`) belonged to the
    /// conversation; the rest is the command's own output.
    fn consumed(&self, stdout: &[u8]) -> usize {
        let _ = stdout;
        0
    }
}

/// How a conversation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogOutcome {
    /// The command ran (or ended during the conversation): its full output,
    /// prompts included, for the caller to interpret.
    Finished(ExecOutput),
    /// The conversation failed; the command was stopped.
    Failed { msg: String, output: ExecOutput },
}
