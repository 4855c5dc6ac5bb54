// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A role used twice the same way runs once per host: Ansible lists both
//! uses, and on a host where the first one ran passes over the second's
//! tasks silently, unless the role allows duplicates.
//!
//! How this follows ansible-core 2.21 (strategy `_process_pending_results`
//! and the implicit `role_complete` task `Role.compile` appends):
//! - A role has run on a host once one of its tasks came back ok, changed
//!   or failed there (not skipped, not unreachable: `role_ran`), and the
//!   host then reached the role's end (`role_complete`), which even a
//!   failure with `ignore_errors` or an `end_role` does. kiln notes the
//!   use at its first such task; it counts as complete unless the host's
//!   last task in it failed unignored, which sends the host out of the
//!   role to an enclosing `rescue` without reaching `role_complete`. The
//!   next equal use then runs, and is the one that counts.
//! - Equal uses share one record, as they share the first cached role
//!   object in Ansible (`Play._get_cached_role`). Equality is the role's
//!   identity key (see `playbook::Role::key`).
//! - Where it is not exact: a use reached again before its own end (a role
//!   that imports an equal use of itself) is passed over in kiln, while
//!   Ansible, not having reached `role_complete`, runs it; and a failure
//!   caught by a `rescue` inside the role whose `always` then ends the
//!   role's block failed, but an outer rescue catches it, counts as
//!   complete in kiln and not in Ansible. Both need a role to recurse into
//!   itself or three nested error handlers around one role.

use crate::output::Status;
use crate::playbook::{Role, Task};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The use of a role that ran on a host, and whether the host left it
/// through an unignored failure (never reaching the role's end). The use
/// is held, not just its address: a use an `include_role` made is freed
/// when its tasks are done, and the next include's could reuse the address.
struct Ran {
    first: Arc<Role>,
    left_failed: bool,
}

/// For each (host, role identity), the use of the role that ran there.
#[derive(Default)]
pub(super) struct RoleRuns {
    ran: Mutex<HashMap<(String, String), Ran>>,
}

impl RoleRuns {
    /// Whether `task` belongs to a repeated use of a role that already ran
    /// on `host` (through another use, to its end).
    pub(super) fn passed_over(&self, host: &str, task: &Task) -> bool {
        let Some(r) = &task.role else {
            return false;
        };
        if r.allow_duplicates {
            return false;
        }
        self.ran.lock().ok().is_some_and(|m| {
            m.get(&(host.to_string(), r.key.clone()))
                .is_some_and(|ran| !Arc::ptr_eq(&ran.first, r) && !ran.left_failed)
        })
    }

    /// Notes that `task` ran on `host` with `status` (`ignored`: its
    /// failure or unreachability was ignored).
    pub(super) fn record(&self, host: &str, task: &Task, status: Status, ignored: bool) {
        // Skipped and unreachable tasks do not make a role count as run.
        if matches!(status, Status::Skipped | Status::Unreachable) {
            return;
        }
        let Some(r) = &task.role else {
            return;
        };
        if let Ok(mut m) = self.ran.lock() {
            let ran = m.entry((host.to_string(), r.key.clone())).or_insert(Ran {
                first: r.clone(),
                left_failed: false,
            });
            // An equal use that ran after one the host left failed is the
            // one whose end counts now.
            if ran.left_failed && !Arc::ptr_eq(&ran.first, r) {
                ran.first = r.clone();
            }
            if Arc::ptr_eq(&ran.first, r) {
                ran.left_failed = status == Status::Failed && !ignored;
            }
        }
    }
}
