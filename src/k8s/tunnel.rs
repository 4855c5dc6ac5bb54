// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A hyper connector whose connections are `direct-tcpip` channels of a
//! host's SSH session: the API server is reached from the host, as if the
//! module ran there, and need not be reachable from the controller.
//! Optionally through an HTTP proxy the host's environment names (the
//! controller-streamed `get_url`/`uri`): the channel goes to the proxy,
//! which is asked to `CONNECT` for an `https` URL and is sent the
//! absolute URL for an `http` one, as Python's urllib does.

use crate::transport::{Connection, TunnelStream};
use hyper_util::client::legacy::connect::{Connected, Connection as HyperConnection};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Opens one tunnel per HTTP connection to the URI's host and port.
#[derive(Clone)]
pub struct TunnelConnector {
    pub conn: Arc<dyn Connection>,
    pub timeout: Duration,
    /// The proxy every connection goes through, if any.
    pub proxy: Option<Arc<Proxy>>,
}

/// An HTTP proxy: where it listens and the `Proxy-Authorization` value
/// its URL's credentials make.
#[derive(Debug, Clone, PartialEq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    pub auth: Option<String>,
}

impl Proxy {
    /// Reads a proxy setting as urllib does: `[http://][user:pass@]host[:port]`.
    /// A proxy spoken to over TLS (`https://`) is refused.
    pub fn parse(url: &str) -> Result<Proxy, String> {
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "kiln's own client cannot use a proxy spoken to over {scheme} ({url})"
                ));
            }
            None => url,
        };
        let authority = rest.split('/').next().unwrap_or("");
        let (creds, hostport) = match authority.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, authority),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6.split_once(']').unwrap_or((v6, ""));
            (h, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(format!("no host in the proxy setting {url:?}"));
        }
        let port = match port {
            Some(p) => p
                .parse()
                .map_err(|_| format!("bad port in the proxy setting {url:?}"))?,
            None => 80,
        };
        let auth = creds.map(|c| {
            let (u, p) = c.split_once(':').unwrap_or((c, ""));
            let pair = format!("{}:{}", unquote(u), unquote(p));
            format!(
                "Basic {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pair)
            )
        });
        Ok(Proxy {
            host: host.to_string(),
            port,
            auth,
        })
    }
}

/// `%XX` escapes undone, as urllib's `unquote` does to proxy credentials.
fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Asks the proxy on `s` for a tunnel to `host:port` and reads its answer
/// (anything but a 2xx refuses).
async fn connect_through(
    s: &mut Box<dyn TunnelStream>,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<(), TunnelError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(a) = &proxy.auth {
        req.push_str(&format!("Proxy-Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    let io = |e: std::io::Error| TunnelError(format!("proxy {}:{}: {e}", proxy.host, proxy.port));
    s.write_all(req.as_bytes()).await.map_err(io)?;
    s.flush().await.map_err(io)?;
    // Byte by byte up to the blank line, so nothing of the TLS stream
    // that follows is read here.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        if s.read(&mut b).await.map_err(io)? == 0 || head.len() > 65536 {
            return Err(TunnelError(format!(
                "Tunnel connection failed: the proxy {}:{} closed the connection",
                proxy.host, proxy.port
            )));
        }
        head.push(b[0]);
    }
    let status = String::from_utf8_lossy(&head);
    let line = status.lines().next().unwrap_or("");
    let code = line.split_whitespace().nth(1).unwrap_or("");
    if code.starts_with('2') {
        Ok(())
    } else {
        let reason = line.splitn(3, ' ').nth(2).unwrap_or("").trim();
        Err(TunnelError(format!(
            "Tunnel connection failed: {code} {reason}"
        )))
    }
}

/// A tunnel as hyper sees a connection.
pub struct TunnelIo(TokioIo<Box<dyn TunnelStream>>, bool);

impl HyperConnection for TunnelIo {
    fn connected(&self) -> Connected {
        // A plain-HTTP proxy is sent absolute URLs.
        Connected::new().proxy(self.1)
    }
}

impl hyper::rt::Read for TunnelIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for TunnelIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TunnelError(String);

type Connecting = Pin<Box<dyn Future<Output = Result<TunnelIo, TunnelError>> + Send>>;

impl tower::Service<http::Uri> for TunnelConnector {
    type Response = TunnelIo;
    type Error = TunnelError;
    type Future = Connecting;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let conn = self.conn.clone();
        let timeout = self.timeout;
        let proxy = self.proxy.clone();
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| TunnelError(format!("no host in {uri}")))?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
                Some("http") => 80,
                _ => 443,
            });
            let (to_host, to_port) = match &proxy {
                Some(p) => (p.host.as_str(), p.port),
                None => (host.as_str(), port),
            };
            let opened = tokio::time::timeout(timeout, async {
                let mut s = conn.tunnel(to_host, to_port).await.map_err(|e| {
                    TunnelError(format!(
                        "tunnel to {to_host}:{to_port} through the host's SSH session: {e}"
                    ))
                })?;
                let mut http_proxy = false;
                if let Some(p) = &proxy {
                    if uri.scheme_str() == Some("http") {
                        http_proxy = true;
                    } else {
                        connect_through(&mut s, p, &host, port).await?;
                    }
                }
                Ok(TunnelIo(TokioIo::new(s), http_proxy))
            })
            .await;
            match opened {
                Ok(r) => r,
                Err(_) => Err(TunnelError(format!(
                    "tunnel to {to_host}:{to_port} through the host's SSH session: timed out after {}s",
                    timeout.as_secs()
                ))),
            }
        })
    }
}

#[cfg(test)]
mod proxy_tests {
    use super::*;

    #[test]
    fn proxy_settings_as_urllib_reads_them() {
        let p = Proxy::parse("http://u%40x:p%3Aw@127.0.0.1:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 3128));
        // base64("u@x:p:w")
        assert_eq!(p.auth.as_deref(), Some("Basic dUB4OnA6dw=="));
        let p = Proxy::parse("proxy.example:8080").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.auth),
            ("proxy.example", 8080, None)
        );
        assert_eq!(Proxy::parse("http://[::1]:9").unwrap().host, "::1");
        assert_eq!(Proxy::parse("http://p.example").unwrap().port, 80);
        assert!(Proxy::parse("https://p.example:443").is_err());
        assert!(Proxy::parse("http://:80").is_err());
    }
}
