// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The play's strategy. `linear` runs each task on every host before the
//! next; under `free` and `host_pinned` each host walks its own task list
//! as fast as it can, without waiting for the others at every task. Under
//! `free` the fork limit caps how many host-tasks run at once; under
//! `host_pinned` it caps how many hosts are in the section at once, each
//! keeping its slot until it is done (Ansible's meaning of both). All three
//! run in section.rs's one loop.

use super::Runner;
use std::sync::Arc;

/// Which strategy a play runs with (the plan's own type).
pub(super) use crate::plan::Strategy;

impl Strategy {
    /// The play's `strategy` keyword (templated), else `linear`.
    pub(super) fn of(
        runner: &Runner,
        play: &crate::playbook::Play,
        play_vars: &Arc<crate::vars::Layer>,
    ) -> Strategy {
        let Some(n) = &play.strategy else {
            return Strategy::Linear;
        };
        let scope = runner.play_scope(play_vars);
        let name = match scope.render_json(n) {
            Ok(serde_json::Value::String(s)) => s,
            _ => return Strategy::Linear,
        };
        Strategy::named(&name)
    }
}
