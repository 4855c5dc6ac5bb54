// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Weak SSH algorithms are refused (issue #6 and #12 item 6): against an
//! OpenSSH sshd that offers only the weak algorithm, kiln fails with
//! OpenSSH's "Unable to negotiate" words; when the host's ssh config asks
//! for that algorithm by name, kiln connects (with a warning). One test per
//! refusal: SHA-1 RSA host key signatures, SHA-1 RSA user signatures, DSA,
//! CBC ciphers, SHA-1 MACs and SHA-1 key exchange.

mod support;

use std::future::Future;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kiln::transport::ssh_config::resolve;
use kiln::transport::{
    AlgorithmSpec, Connection, SshConnection, SshRequest, SshTarget, TransportError,
};
use support::sshd::{self, TestHost};

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(30), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within 30 s"),
    }
}

async fn refused(host: &TestHost, target: &SshTarget) -> String {
    match within("connect", SshConnection::connect(target)).await {
        Ok(_) => panic!("connecting should have been refused\n{}", host.log()),
        Err(e) => e.to_string(),
    }
}

async fn works(host: &TestHost, target: &SshTarget) {
    let conn = match within("connect", SshConnection::connect(target)).await {
        Ok(c) => c,
        Err(e) => panic!("connect: {e}\n{}", host.log()),
    };
    let out = within("exec", conn.exec("echo ok", None))
        .await
        .expect("exec");
    assert_eq!(out.stdout, b"ok\n");
    conn.close().await;
}

fn keygen(path: &Path, kind: &str) {
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-t", kind, "-N", "", "-C", kind, "-f"])
        .arg(path);
    if kind == "rsa" {
        cmd.args(["-b", "2048"]);
    }
    let st = cmd.status().expect("ssh-keygen");
    assert!(st.success(), "ssh-keygen -t {kind}");
}

/// A host whose only host key is of `kind`, offered only as `algorithm`,
/// and a target that knows that key.
fn host_with_key(kind: &str, algorithm: &str) -> (tempfile::TempDir, TestHost, SshTarget) {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = keys.path().join(format!("host_{kind}"));
    keygen(&key, kind);
    let host = TestHost::builder()
        .config_line(format!("HostKey {}", key.display()))
        .config_line(format!("HostKeyAlgorithms {algorithm}"))
        .start();
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    let kh = keys.path().join("known_hosts");
    std::fs::write(
        &kh,
        format!(
            "[{}]:{} {}\n{}\n",
            host.address(),
            host.port(),
            public.join(" "),
            host.known_hosts_line()
        ),
    )
    .expect("known_hosts");
    let mut t = host.ssh_target();
    t.known_hosts = vec![kh];
    (keys, host, t)
}

#[tokio::test]
async fn sha1_rsa_host_key_signature_is_refused_unless_asked_for() {
    let (_keys, host, mut t) = host_with_key("rsa", "ssh-rsa");
    let err = refused(&host, &t).await;
    assert_eq!(
        err,
        format!(
            "Unable to negotiate with {} port {}: no matching host key type found. Their offer: ssh-rsa\r\nkiln refuses weak SSH algorithms unless the host's ssh config asks for one (e.g. `HostKeyAlgorithms +ssh-rsa`)",
            host.address(),
            host.port()
        )
    );
    t.algorithms.host_keys = Some("+ssh-rsa".into());
    works(&host, &t).await;
}

#[tokio::test]
async fn dsa_is_never_offered() {
    // OpenSSH builds without DSA (10.0 and later) cannot make the key.
    let probe = tempfile::tempdir().expect("tempdir");
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "dsa", "-N", "", "-f"])
        .arg(probe.path().join("k"))
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("this OpenSSH cannot make DSA keys; nothing to refuse");
        return;
    }
    let (_keys, host, mut t) = host_with_key("dsa", "ssh-dss");
    let err = refused(&host, &t).await;
    assert!(
        err.ends_with(
            "no matching host key type found. Their offer: ssh-dss\r\nkiln never offers DSA"
        ),
        "{err}"
    );
    // Even a config naming it does not bring DSA back.
    t.algorithms.host_keys = Some("+ssh-dss".into());
    let err = refused(&host, &t).await;
    assert!(err.contains("Their offer: ssh-dss"), "{err}");
}

#[tokio::test]
async fn cbc_ciphers_are_refused_unless_asked_for() {
    let host = TestHost::builder()
        .config_line("Ciphers aes128-cbc,aes256-cbc")
        .start();
    let mut t = host.ssh_target();
    let err = refused(&host, &t).await;
    assert_eq!(
        err,
        format!(
            "Unable to negotiate with {} port {}: no matching cipher found. Their offer: aes128-cbc,aes256-cbc\r\nkiln refuses weak SSH algorithms unless the host's ssh config asks for one (e.g. `Ciphers +aes128-cbc`)",
            host.address(),
            host.port()
        )
    );
    t.algorithms.ciphers = Some("+aes256-cbc".into());
    works(&host, &t).await;
}

#[tokio::test]
async fn sha1_macs_are_refused_unless_asked_for() {
    // A cipher without its own MAC, so the MAC list is negotiated.
    let host = TestHost::builder()
        .config_line("Ciphers aes128-ctr")
        .config_line("MACs hmac-sha1,hmac-sha1-etm@openssh.com")
        .start();
    let mut t = host.ssh_target();
    let err = refused(&host, &t).await;
    assert!(
        err.contains(
            "no matching MAC found. Their offer: hmac-sha1,hmac-sha1-etm@openssh.com\r\nkiln refuses weak"
        ),
        "{err}"
    );
    t.algorithms.macs = Some("hmac-sha1-etm@openssh.com".into());
    works(&host, &t).await;
}

#[tokio::test]
async fn sha1_key_exchange_is_refused_unless_asked_for() {
    let host = TestHost::builder()
        .config_line("KexAlgorithms diffie-hellman-group14-sha1")
        .start();
    let mut t = host.ssh_target();
    let err = refused(&host, &t).await;
    assert!(
        err.contains(
            "no matching key exchange method found. Their offer: diffie-hellman-group14-sha1\r\n"
        ),
        "{err}"
    );
    t.algorithms.kex = Some("+diffie-hellman-group14-sha1".into());
    works(&host, &t).await;
}

#[tokio::test]
async fn sha1_rsa_user_signatures_are_never_sent_by_default() {
    let host = TestHost::builder()
        .config_line("PubkeyAcceptedAlgorithms ssh-rsa")
        .start();
    let rsa = host.dir().join("rsa_user");
    keygen(&rsa, "rsa");
    let public = std::fs::read_to_string(rsa.with_extension("pub")).expect("pub");
    sshd::append_line(&host.dir().join("authorized_keys"), public.trim()).expect("authorize");
    let mut t = host.ssh_target();
    t.private_keys = vec![rsa.clone()];
    // sshd still lists rsa-sha2-* in server-sig-algs, so kiln signs with
    // SHA-2, which this server refuses: no SHA-1 signature is ever sent.
    let err = refused(&host, &t).await;
    assert_eq!(
        err,
        format!(
            "root@{}: Permission denied (publickey).\r\nkiln tried: publickey ({})",
            host.address(),
            rsa.display()
        )
    );
    assert!(!host.log().contains("Accepted publickey"), "{}", host.log());
    assert!(
        !host.log().contains("RSA SHA1") && !host.log().contains("ssh-rsa SHA256"),
        "{}",
        host.log()
    );
}

/// The opt-in comes from the ssh config files, per host, as users write it.
#[tokio::test]
async fn ssh_config_algorithm_options_reach_the_connection() {
    let host = TestHost::builder()
        .config_line("Ciphers aes128-cbc")
        .start();
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join(".ssh")).expect("mkdir");
    let block = |alias: &str, extra: &str| {
        format!(
            "Host {alias}\n  HostName {}\n  Port {}\n  User root\n  IdentityFile {}\n  UserKnownHostsFile {}\n{extra}",
            host.address(),
            host.port(),
            sshd::client_key_path().display(),
            host.known_hosts_path().display()
        )
    };
    let config = block("old", "  Ciphers +aes128-cbc\n") + &block("new", "");
    std::fs::write(home.path().join(".ssh/config"), config).expect("config");
    let target = |dest: &str| {
        let mut r = SshRequest::new(dest, home.path());
        r.system_config = None;
        r.timeout = Duration::from_secs(8);
        resolve(&r).expect("resolve")
    };
    let old = target("old");
    assert_eq!(
        old.algorithms,
        AlgorithmSpec {
            ciphers: Some("+aes128-cbc".into()),
            ..Default::default()
        }
    );
    works(&host, &old).await;
    let err = match within("connect", SshConnection::connect(&target("new"))).await {
        Ok(_) => panic!("the host without the opt-in must be refused"),
        Err(e) => e,
    };
    assert!(
        matches!(&err, TransportError::Negotiate { detail, .. } if detail.starts_with("no matching cipher found")),
        "{err}"
    );
}
