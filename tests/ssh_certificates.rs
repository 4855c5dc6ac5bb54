// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! OpenSSH certificates against a real sshd: user certificates signed by a
//! test CA (sshd's `TrustedUserCAKeys`), found beside the key
//! (`KEY-cert.pub`) or named by `CertificateFile`; host certificates
//! (sshd's `HostCertificate`) trusted through a known_hosts
//! `@cert-authority` line, and refused when they do not name the host or
//! their CA is `@revoked`.

mod support;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kiln::transport::ssh_config::resolve;
use kiln::transport::{Connection, SshConnection, SshRequest, SshTarget};
use support::agent::Agent;
use support::sshd::{self, TestHost};

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(30), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within 30 s"),
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "k", "-f"])
        .arg(path));
}

/// Signs `key.pub` with `ca` for `principals`; `host` makes a host
/// certificate. The certificate is `key-cert.pub`.
fn sign(ca: &Path, key: &Path, principals: &str, host: bool) -> PathBuf {
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-s"])
        .arg(ca)
        .args(["-I", "kiln-test-cert"]);
    if host {
        cmd.arg("-h");
    }
    cmd.args(["-n", principals, "-V", "-5m:+1h"])
        .arg(key.with_extension("pub"));
    run(&mut cmd);
    let mut p = key.as_os_str().to_owned();
    p.push("-cert.pub");
    PathBuf::from(p)
}

fn public_line(key: &Path) -> String {
    let text = std::fs::read_to_string(key.with_extension("pub")).expect("read pub");
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn login(host: &TestHost, t: &SshTarget) -> Result<(), String> {
    let conn = within("connect", SshConnection::connect(t))
        .await
        .map_err(|e| e.to_string())?;
    let out = within("exec", conn.exec("echo ok", None))
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(out.stdout, b"ok\n", "{}", host.log());
    conn.close().await;
    Ok(())
}

/// Logs in with `t` and checks that sshd accepted the test certificate.
async fn logs_in_with_the_certificate(host: &TestHost, t: &SshTarget) {
    login(host, t)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
    let log = host.log();
    assert!(
        log.contains("Accepted publickey for root") && log.contains("ED25519-CERT"),
        "{log}"
    );
    assert!(log.contains("ID kiln-test-cert"), "{log}");
}

/// A host trusting user certificates from a fresh CA, and a user key (not
/// in authorized_keys) with its certificate beside it.
fn user_ca_host() -> (tempfile::TempDir, TestHost, PathBuf) {
    let keys = tempfile::tempdir().expect("tempdir");
    let ca = keys.path().join("user_ca");
    keygen(&ca);
    let host = TestHost::builder()
        .config_line(format!(
            "TrustedUserCAKeys {}",
            ca.with_extension("pub").display()
        ))
        .start();
    let user = keys.path().join("user_key");
    keygen(&user);
    sign(&ca, &user, "root", false);
    (keys, host, user)
}

#[tokio::test]
async fn user_certificate_beside_the_key_logs_in() {
    let (_keys, host, user) = user_ca_host();
    let mut t = host.ssh_target();
    t.private_keys = vec![user.clone()];
    logs_in_with_the_certificate(&host, &t).await;

    // The same key without its certificate is not authorized.
    std::fs::remove_file(format!("{}-cert.pub", user.display())).expect("rm cert");
    let err = login(&host, &t)
        .await
        .expect_err("no certificate, no login");
    assert!(err.contains("Permission denied (publickey)"), "{err}");
}

#[tokio::test]
async fn certificate_held_by_the_agent_logs_in() {
    let (keys, host, user) = user_ca_host();
    // `ssh-add KEY` loads `KEY-cert.pub` beside it too: the agent then
    // holds the key and its certificate. No file is named to kiln.
    let agent = Agent::start(keys.path());
    agent.add(&user);
    let mut t = host.ssh_target();
    t.private_keys = vec![keys.path().join("absent_key")];
    t.use_agent = true;
    t.agent_socket = Some(agent.socket.clone());
    logs_in_with_the_certificate(&host, &t).await;

    // An agent holding only the bare key (not in authorized_keys) gets no
    // login: the certificate is what let us in.
    let bare = keys.path().join("bare");
    std::fs::create_dir(&bare).expect("mkdir");
    std::fs::copy(&user, bare.join("user_key")).expect("copy key");
    let bare_agent = Agent::start(&bare);
    bare_agent.add(&bare.join("user_key"));
    t.agent_socket = Some(bare_agent.socket.clone());
    let err = login(&host, &t).await.expect_err("bare key, no login");
    assert!(err.contains("Permission denied (publickey)"), "{err}");
}

#[tokio::test]
async fn certificate_file_from_ssh_config_logs_in() {
    let (keys, host, user) = user_ca_host();
    // Moved away from the key: only `CertificateFile` finds it.
    let moved = keys.path().join("elsewhere.cert");
    std::fs::rename(format!("{}-cert.pub", user.display()), &moved).expect("mv cert");
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join(".ssh")).expect("mkdir");
    std::fs::write(
        home.path().join(".ssh/config"),
        format!(
            "Host certified\n  HostName {}\n  Port {}\n  User root\n  IdentityFile {}\n  CertificateFile {}\n  UserKnownHostsFile {}\n  IdentityAgent none\n",
            host.address(),
            host.port(),
            user.display(),
            moved.display(),
            host.known_hosts_path().display()
        ),
    )
    .expect("config");
    let mut r = SshRequest::new("certified", home.path());
    r.system_config = None;
    r.timeout = Duration::from_secs(8);
    let t = resolve(&r).expect("resolve");
    assert_eq!(t.certificate_files, vec![moved.clone()]);
    login(&host, &t)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
    assert!(host.log().contains("ED25519-CERT"), "{}", host.log());
}

/// A host presenting a certificate for `principals` signed by a fresh host
/// CA, and a known_hosts file that trusts that CA for it and holds no plain
/// key for it.
fn host_with_certificate(principals: Option<&str>) -> (tempfile::TempDir, TestHost, SshTarget) {
    let keys = tempfile::tempdir().expect("tempdir");
    let ca = keys.path().join("host_ca");
    keygen(&ca);
    let mut host = TestHost::start();
    let host_key = host.dir().join("ssh_host_ed25519_key");
    let names = principals.unwrap_or(host.address()).to_string();
    let cert = sign(&ca, &host_key, &names, true);
    sshd::append_line(
        &host.dir().join("sshd_config"),
        &format!("HostCertificate {}", cert.display()),
    )
    .expect("sshd_config");
    host.restart();
    let kh = keys.path().join("known_hosts");
    std::fs::write(
        &kh,
        format!(
            "@cert-authority [{}]:{} {}\n",
            host.address(),
            host.port(),
            public_line(&ca)
        ),
    )
    .expect("known_hosts");
    let mut t = host.ssh_target();
    t.known_hosts = vec![kh];
    (keys, host, t)
}

#[tokio::test]
async fn host_certificate_from_a_trusted_ca_is_accepted() {
    let (_keys, host, t) = host_with_certificate(None);
    login(&host, &t)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
}

#[tokio::test]
async fn host_certificate_for_another_name_is_refused() {
    let (_keys, host, t) = host_with_certificate(Some("other.example"));
    let err = login(&host, &t).await.expect_err("wrong principal");
    assert_eq!(
        err,
        format!(
            "Certificate invalid: name is not a listed principal ({})\r\nHost key verification failed.",
            host.address()
        )
    );
}

#[tokio::test]
async fn host_certificate_of_a_revoked_ca_is_refused() {
    let (keys, host, t) = host_with_certificate(None);
    let ca_line = public_line(&keys.path().join("host_ca"));
    sshd::append_line(&t.known_hosts[0], &format!("@revoked * {ca_line}")).expect("revoke");
    let err = login(&host, &t).await.expect_err("revoked CA");
    assert!(
        err.starts_with("Certificate invalid: the host certificate of")
            && err.contains("marked as revoked"),
        "{err}"
    );
}

#[tokio::test]
async fn untrusted_host_certificate_falls_back_to_the_plain_key() {
    // The CA line is for another CA: the plain key in known_hosts decides.
    let (keys, host, mut t) = host_with_certificate(None);
    let other = keys.path().join("other_ca");
    keygen(&other);
    let kh = keys.path().join("known_hosts2");
    std::fs::write(
        &kh,
        format!(
            "@cert-authority * {}\n{}\n",
            public_line(&other),
            host.known_hosts_line()
        ),
    )
    .expect("known_hosts");
    t.known_hosts = vec![kh.clone()];
    login(&host, &t)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", host.log()));
    // Without the plain key, nothing vouches for the host.
    std::fs::write(&kh, format!("@cert-authority * {}\n", public_line(&other))).expect("kh");
    let err = login(&host, &t).await.expect_err("unknown host");
    assert!(err.contains("Host key verification failed."), "{err}");
}
