// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The command line: ansible-playbook's options and exit codes, the
//! `ansible-playbook` link, listings, extra vars and ansible.cfg.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kiln() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.env_remove("ANSIBLE_CONFIG").env("ANSIBLE_NOCOLOR", "1");
    c
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, body).expect("write");
    p
}

const LOCAL_PLAY: &str = r#"- name: local play
  hosts: localhost
  gather_facts: false
  tasks:
    - name: show x
      debug:
        msg: "x={{ x | default('unset') }} y={{ y | default('unset') }}"
"#;

#[test]
fn version_and_help() {
    let o = kiln().arg("--version").output().expect("runs");
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).0.starts_with("kiln "), "{:?}", text(&o));
    let o = kiln().args(["playbook", "--help"]).output().expect("runs");
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).0.contains("--extra-vars"));
}

#[test]
fn bad_options_exit_5() {
    let o = kiln()
        .args(["playbook", "--no-such-flag", "x.yml"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(5), "{:?}", text(&o));
    let o = kiln()
        .args(["playbook", "-f", "0", "x.yml"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(5), "{:?}", text(&o));
}

#[test]
fn invoked_as_ansible_playbook_takes_its_argv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("ansible-playbook");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kiln"), &link).expect("symlink");
    let pb = write(dir.path(), "site.yml", LOCAL_PLAY);
    let o = Command::new(&link)
        .args(["-i", "localhost,", "-e", "x=1"])
        .arg(&pb)
        .env_remove("ANSIBLE_CONFIG")
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("\"msg\": \"x=1 y=unset\""), "{out}");
    assert!(
        out.contains("localhost                  : ok=1    changed=0"),
        "{out}"
    );
}

#[test]
fn extra_vars_in_every_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pb = write(dir.path(), "site.yml", LOCAL_PLAY);
    write(dir.path(), "vars.yml", "y: from-file\n");
    let o = kiln()
        .args([
            "playbook",
            "-i",
            "localhost,",
            "-e",
            "x=kv",
            "-e",
            "@vars.yml",
        ])
        .arg(&pb)
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert!(text(&o).0.contains("x=kv y=from-file"), "{:?}", text(&o));
    let o = kiln()
        .args([
            "playbook",
            "-i",
            "localhost,",
            "-e",
            r#"{"x": [1, 2], "y": true}"#,
        ])
        .arg(&pb)
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert!(text(&o).0.contains("x=[1, 2] y=True"), "{:?}", text(&o));
    // A later -e wins.
    let o = kiln()
        .args(["playbook", "-i", "localhost,", "-e", "x=1", "-e", "x=2"])
        .arg(&pb)
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert!(text(&o).0.contains("x=2 y=unset"), "{:?}", text(&o));
    let o = kiln()
        .args(["playbook", "-i", "localhost,", "-e", "@missing.yml"])
        .arg(&pb)
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(5), "{:?}", text(&o));
    assert!(text(&o).1.contains("missing.yml"), "{:?}", text(&o));
}

#[test]
fn listings_and_syntax_check_touch_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "inv.ini",
        "[web]\nw1 ansible_host=192.0.2.1\nw2 ansible_host=192.0.2.2\n[db]\nd1 ansible_host=192.0.2.3\n",
    );
    write(
        dir.path(),
        "lh.yml",
        "- name: first\n  hosts: web\n  gather_facts: false\n  tasks:\n    - name: one\n      command: \"true\"\n    - debug: msg=x\n- hosts: db:web\n  gather_facts: false\n  tasks:\n    - ping:\n",
    );
    let o = kiln()
        .args(["playbook", "-i", "inv.ini", "lh.yml", "--list-hosts"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(
        text(&o).0,
        "\nplaybook: lh.yml\n\n  play #1 (web): first\tTAGS: []\n    pattern: ['web']\n    hosts (2):\n      w1\n      w2\n\n  play #2 (db:web): db:web\tTAGS: []\n    pattern: ['db:web']\n    hosts (3):\n      d1\n      w1\n      w2\n"
    );
    let o = kiln()
        .args(["playbook", "-i", "inv.ini", "lh.yml", "--list-tasks"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(
        text(&o).0,
        "\nplaybook: lh.yml\n\n  play #1 (web): first\tTAGS: []\n    tasks:\n      one\tTAGS: []\n      debug\tTAGS: []\n\n  play #2 (db:web): db:web\tTAGS: []\n    tasks:\n      ping\tTAGS: []\n"
    );
    let o = kiln()
        .args(["playbook", "-i", "inv.ini", "lh.yml", "--syntax-check"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o).0, "\nplaybook: lh.yml\n");
    let o = kiln()
        .args(["playbook", "-i", "inv.ini", "lh.yml", "--plan=dot"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let (out, _) = text(&o);
    assert!(
        out.contains("digraph plan")
            && out.contains("one @ w1")
            && out.contains("every host finishes the task"),
        "{out}"
    );
    let o = kiln()
        .args(["playbook", "-i", "inv.ini", "lh.yml", "--plan"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let (out, _) = text(&o);
    assert!(
        out.contains("play #1: first [linear]\n  one on [w1")
            && out.contains("play #2: db:web [linear]")
            && out.matches("-- barrier: play boundary --").count() == 2,
        "{out}"
    );
}

#[test]
fn plan_expands_an_include_whose_file_and_loop_are_literal() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "inv.ini",
        "w1 ansible_host=192.0.2.1\nw2 ansible_host=192.0.2.2\n",
    );
    write(
        dir.path(),
        "two.yml",
        "- name: x\n  ping:\n- name: y\n  ping:\n",
    );
    write(
        dir.path(),
        "inc.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: inc\n      include_tasks: two.yml\n      loop: [1, 2]\n    - name: dyn\n      include_tasks: \"{{ name }}.yml\"\n    - name: last\n      ping:\n",
    );
    let o = kiln()
        .args(["playbook", "-i", "inv.ini", "inc.yml", "--plan"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let (out, _) = text(&o);
    let task = "  -- barrier: every host finishes the task --\n";
    let want = format!(
        "  inc (its tasks join the plan when it runs) on [w1, w2]\n{task}\
         \x20 x on [w1, w2]\n{task}  y on [w1, w2]\n{task}\
         \x20 x on [w1, w2]\n{task}  y on [w1, w2]\n{task}\
         \x20 dyn (its tasks join the plan when it runs) on [w1, w2]\n{task}\
         \x20 last on [w1, w2]\n{task}"
    );
    assert!(out.contains(&want), "{out}");
    let o = kiln()
        .args(["playbook", "-i", "inv.ini", "inc.yml", "--plan=dot"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let (out, _) = text(&o);
    assert_eq!(out.matches("x @ w1").count(), 2, "{out}");
}

#[test]
fn ansible_cfg_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "hosts.ini",
        "[grp]\nlocalhost ansible_connection=local\n",
    );
    write(
        dir.path(),
        "ansible.cfg",
        "[defaults]\ninventory = hosts.ini\nforks = 3\n",
    );
    write(
        dir.path(),
        "site.yml",
        "- hosts: grp\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"forks={{ ansible_forks }} groups={{ group_names }}\"\n",
    );
    let o = kiln()
        .args(["playbook", "site.yml"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("forks=3 groups=['grp']"), "{out}");
    // ANSIBLE_CONFIG names another file, which wins.
    write(
        dir.path(),
        "other.cfg",
        "[defaults]\ninventory = hosts.ini\nforks = 9\n",
    );
    let o = kiln()
        .args(["playbook", "site.yml"])
        .env("ANSIBLE_CONFIG", dir.path().join("other.cfg"))
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert!(text(&o).0.contains("forks=9"), "{:?}", text(&o));
}

#[test]
fn pattern_matching_no_host_warns_and_succeeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "inv.ini", "[web]\nw1\n");
    write(
        dir.path(),
        "site.yml",
        "- hosts: nosuchgroup\n  gather_facts: false\n  tasks:\n    - ping:\n",
    );
    let o = kiln()
        .args(["playbook", "-i", "inv.ini", "site.yml"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("skipping: no hosts matched"), "{out}");
}

#[test]
fn no_log_results_never_reach_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "site.yml",
        r#"- hosts: localhost
  gather_facts: false
  vars:
    secret: "s3cr3t-value"
  tasks:
    - name: a command that prints the secret
      command: echo {{ secret }}
      no_log: true
    - name: a loop over secrets
      shell: echo {{ item }}
      loop: ["{{ secret }}-a", "{{ secret }}-b"]
      no_log: true
    - name: a failing task that would show it
      shell: echo {{ secret }}; exit 3
      no_log: true
      ignore_errors: true
"#,
    );
    for v in ["", "-v", "-vvv", "-vvvv"] {
        let mut c = kiln();
        c.args(["playbook", "-i", "localhost,", "-c", "local", "site.yml"]);
        if !v.is_empty() {
            c.arg(v);
        }
        let o = c.current_dir(dir.path()).output().expect("runs");
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}{err}");
        assert!(
            !out.contains("s3cr3t") && !err.contains("s3cr3t"),
            "{v}: the secret leaked:\n{out}\n{err}"
        );
        // Ansible labels a censored item this way (the no_log_loop golden).
        assert!(out.contains("(item=(censored due to no_log))"), "{out}");
        if !v.is_empty() {
            assert!(
                out.contains("'no_log: true' was specified for this result"),
                "{out}"
            );
        }
    }
}

/// `kiln inventory` prints what ansible-inventory 2.21 printed for the
/// inventory corpus (recorded by tests/oracle/record_inventory.sh).
#[test]
fn inventory_subcommand_matches_ansible_inventory() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inventory_corpus");
    let mut checked = 0;
    let mut cases: Vec<PathBuf> = fs::read_dir(&corpus)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.json").is_file() && p.join("sources").is_file())
        .collect();
    cases.sort();
    for case in cases {
        // Cases that need the playbook dir or several sources are covered by
        // tests/inventory_corpus.rs through the library.
        if case.join("playbook_dir").exists() {
            continue;
        }
        let sources = fs::read_to_string(case.join("sources")).expect("sources");
        let mut cmd = kiln();
        cmd.arg("inventory").arg("--list").current_dir(&case);
        for s in sources.lines().filter(|l| !l.trim().is_empty()) {
            cmd.args(["-i", s.trim()]);
        }
        let o = cmd.output().expect("runs");
        if o.status.code() != Some(0) {
            continue; // error cases are checked by the corpus test
        }
        let got: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        let want: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(case.join("expected.json")).expect("expected"),
        )
        .expect("json");
        assert_eq!(got, want, "{}", case.display());
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} cases ran");
    let o = kiln()
        .args(["inventory", "-i", "hosts.ini", "--graph"])
        .current_dir(corpus.join("depth_order"))
        .output()
        .expect("runs");
    let want = fs::read_to_string(corpus.join("depth_order/expected_graph.txt")).expect("graph");
    assert_eq!(text(&o).0.trim_end(), want.trim_end());
}

/// `--limit @file` for both commands, and the errors of a limit that
/// leaves nothing or names a missing file. Expected outputs are what
/// ansible-inventory / ansible-playbook 2.21 printed for the same files.
#[test]
fn limit_file_for_playbook_and_inventory() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "hosts",
        "[web]\nw1 ansible_connection=local\nw2 ansible_connection=local\n[db]\nd1 ansible_connection=local\n",
    );
    write(
        dir.path(),
        "p.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n  - debug: msg=hi\n",
    );
    // Lines are stripped, empty ones ignored, `!` excludes.
    write(dir.path(), "lim.txt", "w1\n\n d1 \n!w2\n");
    let o = kiln()
        .args(["inventory", "-i", "hosts", "--list", "-l", "@lim.txt"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let want = serde_json::json!({
        "_meta": {"hostvars": {"d1": {"ansible_connection": "local"}, "w1": {"ansible_connection": "local"}},
                  "profile": "inventory_legacy"},
        "all": {"children": ["ungrouped", "web", "db"]},
        "db": {"hosts": ["d1"]},
        "web": {"hosts": ["w1"]}
    });
    assert_eq!(got, want);
    let o = kiln()
        .args(["playbook", "-i", "hosts", "p.yml", "-l", "@lim.txt"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    // Hosts report in the order they finish.
    let mut oks: Vec<&str> = out.lines().filter(|l| l.starts_with("ok: [")).collect();
    oks.sort();
    assert_eq!(oks, ["ok: [d1] => {", "ok: [w1] => {"], "{out}");
    let o = kiln()
        .args(["playbook", "-i", "hosts", "p.yml", "-l", "nosuch"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("Could not match supplied host pattern, ignoring: nosuch"),
        "{err}"
    );
    assert!(
        err.contains(
            "Specified inventory, host pattern and/or --limit leaves us with no hosts to target."
        ),
        "{err}"
    );
    for cmd in [["playbook", "p.yml"], ["inventory", "--list"]] {
        let o = kiln()
            .args(cmd)
            .args(["-i", "hosts", "-l", "web:@nofile"])
            .current_dir(dir.path())
            .output()
            .expect("runs");
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("Unable to find limit file nofile"), "{err}");
    }
}

/// `kiln inventory --list -y` prints ansible-inventory's YAML byte for byte.
#[test]
fn inventory_yaml_output_is_byte_identical() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inventory_corpus/script_meta");
    let o = kiln()
        .args(["inventory", "-i", "dyn", "--list", "-y"])
        .current_dir(&case)
        .output()
        .expect("runs");
    let want = fs::read_to_string(case.join("expected.yaml")).expect("expected.yaml");
    assert_eq!(String::from_utf8_lossy(&o.stdout), want);
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("inv.yml");
    let o = kiln()
        .args(["inventory", "-i", "dyn", "--list", "--yaml", "--output"])
        .arg(&file)
        .current_dir(&case)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(fs::read_to_string(&file).expect("output file"), want);
}

/// `private_role_vars` (`ANSIBLE_PRIVATE_ROLE_VARS`, ansible.cfg) decides
/// which roles' vars the rest of a play sees: unset, `roles:` and imports
/// are public and includes private; set, it decides for all three (an
/// explicit `public:` still wins, templated on include_role). The
/// expected lines are what ansible-playbook 2.21 printed for
/// tests/fixtures/private_role_vars.yml with the same settings.
#[test]
fn private_role_vars_decides_which_role_vars_the_play_sees() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pb = root.join("tests/fixtures/private_role_vars.yml");
    let roles = root.join("tests/playbooks/roles");
    let bad = r#"    "msg": "bad Task failed: Error processing keyword 'public': The value 'maybe' could not be converted to 'bool'.""#;
    let fatal = r#"fatal: [localhost]: FAILED! => {"changed": false, "msg": "Task failed: Error processing keyword 'public': The value 'maybe' could not be converted to 'bool'."}"#;
    let expect = |listed: &str, imported: &str, included: &str| {
        vec![
            r#"    "msg": "pd pv""#.to_string(),
            format!(r#"    "msg": "listed {listed}""#),
            r#"    "msg": "d v""#.to_string(),
            format!(r#"    "msg": "imported {imported}""#),
            r#"    "msg": "d v""#.to_string(),
            format!(r#"    "msg": "included {included}""#),
            r#"    "msg": "d v""#.to_string(),
            r#"    "msg": "templated v""#.to_string(),
            fatal.to_string(),
            bad.to_string(),
        ]
    };
    let private = expect("hidden hidden", "hidden", "hidden");
    // (case, ANSIBLE_PRIVATE_ROLE_VARS, ansible.cfg, expected lines)
    let cases = [
        ("unset", None, None, expect("pv pd", "v", "hidden")),
        ("env true", Some("true"), None, private.clone()),
        ("env false", Some("false"), None, expect("pv pd", "v", "v")),
        (
            "ansible.cfg",
            None,
            Some("[defaults]\nprivate_role_vars = yes\n"),
            private,
        ),
    ];
    for (name, env, cfg, want) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = kiln();
        cmd.args(["playbook", "-c", "local", "-i", "localhost,"])
            .arg(&pb)
            .env("ANSIBLE_ROLES_PATH", &roles)
            .env_remove("ANSIBLE_PRIVATE_ROLE_VARS")
            .current_dir(dir.path());
        if let Some(v) = env {
            cmd.env("ANSIBLE_PRIVATE_ROLE_VARS", v);
        }
        if let Some(c) = cfg {
            write(dir.path(), "ansible.cfg", c);
        }
        let o = cmd.output().expect("runs");
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{name}: {out}{err}");
        let got: Vec<&str> = out.lines().filter(|l| l.contains("\"msg\"")).collect();
        assert_eq!(got, want, "{name}: {out}");
    }
}
