// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Host patterns (`web:&db:!h1`, `~regex`, `g[1:3]`, ranges) must select
//! hosts or fail with a `PatternError`, never panic; and every host a
//! pattern selects must exist in the inventory. Run with
//! `cargo +nightly fuzz run host_pattern` in fuzz/.
#![no_main]

use kiln::inventory::{Inventory, expand_host_pattern, parse_ini};
use libfuzzer_sys::fuzz_target;

const INVENTORY: &str = "\
h1 a=1
[web]
web[01:03] ansible_host=127.0.0.1
[db]
db-[a:c]
h1
[all_servers:children]
web
db
";

fuzz_target!(|data: &[u8]| {
    let Ok(pattern) = std::str::from_utf8(data) else {
        return;
    };
    let mut inv = Inventory::new();
    if parse_ini(&mut inv, INVENTORY.as_bytes(), "fuzz.ini").is_err() || inv.finish().is_err() {
        return;
    }
    if let Ok(hosts) = inv.select(pattern) {
        for h in &hosts {
            assert!(inv.resolve_host(h).is_some(), "selected unknown host {h}");
        }
    }
    let _ = expand_host_pattern(pattern);
});
