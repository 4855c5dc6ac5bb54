// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Ansible Vault: kiln reads the vaults ansible-vault 2.21 wrote
//! (tests/fixtures/vault, made by tests/oracle/make_vault_fixtures.sh),
//! ansible-vault and ansible-playbook read the vaults `kiln vault` writes,
//! bytes survive every round trip, bad vaults stop a run before any host is
//! touched, and no secret reaches the output unless `debug` prints it.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const KILN: &str = env!("CARGO_BIN_EXE_kiln");

/// Every variable that could change which passwords or config are used.
const CLEARED_ENV: [&str; 8] = [
    "ANSIBLE_CONFIG",
    "ANSIBLE_VAULT_PASSWORD_FILE",
    "ANSIBLE_VAULT_IDENTITY_LIST",
    "ANSIBLE_VAULT_IDENTITY",
    "ANSIBLE_VAULT_ENCRYPT_IDENTITY",
    "ANSIBLE_VAULT_ENCRYPT_SALT",
    "ANSIBLE_VAULT_ID_MATCH",
    "EDITOR",
];

fn command(program: impl AsRef<std::ffi::OsStr>, cwd: &Path) -> Command {
    let mut c = Command::new(program);
    for v in CLEARED_ENV {
        c.env_remove(v);
    }
    c.env("ANSIBLE_NOCOLOR", "1").current_dir(cwd);
    c
}

fn kiln(cwd: &Path) -> Command {
    command(KILN, cwd)
}

fn run(c: &mut Command) -> (i32, String, String) {
    let o: Output = c.stdin(Stdio::null()).output().expect("runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs with `input` on stdin; returns the exit code and raw stdout.
fn run_with_input(c: &mut Command, input: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("writes stdin");
    let o = child.wait_with_output().expect("waits");
    (
        o.status.code().unwrap_or(-1),
        o.stdout,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vault")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// A private copy of the fixtures (tests change files in it).
fn workdir() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixtures(), d.path());
    d
}

fn expected() -> BTreeMap<String, String> {
    let text = fs::read_to_string(fixtures().join("plain/expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// The three passwords of the fixtures.
const ALL_PASSWORDS: [&str; 6] = [
    "--vault-password-file",
    "passwords/default.txt",
    "--vault-id",
    "dev@passwords/dev.txt",
    "--vault-id",
    "prod@passwords/prod.txt",
];

/// Checks that the debug output of site.yml shows every expected value.
fn assert_all_values(out: &str) {
    for (k, v) in expected() {
        let line = format!("\"{k}\": {}", serde_json::to_string(&v).expect("json"));
        assert!(out.contains(&line), "missing {line} in:\n{out}");
    }
}

fn write_exec(path: &Path, body: &str) {
    fs::write(path, body).expect("write script");
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).expect("chmod");
}

/// The ansible-core 2.21 venv: `$KILN_ORACLE_VENV`, else what
/// tests/oracle/setup-venv.sh finds (or makes). `None` when there is none.
fn oracle_venv() -> Option<PathBuf> {
    if let Some(v) = std::env::var_os("KILN_ORACLE_VENV") {
        let v = PathBuf::from(v);
        return v.join("bin/ansible-vault").is_file().then_some(v);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/setup-venv.sh");
    let o = Command::new(script).stderr(Stdio::null()).output().ok()?;
    if !o.status.success() {
        return None;
    }
    let v = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    v.join("bin/ansible-vault").is_file().then_some(v)
}

#[test]
fn kiln_reads_every_vault_ansible_wrote() {
    let w = workdir();
    let d = w.path();
    // Passwords on the command line: whole files (1.1 default, 1.2 prod),
    // inline values (1.2 dev, 1.1 default, 1.2 prod, multi-line), -e @file.
    let (code, out, err) = run(kiln(d)
        .args([
            "playbook",
            "-i",
            "inventory/hosts",
            "site.yml",
            "-e",
            "@extra.yml",
        ])
        .args(ALL_PASSWORDS));
    assert_eq!(code, 0, "{out}{err}");
    assert_all_values(&out);

    // The same passwords from ansible.cfg: vault_identity_list and
    // vault_password_file (relative to the file's directory).
    let cfgdir = d.join("cfg");
    fs::create_dir(&cfgdir).expect("mkdir");
    fs::write(
        cfgdir.join("ansible.cfg"),
        "[defaults]\nvault_identity_list = dev@passwords/dev.txt, prod@passwords/prod.txt\nvault_password_file = ../passwords/default.txt\n",
    )
    .expect("cfg");
    let (code, out, err) = run(kiln(d)
        .env("ANSIBLE_CONFIG", cfgdir.join("ansible.cfg"))
        .args([
            "playbook",
            "-i",
            "inventory/hosts",
            "site.yml",
            "-e",
            "@extra.yml",
        ]));
    assert_eq!(code, 0, "{out}{err}");
    assert_all_values(&out);

    // ANSIBLE_VAULT_PASSWORD_FILE, a plain password script and the
    // client-script protocol (`prod-client.sh --vault-id prod`).
    write_exec(
        &d.join("dev.sh"),
        "#!/bin/sh\ncat \"$(dirname \"$0\")/passwords/dev.txt\"\n",
    );
    write_exec(
        &d.join("vault-client.sh"),
        "#!/bin/sh\n[ \"$1\" = --vault-id ] || exit 9\ncase \"$2\" in\n  prod) cat \"$(dirname \"$0\")/passwords/prod.txt\";;\n  *) echo \"unknown vault id $2\" >&2; exit 2;;\nesac\n",
    );
    let (code, out, err) = run(kiln(d)
        .env("ANSIBLE_VAULT_PASSWORD_FILE", "passwords/default.txt")
        .args([
            "playbook",
            "-i",
            "inventory/hosts",
            "site.yml",
            "-e",
            "@extra.yml",
        ])
        .args([
            "--vault-id",
            "dev@dev.sh",
            "--vault-id",
            "prod@vault-client.sh",
        ]));
    assert_eq!(code, 0, "{out}{err}");
    assert_all_values(&out);

    // The label picks the password, but any password that opens a vault
    // will do (Ansible's default, vault_id_match off): dev's password
    // under another label still opens the dev vaults.
    let (code, out, err) = run(kiln(d)
        .args([
            "playbook",
            "-i",
            "inventory/hosts",
            "site.yml",
            "-e",
            "@extra.yml",
        ])
        .args(["--vault-id", "other@passwords/dev.txt"])
        .args(["--vault-id", "prod@passwords/prod.txt"])
        .args(["--vault-password-file", "passwords/default.txt"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_all_values(&out);
}

#[test]
fn byte_round_trips() {
    let w = workdir();
    let d = w.path();
    // Binary plaintext written by ansible-vault comes back byte for byte.
    let (code, out, err) = run_with_input(
        kiln(d).args([
            "vault",
            "decrypt",
            "--vault-password-file",
            "passwords/default.txt",
            "--output",
            "-",
            "binary.bin.vault",
        ]),
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, fs::read(d.join("plain/binary.bin")).expect("binary"));
    let (code, out, err) = run_with_input(
        kiln(d).args([
            "vault",
            "view",
            "--vault-password-file",
            "passwords/default.txt",
            "empty.vault",
        ]),
        b"",
    );
    assert_eq!((code, out.len()), (0, 0), "{err}");

    // With the same salt, kiln writes exactly what ansible-vault wrote.
    let (code, out, err) = run_with_input(
        kiln(d)
            .env("ANSIBLE_VAULT_ENCRYPT_SALT", "kiln-fixed-salt-0001")
            .args([
                "vault",
                "encrypt",
                "--vault-password-file",
                "passwords/default.txt",
                "--output",
                "-",
                "plain/fixed.yml",
            ]),
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        String::from_utf8_lossy(&out),
        fs::read_to_string(d.join("fixed_salt.vault")).expect("fixed")
    );
    let (code, out, err) = run_with_input(
        kiln(d)
            .env("ANSIBLE_VAULT_ENCRYPT_SALT", "kiln-fixed-salt-0001")
            .args([
                "vault",
                "encrypt_string",
                "--vault-id",
                "prod@passwords/prod.txt",
            ])
            .args(["--name", "fixed_string", &expected()["play_secret"]]),
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        String::from_utf8_lossy(&out),
        fs::read_to_string(d.join("fixed_salt_string.txt")).expect("fixed string")
    );

    // kiln → kiln, in place: encrypt, rekey to a new vault id, decrypt.
    let data: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 256) as u8).collect();
    fs::write(d.join("blob.bin"), &data).expect("blob");
    let (code, _, err) = run(kiln(d).args([
        "vault",
        "encrypt",
        "--vault-password-file",
        "passwords/default.txt",
        "blob.bin",
    ]));
    assert_eq!(code, 0, "{err}");
    let text = fs::read_to_string(d.join("blob.bin")).expect("vault");
    assert!(text.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"), "{text}");
    assert!(text.lines().skip(1).all(|l| l.len() <= 80));
    assert_eq!(
        fs::metadata(d.join("blob.bin"))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let (code, _, err) = run(kiln(d).args([
        "vault",
        "rekey",
        "--vault-password-file",
        "passwords/default.txt",
        "--new-vault-id",
        "prod@passwords/prod.txt",
        "blob.bin",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Rekey successful"), "{err}");
    assert!(
        fs::read_to_string(d.join("blob.bin"))
            .expect("vault")
            .starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n")
    );
    let (code, _, err) = run(kiln(d).args([
        "vault",
        "decrypt",
        "--vault-id",
        "prod@passwords/prod.txt",
        "blob.bin",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read(d.join("blob.bin")).expect("plain"), data);
}

#[test]
fn ansible_reads_what_kiln_writes() {
    let Some(venv) = oracle_venv() else {
        eprintln!(
            "SKIPPED ansible_reads_what_kiln_writes: no ansible-core 2.21 venv (set KILN_ORACLE_VENV or run tests/oracle/setup-venv.sh)"
        );
        return;
    };
    let w = workdir();
    let d = w.path();
    let cfg = d.join("empty.cfg");
    fs::write(&cfg, "").expect("cfg");
    let ansible = |prog: &str| {
        let mut c = command(venv.join("bin").join(prog), d);
        c.env("ANSIBLE_CONFIG", &cfg)
            .env("ANSIBLE_LOCAL_TEMP", d.join("ansible-tmp"));
        c
    };
    // Whole files, 1.1 and 1.2.
    fs::write(d.join("a.yml"), "kiln_file_secret: kiln-made-file-Wq71\n").expect("a");
    fs::write(d.join("b.yml"), "kiln_file_secret_12: kiln-made-12-Ee40\n").expect("b");
    let (code, _, err) = run(kiln(d).args([
        "vault",
        "encrypt",
        "--vault-password-file",
        "passwords/default.txt",
        "a.yml",
    ]));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(kiln(d).args([
        "vault",
        "encrypt",
        "--vault-id",
        "dev@passwords/dev.txt",
        "b.yml",
    ]));
    assert_eq!(code, 0, "{err}");
    for (file, pw, want) in [
        ("a.yml", "passwords/default.txt", "kiln-made-file-Wq71"),
        ("b.yml", "passwords/dev.txt", "kiln-made-12-Ee40"),
    ] {
        let (code, out, err) =
            run(ansible("ansible-vault").args(["view", "--vault-password-file", pw, file]));
        assert_eq!(code, 0, "ansible-vault view {file}: {err}");
        assert!(out.contains(want), "{out}");
    }
    // Inline values from encrypt_string: an argument and stdin.
    let (code, arg_out, err) = run(kiln(d).args([
        "vault",
        "encrypt_string",
        "--vault-id",
        "prod@passwords/prod.txt",
        "--name",
        "kiln_inline",
        "kiln-inline-Ty62",
    ]));
    assert_eq!(code, 0, "{err}");
    let (code, stdin_out, err) = run_with_input(
        kiln(d).args([
            "vault",
            "encrypt_string",
            "--vault-password-file",
            "passwords/default.txt",
            "--stdin-name",
            "kiln_stdin",
        ]),
        b"kiln-stdin-Uo93",
    );
    assert_eq!(code, 0, "{err}");
    let indent = |s: &str| s.lines().map(|l| format!("    {l}\n")).collect::<String>();
    fs::write(
        d.join("kiln_made.yml"),
        format!(
            "- hosts: localhost\n  gather_facts: false\n  vars:\n{}{}  vars_files: [a.yml, b.yml]\n  tasks:\n    - debug:\n        msg: \"{{{{ kiln_inline }}}} {{{{ kiln_stdin }}}} {{{{ kiln_file_secret }}}} {{{{ kiln_file_secret_12 }}}}\"\n",
            indent(&arg_out),
            indent(&String::from_utf8_lossy(&stdin_out))
        ),
    )
    .expect("playbook");
    let (code, out, err) = run(ansible("ansible-playbook")
        .args(["-i", "localhost,", "-c", "local"])
        .arg("-e")
        .arg(format!(
            "ansible_python_interpreter={}",
            venv.join("bin/python").display()
        ))
        .args(ALL_PASSWORDS)
        .arg("kiln_made.yml"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("kiln-inline-Ty62 kiln-stdin-Uo93 kiln-made-file-Wq71 kiln-made-12-Ee40"),
        "{out}"
    );
}

/// A playbook whose first task leaves a mark on the host: if any vault
/// error comes after a host was touched, the mark is there.
fn touching_playbook(d: &Path) -> PathBuf {
    let marker = d.join("touched");
    let pb = d.join("touch.yml");
    fs::write(
        &pb,
        format!(
            "- hosts: cluster\n  gather_facts: false\n  tasks:\n    - command: touch {}\n    - debug: msg=\"{{{{ db_password }}}} {{{{ sudo_password }}}}\"\n",
            marker.display()
        ),
    )
    .expect("playbook");
    pb
}

/// Runs touch.yml and checks the run stopped before any task with an
/// error that contains every one of `want`; returns stderr.
fn assert_stopped(d: &Path, args: &[&str], want: &[&str]) -> String {
    let (code, out, err) = run(kiln(d)
        .args(["playbook", "-i", "inventory/hosts", "touch.yml"])
        .args(args));
    assert_eq!(code, 1, "{out}{err}");
    for w in want {
        assert!(err.contains(w), "expected {w:?} in:\n{err}");
    }
    assert!(!out.contains("TASK ["), "a task ran:\n{out}");
    assert!(!d.join("touched").exists(), "a host was touched");
    for (_, v) in expected() {
        assert!(!err.contains(&v) && !out.contains(&v), "secret leaked");
    }
    err
}

/// Re-encrypts a vault file with one ciphertext bit flipped and a valid
/// format: only the HMAC can tell.
fn tamper(path: &Path) {
    let text = fs::read(path).expect("vault");
    let origin = kiln::span::Span::synthetic("t");
    let mut env = kiln::vault::envelope::parse(&text, &origin).expect("parses");
    env.ciphertext[5] ^= 0x01;
    fs::write(path, env.format()).expect("write");
}

#[test]
fn bad_vaults_stop_the_run_before_any_host() {
    let w = workdir();
    let d = w.path();
    touching_playbook(d);
    let all = d.join("inventory/group_vars/all.yml");
    let pw = [
        "--vault-id",
        "dev@passwords/dev.txt",
        "--vault-id",
        "prod@passwords/prod.txt",
    ];
    let good: Vec<&str> = ALL_PASSWORDS.to_vec();

    // Wrong password.
    fs::write(d.join("wrong.txt"), "not-the-password\n").expect("wrong");
    let mut args = pw.to_vec();
    args.extend(["--vault-password-file", "wrong.txt"]);
    assert_stopped(
        d,
        &args,
        &[
            "Decryption failed (no vault secrets were found that could decrypt) on ",
            "inventory/group_vars/all.yml",
            "HMAC verification failed",
        ],
    );
    // No password at all.
    assert_stopped(
        d,
        &[],
        &[
            "Attempting to decrypt but no vault secrets found",
            "group_vars/all.yml",
        ],
    );

    // Tampered (valid format, one ciphertext bit changed).
    let original = fs::read(&all).expect("all");
    tamper(&all);
    assert_stopped(
        d,
        &good,
        &["group_vars/all.yml", "HMAC verification failed"],
    );
    // Truncated (cut in the middle of the body).
    fs::write(&all, &original[..original.len() * 2 / 3]).expect("cut");
    assert_stopped(d, &good, &["group_vars/all.yml", "truncated"]);
    // Not a vault body at all.
    fs::write(&all, "$ANSIBLE_VAULT;1.1;AES256\nabcd not hex\n").expect("junk");
    assert_stopped(d, &good, &["group_vars/all.yml:2:5", "not a hex digit"]);
    // Decrypted content that is not YAML: the position, never the text
    // (the parser's message could quote it).
    fs::write(
        d.join("broken.yml"),
        "db_password: [unclosed-Xy12\n  key: : bad\n",
    )
    .expect("broken");
    let (code, _, err) = run(kiln(d).args([
        "vault",
        "encrypt",
        "--vault-password-file",
        "passwords/default.txt",
        "--output",
        "inventory/group_vars/all.yml",
        "broken.yml",
    ]));
    assert_eq!(code, 0, "{err}");
    let err = assert_stopped(d, &good, &["group_vars/all.yml:", "withheld"]);
    assert!(!err.contains("unclosed-Xy12"), "{err}");
    fs::write(&all, &original).expect("restore");

    // An inline value altered: the error names the file and line.
    let hv = d.join("inventory/host_vars/localhost.yml");
    let text = fs::read_to_string(&hv).expect("host_vars");
    let start = text
        .find("$ANSIBLE_VAULT;1.2;AES256;dev")
        .expect("dev value");
    let end = text[start..].find("\napi_key").expect("next key") + start;
    let block: String = text[start..end]
        .lines()
        .map(|l| l.trim().to_string() + "\n")
        .collect();
    let mut env = kiln::vault::envelope::parse(block.as_bytes(), &kiln::span::Span::synthetic("t"))
        .expect("inline parses");
    env.hmac[0] ^= 0x80;
    let bad_block: String = env
        .format()
        .lines()
        .map(|l| format!("          {l}\n"))
        .collect();
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    fs::write(
        &hv,
        format!("{}{}{}", &text[..line_start], bad_block, &text[end + 1..]),
    )
    .expect("write");
    assert_stopped(
        d,
        &good,
        &[
            "host_vars/localhost.yml:3:",
            "HMAC verification failed with vault id 'dev'",
        ],
    );
    fs::write(&hv, &text).expect("restore");

    // A bad vault in group_vars/ next to the playbook (read when the
    // playbook runs) also stops the run before it starts.
    fs::create_dir(d.join("group_vars")).expect("mkdir");
    fs::copy(&all, d.join("group_vars/all.yml")).expect("copy");
    tamper(&d.join("group_vars/all.yml"));
    assert_stopped(
        d,
        &good,
        &["group_vars/all.yml", "HMAC verification failed"],
    );
    fs::remove_dir_all(d.join("group_vars")).expect("rm");

    // -e @file with a wrong password.
    let mut args = vec![
        "--vault-password-file",
        "passwords/default.txt",
        "--vault-id",
        "prod@passwords/prod.txt",
        "--vault-id",
        "dev@passwords/prod.txt",
        "-e",
        "@extra.yml",
    ];
    assert_stopped(d, &args, &["extra.yml", "HMAC verification failed"]);

    // Password sources that fail.
    args = vec!["--vault-password-file", "no-such-file.txt"];
    assert_stopped(
        d,
        &args,
        &[
            "The vault password file",
            "no-such-file.txt",
            "was not found",
        ],
    );
    write_exec(&d.join("failing.sh"), "#!/bin/sh\nexit 3\n");
    args = vec!["--vault-password-file", "failing.sh"];
    assert_stopped(
        d,
        &args,
        &[
            "Vault password script",
            "failing.sh",
            "returned non-zero (3)",
        ],
    );
    fs::write(d.join("empty-pw.txt"), "\n\n").expect("empty");
    args = vec!["--vault-password-file", "empty-pw.txt"];
    assert_stopped(
        d,
        &args,
        &[
            "Invalid vault password was provided from file",
            "empty-pw.txt",
        ],
    );

    // The run works again once everything is back.
    let (code, out, err) = run(kiln(d)
        .args([
            "playbook",
            "-i",
            "inventory/hosts",
            "touch.yml",
            "-e",
            "@extra.yml",
        ])
        .args(ALL_PASSWORDS));
    assert_eq!(code, 0, "{out}{err}");
    assert!(d.join("touched").exists());
}

#[test]
fn ask_vault_pass_needs_a_terminal() {
    let w = workdir();
    let d = w.path();
    // setsid: a new session has no controlling terminal, whatever the
    // test runner has.
    let (code, out, err) = run(command("setsid", d).args([
        KILN,
        "playbook",
        "-i",
        "inventory/hosts",
        "site.yml",
        "--ask-vault-pass",
    ]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("--ask-vault-pass needs a terminal"), "{err}");
    let (code, _, err) = run(command("setsid", d).args([KILN, "vault", "view", "extra.yml"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot prompt for the vault password: no terminal"),
        "{err}"
    );
}

#[test]
fn secrets_never_reach_the_output_unless_debug_prints_them() {
    let w = workdir();
    let d = w.path();
    // The play vars of site.yml: play_secret and play_multiline, inline.
    let site = fs::read_to_string(d.join("site.yml")).expect("site.yml");
    let vars_at = site.find("  vars:\n").expect("vars") + "  vars:\n".len();
    let inline_vars = &site[vars_at..site.find("  tasks:\n").expect("tasks")];
    fs::write(
        d.join("quiet.yml"),
        r#"- name: use secrets without printing them
  hosts: cluster
  gather_facts: false
  vars:
    wrapped: "prefix {{ registry_token }} suffix"
"#
        .to_string()
            + inline_vars
            + r#"  tasks:
    - name: compare
      assert:
        that:
          - db_password | length > 8
          - join_token != sudo_password
    - name: copy a secret into a fact
      set_fact:
        copied: "{{ api_key }}"
        nested: { deep: ["{{ extra_secret }}"] }
    - name: pass a secret to a command
      command: "printf %s {{ db_password }}"
      register: printed
    - name: hide a derived value with no_log
      command: "printf %s {{ join_token | upper }}"
      no_log: true
    - name: decide on a secret
      command: "true"
      when: sudo_password == expected_sudo
    - name: loop over secrets
      command: "test -n '{{ item | length }}'"
      loop: ["{{ play_multiline }}", "{{ wrapped }}"]
    - name: print one on purpose
      debug:
        var: play_secret
"#,
    )
    .expect("playbook");
    let secrets = expected();
    let derived_upper = secrets["join_token"].to_uppercase();
    for v in ["", "-v", "-vv", "-vvv", "-vvvv"] {
        let mut c = kiln(d);
        c.args([
            "playbook",
            "-i",
            "inventory/hosts",
            "quiet.yml",
            "-e",
            "@extra.yml",
        ])
        .args(ALL_PASSWORDS)
        .arg("-e")
        .arg(format!("expected_sudo={}", secrets["sudo_password"]));
        if !v.is_empty() {
            c.arg(v);
        }
        let (code, out, err) = run(&mut c);
        assert_eq!(code, 0, "{v}: {out}{err}");
        for (name, value) in &secrets {
            let on_purpose = name == "play_secret";
            for (stream, text) in [("stdout", &out), ("stderr", &err)] {
                let count = text.matches(value.as_str()).count();
                let allowed = usize::from(on_purpose && stream == "stdout");
                assert_eq!(
                    count, allowed,
                    "{name} appears {count} times in {stream} at {v:?}:\n{text}"
                );
            }
        }
        // The multi-line value is masked line by line too (escaped in JSON).
        assert!(!out.contains("multiline-Pz11dF"), "{v}: {out}");
        assert!(!out.contains(&derived_upper), "no_log: {out}");
        let debug = format!("\"play_secret\": \"{}\"", secrets["play_secret"]);
        assert!(out.contains(&debug), "{v}: {out}");
        if v == "-v" {
            // The masked values still show where they were used.
            assert!(out.contains("\"copied\": \"********\""), "{out}");
        }
    }
}

#[test]
fn kiln_vault_cli() {
    let w = workdir();
    let d = w.path();
    // encrypt_string: names pair with arguments in order; several values
    // get a comment each on stderr; 10-space indent as ansible-vault.
    let (code, out, err) = run(kiln(d).args([
        "vault",
        "encrypt_string",
        "--vault-password-file",
        "passwords/default.txt",
        "-n",
        "first",
        "-n",
        "second",
        "one-value",
        "two-value",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("first: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n"),
        "{out}"
    );
    assert!(out.contains("\nsecond: !vault |\n"), "{out}");
    assert!(err.contains("# The encrypted version of variable (\"second\", the string #2 from the command line args)."), "{err}");
    let doc = kiln::yaml::load_str(&out, "out")
        .expect("valid YAML")
        .docs
        .remove(0);
    let secrets = kiln::vault::VaultSecrets::new(vec![kiln::vault::VaultSecret::new(
        "default",
        b"kiln-fixture-default-pw".to_vec(),
        "test",
    )]);
    for (k, want) in [("first", "one-value"), ("second", "two-value")] {
        let n = doc.get(k).expect("key");
        assert_eq!(n.tag, Some(kiln::yaml::Tag::Vault));
        let plain = kiln::vault::decrypt_node(n, &secrets).expect("decrypts");
        assert_eq!(plain.as_str(), want);
    }
    // Several vault ids: --encrypt-vault-id is required.
    let (code, _, err) = run(kiln(d)
        .args(["vault", "encrypt_string", "x-value"])
        .args(ALL_PASSWORDS));
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("Specify the vault-id to encrypt with --encrypt-vault-id"),
        "{err}"
    );
    let (code, out, err) = run(kiln(d)
        .args([
            "vault",
            "encrypt_string",
            "--encrypt-vault-id",
            "dev",
            "x-value",
        ])
        .args(ALL_PASSWORDS));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("$ANSIBLE_VAULT;1.2;AES256;dev"), "{out}");

    // Not a vault.
    let (code, _, err) = run(kiln(d).args([
        "vault",
        "decrypt",
        "--vault-password-file",
        "passwords/default.txt",
        "plain/fixed.yml",
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("Input is not vault encrypted data"), "{err}");

    // view through the `ansible-vault` link name.
    let link = d.join("ansible-vault");
    std::os::unix::fs::symlink(KILN, &link).expect("symlink");
    let (code, out, err) =
        run(command(&link, d).args(["view", "--vault-id", "dev@passwords/dev.txt", "extra.yml"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        fs::read_to_string(d.join("plain/extra.yml")).expect("plain")
    );

    // create and edit through $EDITOR: the editor sees a private 0600 file
    // that is gone afterwards; edit keeps the vault id of the file.
    let log = d.join("editor.log");
    write_exec(
        &d.join("editor.sh"),
        &format!(
            "#!/bin/sh\nstat -c '%a %n' \"$1\" >> {log}\nstat -c '%a' \"$(dirname \"$1\")\" >> {log}\nprintf 'added: by-editor\\n' >> \"$1\"\n",
            log = log.display()
        ),
    );
    let editor = d.join("editor.sh").display().to_string();
    let (code, _, err) = run(kiln(d).env("EDITOR", &editor).args([
        "vault",
        "create",
        "--skip-tty-check",
        "--vault-id",
        "dev@passwords/dev.txt",
        "new/created.yml",
    ]));
    assert_eq!(code, 0, "{err}");
    let created = fs::read_to_string(d.join("new/created.yml")).expect("created");
    assert!(
        created.starts_with("$ANSIBLE_VAULT;1.2;AES256;dev\n"),
        "{created}"
    );
    let (code, _, err) = run(kiln(d).env("EDITOR", &editor).args([
        "vault",
        "edit",
        "--vault-id",
        "prod@passwords/prod.txt",
        "inventory/group_vars/cluster/vault.yml",
    ]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(kiln(d).args([
        "vault",
        "view",
        "--vault-id",
        "prod@passwords/prod.txt",
        "inventory/group_vars/cluster/vault.yml",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "{}added: by-editor\n",
            fs::read_to_string(d.join("plain/group_vars_cluster_vault.yml")).expect("plain")
        )
    );
    assert!(
        fs::read_to_string(d.join("inventory/group_vars/cluster/vault.yml"))
            .expect("edited")
            .starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n")
    );
    let lines: Vec<String> = fs::read_to_string(&log)
        .expect("log")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    for pair in lines.chunks(2) {
        let (mode, path) = pair[0].split_once(' ').expect("mode path");
        assert_eq!(mode, "600", "{pair:?}");
        assert_eq!(pair[1], "700", "{pair:?}");
        assert!(path.ends_with(".yml"), "keeps the extension: {path}");
        assert!(!Path::new(path).exists(), "{path} left behind");
        assert!(!Path::new(path).parent().expect("dir").exists());
    }
    // create refuses an existing file, and needs a terminal by default.
    let (code, _, err) = run(kiln(d).env("EDITOR", &editor).args([
        "vault",
        "create",
        "--vault-password-file",
        "passwords/default.txt",
        "extra.yml",
    ]));
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("not a tty, editor cannot be opened"), "{err}");
}

/// The refusals of `kiln vault`, each with ansible-vault 2.21's exit code
/// (5 for a usage error, 1 for the rest) and message, and nothing written.
#[test]
fn kiln_vault_cli_refusals() {
    let w = workdir();
    let d = w.path();
    let pw = ["--vault-password-file", "passwords/default.txt"];
    let expect = |(code, _, err): (i32, String, String), want_code: i32, want: &str| {
        assert_eq!(code, want_code, "{want}: {err}");
        assert!(err.contains(want), "want {want:?} in {err}");
    };
    let output_one = "At most one input file may be used with the --output option";
    for action in ["encrypt", "decrypt"] {
        expect(
            run(kiln(d)
                .args(["vault", action, "--output", "out.yml"])
                .args(pw)
                .args(["extra.yml", "plain/fixed.yml"])),
            5,
            output_one,
        );
    }
    assert!(!d.join("out.yml").exists());
    expect(
        run(kiln(d)
            .args(["vault", "create", "--skip-tty-check"])
            .args(pw)
            .args(["a.yml", "b.yml"])),
        5,
        "ansible-vault create can take only one filename argument",
    );
    let before = fs::read(d.join("extra.yml")).expect("extra");
    expect(
        run(kiln(d)
            .env("EDITOR", "true")
            .args(["vault", "create", "--skip-tty-check"])
            .args(pw)
            .arg("extra.yml")),
        1,
        "extra.yml exists, please use 'edit' instead",
    );
    // An editor that fails or cannot start leaves the vault as it was.
    let edit = [
        "vault",
        "edit",
        "--vault-id",
        "dev@passwords/dev.txt",
        "extra.yml",
    ];
    expect(
        run(kiln(d).env("EDITOR", "false").args(edit)),
        1,
        "Unable to execute the command \"false ",
    );
    expect(
        run(kiln(d).env("EDITOR", "/nonexistent/editor -w").args(edit)),
        1,
        "Unable to execute the command \"/nonexistent/editor -w ",
    );
    // An editor that saves nothing new does not rewrite the file.
    let (code, _, err) = run(kiln(d).env("EDITOR", "true").args(edit));
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read(d.join("extra.yml")).expect("extra"), before);

    // encrypt_string: the prompt and stdin exclude each other; empty input
    // is refused wherever it comes from.
    expect(
        run(kiln(d)
            .args(["vault", "encrypt_string", "-p"])
            .args(pw)
            .arg("-")),
        5,
        "The --prompt option is not supported if also reading input from stdin",
    );
    expect(
        run(kiln(d).args(["vault", "encrypt_string"]).args(pw).arg("")),
        5,
        "The plaintext provided from the command line args was empty, not encrypting",
    );
    expect(
        run(kiln(d).args(["vault", "encrypt_string"]).args(pw)),
        5,
        "stdin was empty, not encrypting",
    );
    // Fewer names than strings: the rest go unnamed, and ansible-vault
    // says so.
    let (code, out, err) = run(kiln(d)
        .args(["vault", "encrypt_string", "-n", "one"])
        .args(pw)
        .args(["a-value", "b-value"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("The last named variable will be \"one\". The rest will not have names."),
        "{err}"
    );
    assert!(
        err.contains("# The encrypted version of the string #2 from the command line args.)"),
        "{err}"
    );
    assert!(out.starts_with("one: !vault |\n"), "{out}");
    assert_eq!(out.matches("!vault |").count(), 2, "{out}");
    assert_eq!(out.matches(": !vault").count(), 1, "{out}");

    // Files that cannot be read or written.
    expect(
        run(kiln(d)
            .args(["vault", "encrypt_string", "--output", "nodir/x.yml"])
            .args(pw)
            .arg("a-value")),
        1,
        &format!("Destination '{}' not writable", d.join("nodir").display()),
    );
    expect(
        run(kiln(d)
            .args(["vault", "encrypt"])
            .args(pw)
            .arg("missing.yml")),
        1,
        &format!(
            "Unable to read source file ({})",
            d.join("missing.yml").display()
        ),
    );
    // The wrong password opens nothing, and nothing is decrypted in place.
    let vault_before = fs::read(d.join("extra.yml")).expect("extra");
    let (code, _, err) = run(kiln(d).args(["vault", "decrypt"]).args(pw).arg("extra.yml"));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Decryption failed"), "{err}");
    assert_eq!(fs::read(d.join("extra.yml")).expect("extra"), vault_before);
    // A bad ansible.cfg stops every subcommand before any password is read.
    fs::write(d.join("ansible.cfg"), "[defaults\n").expect("cfg");
    let (code, _, err) = run(kiln(d).args(["vault", "view"]).args(pw).arg("extra.yml"));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ansible.cfg:1:1: bad section header"), "{err}");
}
