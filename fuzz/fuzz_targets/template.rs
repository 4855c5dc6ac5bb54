// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Templates must compile and render to a value or a `TemplateError`,
//! never a panic, both as playbook strings and as template files. Run with
//! `cargo +nightly fuzz run template` in fuzz/.
//!
//! Lookups are kept out: `pipe` runs commands and `password` writes files,
//! and a fuzzer must not do either on the machine it runs on. Jinja has no
//! way to reach a global by a computed name, so refusing sources that
//! mention the three lookup entry points is enough.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use kiln::template::{Resolver, Templar, TemplateError, TemplateOptions, json_to_value};
use libfuzzer_sys::fuzz_target;
use minijinja::Value;
use serde_json::json;

struct Vars(HashMap<&'static str, serde_json::Value>);

impl Resolver for Vars {
    fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError> {
        Ok(self.0.get(name).map(json_to_value))
    }
}

/// Whether `src` names `lookup`, `query` or the identifier `q`.
fn mentions_lookup(src: &str) -> bool {
    if src.contains("lookup") || src.contains("query") {
        return true;
    }
    let b = src.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    b.iter().enumerate().any(|(i, &c)| {
        c == b'q' && (i == 0 || !ident(b[i - 1])) && (i + 1 == b.len() || !ident(b[i + 1]))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if mentions_lookup(src) {
        return;
    }
    let vars = Vars(HashMap::from([
        ("n", json!(3)),
        ("s", json!("web")),
        ("l", json!(["a", 1, true, null, 2.5])),
        ("d", json!({"k": "v", "x": [1.5], "n": null})),
        ("t", json!(true)),
    ]));
    // One templar for the whole run, as kiln has one per run, so that its
    // caches (bounded, and freed with it) are exercised across inputs.
    static TEMPLAR: OnceLock<Arc<Templar>> = OnceLock::new();
    let templar = TEMPLAR.get_or_init(Templar::new);
    if templar.check(src).is_ok() {
        let _ = templar.render(src, &vars);
    }
    let _ = templar.condition(src, &vars);
    let _ = templar.render_file(src, &vars, &TemplateOptions::default());
});
