// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! TLS to a Kubernetes API server is 1.2 or newer and never falls back to
//! plain HTTP (issue 12, "Secure protocols"). The servers here are not API
//! servers: an OpenSSL `s_server` that speaks only one protocol version, and
//! a TCP listener that records the first bytes a client sends. What is
//! checked is the handshake kiln's client agrees to, seen from both sides.

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A test CA (`ca.pem`) and a server certificate for 127.0.0.1 signed by
/// it (`cert.pem`, `key.pem`): rustls rejects a CA used as the end entity.
fn certificate(dir: &Path) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl {args:?} failed");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=kiln-test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    fs::write(
        dir.join("ext.cnf"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// An `openssl s_server` that accepts only `version` (`-tls1_1`, ...),
/// logging each handshake to its stdout file.
struct OpenSslServer {
    child: Child,
    port: u16,
}

impl OpenSslServer {
    fn start(dir: &Path, version: &str) -> OpenSslServer {
        let port = free_port();
        let log = fs::File::create(dir.join(format!("s_server{version}.log"))).expect("log");
        let child = Command::new("openssl")
            .args(["s_server", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(dir.join("cert.pem"))
            .arg("-key")
            .arg(dir.join("key.pem"))
            .arg(version)
            // OpenSSL 3 refuses TLS 1.1 at its default security level; the
            // point is to offer it, so the level goes down to 0.
            .args(["-cipher", "DEFAULT:@SECLEVEL=0", "-www", "-naccept", "4"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s_server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        OpenSslServer { child, port }
    }
}

impl Drop for OpenSslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kubeconfig(dir: &Path, server: &str) -> String {
    let path = dir.join(format!("kubeconfig-{}", server.replace([':', '/'], "_")));
    fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n    certificate-authority: {}\ncontexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\nusers:\n- name: u\n  user: {{token: not-a-secret}}\n",
            dir.join("ca.pem").display()
        ),
    )
    .expect("kubeconfig");
    path.display().to_string()
}

/// Runs one k8s_info task on the controller; returns (exit code, stdout).
fn k8s_info(dir: &Path, kubeconfig: &str) -> (i32, String) {
    let pb = dir.join("site.yml");
    fs::write(
        &pb,
        format!(
            "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - kubernetes.core.k8s_info: {{kind: ConfigMap, namespace: default, kubeconfig: {kubeconfig}}}\n"
        ),
    )
    .expect("playbook");
    let home = dir.join("home");
    fs::create_dir_all(&home).expect("home");
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("playbook")
        .args(["-i", "localhost,", "-c", "local"])
        .arg(&pb)
        .env("HOME", &home)
        .env_remove("KUBECONFIG")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("KILN_K8S_REQUEST_TIMEOUT", "5")
        .output()
        .expect("kiln runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn tls_1_1_and_1_0_servers_are_refused_and_1_2_is_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    certificate(dir.path());

    for version in ["-tls1", "-tls1_1"] {
        let server = OpenSslServer::start(dir.path(), version);
        let kc = kubeconfig(dir.path(), &format!("https://127.0.0.1:{}", server.port));
        let (code, out) = k8s_info(dir.path(), &kc);
        assert_eq!(code, 2, "{version}: the task must fail:\n{out}");
        assert!(
            out.to_lowercase().contains("protocol") || out.to_lowercase().contains("version"),
            "{version}: the failure should name the protocol version:\n{out}"
        );
        drop(server);
        // The server never completed a handshake (s_server logs the
        // protocol of each accepted connection).
        let log = fs::read_to_string(dir.path().join(format!("s_server{version}.log")))
            .unwrap_or_default();
        assert!(
            !log.contains("Protocol version") && !log.contains("CIPHER is"),
            "{version}: a handshake completed:\n{log}"
        );
    }

    // The same server and certificate at TLS 1.2: the handshake completes
    // and the request is sent; s_server answers with its HTML status page,
    // not an API, so the task fails on the body, after TLS.
    let server = OpenSslServer::start(dir.path(), "-tls1_2");
    let kc = kubeconfig(dir.path(), &format!("https://127.0.0.1:{}", server.port));
    let (code, out) = k8s_info(dir.path(), &kc);
    assert_eq!(code, 2, "s_server is no API server:\n{out}");
    assert!(
        out.contains("Error deserializing response"),
        "TLS 1.2 must be accepted and the response read:\n{out}"
    );
}

#[test]
fn an_https_server_url_never_falls_back_to_plain_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    certificate(dir.path());
    // A plain TCP listener standing in for an HTTP-only server: it keeps
    // the first bytes each client sends.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 16];
            let n = s.read(&mut buf).unwrap_or(0);
            record.lock().expect("lock").push(buf[..n].to_vec());
            // Answer like an HTTP server would, which a TLS client must
            // take as a failed handshake, not as a response.
            let _ = std::io::Write::write_all(
                &mut s,
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            );
        }
    });
    let kc = kubeconfig(dir.path(), &format!("https://127.0.0.1:{port}"));
    let (code, out) = k8s_info(dir.path(), &kc);
    assert_eq!(code, 2, "the task must fail:\n{out}");
    let seen = seen.lock().expect("lock").clone();
    assert!(!seen.is_empty(), "kiln never connected");
    for first in &seen {
        // 0x16 0x03: a TLS handshake record. Never "GET " or "POST".
        assert_eq!(
            first.get(..2),
            Some(&[0x16u8, 0x03][..]),
            "kiln sent something other than a TLS ClientHello: {first:?}"
        );
    }
}
