// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! HTTP from the host for `uri` and `get_url`. Ansible's modules make their
//! requests on the host (Python's urllib); kiln does the same with a client
//! the host has, so a request sees the host's network, proxies
//! (`http_proxy`/`https_proxy`/`no_proxy` in the task's environment) and CA
//! store, exactly as Ansible's would. Which client, in this order:
//!
//! 1. **curl** on the host's PATH: every option travels as a curl config
//!    (`-K`).
//! 2. **GNU wget**: the same options as a wgetrc (`--config`); the CA file
//!    is `$SSL_CERT_FILE` when set (what Python's ssl module reads).
//! 3. **BusyBox wget** (or `busybox wget`), only for requests it can make
//!    safely and faithfully: a GET without credentials or secret-looking
//!    headers (its options are command-line arguments, visible to other
//!    users of the host), following redirects, and for `https` only with
//!    `validate_certs: false` (its TLS checks no certificate).
//! 4. Otherwise **the controller** makes the request with its own rustls
//!    client (`http_stream.rs`), through a `direct-tcpip` channel of the
//!    host's SSH session (so the URL resolves and connects from the host),
//!    trusting the host's CA bundle (`$SSL_CERT_FILE` or the system one),
//!    and streams the body over the same session into the host, where the
//!    module's own lines (checksum, compare, atomic move) run as for the
//!    other clients. Memory stays constant whatever the size.
//!
//! The request's options, credentials included, travel on the exec
//! channel's stdin into a private directory (`mktemp -d`, removed on
//! exit): nothing secret appears on a command line. The body follows the
//! configs on stdin. One round trip answers with the status line and
//! headers, the body and the client's exit code (two when the controller
//! streams: the first finds no client).

use super::probe::{Reply, run_script};
use super::{ModuleCtx, ModuleError};
use serde_json::{Map, Value as Json, json};

/// One request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub force_basic_auth: bool,
    pub validate_certs: bool,
    pub follow: bool,
    pub timeout: u64,
    pub use_proxy: bool,
    pub agent: String,
    /// Whether the body comes back to the controller (`uri`); a download
    /// stays on the host (`get_url`).
    pub want_body: bool,
    /// A 2xx body shorter than its `Content-Length` still goes to the
    /// `after` lines (as `short`), unless it is JSON (see [`keep_short`]).
    pub keep_short: bool,
    /// Shell lines run after the request, with `$d/out` the body, `$code`
    /// the status, before the directory is removed (uri's `dest`).
    pub after: String,
}

/// A string in curl's config syntax.
fn config_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where a host keeps its CA bundle, after `$SSL_CERT_FILE`.
/// After the host's client ran: a 2xx body shorter than the last
/// response's `Content-Length` (from curl's header file or wget's log) is
/// reported as `short` and, unless the request keeps it ([`keep_short`]),
/// not used (`code` is cleared so no `after` step takes it). curl and GNU
/// wget also fail on it; BusyBox wget does not notice.
fn short_body(keep: bool) -> String {
    let ct = if keep {
        "  ct=$(cat \"$d/hdr\" \"$d/log\" 2>/dev/null | awk '/^ *HTTP\\//{c=\"\"} {l=tolower($0); sub(/\\r$/,\"\",l)} l ~ /^ *content-type:/ {sub(/^[^:]*: */,\"\",l); sub(/;.*/,\"\",l); sub(/ *$/,\"\",l); c=l} END{print c}')\n"
    } else {
        ""
    };
    format!(
        "case $code in 2??)\n\
  cl=$(cat \"$d/hdr\" \"$d/log\" 2>/dev/null | awk '/^ *HTTP\\//{{c=\"\"}} {{l=tolower($0); sub(/\\r$/,\"\",l)}} l ~ /^ *content-length: *[0-9]+ *$/ {{sub(/^[^:]*: */,\"\",l); sub(/ *$/,\"\",l); c=l}} END{{print c}}')\n\
{ct}  got=$(( $(cat \"$d/out\" 2>/dev/null | wc -c) ))\n\
  if [ -n \"$cl\" ] && [ \"$got\" -lt \"$cl\" ]; then kv short \"$got $cl\"; {drop}; fi ;;\n\
esac\n",
        drop = keep_short(keep),
    )
}

/// What a body cut short leaves of `$code`: cleared, unless the request
/// keeps it and `$ct` (the response's content type, lower case) is not
/// JSON. urllib reads a body whole (and raises IncompleteRead on a short
/// one) only to return it or parse it as JSON; `uri` copies what came to
/// `dest` otherwise.
pub(super) fn keep_short(keep: bool) -> &'static str {
    if keep {
        "case $ct in */json|*/javascript|*/*+json|*/*+javascript) code= ;; esac"
    } else {
        "code="
    }
}

const CA_BUNDLES: &str = "/etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/ca-bundle.pem /etc/ssl/cert.pem";

impl Request {
    /// The curl config (`-K`), secrets included.
    fn config(&self) -> String {
        let line = |k: &str, v: &str| format!("{k} = {}\n", config_string(v));
        let mut c = line("url", &self.url);
        c.push_str(&line("user-agent", &self.agent));
        if self.method == "HEAD" {
            c.push_str("head\n");
        } else {
            c.push_str(&line("request", &self.method));
        }
        for (k, v) in &self.headers {
            c.push_str(&line("header", &format!("{k}: {v}")));
        }
        if let Some(u) = &self.user {
            let p = self.password.as_deref().unwrap_or("");
            c.push_str(&line("user", &format!("{u}:{p}")));
            // urllib answers a 401 challenge; forced auth is sent at once.
            c.push_str(if self.force_basic_auth {
                "basic\n"
            } else {
                "anyauth\n"
            });
        }
        if !self.validate_certs {
            c.push_str("insecure\n");
        }
        if self.follow {
            c.push_str("location\n");
        }
        if !self.use_proxy {
            c.push_str(&line("noproxy", "*"));
        }
        c.push_str(&line("max-time", &self.timeout.max(1).to_string()));
        c
    }

    fn is_https(&self) -> bool {
        self.url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    }

    /// The script: configs then body from stdin, one client run, the answer.
    fn script(&self, wgetrc: &Option<String>, busybox: &Option<String>) -> String {
        let data = if self.body.is_some() {
            " --data-binary @\"$d/body\""
        } else {
            ""
        };
        let gnu = match wgetrc {
            Some(_) => format!(
                "elif command -v wget >/dev/null 2>&1 && wget --version 2>/dev/null | grep -q 'GNU Wget'; then\n\
                 kv tool wget\n\
                 {{ [ -n \"${{SSL_CERT_FILE:-}}\" ] && printf 'ca_certificate = %s\\n' \"$SSL_CERT_FILE\"; {body} :; }} >> \"$d/wcfg\"\n\
                 wget --config=\"$d/wcfg\" -nv -O \"$d/out\" -o \"$d/log\" -i \"$d/url\"\n\
                 kv rc $?\n\
                 code=$(sed -n 's/^  HTTP\\/[0-9.]* \\([0-9][0-9][0-9]\\).*/\\1/p' \"$d/log\" | tail -n 1)\n\
                 kfile wlog \"$d/log\"\n",
                body = if self.body.is_some() {
                    "printf 'body_file = %s\\n' \"$d/body\";"
                } else {
                    ""
                },
            ),
            None => String::new(),
        };
        let bb = match busybox {
            Some(args) => format!(
                "elif w=$(command -v wget 2>/dev/null || {{ command -v busybox >/dev/null 2>&1 && echo busybox; }}) && [ -n \"$w\" ]; then\n\
                 kv tool busybox\n\
                 case $w in *busybox) w='busybox wget' ;; *) w=wget ;; esac\n\
                 case $($w --help 2>&1) in *'-T SEC'*) t='-T {timeout}' ;; *) t= ;; esac\n\
                 $w $t -O \"$d/out\" {args} 2> \"$d/log\"\n\
                 kv rc $?\n\
                 code=$(sed -n 's/^  HTTP\\/[0-9.]* \\([0-9][0-9][0-9]\\).*/\\1/p' \"$d/log\" | tail -n 1)\n\
                 kfile wlog \"$d/log\"\n",
                timeout = self.timeout.max(1),
            ),
            None => String::new(),
        };
        // With no client, the controller makes the request: it needs the
        // host's CA bundle and proxy settings.
        let ca = if self.is_https() && self.validate_certs {
            format!(
                "for f in \"${{SSL_CERT_FILE:-}}\" {CA_BUNDLES}; do [ -n \"$f\" ] && [ -f \"$f\" ] && {{ kfile ca \"$f\"; break; }}; done\n"
            )
        } else {
            String::new()
        };
        let short = short_body(self.keep_short);
        format!(
            "d=$(umask 077 && mktemp -d \"${{TMPDIR:-/tmp}}/kiln-http.XXXXXXXX\") || exit 1\n\
             trap 'rm -rf -- \"$d\"' EXIT\n\
             dd bs=1 count={n} of=\"$d/cfg\" 2>/dev/null\n\
             dd bs=1 count={nw} of=\"$d/wcfg\" 2>/dev/null\n\
             dd bs=1 count={nu} of=\"$d/url\" 2>/dev/null\n\
             cat > \"$d/body\"\n\
             if command -v curl >/dev/null 2>&1; then\n\
             kv tool curl\n\
             curl -K \"$d/cfg\" -s -S{data} -o \"$d/out\" -D \"$d/hdr\" -w '%{{http_code}} %{{num_redirects}} %{{url_effective}}' > \"$d/w\" 2> \"$d/err\"\n\
             kv rc $?\n\
             code=$(cut -d' ' -f1 < \"$d/w\")\n\
             kfile w \"$d/w\"; [ -f \"$d/hdr\" ] && kfile hdr \"$d/hdr\"; kfile cerr \"$d/err\"\n\
             {gnu}{bb}else\n\
             kv nohttp 1\n\
             kv proxy \"${{{proxy}:-${{{proxy_up}:-}}}}\"; kv noproxy \"${{no_proxy:-${{NO_PROXY:-}}}}\"\n\
             {ca}exit 0\n\
             fi\n\
             {short}{tail}",
            n = self.config().len(),
            nw = wgetrc.as_ref().map_or(0, String::len),
            nu = self.url.len() + 1,
            proxy = if self.is_https() {
                "https_proxy"
            } else {
                "http_proxy"
            },
            proxy_up = if self.is_https() {
                "HTTPS_PROXY"
            } else {
                "HTTP_PROXY"
            },
            short = if self.method == "HEAD" { "" } else { &short },
            tail = self.tail(),
        )
    }

    /// What runs once the body is in `$d/out` and the status in `$code`.
    pub(super) fn tail(&self) -> String {
        format!(
            "{head}\n{out}\n{after}\n",
            // `--head` writes the headers as the output too: a HEAD has no body.
            head = if self.method == "HEAD" {
                ": > \"$d/out\""
            } else {
                ":"
            },
            out = if self.want_body {
                "[ -f \"$d/out\" ] && kfile out \"$d/out\""
            } else {
                ":"
            },
            after = self.after,
        )
    }

    /// Runs the request on the host; the reply also holds what the
    /// `after` lines reported.
    pub async fn send(
        &self,
        ctx: &ModuleCtx<'_>,
    ) -> Result<Result<(Response, Reply), String>, ModuleError> {
        let wgetrc = super::http_wget::wgetrc(self);
        let busybox = super::http_wget::busybox_args(self);
        let mut stdin = self.config().into_bytes();
        if let Some(w) = &wgetrc {
            stdin.extend_from_slice(w.as_bytes());
        }
        stdin.extend_from_slice(self.url.as_bytes());
        stdin.push(b'\n');
        if let Some(b) = &self.body {
            stdin.extend_from_slice(b);
        }
        let script = format!(
            "{}{}\nexit 0\n",
            super::probe::PRELUDE,
            self.script(&wgetrc, &busybox)
        );
        let out = run_script(ctx, &script, Some(&stdin)).await?;
        let reply = Reply::from_output(&out);
        if let Some(e) = reply.failure() {
            return Ok(Err(e));
        }
        if reply.has("nohttp") {
            return super::http_stream::send(ctx, self, &reply).await;
        }
        Ok(Ok((Response::read(&reply, &self.url), reply)))
    }
}

/// What the client answered.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// The HTTP status, 0 when no response came.
    pub status: i64,
    pub reason: String,
    pub url: String,
    /// The last response's headers, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub error: String,
    /// A 2xx body shorter than its `Content-Length` (bytes got, bytes
    /// announced): BusyBox wget takes it as complete, urllib does not.
    pub short: Option<(u64, u64)>,
}

impl Response {
    fn read(reply: &Reply, original: &str) -> Response {
        let mut r = Self::read_tool(reply, original);
        r.short = short_of(reply);
        r
    }

    fn read_tool(reply: &Reply, original: &str) -> Response {
        if reply.text("tool").is_some_and(|t| t != "curl") {
            return super::http_wget::read(reply, original);
        }
        let w = reply.text("w").unwrap_or_default();
        let mut parts = w.splitn(3, ' ');
        let status = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let _redirects = parts.next();
        let url = parts.next().unwrap_or_default().to_string();
        let hdr = reply.text("hdr").unwrap_or_default();
        // With redirects followed, the file holds every response's headers.
        let last = hdr
            .split("\r\n\r\n")
            .filter(|b| b.starts_with("HTTP/"))
            .last()
            .unwrap_or("");
        let mut lines = last.split("\r\n");
        let reason = lines
            .next()
            .and_then(|l| l.splitn(3, ' ').nth(2))
            .unwrap_or("")
            .trim()
            .to_string();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let rc = reply.text("rc").and_then(|r| r.parse().ok()).unwrap_or(-1);
        let cerr = reply.text("cerr").unwrap_or_default().trim().to_string();
        Response {
            status,
            reason,
            url,
            headers,
            body: reply.bytes("out").map(<[u8]>::to_vec).unwrap_or_default(),
            error: match rc {
                7 => REFUSED.to_string(),
                6 => NO_NAME.to_string(),
                28 => TIMED_OUT.to_string(),
                60 => CERT_FAILED.to_string(),
                _ => cerr
                    .strip_prefix("curl: ")
                    .map(|e| e.split_once(") ").map_or(e, |(_, m)| m))
                    .unwrap_or(&cerr)
                    .to_string(),
            },
            short: None,
        }
    }

    /// A header's value (the first of that name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// urllib's reason for a failed request.
    pub fn failure(&self) -> String {
        format!("Request failed: <urlopen error {}>", self.error)
    }

    /// Ansible's `fetch_url` info: the headers (lower-cased, `-` as `_`),
    /// `url`, `status`, `msg`, and `cookies` for a success.
    pub fn info(&self, original: &str) -> Map<String, Json> {
        let mut m = Map::new();
        let ok = (200..300).contains(&self.status);
        if ok {
            let n = self.header("content-length").unwrap_or("unknown");
            m.insert("msg".into(), json!(format!("OK ({n} bytes)")));
        } else {
            m.insert(
                "msg".into(),
                json!(format!("HTTP Error {}: {}", self.status, self.reason)),
            );
        }
        m.insert("redirected".into(), json!(self.url != original));
        m.insert("url".into(), json!(self.url));
        m.insert("status".into(), json!(self.status));
        for (k, v) in &self.headers {
            let key = k.to_lowercase().replace('-', "_");
            let value = match m.get(&key) {
                Some(Json::String(old)) if key != "msg" => format!("{old}, {v}"),
                _ => v.clone(),
            };
            let value = if key == "location" {
                urljoin(original, &value)
            } else {
                value
            };
            m.insert(key, json!(value));
        }
        if ok {
            let cookies: Vec<(String, String)> = self
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
                .filter_map(|(_, v)| {
                    let pair = v.split(';').next()?;
                    let (n, val) = pair.split_once('=')?;
                    Some((n.trim().to_string(), val.trim().to_string()))
                })
                .collect();
            m.insert(
                "cookies_string".into(),
                json!(
                    cookies
                        .iter()
                        .map(|(n, v)| format!("{n}={v}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            );
            let mut c = Map::new();
            for (n, v) in cookies {
                c.insert(n, json!(v));
            }
            m.insert("cookies".into(), Json::Object(c));
        } else {
            m.insert(
                "body".into(),
                json!(String::from_utf8_lossy(&self.body).into_owned()),
            );
        }
        m
    }
}

/// The `short` record: bytes got, bytes announced.
pub(super) fn short_of(reply: &Reply) -> Option<(u64, u64)> {
    let t = reply.text("short")?;
    let (got, want) = t.split_once(' ')?;
    Some((got.parse().ok()?, want.parse().ok()?))
}

/// urllib's words for the usual failures, whichever client met them.
pub const REFUSED: &str = "[Errno 111] Connection refused";
pub const NO_NAME: &str = "[Errno -2] Name or service not known";
pub const TIMED_OUT: &str = "timed out";
pub const CERT_FAILED: &str = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate";

/// Python's `urljoin` for the `Location` forms servers send.
pub fn urljoin(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return reference.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    if let Some(rest) = reference.strip_prefix("//") {
        return format!("{}{rest}", &base[..scheme_end]);
    }
    if reference.starts_with('/') {
        return format!("{}{reference}", &base[..host_end]);
    }
    let path = &base[host_end..];
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    format!("{}{dir}{reference}", &base[..host_end])
}

/// Python's `urlencode` of a form (`quote_plus` on keys and values).
pub fn form_urlencode(pairs: &[(String, String)]) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::copy::py_json;

    #[test]
    fn config_quotes_and_secrets() {
        let r = Request {
            url: "http://h/a\"b".into(),
            method: "GET".into(),
            user: Some("u".into()),
            password: Some("p\\w".into()),
            force_basic_auth: true,
            validate_certs: true,
            timeout: 5,
            use_proxy: true,
            agent: "ansible-httpget".into(),
            ..Request::default()
        };
        let c = r.config();
        assert!(c.contains("url = \"http://h/a\\\"b\"\n"));
        assert!(c.contains("user = \"u:p\\\\w\"\nbasic\n"));
        // The secret is only in the config, never in the script.
        let w = super::super::http_wget::wgetrc(&r);
        assert!(
            w.as_deref()
                .is_some_and(|w| w.contains("password = p\\w\n"))
        );
        assert!(!r.script(&w, &None).contains("p\\w"));
    }

    #[test]
    fn joins_and_forms() {
        assert_eq!(urljoin("http://h:1/a/b", "/text"), "http://h:1/text");
        assert_eq!(urljoin("http://h:1/a/b", "c"), "http://h:1/a/c");
        assert_eq!(urljoin("http://h/a", "https://x/y"), "https://x/y");
        assert_eq!(
            form_urlencode(&[("a".into(), "1 2".into()), ("b".into(), "x&y".into())]),
            "a=1+2&b=x%26y"
        );
        assert_eq!(
            py_json(&json!({"name": "kiln", "n": [2, null], "é": "\n"})),
            r#"{"name": "kiln", "n": [2, null], "\u00e9": "\n"}"#
        );
    }

    #[test]
    fn reads_the_last_response() {
        let hdr = "HTTP/1.0 302 Found\r\nLocation: /text\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 12\r\nX-A: 1\r\n\r\n";
        let body = format!(
            "w:{}\n200 1 http://h/text\nhdr:{}\n{hdr}\nrc:1\n0\n",
            "200 1 http://h/text".len(),
            hdr.len()
        );
        let reply = Reply::from_output(&crate::transport::ExecOutput {
            rc: 0,
            stdout: body.into_bytes(),
            stderr: vec![],
        });
        let r = Response::read(&reply, "http://h/redirect");
        assert_eq!(r.status, 200);
        assert_eq!(r.reason, "OK");
        let info = r.info("http://h/redirect");
        assert_eq!(info["msg"], json!("OK (12 bytes)"));
        assert_eq!(info["redirected"], json!(true));
        assert_eq!(info["x_a"], json!("1"));
    }
}
