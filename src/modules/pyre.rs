// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Python `re` patterns and replacement templates on the `regex` crate, for
//! lineinfile, blockinfile and replace. The common syntax is the same; `\Z`
//! becomes `\z`. Features `regex` lacks (look-around, backreferences in the
//! pattern) are reported as the task's failure rather than approximated.

use regex::{Captures, Regex, RegexBuilder};

/// Compiles a Python pattern.
pub fn compile(pattern: &str, multiline: bool, dotall: bool) -> Result<Regex, String> {
    let translated = translate(pattern);
    RegexBuilder::new(&translated)
        .multi_line(multiline)
        .dot_matches_new_line(dotall)
        .build()
        .map_err(|e| format!("kiln cannot use the regular expression {pattern:?}: {e}"))
}

/// Rewrites the few escapes whose spelling differs.
fn translate(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('Z') => out.push_str("\\z"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a pattern was compiled with `(?m)` or the multiline flag
/// (blockinfile checks `insertre.flags & re.MULTILINE`).
pub fn is_multiline(pattern: &str) -> bool {
    // Inline flags at the start, as Python requires them: `(?m)`, `(?im)`...
    pattern
        .strip_prefix("(?")
        .and_then(|rest| rest.split_once(')'))
        .is_some_and(|(flags, _)| {
            flags.chars().all(|c| c.is_ascii_alphabetic()) && flags.contains('m')
        })
}

/// Python's `Match.expand` / the replacement of `re.sub`: `\1`..`\99`,
/// `\g<n>`, `\g<name>`, and the usual character escapes. A group that did
/// not take part gives the empty string.
pub fn expand(template: &str, caps: &Captures<'_>) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    let group = |name: &str| -> Result<String, String> {
        let m = match name.parse::<usize>() {
            Ok(n) => {
                if n >= caps.len() {
                    return Err(format!("invalid group reference {n}"));
                }
                caps.get(n)
            }
            Err(_) => caps.name(name),
        };
        Ok(m.map(|m| m.as_str().to_string()).unwrap_or_default())
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            None => return Err("bad escape (end of pattern)".into()),
            Some('g') => {
                if chars.next() != Some('<') {
                    return Err("missing <".into());
                }
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('>') => break,
                        Some(x) => name.push(x),
                        None => return Err("missing >, unterminated name".into()),
                    }
                }
                out.push_str(&group(&name)?);
            }
            Some(d) if d.is_ascii_digit() => {
                let mut num = d.to_string();
                if let Some(&n2) = chars.peek()
                    && n2.is_ascii_digit()
                {
                    num.push(n2);
                    chars.next();
                }
                out.push_str(&group(&num)?);
            }
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('\\') => out.push('\\'),
            Some(x) if x.is_ascii_alphabetic() => return Err(format!("bad escape \\{x}")),
            Some(x) => {
                out.push('\\');
                out.push(x);
            }
        }
    }
    Ok(out)
}

/// Python's `re.subn` with a template replacement.
pub fn subn(re: &Regex, repl: &str, text: &str) -> Result<(String, usize), String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut n = 0;
    for caps in python_matches(re, text) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&text[last..m.start()]);
        out.push_str(&expand(repl, &caps)?);
        last = m.end();
        n += 1;
    }
    out.push_str(&text[last..]);
    Ok((out, n))
}

/// The matches Python's `re.sub` replaces (3.7 and later): like the
/// `regex` crate's, except that an empty match right after a non-empty one
/// counts (`(?s)^.*$` matches the whole text, then the empty end). Two
/// empty matches never fall on the same place.
fn python_matches<'t>(re: &Regex, text: &'t str) -> Vec<Captures<'t>> {
    let mut found = Vec::new();
    let mut pos = 0;
    let mut empty_at: Option<usize> = None;
    while pos <= text.len() {
        let Some(caps) = re.captures_at(text, pos) else {
            break;
        };
        let Some(m) = caps.get(0) else { break };
        if m.is_empty() && empty_at == Some(m.start()) {
            // Search again one character on.
            match text[pos..].chars().next() {
                Some(c) => {
                    pos += c.len_utf8();
                    continue;
                }
                None => break,
            }
        }
        empty_at = m.is_empty().then_some(m.start());
        pos = m.end();
        found.push(caps);
    }
    found
}

/// Python's `str.splitlines(keepends=True)`.
pub fn splitlines_keep(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        cur.push(c);
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    cur.push('\n');
                    chars.next();
                }
                out.push(std::mem::take(&mut cur));
            }
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => {
                out.push(std::mem::take(&mut cur));
            }
            _ => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Python's universal-newline reading (`open(..., 'r')`): `\r\n` and `\r`
/// become `\n`.
pub fn universal_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// `f.readlines()` on text already in universal-newline form.
pub fn readlines(s: &str) -> Vec<String> {
    s.split_inclusive('\n').map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_like_python() {
        let re = compile(r"^(?P<key>\w+)=(\d+)?(x)?", false, false).unwrap();
        let caps = re.captures("port=22").unwrap();
        assert_eq!(
            expand(r"\1 is \2;\g<key>;\g<2>;[\3]\n", &caps).unwrap(),
            "port is 22;port;22;[]\n"
        );
        assert!(expand(r"\9", &caps).is_err());
        assert!(expand(r"\q", &caps).is_err());
        assert_eq!(expand(r"a\.b", &caps).unwrap(), "a\\.b");
    }

    #[test]
    fn empty_matches_as_python_3_7_and_later() {
        // Python 3.12: re.subn('x*', '-', 'abxd'), re.subn('(?m)^', '> ',
        // 'a\nb\n'), re.subn('(?s)^.*$', 'X', 'ab'), re.subn('(?ms)^.*$',
        // 'X', 'ab\n').
        let sub =
            |p: &str, r: &str, t: &str| subn(&compile(p, false, false).unwrap(), r, t).unwrap();
        assert_eq!(sub("x*", "-", "abxd"), ("-a-b--d-".to_string(), 5));
        assert_eq!(
            sub("(?m)^", "> ", "a\nb\n"),
            ("> a\n> b\n> ".to_string(), 3)
        );
        assert_eq!(sub("(?s)^.*$", "X", "ab"), ("X".to_string(), 1));
        let re = compile("(?s)^.*$", true, false).unwrap();
        assert_eq!(subn(&re, "X", "ab\n").unwrap(), ("XX".to_string(), 2));
    }

    #[test]
    fn subn_counts_and_multiline() {
        let re = compile(r"^(\w+)$", true, false).unwrap();
        assert_eq!(
            subn(&re, r"# \1", "a\nb\n").unwrap(),
            ("# a\n# b\n".into(), 2)
        );
        let z = compile(r"end\Z", false, false).unwrap();
        assert!(z.is_match("the end"));
    }

    #[test]
    fn lines_like_python() {
        assert_eq!(
            splitlines_keep("a\r\nb\rc\n\x0bd"),
            vec!["a\r\n", "b\r", "c\n", "\x0b", "d"]
        );
        assert_eq!(
            readlines(&universal_newlines("a\r\nb\rc")),
            vec!["a\n", "b\n", "c"]
        );
        assert!(is_multiline("(?m)^x"));
        assert!(!is_multiline("^(?:m)x"));
    }

    #[test]
    fn lookaround_is_refused() {
        assert!(
            compile("(?<=a)b", false, false)
                .unwrap_err()
                .contains("kiln cannot use")
        );
    }
}
