// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The YAML loader must turn any text into documents or a `YamlError`,
//! never a panic. Run with `cargo +nightly fuzz run yaml_load` in fuzz/.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match kiln::yaml::load_str(text, "<fuzz>") {
        Ok(loaded) => {
            // Walk every document so that conversions are exercised too.
            for doc in &loaded.docs {
                let _ = doc.to_json();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
