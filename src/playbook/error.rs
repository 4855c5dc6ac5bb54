// SPDX-License-Identifier: MIT
use crate::span::Span;
use std::fmt;

/// A playbook that Ansible would reject, found before any host is touched.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaybookError {
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
}

impl PlaybookError {
    pub fn new(span: &Span, message: impl Into<String>) -> Self {
        PlaybookError {
            span: span.clone(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for PlaybookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PlaybookError {}
