// SPDX-License-Identifier: MIT
//! Ansible's Jinja2 dialect on minijinja.
//!
//! Every distinct template string is compiled once per run and cached. A
//! string that is exactly one `{{ expr }}` is evaluated as an expression so
//! that it keeps its native type (list, dict, int, bool); anything else
//! renders to a string. Variables are not passed in bulk: the templar asks a
//! [`Resolver`] for exactly the names a template uses, which is what makes
//! variables lazy (a variable that is never read is never templated).

mod error;
mod filters;
mod pyrepr;

use minijinja::value::Value;
use minijinja::{Environment, Expression, Template, UndefinedBehavior};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

pub use error::TemplateError;
pub use pyrepr::{json_to_value, py_str, py_type_name, value_to_json};

/// Where a template finds its variables.
pub trait Resolver: Send + Sync {
    /// The value of the top-level variable `name`, `Ok(None)` if undefined.
    fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError>;
}

/// A compiled template string.
enum Compiled {
    /// No Jinja syntax at all: the text is the value.
    Literal,
    /// Exactly one `{{ expr }}`: evaluated to a native value.
    Expr {
        expr: Expression<'static, 'static>,
        names: Vec<String>,
    },
    /// Mixed text: rendered to a string.
    Text {
        tmpl: Template<'static, 'static>,
        names: Vec<String>,
    },
}

/// The run's template engine. Cheap to share (`Arc`).
pub struct Templar {
    env: &'static Environment<'static>,
    cache: RwLock<HashMap<String, Arc<Compiled>>>,
    cond_cache: RwLock<HashMap<String, Arc<Compiled>>>,
}

/// Whether `s` contains Jinja syntax at all (Ansible's `is_possibly_template`).
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

fn sorted_names(set: std::collections::HashSet<String>) -> Vec<String> {
    set.into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// If `s` is exactly one `{{ ... }}` (surrounding whitespace allowed inside
/// the braces only), the inner expression.
fn single_expression(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    // "{{ a }} {{ b }}" must not count: the inner part may not close and
    // reopen an expression, nor contain statement or comment blocks.
    if inner.contains("}}") || inner.contains("{{") || inner.contains("{%") || inner.contains("{#")
    {
        return None;
    }
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    Some(inner)
}

impl Templar {
    pub fn new() -> Arc<Templar> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Ansible's playbook templar keeps a trailing newline.
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.set_formatter(pyrepr::format_value);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        filters::register(&mut env);
        // One environment per run, kept for the whole process lifetime so that
        // compiled templates can be cached without borrowing a local.
        let env: &'static Environment<'static> = Box::leak(Box::new(env));
        Arc::new(Templar {
            env,
            cache: RwLock::new(HashMap::new()),
            cond_cache: RwLock::new(HashMap::new()),
        })
    }

    fn compile_template(&self, s: &str) -> Result<Arc<Compiled>, TemplateError> {
        if let Some(c) = self.cache.read().ok().and_then(|c| c.get(s).cloned()) {
            return Ok(c);
        }
        let compiled = if !is_template(s) {
            Compiled::Literal
        } else if let Some(inner) = single_expression(s) {
            let expr = self
                .env
                .compile_expression_owned(inner.to_string())
                .map_err(|e| TemplateError::syntax(s, &e))?;
            let names = sorted_names(expr.undeclared_variables(false));
            Compiled::Expr { expr, names }
        } else {
            // Each distinct template text is leaked once: the run keeps it anyway.
            let src: &'static str = Box::leak(s.to_string().into_boxed_str());
            let tmpl = self
                .env
                .template_from_str(src)
                .map_err(|e| TemplateError::syntax(s, &e))?;
            let names = sorted_names(tmpl.undeclared_variables(false));
            Compiled::Text { tmpl, names }
        };
        let compiled = Arc::new(compiled);
        if let Ok(mut c) = self.cache.write() {
            c.insert(s.to_string(), compiled.clone());
        }
        Ok(compiled)
    }

    fn compile_condition(&self, expr: &str) -> Result<Arc<Compiled>, TemplateError> {
        if let Some(c) = self
            .cond_cache
            .read()
            .ok()
            .and_then(|c| c.get(expr).cloned())
        {
            return Ok(c);
        }
        // A conditional written as a template ("{{ x }}") is evaluated as its
        // inner expression, as Ansible does (with a warning there).
        let text = single_expression(expr.trim())
            .unwrap_or(expr)
            .trim()
            .to_string();
        let e = self
            .env
            .compile_expression_owned(text)
            .map_err(|e| TemplateError::syntax(expr, &e))?;
        let names = sorted_names(e.undeclared_variables(false));
        let compiled = Arc::new(Compiled::Expr { expr: e, names });
        if let Ok(mut c) = self.cond_cache.write() {
            c.insert(expr.to_string(), compiled.clone());
        }
        Ok(compiled)
    }

    /// Compiles `s` (for validation before any host is touched).
    pub fn check(&self, s: &str) -> Result<(), TemplateError> {
        self.compile_template(s).map(|_| ())
    }

    /// Compiles a conditional expression (for validation).
    pub fn check_condition(&self, expr: &str) -> Result<(), TemplateError> {
        self.compile_condition(expr).map(|_| ())
    }

    fn context(names: &[String], vars: &dyn Resolver) -> Result<Value, TemplateError> {
        let mut ctx: HashMap<&str, Value> = HashMap::with_capacity(names.len());
        for n in names {
            if let Some(v) = vars.resolve(n)? {
                ctx.insert(n.as_str(), v);
            }
        }
        Ok(Value::from_pairs(ctx))
    }

    /// Renders one string to a value: a single expression keeps its type,
    /// mixed text gives a string, text without Jinja is returned as is.
    pub fn render(&self, s: &str, vars: &dyn Resolver) -> Result<Value, TemplateError> {
        let compiled = self.compile_template(s)?;
        match &*compiled {
            Compiled::Literal => Ok(Value::from(s)),
            Compiled::Expr { expr, names } => {
                let ctx = Self::context(names, vars)?;
                let v = expr
                    .eval(ctx)
                    .map_err(|e| TemplateError::render(s, &e, names, vars))?;
                if v.is_undefined() {
                    return Err(TemplateError::undefined(s, names, vars));
                }
                Ok(v)
            }
            Compiled::Text { tmpl, names } => {
                let ctx = Self::context(names, vars)?;
                tmpl.render(ctx)
                    .map(Value::from)
                    .map_err(|e| TemplateError::render(s, &e, names, vars))
            }
        }
    }

    /// Evaluates a conditional (`when`, `failed_when`, `changed_when`,
    /// `assert.that`) with ansible-core 2.19+'s strict rule: the result must be
    /// a boolean.
    pub fn condition(&self, expr: &str, vars: &dyn Resolver) -> Result<bool, TemplateError> {
        let compiled = self.compile_condition(expr)?;
        let Compiled::Expr { expr: e, names } = &*compiled else {
            return Err(TemplateError::message(expr, "not an expression"));
        };
        let ctx = Self::context(names, vars)?;
        let v = e
            .eval(ctx)
            .map_err(|err| TemplateError::render(expr, &err, names, vars))?;
        if v.is_undefined() {
            return Err(TemplateError::undefined(expr, names, vars));
        }
        match v.kind() {
            minijinja::value::ValueKind::Bool => Ok(v.is_true()),
            _ => Err(TemplateError::message(
                expr,
                &format!(
                    "Conditional result ({}) was derived from value of type '{}' at '{}'. Conditionals must have a boolean result.",
                    if v.is_true() { "True" } else { "False" },
                    pyrepr::py_type_name(&v),
                    expr
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
