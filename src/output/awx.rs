// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `awx_display` stdout callback, as ansible-runner's display callback
//! behaves: ansible-runner sets `ANSIBLE_STDOUT_CALLBACK=awx_display` and
//! `AWX_ISOLATED_DATA_DIR`, then reads the playbook's stdout. For every job
//! event the callback writes the event's data to
//! `$AWX_ISOLATED_DATA_DIR/job_events/<uuid>-partial.json` and frames the
//! text shown for it on stdout between two encoded markers (the event's
//! uuid before, an empty object after). ansible-runner numbers the events,
//! cuts stdout into their `stdout`/`start_line`/`end_line` and merges the
//! partial data in, so tools reading `runner.events` see kiln's events as
//! they see ansible-playbook's.

use super::events::{Job, Jobs};
use super::{Event, Shown, Sink};
use base64::Engine;
use serde_json::{Map, Value as Json, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the callback cannot start.
#[derive(Debug, thiserror::Error)]
pub enum AwxError {
    #[error("the awx_display callback needs AWX_ISOLATED_DATA_DIR (ansible-runner sets it)")]
    NoDataDir,
    #[error("cannot write ansible-runner's job events under {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The widest base64 run between two cursor moves, as ansible-runner
/// writes them (its reader accepts any width).
const WIDTH: usize = 78;

/// `data` encoded the way ansible-runner's output filter looks for it:
/// `ESC[K`, base64 chunks each followed by `ESC[<len>D`, `ESC[K`. On a
/// terminal the cursor moves and erases hide the encoded text.
pub fn frame(data: &Json) -> String {
    // Python's json.dumps layout, which is what ansible-runner decodes.
    let text = super::json::dumps(data, None, false);
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = String::from("\x1b[K");
    for chunk in b64.as_bytes().chunks(WIDTH) {
        let chunk = String::from_utf8_lossy(chunk);
        out.push_str(&format!("{chunk}\x1b[{}D", chunk.len()));
    }
    out.push_str("\x1b[K");
    out
}

/// What ansible-runner takes from the partial file: the event without
/// the fields it computes itself from stdout.
fn partial(job: &Job) -> Json {
    let mut m = Map::new();
    if let Json::Object(ev) = &job.event {
        for k in [
            "event",
            "pid",
            "uuid",
            "created",
            "parent_uuid",
            "verbosity",
            "event_data",
        ] {
            if let Some(v) = ev.get(k) {
                m.insert(k.to_string(), v.clone());
            }
        }
    }
    Json::Object(m)
}

/// The `awx_display` sink: partial files plus framed stdout.
pub struct AwxDisplay<W: Write + Send> {
    jobs: Jobs,
    dir: PathBuf,
    out: W,
}

impl<W: Write + Send> AwxDisplay<W> {
    /// Prepares `<data_dir>/job_events`; failing here stops the run before
    /// any host is touched. `color`: the texts in Ansible's colours (the
    /// terminal ansible-runner reads through receives them).
    pub fn new(data_dir: Option<&Path>, out: W, color: bool) -> Result<Self, AwxError> {
        let data_dir = data_dir.ok_or(AwxError::NoDataDir)?;
        let dir = data_dir.join("job_events");
        create_private_dir(&dir).map_err(|source| AwxError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(AwxDisplay {
            jobs: Jobs::default().with_color(color),
            dir,
            out,
        })
    }

    fn write_partial(&self, job: &Job) -> std::io::Result<()> {
        let uuid = job.event["uuid"].as_str().unwrap_or_default();
        let path = self.dir.join(format!("{uuid}-partial.json"));
        write_atomic(&path, partial(job).to_string().as_bytes())
    }
}

/// A directory only its owner reads (events hold task results).
pub(super) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Writes `path` whole or not at all (a reader never sees half a file),
/// readable by its owner only.
pub(super) fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("json.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(data)?;
    drop(f);
    std::fs::rename(&tmp, path)
}

impl<W: Write + Send> Sink for AwxDisplay<W> {
    fn emit(&mut self, e: &Event, shown: &Shown) {
        for job in self.jobs.jobs(e, shown) {
            if job.bare {
                // Printed before any callback: ansible-runner makes its
                // own event of each line.
                let _ = self.out.write_all(job.text.as_bytes());
                continue;
            }
            // Without its partial file ansible-runner still records the
            // event's text; the run goes on.
            if let Err(err) = self.write_partial(&job) {
                tracing::warn!("awx_display: {err}");
            }
            let uuid = job.event["uuid"].clone();
            let mut text = frame(&json!({ "uuid": uuid }));
            text.push_str(&job.text);
            text.push_str(&frame(&json!({})));
            // Output errors (a closed pipe) must not stop the run.
            let _ = self.out.write_all(text.as_bytes());
        }
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Chunk;

    /// Decodes frames the way ansible-runner's output filter does.
    fn decode(s: &str) -> Vec<Json> {
        let re = regex::Regex::new(r"\x1b\[K((?:[A-Za-z0-9+/=]+\x1b\[\d+D)+)\x1b\[K").unwrap();
        let moves = regex::Regex::new(r"\x1b\[\d+D").unwrap();
        re.captures_iter(s)
            .map(|c| {
                let b64 = moves.replace_all(&c[1], "");
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(b64.as_bytes())
                    .unwrap();
                serde_json::from_slice(&raw).unwrap()
            })
            .collect()
    }

    #[test]
    fn long_frames_are_cut_and_decode() {
        let data = json!({"uuid": "x".repeat(200)});
        let f = frame(&data);
        assert!(f.matches("D").count() >= 3, "{f:?}");
        assert_eq!(decode(&f), vec![data]);
    }

    #[test]
    fn each_event_is_framed_with_its_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        {
            let mut sink = AwxDisplay::new(Some(dir.path()), &mut out, false).unwrap();
            sink.emit(
                &Event::PlaybookStart {
                    path: "p.yml".into(),
                },
                &Shown::default(),
            );
            sink.emit(
                &Event::PlayStart {
                    name: "P".into(),
                    pattern: "all".into(),
                    tasks: 0,
                    origin: None,
                },
                &Shown {
                    chunks: vec![Chunk::plain("\nPLAY [P] ***\n", false)],
                },
            );
        }
        let text = String::from_utf8(out).unwrap();
        let frames = decode(&text);
        assert_eq!(frames.len(), 4);
        assert_eq!(frames[1], json!({}));
        let play_uuid = frames[2]["uuid"].as_str().unwrap();
        assert!(text.contains("\nPLAY [P] ***\n"));
        let p: Json = serde_json::from_str(
            &std::fs::read_to_string(
                dir.path()
                    .join("job_events")
                    .join(format!("{play_uuid}-partial.json")),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(p["event"], json!("playbook_on_play_start"));
        assert_eq!(p["parent_uuid"], frames[0]["uuid"]);
        assert!(p.get("counter").is_none() && p.get("stdout").is_none());
    }

    #[test]
    fn no_data_dir_is_refused() {
        assert!(matches!(
            AwxDisplay::new(None, Vec::new(), false),
            Err(AwxError::NoDataDir)
        ));
    }
}
