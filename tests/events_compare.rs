// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! kiln's `--events` stream against ansible-runner's job events recorded
//! from real ansible-playbook 2.21 (tests/golden/events/, written by
//! tests/oracle/record_events.py) on the same playbooks and sshd hosts.
//!
//! Compared field by field: event names and their order for each host and
//! for the playbook/play/task events, task and play names, task paths,
//! `event_data` key sets, result (`res`) key sets, statuses, stats, stdout
//! per event, and the parent/child uuid links.
//! Allowed to differ (documented, not compared): uuid values, times,
//! durations, `pid`, `runner_ident`; `task_action` written as an FQCN
//! (kiln reports the short name); the order of hosts inside one task (a
//! race with forks, normalised by host order as the recording does).
//!
//! The same goldens hold the artifact directory ansible-runner wrote for
//! that run (`artifacts/<ident>/`): `artifacts_*` runs kiln with
//! `--artifact-dir` and compares the layout (file names, the number of
//! job events), `status`, `rc`, `stderr`, the lines
//! of `stdout`, and every `job_events/*.json` as above. `dropin_*` runs
//! ansible-runner itself (`ansible_runner.interface.run(inventory=<dict>,
//! json_mode=True)`) with kiln linked as `ansible-playbook` first on PATH:
//! ansible-runner reads kiln's `awx_display` framing and partial event
//! files, and its `runner.events` and artifacts must match the golden.

mod support;

use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use support::fleet::{Fleet, Header};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Result keys that vary between runs or are dropped by the recording.
fn res_keys(res: &Json) -> BTreeSet<String> {
    res.as_object()
        .map(|m| {
            m.keys()
                .filter(|k| {
                    !k.starts_with("_ansible_")
                        && !matches!(k.as_str(), "start" | "end" | "delta" | "invocation")
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn host_of(e: &Json) -> Option<String> {
    e["event_data"]["host"].as_str().map(str::to_string)
}

/// What is compared of one event.
fn summary(e: &Json, root: &str) -> Json {
    let d = &e["event_data"];
    let mut keys: Vec<&String> = d
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    keys.sort();
    let stdout = e["stdout"]
        .as_str()
        .unwrap_or_default()
        .replace(root, "<PLAYBOOKS>");
    json!({
        "event": e["event"],
        "task": d["task"],
        "play": d["play"],
        // kiln's plan keeps the short action name; Ansible keeps it as written.
        "task_action": d["task_action"].as_str().map(|a| {
            a.trim_start_matches("ansible.builtin.")
                .trim_start_matches("ansible.legacy.")
                .to_string()
        }),
        "task_path": d["task_path"].as_str().map(|p| p.replace(root, "<PLAYBOOKS>")),
        "is_conditional": d["is_conditional"],
        "handler": d["handler"],
        "ignore_errors": d["ignore_errors"],
        "keys": keys,
        "res_keys": d.get("res").map(res_keys),
        "changed": d["res"]["changed"],
        // A verbose event's level (`display.vv` is 2); none for the lines
        // ansible-playbook prints before its callback loads, which carry
        // no data at all.
        "verbosity": e["verbosity"],
        "has_data": e.get("event_data").is_some(),
        "stdout": stdout,
    })
}

/// Events per host, and the events of no host, in order.
fn split(events: &[Json], root: &str) -> (Vec<Json>, BTreeMap<String, Vec<Json>>) {
    let mut global = Vec::new();
    let mut hosts: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for e in events {
        match host_of(e) {
            Some(h) => hosts.entry(h).or_default().push(summary(e, root)),
            None => global.push(summary(e, root)),
        }
    }
    (global, hosts)
}

/// Ansible shows an `[ERROR]` block once per run for the same text: when
/// hosts fail a task the same way, the first to report carries it, and
/// which host that is is a race between forks. The blocks are lifted out
/// of the hosts' events (returned with their task, to be compared per
/// task) and the events keep the rest of their text.
fn lift_errors(events: &[Json]) -> (Vec<Json>, Vec<(Json, String)>) {
    let mut errors = Vec::new();
    let events = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            let text = e["stdout"].as_str().unwrap_or_default().to_string();
            if host_of(&e).is_some()
                && text.starts_with("[ERROR]")
                && let Some(at) = text.find("fatal: [")
            {
                errors.push((e["event_data"]["task"].clone(), text[..at].to_string()));
                e["stdout"] = json!(text[at..]);
            }
            e
        })
        .collect();
    (events, errors)
}

/// How many "still running" polls a job gets depends on how long it takes
/// to start and run on a loaded machine, not on the engine: the
/// `runner_on_async_poll` events are taken apart from the rest, and what
/// is compared of them is which tasks had at least one (a job polled while
/// it was still running) and that every one has the poll's shape.
fn polls_apart(host: &str, events: Vec<Json>) -> (Vec<Json>, BTreeSet<String>) {
    let mut polled = BTreeSet::new();
    let mut rest = Vec::new();
    for e in events {
        if e["event"] == "runner_on_async_poll" {
            let task = e["task"].as_str().unwrap_or_default();
            assert!(
                !task.is_empty(),
                "host {host}: a poll without its task: {e}"
            );
            // The poll runs as Ansible's internal async_status task: the
            // path tells which of the playbook's tasks it polls.
            polled.insert(format!("{task} at {}", e["task_path"]));
        } else {
            rest.push(e);
        }
    }
    (rest, polled)
}

/// The golden as kiln run by itself (not under ansible-runner) shows it:
/// under ansible-runner the stdout callback is awx_display, so at -vv
/// Ansible also says it passed over `default`, which kiln, running with
/// the default callback, does not.
fn standalone(mut golden: Json) -> Json {
    const SKIPPED: &str = "Skipping callback 'default', as we already have a stdout callback.";
    if let Some(events) = golden["events"].as_array_mut() {
        events.retain(|e| e["stdout"] != json!(SKIPPED));
    }
    if let Some(out) = golden["artifacts"]["stdout"].as_str() {
        let kept: String = out
            .split_inclusive('\n')
            .filter(|l| l.trim_end() != SKIPPED)
            .collect();
        golden["artifacts"]["stdout"] = json!(kept);
    }
    if let Some(files) = golden["artifacts"]["files"].as_array()
        && golden["events"].as_array().is_some()
    {
        // One job event fewer.
        let events = golden["events"].as_array().map(Vec::len).unwrap_or(0);
        let mut files: Vec<Json> = files
            .iter()
            .filter(|f| {
                let n = f.as_str().unwrap_or_default();
                !n.starts_with("job_events/")
            })
            .cloned()
            .collect();
        files.extend((1..=events).map(|i| json!(format!("job_events/{i}-<UUID>.json"))));
        golden["artifacts"]["files"] = json!(files);
    }
    golden
}

/// Links: every event's parent is the event that encloses it.
fn check_links(events: &[Json]) {
    let uuids: BTreeMap<&str, &Json> = events
        .iter()
        .map(|e| (e["uuid"].as_str().unwrap_or_default(), e))
        .collect();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["counter"], json!(i + 1), "counters run 1..N");
        // Printed before the callback loads (bare lines), or before the
        // playbook starts (the callbacks passed over at -vv): no parent.
        if e["event"] == json!("verbose") && e["event_data"]["playbook_uuid"].is_null() {
            assert!(e.get("parent_uuid").is_none(), "{e}");
            continue;
        }
        let want = match e["event"].as_str().unwrap_or_default() {
            "playbook_on_start" => continue,
            "playbook_on_play_start" | "playbook_on_stats" => vec!["playbook_on_start"],
            "playbook_on_task_start" => vec!["playbook_on_play_start"],
            // Ansible polls through an internal async_status task that has
            // no event of its own: the poll's parent is that task's uuid.
            "runner_on_async_poll" => {
                assert_eq!(e["parent_uuid"], e["event_data"]["task_uuid"], "{e}");
                assert_eq!(e["event_data"]["task"], json!("async_status"), "{e}");
                continue;
            }
            // Displayed outside any callback: under whatever runs then.
            "warning" | "verbose" => vec![
                "playbook_on_start",
                "playbook_on_play_start",
                "playbook_on_task_start",
            ],
            _ => vec!["playbook_on_task_start"],
        };
        let parent = e["parent_uuid"].as_str().unwrap_or_default();
        let p = uuids
            .get(parent)
            .unwrap_or_else(|| panic!("no parent for {e}"));
        assert!(
            want.iter().any(|w| p["event"] == json!(w)),
            "parent of {}: {}",
            e["event"],
            p["event"]
        );
    }
}

/// Stdout only holds what the default callback printed for this event:
/// compared after the playbook directory and addresses are masked.
fn mask(s: &str) -> String {
    let re = regex::Regex::new(r"127\.\d+\.\d+\.\d+").expect("re");
    let s = re.replace_all(s, "<ADDR>").into_owned();
    let port = regex::Regex::new(r"port \d+").expect("re");
    let s = port.replace_all(&s, "port <PORT>").into_owned();
    let time = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}").expect("re");
    let s = time.replace_all(&s, "<TIME>").into_owned();
    let delta = regex::Regex::new(r"\d+:\d\d:\d\d\.\d{6}").expect("re");
    let s = delta.replace_all(&s, "<DELTA>").into_owned();
    // record.py's ASYNC_JID: async job ids are random.
    let jid = regex::Regex::new(r"\bj\d{1,12}\.\d+\b").unwrap();
    let s = jid.replace_all(&s, "<JID>").into_owned();
    // The -vv version block: the program's own lines say what kiln is
    // (tests/output_sinks.rs::vv_header_like_ansible checks them); the
    // configuration's lines (config file, module and collection paths)
    // must be Ansible's.
    let version = regex::Regex::new(r"(?m)^ansible-playbook \[[^\]]*\]$").expect("re");
    let s = version
        .replace_all(&s, "ansible-playbook [<VERSION>]")
        .into_owned();
    let program = regex::Regex::new(
        r"(?m)^  (ansible python module location|executable location|python version|jinja version|pyyaml version) = .*$",
    )
    .expect("re");
    program.replace_all(&s, "  $1 = <PROGRAM>").into_owned()
}

/// The golden `name` (a playbook's stem, or `STEM.VARIANT` for a run of
/// it with more arguments) and its playbook.
fn golden(name: &str) -> (PathBuf, Json) {
    let golden_path = repo()
        .join("tests/golden/events")
        .join(format!("{name}.json"));
    let golden: Json =
        serde_json::from_str(&std::fs::read_to_string(&golden_path).expect("golden"))
            .expect("json");
    let file = golden["playbook"].as_str().expect("playbook").to_string();
    let playbook = repo().join("tests/playbooks").join(file);
    (playbook, golden)
}

/// The playbook's header arguments after `-f 10`, then the golden's
/// own (`-vv` for a verbose variant).
fn header_args(header: &Header, golden: &Json) -> Vec<String> {
    let mut args = vec!["-f".to_string(), "10".to_string()];
    args.extend(header.args.iter().cloned());
    let extra = golden["extra_args"].as_array().cloned().unwrap_or_default();
    args.extend(extra.iter().filter_map(|a| a.as_str().map(str::to_string)));
    args
}

/// An empty ansible.cfg in the fleet's root, as the recording names one
/// (its -v line says `Using <ROOT>/ansible.cfg as config file`).
fn empty_config(fleet: &Fleet) -> PathBuf {
    let cfg = fleet.root.path().join("ansible.cfg");
    std::fs::write(&cfg, "").expect("empty ansible.cfg");
    cfg
}

/// kiln on `playbook` with `args`, configured as the recording was.
fn run_kiln(fleet: &Fleet, playbook: &Path, args: &[String]) -> support::fleet::RunOutput {
    let cfg = empty_config(fleet);
    let out = fleet
        .command(
            playbook,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .env("ANSIBLE_CONFIG", cfg)
        .output()
        .expect("kiln runs");
    support::fleet::RunOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn compare(name: &str) {
    let (playbook, golden) = golden(name);
    let golden = standalone(golden);
    let header = Header::parse(&playbook);
    let fleet = Fleet::start(&header);
    let events_file = fleet.root.path().join("events.jsonl");
    let mut args = header_args(&header, &golden);
    args.extend(["--events".to_string(), events_file.display().to_string()]);
    let out = run_kiln(&fleet, &playbook, &args);
    assert_eq!(
        json!(out.code),
        golden["rc"],
        "exit code; stderr:\n{}",
        out.stderr
    );
    let text = std::fs::read_to_string(&events_file).expect("events written");
    let kiln: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    // Every event's stdout, concatenated, is the run's stdout.
    let joined: String = kiln
        .iter()
        .filter_map(|e| e["stdout"].as_str())
        .filter(|s| !s.is_empty())
        .map(|s| format!("{}\n", s.replace("\r\n", "\n")))
        .collect();
    // Warnings are on stderr; their events carry them too.
    let screen = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(
        joined.trim_end().lines().filter(|l| !l.is_empty()).count(),
        screen.trim_end().lines().filter(|l| !l.is_empty()).count(),
        "events' stdout covers the screen"
    );
    compare_events(name, &playbook, &golden, &kiln, fleet.root.path());
}

/// kiln's job events against the golden's, field by field. `root` (the
/// fleet's directory, where host state lives) is masked as `<ROOT>`; in
/// the bare lines of the -vv version block, the fleet's HOME (under
/// `root`) stands for the recording's `/root`.
fn compare_events(
    stem: &str,
    playbook: &std::path::Path,
    golden: &Json,
    kiln: &[Json],
    root: &Path,
) {
    check_links(kiln);
    let home = format!("{}/home/", root.display());
    let root = root.display().to_string();
    let kiln: Vec<Json> = kiln
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Some(s) = e["stdout"].as_str() {
                let s = if e.get("event_data").is_none() {
                    s.replace(&home, "/root/")
                } else {
                    s.to_string()
                };
                e["stdout"] = json!(s.replace(&root, "<ROOT>"));
            }
            e
        })
        .collect();
    let (kiln, kiln_errors) = lift_errors(&kiln);
    let kiln = kiln.as_slice();
    let dir = playbook.parent().expect("dir").display().to_string();
    let golden_events: Vec<Json> = golden["events"].as_array().cloned().unwrap_or_default();
    let (golden_events, golden_errors) = lift_errors(&golden_events);
    let masked = |errors: Vec<(Json, String)>, root: &str| -> Vec<(Json, String)> {
        let mut v: Vec<(Json, String)> = errors
            .into_iter()
            .map(|(t, e)| (t, mask(&e.replace(root, "<PLAYBOOKS>"))))
            .collect();
        v.sort_by(|a, b| (a.0.to_string(), &a.1).cmp(&(b.0.to_string(), &b.1)));
        v
    };
    assert_eq!(
        masked(kiln_errors, &dir),
        masked(golden_errors, "<PLAYBOOKS>"),
        "{stem}: [ERROR] blocks per task"
    );
    let (kg, kh) = split(kiln, &dir);
    let (gg, gh) = split(&golden_events, "<PLAYBOOKS>");
    let norm = |v: Vec<Json>| -> Vec<Json> {
        v.into_iter()
            .map(|mut s| {
                s["stdout"] = json!(mask(s["stdout"].as_str().unwrap_or_default()));
                s
            })
            .collect()
    };
    let (kg, gg) = (norm(kg), norm(gg));
    for (i, (k, g)) in kg.iter().zip(&gg).enumerate() {
        assert_eq!(k, g, "{stem}: playbook, play and task event {i}");
    }
    assert_eq!(
        kg.len(),
        gg.len(),
        "{stem}: playbook, play and task event count"
    );
    assert_eq!(
        kh.keys().collect::<Vec<_>>(),
        gh.keys().collect::<Vec<_>>(),
        "{stem}: hosts"
    );
    for (h, want) in gh {
        let got = kh.get(&h).cloned().unwrap_or_default();
        let (got, want) = (norm(got), norm(want));
        let (got, want) = (polls_apart(&h, got), polls_apart(&h, want));
        assert_eq!(
            got.1, want.1,
            "{stem}: host {h}: tasks polled while running"
        );
        let (got, want) = (got.0, want.0);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{stem}: host {h}, event {i}");
        }
        assert_eq!(got.len(), want.len(), "{stem}: host {h}: event count");
    }
    let stats = |evs: &[Json]| -> Json {
        let s = evs
            .iter()
            .find(|e| e["event"] == "playbook_on_stats")
            .cloned()
            .unwrap_or_default();
        let d = &s["event_data"];
        json!([
            d["ok"],
            d["changed"],
            d["failures"],
            d["dark"],
            d["skipped"],
            d["ignored"],
            d["processed"],
            // What set_stats set run-wide.
            d["artifact_data"]
        ])
    };
    assert_eq!(stats(kiln), stats(&golden_events), "{stem}: stats");
}

/// Relative file names under `dir`.
fn file_names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).expect("inside").display().to_string());
        }
    }
    out
}

/// An artifact directory's layout: its file names other than the job
/// events, sorted, and how many job events it holds (each named
/// `<counter>-<uuid>.json`). The fact cache's files are left out, as
/// record_events.py leaves them out.
fn layout(names: &[String]) -> (Vec<String>, usize) {
    let event =
        regex::Regex::new(r"^job_events/\d+-([0-9a-f-]{36}(_\d+)?|<UUID>)\.json$").expect("re");
    let mut other: Vec<String> = names
        .iter()
        .filter(|n| !n.starts_with("fact_cache/") && !event.is_match(n))
        .cloned()
        .collect();
    other.sort();
    let events = names.iter().filter(|n| event.is_match(n)).count();
    (other, events)
}

/// The golden's artifact layout.
fn golden_layout(golden: &Json) -> (Vec<String>, usize) {
    let names: Vec<String> = golden["artifacts"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    layout(&names)
}

/// The lines of an artifact `stdout`, masked and sorted: which host's
/// line comes first inside a task is a race between forks.
fn stdout_lines(text: &str, playbooks: &str) -> Vec<String> {
    let text = mask(&text.replace("\r\n", "\n").replace(playbooks, "<PLAYBOOKS>"));
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// `kiln playbook --artifact-dir` against the artifact directory
/// ansible-runner wrote for ansible-playbook on the same playbook.
fn artifacts(stem: &str) {
    let (playbook, golden) = golden(stem);
    let golden = standalone(golden);
    let header = Header::parse(&playbook);
    let fleet = Fleet::start(&header);
    let root = fleet.root.path().join("artifacts");
    let mut args = header_args(&header, &golden);
    args.extend([
        "--artifact-dir".to_string(),
        root.display().to_string(),
        "--ident".to_string(),
        "job1".to_string(),
    ]);
    let out = run_kiln(&fleet, &playbook, &args);
    assert_eq!(json!(out.code), golden["rc"], "{}", out.stderr);
    let dir = root.join("job1");
    let want = &golden["artifacts"];
    assert_eq!(
        layout(&file_names(&dir)),
        golden_layout(&golden),
        "{stem}: artifact files"
    );
    for f in ["status", "rc", "stderr"] {
        let got = std::fs::read_to_string(dir.join(f)).expect("artifact file");
        assert_eq!(json!(got), want[f], "{stem}: artifact {f}");
    }
    let playbooks = repo().join("tests/playbooks").display().to_string();
    // The fleet's HOME stands for the recording's /root (the -vv version
    // block's paths), then the fleet's root is masked.
    let home = fleet.home.display().to_string();
    let masked = |s: &str| {
        s.replace(&format!("{home}/"), "/root/")
            .replace(&fleet.root.path().display().to_string(), "<ROOT>")
    };
    let got = masked(&std::fs::read_to_string(dir.join("stdout")).expect("stdout"));
    // Warnings (stderr) are in the artifact's stdout too.
    let screen = masked(&format!("{}{}", out.stdout, out.stderr));
    assert_eq!(
        stdout_lines(&got, &playbooks),
        stdout_lines(want["stdout"].as_str().unwrap_or_default(), &playbooks),
        "{stem}: artifact stdout"
    );
    // The screen shows what the artifact's stdout holds (an event's text
    // loses its last line end there, as under ansible-runner).
    let filled =
        |v: Vec<String>| -> Vec<String> { v.into_iter().filter(|l| !l.is_empty()).collect() };
    assert_eq!(
        filled(stdout_lines(&got, &playbooks)),
        filled(stdout_lines(&screen, &playbooks)),
        "{stem}: artifact stdout is the screen"
    );
    let mut kiln: Vec<Json> = std::fs::read_dir(dir.join("job_events"))
        .expect("job_events")
        .map(|e| {
            let p = e.expect("entry").path();
            serde_json::from_str(&std::fs::read_to_string(&p).expect("event")).expect("json")
        })
        .collect();
    kiln.sort_by_key(|e| e["counter"].as_u64().unwrap_or(0));
    for e in &kiln {
        assert_eq!(e["runner_ident"], json!("job1"));
    }
    compare_events(stem, &playbook, &golden, &kiln, fleet.root.path());
}

/// The Python of the oracle venv, when it has ansible-runner.
fn runner_python() -> Option<PathBuf> {
    let venv = std::env::var_os("KILN_ORACLE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/ansible-venv"));
    let py = venv.join("bin/python");
    let ok = std::process::Command::new(&py)
        .args(["-c", "import ansible_runner"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

/// ansible-runner (from PyPI) driving kiln linked as `ansible-playbook`:
/// `ansible_runner.interface.run(playbook=..., inventory=<dict>,
/// json_mode=True)` must see the events it sees with ansible-playbook.
fn dropin(stem: &str) {
    let Some(python) = runner_python() else {
        eprintln!(
            "SKIPPED dropin {stem}: no venv with ansible-runner (run tests/oracle/setup-venv.sh)"
        );
        return;
    };
    let (playbook, golden) = golden(stem);
    let header = Header::parse(&playbook);
    let fleet = Fleet::start(&header);
    let bin = fleet.root.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kiln"), bin.join("ansible-playbook"))
        .expect("link");
    let out = fleet.root.path().join("dropin.json");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut runner = std::process::Command::new(python);
    if golden["extra_args"].is_null() {
        runner.env_remove("ANSIBLE_CONFIG");
    } else {
        // As recorded (its -v line names the config file; host keys were
        // checked, which ansible-runner turns off unless told).
        runner
            .env("ANSIBLE_CONFIG", empty_config(&fleet))
            .env("ANSIBLE_HOST_KEY_CHECKING", "True");
    }
    let run = runner
        .arg(repo().join("tests/oracle/runner_dropin.py"))
        .arg("--playbook")
        .arg(&playbook)
        .arg("--inventory-ini")
        .arg(&fleet.inventory)
        .arg("--data")
        .arg(fleet.root.path().join("runner"))
        .arg("--out")
        .arg(&out)
        .arg("--")
        .args(header_args(&header, &golden))
        .env("PATH", path)
        .env("HOME", &fleet.home)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("ANSIBLE_STDOUT_CALLBACK")
        .current_dir(fleet.root.path())
        .output()
        .expect("python runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let doc: Json =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("result")).expect("json");
    assert_eq!(doc["command"][0], json!("ansible-playbook"));
    assert_eq!(doc["rc"], golden["rc"], "{stem}: rc");
    assert_eq!(doc["status"], golden["status"], "{stem}: status");
    let names: Vec<String> = doc["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    let events = doc["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        layout(&names),
        golden_layout(&golden),
        "{stem}: ansible-runner's artifacts"
    );
    compare_events(stem, &playbook, &golden, &events, fleet.root.path());
}

macro_rules! runner_tests {
    ($($name:ident, $dropin:ident => $stem:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                artifacts($stem);
            }

            #[test]
            fn $dropin() {
                dropin($stem);
            }
        )*
    };
}

runner_tests!(
    artifacts_ping, dropin_ping => "ping",
    artifacts_failures, dropin_failures => "failures",
    artifacts_loop_items, dropin_loop_items => "loop_items",
    artifacts_handlers, dropin_handlers => "handlers",
    artifacts_unreachable, dropin_unreachable => "unreachable",
    artifacts_blocks, dropin_blocks => "blocks",
    artifacts_includes, dropin_includes => "includes",
    artifacts_register_when, dropin_register_when => "register_when",
    artifacts_check_mode, dropin_check_mode => "check_mode",
    artifacts_basic_command, dropin_basic_command => "basic_command",
    artifacts_set_stats, dropin_set_stats => "set_stats",
    artifacts_undefined_warnings, dropin_undefined_warnings => "undefined_warnings",
);

fn run(stem: &str) {
    compare(stem);
}

#[test]
fn ping() {
    run("ping");
}

#[test]
fn failures() {
    run("failures");
}

#[test]
fn loop_items() {
    run("loop_items");
}

#[test]
fn handlers() {
    run("handlers");
}

#[test]
fn unreachable() {
    run("unreachable");
}

#[test]
fn blocks() {
    run("blocks");
}

#[test]
fn includes() {
    run("includes");
}

#[test]
fn register_when() {
    run("register_when");
}

#[test]
fn check_mode() {
    run("check_mode");
}

#[test]
fn basic_command() {
    run("basic_command");
}

#[test]
fn set_stats() {
    run("set_stats");
}

#[test]
fn undefined_warnings() {
    run("undefined_warnings");
}

// `verbose` events: at -vv the version block and the config file line
// as bare lines (no data, no parent), the callbacks passed over, "N plays
// in", saved notifications and META lines with the run's context and
// `verbosity`; at -v the config file line and results.
#[test]
fn verbose_vv_handlers() {
    run("handlers.vv");
}

#[test]
fn verbose_v_failures() {
    run("failures.v");
}

#[test]
fn artifacts_verbose_vv_handlers() {
    artifacts("handlers.vv");
}

#[test]
fn dropin_verbose_vv_handlers() {
    dropin("handlers.vv");
}

// runner_on_async_poll / runner_on_async_ok / runner_on_async_failed: the
// poll events (Ansible's internal async_status task), job ids, the
// failure's exception marker. Both hosts' async jobs fail alike: the
// `[ERROR]` block is in the runner_on_failed event of whichever host
// reported first (see lift_errors).
#[test]
fn async_poll() {
    run("async_poll");
}
