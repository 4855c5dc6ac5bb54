// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Streams of unknown length across a terminal (sudo's `requiretty`).
//!
//! A terminal switched to raw mode passes every byte value unchanged, but
//! it has no end of input and merges the command's stderr into its
//! stdout. So input is sent in frames (`LEN\n` then LEN bytes, `0\n` at the
//! end) that the host unpacks with [`UNFRAME`], and output that must be
//! told apart from error text is sent as `KILN-SIZE LEN\n`, LEN bytes, then
//! a short trailer, which [`Deframer`] takes apart as it arrives.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Shell that copies framed stdin to stdout, byte for byte. `read` takes
/// one byte at a time from a terminal and GNU `head -c` never reads past
/// its count, so no byte of the next frame is swallowed.
pub const UNFRAME: &str =
    "while IFS= read -r n && [ \"$n\" -gt 0 ]; do head -c \"$n\" || exit 1; done";

/// The header line [`Deframer`] expects before the payload.
pub const SIZE_HEADER: &str = "KILN-SIZE";

/// Payload bytes per frame: each frame costs one `head` on the host.
const FRAME: usize = 64 * 1024;

/// Most bytes of text kept from around the payload (error messages, the
/// trailer): the payload itself is never held.
const TEXT_LIMIT: usize = 64 * 1024;

/// Wraps a reader so what it yields is framed for [`UNFRAME`].
pub struct FramedReader<'a> {
    inner: &'a mut (dyn AsyncRead + Send + Unpin),
    /// The frame being sent and how much of it has gone.
    frame: Vec<u8>,
    sent: usize,
    done: bool,
}

impl<'a> FramedReader<'a> {
    pub fn new(inner: &'a mut (dyn AsyncRead + Send + Unpin)) -> Self {
        FramedReader {
            inner,
            frame: Vec::with_capacity(FRAME + 16),
            sent: 0,
            done: false,
        }
    }
}

impl AsyncRead for FramedReader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.sent == this.frame.len() {
            if this.done {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = vec![0u8; FRAME];
            let mut rb = ReadBuf::new(&mut chunk);
            match Pin::new(&mut *this.inner).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            let n = rb.filled().len();
            this.frame.clear();
            this.sent = 0;
            this.frame.extend_from_slice(format!("{n}\n").as_bytes());
            this.frame.extend_from_slice(&chunk[..n]);
            // A zero-length read is the end: its frame `0\n` tells the host.
            this.done = n == 0;
        }
        let rest = &this.frame[this.sent..];
        let n = rest.len().min(buf.remaining());
        buf.put_slice(&rest[..n]);
        this.sent += n;
        Poll::Ready(Ok(()))
    }
}

/// Where the deframer is in the stream.
enum State {
    /// Reading the `KILN-SIZE LEN` line.
    Header(Vec<u8>),
    /// Passing payload bytes through; this many are still to come.
    Payload(u64),
    /// After the payload: the trailer (a checksum line).
    Trailer,
    /// No header came: everything is the command's error text.
    Text,
}

/// Splits `KILN-SIZE LEN\n` + payload + trailer: the payload goes through
/// to the inner writer, the rest is kept (bounded) as text.
pub struct Deframer<'a> {
    inner: &'a mut (dyn AsyncWrite + Send + Unpin),
    state: State,
    text: Vec<u8>,
    payload_len: Option<u64>,
}

/// What came besides the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deframed {
    /// The announced payload length, when the header came; `None` means
    /// the command failed before it.
    pub payload_len: Option<u64>,
    /// Whether the whole announced payload arrived.
    pub complete: bool,
    /// The trailer, or all the output when no header came.
    pub text: Vec<u8>,
}

impl<'a> Deframer<'a> {
    pub fn new(inner: &'a mut (dyn AsyncWrite + Send + Unpin)) -> Self {
        Deframer {
            inner,
            state: State::Header(Vec::new()),
            text: Vec::new(),
            payload_len: None,
        }
    }

    pub fn finish(self) -> Deframed {
        let (complete, mut text) = match self.state {
            State::Header(h) => (false, h),
            State::Payload(left) => (left == 0, self.text),
            State::Trailer => (true, self.text),
            State::Text => (false, self.text),
        };
        text.truncate(TEXT_LIMIT);
        Deframed {
            payload_len: self.payload_len,
            complete,
            text,
        }
    }

    fn keep(&mut self, bytes: &[u8]) {
        let room = TEXT_LIMIT.saturating_sub(self.text.len());
        self.text.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

fn parse_header(line: &[u8]) -> Option<u64> {
    let line = std::str::from_utf8(line).ok()?;
    let n = line.trim_end().strip_prefix(SIZE_HEADER)?;
    n.trim().parse().ok()
}

impl AsyncWrite for Deframer<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match &mut this.state {
            State::Header(line) => {
                let (take, ended) = match buf.iter().position(|b| *b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (buf.len(), false),
                };
                line.extend_from_slice(&buf[..take]);
                if ended {
                    let line = std::mem::take(line);
                    match parse_header(&line) {
                        Some(n) => {
                            this.payload_len = Some(n);
                            this.state = if n == 0 {
                                State::Trailer
                            } else {
                                State::Payload(n)
                            };
                        }
                        None => {
                            this.keep(&line);
                            this.state = State::Text;
                        }
                    }
                } else if line.len() > TEXT_LIMIT {
                    let line = std::mem::take(line);
                    this.keep(&line);
                    this.state = State::Text;
                }
                Poll::Ready(Ok(take))
            }
            State::Payload(left) => {
                let want = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
                match Pin::new(&mut *this.inner).poll_write(cx, &buf[..want]) {
                    Poll::Ready(Ok(n)) => {
                        *left -= n as u64;
                        if *left == 0 {
                            this.state = State::Trailer;
                        }
                        Poll::Ready(Ok(n))
                    }
                    other => other,
                }
            }
            State::Trailer | State::Text => {
                this.keep(buf);
                Poll::Ready(Ok(buf.len()))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn every_byte(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 131 % 256) as u8).collect()
    }

    #[tokio::test]
    async fn frames_unpack_on_the_host_byte_for_byte() {
        let data = every_byte(3 * FRAME + 7);
        let mut src: &[u8] = &data;
        let mut framed = Vec::new();
        FramedReader::new(&mut src)
            .read_to_end(&mut framed)
            .await
            .expect("frame");
        // The host's own shell unpacks it.
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(UNFRAME)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sh");
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            stdin.write_all(&framed).expect("write");
        });
        let out = child.wait_with_output().expect("wait");
        writer.join().expect("writer");
        assert!(out.status.success());
        assert_eq!(out.stdout.len(), data.len());
        assert!(out.stdout == data, "unpacked bytes differ");
    }

    #[tokio::test]
    async fn deframer_splits_payload_from_text() {
        let payload = every_byte(10_000);
        let mut stream = format!("{SIZE_HEADER} {}\n", payload.len()).into_bytes();
        stream.extend_from_slice(&payload);
        stream.extend_from_slice(b"0123abcd  -\n");
        let mut got = Vec::new();
        let mut d = Deframer::new(&mut got);
        // Written in odd pieces, as a channel delivers it.
        for piece in stream.chunks(777) {
            d.write_all(piece).await.expect("write");
        }
        let done = d.finish();
        assert_eq!(done.payload_len, Some(payload.len() as u64));
        assert!(done.complete);
        assert_eq!(done.text, b"0123abcd  -\n");
        assert!(got == payload, "payload differs");

        let mut nothing = Vec::new();
        let mut d = Deframer::new(&mut nothing);
        d.write_all(b"sh: 1: cannot open /x: No such file\n")
            .await
            .expect("write");
        let done = d.finish();
        assert_eq!(done.payload_len, None);
        assert!(!done.complete);
        assert_eq!(done.text, b"sh: 1: cannot open /x: No such file\n");
        assert!(nothing.is_empty());

        let mut short = Vec::new();
        let mut d = Deframer::new(&mut short);
        d.write_all(format!("{SIZE_HEADER} 50\nabc").as_bytes())
            .await
            .expect("write");
        assert!(!d.finish().complete);
    }
}
