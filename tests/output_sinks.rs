// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The file sinks and diagnostics of a run, against Ansible where Ansible
//! has them: the `log_path` file compared with the log ansible-playbook
//! 2.21 wrote for the same playbook (tests/golden/logs/, recorded by
//! tests/oracle/record_text.py), `tracing` records at -vvvv, and secrets
//! (vault values, `no_log` results, a become password) absent from every
//! sink at once: screen, log file, events, artifacts, diagnostics.

mod support;

use regex::Regex;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::fleet::{Fleet, Header};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the kiln binary like `Fleet::run`, with extra environment.
fn kiln(fleet: &Fleet, playbook: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.arg("playbook")
        .arg("-i")
        .arg(&fleet.inventory)
        .arg(playbook)
        .args(args)
        .env("HOME", &fleet.home)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("ANSIBLE_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("KILN_LOG")
        .env("ANSIBLE_NOCOLOR", "1")
        .current_dir(fleet.root.path());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("kiln runs")
}

/// A log file with its run-specific parts masked as record_text.py masks
/// Ansible's.
fn normalise_log(text: &str, fleet: &Fleet) -> String {
    let record =
        Regex::new(r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} p=\d+ u=\S+ n=").expect("re");
    let mut s = record
        .replace_all(text, "<TIME> p=<PID> u=<USER> n=")
        .into_owned();
    s = s.replace(
        &repo().join("tests/playbooks").display().to_string(),
        "<PLAYBOOKS>",
    );
    s = s.replace(&fleet.root.path().display().to_string(), "<ROOT>");
    for h in &fleet.hosts {
        s = s.replace(h.address(), "<ADDR>");
    }
    s
}

#[test]
fn log_file_like_ansible() {
    let pb = repo().join("tests/playbooks/log_path.yml");
    let fleet = Fleet::start(&Header::parse(&pb));
    let log = fleet.root.path().join("run.log");
    let out = kiln(
        &fleet,
        &pb,
        &[],
        &[("ANSIBLE_LOG_PATH", &log.display().to_string())],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = normalise_log(&std::fs::read_to_string(&log).expect("log written"), &fleet);
    let want =
        std::fs::read_to_string(repo().join("tests/golden/logs/log_path.log")).expect("golden");
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert_eq!(a, b, "log line {}", i + 1);
    }
    assert_eq!(g.len(), w.len(), "log lines:\n{got}");
    assert!(!got.contains("hunter2-log-secret"), "{got}");
    // A second run appends, as Ansible's logger does.
    kiln(
        &fleet,
        &pb,
        &[],
        &[("ANSIBLE_LOG_PATH", &log.display().to_string())],
    );
    let twice = std::fs::read_to_string(&log).expect("log");
    assert_eq!(twice.matches("PLAY RECAP").count(), 2);
}

/// Encrypts `value` as an inline vault string named `name`.
fn encrypt_string(fleet: &Fleet, password_file: &Path, name: &str, value: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["vault", "encrypt_string", "--vault-password-file"])
        .arg(password_file)
        .args(["--name", name, value])
        .env("HOME", &fleet.home)
        .output()
        .expect("kiln vault runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn secrets_reach_no_sink() {
    const VAULTED: &str = "vaulted-Value-7c1e";
    const HIDDEN: &str = "no-log-Value-52ab";
    let fleet = Fleet::start(&Header {
        hosts: 1,
        ..Header::default()
    });
    let root = fleet.root.path();
    let pw = root.join("vault-pass");
    std::fs::write(&pw, "the vault password\n").expect("password");
    let vars = encrypt_string(&fleet, &pw, "vaulted", VAULTED);
    std::fs::write(root.join("secret_vars.yml"), vars).expect("vars");
    // Not in the playbook itself: error excerpts quote the playbook's lines.
    std::fs::write(root.join("plain_vars.yml"), format!("hidden: {HIDDEN}\n")).expect("vars");
    let pb = root.join("secrets.yml");
    std::fs::write(
        &pb,
        "- hosts: all\n  gather_facts: false\n  vars_files: [secret_vars.yml, plain_vars.yml]\n  tasks:\n\
         \x20   - name: uses the vaulted value\n      command: echo {{ vaulted }}\n\
         \x20   - name: hides its result\n      command: echo {{ hidden }}\n      no_log: true\n\
         \x20   - name: fails with the vaulted value\n      command: /bin/false {{ vaulted }}\n      ignore_errors: true\n",
    )
    .expect("playbook");
    let log = root.join("run.log");
    let events = root.join("events.jsonl");
    let artifacts = root.join("artifacts");
    let out = kiln(
        &fleet,
        &pb,
        &[
            "-vvvv",
            "--vault-password-file",
            &pw.display().to_string(),
            "--events",
            &events.display().to_string(),
            "--artifact-dir",
            &artifacts.display().to_string(),
            "--ident",
            "secret-run",
        ],
        &[("ANSIBLE_LOG_PATH", &log.display().to_string())],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // The tasks ran with the secret (the masked result shows where it was).
    assert!(stdout.contains(r#""stdout": "********""#), "{stdout}");
    // -vvvv turns kiln's diagnostics on, on stderr.
    assert!(
        Regex::new(r"(?m) DEBUG kiln::")
            .expect("re")
            .is_match(&stderr),
        "no diagnostics at -vvvv:\n{stderr}"
    );
    let mut sinks = vec![
        ("stdout", stdout),
        ("stderr", stderr),
        ("log", std::fs::read_to_string(&log).expect("log")),
        ("events", std::fs::read_to_string(&events).expect("events")),
    ];
    let dir = artifacts.join("secret-run");
    for f in ["stdout", "command"] {
        sinks.push((f, std::fs::read_to_string(dir.join(f)).expect("artifact")));
    }
    for e in std::fs::read_dir(dir.join("job_events")).expect("job events") {
        let p = e.expect("entry").path();
        sinks.push(("job event", std::fs::read_to_string(p).expect("event")));
    }
    for (name, text) in &sinks {
        for secret in [VAULTED, HIDDEN] {
            assert!(!text.contains(secret), "{secret} in {name}:\n{text}");
        }
    }
}

#[test]
fn diagnostics_are_off_by_default_and_follow_kiln_log() {
    let pb = repo().join("tests/playbooks/ping.yml");
    let fleet = Fleet::start(&Header::parse(&pb));
    let quiet = kiln(&fleet, &pb, &[], &[]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let traced = kiln(&fleet, &pb, &[], &[("KILN_LOG", "kiln=trace")]);
    assert_eq!(traced.status.code(), Some(0));
    let err = String::from_utf8_lossy(&traced.stderr);
    assert!(err.contains(" kiln::"), "{err}");
    // The screen is untouched by the records (hosts of one task may
    // finish in either order).
    let lines = |b: &[u8]| {
        let mut v: Vec<String> = String::from_utf8_lossy(b)
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(lines(&traced.stdout), lines(&quiet.stdout));
}

/// profile_tasks' output with its times masked, as record_text.py masks it.
fn normalise_profile(text: &str) -> Vec<String> {
    let tasktime = Regex::new(
        r"^\w+ \d\d \w+ \d{4}  \d\d:\d\d:\d\d [+-]\d{4} \(\d+:\d\d:\d\d\.\d{3}\) {7}\d+:\d\d:\d\d\.\d{3} \*+ $",
    )
    .expect("re");
    let duration = Regex::new(r" \d+\.\d\ds$").expect("re");
    text.lines()
        .map(|l| {
            if tasktime.is_match(l) && l.chars().count() == 80 {
                "<TASKTIME>".to_string()
            } else {
                duration.replace(l, " N.NNs").into_owned()
            }
        })
        .collect()
}

/// The seconds a `name ---- 1.23s` row shows.
fn row_secs(text: &str, name: &str) -> f64 {
    let re = Regex::new(&format!(r"(?m)^{} -+ (\d+\.\d\d)s$", regex::escape(name))).expect("re");
    re.captures(text)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("no row for {name}:\n{text}"))
}

#[test]
fn profile_tasks_like_ansible() {
    let pb = repo().join("tests/playbooks/profile_tasks.yml");
    let fleet = Fleet::start(&Header::parse(&pb));
    let out = kiln(
        &fleet,
        &pb,
        &[],
        &[("ANSIBLE_CALLBACKS_ENABLED", "ansible.posix.profile_tasks")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let got = normalise_profile(&stdout);
    let golden =
        std::fs::read_to_string(repo().join("tests/golden/logs/profile_tasks.profile.txt"))
            .expect("golden");
    let want: Vec<String> = golden.lines().map(str::to_string).collect();
    // Everything up to the task rows is in a fixed order...
    let split = want
        .iter()
        .position(|l| l.starts_with("====="))
        .expect("=== line")
        + 1;
    assert_eq!(got[..split.min(got.len())], want[..split], "{stdout}");
    // ...the slowest task comes first; the others take about no time, in
    // any order.
    assert_eq!(got.get(split), want.get(split), "{stdout}");
    let (mut g, mut w) = (got[split..].to_vec(), want[split..].to_vec());
    g.sort();
    w.sort();
    assert_eq!(g, w, "{stdout}");
    assert!(row_secs(&stdout, "slow") >= 1.0, "{stdout}");
}

#[test]
fn timing_lists_tasks_and_hosts_slowest_first() {
    let pb = repo().join("tests/playbooks/profile_tasks.yml");
    let fleet = Fleet::start(&Header::parse(&pb));
    let out = kiln(&fleet, &pb, &["--timing"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let report = &stdout[stdout.find("TASK DURATIONS").expect("task report")..];
    let tasks: Vec<&str> = report
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(tasks.len(), 4, "{report}");
    assert!(tasks[0].starts_with("Profiled : slow ---"), "{report}");
    let secs = |l: &str| -> f64 {
        l.rsplit(' ')
            .next()
            .and_then(|t| t.trim_end_matches('s').parse().ok())
            .unwrap_or(-1.0)
    };
    assert!(secs(tasks[0]) >= 1.0, "{report}");
    assert!(
        tasks.windows(2).all(|w| secs(w[0]) >= secs(w[1])),
        "{report}"
    );
    let hosts = &report[report.find("HOST DURATIONS").expect("host report")..];
    let h1 = hosts.lines().nth(1).expect("h1 row");
    assert!(h1.starts_with("h1 ---") && secs(h1) >= 1.0, "{report}");
    // The report follows the recap.
    assert!(stdout.find("PLAY RECAP") < stdout.find("TASK DURATIONS"));
}

/// Screen text with the run's paths, addresses and ports masked as
/// record.py masks Ansible's.
fn mask_screen(text: &str, fleet: &Fleet) -> String {
    let mut s = text.replace(
        &repo().join("tests/playbooks").display().to_string(),
        "<PLAYBOOKS>",
    );
    s = s.replace(&fleet.root.path().display().to_string(), "<ROOT>");
    for h in &fleet.hosts {
        s = s.replace(h.address(), "<ADDR>");
        s = s.replace(&format!("port {}", h.port()), "port <PORT>");
    }
    s
}

#[test]
fn colours_like_ansible() {
    let pb = repo().join("tests/playbooks/colors.yml");
    let header = Header::parse(&pb);
    let fleet = Fleet::start(&header);
    let args: Vec<&str> = header.args.iter().map(String::as_str).collect();
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.arg("playbook")
        .arg("-i")
        .arg(&fleet.inventory)
        .arg(&pb)
        .args(&args)
        .env("HOME", &fleet.home)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("ANSIBLE_CONFIG")
        .env_remove("ANSIBLE_NOCOLOR")
        .env_remove("NO_COLOR")
        .env("ANSIBLE_FORCE_COLOR", "1")
        .current_dir(fleet.root.path());
    let out = c.output().expect("kiln runs");
    let golden = |ext: &str| {
        std::fs::read_to_string(repo().join(format!("tests/golden/logs/colors.color.{ext}")))
            .expect("golden")
    };
    let stdout = mask_screen(&String::from_utf8_lossy(&out.stdout), &fleet);
    let want = golden("stdout");
    for (i, (a, b)) in stdout.lines().zip(want.lines()).enumerate() {
        assert_eq!(a, b, "stdout line {}", i + 1);
    }
    assert_eq!(stdout, want);
    let stderr = mask_screen(&String::from_utf8_lossy(&out.stderr), &fleet);
    assert_eq!(stderr, golden("stderr"));
    // Without a terminal and without ANSIBLE_FORCE_COLOR: no colour at all.
    let plain = kiln(&fleet, &pb, &args, &[("ANSIBLE_NOCOLOR", "0")]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\x1b'));
}

#[test]
fn hidden_ok_and_skipped_hosts_like_ansible() {
    let pb = repo().join("tests/playbooks/colors.yml");
    let header = Header::parse(&pb);
    let fleet = Fleet::start(&header);
    let args: Vec<&str> = header.args.iter().map(String::as_str).collect();
    let out = kiln(
        &fleet,
        &pb,
        &args,
        &[
            ("ANSIBLE_DISPLAY_OK_HOSTS", "0"),
            ("ANSIBLE_DISPLAY_SKIPPED_HOSTS", "0"),
        ],
    );
    let stdout = mask_screen(&String::from_utf8_lossy(&out.stdout), &fleet);
    let want = std::fs::read_to_string(repo().join("tests/golden/logs/colors.hidden.stdout"))
        .expect("golden");
    for (i, (a, b)) in stdout.lines().zip(want.lines()).enumerate() {
        assert_eq!(a, b, "stdout line {}", i + 1);
    }
    assert_eq!(stdout, want);
}

#[test]
fn verbose_output_like_ansible() {
    let pb = repo().join("tests/playbooks/log_path.yml");
    let fleet = Fleet::start(&Header::parse(&pb));
    let cfg = fleet.root.path().join("ansible.cfg");
    std::fs::write(&cfg, "").expect("empty ansible.cfg");
    let out = kiln(
        &fleet,
        &pb,
        &[],
        &[
            ("ANSIBLE_VERBOSITY", "1"),
            ("ANSIBLE_CONFIG", &cfg.display().to_string()),
        ],
    );
    let time = Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}").expect("re");
    let delta = Regex::new(r"\d+:\d\d:\d\d\.\d{6}").expect("re");
    let stdout = mask_screen(&String::from_utf8_lossy(&out.stdout), &fleet);
    let stdout = time.replace_all(&stdout, "<TIME>");
    let stdout = delta.replace_all(&stdout, "<DELTA>").into_owned();
    let want = std::fs::read_to_string(repo().join("tests/golden/logs/log_path.v1.stdout"))
        .expect("golden");
    for (i, (a, b)) in stdout.lines().zip(want.lines()).enumerate() {
        assert_eq!(a, b, "stdout line {}", i + 1);
    }
    assert_eq!(stdout, want);
}

/// An ansible.posix.json document with what varies between runs masked:
/// ids, times, and the results' internal `_ansible_*` keys and timings (as
/// the oracle's normaliser drops them).
fn normalise_json_doc(v: &mut serde_json::Value) {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            m.retain(|k, _| !k.starts_with("_ansible_") && k != "invocation");
            for (k, x) in m.iter_mut() {
                match (k.as_str(), &*x) {
                    ("id", J::String(_)) => *x = J::String("<ID>".into()),
                    ("start" | "end", J::String(_)) => *x = J::String("<TIME>".into()),
                    ("delta", J::String(_)) => *x = J::String("<DELTA>".into()),
                    _ => normalise_json_doc(x),
                }
            }
        }
        J::Array(a) => a.iter_mut().for_each(normalise_json_doc),
        _ => {}
    }
}

#[test]
fn posix_json_callback_like_ansible() {
    let pb = repo().join("tests/playbooks/log_path.yml");
    let fleet = Fleet::start(&Header::parse(&pb));
    let out = kiln(
        &fleet,
        &pb,
        &[],
        &[("ANSIBLE_STDOUT_CALLBACK", "ansible.posix.json")],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = mask_screen(&String::from_utf8_lossy(&out.stdout), &fleet);
    let mut got: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let golden = std::fs::read_to_string(repo().join("tests/golden/logs/log_path.json.stdout"))
        .expect("golden");
    let mut want: serde_json::Value = serde_json::from_str(&golden).expect("golden JSON");
    normalise_json_doc(&mut got);
    normalise_json_doc(&mut want);
    let plays = |v: &serde_json::Value| v["plays"].as_array().cloned().unwrap_or_default();
    for (p, (g, w)) in plays(&got).iter().zip(plays(&want).iter()).enumerate() {
        assert_eq!(g["play"], w["play"], "play {p}");
        let tasks = |v: &serde_json::Value| v["tasks"].as_array().cloned().unwrap_or_default();
        for (t, (gt, wt)) in tasks(g).iter().zip(tasks(w).iter()).enumerate() {
            assert_eq!(gt, wt, "play {p} task {t}");
        }
    }
    assert_eq!(got, want);
    // Four-space indents, keys sorted: Python's json.dumps layout.
    assert!(
        stdout.starts_with("{\n    \"custom_stats\": {},\n"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want_err = std::fs::read_to_string(repo().join("tests/golden/logs/log_path.json.stderr"))
        .expect("golden");
    assert_eq!(stderr, want_err);
}

/// kiln's stdout and stderr for `stem` with `env`, masked.
fn screen_with(stem: &str, env: &[(&str, &str)]) -> (String, String) {
    let pb = repo().join(format!("tests/playbooks/{stem}.yml"));
    let header = Header::parse(&pb);
    let fleet = Fleet::start(&header);
    let mut args: Vec<&str> = vec!["-f", "10"];
    args.extend(header.args.iter().map(String::as_str));
    let out = kiln(&fleet, &pb, &args, env);
    (
        mask_screen(&String::from_utf8_lossy(&out.stdout), &fleet),
        mask_screen(&String::from_utf8_lossy(&out.stderr), &fleet),
    )
}

fn golden_text(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/golden/logs").join(name)).expect("golden")
}

#[test]
fn check_mode_markers_and_failures_on_stderr_like_ansible() {
    let env = [
        ("ANSIBLE_CHECK_MODE_MARKERS", "1"),
        ("ANSIBLE_DISPLAY_FAILED_STDERR", "1"),
    ];
    let (out, err) = screen_with("check_mode", &env);
    let want = golden_text("check_mode.markers.stdout");
    for (i, (a, b)) in out.lines().zip(want.lines()).enumerate() {
        assert_eq!(a, b, "stdout line {}", i + 1);
    }
    assert_eq!(out, want);
    assert_eq!(err, golden_text("check_mode.markers.stderr"));
    // Three hosts answer in any order: the same lines, each on its stream.
    let (out, err) = screen_with("failures", &env);
    let time = Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}").expect("re");
    let delta = Regex::new(r"\d+:\d\d:\d\d\.\d{6}").expect("re");
    let sorted = |s: &str| {
        let s = time.replace_all(s, "<TIME>");
        let s = delta.replace_all(&s, "<DELTA>");
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(
        sorted(&out),
        sorted(&golden_text("failures.markers.stdout"))
    );
    assert_eq!(
        sorted(&err),
        sorted(&golden_text("failures.markers.stderr"))
    );
    assert!(err.contains("fatal: [h2]: FAILED!"), "{err}");
}

#[test]
fn included_hosts_hidden_and_task_paths_on_failure_like_ansible() {
    let env = [
        ("ANSIBLE_DISPLAY_INCLUDED_HOSTS", "0"),
        ("ANSIBLE_SHOW_TASK_PATH_ON_FAILURE", "1"),
    ];
    let time = Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}").expect("re");
    let delta = Regex::new(r"\d+:\d\d:\d\d\.\d{6}").expect("re");
    let sorted = |s: &str| {
        let s = time.replace_all(s, "<TIME>");
        let s = delta.replace_all(&s, "<DELTA>");
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    for stem in ["includes", "failures"] {
        let (out, _) = screen_with(stem, &env);
        let want = golden_text(&format!("{stem}.opts.stdout"));
        assert_eq!(sorted(&out), sorted(&want), "{stem}:\n{out}");
    }
}

#[test]
fn custom_stats_like_ansible() {
    // show_custom_stats: the CUSTOM STATS block after the recap.
    let (out, err) = screen_with("set_stats", &[("ANSIBLE_SHOW_CUSTOM_STATS", "1")]);
    let want = golden_text("set_stats.custom.stdout");
    assert_eq!(records_by_task(&out), records_by_task(&want));
    // The block itself, byte for byte, after the recap.
    let block = |s: &str| s[s.find("PLAY RECAP").expect("recap")..].to_string();
    assert_eq!(block(&out), block(&want));
    assert_eq!(err, golden_text("set_stats.custom.stderr"));
    // Off by default: no block.
    let (plain, _) = screen_with("set_stats", &[]);
    assert!(!plain.contains("CUSTOM STATS"), "{plain}");
    assert!(plain.contains("PLAY RECAP"), "{plain}");
}

#[test]
fn template_warnings_on_the_screen_like_ansible() {
    // What templates warn: in the task's result, printed before the host's
    // line; outside the arguments (name, loop, label), printed at once.
    // Neither prints an `Origin:` (Ansible's carry no source).
    let (out, err) = screen_with("template_warnings", &[]);
    assert_eq!(out, golden_text("template_warnings.plain.stdout"));
    assert_eq!(err, golden_text("template_warnings.plain.stderr"));
}

#[test]
fn module_and_action_refusals_on_the_screen_like_ansible() {
    // "Module failed" for what the file module refuses on the host,
    // "Action failed" for copy's argument checks on the controller, and
    // the copy action's file search wrapped as an unexpected action error
    // with its cause and remote_src hint: each [ERROR] block byte for byte.
    let (out, err) = screen_with("file_refusals", &[]);
    assert_eq!(out, golden_text("file_refusals.plain.stdout"));
    assert_eq!(err, golden_text("file_refusals.plain.stderr"));
}

#[test]
fn until_failures_and_quiet_asserts_on_the_screen_like_ansible() {
    // A module that failed every retry keeps its [ERROR] block; a result
    // only the until condition kept failing has none; a quiet assert's
    // failure is one line.
    let (out, err) = screen_with("until_failures", &[]);
    let time = Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}").expect("re");
    let delta = Regex::new(r"\d+:\d\d:\d\d\.\d{6}").expect("re");
    let out = time.replace_all(&out, "<TIME>");
    let out = delta.replace_all(&out, "<DELTA>");
    assert_eq!(out, golden_text("until_failures.plain.stdout"));
    assert_eq!(err, golden_text("until_failures.plain.stderr"));
}

#[test]
fn looped_debug_var_hides_the_loop_keys_like_ansible() {
    // ansible-core's default callback hides ansible_loop_var,
    // ansible_index_var and ansible_loop from a looped `debug: var=`.
    let (out, err) = screen_with("loop_registered_keys", &[]);
    assert_eq!(out, golden_text("loop_registered_keys.plain.stdout"));
    assert_eq!(err, golden_text("loop_registered_keys.plain.stderr"));
}

#[test]
fn template_module_errors_on_the_screen_like_ansible() {
    // The task, then the template file as the cause's place: no line for
    // an undefined variable, the line marked whole (and Jinja2's words)
    // for a block left open; a template found nowhere has the search as
    // its cause.
    let (out, err) = screen_with("template_errors", &[]);
    assert_eq!(out, golden_text("template_errors.plain.stdout"));
    assert_eq!(err, golden_text("template_errors.plain.stderr"));
}

#[test]
fn vars_files_naming_a_host_variable_warn_once_like_ansible() {
    // Read once with no host before the play: the entry naming an
    // undefined variable warns once, with its source, for both hosts.
    let (out, err) = screen_with("vars_files_missing", &[]);
    assert_eq!(err, golden_text("vars_files_missing.plain.stderr"));
    // Two hosts answer in any order on stdout: the same lines.
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(
        sorted(&out),
        sorted(&golden_text("vars_files_missing.plain.stdout"))
    );
}

#[test]
fn each_warning_is_shown_once_like_ansible() {
    // Ansible's display shows a warning (text and origin) once per run:
    // two hosts and two loop items raising the same one print it once.
    // Two hosts' loop items come back in no fixed order on stdout (the
    // oracle_compare golden checks it, sorted); stderr is fixed.
    let (_, err) = screen_with("warnings_once", &[]);
    assert_eq!(err, golden_text("warnings_once.plain.stderr"));
    assert_eq!(err.matches("[WARNING]").count(), 2, "{err}");
}

#[test]
fn json_callback_by_short_name_carries_custom_stats() {
    // `json` is ansible.posix.json once the collection is installed; with
    // show_custom_stats its document holds what set_stats set.
    let (out, err) = screen_with(
        "set_stats",
        &[
            ("ANSIBLE_STDOUT_CALLBACK", "json"),
            ("ANSIBLE_SHOW_CUSTOM_STATS", "1"),
        ],
    );
    let mut got: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    let mut want: serde_json::Value =
        serde_json::from_str(&golden_text("set_stats.json.stdout")).expect("golden JSON");
    normalise_json_doc(&mut got);
    normalise_json_doc(&mut want);
    assert_eq!(got["custom_stats"], want["custom_stats"]);
    assert_eq!(got["global_custom_stats"], want["global_custom_stats"]);
    assert_eq!(got["stats"], want["stats"]);
    // kiln's plan keeps an action's short name; Ansible keeps it as
    // written (as tests/events_compare.rs also allows).
    let short = |v: &serde_json::Value| -> String {
        v.to_string()
            .replace("\"action\":\"ansible.builtin.", "\"action\":\"")
    };
    assert_eq!(short(&got["plays"]), short(&want["plays"]));
    assert_eq!(err, golden_text("set_stats.json.stderr"));
}

/// A screen's text in comparable form: times masked, and inside each task
/// the hosts' records (a line starting a result and the lines indented
/// under it) sorted, as forks finish in any order.
fn records_by_task(text: &str) -> Vec<Vec<String>> {
    let time = Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}").expect("re");
    let delta = Regex::new(r"\d+:\d\d:\d\d\.\d{6}").expect("re");
    let text = time.replace_all(text, "<TIME>");
    let text = delta.replace_all(&text, "<DELTA>");
    let mut tasks: Vec<Vec<String>> = Vec::new();
    let mut record = String::new();
    for line in text.split_inclusive('\n') {
        let starts_record = !line.starts_with(' ') && !line.trim().is_empty();
        if starts_record && !record.is_empty() {
            tasks
                .last_mut()
                .expect("a task")
                .push(std::mem::take(&mut record));
        }
        if line.starts_with("TASK [") || line.starts_with("PLAY ") || tasks.is_empty() {
            tasks.push(Vec::new());
        }
        record.push_str(line);
    }
    if let Some(t) = tasks.last_mut() {
        t.push(record);
    }
    // Blank lines between tasks end whichever record came last: dropped.
    for t in &mut tasks {
        for r in t.iter_mut() {
            *r = format!("{}\n", r.trim_end_matches('\n'));
        }
        t.sort();
    }
    tasks
}

/// kiln's screen for `result_yaml` with `env` against the golden `NAME`.
fn result_format_like_ansible(name: &str, env: &[(&str, &str)]) {
    let pb = repo().join("tests/playbooks/result_yaml.yml");
    let fleet = Fleet::start(&Header::parse(&pb));
    let cfg = fleet.root.path().join("ansible.cfg");
    std::fs::write(&cfg, "").expect("empty ansible.cfg");
    let cfg = cfg.display().to_string();
    let mut env = env.to_vec();
    env.push(("ANSIBLE_CONFIG", &cfg));
    let out = kiln(&fleet, &pb, &["-f", "10"], &env);
    assert_eq!(out.status.code(), Some(2), "{name}");
    let stdout = mask_screen(&String::from_utf8_lossy(&out.stdout), &fleet);
    let want = golden_text(&format!("result_yaml.{name}.stdout"));
    let (got, want) = (records_by_task(&stdout), records_by_task(&want));
    for (g, w) in got.iter().zip(&want) {
        for (a, b) in g.iter().zip(w) {
            assert_eq!(a, b, "{name}");
        }
        assert_eq!(g, w, "{name}");
    }
    assert_eq!(got.len(), want.len(), "{name}: tasks");
    let stderr = mask_screen(&String::from_utf8_lossy(&out.stderr), &fleet);
    assert_eq!(
        stderr,
        golden_text(&format!("result_yaml.{name}.stderr")),
        "{name}"
    );
}

#[test]
fn yaml_results_like_ansible() {
    result_format_like_ansible(
        "yaml",
        &[
            ("ANSIBLE_CALLBACK_RESULT_FORMAT", "yaml"),
            ("ANSIBLE_VERBOSITY", "1"),
        ],
    );
}

#[test]
fn exact_yaml_results_like_ansible() {
    // pretty_results off: nothing omitted, no lossy block scalars.
    result_format_like_ansible(
        "yaml_exact",
        &[
            ("ANSIBLE_CALLBACK_RESULT_FORMAT", "yaml"),
            ("ANSIBLE_CALLBACK_FORMAT_PRETTY", "0"),
            ("ANSIBLE_VERBOSITY", "1"),
        ],
    );
}

#[test]
fn yaml_results_without_verbosity_like_ansible() {
    result_format_like_ansible("yaml_quiet", &[("ANSIBLE_CALLBACK_RESULT_FORMAT", "yaml")]);
}

#[test]
fn yaml_line_width_like_ansible() {
    // result_yaml_line_width: `no-break` keeps the long string on one
    // line; `terminal-width` folds at the display's width (79 columns when
    // stdout is not a terminal, one less than PyYAML's own 80).
    for (name, width) in [
        ("yaml_nobreak", "no-break"),
        ("yaml_termwidth", "terminal-width"),
    ] {
        result_format_like_ansible(
            name,
            &[
                ("ANSIBLE_CALLBACK_RESULT_FORMAT", "yaml"),
                ("ANSIBLE_VERBOSITY", "1"),
                ("ANSIBLE_CALLBACK_YAML_LINE_WIDTH", width),
            ],
        );
    }
}

#[test]
fn pretty_json_results_like_ansible() {
    result_format_like_ansible("pretty", &[("ANSIBLE_CALLBACK_FORMAT_PRETTY", "1")]);
}

/// kiln's stdout for `stem` at -vv (ANSIBLE_VERBOSITY=2, an empty
/// ansible.cfg), masked, and the golden's; HOME masked in both.
fn vv_screens(stem: &str) -> (String, String) {
    let pb = repo().join(format!("tests/playbooks/{stem}.yml"));
    let fleet = Fleet::start(&Header::parse(&pb));
    let cfg = fleet.root.path().join("ansible.cfg");
    std::fs::write(&cfg, "").expect("empty ansible.cfg");
    let cfg = cfg.display().to_string();
    let out = kiln(
        &fleet,
        &pb,
        &["-f", "10"],
        &[("ANSIBLE_VERBOSITY", "2"), ("ANSIBLE_CONFIG", &cfg)],
    );
    assert_eq!(out.status.code(), Some(0), "{stem}");
    // HOME lives under the fleet's root: masked first.
    let got =
        String::from_utf8_lossy(&out.stdout).replace(&fleet.home.display().to_string(), "<HOME>");
    let got = mask_screen(&got, &fleet);
    let want = golden_text(&format!("{stem}.vv.stdout")).replace("/root/", "<HOME>/");
    (got, want)
}

#[test]
fn vv_header_like_ansible() {
    let (got, want) = vv_screens("ping");
    let (got_head, got_rest) = got.split_at(got.match_indices('\n').nth(8).expect("9 lines").0);
    let (want_head, want_rest) = want.split_at(want.match_indices('\n').nth(8).expect("9 lines").0);
    // The version block: same lines and keys; the configuration's values
    // are Ansible's, the program's own are kiln's.
    assert!(got_head.starts_with("ansible-playbook ["), "{got_head}");
    let pairs: Vec<(&str, &str)> = got_head.lines().zip(want_head.lines()).skip(1).collect();
    assert_eq!(pairs.len(), 8);
    for (g, w) in pairs {
        let key = |l: &str| l.split(" = ").next().unwrap_or_default().to_string();
        assert_eq!(key(g), key(w));
        if [
            "  config file",
            "  configured module search path",
            "  ansible collection location",
        ]
        .contains(&key(w).as_str())
        {
            assert_eq!(g, w);
        }
    }
    // Then Ansible's -v/-vv lines: config file, passed-over callbacks,
    // PLAYBOOK banner, "N plays in", task paths, results.
    assert_eq!(records_by_task(got_rest), records_by_task(want_rest));
}

#[test]
fn notified_handlers_shown_where_ansible_shows_them() {
    // -vv: `NOTIFIED HANDLER x for h` under the flush that takes the
    // notification (explicit: under that host's meta task; at the end of
    // the tasks: after the last task's results).
    let (got, want) = vv_screens("handlers");
    let keep = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| {
                l.starts_with("NOTIFIED HANDLER")
                    || l.starts_with("TASK [")
                    || l.starts_with("RUNNING HANDLER [")
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(keep(&got), keep(&want));
    assert!(
        got.contains("NOTIFIED HANDLER topic handler for h1"),
        "{got}"
    );
    // The rest of -vv after the version block too: saved notifications,
    // META lines, task paths, results.
    let rest = |s: &str| s[s.find("\nUsing ").expect("config line")..].to_string();
    assert_eq!(records_by_task(&rest(&got)), records_by_task(&rest(&want)));
}

#[test]
fn meta_lines_at_vv_like_ansible() {
    // -vv: `META: ...` for every meta action, what it did or why it was
    // skipped, under the banner of the host it ran for.
    for stem in ["meta_actions", "meta_noop_end_batch"] {
        let (got, want) = vv_screens(stem);
        let keep = |s: &str| -> Vec<String> {
            s.lines()
                .filter(|l| l.starts_with("META: ") || l.starts_with("TASK ["))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(keep(&got), keep(&want), "{stem}");
        assert!(got.contains("META: "), "{stem}: {got}");
    }
}
