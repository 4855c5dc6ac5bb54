// SPDX-License-Identifier: MIT
//! kiln against the goldens that ansible-playbook 2.21 recorded
//! (tests/oracle/record.py): same per-task status per host, same registered
//! results (times and run-specific paths masked the same way), same recap and
//! exit code, on real sshd hosts started for each playbook.

mod support;

use kiln::engine::{self, Request};
use kiln::exec::RunOptions;
use kiln::output::{Bus, Event, Recorder, Status};
use regex::Regex;
use serde_json::{json, Map, Value as Json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::fleet::{Fleet, Header};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The string masks of record.py's `normalise_text`, in the same order.
struct Masks {
    root: String,
    playbooks: String,
    addrs: Vec<String>,
    ports: Vec<u16>,
}

impl Masks {
    fn text(&self, s: &str) -> String {
        let ts = Regex::new(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\b").unwrap();
        let delta = Regex::new(r"(^|[^\d:.])\d+:\d\d:\d\d\.\d{6}\b").unwrap();
        let mut t = ts.replace_all(s, "<TIME>").into_owned();
        t = delta.replace_all(&t, "${1}<DELTA>").into_owned();
        // kiln reads the controller's ~/.ssh/known_hosts; the oracle passed
        // the same file to ssh as <ROOT>/known_hosts.
        t = t.replace(&format!("{}/home/.ssh/known_hosts", self.root), "<ROOT>/known_hosts");
        t = t.replace(&self.root, "<ROOT>");
        t = t.replace(&self.playbooks, "<PLAYBOOKS>");
        for a in &self.addrs {
            let re = Regex::new(&format!(r"{}(\D|$)", regex::escape(a))).unwrap();
            t = re.replace_all(&t, "<ADDR>${1}").into_owned();
        }
        for p in &self.ports {
            let re = Regex::new(&format!(r"(^|\D){p}(\D|$)")).unwrap();
            t = re.replace_all(&t, "${1}<PORT>${2}").into_owned();
        }
        let fp = Regex::new(r"SHA256:[A-Za-z0-9+/]{43}=?").unwrap();
        fp.replace_all(&t, "SHA256:<FINGERPRINT>").into_owned()
    }

    fn value(&self, v: &Json) -> Json {
        match v {
            Json::String(s) => Json::String(self.text(s)),
            Json::Array(a) => Json::Array(a.iter().map(|x| self.value(x)).collect()),
            Json::Object(m) => Json::Object(
                m.iter()
                    .map(|(k, x)| (self.text(k), self.value(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn result(&self, r: &Json) -> Json {
        let mut r = r.clone();
        strip(&mut r);
        self.value(&r)
    }
}

/// Drops times, `invocation` and `_ansible_*` keys at the top and in `results`.
fn strip(r: &mut Json) {
    if let Json::Object(m) = r {
        m.retain(|k, _| {
            !matches!(k.as_str(), "start" | "end" | "delta" | "invocation") && !k.starts_with("_ansible_")
        });
        if let Some(Json::Array(items)) = m.get_mut("results") {
            for i in items {
                strip(i);
            }
        }
    }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Changed => "changed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Unreachable => "unreachable",
    }
}

/// Runs `playbook` with kiln in-process and returns (rc, events, recap) in
/// the golden's shape.
fn run_kiln(fleet: &Fleet, header: &Header, playbook: &Path) -> (i32, Vec<Json>, Json) {
    let mut opts = RunOptions {
        home: fleet.home.clone(),
        forks: 10,
        ..RunOptions::default()
    };
    let mut extra = Vec::new();
    let mut args = header.args.iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" | "-C" => opts.check = true,
            "--diff" | "-D" => opts.diff = true,
            "-e" | "--extra-vars" => extra.push(args.next().expect("-e value").clone()),
            "-l" | "--limit" => opts.limit = args.next().cloned(),
            "-b" | "--become" => opts.become_ = true,
            other => panic!("header arg {other} not handled by this test"),
        }
    }
    let req = Request {
        playbooks: vec![playbook.to_path_buf()],
        inventories: vec![fleet.inventory.display().to_string()],
        extra_vars: extra,
        opts,
        cwd: fleet.root.path().to_path_buf(),
    };
    let prepared = engine::prepare(&req).unwrap_or_else(|e| panic!("validation failed: {e}"));
    let bus = Arc::new(Bus::new());
    let rec = Recorder::default();
    bus.add(Box::new(rec.clone()));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let outcome = rt.block_on(engine::run(prepared, bus));
    let mut play = String::new();
    let mut events = Vec::new();
    for e in rec.events() {
        match e {
            Event::PlayStart { name } => play = name,
            Event::ItemResult {
                host,
                task,
                status,
                result,
                ..
            } => events.push(json!({
                "play": play, "task": task, "kind": "item", "host": host,
                "status": status_name(status), "result": result,
            })),
            Event::HostResult {
                host,
                task,
                status,
                ignored,
                result,
                ..
            } => {
                let mut ev = json!({
                    "play": play, "task": task, "kind": "task", "host": host,
                    "status": status_name(status), "result": result,
                });
                if ignored {
                    ev["ignored"] = json!(true);
                }
                events.push(ev);
            }
            _ => {}
        }
    }
    let recap: Map<String, Json> = outcome
        .stats
        .iter()
        .map(|(h, s)| (h.clone(), serde_json::to_value(s).expect("stats")))
        .collect();
    (outcome.exit_code, events, Json::Object(recap))
}

/// Stable sort of each run of same-task events by host order.
fn order(events: &mut [Json], hosts: &[String]) {
    let pos = |e: &Json| hosts.iter().position(|h| e["host"] == json!(h)).unwrap_or(usize::MAX);
    let mut start = 0;
    while start < events.len() {
        let mut end = start + 1;
        while end < events.len()
            && events[end]["task"] == events[start]["task"]
            && events[end]["play"] == events[start]["play"]
        {
            end += 1;
        }
        events[start..end].sort_by_key(pos);
        start = end;
    }
}

fn compare(stem: &str) {
    let golden: Json = serde_json::from_str(
        &std::fs::read_to_string(repo().join(format!("tests/golden/{stem}.json"))).expect("golden"),
    )
    .expect("golden json");
    let playbook = repo().join(format!("tests/playbooks/{stem}.yml"));
    let header = Header::parse(&playbook);
    let fleet = Fleet::start(&header);
    let masks = Masks {
        root: fleet.root.path().display().to_string(),
        playbooks: repo().join("tests/playbooks").display().to_string(),
        addrs: fleet.hosts.iter().map(|h| h.address().to_string()).collect(),
        ports: fleet.hosts.iter().map(|h| h.port()).collect(),
    };
    let (rc, mut events, recap) = run_kiln(&fleet, &header, &playbook);
    for e in events.iter_mut() {
        let r = masks.result(&e["result"]);
        e["result"] = r;
        let p = masks.text(e["play"].as_str().unwrap_or_default());
        e["play"] = json!(p);
    }
    order(&mut events, &fleet.names);
    let want: Vec<Json> = golden["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Json::Object(m) = &mut e {
                m.remove("action");
                m.remove("resolved_action");
            }
            e
        })
        .collect();
    let mut problems = Vec::new();
    if rc != golden["rc"].as_i64().unwrap_or(-1) as i32 {
        problems.push(format!("exit code: kiln {rc}, ansible {}", golden["rc"]));
    }
    if recap != golden["recap"] {
        problems.push(format!("recap:\n  kiln    {recap}\n  ansible {}", golden["recap"]));
    }
    let n = events.len().max(want.len());
    for i in 0..n {
        let (k, a) = (events.get(i), want.get(i));
        if k != a {
            problems.push(format!(
                "event {i}:\n  kiln    {}\n  ansible {}",
                k.map(|x| x.to_string()).unwrap_or_else(|| "(none)".into()),
                a.map(|x| x.to_string()).unwrap_or_else(|| "(none)".into())
            ));
        }
    }
    assert!(problems.is_empty(), "{stem}: kiln differs from ansible-playbook 2.21:\n{}", problems.join("\n"));
}

macro_rules! golden_tests {
    ($($name:ident => $stem:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                compare($stem);
            }
        )*
    };
}

golden_tests!(
    basic_command => "basic_command",
    register_when => "register_when",
    loop_items => "loop_items",
    set_fact_assert => "set_fact_assert",
    failures => "failures",
    unreachable => "unreachable",
    bad_hostkey => "bad_hostkey",
    unknown_hostkey => "unknown_hostkey",
    five_hosts => "five_hosts",
    patterns => "patterns",
    become_ => "become",
    native_types => "native_types",
    check_mode => "check_mode",
    extra_vars => "extra_vars",
    ping => "ping",
);
