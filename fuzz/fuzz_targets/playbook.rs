// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A playbook text must load into plays or a list of `PlaybookError`s with
//! positions, never panic: keywords, module argument checks, free-form
//! `k=v` text, blocks, handlers and loops all run here. Imports that name
//! files are resolved against a directory that does not exist. Run with
//! `cargo +nightly fuzz run playbook` in fuzz/.
#![no_main]

use kiln::playbook::load_playbook_str;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match load_playbook_str(text, "/nonexistent-kiln-fuzz/site.yml") {
        Ok(pb) => {
            let _ = format!("{pb:?}");
        }
        Err(errors) => {
            for e in errors {
                let _ = e.to_string();
            }
        }
    }
});
