// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
use crate::span::Span;
use std::borrow::Cow;
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
        let message = message.into();
        let source = &*unix_breaks(source);
        let line = if span.is_synthetic() {
            None
        } else {
            source.lines().nth((span.line as usize).saturating_sub(1))
        };
        let mut excerpt = crate::span::excerpt(source, &span);
        let lines = source.lines().count();
        if excerpt.is_empty() && span.line as usize == lines + 1 {
            // libyaml reports an unexpected end of the file on the line
            // after the last one: show that (empty) line with its caret.
            excerpt = crate::span::excerpt(&"\n".repeat(lines + 1), &span);
        }
        YamlError {
            excerpt,
            hint: line
                .and_then(super::hint::for_line)
                .or_else(|| super::hint::for_problem(&message)),
            span,
            message,
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

/// `source` with every line break libyaml counts (CR LF, a lone CR, NEL,
/// LS, PS) written as `\n`, so that its line numbers find their line.
fn unix_breaks(source: &str) -> Cow<'_, str> {
    if !source.contains(['\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
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
