// SPDX-License-Identifier: MIT
//! Ansible Vault: reading and writing the vaults Ansible reads and writes.
//!
//! * [`envelope`]: the `$ANSIBLE_VAULT;1.1;AES256` / `1.2;AES256;<id>` text format;
//! * [`crypto`]: PBKDF2-HMAC-SHA256 → AES-256-CTR + HMAC-SHA256;
//! * [`secrets`]: passwords, their vault ids and where they come from;
//! * [`files`]: atomic writes and private temp files for `kiln vault`;
//! * [`Revealed`]: the plaintexts opened so far, masked in output;
//! * [`VaultError`]: one typed error that names the file.
//!
//! Plaintext lives in [`Zeroizing`] buffers as long as this module holds
//! it; error messages are built from envelopes, labels and file names only.
//! Whole vault files are opened with [`decrypt_if_vault`] wherever kiln
//! reads variables from a file; inline `!vault` values with
//! [`decrypt_inline`], when the variable is read.

pub mod crypto;
pub mod envelope;
mod error;
pub mod files;
mod reveal;
pub mod secrets;

use crate::span::Span;
use std::ops::Deref;
use zeroize::Zeroizing;

pub use envelope::{Envelope, is_vault};
pub use error::{VaultError, VaultErrorKind};
pub use reveal::{MASK, MIN_MASKED_CHARS, Revealed};
pub use secrets::{
    Decrypted, LoadMode, Loaded, Prompter, SecretSources, TerminalPrompt, VaultSecret,
    VaultSecrets, encrypt_with, load,
};

/// The bytes of a file: as read when it was not a vault, or decrypted (and
/// wiped when dropped) when it was. Derefs to `[u8]` like a `Cow`.
pub enum Plain<'a> {
    Clear(&'a [u8]),
    Decrypted(Zeroizing<Vec<u8>>),
}

impl Plain<'_> {
    /// Whether the bytes came out of a vault: callers then keep the
    /// content out of error messages (no source excerpts).
    pub fn was_encrypted(&self) -> bool {
        matches!(self, Plain::Decrypted(_))
    }
}

impl Deref for Plain<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Plain::Clear(b) => b,
            Plain::Decrypted(z) => z,
        }
    }
}

/// Decrypts `bytes` if they are a vault (read from `file`), or hands them
/// back as they are.
pub fn decrypt_if_vault<'a>(
    bytes: &'a [u8],
    secrets: &VaultSecrets,
    file: &str,
) -> Result<Plain<'a>, VaultError> {
    if !is_vault(bytes) {
        return Ok(Plain::Clear(bytes));
    }
    let d = secrets.decrypt(bytes, &Span::synthetic(file))?;
    Ok(Plain::Decrypted(d.plaintext))
}

/// Decrypts the text of an inline `!vault` value found at `span` (the
/// position of its first line) into a string; bytes that are not UTF-8
/// are replaced as Python's `to_text` would. The plaintext is marked as
/// secret for output masking.
pub fn decrypt_inline(
    text: &str,
    secrets: &VaultSecrets,
    span: &Span,
) -> Result<Zeroizing<String>, VaultError> {
    let d = secrets.decrypt(text.as_bytes(), span)?;
    let plain = Zeroizing::new(String::from_utf8_lossy(&d.plaintext).into_owned());
    secrets.revealed().mark(&plain);
    Ok(plain)
}
