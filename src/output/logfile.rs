// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `log_path` / `ANSIBLE_LOG_PATH`: what the screen shows, one record per
//! display call, in Ansible's log format
//! (`DATE TIME,ms p=PID u=USER n=ansible LEVEL| TEXT`).

use super::{Event, Shown, Sink};
use std::io::Write;

pub struct LogFile {
    out: std::fs::File,
    user: String,
}

/// The login name Ansible's log records (`uid=N` when there is none).
fn user() -> String {
    if let Ok(u) = std::env::var("USER").or_else(|_| std::env::var("LOGNAME"))
        && !u.is_empty()
    {
        return u;
    }
    use std::os::unix::fs::MetadataExt;
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return "uid=?".into();
    };
    // Like Python's getpass.getuser(): the password database's name.
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid.to_string())
        .map(|f| f[0].to_string())
        .unwrap_or_else(|| format!("uid={uid}"))
}

/// The level Ansible gives a display call: errors and warnings are logged
/// at their own level, everything a callback displays (even `fatal:` and
/// `skipping:` lines) at INFO.
fn level(text: &str) -> &'static str {
    if text.starts_with("[ERROR]") {
        "ERROR"
    } else if text.starts_with("[WARNING]") || text.starts_with("[DEPRECATION WARNING]") {
        "WARNING"
    } else {
        "INFO"
    }
}

/// The message Ansible logs for a chunk of screen text: leading newlines
/// dropped, and the line end the display added to the message dropped.
/// Ansible's errors and warnings end in a line end of their own, which the
/// log keeps (a blank line after their record); so does any message the
/// screen shows followed by a blank line.
fn message(text: &str) -> &str {
    let text = text.trim_start_matches('\n');
    let own_line_end = level(text) != "INFO" || text.ends_with("\n\n");
    if own_line_end {
        text
    } else {
        text.strip_suffix('\n').unwrap_or(text)
    }
}

impl LogFile {
    /// Opens `path` for appending (Ansible appends too); failing here stops
    /// the run before any host is touched.
    pub fn open(path: &std::path::Path) -> std::io::Result<Self> {
        if path.is_dir() {
            return Err(std::io::Error::other("it is a directory"));
        }
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(LogFile { out, user: user() })
    }

    /// One record per chunk, as Ansible's logger writes them.
    pub fn records(&self, shown: &Shown) -> String {
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
        let pid = std::process::id();
        let mut s = String::new();
        for c in &shown.chunks {
            let text = message(&c.text);
            if text.is_empty() {
                continue;
            }
            s.push_str(&format!(
                "{now} p={pid} u={} n=ansible {}| {text}\n",
                self.user,
                level(text)
            ));
        }
        s
    }
}

impl Sink for LogFile {
    fn emit(&mut self, e: &Event, shown: &Shown) {
        // Ansible's default callback shows `NOTIFIED HANDLER` lines on the
        // screen only (`screen_only=True`): they never reach the log.
        if matches!(e, Event::Notify { .. }) {
            return;
        }
        let r = self.records(shown);
        // A full disk must not stop the run.
        let _ = self.out.write_all(r.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Chunk;

    #[test]
    fn notifications_stay_off_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut log = LogFile::open(&path).unwrap();
        let shown = Shown {
            chunks: vec![Chunk::plain("NOTIFIED HANDLER restart for h1\n", false)],
        };
        let notify = Event::Notify {
            host: "h1".into(),
            handler: "restart".into(),
        };
        log.emit(&notify, &shown);
        log.emit(&Event::Verbose("other".into()), &shown);
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
    }

    #[test]
    fn records_like_ansible() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogFile::open(&dir.path().join("a.log")).unwrap();
        let shown = Shown {
            chunks: vec![
                Chunk::plain("\nTASK [x] ***\n", false),
                Chunk::plain("skipping: [h1]\n", false),
            ],
        };
        let r = log.records(&shown);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines.len(), 2);
        let re = regex::Regex::new(
            r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} p=\d+ u=\S+ n=ansible INFO\| TASK \[x\] \*\*\*$",
        )
        .unwrap();
        assert!(re.is_match(lines[0]), "{}", lines[0]);
        assert!(lines[1].ends_with("n=ansible INFO| skipping: [h1]"));
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(LogFile::open(dir.path()).is_err());
    }
}
