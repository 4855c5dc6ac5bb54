// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Issue 7's bound: a module takes at most two round trips in the common
//! case (one probe, one apply). The modules that took more, `copy` of a
//! directory on the host and `unarchive` of an archive on the host or on
//! the controller, run through a connection that counts each command: a
//! first run that changes, a rerun that does not, a merge into an existing
//! directory, and check mode.

#[path = "support/counting.rs"]
mod counting;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Writes a one-task playbook and runs it: the round trips it took.
fn trips(dir: &Path, calls: &Arc<AtomicU64>, task: &str, check: bool) -> u64 {
    let play = format!(
        "- hosts: all\n  gather_facts: false\n  check_mode: {check}\n  tasks:\n    - {task}\n"
    );
    std::fs::write(dir.join("one.yml"), play).expect("playbook");
    counting::run_once(dir, calls)
        .unwrap_or_else(|e| panic!("{task}: {e}"))
        .0
}

#[test]
fn host_side_copy_and_unarchive_take_two_round_trips() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    let s = dir.join("state");
    std::fs::write(
        dir.join("inventory.ini"),
        "local ansible_connection=local\n",
    )
    .expect("inventory");
    let made = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(
            "set -e; mkdir -p \"$1\"; cd \"$1\"; mkdir -p tree/a out sent tmp existing/a; echo one > tree/a/one.txt; \
             echo older > existing/a/one.txt; tar -czf tree.tgz tree",
        )
        .arg("sh")
        .arg(&s)
        .status()
        .expect("sh");
    assert!(made.success());
    let calls = Arc::new(AtomicU64::new(0));
    let d = s.display();
    let copy = format!("copy: src={d}/tree dest={d}/copied remote_src=true");
    let merge = format!("copy: src={d}/tree/ dest={d}/existing remote_src=true");
    let unarchive = format!("unarchive: src={d}/tree.tgz dest={d}/out remote_src=true");
    // The same archive read on the controller and sent to the host, staged
    // under a TMPDIR of its own to see that nothing is left there.
    let sent = format!(
        "unarchive: src={d}/tree.tgz dest={d}/sent\n      environment:\n        TMPDIR: {d}/tmp"
    );
    for (task, what) in [
        (&copy, "copy"),
        (&merge, "merge"),
        (&unarchive, "unarchive"),
        (&sent, "unarchive from the controller"),
    ] {
        let check = trips(dir, &calls, task, true);
        let first = trips(dir, &calls, task, false);
        let again = trips(dir, &calls, task, false);
        // Each run probes the host at least once: the counter counts.
        assert!(
            check >= 1 && first >= 1 && again >= 1,
            "{what}: nothing counted"
        );
        assert!(
            check <= 2 && first <= 2 && again <= 2,
            "{what}: check {check}, first {first}, rerun {again}"
        );
    }
    // The work was done: the copy, the merge over the older file, the
    // extractions.
    for (path, want) in [
        ("copied/tree/a/one.txt", "one\n"),
        ("existing/a/one.txt", "one\n"),
        ("out/tree/a/one.txt", "one\n"),
        ("sent/tree/a/one.txt", "one\n"),
    ] {
        assert_eq!(
            std::fs::read_to_string(s.join(path)).expect(path),
            want,
            "{path}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(s.join("tmp"))
        .expect("tmp")
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .expect("tmp entries");
    assert!(left.is_empty(), "staged archives left behind: {left:?}");
}
