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
//!   use at its first such task; it counts as complete unless an
//!   unignored failure in it was not caught by a rescue in the role, which
//!   sends the host out of the role to an enclosing `rescue` without
//!   reaching `role_complete`. The
//!   next equal use then runs, and is the one that counts.
//! - Equal uses share one record, as they share the first cached role
//!   object in Ansible (`Play._get_cached_role`). Equality is the role's
//!   identity key (see `playbook::Role::key`).
//! - A failure is on its way out of the role until a rescue in the role
//!   catches it: `always` tasks that succeed after it (a rescue that
//!   failed, say) do not end it, so an outer rescue that catches it leaves
//!   the use incomplete, as Ansible never reached `role_complete` there.
//! - A use reached again before its own end (a role that includes an
//!   equal use of itself) runs, as Ansible, not having reached
//!   `role_complete`, runs it: the inner use names the outer one as its
//!   nearest parent role.

use crate::output::Status;
use crate::playbook::{Role, Task};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Whether `inner` was included from inside `outer` (its nearest parent is
/// `outer`'s role, above the same chain): the host is then still inside
/// `outer`, which has not reached its end, so an equal `inner` runs.
fn within(inner: &Role, outer: &Role) -> bool {
    match inner.parents.split_first() {
        Some(((name, path), rest)) => {
            *name == outer.fqcn
                && *path == outer.path.display().to_string()
                && rest == outer.parents
        }
        None => false,
    }
}

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
                .is_some_and(|ran| {
                    !Arc::ptr_eq(&ran.first, r) && !ran.left_failed && !within(r, &ran.first)
                })
        })
    }

    /// Notes that `task` ran on `host` with `status` (`ignored`: its
    /// failure or unreachability was ignored; `in_rescue`: it runs in a
    /// rescue section, which has caught the failure before it).
    pub(super) fn record(
        &self,
        host: &str,
        task: &Task,
        status: Status,
        ignored: bool,
        in_rescue: bool,
    ) {
        let Some(r) = &task.role else {
            return;
        };
        let Ok(mut m) = self.ran.lock() else {
            return;
        };
        let key = (host.to_string(), r.key.clone());
        // Skipped and unreachable tasks do not make a role count as run;
        // a skipped rescue task still means its failure was caught.
        if matches!(status, Status::Skipped | Status::Unreachable) {
            if in_rescue
                && status == Status::Skipped
                && let Some(ran) = m.get_mut(&key)
                && Arc::ptr_eq(&ran.first, r)
            {
                ran.left_failed = false;
            }
            return;
        }
        let ran = m.entry(key).or_insert(Ran {
            first: r.clone(),
            left_failed: false,
        });
        // An equal use that ran after one the host left failed is the
        // one whose end counts now.
        if ran.left_failed && !Arc::ptr_eq(&ran.first, r) {
            ran.first = r.clone();
            ran.left_failed = false;
        }
        if Arc::ptr_eq(&ran.first, r) {
            // A failure stays on its way out of the role through `always`
            // tasks that succeed; only a rescue catches it.
            if status == Status::Failed && !ignored {
                ran.left_failed = true;
            } else if in_rescue {
                ran.left_failed = false;
            }
        }
    }
}
