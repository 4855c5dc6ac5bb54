// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Package and service modules on bare hosts (no Python), for what the
//! oracle goldens (tests/playbooks/apt_*.yml, systemd_units.yml) cannot
//! show: a dpkg lock held beyond `lock_timeout`, `policy_rc_d`, and that one
//! remote query covers all the names of a task and one apt-get transaction
//! installs them (apt, and dnf for `latest` of installed and missing names).

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
    // apt-get names the holder ("Could not get lock ... It is held by
    // process N") when it can find it; on a loaded machine it may give up
    // with only its second line. Either is the lock's refusal.
    assert!(
        out.stdout
            .contains("Could not get lock /var/lib/dpkg/lock-frontend")
            || out
                .stdout
                .contains("Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend)"),
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

/// Replaces `tool` on the host by a wrapper that logs each call (the SSH
/// session it runs in, then its arguments) to /tmp/kiln-calls before running
/// the real program. sshd starts every remote command in a session of its
/// own, so calls with the same session id came from one round trip.
fn trace_calls(h: &support::nspawn::BareHost, tool: &str) {
    h.sh(&format!(
        "dpkg-divert --quiet --local --rename --add {tool} && cat > {tool} <<'EOF'\n\
         #!/bin/sh\n\
         sid=$(cut -d' ' -f6 /proc/$$/stat)\n\
         args=$(printf '%s ' \"$@\" | tr '\\n\\t' '  ')\n\
         echo \"$sid $(basename \"$0\") $args\" >> /tmp/kiln-calls\n\
         exec {tool}.distrib \"$@\"\n\
         EOF\n\
         chmod 755 {tool}"
    ));
}

/// `(session, tool, args)` of every logged call. An argument with a
/// newline in it (dpkg-query's format) continues the call on the next
/// line, which does not start with a session number.
fn calls(h: &support::nspawn::BareHost) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for l in h
        .sh("cat /tmp/kiln-calls 2>/dev/null; rm -f /tmp/kiln-calls; true")
        .lines()
    {
        let mut w = l.splitn(3, ' ');
        let first = w.next().unwrap_or("");
        match out.last_mut() {
            Some(last) if first.parse::<u64>().is_err() => {
                last.2 = format!("{} {}", last.2, l.trim()).trim().to_string();
            }
            _ => out.push((
                first.to_string(),
                w.next().unwrap_or("").to_string(),
                w.next().unwrap_or("").trim().to_string(),
            )),
        }
    }
    out
}

#[test]
fn one_query_for_all_names_and_one_transaction() {
    let mut fleet = nspawn::shared(Flavour::Bare, 1);
    fleet.reset();
    let h = &fleet.hosts[0];
    for tool in [
        "/usr/bin/apt-get",
        "/usr/bin/apt-cache",
        "/usr/bin/dpkg-query",
    ] {
        trace_calls(h, tool);
    }
    let pb = fleet.root.join("names.yml");
    fs::write(
        &pb,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - apt:\n        name: [jq, tree, sudo]\n",
    )
    .expect("playbook");
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let log = calls(h);
    // The query: dpkg-query and apt-cache once each, with every name, from
    // one remote command (the change reuses it).
    let queries: Vec<_> = log
        .iter()
        .filter(|(_, tool, args)| {
            (tool == "dpkg-query" && args.starts_with("-W -f=${Package}"))
                || (tool == "apt-cache" && args.contains("policy"))
        })
        .collect();
    assert_eq!(queries.len(), 2, "{log:#?}");
    for (_, _, args) in &queries {
        assert!(args.ends_with("-- jq tree sudo"), "{log:#?}");
    }
    assert_eq!(queries[0].0, queries[1].0, "one session: {log:#?}");
    // The change: one apt-get install naming both missing packages (sudo is
    // installed already), in a later round trip.
    let installs: Vec<_> = log
        .iter()
        .filter(|(_, tool, args)| tool == "apt-get" && args.contains(" install "))
        .collect();
    assert_eq!(installs.len(), 1, "{log:#?}");
    // apt-get gets each name pinned to the version the query chose.
    let words: Vec<&str> = installs[0].2.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "install").unwrap_or(0);
    let pinned: Vec<&str> = words[at + 1..]
        .iter()
        .map(|w| w.split('=').next().unwrap_or(w))
        .collect();
    assert_eq!(pinned, ["jq", "tree"], "{log:#?}");
    assert_ne!(installs[0].0, queries[0].0, "{log:#?}");
    // The rerun: the same one query, no transaction.
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let log = calls(h);
    assert!(
        !log.iter().any(|(_, tool, _)| tool == "apt-get"),
        "{log:#?}"
    );
    let sessions: std::collections::BTreeSet<_> = log.iter().map(|(s, _, _)| s).collect();
    assert_eq!(sessions.len(), 1, "{log:#?}");
    // A removal of two names is one transaction too.
    fs::write(
        &pb,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - apt:\n        name: [jq, tree]\n        state: absent\n",
    )
    .expect("playbook");
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let removes: Vec<_> = calls(h)
        .into_iter()
        .filter(|(_, tool, args)| tool == "apt-get" && args.contains(" remove "))
        .collect();
    assert_eq!(removes.len(), 1, "{removes:#?}");
    assert!(removes[0].2.contains("jq") && removes[0].2.contains("tree"));
}

#[test]
fn dnf_latest_of_installed_and_missing_names_is_one_transaction() {
    let mut fleet = nspawn::shared(Flavour::Bare, 1);
    fleet.reset();
    let h = &fleet.hosts[0];
    // The diversion is made before apt installs dnf: dpkg then puts the
    // real program at dnf.distrib, under the logging wrapper.
    trace_calls(h, "/usr/bin/dnf");
    // dnf_local.yml installs dnf and builds the local repository; it ends
    // with kiln-a 2.0 and kiln-b installed.
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/playbooks/dnf_local.yml");
    let out = fleet.run(&golden, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // Runs `tasks` with dnf_local.yml's module defaults (its repository
    // and installroot) and reports the output.
    let pb = fleet.root.join("dnf_mixed.yml");
    let run = |tasks: &str| {
        fs::write(
            &pb,
            format!(
                "- hosts: all\n  gather_facts: false\n  module_defaults:\n    dnf:\n      use_backend: dnf4\n      conf_file: /etc/kiln-dnf.conf\n      installroot: /srv/root\n      releasever: \"12\"\n  tasks:\n{tasks}"
            ),
        )
        .expect("playbook");
        let out = fleet.run(&pb, &[]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        out
    };
    run(
        "    - dnf: {name: kiln-b, state: absent}\n    - dnf: {name: kiln-a-1.0, allow_downgrade: true}\n",
    );
    let installed = || h.sh("rpm --root=/srv/root -qa --qf '%{NAME}-%{VERSION}\\n' | sort");
    assert_eq!(installed(), "kiln-a-1.0\nkiln-lib-1.0\n");
    calls(h);
    let out = run("    - dnf: {name: [kiln-a, kiln-b], state: latest}\n");
    assert!(out.stdout.contains("changed: [h1]"), "{}", out.stdout);
    assert_eq!(installed(), "kiln-a-2.0\nkiln-b-1.0\nkiln-lib-1.0\n");
    let log = calls(h);
    // One transaction: a single dnf run that may change the system (the
    // other is its resolve-only pass, `--assumeno`), marking the install
    // of kiln-b and the upgrade of kiln-a together.
    let real: Vec<_> = log
        .iter()
        .filter(|(_, tool, args)| tool == "dnf" && !args.contains("--assumeno"))
        .collect();
    assert_eq!(real.len(), 1, "{log:#?}");
    assert!(real[0].2.contains(" shell "), "{log:#?}");
    let dry: Vec<_> = log
        .iter()
        .filter(|(_, tool, args)| tool == "dnf" && args.contains("--assumeno"))
        .collect();
    assert_eq!(dry.len(), 1, "{log:#?}");
    assert_eq!(dry[0].0, real[0].0, "one round trip: {log:#?}");
}
