// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Lowering plays to the plan graph: each play's batches, sections and
//! handlers become run nodes and barriers, chained per host.

use super::{Edge, Plan, PlanNode, Strategy, Why};
use crate::playbook::Task;
use crate::yaml::{Node, NodeKind};
use petgraph::stable_graph::NodeIndex;

/// One task as the plan sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    /// `run_once: true` (a templated value counts as false: it is only
    /// known per host when the task runs).
    pub run_once: bool,
    /// `any_errors_fatal: true` on the task or inherited.
    pub any_errors_fatal: bool,
    /// `include_tasks` / `include_role`: more nodes come when it runs.
    pub include: bool,
    /// The included tasks, one list per loop item, when they are known
    /// before the run (a literal file name and a literal loop, or none):
    /// [`Plan::expand`] splices them in after the include.
    pub expansion: Vec<Vec<Step>>,
}

impl Step {
    pub fn named(name: &str) -> Step {
        Step {
            name: name.to_string(),
            ..Step::default()
        }
    }

    /// A playbook task as the plan sees it (its keywords as written).
    pub fn of_task(task: &Task) -> Step {
        let yes = |n: &Option<Node>| {
            n.as_ref().is_some_and(|n| {
                matches!(n.kind, NodeKind::Bool(true))
                    || n.as_str()
                        .is_some_and(|s| matches!(s, "true" | "yes" | "True"))
            })
        };
        Step {
            name: task.display_name(),
            run_once: yes(&task.inherit.run_once),
            any_errors_fatal: yes(&task.inherit.any_errors_fatal),
            include: matches!(
                crate::modules::canonical(&task.action),
                "include_tasks" | "include_role" | "include"
            ),
            expansion: Vec::new(),
        }
    }
}

/// One play as the plan sees it.
#[derive(Debug, Clone)]
pub struct PlayInput {
    pub name: String,
    pub strategy: Strategy,
    /// `serial` batches of host names, in order (one batch without serial).
    pub batches: Vec<Vec<String>>,
    /// pre_tasks, roles and tasks, post_tasks: each ends with a handler flush.
    pub sections: Vec<Vec<Step>>,
    pub handlers: Vec<String>,
    /// `max_fail_percentage` is set: every linear task checks it.
    pub max_fail_percentage: bool,
}

/// The barrier that ends a linear task.
pub(super) fn barrier_why(step: &Step, max_fail: bool) -> Why {
    if step.run_once {
        Why::RunOnce
    } else if step.any_errors_fatal || max_fail {
        Why::FailCheck
    } else {
        Why::Task
    }
}

/// Lowers a playbook's plays, in order, to one graph.
pub fn lower(plays: &[PlayInput]) -> Plan {
    let mut plan = Plan::default();
    // The barrier every host of the next play waits on.
    let mut gate: Option<NodeIndex> = None;
    for (p, play) in plays.iter().enumerate() {
        plan.plays.push((play.name.clone(), play.strategy));
        let steps: Vec<Vec<usize>> = play
            .sections
            .iter()
            .map(|s| {
                s.iter()
                    .map(|t| plan.add_step(&t.name, p, false, t.include))
                    .collect()
            })
            .collect();
        let handlers: Vec<usize> = play
            .handlers
            .iter()
            .map(|h| plan.add_step(h, p, true, false))
            .collect();
        let mut batch_gate = gate;
        for batch in &play.batches {
            let hosts: Vec<usize> = batch.iter().map(|h| plan.host(h)).collect();
            // Each host's last node: where its next node hangs.
            let mut tails: Vec<Option<NodeIndex>> = vec![batch_gate; hosts.len()];
            // An empty section flushes nothing: no barrier for it.
            for (section, ids) in play.sections.iter().zip(&steps) {
                if section.is_empty() {
                    continue;
                }
                for (t, id) in section.iter().zip(ids) {
                    if play.strategy.lockstep() {
                        let runners = if t.run_once { 1 } else { hosts.len() };
                        let why = barrier_why(t, play.max_fail_percentage);
                        step_lockstep(&mut plan, &hosts[..runners], &mut tails, *id, p, why);
                        // The included tasks of each item, in lockstep
                        // after the include's barrier.
                        if let Some(Some(mut at)) = tails.first().copied()
                            && !t.expansion.is_empty()
                        {
                            for item in &t.expansion {
                                at = plan.expand(at, batch, item, play.strategy, p);
                            }
                            tails.iter_mut().for_each(|x| *x = Some(at));
                        }
                    } else {
                        // free / host_pinned: Ansible runs run_once on every
                        // host and checks no failure limit (it warns that
                        // both are unsupported), so nothing waits.
                        for (k, h) in hosts.iter().enumerate() {
                            let mut n = plan.add(PlanNode::Run {
                                host: *h,
                                step: *id,
                            });
                            if let Some(t) = tails[k] {
                                plan.graph.add_edge(t, n, Edge::Next);
                            }
                            // Each host's own chain of included tasks.
                            for item in &t.expansion {
                                n = plan.expand(n, &[batch[k].as_str()], item, play.strategy, p);
                            }
                            tails[k] = Some(n);
                        }
                    }
                }
                // The section's end: handlers run for the hosts that
                // notified them. Under free each host runs its own as soon
                // as it is through the section; the next section starts
                // when every host is.
                if play.strategy.lockstep() {
                    join(&mut plan, &mut tails, p, Why::Handlers);
                    for id in &handlers {
                        step_lockstep(&mut plan, &hosts, &mut tails, *id, p, Why::Task);
                    }
                } else {
                    for (k, h) in hosts.iter().enumerate() {
                        for id in &handlers {
                            let n = plan.add(PlanNode::Run {
                                host: *h,
                                step: *id,
                            });
                            if let Some(t) = tails[k] {
                                plan.graph.add_edge(t, n, Edge::Next);
                            }
                            tails[k] = Some(n);
                        }
                    }
                    join(&mut plan, &mut tails, p, Why::Handlers);
                }
            }
            batch_gate = Some(join(&mut plan, &mut tails, p, Why::Batch));
        }
        if let Some(b) = batch_gate {
            let n = plan.add(PlanNode::Barrier {
                play: p,
                why: Why::Play,
            });
            plan.graph.add_edge(b, n, Edge::Next);
            gate = Some(n);
        }
    }
    plan
}

/// One task under `linear`: a node per runner, then a barrier every host of
/// the batch waits on.
fn step_lockstep(
    plan: &mut Plan,
    runners: &[usize],
    tails: &mut [Option<NodeIndex>],
    step: usize,
    play: usize,
    why: Why,
) {
    let mut nodes = Vec::with_capacity(runners.len());
    for (k, h) in runners.iter().enumerate() {
        let n = plan.add(PlanNode::Run { host: *h, step });
        if let Some(t) = tails[k] {
            plan.graph.add_edge(t, n, Edge::Next);
        }
        nodes.push(n);
    }
    let b = plan.add(PlanNode::Barrier { play, why });
    for n in nodes {
        plan.graph.add_edge(n, b, Edge::Next);
    }
    // A host that did not run (run_once) waits on the barrier too.
    for (k, t) in tails.iter_mut().enumerate() {
        if k >= runners.len()
            && let Some(prev) = *t
            && prev != b
            && plan.graph.find_edge(prev, b).is_none()
        {
            plan.graph.add_edge(prev, b, Edge::Wait);
        }
        *t = Some(b);
    }
}

/// A barrier every host's chain ends in; it becomes every host's tail.
fn join(plan: &mut Plan, tails: &mut [Option<NodeIndex>], play: usize, why: Why) -> NodeIndex {
    let b = plan.add(PlanNode::Barrier { play, why });
    for t in tails.iter_mut() {
        if let Some(prev) = *t
            && plan.graph.find_edge(prev, b).is_none()
        {
            plan.graph.add_edge(prev, b, Edge::Next);
        }
        *t = Some(b);
    }
    b
}
