// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Micro-benchmark of the controller alone (issue 8, point 6): a playbook of
//! 100 tasks on 1,000 hosts, run through the engine library, where every
//! host is an in-memory connection that answers each command at once. What
//! is left is kiln's own cost: the plan, the scheduler, variable scopes,
//! templating, module argument handling, results and events. It catches
//! controller regressions without SSH noise.
//!
//! Run: `cargo bench --bench engine` (options after `--`:
//! `--hosts 1000 --tasks 100 --reps 3 --forks 50`).
//!
//! The runtime is single-threaded, so wall time is the controller's CPU
//! time (the transport does no work and nothing else runs in the process).

use kiln::engine::{self, Request};
use kiln::exec::{Connector, RunOptions};
use kiln::output::{Bus, Event, Sink};
use kiln::transport::{Connection, ExecOutput, TransportError};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A host that runs nothing: every command exits 0 at once, printing `ok`.
struct InstantHost {
    execs: Arc<AtomicU64>,
}

#[async_trait::async_trait]
impl Connection for InstantHost {
    async fn exec(&self, _cmd: &str, _stdin: Option<&[u8]>) -> Result<ExecOutput, TransportError> {
        self.execs.fetch_add(1, Ordering::Relaxed);
        Ok(ExecOutput {
            rc: 0,
            stdout: b"ok\n".to_vec(),
            stderr: Vec::new(),
        })
    }

    async fn close(&self) {}
}

/// Counts events, so the output path is exercised but not printed.
struct CountingSink(Arc<AtomicU64>);

impl Sink for CountingSink {
    fn emit(&mut self, _e: &Event, _shown: &kiln::output::Shown) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

struct Params {
    hosts: usize,
    tasks: usize,
    reps: usize,
    forks: usize,
}

fn parse_args() -> Result<Params, String> {
    let mut p = Params {
        hosts: 1000,
        tasks: 100,
        reps: 3,
        forks: 50,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let slot = match a.as_str() {
            "--hosts" => &mut p.hosts,
            "--tasks" => &mut p.tasks,
            "--reps" => &mut p.reps,
            "--forks" => &mut p.forks,
            // `cargo bench` passes `--bench`; other harness flags are ignored too.
            _ => continue,
        };
        let v = args.next().ok_or(format!("{a} needs a value"))?;
        *slot = v.parse().map_err(|_| format!("{a}: not a number: {v}"))?;
        if *slot == 0 {
            return Err(format!("{a} must be at least 1"));
        }
    }
    Ok(p)
}

/// A mix of what playbooks do most, every task templated per host: command,
/// shell with register + changed_when, set_fact, assert on a fact, debug.
fn playbook(tasks: usize) -> String {
    let mut s = String::from("- hosts: all\n  gather_facts: false\n  tasks:\n");
    for i in 0..tasks {
        let _ = match i % 5 {
            0 => writeln!(
                s,
                "    - name: command {i}\n      command: echo {{{{ inventory_hostname }}}} {i}"
            ),
            1 => writeln!(
                s,
                "    - name: shell {i}\n      shell: test -e /srv/{{{{ inventory_hostname }}}} || echo {i}\n      register: r{i}\n      changed_when: \"'created' in r{i}.stdout\""
            ),
            2 => writeln!(
                s,
                "    - name: set_fact {i}\n      set_fact:\n        f{i}: \"{{{{ inventory_hostname | upper }}}}-{i}\""
            ),
            3 => writeln!(
                s,
                "    - name: assert {i}\n      assert:\n        that:\n          - f{prev} is defined\n          - r{two}.rc == 0\n        quiet: true",
                prev = i - 1,
                two = i - 2
            ),
            _ => writeln!(
                s,
                "    - name: debug {i}\n      debug:\n        msg: \"{{{{ inventory_hostname }}}} {i} {{{{ f{prev} }}}}\"",
                prev = i - 2
            ),
        };
    }
    s
}

fn inventory(hosts: usize) -> String {
    let mut s = String::from("[all]\n");
    for i in 1..=hosts {
        let _ = writeln!(s, "h{i} ansible_user=root");
    }
    s
}

/// Peak resident memory of this process (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

struct RepResult {
    prepare: Duration,
    run: Duration,
    execs: u64,
    events: u64,
}

fn one_rep(dir: &Path, p: &Params) -> Result<RepResult, String> {
    let execs = Arc::new(AtomicU64::new(0));
    let events = Arc::new(AtomicU64::new(0));
    let counter = execs.clone();
    let connector = Connector(Arc::new(move |_host: &str| {
        let host: Arc<dyn Connection> = Arc::new(InstantHost {
            execs: counter.clone(),
        });
        Ok(host)
    }));
    let req = Request {
        playbooks: vec![dir.join("bench.yml")],
        inventories: vec![dir.join("inventory.ini").display().to_string()],
        opts: RunOptions {
            forks: p.forks,
            home: dir.to_path_buf(),
            connector: Some(connector),
            ..RunOptions::default()
        },
        cwd: dir.to_path_buf(),
        ..Request::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let t0 = Instant::now();
    let prepared = engine::prepare(&req).map_err(|e| format!("prepare: {e}"))?;
    let prepare = t0.elapsed();
    let bus = Arc::new(Bus::new());
    bus.add(Box::new(CountingSink(events.clone())));
    let t1 = Instant::now();
    let outcome = rt.block_on(engine::run(prepared, bus));
    let run = t1.elapsed();
    // The numbers only count if every host ran every task.
    if outcome.exit_code != 0 || outcome.stats.len() != p.hosts {
        return Err(format!(
            "run failed: exit {} with {} hosts in the recap",
            outcome.exit_code,
            outcome.stats.len()
        ));
    }
    for (host, st) in &outcome.stats {
        let done = (st.ok + st.skipped) as usize;
        if st.failed != 0 || st.unreachable != 0 || done != p.tasks {
            return Err(format!("{host}: {st:?}, expected {} tasks done", p.tasks));
        }
    }
    Ok(RepResult {
        prepare,
        run,
        execs: execs.load(Ordering::Relaxed),
        events: events.load(Ordering::Relaxed),
    })
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() -> Result<(), String> {
    let p = parse_args()?;
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    std::fs::write(dir.path().join("bench.yml"), playbook(p.tasks))
        .map_err(|e| format!("write playbook: {e}"))?;
    std::fs::write(dir.path().join("inventory.ini"), inventory(p.hosts))
        .map_err(|e| format!("write inventory: {e}"))?;
    let host_tasks = (p.hosts * p.tasks) as f64;
    println!(
        "engine micro-benchmark: {} hosts x {} tasks, forks {}, in-memory transport, {} reps",
        p.hosts, p.tasks, p.forks, p.reps
    );
    let mut prepares = Vec::new();
    let mut runs = Vec::new();
    for rep in 1..=p.reps {
        let r = one_rep(dir.path(), &p)?;
        println!(
            "  rep {rep}: prepare {:8.1} ms  run {:8.1} ms  {:6.1} us/host-task  {:.2} execs/host-task  {:.2} events/host-task",
            r.prepare.as_secs_f64() * 1e3,
            r.run.as_secs_f64() * 1e3,
            r.run.as_secs_f64() * 1e6 / host_tasks,
            r.execs as f64 / host_tasks,
            r.events as f64 / host_tasks,
        );
        prepares.push(r.prepare);
        runs.push(r.run);
    }
    let run = median(runs);
    println!(
        "median: prepare {:.1} ms, run {:.1} ms, {:.1} us per host-task (target: under 1000 us); peak RSS {}",
        median(prepares).as_secs_f64() * 1e3,
        run.as_secs_f64() * 1e3,
        run.as_secs_f64() * 1e6 / host_tasks,
        peak_rss_mib().map_or("unknown".into(), |m| format!("{m:.1} MiB")),
    );
    Ok(())
}
