// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Broken playbooks, inventories and ansible.cfg files: each is a clear error
//! naming file:line:column, never a panic, and no host is touched. Every case
//! runs the real binary with an inventory whose host is a real sshd; after
//! each case the sshd log must show no connection at all.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use support::sshd::TestHost;

struct Case {
    name: &'static str,
    playbook: &'static str,
    /// Extra inventory text appended (INI) for inventory cases.
    inventory: Option<&'static str>,
    /// ansible.cfg text, for config cases.
    config: Option<&'static str>,
    /// `file:line:col` (or `file:line`) the error must name; `{pb}` is the playbook file name.
    at: &'static str,
    /// Text the error must contain.
    says: &'static str,
    exit: i32,
}

const OK_PLAY: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo hi\n";

fn cases() -> Vec<Case> {
    let pb = |name, playbook, at, says| Case {
        name,
        playbook,
        inventory: None,
        config: None,
        at,
        says,
        exit: 4,
    };
    // What Ansible finds missing (a role, an imported file, a handler)
    // exits with 1, not with its parser's 4.
    let missing = |name, playbook, at, says| Case {
        exit: 1,
        ..pb(name, playbook, at, says)
    };
    vec![
        pb(
            "yaml indentation",
            "- hosts: all\n  tasks:\n   - command: x\n  - debug: msg=y\n",
            "site.yml:4:3",
            "did not find expected key",
        ),
        pb(
            "import_role public that is no boolean",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - import_role:\n        name: r\n        public: maybe\n",
            "site.yml:6:17",
            "Error processing keyword 'public': The value 'maybe' could not be converted to 'bool'.",
        ),
        pb(
            "templated import_role public that is no boolean",
            "- hosts: all\n  gather_facts: false\n  vars:\n    flag: maybe\n  tasks:\n    - import_role:\n        name: r\n        public: \"{{ flag }}\"\n",
            "site.yml:8:17",
            "Error processing keyword 'public': The value 'maybe' could not be converted to 'bool'.",
        ),
        pb(
            "templated import_role public that is undefined",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - import_role:\n        name: r\n        public: \"{{ nope }}\"\n",
            "site.yml:6:17",
            "Error processing keyword 'public': 'nope' is undefined",
        ),
        pb(
            "import_tasks named with a host's variable",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - import_tasks: \"{{ inventory_hostname }}.yml\"\n",
            "site.yml:4:7",
            "Error when evaluating variable in import path '{{ inventory_hostname }}.yml': 'inventory_hostname' is undefined",
        ),
        pb(
            "import_playbook named with an undefined variable",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n- import_playbook: \"{{ other }}\"\n",
            "site.yml:5:20",
            "Error processing keyword 'import_playbook': 'other' is undefined",
        ),
        pb(
            "serial that is no whole number or percentage",
            "- hosts: all\n  gather_facts: false\n  serial: [1, \"12.5%\"]\n  tasks:\n    - debug: msg=hi\n",
            "site.yml:3:15",
            "Error processing keyword 'serial': invalid literal for int() with base 10: '12.5'",
        ),
        pb(
            "vars_prompt without a default and no terminal",
            "- hosts: all\n  gather_facts: false\n  vars_prompt:\n    - name: token\n      prompt: Join token\n  tasks:\n    - debug: var=token\n",
            "site.yml:4:7",
            "vars_prompt 'token' has no default and there is no terminal to ask on",
        ),
        pb(
            "module_defaults group ansible-core cannot resolve",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n      module_defaults:\n        group/helm:\n          data: x\n",
            "site.yml:6:9",
            "could not resolve the module_defaults group ansible.builtin.helm",
        ),
        pb(
            "tab indentation",
            "- hosts: all\n\tgather_facts: false\n",
            "site.yml:2:1",
            "tab",
        ),
        pb(
            "unquoted template",
            "- hosts: all\n  vars:\n    a: {{ b }}\n",
            "site.yml:3:",
            "quote",
        ),
        pb(
            "playbook is a mapping",
            "hosts: all\n",
            "site.yml:1:1",
            "must be a list of plays",
        ),
        pb(
            "play without hosts",
            "- name: x\n  gather_facts: false\n  tasks: []\n",
            "site.yml:1:3",
            "'hosts' is required",
        ),
        pb(
            "misspelt play keyword",
            "- hosts: all\n  gather_facts: false\n  taks: []\n",
            "site.yml:3:3",
            "did you mean 'tasks'",
        ),
        pb(
            "misspelt module",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - comand: ls\n",
            "site.yml:4:7",
            "did you mean 'command'",
        ),
        pb(
            "two modules",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: ls\n      shell: ls\n",
            "site.yml:5:7",
            "conflicting action statements: command, shell",
        ),
        pb(
            "no module",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: nothing\n      when: true\n",
            "site.yml:4:7",
            "no module/action detected",
        ),
        pb(
            "misspelt argument",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - command:\n        cmd: ls\n        chdirr: /tmp\n",
            "site.yml:6:17",
            "did you mean 'chdir'",
        ),
        pb(
            "wrong argument type",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: hi\n        verbosity: lots\n",
            "site.yml:6:20",
            "unable to convert to int",
        ),
        pb(
            "missing required argument",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - assert:\n        fail_msg: no\n",
            "site.yml:4:7",
            "missing required arguments: that",
        ),
        pb(
            "mutually exclusive arguments",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: a\n        var: b\n",
            "site.yml:6:14",
            "mutually exclusive: msg|var",
        ),
        pb(
            "template syntax error in an argument",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"{{ foo( }}\"\n",
            "site.yml:5:14",
            "syntax error",
        ),
        pb(
            "template syntax error in when",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: ls\n      when: a ==\n",
            "site.yml:5:13",
            "syntax error",
        ),
        pb(
            "bad register name",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: ls\n      register: 1abc\n",
            "site.yml:5:17",
            "Invalid variable name in 'register'",
        ),
        pb(
            "vars not a mapping",
            "- hosts: all\n  gather_facts: false\n  vars: [a, b]\n  tasks: []\n",
            "site.yml:3:9",
            "must be specified as a dictionary",
        ),
        pb(
            "rescue without block",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - rescue:\n        - command: ls\n",
            "site.yml:4:7",
            "need a 'block'",
        ),
        missing(
            "unknown handler",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: ls\n      notify: restart nothing\n",
            "site.yml:5:15",
            "The requested handler 'restart nothing' was not found",
        ),
        missing(
            "missing role",
            "- hosts: all\n  gather_facts: false\n  roles:\n    - nosuchrole\n",
            "site.yml:4:7",
            "the role 'nosuchrole' was not found",
        ),
        missing(
            "missing import",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - import_tasks: nothere.yml\n",
            "site.yml:4:21",
            "Could not find or access",
        ),
        missing(
            "missing imported playbook",
            "- import_playbook: nothere.yml\n",
            "site.yml:1:20",
            "Could not find or access",
        ),
        missing(
            "missing role in import_role",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - import_role: {name: nope}\n",
            "site.yml:4",
            "the role 'nope' was not found",
        ),
        missing(
            "role named with an undefined variable",
            "- hosts: all\n  gather_facts: false\n  roles: [\"{{ nope }}\"]\n",
            "site.yml:3",
            "'nope' is undefined",
        ),
        pb(
            "unknown with_ lookup",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo {{ item }}\n      with_nonsense: [1]\n",
            "site.yml:5:7",
            "'with_nonsense'",
        ),
        // ansible-core 2.21: "duplicate loop in task: items" at the task,
        // exit code 1 (a plain error, not its parser's 4).
        Case {
            exit: 1,
            ..pb(
                "loop and with_items",
                "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo\n      loop: [1]\n      with_items: [2]\n",
                "site.yml:4:7",
                "duplicate loop in task: items",
            )
        },
        Case {
            exit: 1,
            ..pb(
                "two with_ loops",
                "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo\n      with_items: [1]\n      with_list: [2]\n",
                "site.yml:4:7",
                "duplicate loop in task: list",
            )
        },
        pb(
            "tasks not a list",
            "- hosts: all\n  gather_facts: false\n  tasks: ls\n",
            "site.yml:3:10",
            "A list of tasks is expected",
        ),
        pb(
            "unknown meta action",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - meta: flush_everything\n",
            "site.yml:4:13",
            "must be one of",
        ),
        pb(
            "free-form text to a module without free form",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping: hello there\n",
            "site.yml:4:13",
            "does not take free-form text",
        ),
        pb(
            "unbalanced quotes in free form",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo 'oops\n",
            "site.yml:4:16",
            "unbalanced",
        ),
        pb(
            "unknown loop_control key",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=x\n      loop: [1]\n      loop_control:\n        loop_vars: y\n",
            "site.yml:7:9",
            "'loop_vars' is not a valid attribute for a LoopControl",
        ),
        pb(
            "gather_facts not a boolean",
            "- hosts: all\n  gather_facts: maybe\n  tasks: []\n",
            "site.yml:2:17",
            "The value 'maybe' could not be converted to 'bool'",
        ),
        pb(
            "max_fail_percentage not a percentage",
            "- hosts: all\n  gather_facts: false\n  max_fail_percentage: lots\n  tasks: []\n",
            "site.yml:3:24",
            "The value 'lots' could not be converted to 'percent'",
        ),
        pb(
            "empty block",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - block:\n",
            "site.yml:4:7",
            "malformed block",
        ),
        pb(
            "delegate_to a list",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=x\n      delegate_to: [a]\n",
            "site.yml:5:20",
            "'delegate_to' is supposed to be a string",
        ),
        pb(
            "empty playbook",
            "",
            "site.yml:1:1",
            "the playbook is empty",
        ),
        Case {
            name: "inventory: bad section header",
            playbook: OK_PLAY,
            inventory: Some("[web\nh9\n"),
            config: None,
            at: "inventory.ini:2:1",
            says: "invalid host range",
            exit: 1,
        },
        Case {
            name: "inventory: bad host range",
            playbook: OK_PLAY,
            inventory: Some("[web]\nweb[01:a]\n"),
            config: None,
            at: "inventory.ini:3:1",
            says: "host range",
            exit: 1,
        },
        Case {
            name: "ansible.cfg: no section header",
            playbook: OK_PLAY,
            inventory: None,
            config: Some("forks = 3\n"),
            at: "ansible.cfg:1:1",
            says: "no section headers",
            exit: 1,
        },
        Case {
            name: "ansible.cfg: not key = value",
            playbook: OK_PLAY,
            inventory: None,
            config: Some("[defaults]\nthis is not a setting\n"),
            at: "ansible.cfg:2:1",
            says: "expected `key = value`",
            exit: 1,
        },
        Case {
            name: "ansible.cfg: forks not a number",
            playbook: OK_PLAY,
            inventory: None,
            config: Some("[defaults]\nforks = many\n"),
            at: "ansible.cfg",
            says: "forks must be a number",
            exit: 1,
        },
    ]
}

/// Logins in the sshd log: kiln authenticates as soon as it connects, so a
/// run that touched the host leaves at least one.
fn connections_in_log(host: &TestHost) -> usize {
    host.log()
        .lines()
        .filter(|l| l.contains("Accepted publickey"))
        .count()
}

#[test]
fn broken_inputs_are_clear_errors_and_touch_no_host() {
    let host = TestHost::start();
    let cases = cases();
    assert!(cases.len() >= 20, "the table must hold at least 20 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        fs::create_dir_all(home.join(".ssh")).expect("home");
        fs::write(
            home.join(".ssh/known_hosts"),
            format!("{}\n", host.known_hosts_line()),
        )
        .expect("known_hosts");
        let mut inv = format!(
            "h1 ansible_host={} ansible_port={} ansible_user=root ansible_ssh_private_key_file={}\n",
            host.address(),
            host.port(),
            host.client_key_path().display()
        );
        if let Some(extra) = case.inventory {
            inv.push_str(extra);
        }
        fs::write(dir.path().join("inventory.ini"), inv).expect("inventory");
        fs::write(dir.path().join("site.yml"), case.playbook).expect("playbook");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
        cmd.args(["playbook", "-i", "inventory.ini", "site.yml"])
            .current_dir(dir.path())
            .env("HOME", &home)
            .env_remove("ANSIBLE_CONFIG");
        if let Some(cfg) = case.config {
            fs::write(dir.path().join("ansible.cfg"), cfg).expect("cfg");
        }
        let before = connections_in_log(&host);
        let out = cmd.output().expect("kiln runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let code = out.status.code().unwrap_or(-1);
        let mut problems = Vec::new();
        if code != case.exit {
            problems.push(format!("exit code {code}, expected {}", case.exit));
        }
        if !stderr.contains(case.at) {
            problems.push(format!("does not name {}", case.at));
        }
        if !stderr.to_lowercase().contains(&case.says.to_lowercase()) {
            problems.push(format!("does not say {:?}", case.says));
        }
        if stderr.contains("panicked") {
            problems.push("panicked".into());
        }
        // ansible-core 2.21's prefix (older releases printed "ERROR!").
        if !stderr.starts_with("[ERROR]: ") {
            problems.push(format!("no [ERROR]: prefix: {stderr}"));
        }
        if !stdout.is_empty() {
            problems.push(format!("printed to stdout: {stdout}"));
        }
        if connections_in_log(&host) != before {
            problems.push("connected to the host".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr:\n{stderr}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A run directory for one host: `inventory.ini` naming it as h1, and a
/// HOME whose known_hosts holds its key (checking stays strict).
fn run_dir(host: &TestHost) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    fs::create_dir_all(home.join(".ssh")).expect("home");
    fs::write(
        home.join(".ssh/known_hosts"),
        format!("{}\n", host.known_hosts_line()),
    )
    .expect("known_hosts");
    fs::write(
        dir.path().join("inventory.ini"),
        format!(
            "h1 ansible_host={} ansible_port={} ansible_user=root ansible_ssh_private_key_file={}\n",
            host.address(),
            host.port(),
            host.client_key_path().display()
        ),
    )
    .expect("inventory");
    (dir, home)
}

/// Sanity check of the harness itself: a valid playbook does connect.
#[test]
fn a_valid_playbook_does_connect() {
    let host = TestHost::start();
    let (dir, home) = run_dir(&host);
    fs::write(dir.path().join("site.yml"), OK_PLAY).expect("playbook");
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["playbook", "-i", "inventory.ini", "site.yml"])
        .current_dir(dir.path())
        .env("HOME", &home)
        .output()
        .expect("kiln runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        connections_in_log(&host) >= 1,
        "the sshd log shows no connection: {}",
        host.log()
    );
    let _ = Path::new("");
}

/// `include_tasks` of a file named without variables: an error in that
/// file stops the run before any host is touched, with the file's place.
#[test]
fn a_statically_named_include_is_checked_before_any_host() {
    let host = TestHost::start();
    let (dir, home) = run_dir(&host);
    fs::write(
        dir.path().join("site.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo hi\n    - include_tasks: more.yml\n    - include_tasks: \"{{ 'later' }}.yml\"\n",
    )
    .expect("playbook");
    // It includes itself (a guarded recursion is fine in Ansible): checked once.
    fs::write(
        dir.path().join("more.yml"),
        "- include_tasks: more.yml\n  when: false\n- name: bad\n  commandd: ls\n",
    )
    .expect("included file");
    let before = connections_in_log(&host);
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["playbook", "-i", "inventory.ini", "site.yml"])
        .current_dir(dir.path())
        .env("HOME", &home)
        .env_remove("ANSIBLE_CONFIG")
        .output()
        .expect("kiln runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("more.yml:4:3"), "{stderr}");
    assert!(stderr.contains("did you mean 'command'"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(connections_in_log(&host), before, "connected to the host");
}
