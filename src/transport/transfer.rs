// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Files to and from a host over exec channels, in constant memory, checked
//! by SHA-1 (the checksum Ansible's `copy` and `fetch` report).
//!
//! An upload streams into a private temporary file (`mktemp`, mode 0600)
//! in the destination's own directory, so the final `mv` is a rename on
//! one filesystem: readers of the destination see the old file or the new
//! one, never a half-written one. The host hashes what it wrote; only when
//! that matches what was sent is the file moved into place. Under become,
//! every step runs as the become user, so the file is written as that user;
//! where sudo requires a terminal (`requiretty`) the steps run on one, the
//! content framed across it (see [`super::tty_frame`]).
//! Small payloads known in advance take one round trip
//! ([`upload_bytes`]); streams take two ([`upload`]).

use std::pin::Pin;
use std::task::{Context, Poll};

use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::tty_frame::{Deframer, FramedReader, SIZE_HEADER};
use super::{Connection, Dialog, DialogOutcome, ExecOutput, TransportError, quote};

/// How commands are run as the become user.
pub trait Escalate: Sync {
    /// The command line that runs `cmd` escalated, and the conversation it
    /// needs (a password prompt), if any.
    fn escalate(&self, cmd: &str) -> (String, Option<Box<dyn Dialog>>);
    /// The same for a terminal (sudo's `requiretty`, doas with a
    /// password), the terminal in raw mode; with `framed_input` stdin
    /// arrives framed (see [`super::tty_frame`]). `None` when this
    /// escalation has no such form.
    fn escalate_on_tty(&self, cmd: &str, framed_input: bool) -> Option<(String, Box<dyn Dialog>)> {
        let _ = (cmd, framed_input);
        None
    }
    /// Whether escalation on `conn` must run on a terminal from the start.
    fn wants_tty(&self, conn: &dyn Connection) -> bool {
        let _ = conn;
        false
    }
    /// Whether a failed command's output is the escalation tool refusing
    /// to run without a terminal.
    fn refused_without_tty(&self, out: &ExecOutput) -> bool {
        let _ = out;
        false
    }
}

/// Commands run as the login user.
pub struct AsLoginUser;

impl Escalate for AsLoginUser {
    fn escalate(&self, cmd: &str) -> (String, Option<Box<dyn Dialog>>) {
        (cmd.to_string(), None)
    }
}

/// What was moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transferred {
    pub bytes: u64,
    /// Lower-case hex SHA-1 of the content.
    pub sha1: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// Escalation failed (a wrong become password...): Ansible's words.
    #[error("{0}")]
    Escalation(String),
    #[error("{what} on the host failed (rc {rc}): {stderr}")]
    Remote {
        what: String,
        rc: i32,
        stderr: String,
    },
    #[error("checksum mismatch for {path}: sent {sent}, the host has {found}")]
    Checksum {
        path: String,
        sent: String,
        found: String,
    },
    #[error("{what}: {source}")]
    Local {
        what: String,
        source: std::io::Error,
    },
}

/// Streams `src` to `dest` on the host (see the module docs). `mode` is
/// octal text (`"0640"`); `None` keeps an existing file's mode, else the
/// host's umask applies as for a new file.
pub async fn upload(
    conn: &dyn Connection,
    esc: &dyn Escalate,
    src: &mut (dyn AsyncRead + Send + Unpin),
    dest: &str,
    mode: Option<&str>,
) -> Result<Transferred, TransferError> {
    let d = quote(dest);
    // Prints the temporary name, then the host's hash of what it wrote.
    let write = format!(
        "umask 077 && t=$(mktemp \"$(dirname -- {d})/.kiln-XXXXXXXX\") && printf '%s\\n' \"$t\" && \
         if cat > \"$t\" && s=$(sha1sum < \"$t\"); then printf '%s\\n' \"$s\"; else rm -f -- \"$t\"; exit 1; fi"
    );
    let mut hashing = HashingReader::new(src);
    let mut stdout = Vec::new();
    let out = if esc.wants_tty(conn) {
        stream_on_tty(conn, esc, &write, &mut hashing, &mut stdout).await?
    } else {
        let out = stream(conn, esc, &write, Some(&mut hashing), &mut stdout).await?;
        if esc.refused_without_tty(&out) {
            // sudo's `requiretty` refused before running anything. The
            // stream can be sent again only if none of it was taken yet.
            conn.note_escalation_needs_tty();
            if hashing.bytes != 0 {
                return Err(TransferError::Escalation(
                    "sudo requires a terminal (requiretty) and refused a stream already under way; a retry uses one".into(),
                ));
            }
            stdout.clear();
            stream_on_tty(conn, esc, &write, &mut hashing, &mut stdout).await?
        } else {
            out
        }
    };
    let (bytes, sent) = hashing.finish();
    let text = String::from_utf8_lossy(&stdout).into_owned();
    // The temporary name and the hash; on a terminal the command's errors
    // share the stream, so each is found by its shape.
    let tmp = text
        .lines()
        .find(|l| l.contains("/.kiln-"))
        .unwrap_or_default()
        .to_string();
    if out.rc != 0 || tmp.is_empty() {
        return Err(remote("writing a temporary file", &out));
    }
    let found = trailing_sha1(&text);
    let t = quote(&tmp);
    if found != sent {
        let _ = run(conn, esc, &format!("rm -f -- {t}")).await;
        return Err(TransferError::Checksum {
            path: dest.to_string(),
            sent,
            found,
        });
    }
    let finish = format!("{} && mv -f -- {t} {d}", chmod(&t, &d, mode));
    let out = run(conn, esc, &finish).await?;
    if out.rc != 0 {
        let _ = run(conn, esc, &format!("rm -f -- {t}")).await;
        return Err(remote("moving the file into place", &out));
    }
    Ok(Transferred { bytes, sha1: sent })
}

/// Writes `data` to `dest` in one round trip: the hash is known before
/// sending, so the host checks it and moves the file into place itself.
pub async fn upload_bytes(
    conn: &dyn Connection,
    esc: &dyn Escalate,
    data: &[u8],
    dest: &str,
    mode: Option<&str>,
) -> Result<Transferred, TransferError> {
    if esc.wants_tty(conn) {
        // On a terminal the content crosses framed: the streaming path.
        let mut src = data;
        return upload(conn, esc, &mut src, dest, mode).await;
    }
    let sent = hex(&Sha1::digest(data));
    let d = quote(dest);
    let cmd = format!(
        "umask 077 && t=$(mktemp \"$(dirname -- {d})/.kiln-XXXXXXXX\") || exit 1; \
         if cat > \"$t\" && [ \"$(sha1sum < \"$t\")\" = {want} ]; then :; \
         else echo \"checksum mismatch or short write\" >&2; rm -f -- \"$t\"; exit 1; fi; \
         if {chmod} && mv -f -- \"$t\" {d}; then :; else rm -f -- \"$t\"; exit 1; fi",
        want = quote(&format!("{sent}  -")),
        chmod = chmod("\"$t\"", &d, mode),
    );
    let (line, dialog) = esc.escalate(&cmd);
    let out = match dialog {
        None => conn.exec(&line, Some(data)).await?,
        Some(mut dialog) => match conn
            .exec_dialog(&line, false, dialog.as_mut(), Some(data))
            .await?
        {
            DialogOutcome::Finished(out) => out,
            DialogOutcome::Failed { msg, .. } => return Err(TransferError::Escalation(msg)),
        },
    };
    if esc.refused_without_tty(&out) {
        conn.note_escalation_needs_tty();
        let mut src = data;
        return upload(conn, esc, &mut src, dest, mode).await;
    }
    if out.rc != 0 {
        return Err(remote("writing the file", &out));
    }
    Ok(Transferred {
        bytes: data.len() as u64,
        sha1: sent,
    })
}

/// Streams the host's file `src` into `dst`, checking the host's hash of
/// it (taken right after reading: a file that changed meanwhile fails).
pub async fn download(
    conn: &dyn Connection,
    esc: &dyn Escalate,
    src: &str,
    dst: &mut (dyn AsyncWrite + Send + Unpin),
) -> Result<Transferred, TransferError> {
    if esc.wants_tty(conn) {
        return download_on_tty(conn, esc, src, dst).await;
    }
    let s = quote(src);
    let cmd = format!("cat -- {s} && sha1sum < {s} >&2");
    let mut hashing = HashingWriter::new(dst);
    let out = stream(conn, esc, &cmd, None, &mut hashing).await?;
    let (bytes, got) = hashing.finish();
    if out.rc != 0 {
        // sudo's `requiretty` refuses before the file is read: nothing was
        // written, so the same download runs again on a terminal.
        if bytes == 0 && esc.refused_without_tty(&out) {
            conn.note_escalation_needs_tty();
            return download_on_tty(conn, esc, src, dst).await;
        }
        return Err(remote("reading the file", &out));
    }
    let found = trailing_sha1(&String::from_utf8_lossy(&out.stderr));
    checked(src, found, bytes, got)
}

/// [`download`] on a terminal: stdout and stderr arrive as one stream, so
/// the content is framed by its size (see [`Deframer`]) and the hash
/// follows it.
async fn download_on_tty(
    conn: &dyn Connection,
    esc: &dyn Escalate,
    src: &str,
    dst: &mut (dyn AsyncWrite + Send + Unpin),
) -> Result<Transferred, TransferError> {
    let s = quote(src);
    let cmd = format!(
        "n=$(wc -c < {s}) && printf '{SIZE_HEADER} %s\\n' \"$n\" && head -c \"$n\" < {s} && sha1sum < {s}"
    );
    let Some((line, mut dialog)) = esc.escalate_on_tty(&cmd, false) else {
        return Err(no_tty());
    };
    let mut hashing = HashingWriter::new(dst);
    let mut deframer = Deframer::new(&mut hashing);
    let outcome = conn
        .exec_stream(&line, None, &mut deframer, Some(dialog.as_mut()), true)
        .await?;
    let framed = deframer.finish();
    let (bytes, got) = hashing.finish();
    let mut out = finished(outcome)?;
    let text = String::from_utf8_lossy(&framed.text).into_owned();
    if out.rc != 0 || !framed.complete {
        // The terminal merged the errors into the one stream.
        out.stderr = [out.stdout.as_slice(), framed.text.as_slice()].concat();
        if out.rc == 0 {
            out.rc = 1;
        }
        return Err(remote("reading the file", &out));
    }
    checked(src, trailing_sha1(&text), bytes, got)
}

/// What was fetched, if the host's hash of `src` (`found`) matches the
/// hash of the bytes that came (`got`).
fn checked(
    src: &str,
    found: String,
    bytes: u64,
    got: String,
) -> Result<Transferred, TransferError> {
    if found != got {
        return Err(TransferError::Checksum {
            path: src.to_string(),
            sent: found,
            found: got,
        });
    }
    Ok(Transferred { bytes, sha1: got })
}

/// The hash `sha1sum` printed last ("HASH  -"); a become prompt may sit
/// before it on the same line.
fn trailing_sha1(text: &str) -> String {
    text.lines()
        .rev()
        .find_map(|l| l.trim_end().strip_suffix("  -"))
        .and_then(|l| l.get(l.len().saturating_sub(40)..))
        .unwrap_or_default()
        .to_string()
}

/// The `chmod` for the temporary file `t` (already quoted) before it
/// replaces `d` (quoted).
fn chmod(t: &str, d: &str, mode: Option<&str>) -> String {
    match mode {
        Some(m) => format!("chmod {} {t}", quote(m)),
        None => format!(
            "{{ if [ -e {d} ]; then chmod --reference={d} {t}; else chmod \"$(printf '%o' $((0666 & ~0$(umask))))\" {t}; fi; }}"
        ),
    }
}

async fn stream(
    conn: &dyn Connection,
    esc: &dyn Escalate,
    cmd: &str,
    input: Option<&mut (dyn AsyncRead + Send + Unpin)>,
    output: &mut (dyn AsyncWrite + Send + Unpin),
) -> Result<ExecOutput, TransferError> {
    let (line, mut dialog) = esc.escalate(cmd);
    let outcome = conn
        .exec_stream(
            &line,
            input,
            output,
            dialog.as_mut().map(|d| d.as_mut() as &mut dyn Dialog),
            false,
        )
        .await?;
    finished(outcome)
}

/// [`stream`] on a terminal: the input crosses it framed and the output
/// holds the command's stderr too.
async fn stream_on_tty(
    conn: &dyn Connection,
    esc: &dyn Escalate,
    cmd: &str,
    input: &mut (dyn AsyncRead + Send + Unpin),
    output: &mut Vec<u8>,
) -> Result<ExecOutput, TransferError> {
    let Some((line, mut dialog)) = esc.escalate_on_tty(cmd, true) else {
        return Err(no_tty());
    };
    let mut framed = FramedReader::new(input);
    let outcome = conn
        .exec_stream(
            &line,
            Some(&mut framed),
            output,
            Some(dialog.as_mut()),
            true,
        )
        .await?;
    let mut out = finished(outcome)?;
    if out.rc != 0 {
        out.stderr = [out.stdout.as_slice(), output.as_slice()].concat();
    }
    Ok(out)
}

fn no_tty() -> TransferError {
    TransferError::Escalation(
        "this become method cannot run on a terminal, which the host requires".into(),
    )
}

async fn run(
    conn: &dyn Connection,
    esc: &dyn Escalate,
    cmd: &str,
) -> Result<ExecOutput, TransferError> {
    if esc.wants_tty(conn) {
        let Some((line, mut dialog)) = esc.escalate_on_tty(cmd, false) else {
            return Err(no_tty());
        };
        let mut output = Vec::new();
        let outcome = conn
            .exec_stream(&line, None, &mut output, Some(dialog.as_mut()), true)
            .await?;
        let mut out = finished(outcome)?;
        out.stderr = [out.stdout.as_slice(), output.as_slice()].concat();
        return Ok(out);
    }
    let (line, dialog) = esc.escalate(cmd);
    match dialog {
        None => Ok(conn.exec(&line, None).await?),
        Some(mut d) => finished(conn.exec_dialog(&line, false, d.as_mut(), None).await?),
    }
}

fn finished(o: DialogOutcome) -> Result<ExecOutput, TransferError> {
    match o {
        DialogOutcome::Finished(out) => Ok(out),
        DialogOutcome::Failed { msg, .. } => Err(TransferError::Escalation(msg)),
    }
}

fn remote(what: &str, out: &ExecOutput) -> TransferError {
    TransferError::Remote {
        what: what.into(),
        rc: out.rc,
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes and counts what passes through to the reader.
struct HashingReader<'a> {
    inner: &'a mut (dyn AsyncRead + Send + Unpin),
    hasher: Sha1,
    bytes: u64,
}

impl<'a> HashingReader<'a> {
    fn new(inner: &'a mut (dyn AsyncRead + Send + Unpin)) -> Self {
        HashingReader {
            inner,
            hasher: Sha1::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (u64, String) {
        (self.bytes, hex(&self.hasher.finalize()))
    }
}

impl AsyncRead for HashingReader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = Pin::new(&mut *this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res {
            let new = &buf.filled()[before..];
            this.hasher.update(new);
            this.bytes += new.len() as u64;
        }
        res
    }
}

/// Hashes and counts what passes through to the writer.
struct HashingWriter<'a> {
    inner: &'a mut (dyn AsyncWrite + Send + Unpin),
    hasher: Sha1,
    bytes: u64,
}

impl<'a> HashingWriter<'a> {
    fn new(inner: &'a mut (dyn AsyncWrite + Send + Unpin)) -> Self {
        HashingWriter {
            inner,
            hasher: Sha1::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (u64, String) {
        (self.bytes, hex(&self.hasher.finalize()))
    }
}

impl AsyncWrite for HashingWriter<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut *this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = res {
            this.hasher.update(&buf[..n]);
            this.bytes += n as u64;
        }
        res
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
    use crate::transport::LocalConnection;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn local_round_trip_with_modes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("it's a file");
        let dest_s = dest.display().to_string();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut src: &[u8] = &data;
        let sent = upload(
            &LocalConnection,
            &AsLoginUser,
            &mut src,
            &dest_s,
            Some("0640"),
        )
        .await
        .expect("upload");
        assert_eq!(sent.bytes, data.len() as u64);
        assert_eq!(sent.sha1, hex(&Sha1::digest(&data)));
        assert_eq!(std::fs::read(&dest).expect("read"), data);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dest).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        // No temporary file is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);

        // Replacing keeps the mode when none is given.
        let again = upload_bytes(&LocalConnection, &AsLoginUser, b"small", &dest_s, None)
            .await
            .expect("upload_bytes");
        assert_eq!(again.bytes, 5);
        assert_eq!(std::fs::read(&dest).expect("read"), b"small");
        let mode = std::fs::metadata(&dest).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);

        let mut back = Vec::new();
        let got = download(&LocalConnection, &AsLoginUser, &dest_s, &mut back)
            .await
            .expect("download");
        assert_eq!(back, b"small");
        assert_eq!(got.sha1, again.sha1);

        let missing = download(
            &LocalConnection,
            &AsLoginUser,
            "/nonexistent/kiln/file",
            &mut Vec::new(),
        )
        .await
        .expect_err("missing");
        assert!(missing.to_string().contains("No such file"), "{missing}");
        let mut empty: &[u8] = b"";
        let e = upload(
            &LocalConnection,
            &AsLoginUser,
            &mut empty,
            "/nonexistent-dir-kiln/x",
            None,
        )
        .await
        .expect_err("no such directory");
        assert!(matches!(e, TransferError::Remote { .. }), "{e}");
        let mut rest = Vec::new();
        let _ = (&b""[..]).read_to_end(&mut rest).await;
    }
}
