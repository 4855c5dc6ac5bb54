// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Errors of the inventory layer. Every inventory error names the file and,
//! where the input has one, the line and column of the offending text.

use crate::span::Span;
use crate::yaml::YamlError;
use std::fmt;

/// An inventory source (or a group_vars/host_vars file) that cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryError {
    /// Where the problem is; a span with line 0 names only the file.
    pub span: Span,
    pub message: String,
    /// A suggestion for the user, when there is an obvious one.
    pub hint: Option<String>,
    /// A vault that could not be opened: shown as the vault layer words it
    /// ("Decryption failed ... on FILE").
    pub vault: Option<Box<crate::vault::VaultError>>,
}

impl InventoryError {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        InventoryError {
            span,
            message: message.into(),
            hint: None,
            vault: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = &self.vault {
            return write!(f, "{v}");
        }
        write!(f, "{}: {}", self.span, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InventoryError {}

impl From<YamlError> for InventoryError {
    fn from(e: YamlError) -> Self {
        InventoryError {
            span: e.span,
            message: e.message,
            hint: e.hint,
            vault: None,
        }
    }
}

impl From<crate::vault::VaultError> for InventoryError {
    fn from(e: crate::vault::VaultError) -> Self {
        InventoryError {
            message: e.message(),
            span: e.span.clone(),
            hint: e.hint.clone(),
            vault: Some(Box::new(e)),
        }
    }
}

/// Message for a parse error in decrypted content: the parser's own
/// message may quote the text (a value it could not convert), and that
/// text is secret.
pub(crate) const WITHHELD: &str = "the decrypted vault content cannot be parsed here (the parser's message is withheld because it could quote secret text)";

/// A host pattern that Ansible would reject (an invalid `~regex`, or an
/// index past the end of the hosts a subscripted pattern matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The single pattern (one term of a `a:b,c` list) that failed.
    pub pattern: String,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for PatternError {}
