// SPDX-License-Identifier: MIT
//! Ansible's own filters and tests on top of minijinja's builtins. This is the
//! spine's core set; the full ansible.builtin list grows here.

use super::pyrepr::{py_str, value_to_json};
use base64::Engine as _;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("bool", to_bool);
    env.add_filter("to_json", to_json);
    env.add_filter("to_nice_json", to_nice_json);
    env.add_filter("from_json", from_json);
    env.add_filter("b64encode", |s: String| {
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
    });
    env.add_filter("b64decode", |s: String| -> Result<String, Error> {
        let b = base64::engine::general_purpose::STANDARD
            .decode(s.trim().as_bytes())
            .map_err(|e| err(format!("b64decode: {e}")))?;
        Ok(String::from_utf8_lossy(&b).into_owned())
    });
    env.add_filter("basename", |s: String| {
        s.rsplit('/').next().unwrap_or_default().to_string()
    });
    env.add_filter("dirname", |s: String| match s.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => s[..i].trim_end_matches('/').to_string(),
        None => String::new(),
    });
    env.add_filter("quote", |s: Value| crate::transport::quote(&py_str(&s)));
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("mandatory", mandatory);
    env.add_filter("ternary", ternary);
    env.add_filter("combine", combine);
    env.add_filter("dict2items", dict2items);
    env.add_filter("flatten", flatten);
    env.add_filter("type_debug", |v: Value| {
        super::pyrepr::py_type_name(&v).to_string()
    });
    for (name, status) in [
        ("succeeded", Status::Succeeded),
        ("success", Status::Succeeded),
        ("failed", Status::Failed),
        ("failure", Status::Failed),
        ("changed", Status::Changed),
        ("change", Status::Changed),
        ("skipped", Status::Skipped),
        ("skip", Status::Skipped),
    ] {
        env.add_test(name, move |v: Value| result_test(&v, status));
    }
    env.add_test("match", |v: String, pat: String| -> Result<bool, Error> {
        Ok(compile(&format!("^(?:{pat})"))?.is_match(&v))
    });
    env.add_test("search", |v: String, pat: String| -> Result<bool, Error> {
        Ok(compile(&pat)?.is_match(&v))
    });
}

fn compile(pat: &str) -> Result<regex::Regex, Error> {
    regex::Regex::new(pat).map_err(|e| err(format!("invalid regular expression: {e}")))
}

/// Ansible's `bool` filter: yes/on/1/true (any case) are true.
fn to_bool(v: Value) -> bool {
    match v.kind() {
        ValueKind::Bool => v.is_true(),
        ValueKind::None | ValueKind::Undefined => false,
        ValueKind::Number => v.as_i64() == Some(1),
        _ => matches!(
            py_str(&v).to_lowercase().as_str(),
            "yes" | "on" | "1" | "true" | "y"
        ),
    }
}

fn to_json(v: Value, kwargs: Kwargs) -> Result<String, Error> {
    let _: Option<bool> = kwargs.get("ensure_ascii")?;
    let _: Option<bool> = kwargs.get("sort_keys")?;
    kwargs.assert_all_used()?;
    Ok(crate::output::json::dumps(&value_to_json(&v), None, false))
}

fn to_nice_json(v: Value, kwargs: Kwargs) -> Result<String, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    Ok(crate::output::json::dumps(
        &value_to_json(&v),
        Some(indent.unwrap_or(4)),
        true,
    ))
}

fn from_json(s: String) -> Result<Value, Error> {
    let j: serde_json::Value =
        serde_json::from_str(&s).map_err(|e| err(format!("from_json: {e}")))?;
    Ok(super::json_to_value(&j))
}

fn regex_replace(
    value: Value,
    pattern: String,
    replacement: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let ignorecase: Option<bool> = kwargs.get("ignorecase")?;
    let multiline: Option<bool> = kwargs.get("multiline")?;
    let count: Option<usize> = kwargs.get("count")?;
    kwargs.assert_all_used()?;
    let re = regex::RegexBuilder::new(&pattern)
        .case_insensitive(ignorecase.unwrap_or(false))
        .multi_line(multiline.unwrap_or(false))
        .build()
        .map_err(|e| err(format!("invalid regular expression: {e}")))?;
    // Python writes backreferences as \1 or \g<name>; the regex crate as ${1}.
    let repl = python_backrefs(&replacement.unwrap_or_default());
    let text = py_str(&value);
    Ok(re
        .replacen(&text, count.unwrap_or(0), repl.as_str())
        .into_owned())
}

fn python_backrefs(r: &str) -> String {
    let mut out = String::new();
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('g') => {
                    chars.next();
                    if chars.peek() == Some(&'<') {
                        chars.next();
                        let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
                        out.push_str(&format!("${{{name}}}"));
                    } else {
                        out.push_str("\\g");
                    }
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

fn regex_search(value: Value, pattern: String, kwargs: Kwargs) -> Result<Value, Error> {
    let ignorecase: Option<bool> = kwargs.get("ignorecase")?;
    let multiline: Option<bool> = kwargs.get("multiline")?;
    kwargs.assert_all_used()?;
    let re = regex::RegexBuilder::new(&pattern)
        .case_insensitive(ignorecase.unwrap_or(false))
        .multi_line(multiline.unwrap_or(false))
        .build()
        .map_err(|e| err(format!("invalid regular expression: {e}")))?;
    let text = py_str(&value);
    Ok(match re.find(&text) {
        Some(m) => Value::from(m.as_str()),
        None => Value::from(()),
    })
}

fn mandatory(v: Value, msg: Option<String>) -> Result<Value, Error> {
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            msg.unwrap_or_else(|| "Mandatory variable has not been overridden".into()),
        ));
    }
    Ok(v)
}

fn ternary(v: Value, yes: Value, no: Value, none: Option<Value>) -> Value {
    if v.is_none()
        && let Some(n) = none
    {
        return n;
    }
    if v.is_true() { yes } else { no }
}

fn combine(
    base: Value,
    others: minijinja::value::Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let recursive: Option<bool> = kwargs.get("recursive")?;
    let _: Option<String> = kwargs.get("list_merge")?;
    kwargs.assert_all_used()?;
    let mut acc = value_to_json(&base);
    for o in others.iter() {
        merge(&mut acc, value_to_json(o), recursive.unwrap_or(false));
    }
    Ok(super::json_to_value(&acc))
}

fn merge(acc: &mut serde_json::Value, new: serde_json::Value, recursive: bool) {
    match (acc, new) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) if recursive && existing.is_object() && v.is_object() => {
                        merge(existing, v, true)
                    }
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (acc, new) => *acc = new,
    }
}

fn dict2items(v: Value) -> Result<Value, Error> {
    if v.kind() != ValueKind::Map {
        return Err(err(format!(
            "dict2items requires a dictionary, got {} instead.",
            super::pyrepr::py_type_name(&v)
        )));
    }
    let mut items = Vec::new();
    for k in v.try_iter()? {
        let val = v.get_item(&k)?;
        items.push(Value::from_pairs([("key", k), ("value", val)]));
    }
    Ok(Value::from(items))
}

fn flatten(v: Value, levels: Option<usize>) -> Result<Value, Error> {
    fn go(v: &Value, levels: Option<usize>, out: &mut Vec<Value>) -> Result<(), Error> {
        for item in v.try_iter()? {
            if matches!(item.kind(), ValueKind::Seq) && levels != Some(0) {
                go(&item, levels.map(|l| l - 1), out)?;
            } else if !item.is_none() {
                out.push(item);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(&v, levels, &mut out)?;
    Ok(Value::from(out))
}

#[derive(Clone, Copy)]
enum Status {
    Succeeded,
    Failed,
    Changed,
    Skipped,
}

/// The result tests (`is failed`...) read a registered result dict.
fn result_test(v: &Value, s: Status) -> Result<bool, Error> {
    if v.kind() != ValueKind::Map {
        return Err(err(
            "The result test expects a dictionary (a registered result)",
        ));
    }
    let flag = |k: &str| v.get_attr(k).map(|x| x.is_true()).unwrap_or(false);
    Ok(match s {
        Status::Failed => flag("failed"),
        Status::Succeeded => !flag("failed"),
        Status::Changed => flag("changed"),
        Status::Skipped => flag("skipped"),
    })
}
