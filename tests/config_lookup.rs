// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `config` lookup against ansible-playbook 2.21, differentially: the
//! same playbook runs under both with the same ansible.cfg and `ANSIBLE_*`
//! variables, found the ways Ansible finds them (`ANSIBLE_CONFIG`,
//! `./ansible.cfg`, `~/.ansible.cfg`), and both must print the same values.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The ansible-core 2.21 venv: `$KILN_ORACLE_VENV`, else what
/// tests/oracle/setup-venv.sh finds (or makes). `None` when there is none.
fn oracle_venv() -> Option<PathBuf> {
    if let Some(v) = std::env::var_os("KILN_ORACLE_VENV") {
        let v = PathBuf::from(v);
        return v.join("bin/ansible-playbook").is_file().then_some(v);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/setup-venv.sh");
    let o = Command::new(script).stderr(Stdio::null()).output().ok()?;
    if !o.status.success() {
        return None;
    }
    let v = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    v.join("bin/ansible-playbook").is_file().then_some(v)
}

const PLAYBOOK: &str = r#"- name: config lookup
  hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - name: settings
      debug:
        msg: "{{ q('config', 'DEFAULT_TIMEOUT', 'DEFAULT_BECOME_USER', 'DEFAULT_BECOME_METHOD', 'DEFAULT_ROLES_PATH', 'DEFAULT_MANAGED_STR', 'DEFAULT_KEEP_REMOTE_FILES', 'DEFAULT_REMOTE_PORT', 'DEFAULT_GATHERING', 'DEFAULT_POLL_INTERVAL', 'DEFAULT_PRIVATE_KEY_FILE', 'HOST_KEY_CHECKING') }}"
    - name: origins
      debug:
        msg: "{{ q('config', 'DEFAULT_TIMEOUT', 'DEFAULT_BECOME_USER', 'DEFAULT_GATHERING', show_origin=true) }}"
    - name: plugin options and missing settings
      debug:
        msg: "{{ q('config', 'ssh_args', 'nope', plugin_type='connection', plugin_name='ssh', on_missing='skip') + q('config', 'NOPE', on_missing='skip') }}"
    - name: plugin options from host variables
      debug:
        msg: "{{ q('config', 'remote_user', 'port', plugin_type='connection', plugin_name='ssh') + q('config', 'become_user', plugin_type='become', plugin_name='sudo') }}"
      vars:
        ansible_user: bob
        ansible_ssh_user: carol
        ansible_port: 2222
        ansible_become_user: dave
    - name: one value
      debug:
        msg: "{{ lookup('config', 'DEFAULT_BECOME_USER') }}"
    - name: a missing setting fails
      debug:
        msg: "{{ lookup('config', 'NOPE') }}"
      ignore_errors: true
"#;

const CONFIG: &str = "[defaults]\n\
timeout = 17\n\
roles_path = roles:/opt/kiln-roles\n\
ansible_managed = managed by the config file\n\
private_key_file = keys/id\n\
host_key_checking = no\n\
[privilege_escalation]\n\
become_user = deploy\n\
[ssh_connection]\n\
ssh_args = -o ServerAliveInterval=7\n";

/// What each debug task printed: the lines of its `ok: [localhost] => {`
/// block, or its `fatal:` line.
fn task_outputs(stdout: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = stdout.lines();
    while let Some(l) = lines.next() {
        if l.starts_with("ok: [localhost] => {") {
            let mut block = String::new();
            for b in lines.by_ref() {
                if b == "}" {
                    break;
                }
                block.push_str(b.trim());
                block.push('\n');
            }
            out.push(block);
        } else if l.starts_with("fatal: [localhost]") {
            // The lookup's own message; how the task error frames it is
            // not this test's subject.
            let plugin = "The lookup plugin 'config' failed: ";
            let msg = l.split_once(plugin).map(|(_, m)| m).unwrap_or(l);
            let end = msg.find("'.").map(|i| i + 2).unwrap_or(msg.len());
            out.push(format!("fatal: {}", &msg[..end]));
        }
    }
    out
}

/// Runs `program` on the playbook in `cwd` with exactly `env` among the
/// `ANSIBLE_*` variables and HOME.
fn run(program: &Path, cwd: &Path, home: &Path, env: &[(&str, String)]) -> String {
    let mut c = Command::new(program);
    c.args(["-i", "localhost,", "site.yml"])
        .current_dir(cwd)
        .env("HOME", home)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("ANSIBLE_") && k != "ANSIBLE_NOCOLOR" {
            c.env_remove(k);
        }
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("runs");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn config_lookup_reads_ansible_cfg_and_environment_like_ansible() {
    let Some(venv) = oracle_venv() else {
        eprintln!(
            "SKIPPED config_lookup_reads_ansible_cfg_and_environment_like_ansible: no ansible-core 2.21 venv (set KILN_ORACLE_VENV or run tests/oracle/setup-venv.sh)"
        );
        return;
    };
    let ansible = venv.join("bin/ansible-playbook");
    let kiln = PathBuf::from(env!("CARGO_BIN_EXE_kiln"));
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let home = root.join("home");
    let elsewhere = root.join("elsewhere");
    let cwd = root.join("work");
    for d in [&home, &elsewhere, &cwd] {
        fs::create_dir_all(d).expect("dir");
    }
    // kiln's arguments are ansible-playbook's when called by that name.
    let kiln_as_ansible = root.join("ansible-playbook");
    std::os::unix::fs::symlink(&kiln, &kiln_as_ansible).expect("symlink");
    fs::write(cwd.join("site.yml"), PLAYBOOK).expect("playbook");

    let env_cfg = elsewhere.join("custom.cfg");
    fs::write(&env_cfg, CONFIG).expect("cfg");
    // Each way Ansible finds its file, the first that exists winning.
    let rounds: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "ANSIBLE_CONFIG and variables over it",
            vec![
                ("ANSIBLE_CONFIG", env_cfg.display().to_string()),
                ("ANSIBLE_TIMEOUT", "33".into()),
                ("ANSIBLE_BECOME_METHOD", "su".into()),
                ("ANSIBLE_GATHERING", "explicit".into()),
            ],
        ),
        ("./ansible.cfg", vec![]),
        ("~/.ansible.cfg", vec![]),
        ("no file: defaults", vec![]),
    ];
    for (what, env) in rounds {
        match what {
            "./ansible.cfg" => fs::write(cwd.join("ansible.cfg"), CONFIG).expect("cfg"),
            "~/.ansible.cfg" => {
                fs::remove_file(cwd.join("ansible.cfg")).expect("rm");
                fs::write(
                    home.join(".ansible.cfg"),
                    CONFIG.replace("timeout = 17", "timeout = 19"),
                )
                .expect("cfg");
            }
            "no file: defaults" => fs::remove_file(home.join(".ansible.cfg")).expect("rm"),
            _ => {}
        }
        let want = run(&ansible, &cwd, &home, &env);
        let got = run(&kiln_as_ansible, &cwd, &home, &env);
        let (w, g) = (task_outputs(&want), task_outputs(&got));
        assert_eq!(w.len(), 6, "{what}: ansible printed\n{want}");
        assert_eq!(g, w, "{what}\n--- ansible:\n{want}\n--- kiln:\n{got}");
    }
}
