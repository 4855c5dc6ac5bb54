// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! OpenSSH private key files (the container, the private section, the
//! ECDSA scalar repair) must be refused or repaired without panicking,
//! whatever the bytes. Run with `cargo +nightly fuzz run identity_file` in
//! fuzz/.
#![no_main]

use kiln::transport::repair_openssh_key;
use libfuzzer_sys::fuzz_target;

const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END: &str = "-----END OPENSSH PRIVATE KEY-----";

fuzz_target!(|data: &[u8]| {
    // As text (a whole key file) and as the container's bytes, wrapped the
    // way a key file wraps them, so the binary parser is reached directly.
    let text = String::from_utf8_lossy(data);
    let _ = repair_openssh_key(&text, None);
    let wrapped = format!(
        "{BEGIN}\n{}\n{END}\n",
        base64_encode(&[b"openssh-key-v1\0".as_slice(), data].concat())
    );
    if let Some(fixed) = repair_openssh_key(&wrapped, None) {
        // A repaired key is itself a well-formed container.
        assert!(fixed.starts_with(BEGIN));
    }
});

fn base64_encode(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
