// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! libyaml's parser: tokens to events, a state machine with a stack of
//! states to return to. Events carry only their start mark and anchor (what
//! PyYAML's composer checks); the error contexts are libyaml's, pointing at
//! the start of the collection being parsed.

use super::scanner::{Scanner, Token, TokenKind};
use super::{Mark, SyntaxError};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum EventKind {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias(String),
    /// The anchor of the node, if any.
    Scalar(Option<String>),
    SequenceStart(Option<String>),
    SequenceEnd,
    MappingStart(Option<String>),
    MappingEnd,
}

#[derive(Debug, Clone)]
pub(super) struct Event {
    pub kind: EventKind,
    pub start: Mark,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    BlockNode,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    IndentlessSequenceEntry,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingValue,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowSequenceEntryMappingKey,
    FlowSequenceEntryMappingValue,
    FlowSequenceEntryMappingEnd,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    End,
}

pub(super) struct Parser {
    scanner: Scanner,
    state: State,
    states: Vec<State>,
    /// Start marks of the collections being parsed (error contexts).
    marks: Vec<Mark>,
    /// Tag handles declared for the current document (and the defaults).
    handles: Vec<String>,
}

fn event(kind: EventKind, start: Mark) -> Event {
    Event { kind, start }
}

fn empty_scalar(mark: Mark) -> Event {
    event(EventKind::Scalar(None), mark)
}

impl Parser {
    pub(super) fn new(text: &str) -> Self {
        Parser {
            scanner: Scanner::new(text),
            state: State::StreamStart,
            states: Vec::new(),
            marks: Vec::new(),
            handles: Vec::new(),
        }
    }

    /// The next event, or `None` after the end of the stream.
    pub(super) fn next_event(&mut self) -> Result<Option<Event>, SyntaxError> {
        let e = match self.state {
            State::End => return Ok(None),
            State::StreamStart => self.stream_start()?,
            State::ImplicitDocumentStart => self.document_start(true)?,
            State::DocumentStart => self.document_start(false)?,
            State::DocumentContent => self.document_content()?,
            State::DocumentEnd => self.document_end()?,
            State::BlockNode => self.node(true, false)?,
            State::BlockSequenceFirstEntry => self.block_sequence_entry(true)?,
            State::BlockSequenceEntry => self.block_sequence_entry(false)?,
            State::IndentlessSequenceEntry => self.indentless_sequence_entry()?,
            State::BlockMappingFirstKey => self.block_mapping_key(true)?,
            State::BlockMappingKey => self.block_mapping_key(false)?,
            State::BlockMappingValue => self.block_mapping_value()?,
            State::FlowSequenceFirstEntry => self.flow_sequence_entry(true)?,
            State::FlowSequenceEntry => self.flow_sequence_entry(false)?,
            State::FlowSequenceEntryMappingKey => self.flow_sequence_entry_mapping_key()?,
            State::FlowSequenceEntryMappingValue => self.flow_sequence_entry_mapping_value()?,
            State::FlowSequenceEntryMappingEnd => self.flow_sequence_entry_mapping_end()?,
            State::FlowMappingFirstKey => self.flow_mapping_key(true)?,
            State::FlowMappingKey => self.flow_mapping_key(false)?,
            State::FlowMappingValue => self.flow_mapping_value(false)?,
            State::FlowMappingEmptyValue => self.flow_mapping_value(true)?,
        };
        Ok(Some(e))
    }

    fn peek(&mut self) -> Result<Token, SyntaxError> {
        self.scanner.peek()
    }

    fn skip(&mut self) {
        self.scanner.skip_token();
    }

    fn pop_state(&mut self) -> State {
        self.states.pop().unwrap_or(State::End)
    }

    fn pop_mark(&mut self) -> Mark {
        self.marks.pop().unwrap_or_default()
    }

    fn error(context: &'static str, mark: Mark, problem: &'static str, at: Mark) -> SyntaxError {
        SyntaxError::new(Some((context, mark)), problem, at)
    }

    fn stream_start(&mut self) -> Result<Event, SyntaxError> {
        let token = self.peek()?;
        if token.kind != TokenKind::StreamStart {
            return Err(SyntaxError::new(
                None,
                "did not find expected <stream-start>",
                token.start,
            ));
        }
        self.state = State::ImplicitDocumentStart;
        self.skip();
        Ok(event(EventKind::StreamStart, token.start))
    }

    fn document_start(&mut self, implicit: bool) -> Result<Event, SyntaxError> {
        let mut token = self.peek()?;
        if !implicit {
            while token.kind == TokenKind::DocumentEnd {
                self.skip();
                token = self.peek()?;
            }
        }
        let directive_or_start = matches!(
            token.kind,
            TokenKind::VersionDirective { .. }
                | TokenKind::TagDirective { .. }
                | TokenKind::DocumentStart
        );
        if token.kind == TokenKind::StreamEnd {
            self.state = State::End;
            self.skip();
            return Ok(event(EventKind::StreamEnd, token.start));
        }
        if implicit && !directive_or_start {
            self.process_directives()?;
            self.states.push(State::DocumentEnd);
            self.state = State::BlockNode;
            return Ok(event(EventKind::DocumentStart, token.start));
        }
        let start = token.start;
        self.process_directives()?;
        let token = self.peek()?;
        if token.kind != TokenKind::DocumentStart {
            return Err(SyntaxError::new(
                None,
                "did not find expected <document start>",
                token.start,
            ));
        }
        self.states.push(State::DocumentEnd);
        self.state = State::DocumentContent;
        self.skip();
        Ok(event(EventKind::DocumentStart, start))
    }

    fn process_directives(&mut self) -> Result<(), SyntaxError> {
        let mut version_seen = false;
        loop {
            let token = self.peek()?;
            match token.kind {
                TokenKind::VersionDirective { major, minor } => {
                    if version_seen {
                        return Err(SyntaxError::new(
                            None,
                            "found duplicate %YAML directive",
                            token.start,
                        ));
                    }
                    if major != 1 || (minor != 1 && minor != 2) {
                        return Err(SyntaxError::new(
                            None,
                            "found incompatible YAML document",
                            token.start,
                        ));
                    }
                    version_seen = true;
                }
                TokenKind::TagDirective { handle } => {
                    if self.handles.contains(&handle) {
                        return Err(SyntaxError::new(
                            None,
                            "found duplicate %TAG directive",
                            token.start,
                        ));
                    }
                    self.handles.push(handle);
                }
                _ => break,
            }
            self.skip();
        }
        for default in ["!", "!!"] {
            if !self.handles.iter().any(|h| h == default) {
                self.handles.push(default.to_string());
            }
        }
        Ok(())
    }

    fn document_content(&mut self) -> Result<Event, SyntaxError> {
        let token = self.peek()?;
        match token.kind {
            TokenKind::VersionDirective { .. }
            | TokenKind::TagDirective { .. }
            | TokenKind::DocumentStart
            | TokenKind::DocumentEnd
            | TokenKind::StreamEnd => {
                self.state = self.pop_state();
                Ok(empty_scalar(token.start))
            }
            _ => self.node(true, false),
        }
    }

    fn document_end(&mut self) -> Result<Event, SyntaxError> {
        let token = self.peek()?;
        if token.kind == TokenKind::DocumentEnd {
            self.skip();
        }
        self.handles.clear();
        self.state = State::DocumentStart;
        Ok(event(EventKind::DocumentEnd, token.start))
    }

    fn node(&mut self, block: bool, indentless_sequence: bool) -> Result<Event, SyntaxError> {
        let mut token = self.peek()?;
        if let TokenKind::Alias(name) = token.kind {
            self.state = self.pop_state();
            self.skip();
            return Ok(event(EventKind::Alias(name), token.start));
        }
        let start = token.start;
        let mut anchor = None;
        let mut tag: Option<(String, Mark)> = None;
        for _ in 0..2 {
            match &token.kind {
                TokenKind::Anchor(name) if anchor.is_none() => anchor = Some(name.clone()),
                TokenKind::Tag { handle } if tag.is_none() => {
                    tag = Some((handle.clone(), token.start))
                }
                _ => break,
            }
            self.skip();
            token = self.peek()?;
        }
        if let Some((handle, tag_mark)) = &tag
            && !handle.is_empty()
            && !self.handles.contains(handle)
        {
            return Err(Self::error(
                "while parsing a node",
                start,
                "found undefined tag handle",
                *tag_mark,
            ));
        }
        let properties = anchor.is_some() || tag.is_some();
        if indentless_sequence && token.kind == TokenKind::BlockEntry {
            self.state = State::IndentlessSequenceEntry;
            return Ok(event(EventKind::SequenceStart(anchor), start));
        }
        let (kind, next) = match token.kind {
            TokenKind::Scalar => {
                self.skip();
                (EventKind::Scalar(anchor), self.pop_state())
            }
            TokenKind::FlowSequenceStart => (
                EventKind::SequenceStart(anchor),
                State::FlowSequenceFirstEntry,
            ),
            TokenKind::FlowMappingStart => {
                (EventKind::MappingStart(anchor), State::FlowMappingFirstKey)
            }
            TokenKind::BlockSequenceStart if block => (
                EventKind::SequenceStart(anchor),
                State::BlockSequenceFirstEntry,
            ),
            TokenKind::BlockMappingStart if block => {
                (EventKind::MappingStart(anchor), State::BlockMappingFirstKey)
            }
            // Properties with no content: an empty scalar.
            _ if properties => (EventKind::Scalar(anchor), self.pop_state()),
            _ => {
                let context = if block {
                    "while parsing a block node"
                } else {
                    "while parsing a flow node"
                };
                return Err(Self::error(
                    context,
                    start,
                    "did not find expected node content",
                    token.start,
                ));
            }
        };
        self.state = next;
        Ok(event(kind, start))
    }

    fn block_sequence_entry(&mut self, first: bool) -> Result<Event, SyntaxError> {
        if first {
            let token = self.peek()?;
            self.marks.push(token.start);
            self.skip();
        }
        let token = self.peek()?;
        match token.kind {
            TokenKind::BlockEntry => {
                self.skip();
                let next = self.peek()?;
                if matches!(next.kind, TokenKind::BlockEntry | TokenKind::BlockEnd) {
                    self.state = State::BlockSequenceEntry;
                    Ok(empty_scalar(token.end))
                } else {
                    self.states.push(State::BlockSequenceEntry);
                    self.node(true, false)
                }
            }
            TokenKind::BlockEnd => {
                self.state = self.pop_state();
                self.pop_mark();
                self.skip();
                Ok(event(EventKind::SequenceEnd, token.start))
            }
            _ => {
                let mark = self.pop_mark();
                Err(Self::error(
                    "while parsing a block collection",
                    mark,
                    "did not find expected '-' indicator",
                    token.start,
                ))
            }
        }
    }

    fn indentless_sequence_entry(&mut self) -> Result<Event, SyntaxError> {
        let token = self.peek()?;
        if token.kind != TokenKind::BlockEntry {
            self.state = self.pop_state();
            return Ok(event(EventKind::SequenceEnd, token.start));
        }
        self.skip();
        let next = self.peek()?;
        if matches!(
            next.kind,
            TokenKind::BlockEntry | TokenKind::Key | TokenKind::Value | TokenKind::BlockEnd
        ) {
            self.state = State::IndentlessSequenceEntry;
            Ok(empty_scalar(token.end))
        } else {
            self.states.push(State::IndentlessSequenceEntry);
            self.node(true, false)
        }
    }

    fn block_mapping_key(&mut self, first: bool) -> Result<Event, SyntaxError> {
        if first {
            let token = self.peek()?;
            self.marks.push(token.start);
            self.skip();
        }
        let token = self.peek()?;
        match token.kind {
            TokenKind::Key => {
                self.skip();
                let next = self.peek()?;
                if matches!(
                    next.kind,
                    TokenKind::Key | TokenKind::Value | TokenKind::BlockEnd
                ) {
                    self.state = State::BlockMappingValue;
                    Ok(empty_scalar(token.end))
                } else {
                    self.states.push(State::BlockMappingValue);
                    self.node(true, true)
                }
            }
            TokenKind::BlockEnd => {
                self.state = self.pop_state();
                self.pop_mark();
                self.skip();
                Ok(event(EventKind::MappingEnd, token.start))
            }
            _ => {
                let mark = self.pop_mark();
                Err(Self::error(
                    "while parsing a block mapping",
                    mark,
                    "did not find expected key",
                    token.start,
                ))
            }
        }
    }

    fn block_mapping_value(&mut self) -> Result<Event, SyntaxError> {
        let token = self.peek()?;
        if token.kind != TokenKind::Value {
            self.state = State::BlockMappingKey;
            return Ok(empty_scalar(token.start));
        }
        self.skip();
        let next = self.peek()?;
        if matches!(
            next.kind,
            TokenKind::Key | TokenKind::Value | TokenKind::BlockEnd
        ) {
            self.state = State::BlockMappingKey;
            Ok(empty_scalar(token.end))
        } else {
            self.states.push(State::BlockMappingKey);
            self.node(true, true)
        }
    }

    fn flow_sequence_entry(&mut self, first: bool) -> Result<Event, SyntaxError> {
        if first {
            let token = self.peek()?;
            self.marks.push(token.start);
            self.skip();
        }
        let mut token = self.peek()?;
        if token.kind != TokenKind::FlowSequenceEnd {
            if !first {
                if token.kind != TokenKind::FlowEntry {
                    let mark = self.pop_mark();
                    return Err(Self::error(
                        "while parsing a flow sequence",
                        mark,
                        "did not find expected ',' or ']'",
                        token.start,
                    ));
                }
                self.skip();
                token = self.peek()?;
            }
            if token.kind == TokenKind::Key {
                // `[? a : b]` and `[a: b]`: a one-pair mapping.
                self.state = State::FlowSequenceEntryMappingKey;
                self.skip();
                return Ok(event(EventKind::MappingStart(None), token.start));
            }
            if token.kind != TokenKind::FlowSequenceEnd {
                self.states.push(State::FlowSequenceEntry);
                return self.node(false, false);
            }
        }
        self.state = self.pop_state();
        self.pop_mark();
        self.skip();
        Ok(event(EventKind::SequenceEnd, token.start))
    }

    fn flow_sequence_entry_mapping_key(&mut self) -> Result<Event, SyntaxError> {
        let token = self.peek()?;
        match token.kind {
            TokenKind::Value | TokenKind::FlowEntry => {
                // libyaml steps over this token here (the key is empty), so
                // `[? : x]` then fails at `x`.
                self.skip();
                self.state = State::FlowSequenceEntryMappingValue;
                Ok(empty_scalar(token.end))
            }
            TokenKind::FlowSequenceEnd => {
                self.state = State::FlowSequenceEntryMappingValue;
                Ok(empty_scalar(token.start))
            }
            _ => {
                self.states.push(State::FlowSequenceEntryMappingValue);
                self.node(false, false)
            }
        }
    }

    fn flow_sequence_entry_mapping_value(&mut self) -> Result<Event, SyntaxError> {
        let mut token = self.peek()?;
        if token.kind == TokenKind::Value {
            self.skip();
            token = self.peek()?;
            if !matches!(
                token.kind,
                TokenKind::FlowEntry | TokenKind::FlowSequenceEnd
            ) {
                self.states.push(State::FlowSequenceEntryMappingEnd);
                return self.node(false, false);
            }
        }
        self.state = State::FlowSequenceEntryMappingEnd;
        Ok(empty_scalar(token.start))
    }

    fn flow_sequence_entry_mapping_end(&mut self) -> Result<Event, SyntaxError> {
        let token = self.peek()?;
        self.state = State::FlowSequenceEntry;
        Ok(event(EventKind::MappingEnd, token.start))
    }

    fn flow_mapping_key(&mut self, first: bool) -> Result<Event, SyntaxError> {
        if first {
            let token = self.peek()?;
            self.marks.push(token.start);
            self.skip();
        }
        let mut token = self.peek()?;
        if token.kind != TokenKind::FlowMappingEnd {
            if !first {
                if token.kind != TokenKind::FlowEntry {
                    let mark = self.pop_mark();
                    return Err(Self::error(
                        "while parsing a flow mapping",
                        mark,
                        "did not find expected ',' or '}'",
                        token.start,
                    ));
                }
                self.skip();
                token = self.peek()?;
            }
            if token.kind == TokenKind::Key {
                self.skip();
                token = self.peek()?;
                if matches!(
                    token.kind,
                    TokenKind::Value | TokenKind::FlowEntry | TokenKind::FlowMappingEnd
                ) {
                    self.state = State::FlowMappingValue;
                    return Ok(empty_scalar(token.start));
                }
                self.states.push(State::FlowMappingValue);
                return self.node(false, false);
            }
            if token.kind != TokenKind::FlowMappingEnd {
                self.states.push(State::FlowMappingEmptyValue);
                return self.node(false, false);
            }
        }
        self.state = self.pop_state();
        self.pop_mark();
        self.skip();
        Ok(event(EventKind::MappingEnd, token.start))
    }

    fn flow_mapping_value(&mut self, empty: bool) -> Result<Event, SyntaxError> {
        let mut token = self.peek()?;
        if !empty && token.kind == TokenKind::Value {
            self.skip();
            token = self.peek()?;
            if !matches!(token.kind, TokenKind::FlowEntry | TokenKind::FlowMappingEnd) {
                self.states.push(State::FlowMappingKey);
                return self.node(false, false);
            }
        }
        self.state = State::FlowMappingKey;
        Ok(empty_scalar(token.start))
    }
}
