// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `url` lookup: a GET made by the controller, as Ansible's lookups run
//! on the controller. HTTPS goes through rustls with the controller's CA
//! bundle (`ca_path`, else `$SSL_CERT_FILE`, else the system bundle), or no
//! certificate check with `validate_certs=False`. Redirects are followed,
//! credentials are sent when the server asks (or at once with
//! `force_basic_auth`), and the body comes back as lines (`split_lines`,
//! the default) or whole. Proxies are taken from the controller's
//! environment as urllib takes them (`http_proxy`/`https_proxy`, lower case
//! before upper case, `no_proxy` exempting hosts, `use_proxy=False` ignoring
//! them all): an `https` URL goes through a `CONNECT` tunnel, an `http` one
//! is sent to the proxy with its absolute URL.

use crate::k8s::tunnel::Proxy;
use base64::Engine as _;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// The lookup's options (Ansible's names and defaults).
pub(super) struct UrlOptions {
    pub validate_certs: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    pub headers: Vec<(String, String)>,
    pub force_basic_auth: bool,
    pub timeout: f64,
    pub http_agent: String,
    pub follow_redirects: bool,
    pub split_lines: bool,
    pub ca_path: Option<String>,
    /// The proxy settings in force (all unset with `use_proxy=False`).
    pub proxies: ProxyEnv,
}

/// The proxy variables of an environment, as urllib reads them: for each
/// name the lower-case variable wins when it is set (an empty one means
/// none), else the upper-case one if not empty.
#[derive(Default, Clone)]
pub(super) struct ProxyEnv {
    pub http: Option<String>,
    pub https: Option<String>,
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// The settings of an environment read through `var`.
    pub(super) fn from_vars(var: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        let pick = |lower: &str| match var(lower) {
            Some(v) if v.is_empty() => None,
            Some(v) => Some(v),
            None => var(&lower.to_ascii_uppercase()).filter(|v| !v.is_empty()),
        };
        ProxyEnv {
            http: pick("http_proxy"),
            https: pick("https_proxy"),
            no_proxy: pick("no_proxy"),
        }
    }

    /// The proxy for `u`, unless none is set for its scheme or `no_proxy`
    /// exempts its host (by name, or name and port).
    fn proxy_for(&self, u: &Url) -> Result<Option<Proxy>, UrlError> {
        let setting = if u.https { &self.https } else { &self.http };
        let Some(setting) = setting else {
            return Ok(None);
        };
        if let Some(list) = &self.no_proxy {
            let host = u.host.to_ascii_lowercase();
            let with_port = format!("{host}:{}", u.port);
            if crate::modules::http_no_proxy(list, &host)
                || crate::modules::http_no_proxy(list, &with_port)
            {
                return Ok(None);
            }
        }
        Proxy::parse(setting).map(Some).map_err(UrlError::Failed)
    }
}

impl Default for UrlOptions {
    fn default() -> UrlOptions {
        UrlOptions {
            validate_certs: true,
            username: None,
            password: None,
            headers: Vec::new(),
            force_basic_auth: false,
            timeout: 10.0,
            http_agent: "ansible-httpget".into(),
            follow_redirects: true,
            split_lines: true,
            ca_path: None,
            proxies: ProxyEnv::default(),
        }
    }
}

/// Where a controller keeps its CA bundle when `$SSL_CERT_FILE` is unset.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Redirects followed before giving up (urllib's limit).
const MAX_REDIRECTS: usize = 10;

/// One URL's parts.
struct Url {
    https: bool,
    host: String,
    port: u16,
    /// Path and query, at least `/`.
    target: String,
    userinfo: Option<(String, String)>,
}

fn parse(url: &str) -> Result<Url, String> {
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("unknown url type: {url:?}"));
    };
    let (authority, target) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let target = if target.starts_with('?') {
        format!("/{target}")
    } else {
        target
    };
    let target = target.split('#').next().unwrap_or("/").to_string();
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            (Some((user.to_string(), pass.to_string())), h)
        }
        None => (None, authority),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, p) = v6.split_once(']').ok_or("bad IPv6 address")?;
        (h.to_string(), p.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("nonnumeric port: '{p}'"))?,
        None if https => 443,
        None => 80,
    };
    if host.is_empty() {
        return Err("no host given".into());
    }
    Ok(Url {
        https,
        host,
        port,
        target,
        userinfo,
    })
}

/// The URL with its password replaced, as Ansible's `mask_url` shows it.
pub(super) fn mask(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:********@{host}{}", &rest[end..])
        }
        _ => url.to_string(),
    }
}

/// A response: status, reason, headers, body.
struct Response {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A failure, with the first words of Ansible's message for it.
pub(super) enum UrlError {
    /// The server answered with an error status.
    Http(String),
    /// No answer: a name, a connection, a timeout, a malformed URL.
    Failed(String),
    /// The certificate was refused.
    Certificate(String),
}

impl UrlError {
    /// Ansible's message for a failure on `url` (masked).
    pub(super) fn message(&self, url: &str) -> String {
        let url = mask(url);
        match self {
            UrlError::Http(e) => format!("Received HTTP error for {url}: {e}"),
            UrlError::Failed(e) => format!("Failed lookup url for {url}: <urlopen error {e}>"),
            UrlError::Certificate(e) => {
                format!("Error validating the server's certificate for {url}: {e}")
            }
        }
    }
}

fn tls_config(o: &UrlOptions) -> Result<rustls::ClientConfig, UrlError> {
    let ca = if o.validate_certs {
        let path = o
            .ca_path
            .clone()
            .or_else(|| std::env::var("SSL_CERT_FILE").ok())
            .or_else(|| {
                SYSTEM_BUNDLES
                    .iter()
                    .find(|p| std::path::Path::new(p).is_file())
                    .map(|p| p.to_string())
            });
        match path {
            Some(p) => Some(
                std::fs::read(&p)
                    .map_err(|e| UrlError::Failed(format!("cannot read CA bundle {p}: {e}")))?,
            ),
            None => None,
        }
    } else {
        None
    };
    crate::modules::http_tls_config(o.validate_certs, ca.as_deref()).map_err(UrlError::Failed)
}

/// A byte stream to the server, TLS or not.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// Opens the connection for `u`: to the server, or to `proxy` (through a
/// tunnel it makes for an `https` URL).
fn connect(u: &Url, o: &UrlOptions, proxy: Option<&Proxy>) -> Result<Box<dyn Stream>, UrlError> {
    let timeout = Duration::from_secs_f64(o.timeout.clamp(0.001, 86_400.0));
    let (host, port) = match proxy {
        Some(p) => (p.host.as_str(), p.port),
        None => (u.host.as_str(), u.port),
    };
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| UrlError::Failed(format!("[Errno -2] {e}")))?;
    let mut last = None;
    let mut tcp = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = tcp.ok_or_else(|| {
        UrlError::Failed(match last {
            Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                "[Errno 111] Connection refused".to_string()
            }
            Some(e) if e.kind() == std::io::ErrorKind::TimedOut => "timed out".to_string(),
            Some(e) => e.to_string(),
            None => "no address".to_string(),
        })
    })?;
    let io = |e: std::io::Error| UrlError::Failed(e.to_string());
    tcp.set_read_timeout(Some(timeout)).map_err(io)?;
    tcp.set_write_timeout(Some(timeout)).map_err(io)?;
    let mut tcp = tcp;
    if let Some(p) = proxy
        && u.https
    {
        tunnel(&mut tcp, p, u)?;
    }
    if !u.https {
        return Ok(Box::new(tcp));
    }
    let name = rustls::pki_types::ServerName::try_from(u.host.clone())
        .map_err(|e| UrlError::Failed(e.to_string()))?;
    let conn = rustls::ClientConnection::new(Arc::new(tls_config(o)?), name)
        .map_err(|e| UrlError::Failed(e.to_string()))?;
    Ok(Box::new(rustls::StreamOwned::new(conn, tcp)))
}

/// Asks the proxy on `tcp` for a tunnel to `u`'s host, as http.client's
/// `set_tunnel` does; anything but a 2xx answer fails with its status.
fn tunnel(tcp: &mut TcpStream, p: &Proxy, u: &Url) -> Result<(), UrlError> {
    let target = if u.host.contains(':') {
        format!("[{}]:{}", u.host, u.port)
    } else {
        format!("{}:{}", u.host, u.port)
    };
    let auth = p
        .auth
        .as_ref()
        .map(|a| format!("Proxy-Authorization: {a}\r\n"))
        .unwrap_or_default();
    let req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{auth}\r\n");
    let fail = |e: std::io::Error| UrlError::Failed(e.to_string());
    tcp.write_all(req.as_bytes()).map_err(fail)?;
    // The answer's head only, byte by byte: what follows it is the
    // server's TLS.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tcp.read(&mut byte).map_err(fail)? == 0 || head.len() > 65_536 {
            return Err(UrlError::Failed(
                "Remote end closed connection without response".into(),
            ));
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let status = text.split("\r\n").next().unwrap_or_default();
    let mut parts = status.splitn(3, ' ');
    let _version = parts.next();
    let code = parts.next().unwrap_or_default();
    if code.starts_with('2') {
        return Ok(());
    }
    let reason = parts.next().unwrap_or_default().trim();
    Err(UrlError::Failed(format!(
        "Tunnel connection failed: {code} {reason}"
    )))
}

fn is_certificate_error(e: &std::io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|r| {
            matches!(
                r,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            )
        })
}

/// One request and its whole response (the connection is closed after it).
fn exchange(u: &Url, o: &UrlOptions, auth: Option<&str>) -> Result<Response, UrlError> {
    let proxy = o.proxies.proxy_for(u)?;
    let mut s = connect(u, o, proxy.as_ref())?;
    let host = if (u.https && u.port == 443) || (!u.https && u.port == 80) {
        u.host.clone()
    } else {
        format!("{}:{}", u.host, u.port)
    };
    // A plain-HTTP request through a proxy names the whole URL and carries
    // the proxy's credentials.
    let (target, proxy_auth) = match &proxy {
        Some(p) if !u.https => (
            format!("http://{host}{}", u.target),
            p.auth
                .as_ref()
                .map(|a| format!("Proxy-Authorization: {a}\r\n"))
                .unwrap_or_default(),
        ),
        _ => (u.target.clone(), String::new()),
    };
    let mut req = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {}\r\nAccept-Encoding: identity\r\nConnection: close\r\n{proxy_auth}",
        o.http_agent
    );
    for (k, v) in &o.headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: Basic {a}\r\n"));
    }
    req.push_str("\r\n");
    let fail = |e: std::io::Error| {
        if is_certificate_error(&e) {
            UrlError::Certificate(e.to_string())
        } else if matches!(
            e.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ) {
            UrlError::Failed("timed out".into())
        } else {
            UrlError::Failed(e.to_string())
        }
    };
    s.write_all(req.as_bytes()).map_err(fail)?;
    s.flush().map_err(fail)?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            // A server that closes without TLS's close_notify: what came is
            // the response (its length is checked below).
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => break,
            Err(e) => return Err(fail(e)),
        }
    }
    read_response(&raw)
}

fn read_response(raw: &[u8]) -> Result<Response, UrlError> {
    let bad = || UrlError::Failed("Remote end closed connection without response".into());
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(bad)?;
    let mut parts = status_line.splitn(3, ' ');
    let _version = parts.next();
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let reason = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut r = Response {
        status,
        reason,
        headers,
        body: Vec::new(),
    };
    let rest = &raw[head_end + 4..];
    r.body = if r
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        dechunk(rest).ok_or_else(|| UrlError::Failed("IncompleteRead".into()))?
    } else if let Some(len) = r.header("content-length").and_then(|l| l.parse().ok()) {
        if rest.len() < len {
            return Err(UrlError::Failed(format!(
                "IncompleteRead({} bytes read, {} more expected)",
                rest.len(),
                len - rest.len()
            )));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(r)
}

/// A chunked body's data, `None` if it is cut short.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

/// GETs `url` and returns the body as Ansible's lookup does: its lines
/// (`split_lines`) or the whole text.
pub(super) fn fetch(url: &str, o: &UrlOptions) -> Result<Vec<String>, UrlError> {
    let mut current = url.to_string();
    let mut redirects = 0;
    let creds = |u: &Url| {
        o.username
            .clone()
            .map(|name| (name, o.password.clone().unwrap_or_default()))
            .or_else(|| u.userinfo.clone())
    };
    let basic = |(user, pass): (String, String)| {
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    };
    let response = loop {
        let u = parse(&current).map_err(UrlError::Failed)?;
        let forced = if o.force_basic_auth {
            creds(&u).map(basic)
        } else {
            None
        };
        let mut r = exchange(&u, o, forced.as_deref())?;
        // urllib answers a Basic challenge once with the credentials.
        if r.status == 401
            && forced.is_none()
            && r.header("www-authenticate")
                .is_some_and(|h| h.to_ascii_lowercase().starts_with("basic"))
            && let Some(c) = creds(&u)
        {
            r = exchange(&u, o, Some(&basic(c)))?;
        }
        let redirect = matches!(r.status, 301 | 302 | 303 | 307 | 308);
        match (redirect, r.header("location")) {
            (true, Some(loc)) if o.follow_redirects => {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(UrlError::Http(format!(
                        "HTTP Error {}: The HTTP server returned a redirect error that would lead to an infinite loop.",
                        r.status
                    )));
                }
                current = crate::modules::http_urljoin(&current, loc);
            }
            _ => break r,
        }
    };
    if response.status >= 400 || (300..400).contains(&response.status) {
        return Err(UrlError::Http(format!(
            "HTTP Error {}: {}",
            response.status, response.reason
        )));
    }
    let text = String::from_utf8_lossy(&response.body).into_owned();
    Ok(if o.split_lines {
        super::methods::py_splitlines(&text, false)
    } else {
        vec![text]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_and_masked() {
        let u = parse("https://me:pw@example.com:8443/a/b?x=1#f").expect("parses");
        assert!(u.https);
        assert_eq!((u.host.as_str(), u.port), ("example.com", 8443));
        assert_eq!(u.target, "/a/b?x=1");
        assert_eq!(u.userinfo, Some(("me".into(), "pw".into())));
        assert_eq!(parse("http://h").expect("parses").target, "/");
        assert!(parse("ftp://h/x").is_err());
        assert_eq!(
            mask("https://me:pw@example.com/x"),
            "https://me:********@example.com/x"
        );
        assert_eq!(mask("https://example.com/x"), "https://example.com/x");
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"),
            Some(b"abcde".to_vec())
        );
        assert_eq!(dechunk(b"5\r\nab"), None);
    }
}
