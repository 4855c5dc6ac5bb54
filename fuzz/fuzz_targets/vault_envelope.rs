// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The vault envelope parser must never panic, and whatever it accepts must
//! come back the same after formatting and parsing again.
#![no_main]

use kiln::span::Span;
use kiln::vault::envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let origin = Span::synthetic("fuzz");
    // Both as a whole file and as an inline value at a position.
    let _ = envelope::parse(data, &Span::new("fuzz.yml", 3, 7));
    if let Ok(env) = envelope::parse(data, &origin) {
        let text = env.format();
        let again = envelope::parse(text.as_bytes(), &origin);
        assert_eq!(again.as_ref().ok(), Some(&env), "format/parse round trip");
    }
});
