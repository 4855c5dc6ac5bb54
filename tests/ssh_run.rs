// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The SSH side of whole runs of the `kiln` binary against real sshd hosts:
//! hosts reached through `~/.ssh/config` and jump hosts, become with sudo
//! and su (right, wrong and missing passwords), `-K`, login with
//! `ansible_password`, and a check that no password reaches any output
//! stream, file, or the process list of the host while the run goes on.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::sshd::{self, TestHost};

/// The controller side of a run: a HOME with known_hosts, an inventory,
/// a playbook.
struct Controller {
    root: tempfile::TempDir,
}

struct RunOutput {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Controller {
    /// `hosts` are `(name, host, extra inventory variables)`.
    fn new(hosts: &[(&str, &TestHost, String)]) -> Controller {
        let root = tempfile::Builder::new()
            .prefix("kiln-become-")
            .tempdir()
            .expect("tempdir");
        let home = root.path().join("home");
        fs::create_dir_all(home.join(".ssh")).expect("home");
        let mut known = String::new();
        let mut inv = String::from("[all]\n");
        for (name, h, vars) in hosts {
            known.push_str(h.known_hosts_line());
            known.push('\n');
            inv.push_str(&format!(
                "{name} ansible_host={} ansible_port={} {vars}\n",
                h.address(),
                h.port()
            ));
        }
        fs::write(home.join(".ssh/known_hosts"), known).expect("known_hosts");
        fs::write(root.path().join("inventory.ini"), inv).expect("inventory");
        Controller { root }
    }

    fn run(&self, playbook: &str, args: &[&str]) -> RunOutput {
        self.run_env(playbook, args, &[])
    }

    fn run_env(&self, playbook: &str, args: &[&str], env: &[(&str, &str)]) -> RunOutput {
        let pb = self.root.path().join("site.yml");
        fs::write(&pb, playbook).expect("playbook");
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .arg("playbook")
            .arg("-i")
            .arg(self.root.path().join("inventory.ini"))
            .arg(&pb)
            .args(args)
            .env("HOME", self.root.path().join("home"))
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("ANSIBLE_CONFIG")
            .env("ANSIBLE_NOCOLOR", "1")
            .envs(env.iter().copied())
            .current_dir(self.root.path())
            .output()
            .expect("kiln runs");
        RunOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took: started.elapsed(),
        }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }
}

fn key_vars(user: &str) -> String {
    format!(
        "ansible_user={user} ansible_ssh_private_key_file={}",
        sshd::client_key_path().display()
    )
}

const WHO_AND_STDIN: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: who
      command: id -un
      register: who
    - name: stdin reaches the command after the password
      command: cat
      args:
        stdin: fed after the prompt
      register: fed
    - debug:
        msg: "{{ who.stdout }} / {{ fed.stdout }}"
"#;

#[test]
fn sudo_with_a_password_right_wrong_and_missing() {
    sshd::ensure_test_users();
    let host = TestHost::start();
    let good = format!(
        "{} ansible_become_password={}",
        key_vars(sshd::SUDO_USER),
        sshd::SUDO_PASSWORD
    );
    let wrong = format!("{} ansible_become_pass=not-it", key_vars(sshd::SUDO_USER));
    let c = Controller::new(&[
        ("good", &host, good),
        ("wrong", &host, wrong),
        ("missing", &host, key_vars(sshd::SUDO_USER)),
    ]);
    let out = c.run(WHO_AND_STDIN, &[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("\"msg\": \"root / fed after the prompt\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "fatal: [wrong]: FAILED! => {\"changed\": false, \"msg\": \"Task failed: Incorrect sudo password\"}"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "fatal: [missing]: FAILED! => {\"changed\": false, \"msg\": \"Task failed: Missing sudo password\"}"
        ),
        "{}",
        out.stdout
    );
    // sudo would ask three times, 2 s apart; the wrong password is caught
    // at the first "Sorry, try again."
    assert!(out.took < Duration::from_secs(20), "took {:?}", out.took);
    assert!(
        out.stdout.contains(
            "wrong                      : ok=0    changed=0    unreachable=0    failed=1"
        ),
        "{}",
        out.stdout
    );

    // `ansible_become_password: null` is no password at all.
    let c = Controller::new(&[("nulled", &host, key_vars(sshd::SUDO_USER))]);
    let out = c.run(
        WHO_AND_STDIN,
        &["-e", r#"{"ansible_become_password": null}"#],
    );
    assert!(
        out.stdout.contains("Missing sudo password"),
        "{}",
        out.stdout
    );
}

/// A user without sudo rights who gives the right password: the
/// escalation never happens. As ansible-playbook 2.21 reports it (checked
/// with the venv's ansible-playbook against a test sshd, user kilntest2,
/// `become: true`, the same two tasks), a module task is a module whose
/// output holds no JSON: `changed`, `module_stderr`, `module_stdout`,
/// `msg`, `rc`, with the action's error and its cause around the origin;
/// `raw` is a command that failed with sudo's words on its terminal;
/// `copy` fails in the stat its action runs first.
/// Ansible runs modules on a terminal, so its sudo's words are in
/// `module_stdout` ("\r\nkilntest2 is not in the sudoers file.\r\n") and
/// `module_stderr` is "Shared connection to ... closed.\r\n"; kiln runs
/// modules without one, so sudo's words come on stderr. The password is
/// nowhere.
const NO_RIGHTS: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - command: id -un
      ignore_errors: true
    - raw: id -un
      ignore_errors: true
    - copy: content="x\n" dest=/tmp/kiln-no-rights
      ignore_errors: true
"#;

#[test]
fn missing_sudo_rights_are_reported_in_sudos_words() {
    sshd::ensure_test_users();
    let host = TestHost::start();
    let user = key_vars(sshd::OTHER_USER);
    let c = Controller::new(&[(
        "norights",
        &host,
        format!("{user} ansible_become_password={}", sshd::OTHER_PASSWORD),
    )]);
    let out = c.run(NO_RIGHTS, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let words = format!("{} is not in the sudoers file.", sshd::OTHER_USER);
    let fatals: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("fatal: [norights]: FAILED! => "))
        .collect();
    assert_eq!(fatals.len(), 3, "{}", out.stdout);
    assert_eq!(
        fatals[2],
        format!(
            "fatal: [norights]: FAILED! => {{\"changed\": false, \"msg\": \"Task failed: Failed to get information on remote file (/tmp/kiln-no-rights): {words}\"}}"
        )
    );
    assert_eq!(
        fatals[0],
        format!(
            "fatal: [norights]: FAILED! => {{\"changed\": false, \"module_stderr\": \"{words}\\n\", \"module_stdout\": \"\", \"msg\": \"Module result deserialization failed: No start of json char found\", \"rc\": 1}}"
        )
    );
    let origin = "Origin: ";
    let error = "[ERROR]: Task failed: Action failed: Module result deserialization failed: No start of json char found\n\nTask failed: Action failed.\n";
    let at = out
        .stdout
        .find(error)
        .unwrap_or_else(|| panic!("no error block in {}", out.stdout));
    let block = &out.stdout[at + error.len()..];
    assert!(block.starts_with(origin), "{block}");
    assert!(
        block.contains("        ^ column 7\n\n<<< caused by >>>\n\nModule result deserialization failed: No start of json char found See stdout/stderr for the returned output.\n\nfatal: [norights]"),
        "{block}"
    );
    assert_eq!(
        fatals[1],
        format!(
            "fatal: [norights]: FAILED! => {{\"changed\": true, \"msg\": \"non-zero return code\", \"rc\": 1, \"stderr\": \"Shared connection to {addr} closed.\\r\\n\", \"stderr_lines\": [\"Shared connection to {addr} closed.\"], \"stdout\": \"\\r\\n{words}\\r\\n\", \"stdout_lines\": [\"\", \"{words}\"]}}",
            addr = host.address()
        )
    );
    assert!(
        out.stdout
            .contains("[ERROR]: Task failed: Action failed: non-zero return code\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(sshd::OTHER_PASSWORD), "{}", out.stdout);
    assert!(!out.stderr.contains(sshd::OTHER_PASSWORD), "{}", out.stderr);
}

#[test]
fn su_with_the_target_users_password() {
    sshd::ensure_test_users();
    let host = TestHost::start();
    let su = |pw: &str| {
        format!(
            "{} ansible_become_method=su ansible_become_user={} ansible_become_password={pw}",
            key_vars(sshd::SUDO_USER),
            sshd::OTHER_USER
        )
    };
    let c = Controller::new(&[
        ("right", &host, su(sshd::OTHER_PASSWORD)),
        ("wrong", &host, su("nope")),
    ]);
    let out = c.run(WHO_AND_STDIN, &[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "\"msg\": \"{} / fed after the prompt\"",
            sshd::OTHER_USER
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Task failed: Incorrect su password"),
        "{}",
        out.stdout
    );
}

/// Become with a terminal: a stdin of 280 KiB (`seq 1 50000`) must reach
/// the command unchanged through the terminal in raw mode (no `\r\n` for
/// `\n`, nothing echoed back, nothing cut at a line length), and a module
/// whose script and content come on stdin (`copy`) must work as without one.
const TTY_PLAYBOOK: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: who
      command: id -un
      register: who
    - name: stdin reaches the command after the password
      command: cat
      args:
        stdin: fed after the prompt
      register: fed
    - name: a long stdin, byte for byte
      shell: od -An -tx1 -v | tr -d ' \n' | md5sum
      args:
        stdin: "{{ lookup('pipe', 'seq 1 50000') }}"
      register: long
    - name: a module that writes a file (its script and content on stdin)
      copy:
        content: "written as {{ who.stdout }}\n"
        dest: "/tmp/kiln-tty-test-{{ inventory_hostname }}"
    - name: read back
      command: "cat /tmp/kiln-tty-test-{{ inventory_hostname }}"
      register: copied
    - file:
        path: "/tmp/kiln-tty-test-{{ inventory_hostname }}"
        state: absent
    - debug:
        msg: "{{ who.stdout }} / {{ fed.stdout }} / {{ long.stdout }} / {{ copied.stdout }}"
"#;

/// md5 of the hex dump of `seq 1 50000` (the lookup drops the last newline,
/// `command` adds it back: `stdin_add_newline`), computed here as the host
/// computes it.
fn long_digest() -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg("seq 1 50000 | od -An -tx1 -v | tr -d ' \n' | md5sum")
        .output()
        .expect("sh");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs [`TTY_PLAYBOOK`] as [`sshd::TTY_USER`] on four hosts named
/// `PREFIX_pw` (the right password), `PREFIX_nopw` (to [`sshd::OTHER_USER`],
/// allowed without one), `PREFIX_wrong` and `PREFIX_missing`, and checks
/// what each must show for `method`: the same results as without a
/// terminal, Ansible's words for the failures, the password nowhere.
fn check_become_on_a_terminal(prefix: &str, method: &str, env: &[(&str, &str)]) -> RunOutput {
    sshd::ensure_tty_user();
    let host = TestHost::start();
    let user = format!(
        "{} ansible_become_method={method}",
        key_vars(sshd::TTY_USER)
    );
    let name = |n: &str| format!("{prefix}_{n}");
    let (pw, nopw, wrong, missing) = (name("pw"), name("nopw"), name("wrong"), name("missing"));
    let c = Controller::new(&[
        (
            &pw,
            &host,
            format!("{user} ansible_become_password={}", sshd::TTY_PASSWORD),
        ),
        (
            &nopw,
            &host,
            format!("{user} ansible_become_user={}", sshd::OTHER_USER),
        ),
        (
            &wrong,
            &host,
            format!("{user} ansible_become_password=nope"),
        ),
        (&missing, &host, user.clone()),
    ]);
    let out = c.run_env(TTY_PLAYBOOK, &[], env);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let digest = long_digest();
    for who in ["root", sshd::OTHER_USER] {
        let msg =
            format!("\"msg\": \"{who} / fed after the prompt / {digest} / written as {who}\"");
        assert!(out.stdout.contains(&msg), "{msg} in {}", out.stdout);
    }
    for (host, why) in [(&wrong, "Incorrect"), (&missing, "Missing")] {
        let msg = format!(
            "fatal: [{host}]: FAILED! => {{\"changed\": false, \"msg\": \"Task failed: {why} {method} password\"}}"
        );
        assert!(out.stdout.contains(&msg), "{msg} in {}", out.stdout);
    }
    assert!(!out.stdout.contains(sshd::TTY_PASSWORD), "{}", out.stdout);
    assert!(!out.stderr.contains(sshd::TTY_PASSWORD), "{}", out.stderr);
    out
}

#[test]
fn sudo_with_requiretty_runs_on_a_terminal() {
    // kiln's debug records show when sudo asked for a terminal.
    let out = check_become_on_a_terminal("sudotty", "sudo", &[("KILN_LOG", "kiln=debug")]);
    // Once per host: the connection remembers it for the later tasks.
    for host in ["sudotty_pw", "sudotty_nopw"] {
        let seen = format!("{host}: sudo requires a terminal");
        assert_eq!(out.stderr.matches(&seen).count(), 1, "{}", out.stderr);
    }
    // Without a terminal sudo refuses: the requiretty rule was in force.
    let plain = Command::new("setsid")
        .args([
            "-w",
            "su",
            sshd::TTY_USER,
            "-c",
            "sudo -n -u kilntest2 true",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("su");
    assert!(
        String::from_utf8_lossy(&plain.stderr).contains("you must have a tty"),
        "{plain:?}"
    );
}

#[test]
fn doas_with_and_without_a_password() {
    if !sshd::have_doas() {
        eprintln!("doas is not installed (apt-get install opendoas): skipped");
        return;
    }
    // doas tries a password once: a wrong one fails at once.
    let out = check_become_on_a_terminal("doas", "doas", &[]);
    assert!(out.took < Duration::from_secs(40), "took {:?}", out.took);
}

#[test]
fn raw_with_become_and_a_password() {
    sshd::ensure_test_users();
    let host = TestHost::start();
    let c = Controller::new(&[
        (
            "good",
            &host,
            format!(
                "{} ansible_become_password={}",
                key_vars(sshd::SUDO_USER),
                sshd::SUDO_PASSWORD
            ),
        ),
        (
            "wrong",
            &host,
            format!("{} ansible_become_password=nope", key_vars(sshd::SUDO_USER)),
        ),
    ]);
    let out = c.run(
        r#"- hosts: all
  gather_facts: false
  tasks:
    - raw: id -un; echo err >&2
      become: true
      register: r
    - debug:
        msg: "{{ r.stdout_lines }} {{ r.rc }}"
"#,
        &[],
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    // A terminal: stderr arrives on stdout, lines end in \r\n.
    assert!(
        out.stdout.contains("\"msg\": \"['root', 'err'] 0\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Task failed: Incorrect sudo password"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(sshd::SUDO_PASSWORD), "{}", out.stdout);
}

#[test]
fn no_password_in_output_files_or_process_list() {
    sshd::ensure_test_users();
    let host = TestHost::builder()
        .config_line("PasswordAuthentication yes")
        .start();
    // Log in with the password (no key anywhere), become with it too.
    let vars = format!(
        "ansible_user={} ansible_password={pw} ansible_become_password={pw}",
        sshd::SUDO_USER,
        pw = sshd::SUDO_PASSWORD
    );
    let c = Controller::new(&[("h1", &host, vars)]);
    let playbook = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: slow enough to be seen in ps
      shell: sleep 2; id -un
      become: true
      register: who
    - debug:
        var: who
    - name: the password in a command's stdin stays out of sight too
      command: cat
      args:
        stdin: "{{ ansible_become_password | length }}"
      become: true
"#;
    // Watch every process on this machine (the host is this machine)
    // while the run goes on.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut samples = 0;
            while !stop.load(Ordering::SeqCst) {
                if let Ok(o) = Command::new("ps").args(["-eo", "args"]).output() {
                    samples += 1;
                    for l in String::from_utf8_lossy(&o.stdout).lines() {
                        if l.contains(sshd::SUDO_PASSWORD) {
                            seen.push(l.to_string());
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(40));
            }
            (seen, samples)
        })
    };
    let out = c.run(playbook, &["-vvvv"]);
    stop.store(true, Ordering::SeqCst);
    let (seen, samples) = watcher.join().expect("watcher");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("\"stdout\": \"{}\"", "root")),
        "{}",
        out.stdout
    );
    assert!(host.log().contains("Accepted password for kilntest"));
    assert!(samples > 10, "ps ran only {samples} times");
    assert!(seen.is_empty(), "password in the process list: {seen:?}");
    assert!(!out.stdout.contains(sshd::SUDO_PASSWORD), "{}", out.stdout);
    assert!(!out.stderr.contains(sshd::SUDO_PASSWORD), "{}", out.stderr);
    // Nothing kiln wrote under the controller's root holds it either
    // (the inventory itself does, by the test's own hand).
    for f in files_under(c.path()) {
        if f.ends_with("inventory.ini") {
            continue;
        }
        let bytes = fs::read(&f).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(sshd::SUDO_PASSWORD),
            "{} holds the password",
            f.display()
        );
    }
    // Nor the server's log.
    assert!(!host.log().contains(sshd::SUDO_PASSWORD));
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn dash_capital_k_asks_once_on_the_terminal_only() {
    sshd::ensure_test_users();
    let host = TestHost::start();
    let c = Controller::new(&[("h1", &host, key_vars(sshd::SUDO_USER))]);
    // Without a terminal: a clear error at once, nothing run.
    let out = c.run(WHO_AND_STDIN, &["-K"]);
    assert_eq!(out.code, 5, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("needs a terminal"), "{}", out.stderr);
    assert!(!host.log().contains("Accepted publickey"));

    // With one (`script` gives kiln a pseudo-terminal): the prompt comes
    // first, the answer is typed after it, and is never echoed.
    let (ok, text) = run_on_terminal(
        &c,
        WHO_AND_STDIN,
        "-K",
        "BECOME password: ",
        sshd::SUDO_PASSWORD,
    );
    assert!(ok, "{text}");
    assert!(
        text.contains("\"msg\": \"root / fed after the prompt\""),
        "{text}"
    );
    assert!(!text.contains(sshd::SUDO_PASSWORD), "echoed: {text}");
    assert_eq!(text.matches("BECOME password:").count(), 1, "{text}");
}

/// `-k`: the SSH password is asked once on the terminal, before anything
/// runs, and logs in to every host (no key is offered: the controller's
/// HOME has none); it is never echoed. A null `ansible_password` is unset.
#[test]
fn dash_k_asks_the_ssh_password_once_for_every_host() {
    sshd::ensure_test_users();
    let host = TestHost::builder()
        .config_line("PasswordAuthentication yes")
        .start();
    let login = format!("ansible_user={}", sshd::SUDO_USER);
    let c = Controller::new(&[("pw1", &host, login.clone()), ("pw2", &host, login)]);
    let playbook = r#"- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: who
    - debug:
        msg: "{{ who.stdout }} logged in by password"
"#;
    // A null `ansible_password` is no password: the typed one is used.
    let (ok, text) = run_on_terminal(
        &c,
        playbook,
        r#"-k -e '{"ansible_password": null}'"#,
        "SSH password: ",
        sshd::SUDO_PASSWORD,
    );
    assert!(ok, "{text}");
    let msg = format!("\"msg\": \"{} logged in by password\"", sshd::SUDO_USER);
    assert_eq!(text.matches(&msg).count(), 2, "{text}");
    assert_eq!(text.matches("SSH password:").count(), 1, "{text}");
    assert!(!text.contains(sshd::SUDO_PASSWORD), "echoed: {text}");
    assert!(
        host.log().contains("Accepted password for"),
        "{}",
        host.log()
    );
}

/// Runs `playbook` with `arg` on a pseudo-terminal (`script`), waits for
/// `prompt`, types `answer`, and returns whether kiln succeeded and all
/// the terminal showed.
fn run_on_terminal(
    c: &Controller,
    playbook: &str,
    arg: &str,
    prompt: &str,
    answer: &str,
) -> (bool, String) {
    let pb = c.path().join("site.yml");
    fs::write(&pb, playbook).expect("playbook");
    let line = format!(
        "{} playbook -i {} {} {arg}",
        env!("CARGO_BIN_EXE_kiln"),
        c.path().join("inventory.ini").display(),
        pb.display()
    );
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("HOME", c.path().join("home"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env_remove("ANSIBLE_CONFIG")
        .env_remove("SSH_AUTH_SOCK")
        .current_dir(c.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script runs");
    let seen = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let reader = {
        let seen = seen.clone();
        let mut stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut stdout, &mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&seen.lock().expect("lock")).contains(prompt) {
        assert!(
            Instant::now() < deadline,
            "no prompt: {}",
            String::from_utf8_lossy(&seen.lock().expect("lock"))
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let stty turn echo off before typing.
    std::thread::sleep(Duration::from_millis(300));
    let mut stdin = child.stdin.take().expect("stdin");
    std::io::Write::write_all(&mut stdin, format!("{answer}\n").as_bytes()).expect("type");
    // Keep the terminal open until kiln is done with it.
    let status = child.wait().expect("kiln ends");
    drop(stdin);
    reader.join().expect("reader");
    let text = String::from_utf8_lossy(&seen.lock().expect("lock")).into_owned();
    (status.success(), text)
}

const PASSPHRASE: &str = "kiln-test-passphrase-5bd1";

/// An encrypted key: its passphrase is asked once for all hosts on a
/// terminal, and without a terminal every host fails at once (unreachable,
/// with the reason), instead of hanging.
#[test]
fn encrypted_key_passphrase_asked_once_or_refused_without_a_terminal() {
    let h1 = TestHost::start();
    let h2 = TestHost::start();
    let keys = tempfile::tempdir().expect("tempdir");
    let key = keys.path().join("locked");
    let st = Command::new("ssh-keygen")
        .args([
            "-q", "-t", "ed25519", "-N", PASSPHRASE, "-C", "locked", "-f",
        ])
        .arg(&key)
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
    let public = fs::read_to_string(key.with_extension("pub")).expect("pub");
    for h in [&h1, &h2] {
        sshd::append_line(&h.dir().join("authorized_keys"), public.trim()).expect("authorize");
    }
    let vars = format!(
        "ansible_user=root ansible_ssh_private_key_file={}",
        key.display()
    );
    let c = Controller::new(&[("h1", &h1, vars.clone()), ("h2", &h2, vars)]);
    let pb = "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo unlocked\n      register: r\n    - debug: {msg: '{{ r.stdout }}'}\n";

    let out = c.run(pb, &[]);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.matches("UNREACHABLE!").count(),
        2,
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("encrypted: no terminal to ask for its passphrase"),
        "{}",
        out.stdout
    );
    assert!(out.took < Duration::from_secs(30), "took {:?}", out.took);

    let (ok, text) = run_on_terminal(&c, pb, "", "Enter passphrase for key", PASSPHRASE);
    assert!(ok, "{text}");
    assert_eq!(text.matches("\"msg\": \"unlocked\"").count(), 2, "{text}");
    assert_eq!(
        text.matches("Enter passphrase for key").count(),
        1,
        "{text}"
    );
    assert!(!text.contains(PASSPHRASE), "echoed: {text}");
    // Nor does it reach any file the run left (home, inventory dir).
    for f in files_under(c.path()) {
        let bytes = fs::read(&f).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSPHRASE),
            "passphrase in {}",
            f.display()
        );
    }
}

#[test]
fn hosts_reached_through_ssh_config_and_jump_hosts() {
    let target = TestHost::start();
    let bastion = TestHost::builder()
        .log_level("DEBUG1")
        .hosts_entry("kiln-inner-target", target.address())
        .start();
    let c = Controller::new(&[]);
    let home = c.path().join("home");
    fs::create_dir_all(home.join("keys")).expect("keys dir");
    fs::copy(sshd::client_key_path(), home.join("keys/client")).expect("copy key");
    fs::write(
        home.join(".ssh/known_hosts"),
        format!(
            "{}\n[kiln-inner-target]:{} {}\n",
            bastion.known_hosts_line(),
            target.port(),
            target.host_public_key()
        ),
    )
    .expect("known_hosts");
    fs::write(
        home.join(".ssh/config"),
        format!(
            "Host bastion\n  HostName {}\n  Port {}\n  User root\n  IdentityFile ~/keys/client\nHost web1\n  HostName kiln-inner-target\n  Port {}\n  User root\n  IdentityFile ~/keys/client\n  ProxyJump bastion\n",
            bastion.address(),
            bastion.port(),
            target.port()
        ),
    )
    .expect("ssh config");
    // web1 comes from ~/.ssh/config alone; web2 names the inner host
    // itself and asks for the jump host in ansible_ssh_common_args.
    fs::write(
        c.path().join("inventory.ini"),
        format!(
            "web1\nweb2 ansible_host=kiln-inner-target ansible_port={} ansible_user=root ansible_ssh_private_key_file=~/keys/client ansible_ssh_common_args='-J bastion'\n",
            target.port()
        ),
    )
    .expect("inventory");
    let out = c.run(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo {{ inventory_hostname }} inside\n      register: r\n    - debug:\n        msg: \"{{ r.stdout }}\"\n",
        &[],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("\"msg\": \"web1 inside\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\"msg\": \"web2 inside\""),
        "{}",
        out.stdout
    );
    let forwards = bastion
        .log()
        .lines()
        .filter(|l| {
            l.contains("server_request_direct_tcpip")
                && l.contains(&format!("target kiln-inner-target port {}", target.port()))
        })
        .count();
    assert_eq!(forwards, 2, "{}", bastion.log());
}

/// `[ssh_connection]` in ansible.cfg reaches the transport: the port from
/// `ssh_common_args`, and a weak cipher this old host needs from
/// `ssh_extra_args` (without it the host is refused, as OpenSSH words it).
#[test]
fn ansible_cfg_ssh_connection_args_reach_the_transport() {
    let host = TestHost::builder()
        .config_line("Ciphers aes128-cbc")
        .start();
    let c = Controller::new(&[("h1", &host, String::new())]);
    fs::write(
        c.path().join("inventory.ini"),
        format!("h1 ansible_host={} {}\n", host.address(), key_vars("root")),
    )
    .expect("inventory");
    let pb = "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo reached\n";
    let common = format!(
        "[ssh_connection]\nssh_common_args = -o Port={}\n",
        host.port()
    );
    fs::write(c.path().join("ansible.cfg"), &common).expect("cfg");
    let out = c.run(pb, &[]);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "Unable to negotiate with {} port {}: no matching cipher found. Their offer: aes128-cbc",
            host.address(),
            host.port()
        )),
        "{}",
        out.stdout
    );
    fs::write(
        c.path().join("ansible.cfg"),
        format!("{common}ssh_extra_args = -o Ciphers=+aes128-cbc\n"),
    )
    .expect("cfg");
    let out = c.run(pb, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("changed: [h1]"), "{}", out.stdout);
    assert!(
        out.stderr.contains("offering weak SSH algorithms")
            || out.stdout.contains("offering weak SSH algorithms"),
        "the weak cipher is used with a warning:\n{}{}",
        out.stdout,
        out.stderr
    );
}

/// sshd killed in the middle of a task: that host is unreachable, the
/// others finish their tasks, and the run ends with code 4 (Ansible's for
/// unreachable hosts), promptly.
#[test]
fn sshd_killed_mid_task_makes_only_that_host_unreachable() {
    let h1 = TestHost::start();
    let mut h2 = TestHost::start();
    let h3 = TestHost::start();
    let vars = key_vars("root");
    let c = Controller::new(&[
        ("h1", &h1, vars.clone()),
        ("h2", &h2, vars.clone()),
        ("h3", &h3, vars),
    ]);
    let pb = "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: sleep 4\n    - command: echo after\n";
    let out = std::thread::scope(|s| {
        let run = s.spawn(|| c.run(pb, &[]));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !h2.log().contains("Accepted publickey") {
            assert!(Instant::now() < deadline, "h2 never logged in");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_secs(1));
        h2.stop();
        run.join().expect("kiln run")
    });
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    let recap = |host: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(host) && l.contains("ok="))
            .unwrap_or_else(|| panic!("no recap for {host}: {}", out.stdout))
            .to_string()
    };
    assert!(recap("h1").contains("ok=2") && recap("h1").contains("unreachable=0"));
    assert!(recap("h3").contains("ok=2") && recap("h3").contains("unreachable=0"));
    assert!(recap("h2").contains("unreachable=1"), "{}", recap("h2"));
    assert!(
        out.stdout.contains("fatal: [h2]: UNREACHABLE!"),
        "{}",
        out.stdout
    );
    assert!(out.took < Duration::from_secs(60), "took {:?}", out.took);
}

/// Every byte value, in an order that puts terminal control characters
/// (`^C`, `^D`, `^S`, `^V`, `\r`, DEL...) next to each other many times.
fn every_byte(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 % 256) as u8).collect()
}

fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A plain HTTP server on loopback that answers every GET with `body`.
fn serve_blob(body: Arc<Vec<u8>>) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            let Ok(mut s) = stream else { continue };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let is_head = head.starts_with(b"HEAD ");
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                if !is_head {
                    let _ = s.write_all(&body);
                }
            });
        }
    });
    port
}

/// A directory of links to every program but the HTTP clients, so
/// get_url falls back to the controller's client and streams the body in.
fn path_without_http_clients(dir: &Path) {
    fs::create_dir_all(dir).expect("mkdir");
    for bin in ["/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
        let Ok(entries) = fs::read_dir(bin) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if ["curl", "wget", "busybox"].iter().any(|n| name == *n) {
                continue;
            }
            let link = dir.join(&name);
            if !link.exists() {
                let _ = std::os::unix::fs::symlink(e.path(), link);
            }
        }
    }
}

#[test]
fn fetch_get_url_and_copy_stream_under_sudo_requiretty() {
    sshd::ensure_tty_user();
    let host = TestHost::start();
    let user = key_vars(sshd::TTY_USER);
    let c = Controller::new(&[
        (
            "ttyfetch_pw",
            &host,
            format!("{user} ansible_become_password={}", sshd::TTY_PASSWORD),
        ),
        (
            "ttyfetch_nopw",
            &host,
            format!("{user} ansible_become_user={}", sshd::OTHER_USER),
        ),
    ]);
    // Several frames' worth, every byte value: the terminal must pass it
    // unchanged both ways.
    let blob = Arc::new(every_byte(300 * 1024 + 11));
    let want = sha1_hex(&blob);
    let port = serve_blob(blob.clone());
    // World-readable dirs for the files the become users read and write.
    let shared = tempfile::Builder::new()
        .prefix("kiln-ttyxfer-")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let sp = shared.path();
    fs::set_permissions(sp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    path_without_http_clients(&sp.join("nohttp"));
    // Each source readable only by the user that fetches it.
    for (name, owner) in [("ttyfetch_pw", "root"), ("ttyfetch_nopw", sshd::OTHER_USER)] {
        let src = sp.join(format!("{name}.src"));
        fs::write(&src, blob.as_slice()).expect("write source");
        fs::set_permissions(&src, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod");
        let st = Command::new("chown")
            .arg(owner)
            .arg(&src)
            .status()
            .expect("chown");
        assert!(st.success());
    }
    let dl = sp.join("dl");
    fs::create_dir_all(&dl).expect("mkdir");
    fs::set_permissions(&dl, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).expect("chmod");
    let fetched = c.path().join("fetched");
    // Above the size `copy` streams from (1 MiB), every byte value.
    let image = every_byte(1024 * 1024 + 300 * 1024 + 7);
    let image_sum = sha1_hex(&image);
    let image_src = c.path().join("image.bin");
    fs::write(&image_src, &image).expect("write image");
    let playbook = format!(
        r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: fetch a file only the become user can read
      fetch:
        src: "{sp}/{{{{ inventory_hostname }}}}.src"
        dest: "{fetched}/{{{{ inventory_hostname }}}}.bin"
        flat: true
    - name: get_url through the controller, streamed into the host
      get_url:
        url: "http://127.0.0.1:{port}/blob.bin"
        dest: "{dl}/{{{{ inventory_hostname }}}}.bin"
        checksum: "sha1:{want}"
      environment:
        PATH: "{sp}/nohttp"
    - name: copy of a controller file large enough to be streamed
      copy:
        src: "{image}"
        dest: "{dl}/{{{{ inventory_hostname }}}}.copy"
        mode: "0640"
    - name: what the host has
      shell: "f={dl}/{{{{ inventory_hostname }}}}; sha1sum < $f.bin; stat -c %U $f.bin; sha1sum < $f.copy; stat -c '%U %a' $f.copy"
      register: got
    - debug:
        msg: "{{{{ got.stdout_lines }}}}"
"#,
        sp = sp.display(),
        fetched = fetched.display(),
        dl = dl.display(),
        image = image_src.display(),
    );
    let out = c.run_env(&playbook, &[], &[("KILN_LOG", "kiln=debug")]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // sudo did refuse without a terminal (once per host, then remembered).
    for host in ["ttyfetch_pw", "ttyfetch_nopw"] {
        let seen = format!("{host}: sudo requires a terminal");
        assert_eq!(out.stderr.matches(&seen).count(), 1, "{}", out.stderr);
    }
    for (name, owner) in [("ttyfetch_pw", "root"), ("ttyfetch_nopw", sshd::OTHER_USER)] {
        let got = fs::read(fetched.join(format!("{name}.bin"))).expect("fetched file");
        assert_eq!(got.len(), blob.len(), "{name}");
        assert!(got == *blob, "{name}: fetched bytes differ");
        let msg = format!(
            "\"msg\": [\n        \"{want}  -\",\n        \"{owner}\",\n        \"{image_sum}  -\",\n        \"{owner} 640\"\n    ]"
        );
        assert!(out.stdout.contains(&msg), "{msg} in {}", out.stdout);
    }
    assert!(!out.stdout.contains(sshd::TTY_PASSWORD), "{}", out.stdout);
    assert!(!out.stderr.contains(sshd::TTY_PASSWORD), "{}", out.stderr);
}
