// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `-e` values (key=value pairs, JSON or YAML text) must become a variable
//! layer or an `EngineError`, never a panic. `@file` forms are left out:
//! they read files, which the YAML and vault targets cover. Run with
//! `cargo +nightly fuzz run extra_vars` in fuzz/.
#![no_main]

use std::path::Path;

use kiln::engine::parse_extra_vars;
use kiln::vault::VaultSecrets;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.starts_with('@') {
        return;
    }
    let vault = VaultSecrets::new(Vec::new());
    match parse_extra_vars(&[text.to_string()], Path::new("/nonexistent-kiln-fuzz"), &vault) {
        Ok(layer) => {
            let _ = format!("{layer:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
