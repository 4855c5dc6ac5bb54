// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Where Ansible's YAML loader fails, and with which message. Ansible loads
//! YAML with PyYAML on libyaml (`CParser`); its errors are libyaml's scanner
//! and parser errors plus two checks of PyYAML's composer (anchors and
//! aliases, one document per stream). saphyr-parser, which builds kiln's
//! values, detects most of the same mistakes but at other places and with
//! other words, so this module runs libyaml's token and event grammar over
//! the text, without building any value, to learn the first error as
//! Ansible reports it: the problem, the position it points at (the "problem
//! mark") and what was being read (the "context").

mod parser;
mod scanner;

use parser::{EventKind, Parser};
use std::collections::HashMap;

/// A position as libyaml counts it: 0-based, in characters, a CR LF pair
/// being one line break of two characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Mark {
    pub index: usize,
    pub line: usize,
    pub column: usize,
}

impl Mark {
    /// 1-based line and column, as PyYAML prints them.
    pub(super) fn line_col(&self) -> (usize, usize) {
        (self.line + 1, self.column + 1)
    }
}

/// The first error of a stream, as PyYAML's `MarkedYAMLError` holds it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    /// What was being read, and where that started.
    pub context: Option<(&'static str, Mark)>,
    pub problem: &'static str,
    /// Where the problem is: the position Ansible reports.
    pub mark: Mark,
    /// The anchor or alias name the error is about.
    pub name: Option<String>,
    /// Index of the document the error belongs to (0-based).
    pub document: usize,
}

impl SyntaxError {
    fn new(context: Option<(&'static str, Mark)>, problem: &'static str, mark: Mark) -> Self {
        SyntaxError {
            context,
            problem,
            mark,
            name: None,
            document: 0,
        }
    }

    /// libyaml's problem text, with its context and the anchor or alias
    /// name where there is one.
    pub(super) fn message(&self) -> String {
        let at = |m: &Mark| {
            let (l, c) = m.line_col();
            format!("line {l}, column {c}")
        };
        let name = self.name.as_deref().unwrap_or("");
        match (self.problem, self.context) {
            (UNDEFINED_ALIAS, _) => format!(
                "found undefined alias '*{name}' (no anchor '&{name}' before it in this document)"
            ),
            (SECOND_OCCURRENCE, Some((_, first))) => format!(
                "found duplicate anchor '&{name}'; first occurrence at {}, second occurrence here",
                at(&first)
            ),
            (ANOTHER_DOCUMENT, Some((context, first))) => format!(
                "{context} (the first document starts at {}), but found another document \
                 (a file may hold only one)",
                at(&first)
            ),
            (problem, Some((context, mark))) if mark == self.mark => {
                format!("{context}: {problem}")
            }
            (problem, Some((context, mark))) => {
                format!("{context} (started at {}): {problem}", at(&mark))
            }
            (problem, None) => problem.to_string(),
        }
    }
}

const UNDEFINED_ALIAS: &str = "found undefined alias";
const SECOND_OCCURRENCE: &str = "second occurrence";
const ANOTHER_DOCUMENT: &str = "but found another document";

/// What a successful check learnt about the stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Outline {
    /// Where each document starts.
    pub documents: Vec<Mark>,
}

impl Outline {
    /// The document holding the 1-based `line`/`col`.
    pub(super) fn document_at(&self, line: usize, col: usize) -> usize {
        self.documents
            .iter()
            .take_while(|m| m.line_col() <= (line, col))
            .count()
            .saturating_sub(1)
    }
}

/// Runs libyaml's grammar and PyYAML's composer checks over `text` (no byte
/// order mark; non-printable characters already refused). With `single`,
/// a second document is an error, as in `yaml.load`.
pub(super) fn check(text: &str, single: bool) -> (Outline, Option<SyntaxError>) {
    let mut outline = Outline::default();
    let error = walk(text, single, &mut outline).err().map(|mut e| {
        e.document = outline.documents.len().saturating_sub(1);
        e
    });
    (outline, error)
}

fn walk(text: &str, single: bool, outline: &mut Outline) -> Result<(), SyntaxError> {
    let mut parser = Parser::new(text);
    // PyYAML's composer: anchor name -> where its node starts, per document.
    let mut anchors: HashMap<String, Mark> = HashMap::new();
    let mut first_root: Option<Mark> = None;
    let mut finished = 0usize;
    while let Some(event) = parser.next_event()? {
        let anchor = match event.kind {
            EventKind::DocumentStart => {
                if single && finished > 0 {
                    let root = first_root.unwrap_or_default();
                    return Err(SyntaxError::new(
                        Some(("expected a single document in the stream", root)),
                        ANOTHER_DOCUMENT,
                        event.start,
                    ));
                }
                outline.documents.push(event.start);
                None
            }
            EventKind::DocumentEnd => {
                anchors.clear();
                finished += 1;
                None
            }
            EventKind::Alias(name) => {
                if !anchors.contains_key(&name) {
                    let mut e = SyntaxError::new(None, UNDEFINED_ALIAS, event.start);
                    e.name = Some(name);
                    return Err(e);
                }
                None
            }
            EventKind::Scalar(anchor)
            | EventKind::SequenceStart(anchor)
            | EventKind::MappingStart(anchor) => {
                if finished == 0 && first_root.is_none() {
                    first_root = Some(event.start);
                }
                anchor
            }
            EventKind::StreamStart
            | EventKind::StreamEnd
            | EventKind::SequenceEnd
            | EventKind::MappingEnd => None,
        };
        if let Some(name) = anchor {
            if let Some(first) = anchors.get(&name) {
                let mut e = SyntaxError::new(
                    Some(("found duplicate anchor; first occurrence", *first)),
                    SECOND_OCCURRENCE,
                    event.start,
                );
                e.name = Some(name);
                return Err(e);
            }
            anchors.insert(name, event.start);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
