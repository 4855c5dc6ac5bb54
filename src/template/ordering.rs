// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Ordering comparisons (`<`, `<=`, `>`, `>=`) as a function call.
//!
//! Python refuses to order values of unrelated types (`now() < 'x'`,
//! `'a' < 1`, `none < 1`, `{} < {}`): Ansible's task fails with
//! "'<' not supported between instances of 'datetime.datetime' and 'str'".
//! minijinja orders any two values (by kind when nothing else applies) and
//! has no hook to refuse, so a comparison whose only operator at its level is
//! an ordering one is rewritten into `kiln_cmp(a, '<', b)` before compiling.
//! The function orders the pair as Python does (`filters::py_order`) and
//! hands undefined operands to minijinja's own operator, whose undefined
//! errors stay as they were.
//!
//! Comparisons bind looser than arithmetic, filters and tests and tighter
//! than `not`, `and`, `or`, `in`, `if`/`else` and the separators, so between
//! two separators of one bracket level (the tokens of `subtraction`), a
//! single comparison operator splits its two operands. A chain
//! (`1 < x < 3`, `a == b < c`) is left to minijinja: Python reads it as a
//! conjunction the rewrite would have to repeat operands for.

use super::subtraction::{Tok, group_end, own_operator, tokenize, with_groups};
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};
use std::cmp::Ordering;

/// The function ordering comparisons are rewritten into.
pub(super) const CMP_FUNCTION: &str = "kiln_cmp";

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_function(CMP_FUNCTION, compare);
}

const OPS: [&str; 4] = ["<", "<=", ">", ">="];

/// `a OP b` with Python's ordering rules.
fn compare(a: Value, op: String, b: Value) -> Result<Value, Error> {
    if a.is_undefined() || b.is_undefined() {
        return minijinja_compare(a, &op, b);
    }
    let ord = super::filters::py_order(&a, &b, &op)?;
    Ok(Value::from(match op.as_str() {
        "<" => ord == Ordering::Less,
        "<=" => ord != Ordering::Greater,
        ">" => ord == Ordering::Greater,
        ">=" => ord != Ordering::Less,
        _ => return minijinja_compare(a, &op, b),
    }))
}

/// minijinja's own operator, for what Python's rules do not decide here.
fn minijinja_compare(a: Value, op: &str, b: Value) -> Result<Value, Error> {
    let op = OPS.iter().find(|o| **o == op).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("unknown comparison {op}"),
        )
    })?;
    own_operator(op, a, b)
}

/// Rewrites the ordering comparisons of one piece of code; `None` when it
/// has none. `statement` is true for the code of a `{% %}` tag.
pub(super) fn rewrite_code(code: &str, statement: bool) -> Option<String> {
    if !code.contains(['<', '>']) {
        return None;
    }
    let toks = tokenize(code, statement);
    let (first, last) = (toks.first()?, toks.last()?);
    let mut scan = Scan {
        code,
        toks: &toks,
        changed: false,
    };
    let out = scan.level(0, toks.len());
    scan.changed
        .then(|| format!("{}{out}{}", &code[..first.1], &code[last.2..]))
}

/// Whether a punctuation token is a comparison operator.
fn comparison(text: &str) -> bool {
    matches!(text, "<" | "<=" | ">" | ">=" | "==" | "!=")
}

struct Scan<'a> {
    code: &'a str,
    toks: &'a [(Tok, usize, usize)],
    changed: bool,
}

impl Scan<'_> {
    fn text(&self, k: usize) -> &str {
        let t = self.toks[k];
        &self.code[t.1..t.2]
    }

    /// Tokens `lo..hi` of one bracket level, rewritten: split at the
    /// separators that bind looser than comparisons.
    fn level(&mut self, lo: usize, hi: usize) -> String {
        let mut out = String::new();
        let mut seg_start = lo;
        let mut copied = self.toks.get(lo).map(|t| t.1).unwrap_or(0);
        let mut k = lo;
        while k <= hi {
            let sep = k == hi
                || self.toks[k].0 == Tok::Separator
                || (self.toks[k].0 == Tok::Punct && !comparison(self.text(k)));
            if sep {
                if k > seg_start {
                    out.push_str(&self.code[copied..self.toks[seg_start].1]);
                    out.push_str(&self.unit(seg_start, k));
                    copied = self.toks[k - 1].2;
                }
                seg_start = k + 1;
                k += 1;
                continue;
            }
            if self.toks[k].0 == Tok::Open {
                k = group_end(self.toks, k, hi);
                continue;
            }
            k += 1;
        }
        if hi > lo {
            out.push_str(&self.code[copied..self.toks[hi - 1].2]);
        }
        out
    }

    /// One comparison (tokens `lo..hi`, no looser separator at this level).
    fn unit(&mut self, lo: usize, hi: usize) -> String {
        let mut ops = Vec::new();
        let mut k = lo;
        while k < hi {
            match self.toks[k].0 {
                Tok::Open => {
                    k = group_end(self.toks, k, hi);
                    continue;
                }
                Tok::Punct if comparison(self.text(k)) => ops.push(k),
                _ => {}
            }
            k += 1;
        }
        let single = match ops.as_slice() {
            [k] if OPS.contains(&self.text(*k)) && *k > lo && *k + 1 < hi => Some(*k),
            _ => None,
        };
        let Some(k) = single else {
            return self.operand(lo, hi);
        };
        self.changed = true;
        let op = self.text(k).to_string();
        let left = self.operand(lo, k);
        let right = self.operand(k + 1, hi);
        format!("{CMP_FUNCTION}({left}, '{op}', {right})")
    }

    /// Tokens `lo..hi` as written, with every bracket group inside rewritten.
    fn operand(&mut self, lo: usize, hi: usize) -> String {
        let (code, toks) = (self.code, self.toks);
        with_groups(code, toks, lo, hi, &mut |a, b| self.level(a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(code: &str) -> String {
        rewrite_code(code, false).unwrap_or_else(|| code.to_string())
    }

    #[test]
    fn a_single_ordering_becomes_a_call_with_jinja_precedence() {
        assert_eq!(rw("a < b"), "kiln_cmp(a, '<', b)");
        assert_eq!(
            rw("a + 1 >= b | length"),
            "kiln_cmp(a + 1, '>=', b | length)"
        );
        assert_eq!(
            rw("not a < b and c > d"),
            "not kiln_cmp(a, '<', b) and kiln_cmp(c, '>', d)"
        );
        assert_eq!(rw("x if a <= b else y"), "x if kiln_cmp(a, '<=', b) else y");
        assert_eq!(rw("f(a < b, c)"), "f(kiln_cmp(a, '<', b), c)");
        assert_eq!(rw("[a > 1]"), "[kiln_cmp(a, '>', 1)]");
    }

    #[test]
    fn chains_equalities_strings_and_statements_are_left_alone_or_kept() {
        assert_eq!(rw("1 < x < 3"), "1 < x < 3");
        assert_eq!(rw("a == b"), "a == b");
        assert_eq!(rw("a == b < c"), "a == b < c");
        assert_eq!(rw("'<' ~ a"), "'<' ~ a");
        assert_eq!(
            rw("x | selectattr('a', '>', 1)"),
            "x | selectattr('a', '>', 1)"
        );
        assert_eq!(
            rewrite_code(" if a < b ", true).as_deref(),
            Some(" if kiln_cmp(a, '<', b) ")
        );
        assert_eq!(
            rewrite_code(" set x = a > b ", true).as_deref(),
            Some(" set x = kiln_cmp(a, '>', b) ")
        );
    }

    fn eval(code: &str) -> Result<Value, Error> {
        let mut env = Environment::new();
        register(&mut env);
        env.compile_expression_owned(rw(code))?.eval(())
    }

    #[test]
    fn python_refuses_to_order_unrelated_types() {
        for (code, msg) in [
            (
                "'a' < 1",
                "'<' not supported between instances of 'str' and 'int'",
            ),
            (
                "none < 1",
                "'<' not supported between instances of 'NoneType' and 'int'",
            ),
            (
                "{} >= {}",
                "'>=' not supported between instances of 'dict' and 'dict'",
            ),
            (
                "[1] > 'a'",
                "'>' not supported between instances of 'list' and 'str'",
            ),
        ] {
            let e = eval(code).expect_err(code);
            assert_eq!(e.detail(), Some(msg), "{code}");
        }
        assert_eq!(eval("1 < 2.5").ok(), Some(Value::from(true)));
        assert_eq!(eval("true < 2").ok(), Some(Value::from(true)));
        assert_eq!(eval("'b' >= 'a'").ok(), Some(Value::from(true)));
        assert_eq!(eval("[1, 2] <= [1, 3]").ok(), Some(Value::from(true)));
        assert_eq!(eval("1 < 2 < 3").ok(), Some(Value::from(true)));
    }
}
