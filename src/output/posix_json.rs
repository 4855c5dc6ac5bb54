// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `ansible.posix.json` stdout callback: nothing while the run goes,
//! then one JSON document after the last play: every play with its tasks,
//! each task with every host's result, and the recap's numbers.
//! (`json` names it too: ansible-core routes the short name there when the
//! ansible.posix collection is installed, as the ansible package does.)

use super::json::dumps;
use super::{Event, HostStats, Status};
use serde_json::{Map, Value as Json, json};

/// `utcnow().isoformat() + "Z"`, as the callback stamps times.
fn now() -> String {
    let t = chrono::Utc::now();
    if t.timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

fn path(origin: &Option<crate::span::Span>) -> String {
    origin
        .as_ref()
        .map(|s| format!("{}:{}", s.file, s.line))
        .unwrap_or_default()
}

/// The document being built.
pub struct JsonDoc {
    plays: Vec<Json>,
    /// Spaces of indentation (`json_indent`; `None`: one line).
    indent: Option<usize>,
    /// `show_custom_stats`: the document carries what set_stats set.
    show_custom: bool,
    custom: Map<String, Json>,
}

impl JsonDoc {
    pub fn new(indent: Option<usize>) -> Self {
        JsonDoc {
            plays: Vec::new(),
            indent,
            show_custom: false,
            custom: Map::new(),
        }
    }

    /// `show_custom_stats`.
    pub fn show_custom_stats(&mut self, on: bool) {
        self.show_custom = on;
    }

    /// What `e` adds to the document; the document itself when the run
    /// is over.
    pub fn observe(&mut self, e: &Event) -> Option<String> {
        match e {
            Event::PlayStart { name, origin, .. } => {
                self.plays.push(json!({
                    "play": {
                        "duration": {"start": now()},
                        "id": super::events::uuid4(),
                        "name": name,
                        "path": path(origin),
                    },
                    "tasks": [],
                }));
            }
            Event::TaskStart { name, origin, .. } => {
                let task = json!({
                    "hosts": {},
                    "task": {
                        "duration": {"start": now()},
                        "id": super::events::uuid4(),
                        "name": name,
                        "path": path(origin),
                    },
                });
                if let Some(tasks) = self
                    .plays
                    .last_mut()
                    .and_then(|p| p["tasks"].as_array_mut())
                {
                    tasks.push(task);
                }
            }
            Event::HostResult {
                host,
                action,
                status,
                result,
                ..
            } => self.record(host, action, *status, result),
            Event::CustomStats(m) => self.custom = m.clone(),
            Event::Stats(stats) => return Some(self.finish(stats)),
            _ => {}
        }
        None
    }

    /// A host's result under the running task, with `failed`/`skipped`
    /// set by how it ended and the task's action.
    fn record(&mut self, host: &str, action: &str, status: Status, result: &Json) {
        let mut r = match result {
            Json::Object(m) => m.clone(),
            other => {
                let mut m = Map::new();
                m.insert("result".into(), other.clone());
                m
            }
        };
        r.retain(|k, _| !k.starts_with("_kiln_"));
        match status {
            Status::Failed => {
                r.insert("failed".into(), json!(true));
            }
            Status::Skipped => {
                r.insert("skipped".into(), json!(true));
            }
            _ => {}
        }
        r.insert("action".into(), json!(action));
        let end = now();
        let Some(play) = self.plays.last_mut() else {
            return;
        };
        play["play"]["duration"]["end"] = json!(end);
        if let Some(task) = play["tasks"].as_array_mut().and_then(|t| t.last_mut()) {
            task["hosts"][host] = Json::Object(r);
            task["task"]["duration"]["end"] = json!(end);
        }
    }

    fn finish(&mut self, stats: &[(String, HostStats)]) -> String {
        let mut hosts: Vec<&(String, HostStats)> = stats.iter().collect();
        hosts.sort_by(|a, b| a.0.cmp(&b.0));
        let summary: Map<String, Json> = hosts
            .into_iter()
            .map(|(h, s)| {
                (
                    h.clone(),
                    json!({
                        "changed": s.changed,
                        "failures": s.failed,
                        "ignored": s.ignored,
                        "ok": s.ok,
                        "rescued": s.rescued,
                        "skipped": s.skipped,
                        "unreachable": s.unreachable,
                    }),
                )
            })
            .collect();
        // Per host, and the run-wide ones apart.
        let mut custom = if self.show_custom {
            std::mem::take(&mut self.custom)
        } else {
            Map::new()
        };
        let global = custom.remove("_run").unwrap_or_else(|| json!({}));
        let doc = json!({
            "custom_stats": custom,
            "global_custom_stats": global,
            "plays": std::mem::take(&mut self.plays),
            "stats": summary,
        });
        format!("{}\n", dumps(&doc, self.indent, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_document_at_the_end() {
        let mut d = JsonDoc::new(Some(4));
        assert!(
            d.observe(&Event::PlayStart {
                name: "P".into(),
                pattern: "all".into(),
                tasks: 1,
                origin: None,
            })
            .is_none()
        );
        d.observe(&Event::TaskStart {
            name: "T".into(),
            action: "fail".into(),
            handler: false,
            origin: None,
            lazy: false,
        });
        d.observe(&Event::HostResult {
            host: "h1".into(),
            task: "T".into(),
            action: "fail".into(),
            status: Status::Failed,
            ignored: false,
            result: json!({"msg": "boom", "_kiln_x": 1}),
            looped: false,
            origin: None,
            controller: true,
            error_detail: None,
            started: None,
            diff: false,
        });
        let out = d
            .observe(&Event::Stats(vec![("h1".into(), HostStats::default())]))
            .unwrap();
        let v: Json = serde_json::from_str(&out).unwrap();
        let r = &v["plays"][0]["tasks"][0]["hosts"]["h1"];
        assert_eq!(r, &json!({"action": "fail", "failed": true, "msg": "boom"}));
        assert_eq!(v["stats"]["h1"]["failures"], json!(0));
        assert!(v["plays"][0]["play"]["duration"]["end"].is_string());
    }
}
