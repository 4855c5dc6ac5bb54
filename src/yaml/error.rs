// SPDX-License-Identifier: MIT
use crate::span::Span;
use std::fmt;

/// A YAML file that cannot be read or parsed.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub span: Span,
    pub message: String,
    /// The offending source line with a caret (may be empty).
    pub excerpt: String,
    pub hint: Option<String>,
}

impl YamlError {
    /// An error at `span` in `source`: the excerpt shows the line, and a
    /// hint is added when the line shows a common mistake.
    pub fn at(source: &str, span: Span, message: impl Into<String>) -> Self {
        let line = if span.is_synthetic() {
            None
        } else {
            source.lines().nth(span.line as usize - 1)
        };
        YamlError {
            excerpt: crate::span::excerpt(source, &span),
            hint: line.and_then(super::hint::for_line),
            span,
            message: message.into(),
        }
    }

    /// An error about a whole file (it cannot be read, for instance).
    pub fn file(path: &str, message: impl Into<String>) -> Self {
        YamlError {
            span: Span::synthetic(path),
            message: message.into(),
            excerpt: String::new(),
            hint: None,
        }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)?;
        if !self.excerpt.is_empty() {
            write!(f, "\n{}", self.excerpt.trim_end())?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for YamlError {}

/// Something Ansible also only warns about (a duplicate key).
#[derive(Debug, Clone, PartialEq)]
pub struct YamlWarning {
    pub span: Span,
    pub message: String,
}

impl fmt::Display for YamlWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)
    }
}

/// A problem found while building nodes, before the source excerpt is
/// attached (the loader turns it into a [`YamlError`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fault {
    pub span: Span,
    pub message: String,
}

impl Fault {
    pub fn new(span: &Span, message: impl Into<String>) -> Self {
        Fault {
            span: span.clone(),
            message: message.into(),
        }
    }
}
