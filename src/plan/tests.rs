// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Barrier placement, construct by construct, checked on the graph itself.

use super::*;
use petgraph::algo::toposort;

fn hosts(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("h{i}")).collect()
}

fn play(strategy: Strategy, n: usize, tasks: &[Step]) -> PlayInput {
    PlayInput {
        name: "p".into(),
        strategy,
        batches: vec![hosts(n)],
        sections: vec![tasks.to_vec()],
        handlers: Vec::new(),
        max_fail_percentage: false,
    }
}

fn steps(names: &[&str]) -> Vec<Step> {
    names.iter().map(|n| Step::named(n)).collect()
}

fn step(plan: &Plan, name: &str) -> usize {
    plan.steps
        .iter()
        .position(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}"))
}

fn node(plan: &Plan, host: &str, name: &str) -> NodeIndex {
    plan.run_node(host, step(plan, name))
        .unwrap_or_else(|| panic!("no node {name} @ {host}"))
}

fn whys(plan: &Plan) -> Vec<Why> {
    plan.barriers().into_iter().map(|(_, w)| w).collect()
}

fn acyclic(plan: &Plan) {
    assert!(toposort(&plan.graph, None).is_ok(), "the plan has a cycle");
}

#[test]
fn linear_puts_a_barrier_after_every_task() {
    let plan = lower(&[play(Strategy::Linear, 3, &steps(&["t1", "t2", "t3"]))]);
    acyclic(&plan);
    assert_eq!(
        whys(&plan),
        [
            Why::Task,
            Why::Task,
            Why::Task,
            Why::Handlers,
            Why::Batch,
            Why::Play
        ]
    );
    // Every host's t2 waits for every host's t1: lockstep.
    for a in ["h1", "h2", "h3"] {
        for b in ["h1", "h2", "h3"] {
            assert!(plan.before(node(&plan, a, "t1"), node(&plan, b, "t2")));
            assert!(plan.before(node(&plan, a, "t2"), node(&plan, b, "t3")));
        }
    }
}

#[test]
fn free_and_host_pinned_have_no_per_task_barriers() {
    for strategy in [Strategy::Free, Strategy::HostPinned] {
        let plan = lower(&[play(strategy, 3, &steps(&["t1", "t2", "t3"]))]);
        acyclic(&plan);
        assert_eq!(whys(&plan), [Why::Handlers, Why::Batch, Why::Play]);
        // Each host keeps its own order...
        assert!(plan.before(node(&plan, "h1", "t1"), node(&plan, "h1", "t3")));
        // ...and never waits for another host inside the section.
        for (a, b) in [("h1", "h2"), ("h2", "h1"), ("h3", "h1")] {
            assert!(!plan.before(node(&plan, a, "t1"), node(&plan, b, "t3")));
            assert!(!plan.before(node(&plan, a, "t3"), node(&plan, b, "t1")));
        }
    }
}

#[test]
fn serial_lists_put_a_barrier_between_batches() {
    let mut p = play(Strategy::Linear, 5, &steps(&["t1", "t2"]));
    // serial: [1, 2] (the last size repeats): [h1], [h2, h3], [h4, h5].
    p.batches = vec![
        vec!["h1".into()],
        vec!["h2".into(), "h3".into()],
        vec!["h4".into(), "h5".into()],
    ];
    let plan = lower(&[p]);
    acyclic(&plan);
    let batch_barriers = whys(&plan).iter().filter(|w| **w == Why::Batch).count();
    assert_eq!(batch_barriers, 3);
    // A batch starts only when the previous one is through all its tasks.
    assert!(plan.before(node(&plan, "h1", "t2"), node(&plan, "h2", "t1")));
    assert!(plan.before(node(&plan, "h3", "t2"), node(&plan, "h4", "t1")));
    // Within a batch, lockstep; across batches, no way back.
    assert!(plan.before(node(&plan, "h2", "t1"), node(&plan, "h3", "t2")));
    assert!(!plan.before(node(&plan, "h4", "t1"), node(&plan, "h1", "t2")));
    // Every node of a batch is reachable from the previous batch's barrier.
    let (b1, _) = plan.barriers()[plan
        .barriers()
        .iter()
        .position(|(_, w)| *w == Why::Batch)
        .unwrap_or(0)];
    for h in ["h2", "h3", "h4", "h5"] {
        assert!(plan.before(b1, node(&plan, h, "t1")));
    }
    assert!(!plan.before(b1, node(&plan, "h1", "t1")));
}

#[test]
fn run_once_runs_one_node_and_hands_its_result_to_every_host() {
    let mut tasks = steps(&["t1", "once", "t3"]);
    tasks[1].run_once = true;
    let plan = lower(&[play(Strategy::Linear, 3, &tasks)]);
    acyclic(&plan);
    let once = step(&plan, "once");
    assert!(plan.run_node("h1", once).is_some());
    assert!(plan.run_node("h2", once).is_none() && plan.run_node("h3", once).is_none());
    assert_eq!(whys(&plan)[..3], [Why::Task, Why::RunOnce, Why::Task]);
    for h in ["h1", "h2", "h3"] {
        assert!(plan.before(node(&plan, "h1", "once"), node(&plan, h, "t3")));
        assert!(plan.before(node(&plan, h, "t1"), node(&plan, "h1", "once")));
    }
}

#[test]
fn any_errors_fatal_and_max_fail_percentage_are_checked_at_barriers() {
    let mut tasks = steps(&["t1", "fatal", "t3"]);
    tasks[1].any_errors_fatal = true;
    let plan = lower(&[play(Strategy::Linear, 2, &tasks)]);
    assert_eq!(whys(&plan)[..3], [Why::Task, Why::FailCheck, Why::Task]);

    let mut p = play(Strategy::Linear, 2, &steps(&["t1", "t2"]));
    p.max_fail_percentage = true;
    let plan = lower(&[p]);
    assert_eq!(whys(&plan)[..2], [Why::FailCheck, Why::FailCheck]);

    // Under free neither is a barrier (Ansible warns they are unsupported).
    let mut p = play(Strategy::Free, 2, &tasks);
    p.max_fail_percentage = true;
    let plan = lower(&[p]);
    assert!(!whys(&plan).contains(&Why::FailCheck));
}

#[test]
fn handlers_flush_at_the_end_of_every_section() {
    let mut p = play(Strategy::Linear, 2, &steps(&["pre"]));
    p.sections = vec![steps(&["pre"]), steps(&["main"]), steps(&["post"])];
    p.handlers = vec!["restart".into()];
    let plan = lower(&[p.clone()]);
    acyclic(&plan);
    let flushes = whys(&plan).iter().filter(|w| **w == Why::Handlers).count();
    assert_eq!(flushes, 3);
    let restart = step(&plan, "restart");
    assert!(plan.steps[restart].handler);
    // The handler runs after every host finished the section, before the
    // next section starts, on every host that may have notified it.
    let handler_nodes: Vec<NodeIndex> = plan
        .order
        .iter()
        .copied()
        .filter(|n| matches!(plan.graph[*n], PlanNode::Run { step, .. } if step == restart))
        .collect();
    assert_eq!(handler_nodes.len(), 3 * 2);
    for h in ["h1", "h2"] {
        assert!(plan.before(node(&plan, "h1", "pre"), handler_nodes[0]));
        assert!(plan.before(node(&plan, "h2", "pre"), handler_nodes[1]));
        assert!(plan.before(handler_nodes[1], node(&plan, h, "main")));
        assert!(!plan.before(node(&plan, h, "main"), handler_nodes[0]));
    }

    // Under free a host's handlers follow its own last task, and the next
    // section waits for every host.
    p.strategy = Strategy::Free;
    let plan = lower(&[p]);
    acyclic(&plan);
    let restart = step(&plan, "restart");
    let first = |h: usize| {
        plan.order
            .iter()
            .copied()
            .find(|n| {
                plan.graph[*n]
                    == PlanNode::Run {
                        host: h,
                        step: restart,
                    }
            })
            .unwrap_or_else(|| panic!("no handler node"))
    };
    assert!(plan.before(node(&plan, "h1", "pre"), first(0)));
    assert!(!plan.before(node(&plan, "h2", "pre"), first(0)));
    assert!(plan.before(first(0), node(&plan, "h2", "main")));
}

#[test]
fn plays_are_separated_by_a_play_barrier() {
    let a = play(Strategy::Free, 2, &steps(&["a1", "a2"]));
    let mut b = play(Strategy::Linear, 3, &steps(&["b1"]));
    b.name = "second".into();
    let plan = lower(&[a, b]);
    acyclic(&plan);
    let play_barriers: Vec<NodeIndex> = plan
        .barriers()
        .into_iter()
        .filter(|(_, w)| *w == Why::Play)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(play_barriers.len(), 2);
    for h in ["h1", "h2"] {
        assert!(plan.before(node(&plan, h, "a2"), play_barriers[0]));
    }
    for h in ["h1", "h2", "h3"] {
        assert!(plan.before(play_barriers[0], node(&plan, h, "b1")));
    }
    assert_eq!(plan.plays[1], ("second".to_string(), Strategy::Linear));
}

#[test]
fn a_looped_include_adds_nodes_in_order_under_linear() {
    let mut tasks = steps(&["before", "inc", "after"]);
    tasks[1].include = true;
    let plan0 = lower(&[play(Strategy::Linear, 2, &tasks)]);
    let mut plan = plan0.clone();
    let hs = ["h1", "h2"];
    // The barrier ending the include task on both hosts.
    let inc_end = plan
        .graph
        .neighbors_directed(node(&plan, "h1", "inc"), Direction::Outgoing)
        .next()
        .unwrap_or_else(|| panic!("include without barrier"));
    // A loop of three items, each item's file with two tasks.
    let mut at = inc_end;
    for item in 1..=3 {
        let file = [
            Step::named(&format!("i{item}a")),
            Step::named(&format!("i{item}b")),
        ];
        at = plan.expand(at, &hs, &file, Strategy::Linear, 0);
    }
    acyclic(&plan);
    let chain = ["inc", "i1a", "i1b", "i2a", "i2b", "i3a", "i3b", "after"];
    for w in chain.windows(2) {
        for a in hs {
            for b in hs {
                assert!(
                    plan.before(node(&plan, a, w[0]), node(&plan, b, w[1])),
                    "{} @ {a} before {} @ {b}",
                    w[0],
                    w[1]
                );
            }
        }
    }
    // Old nodes keep their indices: expanding never renumbers the graph.
    for n in plan0.graph.node_indices() {
        assert_eq!(plan0.graph[n], plan.graph[n]);
    }
}

#[test]
fn expanding_an_include_costs_the_same_in_a_small_and_a_huge_graph() {
    let mut tasks = steps(&["inc"]);
    tasks[0].include = true;
    let file = steps(&["x", "y"]);
    let mut work = Vec::new();
    for n_tasks in [1, 2000] {
        let mut all = tasks.clone();
        all.extend((0..n_tasks).map(|i| Step::named(&format!("t{i}"))));
        let mut plan = lower(&[play(Strategy::Linear, 3, &all)]);
        let at = plan
            .graph
            .neighbors_directed(node(&plan, "h1", "inc"), Direction::Outgoing)
            .next()
            .unwrap_or_else(|| panic!("include without barrier"));
        plan.expand(at, &["h1", "h2", "h3"], &file, Strategy::Linear, 0);
        work.push(plan.last_expand_work);
    }
    assert_eq!(work[0], work[1], "an expansion must not scan the graph");
    // Free: one host's include chains its tasks after its own node only.
    let mut plan = lower(&[play(Strategy::Free, 2, &tasks)]);
    let inc = node(&plan, "h1", "inc");
    let end = plan.expand(inc, &["h1"], &file, Strategy::Free, 0);
    acyclic(&plan);
    assert!(plan.before(inc, node(&plan, "h1", "x")));
    assert!(plan.before(node(&plan, "h1", "x"), end));
    assert!(!plan.before(node(&plan, "h2", "inc"), node(&plan, "h1", "x")));
    assert!(plan.run_node("h2", step(&plan, "x")).is_none());
}

/// An include looped over two items of a two-task file, known at plan
/// time, as `--plan` lowers it.
fn looped_include(strategy: Strategy) -> Plan {
    let mut tasks = steps(&["inc", "after"]);
    tasks[0].include = true;
    tasks[0].expansion = vec![steps(&["x", "y"]); 2];
    lower(&[play(strategy, 2, &tasks)])
}

/// `host`'s run nodes of step named `name` (one per item), in order.
fn nodes_named(plan: &Plan, host: &str, name: &str) -> Vec<NodeIndex> {
    let h = plan.hosts.iter().position(|x| x == host);
    plan.order
        .iter()
        .copied()
        .filter(|n| match plan.graph[*n] {
            PlanNode::Run { host, step } => Some(host) == h && plan.steps[step].name == name,
            PlanNode::Barrier { .. } => false,
        })
        .collect()
}

#[test]
fn lowering_a_looped_include_expands_it_with_a_barrier_per_included_task_under_linear() {
    let plan = looped_include(Strategy::Linear);
    acyclic(&plan);
    // inc, x and y of item 1, x and y of item 2, after.
    let mut want = vec![Why::Task; 6];
    want.extend([Why::Handlers, Why::Batch, Why::Play]);
    assert_eq!(whys(&plan), want);
    for a in ["h1", "h2"] {
        for b in ["h1", "h2"] {
            let y1 = nodes_named(&plan, a, "y")[0];
            assert!(plan.before(y1, nodes_named(&plan, b, "x")[1]));
            assert!(plan.before(nodes_named(&plan, a, "y")[1], node(&plan, b, "after")));
        }
    }
    let text = plan.to_text();
    assert!(text.contains("  x on [h1, h2]"), "{text}");
}

#[test]
fn lowering_a_looped_include_under_free_chains_it_per_host() {
    let plan = looped_include(Strategy::Free);
    acyclic(&plan);
    assert_eq!(whys(&plan), [Why::Handlers, Why::Batch, Why::Play]);
    for h in ["h1", "h2"] {
        let (x, y) = (nodes_named(&plan, h, "x"), nodes_named(&plan, h, "y"));
        let chain = [
            node(&plan, h, "inc"),
            x[0],
            y[0],
            x[1],
            y[1],
            node(&plan, h, "after"),
        ];
        for pair in chain.windows(2) {
            assert!(plan.before(pair[0], pair[1]), "{h}: {pair:?}");
        }
    }
    let (x1, y2) = (
        nodes_named(&plan, "h1", "x")[1],
        nodes_named(&plan, "h2", "y")[0],
    );
    assert!(!plan.before(y2, x1) && !plan.before(x1, y2));
}

#[test]
fn text_and_dot_listings_show_nodes_and_barriers() {
    let mut tasks = steps(&["t1", "inc"]);
    tasks[1].include = true;
    let mut p = play(Strategy::Linear, 2, &tasks);
    p.handlers = vec!["restart".into()];
    let plan = lower(&[p]);
    let text = plan.to_text();
    assert_eq!(
        text,
        "play #1: p [linear]\n  t1 on [h1, h2]\n  -- barrier: every host finishes the task --\n  \
         inc (its tasks join the plan when it runs) on [h1, h2]\n  -- barrier: every host finishes the task --\n  \
         -- barrier: handlers flushed --\n  handler restart (hosts that notified it) on [h1, h2]\n  \
         -- barrier: every host finishes the task --\n  -- barrier: serial batch boundary --\n  \
         -- barrier: play boundary --\n"
    );
    let dot = plan.to_dot();
    assert!(dot.starts_with("digraph plan {"));
    assert!(dot.contains("\"t1 @ h1\"") && dot.contains("octagon"));
    assert_eq!(
        dot.matches(" -> ").count(),
        plan.graph.edge_count(),
        "one dot edge per graph edge"
    );
}
