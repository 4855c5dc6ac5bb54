// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Shell-style globs as Python's `fnmatch` reads them (`*`, `?`, `[set]`,
//! `[!set]`), matched against the whole name, case-sensitively. Sets follow
//! Python's quirks: a `]` right after `[`/`[!` is literal, a `[` without a
//! closing `]` is literal, a reversed range like `z-a` matches nothing.

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Char(char),
    Range(char, char),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Star,
    Any,
    Lit(char),
    Set {
        negate: bool,
        items: Vec<Item>,
    },
    /// An empty set: never matches.
    Never,
}

/// A compiled glob.
#[derive(Debug, Clone, PartialEq)]
pub struct Glob {
    toks: Vec<Tok>,
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        let pat: Vec<char> = pattern.chars().collect();
        let n = pat.len();
        let mut toks = Vec::new();
        let mut i = 0;
        while i < n {
            let c = pat[i];
            i += 1;
            match c {
                '*' => {
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                }
                '?' => toks.push(Tok::Any),
                '[' => {
                    let mut j = i;
                    if j < n && pat[j] == '!' {
                        j += 1;
                    }
                    if j < n && pat[j] == ']' {
                        j += 1;
                    }
                    while j < n && pat[j] != ']' {
                        j += 1;
                    }
                    if j >= n {
                        toks.push(Tok::Lit('['));
                        continue;
                    }
                    toks.push(set_token(&pat, i, j));
                    i = j + 1;
                }
                other => toks.push(Tok::Lit(other)),
            }
        }
        Glob { toks }
    }

    pub fn is_match(&self, name: &str) -> bool {
        let s: Vec<char> = name.chars().collect();
        match_from(&self.toks, &s)
    }
}

/// Builds the set between `pat[i]` and `pat[j]` (the closing `]`), with
/// Python's splitting into chunks around `-` and removal of empty ranges.
fn set_token(pat: &[char], start: usize, j: usize) -> Tok {
    let stuff: Vec<char> = pat[start..j].to_vec();
    let chunks: Vec<Vec<char>> = if !stuff.contains(&'-') {
        vec![stuff]
    } else {
        let mut chunks: Vec<Vec<char>> = Vec::new();
        let mut i = start;
        let mut k = if pat[start] == '!' {
            start + 2
        } else {
            start + 1
        };
        loop {
            let found = (k..j).find(|&x| pat[x] == '-');
            let Some(kk) = found else { break };
            chunks.push(pat[i..kk].to_vec());
            i = kk + 1;
            k = kk + 3;
        }
        let chunk = pat[i..j].to_vec();
        if !chunk.is_empty() {
            chunks.push(chunk);
        } else if let Some(last) = chunks.last_mut() {
            last.push('-');
        }
        let mut k = chunks.len().saturating_sub(1);
        while k > 0 {
            let prev_last = chunks[k - 1].last().copied();
            let first = chunks[k].first().copied();
            if let (Some(a), Some(b)) = (prev_last, first)
                && a > b
            {
                let mut merged = chunks[k - 1][..chunks[k - 1].len() - 1].to_vec();
                merged.extend_from_slice(&chunks[k][1..]);
                chunks[k - 1] = merged;
                chunks.remove(k);
            }
            k -= 1;
        }
        chunks
    };
    let total: usize = chunks.iter().map(Vec::len).sum::<usize>() + chunks.len().saturating_sub(1);
    if total == 0 {
        return Tok::Never;
    }
    if total == 1 && chunks.first().is_some_and(|c| c.as_slice() == ['!']) {
        return Tok::Any;
    }
    let mut negate = false;
    let mut items = Vec::new();
    let last = chunks.len() - 1;
    for (idx, chunk) in chunks.iter().enumerate() {
        let mut from = 0;
        if idx == 0 && chunk.first() == Some(&'!') {
            negate = true;
            from = 1;
        }
        if idx > 0 {
            // The range joining the previous chunk's last char to this one's first.
            if let (Some(a), Some(b)) = (chunks[idx - 1].last(), chunk.first()) {
                items.push(Item::Range(*a, *b));
            }
            from = from.max(1);
        }
        let to = if idx < last {
            chunk.len().saturating_sub(1)
        } else {
            chunk.len()
        };
        for c in chunk.iter().take(to).skip(from) {
            items.push(Item::Char(*c));
        }
    }
    Tok::Set { negate, items }
}

fn tok_matches(t: &Tok, c: char) -> bool {
    match t {
        Tok::Any => true,
        Tok::Lit(l) => *l == c,
        Tok::Set { negate, items } => {
            let hit = items.iter().any(|i| match i {
                Item::Char(x) => *x == c,
                Item::Range(a, b) => *a <= c && c <= *b,
            });
            hit != *negate
        }
        Tok::Never | Tok::Star => false,
    }
}

fn match_from(toks: &[Tok], s: &[char]) -> bool {
    // Classic glob matching with backtracking to the last star.
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if ti < toks.len() && toks[ti] == Tok::Star {
            star = Some((ti, si));
            ti += 1;
            continue;
        }
        if ti < toks.len() && tok_matches(&toks[ti], s[si]) {
            ti += 1;
            si += 1;
            continue;
        }
        match star {
            Some((st, ss)) => {
                ti = st + 1;
                si = ss + 1;
                star = Some((st, ss + 1));
            }
            None => return false,
        }
    }
    while ti < toks.len() && toks[ti] == Tok::Star {
        ti += 1;
    }
    ti == toks.len()
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn m(p: &str, s: &str) -> bool {
        Glob::new(p).is_match(s)
    }

    #[test]
    fn fnmatch_rules() {
        assert!(m("web*", "web1"));
        assert!(m("web*", "web"));
        assert!(!m("web*", "aweb"));
        assert!(m("w*b1", "web1"));
        assert!(m("web?", "web2"));
        assert!(!m("web?", "web"));
        assert!(m("[!w]*", "db1"));
        assert!(!m("[!w]*", "web1"));
        assert!(m("h[0-9]", "h5"));
        assert!(!m("h[0-9]", "ha"));
        assert!(m("h[a:c]", "h:"));
        assert!(!m("h[z-a]", "hz"));
        assert!(m("h[!z-a]", "hx"));
        assert!(m("h[!]", "h[!]"));
        assert!(m("h[", "h["));
        assert!(m("h[]]", "h]"));
        assert!(m("h[a-]", "h-"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("Web", "Web"));
        assert!(!m("web", "Web"));
    }
}
