// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! YAML as PyYAML's `yaml.dump` writes it (`to_yaml`, `to_nice_yaml`):
//! the same choice of flow or block collections, of plain or quoted
//! scalars, the same indentation and the same folding of long lines at 80
//! columns, so that files rendered from these filters are byte-identical.

use super::pyrepr::{py_float, py_str};
use minijinja::value::{Value, ValueKind};

pub struct DumpOptions {
    pub indent: usize,
    /// `None`: collections of scalars only are flow style, others block.
    pub default_flow_style: Option<bool>,
    pub sort_keys: bool,
    pub width: usize,
    pub explicit_start: bool,
    /// `explicit_end`: the document ends with a `...` line.
    pub explicit_end: bool,
    /// `default_style`: every scalar in single (`'`) or double (`"`)
    /// quotes, a value that is not a string tagged `!` so that it reads back
    /// as a string would not (AnsibleDumper's non-specific tag).
    pub default_style: Option<char>,
    /// ansible-inventory's data: `{"__ansible_vault": text}` is written as
    /// AnsibleDumper writes a vaulted value (`!vault |` literal), and
    /// `{"__ansible_unsafe": text}` as the plain string.
    pub inventory_tags: bool,
    /// The default callback's YAML results: a string with a line break is
    /// asked for in literal block style (`|`), and with `Some(true)`
    /// (lossy) first changed so that the style is allowed (trailing spaces
    /// and special characters dropped, tabs expanded).
    pub literal_multiline: Option<bool>,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            indent: 2,
            default_flow_style: None,
            sort_keys: true,
            width: 80,
            explicit_start: false,
            explicit_end: false,
            default_style: None,
            inventory_tags: false,
            literal_multiline: None,
        }
    }
}

/// With `inventory_tags`: `{ANCHOR_KEY: "id001", "value": v}` is `v`
/// with an anchor, `{ALIAS_KEY: "id001"}` an alias to it. Python's YAML
/// writer anchors a list or dict object it meets twice; the caller, which
/// knows which values are one object, marks them so.
pub const ANCHOR_KEY: &str = "__kiln_yaml_anchor";
pub const ALIAS_KEY: &str = "__kiln_yaml_alias";

/// A value reduced to YAML's node kinds.
enum Node {
    Scalar {
        text: String,
        plain_ok: bool,
        /// A str (not a number, bool or None): needs no tag when quoted.
        string: bool,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    Map {
        pairs: Vec<(Node, Node)>,
        flow: bool,
    },
    /// A tagged literal block scalar (`!vault |`).
    Literal {
        tag: &'static str,
        text: String,
    },
    /// A string the representer asked to be a literal block (`|`); the
    /// emitter falls back to double quotes where the style is not allowed.
    Block(String),
    /// The first occurrence of a value met again later (`&id001`).
    Anchored {
        anchor: String,
        node: Box<Node>,
    },
    /// A later occurrence (`*id001`).
    Alias(String),
}

fn is_plain_scalar(n: &Node) -> bool {
    matches!(n, Node::Scalar { .. })
}

/// PyYAML's float representer.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let v = py_float(f).to_lowercase();
    if !v.contains('.') && v.contains('e') {
        v.replacen('e', ".0e", 1)
    } else {
        v
    }
}

/// Whether a plain scalar `s` would read back as something other than this
/// string (YAML 1.1 implicit types as PyYAML's resolver knows them; unlike
/// the YAML 1.1 spec, PyYAML does not read `y`/`n` as booleans).
fn resolves_to_other(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    matches!(
        s,
        "~" | "null"
            | "Null"
            | "NULL"
            | "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "="
            | "<<"
    ) || is_yaml_number(s)
        || is_timestamp(s)
}

/// PyYAML's implicit int and float patterns (YAML 1.1), whole-string
/// matches: a decimal int is `0` or starts with 1-9 (`09` stays a
/// string), `0[0-7_]+` is octal, a float needs its dot and a signed
/// exponent, `.5` takes no sign, and `.inf`/`.nan` come in three
/// spellings each (`.nan` unsigned).
fn is_yaml_number(s: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(concat!(
            r"^(?:",
            // int
            r"[-+]?0b[0-1_]+",
            r"|[-+]?0[0-7_]+",
            r"|[-+]?(?:0|[1-9][0-9_]*)",
            r"|[-+]?0x[0-9a-fA-F_]+",
            r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
            // float
            r"|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?",
            r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
            r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*",
            r"|[-+]?\.(?:inf|Inf|INF)",
            r"|\.(?:nan|NaN|NAN)",
            r")$"
        ))
        .ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(s))
}

/// PyYAML's implicit timestamp pattern: a date with two-digit month and
/// day, or a date and time (one- or two-digit month and day).
fn is_timestamp(s: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(concat!(
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]",
            r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?",
            r"(?:[Tt]|[ \t]+)[0-9][0-9]?",
            r":[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?",
            r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"
        ))
        .ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(s))
}

/// What PyYAML's `analyze_scalar` allows for a string.
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
    allow_block: bool,
}

/// libyaml's IS_PRINTABLE (Ansible's dumper is PyYAML's C emitter when
/// libyaml is there, as in ansible-core's own installs): unlike PyYAML's
/// Python emitter, NEL (U+0085) and the characters past U+FFFF are not
/// printable, so a string holding one is double-quoted and escapes it.
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || (' '..='~').contains(&c)
        || (('\u{A0}'..='\u{D7FF}').contains(&c))
        || (('\u{E000}'..='\u{FFFD}').contains(&c) && c != '\u{FEFF}')
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
            allow_block: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_ind = false;
    let mut flow_ind = false;
    let mut line_breaks = false;
    let mut special = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    if s.starts_with("---") || s.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_by_ws = true;
    let n = chars.len();
    let mut prev_space = false;
    let mut prev_break = false;
    for (i, &ch) in chars.iter().enumerate() {
        let followed_by_ws = i + 1 >= n
            || matches!(
                chars[i + 1],
                '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
            );
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_ind = true;
                block_ind = true;
            }
            if ch == '?' || ch == ':' {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if ch == '-' && followed_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_ind = true;
            }
            if ch == ':' {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if ch == '#' && preceded_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        let is_break = matches!(ch, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if is_break {
            line_breaks = true;
        }
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            // allow_unicode: printable non-ASCII is fine; a tab or another
            // control character is not (PyYAML then only double-quotes).
            if !printable(ch) || ch == '\u{FEFF}' || ch == '\t' || ch == '\r' {
                special = true;
            }
        }
        if ch == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == n - 1 {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break {
            if i == 0 {
                leading_break = true;
            }
            if i == n - 1 {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = matches!(
            ch,
            '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
        );
    }
    let mut a = Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain: true,
        allow_block_plain: true,
        allow_single_quoted: true,
        allow_block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if trailing_space {
        a.allow_block = false;
    }
    if break_space {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    if space_break || special {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
        a.allow_block = false;
    }
    if line_breaks {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if flow_ind {
        a.allow_flow_plain = false;
    }
    if block_ind {
        a.allow_block_plain = false;
    }
    a
}

fn build(v: &Value, o: &DumpOptions) -> Node {
    match v.kind() {
        ValueKind::None | ValueKind::Undefined => Node::Scalar {
            text: "null".into(),
            plain_ok: true,
            string: false,
        },
        ValueKind::Bool => Node::Scalar {
            text: if v.is_true() { "true" } else { "false" }.into(),
            plain_ok: true,
            string: false,
        },
        ValueKind::Number => {
            let text = if v.is_integer() {
                v.to_string()
            } else {
                yaml_float(f64::try_from(v.clone()).unwrap_or(f64::NAN))
            };
            Node::Scalar {
                text,
                plain_ok: true,
                string: false,
            }
        }
        ValueKind::String if o.literal_multiline.is_some() && v.as_str().is_some_and(has_break) => {
            let s = v.as_str().unwrap_or_default();
            if o.literal_multiline == Some(true) {
                Node::Block(lossy_block(s))
            } else {
                Node::Block(s.to_string())
            }
        }
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default().to_string();
            let plain_ok = !resolves_to_other(&s);
            Node::Scalar {
                text: s,
                plain_ok,
                string: true,
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Node> = v
                .try_iter()
                .map(|it| it.map(|x| build(&x, o)).collect())
                .unwrap_or_default();
            let flow = o
                .default_flow_style
                .unwrap_or_else(|| items.iter().all(|n| scalar_without_style(n, o)));
            Node::Seq { items, flow }
        }
        ValueKind::Map if o.inventory_tags && v.len() == Some(2) => {
            if let (Ok(a), Ok(inner)) = (v.get_attr(ANCHOR_KEY), v.get_attr("value"))
                && let Some(anchor) = a.as_str()
                && !inner.is_undefined()
            {
                return Node::Anchored {
                    anchor: anchor.to_string(),
                    node: Box::new(build(&inner, o)),
                };
            }
            build_map(v, o)
        }
        ValueKind::Map if o.inventory_tags && v.len() == Some(1) => {
            if let Ok(a) = v.get_attr(ALIAS_KEY)
                && let Some(alias) = a.as_str()
            {
                return Node::Alias(alias.to_string());
            }
            if let Ok(s) = v.get_attr("__ansible_vault")
                && let Some(text) = s.as_str()
            {
                return Node::Literal {
                    tag: "!vault",
                    text: text.to_string(),
                };
            }
            if let Ok(s) = v.get_attr("__ansible_unsafe")
                && s.as_str().is_some()
            {
                return build(&s, o);
            }
            build_map(v, o)
        }
        ValueKind::Map => build_map(v, o),
        _ => Node::Scalar {
            text: py_str(v),
            plain_ok: true,
            string: false,
        },
    }
}

fn has_break(s: &str) -> bool {
    s.chars().any(is_break)
}

/// Ansible's lossy change of a multi-line string so that PyYAML allows it
/// as a literal block: trailing whitespace dropped, tabs expanded (to
/// 8-column stops), characters PyYAML calls special dropped, and spaces
/// before a line break dropped.
fn lossy_block(s: &str) -> String {
    // Python's str.isspace also counts the separators \x1c..\x1f.
    let s = s.trim_end_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c));
    let mut expanded = String::new();
    let mut col = 0usize;
    for c in s.chars() {
        match c {
            '\t' => {
                let n = 8 - col % 8;
                expanded.push_str(&" ".repeat(n));
                col += n;
            }
            '\n' | '\r' => {
                expanded.push(c);
                col = 0;
            }
            _ => {
                expanded.push(c);
                col += 1;
            }
        }
    }
    let kept: String = expanded
        .chars()
        .filter(|&c| {
            let n = c as u32;
            (n == 10
                || (32..=126).contains(&n)
                || n == 133
                || (160..=55295).contains(&n)
                || (57344..=65533).contains(&n)
                || (65536..1114111).contains(&n))
                && n != 65279
        })
        .collect();
    // Spaces right before a line break go.
    let mut out = String::with_capacity(kept.len());
    let mut spaces = 0usize;
    for c in kept.chars() {
        if c == ' ' {
            spaces += 1;
            continue;
        }
        if !is_break(c) {
            out.push_str(&" ".repeat(spaces));
        }
        spaces = 0;
        out.push(c);
    }
    out.push_str(&" ".repeat(spaces));
    out
}

fn build_map(v: &Value, o: &DumpOptions) -> Node {
    {
        {
            let mut keys: Vec<Value> = v.try_iter().map(|it| it.collect()).unwrap_or_default();
            if o.sort_keys {
                keys.sort_by(|a, b| match (a.as_str(), b.as_str()) {
                    (Some(x), Some(y)) => x.cmp(y),
                    _ => a.cmp(b),
                });
            }
            let pairs: Vec<(Node, Node)> = keys
                .iter()
                .map(|k| (build(k, o), build(&v.get_item(k).unwrap_or_default(), o)))
                .collect();
            let flow = o.default_flow_style.unwrap_or_else(|| {
                pairs
                    .iter()
                    .all(|(k, v)| scalar_without_style(k, o) && scalar_without_style(v, o))
            });
            Node::Map { pairs, flow }
        }
    }
}

/// PyYAML's "best style" test: a scalar the representer gave no style
/// (with a `default_style`, every scalar has one).
fn scalar_without_style(n: &Node, o: &DumpOptions) -> bool {
    is_plain_scalar(n) && o.default_style.is_none()
}

struct Emitter<'a> {
    out: String,
    column: usize,
    o: &'a DumpOptions,
    whitespace: bool,
    indention: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

impl Emitter<'_> {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
    }

    fn line_break(&mut self, br: Option<char>) {
        self.out.push(br.unwrap_or('\n'));
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, whitespace: bool, indention: bool) {
        let s = if self.whitespace || !need_ws {
            ind.to_string()
        } else {
            format!(" {ind}")
        };
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.write(&s);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.out.push_str(&pad);
            self.column = indent;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None => Some(if flow { self.o.indent } else { 0 }),
            Some(i) if !indentless => Some(i + self.o.indent),
            Some(i) => Some(i),
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(None);
    }

    fn scalar(&mut self, text: &str, plain_ok: bool, string: bool, simple_key: bool) {
        self.increase_indent(true, false);
        let a = analyze(text);
        let flow = self.flow_level > 0;
        let plain = plain_ok
            && self.o.default_style.is_none()
            && !(simple_key && (a.empty || a.multiline))
            && ((flow && a.allow_flow_plain) || (!flow && a.allow_block_plain));
        if self.o.default_style.is_some() && !string {
            // Quoted, a number or bool would read back as a str: PyYAML
            // writes AnsibleDumper's non-specific tag.
            self.write_indicator("!", true, false, false);
        }
        if plain {
            self.write_plain(text, !simple_key);
        } else if self.o.default_style != Some('"')
            && a.allow_single_quoted
            && !(simple_key && a.multiline)
        {
            self.write_single(text, !simple_key);
        } else {
            self.write_double(text, !simple_key);
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, text: &str, split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        let mut end = 0;
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > self.o.width && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        let s: String = chars[start..end].iter().collect();
                        self.write(&s);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    if chars[start] == '\n' {
                        self.line_break(None);
                    }
                    for &br in &chars[start..end] {
                        self.line_break(Some(br));
                    }
                    self.write_indent();
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                let s: String = chars[start..end].iter().collect();
                self.write(&s);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
    }

    fn write_single(&mut self, text: &str, split: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        let mut end = 0;
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > self.o.width
                        && split
                        && start != 0
                        && end != chars.len()
                    {
                        self.write_indent();
                    } else {
                        let s: String = chars[start..end].iter().collect();
                        self.write(&s);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    if chars[start] == '\n' {
                        self.line_break(None);
                    }
                    for &br in &chars[start..end] {
                        self.line_break(Some(br));
                    }
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || c == '\'' || is_break(c)) && start < end {
                let s: String = chars[start..end].iter().collect();
                self.write(&s);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    /// libyaml's `write_double_quoted_scalar`: past the width, a space
    /// (the first of a run, not the first or last character) becomes a
    /// line break, and a space after it is escaped (`\\ `).
    fn write_double(&mut self, text: &str, split: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let needs_escape = |c: char| {
            matches!(
                c,
                '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
            ) || !((' '..='~').contains(&c) || (c as u32 >= 0xA0 && printable(c)))
        };
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if needs_escape(c) {
                let esc = match c {
                    '\0' => "0".to_string(),
                    '\x07' => "a".into(),
                    '\x08' => "b".into(),
                    '\t' => "t".into(),
                    '\n' => "n".into(),
                    '\x0b' => "v".into(),
                    '\x0c' => "f".into(),
                    '\r' => "r".into(),
                    '\x1b' => "e".into(),
                    '"' => "\"".into(),
                    '\\' => "\\".into(),
                    '\u{85}' => "N".into(),
                    '\u{A0}' => "_".into(),
                    '\u{2028}' => "L".into(),
                    '\u{2029}' => "P".into(),
                    c if (c as u32) <= 0xFF => format!("x{:02X}", c as u32),
                    c if (c as u32) <= 0xFFFF => format!("u{:04X}", c as u32),
                    c => format!("U{:08X}", c as u32),
                };
                self.write(&format!("\\{esc}"));
                spaces = false;
            } else if c == ' ' {
                if split && !spaces && self.column > self.o.width && i != 0 && i + 1 != chars.len()
                {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.write("\\");
                    }
                } else {
                    self.write(" ");
                }
                spaces = true;
            } else {
                let mut buf = [0u8; 4];
                self.write(c.encode_utf8(&mut buf));
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
    }

    /// libyaml's check_simple_key: a scalar on one line of at most 128
    /// bytes (with its tag), an empty collection, an alias.
    fn simple_key(&self, n: &Node) -> bool {
        match n {
            Node::Scalar { text, string, .. } => {
                let tag = usize::from(self.o.default_style.is_some() && !*string);
                !analyze(text).multiline && text.len() + tag <= 128
            }
            Node::Seq { items, .. } => items.is_empty(),
            Node::Map { pairs, .. } => pairs.is_empty(),
            Node::Alias(_) => true,
            Node::Anchored { anchor, node } => anchor.len() <= 128 && self.simple_key(node),
            Node::Literal { .. } | Node::Block(_) => false,
        }
    }

    fn node(&mut self, n: &Node, mapping: bool, simple_key: bool) {
        match n {
            Node::Scalar {
                text,
                plain_ok,
                string,
            } => self.scalar(text, *plain_ok, *string, simple_key),
            Node::Anchored { anchor, node } => {
                self.write_indicator(&format!("&{anchor}"), true, false, false);
                self.node(node, mapping, simple_key);
            }
            Node::Alias(name) => {
                self.write_indicator(&format!("*{name}"), true, false, false);
            }
            Node::Block(text) => {
                self.increase_indent(true, false);
                let a = analyze(text);
                if self.flow_level == 0 && !simple_key && a.allow_block {
                    self.write_literal(text);
                } else {
                    self.write_double(text, !simple_key);
                }
                self.pop_indent();
            }
            Node::Literal { tag, text } => {
                self.increase_indent(true, false);
                self.write_indicator(tag, true, false, false);
                self.write_literal(text);
                self.pop_indent();
            }
            Node::Seq { items, flow } => {
                if self.flow_level > 0 || *flow || items.is_empty() {
                    self.flow_seq(items);
                } else {
                    self.block_seq(items, mapping);
                }
            }
            Node::Map { pairs, flow } => {
                if self.flow_level > 0 || *flow || pairs.is_empty() {
                    self.flow_map(pairs);
                } else {
                    self.block_map(pairs);
                }
            }
        }
    }

    /// PyYAML's `write_literal`, with its block hints (`|2`, `|-`, `|+`).
    fn write_literal(&mut self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        let mut hints = String::new();
        if chars.first().is_some_and(|c| *c == ' ' || is_break(*c)) {
            hints.push_str(&self.o.indent.to_string());
        }
        match chars.last() {
            Some(c) if !is_break(*c) => hints.push('-'),
            None => hints.push('-'),
            Some(_) if chars.len() == 1 || is_break(chars[chars.len() - 2]) => hints.push('+'),
            Some(_) => {}
        }
        self.write_indicator(&format!("|{hints}"), true, false, false);
        self.line_break(None);
        let mut breaks = true;
        let mut start = 0;
        for end in 0..=chars.len() {
            let ch = chars.get(end).copied();
            if breaks {
                if !ch.is_some_and(is_break) {
                    for &br in &chars[start..end] {
                        self.line_break(Some(br));
                    }
                    if ch.is_some() {
                        self.write_indent();
                    }
                    start = end;
                }
            } else if ch.is_none_or(is_break) {
                let s: String = chars[start..end].iter().collect();
                self.write(&s);
                if ch.is_none() {
                    self.line_break(None);
                }
                start = end;
            }
            if let Some(c) = ch {
                breaks = is_break(c);
            }
        }
    }

    fn flow_seq(&mut self, items: &[Node]) {
        self.write_indicator("[", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.o.width {
                self.write_indent();
            }
            self.node(item, false, false);
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("]", false, false, false);
    }

    fn flow_map(&mut self, pairs: &[(Node, Node)]) {
        self.write_indicator("{", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.o.width {
                self.write_indent();
            }
            if self.simple_key(k) {
                self.node(k, true, true);
                self.write_indicator(":", false, false, false);
            } else {
                // A complex key: `? key : value`.
                self.write_indicator("?", true, false, false);
                self.node(k, true, false);
                if self.column > self.o.width {
                    self.write_indent();
                }
                self.write_indicator(":", true, false, false);
            }
            self.node(v, true, false);
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("}", false, false, false);
    }

    fn block_seq(&mut self, items: &[Node], mapping: bool) {
        let indentless = mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, false, false);
        }
        self.pop_indent();
    }

    fn block_map(&mut self, pairs: &[(Node, Node)]) {
        self.increase_indent(false, false);
        for (k, v) in pairs {
            self.write_indent();
            if self.simple_key(k) {
                self.node(k, true, true);
                self.write_indicator(":", false, false, false);
            } else {
                // A complex key: `? key` then `: value` on its own line.
                self.write_indicator("?", true, false, true);
                self.node(k, true, false);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(v, true, false);
        }
        self.pop_indent();
    }
}

/// `yaml.dump(v)` with PyYAML's emitter rules.
pub fn dump(v: &Value, o: &DumpOptions) -> String {
    let node = build(v, o);
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        o,
        whitespace: true,
        indention: true,
        indent: None,
        indents: Vec::new(),
        flow_level: 0,
    };
    if o.explicit_start {
        e.write("---");
        e.whitespace = false;
    }
    e.node(&node, false, false);
    // The document ends at the start of a line (a literal block already
    // ended its last line).
    if !(e.column == 0 && e.indention) {
        e.out.push('\n');
    }
    if o.explicit_end {
        e.out.push_str("...\n");
    }
    e.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn y(j: serde_json::Value, nice: bool) -> String {
        let o = if nice {
            DumpOptions {
                indent: 4,
                default_flow_style: Some(false),
                ..Default::default()
            }
        } else {
            DumpOptions::default()
        };
        dump(&super::super::json_to_value(&j), &o)
    }

    #[test]
    fn pyyaml_layouts() {
        assert_eq!(y(json!({"b": 2, "a": 1}), false), "{a: 1, b: 2}\n");
        assert_eq!(
            y(json!({"hosts": ["a", "b"], "port": 80}), false),
            "hosts: [a, b]\nport: 80\n"
        );
        assert_eq!(
            y(json!({"hosts": ["a", "b"], "o": {"x": 1}}), true),
            "hosts:\n- a\n- b\no:\n    x: 1\n"
        );
        assert_eq!(
            y(json!([{"a": 1, "b": [1]}]), true),
            "-   a: 1\n    b:\n    - 1\n"
        );
        assert_eq!(y(json!("yes"), false), "'yes'\n");
        assert_eq!(
            y(json!("line1\nline2\n"), false),
            "'line1\n\n  line2\n\n  '\n"
        );
    }

    fn block(j: serde_json::Value, lossy: bool) -> String {
        let o = DumpOptions {
            indent: 4,
            default_flow_style: Some(false),
            literal_multiline: Some(lossy),
            ..Default::default()
        };
        dump(&super::super::json_to_value(&j), &o)
    }

    #[test]
    fn multi_line_strings_as_literal_blocks() {
        assert_eq!(
            block(json!({"out": "a\nb", "one": "x"}), true),
            "one: x\nout: |-\n    a\n    b\n"
        );
        // Lossy: the trailing line end, a tab and the spaces before a
        // break are changed away; the block style is then allowed.
        assert_eq!(
            block(json!({"out": "a \n\tb\n"}), true),
            "out: |-\n    a\n            b\n"
        );
        // Not lossy: a trailing space forbids the block style, PyYAML
        // double-quotes instead.
        assert_eq!(block(json!({"out": "a \nb"}), false), "out: \"a \\nb\"\n");
        assert_eq!(
            block(json!({"out": "a\nb\n"}), false),
            "out: |\n    a\n    b\n"
        );
        assert_eq!(lossy_block("x  \u{2028}y\x07 "), "x\u{2028}y");
        // A time delta reads back as a sexagesimal float: quoted.
        assert_eq!(
            block(json!({"d": "0:00:00.003"}), true),
            "d: '0:00:00.003'\n"
        );
        assert_eq!(block(json!({"d": "0:00"}), true), "d: 0:00\n");
    }
}
