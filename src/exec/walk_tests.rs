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

/// Every host is an [`InstantHost`].
fn instant_hosts() -> Connector {
    Connector(Arc::new(|_h: &str| {
        let c: Arc<dyn Connection> = Arc::new(InstantHost);
        Ok(c)
    }))
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn with_forks(forks: usize, connector: Connector) -> RunOptions {
    RunOptions {
        forks,
        connector: Some(connector),
        ..RunOptions::default()
    }
}

/// Runs `playbook` on h1..h`hosts` and returns the walked graph and exit code.
fn run(test: &str, hosts: usize, playbook: &str, extra: &[(&str, &str)]) -> (Walked, i32) {
    let opts = with_forks(2, instant_hosts());
    run_on(test, hosts, playbook, extra, opts, &current_thread())
}

/// Runs `playbook` on h1..h`hosts` with `opts` on `rt`.
fn run_on(
    test: &str,
    hosts: usize,
    playbook: &str,
    extra: &[(&str, &str)],
    opts: RunOptions,
    rt: &tokio::runtime::Runtime,
) -> (Walked, i32) {
    let inv: String = std::iter::once("[all]\n".to_string())
        .chain((1..=hosts).map(|i| format!("h{i} ansible_user=root\n")))
        .collect();
    let mut files = vec![("pb.yml", playbook), ("inventory.ini", inv.as_str())];
    files.extend_from_slice(extra);
    let dir = dir_with(test, &files);
    let req = Request {
        playbooks: vec![dir.join("pb.yml")],
        inventories: vec![dir.join("inventory.ini").display().to_string()],
        opts: RunOptions {
            home: dir.clone(),
            ..opts
        },
        cwd: dir.clone(),
        ..Request::default()
    };
    let prepared = engine::prepare(&req).expect("prepare");
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
    // Linear's key rule is an edge of its own: h2, whose next task (after)
    // comes later in the tree than saved, waits at saved's barrier from the
    // barrier it last passed.
    let g = &w.plan.graph;
    let saved_end = g
        .neighbors_directed(saved, petgraph::Direction::Outgoing)
        .next()
        .expect("saved's barrier");
    let risky_end = w
        .plan
        .run_node("h2", 0)
        .and_then(|n| {
            g.neighbors_directed(n, petgraph::Direction::Outgoing)
                .next()
        })
        .expect("risky's barrier");
    let e = g
        .find_edge(risky_end, saved_end)
        .expect("h2 waits at saved's barrier");
    assert_eq!(g[e], crate::plan::Edge::Wait);
    let ran = g
        .find_edge(saved, saved_end)
        .expect("saved reaches its barrier");
    assert_eq!(g[ran], crate::plan::Edge::Next);
}

/// The ticks at which `host`'s run nodes started and finished.
fn host_ticks(w: &Walked, host: &str) -> Vec<(u64, u64)> {
    w.plan
        .order
        .iter()
        .filter(|n| matches!(w.plan.graph[**n], PlanNode::Run { host: h, .. } if w.plan.hosts[h] == host))
        .filter_map(|n| Some((w.started[n.index()]?, w.finished[n.index()]?)))
        .collect()
}

#[test]
fn host_pinned_keeps_a_host_in_its_slot_until_it_is_through() {
    // One fork: h1 runs its whole section (and handlers) before h2 starts;
    // under free the hosts would take turns task by task.
    let pb = format!("- hosts: all\n  gather_facts: false\n  strategy: host_pinned\n{TASKS}");
    let opts = with_forks(1, instant_hosts());
    let (w, rc) = run_on("pinned1", 3, &pb, &[], opts, &current_thread());
    assert_eq!(rc, 0);
    let ticks: Vec<Vec<(u64, u64)>> = ["h1", "h2", "h3"]
        .iter()
        .map(|h| host_ticks(&w, h))
        .collect();
    for t in &ticks {
        assert_eq!(t.len(), 2, "{ticks:?}");
    }
    for k in 1..ticks.len() {
        let prev_done = ticks[k - 1].iter().map(|(_, f)| *f).max();
        let this_start = ticks[k].iter().map(|(s, _)| *s).min();
        assert!(prev_done < this_start, "host {k} started early: {ticks:?}");
    }
}

/// Runs one remote task on 8 hosts, 8 forks, `connect_forks` logins at
/// once, each login taking 150 ms of a worker thread; returns the most
/// logins that were in progress together.
fn peak_logins(test: &str, connect_forks: usize) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (n, p) = (now.clone(), peak.clone());
    let connector = Connector(Arc::new(move |_h: &str| {
        let k = n.fetch_add(1, Ordering::SeqCst) + 1;
        p.fetch_max(k, Ordering::SeqCst);
        // A key exchange's worth of time, on the calling worker thread:
        // logins let through together overlap.
        std::thread::sleep(std::time::Duration::from_millis(150));
        n.fetch_sub(1, Ordering::SeqCst);
        let c: Arc<dyn Connection> = Arc::new(InstantHost);
        Ok(c)
    }));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(6)
        .enable_all()
        .build()
        .expect("runtime");
    let pb = "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: /bin/true\n";
    let opts = RunOptions {
        connect_forks,
        ..with_forks(8, connector)
    };
    let (_, rc) = run_on(test, 8, pb, &[], opts, &rt);
    assert_eq!(rc, 0);
    peak.load(Ordering::SeqCst)
}

#[test]
fn connection_setup_has_its_own_limit_below_the_forks() {
    let low = peak_logins("logins2", 2);
    assert!(
        (1..=2).contains(&low),
        "{low} logins at once with connect_forks 2"
    );
    // The same run with room for every login: they do overlap, so the
    // low figure above is the limit's doing.
    let high = peak_logins("logins8", 8);
    assert!(high > 2, "{high} logins at once with connect_forks 8");
}

#[test]
fn connect_forks_is_read_from_the_kiln_section_of_ansible_cfg() {
    let cfg = crate::config::Config::parse("[kiln]\nconnect_forks = 3\n", "a.cfg").expect("cfg");
    let mut opts = RunOptions::default();
    assert_eq!(opts.connect_forks, crate::exec::CONNECT_SETUP_LIMIT);
    engine::apply_connect_forks(&cfg, &mut opts).expect("applied");
    assert_eq!(opts.connect_forks, 3);
    let bad = crate::config::Config::parse("[kiln]\nconnect_forks = 0\n", "a.cfg").expect("cfg");
    assert!(engine::apply_connect_forks(&bad, &mut opts).is_err());
}

/// A host that answers every command at once and keeps what it was sent,
/// each line after its name.
struct Recorder(String, Arc<std::sync::Mutex<Vec<String>>>);

#[async_trait::async_trait]
impl Connection for Recorder {
    async fn exec(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, TransportError> {
        if let Ok(mut l) = self.1.lock() {
            l.push(format!("{}: {cmd}", self.0));
            if let Some(s) = stdin {
                l.push(format!("{}: {}", self.0, String::from_utf8_lossy(s)));
            }
        }
        InstantHost.exec(cmd, stdin).await
    }

    async fn close(&self) {}
}

/// Runs `playbook` on h1..h`hosts` (linear, current-thread runtime) and
/// returns the walk, the exit code and what the hosts were sent.
fn run_recorded(test: &str, hosts: usize, playbook: &str) -> (Walked, i32, String) {
    let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
    let all = sent.clone();
    let connector = Connector(Arc::new(move |h: &str| {
        let c: Arc<dyn Connection> = Arc::new(Recorder(h.to_string(), all.clone()));
        Ok(c)
    }));
    let opts = with_forks(2, connector);
    let (w, rc) = run_on(test, hosts, playbook, &[], opts, &current_thread());
    let text = sent.lock().map(|l| l.join("\n")).unwrap_or_default();
    (w, rc, text)
}

/// The tick at which the `k`-th barrier for `why` was passed.
fn barrier_tick(w: &Walked, why: Why, k: usize) -> u64 {
    let b = w
        .plan
        .order
        .iter()
        .filter(|n| matches!(w.plan.graph[**n], PlanNode::Barrier { why: x, .. } if x == why))
        .nth(k)
        .copied()
        .expect("the barrier");
    w.finished[b.index()].expect("passed")
}

/// What was worked out ahead for `task` on `host`.
fn prepared_for<'a>(
    w: &'a Walked,
    host: &str,
    task: &str,
) -> &'a crate::exec::graph::PreparedRecord {
    w.prepared
        .iter()
        .find(|r| r.host == host && r.task == task)
        .unwrap_or_else(|| panic!("{task} prepared for {host}: {:?}", w.prepared))
}

/// A block whose first task fails on h1 only, then `b` (its lines given,
/// indented as a block task's keywords), and a rescue.
fn h1_fails_into_rescue(b: &str) -> String {
    format!(
        "- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: a
          fail: msg=no
          when: inventory_hostname == 'h1'
        - name: b
{b}
      rescue:
        - name: saved
          debug: msg=saved
"
    )
}

#[test]
fn the_next_task_is_templated_before_the_barrier_is_passed() {
    let pb = "- hosts: all
  gather_facts: false
  tasks:
    - name: a
      command: echo first
    - name: b
      command: echo second-{{ inventory_hostname }}
    - name: c
      command: echo third
      register: r
    - name: d
      command: echo fourth-{{ r.rc }}
";
    let (w, rc, sent) = run_recorded("ahead", 2, pb);
    assert_eq!(rc, 0);
    // b on each host: templated before the barrier after a was passed,
    // and then run with those arguments.
    let after_a = barrier_tick(&w, Why::Task, 0);
    for h in ["h1", "h2"] {
        let r = prepared_for(&w, h, "b");
        assert!(
            r.tick < after_a,
            "{h}: {r:?} after the barrier at {after_a}"
        );
        assert!(r.used, "{r:?}");
    }
    // c registers: d, which reads what c registers, is not templated
    // ahead.
    assert!(w.prepared.iter().all(|r| r.task != "d"), "{:?}", w.prepared);
    // The results are those of templating at run time.
    assert!(sent.contains("second-h1"), "{sent}");
    assert!(sent.contains("fourth-0"), "{sent}");
}

#[test]
fn arguments_templated_ahead_are_dropped_when_what_they_read_changes() {
    // b is templated for h2 while a runs; then h1 fails into its rescue,
    // which sets h1's ansible_failed_task, which b reads: h2 must see it.
    let pb = h1_fails_into_rescue(
        "          command: echo failed-{{ hostvars['h1'].ansible_failed_task.name | default('none') }}",
    );
    let (w, rc, sent) = run_recorded("stale", 2, &pb);
    assert_eq!(rc, 0);
    let b = prepared_for(&w, "h2", "b");
    assert!(!b.used, "{b:?}");
    assert!(sent.contains("h2: ") && sent.contains("failed-a"), "{sent}");
    assert!(!sent.contains("failed-none"), "{sent}");
}

#[test]
fn conditions_are_evaluated_before_the_barrier_is_passed() {
    let pb = "- hosts: all
  gather_facts: false
  tasks:
    - name: a
      command: echo first
    - name: b
      command: echo b-{{ inventory_hostname }}
      when: inventory_hostname == 'h1'
";
    let (w, rc, sent) = run_recorded("when-ahead", 2, pb);
    assert_eq!(rc, 0);
    let after_a = barrier_tick(&w, Why::Task, 0);
    for (h, skip) in [("h1", false), ("h2", true)] {
        let r = prepared_for(&w, h, "b");
        assert!(r.tick < after_a, "{h}: {r:?} after {after_a}");
        assert_eq!(r.skip, skip, "{r:?}");
        assert!(r.used, "{r:?}");
    }
    assert!(sent.contains("b-h1"), "{sent}");
    assert!(!sent.contains("b-h2"), "{sent}");
}

#[test]
fn conditions_evaluated_ahead_are_dropped_when_what_they_read_changes() {
    // b's condition is false for h2 while a runs; then h1 fails into its
    // rescue, which sets the ansible_failed_task b's condition reads: h2
    // must run b after all.
    let pb = h1_fails_into_rescue(
        "          command: echo b-ran-{{ inventory_hostname }}
          when: hostvars['h1'].ansible_failed_task is defined",
    );
    let (w, rc, sent) = run_recorded("when-stale", 2, &pb);
    assert_eq!(rc, 0);
    let b = prepared_for(&w, "h2", "b");
    assert!(b.skip && !b.used, "{b:?}");
    assert!(sent.contains("b-ran-h2"), "{sent}");
}

/// The included file of the include tests: two tasks.
const TWO: &str = "- name: x
  debug: msg=x-{{ item }}
- name: y
  debug: msg=y-{{ item }}
";

const INCLUDE_LOOP: &str = "  tasks:
    - name: inc
      include_tasks: two.yml
      loop: [1, 2]
    - name: last
      debug: msg=done
";

/// `host`'s run nodes named `name`, in the order they were added.
fn nodes_of(w: &Walked, host: &str, name: &str) -> Vec<petgraph::stable_graph::NodeIndex> {
    w.plan
        .order
        .iter()
        .copied()
        .filter(|n| match w.plan.graph[*n] {
            PlanNode::Run { host: h, step } => {
                w.plan.hosts[h] == host && w.plan.steps[step].name == name
            }
            PlanNode::Barrier { .. } => false,
        })
        .collect()
}

#[test]
fn a_looped_include_under_linear_puts_a_barrier_after_each_included_task_of_each_item() {
    let pb = format!("- hosts: all\n  gather_facts: false\n{INCLUDE_LOOP}");
    let (w, rc) = run("include-linear", 2, &pb, &[("two.yml", TWO)]);
    assert_eq!(rc, 0);
    // inc, then x and y for item 1, x and y for item 2, then last: each a
    // task barrier, then the section, batch and play ends.
    let mut want = vec![Why::Task; 6];
    want.extend([Why::Handlers, Why::Batch, Why::Play]);
    assert_eq!(w.passed_barriers(), want);
    // Lockstep across the items: no host starts item 2's x before every
    // host is through item 1's y.
    for a in ["h1", "h2"] {
        for b in ["h1", "h2"] {
            let y1 = nodes_of(&w, a, "y")[0];
            let x2 = nodes_of(&w, b, "x")[1];
            assert!(w.plan.before(y1, x2), "y(1)@{a} before x(2)@{b}");
        }
    }
}

#[test]
fn a_looped_include_under_free_adds_a_chain_per_host_and_no_task_barrier() {
    let pb = format!("- hosts: all\n  gather_facts: false\n  strategy: free\n{INCLUDE_LOOP}");
    let (w, rc) = run("include-free", 2, &pb, &[("two.yml", TWO)]);
    assert_eq!(rc, 0);
    assert_eq!(w.passed_barriers(), [Why::Handlers, Why::Batch, Why::Play]);
    for h in ["h1", "h2"] {
        let chain = [
            nodes_of(&w, h, "inc")[0],
            nodes_of(&w, h, "x")[0],
            nodes_of(&w, h, "y")[0],
            nodes_of(&w, h, "x")[1],
            nodes_of(&w, h, "y")[1],
            nodes_of(&w, h, "last")[0],
        ];
        for pair in chain.windows(2) {
            assert!(w.plan.before(pair[0], pair[1]), "{h}: {pair:?}");
        }
    }
    // Nothing ties one host's included tasks to the other's.
    let x2_h1 = nodes_of(&w, "h1", "x")[1];
    let y1_h2 = nodes_of(&w, "h2", "y")[0];
    assert!(!w.plan.before(y1_h2, x2_h1) && !w.plan.before(x2_h1, y1_h2));
}

/// A first task that changes nothing the next one reads.
const A_FIRST: &str = "    - name: a\n      command: echo first\n";

#[test]
fn controller_files_are_read_ahead_and_each_read_ahead_is_used_once() {
    // b's and c's sources are read while the task before them runs; each
    // host's use takes its read ahead (the hosts share one entry).
    let tasks = "    - name: b
      copy: src=motd.txt dest=/tmp/kiln-motd
      ignore_errors: true
    - name: c
      template: src=conf.j2 dest=/tmp/kiln-conf
      ignore_errors: true
";
    let pb = format!("- hosts: all\n  gather_facts: false\n  tasks:\n{A_FIRST}{tasks}");
    let extra = [
        ("motd.txt", "hello\n"),
        ("conf.j2", "{{ inventory_hostname }}\n"),
    ];
    let (w, rc) = run("files-ahead", 2, &pb, &extra);
    assert_eq!(rc, 0);
    let after_a = barrier_tick(&w, Why::Task, 0);
    for h in ["h1", "h2"] {
        assert!(prepared_for(&w, h, "b").tick < after_a);
    }
    assert_eq!(w.files, (4, 0), "two hosts x two files, none read again");
    assert_eq!(w.files_held, 0, "every read ahead was taken");
}

/// A host that replaces `path` (a new file, new content) when a command
/// says `rewrite-src`, as a `local_action` copy would between the read
/// ahead and the use.
struct Rewriter(PathBuf);

#[async_trait::async_trait]
impl Connection for Rewriter {
    async fn exec(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, TransportError> {
        if cmd.contains("rewrite-src") {
            let tmp = self.0.with_extension("new");
            // A failed write shows in the test's counts.
            let _ = std::fs::write(&tmp, "changed\n");
            let _ = std::fs::rename(&tmp, &self.0);
        }
        InstantHost.exec(cmd, stdin).await
    }

    async fn close(&self) {}
}

#[test]
fn a_controller_file_changed_after_its_read_ahead_is_read_again() {
    let pb = "- hosts: all
  gather_facts: false
  tasks:
    - name: a
      command: echo rewrite-src
    - name: b
      copy: src=motd.txt dest=/tmp/kiln-motd
      ignore_errors: true
";
    let test = "files-changed";
    // run_on's directory for this test.
    let src = std::env::temp_dir()
        .join(format!("kiln-walk-{}-{test}", std::process::id()))
        .join("motd.txt");
    let connector = Connector(Arc::new(move |_h: &str| {
        let c: Arc<dyn Connection> = Arc::new(Rewriter(src.clone()));
        Ok(c)
    }));
    let opts = with_forks(2, connector);
    let extra = [("motd.txt", "hello\n")];
    let (w, rc) = run_on(test, 2, pb, &extra, opts, &current_thread());
    assert_eq!(rc, 0);
    // b was read ahead while a ran (before a rewrote it)...
    let after_a = barrier_tick(&w, Why::Task, 0);
    assert!(prepared_for(&w, "h1", "b").tick < after_a);
    // ...and neither host used those bytes: both read the new file.
    assert_eq!(w.files, (0, 2));
    assert_eq!(w.files_held, 0);
}
