// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Tests (`x is ...`): Jinja2's where minijinja's differ, and
//! ansible.builtin's (results, regex, version, sets, truthiness, files,
//! URIs).

use super::filters::{Def, err, items, regex_compile};
use super::pyrepr::{py_str, py_truthy};
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, State};
use std::cmp::Ordering;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub(super) fn register(env: &mut Environment<'static>) {
    // Ansible's tests fail on an undefined value (only `defined` and
    // `undefined` take one).
    env.add_test("none", |v: Def| v.is_none());
    env.add_test("sequence", |v: Def| {
        matches!(
            v.kind(),
            ValueKind::Seq | ValueKind::String | ValueKind::Map | ValueKind::Iterable
        )
    });
    env.add_test("callable", |v: Def| {
        v.as_object().is_some()
            && !matches!(
                v.kind(),
                ValueKind::Seq | ValueKind::Map | ValueKind::Iterable
            )
    });
    env.add_test("escaped", |v: Value| v.is_safe());
    env.add_test("sameas", sameas);
    env.add_test(super::syntax::ATTR_DEFINED_TEST, attr_defined);
    env.add_test("filter", |s: &State, name: String| filter_exists(s, &name));
    env.add_test("test", |s: &State, name: String| test_exists(s, &name));
    for (name, f) in [
        ("failed", Status::Failed),
        ("failure", Status::Failed),
        ("succeeded", Status::Succeeded),
        ("success", Status::Succeeded),
        ("successful", Status::Succeeded),
        ("changed", Status::Changed),
        ("change", Status::Changed),
        ("skipped", Status::Skipped),
        ("skip", Status::Skipped),
        ("finished", Status::Finished),
        ("started", Status::Started),
        ("reachable", Status::Reachable),
        ("unreachable", Status::Unreachable),
        ("timedout", Status::TimedOut),
    ] {
        env.add_test(name, move |v: Value| result_test(&v, f));
    }
    env.add_test(
        "match",
        |v: Value, p: Value, i: Option<bool>, m: Option<bool>, k: Kwargs| {
            regex_test(&v, &pattern(&p)?, i, m, k, "match")
        },
    );
    env.add_test(
        "search",
        |v: Value, p: Value, i: Option<bool>, m: Option<bool>, k: Kwargs| {
            regex_test(&v, &pattern(&p)?, i, m, k, "search")
        },
    );
    env.add_test(
        "regex",
        |v: Value, p: Value, i: Option<bool>, m: Option<bool>, k: Kwargs| -> Result<bool, Error> {
            let mt: Option<String> = k.get("match_type")?;
            regex_test(
                &v,
                &pattern(&p)?,
                i,
                m,
                k,
                mt.as_deref().unwrap_or("search"),
            )
        },
    );
    env.add_test("version", version_test);
    env.add_test("version_compare", version_test);
    for name in ["subset", "issubset"] {
        env.add_test(name, |a: Value, b: Value| -> Result<bool, Error> {
            let (a, b) = (set_items(&a)?, set_items(&b)?);
            Ok(a.iter().all(|x| b.contains(x)))
        });
    }
    for name in ["superset", "issuperset"] {
        env.add_test(name, |a: Value, b: Value| -> Result<bool, Error> {
            let (a, b) = (set_items(&a)?, set_items(&b)?);
            Ok(b.iter().all(|x| a.contains(x)))
        });
    }
    env.add_test("contains", |seq: Value, x: Value| -> Result<bool, Error> {
        contains(&seq, &x)
    });
    env.add_test("in", |x: Value, seq: Value| -> Result<bool, Error> {
        contains(&seq, &x)
    });
    env.add_test("any", |v: Value| -> Result<bool, Error> {
        Ok(items(&v)?.iter().any(py_truthy))
    });
    env.add_test("all", |v: Value| -> Result<bool, Error> {
        Ok(items(&v)?.iter().all(py_truthy))
    });
    env.add_test("truthy", |v: Value, k: Kwargs| -> Result<bool, Error> {
        truthy(&v, k)
    });
    env.add_test("falsy", |v: Value, k: Kwargs| -> Result<bool, Error> {
        truthy(&v, k).map(|t| !t)
    });
    env.add_test("nan", |v: Value| {
        v.kind() == ValueKind::Number && !v.is_integer() && f64::try_from(v).is_ok_and(f64::is_nan)
    });
    env.add_test("isnan", |v: Value| {
        v.kind() == ValueKind::Number && !v.is_integer() && f64::try_from(v).is_ok_and(f64::is_nan)
    });
    env.add_test("vault_encrypted", |v: Value| {
        super::filters::is_vault_encrypted(&v)
    });
    env.add_test("vaulted_file", |v: Value| -> Result<bool, Error> {
        let p = py_str(&v);
        let data = std::fs::read(&p)
            .map_err(|_| err(format!("Cannot test if the file '{p}' is a vault.")))?;
        Ok(data.starts_with(b"$ANSIBLE_VAULT;"))
    });
    for name in ["file", "is_file"] {
        env.add_test(name, |v: Value| Path::new(&py_str(&v)).is_file());
    }
    for name in ["directory", "is_dir"] {
        env.add_test(name, |v: Value| Path::new(&py_str(&v)).is_dir());
    }
    for name in ["link", "is_link"] {
        env.add_test(name, |v: Value| Path::new(&py_str(&v)).is_symlink());
    }
    env.add_test("exists", |v: Value| Path::new(&py_str(&v)).exists());
    env.add_test("link_exists", |v: Value| {
        std::fs::symlink_metadata(py_str(&v)).is_ok()
    });
    for name in ["abs", "is_abs"] {
        env.add_test(name, |v: Value| py_str(&v).starts_with('/'));
    }
    for name in ["same_file", "is_same_file"] {
        env.add_test(name, |a: Value, b: Value| -> Result<bool, Error> {
            let (ma, mb) = (
                std::fs::metadata(py_str(&a)).map_err(|e| err(e.to_string()))?,
                std::fs::metadata(py_str(&b)).map_err(|e| err(e.to_string()))?,
            );
            Ok(ma.dev() == mb.dev() && ma.ino() == mb.ino())
        });
    }
    for name in ["mount", "is_mount"] {
        env.add_test(name, |v: Value| is_mount(&py_str(&v)));
    }
    env.add_test("uri", |v: Value, schemes: Option<Value>| {
        uri_test(&v, schemes.as_ref(), false)
    });
    env.add_test("url", |v: Value, schemes: Option<Value>| {
        uri_test(&v, schemes.as_ref(), true)
    });
    env.add_test("urn", |v: Value| {
        uri_test(&v, Some(&Value::from(vec!["urn"])), false)
    });
}

/// Whether a filter or test of that name exists: run it and see whether
/// the error (if any) is "unknown".
fn exists(s: &State, name: &str, filter: bool) -> bool {
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        || name.is_empty()
    {
        return false;
    }
    // ansible.builtin's and ansible.legacy's names are the plain ones.
    let name = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(name);
    let src = if filter {
        format!("{{{{ none | {name} }}}}")
    } else {
        format!("{{{{ none is {name} }}}}")
    };
    match s.env().render_str(&src, ()) {
        Ok(_) => true,
        Err(e) => !matches!(
            e.kind(),
            minijinja::ErrorKind::UnknownFilter | minijinja::ErrorKind::UnknownTest
        ),
    }
}

/// Whether `v.name` is defined as Jinja2 reads it: a method of the
/// value's Python type (`l.append`), else the item of that name.
fn attr_defined(v: Value, name: String) -> bool {
    use super::syntax::{DICT_METHODS, FLOAT_METHODS, INT_METHODS, LIST_METHODS, STR_METHODS};
    let methods: &[&str] = match v.kind() {
        ValueKind::String => STR_METHODS,
        ValueKind::Seq => LIST_METHODS,
        ValueKind::Map => DICT_METHODS,
        ValueKind::Bool => INT_METHODS,
        ValueKind::Number if v.is_integer() => INT_METHODS,
        ValueKind::Number => FLOAT_METHODS,
        _ => &[],
    };
    methods.contains(&name.as_str()) || v.get_attr(&name).is_ok_and(|x| !x.is_undefined())
}

/// Jinja2's `sameas` is Python's `is`. `None`, `True` and `False` are
/// singletons, so identity is equality there; containers are the same
/// object only if they are one value. Two unequal values are never the same
/// object. Two equal numbers or strings are the case kiln cannot decide:
/// ansible-core 2.21 tags the values of variables (a subclass instance per
/// value), so `n is sameas 3` is false for `n: 3` while `3 is sameas 3` is
/// true, and kiln does not track where a value came from. It fails there
/// rather than guess.
fn sameas(a: Value, b: Value) -> Result<bool, Error> {
    let singleton = |v: &Value| matches!(v.kind(), ValueKind::None | ValueKind::Bool);
    if singleton(&a) || singleton(&b) {
        return Ok(a.kind() == b.kind() && a == b);
    }
    if a.as_object().is_some() || b.as_object().is_some() {
        // minijinja's own test: one object, or not.
        return Ok(minijinja::tests::is_sameas(&a, &b));
    }
    if a.kind() != b.kind() || a.is_integer() != b.is_integer() || a != b {
        return Ok(false);
    }
    Err(err(format!(
        "the sameas test on two equal values ({}) cannot be decided: in ansible-core 2.21 \
         it is Python object identity, false when a value comes from a variable and true \
         for two equal literals, and kiln does not track where a value came from; \
         compare with == instead",
        super::pyrepr::py_repr(&a)
    )))
}

fn filter_exists(s: &State, name: &str) -> bool {
    exists(s, name, true)
}

fn test_exists(s: &State, name: &str) -> bool {
    exists(s, name, false)
}

#[derive(Clone, Copy)]
enum Status {
    Failed,
    Succeeded,
    Changed,
    Skipped,
    Finished,
    Started,
    Reachable,
    Unreachable,
    TimedOut,
}

fn result_test(v: &Value, s: Status) -> Result<bool, Error> {
    let name = match s {
        Status::Failed | Status::Succeeded => "failed",
        Status::Changed => "changed",
        Status::Skipped => "skipped",
        Status::Finished => "finished",
        Status::Started => "started",
        Status::Reachable | Status::Unreachable => "unreachable",
        Status::TimedOut => "timedout",
    };
    if v.kind() != ValueKind::Map {
        return Err(err(format!("The '{name}' test expects a dictionary")));
    }
    let get = |k: &str| v.get_attr(k).ok().filter(|x| !x.is_undefined());
    let flag = |k: &str| get(k).is_some_and(|x| py_truthy(&x));
    Ok(match s {
        Status::Failed => flag("failed"),
        Status::Succeeded => !flag("failed"),
        Status::Skipped => flag("skipped"),
        Status::Unreachable => flag("unreachable"),
        Status::Reachable => !flag("unreachable"),
        Status::Finished | Status::Started => match get(name) {
            Some(x) => py_truthy(&x),
            None => {
                // A result of a task that was not async: Ansible warns and
                // answers as if the job had started and finished.
                super::warnings::warn(format!(
                    "The '{name}' test expects an async task, but a non-async task was tested"
                ));
                true
            }
        },
        Status::TimedOut => match get("timedout").filter(py_truthy) {
            None => false,
            // `result['timedout'].get('period')`: a dict is needed.
            Some(t) if t.kind() != ValueKind::Map => {
                return Err(err(format!(
                    "'{}' object has no attribute 'get'",
                    super::pyrepr::py_type_name(&t)
                )));
            }
            Some(t) => t.get_attr("period").is_ok_and(|p| py_truthy(&p)),
        },
        Status::Changed => match get("changed") {
            Some(c) => py_truthy(&c),
            None => get("results").is_some_and(|r| {
                r.try_iter().is_ok_and(|mut it| {
                    it.any(|res| res.get_attr("changed").is_ok_and(|c| py_truthy(&c)))
                })
            }),
        },
    })
}

fn regex_test(
    v: &Value,
    pattern: &str,
    ic: Option<bool>,
    ml: Option<bool>,
    k: Kwargs,
    kind: &str,
) -> Result<bool, Error> {
    let ic = ic.or(k.get("ignorecase")?).unwrap_or(false);
    let ml = ml.or(k.get("multiline")?).unwrap_or(false);
    let _: Option<String> = k.get("match_type")?;
    k.assert_all_used()?;
    let s = py_str(v);
    let re = regex_compile(pattern, ic, ml)?;
    Ok(match kind {
        "search" => re.is_match(&s),
        "match" => {
            re.find(&s).is_some_and(|m| m.start() == 0)
                || regex_compile(&format!("^(?:{pattern})"), ic, false)?.is_match(&s)
        }
        "fullmatch" => regex_compile(&format!("^(?:{pattern})$"), ic, false)?.is_match(&s),
        _ => {
            return Err(err(
                "Invalid match_type specified. Expected one of: search, match, fullmatch.",
            ));
        }
    })
}

/// A regex test's pattern: Python's re wants a str.
fn pattern(p: &Value) -> Result<String, Error> {
    match p.as_str() {
        Some(s) => Ok(s.to_string()),
        None => Err(err("first argument must be string or compiled pattern")),
    }
}

/// The items of a value as Python's set() takes them: a list or dict
/// item is unhashable.
fn set_items(v: &Value) -> Result<Vec<Value>, Error> {
    let list = items(v)?;
    if let Some(x) = list
        .iter()
        .find(|x| matches!(x.kind(), ValueKind::Seq | ValueKind::Map))
    {
        return Err(err(format!(
            "unhashable type: '{}'",
            super::pyrepr::py_type_name(x)
        )));
    }
    Ok(list)
}

fn contains(seq: &Value, x: &Value) -> Result<bool, Error> {
    match seq.kind() {
        ValueKind::String => Ok(seq.as_str().unwrap_or_default().contains(&py_str(x))),
        ValueKind::Map => Ok(seq.get_item(x).is_ok_and(|v| !v.is_undefined())),
        _ => Ok(items(seq)?.contains(x)),
    }
}

fn truthy(v: &Value, k: Kwargs) -> Result<bool, Error> {
    // Python's `if convert_bool:`: any truthy value turns it on.
    let convert = k
        .get::<Option<Value>>("convert_bool")?
        .is_some_and(|c| py_truthy(&c));
    k.assert_all_used()?;
    if convert {
        let as_bool = match v.kind() {
            ValueKind::Bool => Some(v.is_true()),
            ValueKind::String => match v.as_str().unwrap_or_default().to_lowercase().as_str() {
                "y" | "yes" | "on" | "1" | "true" | "t" => Some(true),
                "n" | "no" | "off" | "0" | "false" | "f" | "" => Some(false),
                _ => None,
            },
            ValueKind::Number => match f64::try_from(v.clone()) {
                Ok(1.0) => Some(true),
                Ok(0.0) => Some(false),
                _ => None,
            },
            ValueKind::None => Some(false),
            _ => None,
        };
        if let Some(b) = as_bool {
            return Ok(b);
        }
    }
    Ok(py_truthy(v))
}

fn is_mount(p: &str) -> bool {
    let Ok(m) = std::fs::symlink_metadata(p) else {
        return false;
    };
    if m.file_type().is_symlink() {
        return false;
    }
    let parent = format!("{}/..", p.trim_end_matches('/'));
    let Ok(pm) = std::fs::metadata(if p.trim_end_matches('/').is_empty() {
        "/.."
    } else {
        &parent
    }) else {
        return false;
    };
    m.dev() != pm.dev() || m.ino() == pm.ino()
}

fn uri_test(v: &Value, schemes: Option<&Value>, url: bool) -> bool {
    // urlparse of anything but a string raises, and the test says no.
    if v.kind() != ValueKind::String {
        return false;
    }
    let s = py_str(v);
    let scheme = match s.split_once(':') {
        Some((a, _))
            if !a.is_empty()
                && a.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            a.to_lowercase()
        }
        _ => String::new(),
    };
    if let Some(list) = schemes {
        let ok = list
            .try_iter()
            .is_ok_and(|mut it| it.any(|x| py_str(&x) == scheme));
        if !ok {
            return false;
        }
    }
    if !url {
        return true;
    }
    let rest = if scheme.is_empty() {
        s.as_str()
    } else {
        &s[scheme.len() + 1..]
    };
    let netloc = rest
        .strip_prefix("//")
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    !netloc.is_empty() || scheme == "file"
}

// -- versions --------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Num(u128),
    Text(String),
}

fn loose(s: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_digit = None;
    let flush = |cur: &mut String, d: Option<bool>, out: &mut Vec<Part>| {
        if !cur.is_empty() {
            out.push(match (d, cur.parse::<u128>()) {
                (Some(true), Ok(n)) => Part::Num(n),
                _ => Part::Text(cur.clone()),
            });
            cur.clear();
        }
    };
    for c in s.chars() {
        if c == '.' {
            flush(&mut cur, cur_digit, &mut out);
            cur_digit = None;
            continue;
        }
        let d = c.is_ascii_digit();
        if cur_digit.is_some_and(|x| x != d) {
            flush(&mut cur, cur_digit, &mut out);
        }
        cur_digit = Some(d);
        cur.push(c);
    }
    flush(&mut cur, cur_digit, &mut out);
    out
}

fn cmp_loose(a: &[Part], b: &[Part]) -> Result<Ordering, Error> {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = match (x, y) {
            (Part::Num(p), Part::Num(q)) => p.cmp(q),
            (Part::Text(p), Part::Text(q)) => p.cmp(q),
            (Part::Num(_), Part::Text(_)) => {
                return Err(err(
                    "Version comparison failed: '<' not supported between instances of 'int' and 'str'",
                ));
            }
            (Part::Text(_), Part::Num(_)) => {
                return Err(err(
                    "Version comparison failed: '<' not supported between instances of 'str' and 'int'",
                ));
            }
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(a.len().cmp(&b.len()))
}

/// distutils' StrictVersion: `N.N[.N][(a|b)N]`.
/// A StrictVersion: release numbers and an optional (a|b, N) pre-release.
type Strict = (Vec<u64>, Option<(char, u64)>);

fn strict(s: &str) -> Result<Strict, Error> {
    let bad = || {
        err(format!(
            "Version comparison failed: invalid version number '{s}'"
        ))
    };
    let (core, pre) = match s.find(['a', 'b']) {
        Some(i) => {
            let n: u64 = s[i + 1..].parse().map_err(|_| bad())?;
            (&s[..i], Some((s.as_bytes()[i] as char, n)))
        }
        None => (s, None),
    };
    let nums: Vec<u64> = core
        .split('.')
        .map(|p| p.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    if !(2..=3).contains(&nums.len()) || core.split('.').any(str::is_empty) {
        return Err(bad());
    }
    let mut v = nums;
    v.resize(3, 0);
    Ok((v, pre))
}

fn cmp_strict(a: &str, b: &str) -> Result<Ordering, Error> {
    let (va, pa) = strict(a)?;
    let (vb, pb) = strict(b)?;
    Ok(va.cmp(&vb).then_with(|| match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    }))
}

fn semver(s: &str) -> Result<(Vec<u64>, Vec<String>), Error> {
    let bad = || {
        err(format!(
            "Version comparison failed: invalid semantic version '{s}'"
        ))
    };
    // SemVer 2.0.0's grammar, as Ansible's SemanticVersion parses it: no
    // leading zeros in numbers, dot-separated pre-release and build parts.
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| {
            regex::Regex::new(concat!(
                r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)",
                r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][a-zA-Z0-9-]*)",
                r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][a-zA-Z0-9-]*))*))?",
                r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$"
            ))
            .ok()
        })
        .as_ref()
        .ok_or_else(bad)?;
    let c = re.captures(s).ok_or_else(bad)?;
    let nums: Vec<u64> = (1..=3)
        .map(|i| c.get(i).map_or("", |m| m.as_str()).parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let pre = c
        .get(4)
        .map(|m| m.as_str().split('.').map(str::to_string).collect())
        .unwrap_or_default();
    Ok((nums, pre))
}

fn cmp_semver(a: &str, b: &str) -> Result<Ordering, Error> {
    let (ca, pa) = semver(a)?;
    let (cb, pb) = semver(b)?;
    Ok(ca
        .cmp(&cb)
        .then_with(|| match (pa.is_empty(), pb.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => {
                for (x, y) in pa.iter().zip(pb.iter()) {
                    let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                        (Ok(p), Ok(q)) => p.cmp(&q),
                        (Ok(_), Err(_)) => Ordering::Less,
                        (Err(_), Ok(_)) => Ordering::Greater,
                        _ => x.cmp(y),
                    };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                pa.len().cmp(&pb.len())
            }
        }))
}

/// PEP 440: release numbers (trailing zeros ignored), pre (a/b/rc), post, dev.
/// (epoch, release, (pre kind, pre number), post, dev, local): PEP 440's
/// order; a local part (`+abc.5`) sorts after none, its words before its
/// numbers.
type Pep440 = (
    u64,
    Vec<u64>,
    (i8, u64),
    i64,
    i64,
    Option<Vec<(u8, u64, String)>>,
);

fn pep440_key(s: &str) -> Result<Pep440, Error> {
    let bad = || err(format!("Version comparison failed: Invalid version: '{s}'"));
    let t = s.trim().to_lowercase();
    let t = t.strip_prefix('v').unwrap_or(&t);
    let (t, local) = match t.split_once('+') {
        Some((v, l)) => {
            let parts: Vec<(u8, u64, String)> = l
                .split(['.', '-', '_'])
                .map(|p| match p.parse::<u64>() {
                    Ok(n) => Ok((1, n, String::new())),
                    Err(_) if !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()) => {
                        Ok((0, 0, p.to_string()))
                    }
                    Err(_) => Err(bad()),
                })
                .collect::<Result<_, _>>()?;
            (v, Some(parts))
        }
        None => (t, None),
    };
    let (epoch, t) = match t.split_once('!') {
        Some((e, r)) => (e.parse::<u64>().map_err(|_| bad())?, r),
        None => (0, t),
    };
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let mut release: Vec<u64> = t[..end]
        .trim_end_matches('.')
        .split('.')
        .map(|p| p.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    while release.len() > 1 && release.last() == Some(&0) {
        release.pop();
    }
    let seps = ['.', '-', '_'];
    let mut rest = &t[end..];
    let mut pre = (3i8, 0u64);
    let mut post = -1i64;
    let mut dev = i64::MAX;
    let num = |r: &str| -> (u64, usize) {
        let r2 = r.trim_start_matches(['.', '-', '_']);
        let skip = r.len() - r2.len();
        let d: String = r2.chars().take_while(char::is_ascii_digit).collect();
        (d.parse().unwrap_or(0), skip + d.len())
    };
    for (tag, rank) in [
        ("alpha", 0),
        ("a", 0),
        ("beta", 1),
        ("b", 1),
        ("rc", 2),
        ("c", 2),
        ("preview", 2),
        ("pre", 2),
    ] {
        if let Some(r) = rest.trim_start_matches(seps).strip_prefix(tag) {
            let (n, used) = num(r);
            pre = (rank, n);
            rest = &r[used..];
            break;
        }
    }
    // `1.0-1`: an implicit post-release, the dash right before its number.
    let implicit: String = rest
        .strip_prefix('-')
        .map(|r| r.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    if !implicit.is_empty() {
        post = implicit.parse::<i64>().map_err(|_| bad())?;
        rest = &rest[1 + implicit.len()..];
    } else {
        for tag in ["post", "rev", "r"] {
            if let Some(r) = rest.trim_start_matches(seps).strip_prefix(tag) {
                let (n, used) = num(r);
                post = n as i64;
                rest = &r[used..];
                break;
            }
        }
    }
    let rest_trimmed = rest.trim_start_matches(seps);
    if let Some(r) = rest_trimmed.strip_prefix("dev") {
        let (n, used) = num(r);
        dev = n as i64;
        rest = &r[used..];
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    // A dev release without pre/post sorts before the pre-releases.
    if dev != i64::MAX && pre.0 == 3 && post < 0 {
        pre = (-1, 0);
    }
    Ok((epoch, release, pre, post, dev, local))
}

fn version_test(
    v: Value,
    other: Value,
    op: Option<String>,
    strict: Option<bool>,
    kwargs: Kwargs,
) -> Result<bool, Error> {
    let op = op
        .or(kwargs.get("operator")?)
        .unwrap_or_else(|| "eq".into());
    let strict_flag: Option<bool> = strict.or(kwargs.get("strict")?);
    let version_type: Option<String> = kwargs.get("version_type")?;
    kwargs.assert_all_used()?;
    if strict_flag.is_some() && version_type.is_some() {
        return Err(err("Cannot specify both 'strict' and 'version_type'"));
    }
    let a = py_str(&v);
    let b = py_str(&other);
    if a.is_empty() || !py_truthy(&v) {
        return Err(err("Input version value cannot be empty"));
    }
    if b.is_empty() {
        return Err(err("Version parameter to compare against cannot be empty"));
    }
    let op = match op.as_str() {
        "==" | "=" | "eq" => "eq",
        "<" | "lt" => "lt",
        "<=" | "le" => "le",
        ">" | "gt" => "gt",
        ">=" | "ge" => "ge",
        "!=" | "<>" | "ne" => "ne",
        o => {
            return Err(err(format!(
                "Invalid operator type ({o}). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', '>', 'gt', '>=', 'ge', '!=', '<>', 'ne'"
            )));
        }
    };
    let kind = if strict_flag == Some(true) {
        "strict".to_string()
    } else {
        version_type.unwrap_or_else(|| "loose".into())
    };
    let ord = match kind.as_str() {
        "loose" => {
            let (la, lb) = (loose(&a), loose(&b));
            // LooseVersion's _cmp: equal lists first, then `<`, which
            // raises on an int against a str (for == and != too).
            if la == lb {
                Ordering::Equal
            } else {
                cmp_loose(&la, &lb)?
            }
        }
        "strict" => cmp_strict(&a, &b)?,
        "semver" | "semantic" => cmp_semver(&a, &b)?,
        "pep440" => {
            let (ka, kb) = (pep440_key(&a)?, pep440_key(&b)?);
            ka.partial_cmp(&kb).unwrap_or(Ordering::Equal)
        }
        t => {
            return Err(err(format!(
                "Invalid version type ({t}). Must be one of 'loose', 'strict', 'semver', 'semantic', 'pep440'"
            )));
        }
    };
    Ok(match op {
        "eq" => ord == Ordering::Equal,
        "ne" => ord != Ordering::Equal,
        "lt" => ord == Ordering::Less,
        "le" => ord != Ordering::Greater,
        "gt" => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    })
}
