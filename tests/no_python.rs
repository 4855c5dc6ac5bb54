// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! No Python on the host: every native module runs on a host whose PATH
//! holds every program of the machine except Python, where `python`,
//! `python3`... are traps that record being called. The run must succeed,
//! do its work, and never call a trap. The HTTP modules talk to a small
//! server this test runs on loopback.

mod support;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use support::fleet::{Fleet, Header};

/// Answers every request with a fixed text body, until the test ends.
fn serve() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = "served without python\n";
            let _ = write!(
                s,
                "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

const PLAYBOOK: &str = r#"- name: A PATH without Python
  hosts: all
  gather_facts: false
  tasks:
    - name: every program but python, and traps named python
      shell: |
        set -e
        b={{ state_dir }}/bin; mkdir -p $b
        for f in /usr/local/sbin/* /usr/local/bin/* /usr/sbin/* /usr/bin/* /sbin/* /bin/*; do
          case ${f##*/} in python*|pydoc*|pip*|pyenv*) ;; *) [ -x "$f" ] && ln -sf "$f" $b/ ;; esac
        done
        for t in python python2 python3 python3.11 python3.12 python3.13; do
          printf '#!/bin/sh\necho "$0" >> {{ state_dir }}/python-was-called\nexit 127\n' > $b/$t; chmod +x $b/$t
        done
        mkdir -p {{ state_dir }}/tree/a && echo one > {{ state_dir }}/tree/a/one.txt
        tar -C {{ state_dir }} -czf {{ state_dir }}/tree.tgz tree
        mkdir -p {{ state_dir }}/merged/a && echo older > {{ state_dir }}/merged/a/one.txt && echo mine > {{ state_dir }}/merged/keep.txt
        ln {{ state_dir }}/merged/a/one.txt {{ state_dir }}/merged/old-one.txt

- name: Every module with that PATH
  hosts: all
  gather_facts: false
  environment:
    PATH: "{{ state_dir }}/bin"
  tasks:
    - setup:
        gather_subset: [min]
    - command: id -u
    - shell: echo $PATH
      register: p
    - assert:
        that: p.stdout == state_dir + '/bin'
    - stat:
        path: "{{ state_dir }}/tree"
    - file:
        path: "{{ state_dir }}/made"
        state: directory
        mode: "0750"
    - copy:
        content: "copied\n"
        dest: "{{ state_dir }}/made/copied.txt"
    - template:
        src: t.j2
        dest: "{{ state_dir }}/made/templated.txt"
    - lineinfile:
        path: "{{ state_dir }}/made/copied.txt"
        line: second
    - blockinfile:
        path: "{{ state_dir }}/made/copied.txt"
        block: block
    - replace:
        path: "{{ state_dir }}/made/copied.txt"
        regexp: second
        replace: SECOND
    - slurp:
        src: "{{ state_dir }}/made/copied.txt"
    - tempfile:
        path: "{{ state_dir }}"
    - find:
        paths: "{{ state_dir }}/tree"
        recurse: true
        get_checksum: true
        contains: one
      register: found
    - assert:
        that: found.matched == 1
    - fetch:
        src: "{{ state_dir }}/made/copied.txt"
        dest: "{{ playbook_dir }}/fetched/"
        flat: true
    - script: s.sh {{ state_dir }}/made/scripted
    - wait_for:
        path: "{{ state_dir }}/made/scripted"
        timeout: 5
    - package_facts:
    - uri:
        url: "http://127.0.0.1:{{ port }}/x"
        return_content: true
      register: u
    - assert:
        that: u.content == 'served without python\n'
    - get_url:
        url: "http://127.0.0.1:{{ port }}/file.txt"
        dest: "{{ state_dir }}/made/got.txt"
    - copy:
        content: "older\n"
        dest: "{{ state_dir }}/made/got-backup.txt"
    - name: get_url replacing a file, keeping a backup
      get_url:
        url: "http://127.0.0.1:{{ port }}/file.txt"
        dest: "{{ state_dir }}/made/got-backup.txt"
        backup: true
      register: gb
    - slurp:
        src: "{{ gb.backup_file }}"
      register: kept
    - assert:
        that:
          - gb.changed
          - gb.backup_file is match('.*/got-backup\\.txt\\.[0-9]+\\.[0-9]{4}-[0-9]{2}-[0-9]{2}@[0-9:]{8}~$')
          - kept.content | b64decode == 'older\n'
    - unarchive:
        src: "{{ state_dir }}/tree.tgz"
        dest: "{{ state_dir }}/made"
        remote_src: true
    - name: a host directory merged into an existing one
      copy:
        src: "{{ state_dir }}/tree/"
        dest: "{{ state_dir }}/merged"
        remote_src: true
    - name: a host directory copied whole
      copy:
        src: "{{ state_dir }}/tree"
        dest: "{{ state_dir }}/made/copied-tree"
        remote_src: true
    - file:
        path: "{{ state_dir }}/made/ctl"
        state: directory
    - name: an archive from the controller
      unarchive:
        src: ctl.tgz
        dest: "{{ state_dir }}/made/ctl"
    - pause:
        seconds: 1
"#;

#[test]
fn every_module_runs_without_python_on_the_host() {
    let port = serve();
    let fleet = Fleet::start(&Header {
        hosts: 1,
        ..Header::default()
    });
    let dir = fleet.root.path();
    fs::create_dir_all(dir.join("files")).expect("files/");
    fs::write(dir.join("t.j2"), "templated {{ inventory_hostname }}\n").expect("template");
    fs::write(
        dir.join("files/s.sh"),
        "#!/bin/sh\necho scripted > \"$1\"\n",
    )
    .expect("script");
    // An archive on the controller for unarchive to send.
    let src = dir.join("ctl-src/c");
    fs::create_dir_all(&src).expect("archive source");
    fs::write(src.join("c.txt"), "from the controller\n").expect("archive member");
    let tar = std::process::Command::new("tar")
        .arg("-C")
        .arg(dir.join("ctl-src"))
        .arg("-czf")
        .arg(dir.join("files/ctl.tgz"))
        .arg("c")
        .status()
        .expect("tar");
    assert!(tar.success());
    let pb: PathBuf = dir.join("site.yml");
    fs::write(&pb, PLAYBOOK).expect("playbook");
    let extra = format!("port={port}");
    let out = fleet.run(&pb, &["-e", &extra]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let state = fleet.state_dir("h1");
    assert!(
        !state.join("python-was-called").exists(),
        "a module called python: {}",
        fs::read_to_string(state.join("python-was-called")).unwrap_or_default()
    );
    let made = state.join("made");
    // Each file the modules made, and what it must hold.
    let expected = [
        (
            made.join("copied.txt"),
            "copied\nSECOND\n# BEGIN ANSIBLE MANAGED BLOCK\nblock\n# END ANSIBLE MANAGED BLOCK\n",
        ),
        (made.join("templated.txt"), "templated h1\n"),
        (made.join("scripted"), "scripted\n"),
        (made.join("got.txt"), "served without python\n"),
        (made.join("got-backup.txt"), "served without python\n"),
        (made.join("ctl/c/c.txt"), "from the controller\n"),
        // copy with remote_src: merged over an older file, kept the
        // destination's own, and copied whole.
        (state.join("merged/a/one.txt"), "one\n"),
        (state.join("merged/keep.txt"), "mine\n"),
        // A hard link to the file replaced: a new file was renamed over
        // the name, so the old inode (and this link) keeps the old text.
        (state.join("merged/old-one.txt"), "older\n"),
        (made.join("copied-tree/tree/a/one.txt"), "one\n"),
    ];
    for (path, want) in expected {
        let got = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(got, want, "{}", path.display());
    }
    assert!(made.join("tree/a/one.txt").is_file());
    assert!(dir.join("fetched/copied.txt").is_file());
    let merged = state.join("merged");
    let leftovers: Vec<_> = fs::read_dir(merged.join("a"))
        .expect("merged/a")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n != "one.txt")
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}
