// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Hostile values where no Ansible golden can be recorded: file names that
//! are not UTF-8 (ansible-core refuses them: "Refusing to deserialize an
//! invalid UTF8 string value"), and paths with a newline and a backslash
//! through `script`'s `chdir` (Ansible puts it unquoted into a shell line),
//! `fetch` (Ansible's sftp and scp fail on them) and `unarchive` (Ansible's
//! tar listing fails on them). kiln must carry each value through as data:
//! the files land where named and no `touch pwned-N` ever runs.

mod support;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use support::fleet::{Fleet, Header};

const PLAYBOOK: &str = r#"- name: Hostile values Ansible cannot carry
  hosts: all
  gather_facts: false
  vars:
    weird: "sp ace 'sq' \"dq\" $(touch pwned-1) `touch pwned-2` ;x && y | z *?[a] ~ \\back\nnew line"
    dir: "{{ state_dir }}/{{ weird }}"
  tasks:
    - name: a hostile directory holding a name that is not UTF-8, and an archive of it
      shell: |
        set -e
        d={{ dir | quote }}
        mkdir -p "$d"
        printf 'bytes\n' > "$d/$(printf 'caf\351 $(touch pwned-3)')"
        printf 'dash\n' > "$d/-b \$(touch pwned-4).txt"
        cd "$d" && tar -czf {{ state_dir | quote }}/hostile.tgz -- *

    - name: find lists the name that is not UTF-8
      find:
        paths: "{{ dir }}"
      register: found

    - assert:
        that: found.matched == 2

    - name: a script runs in the hostile directory
      script:
        cmd: pwd.sh
        chdir: "{{ dir }}"
      register: sc

    - assert:
        that: "'new line' in sc.stdout"

    - name: fetch a file from the hostile directory
      fetch:
        src: "{{ dir }}/-b $(touch pwned-4).txt"
        dest: "{{ playbook_dir }}/fetched/-f `touch pwned-5`.txt"
        flat: true

    - name: unarchive into the hostile directory
      unarchive:
        src: "{{ state_dir }}/hostile.tgz"
        dest: "{{ dir }}/"
        remote_src: true
        creates: "{{ dir }}/-none $(touch pwned-6)"

    - name: again, unchanged
      unarchive:
        src: "{{ state_dir }}/hostile.tgz"
        dest: "{{ dir }}/"
        remote_src: true
      register: again

    - assert:
        that: not again.changed

    - name: a directory for the archive sent from the controller
      file:
        path: "{{ dir }}-sent"
        state: directory

    - name: the archive sent from the controller (staged, then extracted)
      unarchive:
        src: "{{ state_dir }}/hostile.tgz"
        dest: "{{ dir }}-sent"

    - name: file recurses into it
      file:
        path: "{{ dir }}"
        state: directory
        recurse: true
        mode: "u=rwX,g=rX,o="

    - name: an existing directory holding an older copy of one file
      shell: |
        set -e
        m={{ (dir ~ '-merged') | quote }}
        mkdir -p "$m"
        printf 'old\n' > "$m/-b \$(touch pwned-4).txt"

    - name: the hostile directory merged into it by the host
      copy:
        src: "{{ dir }}/"
        dest: "{{ dir }}-merged"
        remote_src: true

    - name: the hostile directory copied whole by the host
      copy:
        src: "{{ dir }}"
        dest: "{{ state_dir }}/whole $(touch pwned-7)/"
        remote_src: true
"#;

#[test]
fn hostile_values_ansible_cannot_carry() {
    let fleet = Fleet::start(&Header {
        hosts: 1,
        ..Header::default()
    });
    let dir = fleet.root.path();
    fs::write(dir.join("pwd.sh"), "#!/bin/sh\npwd\n").expect("script");
    let pb = dir.join("site.yml");
    fs::write(&pb, PLAYBOOK).expect("playbook");
    let out = fleet.run(&pb, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let state = fleet.state_dir("h1");
    let weird =
        "sp ace 'sq' \"dq\" $(touch pwned-1) `touch pwned-2` ;x && y | z *?[a] ~ \\back\nnew line";
    let bytes_name = OsStr::from_bytes(b"caf\xe9 $(touch pwned-3)");
    let hostile = state.join(weird);
    let mode = fs::metadata(hostile.join(bytes_name))
        .expect("the non-UTF-8 file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640, "file recurse set its mode");
    assert_eq!(
        fs::read(hostile.join(bytes_name)).expect("unarchived over itself"),
        b"bytes\n"
    );
    assert_eq!(
        fs::read(dir.join("fetched/-f `touch pwned-5`.txt")).expect("fetched"),
        b"dash\n"
    );
    let sent = state.join(format!("{weird}-sent"));
    assert_eq!(
        fs::read(sent.join(bytes_name)).expect("sent from the controller"),
        b"bytes\n"
    );
    // The host's copy of the directory: merged over an older file (by a
    // temp file renamed into place) and copied whole, names intact.
    let merged = state.join(format!("{weird}-merged"));
    let whole = state.join("whole $(touch pwned-7)").join(weird);
    for copy in [&merged, &whole] {
        assert_eq!(
            fs::read(copy.join("-b $(touch pwned-4).txt")).expect("copied dash file"),
            b"dash\n",
            "{}",
            copy.display()
        );
        assert_eq!(
            fs::read(copy.join(bytes_name)).expect("copied non-UTF-8 name"),
            b"bytes\n"
        );
    }
    // No marker anywhere: not on the host, not in the controller's tree.
    let home = std::env::var("HOME").unwrap_or_default();
    let find = std::process::Command::new("find")
        .arg(&state)
        .arg(dir)
        .arg(&home)
        .args(["-maxdepth", "3", "-name", "pwned-*"])
        .output()
        .expect("find");
    assert!(
        find.stdout.is_empty(),
        "a value ran: {}",
        String::from_utf8_lossy(&find.stdout)
    );
}
