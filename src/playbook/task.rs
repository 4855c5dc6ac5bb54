// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! One task entry: its module and arguments, its keywords, and the static
//! imports (`import_tasks`, `import_role`) that expand into more entries.

use super::common::{
    Ctx, MAX_DEPTH, check_keyword, conditions, inherit_key, mapping, tags_of, vars_of,
};
use super::keywords::{
    TASK_IMPLEMENTED, TASK_KEYWORDS, WITH_LOOKUPS, WITH_TEMPLAR_LOOKUPS, did_you_mean,
};
use super::kv::{self, Token};
use super::{Inherited, Item, Loop, PlaybookError, Task};
use crate::modules::{self, FreeForm};
use crate::yaml::{Node, NodeKind};
use std::path::Path;
use std::sync::Arc;

/// Reads a file of tasks (an `include_tasks` target) with what the include
/// passes down; used by the executor for dynamic includes. `opts` are the
/// run's (roles path, vault, extra vars, templar) and `known` the play's
/// load-time variables, for the static imports inside the file.
pub fn parse_task_file(
    path: &Path,
    inherit: &Inherited,
    role: Option<Arc<super::Role>>,
    playbook_dir: &Path,
    opts: &super::LoadOptions,
    known: &[Arc<crate::vars::Layer>],
) -> Result<Vec<Item>, Vec<PlaybookError>> {
    let ctx = Ctx {
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        playbook_dir: playbook_dir.to_path_buf(),
        inherit: inherit.clone(),
        role,
        opts,
        depth: 0,
        handlers: false,
        warnings: Default::default(),
        role_handlers: Default::default(),
        role_uses: Default::default(),
        handlers_only: false,
        checked_includes: Default::default(),
        known: known.to_vec(),
    };
    super::block::items_from_file(
        path,
        &ctx,
        &crate::span::Span::synthetic(&path.display().to_string()),
    )
}

/// An include's `apply:` keywords laid over what its tasks inherit.
pub fn apply_keywords(inherit: &Inherited, apply: &Node) -> Result<Inherited, PlaybookError> {
    let pairs = mapping(apply, "apply")?;
    let mut own = Inherited::default();
    for (k, v) in pairs {
        let key = k.key_string();
        if !inherit_key(&mut own, &key, v)? {
            return Err(PlaybookError::new(
                &k.span,
                format!("'{key}' is not a valid keyword for 'apply'"),
            ));
        }
    }
    Ok(inherit.merged(&own))
}

/// Parses one entry of a task list: a task, or the entries a static import
/// stands for.
pub(super) fn parse_task(n: &Node, ctx: &Ctx) -> Result<Vec<Item>, Vec<PlaybookError>> {
    let pairs = mapping(n, "task").map_err(|e| vec![e])?;
    // Static imports expand here, with the import's keywords passed down.
    for (k, v) in pairs {
        let key = modules::canonical(k.as_str().unwrap_or_default());
        match key {
            "import_tasks" => return import_tasks(n, k, v, ctx),
            "import_role" => return import_role(n, k, v, ctx),
            "include_role" => super::role::include_role_handlers(v, ctx)?,
            "include_tasks" => check_included_tasks(v, ctx)?,
            "import_playbook" => {
                return Err(vec![PlaybookError::new(
                    &k.span,
                    "'import_playbook' is a play-level keyword; it cannot be used as a task",
                )]);
            }
            "include" => {
                return Err(vec![PlaybookError::new(
                    &k.span,
                    "'include' was removed from Ansible; use 'include_tasks' or 'import_tasks'",
                )]);
            }
            _ => {}
        }
    }
    task(n, ctx)
        .map(|t| vec![Item::Task(Arc::new(t))])
        .map_err(|e| vec![e])
}

/// `include_tasks` of a file named without variables: the file is read and
/// checked as the playbook loads, so that its errors stop the run before
/// any host is touched (the include still reads it again when it runs).
/// A file missing now may be made by the run: the include reports it then.
fn check_included_tasks(v: &Node, ctx: &Ctx) -> Result<(), Vec<PlaybookError>> {
    let file = match (&v.kind, v.get("file")) {
        (NodeKind::Str(s), _) => s.clone(),
        (_, Some(f)) => match f.as_str() {
            Some(s) => s.to_string(),
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    if crate::template::is_template(&file) {
        return Ok(());
    }
    let path = resolve_tasks_file(&file, ctx);
    if !path.is_file() || !ctx.checked_includes.borrow_mut().insert(path.clone()) {
        return Ok(());
    }
    // Only the errors are wanted: what the file's own imports add to the
    // play (handlers, role uses, warnings) comes when the include runs.
    let mut child = ctx.clone();
    child.depth += 1;
    child.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    child.warnings = Default::default();
    child.role_handlers = Default::default();
    child.role_uses = Default::default();
    super::block::items_from_file(&path, &child, &v.span).map(|_| ())
}

/// The keywords of an import entry (everything but the import key itself).
fn import_keywords(n: &Node, import_key: &Node) -> Result<Inherited, PlaybookError> {
    let mut inh = Inherited::default();
    for (k, v) in n.as_map().unwrap_or_default() {
        if std::ptr::eq(k, import_key) {
            continue;
        }
        let key = k.as_str().unwrap_or_default();
        match key {
            "name" | "args" => {}
            _ => {
                if !inherit_key(&mut inh, key, v)? {
                    return Err(PlaybookError::new(
                        &k.span,
                        format!("'{key}' is not a valid attribute for a static import"),
                    ));
                }
            }
        }
    }
    Ok(inh)
}

fn import_tasks(
    n: &Node,
    key: &Node,
    v: &Node,
    ctx: &Ctx,
) -> Result<Vec<Item>, Vec<PlaybookError>> {
    let file_node = match (&v.kind, v.get("file")) {
        (NodeKind::Str(_), _) => v,
        (_, Some(f)) => f,
        _ => {
            return Err(vec![PlaybookError::new(
                &v.span,
                "import_tasks needs a file name",
            )]);
        }
    };
    if ctx.depth >= MAX_DEPTH {
        return Err(vec![PlaybookError::new(
            &key.span,
            "import_tasks nests too deep (an import cycle?)",
        )]);
    }
    let inherit = import_keywords(n, key).map_err(|e| vec![e])?;
    let mut child = ctx.child(&inherit);
    // A templated name is rendered now with what the play knows (its
    // vars, vars_files, block and import vars, extra vars), as Ansible
    // does; the refusal names the import task, as Ansible's does.
    let file =
        super::static_vars::import_path(file_node, &child, &[], &n.span).map_err(|e| vec![e])?;
    let path = resolve_tasks_file(&file, ctx);
    child.depth += 1;
    child.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    super::block::items_from_file(&path, &child, &v.span)
}

/// Where a task file named in a task lives: a role looks in its tasks/
/// folder, anything else next to the current file.
pub(super) fn resolve_tasks_file(file: &str, ctx: &Ctx) -> std::path::PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    let mut candidates = Vec::new();
    if let Some(r) = &ctx.role {
        candidates.push(r.path.join("tasks").join(p));
    }
    candidates.push(ctx.dir.join(p));
    candidates.push(ctx.playbook_dir.join(p));
    candidates
        .iter()
        .find(|c| c.exists())
        .cloned()
        .unwrap_or_else(|| ctx.dir.join(p))
}

fn import_role(n: &Node, key: &Node, v: &Node, ctx: &Ctx) -> Result<Vec<Item>, Vec<PlaybookError>> {
    let inherit = import_keywords(n, key).map_err(|e| vec![e])?;
    let child = ctx.child(&inherit);
    super::role::role_items_from_spec(v, &child)
}

const BLOCK_KEYS: &[&str] = &["block", "rescue", "always"];

/// Task keywords only handlers take.
const HANDLER_KEYWORDS: &[&str] = &["listen"];

fn task(n: &Node, ctx: &Ctx) -> Result<Task, PlaybookError> {
    let pairs = mapping(n, "task")?;
    let mut own = Inherited::default();
    let mut t = Task::empty(&n.span, ctx.dir.clone(), ctx.role.clone());
    let mut action: Option<(&Node, &Node)> = None;
    let mut extra_args: Option<&Node> = None;
    for (k, v) in pairs {
        let key = k.as_str().unwrap_or_default();
        if BLOCK_KEYS.contains(&key) {
            return Err(PlaybookError::new(
                &k.span,
                format!("'{key}' is only valid in a block, next to 'block'"),
            ));
        }
        if let Some(lookup) = key.strip_prefix("with_") {
            if !WITH_LOOKUPS.contains(&lookup) && !WITH_TEMPLAR_LOOKUPS.contains(&lookup) {
                return Err(PlaybookError::new(
                    &k.span,
                    format!("'with_{lookup}' is not supported by kiln yet"),
                ));
            }
            // ansible-core refuses a second loop only when it meets a
            // `with_*` (exit code 1, at the task); a `loop` after a
            // `with_*` silently wins (below).
            if t.loop_.is_some() {
                return Err(PlaybookError::new(
                    &n.span,
                    format!("duplicate loop in task: {lookup}"),
                )
                .with_exit(1));
            }
            t.loop_ = Some(Loop::With {
                lookup: lookup.to_string(),
                items: v.clone(),
            });
            continue;
        }
        if ctx.handlers && HANDLER_KEYWORDS.contains(&key) {
            t.listen = tags_of(v)?;
            continue;
        }
        if TASK_KEYWORDS.contains(&key) {
            check_keyword(k, TASK_KEYWORDS, TASK_IMPLEMENTED, "task", &[])?;
            match key {
                "name" => t.name = Some(v.clone()),
                "when" => t.when = conditions(v),
                "changed_when" => t.changed_when = conditions(v),
                "failed_when" => t.failed_when = conditions(v),
                "until" => t.until = conditions(v),
                "retries" => t.retries = Some(v.clone()),
                "delay" => t.delay = Some(v.clone()),
                "async" => t.async_ = Some(v.clone()),
                "poll" => t.poll = Some(v.clone()),
                "loop_control" => {
                    // Ansible's LoopControl attributes (2.21).
                    const LOOP_CONTROL: &[&str] = &[
                        "loop_var",
                        "index_var",
                        "label",
                        "pause",
                        "extended",
                        "extended_allitems",
                        "break_when",
                    ];
                    for (lk, _) in v.as_map().unwrap_or_default() {
                        let name = lk.key_string();
                        if !LOOP_CONTROL.contains(&name.as_str()) {
                            return Err(PlaybookError::new(
                                &lk.span,
                                format!("'{name}' is not a valid attribute for a LoopControl"),
                            ));
                        }
                    }
                    t.loop_control = Some(v.clone());
                }
                "notify" => t.notify = conditions(v),
                "register" => {
                    let r = v.as_str().unwrap_or_default();
                    if !modules::is_identifier(r) {
                        return Err(PlaybookError::new(
                            &v.span,
                            format!("Invalid variable name in 'register' specified: '{r}'"),
                        ));
                    }
                    t.register = Some(r.to_string());
                }
                "loop" => {
                    // After a `with_*`, `loop` replaces it without a word,
                    // as ansible-core 2.21 does.
                    t.loop_ = Some(Loop::Loop(v.clone()));
                }
                "vars" => t.vars = vars_of(v)?,
                "args" => extra_args = Some(v),
                "action" | "local_action" => {
                    if let Some((prev, _)) = action {
                        return Err(conflict(prev, k));
                    }
                    if key == "local_action" {
                        own.delegate_to = Some(Node::str("localhost", k.span.clone()));
                    }
                    action = Some((k, v));
                }
                other => {
                    inherit_key(&mut own, other, v)?;
                }
            }
            continue;
        }
        if modules::lookup(key).is_some() {
            if let Some((prev, _)) = action {
                return Err(conflict(prev, k));
            }
            action = Some((k, v));
            continue;
        }
        let mut e = PlaybookError::new(
            &k.span,
            format!(
                "couldn't resolve module/action '{key}'. This often indicates a misspelling, missing collection, or incorrect module path."
            ),
        );
        let candidates: Vec<&str> = modules::names()
            .into_iter()
            .chain(TASK_KEYWORDS.iter().copied())
            .collect();
        if let Some(s) = did_you_mean(key, candidates) {
            e = e.hint(format!("did you mean '{s}'?"));
        }
        return Err(e);
    }
    t.inherit = ctx.inherit.merged(&own);
    t.parent_inherit = ctx.inherit.clone();
    t.parent_tags = ctx.inherit.tags.clone();
    let Some((ak, av)) = action else {
        return Err(
            PlaybookError::new(&n.span, "no module/action detected in task.")
                .hint("a task needs one module, e.g. `command: uptime`"),
        );
    };
    // `action: module args` names the module inside its value.
    let (module_name, module_span, value) =
        if matches!(ak.as_str(), Some("action" | "local_action")) {
            match &av.kind {
                NodeKind::Str(s) => {
                    let (m, rest) = s
                        .trim()
                        .split_once(char::is_whitespace)
                        .unwrap_or((s.trim(), ""));
                    (
                        m.to_string(),
                        av.span.clone(),
                        Node::str(rest.trim(), av.span.clone()),
                    )
                }
                NodeKind::Map(_) => {
                    let m = av
                        .get("module")
                        .and_then(Node::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let rest: Vec<(Node, Node)> = av
                        .as_map()
                        .unwrap_or_default()
                        .iter()
                        .filter(|(k, _)| k.as_str() != Some("module"))
                        .cloned()
                        .collect();
                    (
                        m,
                        av.span.clone(),
                        Node::new(NodeKind::Map(rest), av.span.clone()),
                    )
                }
                _ => return Err(PlaybookError::new(&av.span, "'action' needs a module name")),
            }
        } else {
            (
                ak.as_str().unwrap_or_default().to_string(),
                ak.span.clone(),
                av.clone(),
            )
        };
    let Some(module) = modules::lookup(&module_name) else {
        return Err(PlaybookError::new(
            &module_span,
            format!("couldn't resolve module/action '{module_name}'"),
        ));
    };
    let spec = module.spec();
    t.action = spec.name.to_string();
    t.action_written = module_name;
    t.action_span = module_span;
    t.args = module_args(spec, &value)?;
    if let Some(extra) = extra_args {
        let pairs = extra.as_map().ok_or_else(|| {
            PlaybookError::new(
                &extra.span,
                "'args' must be a dictionary of module arguments",
            )
        })?;
        for (k, v) in pairs {
            t.args.retain(|(n, _)| *n != k.key_string());
            t.args.push((k.key_string(), v.clone()));
        }
    }
    validate_args(spec, &t, &t.args)?;
    check_async(&t)?;
    Ok(t)
}

/// `async` on a module kiln does not know is refused here (modules
/// Ansible itself refuses fail at run time, in its words).
fn check_async(t: &Task) -> Result<(), PlaybookError> {
    use modules::async_job::{Support, support};
    let Some(a) = &t.async_ else { return Ok(()) };
    let requested = match &a.kind {
        NodeKind::Int(n) => *n > 0,
        NodeKind::Null | NodeKind::Bool(false) => false,
        NodeKind::Str(s) => s.trim().parse::<i64>().map_or(true, |n| n > 0),
        _ => true,
    };
    if requested && support(&t.action) == Support::NotInKiln {
        return Err(PlaybookError::new(
            &a.span,
            format!(
                "kiln cannot run '{}' with async: it is not a module kiln knows",
                t.action_written
            ),
        )
        .hint("drop `async`/`poll` from this task"));
    }
    Ok(())
}

fn conflict(prev: &Node, k: &Node) -> PlaybookError {
    PlaybookError::new(
        &k.span,
        format!(
            "conflicting action statements: {}, {}",
            prev.key_string(),
            k.key_string()
        ),
    )
}

/// Module arguments from the value of the module key: a mapping, free-form
/// text, or nothing.
fn module_args(spec: &modules::ModuleSpec, v: &Node) -> Result<Vec<(String, Node)>, PlaybookError> {
    match &v.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Map(pairs) => Ok(pairs
            .iter()
            .map(|(k, v)| (k.key_string(), v.clone()))
            .collect()),
        NodeKind::Str(text) => {
            let keep = match spec.free_form {
                FreeForm::RawParams(keys) => Some(keys),
                FreeForm::No => None,
            };
            let tokens = kv::parse(text, keep).map_err(|m| PlaybookError::new(&v.span, m))?;
            let mut args = Vec::new();
            let mut raw = Vec::new();
            for tok in tokens {
                match tok {
                    Token::Pair(k, val) => args.push((k, Node::str(val, v.span.clone()))),
                    Token::Raw(r) => raw.push(r),
                }
            }
            if !raw.is_empty() {
                if keep.is_none() {
                    return Err(PlaybookError::new(
                        &v.span,
                        format!(
                            "this module ({}) does not take free-form text: '{}'",
                            spec.name,
                            raw.join(" ")
                        ),
                    )
                    .hint("write arguments as key=value pairs or as a mapping"));
                }
                let text = kv::raw_text(text, keep).map_err(|m| PlaybookError::new(&v.span, m))?;
                args.insert(0, ("_raw_params".into(), Node::str(text, v.span.clone())));
            }
            Ok(args)
        }
        NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) if keep_raw(spec) => Ok(vec![(
            "_raw_params".into(),
            Node::str(v.key_string(), v.span.clone()),
        )]),
        _ => Err(PlaybookError::new(
            &v.span,
            format!(
                "module arguments must be a mapping or a string, got a {}",
                v.type_name()
            ),
        )),
    }
}

fn keep_raw(spec: &modules::ModuleSpec) -> bool {
    matches!(spec.free_form, FreeForm::RawParams(_))
}

/// Checks argument names, literal types, required and exclusive groups.
fn validate_args(
    spec: &modules::ModuleSpec,
    task: &Task,
    args: &[(String, Node)],
) -> Result<(), PlaybookError> {
    let span_of = |name: &str| {
        args.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.span.clone())
            .unwrap_or_else(|| task.action_span.clone())
    };
    if !spec.any_args {
        for (k, v) in args {
            if spec.arg(k).is_none() {
                let mut supported: Vec<&str> = spec.args.iter().map(|a| a.name).collect();
                supported.sort_unstable();
                let mut e = PlaybookError::new(
                    &v.span,
                    format!(
                        "Unsupported parameters for ({}) module: {k}. Supported parameters include: {}.",
                        task.action_written,
                        supported.join(", ")
                    ),
                );
                if let Some(s) = did_you_mean(
                    k,
                    spec.args
                        .iter()
                        .flat_map(|a| std::iter::once(a.name).chain(a.aliases.iter().copied())),
                ) {
                    e = e.hint(format!("did you mean '{s}'?"));
                }
                return Err(e);
            }
        }
    }
    let given = |name: &str| {
        args.iter()
            .any(|(k, _)| spec.arg(k).is_some_and(|a| a.name == name))
    };
    for a in spec.args {
        if a.required && !given(a.name) {
            return Err(PlaybookError::new(
                &task.action_span,
                format!("missing required arguments: {}", a.name),
            ));
        }
    }
    for group in spec.mutually_exclusive {
        let present: Vec<&str> = group.iter().copied().filter(|n| given(n)).collect();
        if present.len() > 1 {
            return Err(PlaybookError::new(
                &span_of(present[1]),
                format!("parameters are mutually exclusive: {}", group.join("|")),
            ));
        }
    }
    for group in spec.required_one_of {
        if !group.iter().any(|n| given(n)) {
            let names: Vec<&str> = group.iter().map(|n| n.trim_start_matches('_')).collect();
            return Err(PlaybookError::new(
                &task.action_span,
                format!("one of the following is required: {}", names.join(", ")),
            )
            .hint(if keep_raw(spec) {
                "give the command as free-form text, e.g. `command: uptime`"
            } else {
                ""
            }));
        }
    }
    // Literal values (no template) must already have the right type.
    for (k, v) in args {
        let Some(a) = spec.arg(k) else { continue };
        if let NodeKind::Str(s) = &v.kind
            && crate::template::is_template(s)
        {
            continue;
        }
        if let Err(m) = modules::spec::coerce(a, &v.to_json()) {
            return Err(PlaybookError::new(&v.span, m));
        }
    }
    Ok(())
}
