// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Jinja2's builtin filters as Jinja2 (and Ansible's overrides of them)
//! behave: argument names and defaults, Python's sorting and rounding,
//! errors on missing attributes.

use super::{
    Def, attr_path, err, fold, from_i128, int, items, no_attr, num, py_cmp, text, with_state,
};
use crate::template::pyrepr::{py_str, py_truthy, py_type_name};
use minijinja::value::{Kwargs, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State};
use std::cmp::Ordering;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("map", map);
    env.add_filter("select", |s: &State, v: Def, a: Rest<ValueOrKwargs>| {
        select(s, v.0, &a.into_values(), true)
    });
    env.add_filter("reject", |s: &State, v: Def, a: Rest<ValueOrKwargs>| {
        select(s, v.0, &a.into_values(), false)
    });
    env.add_filter("selectattr", |s: &State, v: Def, a: Rest<ValueOrKwargs>| {
        selectattr(s, v.0, &a.into_values(), true)
    });
    env.add_filter("rejectattr", |s: &State, v: Def, a: Rest<ValueOrKwargs>| {
        selectattr(s, v.0, &a.into_values(), false)
    });
    env.add_filter("sort", sort);
    env.add_filter("unique", unique);
    env.add_filter("groupby", groupby);
    env.add_filter("dictsort", dictsort);
    env.add_filter("batch", batch);
    env.add_filter("slice", slice);
    env.add_filter("sum", sum);
    env.add_filter("round", round);
    env.add_filter("int", to_int);
    env.add_filter("float", to_float);
    env.add_filter("abs", abs);
    env.add_filter("string", |v: Def| py_str(&v));
    env.add_filter("list", |v: Def| -> Result<Value, Error> {
        Ok(Value::from(items(&v)?))
    });
    env.add_filter("join", join);
    env.add_filter("first", first);
    env.add_filter("last", last);
    env.add_filter("length", length);
    env.add_filter("count", length);
    env.add_filter("reverse", reverse);
    env.add_filter("min", |s: &State, v: Def, k: Kwargs| {
        min_max(s, v.0, k, Ordering::Less)
    });
    env.add_filter("max", |s: &State, v: Def, k: Kwargs| {
        min_max(s, v.0, k, Ordering::Greater)
    });
    env.add_filter("items", |v: Def| -> Result<Value, Error> {
        if v.is_undefined() {
            return Ok(Value::from(Vec::<Value>::new()));
        }
        if v.kind() != ValueKind::Map {
            return Err(err(format!(
                "Can only get item pairs from a mapping, got {}",
                py_type_name(&v)
            )));
        }
        pairs(&v)
    });
    env.add_filter("attr", |v: Def, name: String| -> Result<Value, Error> {
        let a = v.get_attr(&name)?;
        if a.is_undefined() {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "Type 'builtin_function_or_method' is unsupported for variable storage ({name})"
                ),
            ));
        }
        Ok(a)
    });
    env.add_filter("random", random);
    // Python's dict(): a mapping or (key, value) pairs, plus keywords.
    env.add_function(
        "dict",
        |args: Rest<ValueOrKwargs>| -> Result<Value, Error> {
            let args = args.into_values();
            let (pos, kw) = split_kwargs(&args);
            let mut out: Vec<(Value, Value)> = Vec::new();
            let mut put = |k: Value, v: Value| match out.iter_mut().find(|(x, _)| *x == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            };
            if let Some(src) = pos.first() {
                if src.kind() == ValueKind::Map {
                    for k in src.try_iter()? {
                        let v = src.get_item(&k)?;
                        put(k, v);
                    }
                } else {
                    for pair in items(src)? {
                        let p = items(&pair)?;
                        if p.len() != 2 {
                            return Err(err(format!(
                                "dictionary update sequence element has length {}; 2 is required",
                                p.len()
                            )));
                        }
                        put(p[0].clone(), p[1].clone());
                    }
                }
            }
            if let Some(kw) = kw {
                for k in kw.try_iter()? {
                    let v = kw.get_item(&k)?;
                    put(k, v);
                }
            }
            Ok(Value::from_pairs(out))
        },
    );
}

fn default(v: Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    // Read by hand: an undefined default value must stay undefined (for a
    // chain like `a | default(b) | default(c)`), not become "missing".
    let args = args.into_values();
    let (pos, kw) = split_kwargs(&args);
    let kw_get = |k: &str| {
        kw.as_ref()
            .and_then(|m| m.get_attr(k).ok())
            .filter(|x| !x.is_undefined())
    };
    let dflt = match pos.first() {
        Some(d) => d.clone(),
        None => kw_get("default_value").unwrap_or_else(|| Value::from("")),
    };
    let boolean = match pos.get(1) {
        Some(b) => b.is_true(),
        None => kw_get("boolean").is_some_and(|b| b.is_true()),
    };
    if pos.len() > 2 {
        return Err(Error::from(ErrorKind::TooManyArguments));
    }
    if v.is_undefined() || (boolean && !py_truthy(&v)) {
        Ok(dflt)
    } else {
        Ok(v)
    }
}

fn pairs(v: &Value) -> Result<Value, Error> {
    let mut out = Vec::new();
    for k in v.try_iter()? {
        let val = v.get_item(&k)?;
        out.push(Value::from(vec![k, val]));
    }
    Ok(Value::from(out))
}

fn map(state: &State, v: Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let args = args.into_values();
    let (pos, kwargs) = split_kwargs(&args);
    let list = items(&v)?;
    if let Some(kw) = &kwargs
        && let Ok(attr) = kw.get_attr("attribute")
        && !attr.is_undefined()
    {
        {
            {
                let dflt = kw.get_attr("default").ok().filter(|d| !d.is_undefined());
                let path = py_str(&attr);
                let mut out = Vec::with_capacity(list.len());
                for item in list {
                    match attr_path(&item, &path) {
                        Some(x) => out.push(x),
                        None => match &dflt {
                            Some(d) => out.push(d.clone()),
                            None => return Err(no_attr(&item, &path)),
                        },
                    }
                }
                return Ok(Value::from(out));
            }
        }
    }
    let Some(name) = pos.first().and_then(|n| {
        n.as_str()
            .map(|s| crate::template::syntax::short_name(s).to_string())
    }) else {
        return Ok(Value::from(list));
    };
    with_state(state, |st| {
        let mut call_args: Vec<Value> = Vec::with_capacity(pos.len() + 1);
        let mut out = Vec::with_capacity(list.len());
        for item in list {
            call_args.clear();
            call_args.push(item);
            call_args.extend(pos[1..].iter().cloned());
            if let Some(kw) = &kwargs {
                call_args.push(kw.clone());
            }
            out.push(st.apply_filter(&name, &call_args).map_err(|e| {
                if e.kind() == ErrorKind::UnknownFilter {
                    err(format!("No filter named '{name}'."))
                } else {
                    e
                }
            })?);
        }
        Ok(Value::from(out))
    })
}

/// Splits trailing keyword arguments off a `Rest` of filter arguments.
fn split_kwargs(args: &[Value]) -> (&[Value], Option<Value>) {
    match args.last() {
        Some(l) if l.is_kwargs() => (&args[..args.len() - 1], Some(l.clone())),
        _ => (args, None),
    }
}

fn select(state: &State, v: Value, args: &[Value], keep: bool) -> Result<Value, Error> {
    let (pos, kwargs) = split_kwargs(args);
    let mut out = Vec::new();
    for item in items(&v)? {
        let ok = match pos.first() {
            Some(name) => {
                let mut extra: Vec<Value> = pos[1..].to_vec();
                if let Some(kw) = &kwargs {
                    extra.push(kw.clone());
                }
                test_value(state, &py_str(name), item.clone(), &extra)?
            }
            None => py_truthy(&item),
        };
        if ok == keep {
            out.push(item);
        }
    }
    Ok(Value::from(out))
}

fn test_value(state: &State, name: &str, value: Value, extra: &[Value]) -> Result<bool, Error> {
    let name = match crate::template::syntax::short_name(name) {
        "==" => "eq",
        "!=" => "ne",
        "<" => "lt",
        "<=" => "le",
        ">" => "gt",
        ">=" => "ge",
        n => n,
    };
    let mut a = Vec::with_capacity(extra.len() + 1);
    a.push(value);
    a.extend(extra.iter().cloned());
    with_state(state, |st| {
        st.perform_test(name, &a).map_err(|e| {
            if e.kind() == ErrorKind::UnknownTest {
                err(format!("No test named '{name}'."))
            } else {
                e
            }
        })
    })
}

fn selectattr(state: &State, v: Value, args: &[Value], keep: bool) -> Result<Value, Error> {
    let (pos, kwargs) = split_kwargs(args);
    let Some(attr) = pos.first().map(py_str) else {
        return Err(err("Missing parameter for attribute name"));
    };
    let mut out = Vec::new();
    for item in items(&v)? {
        let val = attr_path(&item, &attr);
        let ok = match pos.get(1) {
            Some(name) => {
                let mut extra: Vec<Value> = pos[2..].to_vec();
                if let Some(kw) = &kwargs {
                    extra.push(kw.clone());
                }
                let val = match val {
                    Some(x) => x,
                    None if item.kind() == ValueKind::Map => Value::UNDEFINED,
                    None => return Err(no_attr(&item, &attr)),
                };
                test_value(state, &py_str(name), val, &extra)?
            }
            None => match val {
                Some(x) => py_truthy(&x),
                None => return Err(no_attr(&item, &attr)),
            },
        };
        if ok == keep {
            out.push(item);
        }
    }
    Ok(Value::from(out))
}

/// A sort key for an item: the attribute(s) or the item, case-folded.
fn sort_key(item: &Value, attrs: &[String], case_sensitive: bool) -> Result<Vec<Value>, Error> {
    if attrs.is_empty() {
        return Ok(vec![fold(item, case_sensitive)]);
    }
    attrs
        .iter()
        .map(|a| {
            attr_path(item, a)
                .map(|v| fold(&v, case_sensitive))
                .ok_or_else(|| no_attr(item, a))
        })
        .collect()
}

fn cmp_keys(a: &[Value], b: &[Value]) -> Result<Ordering, Error> {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = py_cmp(x, y)?;
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(Ordering::Equal)
}

/// A stable sort whose comparison can fail (Python raises on mixed types).
fn try_sort<T>(
    v: &mut [T],
    mut cmp: impl FnMut(&T, &T) -> Result<Ordering, Error>,
) -> Result<(), Error> {
    let mut failure = None;
    v.sort_by(|a, b| match cmp(a, b) {
        Ok(o) => o,
        Err(e) => {
            failure.get_or_insert(e);
            Ordering::Equal
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn sort(
    v: Value,
    reverse: Option<bool>,
    case_sensitive: Option<bool>,
    attribute: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let reverse = reverse.or(kwargs.get("reverse")?).unwrap_or(false);
    let cs = case_sensitive
        .or(kwargs.get("case_sensitive")?)
        .unwrap_or(false);
    let attribute: Option<Value> = attribute.or(kwargs.get("attribute")?);
    kwargs.assert_all_used()?;
    let attrs: Vec<String> = match &attribute {
        Some(a) if !a.is_none() => py_str(a).split(',').map(|s| s.trim().to_string()).collect(),
        _ => Vec::new(),
    };
    let mut keyed = Vec::new();
    for item in items(&v)? {
        keyed.push((sort_key(&item, &attrs, cs)?, item));
    }
    try_sort(&mut keyed, |a, b| {
        let o = cmp_keys(&a.0, &b.0)?;
        Ok(if reverse { o.reverse() } else { o })
    })?;
    Ok(Value::from(
        keyed.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    ))
}

fn unique(
    v: Value,
    case_sensitive: Option<bool>,
    attribute: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let cs = case_sensitive
        .or(kwargs.get("case_sensitive")?)
        .unwrap_or(false);
    let attribute: Option<Value> = attribute.or(kwargs.get("attribute")?);
    kwargs.assert_all_used()?;
    let attr = attribute.filter(|a| !a.is_none()).map(|a| py_str(&a));
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for item in items(&v)? {
        let key = match &attr {
            Some(a) => attr_path(&item, a).ok_or_else(|| no_attr(&item, a))?,
            None => item.clone(),
        };
        let key = fold(&key, cs);
        if !seen.contains(&key) {
            seen.push(key);
            out.push(item);
        }
    }
    Ok(Value::from(out))
}

fn groupby(
    v: Value,
    attribute: Option<Value>,
    default: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let attribute: Option<Value> = attribute.or(kwargs.get("attribute")?);
    let default: Option<Value> = default.or(kwargs.get("default")?);
    let cs: bool = kwargs
        .get::<Option<bool>>("case_sensitive")?
        .unwrap_or(false);
    kwargs.assert_all_used()?;
    let attr = attribute
        .map(|a| py_str(&a))
        .ok_or_else(|| err("groupby needs an attribute"))?;
    let mut keyed = Vec::new();
    for item in items(&v)? {
        let k = match attr_path(&item, &attr) {
            Some(k) => k,
            None => default.clone().ok_or_else(|| no_attr(&item, &attr))?,
        };
        keyed.push((fold(&k, cs), k, item));
    }
    try_sort(&mut keyed, |a, b| py_cmp(&a.0, &b.0))?;
    let mut groups: Vec<(Value, Value, Vec<Value>)> = Vec::new();
    for (folded, k, item) in keyed {
        match groups.last_mut() {
            Some(g) if g.0 == folded => g.2.push(item),
            _ => groups.push((folded, k, vec![item])),
        }
    }
    Ok(Value::from(
        groups
            .into_iter()
            .map(|(_, k, list)| Value::from_object(GroupTuple(k, Value::from(list))))
            .collect::<Vec<_>>(),
    ))
}

/// Jinja's `(grouper, list)` named tuple.
#[derive(Debug)]
struct GroupTuple(Value, Value);

impl minijinja::value::Object for GroupTuple {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
        match (key.as_usize(), key.as_str()) {
            (Some(0), _) | (_, Some("grouper")) => Some(self.0.clone()),
            (Some(1), _) | (_, Some("list")) => Some(self.1.clone()),
            _ => None,
        }
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(2)
    }
}

fn dictsort(
    v: Value,
    case_sensitive: Option<bool>,
    by: Option<String>,
    reverse: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let cs = case_sensitive
        .or(kwargs.get("case_sensitive")?)
        .unwrap_or(false);
    let by = by.or(kwargs.get("by")?).unwrap_or_else(|| "key".into());
    let reverse = reverse.or(kwargs.get("reverse")?).unwrap_or(false);
    kwargs.assert_all_used()?;
    if v.kind() != ValueKind::Map {
        return Err(err("You can only sort by either \"key\" or \"value\""));
    }
    let idx = match by.as_str() {
        "key" => 0,
        "value" => 1,
        _ => return Err(err("You can only sort by either \"key\" or \"value\"")),
    };
    let mut list: Vec<(Value, Value)> = Vec::new();
    for k in v.try_iter()? {
        let val = v.get_item(&k)?;
        list.push((k, val));
    }
    try_sort(&mut list, |a, b| {
        let (x, y) = if idx == 0 { (&a.0, &b.0) } else { (&a.1, &b.1) };
        let o = py_cmp(&fold(x, cs), &fold(y, cs))?;
        Ok(if reverse { o.reverse() } else { o })
    })?;
    Ok(Value::from(
        list.into_iter()
            .map(|(k, v)| Value::from(vec![k, v]))
            .collect::<Vec<_>>(),
    ))
}

fn batch(v: Def, count: usize, fill: Option<Value>) -> Result<Value, Error> {
    if count == 0 {
        return Err(err("batch size must be positive"));
    }
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for item in items(&v)? {
        cur.push(item);
        if cur.len() == count {
            out.push(Value::from(std::mem::take(&mut cur)));
        }
    }
    if !cur.is_empty() {
        if let Some(f) = fill {
            while cur.len() < count {
                cur.push(f.clone());
            }
        }
        out.push(Value::from(cur));
    }
    Ok(Value::from(out))
}

fn slice(v: Def, slices: usize, fill: Option<Value>) -> Result<Value, Error> {
    if slices == 0 {
        return Err(err("slice count must be positive"));
    }
    let seq = items(&v)?;
    let length = seq.len();
    let per = length / slices;
    let extra = length % slices;
    let mut offset = 0;
    let mut out = Vec::new();
    for i in 0..slices {
        let start = offset + i * per;
        if i < extra {
            offset += 1;
        }
        let end = offset + (i + 1) * per;
        let mut part: Vec<Value> = seq[start.min(length)..end.min(length)].to_vec();
        if let Some(f) = &fill
            && i >= extra
        {
            part.push(f.clone());
        }
        out.push(Value::from(part));
    }
    Ok(Value::from(out))
}

/// Python's `a + b` for the values `sum` adds.
pub(super) fn py_add(a: &Value, b: &Value) -> Result<Value, Error> {
    match (a.kind(), b.kind()) {
        (ValueKind::Number | ValueKind::Bool, ValueKind::Number | ValueKind::Bool) => {
            match (int(a), int(b)) {
                (Some(x), Some(y)) => Ok(from_i128(x + y)),
                _ => Ok(Value::from(num(a) + num(b))),
            }
        }
        (ValueKind::Seq, ValueKind::Seq) => {
            let mut l = items(a)?;
            l.extend(items(b)?);
            Ok(Value::from(l))
        }
        (ValueKind::String, ValueKind::String) => {
            Ok(Value::from(format!("{}{}", text(a), text(b))))
        }
        _ => Err(err(format!(
            "unsupported operand type(s) for +: '{}' and '{}'",
            py_type_name(a),
            py_type_name(b)
        ))),
    }
}

fn sum(
    v: Value,
    attribute: Option<Value>,
    start: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let attribute: Option<Value> = attribute.or(kwargs.get("attribute")?);
    let start: Option<Value> = start.or(kwargs.get("start")?);
    kwargs.assert_all_used()?;
    let mut acc = start.unwrap_or(Value::from(0));
    let attr = attribute.map(|a| py_str(&a));
    for item in items(&v)? {
        let x = match &attr {
            Some(a) => attr_path(&item, a).ok_or_else(|| no_attr(&item, a))?,
            None => item,
        };
        acc = py_add(&acc, &x)?;
    }
    Ok(acc)
}

/// Python's round-half-even at `precision` digits, on the decimal value the
/// float prints as (Python rounds the exact binary value; `repr` digits
/// agree for the values templates use).
fn round(v: Def, precision: Option<i32>, method: Option<String>) -> Result<Value, Error> {
    let p = precision.unwrap_or(0);
    let method = method.unwrap_or_else(|| "common".into());
    if !matches!(method.as_str(), "common" | "ceil" | "floor") {
        return Err(err("method must be 'common', 'ceil' or 'floor'"));
    }
    if !matches!(v.kind(), ValueKind::Number | ValueKind::Bool) {
        return Err(err(format!(
            "type {} doesn't define __round__ method",
            py_type_name(&v)
        )));
    }
    if method == "common" && v.is_integer() && v.kind() == ValueKind::Number {
        return Ok(v.0);
    }
    let f = num(&v);
    let m = 10f64.powi(p);
    let r = match method.as_str() {
        "ceil" => (f * m).ceil() / m,
        "floor" => (f * m).floor() / m,
        _ => round_half_even(f, p),
    };
    Ok(Value::from(r))
}

pub(super) fn round_half_even(f: f64, p: i32) -> f64 {
    // Use the exact decimal expansion of the float, as Python does.
    let s = format!("{:.*}", (p + 30).max(0) as usize, f);
    let neg = s.starts_with('-');
    let s = s.trim_start_matches('-');
    let (ip, fp) = s.split_once('.').unwrap_or((s, ""));
    let keep = p.max(0) as usize;
    let digits: String = format!("{ip}{}", &fp[..keep.min(fp.len())]);
    let rest = &fp[keep.min(fp.len())..];
    let mut n: i128 = digits.parse().unwrap_or(0);
    let first = rest.chars().next().unwrap_or('0');
    let tail_nonzero = rest.chars().skip(1).any(|c| c != '0');
    if first > '5' || (first == '5' && (tail_nonzero || n % 2 == 1)) {
        n += 1;
    }
    let r = n as f64 / 10f64.powi(keep as i32);
    if neg { -r } else { r }
}

fn parse_int_text(s: &str, base: u32) -> Option<i128> {
    let t = s.trim().replace('_', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, t.trim_start_matches('+').to_string()),
    };
    let lower = t.to_lowercase();
    let (base, digits) = match base {
        0 | 16 if lower.starts_with("0x") => (16, &t[2..]),
        0 | 8 if lower.starts_with("0o") => (8, &t[2..]),
        0 | 2 if lower.starts_with("0b") => (2, &t[2..]),
        0 => {
            if t.len() > 1 && t.starts_with('0') && t.chars().any(|c| c != '0') {
                return None;
            }
            (10, t.as_str())
        }
        b => (b, t.as_str()),
    };
    let n = i128::from_str_radix(digits, base).ok()?;
    Some(if neg { -n } else { n })
}

fn to_int(
    v: Def,
    default: Option<Value>,
    base: Option<u32>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let default: Option<Value> = default.or(kwargs.get("default")?);
    let base: Option<u32> = base.or(kwargs.get("base")?);
    kwargs.assert_all_used()?;
    let dflt = || default.clone().unwrap_or(Value::from(0));
    Ok(match v.kind() {
        ValueKind::Bool => Value::from(i64::from(v.is_true())),
        ValueKind::Number if v.is_integer() => v.0,
        ValueKind::Number => Value::from(num(&v).trunc() as i64),
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default();
            match parse_int_text(s, base.unwrap_or(10)) {
                Some(i) => from_i128(i),
                None => match s.trim().parse::<f64>() {
                    Ok(f) if base.unwrap_or(10) == 10 && f.is_finite() => {
                        Value::from(f.trunc() as i64)
                    }
                    _ => dflt(),
                },
            }
        }
        _ => dflt(),
    })
}

fn to_float(v: Def, default: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let default: Option<Value> = default.or(kwargs.get("default")?);
    kwargs.assert_all_used()?;
    Ok(match v.kind() {
        ValueKind::Bool | ValueKind::Number => Value::from(num(&v)),
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default().trim().to_lowercase();
            let parsed = match s.as_str() {
                "nan" | "+nan" | "-nan" => Some(f64::NAN),
                "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
                "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
                _ => s
                    .replace('_', "")
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite()),
            };
            match parsed {
                Some(f) => Value::from(f),
                None => default.unwrap_or(Value::from(0.0)),
            }
        }
        _ => default.unwrap_or(Value::from(0.0)),
    })
}

fn abs(v: Def) -> Result<Value, Error> {
    match (int(&v), v.kind()) {
        (Some(i), _) => Ok(from_i128(i.abs())),
        (None, ValueKind::Number) => Ok(Value::from(num(&v).abs())),
        _ => Err(err(format!(
            "bad operand type for abs(): '{}'",
            py_type_name(&v)
        ))),
    }
}

fn join(
    v: Value,
    sep: Option<Value>,
    attribute: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let sep: Option<Value> = sep.or(kwargs.get("d")?);
    let attribute: Option<Value> = attribute.or(kwargs.get("attribute")?);
    kwargs.assert_all_used()?;
    let sep = sep.map(|s| py_str(&s)).unwrap_or_default();
    let attr = attribute.map(|a| py_str(&a));
    let mut parts = Vec::new();
    for item in items(&v)? {
        let x = match &attr {
            Some(a) => attr_path(&item, a).ok_or_else(|| no_attr(&item, a))?,
            None => item,
        };
        parts.push(py_str(&x));
    }
    Ok(Value::from(parts.join(&sep)))
}

fn first(v: Def) -> Result<Value, Error> {
    if v.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, "undefined value"));
    }
    items(&v)?
        .into_iter()
        .next()
        .ok_or_else(|| err("No first item, sequence was empty."))
}

fn last(v: Def) -> Result<Value, Error> {
    if v.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, "undefined value"));
    }
    items(&v)?
        .into_iter()
        .last()
        .ok_or_else(|| err("No last item, sequence was empty."))
}

fn length(v: Def) -> Result<Value, Error> {
    match v.kind() {
        ValueKind::String => Ok(Value::from(
            v.as_str().unwrap_or_default().chars().count() as i64
        )),
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => {
            Ok(Value::from(items(&v)?.len() as i64))
        }
        ValueKind::Undefined => Ok(Value::from(0)),
        _ => Err(err(format!(
            "object of type '{}' has no len()",
            py_type_name(&v)
        ))),
    }
}

fn reverse(v: Def) -> Result<Value, Error> {
    match v.kind() {
        ValueKind::String => Ok(Value::from(
            v.as_str()
                .unwrap_or_default()
                .chars()
                .rev()
                .collect::<String>(),
        )),
        _ => {
            let mut l = items(&v)?;
            l.reverse();
            Ok(Value::from(l))
        }
    }
}

fn min_max(_state: &State, v: Value, kwargs: Kwargs, want: Ordering) -> Result<Value, Error> {
    let attr: Option<String> = kwargs.get("attribute")?;
    let cs: bool = kwargs
        .get::<Option<bool>>("case_sensitive")?
        .unwrap_or(false);
    kwargs.assert_all_used()?;
    let mut best: Option<(Vec<Value>, Value)> = None;
    let attrs: Vec<String> = attr.into_iter().collect();
    for item in items(&v)? {
        let key = sort_key(&item, &attrs, cs)?;
        let replace = match &best {
            None => true,
            Some((bk, _)) => cmp_keys(&key, bk)? == want,
        };
        if replace {
            best = Some((key, item));
        }
    }
    best.map(|(_, v)| v).ok_or_else(|| {
        err(format!(
            "{}() iterable argument is empty",
            if want == Ordering::Less { "min" } else { "max" }
        ))
    })
}

fn random(v: Def, start: Option<i64>, step: Option<i64>, kwargs: Kwargs) -> Result<Value, Error> {
    use rand::Rng;
    let start: Option<i64> = start.or(kwargs.get("start")?);
    let step: Option<i64> = step.or(kwargs.get("step")?);
    let seed: Option<Value> = kwargs.get("seed")?;
    kwargs.assert_all_used()?;
    // With a seed, Python's own generator: the same number on every run.
    let mut seeded = seed
        .filter(|s| !s.is_none())
        .map(|s| super::pyrandom::PyRandom::new(super::pyrandom_seed(&s)));
    if let Some(end) = int(&v) {
        // `not start` / `not step` in Python: 0 counts as absent.
        let start = i128::from(start.filter(|s| *s != 0).unwrap_or(0));
        let step = i128::from(step.filter(|s| *s != 0).unwrap_or(1));
        let drawn = match &mut seeded {
            Some(r) => r.randrange(start, end, step),
            None => {
                let width = end - start;
                let n = if step > 0 {
                    (width + step - 1).div_euclid(step)
                } else {
                    (width + step + 1).div_euclid(step)
                };
                (n > 0).then(|| start + step * rand::thread_rng().gen_range(0..n))
            }
        };
        return drawn
            .map(from_i128)
            .ok_or_else(|| err(format!("empty range in randrange({start}, {end}, {step})")));
    }
    if start.is_some() || step.is_some() {
        return Err(err("start and step can only be used with integer values"));
    }
    let list = items(&v)?;
    let i = match &mut seeded {
        Some(r) => r.choice(list.len()),
        None => (!list.is_empty()).then(|| rand::thread_rng().gen_range(0..list.len())),
    };
    i.map(|i| list[i].clone())
        .ok_or_else(|| err("Cannot choose from an empty sequence"))
}
