// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Debian version ordering (deb-version(7)), for `name>=version` in `apt`:
//! `[epoch:]upstream[-revision]`, compared part by part, each part as
//! alternating non-digit runs (where `~` sorts before everything, even the
//! end, and letters before other characters) and numbers.

use std::cmp::Ordering;

/// Compares two Debian version strings as `dpkg --compare-versions` does.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| compare_part(ua, ub))
        .then_with(|| compare_part(ra, rb))
}

/// (epoch, upstream, revision); a missing epoch is 0, a missing revision "".
fn split(v: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if e.chars().all(|c| c.is_ascii_digit()) && !e.is_empty() => {
            (e.parse().unwrap_or(0), r)
        }
        _ => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((u, r)) => (epoch, u, r),
        None => (epoch, rest, ""),
    }
}

/// The sort weight of one character of a non-digit run.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // Non-digit prefix, character by character.
        let na = a.iter().take_while(|c| !c.is_ascii_digit()).count();
        let nb = b.iter().take_while(|c| !c.is_ascii_digit()).count();
        for i in 0..na.max(nb) {
            let ca = if i < na { Some(a[i]) } else { None };
            let cb = if i < nb { Some(b[i]) } else { None };
            let o = weight(ca).cmp(&weight(cb));
            if o != Ordering::Equal {
                return o;
            }
        }
        a = &a[na..];
        b = &b[nb..];
        // Digit run, as a number (leading zeros do not count).
        let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
        let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let num = |s: &[u8]| {
            let t: &[u8] = {
                let z = s.iter().take_while(|&&c| c == b'0').count();
                &s[z..]
            };
            t.to_vec()
        };
        let (xa, xb) = (num(&a[..da]), num(&b[..db]));
        let o = xa.len().cmp(&xb.len()).then_with(|| xa.cmp(&xb));
        if o != Ordering::Equal {
            return o;
        }
        a = &a[da..];
        b = &b[db..];
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn orders_as_dpkg() {
        // Each pair checked with `dpkg --compare-versions A lt B` on bookworm.
        for (a, b) in [
            ("1.0", "1.1"),
            ("1.0~rc1", "1.0"),
            ("1.0", "1.0-1"),
            ("1.6-2", "1.6-2.1"),
            ("2.0", "1:0.1"),
            ("1.0a", "1.0b"),
            ("1.0a", "1.0+"),
            ("1.9", "1.10"),
            ("2.36.1-8+deb12u1", "2.36.1-8+deb12u2"),
            ("1.0~~", "1.0~"),
        ] {
            assert_eq!(compare(a, b), Less, "{a} < {b}");
            assert_eq!(compare(b, a), Greater, "{b} > {a}");
        }
        assert_eq!(compare("1.007", "1.7"), Equal);
        assert_eq!(compare("0:1.2-3", "1.2-3"), Equal);
    }
}
