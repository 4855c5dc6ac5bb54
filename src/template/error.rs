// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
use super::Resolver;
use crate::span::Span;
use std::fmt;

/// A template that does not compile or does not render.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    /// Where the template text came from, when the caller knows it.
    pub span: Option<Span>,
    /// The template text.
    pub template: String,
    pub message: String,
    /// Position inside the template (1-based line, column), for syntax errors.
    pub inner: Option<(usize, usize)>,
}

impl TemplateError {
    pub fn message(template: &str, message: &str) -> Self {
        TemplateError {
            span: None,
            template: template.to_string(),
            message: message.to_string(),
            inner: None,
        }
    }

    pub(super) fn syntax(template: &str, e: &minijinja::Error) -> Self {
        let inner = position(template, e);
        TemplateError {
            span: None,
            template: template.to_string(),
            // Ansible's wording; the detail is minijinja's.
            message: format!(
                "Syntax error in template: {}",
                match e.detail() {
                    Some("unexpected end of input, expected end of block") =>
                        unclosed_block(template).unwrap_or_else(|| detail(e)),
                    Some(d) => d.to_string(),
                    None => detail(e),
                }
            ),
            inner,
        }
    }

    pub(super) fn render(
        template: &str,
        e: &minijinja::Error,
        names: &[String],
        vars: &dyn Resolver,
    ) -> Self {
        let mut out = Self::render_message(template, e, names, vars);
        // In a multi-line template (a file) say where it failed.
        if out.inner.is_none() && template.contains('\n') && out.template == template {
            out.inner = position(template, e);
        }
        out
    }

    fn render_message(
        template: &str,
        e: &minijinja::Error,
        names: &[String],
        vars: &dyn Resolver,
    ) -> Self {
        let d = e.detail().unwrap_or_default();
        match e.kind() {
            minijinja::ErrorKind::UndefinedError => {
                if d.contains(" has no attribute ") || d.starts_with("No variable named") {
                    return TemplateError::message(template, d);
                }
                return Self::undefined(template, names, vars);
            }
            // Jinja2 looks functions up as variables.
            minijinja::ErrorKind::UnknownFunction => {
                let name = d.split_whitespace().next().unwrap_or_default();
                if !name.is_empty() && !d.starts_with("The lookup plugin") {
                    return TemplateError::message(template, &format!("'{name}' is undefined"));
                }
                return TemplateError::message(template, d);
            }
            minijinja::ErrorKind::UnknownFilter | minijinja::ErrorKind::UnknownTest => {
                let what = if e.kind() == minijinja::ErrorKind::UnknownFilter {
                    "filter"
                } else {
                    "test"
                };
                let name = d
                    .strip_prefix(what)
                    .unwrap_or(d)
                    .split_whitespace()
                    .next()
                    .unwrap_or_default();
                return TemplateError::message(
                    template,
                    &format!("Syntax error in template: No {what} named '{name}'."),
                );
            }
            minijinja::ErrorKind::InvalidOperation
                if d.contains("unsupported types undefined") || d.contains("and undefined") =>
            {
                return Self::undefined(template, names, vars);
            }
            _ => {}
        }
        if d == "Mandatory variable not defined."
            && let Some(n) = first_undefined(names, vars)
        {
            return TemplateError::message(
                template,
                &format!("Mandatory variable '{n}' not defined."),
            );
        }
        // An error raised while resolving a nested variable travels inside
        // the minijinja error; show the innermost message.
        let mut msg = if d.is_empty() {
            detail(e)
        } else {
            python_wording(d)
        };
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(s) = src {
            if let Some(te) = s.downcast_ref::<TemplateError>() {
                return te.clone();
            }
            msg = s.to_string();
            src = s.source();
        }
        // A filter or test that raised is named, as Ansible's plugin loader does.
        if let Some((kind, name)) = failing_plugin(template, e) {
            msg = format!("The {kind} plugin 'ansible.builtin.{name}' failed: {msg}");
        }
        TemplateError::message(template, &msg)
    }

    /// Names the first variable of the template that is not defined, in
    /// Ansible's words ("'foo' is undefined"), or the first missing
    /// attribute ("object of type 'dict' has no attribute 'x'").
    pub(super) fn undefined(template: &str, names: &[String], vars: &dyn Resolver) -> Self {
        for n in names {
            match vars.resolve(n) {
                Ok(None) => {
                    return TemplateError::message(template, &format!("'{n}' is undefined"));
                }
                Err(e) => return e,
                Ok(Some(_)) => {}
            }
        }
        if let Some(m) = missing_attribute(template, names, vars) {
            return TemplateError::message(template, &m);
        }
        TemplateError::message(
            template,
            "an undefined value was used (a missing attribute or key)",
        )
    }

    /// Attaches where the template came from (if not known yet). A
    /// conditional's type error names that place, as Ansible's does.
    pub fn at(mut self, span: &Span) -> Self {
        if self.span.is_none() {
            self.span = Some(span.clone());
            if self.message.starts_with("Conditional result (") {
                self.message = self
                    .message
                    .replacen("at '<unknown>'", &format!("at '{span}'"), 1);
            }
        }
        self
    }

    /// Whether this error only says that a variable is undefined (which
    /// `default` or `is defined` may still handle, and `debug: var=`
    /// shows as a marker).
    pub fn is_undefined(&self) -> bool {
        self.message.ends_with(" is undefined") || self.message.contains(" has no attribute ")
    }

    /// Ansible's wording for an error met by a conditional: an undefined
    /// variable is "while evaluating", a Python error "rendering".
    pub(super) fn in_conditional(mut self) -> Self {
        if self.is_undefined() {
            self.message = format!("Error while evaluating conditional: {}", self.message);
        } else if self.is_python_error() {
            self.message = format!("Error rendering expression: {}", self.message);
        }
        self
    }

    /// Ansible's wording for an error met rendering a template (a task's
    /// argument, its loop): a Python error says so; an undefined variable,
    /// a failed plugin or a syntax error speak for themselves.
    pub fn rendering(mut self) -> Self {
        if self.is_python_error() {
            self.message = format!("Error rendering template: {}", self.message);
        }
        self
    }

    /// Ansible's words for a loop expression that failed: an undefined
    /// variable fails the task; any other error is told as it rendered.
    pub fn in_loop(self) -> String {
        if self.is_undefined() {
            format!("Task failed: {}", self.message)
        } else {
            self.rendering().message
        }
    }

    /// Whether the message is an exception raised by an operation (Python's
    /// own text) rather than one of Ansible's worded failures.
    fn is_python_error(&self) -> bool {
        const WORDED: [&str; 10] = [
            "The filter plugin '",
            "The test plugin '",
            "The lookup plugin '",
            "Syntax error",
            "Mandatory variable",
            "Conditional result (",
            "Error while evaluating",
            "Error rendering",
            "Empty conditional",
            "an undefined value",
        ];
        !self.is_undefined() && !WORDED.iter().any(|w| self.message.starts_with(w))
    }
}

fn detail(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.span {
            write!(f, "{s}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some((l, c)) = self.inner {
            write!(f, " (line {l}, column {c} of the template)")?;
        }
        write!(f, ". Template: {:?}", self.template)
    }
}

impl std::error::Error for TemplateError {}

/// Line and column (1-based) inside the template of a minijinja error.
fn position(template: &str, e: &minijinja::Error) -> Option<(usize, usize)> {
    let line = e.line()?;
    // minijinja reports a byte range; turn its start into a column. The
    // compiled source may differ slightly from the text (escapes, a
    // `#jinja2:` line), so an offset that does not fit gives column 1.
    let col = e
        .range()
        .and_then(|r| template.get(..r.start))
        .map(|before| {
            before.chars().count()
                - before
                    .rfind('\n')
                    .map(|i| before[..=i].chars().count())
                    .unwrap_or(0)
                + 1
        })
        .unwrap_or(1);
    Some((line, col))
}

/// The filter or test a render error was raised in ("filter", name):
/// minijinja places a plugin's error at its name, right after its `|` or
/// `is` (or at the operator itself when the compiled text is shifted, as
/// a `{{ }}` around an expression shifts it).
fn failing_plugin(template: &str, e: &minijinja::Error) -> Option<(&'static str, String)> {
    let r = e.range()?;
    let (before, rest) = (template.get(..r.start)?, template.get(r.start..)?);
    let before = before.trim_end();
    let rest = rest.trim_start();
    let word = |t: &str, w: &str| t == w || t.ends_with(&format!(" {w}"));
    let (kind, rest) = if before.ends_with('|') {
        ("filter", rest)
    } else if let Some(r) = rest.strip_prefix('|') {
        ("filter", r)
    } else if word(before, "is")
        || (word(before, "not") && word(before.trim_end_matches("not").trim_end(), "is"))
    {
        ("test", rest)
    } else if let Some(r) = rest.strip_prefix("is ") {
        ("test", r.trim_start().strip_prefix("not ").unwrap_or(r))
    } else {
        return None;
    };
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    let short = name.rsplit('.').next().unwrap_or_default();
    (!short.is_empty()).then(|| (kind, short.to_string()))
}

fn first_undefined(names: &[String], vars: &dyn Resolver) -> Option<String> {
    names
        .iter()
        .find(|n| matches!(vars.resolve(n), Ok(None)))
        .cloned()
}

/// minijinja's wording of Python's common runtime errors, in Python's words.
fn python_wording(d: &str) -> String {
    if let Some(rest) = d.strip_prefix("unable to calculate ") {
        if rest.contains(" // ") {
            return "integer division or modulo by zero".into();
        }
        if rest.contains(" % ") {
            return "integer modulo by zero".into();
        }
        if rest.contains(" / ") {
            return "division by zero".into();
        }
    }
    if d == "strings can only be multiplied with integers" {
        return "can't multiply sequence by non-int of type 'str'".into();
    }
    if let Some(rest) = d.strip_prefix("tried to use ") {
        // "tried to use + operator on unsupported types string and number"
        let mut parts = rest.split(' ');
        let op = parts.next().unwrap_or("+");
        let tail: Vec<&str> = rest.split(" on unsupported types ").collect();
        if let Some(types) = tail.get(1) {
            let (a, b) = types.split_once(" and ").unwrap_or((types, ""));
            let py = |t: &str| {
                match t {
                    "string" => "str",
                    "number" => "int",
                    "sequence" => "list",
                    "map" => "dict",
                    "bool" => "bool",
                    "none" => "NoneType",
                    other => other,
                }
                .to_string()
            };
            let (pa, pb) = (py(a), py(b));
            if op == "+" && (pa == "str" || pa == "list") {
                return format!("can only concatenate {pa} (not \"{pb}\") to {pa}");
            }
            return format!("unsupported operand type(s) for {op}: '{pa}' and '{pb}'");
        }
    }
    d.to_string()
}

/// Walks `name.attr[0]['key']` chains of the template with the resolved
/// variables and names the first step that does not exist.
fn missing_attribute(template: &str, names: &[String], vars: &dyn Resolver) -> Option<String> {
    use minijinja::value::{Value, ValueKind};
    let b = template.as_bytes();
    let mut i = 0;
    let ident = |i: usize| b[i].is_ascii_alphanumeric() || b[i] == b'_';
    while i < b.len() {
        if (b[i].is_ascii_alphabetic() || b[i] == b'_')
            && (i == 0 || !(ident(i - 1) || b[i - 1] == b'.'))
        {
            let start = i;
            while i < b.len() && ident(i) {
                i += 1;
            }
            let root = &template[start..i];
            if !names.iter().any(|n| n == root) {
                continue;
            }
            let Ok(Some(mut cur)) = vars.resolve(root) else {
                continue;
            };
            loop {
                let (key, next): (Value, usize) = if i < b.len() && b[i] == b'.' {
                    let s = i + 1;
                    let mut e = s;
                    while e < b.len() && ident(e) {
                        e += 1;
                    }
                    if e == s || b.get(e) == Some(&b'(') {
                        break;
                    }
                    let k = &template[s..e];
                    match k.parse::<i64>() {
                        Ok(n) if cur.kind() == ValueKind::Seq => (Value::from(n), e),
                        _ => (Value::from(k), e),
                    }
                } else if i < b.len() && b[i] == b'[' {
                    let Some(close) = template[i..].find(']').map(|c| i + c) else {
                        break;
                    };
                    let inner = template[i + 1..close].trim();
                    let key = if let Ok(n) = inner.parse::<i64>() {
                        Value::from(n)
                    } else if inner.len() >= 2
                        && (inner.starts_with('\'') || inner.starts_with('"'))
                    {
                        Value::from(&inner[1..inner.len() - 1])
                    } else {
                        break;
                    };
                    (key, close + 1)
                } else {
                    break;
                };
                let found = cur.get_item(&key).ok().filter(|v| !v.is_undefined());
                match found {
                    Some(v) => {
                        cur = v;
                        i = next;
                    }
                    None => {
                        let shown = match key.as_str() {
                            Some(s) => format!("'{s}'"),
                            None => key.to_string(),
                        };
                        return Some(format!(
                            "object of type '{}' has no attribute {shown}",
                            super::pyrepr::py_type_name(&cur)
                        ));
                    }
                }
            }
            continue;
        }
        i += 1;
    }
    None
}

/// Jinja2's words for a template that ends inside a block: the tags it was
/// looking for and the innermost block left open, found by following the
/// block tags (comments and `raw` sections skipped).
fn unclosed_block(template: &str) -> Option<String> {
    let tags = regex::Regex::new(r"(?s)\{#.*?#\}|\{%[-+]?\s*(\w+)([^%]*)").ok()?;
    // (name, past its `else`)
    let mut open: Vec<(String, bool)> = Vec::new();
    let mut in_raw = false;
    for c in tags.captures_iter(template) {
        let Some(word) = c.get(1).map(|m| m.as_str()) else {
            continue; // a comment
        };
        if in_raw {
            in_raw = word != "endraw";
            continue;
        }
        match word {
            "raw" => in_raw = true,
            "if" | "for" | "block" | "macro" | "call" | "filter" | "with" | "autoescape" => {
                open.push((word.to_string(), false));
            }
            // Only the block form of `set` (no `=`) needs an end.
            "set" if !c.get(2).is_some_and(|m| m.as_str().contains('=')) => {
                open.push(("set".to_string(), false));
            }
            "else" => {
                if let Some(last) = open.last_mut() {
                    last.1 = true;
                }
            }
            w if w.starts_with("end") => {
                open.pop();
            }
            _ => {}
        }
    }
    let (name, past_else) = open.last()?;
    let looking = match (name.as_str(), past_else) {
        ("if", false) => "'elif' or 'else' or 'endif'".to_string(),
        ("for", false) => "'endfor' or 'else'".to_string(),
        (n, _) => format!("'end{n}'"),
    };
    Some(format!(
        "Unexpected end of template. Jinja was looking for the following tags: {looking}. The innermost block that needs to be closed is '{name}'."
    ))
}

#[cfg(test)]
mod unclosed_tests {
    use super::unclosed_block;

    #[test]
    fn the_innermost_open_block_is_named_as_jinja2_names_it() {
        // Each expectation was printed by Jinja2 3.1 (ansible-core 2.21's).
        let cases = [
            (
                "{% if x %}\nunclosed\n",
                "'elif' or 'else' or 'endif'",
                "if",
            ),
            ("{% for a in b %}x", "'endfor' or 'else'", "for"),
            (
                "{% for a in b %}{% if c %}x{% endif %}",
                "'endfor' or 'else'",
                "for",
            ),
            ("{% block z %}", "'endblock'", "block"),
            ("{% macro m() %}", "'endmacro'", "macro"),
            ("{% with a=1 %}", "'endwith'", "with"),
            ("{% set x %}abc", "'endset'", "set"),
            ("{% filter upper %}", "'endfilter'", "filter"),
            ("{% call m() %}", "'endcall'", "call"),
            ("{% if a %}{% else %}", "'endif'", "if"),
            ("{% for a in b %}{% else %}", "'endfor'", "for"),
            (
                "{% if a %}{% elif b %}",
                "'elif' or 'else' or 'endif'",
                "if",
            ),
            (
                "{% if a %}{# {% endif %} #}{% raw %}{% endif %}{% endraw %}",
                "'elif' or 'else' or 'endif'",
                "if",
            ),
        ];
        for (t, looking, name) in cases {
            assert_eq!(
                unclosed_block(t).as_deref(),
                Some(format!(
                    "Unexpected end of template. Jinja was looking for the following tags: {looking}. The innermost block that needs to be closed is '{name}'."
                ).as_str()),
                "{t}"
            );
        }
        assert_eq!(unclosed_block("{% set x = 1 %}"), None);
    }
}
