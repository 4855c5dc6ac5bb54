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
pub use pyrepr::{json_to_value, py_str, value_to_json};

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
    /// The run's vault passwords: `!vault` values are opened when read.
    vault: Arc<crate::vault::VaultSecrets>,
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

/// An environment with Ansible's settings: strict undefined, Python-style
/// output, Ansible's filters and tests.
fn base_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(pyrepr::format_value);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    filters::register(&mut env);
    env
}

/// How the `template` module renders a file (its own Jinja settings).
#[derive(Debug, Clone)]
pub struct FileOptions {
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
    /// `\n`, `\r` or `\r\n`: every newline of the template text becomes this.
    pub newline_sequence: String,
    pub variable: (String, String),
    pub block: (String, String),
    pub comment: (String, String),
    /// Directories `{% include %}` and `{% import %}` search, in order.
    pub search: Vec<std::path::PathBuf>,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            trim_blocks: true,
            lstrip_blocks: false,
            newline_sequence: "\n".into(),
            variable: ("{{".into(), "}}".into()),
            block: ("{%".into(), "%}".into()),
            comment: ("{#".into(), "#}".into()),
            search: Vec::new(),
        }
    }
}

impl Templar {
    pub fn new() -> Arc<Templar> {
        Templar::with_vault(Arc::default())
    }

    /// A templar whose variables may hold `!vault` values opened with `vault`.
    pub fn with_vault(vault: Arc<crate::vault::VaultSecrets>) -> Arc<Templar> {
        let mut env = base_env();
        // Ansible's playbook templar keeps a trailing newline.
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        // One environment per run, kept for the whole process lifetime so that
        // compiled templates can be cached without borrowing a local.
        let env: &'static Environment<'static> = Box::leak(Box::new(env));
        Arc::new(Templar {
            env,
            cache: RwLock::new(HashMap::new()),
            cond_cache: RwLock::new(HashMap::new()),
            vault,
        })
    }

    /// The run's vault passwords.
    pub fn vault(&self) -> &crate::vault::VaultSecrets {
        &self.vault
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

impl Templar {
    /// Renders a whole template file (the `template` module): always text,
    /// with the file template settings in `opts`, variables from `vars`.
    pub fn render_file(
        &self,
        text: &str,
        vars: &dyn Resolver,
        opts: &FileOptions,
    ) -> Result<String, TemplateError> {
        let mut env = base_env();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .variable_delimiters(opts.variable.0.clone(), opts.variable.1.clone())
            .block_delimiters(opts.block.0.clone(), opts.block.1.clone())
            .comment_delimiters(opts.comment.0.clone(), opts.comment.1.clone())
            .trim_blocks(opts.trim_blocks)
            .lstrip_blocks(opts.lstrip_blocks)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| TemplateError::syntax(text, &e))?;
        env.set_syntax(syntax);
        let search = opts.search.clone();
        env.set_loader(move |name| {
            for dir in &search {
                let p = dir.join(name);
                if p.is_file() {
                    return std::fs::read_to_string(&p).map(Some).map_err(|e| {
                        minijinja::Error::new(minijinja::ErrorKind::TemplateNotFound, e.to_string())
                    });
                }
            }
            Ok(None)
        });
        // Jinja's newline_sequence: the template's own line ends become it.
        let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
        let normalized = if opts.newline_sequence == "\n" {
            normalized
        } else {
            normalized.replace('\n', &opts.newline_sequence)
        };
        env.add_template_owned("__kiln_template_file__", normalized)
            .map_err(|e| TemplateError::syntax(text, &e))?;
        let tmpl = env
            .get_template("__kiln_template_file__")
            .map_err(|e| TemplateError::syntax(text, &e))?;
        let names = sorted_names(tmpl.undeclared_variables(false));
        let ctx = Self::context(&names, vars)?;
        tmpl.render(ctx)
            .map_err(|e| TemplateError::render(text, &e, &names, vars))
    }
}

#[cfg(test)]
mod tests;
