// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Warnings raised while templating: the one channel from templates to the
//! run's output.
//!
//! Filters, tests and lookups run deep inside minijinja, which gives them no
//! handle on the run's event bus. Like Ansible's display, they just say
//! [`warn`]; who listens depends on where the render was started:
//! - inside [`capture`] (exec wraps a task's conditions and arguments in
//!   one), the warnings are handed back to the caller, which puts them in the
//!   task's result: ansible-core 2.21 captures the warnings of a task's
//!   templating into the result's `warnings`, so they are printed before the
//!   host's line, shown by the JSON callback and kept when registered;
//! - anywhere else (loop items, labels, task names...), they wait in a
//!   process-wide queue that exec drains with [`take_stray`] and prints as
//!   plain `[WARNING]`s, as Ansible's display does at once.

use std::cell::RefCell;
use std::sync::Mutex;

thread_local! {
    /// The captures open on this thread, innermost last. A render is
    /// synchronous, so a capture never spans an `await`.
    static CAPTURES: RefCell<Vec<Vec<String>>> = const { RefCell::new(Vec::new()) };
}

/// Warnings raised outside any capture, oldest first.
static STRAY: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Says `msg` as a warning of the render in progress.
pub(crate) fn warn(msg: impl Into<String>) {
    let msg = msg.into();
    let left = CAPTURES.with(|c| match c.borrow_mut().last_mut() {
        Some(top) => {
            top.push(msg);
            None
        }
        None => Some(msg),
    });
    if let Some(msg) = left
        && let Ok(mut q) = STRAY.lock()
    {
        q.push(msg);
    }
}

/// Ansible's `error_as_warning`: a message ending in a full stop followed by
/// its cause reads "message: cause".
pub(crate) fn warn_error(msg: &str, cause: &str) {
    let head = msg.strip_suffix('.').unwrap_or(msg);
    warn(format!("{head}: {cause}"));
}

/// Runs `f`, returning what it gives and the warnings its renders raised
/// (on this thread, in order).
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    CAPTURES.with(|c| c.borrow_mut().push(Vec::new()));
    // Popped by the guard even if `f` unwinds, so a later render on this
    // thread never writes into a capture nobody reads.
    struct Pop(Option<Vec<String>>);
    impl Drop for Pop {
        fn drop(&mut self) {
            if self.0.is_none() {
                CAPTURES.with(|c| c.borrow_mut().pop());
            }
        }
    }
    let mut guard = Pop(None);
    let out = f();
    let taken = CAPTURES.with(|c| c.borrow_mut().pop()).unwrap_or_default();
    guard.0 = Some(Vec::new());
    (out, taken)
}

/// The warnings raised outside any capture since the last call.
pub fn take_stray() -> Vec<String> {
    STRAY
        .lock()
        .map(|mut q| std::mem::take(&mut *q))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_gets_its_own_warnings_and_nested_ones_stay_inside() {
        let ((_, inner), outer) = capture(|| {
            warn("first");
            let r = capture(|| warn("inner"));
            warn("last");
            r
        });
        assert_eq!(inner, vec!["inner".to_string()]);
        assert_eq!(outer, vec!["first".to_string(), "last".to_string()]);
    }

    #[test]
    fn error_as_warning_joins_message_and_cause() {
        let (_, w) = capture(|| warn_error("Skipping X.", "No config definition exists for 'X'."));
        assert_eq!(w, vec!["Skipping X: No config definition exists for 'X'."]);
    }
}
