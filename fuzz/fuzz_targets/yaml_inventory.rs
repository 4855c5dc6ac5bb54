// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A YAML (or JSON) inventory must load or fail with an `InventoryError`,
//! never a panic. Run with `cargo +nightly fuzz run yaml_inventory`.
#![no_main]

use kiln::inventory::{Inventory, parse_yaml_doc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = kiln::yaml::load_str(text, "fuzz.yml") else {
        return;
    };
    let mut inv = Inventory::new();
    for doc in &loaded.docs {
        if let Err(e) = parse_yaml_doc(&mut inv, doc) {
            let _ = e.to_string();
            return;
        }
    }
    let _ = inv.finish();
});
