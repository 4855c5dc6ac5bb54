// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Filters: Jinja2's builtins with Jinja2's exact behaviour (minijinja's own
//! differ in arguments and edge cases), then ansible.builtin's.

mod data;
mod hashing;
mod jinja;
mod jmes;
mod lists;
mod net;
mod paths;
mod pyrandom;
mod regex;
mod strings;
mod time;
pub(crate) use time::PyDateTime;
mod timedelta;
pub(crate) use timedelta::{PyTimeDelta, subtract as subtract_dates};
mod vault;

use super::pyrepr::{py_str, py_type_name};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};
use std::cmp::Ordering;

pub(crate) use paths::expanduser;
pub(super) use paths::{basename, dirname, expandvars, glob, join as path_join_parts, normpath};
pub(super) use regex::compile as regex_compile;
pub(super) use vault::is_vault_encrypted;

/// `text % args` for lookups that format (sequence).
pub(super) fn percent(text: &str, args: &[Value]) -> Result<String, Error> {
    super::pyformat::percent_format(text, args, None)
}

/// `os.path.join` of parts.
pub(super) fn path_join(parts: &[String]) -> String {
    path_join_parts(parts)
}

/// Ansible's `parse_kv` for `k=v k2='v 2'` lookup terms: a value loses
/// its outer quotes, the other words (`_raw_params`) keep theirs.
pub(super) fn yaml_free_kv(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut words = Vec::new();
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    // Words that are not k=v are joined into one `_raw_params`, as Ansible does.
    let mut raw: Vec<String> = Vec::new();
    for w in words {
        // The first `=` after the word's first character splits it.
        match w.char_indices().skip(1).find(|(_, c)| *c == '=') {
            Some((i, _)) => out.push((
                w[..i].trim().to_string(),
                unquote(w[i + 1..].trim()).to_string(),
            )),
            None => raw.push(w),
        }
    }
    if !raw.is_empty() {
        out.insert(0, ("_raw_params".to_string(), raw.join(" ")));
    }
    out
}

/// Ansible's `unquote`: one pair of matching outer quotes removed.
fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() > 1
        && (b[0] == b'"' || b[0] == b'\'')
        && b[0] == b[b.len() - 1]
        && b[b.len() - 2] != b'\\'
    {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// A filter's input that must be defined: Ansible's filters fail on an
/// undefined value (only `default`, `mandatory` and the like accept one).
pub(crate) struct Def(pub Value);

fn undefined_input() -> Error {
    Error::new(ErrorKind::UndefinedError, "undefined value")
}

impl<'a> minijinja::value::ArgType<'a> for Def {
    type Output = Def;

    fn from_value(value: Option<&'a Value>) -> Result<Def, Error> {
        match value {
            Some(v) if v.is_undefined() => Err(undefined_input()),
            Some(v) => Ok(Def(v.clone())),
            None => Err(Error::from(ErrorKind::MissingArgument)),
        }
    }

    fn from_value_owned(v: Value) -> Result<Def, Error> {
        if v.is_undefined() {
            Err(undefined_input())
        } else {
            Ok(Def(v))
        }
    }
}

impl std::ops::Deref for Def {
    type Target = Value;

    fn deref(&self) -> &Value {
        &self.0
    }
}

pub(super) fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

pub(super) fn register(env: &mut Environment<'static>) {
    jinja::register(env);
    jmes::register(env);
    strings::register(env);
    data::register(env);
    hashing::register(env);
    lists::register(env);
    net::register(env);
    paths::register(env);
    regex::register(env);
    time::register(env);
    vault::register(env);
}

/// The items of an iterable value (a string gives its characters, a dict
/// its keys), or Python's "object is not iterable".
pub(super) fn items(v: &Value) -> Result<Vec<Value>, Error> {
    match v.kind() {
        ValueKind::String => Ok(v
            .as_str()
            .unwrap_or_default()
            .chars()
            .map(|c| Value::from(c.to_string()))
            .collect()),
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => Ok(v.try_iter()?.collect()),
        ValueKind::Undefined => Err(Error::new(
            ErrorKind::UndefinedError,
            "undefined value is not iterable",
        )),
        _ => Err(err(format!("'{}' object is not iterable", py_type_name(v)))),
    }
}

fn kind_rank(v: &Value) -> u8 {
    match v.kind() {
        ValueKind::None | ValueKind::Undefined => 0,
        ValueKind::Bool | ValueKind::Number => 1,
        ValueKind::String => 2,
        ValueKind::Seq | ValueKind::Iterable => 3,
        ValueKind::Map => 4,
        _ => 5,
    }
}

/// Python's `<` between two values: numbers with numbers, strings with
/// strings, lists element-wise; anything else is a TypeError.
pub(super) fn py_cmp(a: &Value, b: &Value) -> Result<Ordering, Error> {
    py_order(a, b, "<")
}

/// Python's ordering of two values for the operator `op` (`<`, `<=`, `>`,
/// `>=`; it only names the operator in the TypeError): numbers with numbers,
/// strings with strings, lists element-wise, datetimes with datetimes and
/// timedeltas with timedeltas; any other pair is a TypeError.
pub(crate) fn py_order(a: &Value, b: &Value, op: &str) -> Result<Ordering, Error> {
    let (ra, rb) = (kind_rank(a), kind_rank(b));
    if ra == 5 && rb == 5 {
        if let (Some(x), Some(y)) = (
            a.downcast_object_ref::<PyDateTime>(),
            b.downcast_object_ref::<PyDateTime>(),
        ) {
            return Ok(x.0.cmp(&y.0));
        }
        if let (Some(x), Some(y)) = (
            a.downcast_object_ref::<PyTimeDelta>(),
            b.downcast_object_ref::<PyTimeDelta>(),
        ) {
            return Ok(x.micros.cmp(&y.micros));
        }
    }
    if ra != rb || ra == 0 || ra == 4 || ra == 5 {
        return Err(err(format!(
            "'{op}' not supported between instances of '{}' and '{}'",
            py_class_name(a),
            py_class_name(b)
        )));
    }
    match ra {
        1 => {
            let fa = num(a);
            let fb = num(b);
            if let (Some(x), Some(y)) = (int(a), int(b)) {
                return Ok(x.cmp(&y));
            }
            Ok(fa.partial_cmp(&fb).unwrap_or(Ordering::Equal))
        }
        2 => Ok(a
            .as_str()
            .unwrap_or_default()
            .cmp(b.as_str().unwrap_or_default())),
        _ => {
            let (xa, xb) = (items(a)?, items(b)?);
            for (x, y) in xa.iter().zip(xb.iter()) {
                let o = py_order(x, y, op)?;
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
            Ok(xa.len().cmp(&xb.len()))
        }
    }
}

/// The class name Python's TypeErrors give: the datetime module's types
/// are named with their module.
fn py_class_name(v: &Value) -> &'static str {
    match py_type_name(v) {
        "datetime" => "datetime.datetime",
        "timedelta" => "datetime.timedelta",
        other => other,
    }
}

/// A number as f64 (bools count as 0/1, as in Python).
pub(super) fn num(v: &Value) -> f64 {
    match v.kind() {
        ValueKind::Bool => f64::from(u8::from(v.is_true())),
        _ => f64::try_from(v.clone()).unwrap_or(f64::NAN),
    }
}

/// An integral number as i128 (bools count as 0/1).
pub(super) fn int(v: &Value) -> Option<i128> {
    match v.kind() {
        ValueKind::Bool => Some(i128::from(v.is_true())),
        ValueKind::Number if v.is_integer() => i128::try_from(v.clone()).ok(),
        _ => None,
    }
}

/// A value for arithmetic results: integers stay integers.
pub(super) fn from_i128(i: i128) -> Value {
    match i64::try_from(i) {
        Ok(x) => Value::from(x),
        Err(_) => Value::from(i),
    }
}

/// Jinja's case folding for sorting and grouping: strings compare lowered
/// unless case_sensitive.
pub(super) fn fold(v: &Value, case_sensitive: bool) -> Value {
    match (case_sensitive, v.as_str()) {
        (false, Some(s)) if v.kind() == ValueKind::String => Value::from(s.to_lowercase()),
        _ => v.clone(),
    }
}

/// `obj.attr.0.x` as Jinja's attribute paths read it (dots split; integer
/// parts index sequences). `None` when a part is missing.
pub(super) fn attr_path(v: &Value, path: &str) -> Option<Value> {
    let mut cur = v.clone();
    for part in path.split('.') {
        let next = match (cur.kind(), part.parse::<i64>()) {
            (ValueKind::Seq, Ok(i)) => cur.get_item(&Value::from(i)).ok(),
            (_, Ok(i)) => cur
                .get_item(&Value::from(part))
                .ok()
                .filter(|x| !x.is_undefined())
                .or_else(|| cur.get_item(&Value::from(i)).ok()),
            _ => cur.get_attr(part).ok(),
        }?;
        if next.is_undefined() {
            return None;
        }
        cur = next;
    }
    Some(cur)
}

/// Python's "object of type 'dict' has no attribute 'x'" for a missing path.
pub(super) fn no_attr(v: &Value, path: &str) -> Error {
    let first = path.split('.').next().unwrap_or(path);
    Error::new(
        ErrorKind::UndefinedError,
        format!(
            "object of type '{}' has no attribute '{first}'",
            py_type_name(v)
        ),
    )
}

/// Runs `f` with a fresh state of the same environment: calling another
/// filter or test needs a mutable state, which filters are not given.
pub(super) fn with_state<R>(
    state: &minijinja::State,
    f: impl FnOnce(&mut minijinja::State) -> Result<R, Error>,
) -> Result<R, Error> {
    let tmpl = state.env().template_from_str("")?;
    let mut st = tmpl.new_state();
    f(&mut st)
}

/// A filter's `seed=` as Python's Random takes it: ints as numbers,
/// anything else by its text.
fn pyrandom_seed(v: &Value) -> pyrandom::Seed<'_> {
    match (int(v), v.as_str()) {
        (Some(i), _) => pyrandom::Seed::Int(i),
        (None, Some(s)) => pyrandom::Seed::Text(s),
        (None, None) => pyrandom::Seed::Text(""),
    }
}

/// Python's `str()` of a value, for filters that take text.
pub(super) fn text(v: &Value) -> String {
    py_str(v)
}
