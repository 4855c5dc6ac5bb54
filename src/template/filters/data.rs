// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Data filters: JSON and YAML in and out, dict/list reshaping, `combine`,
//! `extract`, `urlsplit`, `bool`, `ternary`, `mandatory`, `type_debug`.

use super::{Def, attr_path, err, items, text};
use crate::template::pyrepr::{json_to_value, py_float, py_repr, py_str, py_truthy, py_type_name};
use crate::template::yaml_dump::{DumpOptions, dump};
use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("to_json", to_json);
    env.add_filter("to_nice_json", to_nice_json);
    env.add_filter("tojson", |v: Def, indent: Option<usize>| {
        let s = json_dumps(
            &v,
            &JsonOpts {
                indent,
                sort_keys: true,
                ensure_ascii: true,
                separators: None,
            },
        );
        // Jinja's htmlsafe_json_dumps.
        s.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\'', "\\u0027")
    });
    env.add_filter("from_json", from_json);
    env.add_filter("to_yaml", to_yaml);
    env.add_filter("to_nice_yaml", to_nice_yaml);
    env.add_filter("from_yaml", from_yaml);
    env.add_filter("from_yaml_all", from_yaml_all);
    env.add_filter("bool", to_bool);
    env.add_filter("ternary", ternary);
    env.add_filter("mandatory", mandatory);
    env.add_filter("type_debug", |v: Def| type_debug(&v));
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("combine", combine);
    env.add_filter("extract", extract);
    env.add_filter("urlsplit", urlsplit);
}

pub(crate) struct JsonOpts {
    pub indent: Option<usize>,
    pub sort_keys: bool,
    pub ensure_ascii: bool,
    /// (item, key) separators; `None`: Python's defaults for the indent.
    pub separators: Option<(String, String)>,
}

fn json_str(out: &mut String, s: &str, ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if ascii && !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", u));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `json.dumps` with the options filters pass.
pub(crate) fn json_dumps(v: &Value, o: &JsonOpts) -> String {
    let mut out = String::new();
    let (item_sep, key_sep) = match &o.separators {
        Some((i, k)) => (i.as_str(), k.as_str()),
        None if o.indent.is_some() => (",", ": "),
        None => (", ", ": "),
    };
    write_json(&mut out, v, o, item_sep, key_sep, 0);
    out
}

fn write_json(out: &mut String, v: &Value, o: &JsonOpts, isep: &str, ksep: &str, depth: usize) {
    let nl = |out: &mut String, d: usize| {
        if let Some(n) = o.indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * d));
        }
    };
    match v.kind() {
        ValueKind::None | ValueKind::Undefined => out.push_str("null"),
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            if v.is_integer() {
                out.push_str(&v.to_string());
            } else {
                let f = f64::try_from(v.clone()).unwrap_or(f64::NAN);
                out.push_str(&if f.is_nan() {
                    "NaN".to_string()
                } else if f.is_infinite() {
                    if f > 0.0 {
                        "Infinity".into()
                    } else {
                        "-Infinity".into()
                    }
                } else {
                    py_float(f)
                });
            }
        }
        ValueKind::String => json_str(out, v.as_str().unwrap_or_default(), o.ensure_ascii),
        ValueKind::Seq | ValueKind::Iterable => {
            let list: Vec<Value> = v.try_iter().map(|i| i.collect()).unwrap_or_default();
            if list.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, x) in list.iter().enumerate() {
                if i > 0 {
                    out.push_str(isep);
                }
                nl(out, depth + 1);
                write_json(out, x, o, isep, ksep, depth + 1);
            }
            nl(out, depth);
            out.push(']');
        }
        ValueKind::Map => {
            let mut keys: Vec<Value> = v.try_iter().map(|i| i.collect()).unwrap_or_default();
            if keys.is_empty() {
                out.push_str("{}");
                return;
            }
            if o.sort_keys {
                keys.sort_by_key(py_str);
            }
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(isep);
                }
                nl(out, depth + 1);
                let key = match k.kind() {
                    ValueKind::String => py_str(k),
                    ValueKind::Bool => (if k.is_true() { "true" } else { "false" }).to_string(),
                    ValueKind::None => "null".to_string(),
                    _ => py_str(k),
                };
                json_str(out, &key, o.ensure_ascii);
                out.push_str(ksep);
                write_json(
                    out,
                    &v.get_item(k).unwrap_or_default(),
                    o,
                    isep,
                    ksep,
                    depth + 1,
                );
            }
            nl(out, depth);
            out.push('}');
        }
        _ => json_str(out, &py_str(v), o.ensure_ascii),
    }
}

fn json_kwargs(kwargs: &Kwargs, indent: Option<usize>, sort: bool) -> Result<JsonOpts, Error> {
    let indent: Option<usize> = kwargs.get::<Option<usize>>("indent")?.or(indent);
    let sort_keys: bool = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(sort);
    let ensure_ascii: bool = kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true);
    // json.dumps' (item, key) separators: a pair of strings.
    let separators = match kwargs.get::<Option<Value>>("separators")? {
        Some(v) if !v.is_none() => {
            let parts = items(&v)?;
            match parts.as_slice() {
                [a, b] if a.as_str().is_some() && b.as_str().is_some() => {
                    Some((py_str(a), py_str(b)))
                }
                _ => {
                    return Err(err(format!(
                        "not enough values to unpack (expected 2, got {})",
                        parts.len()
                    )));
                }
            }
        }
        _ => None,
    };
    for k in [
        "vault_to_text",
        "preprocess_unsafe",
        "profile",
        "allow_nan",
        "skipkeys",
        "check_circular",
    ] {
        let _: Option<Value> = kwargs.get(k)?;
    }
    kwargs.assert_all_used()?;
    Ok(JsonOpts {
        indent,
        sort_keys,
        ensure_ascii,
        separators,
    })
}

fn to_json(v: Def, kwargs: Kwargs) -> Result<String, Error> {
    let o = json_kwargs(&kwargs, None, false)?;
    Ok(json_dumps(&v, &o))
}

fn to_nice_json(v: Def, indent: Option<usize>, kwargs: Kwargs) -> Result<String, Error> {
    let mut o = json_kwargs(&kwargs, Some(indent.unwrap_or(4)), true)?;
    o.separators = Some((",".into(), ": ".into()));
    Ok(json_dumps(&v, &o))
}

fn from_json(v: Def, kwargs: Kwargs) -> Result<Value, Error> {
    let _: Option<Value> = kwargs.get("profile")?;
    kwargs.assert_all_used()?;
    let s = match v.as_str() {
        Some(s) => s.to_string(),
        None => {
            return Err(err(format!(
                "the JSON object must be str, bytes or bytearray, not {}",
                py_type_name(&v)
            )));
        }
    };
    match serde_json::from_str::<serde_json::Value>(&s) {
        Ok(j) => Ok(json_to_value(&j)),
        Err(e) => {
            // Python's json also reads NaN, Infinity and -Infinity.
            let (marked, found) = mark_special_floats(&s);
            if found && let Ok(j) = serde_json::from_str::<serde_json::Value>(&marked) {
                return Ok(special_floats_to_value(&j));
            }
            Err(err(format!("Expecting value: {e}")))
        }
    }
}

/// The markers that stand for Python's non-finite JSON numbers while
/// serde_json reads the text (it has no NaN); a string of the text that
/// held one would have to spell the NULs as escapes.
const JSON_SPECIAL: [(&str, &str, f64); 3] = [
    ("-Infinity", "\u{0}kiln:-inf\u{0}", f64::NEG_INFINITY),
    ("Infinity", "\u{0}kiln:inf\u{0}", f64::INFINITY),
    ("NaN", "\u{0}kiln:nan\u{0}", f64::NAN),
];

/// `text` with each NaN/Infinity/-Infinity outside a string made a marker
/// string; whether there was one.
fn mark_special_floats(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut found = false;
    let mut in_str = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if let Some((word, marker, _)) = JSON_SPECIAL.iter().find(|(w, _, _)| rest.starts_with(w)) {
            // Written with JSON's escape: a raw NUL is not allowed there.
            out.push('"');
            out.push_str(&marker.replace('\0', "\\u0000"));
            out.push('"');
            rest = &rest[word.len()..];
            found = true;
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    (out, found)
}

fn special_floats_to_value(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::String(s) => JSON_SPECIAL
            .iter()
            .find(|(_, m, _)| m == s)
            .map(|(_, _, f)| Value::from(*f))
            .unwrap_or_else(|| Value::from(s.as_str())),
        serde_json::Value::Array(a) => {
            Value::from(a.iter().map(special_floats_to_value).collect::<Vec<_>>())
        }
        serde_json::Value::Object(m) => Value::from_pairs(
            m.iter()
                .map(|(k, v)| (Value::from(k.as_str()), special_floats_to_value(v)))
                .collect::<Vec<_>>(),
        ),
        other => json_to_value(other),
    }
}

/// An integer option of yaml.dump (`indent`, `width`): PyYAML's emitter
/// refuses anything else.
fn yaml_int(v: Option<Value>) -> Result<Option<i64>, Error> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => match v.kind() {
            ValueKind::Number if v.is_integer() => Ok(v.as_i64()),
            ValueKind::Bool => Ok(Some(i64::from(v.is_true()))),
            _ => Err(err("an integer is required")),
        },
    }
}

fn yaml_opts(
    kwargs: &Kwargs,
    indent: Option<Value>,
    flow: Option<bool>,
) -> Result<DumpOptions, Error> {
    // Ansible's filter already passes allow_unicode=True to yaml.dump.
    if kwargs.has("allow_unicode") {
        return Err(err(
            "yaml.dump() got multiple values for keyword argument 'allow_unicode'",
        ));
    }
    let indent = yaml_int(kwargs.get::<Option<Value>>("indent")?.or(indent))?;
    // PyYAML's Emitter: an indent of 2 to 9, else 2; a width over twice
    // the indent, else 80.
    let indent = indent
        .filter(|i| (2..10).contains(i))
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or(2);
    let flow: Option<bool> = match kwargs.get::<Option<Value>>("default_flow_style")? {
        Some(v) if v.is_none() => None,
        Some(v) => Some(v.is_true()),
        None => flow,
    };
    let sort_keys: bool = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true);
    let width = yaml_int(kwargs.get::<Option<Value>>("width")?)?
        .filter(|w| *w > 2 * indent as i64)
        .and_then(|w| usize::try_from(w).ok())
        .unwrap_or(80);
    let explicit_start: bool = kwargs
        .get::<Option<bool>>("explicit_start")?
        .unwrap_or(false);
    let explicit_end: bool = kwargs.get::<Option<bool>>("explicit_end")?.unwrap_or(false);
    let default_style = match kwargs.get::<Option<Value>>("default_style")? {
        None => None,
        Some(v) if v.is_none() || v.as_str() == Some("") => None,
        Some(v) if v.as_str() == Some("'") => Some('\''),
        Some(v) if v.as_str() == Some("\"") => Some('"'),
        // The literal and folded block styles for every scalar: PyYAML
        // tags and indents them in ways kiln does not write; refuse
        // rather than write other text.
        Some(v) => {
            return Err(err(format!(
                "default_style={} is not supported by kiln's YAML writer (only \"'\" and '\"')",
                crate::template::pyrepr::py_repr(&v)
            )));
        }
    };
    if kwargs
        .get::<Option<Value>>("canonical")?
        .is_some_and(|v| py_truthy(&v))
    {
        // Canonical YAML (explicit tags, `? key`, flow everything): not
        // written by kiln; refuse rather than write other text.
        return Err(err("canonical=True is not supported by kiln's YAML writer"));
    }
    for k in ["vault_behavior", "line_break", "encoding"] {
        let _: Option<Value> = kwargs.get(k)?;
    }
    kwargs.assert_all_used()?;
    Ok(DumpOptions {
        indent,
        default_flow_style: flow,
        sort_keys,
        width,
        explicit_start,
        explicit_end,
        default_style,
        inventory_tags: false,
        literal_multiline: None,
    })
}

fn to_yaml(v: Def, kwargs: Kwargs) -> Result<String, Error> {
    let o = yaml_opts(&kwargs, None, None)?;
    Ok(dump(&v, &o))
}

fn to_nice_yaml(v: Def, indent: Option<Value>, kwargs: Kwargs) -> Result<String, Error> {
    let indent = indent.or(Some(Value::from(4)));
    let o = yaml_opts(&kwargs, indent, Some(false))?;
    Ok(dump(&v, &o))
}

/// Loads YAML text the way Ansible's loader does (YAML 1.1 types).
pub(crate) fn yaml_to_value(s: &str) -> Result<Vec<Value>, Error> {
    let loaded = crate::yaml::load_str(s, "<string>").map_err(|e| err(e.to_string()))?;
    Ok(loaded
        .docs
        .iter()
        .map(|d| json_to_value(&d.to_json()))
        .collect())
}

fn from_yaml(v: Def) -> Result<Value, Error> {
    match v.kind() {
        ValueKind::None => Ok(v.0),
        ValueKind::String => Ok(yaml_to_value(v.as_str().unwrap_or_default())?
            .into_iter()
            .next()
            .unwrap_or(Value::from(()))),
        _ => Ok(v.0),
    }
}

fn from_yaml_all(v: Def) -> Result<Value, Error> {
    match v.kind() {
        ValueKind::None => Ok(Value::from(Vec::<Value>::new())),
        ValueKind::String => Ok(Value::from(yaml_to_value(v.as_str().unwrap_or_default())?)),
        _ => Ok(v.0),
    }
}

/// Ansible's `bool` filter.
fn to_bool(v: Def) -> bool {
    match v.kind() {
        ValueKind::Bool => v.is_true(),
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default().to_lowercase();
            match s.as_str() {
                "yes" | "on" | "true" | "1" => true,
                "no" | "off" | "false" | "0" => false,
                _ => false,
            }
        }
        ValueKind::Number if v.is_integer() => v.as_i64() == Some(1),
        // Deprecated coercion in Ansible: `value == 1`.
        ValueKind::Number => f64::try_from(v.clone()).ok() == Some(1.0),
        _ => false,
    }
}

fn ternary(v: Value, yes: Value, no: Value, none: Option<Value>) -> Value {
    if v.is_none()
        && let Some(n) = none.filter(|n| !n.is_none())
    {
        return n;
    }
    if py_truthy(&v) { yes } else { no }
}

fn mandatory(v: Value, msg: Option<String>) -> Result<Value, Error> {
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            msg.unwrap_or_else(|| "Mandatory variable not defined.".into()),
        ));
    }
    Ok(v)
}

/// Python's type name as `type_debug` shows it.
fn type_debug(v: &Value) -> String {
    if v.is_tuple() {
        return "tuple".into();
    }
    match v.kind() {
        ValueKind::Iterable => "generator".into(),
        _ => py_type_name(v).into(),
    }
}

fn dict2items(v: Def, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name: String = kwargs
        .get::<Option<String>>("key_name")?
        .unwrap_or_else(|| "key".into());
    let value_name: String = kwargs
        .get::<Option<String>>("value_name")?
        .unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    if v.kind() != ValueKind::Map {
        return Err(err(format!(
            "dict2items requires a dictionary, got <class '{}'> instead.",
            py_type_name(&v)
        )));
    }
    let mut out = Vec::new();
    for k in v.try_iter()? {
        let val = v.get_item(&k)?;
        out.push(Value::from_pairs([
            (Value::from(key_name.as_str()), k),
            (Value::from(value_name.as_str()), val),
        ]));
    }
    Ok(Value::from(out))
}

fn items2dict(v: Def, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name: String = kwargs
        .get::<Option<String>>("key_name")?
        .unwrap_or_else(|| "key".into());
    let value_name: String = kwargs
        .get::<Option<String>>("value_name")?
        .unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    if !matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable) {
        return Err(err(format!(
            "items2dict requires a list, got <class '{}'> instead.",
            py_type_name(&v)
        )));
    }
    let mut out: Vec<(Value, Value)> = Vec::new();
    for item in v.try_iter()? {
        if item.kind() != ValueKind::Map {
            return Err(err(format!(
                "items2dict requires a list of dictionaries, got {} instead.",
                py_repr(&v)
            )));
        }
        let k = item.get_attr(&key_name)?;
        let val = item.get_attr(&value_name)?;
        if k.is_undefined() || val.is_undefined() {
            return Err(err(format!(
                "items2dict requires each dictionary in the list to contain the keys '{key_name}' and '{value_name}', got {} instead.",
                py_repr(&v)
            )));
        }
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) => slot.1 = val,
            None => out.push((k, val)),
        }
    }
    Ok(Value::from_pairs(out))
}

/// An ordered dict being built (insertion order kept, later keys replace).
type Dict = Vec<(Value, Value)>;

fn to_dict(v: &Value) -> Result<Dict, Error> {
    let mut out = Vec::new();
    for k in v.try_iter()? {
        let val = v.get_item(&k)?;
        out.push((k, val));
    }
    Ok(out)
}

fn merge(a: &Value, b: &Value, recursive: bool, list_merge: &str) -> Result<Value, Error> {
    let mut out = to_dict(a)?;
    for (k, v) in to_dict(b)? {
        let existing = out.iter().position(|(x, _)| *x == k);
        let new = match existing.map(|i| out[i].1.clone()) {
            Some(old)
                if recursive && old.kind() == ValueKind::Map && v.kind() == ValueKind::Map =>
            {
                merge(&old, &v, recursive, list_merge)?
            }
            Some(old) if old.kind() == ValueKind::Seq && v.kind() == ValueKind::Seq => {
                let (o, n) = (items(&old)?, items(&v)?);
                match list_merge {
                    "keep" => old,
                    "append" => Value::from(o.into_iter().chain(n).collect::<Vec<_>>()),
                    "prepend" => Value::from(n.into_iter().chain(o).collect::<Vec<_>>()),
                    "append_rp" => {
                        let mut r: Vec<Value> = o.into_iter().filter(|x| !n.contains(x)).collect();
                        r.extend(n);
                        Value::from(r)
                    }
                    "prepend_rp" => {
                        let mut r = n.clone();
                        r.extend(o.into_iter().filter(|x| !n.contains(x)));
                        Value::from(r)
                    }
                    _ => v,
                }
            }
            _ => v,
        };
        match existing {
            Some(i) => out[i].1 = new,
            None => out.push((k, new)),
        }
    }
    Ok(Value::from_pairs(out))
}

fn combine(first: Value, rest: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive: bool = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge: String = kwargs
        .get::<Option<String>>("list_merge")?
        .unwrap_or_else(|| "replace".into());
    kwargs.assert_all_used()?;
    // `[d1, d2] | combine` flattens one level, as Ansible does.
    let mut dicts = Vec::new();
    for t in std::iter::once(first).chain(rest.iter().cloned()) {
        if matches!(t.kind(), ValueKind::Seq | ValueKind::Iterable) {
            dicts.extend(items(&t)?);
        } else {
            dicts.push(t);
        }
    }
    if dicts.is_empty() {
        return Ok(Value::from_pairs(Vec::<(Value, Value)>::new()));
    }
    if dicts.len() == 1 {
        return Ok(dicts.remove(0));
    }
    if !matches!(
        list_merge.as_str(),
        "replace" | "keep" | "append" | "prepend" | "append_rp" | "prepend_rp"
    ) {
        return Err(err(
            "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', 'append_rp' or 'prepend_rp'",
        ));
    }
    let mut acc = dicts[0].clone();
    for d in &dicts[1..] {
        if acc.kind() != ValueKind::Map || d.kind() != ValueKind::Map {
            return Err(err(format!(
                "failed to combine variables, expected dicts but got a '{}' and a '{}'.",
                py_type_name(&acc),
                py_type_name(d)
            )));
        }
        acc = merge(&acc, d, recursive, &list_merge)?;
    }
    Ok(acc)
}

fn getitem(container: &Value, key: &Value) -> Result<Value, Error> {
    let v = container.get_item(key)?;
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            format!(
                "object of type '{}' has no attribute {}",
                py_type_name(container),
                py_repr(key)
            ),
        ));
    }
    Ok(v)
}

fn extract(item: Value, container: Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut keys = vec![item];
    match morekeys {
        None => {}
        Some(m) if m.kind() == ValueKind::Seq => keys.extend(items(&m)?),
        Some(m) => keys.push(m),
    }
    let mut v = container;
    for k in &keys {
        v = getitem(&v, k)?;
    }
    Ok(v)
}

fn urlsplit(v: Def, query: Option<String>) -> Result<Value, Error> {
    let s = text(&v);
    let (scheme, rest) = match s.split_once(':') {
        Some((a, b))
            if !a.is_empty()
                && a.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (a.to_lowercase(), b.to_string())
        }
        _ => (String::new(), s.clone()),
    };
    let (netloc, rest) = match rest.strip_prefix("//") {
        Some(r) => {
            let end = r.find(['/', '?', '#']).unwrap_or(r.len());
            (r[..end].to_string(), r[end..].to_string())
        }
        None => (String::new(), rest),
    };
    let (rest, fragment) = match rest.split_once('#') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (rest, String::new()),
    };
    let (path, q) = match rest.split_once('?') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (rest, String::new()),
    };
    let (userinfo, hostport) = match netloc.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_string()), h.to_string()),
        None => (None, netloc.clone()),
    };
    let (username, password) = match &userinfo {
        Some(u) => match u.split_once(':') {
            Some((a, b)) => (Value::from(a), Value::from(b)),
            None => (Value::from(u.as_str()), Value::from(())),
        },
        None => (Value::from(()), Value::from(())),
    };
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        match h.split_once(']') {
            Some((a, b)) => (a.to_string(), b.strip_prefix(':').map(str::to_string)),
            None => (h.to_string(), None),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((a, b)) => (a.to_string(), Some(b.to_string())),
            None => (hostport.clone(), None),
        }
    };
    let hostname = if host.is_empty() {
        Value::from(())
    } else {
        Value::from(host.to_lowercase())
    };
    let port = match port.filter(|p| !p.is_empty()) {
        Some(p) => Value::from(
            p.parse::<i64>()
                .map_err(|_| err(format!("Port could not be cast to integer value as '{p}'")))?,
        ),
        None => Value::from(()),
    };
    let all = Value::from_pairs([
        ("fragment", Value::from(fragment)),
        ("hostname", hostname),
        ("netloc", Value::from(netloc)),
        ("password", password),
        ("path", Value::from(path)),
        ("port", port),
        ("query", Value::from(q)),
        ("scheme", Value::from(scheme)),
        ("username", username),
    ]);
    match query {
        None => Ok(all),
        Some(q) => attr_path(&all, &q)
            .or_else(|| all.get_attr(&q).ok().filter(|x| !x.is_undefined()))
            .ok_or_else(|| err(format!("urlsplit: unknown URL component: {q}"))),
    }
}
