// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! libyaml's scanner: the text as tokens with their marks. Only what decides
//! whether and where scanning fails is kept (no scalar values). The order of
//! the checks is libyaml's, because the first failing check is the error
//! Ansible reports: simple keys are tracked the same way (a key is known to
//! be one only when its `:` is met, up to 1024 characters later on the same
//! line), and so are the indentation stack and the flow level.

use super::{Mark, SyntaxError};
use std::collections::VecDeque;

/// libyaml refuses block and flow nesting deeper than this.
const MAX_NESTING: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    StreamStart,
    StreamEnd,
    VersionDirective {
        major: u32,
        minor: u32,
    },
    TagDirective {
        handle: String,
    },
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias(String),
    Anchor(String),
    /// Only the handle matters: a `!name!` handle must be declared.
    Tag {
        handle: String,
    },
    Scalar,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub start: Mark,
    pub end: Mark,
}

/// A place where a simple key (`key:` without `?`) may start.
#[derive(Debug, Clone, Copy, Default)]
struct SimpleKey {
    possible: bool,
    /// At the indentation of a block collection: it must be a key.
    required: bool,
    token_number: usize,
    mark: Mark,
}

pub(super) struct Scanner {
    text: Vec<char>,
    mark: Mark,
    tokens: VecDeque<Token>,
    tokens_parsed: usize,
    token_available: bool,
    stream_start_produced: bool,
    stream_end_fetched: bool,
    indent: isize,
    indents: Vec<isize>,
    simple_key_allowed: bool,
    simple_keys: Vec<SimpleKey>,
    flow_level: usize,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_breakz(c: char) -> bool {
    is_break(c) || c == '\0'
}

fn is_blankz(c: char) -> bool {
    is_blank(c) || is_breakz(c)
}

/// libyaml's "alpha": what anchor names, directive names and tag handles
/// are made of.
fn is_alpha(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn to_isize(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

impl Scanner {
    pub(super) fn new(text: &str) -> Self {
        Scanner {
            text: text.chars().collect(),
            mark: Mark::default(),
            tokens: VecDeque::new(),
            tokens_parsed: 0,
            token_available: false,
            stream_start_produced: false,
            stream_end_fetched: false,
            indent: -1,
            indents: Vec::new(),
            simple_key_allowed: false,
            simple_keys: Vec::new(),
            flow_level: 0,
        }
    }

    /// The next token, scanning as far ahead as libyaml does.
    pub(super) fn peek(&mut self) -> Result<Token, SyntaxError> {
        if !self.token_available {
            self.fetch_more_tokens()?;
        }
        match self.tokens.front() {
            Some(t) => Ok(t.clone()),
            // Not reachable: fetching stops only with a token queued.
            None => Err(self.error(None, "did not find expected token")),
        }
    }

    pub(super) fn skip_token(&mut self) {
        self.token_available = false;
        self.tokens_parsed += 1;
        self.tokens.pop_front();
    }

    // --- characters ---

    fn at(&self, k: usize) -> char {
        self.text.get(self.mark.index + k).copied().unwrap_or('\0')
    }

    fn column(&self) -> isize {
        to_isize(self.mark.column)
    }

    fn skip(&mut self) {
        self.mark.index += 1;
        self.mark.column += 1;
    }

    fn skip_line(&mut self) {
        if self.at(0) == '\r' && self.at(1) == '\n' {
            self.mark.index += 2;
        } else if is_break(self.at(0)) {
            self.mark.index += 1;
        } else {
            return;
        }
        self.mark.column = 0;
        self.mark.line += 1;
    }

    fn document_indicator(&self) -> bool {
        self.mark.column == 0
            && ((self.at(0) == '-' && self.at(1) == '-' && self.at(2) == '-')
                || (self.at(0) == '.' && self.at(1) == '.' && self.at(2) == '.'))
            && is_blankz(self.at(3))
    }

    fn error(&self, context: Option<(&'static str, Mark)>, problem: &'static str) -> SyntaxError {
        SyntaxError::new(context, problem, self.mark)
    }

    fn push(&mut self, kind: TokenKind, start: Mark) {
        self.tokens.push_back(Token {
            kind,
            start,
            end: self.mark,
        });
    }

    // --- the token queue ---

    fn fetch_more_tokens(&mut self) -> Result<(), SyntaxError> {
        loop {
            let mut need_more = self.tokens.is_empty();
            if !need_more {
                self.stale_simple_keys()?;
                need_more = self
                    .simple_keys
                    .iter()
                    .any(|k| k.possible && k.token_number == self.tokens_parsed);
            }
            // Past the end of the stream nothing more can come (a guard: the
            // stream end already retires every possible key).
            if !need_more || self.stream_end_fetched {
                break;
            }
            self.fetch_next_token()?;
        }
        self.token_available = true;
        Ok(())
    }

    fn fetch_next_token(&mut self) -> Result<(), SyntaxError> {
        if !self.stream_start_produced {
            self.fetch_stream_start();
            return Ok(());
        }
        self.scan_to_next_token();
        self.stale_simple_keys()?;
        self.unroll_indent(self.column());
        let c = self.at(0);
        let next = self.at(1);
        if c == '\0' {
            return self.fetch_stream_end();
        }
        if self.mark.column == 0 && c == '%' {
            return self.fetch_directive();
        }
        if self.document_indicator() {
            let kind = if c == '-' {
                TokenKind::DocumentStart
            } else {
                TokenKind::DocumentEnd
            };
            return self.fetch_document_indicator(kind);
        }
        match c {
            '[' => return self.fetch_flow_collection_start(TokenKind::FlowSequenceStart),
            '{' => return self.fetch_flow_collection_start(TokenKind::FlowMappingStart),
            ']' => return self.fetch_flow_collection_end(TokenKind::FlowSequenceEnd),
            '}' => return self.fetch_flow_collection_end(TokenKind::FlowMappingEnd),
            ',' => return self.fetch_flow_entry(),
            '-' if is_blankz(next) => return self.fetch_block_entry(),
            '?' if self.flow_level > 0 || is_blankz(next) => return self.fetch_key(),
            ':' if self.flow_level > 0 || is_blankz(next) => return self.fetch_value(),
            '*' => return self.fetch_anchor(true),
            '&' => return self.fetch_anchor(false),
            '!' => return self.fetch_tag(),
            '|' | '>' if self.flow_level == 0 => return self.fetch_block_scalar(),
            '\'' => return self.fetch_flow_scalar(true),
            '"' => return self.fetch_flow_scalar(false),
            _ => {}
        }
        // A plain scalar cannot start with an indicator, except `-`, `?`
        // and `:` followed by a non-space (`-` and `?`/`:` differ in flow).
        let indicator = is_blankz(c) || "-?:,[]{}#&*!|>'\"%@`".contains(c);
        if !indicator
            || (c == '-' && !is_blank(next))
            || (self.flow_level == 0 && (c == '?' || c == ':') && !is_blankz(next))
        {
            return self.fetch_plain_scalar();
        }
        Err(self.error(
            Some(("while scanning for the next token", self.mark)),
            "found character that cannot start any token",
        ))
    }

    // --- simple keys, indentation, flow level ---

    fn stale_simple_keys(&mut self) -> Result<(), SyntaxError> {
        let mark = self.mark;
        for key in &mut self.simple_keys {
            if key.possible && (key.mark.line < mark.line || key.mark.index + 1024 < mark.index) {
                if key.required {
                    return Err(SyntaxError::new(
                        Some(("while scanning a simple key", key.mark)),
                        "could not find expected ':'",
                        mark,
                    ));
                }
                key.possible = false;
            }
        }
        Ok(())
    }

    fn save_simple_key(&mut self) -> Result<(), SyntaxError> {
        let required = self.flow_level == 0 && self.indent == self.column();
        if self.simple_key_allowed {
            let key = SimpleKey {
                possible: true,
                required,
                token_number: self.tokens_parsed + self.tokens.len(),
                mark: self.mark,
            };
            self.remove_simple_key()?;
            if let Some(top) = self.simple_keys.last_mut() {
                *top = key;
            }
        }
        Ok(())
    }

    fn remove_simple_key(&mut self) -> Result<(), SyntaxError> {
        let mark = self.mark;
        if let Some(key) = self.simple_keys.last_mut() {
            if key.possible && key.required {
                return Err(SyntaxError::new(
                    Some(("while scanning a simple key", key.mark)),
                    "could not find expected ':'",
                    mark,
                ));
            }
            key.possible = false;
        }
        Ok(())
    }

    fn increase_flow_level(&mut self) -> Result<(), SyntaxError> {
        self.simple_keys.push(SimpleKey::default());
        if self.flow_level >= MAX_NESTING || self.indents.len() >= MAX_NESTING - self.flow_level {
            return Err(self.error(
                Some(("while increasing flow level", self.mark)),
                "exceeded maximum nesting depth",
            ));
        }
        self.flow_level += 1;
        Ok(())
    }

    fn decrease_flow_level(&mut self) {
        if self.flow_level > 0 {
            self.flow_level -= 1;
            self.simple_keys.pop();
        }
    }

    /// Opens a block collection at `column` if it is deeper than the current
    /// one; its start token goes at queue position `number` (the simple key
    /// that turned out to start it) or at the end.
    fn roll_indent(
        &mut self,
        column: usize,
        number: Option<usize>,
        kind: TokenKind,
        mark: Mark,
    ) -> Result<(), SyntaxError> {
        if self.flow_level > 0 {
            return Ok(());
        }
        let column = to_isize(column);
        if self.indent < column {
            self.indents.push(self.indent);
            if self.indents.len() >= MAX_NESTING {
                return Err(self.error(
                    Some(("while increasing block level", self.mark)),
                    "exceeded maximum nesting depth",
                ));
            }
            self.indent = column;
            let token = Token {
                kind,
                start: mark,
                end: mark,
            };
            match number {
                Some(n) => {
                    let at = n.saturating_sub(self.tokens_parsed).min(self.tokens.len());
                    self.tokens.insert(at, token);
                }
                None => self.tokens.push_back(token),
            }
        }
        Ok(())
    }

    /// Closes the block collections deeper than `column`.
    fn unroll_indent(&mut self, column: isize) {
        if self.flow_level > 0 {
            return;
        }
        while self.indent > column {
            self.push(TokenKind::BlockEnd, self.mark);
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    // --- fetchers ---

    fn fetch_stream_start(&mut self) {
        self.indent = -1;
        self.simple_keys.push(SimpleKey::default());
        self.simple_key_allowed = true;
        self.stream_start_produced = true;
        self.push(TokenKind::StreamStart, self.mark);
    }

    fn fetch_stream_end(&mut self) -> Result<(), SyntaxError> {
        // libyaml ends the stream on a fresh line: an error "at the end"
        // of a file without a final newline points past its last line.
        if self.mark.column != 0 {
            self.mark.column = 0;
            self.mark.line += 1;
        }
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        self.stream_end_fetched = true;
        self.push(TokenKind::StreamEnd, self.mark);
        Ok(())
    }

    fn fetch_directive(&mut self) -> Result<(), SyntaxError> {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        self.scan_directive()
    }

    fn fetch_document_indicator(&mut self, kind: TokenKind) -> Result<(), SyntaxError> {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.skip();
        self.skip();
        self.push(kind, start);
        Ok(())
    }

    fn fetch_flow_collection_start(&mut self, kind: TokenKind) -> Result<(), SyntaxError> {
        self.save_simple_key()?;
        self.increase_flow_level()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.push(kind, start);
        Ok(())
    }

    fn fetch_flow_collection_end(&mut self, kind: TokenKind) -> Result<(), SyntaxError> {
        self.remove_simple_key()?;
        self.decrease_flow_level();
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.push(kind, start);
        Ok(())
    }

    fn fetch_flow_entry(&mut self) -> Result<(), SyntaxError> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.push(TokenKind::FlowEntry, start);
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> Result<(), SyntaxError> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.error(
                    None,
                    "block sequence entries are not allowed in this context",
                ));
            }
            let mark = self.mark;
            self.roll_indent(mark.column, None, TokenKind::BlockSequenceStart, mark)?;
        }
        // In a flow collection the parser reports the `-` (it knows the context).
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.push(TokenKind::BlockEntry, start);
        Ok(())
    }

    fn fetch_key(&mut self) -> Result<(), SyntaxError> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.error(None, "mapping keys are not allowed in this context"));
            }
            let mark = self.mark;
            self.roll_indent(mark.column, None, TokenKind::BlockMappingStart, mark)?;
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = self.flow_level == 0;
        let start = self.mark;
        self.skip();
        self.push(TokenKind::Key, start);
        Ok(())
    }

    fn fetch_value(&mut self) -> Result<(), SyntaxError> {
        let key = self.simple_keys.last().copied().unwrap_or_default();
        if key.possible {
            // The simple key is a key after all: insert its KEY token (and
            // the mapping start before it) where it began.
            let at = key
                .token_number
                .saturating_sub(self.tokens_parsed)
                .min(self.tokens.len());
            self.tokens.insert(
                at,
                Token {
                    kind: TokenKind::Key,
                    start: key.mark,
                    end: key.mark,
                },
            );
            self.roll_indent(
                key.mark.column,
                Some(key.token_number),
                TokenKind::BlockMappingStart,
                key.mark,
            )?;
            if let Some(top) = self.simple_keys.last_mut() {
                top.possible = false;
            }
            self.simple_key_allowed = false;
        } else {
            if self.flow_level == 0 {
                if !self.simple_key_allowed {
                    return Err(self.error(None, "mapping values are not allowed in this context"));
                }
                let mark = self.mark;
                self.roll_indent(mark.column, None, TokenKind::BlockMappingStart, mark)?;
            }
            self.simple_key_allowed = self.flow_level == 0;
        }
        let start = self.mark;
        self.skip();
        self.push(TokenKind::Value, start);
        Ok(())
    }

    fn fetch_anchor(&mut self, alias: bool) -> Result<(), SyntaxError> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        self.scan_anchor(alias)
    }

    fn fetch_tag(&mut self) -> Result<(), SyntaxError> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        self.scan_tag()
    }

    fn fetch_block_scalar(&mut self) -> Result<(), SyntaxError> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        self.scan_block_scalar()
    }

    fn fetch_flow_scalar(&mut self, single: bool) -> Result<(), SyntaxError> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        self.scan_flow_scalar(single)
    }

    fn fetch_plain_scalar(&mut self) -> Result<(), SyntaxError> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        self.scan_plain_scalar()
    }

    // --- token scanners ---

    /// Skips spaces, comments and line breaks. Tabs are skipped only where
    /// they cannot be indentation: in flow collections and after a token on
    /// the same line (libyaml's rule; a tab before the first token of a line
    /// is an error).
    fn scan_to_next_token(&mut self) {
        loop {
            if self.mark.column == 0 && self.at(0) == '\u{feff}' {
                self.skip();
            }
            while self.at(0) == ' '
                || ((self.flow_level > 0 || !self.simple_key_allowed) && self.at(0) == '\t')
            {
                self.skip();
            }
            if self.at(0) == '#' {
                while !is_breakz(self.at(0)) {
                    self.skip();
                }
            }
            if !is_break(self.at(0)) {
                break;
            }
            self.skip_line();
            if self.flow_level == 0 {
                self.simple_key_allowed = true;
            }
        }
    }

    fn scan_directive(&mut self) -> Result<(), SyntaxError> {
        const DIRECTIVE: &str = "while scanning a directive";
        let start = self.mark;
        self.skip();
        let mut name = String::new();
        while is_alpha(self.at(0)) {
            name.push(self.at(0));
            self.skip();
        }
        if name.is_empty() {
            return Err(self.error(
                Some((DIRECTIVE, start)),
                "could not find expected directive name",
            ));
        }
        if !is_blankz(self.at(0)) {
            return Err(self.error(
                Some((DIRECTIVE, start)),
                "found unexpected non-alphabetical character",
            ));
        }
        let kind = match name.as_str() {
            "YAML" => self.scan_version_directive_value(start)?,
            "TAG" => self.scan_tag_directive_value(start)?,
            _ => {
                return Err(self.error(Some((DIRECTIVE, start)), "found unknown directive name"));
            }
        };
        self.push(kind, start);
        while is_blank(self.at(0)) {
            self.skip();
        }
        if self.at(0) == '#' {
            while !is_breakz(self.at(0)) {
                self.skip();
            }
        }
        if !is_breakz(self.at(0)) {
            return Err(self.error(
                Some((DIRECTIVE, start)),
                "did not find expected comment or line break",
            ));
        }
        self.skip_line();
        Ok(())
    }

    fn scan_version_directive_value(&mut self, start: Mark) -> Result<TokenKind, SyntaxError> {
        while is_blank(self.at(0)) {
            self.skip();
        }
        let major = self.scan_version_number(start)?;
        if self.at(0) != '.' {
            return Err(self.error(
                Some(("while scanning a %YAML directive", start)),
                "did not find expected digit or '.' character",
            ));
        }
        self.skip();
        let minor = self.scan_version_number(start)?;
        Ok(TokenKind::VersionDirective { major, minor })
    }

    fn scan_version_number(&mut self, start: Mark) -> Result<u32, SyntaxError> {
        const YAML: &str = "while scanning a %YAML directive";
        let mut value = 0u32;
        let mut length = 0;
        while let Some(d) = self
            .at(0)
            .to_digit(10)
            .filter(|_| self.at(0).is_ascii_digit())
        {
            length += 1;
            if length > 9 {
                return Err(self.error(Some((YAML, start)), "found extremely long version number"));
            }
            value = value * 10 + d;
            self.skip();
        }
        if length == 0 {
            return Err(self.error(Some((YAML, start)), "did not find expected version number"));
        }
        Ok(value)
    }

    fn scan_tag_directive_value(&mut self, start: Mark) -> Result<TokenKind, SyntaxError> {
        const TAG: &str = "while scanning a %TAG directive";
        while is_blank(self.at(0)) {
            self.skip();
        }
        let handle = self.scan_tag_handle(true, start)?;
        if !is_blank(self.at(0)) {
            return Err(self.error(Some((TAG, start)), "did not find expected whitespace"));
        }
        while is_blank(self.at(0)) {
            self.skip();
        }
        self.scan_tag_uri(true, true, false, start)?;
        if !is_blankz(self.at(0)) {
            return Err(self.error(
                Some((TAG, start)),
                "did not find expected whitespace or line break",
            ));
        }
        Ok(TokenKind::TagDirective { handle })
    }

    fn scan_anchor(&mut self, alias: bool) -> Result<(), SyntaxError> {
        let start = self.mark;
        self.skip();
        let mut name = String::new();
        while is_alpha(self.at(0)) {
            name.push(self.at(0));
            self.skip();
        }
        let end = self.mark;
        let c = self.at(0);
        if name.is_empty() || !(is_blankz(c) || "?:,]}%@`".contains(c)) {
            let context = if alias {
                "while scanning an alias"
            } else {
                "while scanning an anchor"
            };
            return Err(self.error(
                Some((context, start)),
                "did not find expected alphabetic or numeric character",
            ));
        }
        let kind = if alias {
            TokenKind::Alias(name)
        } else {
            TokenKind::Anchor(name)
        };
        self.tokens.push_back(Token { kind, start, end });
        Ok(())
    }

    fn scan_tag(&mut self) -> Result<(), SyntaxError> {
        const TAG: &str = "while scanning a tag";
        let start = self.mark;
        let handle = if self.at(1) == '<' {
            // A verbatim tag `!<...>` has no handle to resolve.
            self.skip();
            self.skip();
            self.scan_tag_uri(true, false, false, start)?;
            if self.at(0) != '>' {
                return Err(self.error(Some((TAG, start)), "did not find the expected '>'"));
            }
            self.skip();
            String::new()
        } else {
            let handle = self.scan_tag_handle(false, start)?;
            if handle.len() > 1 && handle.ends_with('!') {
                self.scan_tag_uri(false, false, false, start)?;
                handle
            } else {
                // `!suffix` (or a lone `!`): the handle was the suffix's start.
                self.scan_tag_uri(false, false, true, start)?;
                "!".to_string()
            }
        };
        let c = self.at(0);
        if !is_blankz(c) && (self.flow_level == 0 || c != ',') {
            return Err(self.error(
                Some((TAG, start)),
                "did not find expected whitespace or line break",
            ));
        }
        self.push(TokenKind::Tag { handle }, start);
        Ok(())
    }

    fn scan_tag_handle(&mut self, directive: bool, start: Mark) -> Result<String, SyntaxError> {
        if self.at(0) != '!' {
            let context = if directive {
                "while scanning a tag directive"
            } else {
                "while scanning a tag"
            };
            return Err(self.error(Some((context, start)), "did not find expected '!'"));
        }
        let mut handle = String::from("!");
        self.skip();
        while is_alpha(self.at(0)) {
            handle.push(self.at(0));
            self.skip();
        }
        if self.at(0) == '!' {
            handle.push('!');
            self.skip();
        } else if directive && handle != "!" {
            return Err(self.error(
                Some(("while parsing a tag directive", start)),
                "did not find expected '!'",
            ));
        }
        Ok(handle)
    }

    /// The URI part of a tag; `verbatim` also allows `,[]` (in `!<...>` and
    /// `%TAG` prefixes), `has_head` says some of it was already read.
    fn scan_tag_uri(
        &mut self,
        verbatim: bool,
        directive: bool,
        has_head: bool,
        start: Mark,
    ) -> Result<(), SyntaxError> {
        let context = if directive {
            "while parsing a %TAG directive"
        } else {
            "while parsing a tag"
        };
        let mut length = usize::from(has_head);
        loop {
            let c = self.at(0);
            let uri =
                is_alpha(c) || ";/?:@&=+$.%!~*'()".contains(c) || (verbatim && ",[]".contains(c));
            if !uri || c == '\0' {
                break;
            }
            if c == '%' {
                self.scan_uri_escapes(context, start)?;
            } else {
                self.skip();
            }
            length += 1;
        }
        if length == 0 {
            return Err(self.error(Some((context, start)), "did not find expected tag URI"));
        }
        Ok(())
    }

    /// `%XX` escapes of one UTF-8 character.
    fn scan_uri_escapes(&mut self, context: &'static str, start: Mark) -> Result<(), SyntaxError> {
        let mut width = 0u32;
        loop {
            let (hi, lo) = (self.at(1).to_digit(16), self.at(2).to_digit(16));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(self.error(Some((context, start)), "did not find URI escaped octet"));
            };
            if self.at(0) != '%' {
                return Err(self.error(Some((context, start)), "did not find URI escaped octet"));
            }
            let octet = (hi << 4) | lo;
            if width == 0 {
                width = match octet {
                    o if o & 0x80 == 0 => 1,
                    o if o & 0xE0 == 0xC0 => 2,
                    o if o & 0xF0 == 0xE0 => 3,
                    o if o & 0xF8 == 0xF0 => 4,
                    _ => {
                        return Err(self.error(
                            Some((context, start)),
                            "found an incorrect leading UTF-8 octet",
                        ));
                    }
                };
            } else if octet & 0xC0 != 0x80 {
                return Err(self.error(
                    Some((context, start)),
                    "found an incorrect trailing UTF-8 octet",
                ));
            }
            self.skip();
            self.skip();
            self.skip();
            width -= 1;
            if width == 0 {
                return Ok(());
            }
        }
    }

    fn scan_block_scalar(&mut self) -> Result<(), SyntaxError> {
        const BLOCK: &str = "while scanning a block scalar";
        let start = self.mark;
        self.skip();
        let mut increment: isize = 0;
        let mut indicator = |s: &mut Self| -> Result<bool, SyntaxError> {
            match s.at(0) {
                '0' => Err(s.error(
                    Some((BLOCK, start)),
                    "found an indentation indicator equal to 0",
                )),
                c @ '1'..='9' => {
                    increment = to_isize(c.to_digit(10).map_or(0, |d| d as usize));
                    s.skip();
                    Ok(true)
                }
                _ => Ok(false),
            }
        };
        if matches!(self.at(0), '+' | '-') {
            self.skip();
            indicator(self)?;
        } else if indicator(self)? && matches!(self.at(0), '+' | '-') {
            self.skip();
        }
        while is_blank(self.at(0)) {
            self.skip();
        }
        if self.at(0) == '#' {
            while !is_breakz(self.at(0)) {
                self.skip();
            }
        }
        if !is_breakz(self.at(0)) {
            return Err(self.error(
                Some((BLOCK, start)),
                "did not find expected comment or line break",
            ));
        }
        self.skip_line();
        let mut indent: isize = 0;
        if increment != 0 {
            indent = if self.indent >= 0 {
                self.indent + increment
            } else {
                increment
            };
        }
        self.scan_block_scalar_breaks(&mut indent, start)?;
        while self.column() == indent && self.at(0) != '\0' {
            while !is_breakz(self.at(0)) {
                self.skip();
            }
            self.skip_line();
            self.scan_block_scalar_breaks(&mut indent, start)?;
        }
        self.push(TokenKind::Scalar, start);
        Ok(())
    }

    /// Skips the indentation and empty lines before a block scalar line;
    /// fixes the scalar's indentation from the first non-empty line.
    fn scan_block_scalar_breaks(
        &mut self,
        indent: &mut isize,
        start: Mark,
    ) -> Result<(), SyntaxError> {
        let mut max_indent: isize = 0;
        loop {
            while (*indent == 0 || self.column() < *indent) && self.at(0) == ' ' {
                self.skip();
            }
            max_indent = max_indent.max(self.column());
            if (*indent == 0 || self.column() < *indent) && self.at(0) == '\t' {
                return Err(self.error(
                    Some(("while scanning a block scalar", start)),
                    "found a tab character where an indentation space is expected",
                ));
            }
            if !is_break(self.at(0)) {
                break;
            }
            self.skip_line();
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
        Ok(())
    }

    fn scan_flow_scalar(&mut self, single: bool) -> Result<(), SyntaxError> {
        const QUOTED: &str = "while scanning a quoted scalar";
        const ESCAPE: &str = "while parsing a quoted scalar";
        let quote = if single { '\'' } else { '"' };
        let start = self.mark;
        self.skip();
        loop {
            if self.document_indicator() {
                return Err(
                    self.error(Some((QUOTED, start)), "found unexpected document indicator")
                );
            }
            if self.at(0) == '\0' {
                return Err(self.error(Some((QUOTED, start)), "found unexpected end of stream"));
            }
            while !is_blankz(self.at(0)) {
                let (c, next) = (self.at(0), self.at(1));
                if single && c == '\'' && next == '\'' {
                    self.skip();
                    self.skip();
                } else if c == quote {
                    break;
                } else if !single && c == '\\' && is_break(next) {
                    self.skip();
                    self.skip_line();
                    break;
                } else if !single && c == '\\' {
                    let length = match next {
                        '0' | 'a' | 'b' | 't' | '\t' | 'n' | 'v' | 'f' | 'r' | 'e' | ' ' | '"'
                        | '/' | '\\' | 'N' | '_' | 'L' | 'P' => 0,
                        'x' => 2,
                        'u' => 4,
                        'U' => 8,
                        _ => {
                            return Err(
                                self.error(Some((ESCAPE, start)), "found unknown escape character")
                            );
                        }
                    };
                    self.skip();
                    self.skip();
                    let mut value = 0u32;
                    for k in 0..length {
                        let Some(d) = self.at(k).to_digit(16) else {
                            return Err(self.error(
                                Some((ESCAPE, start)),
                                "did not find expected hexdecimal number",
                            ));
                        };
                        value = (value << 4) | d;
                    }
                    if (0xD800..=0xDFFF).contains(&value) || value > 0x10FFFF {
                        return Err(self.error(
                            Some((ESCAPE, start)),
                            "found invalid Unicode character escape code",
                        ));
                    }
                    for _ in 0..length {
                        self.skip();
                    }
                } else {
                    self.skip();
                }
            }
            if self.at(0) == quote {
                break;
            }
            while is_blank(self.at(0)) || is_break(self.at(0)) {
                if is_blank(self.at(0)) {
                    self.skip();
                } else {
                    self.skip_line();
                }
            }
        }
        self.skip();
        self.push(TokenKind::Scalar, start);
        Ok(())
    }

    fn scan_plain_scalar(&mut self) -> Result<(), SyntaxError> {
        const PLAIN: &str = "while scanning a plain scalar";
        let indent = self.indent + 1;
        let start = self.mark;
        let mut end = self.mark;
        let mut leading_blanks = false;
        loop {
            if self.document_indicator() || self.at(0) == '#' {
                break;
            }
            while !is_blankz(self.at(0)) {
                let (c, next) = (self.at(0), self.at(1));
                if self.flow_level > 0 && c == ':' && ",?[]{}".contains(next) && next != '\0' {
                    return Err(self.error(Some((PLAIN, start)), "found unexpected ':'"));
                }
                if (c == ':' && is_blankz(next)) || (self.flow_level > 0 && ",[]{}".contains(c)) {
                    break;
                }
                leading_blanks = false;
                self.skip();
                end = self.mark;
            }
            if !(is_blank(self.at(0)) || is_break(self.at(0))) {
                break;
            }
            while is_blank(self.at(0)) || is_break(self.at(0)) {
                if is_blank(self.at(0)) {
                    if leading_blanks && self.column() < indent && self.at(0) == '\t' {
                        return Err(self.error(
                            Some((PLAIN, start)),
                            "found a tab character that violates indentation",
                        ));
                    }
                    self.skip();
                } else {
                    self.skip_line();
                    leading_blanks = true;
                }
            }
            if self.flow_level == 0 && self.column() < indent {
                break;
            }
        }
        self.tokens.push_back(Token {
            kind: TokenKind::Scalar,
            start,
            end,
        });
        if leading_blanks {
            self.simple_key_allowed = true;
        }
        Ok(())
    }
}
