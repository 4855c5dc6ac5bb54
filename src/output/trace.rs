// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! kiln's own diagnostics (`tracing`): off by default, `-vvvv` shows
//! debug records and `-vvvvv` trace records of kiln (`RUST_LOG` or
//! `KILN_LOG`, in `tracing-subscriber`'s filter syntax, choose anything
//! else). Records go to stderr with the progress bar cleared while they
//! are written, so the two never share a line, and every secret the run
//! knows (vault plaintexts, login and become passwords) is masked first.

use super::Redact;
use indicatif::ProgressBar;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// The secrets masked in every record.
fn redactors() -> &'static RwLock<Vec<Arc<dyn Redact>>> {
    static R: OnceLock<RwLock<Vec<Arc<dyn Redact>>>> = OnceLock::new();
    R.get_or_init(RwLock::default)
}

/// The progress bar on screen, if any.
fn bar() -> &'static Mutex<Option<ProgressBar>> {
    static B: OnceLock<Mutex<Option<ProgressBar>>> = OnceLock::new();
    B.get_or_init(Mutex::default)
}

/// Masks what `r` knows in every record from now on.
pub fn add_redactor(r: Arc<dyn Redact>) {
    if let Ok(mut v) = redactors().write() {
        v.push(r);
    }
}

/// The bar records are written around (`None` when it is gone).
pub(super) fn set_bar(b: Option<ProgressBar>) {
    if let Ok(mut slot) = bar().lock() {
        *slot = b;
    }
}

/// `text` with every known secret masked.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(v) = redactors().read() {
        for r in v.iter() {
            if let Some(m) = r.redact(&out) {
                out = m;
            }
        }
    }
    out
}

/// The filter for `verbosity` when no environment variable chooses one.
fn filter_for(verbosity: u8) -> Option<&'static str> {
    match verbosity {
        0..=3 => None,
        4 => Some("kiln=debug"),
        _ => Some("kiln=trace,russh=debug"),
    }
}

/// Installs the subscriber; does nothing when no record is wanted (the
/// default), so a plain run pays nothing for diagnostics.
pub fn init(verbosity: u8) {
    use tracing_subscriber::EnvFilter;
    let from_env = ["KILN_LOG", "RUST_LOG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    let filter = match (from_env, filter_for(verbosity)) {
        (Some(f), _) => EnvFilter::try_new(f),
        (None, Some(f)) => EnvFilter::try_new(f),
        (None, None) => return,
    };
    let Ok(filter) = filter else {
        // Tracing is what failed to start, so it cannot carry this warning.
        #[allow(clippy::print_stderr)]
        {
            eprintln!("[WARNING]: KILN_LOG/RUST_LOG is not a valid log filter; no diagnostics");
        }
        return;
    };
    // A second init (tests calling the CLI twice) keeps the first one.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Records)
        .with_ansi(false)
        .try_init();
}

/// Writes one formatted record to stderr, masked, with the bar cleared.
struct Records;

impl Write for Records {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = redact(&String::from_utf8_lossy(buf));
        let write = || std::io::stderr().lock().write_all(text.as_bytes());
        let current = bar().lock().ok().and_then(|b| b.clone());
        match current {
            Some(b) => b.suspend(write)?,
            None => write()?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_masked() {
        let secrets = Arc::new(crate::vault::Revealed::default());
        secrets.mark("correct-horse-battery");
        add_redactor(secrets);
        assert_eq!(
            redact("password correct-horse-battery sent"),
            "password ******** sent"
        );
    }

    #[test]
    fn verbosity_picks_a_filter() {
        assert_eq!(filter_for(3), None);
        assert_eq!(filter_for(4), Some("kiln=debug"));
        assert!(filter_for(6).is_some_and(|f| f.contains("trace")));
    }
}
