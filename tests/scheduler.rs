// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The scheduler against real sshd hosts: one slow host under `free` and
//! under `linear` (judged by the order things happened on the hosts, not by
//! timings), and Ctrl-C / SIGTERM in the middle of a run.

mod support;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::fleet::{Fleet, Header};

fn header(hosts: usize) -> Header {
    Header {
        hosts,
        ..Header::default()
    }
}

fn write_playbook(fleet: &Fleet, name: &str, text: &str) -> PathBuf {
    let p = fleet.root.path().join(name);
    fs::write(&p, text).expect("playbook written");
    p
}

/// Every host appends `HOST STEP` lines to one file (all hosts are this
/// machine): the order things really happened in.
fn order_log(fleet: &Fleet) -> Vec<String> {
    fs::read_to_string(fleet.root.path().join("order.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn pos(log: &[String], line: &str) -> usize {
    log.iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("{line:?} not in {log:#?}"))
}

/// h1's first task waits (up to 8 s) for h2 and h3 to have run their last
/// task. Under free they do, so h1 sees it; under linear they cannot start
/// it before h1 is done, so h1 gives up and says so.
const SLOW_HOST: &str = r#"- hosts: all
  gather_facts: false
  strategy: STRATEGY
  vars:
    log: "{{ state_dir }}/../../order.log"
    done_mark: "{{ state_dir }}/../../done"
  tasks:
    - name: t1
      shell: |
        if [ {{ inventory_hostname }} = h1 ]; then
          i=0
          while [ $i -lt 80 ] && ! { [ -e {{ done_mark }}.h2 ] && [ -e {{ done_mark }}.h3 ]; }; do
            sleep 0.1; i=$((i+1))
          done
          if [ -e {{ done_mark }}.h2 ] && [ -e {{ done_mark }}.h3 ]; then w=saw-others-done; else w=gave-up; fi
          echo "h1 t1 $w" >> {{ log }}
        else
          echo "{{ inventory_hostname }} t1" >> {{ log }}
        fi
    - name: t2
      shell: echo "{{ inventory_hostname }} t2" >> {{ log }}
    - name: t3
      shell: echo "{{ inventory_hostname }} t3" >> {{ log }} && touch {{ done_mark }}.{{ inventory_hostname }}
"#;

#[test]
fn free_lets_fast_hosts_finish_while_linear_keeps_lockstep() {
    for strategy in ["free", "linear"] {
        let fleet = Fleet::start(&header(3));
        let pb = write_playbook(&fleet, "slow.yml", &SLOW_HOST.replace("STRATEGY", strategy));
        let out = fleet.run(&pb, &[]);
        assert_eq!(out.code, 0, "{strategy}: {}{}", out.stdout, out.stderr);
        let log = order_log(&fleet);
        assert_eq!(log.len(), 9, "{strategy}: {log:#?}");
        if strategy == "free" {
            // The fast hosts ran all three tasks while h1 was still in t1.
            let h1 = pos(&log, "h1 t1 saw-others-done");
            for h in ["h2", "h3"] {
                assert!(pos(&log, &format!("{h} t3")) < h1, "{log:#?}");
            }
            assert!(h1 < pos(&log, "h1 t2"));
        } else {
            // Lockstep: nobody starts t2 before every host finished t1, so
            // h1 waited in vain.
            let h1 = pos(&log, "h1 t1 gave-up");
            for h in ["h2", "h3"] {
                assert!(pos(&log, &format!("{h} t1")) < h1);
                assert!(h1 < pos(&log, &format!("{h} t2")), "{log:#?}");
            }
            for t in ["t2", "t3"] {
                let prev = if t == "t2" { "t1" } else { "t2" };
                let last_prev = ["h1", "h2", "h3"]
                    .iter()
                    .map(|h| {
                        log.iter()
                            .position(|l| l.starts_with(&format!("{h} {prev}")))
                            .unwrap_or(usize::MAX)
                    })
                    .max()
                    .unwrap_or(usize::MAX);
                for h in ["h1", "h2", "h3"] {
                    assert!(last_prev < pos(&log, &format!("{h} {t}")), "{log:#?}");
                }
            }
            // The task banners come task by task, each host in inventory order
            // within it, as Ansible prints them.
            let banners: Vec<&str> = out
                .stdout
                .lines()
                .filter(|l| l.starts_with("TASK ["))
                .collect();
            assert_eq!(banners.len(), 3, "{}", out.stdout);
        }
    }
}

/// The kiln process and a channel of its stdout lines.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(fleet: &Fleet, pb: &Path) -> Running {
        let mut child = fleet
            .command(pb, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kiln starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most a minute: a hang guard) for a line starting with `prefix`.
    fn wait_line(&mut self, prefix: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(100)) {
                let hit = l.starts_with(prefix);
                self.seen.push(l);
                if hit {
                    return;
                }
            }
        }
        panic!("no line {prefix:?} in {:#?}", self.seen);
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Waits for the exit (at most two minutes); returns code, stdout, stderr.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "kiln did not stop: {:#?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        (status.code(), self.seen.join("\n"), err)
    }
}

fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Files kiln's safe write leaves while it works (`.kiln.XXXXXXXX`).
fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".kiln"))
                .collect()
        })
        .unwrap_or_default()
}

const INTERRUPTED: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: first copy
      copy:
        src: big.bin
        dest: "{{ state_dir }}/first"
      notify: never runs
    - name: slow
      shell: touch {{ state_dir }}/started; sleep 3; touch {{ state_dir }}/slow-done
    - name: second copy
      copy:
        src: big.bin
        dest: "{{ state_dir }}/second"
  handlers:
    - name: never runs
      shell: touch {{ state_dir }}/handler-ran

- hosts: all
  gather_facts: false
  tasks:
    - name: next play
      shell: touch {{ state_dir }}/next-play
"#;

fn big_file(fleet: &Fleet, mib: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..mib * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    fs::write(fleet.root.path().join("big.bin"), &data).expect("big.bin");
    data
}

#[test]
fn ctrl_c_lets_running_tasks_finish_starts_nothing_and_prints_the_recap() {
    for (sig, code) in [("INT", 99), ("TERM", 143)] {
        let fleet = Fleet::start(&header(2));
        let data = big_file(&fleet, 1);
        let pb = write_playbook(&fleet, "int.yml", INTERRUPTED);
        let run = Running::start(&fleet, &pb);
        for h in ["h1", "h2"] {
            wait_for(&fleet.state_dir(h).join("started"));
        }
        run.signal(sig);
        let (rc, stdout, stderr) = run.finish();
        assert_eq!(rc, Some(code), "{sig}: {stdout}\n{stderr}");
        if sig == "INT" {
            assert!(
                stderr.contains("[ERROR]: User interrupted execution"),
                "{stderr}"
            );
        }
        // The running task finished on both hosts and counts in the recap.
        assert!(stdout.contains("PLAY RECAP"), "{stdout}");
        for h in ["h1", "h2"] {
            let dir = fleet.state_dir(h);
            assert!(dir.join("slow-done").exists(), "{h}: slow was cut");
            let recap = stdout
                .lines()
                .find(|l| l.starts_with(h) && l.contains("ok="))
                .unwrap_or_else(|| panic!("no recap line for {h}: {stdout}"));
            assert!(
                recap.contains("ok=2") && recap.contains("changed=2"),
                "{recap}"
            );
            // Nothing new started: no second copy, no handler, no next play.
            for f in ["second", "handler-ran", "next-play"] {
                assert!(!dir.join(f).exists(), "{h}: {f} ran after the interrupt");
            }
            assert_eq!(fs::read(dir.join("first")).expect("first"), data);
            assert_eq!(temp_files(&dir), Vec::<String>::new());
        }
        assert!(!stdout.contains("TASK [second copy]"), "{stdout}");
        assert!(!stdout.contains("RUNNING HANDLER"), "{stdout}");
        assert!(!stdout.contains("TASK [next play]"), "{stdout}");
    }
}

const ABORTED: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: hello
      debug:
        msg: hi
    - name: big copy
      copy:
        src: big.bin
        dest: "{{ state_dir }}/big"
    - name: long
      shell: touch {{ state_dir }}/long-started; sleep 60
    - name: after
      shell: touch {{ state_dir }}/after
"#;

#[test]
fn a_second_ctrl_c_stops_running_tasks_and_leaves_no_partial_file() {
    let fleet = Fleet::start(&header(2));
    let data = big_file(&fleet, 48);
    let pb = write_playbook(&fleet, "abort.yml", ABORTED);
    let mut run = Running::start(&fleet, &pb);
    run.wait_line("TASK [big copy]");
    let started = Instant::now();
    run.signal("INT");
    std::thread::sleep(Duration::from_millis(30));
    run.signal("INT");
    let (rc, stdout, stderr) = run.finish();
    assert_eq!(rc, Some(99), "{stdout}\n{stderr}");
    // The run did not wait for `long` (a minute of sleep).
    assert!(started.elapsed() < Duration::from_secs(50));
    assert!(stdout.contains("PLAY RECAP"), "{stdout}");
    for h in ["h1", "h2"] {
        let dir = fleet.state_dir(h);
        assert!(!dir.join("long-started").exists() && !dir.join("after").exists());
        // Cut or finished, the destination is never a partial file.
        if let Ok(got) = fs::read(dir.join("big")) {
            assert_eq!(got.len(), data.len(), "{h}: partial file");
            assert!(got == data, "{h}: corrupt file");
        }
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(h) && l.contains("ok=")),
            "{h} missing from the recap: {stdout}"
        );
    }
}

/// A sleep no other process on this machine runs: its command line finds
/// it from outside the hosts' PID namespaces.
const LEFT_SLEEP: &str = "117.4242";

/// Logged in as a plain user: sshd delivers a client's signal only to a
/// session whose user it switched to (for root logins it skips that step
/// and logs "session signalling requires privilege separation").
const LEFT_RUNNING: &str = r#"- hosts: all
  gather_facts: false
  vars:
    ansible_user: kilntest
  tasks:
    - name: long
      shell: exec sleep 117.4242
"#;

/// The processes running `sleep LEFT_SLEEP` (zombies waiting for their
/// parent do not count).
fn left_sleeps() -> Vec<String> {
    let want = format!("sleep\0{LEFT_SLEEP}\0");
    fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|pid| {
                    fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == want.as_bytes())
                        && fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
                            s.lines()
                                .find(|l| l.starts_with("State:"))
                                .is_some_and(|l| !l.contains('Z'))
                        })
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ctrl_c_closes_the_ssh_sessions_and_leaves_nothing_running_on_the_hosts() {
    support::sshd::ensure_test_users();
    let fleet = Fleet::start(&header(2));
    let pb = write_playbook(&fleet, "left.yml", LEFT_RUNNING);
    let run = Running::start(&fleet, &pb);
    let deadline = Instant::now() + Duration::from_secs(10);
    while left_sleeps().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        left_sleeps().len(),
        2,
        "the remote commands are not running"
    );
    run.signal("INT");
    std::thread::sleep(Duration::from_millis(30));
    run.signal("INT");
    let (rc, stdout, stderr) = run.finish();
    assert_eq!(rc, Some(99), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("[ERROR]: User interrupted execution"),
        "{stderr}"
    );
    assert!(stdout.contains("PLAY RECAP"), "{stdout}");
    // The hosts' commands end with the sessions: none is left orphaned.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !left_sleeps().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let logs: Vec<String> = fleet.hosts.iter().map(|h| h.log()).collect();
    assert_eq!(
        left_sleeps(),
        Vec::<String>::new(),
        "remote commands still run: {logs:#?}"
    );
    // Each sshd saw the client say goodbye, not just a dropped socket.
    for h in &fleet.hosts {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !h.log().contains("Disconnected from user kilntest") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            h.log().contains("Disconnected from user kilntest"),
            "{}",
            h.log()
        );
    }
}

/// A `poll: 0` job of a module the controller runs (`wait_for` on a file
/// that never comes) and one of a detached command, then a long task.
const DETACHED_JOBS: &str = r#"- hosts: all
  gather_facts: false
  vars:
    ansible_async_dir: "{{ state_dir }}/async"
  tasks:
    - name: controller-run module
      wait_for:
        path: "{{ state_dir }}/never"
        timeout: 50
      async: 60
      poll: 0
      register: native
    - name: detached command
      shell: sleep 2; echo done > "{{ state_dir }}/cmd_done"
      async: 60
      poll: 0
      register: cmd
    - name: job ids for the test
      shell: printf '%s %s' {{ native.ansible_job_id }} {{ cmd.ansible_job_id }} > "{{ state_dir }}/jids"
    - name: long task
      command: sleep 40
"#;

/// Reads both jobs' status in a new run.
const JOB_STATUS: &str = r#"- hosts: all
  gather_facts: false
  vars:
    ansible_async_dir: "{{ state_dir }}/async"
    jids: "{{ lookup('file', state_dir + '/jids').split() }}"
  tasks:
    - async_status:
        jid: "{{ jids[0] }}"
      register: native
      ignore_errors: true
    - async_status:
        jid: "{{ jids[1] }}"
      register: cmd
      until: cmd.finished
      retries: 20
      delay: 1
    - copy:
        content: "{{ {'native': native, 'cmd': cmd} | to_json }}"
        dest: "{{ state_dir }}/status.json"
"#;

#[test]
fn poll_0_jobs_outlive_a_killed_kiln_or_report_it() {
    // SIGKILL drops the SSH connection; SIGTERM stops the run: either way
    // the detached command finishes on the host, and the controller-run
    // module's job is reported finished and failed, not running for ever.
    for sig in ["KILL", "TERM"] {
        let fleet = Fleet::start(&header(1));
        let pb = write_playbook(&fleet, "jobs.yml", DETACHED_JOBS);
        let state = fleet.state_dir("h1");
        let mut run = Running::start(&fleet, &pb);
        wait_for(&state.join("jids"));
        run.wait_line("TASK [long task]");
        run.signal(sig);
        let (rc, stdout, stderr) = run.finish();
        assert_ne!(rc, Some(0), "{stdout}\n{stderr}");
        wait_for(&state.join("cmd_done"));
        let status = write_playbook(&fleet, "status.yml", JOB_STATUS);
        let out = fleet.run(&status, &[]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        let text = fs::read_to_string(state.join("status.json")).expect("status written");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        let native = &v["native"];
        assert_eq!(
            native["finished"],
            serde_json::json!(true),
            "{sig}: {native}"
        );
        assert_eq!(native["failed"], serde_json::json!(true), "{sig}: {native}");
        assert!(
            native["msg"]
                .as_str()
                .is_some_and(|m| m.contains("ended before the module finished")),
            "{sig}: {native}"
        );
        let cmd = &v["cmd"];
        assert_eq!(cmd["finished"], serde_json::json!(true), "{sig}: {cmd}");
        assert_eq!(cmd["rc"], serde_json::json!(0), "{sig}: {cmd}");
        assert_eq!(
            fs::read_to_string(state.join("cmd_done")).expect("done"),
            "done\n"
        );
        // Nothing of the jobs is left running on the host.
        assert!(
            fs::read_dir(state.join("async"))
                .expect("async dir")
                .filter_map(Result::ok)
                .all(|e| !e.file_name().to_string_lossy().ends_with(".pid")),
            "{sig}: a job's pid file is left"
        );
    }
}
