// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! One section (pre_tasks, roles and tasks, post_tasks) under every
//! strategy, in one ready-set loop:
//!
//! 1. every idle host's cursor gives its next task (the frontier);
//! 2. the strategy picks what may start: under `linear`, once nothing is
//!    in flight, the hosts whose next task has the smallest key (a host in
//!    `rescue` waits while the others finish the block); under `free`, every
//!    idle host; under `host_pinned`, every idle host holding one of the
//!    fork slots, which hosts take in inventory order and keep until they
//!    are through the section;
//! 3. `run_group` appends the nodes to the walk and dispatches them from
//!    its ready set under the fork limit;
//! 4. the loop waits for the next job to end and settles it.
//!
//! Why the free strategies settle inside their job while linear settles in
//! the loop: a free host's `meta: flush_handlers` (and its end-of-section
//! flush) must not hold the other hosts, which go on as they would under
//! Ansible; a linear group is settled in inventory order once every host
//! of it is done, which is what fixes linear's output order.

use super::cursor::{Cursor, Failure, Key, Next};
use super::free::Strategy;
use super::play::HostState;
use super::task::HostOutcome;
use super::{PlayCtx, Runner};
use crate::output::{Event, Status};
use crate::playbook::{Item, Task};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

/// The hosts' states, shared with the jobs that settle themselves.
type States = Arc<Mutex<Vec<HostState>>>;

/// Where a host is in the section.
enum Seat {
    /// Waiting for its next task to be dispatched; holds its cursor.
    Idle(Cursor),
    /// Its job (a task, or its handler flush) runs; the job holds the
    /// cursor.
    Busy,
    /// Done with the section.
    Through,
}

/// What a job hands back to the loop.
enum Done {
    /// A lockstep group ran `task`: the loop settles every outcome.
    Group {
        task: Arc<Task>,
        key: Key,
        outs: Vec<(usize, HostOutcome)>,
    },
    /// One host ran its next task and settled it; its cursor comes back.
    Host { i: usize, cursor: Cursor },
    /// One host through the section has flushed its handlers.
    Flushed { i: usize },
}

impl Runner {
    /// Runs one section on the batch's hosts.
    pub(super) async fn run_section(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        items: Arc<Vec<Item>>,
        states: &mut [HostState],
    ) {
        let strategy = ctx.strategy;
        let shared: States = Arc::new(Mutex::new(states.to_vec()));
        let forks = Arc::new(Semaphore::new(self.opts.forks.max(1)));
        // host_pinned: the fork limit counts hosts (their pins); each task
        // then runs without waiting for a second permit.
        let per_task = match strategy {
            Strategy::HostPinned => Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
            _ => forks.clone(),
        };
        let mut seats: Vec<Seat> = ctx
            .hosts
            .iter()
            .map(|_| Seat::Idle(Cursor::new(items.clone())))
            .collect();
        let mut pins: Vec<Option<OwnedSemaphorePermit>> = ctx.hosts.iter().map(|_| None).collect();
        let mut jobs: JoinSet<Done> = JoinSet::new();
        // Set when linear's checks end the section early.
        let mut closed = false;
        loop {
            if !closed && !self.interrupt.stopping() {
                if strategy.lockstep() {
                    if jobs.is_empty() {
                        self.dispatch_lockstep(ctx, &mut seats, &shared, &forks, &mut jobs);
                    }
                } else {
                    self.dispatch_free(
                        ctx, &mut seats, &mut pins, &forks, &per_task, &shared, &mut jobs,
                    );
                }
            }
            let Some(joined) = jobs.join_next().await else {
                break;
            };
            match joined {
                Ok(Done::Group { task, key, outs }) => {
                    closed = self
                        .settle_lockstep(ctx, &task, &key, outs, &mut seats, &shared)
                        .await;
                }
                Ok(Done::Host { i, cursor }) => seats[i] = Seat::Idle(cursor),
                Ok(Done::Flushed { i }) => {
                    seats[i] = Seat::Through;
                    pins[i] = None;
                }
                // A job that panicked or was cancelled leaves its host
                // out of the rest of the section.
                Err(_) => {}
            }
        }
        if let Ok(s) = shared.lock() {
            states.copy_from_slice(&s);
        }
    }

    /// A live host's next selected task (tasks deselected by tags are
    /// passed over silently). `None` when its cursor is through; a host
    /// that ended failed is marked dead.
    fn next_of(
        &self,
        ctx: &PlayCtx,
        i: usize,
        cursor: &mut Cursor,
        st: &mut [HostState],
    ) -> Option<Next> {
        if let Some(n) = self.peek_next(ctx, i, cursor) {
            return Some(n);
        }
        if cursor.failed {
            st[i] = HostState::Dead;
            self.mark_dead(&ctx.hosts[i]);
        }
        None
    }

    /// linear: the frontier's smallest key, run together by every host
    /// whose next task has it.
    fn dispatch_lockstep(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        seats: &mut [Seat],
        shared: &States,
        forks: &Arc<Semaphore>,
        jobs: &mut JoinSet<Done>,
    ) {
        let mut st = snapshot(shared);
        let mut nexts: Vec<(usize, Next)> = Vec::new();
        for (i, seat) in seats.iter_mut().enumerate() {
            if st[i] != HostState::Running {
                continue;
            }
            if let Seat::Idle(c) = seat
                && let Some(n) = self.next_of(ctx, i, c, &mut st)
            {
                nexts.push((i, n));
            }
        }
        write_back(shared, &st);
        let Some(min) = nexts.iter().map(|(_, n)| n.key.clone()).min() else {
            return;
        };
        let group: Vec<(usize, Next)> = nexts.into_iter().filter(|(_, n)| n.key == min).collect();
        let Some(task) = group.first().map(|(_, n)| n.task.clone()) else {
            return;
        };
        let ahead: Vec<usize> = if super::prepare::writes_vars(&task) {
            Vec::new()
        } else {
            group.iter().map(|(i, _)| *i).collect()
        };
        let runner = self.clone();
        let job_ctx = ctx.clone();
        let forks = forks.clone();
        jobs.spawn(async move {
            let outs = runner
                .run_group(&job_ctx, &task, &group, &forks, false)
                .await;
            Done::Group {
                task,
                key: min,
                outs,
            }
        });
        // While the group runs, each host's next task (if this one goes
        // well) is templated ahead of the barrier.
        for i in ahead {
            if let Seat::Idle(c) = &seats[i] {
                let mut c = c.clone();
                c.advance();
                if let Some(n) = self.peek_next(ctx, i, &mut c) {
                    self.prepare(ctx, &ctx.hosts[i], &n);
                }
            }
        }
    }

    /// The next selected task of a cursor clone, without acting on a
    /// cursor that is through.
    fn peek_next(&self, ctx: &PlayCtx, i: usize, cursor: &mut Cursor) -> Option<Next> {
        while let Some(n) = cursor.next() {
            if self.task_selected(ctx, &n.task, &ctx.hosts[i]) {
                return Some(n);
            }
            cursor.advance();
        }
        None
    }

    /// linear: settles a group's outcomes in the order they came, then
    /// applies `any_errors_fatal`, `max_fail_percentage` and the end of
    /// hosts. Returns true when the section must end.
    async fn settle_lockstep(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        task: &Arc<Task>,
        key: &Key,
        outcomes: Vec<(usize, HostOutcome)>,
        seats: &mut [Seat],
        shared: &States,
    ) -> bool {
        let mut states = snapshot(shared);
        let states = &mut states[..];
        let mut failed_now = false;
        let mut failed_hosts = Vec::new();
        for (i, out) in outcomes {
            let was = states[i];
            if matches!(out.status, Status::Failed | Status::Unreachable) && !out.ignored {
                failed_hosts.push(i);
            }
            if let Seat::Idle(c) = &mut seats[i] {
                self.settle(ctx, task, i, out, c, states, key).await;
            }
            failed_now |= was == HostState::Running && states[i] == HostState::Dead;
        }
        let end = 'checks: {
            if !failed_hosts.is_empty() && self.fatal(task) {
                // ansible-core marks every other host of the batch failed:
                // each goes to its block's rescue (or always) as if its own
                // task had failed, without a failed result in the recap.
                for (i, seat) in seats.iter_mut().enumerate() {
                    if states[i] != HostState::Running || failed_hosts.contains(&i) {
                        continue;
                    }
                    if let Seat::Idle(c) = seat
                        && c.fail() == Failure::Failed
                        && c.failed
                    {
                        states[i] = HostState::Dead;
                        self.mark_dead(&ctx.hosts[i]);
                    }
                }
                break 'checks false;
            }
            if failed_now && self.stops_play(ctx, task, states) {
                for s in states.iter_mut() {
                    if *s == HostState::Running {
                        *s = HostState::Ended;
                    }
                }
                ctx.aborted.store(true, std::sync::atomic::Ordering::SeqCst);
                self.bus.emit(Event::NoMoreHosts);
                // ansible-core 2.21 announces a max_fail_percentage stop twice
                // (the strategy, then the play).
                self.bus.emit(Event::NoMoreHosts);
                break 'checks true;
            }
            if states.iter().all(|s| *s != HostState::Running) && states.contains(&HostState::Dead)
            {
                // Every host is out with tasks left: Ansible says so.
                let left = seats.iter_mut().enumerate().any(|(i, seat)| {
                    states[i] != HostState::Ended
                        && match seat {
                            Seat::Idle(c) => c.next().is_some(),
                            _ => false,
                        }
                });
                if left && states.iter().all(|s| *s == HostState::Dead) {
                    self.bus.emit(Event::NoMoreHosts);
                }
                break 'checks true;
            }
            false
        };
        write_back(shared, states);
        end
    }

    /// free and host_pinned: every idle host that may go on gets a job:
    /// its next task, or, once through, its handler flush.
    #[allow(clippy::too_many_arguments)]
    fn dispatch_free(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        seats: &mut [Seat],
        pins: &mut [Option<OwnedSemaphorePermit>],
        forks: &Arc<Semaphore>,
        per_task: &Arc<Semaphore>,
        shared: &States,
        jobs: &mut JoinSet<Done>,
    ) {
        let pinned = ctx.strategy == Strategy::HostPinned;
        // host_pinned: hosts take the free slots in inventory order, so a
        // host without one holds back every later host without one.
        let mut queue_closed = false;
        for i in 0..seats.len() {
            if !matches!(seats[i], Seat::Idle(_)) {
                continue;
            }
            let mut st = snapshot(shared);
            if st[i] != HostState::Running {
                seats[i] = Seat::Through;
                pins[i] = None;
                continue;
            }
            if pinned && pins[i].is_none() {
                if queue_closed {
                    continue;
                }
                match forks.clone().try_acquire_owned() {
                    Ok(p) => pins[i] = Some(p),
                    Err(_) => {
                        queue_closed = true;
                        continue;
                    }
                }
            }
            let Seat::Idle(mut cursor) = std::mem::replace(&mut seats[i], Seat::Busy) else {
                continue;
            };
            let next = self.next_of(ctx, i, &mut cursor, &mut st);
            // Only this host's state may have changed here; the others'
            // belong to the jobs still running.
            if let Ok(mut s) = shared.lock() {
                s[i] = st[i];
            }
            let runner = self.clone();
            let ctx = ctx.clone();
            let shared = shared.clone();
            match next {
                Some(next) => {
                    let per_task = per_task.clone();
                    jobs.spawn(async move {
                        runner
                            .run_host_step(&ctx, i, next, &mut cursor, &shared, &per_task)
                            .await;
                        Done::Host { i, cursor }
                    });
                }
                None if cursor.failed => {
                    seats[i] = Seat::Through;
                    pins[i] = None;
                }
                None => {
                    jobs.spawn(async move {
                        runner.flush_one(&ctx, i, &shared).await;
                        Done::Flushed { i }
                    });
                }
            }
        }
    }

    /// One free host's task, settled at once: `settle` sees every host's
    /// state (end_play ends them all) and what it changes is written back.
    async fn run_host_step(
        self: &Arc<Self>,
        ctx: &Arc<PlayCtx>,
        i: usize,
        next: Next,
        cursor: &mut Cursor,
        shared: &States,
        forks: &Arc<Semaphore>,
    ) {
        let task = next.task.clone();
        let key = next.key.clone();
        let outcomes = self.run_group(ctx, &task, &[(i, next)], forks, false).await;
        for (k, out) in outcomes {
            let before = snapshot(shared);
            let mut after = before.clone();
            self.settle(ctx, &task, k, out, cursor, &mut after, &key)
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

    /// A free host through the section runs its handlers now, without
    /// waiting for the others.
    async fn flush_one(self: &Arc<Self>, ctx: &Arc<PlayCtx>, i: usize, shared: &States) {
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
    }
}

/// The states as they are now (a job that panicked while holding the
/// lock left them whole: each write is one assignment).
fn snapshot(shared: &States) -> Vec<HostState> {
    shared.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn write_back(shared: &States, st: &[HostState]) {
    shared
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .copy_from_slice(st);
}
