// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The vault layer's one error type. It names the file (and, for an inline
//! `!vault` value or a bad line of a vault file, the line) and never holds
//! plaintext: messages are built from the envelope, labels and file names
//! only, so printing an error cannot leak a secret.

use crate::span::Span;
use std::fmt;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultErrorKind {
    /// The data does not start with `$ANSIBLE_VAULT`.
    NotVault,
    /// The `$ANSIBLE_VAULT;version;cipher[;id]` line is malformed.
    Header(String),
    /// The hex body is malformed (a non-hex character, a missing part).
    Body(String),
    /// The body ends early: the file was cut short.
    Truncated(String),
    /// A cipher other than AES256.
    UnknownCipher(String),
    /// Decryption was asked for but no password was given.
    NoSecrets,
    /// Every candidate password failed the HMAC check: a wrong password or
    /// altered data (the two cannot be told apart, by design of the MAC).
    HmacMismatch {
        /// The vault ids of the passwords tried, in order.
        tried: Vec<String>,
        /// The vault id the envelope names, when it names one.
        envelope_id: Option<String>,
    },
    /// The HMAC matched but the PKCS#7 padding is invalid: the data was
    /// produced by something other than a vault writer.
    Padding,
    /// A password source failed (missing file, failing script, empty password).
    Password(String),
    /// Encryption was refused (no password, the data is already a vault...).
    Encrypt(String),
    /// Reading or writing a file failed.
    Io(String),
}

/// A vault error at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultError {
    /// The file (line 0) or the position of an inline value or bad line.
    pub span: Span,
    pub kind: VaultErrorKind,
    pub hint: Option<String>,
}

impl VaultError {
    pub fn new(span: Span, kind: VaultErrorKind) -> Self {
        let hint = default_hint(&kind);
        VaultError { span, kind, hint }
    }

    /// An error about a whole file or stream, by name.
    pub fn file(file: &str, kind: VaultErrorKind) -> Self {
        VaultError::new(Span::synthetic(file), kind)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether the error says the password did not fit (as opposed to a
    /// malformed envelope): callers trying several passwords go on.
    pub fn is_wrong_password(&self) -> bool {
        matches!(self.kind, VaultErrorKind::HmacMismatch { .. })
    }
}

fn default_hint(kind: &VaultErrorKind) -> Option<String> {
    match kind {
        VaultErrorKind::NoSecrets => Some(
            "give the password with --vault-password-file, --vault-id LABEL@SOURCE or --ask-vault-pass (or vault_password_file in ansible.cfg)".into(),
        ),
        VaultErrorKind::HmacMismatch { .. } => Some(
            "check that the right password file or --vault-id is given; if it is, the vault was altered or corrupted after it was written".into(),
        ),
        VaultErrorKind::Truncated(_) => {
            Some("the vault was cut short (an incomplete copy or a failed write): restore it from a complete copy".into())
        }
        _ => None,
    }
}

fn quoted_list(ids: &[String]) -> String {
    ids.iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl VaultError {
    /// The headline and the detail, without the location.
    fn parts(&self) -> (String, String) {
        match &self.kind {
            VaultErrorKind::NotVault => (
                "Input is not vault encrypted data".into(),
                ": it does not start with `$ANSIBLE_VAULT;`".into(),
            ),
            VaultErrorKind::Header(m) => ("Vault envelope format error".into(), format!(": {m}")),
            VaultErrorKind::Body(m) => ("Vault format error".into(), format!(": {m}")),
            VaultErrorKind::Truncated(m) => ("Vault data is truncated".into(), format!(": {m}")),
            VaultErrorKind::UnknownCipher(c) => (
                format!("Cipher '{c}' could not be found"),
                ": kiln reads AES256 vaults".into(),
            ),
            VaultErrorKind::NoSecrets => (
                "Attempting to decrypt but no vault secrets found".into(),
                String::new(),
            ),
            VaultErrorKind::HmacMismatch { tried, envelope_id } => {
                let mut detail = format!(
                    ": HMAC verification failed with vault id {}",
                    quoted_list(tried)
                );
                if let Some(id) = envelope_id
                    && !tried.contains(id)
                {
                    detail.push_str(&format!(
                        " (the vault names vault id '{id}', for which no password was given)"
                    ));
                }
                (
                    "Decryption failed (no vault secrets were found that could decrypt)".into(),
                    detail,
                )
            }
            VaultErrorKind::Padding => (
                "Decryption failed".into(),
                ": the HMAC is valid but the padding is not, so the data was not written by a vault writer".into(),
            ),
            VaultErrorKind::Password(m) | VaultErrorKind::Encrypt(m) | VaultErrorKind::Io(m) => {
                (m.clone(), String::new())
            }
        }
    }

    /// The message without the location, for layers whose errors print
    /// the location themselves (`FILE: message`).
    pub fn message(&self) -> String {
        let (head, detail) = self.parts();
        format!("{head}{detail}")
    }
}

/// `<headline> on <file[:line:col]>: <detail>`, then the hint.
impl fmt::Display for VaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (head, detail) = self.parts();
        match self.kind {
            // These messages already name their file.
            VaultErrorKind::Password(_) => write!(f, "{head}")?,
            VaultErrorKind::Io(_) | VaultErrorKind::Encrypt(_) => {
                write!(f, "{}: {head}", self.span)?
            }
            _ => write!(f, "{head} on {}{detail}", self.span)?,
        }
        if let Some(h) = &self.hint {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for VaultError {}
