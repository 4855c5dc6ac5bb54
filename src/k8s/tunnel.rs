// SPDX-License-Identifier: MIT
//! A hyper connector whose connections are `direct-tcpip` channels of a
//! host's SSH session: the API server is reached from the host, as if the
//! module ran there, and need not be reachable from the controller.

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
}

/// A tunnel as hyper sees a connection.
pub struct TunnelIo(TokioIo<Box<dyn TunnelStream>>);

impl HyperConnection for TunnelIo {
    fn connected(&self) -> Connected {
        Connected::new()
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
            match tokio::time::timeout(timeout, conn.tunnel(&host, port)).await {
                Ok(Ok(s)) => Ok(TunnelIo(TokioIo::new(s))),
                Ok(Err(e)) => Err(TunnelError(format!(
                    "tunnel to {host}:{port} through the host's SSH session: {e}"
                ))),
                Err(_) => Err(TunnelError(format!(
                    "tunnel to {host}:{port} through the host's SSH session: timed out after {}s",
                    timeout.as_secs()
                ))),
            }
        })
    }
}
