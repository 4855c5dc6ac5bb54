// SPDX-License-Identifier: MIT
//! The plan of a play as a graph: one node per (host, task) and a barrier
//! node wherever Ansible's semantics make hosts wait for each other. Under
//! the `linear` strategy every task ends with a barrier, because one host's
//! task may prepare what another host's next task needs (`kubeadm init` before
//! `kubeadm join`).

use petgraph::graph::{DiGraph, NodeIndex};
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanNode {
    /// Run task `task` on host `host` (indices into the play's lists).
    Run { host: usize, task: usize },
    /// All hosts wait here until every host has finished `task`.
    Barrier { task: usize },
}

#[derive(Debug, Clone)]
pub struct PlayPlan {
    pub graph: DiGraph<PlanNode, ()>,
    /// The nodes that may run together, stage by stage, in order.
    pub stages: Vec<Vec<NodeIndex>>,
}

impl PlayPlan {
    /// The `linear` strategy: each host runs its tasks in order, and every
    /// task is a barrier across the play's hosts.
    pub fn linear(hosts: usize, tasks: usize) -> PlayPlan {
        let mut graph = DiGraph::new();
        let mut stages = Vec::with_capacity(tasks);
        let mut prev_barrier: Option<NodeIndex> = None;
        for t in 0..tasks {
            let barrier = graph.add_node(PlanNode::Barrier { task: t });
            let mut stage = Vec::with_capacity(hosts);
            for h in 0..hosts {
                let n = graph.add_node(PlanNode::Run { host: h, task: t });
                if let Some(b) = prev_barrier {
                    graph.add_edge(b, n, ());
                }
                graph.add_edge(n, barrier, ());
                stage.push(n);
            }
            stages.push(stage);
            prev_barrier = Some(barrier);
        }
        PlayPlan { graph, stages }
    }

    /// The (host, task) pairs of a stage.
    pub fn runs(&self, stage: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.stages[stage]
            .iter()
            .filter_map(|n| match self.graph[*n] {
                PlanNode::Run { host, task } => Some((host, task)),
                PlanNode::Barrier { .. } => None,
            })
    }

    /// A readable listing, for `--plan`.
    pub fn to_text(&self, hosts: &[String], tasks: &[String]) -> String {
        let mut out = String::new();
        for (i, _) in self.stages.iter().enumerate() {
            let hs: Vec<&str> = self.runs(i).map(|(h, _)| hosts[h].as_str()).collect();
            let t = self.runs(i).next().map(|(_, t)| t).unwrap_or(i);
            let _ = writeln!(out, "  task {}: {} on [{}]", i + 1, tasks[t], hs.join(", "));
            let _ = writeln!(out, "  -- barrier: all hosts finish task {} --", i + 1);
        }
        out
    }

    /// Graphviz, for `--plan=dot`.
    pub fn to_dot(&self, hosts: &[String], tasks: &[String]) -> String {
        let mut out = String::from("digraph plan {\n  rankdir=TB;\n");
        for n in self.graph.node_indices() {
            let label = match &self.graph[n] {
                PlanNode::Run { host, task } => format!("{} @ {}", tasks[*task], hosts[*host]),
                PlanNode::Barrier { task } => format!("barrier after {}", tasks[*task]),
            };
            let shape = match self.graph[n] {
                PlanNode::Run { .. } => "box",
                PlanNode::Barrier { .. } => "point",
            };
            let _ = writeln!(out, "  n{} [label={:?}, shape={shape}];", n.index(), label);
        }
        for e in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(e) {
                let _ = writeln!(out, "  n{} -> n{};", a.index(), b.index());
            }
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use petgraph::algo::toposort;

    #[test]
    fn linear_puts_a_barrier_after_every_task() {
        let p = PlayPlan::linear(3, 2);
        assert_eq!(p.stages.len(), 2);
        assert_eq!(p.graph.node_count(), 3 * 2 + 2);
        // Every run of task 1 depends on the barrier of task 0.
        let order = toposort(&p.graph, None).expect("acyclic");
        let pos = |n: &PlanNode| order.iter().position(|i| p.graph[*i] == *n).unwrap();
        for h in 0..3 {
            assert!(pos(&PlanNode::Run { host: h, task: 0 }) < pos(&PlanNode::Barrier { task: 0 }));
            assert!(pos(&PlanNode::Barrier { task: 0 }) < pos(&PlanNode::Run { host: h, task: 1 }));
        }
        let dot = p.to_dot(
            &["a".into(), "b".into(), "c".into()],
            &["t1".into(), "t2".into()],
        );
        assert!(dot.contains("t1 @ a") && dot.contains("->"));
    }
}
