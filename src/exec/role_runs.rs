// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A role used twice the same way runs once per host: Ansible lists both
//! uses, and on a host where the first one ran passes over the second's
//! tasks silently, unless the role allows duplicates.

use crate::output::Status;
use crate::playbook::Task;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// For each (host, role identity), the use of the role that ran there.
#[derive(Default)]
pub(super) struct RoleRuns {
    ran: Mutex<HashMap<(String, String), usize>>,
}

impl RoleRuns {
    /// Whether `task` belongs to a repeated use of a role that already ran
    /// on `host` (through another use).
    pub(super) fn passed_over(&self, host: &str, task: &Task) -> bool {
        let Some(r) = &task.role else {
            return false;
        };
        if r.allow_duplicates {
            return false;
        }
        let me = Arc::as_ptr(r) as usize;
        self.ran
            .lock()
            .ok()
            .and_then(|m| m.get(&(host.to_string(), r.key.clone())).copied())
            .is_some_and(|first| first != me)
    }

    /// Notes that `task` ran on `host` (a skipped task does not count, as
    /// in Ansible, where a role none of whose tasks ran can run again).
    pub(super) fn record(&self, host: &str, task: &Task, status: Status) {
        if status == Status::Skipped {
            return;
        }
        let Some(r) = &task.role else {
            return;
        };
        if let Ok(mut m) = self.ran.lock() {
            m.entry((host.to_string(), r.key.clone()))
                .or_insert(Arc::as_ptr(r) as usize);
        }
    }
}
