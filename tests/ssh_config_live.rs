// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! ssh_config, jump hosts, proxy commands, accept-new, password logins and
//! reconnects, against real OpenSSH servers (see `support/sshd.rs`). Each
//! test writes a controller home with its own `~/.ssh/config` and resolves
//! targets with `ssh_config::resolve`, as the executor does.

mod support;

use std::fs;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln::transport::ssh_config::resolve;
use kiln::transport::{
    AuthMethod, Connection, Secret, SshConnection, SshRequest, SshTarget, StrictHostKeyChecking,
    TransportError, connect_ssh,
};
use support::sshd::{self, TestHost};

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(40), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within 40 s"),
    }
}

/// A controller home: `~/.ssh/config` from `config`, the client key copied
/// to `~/keys/client` (so configs name it with `~`), and an empty
/// `~/.ssh/known_hosts`.
fn make_home(config: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("kiln-home-")
        .tempdir()
        .expect("tempdir");
    fs::create_dir_all(dir.path().join(".ssh")).expect("mkdir .ssh");
    fs::create_dir_all(dir.path().join("keys")).expect("mkdir keys");
    fs::copy(sshd::client_key_path(), dir.path().join("keys/client")).expect("copy key");
    fs::write(dir.path().join(".ssh/config"), config).expect("config");
    dir
}

fn request(dest: &str, home: &Path) -> SshRequest {
    let mut r = SshRequest::new(dest, home);
    // The machine's /etc/ssh/ssh_config is not the test's business.
    r.system_config = None;
    r.local_user = "nobody-local".into();
    r.timeout = Duration::from_secs(8);
    r
}

async fn connect(t: &SshTarget) -> Result<SshConnection, TransportError> {
    within("connect", SshConnection::connect(t)).await
}

async fn run(conn: &SshConnection, cmd: &str) -> String {
    let out = within(cmd, conn.exec(cmd, None)).await.expect("exec");
    assert_eq!(out.rc, 0, "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A `Host` block that reaches `h` as root with the client key.
fn host_block(alias: &str, h: &TestHost, known_hosts: &Path) -> String {
    format!(
        "Host {alias}\n  HostName {}\n  Port {}\n  User root\n  IdentityFile ~/keys/client\n  UserKnownHostsFile {}\n",
        h.address(),
        h.port(),
        known_hosts.display()
    )
}

#[tokio::test]
async fn include_host_and_match_blocks_reach_the_host() {
    let host = TestHost::start();
    let kh = host.known_hosts_path().to_path_buf();
    // The main file only includes; the pieces use Host, Match host (which
    // sees HostName), Match originalhost, tokens and first-value-wins.
    let home = make_home("Include conf.d/*.conf\nHost *\n  User fallback\n  Port 1\n");
    let conf_d = home.path().join(".ssh/conf.d");
    fs::create_dir_all(&conf_d).expect("mkdir");
    fs::write(
        conf_d.join("10-alias.conf"),
        format!("Host web-alias\n  HostName {}\n", host.address()),
    )
    .expect("write");
    fs::write(
        conf_d.join("20-match.conf"),
        format!(
            "Match host {addr} originalhost web-*\n  User root\n  Port {port}\n  IdentityFile %d/keys/nope-%h\n  IdentityFile ~/keys/client\n  UserKnownHostsFile {kh}\nMatch user root\n  Port 2\n",
            addr = host.address(),
            port = host.port(),
            kh = kh.display()
        ),
    )
    .expect("write");
    let t = resolve(&request("web-alias", home.path())).expect("resolves");
    assert_eq!(
        (t.address.as_str(), t.port, t.user.as_str()),
        (host.address(), host.port(), "root")
    );
    assert_eq!(
        t.private_keys,
        [
            home.path().join(format!("keys/nope-{}", host.address())),
            home.path().join("keys/client")
        ]
    );
    let conn = connect(&t).await.expect("connect");
    assert_eq!(run(&conn, "id -un").await, "root\n");
}

#[tokio::test]
async fn inventory_values_and_common_args_beat_the_files() {
    let host = TestHost::start();
    let home = make_home(&format!(
        "Host target\n  HostName 127.0.0.1\n  Port 1\n  User nobody\n{}",
        host_block("other", &host, host.known_hosts_path())
    ));
    // An -F file replaces ~/.ssh/config altogether.
    let f = home.path().join("alt_config");
    fs::write(
        &f,
        format!(
            "Host target\n  HostName {}\n  Port 1\n  UserKnownHostsFile {}\n",
            host.address(),
            host.known_hosts_path().display()
        ),
    )
    .expect("write");
    let mut r = request("target", home.path());
    r.port = Some(host.port());
    r.user = Some("root".into());
    r.private_key_file = Some("~/keys/client".into());
    r.common_args = Some(format!(
        "-F '{}' -o User=ignored -o ConnectTimeout=3",
        f.display()
    ));
    let t = resolve(&r).expect("resolves");
    assert_eq!((t.address.as_str(), t.port), (host.address(), host.port()));
    assert_eq!(t.user, "root");
    // Ansible's own ConnectTimeout comes first.
    assert_eq!(t.connect_timeout, Duration::from_secs(8));
    let conn = connect(&t).await.expect("connect");
    assert_eq!(run(&conn, "echo ok").await, "ok\n");

    // A bad option names the variable, as OpenSSH names the command line.
    r.common_args = Some("-o NoSuchOption=1".into());
    let e = resolve(&r).expect_err("bad option");
    assert_eq!(
        e.to_string(),
        "ansible_ssh_common_args: command-line: Bad configuration option: NoSuchOption"
    );
}

#[tokio::test]
async fn accept_new_adds_keys_and_a_changed_key_still_fails() {
    let hosts: Vec<TestHost> = (0..4).map(|_| TestHost::start()).collect();
    let home = make_home(
        "Host *\n  StrictHostKeyChecking accept-new\n  HashKnownHosts yes\n  IdentityFile ~/keys/client\n  User root\n",
    );
    let kh = home.path().join(".ssh/known_hosts");
    fs::write(&kh, "# the user's own line stays\n").expect("seed");
    // Four hosts at once, one file: every key must land.
    let mut tasks = Vec::new();
    for h in &hosts {
        let mut r = request(h.address(), home.path());
        r.port = Some(h.port());
        let t = resolve(&r).expect("resolves");
        assert_eq!(t.host_key_checking, StrictHostKeyChecking::AcceptNew);
        tasks.push(tokio::spawn(async move {
            let c = SshConnection::connect(&t).await?;
            c.exec("echo in", None).await
        }));
    }
    for t in tasks {
        let out = within("accept-new", t)
            .await
            .expect("join")
            .expect("connect");
        assert_eq!(out.stdout, b"in\n");
    }
    let text = fs::read_to_string(&kh).expect("known_hosts");
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text.starts_with("# the user's own line stays\n"));
    assert!(
        text.lines().skip(1).all(|l| l.starts_with("|1|")),
        "HashKnownHosts yes: {text}"
    );
    // Strict checking now accepts every one of them.
    for h in &hosts {
        let mut r = request(h.address(), home.path());
        r.port = Some(h.port());
        r.common_args = Some("-o StrictHostKeyChecking=yes".into());
        let t = resolve(&r).expect("resolves");
        connect(&t).await.expect("known now");
    }
    // A key that changed is refused even with accept-new.
    let h = &hosts[0];
    let other = home.path().join("other_host_key");
    sshd::keygen(&other, "impostor");
    let public =
        fs::read_to_string(PathBuf::from(format!("{}.pub", other.display()))).expect("pub");
    let mut parts = public.split_whitespace();
    let line = format!(
        "[{}]:{} {} {}\n",
        h.address(),
        h.port(),
        parts.next().expect("type"),
        parts.next().expect("key")
    );
    fs::write(&kh, &line).expect("rewrite");
    let mut r = request(h.address(), home.path());
    r.port = Some(h.port());
    let t = resolve(&r).expect("resolves");
    let e = connect(&t).await.expect_err("changed key");
    let msg = e.to_string();
    assert!(
        msg.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("Offending ED25519 key in {}:1", kh.display())),
        "{msg}"
    );
    assert_eq!(
        fs::read_to_string(&kh).expect("read"),
        line,
        "file untouched"
    );
}

/// A jump host whose own /etc/hosts knows the target by a name the client
/// cannot resolve, with sshd logging forwarded connections.
fn bastion_for(name: &str, target: &TestHost) -> TestHost {
    TestHost::builder()
        .log_level("DEBUG1")
        .hosts_entry(name, target.address())
        .start()
}

fn forwarded_to(bastion: &TestHost, name: &str, port: u16) -> bool {
    bastion.log().lines().any(|l| {
        l.contains("server_request_direct_tcpip")
            && l.contains(&format!("target {name} port {port}"))
    })
}

#[tokio::test]
async fn proxy_jump_through_one_bastion() {
    let target = TestHost::start();
    let bastion = bastion_for("kiln-inner-target", &target);
    let kh = bastion.dir().join("all_known_hosts");
    fs::write(
        &kh,
        format!(
            "{}\n[kiln-inner-target]:{} {}\n",
            bastion.known_hosts_line(),
            target.port(),
            target.host_public_key()
        ),
    )
    .expect("known_hosts");
    let home = make_home(&format!(
        "{}Host kiln-inner-target\n  Port {}\n  User root\n  IdentityFile ~/keys/client\n  UserKnownHostsFile {}\n  ProxyJump bastion\n",
        host_block("bastion", &bastion, &kh),
        target.port(),
        kh.display()
    ));
    // Without the jump host the name means nothing here.
    let mut direct = request("kiln-inner-target", home.path());
    direct.common_args = Some("-o ProxyJump=none".into());
    let t = resolve(&direct).expect("resolves");
    match connect(&t).await {
        Err(TransportError::Resolve { host, .. }) => assert_eq!(host, "kiln-inner-target"),
        other => panic!("expected a resolve error, got {other:?}"),
    }

    let t = resolve(&request("kiln-inner-target", home.path())).expect("resolves");
    let conn = connect(&t).await.expect("through the bastion");
    assert_eq!(run(&conn, "echo through").await, "through\n");
    assert!(
        forwarded_to(&bastion, "kiln-inner-target", target.port()),
        "bastion log:\n{}",
        bastion.log()
    );
    assert!(target.log().contains("Accepted publickey for root"));

    // A port nobody listens on behind the bastion: its refusal comes back
    // as an unreachable host, naming the jump host.
    let mut closed = request("kiln-inner-target", home.path());
    closed.port = Some(1);
    let t = resolve(&closed).expect("resolves");
    match connect(&t).await {
        Err(TransportError::Connect { host, port, reason }) => {
            assert_eq!((host.as_str(), port), ("kiln-inner-target", 1));
            assert_eq!(
                reason,
                format!(
                    "channel open failed on jump host {}: connect failed",
                    bastion.address()
                )
            );
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[tokio::test]
async fn proxy_jump_through_two_bastions_each_with_its_config() {
    let target = TestHost::start();
    // The second bastion knows the target; the first knows the second.
    let second = bastion_for("kiln-inner-target", &target);
    let first = bastion_for("kiln-inner-bastion", &second);
    let kh = first.dir().join("all_known_hosts");
    fs::write(
        &kh,
        format!(
            "{}\n[kiln-inner-bastion]:{} {}\n[kiln-inner-target]:{} {}\n",
            first.known_hosts_line(),
            second.port(),
            second.host_public_key(),
            target.port(),
            target.host_public_key()
        ),
    )
    .expect("known_hosts");
    let home = make_home(&format!(
        "{first_block}Host kiln-inner-bastion\n  Port {p2}\n  User root\n  IdentityFile ~/keys/client\n  UserKnownHostsFile {kh}\n  ProxyJump nowhere-to-be-used\nHost kiln-inner-target\n  Port {pt}\n  User root\n  IdentityFile ~/keys/client\n  UserKnownHostsFile {kh}\n  ProxyJump first,kiln-inner-bastion\n",
        first_block = host_block("first", &first, &kh),
        p2 = second.port(),
        pt = target.port(),
        kh = kh.display()
    ));
    let t = resolve(&request("kiln-inner-target", home.path())).expect("resolves");
    let conn = connect(&t).await.expect("through two bastions");
    assert_eq!(run(&conn, "echo deep").await, "deep\n");
    assert!(
        forwarded_to(&first, "kiln-inner-bastion", second.port()),
        "first bastion log:\n{}",
        first.log()
    );
    assert!(
        forwarded_to(&second, "kiln-inner-target", target.port()),
        "second bastion log:\n{}",
        second.log()
    );
    // Closing the connection closes the hops too: the bastions see their
    // sessions end.
    conn.close().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !first.log().contains("Disconnected from user root") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        first.log().contains("Disconnected from user root"),
        "{}",
        first.log()
    );
}

#[tokio::test]
async fn proxy_command_runs_the_system_ssh_as_a_pipe() {
    let target = TestHost::start();
    let bastion = bastion_for("kiln-inner-target", &target);
    let kh = bastion.dir().join("all_known_hosts");
    fs::write(
        &kh,
        format!(
            "{}\n[kiln-inner-target]:{} {}\n",
            bastion.known_hosts_line(),
            target.port(),
            target.host_public_key()
        ),
    )
    .expect("known_hosts");
    // The OpenSSH client reads its own file for the bastion.
    let ssh_cfg = bastion.dir().join("client_config");
    fs::write(
        &ssh_cfg,
        format!(
            "{}  BatchMode yes\n  LogLevel ERROR\n",
            host_block("bastion", &bastion, &kh).replace(
                "~/keys/client",
                &sshd::client_key_path().display().to_string()
            )
        ),
    )
    .expect("client config");
    let home = make_home(&format!(
        "Host kiln-inner-target\n  Port {}\n  User root\n  IdentityFile ~/keys/client\n  UserKnownHostsFile {}\n  ProxyCommand ssh -F {} -W %h:%p bastion\n",
        target.port(),
        kh.display(),
        ssh_cfg.display()
    ));
    let t = resolve(&request("kiln-inner-target", home.path())).expect("resolves");
    let conn = connect(&t).await.expect("through ProxyCommand");
    assert_eq!(run(&conn, "echo piped").await, "piped\n");
    assert!(forwarded_to(&bastion, "kiln-inner-target", target.port()));

    // A proxy command that fails is reported with what it said.
    let broken = make_home("Host broken\n  ProxyCommand echo proxy says no >&2; exit 3\n");
    let t = resolve(&request("broken", broken.path())).expect("resolves");
    let e = connect(&t).await.expect_err("broken proxy");
    assert!(e.to_string().contains("ProxyCommand: proxy says no"), "{e}");
}

fn password_host() -> TestHost {
    sshd::ensure_test_users();
    TestHost::builder()
        .config_line("PasswordAuthentication yes")
        .start()
}

/// A target that can only log in with the password.
fn password_only(h: &TestHost, password: Option<&str>) -> SshTarget {
    let mut t = h.ssh_target();
    t.user = sshd::SUDO_USER.into();
    t.private_keys = vec![h.dir().join("no-such-key")];
    t.use_agent = false;
    t.password = password.map(Secret::new);
    t
}

#[tokio::test]
async fn password_login_and_a_wrong_password() {
    let host = password_host();
    let conn = connect(&password_only(&host, Some(sshd::SUDO_PASSWORD)))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
    assert_eq!(run(&conn, "id -un").await, format!("{}\n", sshd::SUDO_USER));
    assert!(host.log().contains("Accepted password for kilntest"));

    let e = connect(&password_only(&host, Some("wrong")))
        .await
        .expect_err("wrong password");
    assert_eq!(
        e.to_string(),
        format!(
            "kilntest@{}: Permission denied (publickey,password).\r\nkiln tried: password",
            host.address()
        )
    );
    // No password at all: nothing to offer, and the server's methods are named.
    let e = connect(&password_only(&host, None))
        .await
        .expect_err("none");
    assert!(
        e.to_string().starts_with(&format!(
            "kilntest@{}: Permission denied (publickey,password).",
            host.address()
        )),
        "{e}"
    );
}

#[tokio::test]
async fn keyboard_interactive_answers_the_password_prompt() {
    sshd::ensure_test_users();
    let host = TestHost::builder()
        .config_line("UsePAM yes")
        .config_line("KbdInteractiveAuthentication yes")
        .start();
    let mut t = password_only(&host, Some(sshd::SUDO_PASSWORD));
    t.auth_methods = vec![AuthMethod::KeyboardInteractive];
    let conn = connect(&t)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
    assert_eq!(run(&conn, "id -un").await, format!("{}\n", sshd::SUDO_USER));
    assert!(
        host.log()
            .contains("Accepted keyboard-interactive/pam for kilntest"),
        "{}",
        host.log()
    );
    t.password = Some(Secret::new("wrong"));
    let started = Instant::now();
    let e = connect(&t).await.expect_err("wrong password");
    assert!(
        e.to_string()
            .contains("Permission denied (publickey,keyboard-interactive)"),
        "{e}"
    );
    assert!(
        e.to_string().contains("kiln tried: keyboard-interactive"),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_session_is_reopened_once() {
    let mut host = TestHost::start();
    let conn: Arc<dyn Connection> = within("connect", connect_ssh(&host.ssh_target()))
        .await
        .expect("connect");
    let out = within("exec", conn.exec("echo before", None))
        .await
        .expect("exec");
    assert_eq!(out.stdout, b"before\n");
    // The server goes away and comes back: our session is dead.
    host.restart();
    let out = within("exec after restart", conn.exec("echo after", None))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
    assert_eq!(out.stdout, b"after\n");
    assert_eq!(
        host.log().matches("Accepted publickey for root").count(),
        2,
        "{}",
        host.log()
    );
    // Concurrent commands after another drop share one new session.
    host.restart();
    let mut tasks = Vec::new();
    for i in 0..4 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            conn.exec(&format!("echo {i}"), None).await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let out = within("task", t).await.expect("join").expect("exec");
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{i}\n"));
    }
    assert_eq!(host.log().matches("Accepted publickey for root").count(), 3);
    conn.close().await;
}

/// The pid of the sshd process serving our connection to `port` (the
/// per-connection child, seen from this namespace).
fn session_pid(port: u16) -> Option<u32> {
    let out = std::process::Command::new("ss")
        .args([
            "-Htnp",
            "state",
            "established",
            &format!("( sport = :{port} )"),
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text.find("pid=")?;
    text[at + 4..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[tokio::test]
async fn server_alive_settings_notice_a_frozen_server() {
    let host = TestHost::start();
    let home = make_home(&format!(
        "{}  ServerAliveInterval 1\n  ServerAliveCountMax 2\n",
        host_block("frozen", &host, host.known_hosts_path())
    ));
    let t = resolve(&request("frozen", home.path())).expect("resolves");
    assert_eq!(t.keepalive_interval, Some(Duration::from_secs(1)));
    assert_eq!(t.keepalive_max, 2);
    let conn = Arc::new(connect(&t).await.expect("connect"));
    assert_eq!(run(&conn, "echo up").await, "up\n");
    let running = {
        let conn = conn.clone();
        tokio::spawn(async move { conn.exec("sleep 60", None).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Freeze the server's side of this one connection: TCP stays up, nothing answers.
    let pid = session_pid(host.port()).expect("the session's sshd process");
    let stopped = std::process::Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let started = Instant::now();
    let err = within("frozen exec", running)
        .await
        .expect("join")
        .expect_err("must notice");
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(&err, TransportError::Closed { reason, .. } if reason.contains("Timeout, server not responding")),
        "{err:?}"
    );
}

#[tokio::test]
async fn changed_key_with_checking_off_connects_but_never_sends_the_password() {
    sshd::ensure_test_users();
    let host = password_host();
    let kh = host.dir().join("stale_known_hosts");
    let other = host.dir().join("old_host_key");
    sshd::keygen(&other, "old");
    let public = fs::read_to_string(format!("{}.pub", other.display())).expect("pub");
    let mut parts = public.split_whitespace();
    fs::write(
        &kh,
        format!(
            "[{}]:{} {} {}\n",
            host.address(),
            host.port(),
            parts.next().expect("type"),
            parts.next().expect("key")
        ),
    )
    .expect("stale line");
    let mut t = password_only(&host, Some(sshd::SUDO_PASSWORD));
    t.known_hosts = vec![kh.clone()];
    t.host_key_checking = StrictHostKeyChecking::No;
    match connect(&t).await {
        Err(TransportError::Auth { tried, .. }) => assert!(tried.is_empty(), "{tried:?}"),
        other => panic!("the password must be withheld: {other:?}"),
    }
    assert!(
        !host.log().contains("password for kilntest"),
        "{}",
        host.log()
    );
    // A key still works: the host is reachable, only the password is held back.
    let mut t = host.ssh_target();
    t.known_hosts = vec![kh];
    t.host_key_checking = StrictHostKeyChecking::No;
    let conn = connect(&t).await.expect("key login");
    assert_eq!(run(&conn, "echo ok").await, "ok\n");
}
