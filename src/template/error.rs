// SPDX-License-Identifier: MIT
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
        let inner = e.line().map(|l| {
            // minijinja reports a byte range; turn its start into a column.
            let col = e
                .range()
                .map(|r| {
                    let before = &template[..r.start.min(template.len())];
                    before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1
                })
                .unwrap_or(1);
            (l, col)
        });
        TemplateError {
            span: None,
            template: template.to_string(),
            message: format!("template error while templating string: {}", detail(e)),
            inner,
        }
    }

    pub(super) fn render(
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
            minijinja::ErrorKind::InvalidOperation if d.contains("unsupported types undefined") || d.contains("and undefined") => {
                return Self::undefined(template, names, vars);
            }
            _ => {}
        }
        // An error raised while resolving a nested variable travels inside
        // the minijinja error; show the innermost message.
        let mut msg = detail(e);
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(s) = src {
            if let Some(te) = s.downcast_ref::<TemplateError>() {
                return te.clone();
            }
            msg = s.to_string();
            src = s.source();
        }
        TemplateError::message(template, &msg)
    }

    /// Names the first variable of the template that is not defined, in
    /// Ansible's words ("'foo' is undefined").
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
    /// `default` or `is defined` may still handle).
    pub(super) fn is_undefined(&self) -> bool {
        self.message.ends_with(" is undefined") || self.message.contains(" has no attribute ")
    }

    /// Ansible's wording for an undefined variable met by a conditional.
    pub(super) fn in_conditional(mut self) -> Self {
        if self.message.ends_with(" is undefined") || self.message.contains(" has no attribute ") {
            self.message = format!("Error while evaluating conditional: {}", self.message);
        }
        self
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
