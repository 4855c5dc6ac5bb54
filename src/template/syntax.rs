// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Template settings (Ansible's `TemplateOverrides`), the `#jinja2:` header
//! line, and the source rewrites that make minijinja read a template the way
//! Ansible's Jinja2 environment does.

use std::fmt::Write as _;

/// Jinja settings of one render: Ansible's defaults are Jinja2's except
/// `trim_blocks`, which Ansible turns on for playbook strings and files alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TemplateOptions {
    pub block_start_string: String,
    pub block_end_string: String,
    pub variable_start_string: String,
    pub variable_end_string: String,
    pub comment_start_string: String,
    pub comment_end_string: String,
    pub line_statement_prefix: Option<String>,
    pub line_comment_prefix: Option<String>,
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
    /// `\n`, `\r\n` or `\r`: every newline of the template data becomes this.
    pub newline_sequence: String,
    pub keep_trailing_newline: bool,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        TemplateOptions {
            block_start_string: "{%".into(),
            block_end_string: "%}".into(),
            variable_start_string: "{{".into(),
            variable_end_string: "}}".into(),
            comment_start_string: "{#".into(),
            comment_end_string: "#}".into(),
            line_statement_prefix: None,
            line_comment_prefix: None,
            trim_blocks: true,
            lstrip_blocks: false,
            newline_sequence: "\n".into(),
            keep_trailing_newline: false,
        }
    }
}

const HEADER: &str = "#jinja2:";

impl TemplateOptions {
    /// Whether `s` may hold a template under these delimiters.
    pub fn is_possibly_template(&self, s: &str) -> bool {
        s.starts_with(HEADER)
            || s.contains(&self.variable_start_string)
            || s.contains(&self.block_start_string)
            || s.contains(&self.comment_start_string)
    }

    pub(super) fn syntax(&self) -> Result<minijinja::syntax::SyntaxConfig, minijinja::Error> {
        let mut b = minijinja::syntax::SyntaxConfig::builder();
        b.block_delimiters(
            self.block_start_string.clone(),
            self.block_end_string.clone(),
        )
        .variable_delimiters(
            self.variable_start_string.clone(),
            self.variable_end_string.clone(),
        )
        .comment_delimiters(
            self.comment_start_string.clone(),
            self.comment_end_string.clone(),
        )
        .trim_blocks(self.trim_blocks)
        .lstrip_blocks(self.lstrip_blocks)
        .keep_trailing_newline(self.keep_trailing_newline);
        if let Some(p) = &self.line_statement_prefix {
            b.line_statement_prefix(p.clone());
        }
        if let Some(p) = &self.line_comment_prefix {
            b.line_comment_prefix(p.clone());
        }
        b.build()
    }

    /// Splits a leading `#jinja2: key: value, ...` line off `template` and
    /// applies it, as Ansible does for playbook strings and template files.
    pub fn extract_header<'a>(&self, template: &'a str) -> Result<(&'a str, Self), String> {
        let Some(rest) = template.strip_prefix(HEADER) else {
            return Ok((template, self.clone()));
        };
        let Some(eol) = rest.find('\n') else {
            return Err(format!("Missing newline after {HEADER:?} override."));
        };
        let mut out = self.clone();
        for pair in rest[..eol].split(',') {
            if pair.trim().is_empty() {
                return Err(format!("Empty {HEADER:?} override pair not allowed."));
            }
            let Some((key, val)) = pair.split_once(':') else {
                return Err(format!(
                    "Missing key-value separator `:` in {HEADER:?} override pair {:?}.",
                    pair
                ));
            };
            let key = key.trim();
            let val = literal(val.trim())
                .ok_or_else(|| format!("malformed value {:?} for override {key:?}", val.trim()))?;
            let text = || match &val {
                Literal::Str(s) => Ok(s.clone()),
                _ => Err(format!("override {key:?} needs a string")),
            };
            let flag = || match &val {
                Literal::Bool(b) => Ok(*b),
                _ => Err(format!("override {key:?} needs a boolean")),
            };
            match key {
                "block_start_string" => out.block_start_string = text()?,
                "block_end_string" => out.block_end_string = text()?,
                "variable_start_string" => out.variable_start_string = text()?,
                "variable_end_string" => out.variable_end_string = text()?,
                "comment_start_string" => out.comment_start_string = text()?,
                "comment_end_string" => out.comment_end_string = text()?,
                "line_statement_prefix" => {
                    out.line_statement_prefix = match val {
                        Literal::None => None,
                        _ => Some(text()?),
                    }
                }
                "line_comment_prefix" => {
                    out.line_comment_prefix = match val {
                        Literal::None => None,
                        _ => Some(text()?),
                    }
                }
                "trim_blocks" => out.trim_blocks = flag()?,
                "lstrip_blocks" => out.lstrip_blocks = flag()?,
                "keep_trailing_newline" => out.keep_trailing_newline = flag()?,
                "newline_sequence" => {
                    let s = text()?;
                    if !matches!(s.as_str(), "\n" | "\r\n" | "\r") {
                        return Err(format!("invalid newline_sequence {s:?}"));
                    }
                    out.newline_sequence = s;
                }
                _ => return Err(format!("Invalid {HEADER:?} override key {key:?}.")),
            }
        }
        Ok((&rest[eol + 1..], out))
    }
}

enum Literal {
    Str(String),
    Bool(bool),
    None,
}

/// The Python literals a `#jinja2:` value may be (`ast.literal_eval`).
fn literal(s: &str) -> Option<Literal> {
    match s {
        "True" => return Some(Literal::Bool(true)),
        "False" => return Some(Literal::Bool(false)),
        "None" => return Some(Literal::None),
        _ => {}
    }
    let q = s.chars().next()?;
    if !(q == '"' || q == '\'') || !s.ends_with(q) || s.len() < 2 {
        return None;
    }
    let mut out = String::new();
    let mut chars = s[1..s.len() - 1].chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            other => out.push(other),
        }
    }
    Some(Literal::Str(out))
}

/// Jinja2 turns every newline of a template into the newline sequence.
pub(super) fn normalize_newlines(src: &str, seq: &str) -> Option<String> {
    if !src.contains('\r') && seq == "\n" {
        return None;
    }
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str(seq);
            }
            '\n' => out.push_str(seq),
            c => out.push(c),
        }
    }
    Some(out)
}

/// Ansible's playbook templar keeps backslashes of string constants inside
/// `{{ }}` as they are (YAML already processed the escapes), while minijinja
/// would read `\1` as an escape. Rewrites those constants so that minijinja
/// decodes them to their raw text. `{% %}` blocks, comments and raw blocks
/// are left alone, as in Ansible.
pub(super) fn escape_backslashes(src: &str, o: &TemplateOptions) -> Option<String> {
    if !src.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(src.len() + 8);
    let mut i = 0;
    let (vs, ve) = (&o.variable_start_string, &o.variable_end_string);
    let (bs, be) = (&o.block_start_string, &o.block_end_string);
    let (cs, ce) = (&o.comment_start_string, &o.comment_end_string);
    while i < src.len() {
        let rest = &src[i..];
        let next = [vs, bs, cs]
            .iter()
            .filter_map(|d| rest.find(d.as_str()).map(|p| (p, d.as_str())))
            .min_by_key(|(p, d)| (*p, std::cmp::Reverse(d.len())));
        let Some((p, delim)) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..p]);
        i += p;
        if delim == cs.as_str() {
            let end = src[i + delim.len()..]
                .find(ce.as_str())
                .map(|e| i + delim.len() + e + ce.len())
                .unwrap_or(src.len());
            out.push_str(&src[i..end]);
            i = end;
        } else if delim == bs.as_str() {
            let body_start = i + delim.len();
            let end = skip_code(src, body_start, be, false, &mut String::new());
            let tag = src[body_start..end.min(src.len())]
                .trim_start_matches(['-', '+'])
                .trim();
            let tag = tag
                .trim_end_matches(be.as_str())
                .trim_end_matches(['-', '+'])
                .trim();
            if tag == "raw" {
                // Everything up to the matching endraw is data.
                let stop = find_endraw(src, end, o).unwrap_or(src.len());
                out.push_str(&src[i..stop]);
                i = stop;
            } else {
                out.push_str(&src[i..end]);
                i = end;
            }
        } else {
            out.push_str(delim);
            let mut body = String::new();
            let end = skip_code(src, i + delim.len(), ve, true, &mut body);
            out.push_str(&body);
            i = end;
        }
    }
    Some(out)
}

/// Scans Jinja code from `start` to just past the closing delimiter `end`
/// (outside strings and brackets). With `rewrite`, copies the code into
/// `out` with string constants re-encoded to keep their backslashes.
fn skip_code(src: &str, start: usize, end: &str, rewrite: bool, out: &mut String) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    let b = src.as_bytes();
    while i < src.len() {
        let c = b[i];
        if depth == 0 && src[i..].starts_with(end) {
            if rewrite {
                out.push_str(end);
            }
            return i + end.len();
        }
        match c {
            b'\'' | b'"' => {
                // Jinja's string token: a backslash always takes the next char.
                let mut j = i + 1;
                while j < src.len() && b[j] != c {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let close = j.min(src.len());
                if rewrite {
                    let raw = &src[i + 1..close];
                    out.push(c as char);
                    for ch in raw.chars() {
                        match ch {
                            '\\' => out.push_str("\\\\"),
                            q if q == c as char => {
                                let _ = write!(out, "\\{q}");
                            }
                            other => out.push(other),
                        }
                    }
                    if close < src.len() {
                        out.push(c as char);
                    }
                }
                i = (close + 1).min(src.len());
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        // Whole characters: the next slice must start on a boundary.
        let ch_len = src[i..].chars().next().map(|c| c.len_utf8()).unwrap_or(1);
        if rewrite {
            out.push_str(&src[i..i + ch_len]);
        }
        i += ch_len;
    }
    src.len()
}

fn find_endraw(src: &str, from: usize, o: &TemplateOptions) -> Option<usize> {
    let mut at = from;
    while let Some(p) = src[at..].find(o.block_start_string.as_str()) {
        let s = at + p;
        let body_start = s + o.block_start_string.len();
        let end = skip_code(
            src,
            body_start,
            &o.block_end_string,
            false,
            &mut String::new(),
        );
        let tag = src[body_start..end.min(src.len())]
            .trim_end_matches(o.block_end_string.as_str())
            .trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        if tag == "endraw" {
            return Some(end);
        }
        at = body_start;
    }
    None
}

/// Byte ranges of Jinja code (inside `{{ }}` and `{% %}`, outside raw
/// blocks and comments) of a template.
pub(super) fn code_regions(src: &str, o: &TemplateOptions) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    let (vs, ve) = (&o.variable_start_string, &o.variable_end_string);
    let (bs, be) = (&o.block_start_string, &o.block_end_string);
    let (cs, ce) = (&o.comment_start_string, &o.comment_end_string);
    while i < src.len() {
        let rest = &src[i..];
        let next = [vs, bs, cs]
            .iter()
            .filter_map(|d| rest.find(d.as_str()).map(|p| (p, d.as_str())))
            .min_by_key(|(p, d)| (*p, std::cmp::Reverse(d.len())));
        let Some((p, delim)) = next else { break };
        i += p;
        let body = i + delim.len();
        if delim == cs.as_str() {
            i = src[body..]
                .find(ce.as_str())
                .map(|e| body + e + ce.len())
                .unwrap_or(src.len());
            continue;
        }
        let end_delim = if delim == vs.as_str() { ve } else { be };
        let end = skip_code(src, body, end_delim, false, &mut String::new());
        // Without its closing delimiter the code runs to the end of the text.
        let code_end = match end.checked_sub(end_delim.len()) {
            Some(c) if c >= body && src.get(c..end) == Some(end_delim.as_str()) => c,
            _ => end,
        };
        let tag =
            src[body..code_end].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        if delim == bs.as_str() && tag == "raw" {
            i = find_endraw(src, end, o).unwrap_or(src.len());
            continue;
        }
        out.push((body, code_end));
        i = end;
    }
    out
}

/// Filter and test names a piece of Jinja code uses, with their offsets.
pub(super) fn used_plugins(code: &str) -> Vec<(bool, String, usize)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let (mut prev1, mut prev2) = (String::new(), String::new());
    let mut after_pipe = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' || c == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != c {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            i = j + 1;
            prev1.clear();
            prev2.clear();
            after_pipe = false;
            continue;
        }
        if c == b'|' {
            after_pipe = true;
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            let word = &code[start..i];
            let test_pos = prev1 == "is" || (prev1 == "not" && prev2 == "is");
            if after_pipe {
                out.push((true, word.to_string(), start));
            } else if test_pos && word != "not" {
                out.push((false, word.to_string(), start));
            }
            prev2 = std::mem::replace(&mut prev1, word.to_string());
            after_pipe = false;
            continue;
        }
        if !c.is_ascii_whitespace() {
            prev1.clear();
            prev2.clear();
            after_pipe = false;
        }
        i += 1;
    }
    out
}

/// Re-encodes every string constant of a bare expression (a whole `{{ }}`
/// body) so that its backslashes stay.
pub(super) fn escape_expression(expr: &str) -> Option<String> {
    if !expr.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(expr.len() + 8);
    // No closing delimiter can match: the whole text is code.
    skip_code(expr, 0, "\u{0}\u{0}", true, &mut out);
    Some(out)
}

/// Collections whose filters and tests kiln provides under their short names.
pub(super) const COLLECTIONS: [&str; 5] = [
    "ansible.builtin.",
    "ansible.legacy.",
    "community.general.",
    "ansible.utils.",
    "ansible.netcommon.",
];

/// `x | ansible.builtin.to_json` and `x is ansible.builtin.changed` name
/// plugins by collection; minijinja knows them by their short names.
pub(super) fn strip_collections(src: &str) -> Option<String> {
    if !COLLECTIONS.iter().any(|c| src.contains(c)) {
        return None;
    }
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    'outer: while !rest.is_empty() {
        for c in COLLECTIONS {
            if let Some(after) = rest.strip_prefix(c) {
                let before = out.trim_end();
                let plugin_position =
                    before.ends_with('|') || before.ends_with(" is") || before.ends_with(" is not");
                if plugin_position {
                    rest = after;
                    continue 'outer;
                }
            }
        }
        let ch = rest.chars().next().unwrap_or(' ');
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    Some(out)
}

/// A plugin name without its collection (`ansible.builtin.upper` -> `upper`).
pub(crate) fn short_name(name: &str) -> &str {
    COLLECTIONS
        .iter()
        .find_map(|c| name.strip_prefix(c))
        .unwrap_or(name)
}

/// Number of newlines ending `s`.
pub(super) fn trailing_newlines(s: &str) -> usize {
    s.len() - s.trim_end_matches('\n').len()
}

/// Python's unary plus (`+f`), which minijinja's grammar lacks, written as
/// two unary minuses: the same number back, and an error for a string as in
/// Python. A `+` is unary where no operand precedes it.
pub(super) fn unary_plus(code: &str) -> Option<String> {
    if !code.contains('+') {
        return None;
    }
    const OPERATOR_WORDS: [&str; 9] = ["and", "or", "not", "in", "is", "if", "else", "elif", "for"];
    let b = code.as_bytes();
    let mut out = String::with_capacity(code.len() + 4);
    let mut changed = false;
    // Whether the last token was an operand (a name, a literal, a closing
    // bracket): then a `+` is binary.
    let mut operand = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != c {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let end = (j + 1).min(b.len());
                out.push_str(&code[i..end]);
                i = end;
                operand = true;
                continue;
            }
            b'+' if !operand => {
                out.push_str("- -");
                changed = true;
                i += 1;
                continue;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                // A float's dot and exponent sign belong to the number.
                if c.is_ascii_digit() {
                    while i < b.len()
                        && (b[i].is_ascii_alphanumeric()
                            || b[i] == b'.'
                            || ((b[i] == b'+' || b[i] == b'-') && matches!(b[i - 1], b'e' | b'E')))
                    {
                        i += 1;
                    }
                }
                let word = &code[start..i];
                out.push_str(word);
                operand = !OPERATOR_WORDS.contains(&word);
                continue;
            }
            b')' | b']' | b'}' => operand = true,
            c if c.is_ascii_whitespace() => {}
            b'.' => operand = false,
            _ => operand = false,
        }
        let len = code[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        out.push_str(&code[i..i + len]);
        i += len;
    }
    changed.then_some(out)
}

/// [`unary_plus`] over every code region of a template (whitespace-control
/// signs right after or before a delimiter are left alone).
pub(super) fn unary_plus_template(src: &str, o: &TemplateOptions) -> Option<String> {
    if !src.contains('+') {
        return None;
    }
    rewrite_regions(src, o, &|code, _| unary_plus(code))
}

/// [`bound_method_tests`] over every code region of a template.
pub(super) fn bound_method_tests_template(src: &str, o: &TemplateOptions) -> Option<String> {
    if !src.contains("defined") {
        return None;
    }
    rewrite_regions(src, o, &|code, _| bound_method_tests(code))
}

/// Applies `rewrite` to every code region of a template (whitespace-control
/// signs right after or before a delimiter are left out of the region); its
/// second argument says whether the region is a `{% %}` statement.
pub(super) fn rewrite_regions(
    src: &str,
    o: &TemplateOptions,
    rewrite: &dyn Fn(&str, bool) -> Option<String>,
) -> Option<String> {
    let mut out = String::with_capacity(src.len() + 4);
    let mut last = 0;
    let mut changed = false;
    for (start, end) in code_regions(src, o) {
        let statement = src[..start].ends_with(o.block_start_string.as_str());
        let mut s = start;
        let mut e = end;
        if src[s..e].starts_with(['+', '-']) {
            s += 1;
        }
        if e > s && src[s..e].ends_with(['+', '-']) {
            e -= 1;
        }
        if let Some(code) = rewrite(&src[s..e], statement) {
            out.push_str(&src[last..s]);
            out.push_str(&code);
            last = e;
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&src[last..]);
    Some(out)
}

/// The test that [`bound_method_tests`] writes in.
pub(super) const ATTR_DEFINED_TEST: &str = "kiln_attr_defined";

/// `x.append is defined`: in Jinja2 a Python method of the value is an
/// attribute like any other, so the test is true; minijinja looks the name
/// up among the value's items only. Rewrites `.NAME is [not] defined` (and
/// `undefined`), for NAME a method of Python's str, list, dict, int or
/// float, into `is [not] kiln_attr_defined('NAME')`, which knows those
/// methods. The test applies to the same operand: an attribute binds
/// tighter than `is`, so removing `.NAME` leaves the operand it was read
/// from.
pub(super) fn bound_method_tests(code: &str) -> Option<String> {
    if !code.contains("defined") {
        return None;
    }
    let b = code.as_bytes();
    let word_at = |i: usize| -> usize {
        let mut j = i;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        j
    };
    let skip_ws = |mut i: usize| -> usize {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut out = String::with_capacity(code.len() + 16);
    let mut changed = false;
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                let mut j = i + 1;
                while j < b.len() && b[j] != q {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                i = (j + 1).min(b.len());
                continue;
            }
            b'.' if i > 0
                && (b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'_' | b')' | b']')) =>
            {
                let name_start = skip_ws(i + 1);
                let name_end = word_at(name_start);
                let name = &code[name_start..name_end];
                let is_at = skip_ws(name_end);
                if name_end > name_start
                    && is_at > name_end
                    && is_python_method(name)
                    && word_at(is_at) == is_at + 2
                    && &code[is_at..is_at + 2] == "is"
                {
                    let mut k = skip_ws(is_at + 2);
                    let mut negated = false;
                    if word_at(k) == k + 3 && &code[k..k + 3] == "not" {
                        negated = true;
                        k = skip_ws(k + 3);
                    }
                    let test_end = word_at(k);
                    let test = &code[k..test_end];
                    if test == "defined" || test == "undefined" {
                        negated ^= test == "undefined";
                        out.push_str(&code[last..i]);
                        let not = if negated { "not " } else { "" };
                        out.push_str(&format!(" is {not}{ATTR_DEFINED_TEST}('{name}')"));
                        last = test_end;
                        i = test_end;
                        changed = true;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    if !changed {
        return None;
    }
    out.push_str(&code[last..]);
    Some(out)
}

/// Methods (and a number's attributes) of Python's str, list, dict, int and
/// float, by the kind of value that has them.
pub(super) const STR_METHODS: &[&str] = &[
    "capitalize",
    "casefold",
    "center",
    "count",
    "encode",
    "endswith",
    "expandtabs",
    "find",
    "format",
    "format_map",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "maketrans",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "translate",
    "upper",
    "zfill",
];
pub(super) const LIST_METHODS: &[&str] = &[
    "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse",
    "sort",
];
pub(super) const DICT_METHODS: &[&str] = &[
    "clear",
    "copy",
    "fromkeys",
    "get",
    "items",
    "keys",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "values",
];
pub(super) const INT_METHODS: &[&str] = &[
    "as_integer_ratio",
    "bit_count",
    "bit_length",
    "conjugate",
    "denominator",
    "from_bytes",
    "imag",
    "is_integer",
    "numerator",
    "real",
    "to_bytes",
];
pub(super) const FLOAT_METHODS: &[&str] = &[
    "as_integer_ratio",
    "conjugate",
    "fromhex",
    "hex",
    "imag",
    "is_integer",
    "real",
];

fn is_python_method(name: &str) -> bool {
    [
        STR_METHODS,
        LIST_METHODS,
        DICT_METHODS,
        INT_METHODS,
        FLOAT_METHODS,
    ]
    .iter()
    .any(|l| l.contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_attribute_tests_are_rewritten() {
        assert_eq!(
            bound_method_tests("l.append is defined").as_deref(),
            Some("l is kiln_attr_defined('append')")
        );
        assert_eq!(
            bound_method_tests("x.y[0].keys  is not undefined and s.split is undefined").as_deref(),
            Some("x.y[0] is kiln_attr_defined('keys') and s is not kiln_attr_defined('split')")
        );
        // Other names, strings and other tests are left alone.
        assert_eq!(bound_method_tests("d.foo is defined"), None);
        assert_eq!(bound_method_tests("'l.append is defined'"), None);
        assert_eq!(bound_method_tests("l.append is string"), None);
    }

    #[test]
    fn backslashes_in_expressions_stay() {
        let o = TemplateOptions::default();
        assert_eq!(
            escape_backslashes(r"a\1 {{ x | f('\1', 'it\'s') }} {% set y = '\n' %}", &o).unwrap(),
            r"a\1 {{ x | f('\\1', 'it\\\'s') }} {% set y = '\n' %}"
        );
        assert_eq!(escape_expression(r"'a\nb'").unwrap(), r"'a\\nb'");
        assert!(escape_backslashes("{{ x }}", &o).is_none());
    }

    /// The scanners never panic, whatever the text (multibyte characters,
    /// unbalanced delimiters, quotes and backslashes).
    #[test]
    fn scanners_take_any_text() {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "{{",
            "}}",
            "{%",
            "%}",
            "{#",
            "#}",
            "'",
            "\"",
            "\\",
            "é",
            "✓",
            "|",
            " is ",
            "not ",
            "raw",
            "endraw",
            "x",
            "[",
            "]",
            ":",
            "ansible.builtin.",
            "-",
            "\n",
            "(",
            ")",
            " ",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let o = TemplateOptions::default();
        for _ in 0..20_000 {
            let n = rng.gen_range(0..12);
            let text: String = (0..n)
                .map(|_| pieces[rng.gen_range(0..pieces.len())])
                .collect();
            let _ = escape_backslashes(&text, &o);
            let _ = escape_expression(&text);
            for (a, b) in code_regions(&text, &o) {
                let _ = used_plugins(&text[a..b]);
            }
            let _ = strip_collections(&text);
            let _ = o.extract_header(&text);
            let _ = normalize_newlines(&text, "\r\n");
        }
    }

    #[test]
    fn header_overrides() {
        let o = TemplateOptions::default();
        let (rest, o2) = o
            .extract_header("#jinja2: trim_blocks: False, variable_start_string: '[['\nbody")
            .unwrap();
        assert_eq!(rest, "body");
        assert!(!o2.trim_blocks);
        assert_eq!(o2.variable_start_string, "[[");
        assert!(o.extract_header("#jinja2: nope: 1\n").is_err());
    }
}
