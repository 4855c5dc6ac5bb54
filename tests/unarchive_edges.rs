// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `unarchive` of a controller archive at its edges, over the local
//! connection, each compared with what ansible-playbook 2.21 gave for the
//! same task against a test sshd (venv's ansible-playbook, same archives):
//! a missing archive when `creates` exists skips (Ansible checks `creates`
//! on the host first), and fails with the action's words when it does not;
//! a gzip archive cut short has no handler; a plain tar cut before its
//! end-of-archive blocks (the two zero blocks of its trailer) still unpacks.

use std::path::Path;
use std::process::Command;

/// Runs `tasks` (YAML list items) against the local host: the output.
fn run(dir: &Path, tasks: &str) -> (i32, String) {
    std::fs::write(
        dir.join("inventory.ini"),
        "local ansible_connection=local\n",
    )
    .expect("inventory");
    std::fs::write(
        dir.join("play.yml"),
        format!("- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}"),
    )
    .expect("playbook");
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .current_dir(dir)
        .args(["playbook", "-i", "inventory.ini", "play.yml"])
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .expect("kiln");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// The host's result lines (`ok:`, `changed:`, `skipping:`, `fatal:`).
fn results(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            ["ok: ", "changed: ", "skipping: ", "fatal: "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect()
}

#[test]
fn unarchive_edges_of_a_controller_archive() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    let made = Command::new("/bin/sh")
        .arg("-c")
        .arg(
            "set -e; cd \"$1\"; mkdir -p tree/a d1 d2 d3; echo one > tree/a/one.txt; touch d1/marker; \
             tar -czf tree.tgz tree; head -c 60 tree.tgz > cut.tgz; \
             tar -cf plain.tar tree/a/one.txt; head -c 1024 plain.tar > notrailer.tar",
        )
        .arg("sh")
        .arg(dir)
        .status()
        .expect("sh");
    assert!(made.success());
    let d = dir.display();
    let tasks = format!(
        "    - unarchive: src={d}/nope.tgz dest={d}/d1 creates={d}/d1/marker\n\
         \x20   - unarchive: src={d}/nope.tgz dest={d}/d1 creates={d}/d1/absent\n      ignore_errors: true\n\
         \x20   - unarchive: src={d}/cut.tgz dest={d}/d2\n      ignore_errors: true\n\
         \x20   - unarchive: src={d}/notrailer.tar dest={d}/d3\n"
    );
    let (code, text) = run(dir, &tasks);
    assert_eq!(code, 0, "{text}");
    let lines = results(&text);
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "skipping: [local]", "{text}");
    assert_eq!(
        lines[1],
        format!(
            "fatal: [local]: FAILED! => {{\"changed\": false, \"msg\": \"Task failed: Could not find or access '{d}/nope.tgz' on the Ansible Controller.\"}}"
        )
    );
    // Ansible goes on with each handler's reasons (in a set's order); kiln
    // says which archive had none.
    assert!(
        lines[2].starts_with(
            "fatal: [local]: FAILED! => {\"changed\": false, \"msg\": \"Failed to find handler for \\\""
        ) && lines[2].contains(
            "/source\\\". Make sure the required command to extract the file is installed."
        ),
        "{text}"
    );
    assert_eq!(lines[3], "changed: [local]", "{text}");
    // The missing archive's error: the action's, its origin, then its
    // cause with Ansible's hint.
    let error = format!(
        "[ERROR]: Task failed: Could not find or access '{d}/nope.tgz' on the Ansible Controller.\n\nTask failed.\nOrigin: "
    );
    assert!(text.contains(&error), "{text}");
    assert!(
        text.contains(&format!(
            "        ^ column 7\n\n<<< caused by >>>\n\nCould not find or access '{d}/nope.tgz' on the Ansible Controller. If you are using a module and expect the file to exist on the remote, see the remote_src option.\n\nfatal: [local]"
        )),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("d3/tree/a/one.txt")).expect("unpacked"),
        "one\n"
    );
    // Nothing of the cut archive was unpacked, and nothing made for the
    // missing one.
    assert_eq!(std::fs::read_dir(dir.join("d2")).expect("d2").count(), 0);
    assert_eq!(std::fs::read_dir(dir.join("d1")).expect("d1").count(), 1);
}
