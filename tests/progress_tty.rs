// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The progress display under a pseudo-terminal (`script`), and the start-up
//! checks of the output options (bad callback, unwritable files).

mod support;

use std::path::PathBuf;
use std::process::Command;
use support::fleet::{Fleet, Header};

fn playbook(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/playbooks/{name}.yml"))
}

#[test]
fn bar_on_a_terminal_leaves_the_text_intact() {
    let pb = playbook("ping");
    let fleet = Fleet::start(&Header::parse(&pb));
    let cmd = format!(
        "{} playbook -i {} {}",
        env!("CARGO_BIN_EXE_kiln"),
        fleet.inventory.display(),
        pb.display()
    );
    let out = Command::new("script")
        .args(["-qfec", &cmd, "/dev/null"])
        .env("HOME", &fleet.home)
        .env("ANSIBLE_NOCOLOR", "1")
        .env_remove("SSH_AUTH_SOCK")
        .current_dir(fleet.root.path())
        .output()
        .expect("script runs");
    let screen = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    assert_eq!(out.status.code(), Some(0), "{screen}");
    // The bar was drawn with its counters...
    let bar = regex::Regex::new(r"PLAY \[Ping every host\] \[.*\] \d+/\d+ tasks  ok=\d+ changed=\d+ failed=\d+ unreachable=\d+").expect("re");
    assert!(bar.is_match(&screen), "{screen}");
    // ...and every line of the normal output is there, whole.
    let plain = fleet.run(&pb, &["--no-progress"]);
    for line in plain.stdout.lines().filter(|l| !l.is_empty()) {
        assert!(
            screen
                .lines()
                .any(|l| l.trim_end().ends_with(line.trim_end())),
            "line {line:?} missing from the terminal screen:\n{screen}"
        );
    }
    // Without a terminal no bar is drawn at all.
    assert!(!plain.stderr.contains("tasks"), "{}", plain.stderr);
}

#[test]
fn bad_output_options_fail_before_any_host() {
    let pb = playbook("ping");
    let fleet = Fleet::start(&Header::parse(&pb));
    let r = fleet.run(&pb, &["--events", "/nonexistent/dir/events.jsonl"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("events file"), "{}", r.stderr);
    assert!(!r.stdout.contains("PLAY ["), "{}", r.stdout);
    // ansible-core 2.21's words: an unknown callback, and `yaml`, which
    // community.general removed (its routing still points there).
    for (name, says) in [
        (
            "nosuch",
            "[ERROR]: Could not load 'nosuch' callback plugin.\n",
        ),
        (
            "ansible.builtin.nosuch",
            "[ERROR]: Could not load 'ansible.builtin.nosuch' callback plugin.\n",
        ),
        (
            "yaml",
            "[ERROR]: The 'community.general.yaml' callback plugin has been removed. \
             The plugin has been superseded by the option `result_format=yaml` in callback plugin \
             ansible.builtin.default from ansible-core 2.13 onwards. \
             This feature was removed from collection 'community.general' version 12.0.0.\n",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["playbook", "-i"])
            .arg(&fleet.inventory)
            .arg(&pb)
            .env("HOME", &fleet.home)
            .env("ANSIBLE_STDOUT_CALLBACK", name)
            .output()
            .expect("kiln runs");
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), says);
        assert!(out.stdout.is_empty(), "{name}");
    }
    // A result format the default callback does not have.
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["playbook", "-i"])
        .arg(&fleet.inventory)
        .arg(&pb)
        .env("HOME", &fleet.home)
        .env("ANSIBLE_CALLBACK_RESULT_FORMAT", "xml")
        .output()
        .expect("kiln runs");
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "[ERROR]: Invalid value 'xml' for config 'result_format' for 'default' callback plugin. \
         Valid values are: json, yaml\n"
    );
    assert!(out.stdout.is_empty());
    // A YAML line width that is none of the choices.
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["playbook", "-i"])
        .arg(&fleet.inventory)
        .arg(&pb)
        .env("HOME", &fleet.home)
        .env("ANSIBLE_CALLBACK_YAML_LINE_WIDTH", "wide")
        .output()
        .expect("kiln runs");
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "[ERROR]: Invalid value 'wide' for config 'result_yaml_line_width' for 'default' callback plugin. \
         Valid values are: default, no-break, terminal-width\n"
    );
    assert!(out.stdout.is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["playbook", "-i"])
        .arg(&fleet.inventory)
        .arg(&pb)
        .env("HOME", &fleet.home)
        .env("ANSIBLE_LOG_PATH", fleet.root.path())
        .output()
        .expect("kiln runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("log file"));
}

/// Runs kiln under `script` (a pseudo-terminal) and returns the screen.
fn on_a_terminal(fleet: &Fleet, pb: &std::path::Path, env: &[(&str, &str)]) -> String {
    on_a_terminal_of(fleet, pb, env, None)
}

/// The same on a terminal `cols` columns wide (none: `script`'s own size).
fn on_a_terminal_of(
    fleet: &Fleet,
    pb: &std::path::Path,
    env: &[(&str, &str)],
    cols: Option<u16>,
) -> String {
    let size = cols
        .map(|c| format!("stty cols {c} rows 40 && "))
        .unwrap_or_default();
    let cmd = format!(
        "{size}{} playbook -i {} {}",
        env!("CARGO_BIN_EXE_kiln"),
        fleet.inventory.display(),
        pb.display()
    );
    let mut c = Command::new("script");
    c.args(["-qfec", &cmd, "/dev/null"])
        .env("HOME", &fleet.home)
        .env_remove("ANSIBLE_NOCOLOR")
        .env_remove("NO_COLOR")
        .env_remove("ANSIBLE_FORCE_COLOR")
        .env_remove("SSH_AUTH_SOCK")
        .current_dir(fleet.root.path());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("script runs");
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

#[test]
fn the_bar_names_the_hosts_a_task_waits_for_and_colours_follow_the_terminal() {
    // `slow` sleeps a second on h1, which answered the task before it.
    let pb = playbook("profile_tasks");
    let fleet = Fleet::start(&Header::parse(&pb));
    let screen = on_a_terminal(&fleet, &pb, &[("TERM", "xterm")]);
    let waiting =
        regex::Regex::new(r"ok=1 changed=0 failed=0 unreachable=0  slow  waiting \ds: h1")
            .expect("re");
    assert!(waiting.is_match(&screen), "{screen}");
    // On a terminal the lines are in Ansible's colours...
    assert!(screen.contains("\x1b[0;32mok: [h1]\x1b[0m"), "{screen}");
    // ...unless NO_COLOR (or ANSIBLE_NOCOLOR) says otherwise.
    let plain = on_a_terminal(&fleet, &pb, &[("TERM", "xterm"), ("NO_COLOR", "1")]);
    assert!(!plain.contains("\x1b[0;32m"), "{plain}");
    assert!(plain.contains("ok: [h1]"), "{plain}");
    let plain = on_a_terminal(&fleet, &pb, &[("TERM", "xterm"), ("ANSIBLE_NOCOLOR", "1")]);
    assert!(!plain.contains("\x1b[0;32m"), "{plain}");
    assert!(plain.contains("ok: [h1]"), "{plain}");
}

#[test]
fn banners_fill_the_terminal_width() {
    // Ansible pads banners to its display's width: the terminal's less
    // one, never under 79 (the width when stdout is not a terminal).
    let pb = playbook("ping");
    let fleet = Fleet::start(&Header::parse(&pb));
    // A banner is `MSG ` and stars up to one past the display's width
    // (80 characters when it is 79); the progress bar's redraws may share
    // its line, so the banners are found inside the lines.
    let banner = regex::Regex::new(r"(PLAY|TASK) \[[^\]]*\] \*+").expect("re");
    let widths = |screen: &str| -> Vec<usize> {
        banner
            .find_iter(screen)
            .map(|m| m.as_str().chars().count())
            .collect()
    };
    let wide = on_a_terminal_of(&fleet, &pb, &[("NO_COLOR", "1")], Some(121));
    let got = widths(&wide);
    assert!(got.len() >= 3, "{wide}");
    assert!(got.iter().all(|w| *w == 121), "{got:?}\n{wide}");
    let narrow = on_a_terminal_of(&fleet, &pb, &[("NO_COLOR", "1")], Some(50));
    let got = widths(&narrow);
    assert!(got.len() >= 3, "{narrow}");
    assert!(got.iter().all(|w| *w == 80), "{got:?}\n{narrow}");
}

#[test]
fn runner_options_fail_before_any_host() {
    let pb = playbook("ping");
    let fleet = Fleet::start(&Header::parse(&pb));
    // An artifact directory under a plain file cannot be made.
    let file = fleet.root.path().join("a-file");
    std::fs::write(&file, "").expect("file");
    let r = fleet.run(
        &pb,
        &["--artifact-dir", &file.join("sub").display().to_string()],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("artifact directory"), "{}", r.stderr);
    assert!(!r.stdout.contains("PLAY ["), "{}", r.stdout);
    // awx_display outside ansible-runner (no AWX_ISOLATED_DATA_DIR).
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["playbook", "-i"])
        .arg(&fleet.inventory)
        .arg(&pb)
        .env("HOME", &fleet.home)
        .env("ANSIBLE_STDOUT_CALLBACK", "awx_display")
        .env_remove("AWX_ISOLATED_DATA_DIR")
        .output()
        .expect("kiln runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("AWX_ISOLATED_DATA_DIR"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    // --ident means nothing without --artifact-dir.
    let r = fleet.run(&pb, &["--ident", "x"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
}

/// `--step` under a terminal: the question before each task, `y` runs it,
/// `n` skips it without a trace, `c` runs it and stops asking (the handler
/// runs unasked); then the same answers piped without a terminal, and a
/// closed stdin, which ends the run with 250 as ansible-playbook's does.
#[test]
fn step_asks_before_each_task() {
    let pb = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/step.yml");
    let fleet = Fleet::start(&Header::parse(&pb));
    let cmd = format!(
        "{} playbook -i {} {} --step --no-progress",
        env!("CARGO_BIN_EXE_kiln"),
        fleet.inventory.display(),
        pb.display()
    );
    let run = |tty: bool, input: &str| {
        use std::io::Write;
        let mut c = if tty {
            let mut c = Command::new("script");
            c.args(["-qfec", &cmd, "/dev/null"]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", &cmd]);
            c
        };
        let mut child = c
            .env("HOME", &fleet.home)
            .env("ANSIBLE_NOCOLOR", "1")
            .env_remove("SSH_AUTH_SOCK")
            .current_dir(fleet.root.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        let mut stdin = child.stdin.take().expect("stdin");
        for line in input.lines() {
            // One answer per question: the terminal gets them as typed.
            std::thread::sleep(std::time::Duration::from_millis(1500));
            let _ = writeln!(stdin, "{line}");
        }
        std::thread::sleep(std::time::Duration::from_millis(1500));
        drop(stdin);
        let out = child.wait_with_output().expect("output");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
        )
    };
    for tty in [true, false] {
        let (code, screen) = run(tty, "y\nn\nc\n");
        assert_eq!(code, Some(0), "{screen}");
        for q in ["one", "two", "three"] {
            assert!(
                screen.contains(&format!("Perform task: TASK: {q} (N)o/(y)es/(c)ontinue:")),
                "{screen}"
            );
        }
        assert!(screen.contains("TASK [one]"), "{screen}");
        assert!(!screen.contains("TASK [two]"), "{screen}");
        assert!(screen.contains("TASK [three]"), "{screen}");
        assert!(!screen.contains("Perform task: HANDLER"), "{screen}");
        assert!(screen.contains("RUNNING HANDLER [h]"), "{screen}");
        assert!(screen.contains("ok=3    changed=1"), "{screen}");
    }
    let (code, screen) = run(false, "");
    assert_eq!(code, Some(250), "{screen}");
    assert!(!screen.contains("TASK [one]"), "{screen}");
}
