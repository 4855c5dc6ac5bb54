// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Where saphyr-parser (YAML 1.2) and libyaml (YAML 1.1, what PyYAML and so
//! Ansible use) disagree on what is valid, the libyaml reading wins. Some
//! checks run before or during parsing; some invalid-looking text is
//! repaired and parsed again, with positions kept as the user wrote them.

use super::error::Fault;
use super::locate::{Locator, to_u32};
use crate::span::Span;
use saphyr_parser::ScanError;
use std::borrow::Cow;
use std::collections::HashMap;

/// Spaces inserted at the start of lines (1-based) by
/// [`repair_indentation`], subtracted again from every reported column.
pub(super) type Pads = HashMap<usize, usize>;

/// Where the builder stood when the parser failed.
pub(super) struct ScanContext {
    /// Column (0-based) of the innermost block collection.
    pub block_indent: Option<usize>,
}

/// libyaml's reader refuses non-printable characters before parsing. It
/// calls them all "control characters", U+FFFE too (PyYAML's pure-Python
/// reader would say "special characters"; Ansible uses libyaml).
pub(super) fn check_printable(src: &str, file: &str) -> Result<(), Fault> {
    let (mut line, mut col) = (1usize, 1usize);
    for c in src.chars() {
        let ok = matches!(c,
            '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
            | '\u{e000}'..='\u{fffd}' | '\u{10000}'..);
        if !ok {
            return Err(Fault::new(
                &Span::new(file, to_u32(line), to_u32(col)),
                format!(
                    "unacceptable character #x{:04x}: control characters are not allowed",
                    c as u32
                ),
            ));
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    Ok(())
}

/// libyaml accepts `key:<TAB>value`; saphyr-parser does not. A tab that
/// separates `:` from the value is not content, so turning it into a space
/// changes no value and no position.
pub(super) fn repair_tab_after_colon(text: &str, e: &ScanError) -> Option<String> {
    if e.info() != "':' must be followed by a valid YAML whitespace" {
        return None;
    }
    let at = Locator::new(text).byte(e.marker().index());
    let before = text.get(..at)?;
    let colon_end = before.trim_end_matches('\t').len();
    if colon_end == before.len() || !before[..colon_end].ends_with(':') {
        return None;
    }
    let mut fixed = text.to_string();
    fixed.replace_range(colon_end..colon_end + 1, " ");
    Some(fixed)
}

/// libyaml (YAML 1.1) reads NEL (U+0085) as a line break, which scalars
/// keep as `\n`; saphyr-parser (YAML 1.2) reads it as content. Each NEL
/// becomes the one-character line break libyaml makes of it (`\r` after a
/// `\r`, so that the two stay two breaks rather than one CR LF): values and
/// positions are then libyaml's.
pub(super) fn nel_as_line_break(text: &str) -> Cow<'_, str> {
    if !text.contains('\u{85}') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut prev = '\0';
    for c in text.chars() {
        let c = match c {
            '\u{85}' if prev == '\r' => '\r',
            '\u{85}' => '\n',
            c => c,
        };
        out.push(c);
        prev = c;
    }
    Cow::Owned(out)
}

/// libyaml takes a `#` right after a token (`'quoted'#note`, `[a]#note`,
/// `|#note`) as the start of a comment; saphyr-parser wants a blank before
/// it. A comment is not content, so blanking it out to the end of its line
/// changes no value and no position. (Where libyaml would not read a
/// comment there, it reports its own error, which wins.)
pub(super) fn repair_glued_comment(text: &str, e: &ScanError) -> Option<String> {
    if e.info() != "comments must be separated from other tokens by whitespace" {
        return None;
    }
    let at = Locator::new(text).byte(e.marker().index());
    let rest = text.get(at..)?;
    if !rest.starts_with('#') {
        return None;
    }
    let end = at + rest.find(['\n', '\r']).unwrap_or(rest.len());
    let mut fixed = String::with_capacity(text.len());
    fixed.push_str(&text[..at]);
    // One space per character keeps every column as the user wrote it.
    fixed.extend(std::iter::repeat_n(' ', text[at..end].chars().count()));
    fixed.push_str(&text[end..]);
    Some(fixed)
}

/// libyaml allows tabs among the blanks that start a continuation line of
/// a quoted scalar; saphyr-parser refuses a tab there when it is left of
/// the enclosing indentation. Those blanks are not content (folding drops
/// them), so they become spaces: no value and no position changes, and a
/// line left short of the indentation is then padded by
/// [`repair_indentation`].
pub(super) fn repair_tab_in_quoted_indent(text: &str, e: &ScanError) -> Option<String> {
    if e.info() != "tab cannot be used as indentation" {
        return None;
    }
    let at = Locator::new(text).byte(e.marker().index());
    let before = text.get(..at)?;
    let start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let blanks = text[start..].len() - text[start..].trim_start_matches([' ', '\t']).len();
    if at >= start + blanks || !text[start..start + blanks].contains('\t') {
        return None;
    }
    let mut fixed = String::with_capacity(text.len());
    fixed.push_str(&text[..start]);
    fixed.extend(std::iter::repeat_n(' ', blanks));
    fixed.push_str(&text[start + blanks..]);
    Some(fixed)
}

/// libyaml does not check the indentation of flow collections and of the
/// continuation lines of quoted scalars; saphyr-parser wants them indented
/// past the enclosing block collection (YAML 1.2). Leading spaces there are
/// not content, so the lines are indented just enough and parsed again
/// (the inserted spaces are remembered so that columns stay the user's).
pub(super) fn repair_indentation(
    text: &str,
    e: &ScanError,
    context: &ScanContext,
    pads: &mut Pads,
) -> Option<String> {
    let target = context.block_indent? + 1;
    let at = Locator::new(text).byte(e.marker().index());
    let line_of = |byte: usize| text.get(..byte).map_or(1, |t| lines(t).count());
    let (first, last) = match e.info() {
        "invalid indentation in quoted scalar" => {
            let end = quoted_end(text, at)?;
            (line_of(at) + 1, line_of(end))
        }
        // saphyr raises these only inside flow collections (it may have
        // read ahead of the events the builder has seen, so the builder's
        // own idea of being in a flow collection can lag behind).
        "invalid indentation" | "invalid indentation in flow construct" => {
            let end = flow_end(text, at)?;
            (line_of(at), line_of(end))
        }
        _ => return None,
    };
    let mut out = String::with_capacity(text.len() + 64);
    let mut changed = false;
    for (i, line) in lines(text).enumerate() {
        let n = i + 1;
        if (first..=last).contains(&n) && !line.trim().is_empty() {
            let indent = line.chars().take_while(|c| matches!(c, ' ' | '\t')).count();
            // A line padded once already means the padding moved the
            // enclosing indentation along with it: padding again would
            // never end well (the fuzzer once found such a loop, when only
            // `\n` ended lines here and a lone `\r` did not).
            if indent < target && pads.contains_key(&n) {
                return None;
            }
            if indent < target {
                let pad = target - indent;
                out.extend(std::iter::repeat_n(' ', pad));
                *pads.entry(n).or_default() += pad;
                changed = true;
            }
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

/// The lines of `text`, each with its line break, as the parsers count
/// them: CR LF, a lone CR and LF each end a line (NEL is already LF). An
/// empty text, or one ending with a break, ends with an empty line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        let Some(at) = t.find(['\r', '\n']) else {
            rest = None;
            return Some(t);
        };
        let end = if t[at..].starts_with("\r\n") {
            at + 2
        } else {
            at + 1
        };
        rest = Some(&t[end..]);
        Some(&t[..end])
    })
}

/// Byte offset of the closing quote of the quoted scalar opening at `start`.
pub(super) fn quoted_end(text: &str, start: usize) -> Option<usize> {
    let rest = text.get(start..)?;
    let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let mut chars = rest.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && rest[i + 1..].starts_with('\'') {
                chars.next();
            } else {
                return Some(start + i);
            }
        }
    }
    None
}

/// Byte offset of the bracket closing the flow collection that `from` is
/// inside of (quoted scalars and comments skipped).
pub(super) fn flow_end(text: &str, from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    let mut depth = 0usize;
    let mut prev = ' ';
    let mut i = 0;
    while let Some(c) = rest[i..].chars().next() {
        let starts_token = prev.is_whitespace() || matches!(prev, '[' | '{' | ',' | ':');
        match c {
            '"' | '\'' if starts_token => {
                i = quoted_end(text, from + i)? - from;
            }
            '#' if prev.is_whitespace() => {
                i += rest[i..].find('\n').unwrap_or(rest.len() - i);
                prev = '\n';
                continue;
            }
            '[' | '{' => depth += 1,
            ']' | '}' if depth == 0 => return Some(from + i),
            ']' | '}' => depth -= 1,
            _ => {}
        }
        prev = c;
        i += c.len_utf8();
    }
    None
}

/// libyaml allows only ASCII letters, digits, `-` and `_` in anchor names;
/// YAML 1.2 allows more, so `&name:` would silently mean something else
/// than in Ansible (an anchored empty key). Refuse such names.
pub(super) fn check_anchor_name(name: &str, sigil: char, span: &Span) -> Result<(), Fault> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(());
    }
    Err(Fault::new(
        span,
        format!(
            "invalid anchor name '{sigil}{name}': anchor and alias names may only contain \
             ASCII letters, digits, '-' and '_' (put a space before a ':' that follows one)"
        ),
    ))
}

/// Whether the text before an empty key ends with the `?` indicator (on the
/// same line or a previous one, comments and blank lines skipped).
pub(super) fn explicit_key_before(before: &str) -> bool {
    for line in before.rsplit('\n') {
        let code = match line.find(" #").or_else(|| line.find("\t#")) {
            Some(i) => &line[..i],
            None if line.trim_start().starts_with('#') => "",
            None => line,
        };
        let code = code.trim_end();
        if code.is_empty() {
            continue;
        }
        return code.ends_with('?');
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_flow_ends() {
        let t = r#"a: "x\"y" b"#;
        assert_eq!(quoted_end(t, 3), Some(8));
        assert_eq!(quoted_end("'it''s' x", 0), Some(6));
        assert_eq!(quoted_end("\"open", 0), None);
        let t = "[1, \"]\", [2], # ]\n 3] tail";
        assert_eq!(flow_end(t, 1), Some(t.find("3]").unwrap_or(0) + 1));
    }

    #[test]
    fn explicit_key_detection() {
        assert!(explicit_key_before("?\n"));
        assert!(explicit_key_before("- ? # c\n  "));
        assert!(explicit_key_before("{? "));
        assert!(!explicit_key_before("a: 1\n"));
        assert!(!explicit_key_before(""));
    }

    #[test]
    fn anchor_names_follow_libyaml() {
        let sp = Span::new("t.yml", 1, 1);
        assert!(check_anchor_name("a-b_9", '&', &sp).is_ok());
        assert!(check_anchor_name("a:", '&', &sp).is_err());
        assert!(check_anchor_name("é", '*', &sp).is_err());
    }

    #[test]
    fn printable_check() {
        assert!(check_printable("tab\tok\r\n\u{85}é😀", "t").is_ok());
        let f = check_printable("ok\nx\u{7f}", "t").err();
        assert_eq!(f.map(|f| (f.span.line, f.span.col)), Some((2, 2)));
    }
}
