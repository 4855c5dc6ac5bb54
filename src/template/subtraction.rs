// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Binary `-` as a function call.
//!
//! Python subtracts datetimes (giving a timedelta), and templates rely on it
//! to compute ages (`(now() - start).total_seconds()`). minijinja's `-`
//! coerces both operands to numbers and offers no hook for objects, so every
//! binary minus of a template's code is rewritten into `kiln_sub(a, b)`
//! before compiling. The function subtracts datetimes and timedeltas itself
//! and hands every other pair to minijinja's own operator, so numbers,
//! errors and undefined operands behave exactly as they did.
//!
//! The rewrite follows Jinja's precedence: `-` and `+` form one
//! left-associative level, above comparisons, `not`, `and`, `or`, `if`/`else`
//! and the separators (`,` `:` `=`), below `~`, `*`, `/`, `//`, `%`, `**`,
//! unary signs, filters, tests and postfix access. So between two separators
//! of one bracket level, the additive operators split the operands, and
//! `a - b + c - d` becomes `kiln_sub(kiln_sub(a, b) + c, d)`.

use super::syntax::{TemplateOptions, rewrite_regions};
use minijinja::value::Value;
use minijinja::{Environment, Error, Expression};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The function binary minus is rewritten into.
pub(super) const SUB_FUNCTION: &str = "kiln_sub";

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_function(SUB_FUNCTION, sub);
}

/// `a - b` with Python's datetime arithmetic.
fn sub(a: Value, b: Value) -> Result<Value, Error> {
    if let Some(r) = super::filters::subtract_dates(&a, &b) {
        return r;
    }
    // The common cases, as minijinja computes them (an i128 result that
    // fits an i64, or float arithmetic), without a second evaluation.
    if a.kind() == minijinja::value::ValueKind::Number
        && b.kind() == minijinja::value::ValueKind::Number
    {
        match (a.is_integer(), b.is_integer()) {
            (true, true) => {
                if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64())
                    && let Some(d) = x.checked_sub(y)
                {
                    return Ok(Value::from(d));
                }
            }
            (false, false) => {
                if let (Ok(x), Ok(y)) = (f64::try_from(a.clone()), f64::try_from(b.clone())) {
                    return Ok(Value::from(x - y));
                }
            }
            _ => {}
        }
    }
    minijinja_sub(a, b)
}

/// minijinja's own `-` on two values: wide integers, bools, strings and
/// undefined operands keep its results and its errors.
fn minijinja_sub(a: Value, b: Value) -> Result<Value, Error> {
    own_operator("-", a, b)
}

/// minijinja's own binary operator `op` on two values, for what kiln's
/// Python rules leave to it.
pub(super) fn own_operator(op: &'static str, a: Value, b: Value) -> Result<Value, Error> {
    type Compiled = Result<Expression<'static, 'static>, String>;
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    static EXPRS: OnceLock<Mutex<HashMap<&'static str, Arc<Compiled>>>> = OnceLock::new();
    let env = ENV.get_or_init(Environment::new);
    let compiled = {
        let mut m = EXPRS
            .get_or_init(Default::default)
            .lock()
            .map_err(|e| Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))?;
        m.entry(op)
            .or_insert_with(|| {
                Arc::new(
                    env.compile_expression_owned(format!("a {op} b"))
                        .map_err(|e| e.to_string()),
                )
            })
            .clone()
    };
    let expr = compiled
        .as_ref()
        .as_ref()
        .map_err(|m| Error::new(minijinja::ErrorKind::InvalidOperation, m.clone()))?;
    // A fresh error: the expression's own position ("line 1") is not the
    // template's, which minijinja adds where the call is.
    expr.eval(minijinja::context! { a => a, b => b })
        .map_err(|e| match e.detail() {
            Some(d) => Error::new(e.kind(), d.to_string()),
            None => Error::from(e.kind()),
        })
}

/// A token of Jinja code: its byte range and kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Tok {
    /// A name, a number or a string: something an operator may follow.
    Operand,
    /// A keyword that ends an additive chain (`and`, `if`, `in`...).
    Separator,
    /// `is`, and `not` right after it: part of a test, inside an operand.
    TestWord,
    Open,
    Close,
    Plus,
    Minus,
    /// `,` `:` `=` and comparisons.
    Punct,
    /// Every other operator (`*`, `~`, `|`, `.`...): binds tighter.
    Other,
}

const SEPARATOR_WORDS: [&str; 16] = [
    "and",
    "or",
    "not",
    "in",
    "if",
    "else",
    "elif",
    "for",
    "recursive",
    "as",
    "import",
    "from",
    "with",
    "without",
    "context",
    "ignore",
];

pub(super) fn tokenize(code: &str, statement: bool) -> Vec<(Tok, usize, usize)> {
    let b = code.as_bytes();
    let mut out: Vec<(Tok, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            b'\'' | b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != c {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                i = (j + 1).min(b.len());
                Tok::Operand
            }
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            c if c.is_ascii_digit() => {
                // A float's dot and exponent sign belong to the number.
                i += 1;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
                        || ((b[i] == b'+' || b[i] == b'-') && matches!(b[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                Tok::Operand
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &code[start..i];
                let after_dot = out.last().is_some_and(|t| code[t.1..t.2] == *".");
                let after_is = out.last().is_some_and(|t| code[t.1..t.2] == *"is");
                if after_dot {
                    Tok::Operand
                } else if word == "is" || (word == "not" && after_is) {
                    Tok::TestWord
                } else if SEPARATOR_WORDS.contains(&word) || (statement && out.is_empty()) {
                    // A statement's keyword (`set`, `print`...) comes first.
                    Tok::Separator
                } else {
                    Tok::Operand
                }
            }
            b'(' | b'[' | b'{' => {
                i += 1;
                Tok::Open
            }
            b')' | b']' | b'}' => {
                i += 1;
                Tok::Close
            }
            b'+' => {
                i += 1;
                Tok::Plus
            }
            b'-' => {
                i += 1;
                Tok::Minus
            }
            b'=' | b'!' | b'<' | b'>' => {
                i += 1;
                if i < b.len() && b[i] == b'=' {
                    i += 1;
                }
                Tok::Punct
            }
            b',' | b':' => {
                i += 1;
                Tok::Punct
            }
            _ => {
                i += code[i..].chars().next().map(char::len_utf8).unwrap_or(1);
                Tok::Other
            }
        };
        out.push((tok, start, i));
    }
    out
}

/// Rewrites the binary minuses of one piece of code, then its ordering
/// comparisons (`ordering`); `None` when it has neither. `statement` is true
/// for the code of a `{% %}` tag.
pub(super) fn rewrite_code(code: &str, statement: bool) -> Option<String> {
    let minus = rewrite_minus(code, statement);
    super::ordering::rewrite_code(minus.as_deref().unwrap_or(code), statement).or(minus)
}

fn rewrite_minus(code: &str, statement: bool) -> Option<String> {
    if !code.contains('-') {
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
    // The whitespace around the code stays.
    scan.changed
        .then(|| format!("{}{out}{}", &code[..first.1], &code[last.2..]))
}

/// The tokens of one piece of code, rewritten level by level.
struct Scan<'a> {
    code: &'a str,
    toks: &'a [(Tok, usize, usize)],
    /// Whether a minus was rewritten.
    changed: bool,
}

/// Index just past the bracket group opened at `open`.
pub(super) fn group_end(toks: &[(Tok, usize, usize)], open: usize, hi: usize) -> usize {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().take(hi).skip(open) {
        match t.0 {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    hi
}

impl Scan<'_> {
    /// The code of tokens `lo..hi` (one bracket level), rewritten.
    fn level(&mut self, lo: usize, hi: usize) -> String {
        let (code, toks) = (self.code, self.toks);
        let mut out = String::new();
        let mut seg_start = lo;
        let mut k = lo;
        // Source position up to which `out` holds the code.
        let mut copied = toks.get(lo).map(|t| t.1).unwrap_or(0);
        while k <= hi {
            let sep = k == hi || matches!(toks[k].0, Tok::Separator | Tok::Punct);
            if sep {
                let seg_end = k;
                if seg_end > seg_start {
                    let from = toks[seg_start].1;
                    let to = toks[seg_end - 1].2;
                    out.push_str(&code[copied..from]);
                    out.push_str(&self.segment(seg_start, seg_end));
                    copied = to;
                }
                seg_start = k + 1;
                k += 1;
                continue;
            }
            if toks[k].0 == Tok::Open {
                k = group_end(toks, k, hi);
                continue;
            }
            k += 1;
        }
        if let Some(last) = toks.get(hi.saturating_sub(1)).filter(|_| hi > lo) {
            out.push_str(&code[copied..last.2]);
        }
        out
    }

    /// One additive chain (tokens `lo..hi`, no separator at this level).
    fn segment(&mut self, lo: usize, hi: usize) -> String {
        let toks = self.toks;
        // Split at the binary `+`/`-` of this level: one that follows an operand.
        let mut operands: Vec<(usize, usize)> = Vec::new();
        let mut ops: Vec<Tok> = Vec::new();
        let mut start = lo;
        let mut prev_operand = false;
        let mut k = lo;
        while k < hi {
            match toks[k].0 {
                Tok::Open => {
                    k = group_end(toks, k, hi);
                    prev_operand = true;
                    continue;
                }
                t @ (Tok::Plus | Tok::Minus) if prev_operand => {
                    operands.push((start, k));
                    ops.push(t);
                    start = k + 1;
                    prev_operand = false;
                }
                Tok::Operand | Tok::Close => prev_operand = true,
                _ => prev_operand = false,
            }
            k += 1;
        }
        operands.push((start, hi));
        // A missing operand (`a -`) is a syntax error: left as written, so
        // that it fails to compile where the user wrote it.
        if !ops.contains(&Tok::Minus) || operands.iter().any(|(a, b)| a >= b) {
            // Nothing to do at this level; brackets inside may still hold some.
            return self.operand(lo, hi);
        }
        self.changed = true;
        let mut acc = self.operand(operands[0].0, operands[0].1);
        for (op, &span) in ops.iter().zip(&operands[1..]) {
            let right = self.operand(span.0, span.1);
            acc = match op {
                Tok::Minus => format!("{SUB_FUNCTION}({acc}, {right})"),
                _ => format!("{acc} + {right}"),
            };
        }
        acc
    }

    /// Tokens `lo..hi` as written, with every bracket group inside rewritten.
    fn operand(&mut self, lo: usize, hi: usize) -> String {
        let (code, toks) = (self.code, self.toks);
        with_groups(code, toks, lo, hi, &mut |a, b| self.level(a, b))
    }
}

/// Tokens `lo..hi` of `code` as written, the inside of every bracket group
/// replaced by what `level` makes of it (each rewrite's own recursion).
pub(super) fn with_groups(
    code: &str,
    toks: &[(Tok, usize, usize)],
    lo: usize,
    hi: usize,
    level: &mut dyn FnMut(usize, usize) -> String,
) -> String {
    let mut out = String::new();
    let mut copied = toks[lo].1;
    let mut k = lo;
    while k < hi {
        if toks[k].0 == Tok::Open {
            let end = group_end(toks, k, hi);
            // The opening bracket, the rewritten inside, the closing one.
            out.push_str(&code[copied..toks[k].2]);
            let inner_hi = if end > k + 1 && toks[end - 1].0 == Tok::Close {
                end - 1
            } else {
                end
            };
            if inner_hi > k + 1 {
                out.push_str(&code[toks[k].2..toks[k + 1].1]);
                out.push_str(&level(k + 1, inner_hi));
                copied = toks[inner_hi - 1].2;
            } else {
                copied = toks[k].2;
            }
            k = end;
            continue;
        }
        k += 1;
    }
    out.push_str(&code[copied..toks[hi - 1].2]);
    out
}

/// [`rewrite_code`] over every code region of a template.
pub(super) fn rewrite_template(src: &str, o: &TemplateOptions) -> Option<String> {
    if !src.contains(['-', '<', '>']) {
        return None;
    }
    rewrite_regions(src, o, &rewrite_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(code: &str) -> String {
        rewrite_minus(code, false).unwrap_or_else(|| code.to_string())
    }

    #[test]
    fn binary_minus_becomes_a_call_with_jinja_precedence() {
        assert_eq!(rw("a - b"), "kiln_sub(a, b)");
        assert_eq!(rw("a - b - c"), "kiln_sub(kiln_sub(a, b), c)");
        assert_eq!(rw("a + b - c"), "kiln_sub(a + b, c)");
        assert_eq!(rw("a - b + c"), "kiln_sub(a, b) + c");
        assert_eq!(rw("a * 2 - b / 3"), "kiln_sub(a * 2, b / 3)");
        assert_eq!(rw("'x' ~ a - b"), "kiln_sub('x' ~ a, b)");
        assert_eq!(rw("a - b | int"), "kiln_sub(a, b | int)");
        assert_eq!(rw("a - b > 0 and c"), "kiln_sub(a, b) > 0 and c");
        assert_eq!(rw("not a - b"), "not kiln_sub(a, b)");
        assert_eq!(rw("a - b is not none"), "kiln_sub(a, b is not none)");
        assert_eq!(
            rw("x if a - 1 else y - 2"),
            "x if kiln_sub(a, 1) else kiln_sub(y, 2)"
        );
        assert_eq!(
            rw("(d1 | to_datetime - d0 | to_datetime).days"),
            "(kiln_sub(d1 | to_datetime, d0 | to_datetime)).days"
        );
        assert_eq!(
            rw("f(a - 1, b=c - 2)"),
            "f(kiln_sub(a, 1), b=kiln_sub(c, 2))"
        );
        assert_eq!(rw("l[n - 1:n - 2]"), "l[kiln_sub(n, 1):kiln_sub(n, 2)]");
        assert_eq!(rw("{'k': a - 1}"), "{'k': kiln_sub(a, 1)}");
        assert_eq!(rw("loop.index - 1"), "kiln_sub(loop.index, 1)");
    }

    #[test]
    fn unary_minus_numbers_and_strings_stay() {
        assert_eq!(rewrite_code("-a", false), None);
        assert_eq!(rewrite_code("1e-7 * x", false), None);
        assert_eq!(rewrite_code("'a - b'", false), None);
        assert_eq!(rewrite_code("x | default('-')", false), None);
        assert_eq!(rw("-a - -b"), "kiln_sub(-a, -b)");
        assert_eq!(rw("a + - -b"), "a + - -b");
        assert_eq!(rw("2 ** -1 - 1"), "kiln_sub(2 ** -1, 1)");
        // Broken code stays as written, for its syntax error.
        assert_eq!(rewrite_code("a - ", false), None);
        assert_eq!(rewrite_code("f(a -)", false), None);
    }

    #[test]
    fn statements_keep_their_keywords() {
        let o = TemplateOptions::default();
        assert_eq!(
            rewrite_template("{% set x = n - 1 %}{{ x - 1 }}", &o).as_deref(),
            Some("{% set x = kiln_sub(n, 1) %}{{ kiln_sub(x, 1) }}")
        );
        assert_eq!(
            rewrite_template("{%- if a - b > 0 -%}y{% endif %}", &o).as_deref(),
            Some("{%- if kiln_cmp(kiln_sub(a, b), '>', 0) -%}y{% endif %}")
        );
        assert_eq!(
            rewrite_template("{% for i in range(n - 1) %}{% endfor %}", &o).as_deref(),
            Some("{% for i in range(kiln_sub(n, 1)) %}{% endfor %}")
        );
        assert_eq!(rewrite_template("{{- x -}} a - b", &o), None);
    }
}
