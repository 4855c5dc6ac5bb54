// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Host patterns, evaluated as Ansible's inventory manager does:
//!
//! - the pattern is split on `,` (or, without a comma and when it is not a
//!   single address, on `:`, keeping `[...]` whole);
//! - plain terms are applied first, then `&` terms (intersection), then `!`
//!   terms (exclusion); with no plain term, `all` is implied;
//! - a term naming an inventory host is that host (even when a group has the
//!   same name); otherwise it is matched (fnmatch glob, or `~regex` matched
//!   at the start of the name) against group names, whose hosts are taken,
//!   and against host names when no group matched or the term looks like a
//!   glob or regex (`~`, `.`, `?`, `*`, `[`);
//! - `g[i]`, `g[i:j]`, `g[i:]` select among the hosts a term matched
//!   (`[i:j]` inclusive; `[i:0]` is `[i]`, as in Ansible);
//! - `localhost`, `127.0.0.1` or `::1` matching nothing selects the
//!   implicit localhost;
//! - the result keeps the first occurrence of each host.

use super::error::PatternError;
use super::glob::Glob;
use super::model::{Inventory, LOCALHOST_NAMES};
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The hosts a pattern selected, and the warnings Ansible would print
/// (terms that matched nothing, deprecated `[x-y]` subscripts).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    pub hosts: Vec<String>,
    pub warnings: Vec<String>,
}

/// Splits a host pattern into its terms.
pub fn split_host_pattern(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if super::address::parse_address(pattern, true).is_some() {
        vec![pattern.to_string()]
    } else {
        // `a:b:&c`, keeping bracketed expressions (`g[1:2]`) whole.
        colon_terms(pattern)
    };
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn colon_terms(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '[' {
            if let Some(close) = chars[i + 1..].iter().position(|&x| x == ']') {
                cur.extend(&chars[i..=i + 1 + close]);
                i += close + 2;
                continue;
            }
            flush(&mut cur, &mut out);
        } else if c == ':' || c == ']' || c.is_whitespace() {
            flush(&mut cur, &mut out);
        } else {
            cur.push(c);
        }
        i += 1;
    }
    flush(&mut cur, &mut out);
    out
}

/// Plain terms, then `&` terms, then `!` terms.
fn order_patterns(terms: &[String]) -> Vec<String> {
    let mut regular = Vec::new();
    let mut inter = Vec::new();
    let mut excl = Vec::new();
    for p in terms {
        if p.starts_with('!') {
            excl.push(p.clone());
        } else if p.starts_with('&') {
            inter.push(p.clone());
        } else if !p.is_empty() {
            regular.push(p.clone());
        }
    }
    if regular.is_empty() {
        regular.push("all".to_string());
    }
    regular.into_iter().chain(inter).chain(excl).collect()
}

fn subscript_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$").ok())
        .as_ref()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Subscript {
    Index(i64),
    /// `start` and inclusive `end` (`None` for "to the end").
    Range(i64, Option<i64>),
}

/// Matches names against one term (a glob, or a `~regex` anchored at the start).
enum Matcher {
    Glob(Glob),
    Regex(Regex),
}

impl Matcher {
    fn new(term: &str) -> Result<Matcher, PatternError> {
        match term.strip_prefix('~') {
            Some(re) => Regex::new(&format!("^(?:{re})"))
                .map(Matcher::Regex)
                .map_err(|e| PatternError {
                    pattern: term.to_string(),
                    message: format!(
                        "Invalid host list pattern: {term}: {}",
                        first_line(&e.to_string())
                    ),
                }),
            None => Ok(Matcher::Glob(Glob::new(term))),
        }
    }

    fn is_match(&self, name: &str) -> bool {
        match self {
            Matcher::Glob(g) => g.is_match(name),
            Matcher::Regex(r) => r.is_match(name),
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

impl Inventory {
    /// The hosts selected by a host pattern, in Ansible's order. A pattern
    /// matching nothing gives an empty list (the caller warns).
    pub fn select(&self, pattern: &str) -> Result<Vec<String>, PatternError> {
        self.select_with_warnings(pattern).map(|s| s.hosts)
    }

    /// `select`, with Ansible's warnings about terms that matched nothing.
    pub fn select_with_warnings(&self, pattern: &str) -> Result<Selection, PatternError> {
        self.select_terms(&split_host_pattern(pattern))
    }

    /// Selects with several patterns (a play's `hosts:` list), as one.
    pub fn select_list(&self, patterns: &[&str]) -> Result<Selection, PatternError> {
        let terms: Vec<String> = patterns
            .iter()
            .flat_map(|p| split_host_pattern(p))
            .collect();
        self.select_terms(&terms)
    }

    pub(crate) fn select_terms(&self, terms: &[String]) -> Result<Selection, PatternError> {
        let mut sel = Selection::default();
        let mut hosts: Vec<String> = Vec::new();
        for p in order_patterns(terms) {
            if self.hosts.contains_key(&p) {
                hosts.push(p);
                continue;
            }
            let that = self.match_one(&p, &mut sel.warnings)?;
            if p.starts_with('!') {
                let that: HashSet<&String> = that.iter().collect();
                hosts.retain(|h| !that.contains(h));
            } else if p.starts_with('&') {
                let that: HashSet<&String> = that.iter().collect();
                hosts.retain(|h| that.contains(h));
            } else {
                let existing: HashSet<String> = hosts.iter().cloned().collect();
                hosts.extend(that.into_iter().filter(|h| !existing.contains(h)));
            }
        }
        let mut seen = HashSet::new();
        sel.hosts = hosts
            .into_iter()
            .filter(|h| seen.insert(h.clone()))
            .collect();
        Ok(sel)
    }

    /// One term without its `&`/`!`, subscript applied.
    fn match_one(
        &self,
        term: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<String>, PatternError> {
        let pattern = term.strip_prefix(['&', '!']).unwrap_or(term);
        if pattern.is_empty() {
            return Err(PatternError {
                pattern: term.to_string(),
                message: format!(
                    "Invalid host pattern '{term}': nothing follows the '{term}' operator"
                ),
            });
        }
        let (expr, sub) = split_subscript(pattern, warnings);
        let hosts = self.enumerate_matches(&expr, warnings)?;
        apply_subscript(hosts, sub).ok_or_else(|| PatternError {
            pattern: pattern.to_string(),
            message: format!("No hosts matched the subscripted pattern '{pattern}'"),
        })
    }

    fn enumerate_matches(
        &self,
        pattern: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<String>, PatternError> {
        let m = Matcher::new(pattern)?;
        let mut results: Vec<String> = Vec::new();
        let groups: Vec<&String> = self.groups.keys().filter(|g| m.is_match(g)).collect();
        for g in &groups {
            results.extend(self.group_hosts(g));
        }
        let globby = pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']);
        if groups.is_empty() || globby {
            results.extend(self.hosts.keys().filter(|h| m.is_match(h)).cloned());
        }
        if results.is_empty()
            && LOCALHOST_NAMES.contains(&pattern)
            && let Some(h) = self.resolve_host(pattern)
        {
            results.push(h.name.clone());
        }
        if results.is_empty() && groups.is_empty() && pattern != "all" {
            warnings.push(format!(
                "Could not match supplied host pattern, ignoring: {pattern}"
            ));
        }
        Ok(results)
    }
}

fn split_subscript(pattern: &str, warnings: &mut Vec<String>) -> (String, Option<Subscript>) {
    if pattern.starts_with('~') {
        return (pattern.to_string(), None);
    }
    let Some(c) = subscript_re().and_then(|re| re.captures(pattern)) else {
        return (pattern.to_string(), None);
    };
    let base = c.get(1).map_or("", |m| m.as_str()).to_string();
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
    if let Some(idx) = c.get(2) {
        // An index too large for i64 can only be out of range.
        let i = idx.as_str().parse::<i64>().unwrap_or(i64::MAX);
        return (base, Some(Subscript::Index(i)));
    }
    if c.get(4).is_some_and(|m| m.as_str() == "-") {
        warnings
            .push("Use [x:y] inclusive subscripts instead of [x-y] which has been removed".into());
    }
    let start = num(3).unwrap_or(i64::MAX);
    let end = match c.get(5).map_or("", |m| m.as_str()) {
        "" => None,
        e => Some(e.parse::<i64>().unwrap_or(i64::MAX)),
    };
    (base, Some(Subscript::Range(start, end)))
}

/// Applies a subscript; `None` when an index is out of range.
fn apply_subscript(hosts: Vec<String>, sub: Option<Subscript>) -> Option<Vec<String>> {
    let Some(sub) = sub else { return Some(hosts) };
    if hosts.is_empty() {
        return Some(hosts);
    }
    let len = hosts.len() as i64;
    let index = |i: i64| -> Option<Vec<String>> {
        let i = if i < 0 { i + len } else { i };
        if (0..len).contains(&i) {
            Some(vec![hosts[i as usize].clone()])
        } else {
            None
        }
    };
    match sub {
        Subscript::Index(i) => index(i),
        // `[i:0]`: Ansible takes a zero end as "no end" and returns [i].
        Subscript::Range(start, Some(0)) => index(start),
        Subscript::Range(start, end) => {
            let end = end.unwrap_or(len - 1).saturating_add(1).min(len);
            let start = start.min(len);
            if start >= end {
                return Some(Vec::new());
            }
            Some(hosts[start as usize..end as usize].to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        assert_eq!(
            split_host_pattern("a,b[1], c[2:3] , d"),
            ["a", "b[1]", "c[2:3]", "d"]
        );
        assert_eq!(split_host_pattern("web:&db:!x"), ["web", "&db", "!x"]);
        assert_eq!(split_host_pattern("web[1:2]"), ["web[1:2]"]);
        assert_eq!(split_host_pattern("g[1:2]:!h"), ["g[1:2]", "!h"]);
        assert_eq!(split_host_pattern("fe80::1"), ["fe80::1"]);
        assert_eq!(split_host_pattern("host:22"), ["host:22"]);
        assert_eq!(split_host_pattern("~web.*"), ["~web.*"]);
        assert!(split_host_pattern("").is_empty());
    }

    #[test]
    fn ordering() {
        let t: Vec<String> = ["!a", "&b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(order_patterns(&t), ["c", "&b", "!a"]);
        let t: Vec<String> = ["!a"].iter().map(|s| s.to_string()).collect();
        assert_eq!(order_patterns(&t), ["all", "!a"]);
    }

    #[test]
    fn subscripts() {
        let h: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let mut w = Vec::new();
        let sub = |p: &str, w: &mut Vec<String>| split_subscript(p, w).1;
        assert_eq!(
            apply_subscript(h.clone(), sub("g[0]", &mut w)),
            Some(vec!["a".into()])
        );
        assert_eq!(
            apply_subscript(h.clone(), sub("g[-1]", &mut w)),
            Some(vec!["c".into()])
        );
        assert_eq!(
            apply_subscript(h.clone(), sub("g[1:]", &mut w)),
            Some(vec!["b".into(), "c".into()])
        );
        assert_eq!(
            apply_subscript(h.clone(), sub("g[0:1]", &mut w)),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            apply_subscript(h.clone(), sub("g[2:0]", &mut w)),
            Some(vec!["c".into()])
        );
        assert_eq!(
            apply_subscript(h.clone(), sub("g[5:9]", &mut w)),
            Some(vec![])
        );
        assert_eq!(apply_subscript(h.clone(), sub("g[3]", &mut w)), None);
        assert_eq!(apply_subscript(h.clone(), sub("g[-4]", &mut w)), None);
        assert!(w.is_empty());
        assert_eq!(
            apply_subscript(h, sub("g[0-1]", &mut w)),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(w.len(), 1);
        assert_eq!(split_subscript("~g[0]", &mut w).1, None);
        assert_eq!(split_subscript("g[x]", &mut w).1, None);
    }
}
