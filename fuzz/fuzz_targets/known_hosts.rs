// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! known_hosts text (hashed names, markers, patterns with `!`, `[h]:port`)
//! must load and answer lookups without panicking, whatever the bytes.
//! Run with `cargo +nightly fuzz run known_hosts` in fuzz/.
#![no_main]

use std::path::Path;

use kiln::transport::known_hosts::KnownHosts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the host asked about, the rest the file.
    let text = String::from_utf8_lossy(data);
    let (host, file) = text.split_once('\n').unwrap_or(("h1", &text));
    let kh = KnownHosts::from_text(file, Path::new("/fuzz/known_hosts"));
    for e in kh.entries() {
        let _ = format!("{e:?}");
    }
    let _ = kh.known_key_types(host);
    let _ = kh.check(host, file.as_bytes());
});
