// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `url` lookup against a local HTTPS server started by the test, with a
//! certificate from a test CA: lines and whole bodies, the CA given by
//! `ca_path`, refusal of an unknown CA, `validate_certs=False`, headers,
//! credentials on a Basic challenge and forced, redirects, HTTP errors and
//! the timeout. Nothing leaves 127.0.0.1.

mod support;

use base64::Engine;
use kiln::template::{Resolver, Templar, TemplateError};
use minijinja::Value;
use std::io::{Read, Write};
use std::net::TcpListener;

struct NoVars;

impl Resolver for NoVars {
    fn resolve(&self, _: &str) -> Result<Option<Value>, TemplateError> {
        Ok(None)
    }
}

fn respond(path: &str, head: &str) -> (&'static str, Vec<(String, String)>, Vec<u8>) {
    let lower = head.to_ascii_lowercase();
    let ok = |b: &[u8]| ("200 OK", vec![], b.to_vec());
    let basic = format!(
        "authorization: basic {}",
        base64::engine::general_purpose::STANDARD
            .encode("kiln:s3cret")
            .to_ascii_lowercase()
    );
    match path {
        "/lines" => ok(b"one\ntwo\r\nthree\n"),
        "/agent" => ok(head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("user-agent:"))
            .unwrap_or("none")
            .as_bytes()),
        "/headers" if lower.contains("x-kiln: yes") => ok(b"header seen"),
        "/headers" => ("400 Bad Request", vec![], b"missing".to_vec()),
        "/auth" if lower.contains(&basic) => ok(b"authorised"),
        "/auth" => (
            "401 Unauthorized",
            vec![("WWW-Authenticate".into(), "Basic realm=\"k\"".into())],
            b"no".to_vec(),
        ),
        // Accepts only credentials sent at once (no challenge).
        "/forced" if lower.contains(&basic) => ok(b"forced ok"),
        "/forced" => ("403 Forbidden", vec![], b"no".to_vec()),
        "/redirect" => (
            "302 Found",
            vec![("Location".into(), "/lines".into())],
            vec![],
        ),
        _ => ("404 Not Found", vec![], b"nope".to_vec()),
    }
}

fn handle(mut s: support::https::Tls) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
    if path == "/slow" {
        std::thread::sleep(std::time::Duration::from_secs(4));
        return;
    }
    let (status, headers, body) = respond(&path, &head);
    let mut resp = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        resp.push_str(&format!("{k}: {v}\r\n"));
    }
    resp.push_str("\r\n");
    let _ = s.write_all(resp.as_bytes());
    let _ = s.write_all(&body);
    s.conn.send_close_notify();
    let _ = s.flush();
}

#[test]
fn url_lookup_over_https() {
    let pki = kube_fake::Pki::generate("kiln url CA").expect("pki");
    let other = kube_fake::Pki::generate("another CA").expect("pki");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).expect("ca");
    let wrong = dir.path().join("other.pem");
    std::fs::write(&wrong, &other.ca_pem).expect("other ca");
    let port = support::https::serve(&pki, handle);
    let base = format!("https://127.0.0.1:{port}");
    let templar = Templar::new();
    let render = |expr: &str| -> Result<String, String> {
        let t = format!("{{{{ {} }}}}", expr.replace("BASE", &base));
        templar
            .render(&t, &NoVars)
            .map(|v| kiln::template::py_repr(&v))
            .map_err(|e| e.message)
    };
    let ca_opt = format!("ca_path='{}'", ca.display());

    // Lines by default (query gives the list), the whole text with
    // split_lines=False; lookup() joins the lines with commas.
    assert_eq!(
        render(&format!("query('url', 'BASE/lines', {ca_opt})")),
        Ok("['one', 'two', 'three']".into())
    );
    assert_eq!(
        render(&format!("lookup('url', 'BASE/lines', {ca_opt})")),
        Ok("'one,two,three'".into())
    );
    assert_eq!(
        render(&format!(
            "lookup('url', 'BASE/lines', split_lines=False, {ca_opt})"
        )),
        Ok("'one\\ntwo\\r\\nthree\\n'".into())
    );
    // The user agent, default and given.
    assert_eq!(
        render(&format!("lookup('url', 'BASE/agent', {ca_opt})")),
        Ok("'User-Agent: ansible-httpget'".into())
    );
    assert_eq!(
        render(&format!(
            "lookup('url', 'BASE/agent', http_agent='kiln-test', {ca_opt})"
        )),
        Ok("'User-Agent: kiln-test'".into())
    );

    // Certificates: an unknown CA is refused, validate_certs=False takes it.
    let refused = render(&format!(
        "lookup('url', 'BASE/lines', ca_path='{}')",
        wrong.display()
    ))
    .expect_err("an unknown CA must be refused");
    assert!(
        refused.contains(&format!(
            "Error validating the server's certificate for {base}/lines"
        )),
        "{refused}"
    );
    assert_eq!(
        render(&format!(
            "lookup('url', 'BASE/lines', validate_certs=False, ca_path='{}')",
            wrong.display()
        )),
        Ok("'one,two,three'".into())
    );

    // Headers and credentials.
    assert_eq!(
        render(&format!(
            "lookup('url', 'BASE/headers', headers={{'X-Kiln': 'yes'}}, {ca_opt})"
        )),
        Ok("'header seen'".into())
    );
    assert_eq!(
        render(&format!(
            "lookup('url', 'BASE/auth', username='kiln', password='s3cret', {ca_opt})"
        )),
        Ok("'authorised'".into())
    );
    let forbidden = render(&format!(
        "lookup('url', 'BASE/forced', username='kiln', password='s3cret', {ca_opt})"
    ))
    .expect_err("credentials wait for a challenge unless forced");
    assert!(
        forbidden.contains("HTTP Error 403: Forbidden"),
        "{forbidden}"
    );
    assert_eq!(
        render(&format!(
            "lookup('url', 'BASE/forced', username='kiln', password='s3cret', force_basic_auth=True, {ca_opt})"
        )),
        Ok("'forced ok'".into())
    );

    // Redirects are followed; errors name the URL (password masked).
    assert_eq!(
        render(&format!("lookup('url', 'BASE/redirect', {ca_opt})")),
        Ok("'one,two,three'".into())
    );
    let missing = render(&format!(
        "lookup('url', 'https://kiln:pw@127.0.0.1:{port}/missing', {ca_opt})"
    ))
    .expect_err("404");
    assert!(
        missing.contains(&format!(
            "Received HTTP error for https://kiln:********@127.0.0.1:{port}/missing: HTTP Error 404: Not Found"
        )),
        "{missing}"
    );
    let ignored = render(&format!(
        "lookup('url', 'BASE/missing', errors='ignore', {ca_opt})"
    ));
    assert_eq!(ignored, Ok("None".into()));

    // The timeout.
    let started = std::time::Instant::now();
    let slow =
        render(&format!("lookup('url', 'BASE/slow', timeout=1, {ca_opt})")).expect_err("times out");
    assert!(slow.contains("timed out"), "{slow}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));

    // Nothing listens: the connection is refused.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_port = closed.local_addr().expect("addr").port();
    drop(closed);
    let refused = render(&format!(
        "lookup('url', 'http://127.0.0.1:{closed_port}/x')"
    ))
    .expect_err("refused");
    assert!(
        refused.contains(&format!(
            "Failed lookup url for http://127.0.0.1:{closed_port}/x"
        )),
        "{refused}"
    );
}

/// What the test proxy saw: each request head.
type Log = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// A proxy on loopback until the test ends. A request without the
/// `Proxy-Authorization` value `auth` gets a 407. `CONNECT` opens a tunnel
/// to its target; a plain `GET` of an absolute URL is answered by the
/// proxy itself with the request line, so a name that never resolves
/// still gets an answer only a proxy could give.
fn proxy(log: Log, auth: String) -> u16 {
    support::tunnel::serve(move |mut client, head| {
        log.lock().expect("log").push(head.clone());
        if !head.contains(&format!("\r\nProxy-Authorization: {auth}\r\n")) {
            let _ = client.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return;
        }
        let line = head.lines().next().unwrap_or_default().to_string();
        let Some(target) = line
            .strip_prefix("CONNECT ")
            .and_then(|r| r.split(' ').next())
        else {
            let body = format!("proxied {line}");
            let _ = client.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
            return;
        };
        support::tunnel::tunnel(client, target);
    })
}

/// Runs `playbook` (on the implicit localhost) with the kiln binary and
/// `env` set; returns (success, stdout + stderr).
fn run_kiln(dir: &std::path::Path, playbook: &str, env: &[(&str, String)]) -> (bool, String) {
    let path = dir.join("proxy.yml");
    std::fs::write(&path, playbook).expect("playbook");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kiln"));
    cmd.arg("playbook")
        .arg(&path)
        .current_dir(dir)
        .env("HOME", dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .env_remove("ANSIBLE_CONFIG");
    for k in [
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .expect("kiln runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn url_lookup_goes_through_the_controllers_proxy() {
    let pki = kube_fake::Pki::generate("kiln url CA").expect("pki");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).expect("ca");
    let port = support::https::serve(&pki, handle);
    let log: Log = Default::default();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("pu:p@ss")
    );
    let proxy_port = proxy(log.clone(), auth);
    let seen = |log: &Log| log.lock().expect("log").clone();
    let playbook = format!(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - name: https through a tunnel
      debug:
        msg: "tunnelled={{{{ query('url', 'https://127.0.0.1:{port}/lines') }}}}"
    - name: http by absolute URL
      debug:
        msg: "plain={{{{ lookup('url', 'http://kiln-never-resolves.invalid:8080/x?y=1') }}}}"
    - name: use_proxy=False goes direct
      debug:
        msg: "direct={{{{ lookup('url', 'https://127.0.0.1:{port}/agent', use_proxy=False) }}}}"
"#
    );
    let ssl = ("SSL_CERT_FILE", ca.display().to_string());
    // Credentials in the proxy URL are %-unquoted, as urllib does.
    let good = format!("http://pu:p%40ss@127.0.0.1:{proxy_port}");
    let (ok, out) = run_kiln(
        dir.path(),
        &playbook,
        &[
            ssl.clone(),
            ("https_proxy", good.clone()),
            // Upper case loses to lower case.
            ("HTTPS_PROXY", "http://127.0.0.1:1".into()),
            ("HTTP_PROXY", good.clone()),
            ("no_proxy", "example.org,.other.test".into()),
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("tunnelled=['one', 'two', 'three']"), "{out}");
    assert!(
        out.contains("plain=proxied GET http://kiln-never-resolves.invalid:8080/x?y=1 HTTP/1.1"),
        "{out}"
    );
    assert!(out.contains("direct=User-Agent: ansible-httpget"), "{out}");
    let heads = seen(&log);
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n")),
        "{heads:?}"
    );
    assert!(
        heads[1].starts_with("GET http://kiln-never-resolves.invalid:8080/x?y=1 HTTP/1.1\r\n"),
        "{heads:?}"
    );

    // no_proxy names the server (with its port, or just its address):
    // the request goes direct.
    let direct = format!(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - debug:
        msg: "exempt={{{{ lookup('url', 'https://127.0.0.1:{port}/lines') }}}}"
"#
    );
    for exempt in [format!("localhost, 127.0.0.1:{port}"), ".127.0.0.1".into()] {
        let (ok, out) = run_kiln(
            dir.path(),
            &direct,
            &[
                ssl.clone(),
                ("https_proxy", good.clone()),
                ("NO_PROXY", exempt),
            ],
        );
        assert!(ok, "{out}");
        assert!(out.contains("exempt=one,two,three"), "{out}");
    }
    assert_eq!(seen(&log).len(), 2, "no_proxy must keep the proxy out");

    // Wrong proxy credentials: the tunnel is refused, and the lookup fails
    // with urllib's words.
    let bad = format!("http://pu:wrong@127.0.0.1:{proxy_port}");
    let (ok, out) = run_kiln(dir.path(), &direct, &[ssl.clone(), ("https_proxy", bad)]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "Failed lookup url for https://127.0.0.1:{port}/lines: <urlopen error Tunnel connection failed: 407 Proxy Authentication Required>"
        )),
        "{out}"
    );
    assert_eq!(seen(&log).len(), 3);
}
