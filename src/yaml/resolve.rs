// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! PyYAML's implicit resolvers for plain scalars (YAML 1.1) and the
//! constructors of the standard scalar tags (`!!int`, `!!float`, `!!bool`...).
//!
//! Ansible loads YAML with PyYAML's SafeLoader resolvers, so `yes` is a bool,
//! `0644` is 420 and `1e3` (no dot) is a string. The regular expressions
//! below express the same languages as PyYAML's resolver table; the order in
//! which they are tried is PyYAML's registration order (bool, float, int,
//! merge, null, timestamp, value).

use super::node::NodeKind;
use super::timestamp;
use regex::Regex;
use std::sync::LazyLock;

/// The tag PyYAML's resolver gives a plain scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Implicit {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    /// `<<`: a merge key when used as a mapping key, an error elsewhere.
    Merge,
    /// `=`: a plain string key, an error as a value.
    Value,
    Str,
}

static FLOAT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    )
});

static INT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
    )
});

static TIMESTAMP: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?)$",
    )
});

/// The patterns are constants, so a failure to compile is a programming
/// error caught by the tests; `None` (never matching) keeps the loader
/// panic-free all the same.
fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

fn is_match(re: &LazyLock<Option<Regex>>, text: &str) -> bool {
    re.as_ref().is_some_and(|re| re.is_match(text))
}

const BOOLS: [&str; 18] = [
    "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on",
    "On", "ON", "off", "Off", "OFF",
];

/// PyYAML's resolver: which tag a plain scalar with this text gets.
pub(crate) fn implicit_tag(text: &str) -> Implicit {
    // Python's `$` also matches before a final line break. Plain scalars
    // never end with one, but text re-resolved for `!` or `!unsafe` can
    // (`! |` block text), and then `123\n` is an int as in PyYAML.
    let text = text.strip_suffix('\n').unwrap_or(text);
    // PyYAML picks candidate resolvers by the first character; doing the
    // same keeps ordinary words away from the regular expressions.
    let Some(first) = text.chars().next() else {
        return Implicit::Null;
    };
    if "yYnNtTfFoO".contains(first) && BOOLS.contains(&text) {
        return Implicit::Bool;
    }
    let numeric_start = first.is_ascii_digit() || matches!(first, '-' | '+' | '.');
    if numeric_start && is_match(&FLOAT, text) {
        return Implicit::Float;
    }
    if numeric_start && first != '.' && is_match(&INT, text) {
        return Implicit::Int;
    }
    match text {
        "<<" => return Implicit::Merge,
        "~" | "null" | "Null" | "NULL" => return Implicit::Null,
        "=" => return Implicit::Value,
        _ => {}
    }
    if first.is_ascii_digit() && is_match(&TIMESTAMP, text) {
        return Implicit::Timestamp;
    }
    Implicit::Str
}

/// Resolves a plain (unquoted, untagged) scalar the way PyYAML's SafeLoader
/// does. A text PyYAML would fail to construct (`0b_`, `2001-13-45`) or a
/// bare `<<`/`=` is returned as a string here; the loader reports those as
/// errors instead.
pub fn resolve_plain(text: &str) -> NodeKind {
    try_resolve_plain(text).unwrap_or_else(|_| NodeKind::Str(text.to_string()))
}

/// Like [`resolve_plain`], but a value PyYAML cannot construct is an error
/// (the message says why).
pub(crate) fn try_resolve_plain(text: &str) -> Result<NodeKind, String> {
    match implicit_tag(text) {
        Implicit::Null => Ok(NodeKind::Null),
        Implicit::Bool => construct_bool(text),
        Implicit::Int => construct_int(text),
        Implicit::Float => construct_float(text).map(NodeKind::Float),
        Implicit::Timestamp => timestamp::construct(text).map(NodeKind::Str),
        Implicit::Merge => Err(no_constructor("tag:yaml.org,2002:merge")),
        Implicit::Value => Err(no_constructor("tag:yaml.org,2002:value")),
        Implicit::Str => Ok(NodeKind::Str(text.to_string())),
    }
}

/// PyYAML's message for a tag no constructor is registered for.
pub(crate) fn no_constructor(tag: &str) -> String {
    format!("could not determine a constructor for the tag '{tag}'")
}

/// `!!bool`: any case of yes/no/true/false/on/off (explicitly tagged values
/// are lower-cased first, so `!!bool TrUe` is true, but `!!bool y` fails).
pub(crate) fn construct_bool(text: &str) -> Result<NodeKind, String> {
    match text.to_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(NodeKind::Bool(true)),
        "no" | "false" | "off" => Ok(NodeKind::Bool(false)),
        _ => Err(format!("cannot construct a bool from '{text}'")),
    }
}

/// `!!int`: underscores ignored, `0b`/`0x`/leading-`0` (octal) prefixes,
/// `a:b:c` base 60. Python ints are unbounded; a value beyond i64 is kept
/// as its decimal digits (or, when even i128 overflows, its text) so that it
/// still prints as Ansible would print it.
pub(crate) fn construct_int(text: &str) -> Result<NodeKind, String> {
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let invalid =
        |base: u32, lit: &str| format!("invalid literal for int() with base {base}: '{lit}'");
    let Some(first) = cleaned.chars().next() else {
        return Err("cannot construct an int from an empty value".into());
    };
    let negative = first == '-';
    let body = if first == '-' || first == '+' {
        &cleaned[1..]
    } else {
        cleaned.as_str()
    };
    // The digits (one place, or the base-60 places of `a:b:c`) and their radix.
    let (places, radix): (Vec<&str>, u32) = if body == "0" {
        (vec!["0"], 10)
    } else if let Some(bin) = body.strip_prefix("0b") {
        (vec![bin], 2)
    } else if let Some(hex) = body.strip_prefix("0x") {
        (vec![hex], 16)
    } else if body.starts_with('0') {
        // Python's int(s, 8) also accepts an `0o` prefix.
        let oct = body
            .strip_prefix("0o")
            .or_else(|| body.strip_prefix("0O"))
            .unwrap_or(body);
        (vec![oct], 8)
    } else {
        (body.split(':').collect(), 10)
    };
    let mut magnitude: Option<i128> = Some(0);
    for place in &places {
        let lit = if radix == 8 { body } else { place };
        let digit = parse_radix(place, radix).map_err(|()| invalid(radix, lit))?;
        magnitude = magnitude
            .and_then(|v| v.checked_mul(60))
            .and_then(|v| v.checked_add(digit?));
    }
    let Some(magnitude) = magnitude else {
        // Beyond i128: Python's unbounded int, written out in decimal.
        let sign = if negative { "-" } else { "" };
        return Ok(NodeKind::Str(format!(
            "{sign}{}",
            big_decimal(&places, radix)
        )));
    };
    let value = if negative { -magnitude } else { magnitude };
    Ok(match i64::try_from(value) {
        Ok(v) => NodeKind::Int(v),
        Err(_) => NodeKind::Str(value.to_string()),
    })
}

/// The decimal digits of a number too big for i128: `places` are base-60
/// places (one place for a plain number), each made of digits of `radix`
/// (already checked by [`parse_radix`]). The number is kept in base-10^9
/// limbs, least significant first.
fn big_decimal(places: &[&str], radix: u32) -> String {
    const LIMB: u64 = 1_000_000_000;
    // limbs = limbs * m + a
    fn mul_add(limbs: &mut Vec<u64>, m: u64, a: u64) {
        let mut carry = a;
        for limb in limbs.iter_mut() {
            let v = *limb * m + carry;
            *limb = v % LIMB;
            carry = v / LIMB;
        }
        while carry > 0 {
            limbs.push(carry % LIMB);
            carry /= LIMB;
        }
    }
    let mut total: Vec<u64> = Vec::new();
    for place in places {
        let mut part: Vec<u64> = Vec::new();
        for d in place.trim().chars().filter_map(|c| c.to_digit(radix)) {
            mul_add(&mut part, u64::from(radix), u64::from(d));
        }
        mul_add(&mut total, 60, 0);
        // total += part
        let mut carry = 0;
        for (k, p) in part.iter().enumerate() {
            if k == total.len() {
                total.push(0);
            }
            let v = total[k] + p + carry;
            total[k] = v % LIMB;
            carry = v / LIMB;
        }
        let mut k = part.len();
        while carry > 0 {
            if k == total.len() {
                total.push(0);
            }
            let v = total[k] + carry;
            total[k] = v % LIMB;
            carry = v / LIMB;
            k += 1;
        }
    }
    while total.len() > 1 && total.last() == Some(&0) {
        total.pop();
    }
    let mut out = total.last().map_or_else(|| "0".to_string(), u64::to_string);
    for limb in total.iter().rev().skip(1) {
        out.push_str(&format!("{limb:09}"));
    }
    out
}

/// Parses digits of `radix` the way Python's `int()` does after the prefix
/// is gone (surrounding whitespace allowed). `Ok(None)` means the digits
/// are valid but overflow i128; `Err` means they are not digits at all.
fn parse_radix(digits: &str, radix: u32) -> Result<Option<i128>, ()> {
    let digits = digits.trim();
    if digits.is_empty() {
        return Err(());
    }
    let mut value: Option<i128> = Some(0);
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or(())?;
        value = value
            .and_then(|v| v.checked_mul(i128::from(radix)))
            .and_then(|v| v.checked_add(i128::from(d)));
    }
    Ok(value)
}

/// `!!float`: underscores ignored, case-insensitive `.inf`/`.nan`, `a:b.c`
/// base 60, otherwise Python's `float()`.
pub(crate) fn construct_float(text: &str) -> Result<f64, String> {
    let cleaned: String = text
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_lowercase();
    let Some(first) = cleaned.chars().next() else {
        return Err("cannot construct a float from an empty value".into());
    };
    let sign = if first == '-' { -1.0 } else { 1.0 };
    let body = if first == '-' || first == '+' {
        &cleaned[1..]
    } else {
        cleaned.as_str()
    };
    if body == ".inf" {
        return Ok(sign * f64::INFINITY);
    }
    if body == ".nan" {
        return Ok(f64::NAN);
    }
    if body.contains(':') {
        // Same summation order as PyYAML, so the result is bit-identical.
        let mut parts = Vec::new();
        for part in body.split(':') {
            parts.push(python_float(part)?);
        }
        let mut value = 0.0;
        let mut base = 1.0;
        for digit in parts.iter().rev() {
            value += digit * base;
            base *= 60.0;
        }
        return Ok(sign * value);
    }
    Ok(sign * python_float(body)?)
}

/// Python's `float(str)` for the inputs YAML can give it.
fn python_float(s: &str) -> Result<f64, String> {
    let t = s.trim();
    // Python strips surrounding whitespace; otherwise Rust's grammar
    // (digits, `1.`, `.5`, exponents, inf/infinity/nan in any case) is the
    // same as Python's for everything the callers can pass.
    t.parse::<f64>()
        .map_err(|_| format!("could not convert string to float: '{s}'"))
}

/// `!!binary`: base64 as Python's `decodebytes` reads it: characters
/// outside the alphabet are skipped, a `=` ends the data once it completes a
/// group of four (earlier ones are skipped too), and data that stops inside
/// a group is an error. Python gives `bytes`; kiln has no bytes type, so the
/// data must be UTF-8 text.
pub(crate) fn construct_binary(text: &str) -> Result<NodeKind, String> {
    let mut bits: u32 = 0;
    let mut nbits = 0u32;
    // Position in the current group of four, and `=` seen since its last
    // data character.
    let (mut quad, mut pads) = (0usize, 0usize);
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for c in text.chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            '=' => {
                pads += 1;
                if quad >= 2 && quad + pads >= 4 {
                    quad = 0;
                    break;
                }
                continue;
            }
            _ => continue,
        };
        pads = 0;
        quad = (quad + 1) % 4;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    match quad {
        0 => {}
        1 => {
            // Python counts the data characters of the complete groups
            // (from the bytes they made) plus the one left over.
            return Err(format!(
                "failed to decode base64 data: Invalid base64-encoded string: number of data \
                 characters ({}) cannot be 1 more than a multiple of 4",
                out.len() / 3 * 4 + 1
            ));
        }
        _ => return Err("failed to decode base64 data: Incorrect padding".into()),
    }
    String::from_utf8(out)
        .map(NodeKind::Str)
        .map_err(|_| "!!binary data that is not UTF-8 text is not supported".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        // A broken pattern would silently never match; make sure they are real.
        assert!(is_match(&FLOAT, "1.5"));
        assert!(is_match(&INT, "0x1F"));
        assert!(is_match(&TIMESTAMP, "2001-12-14"));
    }

    #[test]
    fn resolve_plain_falls_back_to_string_on_construction_failure() {
        assert_eq!(resolve_plain("0b_"), NodeKind::Str("0b_".into()));
        assert_eq!(resolve_plain("<<"), NodeKind::Str("<<".into()));
        assert_eq!(resolve_plain("yes"), NodeKind::Bool(true));
    }

    #[test]
    fn explicit_constructors() {
        assert_eq!(construct_bool("TrUe"), Ok(NodeKind::Bool(true)));
        assert!(construct_bool("y").is_err());
        assert_eq!(construct_int(" 12"), Ok(NodeKind::Int(12)));
        assert_eq!(construct_int("0o17"), Ok(NodeKind::Int(15)));
        assert_eq!(construct_int("12:30"), Ok(NodeKind::Int(750)));
        assert!(construct_int("1.5").is_err());
        assert!(construct_int("").is_err());
        assert_eq!(construct_float("1"), Ok(1.0));
        assert_eq!(construct_float("1e3"), Ok(1000.0));
        assert_eq!(construct_float("inf"), Ok(f64::INFINITY));
        assert!(construct_float("abc").is_err());
    }

    #[test]
    fn binary_is_decoded_text() {
        assert_eq!(
            construct_binary("aGVs\nbG8="),
            Ok(NodeKind::Str("hello".into()))
        );
        assert!(construct_binary("/w==").is_err());
        // Python's base64.decodebytes (ansible-core 2.21 venv) on the same
        // inputs: b'he' (the `=` completing a group ends the data), b'hi'
        // (what follows is not read), and the errors below.
        assert_eq!(construct_binary("aGV=sb"), Ok(NodeKind::Str("he".into())));
        assert_eq!(construct_binary("aGk=x"), Ok(NodeKind::Str("hi".into())));
        assert_eq!(construct_binary("===="), Ok(NodeKind::Str(String::new())));
        let padding = Err("failed to decode base64 data: Incorrect padding".to_string());
        for bad in ["aGk", "aG", "aG=k", "a=b", "aGVsbG8"] {
            assert_eq!(construct_binary(bad), padding, "{bad}");
        }
        let one_more = |n: usize| {
            Err(format!(
                "failed to decode base64 data: Invalid base64-encoded string: number of data \
                 characters ({n}) cannot be 1 more than a multiple of 4"
            ))
        };
        assert_eq!(construct_binary("aGVsb"), one_more(5));
        assert_eq!(construct_binary("aGVsb="), one_more(5));
        assert_eq!(construct_binary("a==="), one_more(1));
    }

    #[test]
    fn big_integers_keep_their_digits() {
        assert_eq!(
            construct_int("12345678901234567890"),
            Ok(NodeKind::Str("12345678901234567890".into()))
        );
        assert_eq!(
            construct_int("0x8000000000000000"),
            Ok(NodeKind::Str("9223372036854775808".into()))
        );
        assert_eq!(
            construct_int("-9223372036854775808"),
            Ok(NodeKind::Int(i64::MIN))
        );
        let huge = "1".repeat(60);
        assert_eq!(construct_int(&huge), Ok(NodeKind::Str(huge.clone())));
        // Beyond i128, in every radix: Python's int() of the same digits
        // (ansible-core 2.21 venv), e.g. int('7' * 50, 8).
        let big = |text: &str| construct_int(text).ok();
        let s = |d: &str| Some(NodeKind::Str(d.into()));
        assert_eq!(
            big(&format!("0{}", "7".repeat(50))),
            s("1427247692705959881058285969449495136382746623")
        );
        assert_eq!(
            big(&format!("-0x{}", "F".repeat(40))),
            s("-1461501637330902918203684832716283019655932542975")
        );
        assert_eq!(
            big(&format!("1:{}", "9".repeat(40))),
            s("10000000000000000000000000000000000000059")
        );
        assert_eq!(
            big(&format!("{}:59:1", "9".repeat(40))),
            s("35999999999999999999999999999999999999999941")
        );
    }
}
