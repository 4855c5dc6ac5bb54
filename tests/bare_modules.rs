// SPDX-License-Identifier: MIT
//! Package and service modules on bare hosts (no Python), for what the
//! oracle goldens (tests/playbooks/apt_*.yml, systemd_units.yml) cannot
//! show: a dpkg lock held beyond `lock_timeout`, and `policy_rc_d`.

mod support;

use std::fs;
use std::time::{Duration, Instant};
use support::nspawn::{self, Flavour};

/// Holds dpkg's frontend lock the way apt does (an fcntl write lock) for
/// `secs` seconds, in the background; returns the holder's PID. perl is in
/// every Debian (perl-base), Python is not.
fn hold_dpkg_lock(h: &support::nspawn::BareHost, secs: u32) -> String {
    let script = format!(
        "nohup perl -MFcntl -e 'open(my $f, \">>\", \"/var/lib/dpkg/lock-frontend\") or die \"open: $!\"; \
         my $l = pack(\"s s x4 q q i x4\", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLK, $l) or die \"lock: $!\"; \
         $| = 1; print \"locked\\n\"; sleep {secs}' > /tmp/kiln-lock.out 2>&1 & echo $!"
    );
    let pid = h.sh(&script).trim().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.sh("cat /tmp/kiln-lock.out").trim() != "locked" {
        assert!(
            Instant::now() < deadline,
            "the lock holder did not lock: {}",
            h.sh("cat /tmp/kiln-lock.out")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    pid
}

#[test]
fn apt_fails_on_a_dpkg_lock_held_beyond_lock_timeout() {
    let mut fleet = nspawn::shared(Flavour::Bare, 1);
    fleet.reset();
    let pid = hold_dpkg_lock(&fleet.hosts[0], 60);
    let pb = fleet.root.join("lock.yml");
    fs::write(
        &pb,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - apt:\n        name: tree\n        lock_timeout: 3\n",
    )
    .expect("playbook");
    let start = Instant::now();
    let out = fleet.run(&pb, &[]);
    let took = start.elapsed();
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("Could not get lock /var/lib/dpkg/lock-frontend"),
        "{}",
        out.stdout
    );
    // apt-get gave up after the timeout: no hang, and nothing installed.
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let h = &fleet.hosts[0];
    assert!(!h.ssh("dpkg-query -W tree").status.success());
    // Once the lock is free the same task installs.
    h.sh(&format!("kill {pid}"));
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        h.sh("dpkg-query -W -f '${Status}' tree")
            .contains("ok installed")
    );
}

#[test]
fn policy_rc_d_keeps_a_new_service_stopped() {
    let mut fleet = nspawn::shared(Flavour::Bare, 1);
    fleet.reset();
    let pb = fleet.root.join("policy.yml");
    // cron's maintainer script starts cron through invoke-rc.d, which asks
    // policy-rc.d; 101 means "not allowed".
    fs::write(
        &pb,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - apt:\n        name: cron\n        policy_rc_d: 101\n",
    )
    .expect("playbook");
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let h = &fleet.hosts[0];
    assert!(
        h.sh("dpkg-query -W -f '${Status}' cron")
            .contains("ok installed")
    );
    let active = h.ssh("systemctl is-active cron");
    assert_eq!(String::from_utf8_lossy(&active.stdout).trim(), "inactive");
    // The temporary policy-rc.d is gone again.
    assert!(!h.ssh("test -e /usr/sbin/policy-rc.d").status.success());
    // Without it, a package's service starts as usual.
    fleet.reset();
    fs::write(
        &pb,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - apt:\n        name: cron\n",
    )
    .expect("playbook");
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let active = fleet.hosts[0].ssh("systemctl is-active cron");
    assert_eq!(String::from_utf8_lossy(&active.stdout).trim(), "active");
}
