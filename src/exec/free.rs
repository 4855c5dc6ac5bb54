// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `free` and `host_pinned` strategies: each host walks its own task
//! list as fast as it can, without waiting for the others at every task.
//! Under `free` the fork limit caps how many host-tasks run at once; under
//! `host_pinned` it caps how many hosts are in the section at once, each
//! keeping its slot until it is done (Ansible's meaning of both).

use super::cursor::Cursor;
use super::play::HostState;
use super::{PlayCtx, Runner};
use crate::playbook::Item;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

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

impl Runner {
    /// Runs one section with every host on its own.
    pub(super) async fn run_section_free(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        items: Arc<Vec<Item>>,
        states: &mut [HostState],
        strategy: Strategy,
    ) {
        let shared = Arc::new(Mutex::new(states.to_vec()));
        let forks = Arc::new(Semaphore::new(self.opts.forks.max(1)));
        // host_pinned: the fork limit counts hosts; each task then runs
        // without waiting for a second permit.
        let per_task = match strategy {
            Strategy::HostPinned => Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
            _ => forks.clone(),
        };
        let mut set = tokio::task::JoinSet::new();
        for (i, st) in states.iter().enumerate() {
            if *st != HostState::Running {
                continue;
            }
            let runner = self.clone();
            let ctx = ctx.clone();
            let items = items.clone();
            let shared = shared.clone();
            // host_pinned: hosts take the free slots in inventory order.
            let slot = match strategy {
                Strategy::HostPinned => forks.clone().acquire_owned().await.ok(),
                _ => None,
            };
            let per_task = per_task.clone();
            set.spawn(async move {
                let _slot = slot;
                runner.walk_host(&ctx, i, items, &shared, &per_task).await;
            });
        }
        while set.join_next().await.is_some() {}
        if let Ok(s) = shared.lock() {
            states.copy_from_slice(&s);
        }
    }

    /// One host's walk through a section.
    async fn walk_host(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        i: usize,
        items: Arc<Vec<Item>>,
        shared: &Arc<Mutex<Vec<HostState>>>,
        forks: &Arc<Semaphore>,
    ) {
        let mut cursor = Cursor::new(items);
        loop {
            if self.interrupt.stopping() {
                return;
            }
            let running = shared
                .lock()
                .map(|s| s[i] == HostState::Running)
                .unwrap_or(false);
            if !running {
                return;
            }
            let mut found = None;
            while let Some(n) = cursor.next() {
                if self.task_selected(ctx, &n.task, &ctx.hosts[i]) {
                    found = Some(n);
                    break;
                }
                cursor.advance();
            }
            let Some(next) = found else {
                if cursor.failed {
                    if let Ok(mut s) = shared.lock() {
                        s[i] = HostState::Dead;
                    }
                    self.mark_dead(&ctx.hosts[i]);
                    return;
                }
                // A host that is through the section runs its handlers
                // now, without waiting for the others.
                let mut only: Vec<HostState> = (0..ctx.hosts.len())
                    .map(|j| {
                        if j == i {
                            HostState::Running
                        } else {
                            HostState::Ended
                        }
                    })
                    .collect();
                Box::pin(self.flush_handlers(ctx, &mut only)).await;
                if only[i] != HostState::Running
                    && let Ok(mut s) = shared.lock()
                {
                    s[i] = only[i];
                }
                return;
            };
            let task = next.task.clone();
            let key = next.key.clone();
            let outcomes = self.run_group(ctx, &task, &[(i, next)], forks, false).await;
            for (k, out) in outcomes {
                // settle sees every host's state (end_play ends them all);
                // what it changes is written back.
                let before = shared.lock().map(|s| s.clone()).unwrap_or_default();
                let mut after = before.clone();
                self.settle(ctx, &task, k, out, &mut cursor, &mut after, &key)
                    .await;
                if let Ok(mut s) = shared.lock() {
                    for (j, st) in after.iter().enumerate() {
                        if *st != before[j] {
                            s[j] = *st;
                        }
                    }
                }
            }
        }
    }
}
