// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The executor walks the plan graph: per construct, a real run (in-memory
//! hosts, the whole engine) ends with the graph it walked, whose barriers
//! are the ones the plan lowering puts there and whose every edge was kept
//! (no node started before all it hangs on had finished).

use crate::engine::{self, Request};
use crate::exec::{Connector, RunOptions, Walked};
use crate::output::Bus;
use crate::plan::{PlanNode, Why};
use crate::transport::{Connection, ExecOutput, TransportError};
use std::path::PathBuf;
use std::sync::Arc;

/// A host whose every command exits 0 at once.
struct InstantHost;

#[async_trait::async_trait]
impl Connection for InstantHost {
    async fn exec(&self, _cmd: &str, _stdin: Option<&[u8]>) -> Result<ExecOutput, TransportError> {
        Ok(ExecOutput {
            rc: 0,
            stdout: b"ok\n".to_vec(),
            stderr: Vec::new(),
        })
    }

    async fn close(&self) {}
}

/// A fresh directory holding `files` (name, text).
fn dir_with(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-walk-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    dir
}

/// Runs `playbook` on h1..h`hosts` and returns the walked graph and exit code.
fn run(test: &str, hosts: usize, playbook: &str, extra: &[(&str, &str)]) -> (Walked, i32) {
    let inv: String = std::iter::once("[all]\n".to_string())
        .chain((1..=hosts).map(|i| format!("h{i} ansible_user=root\n")))
        .collect();
    let mut files = vec![("pb.yml", playbook), ("inventory.ini", inv.as_str())];
    files.extend_from_slice(extra);
    let dir = dir_with(test, &files);
    let connector = Connector(Arc::new(|_h: &str| {
        let c: Arc<dyn Connection> = Arc::new(InstantHost);
        Ok(c)
    }));
    let req = Request {
        playbooks: vec![dir.join("pb.yml")],
        inventories: vec![dir.join("inventory.ini").display().to_string()],
        opts: RunOptions {
            forks: 2,
            home: dir.clone(),
            connector: Some(connector),
            ..RunOptions::default()
        },
        cwd: dir.clone(),
        ..Request::default()
    };
    let prepared = engine::prepare(&req).expect("prepare");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let out = rt.block_on(engine::run(prepared, Arc::new(Bus::new())));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.walked.violations().is_empty(),
        "{test}: nodes started before what they wait on: {:?}",
        out.walked.violations()
    );
    (out.walked, out.exit_code)
}

/// The hosts each step ran on, in the order the steps were added.
fn runs(w: &Walked) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for n in &w.plan.order {
        if let PlanNode::Run { host, step } = w.plan.graph[*n] {
            let name = w.plan.steps[step].name.clone();
            let host = w.plan.hosts[host].clone();
            match out.iter_mut().find(|(s, _)| *s == name) {
                Some((_, hs)) => hs.push(host),
                None => out.push((name, vec![host])),
            }
        }
    }
    out
}

const TASKS: &str = "  tasks:
    - name: a
      debug: msg=a
    - name: b
      debug: msg=b
";

#[test]
fn linear_passes_a_barrier_after_every_task() {
    let pb = format!("- hosts: all\n  gather_facts: false\n{TASKS}");
    let (w, rc) = run("linear", 3, &pb, &[]);
    assert_eq!(rc, 0);
    assert_eq!(
        w.passed_barriers(),
        [Why::Task, Why::Task, Why::Handlers, Why::Batch, Why::Play]
    );
    assert_eq!(
        runs(&w)[1],
        ("b".to_string(), vec!["h1".into(), "h2".into(), "h3".into()])
    );
}

#[test]
fn free_keeps_only_the_section_and_play_barriers() {
    let pb = format!("- hosts: all\n  gather_facts: false\n  strategy: free\n{TASKS}");
    let (w, rc) = run("free", 3, &pb, &[]);
    assert_eq!(rc, 0);
    assert_eq!(w.passed_barriers(), [Why::Handlers, Why::Batch, Why::Play]);
    // Each host's chain: a then b.
    for h in ["h1", "h2", "h3"] {
        let steps: Vec<&str> = w
            .plan
            .order
            .iter()
            .filter_map(|n| match w.plan.graph[*n] {
                PlanNode::Run { host, step } if w.plan.hosts[host] == h => {
                    Some(w.plan.steps[step].name.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(steps, ["a", "b"], "{h}");
    }
}

#[test]
fn serial_batches_end_with_a_batch_barrier_each() {
    let pb = format!("- hosts: all\n  gather_facts: false\n  serial: 2\n{TASKS}");
    let (w, _) = run("serial", 3, &pb, &[]);
    let whys = w.passed_barriers();
    assert_eq!(whys.iter().filter(|x| **x == Why::Batch).count(), 2);
    assert_eq!(whys.last(), Some(&Why::Play));
    // The second batch's first node starts after the first batch barrier.
    let first_batch = w
        .plan
        .order
        .iter()
        .find(|n| {
            matches!(
                w.plan.graph[**n],
                PlanNode::Barrier {
                    why: Why::Batch,
                    ..
                }
            )
        })
        .copied()
        .expect("a batch barrier");
    let h3_first = w
        .plan
        .order
        .iter()
        .copied()
        .find(|n| matches!(w.plan.graph[*n], PlanNode::Run { host, .. } if w.plan.hosts[host] == "h3"))
        .expect("h3 ran");
    assert!(w.plan.before(first_batch, h3_first));
}

#[test]
fn run_once_runs_one_node_and_hands_the_result_on() {
    let pb = "- hosts: all
  gather_facts: false
  tasks:
    - name: once
      set_fact: x=1
      run_once: true
    - name: after
      debug: var=x
";
    let (w, rc) = run("run_once", 3, pb, &[]);
    assert_eq!(rc, 0);
    assert_eq!(w.passed_barriers()[0], Why::RunOnce);
    let r = runs(&w);
    assert_eq!(r[0], ("once".to_string(), vec!["h1".to_string()]));
    assert_eq!(r[1].1.len(), 3);
}

/// A play (with `keywords`) whose first task fails on h2, then `next`.
fn h2_fails(keywords: &str, next: &str) -> String {
    format!(
        "- hosts: all\n  gather_facts: false\n{keywords}  tasks:\n    - name: boom\n      fail: msg=no\n      when: inventory_hostname == 'h2'\n    - name: {next}\n      debug: msg=x\n"
    )
}

#[test]
fn any_errors_fatal_is_checked_at_the_barrier_and_stops_the_play() {
    let (w, rc) = run(
        "fatal",
        3,
        &h2_fails("  any_errors_fatal: true\n", "never"),
        &[],
    );
    assert_eq!(rc, 2);
    assert_eq!(w.passed_barriers()[0], Why::FailCheck);
    assert!(runs(&w).iter().all(|(s, _)| s != "never"));
}

#[test]
fn a_failed_host_is_pruned_from_later_nodes() {
    let (w, rc) = run("pruned", 3, &h2_fails("", "later"), &[]);
    assert_eq!(rc, 2);
    let r = runs(&w);
    assert_eq!(r[1], ("later".to_string(), vec!["h1".into(), "h3".into()]));
    // The play still ends: the barriers after the failure did not wait on h2.
    assert_eq!(w.passed_barriers().last(), Some(&Why::Play));
}

#[test]
fn handlers_run_after_the_section_barrier() {
    let pb = "- hosts: all
  gather_facts: false
  tasks:
    - name: poke
      command: /bin/true
      notify: hup
  handlers:
    - name: hup
      debug: msg=hup
";
    let (w, rc) = run("handlers", 2, pb, &[]);
    assert_eq!(rc, 0);
    let flush = w
        .plan
        .order
        .iter()
        .copied()
        .find(|n| {
            matches!(
                w.plan.graph[*n],
                PlanNode::Barrier {
                    why: Why::Handlers,
                    ..
                }
            )
        })
        .expect("a flush barrier");
    let hup: Vec<_> = w
        .plan
        .order
        .iter()
        .copied()
        .filter(|n| matches!(w.plan.graph[*n], PlanNode::Run { step, .. } if w.plan.steps[step].handler))
        .collect();
    assert_eq!(hup.len(), 2, "the handler ran on both hosts");
    assert!(hup.iter().all(|h| w.plan.before(flush, *h)));
}

#[test]
fn an_include_in_a_loop_adds_its_tasks_after_the_include() {
    let pb = "- hosts: all
  gather_facts: false
  tasks:
    - name: inc
      include_tasks: more.yml
      loop: [1, 2]
    - name: last
      debug: msg=done
";
    let more = "- name: inner
  debug: msg={{ item }}
";
    let (w, rc) = run("include", 2, pb, &[("more.yml", more)]);
    assert_eq!(rc, 0);
    let r = runs(&w);
    let names: Vec<&str> = r.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(names, ["inc", "inner", "last"]);
    // Two loop items: each host ran `inner` twice.
    assert_eq!(r[1].1.len(), 4);
    let inc = w.plan.run_node("h1", 0).expect("inc on h1");
    let last = w
        .plan
        .order
        .iter()
        .copied()
        .filter(|n| matches!(w.plan.graph[*n], PlanNode::Run { step, .. } if w.plan.steps[step].name == "last"))
        .collect::<Vec<_>>();
    assert!(last.iter().all(|l| w.plan.before(inc, *l)));
}

#[test]
fn max_fail_percentage_is_checked_at_every_task_barrier() {
    let (w, _) = run(
        "max_fail",
        3,
        &h2_fails("  max_fail_percentage: 50\n", "next"),
        &[],
    );
    let whys = w.passed_barriers();
    assert_eq!(whys[..2], [Why::FailCheck, Why::FailCheck]);
}

#[test]
fn host_pinned_has_no_task_barriers_either() {
    let pb = format!("- hosts: all\n  gather_facts: false\n  strategy: host_pinned\n{TASKS}");
    let (w, rc) = run("host_pinned", 3, &pb, &[]);
    assert_eq!(rc, 0);
    assert_eq!(w.passed_barriers(), [Why::Handlers, Why::Batch, Why::Play]);
}

#[test]
fn a_rescue_runs_after_the_failed_task_barrier_on_its_host_only() {
    let pb = "- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: risky
          fail: msg=no
          when: inventory_hostname == 'h1'
      rescue:
        - name: saved
          debug: msg=saved
    - name: after
      debug: msg=after
";
    let (w, rc) = run("rescue", 2, pb, &[]);
    assert_eq!(rc, 0);
    let r = runs(&w);
    assert_eq!(r[1], ("saved".to_string(), vec!["h1".to_string()]));
    assert_eq!(r[2].1, ["h1", "h2"]);
    // h2 waited at the barrier while h1 was rescued.
    let saved = w.plan.run_node("h1", 1).expect("saved on h1");
    let after_h2 = w.plan.run_node("h2", 2).expect("after on h2");
    assert!(w.plan.before(saved, after_h2));
}
