// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The native SSH transport against real OpenSSH servers (see
//! `support/sshd.rs`). Needs root and `openssh-server`.

mod support;

use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln::transport::{
    Connection, SshConnection, StrictHostKeyChecking, TransportError, connect_ssh,
};
use support::agent::Agent;
use support::sshd::{self, TestHost};

/// Every network step of these tests is bounded: a hang is a failure.
async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(30), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within 30 s"),
    }
}

async fn connect(host: &TestHost) -> SshConnection {
    match within("connect", SshConnection::connect(&host.ssh_target())).await {
        Ok(c) => c,
        Err(e) => panic!(
            "connect to {}:{}: {e}\n{}",
            host.address(),
            host.port(),
            host.log()
        ),
    }
}

async fn connect_err(target: &kiln::transport::SshTarget) -> TransportError {
    match within("connect", SshConnection::connect(target)).await {
        Ok(_) => panic!(
            "connecting to {}:{} should have failed",
            target.address, target.port
        ),
        Err(e) => e,
    }
}

fn accepted_logins(host: &TestHost) -> usize {
    host.log().matches("Accepted publickey for root").count()
}

#[tokio::test]
async fn exec_returns_output_exit_code_and_feeds_stdin() {
    let host = TestHost::start();
    let conn = connect(&host).await;

    let out = within("exec", conn.exec("echo out; echo err >&2; exit 3", None))
        .await
        .expect("exec");
    assert_eq!(out.rc, 3);
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");

    let input = b"line one\nbinary \x00\xff bytes\n";
    let out = within("cat", conn.exec("cat", Some(input)))
        .await
        .expect("exec cat");
    assert_eq!(out.rc, 0);
    assert_eq!(out.stdout, input);

    // No stdin given: the command sees EOF at once instead of waiting.
    let out = within("wc", conn.exec("wc -c", None))
        .await
        .expect("exec wc");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");

    // The remote shell interprets the command string.
    let out = within(
        "shell",
        conn.exec("x=$((6*7)); printf '%s' \"$x\" | tee /dev/stderr", None),
    )
    .await
    .expect("exec shell");
    assert_eq!(
        (out.stdout.as_slice(), out.stderr.as_slice()),
        (&b"42"[..], &b"42"[..])
    );
}

#[tokio::test]
async fn large_stdin_and_output_do_not_stall() {
    let host = TestHost::start();
    let conn = connect(&host).await;
    // Several times the SSH window in both directions, so data must flow
    // while the other side is still writing.
    let input: Vec<u8> = (0..6_000_000u32).map(|i| (i % 251) as u8).collect();
    let out = within("cat 6 MB", conn.exec("cat", Some(&input)))
        .await
        .expect("exec cat");
    assert_eq!(out.rc, 0);
    assert_eq!(out.stdout.len(), input.len());
    assert!(out.stdout == input, "stdout differs from stdin");

    // A command that never reads its (large) stdin still finishes.
    let out = within("true", conn.exec("exit 4", Some(&input)))
        .await
        .expect("exec exit");
    assert_eq!(out.rc, 4);
}

#[tokio::test]
async fn killed_by_signal_reports_rc_minus_one() {
    let host = TestHost::start();
    let conn = connect(&host).await;
    let out = within("kill", conn.exec("echo before; kill -TERM $$", None))
        .await
        .expect("exec");
    assert_eq!(out.rc, -1);
    assert_eq!(out.stdout, b"before\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_execs_share_one_session() {
    let host = TestHost::builder().max_sessions(10).start();
    let mut target = host.ssh_target();
    target.max_channels = 8;
    let conn: Arc<dyn Connection> = within("connect", connect_ssh(&target))
        .await
        .expect("connect");

    // Each command holds a marker file in the host's state dir while it
    // runs and records how many markers it saw: that count is how many
    // commands were running at once.
    let dir = host.state_dir().to_path_buf();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let conn = conn.clone();
        let cmd = format!(
            "cd {d} && touch run.{i} && ls run.* | wc -l > seen.{i} && sleep 0.3 && rm run.{i} && echo task {i}",
            d = dir.display()
        );
        tasks.push(tokio::spawn(async move { conn.exec(&cmd, None).await }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let out = within("task", t).await.expect("join").expect("exec");
        assert_eq!(out.rc, 0, "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("task {i}\n"));
    }
    let most = (0..20)
        .map(|i| {
            let text = std::fs::read_to_string(dir.join(format!("seen.{i}"))).expect("seen file");
            text.trim().parse::<usize>().expect("a count")
        })
        .max()
        .unwrap_or(0);
    assert!(most <= 8, "{most} commands ran at once, max_channels is 8");
    assert!(most >= 2, "commands did not run concurrently");
    assert_eq!(
        accepted_logins(&host),
        1,
        "one session expected:\n{}",
        host.log()
    );
    conn.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_limited_to_server_max_sessions() {
    let host = TestHost::builder().max_sessions(2).start();
    let mut target = host.ssh_target();
    target.max_channels = 2;
    let conn = Arc::new(
        within("connect", SshConnection::connect(&target))
            .await
            .expect("connect"),
    );
    let mut tasks = Vec::new();
    for i in 0..12 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            conn.exec(&format!("echo {i}"), None).await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let out = within("task", t)
            .await
            .expect("join")
            .unwrap_or_else(|e| panic!("exec {i}: {e}\n{}", host.log()));
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{i}\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_channels_than_server_allows_still_complete() {
    // Our limit (8) is above sshd's MaxSessions (2): refused opens wait for
    // one of our own channels to close and try again.
    let host = TestHost::builder().max_sessions(2).start();
    let mut target = host.ssh_target();
    target.max_channels = 8;
    let conn = Arc::new(
        within("connect", SshConnection::connect(&target))
            .await
            .expect("connect"),
    );
    let mut tasks = Vec::new();
    for i in 0..10 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            conn.exec(&format!("sleep 0.1; echo {i}"), None).await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let out = within("task", t)
            .await
            .expect("join")
            .unwrap_or_else(|e| panic!("exec {i}: {e}\n{}", host.log()));
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{i}\n"));
    }
    assert!(
        host.log().contains("no more sessions"),
        "the server never refused a channel:\n{}",
        host.log()
    );
}

#[tokio::test]
async fn session_survives_fifty_sequential_execs() {
    let host = TestHost::start();
    let conn = connect(&host).await;
    for i in 0..50 {
        let out = within("exec", conn.exec(&format!("echo {i}"), None))
            .await
            .expect("exec");
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{i}\n"));
    }
    assert_eq!(accepted_logins(&host), 1);
}

#[tokio::test]
async fn root_bashrc_is_not_sourced() {
    let host = TestHost::start();
    let conn = connect(&host).await;
    let out = within(
        "exec",
        conn.exec("wc -c < /root/.bashrc 2>/dev/null || echo none", None),
    )
    .await
    .expect("exec");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.trim() == "0" || text.trim() == "none",
        "bashrc visible to sessions: {text}"
    );
}

#[tokio::test]
async fn unknown_host_key_is_refused() {
    let host = TestHost::start();
    let empty = host.dir().join("empty_known_hosts");
    std::fs::write(&empty, "# nothing here\n").expect("write");
    let mut target = host.ssh_target();
    target.known_hosts = vec![empty, host.dir().join("missing_known_hosts")];
    let err = connect_err(&target).await;
    assert!(matches!(err, TransportError::HostKey { .. }), "{err:?}");
    let msg = err.to_string();
    let expected = format!(
        "No ED25519 host key is known for [{}]:{} and you have requested strict checking.",
        host.address(),
        host.port()
    );
    assert!(msg.starts_with(&expected), "{msg}");
    assert!(msg.ends_with("Host key verification failed."), "{msg}");
}

#[tokio::test]
async fn changed_host_key_names_the_offending_line() {
    let host = TestHost::start();
    let other = host.dir().join("other_key");
    sshd::keygen(&other, "impostor");
    let other_pub = std::fs::read_to_string(other.with_extension("pub")).expect("read pub");
    let kh = host.dir().join("changed_known_hosts");
    let text = format!(
        "# first line\n[{}]:{} {}",
        host.address(),
        host.port(),
        other_pub
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    );
    std::fs::write(&kh, text + "\n").expect("write");
    let mut target = host.ssh_target();
    target.known_hosts = vec![kh.clone()];
    let err = connect_err(&target).await;
    let msg = err.to_string();
    assert!(matches!(err, TransportError::HostKey { .. }), "{err:?}");
    assert!(
        msg.contains("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("Offending ED25519 key in {}:2", kh.display())),
        "{msg}"
    );
    assert!(msg.ends_with("Host key verification failed."), "{msg}");
}

#[tokio::test]
async fn key_for_another_port_does_not_count() {
    let host = TestHost::start();
    let kh = host.dir().join("wrong_port_known_hosts");
    let line = format!(
        "[{}]:{} {}",
        host.address(),
        host.port() ^ 1,
        host.host_public_key()
    );
    std::fs::write(&kh, line + "\n").expect("write");
    let mut target = host.ssh_target();
    target.known_hosts = vec![kh];
    let err = connect_err(&target).await;
    assert!(
        err.to_string().starts_with("No ED25519 host key is known"),
        "{err}"
    );
}

#[tokio::test]
async fn hashed_known_hosts_from_ssh_keygen_is_accepted() {
    let host = TestHost::start();
    let kh = host.dir().join("hashed_known_hosts");
    std::fs::copy(host.known_hosts_path(), &kh).expect("copy");
    let st = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&kh)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("ssh-keygen -H");
    assert!(st.success());
    let text = std::fs::read_to_string(&kh).expect("read");
    assert!(text.starts_with("|1|"), "not hashed: {text}");
    let mut target = host.ssh_target();
    target.known_hosts = vec![kh];
    let conn = within("connect", SshConnection::connect(&target))
        .await
        .expect("connect with hashed entry");
    let out = within("exec", conn.exec("echo ok", None))
        .await
        .expect("exec");
    assert_eq!(out.stdout, b"ok\n");
}

#[tokio::test]
async fn unchecked_host_key_is_accepted() {
    let host = TestHost::start();
    let mut target = host.ssh_target();
    target.known_hosts = vec![host.dir().join("missing_known_hosts")];
    target.host_key_checking = StrictHostKeyChecking::No;
    let conn = within("connect", SshConnection::connect(&target))
        .await
        .expect("connect");
    let out = within("exec", conn.exec("echo ok", None))
        .await
        .expect("exec");
    assert_eq!(out.stdout, b"ok\n");
}

#[tokio::test]
async fn combined_known_hosts_covers_several_hosts() {
    let a = TestHost::start();
    let b = TestHost::start();
    assert_ne!((a.address(), a.port()), (b.address(), b.port()));
    let kh = a.state_dir().join("known_hosts");
    sshd::write_known_hosts(&kh, &[&a, &b]).expect("write");
    for h in [&a, &b] {
        let mut target = h.ssh_target();
        target.known_hosts = vec![kh.clone()];
        let conn = within("connect", SshConnection::connect(&target))
            .await
            .expect("connect");
        let out = within("exec", conn.exec("echo hi", None))
            .await
            .expect("exec");
        assert_eq!(out.stdout, b"hi\n");
    }
}

#[tokio::test]
async fn wrong_client_key_is_permission_denied() {
    let host = TestHost::start();
    let stranger = host.dir().join("stranger_key");
    sshd::keygen(&stranger, "stranger");
    let mut target = host.ssh_target();
    target.private_keys = vec![stranger.clone()];
    let err = connect_err(&target).await;
    assert_eq!(
        err,
        TransportError::Auth {
            user: "root".into(),
            host: host.address().into(),
            methods: "publickey".into(),
            tried: vec![format!("publickey ({})", stranger.display())],
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "root@{}: Permission denied (publickey).\r\nkiln tried: publickey ({})",
            host.address(),
            stranger.display()
        )
    );
}

#[tokio::test]
async fn no_usable_key_still_reports_server_methods() {
    let host = TestHost::start();
    let mut target = host.ssh_target();
    target.private_keys = vec![host.dir().join("no_such_key")];
    let err = connect_err(&target).await;
    assert_eq!(
        err.to_string(),
        format!(
            "root@{}: Permission denied (publickey).\r\nkiln tried no method (no key, agent or password to offer)",
            host.address()
        )
    );
}

#[tokio::test]
async fn encrypted_key_is_skipped_and_next_key_used() {
    let host = TestHost::start();
    let locked = host.dir().join("locked_key");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "secret", "-C", "locked", "-f"])
        .arg(&locked)
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
    let mut target = host.ssh_target();
    target.private_keys = vec![locked, sshd::client_key_path().to_path_buf()];
    let conn = within("connect", SshConnection::connect(&target))
        .await
        .expect("connect");
    assert_eq!(
        within("exec", conn.exec("echo ok", None))
            .await
            .expect("exec")
            .stdout,
        b"ok\n"
    );
}

#[tokio::test]
async fn rsa_key_signs_with_sha2() {
    let host = TestHost::start();
    let rsa = host.dir().join("rsa_key");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "rsa", "-f"])
        .arg(&rsa)
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
    let rsa_pub = std::fs::read_to_string(rsa.with_extension("pub")).expect("read");
    sshd::append_line(&host.dir().join("authorized_keys"), rsa_pub.trim()).expect("authorize");
    let mut target = host.ssh_target();
    target.private_keys = vec![rsa];
    // OpenSSH 8.8+ refuses SHA-1 `ssh-rsa` signatures by default, so a
    // login proves an rsa-sha2 signature was used.
    let conn = within("connect", SshConnection::connect(&target))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
    assert_eq!(
        within("exec", conn.exec("echo ok", None))
            .await
            .expect("exec")
            .stdout,
        b"ok\n"
    );
    assert!(
        host.log().contains("Accepted publickey for root"),
        "{}",
        host.log()
    );
    assert!(host.log().contains(": RSA SHA256:"), "{}", host.log());
}

#[tokio::test]
async fn agent_keys_are_offered_after_files() {
    let host = TestHost::start();
    let agent = Agent::start(host.state_dir());
    agent.add(sshd::client_key_path());
    let stranger = host.dir().join("stranger_key");
    sshd::keygen(&stranger, "stranger");
    let mut target = host.ssh_target();
    target.private_keys = vec![stranger];
    target.use_agent = true;
    target.agent_socket = Some(agent.socket.clone());
    let conn = within("connect", SshConnection::connect(&target))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
    assert_eq!(
        within("exec", conn.exec("echo ok", None))
            .await
            .expect("exec")
            .stdout,
        b"ok\n"
    );

    // Without the agent the same target is refused.
    target.use_agent = false;
    let err = connect_err(&target).await;
    assert!(matches!(err, TransportError::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn refused_connection_is_reported_as_openssh_does() {
    // A port that was free a moment ago and has no listener now.
    let port = {
        let l = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut target = kiln::transport::SshTarget::new("127.0.0.1");
    target.port = port;
    let err = connect_err(&target).await;
    assert_eq!(
        err,
        TransportError::Connect {
            host: "127.0.0.1".into(),
            port,
            reason: "Connection refused".into()
        }
    );
    assert_eq!(
        err.to_string(),
        format!("ssh: connect to host 127.0.0.1 port {port}: Connection refused")
    );
}

#[tokio::test]
async fn unresolvable_name_is_reported_as_openssh_does() {
    let target = kiln::transport::SshTarget::new("no-such-host.invalid");
    let err = connect_err(&target).await;
    let TransportError::Resolve { host, reason } = &err else {
        panic!("expected a resolve error, got {err:?}");
    };
    assert_eq!(host, "no-such-host.invalid");
    // glibc says which: no such name, or no DNS server to ask.
    assert!(
        reason == "Name or service not known" || reason == "Temporary failure in name resolution",
        "{reason}"
    );
    assert!(
        err.to_string()
            .starts_with("ssh: Could not resolve hostname no-such-host.invalid: ")
    );
}

#[tokio::test]
async fn stopped_server_fails_exec_instead_of_hanging() {
    let mut host = TestHost::start();
    let conn = Arc::new(connect(&host).await);
    assert_eq!(
        within("exec", conn.exec("echo up", None))
            .await
            .expect("exec")
            .stdout,
        b"up\n"
    );

    // One command is running when the server goes away.
    let running = {
        let conn = conn.clone();
        tokio::spawn(async move { conn.exec("sleep 60", None).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    host.stop();
    assert!(!host.is_running());

    let err = within("running exec", running)
        .await
        .expect("join")
        .expect_err("sleep must fail");
    assert!(
        matches!(
            err,
            TransportError::Closed { .. } | TransportError::Protocol(_)
        ),
        "{err:?}"
    );
    // The next command finds the session gone and tries to reconnect once,
    // which the stopped server refuses.
    let err = within("exec after stop", conn.exec("echo again", None))
        .await
        .expect_err("must fail");
    assert!(
        matches!(
            &err,
            TransportError::Connect { reason, .. } if reason == "Connection refused"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn closed_connection_refuses_exec() {
    let host = TestHost::start();
    let conn = connect(&host).await;
    conn.close().await;
    let err = within("exec after close", conn.exec("echo x", None))
        .await
        .expect_err("closed");
    assert!(matches!(err, TransportError::Closed { .. }), "{err:?}");
}

/// A TCP server on a free loopback port that accepts one connection and
/// hands it to `serve` on a thread. Returns the port.
fn fake_server(serve: impl FnOnce(std::net::TcpStream) + Send + 'static) -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            serve(stream);
        }
    });
    port
}

#[tokio::test]
async fn silent_server_times_out_in_banner_exchange() {
    let port = fake_server(|stream| {
        // Say nothing, for longer than the client waits.
        std::thread::sleep(Duration::from_secs(5));
        drop(stream);
    });
    let mut target = kiln::transport::SshTarget::new("127.0.0.1");
    target.port = port;
    target.connect_timeout = Duration::from_secs(1);
    let start = Instant::now();
    let err = connect_err(&target).await;
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(
        err.to_string(),
        format!(
            "ssh: connect to host 127.0.0.1 port {port}: Connection timed out during banner exchange"
        )
    );
}

#[tokio::test]
async fn server_hanging_up_at_once_is_closed() {
    let port = fake_server(drop);
    let mut target = kiln::transport::SshTarget::new("127.0.0.1");
    target.port = port;
    let err = connect_err(&target).await;
    assert!(matches!(err, TransportError::Closed { .. }), "{err:?}");
}

#[tokio::test]
async fn identities_only_keeps_other_agent_keys_out() {
    let host = TestHost::start();
    let agent = Agent::start(host.state_dir());
    agent.add(sshd::client_key_path());
    let stranger = host.dir().join("stranger_key");
    sshd::keygen(&stranger, "stranger");
    let mut target = host.ssh_target();
    target.private_keys = vec![stranger.clone()];
    target.use_agent = true;
    target.agent_socket = Some(agent.socket.clone());
    target.identities_only = true;
    // The agent holds the right key, but it is not a configured identity.
    match connect_err(&target).await {
        TransportError::Auth { tried, .. } => {
            assert_eq!(tried, [format!("publickey ({})", stranger.display())]);
        }
        other => panic!("{other:?}"),
    }
    // Configured, it may come from the agent: the file here is only the
    // public half, as with a key whose private half lives in the agent.
    let public_only = host.dir().join("client_public_only");
    std::fs::copy(
        sshd::client_key_path().with_extension("pub"),
        public_only.with_extension("pub"),
    )
    .expect("copy public key");
    std::fs::write(&public_only, "not a private key\n").expect("placeholder");
    target.private_keys = vec![public_only];
    let conn = within("connect", SshConnection::connect(&target))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
    assert_eq!(
        within("exec", conn.exec("echo ok", None))
            .await
            .expect("exec")
            .stdout,
        b"ok\n"
    );
}

/// Every key type and file format item 1 of issue 6 names logs in: ed25519,
/// ECDSA on all three curves (P-521 included), RSA (signing with SHA-2:
/// SHA-1 is refused, see tests/ssh_algorithms.rs), each in OpenSSH's own
/// format and in PEM (`ssh-keygen -m PEM`: PKCS#1 for RSA, SEC1 for ECDSA).
#[tokio::test]
async fn every_key_type_and_format_logs_in() {
    let host = TestHost::start();
    let authorized = host.dir().join("authorized_keys");
    let kinds: [(&str, &str, &str); 8] = [
        ("ed25519", "", "RFC4716"),
        ("ecdsa", "256", "RFC4716"),
        ("ecdsa", "384", "PEM"),
        ("ecdsa", "521", "RFC4716"),
        ("ecdsa", "521", "PEM"),
        ("rsa", "2048", "RFC4716"),
        ("rsa", "3072", "PEM"),
        ("rsa", "4096", "PKCS8"),
    ];
    for (kind, bits, format) in kinds {
        let key = host.dir().join(format!("id_{kind}{bits}_{format}"));
        let mut cmd = Command::new("ssh-keygen");
        cmd.args(["-q", "-t", kind, "-N", "", "-C", "kind-test", "-f"])
            .arg(&key);
        if !bits.is_empty() {
            cmd.args(["-b", bits]);
        }
        // RFC4716 is ssh-keygen's name for its default (OpenSSH) format.
        cmd.args(["-m", format]);
        let st = cmd.status().expect("ssh-keygen");
        assert!(st.success(), "ssh-keygen {kind} {bits} {format}");
        let text = std::fs::read_to_string(&key).expect("key");
        let expect_header = match (kind, format) {
            (_, "RFC4716") => "-----BEGIN OPENSSH PRIVATE KEY-----",
            ("rsa", "PEM") => "-----BEGIN RSA PRIVATE KEY-----",
            ("ecdsa", "PEM") => "-----BEGIN EC PRIVATE KEY-----",
            _ => "-----BEGIN PRIVATE KEY-----",
        };
        assert!(text.starts_with(expect_header), "{kind} {format}: {text}");
        let public = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
        sshd::append_line(&authorized, public.trim()).expect("authorize");

        let mut target = host.ssh_target();
        target.private_keys = vec![key.clone()];
        target.use_agent = false;
        let conn = within("connect", SshConnection::connect(&target))
            .await
            .unwrap_or_else(|e| panic!("{kind} {bits} {format}: {e}\n{}", host.log()));
        let out = within("exec", conn.exec("echo ok", None))
            .await
            .expect("exec");
        assert_eq!(out.stdout, b"ok\n", "{kind} {bits} {format}");
        conn.close().await;
        let log = host.log();
        let shown = match kind {
            "ed25519" => "ED25519".to_string(),
            "ecdsa" => "ECDSA".to_string(),
            _ => "RSA".to_string(),
        };
        let last = log
            .lines()
            .rfind(|l| l.contains("Accepted publickey for root"))
            .unwrap_or_default();
        assert!(
            last.contains(&format!("ssh2: {shown} SHA256:")),
            "{kind} {bits} {format}: {log}"
        );
    }
}

/// `ConnectionAttempts`: a server that comes up while kiln is still trying
/// (connects a second apart) is reached; with one attempt it is refused.
#[tokio::test]
async fn connection_attempts_wait_for_a_server_coming_up() {
    let mut host = TestHost::start();
    let mut target = host.ssh_target();
    host.stop();
    target.connection_attempts = 1;
    let err = connect_err(&target).await;
    assert!(err.to_string().ends_with("Connection refused"), "{err}");

    target.connection_attempts = 5;
    let started = Instant::now();
    let restarter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        host.restart();
        host
    });
    let conn = within("connect", SshConnection::connect(&target))
        .await
        .unwrap_or_else(|e| panic!("attempts did not wait for the server: {e}"));
    let host = restarter.join().expect("restart");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let out = within("exec", conn.exec("echo ok", None))
        .await
        .expect("exec");
    assert_eq!(out.stdout, b"ok\n", "{}", host.log());
    conn.close().await;
}

/// About one ECDSA P-256 key in 512 has a private scalar OpenSSH writes in
/// 31 bytes or fewer, which the key library refuses; such a key logs in
/// (the committed test-only key is one, found by generating keys).
#[tokio::test]
async fn an_ecdsa_key_with_a_short_scalar_logs_in() {
    let host = TestHost::start();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys");
    let key = host.dir().join("id_short");
    std::fs::copy(fixtures.join("ecdsa256_short_scalar"), &key).expect("copy");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let public = std::fs::read_to_string(fixtures.join("ecdsa256_short_scalar.pub")).expect("pub");
    sshd::append_line(&host.dir().join("authorized_keys"), public.trim()).expect("authorize");
    let mut target = host.ssh_target();
    target.private_keys = vec![key];
    target.use_agent = false;
    let conn = within("connect", SshConnection::connect(&target))
        .await
        .unwrap_or_else(|e| panic!("short scalar: {e}\n{}", host.log()));
    let out = within("exec", conn.exec("echo ok", None))
        .await
        .expect("exec");
    assert_eq!(out.stdout, b"ok\n");
    conn.close().await;
    let last = host
        .log()
        .lines()
        .rfind(|l| l.contains("Accepted publickey for root"))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(last.contains("ssh2: ECDSA SHA256:"), "{last}");
}
