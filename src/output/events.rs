// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `--events FILE`: the run as JSON lines in ansible-runner's job event
//! vocabulary, so tools written for ansible-runner (AWX-like UIs, CI
//! parsers) read kiln's runs unchanged. Shapes follow the events
//! ansible-runner records from real ansible-playbook (goldens under
//! tests/golden/events/, recorded by tests/oracle/record_events.py).

use super::{Event, HostStats, Shown, Sink, Status};
use serde_json::{Map, Value as Json, json};
use std::collections::HashSet;
use std::io::Write;

/// A random (version 4) UUID, as ansible-runner's events carry.
pub fn uuid4() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Python's `datetime.isoformat()` of an aware UTC time, as ansible-runner
/// writes `created`, `start` and `end`.
fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// One job event and the text the screen printed for it.
#[derive(Debug, Clone)]
pub struct Job {
    pub event: Json,
    pub text: String,
    /// Written by ansible-playbook before its stdout callback loaded: no
    /// callback frames it, ansible-runner makes an event of each bare line.
    pub bare: bool,
}

/// The verbosity of every `Event::Verbose` (`display.vv`): what
/// ansible-runner's callback records as the event's `verbosity`.
const VERBOSE_LEVEL: u8 = 2;

/// Where we are in the playbook: the `event_data` fields every later event
/// repeats.
#[derive(Default)]
struct Context {
    playbook: String,
    playbook_uuid: String,
    play: Option<(String, String, String)>,
    task: Option<TaskCtx>,
    /// Hosts that already had their `runner_on_start` for the current task.
    started: HashSet<String>,
    /// The run-wide custom stats (`artifact_data` of the stats event).
    artifact_data: Option<Json>,
}

struct TaskCtx {
    name: String,
    uuid: String,
    action: String,
    path: String,
}

/// Turns events into ansible-runner job events (one JSON object each).
pub struct Jobs {
    ident: String,
    /// Event texts in Ansible's colours (what a terminal received).
    color: bool,
    counter: u64,
    line: u64,
    ctx: Context,
    /// The uuid of Ansible's internal `async_status` task, per job id.
    pollers: std::collections::HashMap<String, String>,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs::new(uuid4())
    }
}

impl Jobs {
    /// `ident` is ansible-runner's `runner_ident` (one per run).
    pub fn new(ident: String) -> Self {
        Jobs {
            ident,
            color: false,
            counter: 0,
            line: 0,
            ctx: Context::default(),
            pollers: std::collections::HashMap::new(),
        }
    }

    /// Texts in colour, as Ansible writes them to a terminal.
    pub fn with_color(mut self, on: bool) -> Self {
        self.color = on;
        self
    }

    fn base(&self) -> Map<String, Json> {
        let mut d = Map::new();
        // Before the playbook starts (the callbacks passed over at -vv)
        // an event has no context yet.
        if !self.ctx.playbook_uuid.is_empty() {
            d.insert("playbook".into(), json!(self.ctx.playbook));
            d.insert("playbook_uuid".into(), json!(self.ctx.playbook_uuid));
        }
        if let Some((name, uuid, pattern)) = &self.ctx.play {
            d.insert("play".into(), json!(name));
            d.insert("play_uuid".into(), json!(uuid));
            d.insert("play_pattern".into(), json!(pattern));
        }
        if let Some(t) = &self.ctx.task {
            d.insert("task".into(), json!(t.name));
            d.insert("task_uuid".into(), json!(t.uuid));
            d.insert("task_action".into(), json!(t.action));
            d.insert("resolved_action".into(), json!(resolved(&t.action)));
            // Ansible only shows task arguments with display_args_to_stdout.
            d.insert("task_args".into(), json!(""));
            d.insert("task_path".into(), json!(t.path));
        }
        d
    }

    fn parent(&self) -> Option<String> {
        self.ctx
            .task
            .as_ref()
            .map(|t| t.uuid.clone())
            .or_else(|| self.ctx.play.as_ref().map(|p| p.1.clone()))
            .or_else(|| Some(self.ctx.playbook_uuid.clone()).filter(|s| !s.is_empty()))
    }

    /// One job event; `text` is what the screen printed for it.
    fn job(
        &mut self,
        name: &str,
        text: &str,
        parent: Option<String>,
        mut data: Map<String, Json>,
        uuid: String,
        created: chrono::DateTime<chrono::Utc>,
    ) -> Job {
        self.counter += 1;
        let lines = text.matches('\n').count() as u64;
        let start_line = self.line;
        self.line += lines;
        // ansible-runner reads the display through a terminal: CRLF line
        // ends, and the event's text without its final line end.
        let stdout = text.trim_end_matches('\n').replace('\n', "\r\n");
        data.insert("uuid".into(), json!(uuid));
        let mut ev = Map::new();
        ev.insert("uuid".into(), json!(uuid));
        ev.insert("counter".into(), json!(self.counter));
        ev.insert("stdout".into(), json!(stdout));
        ev.insert("start_line".into(), json!(start_line));
        ev.insert("end_line".into(), json!(self.line));
        ev.insert("runner_ident".into(), json!(self.ident));
        ev.insert("event".into(), json!(name));
        ev.insert("pid".into(), json!(std::process::id()));
        ev.insert("created".into(), json!(iso(created)));
        if let Some(p) = parent {
            ev.insert("parent_uuid".into(), json!(p));
        }
        ev.insert("event_data".into(), Json::Object(data));
        Job {
            event: Json::Object(ev),
            text: text.to_string(),
            bare: false,
        }
    }

    /// The bare lines ansible-playbook writes before its callback loads
    /// (the `-vv` version block, the config file line): ansible-runner
    /// gives each line an event of its own, with no data and no parent.
    fn bare_lines(&mut self, text: &str, out: &mut Vec<Job>) {
        for line in text.trim_end_matches('\n').split('\n') {
            self.counter += 1;
            let start_line = self.line;
            self.line += 1;
            let uuid = uuid4();
            let event = json!({
                "event": "verbose",
                "uuid": uuid,
                "counter": self.counter,
                "stdout": line,
                "start_line": start_line,
                "end_line": self.line,
                "runner_ident": self.ident,
                "created": iso(chrono::Utc::now()),
            });
            out.push(Job {
                event,
                text: format!("{line}\n"),
                bare: true,
            });
        }
    }

    /// A host's `runner_on_start`, once per host and task, before its
    /// first item or result.
    fn host_start(&mut self, host: &str, at: chrono::DateTime<chrono::Utc>, out: &mut Vec<Job>) {
        if !self.ctx.started.insert(host.to_string()) {
            return;
        }
        let mut d = self.base();
        d.insert("host".into(), json!(host));
        let parent = self.parent();
        out.push(self.job("runner_on_start", "", parent, d, uuid4(), at));
    }

    /// The job events for `e` (a host's result brings its start event too).
    pub fn events(&mut self, e: &Event, shown: &Shown) -> Vec<Json> {
        self.jobs(e, shown).into_iter().map(|j| j.event).collect()
    }

    /// The job events for `e`, each with the text shown for it.
    pub fn jobs(&mut self, e: &Event, shown: &Shown) -> Vec<Job> {
        let now = chrono::Utc::now();
        let text = shown.all(self.color);
        let mut out = Vec::new();
        match e {
            Event::PlaybookStart { path } => {
                self.ctx = Context {
                    playbook: path.clone(),
                    playbook_uuid: uuid4(),
                    ..Context::default()
                };
                let uuid = self.ctx.playbook_uuid.clone();
                let d = self.base();
                out.push(self.job("playbook_on_start", &text, None, d, uuid, now));
            }
            Event::PlayStart { name, pattern, .. } => {
                self.ctx.task = None;
                let uuid = uuid4();
                self.ctx.play = Some((name.clone(), uuid.clone(), pattern.clone()));
                let mut d = self.base();
                d.insert("name".into(), json!(name));
                d.insert("pattern".into(), json!(pattern));
                let parent = Some(self.ctx.playbook_uuid.clone());
                out.push(self.job("playbook_on_play_start", &text, parent, d, uuid, now));
            }
            Event::NoHostsMatched | Event::NoMoreHosts => {
                let name = if matches!(e, Event::NoHostsMatched) {
                    "playbook_on_no_hosts_matched"
                } else {
                    "playbook_on_no_hosts_remaining"
                };
                let d = self.base();
                let parent = self.ctx.play.as_ref().map(|p| p.1.clone());
                out.push(self.job(name, &text, parent, d, uuid4(), now));
            }
            Event::TaskStart {
                name,
                action,
                handler,
                origin,
                ..
            } => {
                let uuid = uuid4();
                self.ctx.started.clear();
                self.ctx.task = Some(TaskCtx {
                    name: name.clone(),
                    uuid: uuid.clone(),
                    action: action.clone(),
                    path: origin
                        .as_ref()
                        .map(|s| format!("{}:{}", s.file, s.line))
                        .unwrap_or_default(),
                });
                let mut d = self.base();
                d.insert("name".into(), json!(name));
                // ansible-runner reports handlers as conditional task starts.
                d.insert("is_conditional".into(), json!(handler));
                let parent = self.ctx.play.as_ref().map(|p| p.1.clone());
                out.push(self.job("playbook_on_task_start", &text, parent, d, uuid, now));
            }
            Event::Included { file, .. } => {
                // One event per included file, for all its hosts, as
                // ansible-runner reports it (the hosts are in its text).
                let mut d = self.base();
                d.insert("included_file".into(), json!(file));
                let parent = self.parent();
                out.push(self.job("playbook_on_include", &text, parent, d, uuid4(), now));
            }
            Event::HostStart { host } => self.host_start(host, now, &mut out),
            Event::Retry { host, result, .. } => {
                self.host_start(host, now, &mut out);
                let mut d = self.base();
                d.insert("host".into(), json!(host));
                d.insert("res".into(), result.clone());
                let parent = self.parent();
                out.push(self.job("runner_retry", &text, parent, d, uuid4(), now));
            }
            Event::AsyncPoll { host, jid, result } => {
                self.host_start(host, now, &mut out);
                // Ansible polls through an internal `async_status` task,
                // one per host and job: the poll events name that task
                // (with its own uuid as their parent), not the user's.
                let poller = self
                    .pollers
                    .entry(jid.clone())
                    .or_insert_with(uuid4)
                    .clone();
                let mut d = self.base();
                d.insert("task".into(), json!("async_status"));
                d.insert("task_uuid".into(), json!(poller));
                d.insert("task_action".into(), json!("async_status"));
                d.insert(
                    "resolved_action".into(),
                    json!("ansible.builtin.async_status"),
                );
                d.insert("task_args".into(), json!(""));
                d.insert("task_path".into(), json!(""));
                d.insert("host".into(), json!(host));
                let mut res = result.clone();
                // A poll that found the job running carries no `failed`.
                if let Json::Object(m) = &mut res
                    && m.get("failed") == Some(&json!(false))
                {
                    m.remove("failed");
                }
                d.insert("res".into(), res);
                d.insert("jid".into(), json!(jid));
                out.push(self.job("runner_on_async_poll", &text, Some(poller), d, uuid4(), now));
            }
            Event::AsyncDone {
                host,
                jid,
                failed,
                result,
            } => {
                self.host_start(host, now, &mut out);
                let mut d = self.base();
                d.insert("host".into(), json!(host));
                d.insert("res".into(), result.clone());
                d.insert("jid".into(), json!(jid));
                let parent = self.parent();
                let kind = if *failed {
                    "runner_on_async_failed"
                } else {
                    "runner_on_async_ok"
                };
                out.push(self.job(kind, &text, parent, d, uuid4(), now));
            }
            Event::ItemResult {
                host,
                status,
                result,
                ..
            } => {
                self.host_start(host, now, &mut out);
                let name = match status {
                    Status::Ok | Status::Changed => "runner_item_on_ok",
                    Status::Failed | Status::Unreachable => "runner_item_on_failed",
                    Status::Skipped => "runner_item_on_skipped",
                };
                let mut d = self.base();
                d.insert("host".into(), json!(host));
                d.insert("res".into(), clean(result));
                let parent = self.parent();
                out.push(self.job(name, &text, parent, d, uuid4(), now));
            }
            Event::HostResult {
                host,
                status,
                ignored,
                result,
                started,
                ..
            } => {
                let start = started.unwrap_or(now);
                self.host_start(host, start, &mut out);
                let name = match status {
                    Status::Ok | Status::Changed => "runner_on_ok",
                    Status::Failed => "runner_on_failed",
                    Status::Skipped => "runner_on_skipped",
                    Status::Unreachable => "runner_on_unreachable",
                };
                let mut d = self.base();
                d.insert("host".into(), json!(host));
                d.insert("remote_addr".into(), json!(host));
                // A skipped host's event carries no result.
                if *status != Status::Skipped {
                    d.insert("res".into(), clean(result));
                }
                d.insert("start".into(), json!(iso(start)));
                d.insert("end".into(), json!(iso(now)));
                let secs = (now - start).num_microseconds().unwrap_or(0) as f64 / 1e6;
                d.insert("duration".into(), json!(secs));
                if *status == Status::Failed {
                    d.insert("ignore_errors".into(), json!(ignored));
                }
                if *status != Status::Unreachable {
                    d.insert("event_loop".into(), Json::Null);
                }
                let parent = self.parent();
                out.push(self.job(name, &text, parent, d, uuid4(), now));
            }
            Event::Notify { host, handler } => {
                // Under the task that was running (a flush's, or the last
                // task's for the flush at the end of a section).
                let mut d = self.base();
                d.insert("host".into(), json!(host));
                d.insert("handler".into(), json!(handler));
                let parent = self.parent();
                out.push(self.job("playbook_on_notify", &text, parent, d, uuid4(), now));
            }
            Event::Preamble(_) => self.bare_lines(&text, &mut out),
            // A verbose message shown outside any callback: ansible-runner's
            // callback records it in the context of where the run is, marked
            // verbose, with its verbosity beside the data.
            Event::Verbose(_) => {
                let mut d = self.base();
                d.insert("verbose".into(), json!(true));
                let parent = self.parent();
                let mut job = self.job("verbose", &text, parent, d, uuid4(), now);
                if let Json::Object(ev) = &mut job.event {
                    ev.insert("verbosity".into(), json!(VERBOSE_LEVEL));
                }
                out.push(job);
            }
            // An action's own display line: a plain display call, so an
            // event named `verbose` but without the verbose mark.
            Event::Display(_) => {
                let d = self.base();
                let parent = self.parent();
                out.push(self.job("verbose", &text, parent, d, uuid4(), now));
            }
            Event::Warning(_) => {
                // ansible-runner marks a warning's event (the text is its
                // stdout), in the context of where the run is.
                let mut d = self.base();
                d.insert("warning".into(), json!(true));
                let parent = self.parent();
                out.push(self.job("warning", &text, parent, d, uuid4(), now));
            }
            // Kept for the stats event; no job event of its own.
            Event::CustomStats(m) => self.ctx.artifact_data = m.get("_run").cloned(),
            Event::Stats(stats) => {
                let mut d = Map::new();
                d.insert("playbook".into(), json!(self.ctx.playbook));
                d.insert("playbook_uuid".into(), json!(self.ctx.playbook_uuid));
                let pick = |f: fn(&HostStats) -> u32| -> Json {
                    Json::Object(
                        stats
                            .iter()
                            .filter(|(_, s)| f(s) > 0)
                            .map(|(h, s)| (h.clone(), json!(f(s))))
                            .collect(),
                    )
                };
                d.insert("changed".into(), pick(|s| s.changed));
                d.insert("dark".into(), pick(|s| s.unreachable));
                d.insert("failures".into(), pick(|s| s.failed));
                d.insert("ignored".into(), pick(|s| s.ignored));
                d.insert("ok".into(), pick(|s| s.ok));
                d.insert("processed".into(), pick(|_| 1));
                d.insert("rescued".into(), pick(|s| s.rescued));
                d.insert("skipped".into(), pick(|s| s.skipped));
                let data = self.ctx.artifact_data.take();
                d.insert("artifact_data".into(), data.unwrap_or_else(|| json!({})));
                let parent = Some(self.ctx.playbook_uuid.clone());
                out.push(self.job("playbook_on_stats", &text, parent, d, uuid4(), now));
            }
        }
        out
    }
}

/// kiln's internal result keys never leave the process.
fn clean(result: &Json) -> Json {
    let mut r = result.clone();
    if let Json::Object(m) = &mut r {
        m.retain(|k, _| !k.starts_with("_kiln_"));
    }
    r
}

/// The action's fully qualified name (`resolved_action`).
fn resolved(action: &str) -> String {
    if action.contains('.') {
        action.to_string()
    } else {
        format!("ansible.builtin.{action}")
    }
}

/// Writes job events as JSON lines to a file opened before the run.
pub struct EventsFile {
    out: std::io::BufWriter<std::fs::File>,
    jobs: Jobs,
}

impl EventsFile {
    /// Opens (truncates) `path`; failing here stops the run before any host
    /// is touched.
    pub fn create(path: &std::path::Path) -> std::io::Result<Self> {
        let f = std::fs::File::create(path)?;
        Ok(EventsFile {
            out: std::io::BufWriter::new(f),
            jobs: Jobs::default(),
        })
    }
}

impl Sink for EventsFile {
    fn emit(&mut self, e: &Event, shown: &Shown) {
        for ev in self.jobs.events(e, shown) {
            // A full disk must not stop the run; the screen still shows it.
            let _ = writeln!(self.out, "{ev}");
        }
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_v4_shaped() {
        let u = uuid4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, uuid4());
    }

    #[test]
    fn preamble_lines_are_bare_and_verbose_events_carry_their_level() {
        let mut j = Jobs::new("id".into());
        let shown = |t: &str| Shown {
            chunks: vec![super::super::Chunk::plain(t, false)],
        };
        let bare = j.jobs(&Event::Preamble("a\nb".into()), &shown("a\nb\n"));
        assert_eq!(bare.len(), 2);
        assert!(bare.iter().all(|b| b.bare));
        assert!(bare[0].event.get("event_data").is_none());
        assert!(bare[0].event.get("parent_uuid").is_none());
        assert_eq!(bare[1].event["stdout"], json!("b"));
        assert_eq!(bare[1].event["start_line"], json!(1));
        // Before the playbook: no context, no parent.
        let early = j.events(&Event::Verbose("v".into()), &shown("v\n"));
        assert_eq!(early[0]["event_data"]["verbose"], json!(true));
        assert!(early[0]["event_data"].get("playbook").is_none());
        assert!(early[0].get("parent_uuid").is_none());
        let start = j.events(
            &Event::PlaybookStart {
                path: "p.yml".into(),
            },
            &shown(""),
        );
        let v = j.events(&Event::Verbose("1 plays".into()), &shown("1 plays\n"));
        assert_eq!(v[0]["verbosity"], json!(2));
        assert_eq!(v[0]["counter"], json!(5));
        assert_eq!(v[0]["event_data"]["playbook"], json!("p.yml"));
        assert_eq!(v[0]["parent_uuid"], start[0]["uuid"]);
        // An action's display line is no verbose message.
        let d = j.events(&Event::Display("x".into()), &shown("x\n"));
        assert_eq!(d[0]["event"], json!("verbose"));
        assert!(d[0]["event_data"].get("verbose").is_none());
        assert!(d[0].get("verbosity").is_none());
    }

    #[test]
    fn lines_and_parents() {
        let mut j = Jobs::new("id".into());
        let shown = |t: &str| Shown {
            chunks: vec![super::super::Chunk::plain(t, false)],
        };
        let a = j.events(
            &Event::PlaybookStart {
                path: "p.yml".into(),
            },
            &shown(""),
        );
        let b = j.events(
            &Event::PlayStart {
                name: "P".into(),
                pattern: "all".into(),
                tasks: 1,
                origin: None,
            },
            &shown("\nPLAY [P] ***\n"),
        );
        assert_eq!(b[0]["start_line"], json!(0));
        assert_eq!(b[0]["end_line"], json!(2));
        assert_eq!(b[0]["stdout"], json!("\r\nPLAY [P] ***"));
        assert_eq!(b[0]["parent_uuid"], a[0]["uuid"]);
        assert_eq!(b[0]["event_data"]["play_pattern"], json!("all"));
        assert_eq!(b[0]["counter"], json!(2));
    }
}
