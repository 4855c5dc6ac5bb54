// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `--artifact-dir DIR`: the run laid out as ansible-runner lays out its
//! artifacts, so tools that read a finished ansible-runner job read kiln's:
//!
//! ```text
//! DIR/<ident>/command                        what ran: {"command", "cwd", "env"}
//! DIR/<ident>/job_events/<counter>-<uuid>.json   one job event per file
//! DIR/<ident>/stdout                         each event's text, a line end after each
//! DIR/<ident>/stderr                         empty (ansible-runner reads one terminal)
//! DIR/<ident>/fact_cache/                    empty (no fact cache is written)
//! DIR/<ident>/status                         successful | failed
//! DIR/<ident>/rc                             the exit code
//! ```
//!
//! `DIR` is what ansible-runner calls the artifact directory
//! (`<private_data_dir>/artifacts` by default); `<ident>` is `--ident` or a
//! random uuid.

use super::awx::{create_private_dir, write_atomic};
use super::events::Jobs;
use super::{Event, Shown, Sink};
use serde_json::{Map, Value as Json, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the artifact directory cannot be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the artifact directory {path}: {source}")]
pub struct ArtifactError {
    path: String,
    source: std::io::Error,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArtifactError + '_ {
    move |source| ArtifactError {
        path: path.display().to_string(),
        source,
    }
}

/// Environment variables worth recording in `command`: ansible-runner
/// records the whole environment, but kiln's may hold passwords, so only
/// Ansible's settings are kept, and none that names a secret.
fn recorded_env() -> Map<String, Json> {
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("ANSIBLE_") || k == "PATH" || k == "HOME")
        .filter(|(k, _)| {
            let up = k.to_ascii_uppercase();
            !["PASS", "SECRET", "TOKEN", "KEY", "VAULT"]
                .iter()
                .any(|w| up.contains(w))
        })
        .collect();
    vars.sort();
    vars.into_iter().map(|(k, v)| (k, json!(v))).collect()
}

/// The job's directory, opened before the run.
pub struct Artifacts {
    dir: PathBuf,
    ident: String,
}

impl Artifacts {
    /// Creates `root/<ident>` with `command` and the empty files; failing
    /// here stops the run before any host is touched.
    pub fn create(
        root: &Path,
        ident: &str,
        argv: &[String],
        cwd: &Path,
    ) -> Result<Artifacts, ArtifactError> {
        let dir = root.join(ident);
        for d in [dir.join("job_events"), dir.join("fact_cache")] {
            create_private_dir(&d).map_err(io(&d))?;
        }
        let command = json!({
            "command": argv,
            "cwd": cwd.display().to_string(),
            "env": Json::Object(recorded_env()),
        });
        let path = dir.join("command");
        write_atomic(&path, command.to_string().as_bytes()).map_err(io(&path))?;
        for name in ["stdout", "stderr"] {
            let path = dir.join(name);
            write_atomic(&path, b"").map_err(io(&path))?;
        }
        Ok(Artifacts {
            dir,
            ident: ident.to_string(),
        })
    }

    /// The sink that writes the job events and stdout.
    pub fn sink(&self) -> Result<ArtifactSink, ArtifactError> {
        let path = self.dir.join("stdout");
        let stdout = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        Ok(ArtifactSink {
            jobs: Jobs::new(self.ident.clone()),
            events: self.dir.join("job_events"),
            stdout,
        })
    }

    /// `status` and `rc`, written when the run is over.
    pub fn finish(&self, rc: i32) -> Result<(), ArtifactError> {
        let status = if rc == 0 { "successful" } else { "failed" };
        let path = self.dir.join("status");
        write_atomic(&path, status.as_bytes()).map_err(io(&path))?;
        let path = self.dir.join("rc");
        write_atomic(&path, rc.to_string().as_bytes()).map_err(io(&path))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Writes `job_events/<counter>-<uuid>.json` and `stdout` as events come.
pub struct ArtifactSink {
    jobs: Jobs,
    events: PathBuf,
    stdout: std::fs::File,
}

impl Sink for ArtifactSink {
    fn emit(&mut self, e: &Event, shown: &Shown) {
        for ev in self.jobs.events(e, shown) {
            let name = format!(
                "{}-{}.json",
                ev["counter"],
                ev["uuid"].as_str().unwrap_or("")
            );
            // A full disk must not stop the run; the screen still shows it.
            if let Err(err) = write_atomic(&self.events.join(name), ev.to_string().as_bytes()) {
                tracing::warn!("artifact dir: {err}");
            }
            let text = ev["stdout"].as_str().unwrap_or_default();
            if !text.is_empty() {
                let _ = writeln!(self.stdout, "{text}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_like_ansible_runner() {
        let root = tempfile::tempdir().unwrap();
        let a = Artifacts::create(
            root.path(),
            "ID",
            &["kiln".into(), "playbook".into()],
            root.path(),
        )
        .unwrap();
        let mut sink = a.sink().unwrap();
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
                chunks: vec![super::super::Chunk::plain("\nPLAY [P] ***\n", false)],
            },
        );
        a.finish(2).unwrap();
        let dir = root.path().join("ID");
        assert_eq!(
            std::fs::read_to_string(dir.join("status")).unwrap(),
            "failed"
        );
        assert_eq!(std::fs::read_to_string(dir.join("rc")).unwrap(), "2");
        assert_eq!(
            std::fs::read_to_string(dir.join("stdout")).unwrap(),
            "\r\nPLAY [P] ***\n"
        );
        let mut names: Vec<String> = std::fs::read_dir(dir.join("job_events"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2);
        assert!(names[0].starts_with("1-") && names[1].starts_with("2-"));
        let ev: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.join("job_events").join(&names[1])).unwrap(),
        )
        .unwrap();
        assert_eq!(ev["runner_ident"], json!("ID"));
        assert_eq!(ev["event"], json!("playbook_on_play_start"));
        let cmd: Json =
            serde_json::from_str(&std::fs::read_to_string(dir.join("command")).unwrap()).unwrap();
        assert_eq!(cmd["command"], json!(["kiln", "playbook"]));
    }

    #[test]
    fn an_unwritable_root_fails_at_once() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("f");
        std::fs::write(&file, "").unwrap();
        assert!(Artifacts::create(&file, "ID", &[], root.path()).is_err());
    }
}
