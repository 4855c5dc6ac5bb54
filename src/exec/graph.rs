// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The run's plan graph, built as the hosts' cursors reveal their next task
//! and walked through a ready set: a run node is dispatched only once every
//! node before it (its host's previous node, the barrier it hangs on) is
//! done, and a barrier is done when every node before it is.
//!
//! Why the graph is built online rather than lowered up front: a host's
//! next task depends on what it ran (`when`, block/rescue/always, dynamic
//! includes and loops, `meta`), so only the cursor knows it. Each node is
//! appended after its host's tail and each barrier after the tails it
//! joins, which costs time in the number of nodes added, never in the size
//! of the graph (as [`crate::plan::Plan::expand`] does for `--plan`).

use crate::plan::{Edge, Plan, PlanNode, Strategy, Why};
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use std::collections::HashMap;

/// Where a node is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
enum Life {
    #[default]
    Waiting,
    Running,
    Done,
}

/// The graph a run walked, with when each node started and finished on one
/// clock (a counter that ticks at every start and finish), so that a test
/// can check that no node started before everything it hangs on finished.
#[derive(Debug, Clone, Default)]
pub struct Walked {
    pub plan: Plan,
    /// Indexed by `NodeIndex::index()`; `None` when the node never ran
    /// (a barrier that was never reached, or an interrupted run).
    pub started: Vec<Option<u64>>,
    pub finished: Vec<Option<u64>>,
    /// Each time a host's next task had its arguments templated ahead of
    /// the barrier (prepare.rs), in order.
    pub prepared: Vec<PreparedRecord>,
    /// Controller files read ahead (modules::read_ahead): (uses served
    /// from a read ahead, uses that read the file), and the bytes still
    /// held at the run's end.
    pub files: (u64, u64),
    pub files_held: u64,
}

/// Conditions and arguments worked out ahead, on the walk's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRecord {
    pub host: String,
    pub task: String,
    /// The tick at which they were templated.
    pub tick: u64,
    /// A `when` condition was found false ahead: the task is skipped (and
    /// its arguments were not templated).
    pub skip: bool,
    /// Whether the task then ran with them (false: something changed in
    /// between and they were templated again).
    pub used: bool,
}

impl Walked {
    /// Every edge `a -> b` whose `b` started before `a` finished (empty
    /// when the walk kept to the graph).
    pub fn violations(&self) -> Vec<(NodeIndex, NodeIndex)> {
        self.plan
            .graph
            .edge_indices()
            .filter_map(|e| self.plan.graph.edge_endpoints(e))
            .filter(|(a, b)| {
                match (
                    self.finished.get(a.index()).copied().flatten(),
                    self.started.get(b.index()).copied().flatten(),
                ) {
                    (Some(fa), Some(sb)) => sb < fa,
                    // b ran although a never finished.
                    (None, Some(_)) => true,
                    _ => false,
                }
            })
            .collect()
    }

    /// The reasons of the barriers that were passed, in the order they
    /// were added.
    pub fn passed_barriers(&self) -> Vec<Why> {
        self.plan
            .order
            .iter()
            .filter(|n| self.finished.get(n.index()).copied().flatten().is_some())
            .filter_map(|n| match self.plan.graph[*n] {
                PlanNode::Barrier { why, .. } => Some(why),
                PlanNode::Run { .. } => None,
            })
            .collect()
    }
}

/// The walk: the graph so far and where each node is.
#[derive(Default)]
pub(super) struct Walk {
    done: Walked,
    life: Vec<Life>,
    /// Predecessors of each node not yet done.
    unmet: Vec<u32>,
    clock: u64,
    /// Host name to the plan's host index (the plan's own lookup is a scan).
    host_ids: HashMap<String, usize>,
    /// Each host's last node: its next node hangs there.
    tails: HashMap<usize, NodeIndex>,
    /// The hosts of the batch running now, in play order, and whether each
    /// is still in the play (failed and unreachable hosts are pruned: no
    /// barrier waits on them again).
    batch: Vec<(usize, bool)>,
    /// The barrier a new batch starts after (the last batch or play end).
    gate: Option<NodeIndex>,
    play: usize,
    /// Nodes, edges and tails looked at so far: the proof that adding a
    /// task (an included one as much as any) costs the same however large
    /// the graph already is.
    work: u64,
}

impl Walk {
    fn host_id(&mut self, name: &str) -> usize {
        if let Some(i) = self.host_ids.get(name) {
            return *i;
        }
        let plan = &mut self.done.plan;
        plan.hosts.push(name.to_string());
        let i = plan.hosts.len() - 1;
        self.host_ids.insert(name.to_string(), i);
        i
    }

    fn node(&mut self, n: PlanNode) -> NodeIndex {
        self.work += 1;
        let i = self.done.plan.add(n);
        let k = i.index();
        if self.life.len() <= k {
            self.life.resize(k + 1, Life::Waiting);
            self.unmet.resize(k + 1, 0);
            self.done.started.resize(k + 1, None);
            self.done.finished.resize(k + 1, None);
        }
        i
    }

    /// `b`, a node just added, waits for `a` (callers add each pair once:
    /// looking an edge up would scan a barrier's thousand successors).
    fn edge(&mut self, a: NodeIndex, b: NodeIndex, kind: Edge) {
        self.work += 1;
        self.done.plan.graph.add_edge(a, b, kind);
        if self.life[a.index()] != Life::Done {
            self.unmet[b.index()] += 1;
        }
    }

    /// A new play: its barriers carry its index.
    pub(super) fn play(&mut self, name: &str, strategy: Strategy) {
        self.done.plan.plays.push((name.to_string(), strategy));
        self.play = self.done.plan.plays.len() - 1;
    }

    /// A new batch of hosts (all of them without `serial`): each starts
    /// after the gate.
    pub(super) fn batch(&mut self, hosts: &[String]) {
        self.batch = hosts.iter().map(|h| (self.host_id(h), true)).collect();
        for k in 0..self.batch.len() {
            let h = self.batch[k].0;
            match self.gate {
                Some(g) => {
                    self.tails.insert(h, g);
                }
                None => {
                    self.tails.remove(&h);
                }
            }
        }
    }

    /// `host` failed or was unreachable: later barriers do not wait on it.
    pub(super) fn prune(&mut self, host: &str) {
        let h = self.host_id(host);
        for (id, live) in &mut self.batch {
            if *id == h {
                *live = false;
            }
        }
    }

    /// One task (or handler) on `hosts`: a run node each after the host's
    /// tail. Under lockstep a barrier follows, which every live host of
    /// the batch waits on, runners or not (the linear strategy); otherwise
    /// each host's chain just grows. Returns the run nodes, in `hosts`'
    /// order.
    pub(super) fn task(
        &mut self,
        hosts: &[&str],
        name: &str,
        handler: bool,
        include: bool,
        barrier: Option<Why>,
    ) -> Vec<NodeIndex> {
        let step = self.done.plan.add_step(name, self.play, handler, include);
        let mut nodes = Vec::with_capacity(hosts.len());
        for h in hosts {
            let id = self.host_id(h);
            let n = self.node(PlanNode::Run { host: id, step });
            if let Some(t) = self.tails.get(&id).copied() {
                self.edge(t, n, Edge::Next);
            }
            self.tails.insert(id, n);
            nodes.push(n);
        }
        if let Some(why) = barrier {
            self.join(why);
        }
        nodes
    }

    /// A barrier every live host of the batch waits on; it becomes their
    /// tail. A batch or play barrier is also where the next batch starts.
    pub(super) fn join(&mut self, why: Why) -> NodeIndex {
        let b = self.node(PlanNode::Barrier {
            play: self.play,
            why,
        });
        let live: Vec<usize> = self
            .batch
            .iter()
            .filter(|(_, l)| *l)
            .map(|(h, _)| *h)
            .collect();
        // Hosts in lockstep share their tail: one edge from each tail.
        let mut from: Vec<NodeIndex> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for h in live {
            self.work += 1;
            if let Some(t) = self.tails.get(&h).copied().or(self.gate)
                && seen.insert(t)
            {
                from.push(t);
            }
            self.tails.insert(h, b);
        }
        if matches!(why, Why::Batch | Why::Play) {
            if let Some(g) = self.gate
                && seen.insert(g)
            {
                from.push(g);
            }
            self.gate = Some(b);
        }
        // Linear's key rule as an edge: a host whose tail is a barrier did
        // not run this task, and waits at its barrier all the same.
        let per_task = matches!(why, Why::Task | Why::RunOnce | Why::FailCheck);
        for t in from {
            let kind = match self.done.plan.graph[t] {
                PlanNode::Barrier { .. } if per_task => Edge::Wait,
                _ => Edge::Next,
            };
            self.edge(t, b, kind);
        }
        self.settle_barrier(b);
        b
    }

    /// Whether `n` may start now: not started, and everything before it
    /// done.
    pub(super) fn is_ready(&self, n: NodeIndex) -> bool {
        self.life.get(n.index()) == Some(&Life::Waiting) && self.unmet[n.index()] == 0
    }

    /// The nodes of `nodes` that may start now, in their order.
    #[cfg(test)]
    pub(super) fn ready(&self, nodes: &[NodeIndex]) -> Vec<NodeIndex> {
        nodes
            .iter()
            .copied()
            .filter(|n| self.is_ready(*n))
            .collect()
    }

    pub(super) fn start(&mut self, n: NodeIndex) {
        self.clock += 1;
        self.life[n.index()] = Life::Running;
        self.done.started[n.index()] = Some(self.clock);
    }

    /// `n` is done: what waited only on it may start; a barrier whose
    /// every predecessor is done is passed at once.
    pub(super) fn finish(&mut self, n: NodeIndex) {
        if self.life[n.index()] == Life::Done {
            return;
        }
        self.clock += 1;
        self.life[n.index()] = Life::Done;
        self.done.finished[n.index()] = Some(self.clock);
        let next: Vec<NodeIndex> = self
            .done
            .plan
            .graph
            .neighbors_directed(n, Direction::Outgoing)
            .collect();
        for m in next {
            let u = &mut self.unmet[m.index()];
            *u = u.saturating_sub(1);
            self.settle_barrier(m);
        }
    }

    /// A barrier with nothing left to wait for is passed.
    fn settle_barrier(&mut self, b: NodeIndex) {
        if matches!(self.done.plan.graph[b], PlanNode::Barrier { .. })
            && self.life[b.index()] == Life::Waiting
            && self.unmet[b.index()] == 0
        {
            self.start(b);
            self.finish(b);
        }
    }

    /// `task`'s arguments were templated ahead for `host`; returns the
    /// record's index.
    pub(super) fn prepared(&mut self, host: &str, task: &str, skip: bool) -> usize {
        self.clock += 1;
        self.done.prepared.push(PreparedRecord {
            host: host.to_string(),
            task: task.to_string(),
            tick: self.clock,
            skip,
            used: false,
        });
        self.done.prepared.len() - 1
    }

    pub(super) fn prepared_used(&mut self, record: usize) {
        if let Some(r) = self.done.prepared.get_mut(record) {
            r.used = true;
        }
    }

    /// The graph walked so far, taken out of the walk (at the run's end).
    pub(super) fn take(&mut self) -> Walked {
        std::mem::take(self).done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    /// A walk of one play on h1..h`n`.
    fn walk(strategy: Strategy, n: usize) -> Walk {
        let mut w = Walk::default();
        w.play("p", strategy);
        w.batch(&names(n));
        w
    }

    /// Runs `nodes` to their end, one after the other.
    fn run_all(w: &mut Walk, nodes: &[NodeIndex]) {
        for n in nodes {
            w.start(*n);
            w.finish(*n);
        }
    }

    #[test]
    fn a_lockstep_task_waits_for_every_host_of_the_one_before() {
        let mut w = walk(Strategy::Linear, 2);
        let a = w.task(&["h1", "h2"], "a", false, false, Some(Why::Task));
        assert_eq!(w.ready(&a), a);
        let b = w.task(&["h1", "h2"], "b", false, false, Some(Why::Task));
        assert!(w.ready(&b).is_empty(), "b before a is done");
        for n in &a {
            w.start(*n);
        }
        w.finish(a[0]);
        // h1 is through a, but the barrier still waits on h2.
        assert!(w.ready(&b).is_empty());
        w.finish(a[1]);
        assert_eq!(w.ready(&b), b);
    }

    #[test]
    fn free_chains_let_each_host_go_on_alone() {
        let mut w = walk(Strategy::Free, 2);
        let a1 = w.task(&["h1"], "a", false, false, None);
        let a2 = w.task(&["h2"], "a", false, false, None);
        w.start(a1[0]);
        w.start(a2[0]);
        w.finish(a1[0]);
        let b1 = w.task(&["h1"], "b", false, false, None);
        assert_eq!(w.ready(&b1), b1, "h1 need not wait for h2");
        let h = w.join(Why::Handlers);
        assert_eq!(w.ready(&[h]), Vec::<NodeIndex>::new());
        run_all(&mut w, &b1);
        w.finish(a2[0]);
        let walked = w.take();
        assert_eq!(walked.passed_barriers(), [Why::Handlers]);
        assert!(walked.violations().is_empty());
    }

    #[test]
    fn a_pruned_host_holds_no_later_barrier() {
        let mut w = walk(Strategy::Linear, 2);
        let a = w.task(&["h1", "h2"], "a", false, false, Some(Why::Task));
        run_all(&mut w, &a);
        w.prune("h2");
        let b = w.task(&["h1"], "b", false, false, Some(Why::Task));
        run_all(&mut w, &b);
        // The batch barrier is passed with h1 alone.
        w.join(Why::Batch);
        let walked = w.take();
        assert_eq!(walked.passed_barriers(), [Why::Task, Why::Task, Why::Batch]);
    }

    /// The work of adding one included task (a node per host, then its
    /// barrier) after `before` tasks already in the walk.
    fn include_work(before: usize) -> u64 {
        let mut w = walk(Strategy::Linear, 3);
        let hosts = ["h1", "h2", "h3"];
        for _ in 0..before {
            let n = w.task(&hosts, "t", false, false, Some(Why::Task));
            run_all(&mut w, &n);
        }
        let inc = w.task(&hosts, "inc", false, true, Some(Why::Task));
        run_all(&mut w, &inc);
        let at = w.work;
        let n = w.task(&hosts, "included", false, false, Some(Why::Task));
        run_all(&mut w, &n);
        w.work - at
    }

    #[test]
    fn an_included_task_costs_the_same_in_a_small_and_a_huge_walk() {
        let small = include_work(2);
        assert!(small > 0);
        assert_eq!(include_work(5_000), small);
    }

    #[test]
    fn a_node_started_too_early_is_a_violation() {
        let mut w = walk(Strategy::Free, 1);
        let a = w.task(&["h1"], "a", false, false, None);
        let b = w.task(&["h1"], "b", false, false, None);
        w.start(a[0]);
        w.start(b[0]);
        w.finish(a[0]);
        w.finish(b[0]);
        assert_eq!(w.take().violations(), [(a[0], b[0])]);
    }
}
