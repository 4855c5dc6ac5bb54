// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Module argument coercion (Ansible's str/bool/int/float/list/dict/path/
//! raw conversions, choices, aliases) must accept or refuse any JSON value
//! with a message, never panic. The first byte picks a module, the rest is
//! a JSON object of arguments. Run with `cargo +nightly fuzz run module_args`.
#![no_main]

use kiln::modules::{self, spec::coerce};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let names = modules::names();
    let Some(name) = names.get(usize::from(which) % names.len().max(1)) else {
        return;
    };
    let Some(module) = modules::lookup(name) else {
        return;
    };
    let Ok(serde_json::Value::Object(args)) = serde_json::from_slice::<serde_json::Value>(rest)
    else {
        return;
    };
    let spec = module.spec();
    for (k, v) in &args {
        if let Some(arg) = spec.arg(k) {
            if let Ok(out) = coerce(arg, v) {
                // Coercion is idempotent: a coerced value coerces to itself.
                assert_eq!(coerce(arg, &out).as_ref(), Ok(&out), "{name}.{k}");
            }
        }
    }
});
