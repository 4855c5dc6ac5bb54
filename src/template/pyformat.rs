// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Python's two string formatting languages, which templates reach through
//! Jinja's `format` filter (`'%s-%d' | format(a, b)`) and the `str.format`
//! method (`'{}:{:>5}'.format(a, b)`).

use super::pyrepr::{py_float, py_repr, py_str, py_type_name};
use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn as_f64(v: &Value) -> Option<f64> {
    match v.kind() {
        ValueKind::Number | ValueKind::Bool => f64::try_from(v.clone()).ok().or_else(|| {
            if v.kind() == ValueKind::Bool {
                Some(if v.is_true() { 1.0 } else { 0.0 })
            } else {
                None
            }
        }),
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i128> {
    match v.kind() {
        ValueKind::Bool => Some(i128::from(v.is_true())),
        ValueKind::Number => {
            if v.is_integer() {
                i128::try_from(v.clone()).ok()
            } else {
                f64::try_from(v.clone()).ok().map(|f| f.trunc() as i128)
            }
        }
        _ => None,
    }
}

/// A parsed conversion spec shared by both languages.
#[derive(Default, Clone)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    alt: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
}

fn pad(body: String, spec: &Spec, default_align: char) -> String {
    let len = body.chars().count();
    if len >= spec.width {
        return body;
    }
    let n = spec.width - len;
    let align = spec.align.unwrap_or(default_align);
    let fill = spec.fill.unwrap_or(' ');
    if align == '=' {
        // Padding goes between the sign and the digits.
        let (sign, rest) = match body.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), body[1..].to_string()),
            _ => (String::new(), body),
        };
        return format!("{sign}{}{rest}", fill.to_string().repeat(n));
    }
    let f = |k: usize| fill.to_string().repeat(k);
    match align {
        '<' => format!("{body}{}", f(n)),
        '^' => format!("{}{body}{}", f(n / 2), f(n - n / 2)),
        _ => format!("{}{body}", f(n)),
    }
}

fn group(int_digits: &str, sep: char) -> String {
    let mut out = String::new();
    let len = int_digits.len();
    for (i, c) in int_digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

fn sign_prefix(neg: bool, spec: &Spec) -> &'static str {
    match (neg, spec.sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    }
}

fn fmt_int(i: i128, spec: &Spec, ty: char) -> String {
    let neg = i < 0;
    let a = i.unsigned_abs();
    let (digits, prefix) = match ty {
        'x' => (format!("{a:x}"), "0x"),
        'X' => (format!("{a:X}"), "0X"),
        'o' => (format!("{a:o}"), "0o"),
        'b' => (format!("{a:b}"), "0b"),
        _ => (a.to_string(), ""),
    };
    let digits = match spec.grouping {
        Some(sep) => group(&digits, sep),
        None => digits,
    };
    let prefix = if spec.alt { prefix } else { "" };
    format!("{}{prefix}{digits}", sign_prefix(neg, spec))
}

/// Python's `%e`/`{:e}` exponent form: at least two exponent digits.
fn exp_form(f: f64, prec: usize, upper: bool) -> String {
    let s = format!("{:.*e}", prec, f.abs());
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let out = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    if upper { out.to_uppercase() } else { out }
}

fn fmt_float(f: f64, spec: &Spec, ty: Option<char>) -> String {
    let neg = f.is_sign_negative() && f != 0.0 || (f == 0.0 && f.is_sign_negative());
    let a = f.abs();
    // The upper-case types spell the special values upper-case too ("INF").
    let upper = matches!(ty, Some('F' | 'E' | 'G'));
    let special = |s: &str| {
        if upper {
            s.to_uppercase()
        } else {
            s.to_string()
        }
    };
    let body = if f.is_nan() {
        special("nan")
    } else if f.is_infinite() {
        let s = special("inf");
        if ty == Some('%') { format!("{s}%") } else { s }
    } else {
        match ty {
            Some('f' | 'F') | Some('%') => {
                let p = spec.precision.unwrap_or(6);
                let v = if ty == Some('%') { a * 100.0 } else { a };
                let s = format!("{v:.p$}");
                let s = match spec.grouping {
                    Some(sep) => {
                        let (i, frac) = s
                            .split_once('.')
                            .map(|(i, f)| (i, Some(f)))
                            .unwrap_or((&s, None));
                        match frac {
                            Some(fr) => format!("{}.{fr}", group(i, sep)),
                            None => group(i, sep),
                        }
                    }
                    None => s,
                };
                if ty == Some('%') { format!("{s}%") } else { s }
            }
            Some('e' | 'E') => exp_form(a, spec.precision.unwrap_or(6), ty == Some('E')),
            Some('g' | 'G') => general(a, spec.precision.unwrap_or(6), spec.alt, ty == Some('G')),
            _ => {
                // No type: like repr, but a precision means 'g' with at least one digit after the point.
                match spec.precision {
                    Some(p) => {
                        let g = general(a, p.max(1), false, false);
                        if g.contains(['.', 'e', 'n', 'i']) {
                            g
                        } else {
                            format!("{g}.0")
                        }
                    }
                    None => py_float(a),
                }
            }
        }
    };
    format!("{}{body}", sign_prefix(neg, spec))
}

/// Python's `g` presentation.
fn general(a: f64, prec: usize, alt: bool, upper: bool) -> String {
    let p = prec.max(1);
    if a == 0.0 {
        return if alt {
            format!("{:.*}", p - 1, 0.0)
        } else {
            "0".into()
        };
    }
    let exp = format!("{:.*e}", p - 1, a)
        .split_once('e')
        .and_then(|(_, e)| e.parse::<i32>().ok())
        .unwrap_or(0);
    let s = if exp >= -4 && exp < p as i32 {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        format!("{a:.decimals$}")
    } else {
        exp_form(a, p - 1, upper)
    };
    if alt {
        return s;
    }
    // Strip trailing zeros of the fraction.
    let (m, e) = match s.find(['e', 'E']) {
        Some(i) => (s[..i].to_string(), s[i..].to_string()),
        None => (s.clone(), String::new()),
    };
    let m = if m.contains('.') {
        m.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        m
    };
    format!("{m}{e}")
}

fn format_one(v: &Value, spec: &Spec, conv_str: bool) -> Result<(String, char), Error> {
    let ty = spec.ty;
    Ok(match ty {
        Some('s') | None if conv_str || v.kind() == ValueKind::String => {
            let mut s = py_str(v);
            if let Some(p) = spec.precision {
                s = s.chars().take(p).collect();
            }
            (s, '<')
        }
        Some('r') | Some('a') => (py_repr(v), '<'),
        Some('c') => {
            let c = match v.as_str() {
                Some(s) if s.chars().count() == 1 => s.to_string(),
                _ => as_int(v)
                    .and_then(|i| u32::try_from(i).ok())
                    .and_then(char::from_u32)
                    .map(String::from)
                    .ok_or_else(|| err("%c requires int or char"))?,
            };
            (c, '<')
        }
        Some(t @ ('d' | 'i' | 'u' | 'x' | 'X' | 'o' | 'b' | 'n')) => {
            let i = as_int(v).ok_or_else(|| {
                err(format!(
                    "%{t} format: a real number is required, not {}",
                    py_type_name(v)
                ))
            })?;
            (fmt_int(i, spec, t), '>')
        }
        Some(t @ ('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%')) => {
            let f = as_f64(v)
                .ok_or_else(|| err(format!("must be real number, not {}", py_type_name(v))))?;
            (fmt_float(f, spec, Some(t)), '>')
        }
        _ => match v.kind() {
            ValueKind::Number if v.is_integer() => {
                (fmt_int(as_int(v).unwrap_or(0), spec, 'd'), '>')
            }
            ValueKind::Number => (fmt_float(as_f64(v).unwrap_or(0.0), spec, None), '>'),
            _ => (py_str(v), '<'),
        },
    })
}

/// `text % args` (Jinja's `format` filter): `args` is one value, a tuple
/// (list) of values, or a mapping for `%(name)s`.
pub fn percent_format(text: &str, args: &[Value], kwargs: Option<&Value>) -> Result<String, Error> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    let mut next = 0usize;
    let take = |next: &mut usize| -> Result<Value, Error> {
        let v = args
            .get(*next)
            .cloned()
            .ok_or_else(|| err("not enough arguments for format string"))?;
        *next += 1;
        Ok(v)
    };
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        let mut key: Option<String> = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            let mut depth = 1;
            let mut name = String::new();
            for ch in chars.by_ref() {
                match ch {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                name.push(ch);
            }
            key = Some(name);
        }
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.align = Some('<'),
                '0' => spec.zero = true,
                '+' => spec.sign = Some('+'),
                ' ' => {
                    if spec.sign.is_none() {
                        spec.sign = Some(' ')
                    }
                }
                '#' => spec.alt = true,
                _ => break,
            }
            chars.next();
        }
        let mut width = String::new();
        if chars.peek() == Some(&'*') {
            chars.next();
            width = as_int(&take(&mut next)?).unwrap_or(0).to_string();
        }
        while let Some(&d) = chars.peek().filter(|c| c.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        spec.width = width.parse().unwrap_or(0);
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            // `%.*f`: the precision is the next argument, as for `*` widths.
            if chars.peek() == Some(&'*') {
                chars.next();
                p = as_int(&take(&mut next)?).unwrap_or(0).max(0).to_string();
            }
            while let Some(&d) = chars.peek().filter(|c| c.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            spec.precision = Some(p.parse().unwrap_or(0));
        }
        while matches!(chars.peek(), Some('h' | 'l' | 'L')) {
            chars.next();
        }
        let ty = chars.next().ok_or_else(|| err("incomplete format"))?;
        if ty == '%' {
            out.push('%');
            continue;
        }
        if !"diouxXeEfFgGcrsa".contains(ty) {
            return Err(err(format!(
                "unsupported format character '{ty}' (0x{:x})",
                ty as u32
            )));
        }
        spec.ty = Some(if ty == 'i' || ty == 'u' { 'd' } else { ty });
        let v = match &key {
            Some(k) => kwargs
                .and_then(|m| m.get_attr(k).ok())
                .filter(|v| !v.is_undefined())
                .ok_or_else(|| err(format!("'{k}'")))?,
            None => take(&mut next)?,
        };
        let numeric = "dxXoeEfFgG".contains(spec.ty.unwrap_or('s'));
        if spec.zero && numeric && spec.align.is_none() {
            spec.fill = Some('0');
            spec.align = Some('=');
        }
        if spec.alt && matches!(spec.ty, Some('o')) {
            // %#o is 0o17 in Python 3.
        }
        let (body, align) = format_one(&v, &spec, ty == 's')?;
        out.push_str(&pad(body, &spec, align));
    }
    if key_free(text) && next < args.len() {
        return Err(err("not all arguments converted during string formatting"));
    }
    Ok(out)
}

fn key_free(text: &str) -> bool {
    !text.contains("%(")
}

fn parse_format_spec(s: &str) -> Result<Spec, Error> {
    let mut spec = Spec::default();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        spec.fill = Some(chars[0]);
        spec.align = Some(chars[1]);
        i = 2;
    } else if !chars.is_empty() && is_align(chars[0]) {
        spec.align = Some(chars[0]);
        i = 1;
    }
    if i < chars.len() && matches!(chars[i], '+' | '-' | ' ') {
        spec.sign = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '#' {
        spec.alt = true;
        i += 1;
    }
    if i < chars.len() && chars[i] == '0' {
        spec.zero = true;
        i += 1;
    }
    let mut w = String::new();
    while i < chars.len() && chars[i].is_ascii_digit() {
        w.push(chars[i]);
        i += 1;
    }
    spec.width = w.parse().unwrap_or(0);
    if i < chars.len() && matches!(chars[i], ',' | '_') {
        spec.grouping = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let mut p = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            p.push(chars[i]);
            i += 1;
        }
        spec.precision = Some(
            p.parse()
                .map_err(|_| err("Format specifier missing precision"))?,
        );
    }
    if i < chars.len() {
        spec.ty = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() {
        return Err(err("Invalid format specifier"));
    }
    Ok(spec)
}

/// `format(value, spec)`: Python's format-spec mini language.
pub fn format_spec(v: &Value, spec_text: &str) -> Result<String, Error> {
    let mut spec = parse_format_spec(spec_text)?;
    if spec.zero && spec.fill.is_none() && spec.align.is_none() {
        spec.fill = Some('0');
        spec.align = Some('=');
    }
    let is_str = v.kind() == ValueKind::String;
    if is_str && spec.ty.is_some_and(|t| t != 's') {
        return Err(err(format!(
            "Unknown format code '{}' for object of type 'str'",
            spec.ty.unwrap_or('?')
        )));
    }
    let (body, align) = format_one(
        v,
        &spec,
        is_str || !matches!(v.kind(), ValueKind::Number | ValueKind::Bool),
    )?;
    Ok(pad(body, &spec, align))
}

/// `text.format(*args, **kwargs)`.
pub fn brace_format(text: &str, args: &[Value], kwargs: &Value) -> Result<String, Error> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    let mut auto = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(err("Single '}' encountered in format string")),
            '{' => {
                let mut field = String::new();
                let mut depth = 1;
                for ch in chars.by_ref() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    field.push(ch);
                }
                let (head, spec) = match field.split_once(':') {
                    Some((h, s)) => (h.to_string(), s.to_string()),
                    None => (field.clone(), String::new()),
                };
                let (name, conv) = match head.split_once('!') {
                    Some((n, c)) => (n.to_string(), Some(c.to_string())),
                    None => (head, None),
                };
                // The first part names the argument; .attr and [key] follow.
                let end = name.find(['.', '[']).unwrap_or(name.len());
                let (first, rest) = name.split_at(end);
                let mut v = if first.is_empty() {
                    let v = args.get(auto).cloned();
                    auto += 1;
                    v.ok_or_else(|| {
                        err(format!(
                            "Replacement index {} out of range for positional args tuple",
                            auto - 1
                        ))
                    })?
                } else if let Ok(i) = first.parse::<usize>() {
                    args.get(i).cloned().ok_or_else(|| {
                        err(format!(
                            "Replacement index {i} out of range for positional args tuple"
                        ))
                    })?
                } else {
                    let v = kwargs.get_attr(first).unwrap_or_default();
                    if v.is_undefined() {
                        return Err(err(format!("'{first}'")));
                    }
                    v
                };
                let mut r = rest;
                while !r.is_empty() {
                    if let Some(after) = r.strip_prefix('.') {
                        let e = after.find(['.', '[']).unwrap_or(after.len());
                        v = v.get_attr(&after[..e])?;
                        r = &after[e..];
                    } else if let Some(after) = r.strip_prefix('[') {
                        let e = after
                            .find(']')
                            .ok_or_else(|| err("Missing ']' in format string"))?;
                        let key = &after[..e];
                        v = match key.parse::<i64>() {
                            Ok(i) => v.get_item(&Value::from(i))?,
                            Err(_) => v.get_item(&Value::from(key))?,
                        };
                        r = &after[e + 1..];
                    } else {
                        break;
                    }
                }
                let v = match conv.as_deref() {
                    Some("r") | Some("a") => Value::from(py_repr(&v)),
                    Some("s") => Value::from(py_str(&v)),
                    _ => v,
                };
                // Nested fields in the spec ({:{width}}) come from the arguments too.
                let spec = if spec.contains('{') {
                    brace_format(&spec, &args[auto.min(args.len())..], kwargs)?
                } else {
                    spec
                };
                out.push_str(&format_spec(&v, &spec)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v<T: Into<Value>>(x: T) -> Value {
        x.into()
    }

    #[test]
    fn percent() {
        assert_eq!(
            percent_format("%s-%d", &[v("a"), v(3)], None).unwrap(),
            "a-3"
        );
        assert_eq!(
            percent_format("%05.2f", &[v(1.23456)], None).unwrap(),
            "01.23"
        );
        assert_eq!(
            percent_format("%x|%-4s|", &[v(255), v("ab")], None).unwrap(),
            "ff|ab  |"
        );
        assert_eq!(percent_format("%r", &[v("q")], None).unwrap(), "'q'");
        assert_eq!(
            percent_format("%e", &[v(12345.678)], None).unwrap(),
            "1.234568e+04"
        );
        assert_eq!(percent_format("%g", &[v(0.00001)], None).unwrap(), "1e-05");
        assert!(percent_format("%d", &[v("x")], None).is_err());
    }

    #[test]
    fn braces() {
        let kw = Value::from_pairs([("name", "bob")]);
        assert_eq!(
            brace_format("{} {0} {name}!", &[v("a")], &kw).unwrap(),
            "a a bob!"
        );
        assert_eq!(
            brace_format("{:>5}|{:.2f}|{:03d}", &[v("a"), v(1.23456), v(7)], &kw).unwrap(),
            "    a|1.23|007"
        );
        assert_eq!(
            brace_format("{:,}", &[v(1234567)], &kw).unwrap(),
            "1,234,567"
        );
    }

    /// `fmt % args` as Python 3 prints it (each expected value checked with python3).
    #[test]
    fn percent_format_matches_python() {
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("%+d", vec![v(5i64)], "+5"),
            ("% d", vec![v(5i64)], " 5"),
            ("%o", vec![v(8i64)], "10"),
            ("%#o", vec![v(8i64)], "0o10"),
            ("%#x", vec![v(255i64)], "0xff"),
            ("%X", vec![v(255i64)], "FF"),
            ("%#X", vec![v(255i64)], "0XFF"),
            ("%c", vec![v(65i64)], "A"),
            ("%c", vec![v("z")], "z"),
            ("100%% %s", vec![v("done")], "100% done"),
            ("%5.1f|", vec![v(-2.25_f64)], " -2.2|"),
            ("%-10.3e|", vec![v(1234.5_f64)], "1.234e+03 |"),
            ("%G", vec![v(1e-10_f64)], "1E-10"),
            ("%i", vec![v(3.9_f64)], "3"),
            ("%d", vec![v(true)], "1"),
            ("%s", vec![v(true)], "True"),
            ("%.3s", vec![v("abcdef")], "abc"),
            ("%*d", vec![v(5i64), v(42i64)], "   42"),
            ("%-*d|", vec![v(5i64), v(42i64)], "42   |"),
            ("%.*f", vec![v(2i64), v(1.23456_f64)], "1.23"),
            ("%u", vec![v(7i64)], "7"),
            ("%10.4g|", vec![v(123456789i64)], " 1.235e+08|"),
            ("%g", vec![v(100000.0_f64)], "100000"),
            ("%g", vec![v(1e16_f64)], "1e+16"),
            ("%#g", vec![v(1.0_f64)], "1.00000"),
            ("%.0f", vec![v(2.5_f64)], "2"),
            ("%.0f", vec![v(3.5_f64)], "4"),
            ("%f", vec![v(f64::INFINITY)], "inf"),
            ("%F", vec![v(f64::NEG_INFINITY)], "-INF"),
            ("%s", vec![Value::from(())], "None"),
            ("%s", vec![v(1.0_f64)], "1.0"),
            ("%r", vec![v(1.5_f64)], "1.5"),
            ("%+.2e", vec![v(-0.000123_f64)], "-1.23e-04"),
            ("%08.2f", vec![v(-1.23456_f64)], "-0001.23"),
            ("%-6d|", vec![v(-42i64)], "-42   |"),
            ("%x", vec![v(-255i64)], "-ff"),
            ("%s and %r", vec![v("a"), v("b")], "a and 'b'"),
        ];
        for (fmt, args, want) in cases {
            let got = percent_format(fmt, &args, None).map_err(|e| format!("{fmt}: {e}"));
            assert_eq!(got.as_deref(), Ok(want), "{fmt} % {args:?}");
        }
        let kw = Value::from_pairs([("name", Value::from("bob")), ("age", Value::from(42))]);
        assert_eq!(
            percent_format("%(name)s is %(age)d", &[], Some(&kw)).map_err(|e| e.to_string()),
            Ok("bob is 42".to_string())
        );
    }

    /// Python raises TypeError/ValueError for these; so must the filter.
    #[test]
    fn percent_format_errors() {
        assert!(percent_format("%s %s", &[v("only")], None).is_err());
        assert!(percent_format("%s", &[v("a"), v("b")], None).is_err());
        assert!(percent_format("%y", &[v(1)], None).is_err());
        assert!(percent_format("%c", &[v("ab")], None).is_err());
    }

    /// `fmt.format(*args)` as Python 3 prints it (checked with python3).
    #[test]
    fn brace_format_matches_python() {
        let kw = Value::from_pairs(std::iter::empty::<(&str, Value)>());
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("{:<6}|", vec![v("ab")], "ab    |"),
            ("{:^7}|", vec![v("mid")], "  mid  |"),
            ("{:*^9}", vec![v("x")], "****x****"),
            ("{:=+8d}", vec![v(42i64)], "+     42"),
            ("{:08.3f}", vec![v(-1.23456_f64)], "-001.235"),
            ("{:x}", vec![v(255i64)], "ff"),
            ("{:#b}", vec![v(5i64)], "0b101"),
            ("{:o}", vec![v(64i64)], "100"),
            ("{:_}", vec![v(1234567i64)], "1_234_567"),
            ("{:,.2f}", vec![v(1234567.891_f64)], "1,234,567.89"),
            ("{:e}", vec![v(0.000123_f64)], "1.230000e-04"),
            ("{:%}", vec![v(0.25_f64)], "25.000000%"),
            ("{:.1%}", vec![v(0.123_f64)], "12.3%"),
            ("{!r}", vec![v("a")], "'a'"),
            ("{0}{1}{0}", vec![v("x"), v("y")], "xyx"),
            ("{{literal}} {}", vec![v(1i64)], "{literal} 1"),
            ("{:c}", vec![v(97i64)], "a"),
            ("{:g}", vec![v(1234567.0_f64)], "1.23457e+06"),
            ("{:.3}", vec![v(1.23456_f64)], "1.23"),
            ("{:.3}", vec![v("abcdef")], "abc"),
            ("{:5}|", vec![v(42i64)], "   42|"),
            ("{:5}|", vec![v("ab")], "ab   |"),
            ("{:+}", vec![v(3.5_f64)], "+3.5"),
            ("{}", vec![v(1.0_f64)], "1.0"),
            ("{}", vec![v(true)], "True"),
            ("{:d}", vec![v(true)], "1"),
            ("{:X}", vec![v(3054i64)], "BEE"),
            ("{:#x}", vec![v(3054i64)], "0xbee"),
            ("{:>+10.2f}|", vec![v(2.5_f64)], "     +2.50|"),
            ("{:-^11,}", vec![v(9876543i64)], "-9,876,543-"),
            ("{!s:>4}", vec![v(7i64)], "   7"),
            ("{:E}", vec![v(123456.0_f64)], "1.234560E+05"),
            ("{:G}", vec![v(1e-07_f64)], "1E-07"),
            ("{:.2g}", vec![v(0.000456_f64)], "0.00046"),
            ("{:n}", vec![v(1234i64)], "1234"),
            ("{:f}", vec![v(1e20_f64)], "100000000000000000000.000000"),
            ("{:.0f}", vec![v(0.5_f64)], "0"),
            ("{:#o}", vec![v(8i64)], "0o10"),
            ("{:b}", vec![v(-5i64)], "-101"),
            ("{:010}", vec![v(-42i64)], "-000000042"),
            ("{}", vec![v(1e100_f64)], "1e+100"),
            (
                "{}",
                vec![v(0.30000000000000004_f64)],
                "0.30000000000000004",
            ),
            ("{:}", vec![v(1e-05_f64)], "1e-05"),
        ];
        for (fmt, args, want) in cases {
            let got = brace_format(fmt, &args, &kw).map_err(|e| format!("{fmt}: {e}"));
            assert_eq!(got.as_deref(), Ok(want), "{fmt}.format({args:?})");
        }
        // Special values: upper-case types spell them upper-case, `%` keeps its sign.
        let special = [
            ("{:%}", f64::INFINITY, "inf%"),
            ("{:E}", f64::NAN, "NAN"),
            ("{:G}", f64::NEG_INFINITY, "-INF"),
            ("{:f}", f64::NAN, "nan"),
        ];
        for (fmt, x, want) in special {
            let got = brace_format(fmt, &[v(x)], &kw).map_err(|e| e.to_string());
            assert_eq!(got.as_deref(), Ok(want), "{fmt}.format({x})");
        }
    }

    #[test]
    fn brace_format_errors() {
        let kw = Value::from_pairs([("name", "bob")]);
        // ValueError: Unknown format code 'd' for object of type 'str'
        assert!(brace_format("{:d}", &[v("a")], &kw).is_err());
        // ValueError: Single '{' encountered in format string
        assert!(brace_format("{", &[], &kw).is_err());
        // IndexError: Replacement index 5 out of range
        assert!(brace_format("{5}", &[v(1)], &kw).is_err());
        // KeyError: 'missing'
        assert!(brace_format("{missing}", &[], &kw).is_err());
        // ValueError: Single '}' encountered in format string
        assert!(brace_format("}", &[], &kw).is_err());
    }
}
