// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Free-form task arguments (`command: ls -l chdir=/tmp`, `debug: msg="hi"`),
//! split the way Ansible's `parse_kv` splits them: whitespace separates
//! tokens except inside quotes or Jinja blocks; `key=value` tokens become
//! arguments, the rest is the raw text.

/// One token of free-form text.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// `key=value`, with the value unquoted.
    Pair(String, String),
    /// Anything else, kept as written.
    Raw(String),
}

/// Splits free-form text into tokens. An unbalanced quote or Jinja block is
/// an error with Ansible's wording.
pub fn split(text: &str) -> Result<Vec<String>, String> {
    Ok(split_spans(text)?.into_iter().map(|(t, _, _)| t).collect())
}

/// Like [`split`], with each token's byte range in `text`.
fn split_spans(text: &str) -> Result<Vec<(String, usize, usize)>, String> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    let mut depth: Vec<&'static str> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        if cur.is_empty() {
            start = i;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        let two = text.get(i..i + 2).unwrap_or("");
        if quote.is_none() {
            match two {
                "{{" => depth.push("}}"),
                "{%" => depth.push("%}"),
                "{#" => depth.push("#}"),
                _ => {}
            }
            if let Some(close) = depth.last()
                && two == *close
            {
                depth.pop();
                cur.push_str(two);
                i += 2;
                continue;
            }
            if two.starts_with('{') && matches!(b.get(i + 1), Some(b'{' | b'%' | b'#')) {
                cur.push_str(two);
                i += 2;
                continue;
            }
        }
        match ch {
            '\\' if quote.is_some() => {
                // An escaped character inside quotes stays as written.
                cur.push(ch);
                if let Some(n) = text[i + 1..].chars().next() {
                    cur.push(n);
                    i += n.len_utf8();
                }
            }
            '"' | '\'' if depth.is_empty() => {
                match quote {
                    None => quote = Some(ch),
                    Some(q) if q == ch => quote = None,
                    _ => {}
                }
                cur.push(ch);
            }
            c if c.is_whitespace() && quote.is_none() && depth.is_empty() => {
                if !cur.is_empty() {
                    tokens.push((std::mem::take(&mut cur), start, i));
                }
            }
            c => cur.push(c),
        }
        i += ch.len_utf8();
    }
    if quote.is_some() {
        return Err(
            "failed at splitting arguments, either an unbalanced jinja2 block or quotes".into(),
        );
    }
    if !depth.is_empty() {
        return Err(
            "failed at splitting arguments, either an unbalanced jinja2 block or quotes".into(),
        );
    }
    if !cur.is_empty() {
        tokens.push((cur, start, text.len()));
    }
    Ok(tokens)
}

/// The raw text of free-form arguments: the original text with the
/// `key=value` tokens taken out; spacing and newlines are kept, as Ansible's
/// `join_args` keeps them (multi-line `shell: |` scripts stay scripts).
pub fn raw_text(text: &str, keep_raw: Option<&[&str]>) -> Result<String, String> {
    let b = text.as_bytes();
    let mut cut: Vec<(usize, usize)> = Vec::new();
    for (tok, mut s, mut e) in split_spans(text)? {
        if tok == "\\" {
            // A backslash standing alone outside quotes continues the
            // line: Ansible's split_args drops it and the newline ending its
            // line, and joins the words around with one space, or with the
            // next line's leading spaces when it has some.
            let nl = text[e..].find('\n').map(|n| e + n);
            let indented = nl.is_some_and(|n| b.get(n + 1) == Some(&b' '));
            if indented && s > 0 && b[s - 1] == b' ' {
                s -= 1;
            }
            cut.push((s, e));
            if let Some(n) = nl {
                cut.push((n, n + 1));
            }
            continue;
        }
        if pair_of(&tok, keep_raw).is_none() {
            continue;
        }
        // Ansible joins the words it keeps with single spaces, so the
        // separator before a removed pair goes with it (or the one after it
        // when the pair starts its line), and so does a newline ending it.
        let line_start = s == 0 || b[s - 1] == b'\n';
        while s > 0 && matches!(b[s - 1], b' ' | b'\t') {
            s -= 1;
        }
        let at_start = s == 0 || b[s - 1] == b'\n';
        if line_start || at_start {
            while e < b.len() && matches!(b[e], b' ' | b'\t') {
                e += 1;
            }
        } else if e < b.len() && b[e] == b'\n' {
            e += 1;
        }
        cut.push((s, e));
    }
    cut.sort_unstable();
    let mut out = String::new();
    let mut last = 0;
    for (s, e) in cut {
        if s >= last {
            out.push_str(&text[last..s]);
        }
        last = last.max(e);
    }
    out.push_str(&text[last.min(text.len())..]);
    Ok(out)
}

fn pair_of<'a>(tok: &'a str, keep_raw: Option<&[&str]>) -> Option<(&'a str, &'a str)> {
    tok.split_once('=').filter(|(k, _)| {
        !k.is_empty()
            && k.chars().all(|c| c.is_alphanumeric() || c == '_')
            && keep_raw.is_none_or(|keys| keys.contains(k))
    })
}

/// Removes one level of matching outer quotes.
pub fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        let inner = &s[1..s.len() - 1];
        // Python-style escapes in quoted values (Ansible decodes them).
        return inner
            .replace("\\\"", "\"")
            .replace("\\'", "'")
            .replace("\\n", "\n")
            .replace("\\t", "\t")
            .replace("\\\\", "\\");
    }
    s.to_string()
}

/// Parses free-form text. `keep_raw` lists the keys taken as `k=v` for
/// modules whose free form is raw text (command, shell); `None` means every
/// `k=v` token is an argument.
pub fn parse(text: &str, keep_raw: Option<&[&str]>) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    for tok in split(text)? {
        match pair_of(&tok, keep_raw) {
            Some((k, v)) => out.push(Token::Pair(k.to_string(), unquote(v))),
            None => out.push(Token::Raw(tok)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_ansible() {
        assert_eq!(split("echo 'a b' c").unwrap(), ["echo", "'a b'", "c"]);
        assert_eq!(
            split("msg={{ a | join(' ') }} x=1").unwrap(),
            ["msg={{ a | join(' ') }}", "x=1"]
        );
        assert!(split("echo 'open").is_err());
        assert!(split("{{ open").is_err());
    }

    #[test]
    fn raw_text_keeps_lines_and_spacing() {
        let script = "set -e\nif [ -f /x ]; then\n  echo  'a  b'\nfi\n";
        assert_eq!(raw_text(script, Some(&["chdir"])).unwrap(), script);
        assert_eq!(
            raw_text("pwd && echo folded chdir=/tmp\n", Some(&["chdir"])).unwrap(),
            "pwd && echo folded"
        );
        assert_eq!(
            raw_text("echo hi chdir=/tmp creates=/x", Some(&["chdir", "creates"])).unwrap(),
            "echo hi"
        );
        assert_eq!(
            raw_text("chdir=/tmp ls  -l", Some(&["chdir"])).unwrap(),
            "ls  -l"
        );
    }

    #[test]
    fn a_lone_backslash_joins_lines_outside_quotes() {
        // What ansible-core 2.21 leaves in `cmd` (golden
        // shell_backslash_newline).
        assert_eq!(
            raw_text(
                "echo one \\\n  two \\\n  three\necho \"in quotes \\\njoined\"\n",
                Some(&["chdir"])
            )
            .unwrap(),
            "echo one  two  three\necho \"in quotes \\\njoined\"\n"
        );
        assert_eq!(
            raw_text("echo a \\\nb\n", Some(&["chdir"])).unwrap(),
            "echo a b\n"
        );
        // A backslash stuck to a word is not a continuation.
        assert_eq!(
            raw_text("echo a\\\nb\n", Some(&["chdir"])).unwrap(),
            "echo a\\\nb\n"
        );
    }

    #[test]
    fn raw_modules_keep_unknown_pairs_in_the_text() {
        let t = parse(
            "touch a=b chdir=/tmp creates=\"x y\"",
            Some(&["chdir", "creates"]),
        )
        .unwrap();
        assert_eq!(
            t,
            vec![
                Token::Raw("touch".into()),
                Token::Raw("a=b".into()),
                Token::Pair("chdir".into(), "/tmp".into()),
                Token::Pair("creates".into(), "x y".into()),
            ]
        );
        let t = parse("msg='hello world' var=x", None).unwrap();
        assert_eq!(t[0], Token::Pair("msg".into(), "hello world".into()));
    }
}
