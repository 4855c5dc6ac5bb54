// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Source positions shared by every layer: each loaded value remembers the
//! file, line and column it came from so that any later error can name it.

use std::fmt;
use std::sync::Arc;

/// A position in a source file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The file as the user named it (or a pseudo name such as `<extra vars>`).
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl Span {
    pub fn new(file: impl Into<Arc<str>>, line: u32, col: u32) -> Self {
        Span {
            file: file.into(),
            line,
            col,
        }
    }

    /// A span for values that do not come from a file (command line, defaults).
    pub fn synthetic(what: &str) -> Self {
        Span::new(what, 0, 0)
    }

    pub fn is_synthetic(&self) -> bool {
        self.line == 0
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_synthetic() {
            write!(f, "{}", self.file)
        } else if self.col == 0 {
            // A whole line (a template's syntax error, as Jinja reports it).
            write!(f, "{}:{}", self.file, self.line)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.col)
        }
    }
}

/// Renders the source line of `span` with a caret under the column, the way
/// compilers do, so that an error shows the offending text.
pub fn excerpt(source: &str, span: &Span) -> String {
    if span.is_synthetic() {
        return String::new();
    }
    let Some(line) = source.lines().nth(span.line as usize - 1) else {
        return String::new();
    };
    let width = span.line.to_string().len();
    let pad = " ".repeat(width);
    let caret_col = (span.col as usize).saturating_sub(1);
    let indent: String = line
        .chars()
        .take(caret_col)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("{pad} |\n{} | {line}\n{pad} | {indent}^\n", span.line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_excerpt() {
        let s = Span::new("site.yml", 2, 3);
        assert_eq!(s.to_string(), "site.yml:2:3");
        let ex = excerpt("a: 1\nb: [\n", &s);
        assert!(ex.contains("2 | b: ["), "{ex}");
        assert!(ex.contains("   ^"), "{ex}");
        assert_eq!(Span::synthetic("<extra vars>").to_string(), "<extra vars>");
    }
}
