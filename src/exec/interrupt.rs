// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Stopping a run on Ctrl-C (SIGINT) or SIGTERM. The first signal stops the
//! run from starting anything new: host tasks already running finish (their
//! writes are temp file + rename, so a file is either old or new), no
//! further task, handler or play starts, and the recap is printed. A second
//! signal also stops the host tasks still running (their sessions are
//! closed). The binary listens for the signals; the executor only asks.

use std::sync::atomic::{AtomicI32, Ordering};
use tokio::sync::watch;

/// ansible-playbook's exit code when the user interrupts it (ExitCode.KEYBOARD_INTERRUPT).
pub const EXIT_INTERRUPTED: i32 = 99;

/// The run's interruption state, shared by the signal listener and the
/// executor.
#[derive(Debug)]
pub struct Interrupt {
    /// 0: running; 1: stop starting work; 2: stop running work too.
    level: watch::Sender<u8>,
    /// The first signal received (its number), 0 for none.
    signal: AtomicI32,
}

impl Default for Interrupt {
    fn default() -> Self {
        Interrupt {
            level: watch::Sender::new(0),
            signal: AtomicI32::new(0),
        }
    }
}

impl Interrupt {
    /// A signal arrived: each one raises the level by one.
    pub fn raise(&self, signal: i32) {
        let _ = self
            .signal
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        self.level.send_modify(|l| *l = (*l + 1).min(2));
    }

    /// Whether nothing new may start.
    pub fn stopping(&self) -> bool {
        *self.level.borrow() >= 1
    }

    /// Resolves when running work must stop too (never, if it need not).
    pub async fn aborted(&self) {
        let mut rx = self.level.subscribe();
        let _ = rx.wait_for(|l| *l >= 2).await;
    }

    /// The first signal received, if any.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    /// The exit code of an interrupted run: Ansible's 99 for SIGINT; for
    /// SIGTERM ansible-playbook dies of the signal, which a shell shows as
    /// 128 + 15 (kiln exits with that code rather than killing itself).
    pub fn exit_code(&self) -> Option<i32> {
        match self.signal()? {
            2 => Some(EXIT_INTERRUPTED),
            s => Some(128 + s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_second_signal_aborts_running_work() {
        let i = std::sync::Arc::new(Interrupt::default());
        assert!(!i.stopping() && i.exit_code().is_none());
        let waiter = {
            let i = i.clone();
            tokio::spawn(async move { i.aborted().await })
        };
        i.raise(2);
        assert!(i.stopping());
        assert!(!waiter.is_finished());
        i.raise(15);
        waiter.await.unwrap_or_else(|e| panic!("waiter: {e}"));
        // The first signal decides the exit code.
        assert_eq!(i.exit_code(), Some(EXIT_INTERRUPTED));
        let t = Interrupt::default();
        t.raise(15);
        assert_eq!(t.exit_code(), Some(143));
    }
}
