// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! An INI inventory must load into hosts and groups or an `InventoryError`
//! with a position, never a panic; whatever loads must also pass the
//! inventory's own consistency pass (`finish`). Run with
//! `cargo +nightly fuzz run ini_inventory` in fuzz/.
#![no_main]

use kiln::inventory::{Inventory, parse_ini};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut inv = Inventory::new();
    match parse_ini(&mut inv, data, "fuzz.ini") {
        Ok(()) => {
            if inv.finish().is_ok() {
                // Every group a host names must exist after finishing.
                for host in inv.hosts() {
                    for g in inv.groups_of(&host.name) {
                        debug_assert!(inv.group(g).is_some(), "dangling group {g}");
                    }
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
