// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Hints for YAML errors, from the text of the offending line. Ansible looks
//! at that line for the same common mistakes (a tab, an unquoted `{{ }}`, a
//! `: ` inside an unquoted value, a value that only starts with a quote),
//! because the parser's own message rarely says what to change.

use regex::Regex;
use std::sync::LazyLock;

static TEMPLATE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s*(?:-\s+)*(?:[\w\s]+:\s+)?(?P<value>\{\{.*\}\})").ok());

static VALUE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s*(?:-\s+)*(?:[\w\s\[\]{}]+:\s+)?(?P<value>.*)$").ok());

static FULLY_QUOTED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"^\s*('[^']*'|"[^"]*")\s*$"#).ok());

static QUOTED_START: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"^\s*(?:-\s+)*(?:[\w\s]+:\s+)?(?P<value>["'].*?\s*)$"#).ok());

/// A hint for an error reported on `line` (the source line, no newline), or
/// `None` when nothing on the line looks like a known mistake.
pub(crate) fn for_line(line: &str) -> Option<String> {
    if let Some(idx) = line.find('\t') {
        let col = line[..idx].chars().count() + 1;
        return Some(format!(
            "YAML does not allow tabs for indentation (and tabs are invalid in most other places): \
             this line has a tab at column {col}; use spaces"
        ));
    }
    if let Some(m) = TEMPLATE
        .as_ref()
        .and_then(|re| re.captures(line))
        .and_then(|c| c.name("value"))
    {
        let col = line[..m.start()].chars().count() + 1;
        return Some(format!(
            "the value at column {col} starts with \"{{{{\" and must be quoted, \
             e.g. `raw: \"{{{{ some_var }}}}\"` instead of `raw: {{{{ some_var }}}}`"
        ));
    }
    if let Some(col) = unquoted_colon(line) {
        return Some(format!(
            "the unquoted value has a colon followed by a space at column {col}; \
             colons in unquoted values must be followed by a non-space character, \
             so quote the whole value, e.g. `raw: \"echo 'name: ansible'\"`"
        ));
    }
    quote_mistake(line)
}

/// A hint for a YAML error from what went wrong, when the offending line
/// itself shows no known mistake.
pub(crate) fn for_problem(message: &str) -> Option<String> {
    let hint = PROBLEM_HINTS
        .iter()
        .find(|(problems, _)| problems.iter().any(|p| message.contains(p)))?
        .1;
    Some(hint.to_string())
}

const PROBLEM_HINTS: &[(&[&str], &str)] = &[
    (
        &[
            "did not find expected key",
            "did not find expected '-' indicator",
        ],
        "this line is not indented like the entries before it: the items of one list (`- ...`) \
         and the keys of one mapping must start in the same column, and what is nested under a \
         key must be indented deeper than the key",
    ),
    (
        &["mapping values are not allowed"],
        "a `: ` can only follow a key at the start of an entry; quote a value that contains \
         `: `, or check the indentation of this line",
    ),
    (
        &["could not find expected ':'"],
        "each line of a mapping must be a `key: value` pair: this key has no `:`, or it \
         continues a value from a line above that is not indented deeper than its key",
    ),
    (
        &["while scanning a quoted scalar"],
        "a quoted value is not closed: add the closing quote where the value ends",
    ),
    (
        &[
            "did not find expected ',' or ']'",
            "did not find expected ',' or '}'",
        ],
        "a `[...]` list or `{...}` mapping is not closed, or two of its entries are not \
         separated by a comma",
    ),
    (
        &[
            "found unknown escape character",
            "hexdecimal number",
            "invalid Unicode character",
        ],
        "inside double quotes a backslash starts an escape such as `\\n`: write `\\\\` for a \
         backslash, or use single quotes, where a backslash is an ordinary character \
         (e.g. 'C:\\Users')",
    ),
    (
        &["found character that cannot start any token"],
        "no value can start with this character (`@`, `` ` `` and tabs cannot): quote the \
         value, or indent with spaces",
    ),
    (
        &["found undefined alias"],
        "an alias `*name` must refer to an anchor `&name` defined before it in the same document",
    ),
    (
        &["found duplicate anchor"],
        "an anchor name may be defined only once in a document; rename one of the two",
    ),
    (
        &["expected a single document"],
        "remove the `---` (or `%` directive) line that starts a second document, or move that \
         document to a file of its own",
    ),
    (
        &["did not find expected <document start>"],
        "this line is outside the document above it (less indented than its first line, or \
         after a `...` end marker); check its indentation",
    ),
    (
        &["did not find expected node content"],
        "a value is missing here (two commas in a row, or a `-` list item inside `[...]`)",
    ),
];

/// Column (1-based) of a `: ` or trailing `:` inside an unquoted value.
fn unquoted_colon(line: &str) -> Option<usize> {
    if line.trim_start().starts_with(':') {
        return None;
    }
    let value = VALUE.as_ref()?.captures(line)?.name("value")?;
    // A value that is entirely one quoted string cannot hold the problem.
    if FULLY_QUOTED.as_ref()?.is_match(value.as_str()) {
        return None;
    }
    let bytes = value.as_str().as_bytes();
    let pos = bytes
        .iter()
        .enumerate()
        .position(|(i, &b)| b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' '))?;
    Some(line[..value.start() + pos].chars().count() + 1)
}

fn quote_mistake(line: &str) -> Option<String> {
    let value = QUOTED_START.as_ref()?.captures(line)?.name("value")?;
    let text = value.as_str();
    let first = text.chars().next()?;
    let last = text.chars().last()?;
    let col = line[..value.start()].chars().count() + 1;
    if first != last {
        return Some(format!(
            "the value at column {col} starts with a quote but does not end with it; \
             quote the whole value, e.g. `raw: '\"foo\" in bar'`"
        ));
    }
    if line.matches(first).count() > 2 {
        return Some(format!(
            "the value at column {col} starts and ends with a quote but also contains it; \
             quote the whole value with the other quote, e.g. `raw: '\"foo\" in \"bar\"'`"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::for_line;

    #[test]
    fn tab_hint_names_the_column() {
        let h = for_line("\tb: 1").unwrap_or_default();
        assert!(h.contains("tabs for indentation"), "{h}");
        assert!(h.contains("column 1"), "{h}");
    }

    #[test]
    fn unquoted_template_hint() {
        let h = for_line("a: {{ x }}").unwrap_or_default();
        assert!(h.contains("must be quoted"), "{h}");
        assert!(h.contains("column 4"), "{h}");
        let h = for_line("  - {{ item }}").unwrap_or_default();
        assert!(h.contains("must be quoted"), "{h}");
    }

    #[test]
    fn colon_hint_points_at_the_colon() {
        let h = for_line("  msg: echo name: ansible").unwrap_or_default();
        assert!(h.contains("column 17"), "{h}");
        assert!(h.contains("quote the whole value"), "{h}");
        // A value that is one quoted string is fine.
        assert_eq!(for_line("  msg: \"echo name: ansible\""), None);
    }

    #[test]
    fn quote_hints() {
        let h = for_line("a: \"foo\" in bar").unwrap_or_default();
        assert!(h.contains("does not end with it"), "{h}");
        let h = for_line("a: \"foo\" in \"bar\"").unwrap_or_default();
        assert!(h.contains("also contains it"), "{h}");
        assert_eq!(for_line("a: b"), None);
    }
}
