// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The body of a response the controller fetched for a host, on its way
//! into that host (see `http_stream.rs`), spooled through a private
//! unlinked file on the controller.
//!
//! Why not hand the body straight to the exec channel: both travel over
//! the host's one SSH session, and russh's session loop waits, with
//! everything else, while a channel's queue is full. When the host takes
//! its stdin slower than the server sends (a busy disk, a large body), the
//! exec channel waits for a window adjust that the loop never reads,
//! because it is stuck delivering the server's data to a queue that only
//! the stalled exec write would drain. So the body is read as fast as it
//! comes, always, into a file with no name (nothing is left behind however
//! the run ends, and memory stays constant), and the host is fed from the
//! file at its own pace.

use super::http::TIMED_OUT;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, ReadBuf};

/// The trailer: `K` (the body whole) or `S` (the server closed before its
/// `Content-Length`: what came, as urllib's chunked reads take it) and the
/// length sent in 20 digits.
pub const TRAILER: usize = 21;

/// What the pump has done so far.
#[derive(Default)]
struct Progress {
    /// Bytes in the file.
    written: u64,
    /// The body ended (or failed: then `error` says why).
    done: bool,
    error: Option<String>,
    /// The failure was the server closing before the announced length:
    /// what came is still handed over, marked as cut (see [`TRAILER`]).
    cut: bool,
    /// The reader waiting for more.
    waker: Option<Waker>,
}

type Shared = Arc<Mutex<Progress>>;

/// The host's side of the spool: reads the body from the file as it
/// arrives, then the trailer; a body that failed ends without it, so the
/// host never takes a cut body for the file.
pub struct Spool {
    file: Arc<File>,
    shared: Shared,
    read: u64,
    trailer: Option<Bytes>,
    pump: tokio::task::JoinHandle<()>,
}

impl Spool {
    /// Starts reading `body` into a private unlinked file; `timeout` is the
    /// longest wait for the next piece (urllib's socket timeout).
    pub fn start(body: Incoming, timeout: Duration) -> std::io::Result<Spool> {
        let file = Arc::new(tempfile::tempfile()?);
        let shared: Shared = Arc::default();
        let pump = tokio::spawn(pump(body, file.clone(), shared.clone(), timeout));
        Ok(Spool {
            file,
            shared,
            read: 0,
            trailer: None,
            pump,
        })
    }

    /// Why the body did not arrive whole, if it did not.
    pub fn error(&self) -> Option<String> {
        self.shared.lock().ok().and_then(|p| p.error.clone())
    }

    /// Whether the server closed before the announced length (the host
    /// was given what came, with the `S` trailer).
    pub fn cut(&self) -> bool {
        self.shared.lock().is_ok_and(|p| p.cut)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        // The host is gone or done: stop reading from the server.
        self.pump.abort();
    }
}

async fn pump(mut body: Incoming, file: Arc<File>, shared: Shared, timeout: Duration) {
    let mut at = 0u64;
    let mut cut = false;
    let end = loop {
        let frame = match tokio::time::timeout(timeout, body.frame()).await {
            Err(_) => break Some(TIMED_OUT.to_string()),
            Ok(None) => break None,
            Ok(Some(Err(e))) => {
                cut = closed_early(&e);
                break Some(super::http_stream::describe(&e));
            }
            Ok(Some(Ok(f))) => f,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let f = file.clone();
        let wrote =
            tokio::task::spawn_blocking(move || f.write_all_at(&data, at).map(|()| data.len()))
                .await;
        match wrote {
            Ok(Ok(n)) => at += n as u64,
            Ok(Err(e)) => break Some(format!("cannot spool the body: {e}")),
            Err(e) => break Some(format!("cannot spool the body: {e}")),
        }
        if let Ok(mut p) = shared.lock() {
            p.written = at;
            if let Some(w) = p.waker.take() {
                w.wake();
            }
        }
    };
    if let Ok(mut p) = shared.lock() {
        p.done = true;
        p.cut = end.is_some() && cut;
        p.error = end;
        if let Some(w) = p.waker.take() {
            w.wake();
        }
    }
}

/// Whether the server closed the connection before the body's announced
/// length (hyper says so as an unexpected end of file under its body
/// error, or as an incomplete message).
fn closed_early(e: &hyper::Error) -> bool {
    if e.is_incomplete_message() {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof)
        {
            return true;
        }
        source = s.source();
    }
    false
}

impl AsyncRead for Spool {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Some(t) = &mut self.trailer {
            let n = t.len().min(out.remaining());
            out.put_slice(&t.split_to(n));
            return Poll::Ready(Ok(()));
        }
        let (written, done, failed, cut) = match self.shared.lock() {
            Ok(mut p) => {
                if p.written == self.read && !p.done {
                    p.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                (p.written, p.done, p.error.is_some(), p.cut)
            }
            Err(_) => return Poll::Ready(Err(std::io::Error::other("spool poisoned"))),
        };
        if written > self.read {
            let want = usize::try_from(written - self.read)
                .unwrap_or(usize::MAX)
                .min(out.remaining());
            let mut buf = vec![0u8; want];
            // Bytes the pump has just written: the page cache serves them,
            // so this read does not wait on the disk.
            let n = self.file.read_at(&mut buf, self.read)?;
            if n == 0 {
                return Poll::Ready(Err(std::io::Error::other("the spooled body shrank")));
            }
            out.put_slice(&buf[..n]);
            self.read += n as u64;
            return Poll::Ready(Ok(()));
        }
        if done && (!failed || cut) {
            let mark = if failed { 'S' } else { 'K' };
            let mut t = Bytes::from(format!("{mark}{:020}", self.read));
            let n = t.len().min(out.remaining());
            out.put_slice(&t.split_to(n));
            self.trailer = Some(t);
        }
        // Done: the trailer was given (or, after a failure, nothing is).
        if self.trailer.is_none() {
            self.trailer = Some(Bytes::new());
        }
        Poll::Ready(Ok(()))
    }
}
