// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Ansible's Jinja2 dialect on minijinja.
//!
//! Every distinct template string is compiled once per run and cached.
//! Results follow Ansible's native concatenation: a template whose output is
//! exactly one `{{ expr }}` node keeps that value's type (list, dict, int,
//! bool), no output at all gives `None`, anything else is the text. Variables
//! are not passed in bulk: the templar asks a [`Resolver`] for exactly the
//! names a template uses, which is what makes variables lazy (a variable that
//! is never read is never templated).
//!
//! Like Ansible's templar: `trim_blocks` is on, trailing newlines of the
//! template are kept, string constants inside `{{ }}` of playbook strings keep
//! their backslashes, and a leading `#jinja2:` line sets Jinja options.
//! Undefined values fail like Ansible's (see [`Templar`]'s environments).
//!
//! The API:
//! - [`Templar::render`]: a playbook string to a value;
//! - [`Templar::condition`]: a `when`-style expression to a bool (strict
//!   boolean rule; [`Templar::set_allow_broken_conditionals`]);
//! - [`Templar::render_file`] / [`Templar::render_file_in`]: a template
//!   file as the `template` module renders it, with [`TemplateOptions`];
//! - [`Templar::lookup`]: a lookup plugin for a `with_<lookup>` loop;
//! - [`Templar::check`] / [`Templar::check_condition`]: validation (syntax,
//!   unknown filters and tests) before any host is touched.
//!
//! The submodules: `syntax` (options, `#jinja2:`, source rewrites), `pyrepr`
//! (Python's str/repr), `pyformat` (`%` and `str.format`), `methods`
//! (Python methods on values), `filters` (Jinja2's and Ansible's filters),
//! `tests_ansible` (tests), `lookups`, `yaml_dump` (PyYAML's emitter),
//! `warnings` (what templates say to the output) and `error`.

mod error;
mod filters;
mod globals;
mod lookup_config;
mod lookup_url;
mod lookups;
mod methods;
mod ordering;
mod pyformat;
mod pyrepr;
mod subtraction;
pub(crate) mod syntax;
mod tests_ansible;
mod warnings;
pub mod yaml_dump;

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Expression, Template, UndefinedBehavior};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

pub use error::TemplateError;
/// Python's `os.path.expanduser`, which ansible-core's file searches use
/// for a name starting with `~`.
pub(crate) use filters::expanduser;
pub use pyrepr::{
    json_to_value, py_bytes_repr, py_repr, py_str, py_type_name, unmark_datetimes, value_to_json,
    value_to_stored_json,
};
pub use syntax::TemplateOptions;
pub use warnings::{capture as capture_warnings, take_stray as take_stray_warnings};

/// Where a template finds its variables.
///
/// Lookups read a few variables the way Ansible's do: `vars` (every variable
/// as a dict, for `lookup('vars')`, `varnames` and `template`),
/// `ansible_search_path` (directories searched for relative paths, each
/// also with its `files/` or `templates/` subdirectory) and `playbook_dir`
/// (the working directory of `pipe` and `lines`).
pub trait Resolver: Send + Sync {
    /// The value of the top-level variable `name`, `Ok(None)` if undefined.
    fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError>;
}

/// Names a template that calls a lookup needs besides its own.
const LOOKUP_NAMES: [&str; 4] = ["vars", "ansible_search_path", "playbook_dir", "role_path"];

/// A Jinja environment, shared by the templar and every template compiled
/// against it (a compiled template borrows its environment).
type Env = Arc<Environment<'static>>;

/// A template borrowing its own environment and source.
type TemplateOf<'a> = Template<'a, 'a>;
/// An expression (which owns its source) borrowing its own environment.
type ExpressionOf<'a> = Expression<'a, 'static>;

// minijinja's templates and expressions borrow their environment (and a
// template its source). Owning both beside the compiled form frees a template
// with its cache entry instead of keeping every source for the process's
// lifetime.
self_cell::self_cell!(
    struct OwnedTemplate {
        owner: (Env, Box<str>),
        #[covariant]
        dependent: TemplateOf,
    }
);

self_cell::self_cell!(
    struct OwnedExpression {
        owner: Env,
        #[covariant]
        dependent: ExpressionOf,
    }
);

/// A compiled template string.
enum Compiled {
    /// No Jinja syntax at all: the text is the value.
    Literal,
    /// Exactly one `{{ expr }}`: evaluated to a native value.
    Expr {
        expr: OwnedExpression,
        names: Vec<String>,
    },
    /// Anything else: rendered, then concatenated the way Ansible does.
    Text {
        tmpl: OwnedTemplate,
        names: Vec<String>,
        /// Newlines ending the template, restored after rendering.
        trailing: usize,
        newline: String,
    },
}

/// Whether a template's strings keep their backslashes (playbook strings) or
/// Jinja reads escapes in them (template files, conditionals).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Mode {
    Playbook,
    File,
}

/// The run's template engine. Cheap to share (`Arc`).
pub struct Templar {
    /// One environment per set of Jinja options and undefined behaviour.
    envs: RwLock<HashMap<(TemplateOptions, bool), Env>>,
    cache: RwLock<HashMap<String, Arc<Compiled>>>,
    file_cache: RwLock<HashMap<(TemplateOptions, String), Arc<Compiled>>>,
    cond_cache: RwLock<HashMap<String, Arc<Compiled>>>,
    /// Filter and test names checked at validation: (is_filter, name) -> exists.
    known: RwLock<HashMap<(bool, String), bool>>,
    allow_broken_conditionals: AtomicBool,
    /// How many times a template text was compiled (each distinct text once
    /// per run; the benchmark and tests check it).
    compiles: AtomicUsize,
    /// The run's vault passwords: `!vault` values are opened when read.
    vault: Arc<crate::vault::VaultSecrets>,
    /// The run's ansible.cfg, which the `config` lookup reads.
    config: RwLock<Arc<crate::config::Config>>,
}

/// Whether `s` contains Jinja syntax at all (Ansible's `is_possibly_template`).
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#") || s.starts_with("#jinja2:")
}

const NOT_NAMES: [&str; 17] = [
    "and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None",
    "for", "endfor", "endif", "loop",
];

/// Bare names of an expression: minijinja's `undeclared_variables` misses
/// the target of a slice (`l[1:]`, `s.split('.')[:3]`), so when a template
/// slices, every name that is not an attribute, a filter, a test or a
/// keyword argument is resolved too.
fn subscripted_names(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = src.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == b'\'' || c == b'"' {
            quote = Some(c);
            i += 1;
            continue;
        }
        if (c.is_ascii_alphabetic() || c == b'_')
            && (i == 0
                || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.'))
        {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let before = src[..start].trim_end();
            let after = src[i..].trim_start();
            let name = &src[start..i];
            let is_filter = before.ends_with('|');
            let is_test = before.ends_with(" is")
                || before.ends_with(" not") && before.trim_end_matches(" not").ends_with(" is");
            let is_kwarg = after.starts_with('=') && !after.starts_with("==");
            if !is_filter && !is_test && !is_kwarg && !NOT_NAMES.contains(&name) {
                out.push(name.to_string());
            }
            continue;
        }
        i += 1;
    }
    out
}

/// The name under which a context marks that any variable may be read
/// (a template that includes others does not know their names).
const ALL_VARS: &str = "\u{0}all";

fn sorted_names(set: std::collections::HashSet<String>, src: &str) -> Vec<String> {
    let mut names: BTreeSet<String> = set.into_iter().collect();
    // The rewrite's own function is not a variable.
    names.remove(subtraction::SUB_FUNCTION);
    names.remove(ordering::CMP_FUNCTION);
    if ["include", "import", "extends"]
        .iter()
        .any(|w| src.contains(&format!("{{% {w}")) || src.contains(&format!("{{%- {w}")))
    {
        names.insert("vars".to_string());
        names.insert(ALL_VARS.to_string());
    }
    if src.contains('[') && src.contains(':') {
        names.extend(subscripted_names(src));
    }
    if names
        .iter()
        .any(|n| matches!(n.as_str(), "lookup" | "query" | "q"))
    {
        names.extend(LOOKUP_NAMES.iter().map(|s| s.to_string()));
    }
    names.into_iter().collect()
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
    let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    Some(inner)
}

/// Compiles an expression with its binary minuses and ordering comparisons
/// rewritten (see [`subtraction`], [`ordering`]); a syntax error is the one of the code as written.
fn compile_expression(env: Env, code: String) -> Result<OwnedExpression, minijinja::Error> {
    let Some(rewritten) = subtraction::rewrite_code(&code, false) else {
        return OwnedExpression::try_new(env, |env| env.compile_expression_owned(code));
    };
    OwnedExpression::try_new(env.clone(), |env| env.compile_expression_owned(rewritten)).or_else(
        |e| OwnedExpression::try_new(env, |env| env.compile_expression_owned(code)).and(Err(e)),
    )
}

fn compile_text(env: Env, src: String) -> Result<OwnedTemplate, minijinja::Error> {
    OwnedTemplate::try_new((env, src.into_boxed_str()), |(env, src)| {
        env.template_from_str(src)
    })
}

/// What the formatter printed during one render, to find out afterwards
/// whether the output was exactly one expression node.
struct Frame {
    nodes: usize,
    last: Value,
    last_len: usize,
}

thread_local! {
    static FRAMES: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
    /// Directories `{% include %}` and `{% import %}` search, per render.
    static INCLUDE_DIRS: RefCell<Vec<Vec<PathBuf>>> = const { RefCell::new(Vec::new()) };
    /// The vault passwords of the templar rendering on this thread: the
    /// `file`/`unvault` lookups and the vault filters and test read them
    /// (minijinja's functions see only the template's variables).
    static VAULTS: RefCell<Vec<Arc<crate::vault::VaultSecrets>>> = const { RefCell::new(Vec::new()) };
    /// The run's ansible.cfg, for the `config` lookup, per render.
    static CONFIGS: RefCell<Vec<Arc<crate::config::Config>>> = const { RefCell::new(Vec::new()) };
}

/// While alive, [`current_vault`] is the vault of the render that made it.
struct VaultScope;

impl VaultScope {
    fn enter(
        vault: &Arc<crate::vault::VaultSecrets>,
        config: &RwLock<Arc<crate::config::Config>>,
    ) -> VaultScope {
        VAULTS.with(|v| v.borrow_mut().push(vault.clone()));
        let config = config.read().map(|c| c.clone()).unwrap_or_default();
        CONFIGS.with(|c| c.borrow_mut().push(config));
        VaultScope
    }
}

impl Drop for VaultScope {
    fn drop(&mut self) {
        VAULTS.with(|v| v.borrow_mut().pop());
        CONFIGS.with(|c| c.borrow_mut().pop());
    }
}

/// The run's ansible.cfg (an empty one outside a render or without file).
pub(crate) fn current_config() -> Arc<crate::config::Config> {
    CONFIGS
        .with(|c| c.borrow().last().cloned())
        .unwrap_or_default()
}

/// The vault passwords of the render in progress (none outside a render).
pub(crate) fn current_vault() -> Arc<crate::vault::VaultSecrets> {
    VAULTS
        .with(|v| v.borrow().last().cloned())
        .unwrap_or_default()
}

/// Resolves an included template's name to the absolute path of the first
/// match in the render's include directories, so that minijinja's cache of
/// loaded templates is keyed by file, not by the name written.
fn include_path(name: &str) -> Option<String> {
    if name.starts_with('/') {
        return Some(name.to_string());
    }
    INCLUDE_DIRS.with(|d| {
        d.borrow().last().and_then(|dirs| {
            dirs.iter()
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
                .map(|p| p.display().to_string())
        })
    })
}

pub(crate) fn record_node(value: &Value, len: usize) {
    FRAMES.with(|f| {
        if let Some(top) = f.borrow_mut().last_mut() {
            top.nodes += 1;
            top.last = value.clone();
            top.last_len = len;
        }
    });
}

/// Whether a template deals with undefined values itself.
fn handles_undefined(s: &str) -> bool {
    if s.contains("default") || s.contains("defined") || s.contains("mandatory") {
        return true;
    }
    // The `d` alias of `default`: `| d(...)` or `| d`.
    s.match_indices('|').any(|(i, _)| {
        let rest = s[i + 1..].trim_start();
        rest.starts_with('d')
            && !rest[1..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// What in a template's result Ansible refuses to store.
#[derive(PartialEq)]
enum Unstorable {
    /// An undefined value (a list or dict built from one).
    Undefined,
    /// A Python range object (`{{ range(3) }}` without `| list`).
    Range,
    /// A `datetime.timedelta` (a difference of datetimes).
    TimeDelta,
}

/// The first value in a result that Ansible's finalization refuses.
fn unstorable(v: &Value, depth: usize) -> Option<Unstorable> {
    if v.is_undefined() {
        return Some(Unstorable::Undefined);
    }
    if depth > 32 {
        return None;
    }
    match v.kind() {
        ValueKind::Seq => {
            if v.downcast_object_ref::<globals::PyRange>().is_some() {
                return Some(Unstorable::Range);
            }
            v.try_iter().ok()?.find_map(|x| unstorable(&x, depth + 1))
        }
        ValueKind::Plain if v.downcast_object_ref::<filters::PyTimeDelta>().is_some() => {
            Some(Unstorable::TimeDelta)
        }
        ValueKind::Map => v
            .try_iter()
            .ok()?
            .find_map(|k| v.get_item(&k).ok().and_then(|x| unstorable(&x, depth + 1))),
        _ => None,
    }
}

/// The error for a result Ansible would not store, if it holds one.
fn check_storable(
    v: &Value,
    s: &str,
    names: &[String],
    vars: &dyn Resolver,
) -> Result<(), TemplateError> {
    match unstorable(v, 0) {
        None => Ok(()),
        Some(Unstorable::Undefined) => Err(TemplateError::undefined(s, names, vars)),
        Some(Unstorable::Range) => Err(TemplateError::message(
            s,
            "Error rendering template: Type 'range' is unsupported for variable storage.",
        )),
        Some(Unstorable::TimeDelta) => Err(TemplateError::message(
            s,
            "Error rendering template: Type 'timedelta' is unsupported for variable storage.",
        )),
    }
}

/// A context that resolves any name: the names the template was seen to use,
/// then every variable through the `vars` object.
#[derive(Debug)]
struct LazyContext {
    known: HashMap<String, Value>,
    every: Value,
}

impl minijinja::value::Object for LazyContext {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if let Some(v) = self.known.get(name) {
            return Some(v.clone());
        }
        self.every.get_attr(name).ok().filter(|v| !v.is_undefined())
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Values(
            self.known.keys().map(|k| Value::from(k.as_str())).collect(),
        )
    }
}

/// How many entries a templar cache holds before it starts afresh. A run's
/// playbooks have far fewer distinct templates, so each is still compiled
/// once per run; the bound is for embedders that keep one templar for a long
/// time on ever new input (a fuzzer, a server), whose memory must not grow
/// without end.
const CACHE_BOUND: usize = 50_000;

fn bounded_insert<K: std::hash::Hash + Eq, V>(m: &mut HashMap<K, V>, k: K, v: V) {
    if m.len() >= CACHE_BOUND && !m.contains_key(&k) {
        m.clear();
    }
    m.insert(k, v);
}

/// Ansible's finalization of a result: iterators become lists.
fn finalize(v: Value) -> Value {
    match v.kind() {
        ValueKind::Iterable => match v.try_iter() {
            Ok(it) => Value::from(it.collect::<Vec<_>>()),
            Err(_) => v,
        },
        _ => v,
    }
}

impl Templar {
    pub fn new() -> Arc<Templar> {
        Templar::with_vault(Arc::default())
    }

    /// A templar whose variables may hold `!vault` values opened with `vault`.
    pub fn with_vault(vault: Arc<crate::vault::VaultSecrets>) -> Arc<Templar> {
        Arc::new(Templar {
            envs: RwLock::new(HashMap::new()),
            cache: RwLock::new(HashMap::new()),
            file_cache: RwLock::new(HashMap::new()),
            cond_cache: RwLock::new(HashMap::new()),
            known: RwLock::new(HashMap::new()),
            allow_broken_conditionals: AtomicBool::new(false),
            compiles: AtomicUsize::new(0),
            vault,
            config: RwLock::new(Arc::default()),
        })
    }

    /// How many template texts this templar has compiled so far.
    pub fn compile_count(&self) -> usize {
        self.compiles.load(Ordering::Relaxed)
    }

    /// The run's vault passwords.
    pub fn vault(&self) -> &crate::vault::VaultSecrets {
        &self.vault
    }

    /// The run's vault passwords, shared (for loaders that outlive a call).
    pub fn vault_handle(&self) -> Arc<crate::vault::VaultSecrets> {
        self.vault.clone()
    }

    /// The run's ansible.cfg, for the `config` lookup (environment
    /// variables are read when the lookup runs).
    pub fn set_config(&self, config: Arc<crate::config::Config>) {
        if let Ok(mut c) = self.config.write() {
            *c = config;
        }
    }

    /// Ansible's `ALLOW_BROKEN_CONDITIONALS`: a non-boolean conditional is
    /// taken for its truth value instead of failing.
    pub fn set_allow_broken_conditionals(&self, yes: bool) {
        self.allow_broken_conditionals.store(yes, Ordering::Relaxed);
    }

    /// The environment for one set of Jinja options, built once per run and
    /// kept for the process lifetime so compiled templates can be cached.
    ///
    /// Ansible's undefined values fail almost any use (comparison, `or`,
    /// `~`, iteration, printing, filters) but chain through attribute access
    /// so that `a.b.c | default(x)` and `a.b is defined` work. minijinja has
    /// either behaviour, not both: templates that handle undefined values
    /// (`default`, `defined`, `mandatory`) get a chaining environment, all
    /// others a strict one.
    fn env(&self, o: &TemplateOptions, s: &str) -> Result<Env, TemplateError> {
        let lenient = handles_undefined(s);
        let key = (o.clone(), lenient);
        if let Some(e) = self.envs.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(e);
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(if lenient {
            UndefinedBehavior::Chainable
        } else {
            UndefinedBehavior::Strict
        });
        env.set_syntax(o.syntax().map_err(|e| TemplateError::syntax(s, &e))?);
        env.set_formatter(pyrepr::format_value);
        env.set_unknown_method_callback(methods::call);
        env.set_recursion_limit(200);
        env.set_path_join_callback(|name, _parent| {
            include_path(name)
                .map(std::borrow::Cow::Owned)
                .unwrap_or(std::borrow::Cow::Borrowed(name))
        });
        env.set_loader(|name| {
            if !name.starts_with('/') {
                return Ok(None);
            }
            match std::fs::read_to_string(name) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("cannot read included template {name}: {e}"),
                )),
            }
        });
        filters::register(&mut env);
        tests_ansible::register(&mut env);
        lookups::register(&mut env);
        globals::register(&mut env);
        subtraction::register(&mut env);
        ordering::register(&mut env);
        let env = Arc::new(env);
        if let Ok(mut m) = self.envs.write() {
            bounded_insert(&mut m, key, env.clone());
        }
        Ok(env)
    }

    fn compile(
        &self,
        s: &str,
        base: &TemplateOptions,
        mode: Mode,
    ) -> Result<Compiled, TemplateError> {
        self.compiles.fetch_add(1, Ordering::Relaxed);
        // A file without Jinja still gets the module's newline sequence.
        if !base.is_possibly_template(s)
            && (mode == Mode::Playbook || base.newline_sequence == "\n")
        {
            return Ok(Compiled::Literal);
        }
        let (body, o) = base
            .extract_header(s)
            .map_err(|m| TemplateError::message(s, &format!("Syntax error in template: {m}")))?;
        let env = self.env(&o, s)?;
        if o == TemplateOptions::default()
            && let Some(inner) = single_expression(body)
        {
            {
                let inner = syntax::strip_collections(inner).unwrap_or_else(|| inner.to_string());
                let code = match mode {
                    Mode::Playbook => syntax::escape_expression(&inner),
                    Mode::File => None,
                }
                .unwrap_or_else(|| inner.to_string());
                let code = syntax::unary_plus(&code).unwrap_or(code);
                let code = syntax::bound_method_tests(&code).unwrap_or(code);
                let expr =
                    compile_expression(env, code).map_err(|e| TemplateError::syntax(s, &e))?;
                let names =
                    sorted_names(expr.borrow_dependent().undeclared_variables(false), &inner);
                return Ok(Compiled::Expr { expr, names });
            }
        }
        let mut src = syntax::normalize_newlines(body, &o.newline_sequence)
            .unwrap_or_else(|| body.to_string());
        if let Some(stripped) = syntax::strip_collections(&src) {
            src = stripped;
        }
        if mode == Mode::Playbook
            && let Some(escaped) = syntax::escape_backslashes(&src, &o)
        {
            src = escaped;
        }
        if let Some(plus) = syntax::unary_plus_template(&src, &o) {
            src = plus;
        }
        if let Some(methods) = syntax::bound_method_tests_template(&src, &o) {
            src = methods;
        }
        let tmpl = match subtraction::rewrite_template(&src, &o) {
            None => compile_text(env, src),
            // A template the rewrite broke reports the error of the text
            // as written (its positions are the user's).
            Some(rewritten) => {
                compile_text(env.clone(), rewritten).or_else(|e| compile_text(env, src).and(Err(e)))
            }
        }
        .map_err(|e| TemplateError::syntax(s, &e))?;
        let names = sorted_names(
            tmpl.borrow_dependent().undeclared_variables(false),
            &tmpl.borrow_owner().1,
        );
        Ok(Compiled::Text {
            tmpl,
            names,
            trailing: syntax::trailing_newlines(s),
            newline: o.newline_sequence.clone(),
        })
    }

    fn compile_template(&self, s: &str) -> Result<Arc<Compiled>, TemplateError> {
        if let Some(c) = self.cache.read().ok().and_then(|c| c.get(s).cloned()) {
            return Ok(c);
        }
        let compiled = Arc::new(self.compile(s, &TemplateOptions::default(), Mode::Playbook)?);
        if let Ok(mut c) = self.cache.write() {
            bounded_insert(&mut c, s.to_string(), compiled.clone());
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
        let compiled = if is_template(expr) {
            // Checked as a template; rendered at evaluation time.
            self.compile(expr.trim(), &TemplateOptions::default(), Mode::Playbook)?
        } else {
            self.compiles.fetch_add(1, Ordering::Relaxed);
            let env = self.env(&TemplateOptions::default(), expr)?;
            let code =
                syntax::strip_collections(expr.trim()).unwrap_or_else(|| expr.trim().to_string());
            let code = syntax::unary_plus(&code).unwrap_or(code);
            let code = syntax::bound_method_tests(&code).unwrap_or(code);
            let e = compile_expression(env, code).map_err(|e| TemplateError::syntax(expr, &e))?;
            let names = sorted_names(e.borrow_dependent().undeclared_variables(false), expr);
            Compiled::Expr { expr: e, names }
        };
        let compiled = Arc::new(compiled);
        if let Ok(mut c) = self.cond_cache.write() {
            bounded_insert(&mut c, expr.to_string(), compiled.clone());
        }
        Ok(compiled)
    }

    /// Compiles `s` and checks that every filter and test it names exists
    /// (for validation before any host is touched).
    pub fn check(&self, s: &str) -> Result<(), TemplateError> {
        self.compile_template(s)?;
        self.check_plugins(s, false)
    }

    /// Compiles a conditional expression and checks its filters and tests
    /// (for validation).
    pub fn check_condition(&self, expr: &str) -> Result<(), TemplateError> {
        self.compile_condition(expr)?;
        self.check_plugins(expr, !is_template(expr))
    }

    /// Whether a filter (or test) of that name exists in the environment.
    fn plugin_exists(&self, filter: bool, name: &str) -> bool {
        let key = (filter, name.to_string());
        if let Some(k) = self.known.read().ok().and_then(|m| m.get(&key).copied()) {
            return k;
        }
        let Ok(env) = self.env(&TemplateOptions::default(), name) else {
            return true;
        };
        let probe = if filter {
            format!("{{{{ none | {name} }}}}")
        } else {
            format!("{{{{ none is {name} }}}}")
        };
        // Running it on None tells: any error but "unknown" means it exists.
        let exists = match env.render_str(&probe, ()) {
            Ok(_) => true,
            Err(e) => !matches!(
                e.kind(),
                minijinja::ErrorKind::UnknownFilter | minijinja::ErrorKind::UnknownTest
            ),
        };
        if let Ok(mut m) = self.known.write() {
            bounded_insert(&mut m, key, exists);
        }
        exists
    }

    fn check_plugins(&self, s: &str, expression: bool) -> Result<(), TemplateError> {
        let o = TemplateOptions::default();
        let regions = if expression {
            vec![(0, s.len())]
        } else {
            syntax::code_regions(s, &o)
        };
        for (start, end) in regions {
            for (filter, name, off) in syntax::used_plugins(&s[start..end]) {
                let short = syntax::COLLECTIONS
                    .iter()
                    .find_map(|c| name.strip_prefix(c))
                    .unwrap_or(&name);
                if short.contains('.') {
                    // Another collection's plugin: not kiln's to judge.
                    continue;
                }
                if self.plugin_exists(filter, short) {
                    continue;
                }
                let at = start + off;
                let before = &s[..at];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
                let mut e = TemplateError::message(
                    s,
                    &format!(
                        "Syntax error in template: No {} named '{name}'.",
                        if filter { "filter" } else { "test" }
                    ),
                );
                e.inner = Some((line, col));
                return Err(e);
            }
        }
        Ok(())
    }

    fn context(names: &[String], vars: &dyn Resolver) -> Result<Value, TemplateError> {
        let mut ctx: HashMap<&str, Value> = HashMap::with_capacity(names.len());
        let mut all = false;
        for n in names {
            if n == ALL_VARS {
                all = true;
                continue;
            }
            match vars.resolve(n) {
                Ok(Some(v)) => {
                    ctx.insert(n.as_str(), v);
                }
                Ok(None) => {}
                // A variable whose template reads an undefined one is itself
                // undefined here (`default` and `is defined` handle it, as in
                // Ansible); when the template fails, the inner error is shown.
                Err(e) if e.is_undefined() => {}
                Err(e) => return Err(e),
            }
        }
        // Included templates read other names: through `vars`, lazily.
        if all && let Some(every) = ctx.get("vars").cloned() {
            let known: HashMap<String, Value> =
                ctx.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            return Ok(Value::from_object(LazyContext { known, every }));
        }
        Ok(Value::from_pairs(ctx))
    }

    fn run(
        &self,
        s: &str,
        compiled: &Compiled,
        vars: &dyn Resolver,
    ) -> Result<Value, TemplateError> {
        let _vault = VaultScope::enter(&self.vault, &self.config);
        match compiled {
            Compiled::Literal => Ok(Value::from(s)),
            Compiled::Expr { expr, names } => {
                let ctx = Self::context(names, vars)?;
                let v = expr
                    .borrow_dependent()
                    .eval(ctx)
                    .map_err(|e| TemplateError::render(s, &e, names, vars))?;
                let v = finalize(v);
                check_storable(&v, s, names, vars)?;
                Ok(v)
            }
            Compiled::Text {
                tmpl,
                names,
                trailing,
                newline,
            } => {
                let ctx = Self::context(names, vars)?;
                FRAMES.with(|f| {
                    f.borrow_mut().push(Frame {
                        nodes: 0,
                        last: Value::UNDEFINED,
                        last_len: 0,
                    })
                });
                let out = tmpl.borrow_dependent().render(ctx);
                let frame = FRAMES.with(|f| f.borrow_mut().pop());
                let out = out.map_err(|e| TemplateError::render(s, &e, names, vars))?;
                // Ansible's concat: no node is None, one node is its value.
                if let Some(fr) = frame {
                    if fr.nodes == 0 && out.is_empty() {
                        return Ok(Value::from(()));
                    }
                    if fr.nodes == 1 && fr.last_len == out.len() {
                        let v = finalize(fr.last);
                        check_storable(&v, s, names, vars)?;
                        // A text result gets its trailing newlines back.
                        return Ok(match v.as_str() {
                            Some(text) if v.kind() == ValueKind::String => {
                                let mut text = text.to_string();
                                for _ in syntax::trailing_newlines(&text)..*trailing {
                                    text.push_str(newline);
                                }
                                Value::from(text)
                            }
                            _ => v,
                        });
                    }
                }
                let have = syntax::trailing_newlines(&out);
                if *trailing > have {
                    let mut out = out;
                    for _ in have..*trailing {
                        out.push_str(newline);
                    }
                    return Ok(Value::from(out));
                }
                Ok(Value::from(out))
            }
        }
    }

    /// Renders one string to a value: a single expression keeps its type,
    /// mixed text gives a string, text without Jinja is returned as is.
    pub fn render(&self, s: &str, vars: &dyn Resolver) -> Result<Value, TemplateError> {
        let compiled = self.compile_template(s)?;
        self.run(s, &compiled, vars)
    }

    /// Renders a template file the way the `template` module does: Jinja
    /// reads escapes in string constants, the options (and a `#jinja2:`
    /// first line) set delimiters and whitespace handling, and the result is
    /// text (`None` gives an empty file). `{% include %}` searches the
    /// directories of `ansible_search_path` (each with `templates/` first),
    /// then `playbook_dir`'s; see [`Templar::render_file_in`] to give them.
    pub fn render_file(
        &self,
        text: &str,
        vars: &dyn Resolver,
        options: &TemplateOptions,
    ) -> Result<String, TemplateError> {
        let mut bases: Vec<PathBuf> = Vec::new();
        if let Ok(Some(sp)) = vars.resolve("ansible_search_path")
            && let Ok(it) = sp.try_iter()
        {
            bases.extend(it.map(|p| PathBuf::from(py_str(&p))));
        }
        if let Ok(Some(pd)) = vars.resolve("playbook_dir")
            && !pd.is_none()
        {
            bases.push(PathBuf::from(py_str(&pd)));
        }
        let dirs: Vec<PathBuf> = bases
            .iter()
            .flat_map(|b| [b.join("templates"), b.clone()])
            .collect();
        self.render_file_in(text, vars, options, &dirs)
    }

    /// [`Templar::render_file`] with the directories `{% include %}` and
    /// `{% import %}` search, in order (the template module uses each search
    /// path directory's `templates/` then itself, then the directory of the
    /// template file).
    pub fn render_file_in(
        &self,
        text: &str,
        vars: &dyn Resolver,
        options: &TemplateOptions,
        include_dirs: &[PathBuf],
    ) -> Result<String, TemplateError> {
        INCLUDE_DIRS.with(|d| d.borrow_mut().push(include_dirs.to_vec()));
        let r = self.render_file_inner(text, vars, options);
        INCLUDE_DIRS.with(|d| d.borrow_mut().pop());
        r
    }

    fn render_file_inner(
        &self,
        text: &str,
        vars: &dyn Resolver,
        options: &TemplateOptions,
    ) -> Result<String, TemplateError> {
        let key = (options.clone(), text.to_string());
        let cached = self
            .file_cache
            .read()
            .ok()
            .and_then(|c| c.get(&key).cloned());
        let compiled = match cached {
            Some(c) => c,
            None => {
                let c = Arc::new(self.compile(text, options, Mode::File)?);
                if let Ok(mut m) = self.file_cache.write() {
                    bounded_insert(&mut m, key, c.clone());
                }
                c
            }
        };
        let v = self.run(text, &compiled, vars)?;
        Ok(if v.is_none() {
            String::new()
        } else {
            py_str(&v)
        })
    }

    /// Runs a lookup plugin the way a `with_<name>` loop does: `terms` is
    /// the loop's (already templated) value, a list being the list of terms
    /// and anything else a single term; the result is the list of items.
    pub fn lookup(
        &self,
        name: &str,
        terms: &Value,
        vars: &dyn Resolver,
    ) -> Result<Vec<Value>, TemplateError> {
        const EXPR: &str = "query(__kiln_lookup_name, *__kiln_lookup_terms)";
        let compiled = self.compile_condition(EXPR)?;
        let Compiled::Expr { expr, .. } = &*compiled else {
            return Err(TemplateError::message(EXPR, "not an expression"));
        };
        let terms: Vec<Value> = match terms.kind() {
            ValueKind::Seq | ValueKind::Iterable => {
                terms.try_iter().map(|i| i.collect()).unwrap_or_default()
            }
            _ => vec![terms.clone()],
        };
        let mut ctx: HashMap<&str, Value> = HashMap::new();
        ctx.insert("__kiln_lookup_name", Value::from(name));
        ctx.insert("__kiln_lookup_terms", Value::from(terms));
        for n in LOOKUP_NAMES {
            if let Ok(Some(v)) = vars.resolve(n) {
                ctx.insert(n, v);
            }
        }
        let label = format!("with_{name}");
        let _vault = VaultScope::enter(&self.vault, &self.config);
        let v = expr
            .borrow_dependent()
            .eval(Value::from_pairs(ctx))
            .map_err(|e| TemplateError::render(&label, &e, &[], vars))?;
        Ok(v.try_iter().map(|i| i.collect()).unwrap_or_default())
    }

    /// Evaluates a conditional (`when`, `failed_when`, `changed_when`,
    /// `assert.that`) with ansible-core 2.19+'s strict rule: the result must be
    /// a boolean (unless broken conditionals are allowed).
    pub fn condition(&self, expr: &str, vars: &dyn Resolver) -> Result<bool, TemplateError> {
        let allow_broken = self.allow_broken_conditionals.load(Ordering::Relaxed);
        if expr.trim().is_empty() {
            if allow_broken {
                return Ok(true);
            }
            return Err(TemplateError::message(
                expr,
                "Empty conditional expressions are not allowed.",
            ));
        }
        let compiled = self.compile_condition(expr)?;
        let mut v = self
            .run(expr.trim(), &compiled, vars)
            .map_err(|e| e.in_conditional())?;
        if matches!(&*compiled, Compiled::Text { .. })
            || (is_template(expr) && v.as_str().is_some())
        {
            // A conditional written as a template: a text result is itself
            // the expression (Ansible's deprecated indirect form).
            if let Some(text) = v.as_str().map(str::to_string) {
                let inner = self.compile_condition(&text)?;
                if matches!(&*inner, Compiled::Expr { .. }) {
                    v = self
                        .run(&text, &inner, vars)
                        .map_err(|e| e.in_conditional())?;
                }
            }
        }
        if v.kind() == ValueKind::Bool {
            return Ok(v.is_true());
        }
        let truth = pyrepr::py_truthy(&v);
        if allow_broken {
            return Ok(truth);
        }
        Err(TemplateError::message(
            expr,
            &format!(
                "Conditional result ({}) was derived from value of type '{}' at '<unknown>'. Conditionals must have a boolean result.",
                if truth { "True" } else { "False" },
                pyrepr::py_type_name(&v),
            ),
        ))
    }
}

#[cfg(test)]
mod tests;
