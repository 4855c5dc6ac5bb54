// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Controller files too large to hold in memory (`copy` of a 2 GiB image):
//! they are hashed by reading them in pieces and sent to the host as a
//! stream, never loaded whole. Smaller files are read into memory and keep
//! the one-write path (their bytes also feed `--diff`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, ReadBuf};

/// Files larger than this are streamed. Far above what `--diff` shows
/// (`copy::MAX_DIFF`), so a streamed file never needs its bytes for a diff,
/// and small enough that holding a file below it costs nothing.
pub const STREAM_ABOVE: u64 = 1024 * 1024;

/// Piece size for hashing and sending.
const PIECE: usize = 256 * 1024;

/// A controller file sent as a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BigFile {
    pub path: PathBuf,
    pub len: u64,
    /// Lower-case hex SHA-1 of the content when it was planned: the host
    /// checks what it received against it, so a file changed since (or a
    /// transfer cut short) never replaces the destination.
    pub sha1: String,
}

/// A file to stream, when `path` is one: larger than [`STREAM_ABOVE`] and
/// not a vault that must be decrypted first (a vault is decrypted in
/// memory, as Ansible does).
pub fn big_file(path: &Path, decrypt: bool) -> Result<Option<BigFile>, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("could not find src={shown}, {e}"))?;
    if meta.len() <= STREAM_ABOVE || (decrypt && crate::vault::read::is_vault_file(path)) {
        return Ok(None);
    }
    let (len, sha1) = hash_file(path).map_err(|e| format!("could not read src={shown}, {e}"))?;
    Ok(Some(BigFile {
        path: path.to_path_buf(),
        len,
        sha1,
    }))
}

/// Length and SHA-1 of a file, read a piece at a time.
fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha1::new();
    let mut buf = vec![0u8; PIECE];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((len, hex))
}

/// One part of a stream of several files' contents.
pub enum Part<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

/// The parts one after the other, as one reader. Files are opened when
/// their turn comes (a directory of many large files holds one open at a
/// time) and read in pieces; the host reads each part's own length.
pub struct Parts<'a> {
    parts: std::vec::IntoIter<Part<'a>>,
    current: Option<Current<'a>>,
    buf: Vec<u8>,
}

enum Current<'a> {
    Bytes(&'a [u8]),
    File(std::fs::File),
}

impl<'a> Parts<'a> {
    pub fn new(parts: Vec<Part<'a>>) -> Self {
        Parts {
            parts: parts.into_iter(),
            current: None,
            buf: vec![0u8; PIECE],
        }
    }
}

impl AsyncRead for Parts<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.current {
                None => match this.parts.next() {
                    None => return Poll::Ready(Ok(())),
                    Some(Part::Bytes(b)) => this.current = Some(Current::Bytes(b)),
                    // A local file read blocks only briefly (the page cache
                    // or a local disk), as the plan step's hashing did.
                    Some(Part::File(p)) => {
                        this.current = Some(Current::File(std::fs::File::open(p)?));
                    }
                },
                Some(Current::Bytes(b)) => {
                    if b.is_empty() {
                        this.current = None;
                        continue;
                    }
                    let n = b.len().min(out.remaining());
                    out.put_slice(&b[..n]);
                    *b = &b[n..];
                    return Poll::Ready(Ok(()));
                }
                Some(Current::File(f)) => {
                    let want = out.remaining().min(this.buf.len());
                    let n = f.read(&mut this.buf[..want])?;
                    if n == 0 {
                        this.current = None;
                        continue;
                    }
                    out.put_slice(&this.buf[..n]);
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn parts_read_in_order_and_big_files_are_hashed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let big: Vec<u8> = (0..(STREAM_ABOVE as usize + 3))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let small = b"small\n";
        let bp = dir.path().join("big");
        let sp = dir.path().join("small");
        std::fs::write(&bp, &big).expect("write");
        std::fs::write(&sp, small).expect("write");
        let found = big_file(&bp, true).expect("stat").expect("big enough");
        assert_eq!(found.len, big.len() as u64);
        assert_eq!(found.sha1, crate::modules::copy::sha1_hex(&big));
        assert_eq!(big_file(&sp, true).expect("stat"), None);

        let mut all = Vec::new();
        Parts::new(vec![
            Part::Bytes(b"head"),
            Part::File(&bp),
            Part::Bytes(b""),
            Part::File(&sp),
        ])
        .read_to_end(&mut all)
        .await
        .expect("read");
        let mut want = b"head".to_vec();
        want.extend_from_slice(&big);
        want.extend_from_slice(small);
        assert!(all == want, "the stream differs from its parts");
    }
}
