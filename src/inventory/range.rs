// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Host ranges: `web[01:20]`, `db-[a:f]`, `h[0:20:5]`, several ranges in one
//! name. The rules (and their quirks) are Ansible's: a begin with a leading
//! zero fixes the width and needs an end of the same length; letters come
//! from `a..zA..Z`; an empty begin is 0; a numeric range whose end is below
//! its begin is simply empty.

use super::address::parse_address;

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The most hosts one host word may expand to: a whole /16. Ansible has
/// no limit and, given `10.0.0.[1:99999999]`, fills the controller's
/// memory before it says anything; a range that large is a typo, so kiln
/// refuses it with the count instead (found by the yaml_inventory fuzz
/// target).
pub const MAX_RANGE_HOSTS: u64 = 65_536;

/// Expands a host word into host names and the port written after it.
/// `Err` carries the message to report.
pub fn expand_host_pattern(word: &str) -> Result<(Vec<String>, Option<i64>), String> {
    let (pattern, port) = match parse_address(word, true) {
        Some(a) => (a.host, a.port),
        None => (word.to_string(), None),
    };
    let names = if pattern.contains('[') {
        expand_range(&pattern)?
    } else {
        vec![pattern]
    };
    Ok((names, port))
}

/// Expands the first `[...]` of `line`, then any further ones.
pub fn expand_range(line: &str) -> Result<Vec<String>, String> {
    if !line.contains('[') {
        return Ok(vec![line.to_string()]);
    }
    // Ansible marks the first '[' and the first ']' with '|' and expects
    // exactly three parts; anything else (a missing ']', a '|' in the name)
    // is an error.
    let marked = line.replacen('[', "|", 1).replacen(']', "|", 1);
    let parts: Vec<&str> = marked.split('|').collect();
    let [head, nrange, tail] = parts[..] else {
        return Err(format!(
            "invalid host range in '{line}': expected one '[begin:end]' expression"
        ));
    };
    let bounds: Vec<&str> = nrange.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err("host range must be begin:end or begin:end:step".into());
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    let step = bounds.get(2).copied().unwrap_or("1");
    if end.is_empty() {
        return Err("host range must specify end value".into());
    }
    let width = if beg.starts_with('0') && beg.chars().count() > 1 {
        if beg.chars().count() != end.chars().count() {
            return Err("host range must specify equal-length begin and end formats".into());
        }
        Some(beg.chars().count())
    } else {
        None
    };
    let seq: Vec<String> = match alpha_range(beg, end, step)? {
        Some(letters) => letters,
        None => {
            let b = py_int(beg)?;
            let e = py_int(end)?;
            let s = py_int(step)?;
            if s == 0 {
                return Err("range() arg 3 must not be zero".into());
            }
            let count = numeric_count(b, e, s);
            if count > MAX_RANGE_HOSTS {
                return Err(too_many(line, Some(count)));
            }
            let mut v = Vec::new();
            let mut i = b;
            while (s > 0 && i < e + 1) || (s < 0 && i > e + 1) {
                v.push(i.to_string());
                i += s;
            }
            v
        }
    };
    let mut hosts = Vec::new();
    for item in seq {
        let filled = match width {
            Some(w) => zfill(&item, w),
            None => item,
        };
        let name = format!("{head}{filled}{tail}");
        if name.contains('[') {
            hosts.extend(expand_range(&name)?);
        } else {
            hosts.push(name);
        }
        // Several ranges in one word multiply.
        if hosts.len() as u64 > MAX_RANGE_HOSTS {
            return Err(too_many(line, None));
        }
    }
    Ok(hosts)
}

/// How many numbers `range(b, e + 1, s)` holds (`s` is not zero).
fn numeric_count(b: i128, e: i128, s: i128) -> u64 {
    let end = e.saturating_add(1);
    let n = if s > 0 && end > b {
        (end - b).saturating_add(s - 1) / s
    } else if s < 0 && end < b {
        (b - end).saturating_add(-s - 1) / -s
    } else {
        0
    };
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The refusal of a range that names too many hosts (`count`, when known
/// before expanding).
fn too_many(line: &str, count: Option<u64>) -> String {
    let size = count.map_or_else(|| "more".to_string(), |n| format!("{n}"));
    format!(
        "host range '{line}' expands to {size} hosts; kiln accepts at most {MAX_RANGE_HOSTS} from one name (Ansible has no limit)"
    )
}

/// A letter range, or `None` when the bounds are not letters (Ansible then
/// tries numbers). Bounds are looked up as substrings of `a..zA..Z`.
fn alpha_range(beg: &str, end: &str, step: &str) -> Result<Option<Vec<String>>, String> {
    let (Some(ib), Some(ie)) = (LETTERS.find(beg), LETTERS.find(end)) else {
        return Ok(None);
    };
    if ib > ie {
        return Err("host range must have begin <= end".into());
    }
    let Ok(step) = py_int(step) else {
        return Ok(None);
    };
    if step == 0 {
        return Ok(None);
    }
    if step < 0 {
        // A negative step over an ascending slice is empty.
        return Ok(Some(Vec::new()));
    }
    let letters: Vec<char> = LETTERS.chars().collect();
    let stride = usize::try_from(step).unwrap_or(usize::MAX);
    Ok(Some(
        letters[ib..=ie]
            .iter()
            .step_by(stride)
            .map(|c| c.to_string())
            .collect(),
    ))
}

/// Python's `int(text)` for the forms ranges use (sign, digits, `_`).
fn py_int(text: &str) -> Result<i128, String> {
    let bad = || format!("invalid literal for int() with base 10: '{text}'");
    let t = text.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return Err(bad());
    }
    let v: i128 = digits.replace('_', "").parse().map_err(|_| bad())?;
    Ok(if neg { -v } else { v })
}

/// Python's `str.zfill`: pads with zeros after any sign.
fn zfill(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        return s.to_string();
    }
    let pad = "0".repeat(width - n);
    match s.strip_prefix(['-', '+']) {
        Some(rest) => format!("{}{pad}{rest}", &s[..1]),
        None => format!("{pad}{s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(s: &str) -> Result<Vec<String>, String> {
        expand_host_pattern(s).map(|(h, _)| h)
    }

    #[test]
    fn a_range_of_more_hosts_than_a_16_is_refused_before_it_is_built() {
        // The yaml_inventory fuzz target's out-of-memory input
        // (fuzz/seeds/yaml_inventory/range_too_large.yml).
        let e = ex("10.0.0.[1:99999992]").unwrap_err();
        assert!(e.contains("expands to 99999992 hosts"), "{e}");
        assert!(e.contains("at most 65536"), "{e}");
        // Ranges multiply: 256 x 257 names.
        let e = ex("10.0.[0:255].[0:256]").unwrap_err();
        assert!(e.contains("expands to more hosts"), "{e}");
        // A whole /16 is still accepted; a negative step counts too.
        assert_eq!(ex("10.1.[0:255].[0:255]").map(|v| v.len()), Ok(65_536));
        assert_eq!(ex("h[9:0:-3]").map(|v| v.len()), Ok(3));
        assert_eq!(numeric_count(10, 1, -3), 3);
        assert_eq!(numeric_count(1, 10, 3), 4);
        assert_eq!(numeric_count(5, 1, 1), 0);
    }

    #[test]
    fn ranges() {
        assert_eq!(
            ex("web[01:03]"),
            Ok(vec!["web01".into(), "web02".into(), "web03".into()])
        );
        assert_eq!(ex("h[08:11]").map(|v| v.len()), Ok(4));
        assert_eq!(
            ex("h[9:11]"),
            Ok(vec!["h9".into(), "h10".into(), "h11".into()])
        );
        assert_eq!(
            ex("db-[a:c]"),
            Ok(vec!["db-a".into(), "db-b".into(), "db-c".into()])
        );
        assert_eq!(
            ex("h[a:e:2]"),
            Ok(vec!["ha".into(), "hc".into(), "he".into()])
        );
        assert_eq!(
            ex("h[01:10:3]"),
            Ok(vec!["h01".into(), "h04".into(), "h07".into(), "h10".into()])
        );
        assert_eq!(ex("h[:2]"), Ok(vec!["h0".into(), "h1".into(), "h2".into()]));
        assert_eq!(
            ex("h[ab:cd]"),
            Ok(vec!["ha".into(), "hb".into(), "hc".into()])
        );
        assert_eq!(
            ex("x[1:2]y[a:b]"),
            Ok(vec![
                "x1ya".into(),
                "x1yb".into(),
                "x2ya".into(),
                "x2yb".into()
            ])
        );
        assert_eq!(
            ex("10.0.0.[1:2]"),
            Ok(vec!["10.0.0.1".into(), "10.0.0.2".into()])
        );
        assert_eq!(ex("h[1_0:1_1]"), Ok(vec!["h10".into(), "h11".into()]));
        assert_eq!(ex("h[3:1]"), Ok(vec![]));
        assert_eq!(ex("h[1:5:-1]"), Ok(vec![]));
        assert_eq!(
            expand_host_pattern("h[1:2]:22"),
            Ok((vec!["h1".into(), "h2".into()], Some(22)))
        );
        assert_eq!(
            ex("h[1:2]:22:33"),
            Ok(vec!["h1:22:33".into(), "h2:22:33".into()])
        );
    }

    #[test]
    fn range_errors() {
        assert_eq!(
            ex("h[z:a]"),
            Err("host range must have begin <= end".into())
        );
        assert_eq!(
            ex("h[A:c]"),
            Err("host range must have begin <= end".into())
        );
        assert_eq!(
            ex("h[01:3]"),
            Err("host range must specify equal-length begin and end formats".into())
        );
        assert_eq!(ex("h[1:]"), Err("host range must specify end value".into()));
        assert_eq!(
            ex("h[x]"),
            Err("host range must be begin:end or begin:end:step".into())
        );
        assert_eq!(
            ex("h[1:2:3:4]"),
            Err("host range must be begin:end or begin:end:step".into())
        );
        assert_eq!(
            ex("h]1["),
            Err("host range must be begin:end or begin:end:step".into())
        );
        assert_eq!(
            ex("h[a:1]"),
            Err("invalid literal for int() with base 10: 'a'".into())
        );
        assert_eq!(
            ex("h[a:c:0]"),
            Err("invalid literal for int() with base 10: 'a'".into())
        );
        assert_eq!(
            ex("h[1:10:0]"),
            Err("range() arg 3 must not be zero".into())
        );
        assert!(ex("h[1:2").is_err_and(|e| e.contains("expected one '[begin:end]'")));
        assert!(ex("[web").is_err_and(|e| e.contains("expected one '[begin:end]'")));
    }
}
