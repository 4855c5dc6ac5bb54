// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! get_url and uri on hosts without curl: the same playbook runs with a
//! PATH without curl (GNU wget, wrapped to record its calls, makes the
//! requests) and with one without curl and wget (the controller makes them
//! and streams the bodies into the host). The server is HTTPS on 127.0.0.1
//! with a certificate from a test CA the host trusts through
//! `SSL_CERT_FILE`; it checks credentials and headers, redirects, and
//! serves a body of several MiB. Every task must give the same results on
//! both paths, and on a third PATH whose only HTTP client is BusyBox's
//! wget (a `wget -> busybox` link): it makes the requests it can make
//! faithfully (`validate_certs: false`), the controller the others.
//!
//! A second test runs the controller's client through an HTTP proxy the
//! test starts on loopback (`https_proxy` in the task's environment):
//! requests go through it with `CONNECT`, `no_proxy` and `use_proxy: false`
//! bypass it, a proxy asking for credentials gets them from the URL.

mod support;

use base64::Engine;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;

use std::sync::{Arc, Mutex};
use support::fleet::{Fleet, Header};

const SMALL: &str = "downloaded over tls\n";
const BIG_LEN: usize = 3 * 1024 * 1024 + 17;
/// Several times the SSH window: a host that takes it slowly leaves most
/// of it waiting on the controller.
const HUGE_LEN: usize = 12 * 1024 * 1024 + 5;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn big() -> Vec<u8> {
    pattern(BIG_LEN)
}

/// Request lines and headers the server saw, one string per request.
type Log = Arc<Mutex<Vec<String>>>;

fn respond(path: &str, head: &str, body: &[u8]) -> (String, Vec<(String, String)>, Vec<u8>) {
    let has = |h: &str| head.lines().any(|l| l.to_ascii_lowercase().starts_with(h));
    let ok = |b: &[u8]| ("200 OK".to_string(), vec![], b.to_vec());
    match path {
        "/file.txt" => ok(SMALL.as_bytes()),
        "/big.bin" => ok(&big()),
        "/huge.bin" => ok(&pattern(HUGE_LEN)),
        "/redirect" => (
            "302 Found".into(),
            vec![("Location".into(), "/file.txt".into())],
            vec![],
        ),
        "/auth" => {
            let want = format!(
                "authorization: basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode("kiln:s3cret $(x) `y`")
                    .to_ascii_lowercase()
            );
            if has(&want) {
                ok(b"authorised\n")
            } else {
                (
                    "401 Unauthorized".into(),
                    vec![("WWW-Authenticate".into(), "Basic realm=\"k\"".into())],
                    b"no\n".to_vec(),
                )
            }
        }
        "/headers" if has("x-kiln: it's $(here)") => ok(b"headers ok\n"),
        "/headers" => ("400 Bad Request".into(), vec![], b"missing\n".to_vec()),
        "/echo" => (
            "200 OK".into(),
            vec![("Content-Type".into(), "application/json".into())],
            body.to_vec(),
        ),
        _ => ("404 Not Found".into(), vec![], b"nope\n".to_vec()),
    }
}

fn handle(mut s: support::https::Tls, log: Log) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buf[head_end..head_end + len].to_vec();
    log.lock().expect("log").push(head.clone());
    let target = head.split(' ').nth(1).unwrap_or("/");
    // The query only tells the requests apart in the log.
    let path = target.split('?').next().unwrap_or("/");
    let (status, headers, out) = respond(path, &head, &body);
    let mut resp = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        out.len()
    );
    for (k, v) in headers {
        resp.push_str(&format!("{k}: {v}\r\n"));
    }
    resp.push_str("\r\n");
    let _ = s.write_all(resp.as_bytes());
    let _ = s.write_all(&out);
    s.conn.send_close_notify();
    let _ = s.flush();
}

/// The HTTPS server, until the test ends; its port.
fn serve(pki: &kube_fake::Pki, log: Log) -> u16 {
    support::https::serve(pki, move |s| handle(s, log.clone()))
}

const SETUP: &str = r#"- name: PATHs without curl, and without curl and wget
  hosts: all
  gather_facts: false
  tasks:
    - shell: |
        set -e
        for kind in nocurl nohttp busybox slowhost; do
          b={{ state_dir }}/$kind; mkdir -p $b {{ state_dir }}/out-$kind
          for f in /usr/local/sbin/* /usr/local/bin/* /usr/sbin/* /usr/bin/* /sbin/* /bin/*; do
            case $kind/${f##*/} in */curl|*/wget|*/busybox|slowhost/cat) ;; *) [ -x "$f" ] && ln -sf "$f" $b/ ;; esac
          done
        done
        ln -sf "$(command -v busybox)" {{ state_dir }}/busybox/wget
        w=$(command -v wget)
        printf '#!/bin/sh\necho "$*" >> {{ state_dir }}/wget-called\nexec %s "$@"\n' "$w" > {{ state_dir }}/nocurl/wget
        chmod +x {{ state_dir }}/nocurl/wget
"#;

const PLAYBOOK: &str = r#"- name: get_url and uri without curl
  hosts: all
  gather_facts: false
  vars:
    base: "https://127.0.0.1:{{ port }}"
    out: "{{ state_dir }}/out-{{ kind }}"
  environment:
    PATH: "{{ state_dir }}/{{ kind }}"
    SSL_CERT_FILE: "{{ ca }}"
  tasks:
    - name: check mode reports a change and writes nothing
      get_url:
        url: "{{ base }}/file.txt"
        dest: "{{ out }}/got.txt"
      check_mode: true
      register: r
    - assert:
        that: r.changed
    - name: download
      get_url:
        url: "{{ base }}/file.txt"
        dest: "{{ out }}/got.txt"
        mode: "0640"
      register: r
    - assert:
        that:
          - r.changed
          - r.status_code == 200
          - r.checksum_src == r.checksum_dest or r.checksum_dest is none
          - r.mode == '0640'
    - name: again, unchanged
      get_url:
        url: "{{ base }}/file.txt"
        dest: "{{ out }}/got.txt"
        mode: "0640"
      register: r
    - assert:
        that: not r.changed
    - name: several MiB with a checksum verified on the host
      get_url:
        url: "{{ base }}/big.bin"
        dest: "{{ out }}/big.bin"
        checksum: "sha256:{{ big_sum }}"
      register: r
    - assert:
        that: r.changed
    - name: more than the host takes at once, to a host that takes it slowly
      get_url:
        url: "{{ base }}/huge.bin"
        dest: "{{ out }}/huge.bin"
      when: kind == 'slowhost'
    - name: a wrong checksum leaves nothing behind
      get_url:
        url: "{{ base }}/file.txt"
        dest: "{{ out }}/bad.txt"
        checksum: "sha1:0000000000000000000000000000000000000000"
      register: r
      ignore_errors: true
    - assert:
        that:
          - r.failed
          - "'did not match' in r.msg"
    - name: credentials answer the server's challenge
      get_url:
        url: "{{ base }}/auth"
        dest: "{{ out }}/auth.txt"
        url_username: kiln
        url_password: "s3cret $(x) `y`"
    - name: headers
      get_url:
        url: "{{ base }}/headers"
        dest: "{{ out }}/headers.txt"
        headers:
          X-Kiln: "it's $(here)"
    - name: a redirect is followed
      get_url:
        url: "{{ base }}/redirect"
        dest: "{{ out }}/redirected.txt"
    - name: a missing page
      get_url:
        url: "{{ base }}/nope"
        dest: "{{ out }}/nope.txt"
      register: r
      ignore_errors: true
    - assert:
        that:
          - r.failed
          - r.status_code == 404
    - name: an untrusted certificate fails
      get_url:
        url: "{{ base }}/file.txt"
        dest: "{{ out }}/untrusted.txt"
      environment:
        SSL_CERT_FILE: "{{ other_ca }}"
      register: r
      ignore_errors: true
    - assert:
        that:
          - r.failed
          - "'CERTIFICATE_VERIFY_FAILED' in r.msg"
    - name: unless validate_certs is false
      get_url:
        url: "{{ base }}/file.txt"
        dest: "{{ out }}/unchecked.txt"
        validate_certs: false
      environment:
        SSL_CERT_FILE: "{{ other_ca }}"
    - name: nothing listens there
      get_url:
        url: "https://127.0.0.1:9/x"
        dest: "{{ out }}/refused.txt"
      register: r
      ignore_errors: true
    - assert:
        that:
          - r.failed
          - "'Connection refused' in r.msg"
    - name: uri returns the content
      uri:
        url: "{{ base }}/file.txt"
        return_content: true
      register: r
    - assert:
        that:
          - r.content == 'downloaded over tls\n'
          - r.status == 200
    - name: uri posts JSON
      uri:
        url: "{{ base }}/echo"
        method: POST
        body_format: json
        body:
          name: "it's $(kiln)"
      register: r
    - assert:
        that: r.json.name == "it's $(kiln)"
    - name: uri writes dest
      uri:
        url: "{{ base }}/file.txt"
        dest: "{{ out }}/uri.txt"
"#;

/// `cat` that copies its stdin at about 4 MB/s, 16 KiB at a time.
const SLOW_CAT: &str = r#"#!/bin/sh
[ $# -gt 0 ] && exec /bin/cat "$@"
exec /usr/bin/python3 -c '
import sys, time
i, o = sys.stdin.buffer, sys.stdout.buffer
while True:
    b = i.read1(16384)
    if not b:
        break
    o.write(b)
    o.flush()
    time.sleep(0.004)
'
"#;

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One host with the PATHs of SETUP, and the test CA written beside it.
fn host_with_paths(pki: &kube_fake::Pki) -> (Fleet, std::path::PathBuf) {
    let fleet = Fleet::start(&Header {
        hosts: 1,
        ..Header::default()
    });
    let dir = fleet.root.path();
    let ca = dir.join("ca.pem");
    fs::write(&ca, &pki.ca_pem).expect("ca");
    let setup = dir.join("setup.yml");
    fs::write(&setup, SETUP).expect("setup");
    let out = fleet.run(&setup, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    (fleet, ca)
}

#[test]
fn get_url_and_uri_without_curl_by_wget_and_by_the_controller() {
    let pki = kube_fake::Pki::generate("kiln test CA").expect("pki");
    let other = kube_fake::Pki::generate("another CA").expect("pki");
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let port = serve(&pki, log.clone());
    let (fleet, ca) = host_with_paths(&pki);
    let dir = fleet.root.path();
    let other_ca = dir.join("other-ca.pem");
    fs::write(&other_ca, &other.ca_pem).expect("other ca");
    let pb = dir.join("site.yml");
    fs::write(&pb, PLAYBOOK).expect("playbook");
    let state = fleet.state_dir("h1");
    assert!(
        std::path::Path::new("/bin/busybox").exists()
            || std::path::Path::new("/usr/bin/busybox").exists(),
        "BusyBox is needed (apt-get install busybox)"
    );
    // A host that takes its stdin slowly (a busy disk): the controller's
    // streamed body must wait for it, not hang the SSH session.
    let slow_cat = state.join("slowhost/cat");
    fs::write(&slow_cat, SLOW_CAT).expect("slow cat");
    fs::set_permissions(
        &slow_cat,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    for kind in ["slowhost", "nocurl", "nohttp", "busybox"] {
        log.lock().expect("log").clear();
        let vars = format!(
            "kind={kind} port={port} ca={} other_ca={} big_sum={}",
            ca.display(),
            other_ca.display(),
            sha256_hex(&big())
        );
        let out = fleet.run(&pb, &["-e", &vars]);
        assert_eq!(out.code, 0, "{kind}\n{}{}", out.stdout, out.stderr);
        // wget made the requests exactly when there was one.
        assert_eq!(
            state.join("wget-called").exists(),
            kind == "nocurl",
            "{kind}: {}",
            fs::read_to_string(state.join("wget-called")).unwrap_or_default()
        );
        let _ = fs::remove_file(state.join("wget-called"));
        let o = state.join(format!("out-{kind}"));
        let read = |f: &str| fs::read(o.join(f)).unwrap_or_else(|e| panic!("{kind} {f}: {e}"));
        assert_eq!(read("got.txt"), SMALL.as_bytes(), "{kind}");
        assert_eq!(read("big.bin"), big(), "{kind}");
        if kind == "slowhost" {
            assert!(
                read("huge.bin") == pattern(HUGE_LEN),
                "{kind}: huge.bin differs"
            );
        }
        assert_eq!(read("auth.txt"), b"authorised\n", "{kind}");
        assert_eq!(read("headers.txt"), b"headers ok\n", "{kind}");
        assert_eq!(read("redirected.txt"), SMALL.as_bytes(), "{kind}");
        assert_eq!(
            read("unchecked.txt"),
            SMALL.as_bytes(),
            "{kind}\n{}",
            out.stdout
        );
        assert_eq!(read("uri.txt"), SMALL.as_bytes(), "{kind}");
        for absent in ["bad.txt", "nope.txt", "untrusted.txt", "refused.txt"] {
            assert!(!o.join(absent).exists(), "{kind}: {absent} was written");
        }
        // No temp file is left beside the downloads.
        let names: Vec<String> = fs::read_dir(&o)
            .expect("out dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with('.')),
            "{kind}: leftovers {names:?}"
        );
        let seen = log.lock().expect("log").clone();
        assert!(
            seen.iter().all(|h| h
                .to_ascii_lowercase()
                .contains("user-agent: ansible-httpget")),
            "{kind}: {seen:?}"
        );
        // Credentials are sent only after the server asked for them.
        let auth: Vec<&String> = seen
            .iter()
            .filter(|h| h.starts_with("GET /auth "))
            .collect();
        assert_eq!(auth.len(), 2, "{kind}: {auth:?}");
        assert!(!auth[0].to_ascii_lowercase().contains("authorization:"));
        // BusyBox's wget made the unchecked request (it alone sends
        // `Connection: close` with these capitals), and only that one.
        let by_busybox: Vec<&String> = seen
            .iter()
            .filter(|h| h.contains("\r\nConnection: close\r\n"))
            .collect();
        if kind == "busybox" {
            assert_eq!(by_busybox.len(), 1, "{kind}: {seen:?}");
            assert!(
                by_busybox[0].starts_with("GET /file.txt "),
                "{by_busybox:?}"
            );
        } else {
            assert!(by_busybox.is_empty(), "{kind}: {by_busybox:?}");
        }
    }
}

/// A `CONNECT` proxy on loopback, until the test ends: each request head
/// it gets is logged; with `auth`, a request without that
/// `Proxy-Authorization` value is refused with a 407.
fn proxy(log: Log, auth: Option<String>) -> u16 {
    support::tunnel::serve(move |mut client, head| {
        log.lock().expect("log").push(head.clone());
        if let Some(a) = &auth
            && !head.contains(&format!("\r\nProxy-Authorization: {a}\r\n"))
        {
            let _ = client.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n",
            );
            return;
        }
        let target = head
            .strip_prefix("CONNECT ")
            .and_then(|r| r.split(' ').next())
            .unwrap_or("")
            .to_string();
        support::tunnel::tunnel(client, &target);
    })
}

const PROXIED: &str = r#"- name: the controller's client through the host's proxy
  hosts: all
  gather_facts: false
  vars:
    base: "https://127.0.0.1:{{ port }}"
    out: "{{ state_dir }}/out-proxy"
  environment:
    PATH: "{{ state_dir }}/nohttp"
    SSL_CERT_FILE: "{{ ca }}"
    https_proxy: "http://127.0.0.1:{{ proxy }}"
  tasks:
    - file:
        path: "{{ out }}"
        state: directory
    - name: get_url through the proxy
      get_url:
        url: "{{ base }}/file.txt"
        dest: "{{ out }}/proxied.txt"
    - name: uri through the proxy
      uri:
        url: "{{ base }}/file.txt?via=uri"
        return_content: true
      register: r
    - assert:
        that: r.content == 'downloaded over tls\n'
    - name: no_proxy names the host
      get_url:
        url: "{{ base }}/file.txt?via=no_proxy"
        dest: "{{ out }}/direct.txt"
      environment:
        no_proxy: "localhost,127.0.0.1"
    - name: use_proxy false
      uri:
        url: "{{ base }}/file.txt?via=use_proxy"
        use_proxy: false
    - name: a proxy that asks for credentials gets them from its URL
      get_url:
        url: "{{ base }}/file.txt?via=auth"
        dest: "{{ out }}/authed.txt"
      environment:
        https_proxy: "http://kiln:pr%40xy@127.0.0.1:{{ auth_proxy }}"
    - name: wrong credentials are refused
      get_url:
        url: "{{ base }}/file.txt?via=badauth"
        dest: "{{ out }}/refused.txt"
      environment:
        https_proxy: "http://kiln:wrong@127.0.0.1:{{ auth_proxy }}"
      register: r
      ignore_errors: true
    - assert:
        that:
          - r.failed
          - "'407' in r.msg"
"#;

#[test]
fn the_controllers_client_goes_through_the_hosts_proxy() {
    let pki = kube_fake::Pki::generate("kiln test CA").expect("pki");
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let port = serve(&pki, log.clone());
    let proxied: Log = Arc::new(Mutex::new(Vec::new()));
    let authed: Log = Arc::new(Mutex::new(Vec::new()));
    let proxy_port = proxy(proxied.clone(), None);
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("kiln:pr@xy")
    );
    let auth_port = proxy(authed.clone(), Some(want.clone()));
    let (fleet, ca) = host_with_paths(&pki);
    let dir = fleet.root.path();
    let pb = dir.join("proxied.yml");
    fs::write(&pb, PROXIED).expect("playbook");
    let vars = format!(
        "port={port} ca={} proxy={proxy_port} auth_proxy={auth_port}",
        ca.display()
    );
    let out = fleet.run(&pb, &["-e", &vars]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let o = fleet.state_dir("h1").join("out-proxy");
    for f in ["proxied.txt", "direct.txt", "authed.txt"] {
        assert_eq!(fs::read(o.join(f)).expect(f), SMALL.as_bytes(), "{f}");
    }
    assert!(!o.join("refused.txt").exists());
    // The plain proxy was asked for a tunnel to the server twice (get_url
    // and uri), and never for the requests that bypass it.
    let target = format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n");
    let seen = proxied.lock().expect("log").clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().all(|h| h.starts_with(&target)), "{seen:?}");
    // The server saw every request; those through the proxy came in its
    // tunnel (the proxy saw no request line of its own).
    let served = log.lock().expect("log").clone();
    for via in ["no_proxy", "use_proxy", "uri", "auth"] {
        assert!(
            served
                .iter()
                .any(|h| h.starts_with(&format!("GET /file.txt?via={via} "))),
            "{via}: {served:?}"
        );
    }
    assert!(!served.iter().any(|h| h.contains("via=badauth")));
    // The credentials went to the proxy, percent-escapes undone.
    let seen = authed.lock().expect("log").clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].contains(&format!("\r\nProxy-Authorization: {want}\r\n")));
    assert!(!seen[1].contains(&want));
}

/// Plain HTTP on loopback that announces `ANNOUNCED` bytes and sends
/// `SENT.len()`, then closes, until the test ends.
fn serve_short() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            // A path with `json` answers as JSON (urllib then reads it whole).
            let first = head.split(|b| *b == b'\n').next().unwrap_or_default();
            let kind = if first.windows(5).any(|w| w == b"/json") {
                "application/json"
            } else {
                "text/plain"
            };
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {ANNOUNCED}\r\nConnection: close\r\n\r\n{SENT}"
            );
        }
    });
    port
}

const ANNOUNCED: usize = 1000;
const SENT: &str = "only part\n";

const SHORT: &str = r#"- name: A body shorter than its Content-Length
  hosts: all
  gather_facts: false
  environment:
    PATH: "{{ path }}"
  vars:
    base: "http://127.0.0.1:{{ port }}"
  tasks:
    - get_url:
        url: "{{ base }}/short.txt"
        dest: "{{ state_dir }}/short-{{ kind }}.txt"
      register: g
      ignore_errors: true
    - uri:
        url: "{{ base }}/short.txt"
        return_content: true
      register: u
      ignore_errors: true
    - name: JSON is read whole, so it fails before dest is written
      uri:
        url: "{{ base }}/json"
        dest: "{{ state_dir }}/short-{{ kind }}.json"
      register: uj
      ignore_errors: true
    - name: a dest takes what came
      uri:
        url: "{{ base }}/short.txt"
        dest: "{{ state_dir }}/uri-short-{{ kind }}.txt"
      register: ud
    - name: a body nobody reads is no failure
      uri:
        url: "{{ base }}/short.txt"
      register: un
    - assert:
        that:
          - g.failed
          - "g.msg == 'Incomplete read, (rsp.length=990, cl=1000, st.st_size=10) failed to read remaining 990 bytes'"
          - u.failed
          - "u.msg == 'HTTP Error while fetching ' ~ base ~ '/short.txt: IncompleteRead(10 bytes read, 990 more expected)'"
          - uj.failed
          - "uj.msg == 'HTTP Error while fetching ' ~ base ~ '/json: IncompleteRead(10 bytes read, 990 more expected)'"
          - ud.changed
          - ud.status == 200
          - "ud.msg == 'OK (1000 bytes)'"
          - ud.size == 10
          - "ud.path == state_dir ~ '/uri-short-' ~ kind ~ '.txt'"
          - un is not failed and un is not changed
          - "un.msg == 'OK (1000 bytes)'"
"#;

/// What ansible-core 2.21's urllib does with a 2xx body cut short (checked
/// with ansible-playbook): get_url and a `uri` that returns or parses the
/// body fail with urllib's words and write nothing; a `uri` with `dest`
/// keeps what came; one that reads nothing succeeds. Every client must do
/// the same: curl and GNU wget fail on it, BusyBox wget takes it for the
/// whole, and the controller (no client on the host: `nohttp`) sees hyper
/// end the body early.
#[test]
fn a_body_shorter_than_its_content_length_fails_on_every_client() {
    let pki = kube_fake::Pki::generate("kiln test CA").expect("pki");
    let port = serve_short();
    let (fleet, _) = host_with_paths(&pki);
    let pb = fleet.root.path().join("short.yml");
    fs::write(&pb, SHORT).expect("playbook");
    let state = fleet.state_dir("h1");
    let system_path = std::env::var("PATH").unwrap_or_default();
    for kind in ["busybox", "nocurl", "nohttp", "curl"] {
        let path = if kind == "curl" {
            system_path.clone()
        } else {
            state.join(kind).display().to_string()
        };
        let vars = format!("kind={kind} port={port} path={path}");
        let out = fleet.run(&pb, &["-e", &vars]);
        assert_eq!(out.code, 0, "{kind}\n{}{}", out.stdout, out.stderr);
        for refused in [format!("short-{kind}.txt"), format!("short-{kind}.json")] {
            assert!(
                !state.join(&refused).exists(),
                "{kind}: a short body became {refused}"
            );
        }
        assert_eq!(
            fs::read_to_string(state.join(format!("uri-short-{kind}.txt"))).expect("uri dest"),
            SENT,
            "{kind}"
        );
    }
}
