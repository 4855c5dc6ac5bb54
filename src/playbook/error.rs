// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
use crate::span::Span;
use std::fmt;

/// A playbook that Ansible would reject, found before any host is touched.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaybookError {
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
    /// A vault that could not be opened (shown as the vault layer words
    /// it; the run then exits as Ansible does for vault errors).
    pub vault: Option<Box<crate::vault::VaultError>>,
    /// ansible-playbook's exit code for it: 4 for what its parser refuses,
    /// 1 for what it finds missing (a role, an imported file, a handler)
    /// or cannot name (an undefined variable in a role's name).
    pub exit: i32,
}

impl PlaybookError {
    pub fn new(span: &Span, message: impl Into<String>) -> Self {
        PlaybookError {
            span: span.clone(),
            message: message.into(),
            hint: None,
            vault: None,
            exit: 4,
        }
    }

    /// A vault error met while loading.
    pub fn vault(e: crate::vault::VaultError) -> Self {
        PlaybookError {
            span: e.span.clone(),
            message: e.message(),
            hint: e.hint.clone(),
            vault: Some(Box::new(e)),
            exit: 1,
        }
    }

    /// Something the playbook names that does not exist: Ansible exits
    /// with 1 rather than its parser's 4.
    pub fn not_found(mut self) -> Self {
        self.exit = 1;
        self
    }

    /// ansible-playbook's exit code for this error when it is not the
    /// parser's 4 (a plain `AnsibleError` exits with 1).
    pub fn with_exit(mut self, code: i32) -> Self {
        self.exit = code;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for PlaybookError {
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

impl std::error::Error for PlaybookError {}
