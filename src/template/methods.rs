// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Python methods that templates call on values (`s.split(',')`,
//! `d.items()`, `l.index(x)`), with Python's semantics. What is not here
//! falls through to minijinja-contrib's pycompat set.

use super::pyformat;
use super::pyrepr::{py_str, py_type_name};
use minijinja::value::{Kwargs, Value, ValueKind, from_args};
use minijinja::{Error, ErrorKind, State};

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Python's str.split (`sep=None` splits on runs of whitespace).
pub fn py_split(s: &str, sep: Option<&str>, maxsplit: i64) -> Result<Vec<String>, Error> {
    let max = if maxsplit < 0 {
        usize::MAX
    } else {
        maxsplit as usize
    };
    match sep {
        Some("") => Err(err("empty separator")),
        Some(sep) => {
            let mut out = Vec::new();
            let mut rest = s;
            while out.len() < max {
                match rest.find(sep) {
                    Some(i) => {
                        out.push(rest[..i].to_string());
                        rest = &rest[i + sep.len()..];
                    }
                    None => break,
                }
            }
            out.push(rest.to_string());
            Ok(out)
        }
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_start();
            while !rest.is_empty() {
                if out.len() == max {
                    out.push(rest.to_string());
                    return Ok(out);
                }
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                out.push(rest[..end].to_string());
                rest = rest[end..].trim_start();
            }
            Ok(out)
        }
    }
}

fn py_rsplit(s: &str, sep: Option<&str>, maxsplit: i64) -> Result<Vec<String>, Error> {
    let max = if maxsplit < 0 {
        usize::MAX
    } else {
        maxsplit as usize
    };
    match sep {
        Some("") => Err(err("empty separator")),
        Some(sep) => {
            let mut out = Vec::new();
            let mut rest = s;
            while out.len() < max {
                match rest.rfind(sep) {
                    Some(i) => {
                        out.push(rest[i + sep.len()..].to_string());
                        rest = &rest[..i];
                    }
                    None => break,
                }
            }
            out.push(rest.to_string());
            out.reverse();
            Ok(out)
        }
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_end();
            while !rest.is_empty() {
                if out.len() == max {
                    out.push(rest.to_string());
                    break;
                }
                let start = rest.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
                out.push(rest[start..].to_string());
                rest = rest[..start].trim_end();
            }
            out.reverse();
            Ok(out)
        }
    }
}

/// Python's str.title: a letter after a non-letter is upper-cased, others lowered.
pub fn py_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_cased = false;
    for c in s.chars() {
        if prev_cased {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        prev_cased = c.is_alphabetic();
    }
    out
}

/// Python's str.capitalize: first character upper, the rest lower.
pub fn py_capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f
            .to_uppercase()
            .chain(chars.flat_map(|c| c.to_lowercase()))
            .collect(),
        None => String::new(),
    }
}

/// Python's str.strip family with an optional set of characters.
pub fn py_strip(s: &str, chars: Option<&str>, left: bool, right: bool) -> String {
    let pred = |c: char| match chars {
        Some(set) => set.contains(c),
        None => c.is_whitespace(),
    };
    let mut t = s;
    if left {
        t = t.trim_start_matches(pred);
    }
    if right {
        t = t.trim_end_matches(pred);
    }
    t.to_string()
}

fn char_index(s: &str, byte: usize) -> usize {
    s[..byte].chars().count()
}

fn tuple_or_str(v: &Value) -> Vec<String> {
    match v.kind() {
        ValueKind::Seq => v
            .try_iter()
            .map(|it| it.map(|x| py_str(&x)).collect())
            .unwrap_or_default(),
        _ => vec![py_str(v)],
    }
}

fn string_method(s: &str, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let r = (|| -> Result<Value, Error> {
        Ok(match method {
            "split" | "rsplit" => {
                let (sep, max, kw): (Option<Value>, Option<i64>, Kwargs) = from_args(args)?;
                let sep = sep.or(kw.get::<Option<Value>>("sep")?);
                let max = max.or(kw.get::<Option<i64>>("maxsplit")?).unwrap_or(-1);
                kw.assert_all_used()?;
                let sep = sep.filter(|v| !v.is_none()).map(|v| py_str(&v));
                let parts = if method == "split" {
                    py_split(s, sep.as_deref(), max)?
                } else {
                    py_rsplit(s, sep.as_deref(), max)?
                };
                Value::from(parts)
            }
            "splitlines" => {
                let (keep,): (Option<bool>,) = from_args(args)?;
                Value::from(py_splitlines(s, keep.unwrap_or(false)))
            }
            "startswith" | "endswith" => {
                let (what,): (Value,) = from_args(args)?;
                let opts = tuple_or_str(&what);
                Value::from(opts.iter().any(|o| {
                    if method == "startswith" {
                        s.starts_with(o.as_str())
                    } else {
                        s.ends_with(o.as_str())
                    }
                }))
            }
            "strip" | "lstrip" | "rstrip" => {
                let (chars,): (Option<Value>,) = from_args(args)?;
                let chars = chars.filter(|v| !v.is_none()).map(|v| py_str(&v));
                Value::from(py_strip(
                    s,
                    chars.as_deref(),
                    method != "rstrip",
                    method != "lstrip",
                ))
            }
            "lower" => Value::from(s.to_lowercase()),
            "upper" => Value::from(s.to_uppercase()),
            "title" => Value::from(py_title(s)),
            "capitalize" => Value::from(py_capitalize(s)),
            "swapcase" => Value::from(
                s.chars()
                    .flat_map(|c| {
                        if c.is_uppercase() {
                            c.to_lowercase().collect::<Vec<_>>()
                        } else {
                            c.to_uppercase().collect::<Vec<_>>()
                        }
                    })
                    .collect::<String>(),
            ),
            "replace" => {
                let (old, new, count): (String, String, Option<i64>) = from_args(args)?;
                match count {
                    Some(n) if n >= 0 => Value::from(s.replacen(&old, &new, n as usize)),
                    _ => Value::from(s.replace(&old, &new)),
                }
            }
            "find" | "rfind" | "index" | "rindex" => {
                let (sub, start, end): (String, Option<i64>, Option<i64>) = from_args(args)?;
                let n = s.chars().count() as i64;
                let norm = |i: i64| if i < 0 { (n + i).max(0) } else { i.min(n) } as usize;
                let (a, b) = (norm(start.unwrap_or(0)), norm(end.unwrap_or(n)));
                let byte = |ci: usize| s.char_indices().nth(ci).map(|(b, _)| b).unwrap_or(s.len());
                let found = if a > b {
                    None
                } else {
                    let hay = &s[byte(a)..byte(b)];
                    let pos = if method.starts_with('r') {
                        hay.rfind(&sub)
                    } else {
                        hay.find(&sub)
                    };
                    pos.map(|p| a + char_index(hay, p))
                };
                match (found, method) {
                    (Some(i), _) => Value::from(i as i64),
                    (None, "find" | "rfind") => Value::from(-1),
                    (None, _) => return Err(err("substring not found")),
                }
            }
            "count" => {
                let (sub,): (String,) = from_args(args)?;
                if sub.is_empty() {
                    Value::from(s.chars().count() as i64 + 1)
                } else {
                    Value::from(s.matches(&sub).count() as i64)
                }
            }
            "isdigit" | "isnumeric" | "isdecimal" => {
                Value::from(!s.is_empty() && s.chars().all(|c| c.is_numeric()))
            }
            "isalpha" => Value::from(!s.is_empty() && s.chars().all(char::is_alphabetic)),
            "isalnum" => Value::from(!s.is_empty() && s.chars().all(char::is_alphanumeric)),
            "isspace" => Value::from(!s.is_empty() && s.chars().all(char::is_whitespace)),
            "isascii" => Value::from(s.is_ascii()),
            "islower" => Value::from(
                s.chars().any(|c| c.is_lowercase()) && !s.chars().any(|c| c.is_uppercase()),
            ),
            "isupper" => Value::from(
                s.chars().any(|c| c.is_uppercase()) && !s.chars().any(|c| c.is_lowercase()),
            ),
            "istitle" => Value::from(s.chars().any(char::is_alphabetic) && py_title(s) == s),
            "join" => {
                let (items,): (Value,) = from_args(args)?;
                let mut parts = Vec::new();
                for item in items.try_iter()? {
                    if item.kind() != ValueKind::String {
                        return Err(err(format!(
                            "sequence item {}: expected str instance, {} found",
                            parts.len(),
                            py_type_name(&item)
                        )));
                    }
                    parts.push(py_str(&item));
                }
                Value::from(parts.join(s))
            }
            "format" => {
                let (rest, kw): (&[Value], Kwargs) = from_args(args)?;
                let mut pairs = Vec::new();
                for k in kw.args() {
                    pairs.push((Value::from(k), kw.peek::<Value>(k)?));
                }
                for k in kw.args().map(str::to_string).collect::<Vec<_>>() {
                    let _: Value = kw.get(&k)?;
                }
                Value::from(pyformat::brace_format(s, rest, &Value::from_pairs(pairs))?)
            }
            "center" | "ljust" | "rjust" => {
                let (width, fill): (usize, Option<String>) = from_args(args)?;
                let fill = fill.and_then(|f| f.chars().next()).unwrap_or(' ');
                let len = s.chars().count();
                if width <= len {
                    Value::from(s)
                } else {
                    let n = width - len;
                    let f = |k: usize| fill.to_string().repeat(k);
                    Value::from(match method {
                        "ljust" => format!("{s}{}", f(n)),
                        "rjust" => format!("{}{s}", f(n)),
                        // Python puts the odd extra fill char on the left when the width is odd.
                        _ => {
                            let left = n / 2 + (n & width & 1);
                            format!("{}{s}{}", f(left), f(n - left))
                        }
                    })
                }
            }
            "zfill" => {
                let (width,): (usize,) = from_args(args)?;
                let len = s.chars().count();
                if width <= len {
                    Value::from(s)
                } else {
                    let (sign, digits) = match s.chars().next() {
                        Some(c @ ('+' | '-')) => (c.to_string(), &s[1..]),
                        _ => (String::new(), s),
                    };
                    Value::from(format!("{sign}{}{digits}", "0".repeat(width - len)))
                }
            }
            "partition" | "rpartition" => {
                let (sep,): (String,) = from_args(args)?;
                let pos = if method == "partition" {
                    s.find(&sep)
                } else {
                    s.rfind(&sep)
                };
                let parts = match pos {
                    Some(i) => vec![&s[..i], sep.as_str(), &s[i + sep.len()..]],
                    None if method == "partition" => vec![s, "", ""],
                    None => vec!["", "", s],
                };
                Value::from(parts.into_iter().map(str::to_string).collect::<Vec<_>>())
            }
            "removeprefix" => {
                let (p,): (String,) = from_args(args)?;
                Value::from(s.strip_prefix(p.as_str()).unwrap_or(s))
            }
            "removesuffix" => {
                let (p,): (String,) = from_args(args)?;
                Value::from(s.strip_suffix(p.as_str()).unwrap_or(s))
            }
            "expandtabs" => {
                let (size,): (Option<usize>,) = from_args(args)?;
                let size = size.unwrap_or(8);
                let mut out = String::new();
                let mut col = 0;
                for c in s.chars() {
                    match c {
                        '\t' => {
                            let n = if size == 0 { 0 } else { size - col % size };
                            out.push_str(&" ".repeat(n));
                            col += n;
                        }
                        '\n' | '\r' => {
                            out.push(c);
                            col = 0;
                        }
                        c => {
                            out.push(c);
                            col += 1;
                        }
                    }
                }
                Value::from(out)
            }
            "encode" => Value::from(s),
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        })
    })();
    match r {
        Err(e) if e.kind() == ErrorKind::UnknownMethod => None,
        other => Some(other),
    }
}

fn seq_method(v: &Value, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let items = || -> Result<Vec<Value>, Error> { Ok(v.try_iter()?.collect()) };
    Some((|| -> Result<Value, Error> {
        Ok(match method {
            "index" => {
                let (x,): (Value,) = from_args(args)?;
                let pos = items()?.iter().position(|i| *i == x);
                match pos {
                    Some(p) => Value::from(p as i64),
                    None => {
                        return Err(err(format!(
                            "{} is not in list",
                            super::pyrepr::py_repr(&x)
                        )));
                    }
                }
            }
            "count" => {
                let (x,): (Value,) = from_args(args)?;
                let n = items()?.iter().filter(|i| **i == x).count();
                // ansible-core 2.21 counts 0 in a list that comes from a
                // variable (its lazy list holds wrapped or tagged items,
                // which list.count does not find), and right in a list
                // built by the template. kiln cannot tell the two apart:
                // 0 is right for both, any other count may not be.
                if n > 0 {
                    return Err(err(format!(
                        "list.count() found {n} of {} here, but ansible-core 2.21 counts 0 \
                         in a list that comes from a variable and kiln cannot tell where \
                         this list came from; use select('equalto', x) | list | length",
                        super::pyrepr::py_repr(&x)
                    )));
                }
                Value::from(0)
            }
            "copy" => Value::from(items()?),
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        })
    })())
    .filter(|r| !matches!(r, Err(e) if e.kind() == ErrorKind::UnknownMethod))
}

fn map_method(v: &Value, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let r = (|| -> Result<Value, Error> {
        let keys = || -> Result<Vec<Value>, Error> { Ok(v.try_iter()?.collect()) };
        Ok(match method {
            "get" => {
                let (k, d): (Value, Option<Value>) = from_args(args)?;
                match v.get_item(&k).ok() {
                    Some(x) if !x.is_undefined() => x,
                    _ => d.unwrap_or(Value::from(())),
                }
            }
            "keys" => Value::from(keys()?),
            "values" => Value::from(
                keys()?
                    .iter()
                    .map(|k| v.get_item(k))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            "items" => Value::from(
                keys()?
                    .into_iter()
                    .map(|k| {
                        let val = v.get_item(&k)?;
                        Ok(Value::from(vec![k, val]))
                    })
                    .collect::<Result<Vec<_>, Error>>()?,
            ),
            "copy" => Value::from_pairs(
                keys()?
                    .into_iter()
                    .map(|k| {
                        let val = v.get_item(&k).unwrap_or_default();
                        (k, val)
                    })
                    .collect::<Vec<_>>(),
            ),
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        })
    })();
    match r {
        Err(e) if e.kind() == ErrorKind::UnknownMethod => None,
        other => Some(other),
    }
}

/// minijinja's callback for a method it does not know.
pub(super) fn call(
    state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    let own = match value.kind() {
        ValueKind::String => string_method(value.as_str().unwrap_or_default(), method, args),
        ValueKind::Seq => seq_method(value, method, args),
        ValueKind::Map => map_method(value, method, args),
        _ => None,
    };
    if let Some(r) = own {
        return r;
    }
    minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args).map_err(|e| {
        if e.kind() == ErrorKind::UnknownMethod {
            err(format!(
                "object of type '{}' has no attribute '{method}'",
                py_type_name(value)
            ))
        } else {
            e
        }
    })
}

/// Python's `splitlines()` on bytes (lines end at `\n`, `\r` or `\r\n`),
/// with the line ends kept when `keep`.
pub(super) fn py_splitlines(s: &str, keep: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let mut next = end;
        if rest[end..].starts_with("\r\n") {
            next += 2;
        } else if end < rest.len() {
            next += 1;
        }
        out.push(if keep { &rest[..next] } else { &rest[..end] }.to_string());
        rest = &rest[next..];
    }
    out
}
