// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The regex filters with Python's `re` semantics on the regex crate:
//! Python's replacement syntax (`\1`, `\g<name>`), `findall`'s group rules,
//! `re.escape`.

use super::{Def, err, text};
use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter(
        "regex_escape",
        |v: Def, re_type: Option<String>, kw: Kwargs| -> Result<String, Error> {
            let re_type: Option<String> = re_type.or(kw.get("re_type")?);
            kw.assert_all_used()?;
            let s = text(&v);
            match re_type.as_deref().unwrap_or("python") {
                "python" => Ok(py_escape(&s)),
                "posix_basic" => Ok(s.chars().fold(String::new(), |mut o, c| {
                    if "].[^$*\\".contains(c) {
                        o.push('\\');
                    }
                    o.push(c);
                    o
                })),
                "posix_extended" => Err(err("Regex type (posix_extended) not yet implemented")),
                t => Err(err(format!("Invalid regex type ({t})"))),
            }
        },
    );
}

/// Python's re.escape.
pub(crate) fn py_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Compiles a Python pattern for the regex crate.
pub(crate) fn compile(
    pattern: &str,
    ignorecase: bool,
    multiline: bool,
) -> Result<regex::Regex, Error> {
    let translated = translate(pattern);
    regex::RegexBuilder::new(&translated)
        .case_insensitive(ignorecase)
        .multi_line(multiline)
        .build()
        .map_err(|e| err(format!("invalid regular expression: {e}")))
}

/// The few spellings where Python's syntax differs from the regex crate's.
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

/// Expands a Python replacement template for one match.
fn expand(template: &str, caps: &regex::Captures) -> Result<String, Error> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(d) if d.is_ascii_digit() => {
                let mut num = d.to_string();
                if let Some(&d2) = chars.peek()
                    && d2.is_ascii_digit()
                {
                    num.push(d2);
                    chars.next();
                }
                if num.starts_with('0') {
                    let code = u32::from_str_radix(&num, 8).unwrap_or(0);
                    out.push(char::from_u32(code).unwrap_or('\0'));
                    continue;
                }
                let i: usize = num.parse().unwrap_or(0);
                if i >= caps.len() {
                    return Err(err(format!("invalid group reference {i}")));
                }
                out.push_str(caps.get(i).map(|m| m.as_str()).unwrap_or(""));
            }
            Some('g') => {
                if chars.next() != Some('<') {
                    return Err(err("missing <"));
                }
                let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
                let m = match name.parse::<usize>() {
                    Ok(i) => caps.get(i),
                    Err(_) => caps.name(&name),
                };
                out.push_str(m.map(|m| m.as_str()).unwrap_or(""));
            }
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('\\') => out.push('\\'),
            Some(o) if o.is_ascii_alphabetic() => return Err(err(format!("bad escape \\{o}"))),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => return Err(err("bad escape (end of pattern)")),
        }
    }
    Ok(out)
}

fn regex_replace(
    value: Value,
    pattern: Option<String>,
    replacement: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let pattern: String = pattern.or(kwargs.get("pattern")?).unwrap_or_default();
    let replacement: String = replacement
        .or(kwargs.get("replacement")?)
        .unwrap_or_default();
    let ignorecase: bool = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline: bool = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    let count: usize = kwargs.get::<Option<usize>>("count")?.unwrap_or(0);
    let mandatory: usize = kwargs.get::<Option<usize>>("mandatory_count")?.unwrap_or(0);
    kwargs.assert_all_used()?;
    let re = compile(&pattern, ignorecase, multiline)?;
    let s = text(&value);
    let mut out = String::new();
    let mut last = 0;
    let mut n = 0;
    for caps in re.captures_iter(&s) {
        if count > 0 && n == count {
            break;
        }
        let m = caps.get(0).ok_or_else(|| err("no match"))?;
        out.push_str(&s[last..m.start()]);
        out.push_str(&expand(&replacement, &caps)?);
        last = m.end();
        n += 1;
    }
    out.push_str(&s[last..]);
    if mandatory > 0 && mandatory != n {
        return Err(err(format!(
            "'{pattern}' should match {mandatory} times, but matches {count} times in '{s}'"
        )));
    }
    Ok(out)
}

fn regex_search(
    value: Value,
    pattern: String,
    groups: Rest<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let ignorecase: bool = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline: bool = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    enum G {
        Index(usize),
        Name(String),
    }
    let mut wanted = Vec::new();
    for g in groups.iter() {
        if let Some(rest) = g.strip_prefix("\\g<") {
            wanted.push(G::Name(rest.trim_end_matches('>').to_string()));
        } else if let Some(rest) = g.strip_prefix('\\') {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            wanted.push(G::Index(
                digits.parse().map_err(|_| err("Unknown argument"))?,
            ));
        } else {
            return Err(err("Unknown argument"));
        }
    }
    let re = compile(&pattern, ignorecase, multiline)?;
    let s = text(&value);
    let Some(caps) = re.captures(&s) else {
        return Ok(Value::from(()));
    };
    if wanted.is_empty() {
        return Ok(Value::from(caps.get(0).map(|m| m.as_str()).unwrap_or("")));
    }
    let mut out = Vec::new();
    for g in wanted {
        let m = match g {
            G::Index(i) => {
                if i >= caps.len() {
                    return Err(err("no such group"));
                }
                caps.get(i)
            }
            G::Name(n) => caps.name(&n),
        };
        out.push(
            m.map(|m| Value::from(m.as_str()))
                .unwrap_or(Value::from(())),
        );
    }
    Ok(Value::from(out))
}

fn regex_findall(value: Value, pattern: String, kwargs: Kwargs) -> Result<Value, Error> {
    let ignorecase: bool = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline: bool = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let re = compile(&pattern, ignorecase, multiline)?;
    let s = text(&value);
    let groups = re.captures_len() - 1;
    let mut out = Vec::new();
    for caps in re.captures_iter(&s) {
        let g = |i: usize| Value::from(caps.get(i).map(|m| m.as_str()).unwrap_or(""));
        out.push(match groups {
            0 => g(0),
            1 => g(1),
            n => Value::from((1..=n).map(g).collect::<Vec<_>>()),
        });
    }
    Ok(Value::from(out))
}
