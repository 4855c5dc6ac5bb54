// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The controller makes a `get_url`/`uri` request for a host that has
//! neither curl nor wget (see `http.rs`): rustls on the controller, the TCP
//! connection a `direct-tcpip` channel of the host's SSH session (the URL
//! resolves and connects from the host, as Ansible's request would), the
//! host's CA bundle as the trust roots, and the body spooled as it
//! arrives (`http_spool.rs`) and fed into the host over the same session,
//! where the module's lines (checksum, compare, atomic move) run on it.
//! Memory stays constant.
//!
//! A body cut short must never be taken for the file: the stream ends with
//! a trailer holding its length, which the host checks and strips before
//! anything else runs. A 2xx body the server closed before its
//! `Content-Length` ends with a trailer saying so, and is then treated as
//! a host client's short body (`short`: a failure with urllib's words, or
//! `uri`'s truncated `dest`). A proxy set on the host for the URL's scheme
//! (`https_proxy`, `http_proxy`, upper-case too; `no_proxy` exempts hosts;
//! `use_proxy: false` ignores them) is used as urllib uses it: the SSH
//! channel goes to the proxy, which is asked to `CONNECT` to an `https`
//! URL's host or sent the absolute URL of an `http` one.

use super::http::{CERT_FAILED, NO_NAME, REFUSED, Request, Response, TIMED_OUT, urljoin};
use super::http_spool::TRAILER;
use super::probe::{PRELUDE, Reply};
use super::{ModuleCtx, ModuleError};
use crate::k8s::tunnel::{Proxy, TunnelConnector};
use crate::transport::{ExecOutput, quote};
use base64::Engine;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use std::time::Duration;

/// urllib gives up after this many redirects.
const MAX_REDIRECTS: usize = 10;

type Client =
    hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<TunnelConnector>, Full<Bytes>>;

/// Runs `req` from the controller; `first` is the host's answer that it
/// has no client (its CA bundle and proxy settings).
pub async fn send(
    ctx: &ModuleCtx<'_>,
    req: &Request,
    first: &Reply,
) -> Result<Result<(Response, Reply), String>, ModuleError> {
    let Some(conn) = ctx.conn.clone() else {
        return Err(ModuleError::Unreachable(
            crate::transport::TransportError::Protocol("no connection to the host".into()),
        ));
    };
    let host = host_of(&req.url);
    // The proxy the host's environment names for the URL's scheme, unless
    // `use_proxy: false` or `no_proxy` exempts the host (urllib's rules).
    let setting = first.text("proxy").unwrap_or_default();
    let proxy = if req.use_proxy
        && !setting.is_empty()
        && !no_proxy(&first.text("noproxy").unwrap_or_default(), &host)
    {
        match Proxy::parse(&setting) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => return Ok(Err(e)),
        }
    } else {
        None
    };
    let tls = match tls_config(req.validate_certs, first.bytes("ca")) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let timeout = Duration::from_secs(req.timeout.max(1));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(TunnelConnector {
            conn,
            timeout,
            proxy,
        });
    let client: Client =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(connector);
    let (url, resp) = match tokio::time::timeout(timeout, exchange(&client, req)).await {
        Ok(Ok(x)) => x,
        Ok(Err(error)) => return Ok(Ok((no_response(req, error), Reply::default()))),
        Err(_) => return Ok(Ok((no_response(req, TIMED_OUT.into()), Reply::default()))),
    };
    let status = resp.status();
    let reason = resp
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_string());
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    // A 2xx body cut short is taken as the host's clients take it (see
    // `http.rs`): the announced length and the content type say what to do.
    let cut_length = match headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        Some((_, v)) if status.is_success() && v.trim().parse::<u64>().is_ok() => {
            v.trim().to_string()
        }
        _ => String::new(),
    };
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let mut body = super::http_spool::Spool::start(resp.into_body(), timeout)
        .map_err(|e| ModuleError::Failed(format!("cannot spool the body: {e}")))?;
    let script = format!(
        "{PRELUDE}d=$(umask 077 && mktemp -d \"${{TMPDIR:-/tmp}}/kiln-http.XXXXXXXX\") || exit 1\n\
         trap 'rm -rf -- \"$d\"' EXIT\n\
         cat > \"$d/out\"\n\
         n=$(wc -c < \"$d/out\"); n=$((n - {TRAILER})); short=\n\
         [ \"$n\" -ge 0 ] && e=$(tail -c {TRAILER} \"$d/out\") || {{ kv truncated 1; exit 0; }}\n\
         if [ \"$e\" = \"K$(printf '%020d' \"$n\")\" ]; then :\n\
         elif [ -n {cl} ] && [ \"$e\" = \"S$(printf '%020d' \"$n\")\" ]; then short=1\n\
         else kv truncated 1; exit 0; fi\n\
         dd if=/dev/null of=\"$d/out\" bs=1 seek=\"$n\" 2>/dev/null\n\
         code={code}\n\
         if [ -n \"$short\" ]; then kv short \"$n {cl}\"; ct={ct}; {keep}; fi\n\
         {tail}exit 0\n",
        code = status.as_u16(),
        tail = req.tail(),
        cl = quote(&cut_length),
        ct = quote(&content_type),
        keep = super::http::keep_short(req.keep_short),
    );
    let out: ExecOutput = ctx.run_stream(&script, &mut body).await?;
    let reply = Reply::from_output(&out);
    let short = super::http::short_of(&reply);
    if let Some(e) = body.error()
        && !(body.cut() && short.is_some())
    {
        return Ok(Err(format!("Request failed: {e}")));
    }
    if let Some(e) = reply.failure() {
        return Ok(Err(e));
    }
    if reply.has("truncated") {
        return Ok(Err(
            "Request failed: the body did not arrive whole on the host".into(),
        ));
    }
    let response = Response {
        status: i64::from(status.as_u16()),
        reason,
        url,
        headers,
        body: reply.bytes("out").map(<[u8]>::to_vec).unwrap_or_default(),
        error: String::new(),
        short,
    };
    Ok(Ok((response, reply)))
}

fn no_response(req: &Request, error: String) -> Response {
    Response {
        url: req.url.clone(),
        error,
        ..Response::default()
    }
}

/// The request and its redirects, as urllib makes them: a 401 with
/// credentials is answered once with Basic auth; 301-303 turn a request
/// with a body into a GET.
async fn exchange(
    client: &Client,
    req: &Request,
) -> Result<(String, hyper::Response<Incoming>), String> {
    let basic = req.user.as_ref().map(|u| {
        let pair = format!("{u}:{}", req.password.as_deref().unwrap_or(""));
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    });
    let mut auth = if req.force_basic_auth {
        basic.clone()
    } else {
        None
    };
    let mut url = req.url.clone();
    let mut method = req.method.clone();
    let mut body = req.body.clone();
    for _ in 0..=MAX_REDIRECTS + 1 {
        let mut b = http::Request::builder()
            .method(method.as_str())
            .uri(url.as_str())
            .header(http::header::USER_AGENT, req.agent.as_str());
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some(a) = &auth {
            b = b.header(http::header::AUTHORIZATION, a.as_str());
        }
        let r = b
            .body(Full::new(Bytes::from(body.clone().unwrap_or_default())))
            .map_err(|e| e.to_string())?;
        let resp = client.request(r).await.map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        if status == 401 && auth.is_none() && basic.is_some() {
            auth = basic.clone();
            continue;
        }
        let location = resp
            .headers()
            .get(http::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        if req.follow
            && matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(loc) = location
        {
            url = urljoin(&url, &loc);
            if matches!(status, 301..=303) && method != "HEAD" {
                method = "GET".into();
                body = None;
            }
            continue;
        }
        return Ok((url, resp));
    }
    Err("HTTP Error: too many redirects".into())
}

/// urllib's words for a failed connection, from the error and its causes.
pub(super) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    let l = text.to_ascii_lowercase();
    // sshd answers a direct-tcpip channel it could not connect with
    // "connect failed", whatever the reason; a refused port is the usual one.
    if l.contains("refused") || l.contains("connect failed") {
        REFUSED.into()
    } else if l.contains("certificate") || l.contains("unknownissuer") {
        CERT_FAILED.into()
    } else if l.contains("timed out") {
        TIMED_OUT.into()
    } else if l.contains("resolve") || l.contains("name or service") {
        NO_NAME.into()
    } else {
        text
    }
}

/// The host part of a URL.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let auth = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    host.to_ascii_lowercase()
}

/// Whether `no_proxy` exempts `host` (urllib's `proxy_bypass_environment`:
/// `*`, or a name the host is or ends in).
pub(crate) fn no_proxy(list: &str, host: &str) -> bool {
    list.split(',')
        .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|e| e == "*" || host == e || host.ends_with(&format!(".{e}")))
}

/// TLS as urllib's default context: the host's CA bundle, or no check at
/// all with `validate_certs: false`.
pub(crate) fn tls_config(
    validate: bool,
    ca: Option<&[u8]>,
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    if !validate {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoCheck(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = ca {
        for cert in CertificateDer::pem_slice_iter(pem).flatten() {
            // A bundle may hold certificates webpki cannot use; the rest
            // still count, as for OpenSSL.
            let _ = roots.add(cert);
        }
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// `validate_certs: false`: any certificate is taken; signatures are still
/// checked, so the session is at least with the certificate's key holder.
#[derive(Debug)]
struct NoCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCheck {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_no_proxy() {
        assert_eq!(host_of("https://u:p@Example.org:8443/x?y"), "example.org");
        assert_eq!(host_of("http://[::1]:80/"), "::1");
        assert!(no_proxy("localhost,.example.org", "a.example.org"));
        assert!(no_proxy("*", "anything"));
        assert!(!no_proxy("example.org", "badexample.org"));
    }

    #[test]
    fn trusts_only_the_bundle_given() {
        assert!(tls_config(true, Some(b"not a certificate")).is_ok());
        assert!(tls_config(false, None).is_ok());
    }
}
