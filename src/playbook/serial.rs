// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `serial`: how one batch size is read, the same way when the playbook is
//! loaded (literal values) and when the play starts (templated ones).

use super::PlaybookError;
use crate::yaml::{Node, NodeKind};

/// The size of one batch out of `hosts` hosts: a whole number, or a
/// percentage `N%` with a whole `N` (ansible-core's `pct_to_int`, which
/// rounds down but never to zero). Anything else is Python's `int()`
/// error, the words ansible-playbook stops with.
pub fn batch_size(text: &str, hosts: usize) -> Result<usize, String> {
    match text.strip_suffix('%') {
        Some(p) => {
            let pct = py_int(p).ok_or_else(|| invalid(p))?;
            let size = (pct.max(0) as f64 / 100.0 * hosts as f64).floor() as usize;
            Ok(size.max(1))
        }
        // A non-positive size means every host in one batch, as before.
        None => Ok(py_int(text).ok_or_else(|| invalid(text))?.max(0) as usize),
    }
}

/// What Python's `int()` accepts from a string: blanks around, a sign,
/// digits with single underscores between them.
fn py_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let ok = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !ok {
        return None;
    }
    let n: i64 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -n } else { n })
}

fn invalid(text: &str) -> String {
    format!("invalid literal for int() with base 10: '{text}'")
}

/// Checks a literal `serial` (a scalar or a list of them) while the
/// playbook loads, so a bad one stops the run before any host is touched;
/// templated values are read when the play starts.
pub fn check(v: &Node) -> Result<(), PlaybookError> {
    let items: Vec<&Node> = match &v.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        _ => vec![v],
    };
    for item in items {
        let NodeKind::Str(s) = &item.kind else {
            continue;
        };
        if crate::template::is_template(s) {
            continue;
        }
        if let Err(why) = batch_size(s, 1) {
            return Err(PlaybookError::new(
                &item.span,
                format!("Error processing keyword 'serial': {why}"),
            )
            .hint("serial takes a number of hosts, a whole percentage such as '30%', or a list of them"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_as_ansible_reads_them() {
        // Checked against Python: int(' 3 ') == 3, int('1_0') == 10, and
        // int((30 / 100.0) * 7) or 1 == 2.
        assert_eq!(batch_size(" 3 ", 9), Ok(3));
        assert_eq!(batch_size("1_0", 20), Ok(10));
        assert_eq!(batch_size("30%", 7), Ok(2));
        assert_eq!(batch_size("0%", 7), Ok(1));
        assert_eq!(batch_size("0", 7), Ok(0));
        for bad in ["abc", "1.5", "12.5%", "", "1__0", "_1", "%"] {
            let body = bad.strip_suffix('%').unwrap_or(bad);
            assert_eq!(
                batch_size(bad, 4),
                Err(format!("invalid literal for int() with base 10: '{body}'")),
                "{bad}"
            );
        }
    }
}
