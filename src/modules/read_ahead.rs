// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Controller files read ahead of a linear barrier (`copy`'s and
//! `template`'s `src`), so that once the barrier is passed a host's next
//! step costs the round trip alone, not the round trip plus the disk.
//!
//! What is held is the file's RAW bytes: a vault is decrypted when the
//! module uses it, so no secret ever sits here. An entry is used only if
//! the file's stamp (length, mtime to the nanosecond, inode, device) is
//! still the one it was read with, so a file written between the read
//! ahead and the use (a `local_action` copy, `fetch`) is read again.
//! Hosts reading the same file share one entry (`Arc<[u8]>`); each read
//! ahead counts one pending use, each use takes one, and the entry goes
//! when none is left. The total held is bounded, so memory stays flat
//! however many hosts there are; files that would stream
//! ([`STREAM_ABOVE`]) are never held.

use super::local_file::STREAM_ABOVE;
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// At most this many bytes are held at once (every entry's length).
const BUDGET: u64 = 64 * 1024 * 1024;

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    mtime: i64,
    mtime_ns: i64,
    ino: u64,
    dev: u64,
}

impl Stamp {
    fn of(path: &Path) -> std::io::Result<Stamp> {
        let m = std::fs::metadata(path)?;
        Ok(Stamp {
            len: m.len(),
            mtime: m.mtime(),
            mtime_ns: m.mtime_nsec(),
            ino: m.ino(),
            dev: m.dev(),
        })
    }
}

struct Entry {
    stamp: Stamp,
    bytes: Arc<[u8]>,
    /// Reads ahead not yet matched by a use.
    pending: usize,
}

/// The run's files read ahead.
#[derive(Default)]
pub struct ReadAhead {
    entries: Mutex<HashMap<PathBuf, Entry>>,
    held: AtomicU64,
    /// Uses served from an entry, for tests and the walk's counters.
    hits: AtomicU64,
    /// Uses that read the file (no entry, or a stale one).
    misses: AtomicU64,
}

impl ReadAhead {
    /// Reads `path` now for one later use, unless it would stream, does
    /// not fit the budget, or cannot be read (the use reports the error).
    pub fn load(&self, path: &Path) {
        let key = canonical(path);
        let Ok(stamp) = Stamp::of(&key) else {
            return;
        };
        if stamp.len > STREAM_ABOVE {
            return;
        }
        if let Ok(mut e) = self.entries.lock()
            && let Some(x) = e.get_mut(&key)
            && x.stamp == stamp
        {
            x.pending += 1;
            return;
        }
        if self.held.load(Ordering::SeqCst) + stamp.len > BUDGET {
            return;
        }
        let Ok(bytes) = std::fs::read(&key) else {
            return;
        };
        // Written while it was read: what was read matches no stamp.
        if Stamp::of(&key).ok() != Some(stamp) || bytes.len() as u64 != stamp.len {
            return;
        }
        let Ok(mut e) = self.entries.lock() else {
            return;
        };
        match e.get_mut(&key) {
            // Another host read the same version meanwhile.
            Some(x) if x.stamp == stamp => x.pending += 1,
            _ => {
                if let Some(old) = e.remove(&key) {
                    self.held.fetch_sub(old.stamp.len, Ordering::SeqCst);
                }
                self.held.fetch_add(stamp.len, Ordering::SeqCst);
                e.insert(
                    key,
                    Entry {
                        stamp,
                        bytes: bytes.into(),
                        pending: 1,
                    },
                );
            }
        }
    }

    /// The bytes of `path`: the ones read ahead when the file is still
    /// the version they were read from, else read now.
    pub fn read(&self, path: &Path) -> std::io::Result<Arc<[u8]>> {
        let key = canonical(path);
        let stamp = Stamp::of(&key)?;
        if let Ok(mut e) = self.entries.lock()
            && let Some(x) = e.get_mut(&key)
        {
            if x.stamp == stamp {
                let bytes = x.bytes.clone();
                x.pending = x.pending.saturating_sub(1);
                if x.pending == 0 {
                    e.remove(&key);
                    self.held.fetch_sub(stamp.len, Ordering::SeqCst);
                }
                self.hits.fetch_add(1, Ordering::SeqCst);
                return Ok(bytes);
            }
            // Stale for every host: the file changed since.
            if let Some(old) = e.remove(&key) {
                self.held.fetch_sub(old.stamp.len, Ordering::SeqCst);
            }
        }
        self.misses.fetch_add(1, Ordering::SeqCst);
        Ok(std::fs::read(&key)?.into())
    }

    /// (uses served from an entry, uses that read the file).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::SeqCst),
            self.misses.load(Ordering::SeqCst),
        )
    }

    /// Bytes held now.
    pub fn held(&self) -> u64 {
        self.held.load(Ordering::SeqCst)
    }
}

/// One key per file however it was named (`a/../b`, a symlink).
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kiln-readahead-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).ok();
        d
    }

    #[test]
    fn a_file_read_ahead_is_used_once_per_read_ahead() {
        let d = dir("once");
        let f = d.join("motd");
        std::fs::write(&f, b"hello\n").ok();
        let r = ReadAhead::default();
        r.load(&f);
        r.load(&f);
        assert_eq!(r.held(), 6, "two hosts share one entry");
        let a = r.read(&f).ok();
        let b = r.read(&f).ok();
        assert_eq!(a.as_deref(), Some(&b"hello\n"[..]));
        assert!(a.zip(b).is_some_and(|(a, b)| Arc::ptr_eq(&a, &b)));
        assert_eq!(r.counts(), (2, 0));
        assert_eq!(r.held(), 0, "taken on use");
        // A third use has nothing left ahead: it reads the file.
        assert_eq!(r.read(&f).ok().as_deref(), Some(&b"hello\n"[..]));
        assert_eq!(r.counts(), (2, 1));
    }

    #[test]
    fn a_file_changed_after_the_read_ahead_is_read_again() {
        let d = dir("changed");
        let f = d.join("conf");
        std::fs::write(&f, b"old").ok();
        let r = ReadAhead::default();
        r.load(&f);
        r.load(&f);
        // Another task writes it between (same length: only the stamp's
        // mtime or inode tells; a new file via rename changes the inode).
        let tmp = d.join("conf.new");
        std::fs::write(&tmp, b"new").ok();
        std::fs::rename(&tmp, &f).ok();
        assert_eq!(r.read(&f).ok().as_deref(), Some(&b"new"[..]));
        assert_eq!(r.counts(), (0, 1));
        assert_eq!(r.held(), 0, "the stale entry is dropped for every host");
        assert_eq!(r.read(&f).ok().as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn files_that_stream_or_overflow_the_budget_are_not_held() {
        let d = dir("big");
        let f = d.join("image");
        std::fs::write(&f, vec![0u8; STREAM_ABOVE as usize + 1]).ok();
        let r = ReadAhead::default();
        r.load(&f);
        assert_eq!(r.held(), 0);
        r.held.store(BUDGET - 2, Ordering::SeqCst);
        let small = d.join("small");
        std::fs::write(&small, b"abc").ok();
        r.load(&small);
        assert_eq!(r.held(), BUDGET - 2, "over the budget: not read ahead");
        assert_eq!(r.read(&small).ok().as_deref(), Some(&b"abc"[..]));
        assert_eq!(r.counts(), (0, 1));
    }

    #[test]
    fn a_missing_file_is_not_held_and_its_use_fails() {
        let d = dir("missing");
        let r = ReadAhead::default();
        r.load(&d.join("nope"));
        assert_eq!(r.held(), 0);
        assert!(r.read(&d.join("nope")).is_err());
    }
}
