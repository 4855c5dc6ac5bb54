// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Masking secrets in events before any sink sees them. What a `debug`
//! task prints is left alone: printing a secret with `debug` is on purpose
//! (Ansible shows it too; `no_log` hides it).

use super::Event;
use serde_json::Value as Json;

/// Something that knows which strings are secret.
pub trait Redact: Send + Sync {
    /// `text` with the secrets masked, or `None` when it holds none.
    fn redact(&self, text: &str) -> Option<String>;

    /// Whether no secret is known yet: events then pass untouched (a run
    /// without vaults pays nothing for masking).
    fn knows_none(&self) -> bool {
        false
    }
}

impl Redact for crate::vault::VaultSecrets {
    fn redact(&self, text: &str) -> Option<String> {
        self.revealed().redact(text)
    }

    fn knows_none(&self) -> bool {
        self.revealed().is_empty()
    }
}

/// Plain secrets the run was given (login and become passwords).
impl Redact for crate::vault::Revealed {
    fn redact(&self, text: &str) -> Option<String> {
        crate::vault::Revealed::redact(self, text)
    }
}

fn string(r: &dyn Redact, s: &mut String) {
    if let Some(m) = r.redact(s) {
        *s = m;
    }
}

fn json(r: &dyn Redact, v: &mut Json) {
    match v {
        Json::String(s) => string(r, s),
        Json::Array(items) => items.iter_mut().for_each(|i| json(r, i)),
        Json::Object(m) => {
            // Keys may be secret too (a dict keyed by a password is odd but
            // possible); rebuilding keeps the order.
            let taken = std::mem::take(m);
            for (mut k, mut x) in taken {
                string(r, &mut k);
                json(r, &mut x);
                m.insert(k, x);
            }
        }
        _ => {}
    }
}

fn is_debug(action: &str) -> bool {
    matches!(
        action,
        "debug" | "ansible.builtin.debug" | "ansible.legacy.debug"
    )
}

/// Masks every secret in `e`, except in `debug` results.
pub(super) fn event(r: &dyn Redact, e: &mut Event) {
    match e {
        Event::PlaybookStart { path } => string(r, path),
        Event::PlayStart { name, .. } | Event::TaskStart { name, .. } => string(r, name),
        Event::HostResult {
            action,
            task,
            result,
            error_detail,
            ..
        } => {
            string(r, task);
            if !is_debug(action) {
                json(r, result);
                if let Some(d) = error_detail {
                    string(r, d);
                }
            }
        }
        Event::ItemResult {
            action,
            task,
            result,
            label,
            error_detail,
            ..
        } => {
            string(r, task);
            if !is_debug(action) {
                json(r, result);
                json(r, label);
                if let Some(d) = error_detail {
                    string(r, d);
                }
            }
        }
        Event::Included { file, item, .. } => {
            string(r, file);
            if let Some(i) = item {
                json(r, i);
            }
        }
        Event::Retry { task, result, .. } => {
            string(r, task);
            json(r, result);
        }
        Event::AsyncDone { result, .. } | Event::AsyncPoll { result, .. } => json(r, result),
        Event::Warning(w) | Event::Verbose(w) | Event::Preamble(w) | Event::Display(w) => {
            string(r, w)
        }
        Event::Notify { handler, .. } => string(r, handler),
        Event::CustomStats(m) => {
            for v in m.values_mut() {
                json(r, v);
            }
        }
        Event::NoHostsMatched | Event::NoMoreHosts | Event::Stats(_) | Event::HostStart { .. } => {}
    }
}
