// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! One configuration line: the keyword, then its arguments, split the way
//! OpenSSH's `argv_split` splits them (quotes group, a backslash escapes a
//! quote, a blank or a backslash, `#` at the start of a word ends the line).

/// A line's keyword and the text after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    pub keyword: &'a str,
    /// 1-based column of the keyword.
    pub col: u32,
    /// Everything after the keyword and its separator (blanks and at most
    /// one `=`), trailing blanks removed. `ProxyCommand` takes it raw.
    pub rest: &'a str,
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{c}')
}

/// Splits a line; `None` for blank lines and comments.
pub(crate) fn split_line(raw: &str) -> Option<Line<'_>> {
    let trimmed = raw.trim_end_matches(is_blank);
    let start = trimmed.len() - trimmed.trim_start_matches(is_blank).len();
    let body = &trimmed[start..];
    if body.is_empty() || body.starts_with('#') {
        return None;
    }
    let kw_end = body
        .find(|c: char| is_blank(c) || c == '=')
        .unwrap_or(body.len());
    let keyword = &body[..kw_end];
    let mut rest = body[kw_end..].trim_start_matches(is_blank);
    if let Some(r) = rest.strip_prefix('=') {
        rest = r.trim_start_matches(is_blank);
    }
    let col = u32::try_from(raw[..start].chars().count() + 1).unwrap_or(u32::MAX);
    Some(Line { keyword, col, rest })
}

/// Splits arguments. Errors name what is wrong, for the caller's span.
pub(crate) fn split_args(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| is_blank(*c)) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        if first == '#' {
            break;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(&c) = chars.peek() {
            if quote.is_none() && is_blank(c) {
                break;
            }
            chars.next();
            match (quote, c) {
                (_, '\\') => match chars.peek() {
                    Some(&n)
                        if matches!(n, '\'' | '"' | '\\') || (quote.is_none() && is_blank(n)) =>
                    {
                        word.push(n);
                        chars.next();
                    }
                    _ => word.push('\\'),
                },
                (None, '\'' | '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (_, c) => word.push(c),
            }
        }
        if quote.is_some() {
            return Err("invalid quotes".into());
        }
        out.push(word);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_and_separator() {
        let l = split_line("  HostName = example.com  ").expect("line");
        assert_eq!((l.keyword, l.col, l.rest), ("HostName", 3, "example.com"));
        let l = split_line("Port=2222").expect("line");
        assert_eq!((l.keyword, l.rest), ("Port", "2222"));
        let l = split_line("\tUser\tbob").expect("line");
        assert_eq!((l.keyword, l.col, l.rest), ("User", 2, "bob"));
        let l = split_line("ProxyCommand  ssh -W '%h:%p' j  # not a comment for sh").expect("l");
        assert_eq!(l.rest, "ssh -W '%h:%p' j  # not a comment for sh");
        assert!(split_line("   # comment").is_none());
        assert!(split_line("  \t ").is_none());
    }

    #[test]
    fn arguments() {
        assert_eq!(
            split_args(r#"a "b c" 'd e' f\ g "h\"i" # trailing"#).expect("args"),
            ["a", "b c", "d e", "f g", "h\"i"]
        );
        assert_eq!(split_args("x#y").expect("args"), ["x#y"]);
        assert_eq!(split_args("\"\"").expect("args"), [""]);
        assert!(split_args("\"open").is_err());
    }
}
