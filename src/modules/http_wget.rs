// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! wget on the host for `uri` and `get_url` when it has no curl (see
//! `http.rs` for the order). GNU wget takes every option from a wgetrc on
//! stdin, secrets included; BusyBox's wget only takes arguments, so it is
//! used only for requests whose arguments hold nothing secret. Both print
//! the server's answers (`-S`) as indented header blocks, read here.

use super::http::{CERT_FAILED, NO_NAME, REFUSED, Request, Response, TIMED_OUT, urljoin};
use super::probe::Reply;
use crate::transport::quote;

/// The wgetrc for GNU wget, or `None` when a value cannot be said in one
/// (a wgetrc value ends at the line's end: a newline in a header would be
/// a header injection anyway, and the controller's client refuses it).
pub fn wgetrc(r: &Request) -> Option<String> {
    let mut values = vec![r.agent.as_str(), r.method.as_str()];
    values.extend(r.headers.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]));
    values.extend(r.user.as_deref());
    values.extend(r.password.as_deref());
    if values.iter().any(|v| v.contains(['\n', '\r'])) {
        return None;
    }
    // A wgetrc value is trimmed; a value that needs its edge spaces cannot
    // be said there either.
    if values.iter().any(|v| v.trim() != *v) {
        return None;
    }
    let mut c = String::from("tries = 1\nserver_response = on\ncontent_on_error = on\n");
    c.push_str(&format!("timeout = {}\n", r.timeout.max(1)));
    c.push_str(&format!("user_agent = {}\n", r.agent));
    c.push_str(&format!("method = {}\n", r.method));
    for (k, v) in &r.headers {
        c.push_str(&format!("header = {k}: {v}\n"));
    }
    if let Some(u) = &r.user {
        c.push_str(&format!("user = {u}\n"));
        c.push_str(&format!(
            "password = {}\n",
            r.password.as_deref().unwrap_or("")
        ));
        if r.force_basic_auth {
            c.push_str("auth_no_challenge = on\n");
        }
    }
    if !r.validate_certs {
        c.push_str("check_certificate = off\n");
    }
    if !r.follow {
        c.push_str("max_redirect = 0\n");
    }
    if !r.use_proxy {
        c.push_str("use_proxy = off\n");
    }
    Some(c)
}

/// Header names whose values are credentials: never on a command line.
fn secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["auth", "cookie", "token", "key", "secret", "pass"]
        .iter()
        .any(|w| n.contains(w))
}

/// BusyBox wget's arguments (after `-O`; they end with `-- URL`), or `None` when it cannot make
/// this request safely: secrets would show on its command line, it cannot
/// send a method other than GET or a body, cannot stop at a redirect, and
/// its TLS checks no certificate.
pub fn busybox_args(r: &Request) -> Option<String> {
    let url_has_user = r
        .url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or("").contains('@'))
        .unwrap_or(false);
    let https = r
        .url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    if r.method != "GET"
        || r.body.is_some()
        || r.user.is_some()
        || url_has_user
        || !r.follow
        || (https && r.validate_certs)
        || r.headers.iter().any(|(k, _)| secret_header(k))
        || r.headers
            .iter()
            .any(|(k, v)| k.contains(['\n', '\r']) || v.contains(['\n', '\r']))
    {
        return None;
    }
    // No `-T` here: builds without the timeout feature (Debian's) crash
    // on it; the script adds it when the build's help lists it.
    let mut a = format!("-q -S -U {}", quote(&r.agent));
    if https {
        a.push_str(" --no-check-certificate");
    }
    if !r.use_proxy {
        a.push_str(" -Y off");
    }
    for (k, v) in &r.headers {
        a.push_str(&format!(" --header {}", quote(&format!("{k}: {v}"))));
    }
    // `--` so a URL starting with `-` is not an option.
    a.push_str(&format!(" -- {}", quote(&r.url)));
    Some(a)
}

/// One response as wget logged it.
struct Block {
    status: i64,
    reason: String,
    headers: Vec<(String, String)>,
}

/// The response blocks of a wget log: `  HTTP/1.1 200 OK` then indented
/// `Name: value` lines.
fn blocks(log: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut open = false;
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("  HTTP/") {
            let mut parts = rest.splitn(3, ' ');
            let _version = parts.next();
            let status = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let reason = parts.next().unwrap_or("").trim().to_string();
            out.push(Block {
                status,
                reason,
                headers: Vec::new(),
            });
            open = true;
        } else if open
            && let Some(h) = line.strip_prefix("  ")
            && let Some((k, v)) = h.split_once(':')
            && let Some(b) = out.last_mut()
        {
            b.headers.push((k.trim().to_string(), v.trim().to_string()));
        } else {
            open = false;
        }
    }
    out
}

/// urllib's reason for a request that got no response, from wget's log.
fn reason(rc: i32, log: &str) -> String {
    let l = log.to_ascii_lowercase();
    if l.contains("connection refused") {
        REFUSED.into()
    } else if l.contains("unable to resolve") || l.contains("bad address") {
        NO_NAME.into()
    } else if l.contains("timed out") || l.contains("timeout") {
        TIMED_OUT.into()
    } else if rc == 5 || l.contains("certificate") {
        CERT_FAILED.into()
    } else {
        log.lines()
            .rev()
            .find(|x| !x.trim().is_empty())
            .unwrap_or("")
            .trim()
            .trim_start_matches("wget: ")
            .to_string()
    }
}

/// What wget answered: the last block is the response, the ones before it
/// redirects whose `Location`s lead to the final URL.
pub fn read(reply: &Reply, original: &str) -> Response {
    let log = reply.text("wlog").unwrap_or_default();
    let rc = reply.text("rc").and_then(|r| r.parse().ok()).unwrap_or(-1);
    let all = blocks(&log);
    let mut url = original.to_string();
    for b in all.iter().take(all.len().saturating_sub(1)) {
        if (300..400).contains(&b.status)
            && let Some((_, loc)) = b
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        {
            url = urljoin(&url, loc);
        }
    }
    let Some(last) = all.into_iter().last() else {
        return Response {
            url,
            error: reason(rc, &log),
            ..Response::default()
        };
    };
    Response {
        status: last.status,
        reason: last.reason,
        url,
        headers: last.headers,
        body: reply.bytes("out").map(<[u8]>::to_vec).unwrap_or_default(),
        error: String::new(),
        short: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            url: "https://h/a".into(),
            method: "GET".into(),
            validate_certs: true,
            follow: true,
            timeout: 7,
            use_proxy: true,
            agent: "ansible-httpget".into(),
            ..Request::default()
        }
    }

    #[test]
    fn wgetrc_holds_the_options_and_refuses_newlines() {
        let mut r = request();
        r.user = Some("u".into());
        r.password = Some("p w".into());
        r.force_basic_auth = true;
        r.validate_certs = false;
        r.use_proxy = false;
        r.headers.push(("X-A".into(), "1".into()));
        let c = wgetrc(&r).unwrap_or_default();
        for line in [
            "timeout = 7\n",
            "user = u\n",
            "password = p w\n",
            "auth_no_challenge = on\n",
            "check_certificate = off\n",
            "use_proxy = off\n",
            "header = X-A: 1\n",
        ] {
            assert!(c.contains(line), "{line} in {c}");
        }
        r.headers.push(("X-B".into(), "a\nInjected: 1".into()));
        assert_eq!(wgetrc(&r), None);
    }

    #[test]
    fn busybox_only_without_secrets_or_certificates_to_check() {
        let mut r = request();
        assert_eq!(busybox_args(&r), None, "https with validate_certs");
        r.validate_certs = false;
        let a = busybox_args(&r).unwrap_or_default();
        assert!(a.contains("--no-check-certificate") && a.ends_with("-- https://h/a"));
        r.headers.push(("Authorization".into(), "Bearer x".into()));
        assert_eq!(busybox_args(&r), None);
        r.headers.clear();
        r.user = Some("u".into());
        assert_eq!(busybox_args(&r), None);
        r.user = None;
        r.method = "POST".into();
        assert_eq!(busybox_args(&r), None);
    }

    #[test]
    fn reads_blocks_and_follows_locations() {
        let log = "  HTTP/1.1 302 Found\n  Location: /b/c\n  Content-Length: 0\n\
                   Location: /b/c [following]\n  HTTP/1.1 200 OK\n  Content-Length: 3\n  X-A: 1\n\
                   2026-01-01 URL:http://h/b/c [3/3] -> \"out\" [1]\n";
        let b = blocks(log);
        assert_eq!(b.len(), 2);
        assert_eq!(b[1].status, 200);
        assert_eq!(b[1].headers.len(), 2);
        assert_eq!(reason(4, "failed: Connection refused.\n"), REFUSED);
        assert_eq!(reason(1, "wget: bad address 'nowhere.invalid'\n"), NO_NAME);
    }
}
