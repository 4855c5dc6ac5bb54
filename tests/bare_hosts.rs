// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The bare test hosts themselves (tests/support/nspawn.rs): they boot to
//! `running`, have no Python, have the promised users, discard writes on
//! restart, and kiln reaches them with strict host key checking.

mod support;

use std::fs;
use support::nspawn::{self, Flavour, PW_PASSWORD, PW_USER, SUDO_NOPASSWD_USER};

#[test]
fn bare_hosts_are_fresh_debian_servers() {
    let mut fleet = nspawn::shared(Flavour::Bare, 2);
    for h in &fleet.hosts {
        assert_eq!(h.sh("systemctl is-system-running").trim(), "running");
        assert_eq!(h.sh("hostname").trim(), h.name);
        assert_eq!(h.sh("systemctl is-active ssh").trim(), "active");
        // PID 1 is systemd, in the container's own PID namespace.
        assert_eq!(h.sh("cat /proc/1/comm").trim(), "systemd");
        assert!(
            !h.ssh("command -v python3 || command -v python")
                .status
                .success(),
            "{} has a Python",
            h.name
        );
        assert!(h.sh("grep -c bookworm /etc/os-release").trim() != "0");
        // The host's own name resolves, so sudo prints no warning.
        let sudo = h.ssh("sudo -n true");
        assert!(sudo.status.success());
        assert_eq!(String::from_utf8_lossy(&sudo.stderr), "");
        assert_eq!(h.sh("cat /etc/hostname").trim(), h.name);
        // kilnsudo: sudo without a password; kilnpw: sudo wants one.
        assert_eq!(
            h.sh(&format!(
                "su -s /bin/sh {SUDO_NOPASSWD_USER} -c 'sudo -n id -u'"
            ))
            .trim(),
            "0"
        );
        let pw = h.ssh(&format!("su -s /bin/sh {PW_USER} -c 'sudo -n true'"));
        assert!(!pw.status.success(), "kilnpw's sudo needed no password");
        assert_eq!(
            h.sh(&format!(
                "su -s /bin/sh {PW_USER} -c \"echo '{PW_PASSWORD}' | sudo -S -p '' id -u\""
            ))
            .trim(),
            "0"
        );
    }
    // Writes are discarded by a restart; the address stays, the key is new.
    let (addr, port, key) = {
        let h = &fleet.hosts[1];
        h.sh("echo scratch > /etc/kiln-scratch && dpkg -l > /dev/null");
        (
            h.address().to_string(),
            h.port(),
            h.known_hosts_line().to_string(),
        )
    };
    let boot_before = fleet.hosts[1].sh("cat /proc/sys/kernel/random/boot_id");
    fleet.hosts[1].restart();
    fleet.write_controller_files();
    let h = &fleet.hosts[1];
    assert_eq!((h.address(), h.port()), (addr.as_str(), port));
    assert_ne!(h.known_hosts_line(), key);
    assert!(!h.ssh("test -e /etc/kiln-scratch").status.success());
    assert_ne!(h.sh("cat /proc/sys/kernel/random/boot_id"), boot_before);
}

#[test]
fn kiln_runs_against_bare_hosts() {
    let fleet = nspawn::shared(Flavour::Bare, 2);
    let pb = fleet.root.join("hello.yml");
    fs::write(
        &pb,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: cat /etc/hostname\n      register: out\n    - assert:\n        that: out.stdout == inventory_hostname\n",
    )
    .expect("playbook");
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("h1                         : ok=2"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("h2"), "{}", out.stdout);
}
