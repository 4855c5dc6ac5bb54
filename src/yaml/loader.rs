// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Builds `Node` trees from saphyr-parser events with the meaning Ansible's
//! loader gives YAML: PyYAML's composer (anchors, aliases, one anchor name
//! per document) and SafeConstructor (YAML 1.1 resolution, standard tags,
//! merge keys), plus Ansible's `!unsafe` and `!vault` tags.
//!
//! saphyr-parser is a YAML 1.2 parser; where it and libyaml (which PyYAML
//! uses) disagree on what is valid, the libyaml reading wins: a tab right
//! after `key:` and under-indented flow collections or quoted continuation
//! lines are accepted (the text is repaired and parsed again, positions
//! unchanged); an empty implicit key (`: value`), anchor names outside
//! `[A-Za-z0-9_-]` and control characters are rejected; block nesting stops
//! at 1000 levels (saphyr-parser itself stops flow nesting at 255).
//!
//! Every text also goes through `syntax`, libyaml's own grammar: what it
//! refuses is an error even where saphyr-parser accepts the text, and its
//! error (position, problem and context, as Ansible reports them) is the
//! one shown whenever the text is broken.

use super::error::{Fault, YamlError, YamlWarning};
use super::libyaml::{
    Pads, ScanContext, check_anchor_name, check_printable, explicit_key_before, nel_as_line_break,
    repair_glued_comment, repair_indentation, repair_tab_after_colon, repair_tab_in_quoted_indent,
};
use super::locate::{Locator, to_u32};
use super::merge::{self, Key};
use super::node::{Node, NodeKind, ScalarStyle, Tag};
use super::resolve::{self, Implicit};
use super::syntax;
use super::timestamp;
use crate::span::Span;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle as ParsedStyle, ScanError};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// The documents of one YAML stream, with the warnings met while loading.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub docs: Vec<Node>,
    pub warnings: Vec<YamlWarning>,
}

/// libyaml refuses deeper nesting; it also keeps recursive code safe.
const MAX_DEPTH: usize = 1000;
/// Aliases are expanded into copies; this bounds "billion laughs" input.
const MAX_ALIAS_NODES: usize = 5_000_000;
/// Reparsing after repairs of the text is bounded by this much text.
const MAX_REPARSE_BYTES: usize = 16 * 1024 * 1024;

const YAML_TAG: &str = "tag:yaml.org,2002:";

/// Loads every document of `src`; `file` names it in spans and errors.
pub fn load_str(src: &str, file: &str) -> Result<Loaded, YamlError> {
    load(src, file, Documents::All)
}

/// Loads a stream of at most one document, as Ansible's loader reads
/// playbooks, inventories and vars files (`yaml.load`): a second document is
/// an error.
pub fn load_single_str(src: &str, file: &str) -> Result<Loaded, YamlError> {
    load(src, file, Documents::One)
}

/// Reads and loads a file; an unreadable file is a `YamlError` naming it.
pub fn load_file(path: &Path) -> Result<Loaded, YamlError> {
    read_and_load(path, Documents::All)
}

/// [`load_file`] for a file of at most one document (see [`load_single_str`]).
pub fn load_single_file(path: &Path) -> Result<Loaded, YamlError> {
    read_and_load(path, Documents::One)
}

#[derive(Clone, Copy, PartialEq)]
enum Documents {
    All,
    One,
}

fn read_and_load(path: &Path, docs: Documents) -> Result<Loaded, YamlError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| YamlError::file(&name, format!("cannot read {name}: {e}")))?;
    match String::from_utf8(bytes) {
        Ok(text) => load(&text, &name, docs),
        Err(e) => Err(not_utf8(&name, e.as_bytes(), e.utf8_error().valid_up_to())),
    }
}

/// Values come from saphyr-parser (through the builder); whether and where
/// the text is broken comes from libyaml's grammar (`syntax`), which is what
/// Ansible reports. When both fail, the syntax error wins unless the builder
/// failed while constructing an earlier document: PyYAML composes a whole
/// document before constructing any of it, and constructs each document
/// before reading the next (with `yaml.load`, after checking that there is
/// no next one).
fn load(src: &str, file: &str, docs: Documents) -> Result<Loaded, YamlError> {
    // PyYAML drops a byte order mark at the start of the stream.
    let body = src.strip_prefix('\u{feff}').unwrap_or(src);
    check_printable(body, file).map_err(|f| YamlError::at(body, f.span, f.message))?;
    let (outline, syntax) = syntax::check(body, docs == Documents::One);
    let syntax_error = |e: &syntax::SyntaxError| {
        let (line, col) = e.mark.line_col();
        YamlError::at(
            body,
            Span::new(file, to_u32(line), to_u32(col)),
            e.message(),
        )
    };
    match (compose_repaired(body, file), syntax) {
        (Ok(loaded), None) => Ok(loaded),
        (Ok(_), Some(e)) => Err(syntax_error(&e)),
        (Err(Failure::Fault(f)), Some(e))
            if docs == Documents::All
                && outline.document_at(f.span.line as usize, f.span.col as usize) < e.document =>
        {
            Err(YamlError::at(body, f.span, f.message))
        }
        (Err(_), Some(e)) => Err(syntax_error(&e)),
        // libyaml accepts what saphyr-parser refused (and could not be
        // repaired), or kiln refuses a value Ansible would also refuse later.
        (Err(Failure::Fault(f)), None) => Err(YamlError::at(body, f.span, f.message)),
        (Err(Failure::Scan(e, text, pads)), None) => Err(scan_error(&text, body, file, &e, &pads)),
    }
}

/// Builds the documents from the text with libyaml's line breaks,
/// repairing it where saphyr-parser refuses what libyaml accepts.
fn compose_repaired(body: &str, file: &str) -> Result<Loaded, Failure> {
    let mut text = nel_as_line_break(body);
    let mut pads = Pads::new();
    let mut reparsed = 0usize;
    loop {
        match compose(&text, file, &pads) {
            Err(Compose::Scan(e, context)) => {
                // Each repair costs a new parse (and copy) of the text.
                reparsed += text.len();
                if reparsed <= MAX_REPARSE_BYTES {
                    let fixed = repair_tab_after_colon(&text, &e)
                        .or_else(|| repair_glued_comment(&text, &e))
                        .or_else(|| repair_tab_in_quoted_indent(&text, &e))
                        .or_else(|| repair_indentation(&text, &e, &context, &mut pads));
                    if let Some(fixed) = fixed {
                        text = Cow::Owned(fixed);
                        continue;
                    }
                }
                return Err(Failure::Scan(e, text.into_owned(), pads));
            }
            Err(Compose::Fault(f)) => return Err(Failure::Fault(f)),
            Ok(loaded) => return Ok(loaded),
        }
    }
}

/// Ansible decodes files as UTF-8; point at the first byte that is not.
fn not_utf8(name: &str, bytes: &[u8], valid_up_to: usize) -> YamlError {
    let good = String::from_utf8_lossy(&bytes[..valid_up_to]);
    let line = good.matches('\n').count() + 1;
    let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let span = Span::new(name, to_u32(line), to_u32(col));
    let lossy = String::from_utf8_lossy(bytes);
    let mut err = YamlError::at(
        &lossy,
        span,
        format!(
            "{name} is not valid UTF-8 (byte 0x{:02x} at offset {valid_up_to})",
            bytes.get(valid_up_to).copied().unwrap_or(0)
        ),
    );
    err.hint = Some(
        if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8".into()
        } else {
            "YAML files must be UTF-8 encoded; convert the file (e.g. with iconv)".into()
        },
    );
    err
}

/// Why building the documents failed.
enum Failure {
    /// saphyr-parser refused the (possibly repaired) text.
    Scan(ScanError, String, Pads),
    /// The builder refused a node.
    Fault(Fault),
}

/// Why one attempt at building the documents failed.
enum Compose {
    Scan(ScanError, ScanContext),
    Fault(Fault),
}

fn compose(text: &str, file: &str, pads: &Pads) -> Result<Loaded, Compose> {
    let mut builder = Builder::new(text, file, pads);
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(ok) => ok,
            Err(e) => {
                let context = ScanContext {
                    block_indent: builder.stack.iter().rev().find_map(|f| f.block_indent),
                };
                return Err(Compose::Scan(e, context));
            }
        };
        builder.event(event, span).map_err(Compose::Fault)?;
    }
    Ok(Loaded {
        docs: builder.docs,
        warnings: builder.warnings,
    })
}

fn marker_span(file: &Arc<str>, m: &Marker, pads: &Pads) -> Span {
    let line = m.line().max(1);
    let pad = pads.get(&line).copied().unwrap_or(0);
    Span::new(
        file.clone(),
        to_u32(line),
        to_u32(m.col().saturating_sub(pad) + 1),
    )
}

fn scan_error(text: &str, body: &str, file: &str, e: &ScanError, pads: &Pads) -> YamlError {
    let file: Arc<str> = Arc::from(file);
    let span = marker_span(&file, e.marker(), pads);
    let mut message = e.info().to_string();
    if message == "while parsing node, found unknown anchor" {
        let at = Locator::new(text).byte(e.marker().index());
        let name = text
            .get(at..)
            .and_then(|t| t.strip_prefix('*'))
            .map(name_prefix);
        message = match name {
            Some(n) => format!(
                "found undefined alias '*{n}' (no anchor '&{n}' before it in this document)"
            ),
            None => "found undefined alias".into(),
        };
    }
    YamlError::at(body, span, message)
}

/// The anchor/alias name at the start of `text` (up to a space or a flow
/// indicator).
fn name_prefix(text: &str) -> &str {
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
        .unwrap_or(text.len());
    &text[..end]
}

/// A collection whose events are still arriving.
struct Frame {
    span: Span,
    /// Column (0-based) of a block collection's entries; `None` for flow.
    block_indent: Option<usize>,
    tag: Option<String>,
    anchor: usize,
    body: Body,
}

enum Body {
    Seq(Vec<Node>),
    Map {
        pairs: Vec<(Key, Node)>,
        key: Option<Key>,
    },
}

/// A finished anchored node, copied for each alias to it.
struct Anchored {
    node: Node,
    /// The anchored node was a `<<` key, so an alias to it merges too.
    merge_key: bool,
    size: usize,
}

struct Builder<'s> {
    src: &'s str,
    pads: &'s Pads,
    file: Arc<str>,
    loc: Locator<'s>,
    docs: Vec<Node>,
    warnings: Vec<YamlWarning>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    /// Anchors whose node is still open (an alias to one is recursive).
    open_anchors: HashSet<usize>,
    /// Anchor names of the current document, for PyYAML's duplicate check.
    anchor_names: HashMap<String, Span>,
    expanded: usize,
}

impl<'s> Builder<'s> {
    fn new(src: &'s str, file: &str, pads: &'s Pads) -> Self {
        Builder {
            src,
            pads,
            file: Arc::from(file),
            loc: Locator::new(src),
            docs: Vec::new(),
            warnings: Vec::new(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            open_anchors: HashSet::new(),
            anchor_names: HashMap::new(),
            expanded: 0,
        }
    }

    fn event(&mut self, event: Event<'_>, span: saphyr_parser::Span) -> Result<(), Fault> {
        let start = span.start;
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(_) => {
                // Anchors are scoped to one document, as in PyYAML.
                self.anchors.clear();
                self.open_anchors.clear();
                self.anchor_names.clear();
                Ok(())
            }
            Event::Alias(id) => self.alias(id, &start),
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| full_tag(&t.handle, &t.suffix));
                self.scalar(&value, style, anchor, tag, &start)
            }
            Event::SequenceStart(anchor, tag) => {
                let tag = tag.map(|t| full_tag(&t.handle, &t.suffix));
                self.open(anchor, tag, &span, Body::Seq(Vec::new()))
            }
            Event::MappingStart(anchor, tag) => {
                let tag = tag.map(|t| full_tag(&t.handle, &t.suffix));
                let body = Body::Map {
                    pairs: Vec::new(),
                    key: None,
                };
                self.open(anchor, tag, &span, body)
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(),
        }
    }

    fn span(&self, m: &Marker) -> Span {
        marker_span(&self.file, m, self.pads)
    }

    fn expecting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                body: Body::Map { key: None, .. },
                ..
            })
        )
    }

    /// Puts a finished node (or merge key) where it belongs.
    fn attach(&mut self, item: Key, span: &Span) -> Result<(), Fault> {
        let Some(frame) = self.stack.last_mut() else {
            return match item {
                Key::Node(node) => {
                    self.docs.push(node);
                    Ok(())
                }
                Key::Merge => Err(Fault::new(span, resolve::no_constructor(MERGE))),
            };
        };
        match (&mut frame.body, item) {
            (Body::Map { key, .. }, item) if key.is_none() => {
                *key = Some(item);
                Ok(())
            }
            (Body::Map { key, pairs }, Key::Node(value)) => {
                if let Some(k) = key.take() {
                    pairs.push((k, value));
                }
                Ok(())
            }
            (Body::Seq(items), Key::Node(node)) => {
                items.push(node);
                Ok(())
            }
            (_, Key::Merge) => Err(Fault::new(span, resolve::no_constructor(MERGE))),
        }
    }

    /// Records an anchor name at the start of its node; PyYAML refuses a
    /// name used twice in one document.
    fn register_anchor(&mut self, anchor: usize, at: &Marker, span: &Span) -> Result<(), Fault> {
        if anchor == 0 {
            return Ok(());
        }
        let byte = self.loc.byte(at.index());
        let Some(name) = self.src.get(byte..).and_then(anchor_name) else {
            return Ok(());
        };
        check_anchor_name(name, '&', span)?;
        if let Some(first) = self.anchor_names.get(name) {
            return Err(Fault::new(
                span,
                format!("found duplicate anchor '&{name}'; first occurrence at {first}"),
            ));
        }
        self.anchor_names.insert(name.to_string(), span.clone());
        Ok(())
    }

    fn remember(&mut self, anchor: usize, item: &Key) {
        if anchor == 0 {
            return;
        }
        self.open_anchors.remove(&anchor);
        let anchored = match item {
            Key::Node(node) => Anchored {
                size: node_count(node),
                node: node.clone(),
                merge_key: false,
            },
            Key::Merge => Anchored {
                node: Node::str("<<", Span::synthetic("<merge>")),
                merge_key: true,
                size: 1,
            },
        };
        self.anchors.insert(anchor, anchored);
    }

    fn alias(&mut self, id: usize, at: &Marker) -> Result<(), Fault> {
        let span = self.span(at);
        let name = {
            let byte = self.loc.byte(at.index());
            self.src
                .get(byte..)
                .and_then(|t| t.strip_prefix('*'))
                .map(|t| name_prefix(t).to_string())
                .unwrap_or_default()
        };
        check_anchor_name(&name, '*', &span)?;
        let Some(anchored) = self.anchors.get(&id) else {
            let message = if self.open_anchors.contains(&id) {
                format!(
                    "found recursive alias '*{name}': it refers to a node that contains it, \
                     and recursive data cannot be loaded"
                )
            } else {
                format!(
                    "found undefined alias '*{name}' (no anchor '&{name}' before it in this document)"
                )
            };
            return Err(Fault::new(&span, message));
        };
        self.expanded += anchored.size;
        if self.expanded > MAX_ALIAS_NODES {
            return Err(Fault::new(
                &span,
                format!(
                    "aliases in this document expand to more than {MAX_ALIAS_NODES} values \
                     (an alias bomb?)"
                ),
            ));
        }
        // An alias to a `<<` key merges too (and, like `<<` itself, is an
        // error anywhere but in key position).
        let item = if anchored.merge_key {
            Key::Merge
        } else {
            Key::Node(anchored.node.clone())
        };
        self.attach(item, &span)
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ParsedStyle,
        anchor: usize,
        tag: Option<String>,
        at: &Marker,
    ) -> Result<(), Fault> {
        let span = self.span(at);
        self.register_anchor(anchor, at, &span)?;
        let style = match style {
            ParsedStyle::Plain => ScalarStyle::Plain,
            ParsedStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            ParsedStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            ParsedStyle::Literal => ScalarStyle::Literal,
            ParsedStyle::Folded => ScalarStyle::Folded,
        };
        let is_key = self.expecting_key();
        if is_key && text.is_empty() && style == ScalarStyle::Plain && tag.is_none() && anchor == 0
        {
            self.check_empty_key(at, &span)?;
        }
        let in_flow = self.stack.last().is_some_and(|f| f.block_indent.is_none());
        if let Some(rest) = text.strip_prefix('?')
            && in_flow
            && style == ScalarStyle::Plain
            && tag.is_none()
            && anchor == 0
        {
            return self.flow_explicit_key(rest, &span, is_key);
        }
        let item = self.construct_scalar(text, style, tag.as_deref(), &span, is_key)?;
        self.remember(anchor, &item);
        self.attach(item, &span)
    }

    /// In a flow collection libyaml reads a `?` as the explicit key
    /// indicator even with no blank after it (`[?x]` is `[{x: null}]`, `[?]`
    /// is `[{null: null}]`); saphyr-parser reads a plain scalar `?x` there.
    /// `rest` is what follows the `?`: the key, read as plain text.
    fn flow_explicit_key(&mut self, rest: &str, span: &Span, is_key: bool) -> Result<(), Fault> {
        let key_span = Span::new(self.file.clone(), span.line, span.col + 1);
        let key = if rest.is_empty() {
            Key::Node(Node::new(NodeKind::Null, key_span.clone()))
        } else {
            self.construct_scalar(rest, ScalarStyle::Plain, None, &key_span, true)?
        };
        if is_key {
            // `{?x: 1}`, or `[?x: 1]` (a one-pair mapping already).
            return self.attach(key, &key_span);
        }
        let null = Node::new(NodeKind::Null, key_span);
        let pairs = merge::build_map(vec![(key, null)], &mut self.warnings)?;
        let map = Node::new(NodeKind::Map(pairs), span.clone());
        self.attach(Key::Node(map), span)
    }

    /// libyaml rejects `: value` with nothing before the colon (saphyr
    /// reads a null key); an explicit `? ` key may be empty in both.
    fn check_empty_key(&mut self, at: &Marker, span: &Span) -> Result<(), Fault> {
        let byte = self.loc.byte(at.index());
        let Some(rest) = self.src.get(byte..) else {
            return Ok(());
        };
        if !rest.starts_with(':') || explicit_key_before(&self.src[..byte]) {
            return Ok(());
        }
        Err(Fault::new(
            span,
            "while parsing a mapping, did not find expected key: a key cannot be empty \
             (write `\"\": value` for an empty string key)",
        ))
    }

    fn construct_scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&str>,
        span: &Span,
        is_key: bool,
    ) -> Result<Key, Fault> {
        let fault = |m: String| Fault::new(span, m);
        let mut node_tag = None;
        let kind = match tag {
            // A bare `!` with no value is an empty string (libyaml does not
            // mark an empty scalar with a tag as implicit).
            Some("!") if text.is_empty() && style == ScalarStyle::Plain => {
                NodeKind::Str(String::new())
            }
            // A plain scalar, or any scalar with the non-specific tag `!`
            // (libyaml marks those implicit whatever their style, so
            // `! "123"` is the int 123), goes through the resolvers.
            None | Some("!") if style == ScalarStyle::Plain || tag.is_some() => {
                match resolve::implicit_tag(text) {
                    Implicit::Merge if is_key => return Ok(Key::Merge),
                    Implicit::Value if is_key => NodeKind::Str(text.to_string()),
                    _ => resolve::try_resolve_plain(text).map_err(fault)?,
                }
            }
            // Quoted and block scalars are strings.
            None | Some("!") => NodeKind::Str(text.to_string()),
            Some(UNSAFE) => {
                // Ansible resolves the text again as if it were plain, whatever
                // its style: `!unsafe "123"` is the int 123.
                node_tag = Some(Tag::Unsafe);
                resolve::try_resolve_plain(text).map_err(fault)?
            }
            Some(t @ (VAULT | VAULT_ENCRYPTED)) => {
                node_tag = Some(Tag::Vault);
                if t == VAULT_ENCRYPTED {
                    self.deprecated(span, "`!vault-encrypted`", "Use the `!vault` tag instead.");
                }
                match resolve::try_resolve_plain(text).map_err(fault)? {
                    s @ NodeKind::Str(_) => s,
                    _ => return Err(fault(format!("the '{t}' tag requires a string value"))),
                }
            }
            Some(t) => {
                node_tag = Some(Tag::Other(t.to_string()));
                match t.strip_prefix(YAML_TAG) {
                    Some("str" | "python/unicode") => NodeKind::Str(text.to_string()),
                    Some("int") => resolve::construct_int(text).map_err(fault)?,
                    Some("float") => {
                        NodeKind::Float(resolve::construct_float(text).map_err(fault)?)
                    }
                    Some("bool") => resolve::construct_bool(text).map_err(fault)?,
                    Some("null") => NodeKind::Null,
                    Some("timestamp") => NodeKind::Str(timestamp::construct(text).map_err(fault)?),
                    Some("binary") => resolve::construct_binary(text).map_err(fault)?,
                    Some("merge") if is_key => return Ok(Key::Merge),
                    Some("value") if is_key => NodeKind::Str(text.to_string()),
                    Some("seq") => return Err(fault(wrong_node("sequence", "scalar"))),
                    Some("map" | "python/dict" | "set") => {
                        return Err(fault(wrong_node("mapping", "scalar")));
                    }
                    Some("omap" | "pairs") => return Err(fault(not_a_sequence(t, "scalar"))),
                    _ => return Err(fault(resolve::no_constructor(t))),
                }
            }
        };
        Ok(Key::Node(Node {
            kind,
            span: span.clone(),
            tag: node_tag,
            style,
        }))
    }

    fn open(
        &mut self,
        anchor: usize,
        tag: Option<String>,
        event_span: &saphyr_parser::Span,
        body: Body,
    ) -> Result<(), Fault> {
        let at = &event_span.start;
        let span = self.span(at);
        if self.stack.len() >= MAX_DEPTH {
            return Err(Fault::new(
                &span,
                format!("exceeded the maximum nesting depth of {MAX_DEPTH} lists and dicts"),
            ));
        }
        self.register_anchor(anchor, at, &span)?;
        if anchor != 0 {
            self.open_anchors.insert(anchor);
        }
        // A flow collection's event covers its opening bracket; anything
        // inside a flow collection is flow too.
        let end = self.loc.byte(event_span.end.index());
        let flow = self.stack.last().is_some_and(|f| f.block_indent.is_none())
            || self.src.get(..end).is_some_and(|t| t.ends_with(['[', '{']));
        self.stack.push(Frame {
            span,
            block_indent: (!flow).then(|| event_span.end.col()),
            tag,
            anchor,
            body,
        });
        Ok(())
    }

    fn close(&mut self) -> Result<(), Fault> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let node = match frame.body {
            Body::Seq(items) => self.finish_seq(items, frame.tag, &frame.span)?,
            Body::Map { mut pairs, key } => {
                // The parser always sends a value after a key; be total anyway.
                if let Some(k) = key {
                    pairs.push((k, Node::new(NodeKind::Null, frame.span.clone())));
                }
                self.finish_map(pairs, frame.tag, &frame.span)?
            }
        };
        let item = Key::Node(node);
        self.remember(frame.anchor, &item);
        self.attach(item, &frame.span)
    }

    fn finish_seq(
        &mut self,
        items: Vec<Node>,
        tag: Option<String>,
        span: &Span,
    ) -> Result<Node, Fault> {
        let fault = |m: String| Fault::new(span, m);
        let mut node = Node::new(NodeKind::Seq(Vec::new()), span.clone());
        match tag.as_deref() {
            None | Some("!") => {}
            Some(UNSAFE) => node.tag = Some(Tag::Unsafe),
            Some(t @ (VAULT | VAULT_ENCRYPTED)) => {
                return Err(fault(format!("the '{t}' tag requires a string value")));
            }
            Some(t) => {
                node.tag = Some(Tag::Other(t.to_string()));
                match t.strip_prefix(YAML_TAG) {
                    Some("seq") => {}
                    Some(kind @ ("omap" | "pairs")) => {
                        let help = if kind == "omap" {
                            "Use a standard mapping instead, as key order is always preserved."
                        } else {
                            "Use a standard mapping instead."
                        };
                        self.deprecated(span, &format!("`!!{kind}`"), help);
                        node.kind = NodeKind::Seq(pairs_of(t, items)?);
                        return Ok(node);
                    }
                    Some("map" | "python/dict" | "set") => {
                        return Err(fault(wrong_node("mapping", "sequence")));
                    }
                    Some(
                        "str" | "python/unicode" | "int" | "float" | "bool" | "null" | "timestamp"
                        | "binary",
                    ) => return Err(fault(wrong_node("scalar", "sequence"))),
                    _ => return Err(fault(resolve::no_constructor(t))),
                }
            }
        }
        node.kind = NodeKind::Seq(items);
        Ok(node)
    }

    fn finish_map(
        &mut self,
        pairs: Vec<(Key, Node)>,
        tag: Option<String>,
        span: &Span,
    ) -> Result<Node, Fault> {
        let fault = |m: String| Fault::new(span, m);
        let mut node = Node::new(NodeKind::Map(Vec::new()), span.clone());
        let mut as_set = false;
        match tag.as_deref() {
            None | Some("!") => {}
            Some(UNSAFE) => node.tag = Some(Tag::Unsafe),
            Some(t @ (VAULT | VAULT_ENCRYPTED)) => {
                return Err(fault(format!("the '{t}' tag requires a string value")));
            }
            Some(t) => {
                node.tag = Some(Tag::Other(t.to_string()));
                match t.strip_prefix(YAML_TAG) {
                    Some("map" | "python/dict") => {}
                    // A Python set; kiln has no set type, so it is the list of its members.
                    Some("set") => as_set = true,
                    Some("seq") => return Err(fault(wrong_node("sequence", "mapping"))),
                    Some("omap" | "pairs") => return Err(fault(not_a_sequence(t, "mapping"))),
                    Some(
                        "str" | "python/unicode" | "int" | "float" | "bool" | "null" | "timestamp"
                        | "binary",
                    ) => return Err(fault(wrong_node("scalar", "mapping"))),
                    _ => return Err(fault(resolve::no_constructor(t))),
                }
            }
        }
        let pairs = merge::build_map(pairs, &mut self.warnings)?;
        node.kind = if as_set {
            NodeKind::Seq(pairs.into_iter().map(|(k, _)| k).collect())
        } else {
            NodeKind::Map(pairs)
        };
        Ok(node)
    }

    /// Ansible's deprecation warning for the old YAML tags.
    fn deprecated(&mut self, span: &Span, what: &str, help: &str) {
        self.warnings.push(YamlWarning {
            span: span.clone(),
            message: format!(
                "Use of the YAML {what} tag is deprecated and will be removed from ansible-core 2.23. {help}"
            ),
        });
    }
}

const UNSAFE: &str = "!unsafe";
const VAULT: &str = "!vault";
const VAULT_ENCRYPTED: &str = "!vault-encrypted";
const MERGE: &str = "tag:yaml.org,2002:merge";

/// The tag as PyYAML spells it: `!!str` is `tag:yaml.org,2002:str`, a local
/// tag keeps its `!`, and the non-specific tag is `!`.
fn full_tag(handle: &str, suffix: &str) -> String {
    format!("{}{}", utf8_escapes(handle), utf8_escapes(suffix))
}

/// saphyr-parser joins the octets of a `%C3%A9` escape in a tag into one
/// number instead of decoding them as UTF-8 (U+C3A9 instead of `é`).
/// libyaml allows only ASCII characters in a tag as written, so every other
/// character came from such an escape: its octets are decoded again.
fn utf8_escapes(tag: &str) -> Cow<'_, str> {
    if tag.is_ascii() {
        return Cow::Borrowed(tag);
    }
    let mut out = String::with_capacity(tag.len());
    for c in tag.chars() {
        let octets = u32::from(c).to_be_bytes();
        let first = octets.iter().position(|&b| b != 0).unwrap_or(3);
        match std::str::from_utf8(&octets[first..]) {
            Ok(decoded) if !c.is_ascii() => out.push_str(decoded),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn wrong_node(expected: &str, found: &str) -> String {
    format!("expected a {expected} node, but found {found}")
}

fn not_a_sequence(tag: &str, found: &str) -> String {
    let what = if tag.ends_with("omap") {
        "an ordered map"
    } else {
        "pairs"
    };
    format!("while constructing {what}, expected a sequence, but found {found}")
}

/// `!!omap`/`!!pairs`: a list of one-key dicts becomes a list of
/// `[key, value]` pairs (Python tuples).
fn pairs_of(tag: &str, items: Vec<Node>) -> Result<Vec<Node>, Fault> {
    let what = if tag.ends_with("omap") {
        "an ordered map"
    } else {
        "pairs"
    };
    items
        .into_iter()
        .map(|item| {
            let span = item.span.clone();
            match item.kind {
                NodeKind::Map(mut pairs) if pairs.len() == 1 => {
                    let (k, v) = pairs.remove(0);
                    Ok(Node::new(NodeKind::Seq(vec![k, v]), span))
                }
                NodeKind::Map(pairs) => Err(Fault::new(
                    &span,
                    format!(
                        "while constructing {what}, expected a single mapping item, but found {} items",
                        pairs.len()
                    ),
                )),
                NodeKind::Seq(_) => Err(Fault::new(
                    &span,
                    format!("while constructing {what}, expected a mapping of length 1, but found sequence"),
                )),
                _ => Err(Fault::new(
                    &span,
                    format!("while constructing {what}, expected a mapping of length 1, but found scalar"),
                )),
            }
        })
        .collect()
}

/// The anchor name in the node properties at the start of `text`
/// (`&name`, possibly after a tag: `!!str &name`).
fn anchor_name(text: &str) -> Option<&str> {
    let mut rest = text;
    for _ in 0..2 {
        if let Some(name) = rest.strip_prefix('&') {
            return Some(name_prefix(name));
        }
        if !rest.starts_with('!') {
            return None;
        }
        // Skip the tag, then the separation (spaces, line breaks, comments).
        let tag_end = rest.find(char::is_whitespace)?;
        rest = &rest[tag_end..];
        loop {
            let trimmed = rest.trim_start();
            match trimmed.strip_prefix('#') {
                Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
                None => {
                    rest = trimmed;
                    break;
                }
            }
        }
    }
    None
}

fn node_count(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        NodeKind::Map(pairs) => {
            1 + pairs
                .iter()
                .map(|(k, v)| node_count(k) + node_count(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indentation_repair_pads_a_line_once_at_most() {
        // A lone `\r` line break (which the parser counts and the repair's
        // `\n` counting does not) once made each repair pad the same line
        // again, until the re-parse budget ran out: the text kiln gave up
        // on was kilobytes of padding. Now it is the user's text, padded at
        // most once.
        for src in ["a: {b:\re]", "1: {1:\re]", "a: {b:\r\r\re]"] {
            match compose_repaired(src, "t.yml") {
                Err(Failure::Scan(_, text, pads)) => {
                    assert!(
                        text.len() <= src.len() + 8,
                        "{src:?} became {} bytes",
                        text.len()
                    );
                    assert!(pads.values().all(|&p| p <= 8), "{src:?}: {pads:?}");
                }
                Err(Failure::Fault(_)) => panic!("{src:?}: a fault, not a scan error"),
                Ok(_) => panic!("{src:?} loaded"),
            }
        }
    }
}
