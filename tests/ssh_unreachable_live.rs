// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Unreachable hosts for real, in OpenSSH's words (what Ansible shows
//! after "Task failed: Failed to connect to the host via ssh: "): `AddressFamily`
//! against literal addresses of either family, a connect that times out
//! (a listener whose accept queue is full drops new SYNs), and "No route
//! to host" from an `unreachable` route inside a network namespace this
//! test makes (and removes) for kiln alone. The machine's own network
//! configuration is never touched.

mod support;

use std::fs;
use std::io::Write;
use std::process::Command;

use support::fleet::{Fleet, Header, RunOutput};

const PLAYBOOK: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - command: echo reached
"#;

/// A one-host fleet (h1, reachable) with more inventory lines appended.
fn fleet_with(extra: &[String]) -> (Fleet, std::path::PathBuf) {
    let header = Header {
        hosts: 1,
        ..Header::default()
    };
    let fleet = Fleet::start(&header);
    let mut inv = fs::OpenOptions::new()
        .append(true)
        .open(&fleet.inventory)
        .expect("inventory");
    for line in extra {
        writeln!(inv, "{line}").expect("write inventory");
    }
    let pb = fleet.root.path().join("site.yml");
    fs::write(&pb, PLAYBOOK).expect("playbook");
    (fleet, pb)
}

fn unreachable_line(out: &RunOutput, host: &str, ssh_words: &str) {
    let want = format!(
        "fatal: [{host}]: UNREACHABLE! => {{\"changed\": false, \"msg\": \"Task failed: Failed to connect to the host via ssh: {ssh_words}\""
    );
    assert!(out.stdout.contains(&want), "{want} in {}", out.stdout);
}

#[test]
fn address_family_picks_the_addresses_tried() {
    let probe = fleet_with(&[]);
    let (h, key) = (&probe.0.hosts[0], probe.0.hosts[0].client_key_path());
    let base = format!(
        "ansible_host={} ansible_port={} ansible_user=root ansible_ssh_private_key_file={}",
        h.address(),
        h.port(),
        key.display()
    );
    let lines = vec![
        format!("v4 {base} ansible_ssh_common_args='-o AddressFamily=inet'"),
        format!("v6 {base} ansible_ssh_common_args='-o AddressFamily=inet6'"),
        format!(
            "v6lit ansible_host=::1 ansible_port={} ansible_ssh_common_args='-o AddressFamily=inet'",
            h.port()
        ),
    ];
    let mut inv = fs::OpenOptions::new()
        .append(true)
        .open(&probe.0.inventory)
        .expect("inventory");
    for l in &lines {
        writeln!(inv, "{l}").expect("write");
    }
    drop(inv);
    // v4 has h1's address and key, so known_hosts must know it by h1's line.
    let out = probe.0.run(&probe.1, &[]);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("changed: [v4]"), "{}", out.stdout);
    assert!(out.stdout.contains("changed: [h1]"), "{}", out.stdout);
    unreachable_line(
        &out,
        "v6",
        &format!(
            "ssh: Could not resolve hostname {}: Address family for hostname not supported",
            h.address()
        ),
    );
    unreachable_line(
        &out,
        "v6lit",
        "ssh: Could not resolve hostname ::1: Address family for hostname not supported",
    );
}

#[test]
fn a_connect_that_gets_no_answer_times_out() {
    // Backlog 0 lets one connection wait for accept(); once it is
    // queued, the kernel drops further SYNs unanswered.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (listener, port) = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().expect("socket");
        sock.bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind");
        let port = sock.local_addr().expect("addr").port();
        (sock.listen(0).expect("listen"), port)
    });
    let filler = std::net::TcpStream::connect(("127.0.0.1", port)).expect("first connect");
    let (fleet, pb) = fleet_with(&[format!(
        "silent ansible_host=127.0.0.1 ansible_port={port} ansible_ssh_timeout=2"
    )]);
    let started = std::time::Instant::now();
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    unreachable_line(
        &out,
        "silent",
        &format!("ssh: connect to host 127.0.0.1 port {port}: Connection timed out"),
    );
    assert!(out.stdout.contains("changed: [h1]"), "{}", out.stdout);
    // The timeout bounded the wait (not the kernel's two minutes of SYNs).
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    drop((listener, filler, rt));
}

/// `cmd` run in a network namespace of its own (`unshare --net`) where
/// only loopback is up and `route` is added first. The namespace has no
/// name (nothing under /run/netns, no mount left on the machine) and ends
/// with the command.
fn in_own_netns(cmd: &Command, route: &str) -> Command {
    let mut inner = Command::new("unshare");
    inner.args(["--net", "--", "sh", "-c"]).arg(format!(
        "ip link set lo up && ip route add {route} && exec \"$0\" \"$@\""
    ));
    inner.arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => inner.env(k, v),
            None => inner.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        inner.current_dir(d);
    }
    inner
}

#[test]
fn no_route_to_host_in_a_namespace_of_our_own() {
    let mounts = || std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let netns_before = mounts().contains(" /run/netns ");
    let (fleet, pb) = fleet_with(&["gone ansible_host=127.0.0.77 ansible_port=22".to_string()]);
    // Inside the namespace only: this address has an `unreachable` route,
    // so connect() fails at once with EHOSTUNREACH.
    let out = in_own_netns(
        &fleet.command(&pb, &[]),
        "unreachable 127.0.0.77/32 table local",
    )
    .stdin(std::process::Stdio::null())
    .output()
    .expect("kiln in the namespace");
    let out = RunOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    // h1 lives outside the namespace: unreachable too, refused.
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    unreachable_line(
        &out,
        "gone",
        "ssh: connect to host 127.0.0.77 port 22: No route to host",
    );
    // The machine's mounts are as they were (a named namespace would leave
    // /run/netns mounted, which the facts goldens would see).
    assert_eq!(mounts().contains(" /run/netns "), netns_before);
}
