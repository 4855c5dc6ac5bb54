// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Round trips and time per module (issue 7): each module runs in a
//! one-task playbook through the engine, on the local host through a
//! connection that counts every command it runs, first on a fresh state and
//! then again (the idempotent rerun). Prints, per module, the commands
//! (round trips) and the wall time of each run.
//!
//! ```sh
//! cargo bench --bench modules
//! ```

#[path = "../tests/support/counting.rs"]
mod counting;

use counting::run_once;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// A loopback HTTP server for uri and get_url.
fn serve() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = "benchmark body\n";
            let _ = write!(
                s,
                "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(port)
}

/// Each module's task (`D` is the state directory, `P` the server's port).
const TASKS: &[(&str, &str)] = &[
    ("command", "command: echo hi"),
    ("shell", "shell: echo hi | tr h H"),
    ("raw", "raw: echo hi"),
    ("stat", "stat: path=D/tree"),
    ("file", "file: path=D/dir state=directory mode=0750"),
    ("copy", "copy: content='x\\n' dest=D/copied"),
    ("template", "template: src=t.j2 dest=D/templated"),
    (
        "copy remote dir",
        "copy: src=D/tree dest=D/treecopy remote_src=true",
    ),
    ("lineinfile", "lineinfile: path=D/copied line=second"),
    (
        "blockinfile",
        "blockinfile: path=D/copied block='a block' create=true",
    ),
    (
        "replace",
        "replace: path=D/copied regexp=second replace=second",
    ),
    ("slurp", "slurp: src=D/tree/a/one.txt"),
    ("tempfile", "tempfile: path=D suffix=.bench"),
    ("find", "find: paths=D/tree recurse=true"),
    (
        "find+contains",
        "find: paths=D/tree recurse=true contains=one",
    ),
    (
        "fetch",
        "fetch: src=D/tree/a/one.txt dest=D/fetched/ flat=true",
    ),
    ("script", "script: s.sh"),
    ("wait_for", "wait_for: path=D/tree timeout=5"),
    ("package_facts", "package_facts:"),
    ("uri", "uri: url=http://127.0.0.1:P/x"),
    ("get_url", "get_url: url=http://127.0.0.1:P/f dest=D/got"),
    (
        "unarchive",
        "unarchive: src=D/tree.tgz dest=D/out remote_src=true",
    ),
    (
        "unarchive (controller archive)",
        "unarchive: src=D/tree.tgz dest=D/sent",
    ),
    ("setup", "setup:"),
    ("debug", "debug: msg=hi"),
    ("set_fact", "set_fact: x=1"),
    ("assert", "assert: that='1 == 1'"),
    ("fail", "fail: msg=no\n      when: false"),
    ("include_vars", "include_vars: vars.yml"),
    ("add_host", "add_host: name=extra"),
    ("group_by", "group_by: key=benched"),
    ("pause", "pause: seconds=0"),
    ("wait_for_connection", "wait_for_connection: timeout=5"),
    ("ping", "ping:"),
    ("meta", "meta: noop"),
];

fn main() -> Result<(), String> {
    let port = serve()?;
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = root.path();
    let state = dir.join("state");
    let w = |p: &Path, s: &str| std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()));
    std::fs::create_dir_all(dir.join("files")).map_err(|e| e.to_string())?;
    w(&dir.join("t.j2"), "{{ inventory_hostname }}\n")?;
    w(&dir.join("vars.yml"), "benched: true\n")?;
    w(&dir.join("files/s.sh"), "#!/bin/sh\necho scripted\n")?;
    w(
        &dir.join("inventory.ini"),
        "bench ansible_connection=local\n",
    )?;
    let fixture = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!(
            "mkdir -p {s}/tree/a {s}/out {s}/sent && echo one > {s}/tree/a/one.txt && tar -C {s} -czf {s}/tree.tgz tree",
            s = state.display()
        ))
        .status()
        .map_err(|e| e.to_string())?;
    if !fixture.success() {
        return Err("fixtures failed".into());
    }
    let calls = Arc::new(AtomicU64::new(0));
    println!(
        "{:<20} {:>9} {:>10} {:>9} {:>10}",
        "module", "trips", "first ms", "rerun", "rerun ms"
    );
    for (name, task) in TASKS {
        let task = task
            .replace('D', &state.display().to_string())
            .replace('P', &port.to_string());
        w(
            &dir.join("one.yml"),
            &format!("- hosts: all\n  gather_facts: false\n  tasks:\n    - {task}\n"),
        )?;
        let (first, t1) = run_once(dir, &calls)?;
        let (again, t2) = run_once(dir, &calls)?;
        println!(
            "{name:<20} {first:>9} {:>10.1} {again:>9} {:>10.1}",
            t1.as_secs_f64() * 1000.0,
            t2.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
