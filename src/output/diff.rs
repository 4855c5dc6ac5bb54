// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `--diff` output as Ansible's default callback prints it: unified diffs
//! (three lines of context) of each `before`/`after` pair a module returns.

use super::json::dumps;
use serde_json::Value as Json;

/// Runs of equal and changed lines between two sequences (an LCS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal(usize, usize, usize, usize),
    Change(usize, usize, usize, usize),
}

fn opcodes(a: &[&str], b: &[&str]) -> Vec<Op> {
    // Trim the common prefix and suffix, then an O(n*m) LCS on the middle:
    // file diffs here are small, and the result is what difflib gives for
    // the ordinary cases.
    let mut pre = 0;
    while pre < a.len() && pre < b.len() && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < a.len() - pre && suf < b.len() - pre && a[a.len() - 1 - suf] == b[b.len() - 1 - suf]
    {
        suf += 1;
    }
    let (ma, mb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let (n, m) = (ma.len(), mb.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if ma[i] == mb[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut pairs = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if ma[i] == mb[j] {
            pairs.push((pre + i, pre + j));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    let mut matched: Vec<(usize, usize)> = (0..pre).map(|k| (k, k)).collect();
    matched.extend(pairs);
    matched.extend((0..suf).map(|k| (a.len() - suf + k, b.len() - suf + k)));
    let mut ops = Vec::new();
    let (mut ai, mut bi) = (0, 0);
    let mut k = 0;
    while k < matched.len() {
        let (ma_, mb_) = matched[k];
        if ma_ > ai || mb_ > bi {
            ops.push(Op::Change(ai, ma_, bi, mb_));
        }
        let (s_a, s_b) = (ma_, mb_);
        let mut len = 0;
        while k < matched.len() && matched[k] == (s_a + len, s_b + len) {
            len += 1;
            k += 1;
        }
        ops.push(Op::Equal(s_a, s_a + len, s_b, s_b + len));
        ai = s_a + len;
        bi = s_b + len;
    }
    if ai < a.len() || bi < b.len() {
        ops.push(Op::Change(ai, a.len(), bi, b.len()));
    }
    ops
}

/// difflib's `_format_range_unified`.
fn range(start: usize, stop: usize) -> String {
    let mut beginning = start + 1;
    let length = stop - start;
    if length == 1 {
        return beginning.to_string();
    }
    if length == 0 {
        beginning -= 1;
    }
    format!("{beginning},{length}")
}

/// difflib.unified_diff over lines that keep their line ends.
pub fn unified(a: &[&str], b: &[&str], from: &str, to: &str, n: usize) -> Vec<String> {
    let ops = opcodes(a, b);
    if ops.iter().all(|o| matches!(o, Op::Equal(..))) {
        return Vec::new();
    }
    // get_grouped_opcodes: trim context at both ends, split at long equal runs.
    let mut codes = ops;
    if let Some(Op::Equal(i1, i2, j1, j2)) = codes.first().copied() {
        codes[0] = Op::Equal(
            i1.max(i2.saturating_sub(n)),
            i2,
            j1.max(j2.saturating_sub(n)),
            j2,
        );
    }
    if let Some(Op::Equal(i1, i2, j1, j2)) = codes.last().copied() {
        let last = codes.len() - 1;
        codes[last] = Op::Equal(i1, i2.min(i1 + n), j1, j2.min(j1 + n));
    }
    let mut groups: Vec<Vec<Op>> = Vec::new();
    let mut group = Vec::new();
    for op in codes {
        match op {
            Op::Equal(i1, i2, j1, j2) if i2 - i1 > 2 * n => {
                group.push(Op::Equal(i1, (i1 + n).min(i2), j1, (j1 + n).min(j2)));
                groups.push(std::mem::take(&mut group));
                group.push(Op::Equal(i1.max(i2 - n), i2, j1.max(j2 - n), j2));
            }
            other => group.push(other),
        }
    }
    if !(group.len() == 1 && matches!(group[0], Op::Equal(..))) {
        groups.push(group);
    }
    let mut out = vec![format!("--- {from}\n"), format!("+++ {to}\n")];
    for g in groups {
        let (first, last) = (g[0], g[g.len() - 1]);
        let (Op::Equal(i1, _, j1, _) | Op::Change(i1, _, j1, _)) = first;
        let (Op::Equal(_, i2, _, j2) | Op::Change(_, i2, _, j2)) = last;
        out.push(format!("@@ -{} +{} @@\n", range(i1, i2), range(j1, j2)));
        for op in g {
            match op {
                Op::Equal(i1, i2, ..) => out.extend(a[i1..i2].iter().map(|l| format!(" {l}"))),
                Op::Change(i1, i2, j1, j2) => {
                    out.extend(a[i1..i2].iter().map(|l| format!("-{l}")));
                    out.extend(b[j1..j2].iter().map(|l| format!("+{l}")));
                }
            }
        }
    }
    out
}

/// Python's `str.splitlines(True)`.
fn lines_keep(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        cur.push(c);
        if c == '\n' {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn side(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(other @ Json::Object(_)) => format!("{}\n", dumps(other, Some(4), true)),
        Some(other) => other.to_string(),
    }
}

/// The callback's `_get_diff`: every diff of a result, ready to print.
pub fn render(diff: &Json) -> String {
    let items: Vec<&Json> = match diff {
        Json::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut ret = String::new();
    for d in items {
        if d.get("dst_binary").is_some() {
            ret.push_str("diff skipped: destination file appears to be binary\n");
        }
        if d.get("src_binary").is_some() {
            ret.push_str("diff skipped: source file appears to be binary\n");
        }
        if let Some(n) = d.get("dst_larger") {
            ret.push_str(&format!(
                "diff skipped: destination file size is greater than {n}\n"
            ));
        }
        if let Some(n) = d.get("src_larger") {
            ret.push_str(&format!(
                "diff skipped: source file size is greater than {n}\n"
            ));
        }
        if d.get("before").is_some() && d.get("after").is_some() {
            let header = |k: &str, word: &str| match d.get(k).and_then(Json::as_str) {
                Some(h) => format!("{word}: {h}"),
                None => word.to_string(),
            };
            let mut before = lines_keep(&side(d.get("before")));
            let mut after = lines_keep(&side(d.get("after")));
            for l in [&mut before, &mut after] {
                if let Some(last) = l.last_mut()
                    && !last.ends_with('\n')
                {
                    last.push_str("\n\\ No newline at end of file\n");
                }
            }
            let a: Vec<&str> = before.iter().map(String::as_str).collect();
            let b: Vec<&str> = after.iter().map(String::as_str).collect();
            let lines = unified(
                &a,
                &b,
                &header("before_header", "before"),
                &header("after_header", "after"),
                3,
            );
            if !lines.is_empty() {
                ret.push_str(&lines.concat());
                ret.push('\n');
            }
        }
        if let Some(p) = d.get("prepared").and_then(Json::as_str) {
            ret.push_str(p);
        }
    }
    ret
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn like_difflib() {
        let d = render(
            &json!({"before": "a=1\nb=2\n", "after": "a=10\nb=2\n", "before_header": "f", "after_header": "f"}),
        );
        assert_eq!(
            d,
            "--- before: f\n+++ after: f\n@@ -1,2 +1,2 @@\n-a=1\n+a=10\n b=2\n\n"
        );
        let d = render(&json!({"before": "", "after": "brand new\n", "after_header": "n"}));
        assert_eq!(d, "--- before\n+++ after: n\n@@ -0,0 +1 @@\n+brand new\n\n");
        let d = render(&json!({"before": {"owner": 0}, "after": {"owner": 1}}));
        assert_eq!(
            d,
            "--- before\n+++ after\n@@ -1,3 +1,3 @@\n {\n-    \"owner\": 0\n+    \"owner\": 1\n }\n\n"
        );
        assert_eq!(render(&json!({"before": "x\n", "after": "x\n"})), "");
    }

    #[test]
    fn far_apart_changes_make_two_hunks() {
        let a: Vec<String> = (1..=20).map(|i| format!("{i}\n")).collect();
        let mut b = a.clone();
        b[1] = "two\n".into();
        b[18] = "nineteen\n".into();
        let ar: Vec<&str> = a.iter().map(String::as_str).collect();
        let br: Vec<&str> = b.iter().map(String::as_str).collect();
        let out = unified(&ar, &br, "x", "y", 3).concat();
        assert!(
            out.contains("@@ -1,5 +1,5 @@") && out.contains("@@ -16,5 +16,5 @@"),
            "{out}"
        );
    }
}
