// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The plan of a playbook as a graph: one node per (host, task) and a
//! barrier node wherever Ansible's semantics make hosts wait for each other.
//!
//! Under the `linear` strategy every task ends with a barrier, because one
//! host's task may prepare what another host's next task needs (`kubeadm
//! init` before `kubeadm join`). `free` and `host_pinned` have no per-task
//! barriers: each host's nodes form a chain of their own. Barriers that hold
//! under every strategy: handler flushes at the end of each section, serial
//! batch boundaries and play boundaries. Under `linear`, `run_once` runs one
//! node whose barrier hands its result to every host, and `any_errors_fatal`
//! / `max_fail_percentage` are checked at the task's barrier.
//!
//! A dynamic include's tasks are not known before it runs: [`Plan::expand`]
//! splices their nodes in after the include, touching only the node it
//! expands from and the nodes it adds (never the rest of the graph), so a
//! loop of includes costs linear time however large the graph already is.
//! `--plan` expands this way every `include_tasks` whose file name and loop
//! are literal; the run's own graph (`exec/graph.rs`) appends each host's
//! included tasks after its tail as the cursor reaches them, at the same
//! cost.
//!
//! Edges say why they hold: [`Edge::Next`] orders a host's own steps,
//! [`Edge::Wait`] is linear's key rule (a host that does not run a task
//! still waits at its barrier).

mod lower;
mod render;

pub use lower::{PlayInput, Step, lower};

use petgraph::Direction;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};

/// A play's strategy.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Strategy {
    Linear,
    Free,
    HostPinned,
}

impl Strategy {
    /// The strategy named `name` (a plugin name, fully qualified or not);
    /// anything else is `linear`, Ansible's default.
    pub fn named(name: &str) -> Strategy {
        match name.rsplit('.').next().unwrap_or_default() {
            "free" => Strategy::Free,
            "host_pinned" => Strategy::HostPinned,
            _ => Strategy::Linear,
        }
    }

    /// Whether every task is a barrier across the hosts.
    pub fn lockstep(self) -> bool {
        self == Strategy::Linear
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Linear => "linear",
            Strategy::Free => "free",
            Strategy::HostPinned => "host_pinned",
        }
    }
}

/// Why hosts wait for each other at a barrier.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Why {
    /// `linear`: every host finishes the task before any starts the next.
    Task,
    /// `run_once`: one host ran it; its result is handed to every host.
    RunOnce,
    /// `any_errors_fatal` or `max_fail_percentage` is checked here.
    FailCheck,
    /// The end of a section: notified handlers run.
    Handlers,
    /// The end of a `serial` batch: the next batch starts after it.
    Batch,
    /// The end of a play: the next play starts after it.
    Play,
}

impl Why {
    fn describe(self) -> &'static str {
        match self {
            Why::Task => "every host finishes the task",
            Why::RunOnce => "run_once: the result goes to every host",
            Why::FailCheck => "any_errors_fatal / max_fail_percentage checked",
            Why::Handlers => "handlers flushed",
            Why::Batch => "serial batch boundary",
            Why::Play => "play boundary",
        }
    }
}

/// Why an edge holds its target back.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Edge {
    /// A host's next step, or a host's step reaching its barrier.
    #[default]
    Next,
    /// Linear's key rule: a host that does not run the task (its next task
    /// comes later in the task tree, e.g. in `rescue` while the others
    /// finish the block, or it has none left; or `run_once` ran it on
    /// another host) still waits at the task's barrier for those running it.
    Wait,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanNode {
    /// Run step `step` (an index into [`Plan::steps`]) on host `host` (an
    /// index into [`Plan::hosts`]).
    Run { host: usize, step: usize },
    /// Hosts wait here; `play` is the play's index.
    Barrier { play: usize, why: Why },
}

/// What a node of a plan runs, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInfo {
    pub name: String,
    pub play: usize,
    /// A handler (runs only on hosts that notified it).
    pub handler: bool,
    /// A dynamic include: its tasks join the graph when it runs.
    pub include: bool,
}

/// The plan of a playbook.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub graph: StableDiGraph<PlanNode, Edge>,
    /// Host names, indexed by [`PlanNode::Run::host`].
    pub hosts: Vec<String>,
    pub steps: Vec<StepInfo>,
    /// Each play's name and strategy.
    pub plays: Vec<(String, Strategy)>,
    /// Nodes in the order they were added (a listing's order).
    pub order: Vec<NodeIndex>,
    /// Nodes and edges the last [`Plan::expand`] looked at or made: the
    /// proof that an expansion does not depend on the graph's size.
    pub last_expand_work: usize,
}

impl Plan {
    pub(crate) fn add(&mut self, n: PlanNode) -> NodeIndex {
        let i = self.graph.add_node(n);
        self.order.push(i);
        i
    }

    pub(crate) fn add_step(
        &mut self,
        name: &str,
        play: usize,
        handler: bool,
        include: bool,
    ) -> usize {
        self.steps.push(StepInfo {
            name: name.to_string(),
            play,
            handler,
            include,
        });
        self.steps.len() - 1
    }

    /// The host index of `name`, added when new.
    pub(crate) fn host(&mut self, name: &str) -> usize {
        match self.hosts.iter().position(|h| h == name) {
            Some(i) => i,
            None => {
                self.hosts.push(name.to_string());
                self.hosts.len() - 1
            }
        }
    }

    /// The node running step `step` on host `host`, if any.
    pub fn run_node(&self, host: &str, step: usize) -> Option<NodeIndex> {
        let h = self.hosts.iter().position(|x| x == host)?;
        self.order
            .iter()
            .copied()
            .find(|n| self.graph[*n] == PlanNode::Run { host: h, step })
    }

    /// The barriers, in order, with their reasons.
    pub fn barriers(&self) -> Vec<(NodeIndex, Why)> {
        self.order
            .iter()
            .filter_map(|n| match self.graph[*n] {
                PlanNode::Barrier { why, .. } => Some((*n, why)),
                PlanNode::Run { .. } => None,
            })
            .collect()
    }

    /// Whether `b` is reachable from `a` (`b` cannot start before `a` is done).
    pub fn before(&self, a: NodeIndex, b: NodeIndex) -> bool {
        petgraph::algo::has_path_connecting(&self.graph, a, b, None)
    }

    /// Splices the tasks of a dynamic include (one loop item's worth) into
    /// the graph right after `at`, for the hosts that included them, and
    /// returns the node the next item's tasks go after.
    ///
    /// Under `linear`, `at` is the barrier ending the include task (or the
    /// node an earlier expansion returned): the new tasks run in lockstep,
    /// each with its barrier, and what followed `at` now follows the last of
    /// them. Under `free`/`host_pinned`, `at` is the include's own node for
    /// one host (`hosts` holds that host) and the tasks chain after it.
    /// Only `at`'s outgoing edges and the new nodes are touched.
    pub fn expand(
        &mut self,
        at: NodeIndex,
        hosts: &[impl AsRef<str>],
        tasks: &[Step],
        strategy: Strategy,
        play: usize,
    ) -> NodeIndex {
        let mut work = 0;
        let follow: Vec<NodeIndex> = self
            .graph
            .neighbors_directed(at, Direction::Outgoing)
            .collect();
        work += follow.len();
        let edges: Vec<_> = follow
            .iter()
            .filter_map(|f| self.graph.find_edge(at, *f))
            .collect();
        for e in edges {
            self.graph.remove_edge(e);
        }
        let hs: Vec<usize> = hosts.iter().map(|h| self.host(h.as_ref())).collect();
        let mut last = at;
        for t in tasks {
            let step = self.add_step(&t.name, play, false, t.include);
            if strategy.lockstep() {
                let runners = if t.run_once {
                    &hs[..hs.len().min(1)]
                } else {
                    &hs[..]
                };
                let why = lower::barrier_why(t, false);
                let b = self.graph.add_node(PlanNode::Barrier { play, why });
                for h in runners {
                    let n = self.add(PlanNode::Run { host: *h, step });
                    self.graph.add_edge(last, n, Edge::Next);
                    self.graph.add_edge(n, b, Edge::Next);
                    work += 3;
                }
                self.order.push(b);
                work += 1;
                last = b;
            } else {
                for h in &hs {
                    let n = self.add(PlanNode::Run { host: *h, step });
                    self.graph.add_edge(last, n, Edge::Next);
                    work += 2;
                    last = n;
                }
            }
        }
        for f in follow {
            self.graph.add_edge(last, f, Edge::Next);
            work += 1;
        }
        self.last_expand_work = work;
        last
    }

    /// A readable listing, for `--plan`.
    pub fn to_text(&self) -> String {
        render::text(self)
    }

    /// Graphviz, for `--plan=dot`.
    pub fn to_dot(&self) -> String {
        render::dot(self)
    }
}

#[cfg(test)]
mod tests;
