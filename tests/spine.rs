// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The spine end to end through the `kiln` binary against real OpenSSH
//! servers: one and five hosts, a host whose sshd is stopped, a host with a
//! wrong host key. Checks the output, the exit code and what is left on each
//! host.

mod support;

use std::fs;
use std::path::PathBuf;
use support::fleet::{Fleet, Header};

fn header(hosts: usize) -> Header {
    Header {
        hosts,
        ..Header::default()
    }
}

fn playbook(fleet: &Fleet, body: &str) -> PathBuf {
    let p = fleet.root.path().join("site.yml");
    fs::write(&p, body).expect("playbook");
    p
}

const WRITE_FILES: &str = r#"- name: write a file on every host
  hosts: all
  gather_facts: false
  tasks:
    - name: who am I
      command: echo {{ inventory_hostname }}
      register: me
    - name: write it
      shell: printf '%s\n' "{{ me.stdout }}" > {{ state_dir }}/name.txt
      args:
        creates: "{{ state_dir }}/name.txt"
    - name: count the hosts
      debug:
        msg: "{{ ansible_play_hosts | length }} hosts"
"#;

#[test]
fn one_host_runs_and_reruns_idempotently() {
    let fleet = Fleet::start(&header(1));
    let pb = playbook(&fleet, WRITE_FILES);
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("\nPLAY [write a file on every host] ****"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("TASK [write it] ****"));
    assert!(out.stdout.contains("changed: [h1]"));
    assert!(out.stdout.contains("\"msg\": \"1 hosts\""));
    assert!(out.stdout.contains("h1                         : ok=3    changed=2    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0"), "{}", out.stdout);
    assert_eq!(
        fs::read_to_string(fleet.state_dir("h1").join("name.txt")).expect("written"),
        "h1\n"
    );
    // The second run finds the file and changes only the command.
    let again = fleet.run(&pb, &[]);
    assert_eq!(again.code, 0);
    assert!(
        again
            .stdout
            .contains("h1                         : ok=3    changed=1 "),
        "{}",
        again.stdout
    );
}

#[test]
fn five_hosts_each_get_their_own_file() {
    let fleet = Fleet::start(&header(5));
    let pb = playbook(&fleet, WRITE_FILES);
    let out = fleet.run(&pb, &["-f", "3"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for name in &fleet.names {
        assert_eq!(
            fs::read_to_string(fleet.state_dir(name).join("name.txt")).expect("written"),
            format!("{name}\n")
        );
        assert!(out.stdout.contains(&format!("changed: [{name}]")));
    }
    assert!(out.stdout.contains("\"msg\": \"5 hosts\""));
    // One session per host: each sshd saw exactly one login.
    for h in &fleet.hosts {
        let logins = h
            .log()
            .lines()
            .filter(|l| l.contains("Accepted publickey"))
            .count();
        assert_eq!(logins, 1, "{}", h.log());
    }
}

#[test]
fn a_stopped_host_is_unreachable_and_the_others_finish() {
    let fleet = Fleet::start(&Header {
        hosts: 3,
        down: vec!["h2".into()],
        ..Header::default()
    });
    let pb = playbook(&fleet, WRITE_FILES);
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("fatal: [h2]: UNREACHABLE! => {\"changed\": false, \"msg\": \"Task failed: Failed to connect to the host via ssh: ssh: connect to host 127.0."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Connection refused"));
    assert!(
        out.stdout
            .contains("h2                         : ok=0    changed=0    unreachable=1 ")
    );
    assert!(fleet.state_dir("h1").join("name.txt").exists());
    assert!(fleet.state_dir("h3").join("name.txt").exists());
    assert!(!fleet.state_dir("h2").join("name.txt").exists());
    assert!(
        out.stdout.contains("\"msg\": \"3 hosts\"") || out.stdout.contains("\"msg\": \"2 hosts\"")
    );
}

#[test]
fn a_wrong_host_key_fails_that_host_before_anything_runs() {
    let fleet = Fleet::start(&Header {
        hosts: 2,
        badkey: vec!["h2".into()],
        ..Header::default()
    });
    let pb = playbook(&fleet, WRITE_FILES);
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("REMOTE HOST IDENTIFICATION HAS CHANGED!"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Host key verification failed."));
    assert!(fleet.state_dir("h1").join("name.txt").exists());
    assert!(!fleet.state_dir("h2").join("name.txt").exists());
    // h2's sshd never let kiln log in.
    let logins = fleet.hosts[1]
        .log()
        .lines()
        .filter(|l| l.contains("Accepted publickey"))
        .count();
    assert_eq!(logins, 0, "{}", fleet.hosts[1].log());
}

#[test]
fn become_runs_sudo_as_another_user() {
    let fleet = Fleet::start(&header(1));
    let pb = playbook(
        &fleet,
        r#"- hosts: all
  gather_facts: false
  become: true
  become_user: nobody
  tasks:
    - command: id -un
      register: who
    - assert:
        that: who.stdout == 'nobody'
"#,
    );
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn host_key_checking_off_is_explicit_and_said_at_vvv() {
    let fleet = Fleet::start(&Header {
        hosts: 1,
        nokey: vec!["h1".into()],
        ..Header::default()
    });
    let pb = playbook(&fleet, WRITE_FILES);
    let strict = fleet.run(&pb, &[]);
    assert_eq!(strict.code, 4, "{}", strict.stdout);
    assert!(
        strict.stdout.contains("No ED25519 host key is known for"),
        "{}",
        strict.stdout
    );
    let cfg = fleet.root.path().join("ansible.cfg");
    fs::write(&cfg, "[defaults]\nhost_key_checking = False\n").expect("cfg");
    // Said once, at -vvv where connection details are (Ansible says
    // nothing, and ansible-runner turns checking off for every run).
    let relaxed = fleet.run(&pb, &["-vvv"]);
    assert_eq!(relaxed.code, 0, "{}{}", relaxed.stdout, relaxed.stderr);
    let said = format!("{}{}", relaxed.stdout, relaxed.stderr);
    assert_eq!(
        said.matches("host key checking is disabled").count(),
        1,
        "{said}"
    );
    let quiet = fleet.run(&pb, &[]);
    assert_eq!(quiet.code, 0, "{}{}", quiet.stdout, quiet.stderr);
    assert!(
        !format!("{}{}", quiet.stdout, quiet.stderr).contains("host key checking is disabled"),
        "{}",
        quiet.stderr
    );
}
