// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The system modules (user, group, authorized_key, sysctl,
//! timezone, cron, mount, modprobe, locale_gen, reboot,
//! wait_for_connection) on bare Debian hosts, compared with ansible-playbook
//! 2.21 on identical hosts (the same rootfs plus Python): per task and host
//! the status of the first run, of the rerun and of a check-mode run, and
//! the end state read over plain OpenSSH. Needs root, debootstrap and
//! systemd-container (see tests/support/nspawn.rs).

mod support;

use std::path::{Path, PathBuf};
use support::nspawn::{self, BareFleet, Flavour};

/// Whether a test already used the shared sets (then it restarts them).
static PYTHON_USED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static BARE_USED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// These playbooks change users, cron, sysctl and time zones: they live in
/// tests/playbooks/bare/, out of the oracle's default corpus, and run only
/// against booted bare hosts.
fn playbook(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/playbooks/bare")
        .join(name)
}

/// `(task, host, status)` for every host line of Ansible's default output,
/// loop items included, and the recap lines.
fn statuses(stdout: &str) -> Vec<String> {
    let mut task = String::new();
    let mut out = Vec::new();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("TASK [") {
            task = rest.split("] ").next().unwrap_or(rest).to_string();
            continue;
        }
        for status in ["ok", "changed", "fatal", "failed", "skipping"] {
            if let Some(rest) = line.strip_prefix(&format!("{status}: [")) {
                let host = rest.split(']').next().unwrap_or("");
                let item = rest
                    .split("(item=")
                    .nth(1)
                    .map(|i| format!(" item={}", i.split(')').next().unwrap_or("")))
                    .unwrap_or_default();
                out.push(format!("{task} | {host} | {status}{item}"));
            }
        }
        if line.starts_with("...ignoring") {
            out.push(format!("{task} | ignoring"));
        }
        if line.starts_with("h1 ") || line.starts_with("h2 ") {
            out.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    // Hosts finish a task in any order; each entry names its task.
    out.sort();
    out
}

/// Installs what some modules need (cron, locales) on every host, the same
/// way on both flavours, outside the playbooks.
fn prepare(fleet: &BareFleet) {
    for h in &fleet.hosts {
        h.sh("export DEBIAN_FRONTEND=noninteractive; apt-get update -qq >/dev/null && apt-get install -y -qq cron locales kmod >/dev/null");
    }
}

/// What the playbooks leave behind, read without kiln.
fn end_state(fleet: &BareFleet) -> Vec<String> {
    fleet
        .hosts
        .iter()
        .map(|h| {
            h.sh(concat!(
                "getent passwd alice svc bob; getent group ops sudo adm; ",
                "getent shadow alice dave | cut -d: -f1,2,8; id alice; ",
                "stat -c '%n %a %U' /home/alice/.ssh/extra_keys; cat /home/alice/.ssh/extra_keys; ",
                "stat -c '%n %a %U' /home/alice /home/alice/.ssh /home/alice/.ssh/authorized_keys /home/alice/.ssh/id_ed25519 2>&1; ",
                "stat -c '%n %a %U' /home/alice/.ssh/id_kiln_rsa /home/alice/.ssh/id_kiln_rsa.pub 2>&1; ",
                "cut -d' ' -f1,3- /home/alice/.ssh/id_kiln_rsa.pub; ssh-keygen -l -f /home/alice/.ssh/id_kiln_rsa.pub | cut -d' ' -f1; ",
                "ssh-keygen -y -P kiln-key-pw -f /home/alice/.ssh/id_kiln_rsa >/dev/null && echo passphrase ok; ",
                "cat /home/alice/.ssh/authorized_keys /home/kilnsudo/.ssh/authorized_keys 2>&1; ",
                "ls /home; true"
            ))
        })
        .collect()
}

fn system_state(fleet: &BareFleet) -> Vec<String> {
    fleet
        .hosts
        .iter()
        .map(|h| {
            h.sh(concat!(
                "cat /etc/sysctl.d/90-kiln.conf /etc/sysctl.d/92-kiln.conf; ",
                "readlink /etc/localtime; cat /etc/cron.d/kiln-nightly; crontab -l; ",
                "grep kiln /etc/fstab; mountpoint /mnt/kiln\\ tmp; ",
                "cat /etc/modules-load.d/kiln_dummy.conf /etc/modprobe.d/kiln_dummy.conf 2>&1; ",
                "grep -v '^#' /etc/locale.gen | grep . ; locale -a; true"
            ))
        })
        .collect()
}

/// Extra vars for ansible-playbook: OpenSSH reads known_hosts from the
/// passwd home, not `$HOME`, and the default ControlPath under this HOME is
/// too long for a socket (a short one keeps the connection reuse).
fn ansible_ssh_args(fleet: &BareFleet) -> String {
    serde_json::json!({
        "ansible_ssh_args": format!(
            "-C -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=/tmp/kiln-cp-%C -o UserKnownHostsFile={}",
            fleet.home.join(".ssh/known_hosts").display()
        )
    })
    .to_string()
}

/// How the hosts of a comparison are made ready.
#[derive(Clone, Copy, PartialEq)]
enum Hosts {
    /// As booted.
    Plain,
    /// With [`prepare`]'s packages.
    Packages,
    /// Booted with the namespaced kernel parameters writable.
    WritableSysctls,
}

/// The first run's output of each side, for a test that looks further.
struct FirstRuns {
    kiln: String,
    ansible: String,
    /// `state` of kiln's hosts after the last round, read while the test
    /// still holds them (another test may reboot them as soon as it lets go).
    kiln_state: String,
}

/// Runs `book` four ways (check mode on fresh hosts, the first run, check
/// mode with diff after it, the rerun) with kiln on bare hosts and
/// ansible-playbook on Python hosts; the statuses must agree and so must
/// `state`. None when this machine cannot boot bare hosts.
fn compare(book: &str, hosts: Hosts, state: fn(&BareFleet) -> Vec<String>) -> Option<FirstRuns> {
    if !nspawn::available() {
        eprintln!("skipped: bare hosts need root, debootstrap and systemd-nspawn");
        return None;
    }
    let book = playbook(book);
    let mut kiln = nspawn::shared(Flavour::Bare, 2);
    let mut ansible = nspawn::shared(Flavour::Python, 2);
    for (fleet, used) in [(&mut *kiln, &BARE_USED), (&mut *ansible, &PYTHON_USED)] {
        let writable = hosts == Hosts::WritableSysctls;
        fleet.set_sysctl_writable(writable);
        // Freshly booted sets are pristine; later tests reboot them, and
        // so does one that needs writable parameters.
        if used.swap(true, std::sync::atomic::Ordering::SeqCst) || writable {
            fleet.reset();
        }
        // The next test that resets gets ordinary hosts again.
        fleet.set_sysctl_writable(false);
        if hosts == Hosts::Packages {
            prepare(fleet);
        }
    }
    let mut first = None;
    for (round, args) in [
        ("check on fresh hosts", &["--check"][..]),
        ("first", &[]),
        ("check after", &["--check", "--diff"]),
        ("rerun", &[]),
    ] {
        let k = kiln.run(&book, args);
        let ssh_args = ansible_ssh_args(&ansible);
        let mut a_args = vec!["-e", ssh_args.as_str()];
        a_args.extend_from_slice(args);
        let a = ansible.run_ansible(&book, &a_args);
        assert_eq!(
            statuses(&k.stdout),
            statuses(&a.stdout),
            "{round} run of {}\n--- kiln ---\n{}{}\n--- ansible ---\n{}{}",
            book.display(),
            k.stdout,
            k.stderr,
            a.stdout,
            a.stderr
        );
        assert_eq!(k.code, a.code, "{round}: exit codes");
        if round == "first" {
            first = Some(FirstRuns {
                kiln: k.stdout,
                ansible: a.stdout,
                kiln_state: String::new(),
            });
        }
    }
    let kiln_state = state(&kiln);
    assert_eq!(kiln_state, state(&ansible), "end state");
    first.map(|f| FirstRuns {
        kiln_state: kiln_state.join(""),
        ..f
    })
}

/// Each of `wants` appears once per host (two of them) in the state kiln's
/// hosts were left in: after a comparison, what both sides agreed on.
fn on_both_kiln_hosts(text: &str, wants: &[&str]) {
    for want in wants {
        assert_eq!(
            text.matches(want).count(),
            2,
            "{want} on both hosts:\n{text}"
        );
    }
}

#[test]
fn users_groups_and_keys_match_ansible() {
    let Some(first) = compare("bare_users.yml", Hosts::Plain, end_state) else {
        return;
    };
    // Both sides agree; this says on what: the second key has the file,
    // size, comment and passphrase asked for.
    on_both_kiln_hosts(
        &first.kiln_state,
        &[
            "/home/alice/.ssh/id_kiln_rsa 600 alice",
            "ssh-rsa kiln test key",
            "2048",
            "passphrase ok",
        ],
    );
}

#[test]
fn system_settings_match_ansible() {
    compare("bare_system.yml", Hosts::Packages, system_state);
}

#[test]
fn reboot_reconnects_with_a_new_boot_id() {
    if !nspawn::available() {
        eprintln!("skipped: bare hosts need root, debootstrap and systemd-nspawn");
        return;
    }
    let book = playbook("bare_reboot.yml");
    let mut kiln = nspawn::shared(Flavour::Bare, 2);
    if BARE_USED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        kiln.reset();
    }
    let k = kiln.run(&book, &[]);
    assert_eq!(k.code, 0, "{}{}", k.stdout, k.stderr);
    // ansible-playbook on the Python hosts reports the same.
    let mut ansible = nspawn::shared(Flavour::Python, 2);
    if PYTHON_USED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        ansible.reset();
    }
    let ssh_args = ansible_ssh_args(&ansible);
    let a = ansible.run_ansible(&book, &["-e", ssh_args.as_str()]);
    assert_eq!(
        statuses(&k.stdout),
        statuses(&a.stdout),
        "--- kiln ---\n{}\n--- ansible ---\n{}{}",
        k.stdout,
        a.stdout,
        a.stderr
    );
    drop(ansible);
    let s = statuses(&k.stdout);
    assert!(
        s.contains(&"Reboot | h1 | changed".to_string())
            && s.contains(&"Reboot | h2 | changed".to_string()),
        "{s:?}"
    );
    // Check mode reports the reboot without doing it.
    let before = kiln.hosts[0].sh("cat /proc/sys/kernel/random/boot_id");
    let c = kiln.run(&book, &["--check"]);
    assert_eq!(
        before,
        kiln.hosts[0].sh("cat /proc/sys/kernel/random/boot_id")
    );
    assert!(
        statuses(&c.stdout).contains(&"Reboot | h1 | changed".to_string()),
        "{}",
        c.stdout
    );
}

/// Pretty JSON with every object's keys sorted (key order is no result).
fn sorted(v: &serde_json::Value) -> String {
    fn sort(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                serde_json::Value::Object(
                    keys.into_iter().map(|k| (k.clone(), sort(&o[k]))).collect(),
                )
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string_pretty(&sort(v)).unwrap_or_default()
}

/// The `Show` task's message on h1: the registered results as JSON.
fn shown(stdout: &str) -> serde_json::Value {
    let start = stdout
        .find("TASK [Show]")
        .and_then(|i| stdout[i..].find("ok: [h1] => ").map(|j| i + j + 12))
        .unwrap_or_else(|| panic!("no Show output:\n{stdout}"));
    let mut de =
        serde_json::Deserializer::from_str(&stdout[start..]).into_iter::<serde_json::Value>();
    let mut v = de
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("unreadable Show output:\n{stdout}"));
    // What only Python modules add: the call's echo and interpreter facts.
    if let Some(list) = v.get_mut("msg").and_then(|m| m.as_array_mut()) {
        for r in list.iter_mut() {
            if let Some(o) = r.as_object_mut() {
                o.remove("invocation");
                o.remove("warnings");
                o.remove("ansible_facts");
            }
        }
    }
    v
}

#[test]
fn registered_results_match_ansible() {
    if !nspawn::available() {
        eprintln!("skipped: bare hosts need root, debootstrap and systemd-nspawn");
        return;
    }
    let book = playbook("bare_results.yml");
    let mut kiln = nspawn::shared(Flavour::Bare, 2);
    let mut ansible = nspawn::shared(Flavour::Python, 2);
    for (fleet, used) in [(&mut *kiln, &BARE_USED), (&mut *ansible, &PYTHON_USED)] {
        if used.swap(true, std::sync::atomic::Ordering::SeqCst) {
            fleet.reset();
        }
        prepare(fleet);
    }
    let k = kiln.run(&book, &[]);
    let ssh_args = ansible_ssh_args(&ansible);
    let a = ansible.run_ansible(&book, &["-e", ssh_args.as_str()]);
    let (kr, ar) = (sorted(&shown(&k.stdout)), sorted(&shown(&a.stdout)));
    let differ: Vec<String> = kr
        .lines()
        .zip(ar.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| format!("kiln: {x}\nansible: {y}"))
        .collect();
    assert!(kr == ar, "{}\n--- kiln ---\n{kr}", differ.join("\n"));
}

/// The kernel values and files that bare_sysctl.yml sets, read without kiln.
fn sysctl_state(fleet: &BareFleet) -> Vec<String> {
    fleet
        .hosts
        .iter()
        .map(|h| {
            h.sh(concat!(
                "sysctl kernel.msgmax kernel.msgmnb kernel.sem kernel.shmmni kernel.msgmni; ",
                "head /etc/sysctl.d/8*-kiln-ipc.conf; true"
            ))
        })
        .collect()
}

/// `sysctl_set`, `reload` and `ignoreerrors` against the running kernel:
/// the hosts' own IPC parameters, writable in hosts booted for it. kiln's
/// statuses (check, first run, check with diff, rerun), registered results
/// and end state match Ansible's, and the build machine's values of every
/// writable key are what they were.
#[test]
fn sysctl_set_in_the_kernel_matches_ansible() {
    let before = nspawn::controller_sysctls(nspawn::NAMESPACED_SYSCTLS);
    let Some(first) = compare("bare_sysctl.yml", Hosts::WritableSysctls, sysctl_state) else {
        return;
    };
    assert_eq!(
        nspawn::controller_sysctls(nspawn::NAMESPACED_SYSCTLS),
        before,
        "the build machine's kernel parameters changed"
    );
    let (kr, ar) = (sorted(&shown(&first.kiln)), sorted(&shown(&first.ansible)));
    assert!(kr == ar, "--- kiln ---\n{kr}\n--- ansible ---\n{ar}");
    // The values reached the hosts' kernels (both sides agree on that
    // above; this says what they agree on).
    on_both_kiln_hosts(
        &first.kiln_state,
        &[
            "kernel.msgmax = 9000",
            "kernel.msgmnb = 20000",
            "kernel.sem = 250\t32000\t100\t128",
            "kernel.shmmni = 8000",
        ],
    );
    assert_ne!(
        before
            .iter()
            .find(|(k, _)| k == "kernel.msgmax")
            .map(|(_, v)| v.as_str()),
        Some("9000"),
        "the playbook's value must differ from the machine's to prove anything"
    );
}
