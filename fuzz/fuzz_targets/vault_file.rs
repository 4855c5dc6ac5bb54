// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A whole vault file (header, hex body, salt, HMAC, padded ciphertext) must
//! decrypt or fail with a `VaultError`, never panic, and a wrong password
//! must never yield plaintext. Run with `cargo +nightly fuzz run vault_file`.
#![no_main]

use kiln::vault::read::decrypt_bytes;
use kiln::vault::{VaultSecret, VaultSecrets};
use libfuzzer_sys::fuzz_target;
use zeroize::Zeroizing;

fuzz_target!(|data: &[u8]| {
    let secrets = VaultSecrets::new(vec![VaultSecret::new(
        "default",
        b"fuzz-password".to_vec(),
        "fuzz",
    )]);
    match decrypt_bytes(Zeroizing::new(data.to_vec()), &secrets, "fuzz.yml") {
        Ok(file) => {
            if !file.was_encrypted() {
                // Not a vault: the bytes come back untouched.
                assert_eq!(&file[..], data);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
