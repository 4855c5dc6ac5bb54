// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The typing of INI inventory values. Ansible passes every `k=v` value of an
//! INI inventory (host lines and `[g:vars]` alike) through Python's
//! `ast.literal_eval`, keeping the raw text when that fails. To give values
//! the same types, this module evaluates the same subset of Python: numbers,
//! strings and bytes, `True`/`False`/`None`, `...`, tuples, lists, sets and
//! dicts, unary `+`/`-` on numbers and `real ± imag j` complex sums.

use crate::span::Span;
use crate::yaml::{Node, NodeKind, Tag, python_float};

/// What `ast.literal_eval` makes of a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A Python literal, converted the way Ansible's INI plugin stores it.
    Value(Node),
    /// Not a literal: Ansible keeps the raw text as a string.
    Text,
    /// A literal Python refuses to build (an unhashable dict key or set
    /// member): this makes Ansible's INI parser fail, with this message.
    Fatal(String),
}

/// Evaluates `src` as Python's `ast.literal_eval` would; every node of the
/// result carries `span`.
pub fn literal_eval(src: &str, span: &Span) -> Literal {
    // literal_eval strips leading spaces and tabs before parsing.
    let src = src.trim_start_matches([' ', '\t']);
    let tokens = match tokenize(src) {
        Some(t) => t,
        None => return Literal::Text,
    };
    let mut p = Parser {
        toks: &tokens,
        pos: 0,
    };
    let Some(expr) = p.parse_top() else {
        return Literal::Text;
    };
    match eval(&expr) {
        Ok(v) => Literal::Value(to_node(&v, span)),
        Err(EvalError::NotLiteral) => Literal::Text,
        Err(EvalError::Fatal(m)) => Literal::Fatal(m),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(Int),
    Float(f64),
    Imag(f64),
    Str(String),
    Bytes(Vec<u8>),
    /// An f-string: parses, but is never a literal.
    FStr,
    Name(String),
    Op(&'static str),
    /// Any other operator or character: valid Python perhaps, never a literal.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
enum Int {
    Small(i128),
    /// Digits of an integer beyond 128 bits (decimal only).
    Big(String),
}

const OPS: [&str; 9] = ["...", "(", ")", "[", "]", "{", "}", ",", ":"];

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits the text into tokens; `None` is a Python syntax error.
fn tokenize(src: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' || c == '\t' || c == '\x0c' {
            i += 1;
            continue;
        }
        if c == '#' {
            break;
        }
        if c == '\n' || c == '\r' {
            // A value is one line; a line break inside is a syntax error.
            return None;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let (tok, next) = scan_number(&chars, i)?;
            out.push(tok);
            i = next;
            continue;
        }
        if c == '\'' || c == '"' {
            let (tok, next) = scan_string(&chars, i, "")?;
            out.push(tok);
            i = next;
            continue;
        }
        if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if matches!(chars.get(i), Some('\'') | Some('"')) {
                let lower = word.to_ascii_lowercase();
                if matches!(
                    lower.as_str(),
                    "r" | "u" | "b" | "br" | "rb" | "f" | "fr" | "rf"
                ) {
                    let (tok, next) = scan_string(&chars, i, &lower)?;
                    out.push(tok);
                    i = next;
                    continue;
                }
                // A name directly followed by a string is a syntax error.
                return None;
            }
            out.push(Tok::Name(word));
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
        if let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) {
            out.push(Tok::Op(op));
            i += op.chars().count();
            continue;
        }
        if c == '+' || c == '-' {
            out.push(Tok::Op(if c == '+' { "+" } else { "-" }));
            i += 1;
            continue;
        }
        out.push(Tok::Other);
        i += 1;
    }
    Some(out)
}

/// Reads `[0-9](_?[0-9])*` (with `digit` deciding what a digit is) and
/// returns the digits without underscores; `None` if malformed.
fn digit_part(
    chars: &[char],
    mut i: usize,
    digit: impl Fn(char) -> bool,
) -> Option<(String, usize)> {
    let mut s = String::new();
    if !chars.get(i).is_some_and(|c| digit(*c)) {
        return None;
    }
    while i < chars.len() {
        let c = chars[i];
        if digit(c) {
            s.push(c);
            i += 1;
        } else if c == '_' && chars.get(i + 1).is_some_and(|d| digit(*d)) {
            i += 1;
        } else {
            break;
        }
    }
    Some((s, i))
}

fn scan_number(chars: &[char], start: usize) -> Option<(Tok, usize)> {
    let mut i = start;
    let tok;
    let radix = match (chars[i], chars.get(i + 1)) {
        ('0', Some('x' | 'X')) => 16,
        ('0', Some('o' | 'O')) => 8,
        ('0', Some('b' | 'B')) => 2,
        _ => 10,
    };
    if radix != 10 {
        i += 2;
        // Python allows one underscore right after the prefix too.
        if chars.get(i) == Some(&'_') {
            i += 1;
        }
        let (digits, next) = digit_part(chars, i, |c| c.is_digit(radix))?;
        i = next;
        let v = i128::from_str_radix(&digits, radix).ok()?;
        tok = Tok::Int(Int::Small(v));
    } else {
        let mut int_part = String::new();
        if chars[i] != '.' {
            let (d, next) = digit_part(chars, i, |c| c.is_ascii_digit())?;
            int_part = d;
            i = next;
        }
        let mut is_float = false;
        let mut frac = String::new();
        if chars.get(i) == Some(&'.') {
            is_float = true;
            i += 1;
            if chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                let (d, next) = digit_part(chars, i, |c| c.is_ascii_digit())?;
                frac = d;
                i = next;
            }
        }
        let mut exp = String::new();
        if matches!(chars.get(i), Some('e' | 'E')) {
            let mut j = i + 1;
            let mut sign = "";
            if matches!(chars.get(j), Some('+' | '-')) {
                sign = if chars[j] == '-' { "-" } else { "+" };
                j += 1;
            }
            if let Some((d, next)) = digit_part(chars, j, |c| c.is_ascii_digit()) {
                is_float = true;
                exp = format!("e{sign}{d}");
                i = next;
            }
        }
        let text = format!(
            "{}{}{}{}",
            if int_part.is_empty() { "0" } else { &int_part },
            if is_float { "." } else { "" },
            frac,
            exp
        );
        if matches!(chars.get(i), Some('j' | 'J')) {
            i += 1;
            tok = Tok::Imag(text.parse::<f64>().ok()?);
        } else if is_float {
            tok = Tok::Float(text.parse::<f64>().ok()?);
        } else {
            // "0644": leading zeros in a decimal integer are a syntax error.
            if int_part.len() > 1 && int_part.starts_with('0') && int_part.chars().any(|c| c != '0')
            {
                return None;
            }
            tok = Tok::Int(match int_part.parse::<i128>() {
                Ok(v) => Int::Small(v),
                Err(_) => Int::Big(int_part.trim_start_matches('0').to_string()),
            });
        }
    }
    // "1abc" is an invalid decimal literal.
    if chars.get(i).is_some_and(|c| is_ident_char(*c)) {
        return None;
    }
    Some((tok, i))
}

fn scan_string(chars: &[char], start: usize, prefix: &str) -> Option<(Tok, usize)> {
    let raw = prefix.contains('r');
    let bytes = prefix.contains('b');
    let fstr = prefix.contains('f');
    let q = chars[start];
    let triple = chars.get(start + 1) == Some(&q) && chars.get(start + 2) == Some(&q);
    let mut i = start + if triple { 3 } else { 1 };
    let mut body: Vec<char> = Vec::new();
    loop {
        let c = *chars.get(i)?;
        if c == '\\' {
            let n = *chars.get(i + 1)?;
            body.push(c);
            body.push(n);
            i += 2;
            continue;
        }
        if c == q {
            if !triple {
                i += 1;
                break;
            }
            if chars.get(i + 1) == Some(&q) && chars.get(i + 2) == Some(&q) {
                i += 3;
                break;
            }
        }
        body.push(c);
        i += 1;
    }
    if fstr {
        return Some((Tok::FStr, i));
    }
    if bytes {
        if body.iter().any(|c| !c.is_ascii()) {
            return None;
        }
        let text = if raw {
            body.iter().collect()
        } else {
            unescape(&body, true)?
        };
        // Bytes escapes only produce code points below 256.
        let v: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
        return Some((Tok::Bytes(v), i));
    }
    let text = if raw {
        body.iter().collect()
    } else {
        unescape(&body, false)?
    };
    Some((Tok::Str(text), i))
}

/// Processes backslash escapes of a (non-raw) string body; `None` for an
/// escape Python rejects. Unknown escapes keep their backslash.
fn unescape(body: &[char], bytes: bool) -> Option<String> {
    let mut out = String::new();
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let n = *body.get(i + 1)?;
        i += 2;
        match n {
            '\n' => {}
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut v = n.to_digit(8)?;
                let mut k = 0;
                while k < 2 && body.get(i).is_some_and(|d| d.is_digit(8)) {
                    v = v * 8 + body[i].to_digit(8)?;
                    i += 1;
                    k += 1;
                }
                if bytes && v > 0xff {
                    return None;
                }
                out.push(char::from_u32(v)?);
            }
            'x' | 'u' | 'U' if n == 'x' || !bytes => {
                let len = match n {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = body.get(i..i + len)?.iter().collect();
                if !hex.chars().all(|d| d.is_ascii_hexdigit()) {
                    return None;
                }
                i += len;
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            // \N{NAME} needs the Unicode name table: treated as not a literal.
            'N' if !bytes => return None,
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

/// The expression tree of the accepted subset.
#[derive(Debug, Clone)]
enum Expr {
    Const(Val),
    Name(String),
    Unary(bool, Box<Expr>),
    /// `left ± right` (true for minus).
    Bin(Box<Expr>, bool, Box<Expr>),
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    Set(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    /// Valid Python that is never a literal (an f-string).
    Opaque,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    None,
    Bool(bool),
    Int(Int),
    Float(f64),
    Complex(f64, f64),
    Str(String),
    Bytes(Vec<u8>),
    Ellipsis,
    Tuple(Vec<Val>),
    List(Vec<Val>),
    Set(Vec<Val>),
    Dict(Vec<(Val, Val)>),
}

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn parse_top(&mut self) -> Option<Expr> {
        let e = self.parse_exprlist(None)?;
        if self.pos != self.toks.len() {
            return None;
        }
        Some(e)
    }

    /// `a, b, c` (a tuple when it has a comma); stops before `close`.
    fn parse_exprlist(&mut self, close: Option<&str>) -> Option<Expr> {
        let first = self.parse_arith()?;
        if !matches!(self.peek(), Some(Tok::Op(","))) {
            return Some(first);
        }
        let mut items = vec![first];
        while self.eat(",") {
            if self.at_end_of_list(close) {
                break;
            }
            items.push(self.parse_arith()?);
        }
        Some(Expr::Tuple(items))
    }

    fn at_end_of_list(&self, close: Option<&str>) -> bool {
        match (self.peek(), close) {
            (None, _) => true,
            (Some(Tok::Op(o)), Some(c)) => *o == c,
            _ => false,
        }
    }

    fn parse_arith(&mut self) -> Option<Expr> {
        let mut left = self.parse_unary()?;
        loop {
            let minus = if self.eat("+") {
                false
            } else if self.eat("-") {
                true
            } else {
                break;
            };
            let right = self.parse_unary()?;
            left = Expr::Bin(Box::new(left), minus, Box::new(right));
        }
        Some(left)
    }

    fn parse_unary(&mut self) -> Option<Expr> {
        if self.eat("+") {
            return Some(Expr::Unary(false, Box::new(self.parse_unary()?)));
        }
        if self.eat("-") {
            return Some(Expr::Unary(true, Box::new(self.parse_unary()?)));
        }
        let atom = self.parse_atom()?;
        // Calls, subscripts and attributes parse but are never literals.
        if matches!(self.peek(), Some(Tok::Op("(")) | Some(Tok::Op("["))) {
            return None;
        }
        Some(atom)
    }

    fn parse_atom(&mut self) -> Option<Expr> {
        let tok = self.peek()?.clone();
        self.pos += 1;
        match tok {
            Tok::Int(i) => Some(Expr::Const(Val::Int(i))),
            Tok::Float(f) => Some(Expr::Const(Val::Float(f))),
            Tok::Imag(f) => Some(Expr::Const(Val::Complex(0.0, f))),
            Tok::Str(s) => self.concat(Val::Str(s)),
            Tok::Bytes(b) => self.concat(Val::Bytes(b)),
            Tok::FStr => self.concat_fstr(),
            Tok::Name(n) => Some(Expr::Name(n)),
            Tok::Op("...") => Some(Expr::Const(Val::Ellipsis)),
            Tok::Op("(") => {
                if self.eat(")") {
                    return Some(Expr::Tuple(Vec::new()));
                }
                let e = self.parse_exprlist(Some(")"))?;
                self.eat(")").then_some(e)
            }
            Tok::Op("[") => {
                let items = self.parse_items("]")?;
                Some(Expr::List(items))
            }
            Tok::Op("{") => self.parse_brace(),
            _ => None,
        }
    }

    /// Comma-separated items up to `close` (trailing comma allowed).
    fn parse_items(&mut self, close: &str) -> Option<Vec<Expr>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.parse_arith()?);
            if !self.eat(",") {
                return self.eat(close).then_some(items);
            }
        }
    }

    fn parse_brace(&mut self) -> Option<Expr> {
        if self.eat("}") {
            return Some(Expr::Dict(Vec::new()));
        }
        let first = self.parse_arith()?;
        if self.eat(":") {
            let mut pairs = vec![(first, self.parse_arith()?)];
            loop {
                if self.eat("}") {
                    return Some(Expr::Dict(pairs));
                }
                if !self.eat(",") {
                    return None;
                }
                if self.eat("}") {
                    return Some(Expr::Dict(pairs));
                }
                let k = self.parse_arith()?;
                if !self.eat(":") {
                    return None;
                }
                pairs.push((k, self.parse_arith()?));
            }
        }
        let mut items = vec![first];
        if !self.eat(",") {
            return self.eat("}").then_some(Expr::Set(items));
        }
        items.extend(self.parse_items("}")?);
        Some(Expr::Set(items))
    }

    /// Adjacent string literals concatenate; str and bytes cannot mix.
    fn concat(&mut self, first: Val) -> Option<Expr> {
        let mut acc = first;
        loop {
            match (&mut acc, self.peek()) {
                (Val::Str(a), Some(Tok::Str(b))) => a.push_str(b),
                (Val::Bytes(a), Some(Tok::Bytes(b))) => a.extend_from_slice(b),
                (Val::Str(_), Some(Tok::FStr)) => {
                    self.pos += 1;
                    return self.concat_fstr();
                }
                (_, Some(Tok::Str(_) | Tok::Bytes(_) | Tok::FStr)) => return None,
                _ => return Some(Expr::Const(acc)),
            }
            self.pos += 1;
        }
    }

    fn concat_fstr(&mut self) -> Option<Expr> {
        while matches!(self.peek(), Some(Tok::Str(_) | Tok::FStr)) {
            self.pos += 1;
        }
        if matches!(self.peek(), Some(Tok::Bytes(_))) {
            return None;
        }
        Some(Expr::Opaque)
    }
}

enum EvalError {
    NotLiteral,
    Fatal(String),
}

fn eval(e: &Expr) -> Result<Val, EvalError> {
    match e {
        Expr::Const(v) => Ok(v.clone()),
        Expr::Name(n) => match n.as_str() {
            "True" => Ok(Val::Bool(true)),
            "False" => Ok(Val::Bool(false)),
            "None" => Ok(Val::None),
            _ => Err(EvalError::NotLiteral),
        },
        Expr::Unary(..) => signed_num(e),
        Expr::Bin(l, minus, r) => {
            let left = signed_num(l)?;
            let right = match &**r {
                Expr::Const(v @ (Val::Int(_) | Val::Float(_) | Val::Complex(..))) => v.clone(),
                _ => return Err(EvalError::NotLiteral),
            };
            let re = match left {
                Val::Int(Int::Small(i)) => i as f64,
                Val::Float(f) => f,
                _ => return Err(EvalError::NotLiteral),
            };
            match right {
                Val::Complex(r_re, r_im) => Ok(if *minus {
                    Val::Complex(re - r_re, -r_im)
                } else {
                    Val::Complex(re + r_re, r_im)
                }),
                _ => Err(EvalError::NotLiteral),
            }
        }
        Expr::Tuple(items) => Ok(Val::Tuple(eval_all(items)?)),
        Expr::List(items) => Ok(Val::List(eval_all(items)?)),
        Expr::Set(items) => {
            let mut out: Vec<Val> = Vec::new();
            for v in eval_all(items)? {
                hashable(&v)?;
                if !out.iter().any(|o| py_eq(o, &v)) {
                    out.push(v);
                }
            }
            Ok(Val::Set(out))
        }
        Expr::Dict(pairs) => {
            let mut out: Vec<(Val, Val)> = Vec::new();
            for (k, v) in pairs {
                let k = eval(k)?;
                let v = eval(v)?;
                hashable(&k)?;
                match out.iter_mut().find(|(ok, _)| py_eq(ok, &k)) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
            Ok(Val::Dict(out))
        }
        Expr::Opaque => Err(EvalError::NotLiteral),
    }
}

fn eval_all(items: &[Expr]) -> Result<Vec<Val>, EvalError> {
    items.iter().map(eval).collect()
}

/// A number, optionally with one unary sign (bools are not numbers here).
fn signed_num(e: &Expr) -> Result<Val, EvalError> {
    match e {
        Expr::Const(v @ (Val::Int(_) | Val::Float(_) | Val::Complex(..))) => Ok(v.clone()),
        Expr::Unary(minus, inner) => {
            let v = match &**inner {
                Expr::Const(v @ (Val::Int(_) | Val::Float(_) | Val::Complex(..))) => v.clone(),
                _ => return Err(EvalError::NotLiteral),
            };
            if !minus {
                return Ok(v);
            }
            Ok(match v {
                Val::Int(Int::Small(i)) => Val::Int(Int::Small(-i)),
                Val::Int(Int::Big(d)) => Val::Int(Int::Big(format!("-{d}"))),
                Val::Float(f) => Val::Float(-f),
                Val::Complex(re, im) => Val::Complex(-re, -im),
                other => other,
            })
        }
        _ => Err(EvalError::NotLiteral),
    }
}

fn hashable(v: &Val) -> Result<(), EvalError> {
    let name = match v {
        Val::List(_) => "list",
        Val::Dict(_) => "dict",
        Val::Set(_) => "set",
        Val::Tuple(items) => {
            for i in items {
                hashable(i)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    Err(EvalError::Fatal(format!("unhashable type: '{name}'")))
}

/// Python's `==` between hashable values (1 == 1.0 == True).
fn py_eq(a: &Val, b: &Val) -> bool {
    fn num(v: &Val) -> Option<(f64, f64)> {
        match v {
            Val::Bool(b) => Some((f64::from(u8::from(*b)), 0.0)),
            Val::Int(Int::Small(i)) => Some((*i as f64, 0.0)),
            Val::Float(f) => Some((*f, 0.0)),
            Val::Complex(re, im) => Some((*re, *im)),
            _ => None,
        }
    }
    match (a, b) {
        (Val::Int(Int::Small(x)), Val::Int(Int::Small(y))) => x == y,
        (Val::Int(Int::Big(x)), Val::Int(Int::Big(y))) => x == y,
        (Val::Tuple(x), Val::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// Python's repr of a complex number (`1j`, `(1+2j)`, `(-0-1j)`).
fn complex_repr(re: f64, im: f64) -> String {
    fn part(f: f64) -> String {
        let s = python_float(f);
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    }
    if re == 0.0 && re.is_sign_positive() {
        return format!("{}j", part(im));
    }
    let sign = if im.is_sign_negative() { "-" } else { "+" };
    format!("({}{}{}j)", part(re), sign, part(im.abs()))
}

fn to_node(v: &Val, span: &Span) -> Node {
    let kind = match v {
        Val::None => NodeKind::Null,
        Val::Bool(b) => NodeKind::Bool(*b),
        Val::Int(Int::Small(i)) => match i64::try_from(*i) {
            Ok(i) => NodeKind::Int(i),
            // Integers beyond 64 bits cannot be held by a Node: kept as text.
            Err(_) => NodeKind::Str(i.to_string()),
        },
        Val::Int(Int::Big(d)) => NodeKind::Str(d.clone()),
        Val::Float(f) => NodeKind::Float(*f),
        // Ansible turns complex numbers and Ellipsis back into text.
        Val::Complex(re, im) => NodeKind::Str(complex_repr(*re, *im)),
        Val::Ellipsis => NodeKind::Str("...".into()),
        Val::Str(s) => NodeKind::Str(s.clone()),
        Val::Bytes(b) => {
            // Bytes become text that is not trusted as a template (Ansible
            // shows it as unsafe).
            let mut n = Node::new(
                NodeKind::Str(String::from_utf8_lossy(b).into_owned()),
                span.clone(),
            );
            n.tag = Some(Tag::Unsafe);
            return n;
        }
        Val::Tuple(items) | Val::List(items) | Val::Set(items) => {
            NodeKind::Seq(items.iter().map(|i| to_node(i, span)).collect())
        }
        Val::Dict(pairs) => NodeKind::Map(
            pairs
                .iter()
                .map(|(k, v)| (to_node(k, span), to_node(v, span)))
                .collect(),
        ),
    };
    Node::new(kind, span.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> Option<serde_json::Value> {
        match literal_eval(s, &Span::synthetic("t")) {
            Literal::Value(n) => Some(n.to_json()),
            _ => None,
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(ev("1"), Some(serde_json::json!(1)));
        assert_eq!(ev("-5"), Some(serde_json::json!(-5)));
        assert_eq!(ev("0x1F"), Some(serde_json::json!(31)));
        assert_eq!(ev("0o17"), Some(serde_json::json!(15)));
        assert_eq!(ev("0b101"), Some(serde_json::json!(5)));
        assert_eq!(ev("1_000"), Some(serde_json::json!(1000)));
        assert_eq!(ev("1e3"), Some(serde_json::json!(1000.0)));
        assert_eq!(ev(".5"), Some(serde_json::json!(0.5)));
        assert_eq!(ev("5."), Some(serde_json::json!(5.0)));
        assert_eq!(ev("00"), Some(serde_json::json!(0)));
        // Not literals: leading zeros, double sign, underscores at the end.
        assert_eq!(ev("0644"), None);
        assert_eq!(ev("--1"), None);
        assert_eq!(ev("1_"), None);
        assert_eq!(ev("1abc"), None);
        assert_eq!(ev("1 # comment"), Some(serde_json::json!(1)));
        assert_eq!(ev("1+2j"), Some(serde_json::json!("(1+2j)")));
        assert_eq!(ev("2j"), Some(serde_json::json!("2j")));
        assert_eq!(ev("1+2"), None);
    }

    #[test]
    fn strings_and_containers() {
        assert_eq!(ev("'a' 'b'"), Some(serde_json::json!("ab")));
        assert_eq!(
            ev(r"'\x41\n\t\101\d'"),
            Some(serde_json::json!("A\n\tA\\d"))
        );
        assert_eq!(ev(r"r'\n'"), Some(serde_json::json!("\\n")));
        assert_eq!(ev("'''tri'''"), Some(serde_json::json!("tri")));
        assert_eq!(ev("u'uni'"), Some(serde_json::json!("uni")));
        assert_eq!(ev("f'x'"), None);
        assert_eq!(ev("True"), Some(serde_json::json!(true)));
        assert_eq!(ev("None"), Some(serde_json::Value::Null));
        assert_eq!(ev("true"), None);
        assert_eq!(ev("..."), Some(serde_json::json!("...")));
        assert_eq!(
            ev("{'a': [1, (2,3)], 3: {4,5}}"),
            Some(serde_json::json!({"a": [1, [2, 3]], "3": [4, 5]}))
        );
        assert_eq!(ev("1, 2"), Some(serde_json::json!([1, 2])));
        assert_eq!(ev("()"), Some(serde_json::json!([])));
        assert_eq!(ev("(1)"), Some(serde_json::json!(1)));
        assert_eq!(ev("{1, 1, True}"), Some(serde_json::json!([1])));
        assert_eq!(ev("{k:1}"), None);
        assert_eq!(ev("yes # c"), None);
        assert_eq!(ev(""), None);
        let n = literal_eval("b'xy'", &Span::synthetic("t"));
        assert!(matches!(n, Literal::Value(ref v) if v.is_unsafe()), "{n:?}");
        assert_eq!(
            literal_eval("{[1]: 2}", &Span::synthetic("t")),
            Literal::Fatal("unhashable type: 'list'".into())
        );
    }

    /// Each expectation is what Python 3.12's `ast.literal_eval` gives,
    /// converted as the INI plugin stores it.
    #[test]
    fn as_python_evaluates() {
        use serde_json::json;
        for (src, want) in [
            ("12345678901234567890123", json!("12345678901234567890123")),
            (
                "-12345678901234567890123",
                json!("-12345678901234567890123"),
            ),
            ("0xFFFFFFFFFFFFFFFFFF", json!("4722366482869645213695")),
            ("-0x10", json!(-16)),
            ("0X1f", json!(31)),
            ("0x_1f", json!(31)),
            ("+5", json!(5)),
            ("-(1)", json!(-1)),
            ("- 2.5", json!(-2.5)),
            ("-1.5e-3", json!(-0.0015)),
            ("1E+2", json!(100.0)),
            ("1_000.5_0", json!(1000.5)),
            ("1e1_0", json!(10000000000.0)),
            ("0.", json!(0.0)),
            ("-0-1j", json!("-1j")),
            ("1-2j", json!("(1-2j)")),
            ("1 + 2j", json!("(1+2j)")),
            ("1.5-0.5j", json!("(1.5-0.5j)")),
            ("[1,]", json!([1])),
            ("(1, 2,)", json!([1, 2])),
            ("[(1,)]", json!([[1]])),
            ("{}", json!({})),
            ("{1: 'a', 1.0: 'b', True: 'c'}", json!({"1": "c"})),
            ("{'a': 1, 'a': 2}", json!({"a": 2})),
            ("{1: {2: (3, 4)}}", json!({"1": {"2": [3, 4]}})),
            ("[..., None]", json!(["...", null])),
            (r"'\u00e9\U0001F600'", json!("é😀")),
            (r"'\q'", json!("\\q")),
            ("'a\\\nb'", json!("ab")),
            ("'''a\nb'''", json!("a\nb")),
            (r"u'\x41'", json!("A")),
            (r"'\0'", json!("\u{0}")),
            (r"'\777'", json!("\u{1ff}")),
            (r"rb'\x41'", json!("\\x41")),
            ("Br'a'", json!("a")),
            (r"b'\u1234'", json!("\\u1234")),
            ("'x' # c", json!("x")),
            ("\t1", json!(1)),
            ("  [1]", json!([1])),
        ] {
            assert_eq!(ev(src), Some(want), "{src:?}");
        }
        for src in [
            "0_1",
            "1__0",
            "0b",
            "0o8",
            "1e",
            "{,}",
            "(,)",
            "'abc",
            "[1, 2",
            "[1 2]",
            "x",
            "1 if 2 else 3",
            "1j + 2",
            "not 1",
            "'a' b'b'",
            "f'a' 'b'",
            "# only",
            "1;2",
            "(1,2)[0]",
        ] {
            assert_eq!(ev(src), None, "{src:?} is no literal");
        }
        for (src, ty) in [
            ("{(1, [2]): 3}", "list"),
            ("{{}: 1}", "dict"),
            ("{1, {2}}", "set"),
        ] {
            assert_eq!(
                literal_eval(src, &Span::synthetic("t")),
                Literal::Fatal(format!("unhashable type: '{ty}'")),
                "{src}"
            );
        }
        // Infinite floats have no JSON form: the node holds them.
        for (src, want) in [("1e400", f64::INFINITY), ("-1e400", f64::NEG_INFINITY)] {
            match literal_eval(src, &Span::synthetic("t")) {
                Literal::Value(n) => assert_eq!(n.kind, NodeKind::Float(want), "{src}"),
                other => panic!("{src}: {other:?}"),
            }
        }
        // Bytes that are no UTF-8 are replaced, and the text is unsafe.
        match literal_eval(r"b'\xff\n'", &Span::synthetic("t")) {
            Literal::Value(n) => {
                assert!(n.is_unsafe());
                assert_eq!(n.kind, NodeKind::Str("\u{fffd}\n".into()));
            }
            other => panic!("{other:?}"),
        }
    }
}
