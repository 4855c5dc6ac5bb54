// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Text filters: Jinja2's (`indent`, `truncate`, `center`, `format`,
//! `urlencode`, `escape`...) and Ansible's (`quote`, `comment`, `b64*`,
//! `split`, `human_readable`...).

use super::{Def, err, int, num, text};
use crate::template::methods::{py_capitalize, py_split, py_strip};
use crate::template::pyformat::percent_format;
use crate::template::pyrepr::{py_str, py_type_name};
use base64::Engine as _;
use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("lower", |v: Def| text(&v).to_lowercase());
    env.add_filter("upper", |v: Def| text(&v).to_uppercase());
    env.add_filter("capitalize", |v: Def| py_capitalize(&text(&v)));
    env.add_filter("title", |v: Def| jinja_title(&text(&v)));
    env.add_filter("trim", |v: Def, chars: Option<String>| {
        py_strip(&text(&v), chars.as_deref(), true, true)
    });
    env.add_filter(
        "replace",
        |v: Def, old: String, new: String, count: Option<i64>| match count {
            Some(n) if n >= 0 => text(&v).replacen(&old, &new, n as usize),
            _ => text(&v).replace(&old, &new),
        },
    );
    env.add_filter("center", |v: Def, width: Option<usize>| {
        center(&text(&v), width.unwrap_or(80))
    });
    env.add_filter("indent", indent);
    env.add_filter("wordcount", |v: Def| {
        text(&v)
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .count() as i64
    });
    env.add_filter(
        "truncate",
        |v: Def, a: Rest<minijinja::value::ValueOrKwargs>| truncate(v, a.into_values()),
    );
    env.add_filter("wordwrap", wordwrap);
    env.add_filter("format", format);
    env.add_filter("escape", |v: Def| -> Value {
        if v.is_safe() {
            v.0
        } else {
            Value::from_safe_string(escape(&text(&v)))
        }
    });
    env.add_filter("e", |v: Def| -> Value {
        if v.is_safe() {
            v.0
        } else {
            Value::from_safe_string(escape(&text(&v)))
        }
    });
    env.add_filter("forceescape", |v: Def| {
        Value::from_safe_string(escape(&text(&v)))
    });
    env.add_filter("safe", |v: Def| Value::from_safe_string(text(&v)));
    env.add_filter("striptags", |v: Def| striptags(&text(&v)));
    env.add_filter("urlencode", urlencode);
    env.add_filter("urldecode", |v: Def| urldecode(&text(&v), true));
    env.add_filter("urlize", |v: Def| urlize(&text(&v)));
    env.add_filter("filesizeformat", filesizeformat);
    env.add_filter(
        "split",
        |v: Def, sep: Option<Value>, max: Option<i64>| -> Result<Value, Error> {
            if v.kind() != ValueKind::String {
                return Err(err(format!(
                    "descriptor 'split' for 'str' objects doesn't apply to a '{}' object",
                    py_type_name(&v)
                )));
            }
            let sep = sep.filter(|s| !s.is_none()).map(|s| py_str(&s));
            Ok(Value::from(py_split(
                &text(&v),
                sep.as_deref(),
                max.unwrap_or(-1),
            )?))
        },
    );
    env.add_filter("quote", |v: Def| {
        if v.is_none() {
            shell_quote("")
        } else {
            shell_quote(&text(&v))
        }
    });
    env.add_filter("comment", comment);
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    env.add_filter("human_readable", human_readable);
    env.add_filter("human_to_bytes", human_to_bytes);
}

/// Jinja's `title`: words start after whitespace or `-([{<`.
fn jinja_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = c.is_whitespace() || "-([{<".contains(c);
    }
    out
}

/// Python's str.center.
pub(crate) fn center(s: &str, width: usize) -> String {
    let len = s.chars().count();
    if width <= len {
        return s.to_string();
    }
    let n = width - len;
    let left = n / 2 + (n & width & 1);
    format!("{}{s}{}", " ".repeat(left), " ".repeat(n - left))
}

fn indent(
    v: Value,
    width: Option<Value>,
    first: Option<bool>,
    blank: Option<bool>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let width: Option<Value> = width.or(kwargs.get("width")?);
    let first = first.or(kwargs.get("first")?).unwrap_or(false);
    let blank = blank.or(kwargs.get("blank")?).unwrap_or(false);
    kwargs.assert_all_used()?;
    let pad = match &width {
        Some(w) if w.kind() == ValueKind::String => py_str(w),
        Some(w) => " ".repeat(int(w).unwrap_or(4).max(0) as usize),
        None => "    ".to_string(),
    };
    let s = text(&v);
    let newline = "\n";
    let mut s2 = s.clone();
    // Jinja appends a newline to treat the last line like the others.
    s2.push_str(newline);
    let mut lines: Vec<&str> = s2.split('\n').collect();
    lines.pop();
    let mut rv = String::new();
    if blank {
        let rest: Vec<String> = lines.iter().skip(1).map(|l| format!("{pad}{l}")).collect();
        rv = lines.first().map(|l| l.to_string()).unwrap_or_default();
        if !rest.is_empty() {
            rv.push_str(newline);
            rv.push_str(&rest.join(newline));
        }
    } else {
        let mut first_line = true;
        for l in &lines {
            if first_line {
                rv.push_str(l);
                first_line = false;
                continue;
            }
            rv.push_str(newline);
            if !l.is_empty() {
                rv.push_str(&pad);
            }
            rv.push_str(l);
        }
    }
    if first {
        rv = format!("{pad}{rv}");
    }
    Ok(rv)
}

fn truncate(v: Def, args: Vec<Value>) -> Result<String, Error> {
    let (length, killwords, end, leeway, kwargs): (
        Option<usize>,
        Option<bool>,
        Option<String>,
        Option<usize>,
        Kwargs,
    ) = minijinja::value::from_args(&args)?;
    let length = length.or(kwargs.get("length")?).unwrap_or(255);
    let killwords = killwords.or(kwargs.get("killwords")?).unwrap_or(false);
    let end = end.or(kwargs.get("end")?).unwrap_or_else(|| "...".into());
    let leeway: usize = leeway.or(kwargs.get("leeway")?).unwrap_or(5);
    kwargs.assert_all_used()?;
    let s = text(&v);
    let chars: Vec<char> = s.chars().collect();
    let endlen = end.chars().count();
    if length < endlen {
        return Err(err(format!("expected length >= {endlen}, got {length}")));
    }
    if chars.len() <= length + leeway {
        return Ok(s);
    }
    let head: String = chars[..length - endlen].iter().collect();
    if killwords {
        return Ok(format!("{head}{end}"));
    }
    let cut = match head.rfind(' ') {
        Some(i) => head[..i].to_string(),
        None => head,
    };
    Ok(format!("{cut}{end}"))
}

fn wordwrap(
    v: Value,
    width: Option<usize>,
    break_long_words: Option<bool>,
    wrapstring: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let width = width.or(kwargs.get("width")?).unwrap_or(79);
    let break_long = break_long_words
        .or(kwargs.get("break_long_words")?)
        .unwrap_or(true);
    let wrapstring = wrapstring
        .or(kwargs.get("wrapstring")?)
        .unwrap_or_else(|| "\n".into());
    let _: Option<bool> = kwargs.get("break_on_hyphens")?;
    kwargs.assert_all_used()?;
    let s = text(&v);
    let mut out_lines: Vec<String> = Vec::new();
    for line in s.lines() {
        let mut cur = String::new();
        let mut wrapped = Vec::new();
        for word in line.split_whitespace() {
            let mut word = word.to_string();
            loop {
                let need = if cur.is_empty() {
                    word.chars().count()
                } else {
                    cur.chars().count() + 1 + word.chars().count()
                };
                if need <= width {
                    if !cur.is_empty() {
                        cur.push(' ');
                    }
                    cur.push_str(&word);
                    break;
                }
                if !cur.is_empty() {
                    wrapped.push(std::mem::take(&mut cur));
                    continue;
                }
                if break_long && word.chars().count() > width {
                    let head: String = word.chars().take(width).collect();
                    let tail: String = word.chars().skip(width).collect();
                    wrapped.push(head);
                    word = tail;
                    continue;
                }
                cur = word.clone();
                break;
            }
        }
        if !cur.is_empty() {
            wrapped.push(cur);
        }
        out_lines.push(wrapped.join(&wrapstring));
    }
    Ok(out_lines.join(&wrapstring))
}

fn format(v: Def, args: Rest<Value>, kwargs: Kwargs) -> Result<String, Error> {
    let names: Vec<String> = kwargs.args().map(str::to_string).collect();
    if !args.is_empty() && !names.is_empty() {
        return Err(err(
            "can't handle positional and keyword arguments at the same time",
        ));
    }
    let mut pairs = Vec::new();
    for k in &names {
        pairs.push((Value::from(k.as_str()), kwargs.get::<Value>(k)?));
    }
    let map = Value::from_pairs(pairs);
    percent_format(
        &text(&v),
        &args,
        if names.is_empty() { None } else { Some(&map) },
    )
}

/// markupsafe's escape.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn striptags(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = match r.find("-->") {
                Some(i) => &r[i + 3..],
                None => "",
            };
        } else if rest.starts_with('<') && rest[1..].contains('>') {
            let i = rest.find('>').unwrap_or(0);
            rest = &rest[i + 1..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let joined = out.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Python's urllib.parse.quote with `safe`.
pub(crate) fn url_quote(s: &str, safe: &str) -> String {
    let mut out = String::new();
    for b in s.as_bytes() {
        let c = *b as char;
        if c.is_ascii_alphanumeric() || "_.-~".contains(c) || (c.is_ascii() && safe.contains(c)) {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn url_quote_qs(v: &Value) -> String {
    url_quote(&text(v), "").replace("%20", "+")
}

fn urlencode(v: Def) -> Result<String, Error> {
    match v.kind() {
        ValueKind::String => Ok(url_quote(v.as_str().unwrap_or_default(), "/")),
        ValueKind::Map => {
            let mut parts = Vec::new();
            for k in v.try_iter()? {
                let val = v.get_item(&k)?;
                parts.push(format!("{}={}", url_quote_qs(&k), url_quote_qs(&val)));
            }
            Ok(parts.join("&"))
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let mut parts = Vec::new();
            for pair in v.try_iter()? {
                let k = pair.get_item(&Value::from(0))?;
                let val = pair.get_item(&Value::from(1))?;
                parts.push(format!("{}={}", url_quote_qs(&k), url_quote_qs(&val)));
            }
            Ok(parts.join("&"))
        }
        _ => Ok(url_quote(&text(&v), "/")),
    }
}

pub(crate) fn urldecode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < b.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(x) => {
                    out.push(x);
                    i += 3;
                }
                Err(_) => {
                    out.push(b'%');
                    i += 1;
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn urlize(s: &str) -> String {
    let mut out = Vec::new();
    for word in s.split(' ') {
        let bare = word.trim_matches(|c: char| "()<>.,;:!'\"".contains(c));
        let link = if bare.starts_with("http://") || bare.starts_with("https://") {
            Some(bare.to_string())
        } else if bare.starts_with("www.") {
            Some(format!("https://{bare}"))
        } else {
            None
        };
        match link {
            Some(href) if !bare.is_empty() => out.push(word.replacen(
                bare,
                &format!(
                    "<a href=\"{}\" rel=\"noopener\">{}</a>",
                    escape(&href),
                    escape(bare)
                ),
                1,
            )),
            _ => out.push(escape(word)),
        }
    }
    out.join(" ")
}

fn filesizeformat(v: Def, binary: Option<bool>) -> String {
    let bytes = match v.kind() {
        ValueKind::String => text(&v).trim().parse::<f64>().unwrap_or(0.0),
        _ => num(&v),
    };
    let binary = binary.unwrap_or(false);
    let base: f64 = if binary { 1024.0 } else { 1000.0 };
    let prefixes = if binary {
        ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    } else {
        ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    };
    if bytes == 1.0 {
        return "1 Byte".into();
    }
    if bytes < base {
        return format!("{} Bytes", bytes as i64);
    }
    let mut unit = base;
    for (i, p) in prefixes.iter().enumerate() {
        unit = base.powi(i as i32 + 2);
        if bytes < unit {
            return format!("{:.1} {p}", base * bytes / unit);
        }
    }
    format!(
        "{:.1} {}",
        base * bytes / unit,
        prefixes[prefixes.len() - 1]
    )
}

/// Python's shlex.quote.
pub(crate) fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

fn comment(v: Def, style: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let style = style.unwrap_or_else(|| "plain".into());
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        _ => return Err(err(format!("Invalid style '{style}'."))),
    };
    let get = |k: &str| -> Result<Option<String>, Error> {
        Ok(kwargs.get::<Option<Value>>(k)?.map(|v| py_str(&v)))
    };
    let prepostfix = get("decoration")?.unwrap_or_else(|| decoration.to_string());
    let newline = get("newline")?.unwrap_or_else(|| "\n".into());
    let beginning = get("beginning")?.unwrap_or_else(|| beginning.to_string());
    let prefix = get("prefix")?.unwrap_or_else(|| prepostfix.trim_end().to_string());
    let prefix_count = get("prefix_count")?
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1);
    let postfix = get("postfix")?.unwrap_or_else(|| prepostfix.trim_end().to_string());
    let postfix_count = get("postfix_count")?
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1);
    let end = get("end")?.unwrap_or_else(|| end.to_string());
    // The decoration of each line is the style's unless given.
    let decoration = get("decoration")?.unwrap_or_else(|| decoration.to_string());
    kwargs.assert_all_used()?;
    let t = text(&v);
    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&beginning);
        out.push_str(&newline);
    }
    if !prefix.is_empty() {
        let unit = if prefix != newline {
            format!("{prefix}{newline}")
        } else {
            newline.clone()
        };
        out.push_str(&unit.repeat(prefix_count));
    }
    let body = format!(
        "{decoration}{}",
        t.replace(&newline, &format!("{newline}{decoration}"))
    )
    .replace(
        &format!("{decoration}{newline}"),
        &format!("{}{newline}", decoration.trim_end()),
    );
    out.push_str(&body);
    for _ in 0..postfix_count {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if !end.is_empty() {
        out.push_str(&newline);
        out.push_str(&end);
    }
    Ok(out)
}

fn b64encode(v: Def, kwargs: Kwargs) -> Result<String, Error> {
    let _: Option<String> = kwargs.get("encoding")?;
    let urlsafe: bool = kwargs.get::<Option<bool>>("urlsafe")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let s = text(&v);
    Ok(if urlsafe {
        base64::engine::general_purpose::URL_SAFE.encode(s.as_bytes())
    } else {
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
    })
}

fn b64decode(v: Def, kwargs: Kwargs) -> Result<String, Error> {
    let _: Option<String> = kwargs.get("encoding")?;
    let urlsafe: bool = kwargs.get::<Option<bool>>("urlsafe")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    // Python's b64decode drops characters outside the alphabet first.
    let s: String = text(&v)
        .chars()
        .filter(|c| {
            c.is_ascii_alphanumeric()
                || if urlsafe {
                    "-_=".contains(*c)
                } else {
                    "+/=".contains(*c)
                }
        })
        .collect();
    if s.trim_end_matches('=').len() % 4 == 1 || !s.len().is_multiple_of(4) {
        return Err(err("Incorrect padding"));
    }
    let engine = if urlsafe {
        base64::engine::general_purpose::URL_SAFE
    } else {
        base64::engine::general_purpose::STANDARD
    };
    let b = engine
        .decode(s.as_bytes())
        .map_err(|e| err(format!("Incorrect padding ({e})")))?;
    Ok(String::from_utf8_lossy(&b).into_owned())
}

const SIZE_RANGES: [(&str, u32); 9] = [
    ("Y", 80),
    ("Z", 70),
    ("E", 60),
    ("P", 50),
    ("T", 40),
    ("G", 30),
    ("M", 20),
    ("K", 10),
    ("B", 0),
];

fn human_readable(
    v: Value,
    isbits: Option<bool>,
    unit: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let isbits = isbits.or(kwargs.get("isbits")?).unwrap_or(false);
    let unit: Option<String> = unit.or(kwargs.get("unit")?);
    kwargs.assert_all_used()?;
    let size = match v.kind() {
        ValueKind::Number | ValueKind::Bool => num(&v),
        ValueKind::String => text(&v)
            .trim()
            .parse::<f64>()
            .map_err(|_| err("human_readable() can't interpret the input"))?,
        _ => return Err(err("human_readable() failed on bad input")),
    };
    let base = if isbits { "bits" } else { "Bytes" };
    let mut chosen = ("B", 0u32);
    for (suffix, shift) in SIZE_RANGES {
        let limit = 2f64.powi(shift as i32);
        let hit = match &unit {
            None => size >= limit,
            Some(u) => u.to_uppercase().starts_with(suffix),
        };
        chosen = (suffix, shift);
        if hit {
            break;
        }
    }
    let limit = 2f64.powi(chosen.1 as i32);
    let suffix = if chosen.1 != 0 {
        format!("{}{}", chosen.0, &base[..1])
    } else {
        base.to_string()
    };
    Ok(format!("{:.2} {suffix}", size / limit))
}

fn human_to_bytes(
    v: Value,
    default_unit: Option<String>,
    isbits: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let default_unit: Option<String> = default_unit.or(kwargs.get("default_unit")?);
    let isbits = isbits.or(kwargs.get("isbits")?).unwrap_or(false);
    kwargs.assert_all_used()?;
    let s = py_str(&v);
    let cant = || {
        err(format!(
            "human_to_bytes() can't interpret following string: {s}"
        ))
    };
    let t = s.trim_end();
    let numlen = t
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    let (numtext, rest) = t.split_at(numlen);
    let rest = rest.trim_start();
    if numtext.is_empty()
        || numtext.matches('.').count() > 1
        || numtext.ends_with('.')
        || !rest.chars().all(|c| c.is_ascii_alphabetic())
    {
        return Err(err("human_to_bytes() can't interpret the input").with_source(cant()));
    }
    let number: f64 = numtext.parse().map_err(|_| cant())?;
    let unit = if rest.is_empty() {
        default_unit
    } else {
        Some(rest.to_string())
    };
    let Some(unit) = unit else {
        return Ok(Value::from(round_half_even_int(number)));
    };
    let key = unit
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or('B');
    let shift = SIZE_RANGES
        .iter()
        .find(|(k, _)| k.starts_with(key))
        .map(|(_, s)| *s)
        .ok_or_else(|| err("human_to_bytes() can't interpret the input"))?;
    if unit.chars().count() > 1 {
        let names: [(&str, &str, &str, &str); 9] = [
            ("B", "byte", "bit", ""),
            ("K", "kilobyte", "kilobit", ""),
            ("M", "megabyte", "megabit", ""),
            ("G", "gigabyte", "gigabit", ""),
            ("T", "terabyte", "terabit", ""),
            ("P", "petabyte", "petabit", ""),
            ("E", "exabyte", "exabit", ""),
            ("Z", "zetabyte", "zetabit", ""),
            ("Y", "yottabyte", "yottabit", ""),
        ];
        let (k, byte_name, bit_name, _) = names
            .iter()
            .find(|n| n.0.starts_with(key))
            .copied()
            .unwrap_or(names[0]);
        let (long, short) = if isbits {
            (bit_name, format!("{k}b"))
        } else {
            (byte_name, format!("{k}B"))
        };
        if unit.to_lowercase() != long && unit != short {
            return Err(err("human_to_bytes() can't interpret the input"));
        }
    }
    let v = number * 2f64.powi(shift as i32);
    Ok(Value::from(round_half_even_int(v)))
}

fn round_half_even_int(f: f64) -> i64 {
    let r = f.round();
    if (f - f.trunc()).abs() == 0.5 && (r as i64) % 2 != 0 {
        (r - f.signum()) as i64
    } else {
        r as i64
    }
}
