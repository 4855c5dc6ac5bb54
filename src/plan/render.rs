// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `--plan` listings: text (nodes in the order they were added, runs of one
//! step on several hosts on one line) and Graphviz.

use super::{Edge, Plan, PlanNode, StepInfo};
use std::fmt::Write as _;

fn step_label(s: &StepInfo) -> String {
    if s.handler {
        format!("handler {} (hosts that notified it)", s.name)
    } else if s.include {
        format!("{} (its tasks join the plan when it runs)", s.name)
    } else {
        s.name.clone()
    }
}

pub(super) fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let mut play: Option<usize> = None;
    let mut i = 0;
    while i < plan.order.len() {
        let n = plan.order[i];
        let p = match plan.graph[n] {
            PlanNode::Run { step, .. } => plan.steps[step].play,
            PlanNode::Barrier { play, .. } => play,
        };
        if play != Some(p) {
            play = Some(p);
            if let Some((name, strategy)) = plan.plays.get(p) {
                let _ = writeln!(out, "play #{}: {} [{}]", p + 1, name, strategy.as_str());
            }
        }
        match plan.graph[n] {
            PlanNode::Run { step, .. } => {
                // One line for every host running this step here.
                let mut hosts = Vec::new();
                while let Some(m) = plan.order.get(i)
                    && let PlanNode::Run { host, step: s } = plan.graph[*m]
                    && s == step
                {
                    hosts.push(plan.hosts[host].as_str());
                    i += 1;
                }
                let _ = writeln!(
                    out,
                    "  {} on [{}]",
                    step_label(&plan.steps[step]),
                    hosts.join(", ")
                );
                continue;
            }
            PlanNode::Barrier { why, .. } => {
                let _ = writeln!(out, "  -- barrier: {} --", why.describe());
            }
        }
        i += 1;
    }
    out
}

pub(super) fn dot(plan: &Plan) -> String {
    let mut out = String::from("digraph plan {\n  rankdir=TB;\n");
    for n in &plan.order {
        let (label, shape) = match &plan.graph[*n] {
            PlanNode::Run { host, step } => (
                format!("{} @ {}", step_label(&plan.steps[*step]), plan.hosts[*host]),
                "box",
            ),
            PlanNode::Barrier { why, .. } => (why.describe().to_string(), "octagon"),
        };
        let _ = writeln!(out, "  n{} [label={:?}, shape={shape}];", n.index(), label);
    }
    for e in plan.graph.edge_indices() {
        if let Some((a, b)) = plan.graph.edge_endpoints(e) {
            let style = match plan.graph.edge_weight(e) {
                Some(Edge::Wait) => " [style=dashed, label=\"waits\"]",
                _ => "",
            };
            let _ = writeln!(out, "  n{} -> n{}{style};", a.index(), b.index());
        }
    }
    out.push_str("}\n");
    out
}
