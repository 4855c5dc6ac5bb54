// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! ssh configuration text and `ansible_ssh_common_args` must turn into
//! options or a `ConfigError`, never a panic. The first byte picks the
//! input: a configuration file, or ssh command-line arguments resolved
//! the way the executor resolves a host. Run with
//! `cargo +nightly fuzz run ssh_config` in fuzz/.
#![no_main]

use libfuzzer_sys::fuzz_target;

use kiln::transport::ssh_config::{self, SshOptions};
use kiln::transport::SshRequest;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if which % 2 == 0 {
        let mut opts = SshOptions::default();
        if let Err(e) = ssh_config::apply_text(text, "<fuzz>", "fuzz-host", &mut opts) {
            let _ = (e.to_string(), e.span());
        }
    } else {
        // No files at all: only the arguments are under test.
        let mut req = SshRequest::new("fuzz-host", "/nonexistent-kiln-fuzz-home");
        req.system_config = None;
        req.common_args = Some(text.to_string());
        match ssh_config::resolve(&req) {
            Ok(t) => {
                let _ = t.host_key_name();
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
