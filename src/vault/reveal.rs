// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The plaintexts a run has opened, so that output can mask them.
//!
//! Every inline `!vault` value is marked when it is decrypted, and every
//! string value of a whole vault file when the file is parsed. Output sinks
//! replace marked strings with `********` everywhere except in what a task
//! prints on purpose (`debug`). Values *derived* from a secret (`{{ pw |
//! upper }}`) are not the marked text and are not masked; `no_log` is the
//! tool for those, as in Ansible.

use crate::yaml::{Node, NodeKind};
use std::sync::RwLock;
use zeroize::Zeroizing;

/// What a masked secret is shown as (Ansible's no_log mask).
pub const MASK: &str = "********";

/// Shorter strings are not masked: they occur everywhere in output
/// (`ok`, `yes`, `22`), and masking them would destroy the output without
/// hiding anything.
pub const MIN_MASKED_CHARS: usize = 4;

/// The marked plaintexts, longest first (so that a secret containing
/// another is masked whole).
#[derive(Default)]
pub struct Revealed {
    values: RwLock<Vec<Zeroizing<String>>>,
}

impl Revealed {
    /// Marks `s` as secret.
    pub fn mark(&self, s: &str) {
        if s.chars().count() < MIN_MASKED_CHARS {
            return;
        }
        let Ok(mut v) = self.values.write() else {
            return;
        };
        if v.iter().any(|x| x.as_str() == s) {
            return;
        }
        let at = v.partition_point(|x| x.len() >= s.len());
        v.insert(at, Zeroizing::new(s.to_string()));
    }

    /// Marks every string value in `n` (keys are names, not secrets).
    pub fn mark_node(&self, n: &Node) {
        match &n.kind {
            NodeKind::Str(s) => self.mark(s),
            NodeKind::Seq(items) => items.iter().for_each(|i| self.mark_node(i)),
            NodeKind::Map(pairs) => pairs.iter().for_each(|(_, v)| self.mark_node(v)),
            _ => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.read().map(|v| v.is_empty()).unwrap_or(true)
    }

    /// `text` with every marked secret masked, or `None` when it holds none.
    pub fn redact(&self, text: &str) -> Option<String> {
        let values = self.values.read().ok()?;
        let mut out: Option<String> = None;
        for secret in values.iter() {
            let current = out.as_deref().unwrap_or(text);
            if current.contains(secret.as_str()) {
                out = Some(current.replace(secret.as_str(), MASK));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_longest_first_and_skips_short() {
        let r = Revealed::default();
        r.mark("abc");
        r.mark("hunter2");
        r.mark("hunter2-extended");
        assert_eq!(r.redact("abc only"), None);
        assert_eq!(
            r.redact("x=hunter2-extended y=hunter2").as_deref(),
            Some("x=******** y=********")
        );
        let n = crate::yaml::load_str("k: [s3cr3t-v, {inner: deep-secret}, 5]\nshort: ab\n", "t")
            .unwrap()
            .docs
            .remove(0);
        r.mark_node(&n);
        assert_eq!(
            r.redact("deep-secret s3cr3t-v k inner").as_deref(),
            Some("******** ******** k inner")
        );
    }
}
