// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Values printed the way Python prints them, because Ansible renders
//! templates through Python: `True`, `None`, `['a', 1]`, `{'k': 'v'}`, `1.0`.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, Output, State};

/// The template formatter: strings as they are, everything else as Python's
/// `str()` would print it.
pub(super) fn format_value(
    out: &mut Output,
    _state: &mut State,
    value: &Value,
) -> Result<(), Error> {
    if value.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, "undefined value"));
    }
    if value.is_none() {
        // ansible-core 2.21 drops None nodes: nothing printed, no node.
        return Ok(());
    }
    let text = py_str(value);
    super::record_node(value, text.len());
    out.write_str(&text).map_err(Error::from)
}

/// Python's truth value (`bool(x)`).
pub fn py_truthy(v: &Value) -> bool {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => false,
        ValueKind::Bool => v.is_true(),
        ValueKind::Number => v.is_true(),
        ValueKind::String => !v.as_str().unwrap_or_default().is_empty(),
        _ => v.len().map(|l| l > 0).unwrap_or(true),
    }
}

/// Python's repr of a float: the shortest digits that read back the same,
/// fixed notation for exponents -4..16, else `1e-05` / `1.5e+16`.
pub fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.5e3".
    let sci = format!("{f:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let es = if exp < 0 { "-" } else { "+" };
        format!("{sign}{m}e{es}{:02}", exp.abs())
    }
}

/// Python's `str(value)`.
pub fn py_str(v: &Value) -> String {
    match v.kind() {
        ValueKind::String => v.as_str().unwrap_or_default().to_string(),
        // A datetime's str() is its ISO-like text, its repr() the call.
        ValueKind::Plain => v.to_string(),
        _ => py_repr(v),
    }
}

/// Python's `repr(value)`.
pub fn py_repr(v: &Value) -> String {
    let mut s = String::new();
    write_repr(&mut s, v);
    s
}

/// Python's repr of the Python objects kiln models (a datetime, a range).
fn object_repr(v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    if let Some(r) = obj.downcast_ref::<super::globals::PyRange>() {
        return Some(r.text());
    }
    if let Some(d) = obj.downcast_ref::<super::filters::PyTimeDelta>() {
        return Some(d.py_repr());
    }
    obj.downcast_ref::<super::filters::PyDateTime>()
        .map(super::filters::PyDateTime::py_repr)
}

fn write_repr(out: &mut String, v: &Value) {
    if let Some(r) = object_repr(v) {
        out.push_str(&r);
        return;
    }
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if v.is_true() { "True" } else { "False" }),
        ValueKind::Number => {
            if let (true, Some(i)) = (v.is_integer(), v.as_i64()) {
                out.push_str(&i.to_string());
            } else if let Ok(f) = f64::try_from(v.clone()) {
                out.push_str(&py_float(f));
            } else {
                out.push_str(&v.to_string());
            }
        }
        ValueKind::String => repr_str(out, v.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            if let Ok(iter) = v.try_iter() {
                for (i, item) in iter.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &item);
                }
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            if let Ok(iter) = v.try_iter() {
                for (i, key) in iter.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &key);
                    out.push_str(": ");
                    let val = v.get_item(&key).unwrap_or_default();
                    write_repr(out, &val);
                }
            }
            out.push('}');
        }
        _ => out.push_str(&v.to_string()),
    }
}

/// Python's repr of a str: single quotes unless the text has a single quote
/// and no double quote.
fn repr_str(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's repr of a bytes value (`b'...'`), as a module's message shows
/// a path it handled as bytes: printable ASCII as is, other bytes as `\xNN`.
pub fn py_bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::from("b");
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote as char);
    out
}

/// The Python type name Ansible shows in messages (`str`, `int`, `list`...).
pub fn py_type_name(v: &Value) -> &'static str {
    if let Some(obj) = v.as_object() {
        if obj.downcast_ref::<super::globals::PyRange>().is_some() {
            return "range";
        }
        if obj.downcast_ref::<super::filters::PyDateTime>().is_some() {
            return "datetime";
        }
        if obj.downcast_ref::<super::filters::PyTimeDelta>().is_some() {
            return "timedelta";
        }
    }
    match v.kind() {
        ValueKind::Undefined => "AnsibleUndefined",
        ValueKind::None => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number => {
            if v.is_integer() {
                "int"
            } else {
                "float"
            }
        }
        ValueKind::String => "str",
        ValueKind::Bytes => "bytes",
        ValueKind::Seq | ValueKind::Iterable => "list",
        ValueKind::Map => "dict",
        _ => "object",
    }
}

/// How a datetime is kept in kiln's variables, which are JSON: Ansible
/// keeps a `datetime` stored with `set_fact` or `register` a `datetime`
/// (`t.year`, `t - u`, `t | type_debug` work on it later), so the stored form
/// must come back as one. The leading NUL cannot come from YAML, JSON text or
/// a module's output, so no real string is taken for a datetime.
const DATETIME_MARK: &str = "\u{0}kiln-datetime:";

/// Plain data from a template value, a datetime as its isoformat string
/// (what modules get and what the output shows).
pub fn value_to_json(v: &Value) -> serde_json::Value {
    to_json(v, false)
}

/// Data to store in a variable: like [`value_to_json`], but a datetime stays
/// one when read back by [`json_to_value`]. [`unmark_datetimes`] turns the
/// stored form into the plain one for the output.
pub fn value_to_stored_json(v: &Value) -> serde_json::Value {
    to_json(v, true)
}

/// Replaces every stored datetime inside `j` by its isoformat string.
pub fn unmark_datetimes(j: &mut serde_json::Value) {
    use serde_json::Value as J;
    match j {
        J::String(s) => {
            if let Some(iso) = s.strip_prefix(DATETIME_MARK) {
                *s = iso.to_string();
            }
        }
        J::Array(a) => a.iter_mut().for_each(unmark_datetimes),
        J::Object(m) => m.values_mut().for_each(unmark_datetimes),
        _ => {}
    }
}

fn to_json(v: &Value, keep_datetimes: bool) -> serde_json::Value {
    use serde_json::Value as J;
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => J::Null,
        ValueKind::Bool => J::Bool(v.is_true()),
        ValueKind::Number => {
            if let (true, Some(i)) = (v.is_integer(), v.as_i64()) {
                J::from(i)
            } else if let Ok(f) = f64::try_from(v.clone()) {
                serde_json::Number::from_f64(f)
                    .map(J::Number)
                    .unwrap_or(J::Null)
            } else {
                J::String(v.to_string())
            }
        }
        ValueKind::String => J::String(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Bytes => {
            J::String(String::from_utf8_lossy(v.as_bytes().unwrap_or_default()).into_owned())
        }
        ValueKind::Seq | ValueKind::Iterable => J::Array(
            v.try_iter()
                .map(|it| it.map(|x| to_json(&x, keep_datetimes)).collect())
                .unwrap_or_default(),
        ),
        ValueKind::Plain if let Some(d) = v.downcast_object_ref::<super::filters::PyDateTime>() => {
            if keep_datetimes {
                J::String(format!("{DATETIME_MARK}{}", d.isoformat()))
            } else {
                J::String(d.isoformat())
            }
        }
        ValueKind::Map => {
            let mut m = serde_json::Map::new();
            if let Ok(iter) = v.try_iter() {
                for key in iter {
                    let val = v.get_item(&key).unwrap_or_default();
                    m.insert(py_str(&key), to_json(&val, keep_datetimes));
                }
            }
            J::Object(m)
        }
        _ => J::String(v.to_string()),
    }
}

/// A template value from plain data.
pub fn json_to_value(j: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::from(()),
        J::Bool(b) => Value::from(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(u)) => Value::from(u),
            _ => Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => match s
            .strip_prefix(DATETIME_MARK)
            .and_then(super::filters::PyDateTime::from_isoformat)
        {
            Some(d) => Value::from_object(d),
            None => Value::from(s.as_str()),
        },
        J::Array(a) => Value::from(a.iter().map(json_to_value).collect::<Vec<_>>()),
        J::Object(m) => Value::from_pairs(
            m.iter()
                .map(|(k, v)| (Value::from(k.as_str()), json_to_value(v))),
        ),
    }
}

#[cfg(test)]
mod bytes_repr_tests {
    use super::py_bytes_repr;

    #[test]
    fn bytes_repr_as_python() {
        // Python 3.12: repr(b"/tmp/a b"), repr("é'".encode()),
        // repr(b"a'\"\\\n\x7f").
        assert_eq!(py_bytes_repr(b"/tmp/a b"), "b'/tmp/a b'");
        assert_eq!(py_bytes_repr("é'".as_bytes()), "b\"\\xc3\\xa9'\"");
        assert_eq!(py_bytes_repr(b"a'\"\\\n\x7f"), "b'a\\'\"\\\\\\n\\x7f'");
    }
}
