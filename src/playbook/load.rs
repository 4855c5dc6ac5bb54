// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Playbooks and plays: sections in Ansible's order (pre_tasks, roles,
//! tasks, post_tasks, handlers), `import_playbook` expanded in place.

pub use super::common::LoadOptions;
use super::common::{
    Ctx, MAX_DEPTH, check_keyword, inherit_key, load_doc, read_yaml, vars_of, yaml_error,
};
use super::keywords::{PLAY_IMPLEMENTED, PLAY_KEYWORDS};
use super::{Inherited, Play, Playbook, PlaybookError};
use crate::span::Span;
use crate::vault::Secrets;
use crate::yaml::{self, Node, NodeKind};
use std::path::Path;

/// Reads and validates a playbook file.
pub fn load_playbook(path: &Path, opts: &LoadOptions) -> Result<Playbook, Vec<PlaybookError>> {
    let loaded = read_yaml(path, opts, Secrets::VarsSections).map_err(|e| vec![e])?;
    build(path, loaded, opts)
}

/// Validates a playbook given as text (`name` is used in spans).
pub fn load_playbook_str(src: &str, name: &str) -> Result<Playbook, Vec<PlaybookError>> {
    let loaded = yaml::load_str(src, name).map_err(|e| vec![yaml_error(e)])?;
    build(Path::new(name), loaded, &LoadOptions::default())
}

fn build(
    path: &Path,
    loaded: yaml::Loaded,
    opts: &LoadOptions,
) -> Result<Playbook, Vec<PlaybookError>> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let ctx = Ctx {
        dir: dir.clone(),
        playbook_dir: dir,
        inherit: Inherited::default(),
        role: None,
        opts,
        depth: 0,
        handlers: false,
        warnings: Default::default(),
        role_handlers: Default::default(),
        role_uses: Default::default(),
        handlers_only: false,
        checked_includes: Default::default(),
        known: Vec::new(),
    };
    ctx.warnings
        .borrow_mut()
        .extend(loaded.warnings.iter().map(|w| w.to_string()));
    let file_span = Span::new(path.display().to_string(), 1, 1);
    let Some(doc) = loaded.docs.first() else {
        return Err(vec![
            PlaybookError::new(&file_span, "the playbook is empty")
                .hint("a playbook is a YAML list of plays, each with at least `hosts:`"),
        ]);
    };
    let plays = plays_of(doc, &ctx)?;
    let warnings = ctx.warnings.borrow().clone();
    Ok(Playbook {
        path: path.to_path_buf(),
        plays,
        warnings,
    })
}

fn plays_of(doc: &Node, ctx: &Ctx) -> Result<Vec<Play>, Vec<PlaybookError>> {
    let Some(items) = doc.as_seq() else {
        return Err(vec![
            PlaybookError::new(
                &doc.span,
                format!(
                    "A playbook must be a list of plays, got a {} instead",
                    doc.type_name()
                ),
            )
            .hint("start each play with `- hosts: ...`"),
        ]);
    };
    let mut plays = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        let imported = item
            .get("import_playbook")
            .or_else(|| item.get("ansible.builtin.import_playbook"));
        let r = match imported {
            Some(target) => import_playbook(item, target, ctx),
            None => play(item, ctx).map(|p| vec![p]),
        };
        match r {
            Ok(mut p) => plays.append(&mut p),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(plays)
    } else {
        Err(errors)
    }
}

/// `- import_playbook: other.yml` (with optional `when`, `vars`, `tags`).
fn import_playbook(item: &Node, target: &Node, ctx: &Ctx) -> Result<Vec<Play>, Vec<PlaybookError>> {
    if target.as_str().is_none() {
        return Err(vec![PlaybookError::new(
            &target.span,
            "import_playbook needs a file name",
        )]);
    }
    if ctx.depth >= MAX_DEPTH {
        return Err(vec![PlaybookError::new(
            &target.span,
            "import_playbook nests too deep (a cycle?)",
        )]);
    }
    let mut inh = Inherited::default();
    for (k, v) in item.as_map().unwrap_or_default() {
        let key = k.as_str().unwrap_or_default();
        match key {
            "import_playbook" | "ansible.builtin.import_playbook" | "name" => {}
            "when" | "vars" | "tags" => {
                inherit_key(&mut inh, key, v).map_err(|e| vec![e])?;
            }
            other => {
                return Err(vec![PlaybookError::new(
                    &k.span,
                    format!("'{other}' is not a valid attribute for import_playbook"),
                )]);
            }
        }
    }
    // A templated name is rendered now with the import's own vars and the
    // extra vars (and those of an enclosing import), as Ansible does.
    let file = match super::static_vars::keyword(target, "import_playbook", ctx, &inh.vars)
        .map_err(|e| vec![e])?
    {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    let path = ctx.dir.join(file);
    if !path.is_file() {
        return Err(vec![
            PlaybookError::new(
                &target.span,
                format!("Could not find or access '{}'", path.display()),
            )
            .not_found(),
        ]);
    }
    let doc = load_doc(&path, ctx, Secrets::VarsSections).map_err(|e| vec![e])?;
    let Some(doc) = doc else {
        return Ok(Vec::new());
    };
    let mut child = ctx.child(&inh);
    child.depth += 1;
    child.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut plays = plays_of(&doc, &child)?;
    // The import's vars and conditions apply to every play it brings.
    for p in &mut plays {
        let mut vars = inh.vars.clone();
        vars.append(&mut p.vars);
        p.vars = vars;
    }
    Ok(plays)
}

fn play(n: &Node, ctx: &Ctx) -> Result<Play, Vec<PlaybookError>> {
    let pairs = super::common::mapping(n, "play").map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut name = None;
    let mut hosts = None;
    let mut vars = Vec::new();
    let mut vars_files = Vec::new();
    let mut gather = None;
    let mut gather_subset = None;
    let mut gather_timeout = None;
    let mut fact_path = None;
    let mut force_handlers = None;
    let mut serial = None;
    let mut max_fail_percentage = None;
    let mut order = None;
    let mut strategy = None;
    let mut vars_prompt = None;
    let mut own = Inherited::default();
    let mut sections: [Option<&Node>; 5] = [None; 5];
    for (k, v) in pairs {
        if let Err(e) = check_keyword(k, PLAY_KEYWORDS, PLAY_IMPLEMENTED, "play", &[]) {
            errors.push(e);
            continue;
        }
        match k.as_str().unwrap_or_default() {
            "name" => name = Some(v.clone()),
            "hosts" => hosts = Some(v.clone()),
            "vars" => match vars_of(v) {
                Ok(x) => vars = x,
                Err(e) => errors.push(e),
            },
            "vars_files" => {
                vars_files = match &v.kind {
                    NodeKind::Seq(items) => items.clone(),
                    NodeKind::Null => Vec::new(),
                    _ => vec![v.clone()],
                }
            }
            "gather_facts" => match static_check(v, "bool", "gather_facts") {
                Ok(()) => gather = Some(v.clone()),
                Err(e) => errors.push(e),
            },
            "gather_subset" => gather_subset = Some(v.clone()),
            "gather_timeout" => gather_timeout = Some(v.clone()),
            "fact_path" => fact_path = Some(v.clone()),
            "force_handlers" => force_handlers = Some(v.clone()),
            "serial" => match super::serial::check(v) {
                Ok(()) => serial = Some(v.clone()),
                Err(e) => errors.push(e),
            },
            "max_fail_percentage" => match static_check(v, "percent", "max_fail_percentage") {
                Ok(()) => max_fail_percentage = Some(v.clone()),
                Err(e) => errors.push(e),
            },
            "order" => order = Some(v.clone()),
            "strategy" => strategy = Some(v.clone()),
            "vars_prompt" => vars_prompt = Some(v.clone()),
            "pre_tasks" => sections[0] = Some(v),
            "roles" => sections[1] = Some(v),
            "tasks" => sections[2] = Some(v),
            "post_tasks" => sections[3] = Some(v),
            "handlers" => sections[4] = Some(v),
            other => {
                if let Err(e) = inherit_key(&mut own, other, v) {
                    errors.push(e);
                }
            }
        }
    }
    // Vars of an import_playbook come in through the context.
    let mut all_vars = ctx.inherit.vars.clone();
    all_vars.extend(vars);
    let mut pctx = ctx.child(&own);
    // An import_playbook's vars became play vars (above); they do not repeat
    // at task level.
    pctx.inherit.vars.clear();
    pctx.known = super::static_vars::play_layers(&all_vars, &vars_files, &ctx.dir, ctx);
    let parse = |i: usize, what: &str| match sections[i] {
        Some(list) => super::block::parse_items(list, what, &pctx),
        None => Ok(Vec::new()),
    };
    let take = |x: Result<Vec<super::Item>, Vec<PlaybookError>>,
                errors: &mut Vec<PlaybookError>| match x {
        Ok(v) => v,
        Err(mut e) => {
            errors.append(&mut e);
            Vec::new()
        }
    };
    let pre_tasks = take(parse(0, "tasks"), &mut errors);
    let mut roles_out = super::role::Expanded::default();
    if let Some(list) = sections[1] {
        match super::role::play_roles(list, &pctx) {
            Ok(r) => roles_out = r,
            Err(mut e) => errors.append(&mut e),
        }
    }
    let mut tasks = std::mem::take(&mut roles_out.items);
    tasks.extend(take(parse(2, "tasks"), &mut errors));
    let post_tasks = take(parse(3, "tasks"), &mut errors);
    let mut handlers = std::mem::take(&mut roles_out.handlers);
    if let Some(list) = sections[4] {
        let mut hctx = pctx.clone();
        hctx.handlers = true;
        match super::block::parse_items(list, "handlers", &hctx) {
            Ok(items) => super::role::flatten_handlers(&items, &mut handlers),
            Err(mut e) => errors.append(&mut e),
        }
    }
    handlers.append(&mut pctx.role_handlers.borrow_mut());
    let mut role_uses = std::mem::take(&mut roles_out.uses);
    role_uses.append(&mut pctx.role_uses.borrow_mut());
    let hosts = match hosts {
        Some(h) if !h.is_null() => h,
        _ => {
            errors.push(
                PlaybookError::new(&n.span, "the field 'hosts' is required but was not set")
                    .hint("add `hosts: all` (or a pattern) to the play"),
            );
            Node::str("", n.span.clone())
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    // The implicit "Gathering Facts" task runs first unless the play says
    // `gather_facts: false`.
    let gathers = match gather.as_ref().map(|g| &g.kind) {
        None => true,
        Some(NodeKind::Bool(b)) => *b,
        Some(NodeKind::Str(s)) => {
            !matches!(s.to_lowercase().as_str(), "false" | "no" | "off" | "0")
        }
        Some(_) => true,
    };
    let mut pre_tasks = pre_tasks;
    if gathers {
        pre_tasks.insert(
            0,
            gathering_task(
                n,
                &pctx,
                gather_subset.as_ref(),
                gather_timeout.as_ref(),
                fact_path.as_ref(),
            ),
        );
    }
    Ok(Play {
        span: n.span.clone(),
        name,
        hosts,
        vars: all_vars,
        load_vars: pctx.known.clone(),
        vars_files,
        gather_facts: gather,
        gather_subset,
        inherit: pctx.inherit.clone(),
        pre_tasks,
        tasks,
        post_tasks,
        handlers,
        roles: roles_out.roles,
        role_uses,
        force_handlers,
        serial,
        max_fail_percentage,
        order,
        strategy,
        vars_prompt,
        dir: ctx.dir.clone(),
    })
}

/// The task Ansible adds at the start of a play that gathers facts: tagged
/// `always`, with the play's `gather_subset`, `gather_timeout`, `fact_path`.
fn gathering_task(
    play: &Node,
    ctx: &Ctx,
    subset: Option<&Node>,
    timeout: Option<&Node>,
    fact_path: Option<&Node>,
) -> super::Item {
    let span = play.span.clone();
    let mut args = Vec::new();
    for (k, v) in [
        ("gather_subset", subset),
        ("gather_timeout", timeout),
        ("fact_path", fact_path),
    ] {
        if let Some(v) = v {
            // A single subset is a one-element list, as Ansible makes it.
            let v = match (&v.kind, k) {
                (NodeKind::Str(_), "gather_subset") => {
                    Node::new(NodeKind::Seq(vec![v.clone()]), v.span.clone())
                }
                _ => v.clone(),
            };
            args.push((k.to_string(), v));
        }
    }
    let mut inherit = ctx.inherit.clone();
    inherit.tags.push("always".into());
    inherit.when.clear();
    let mut t = super::Task::empty(&span, ctx.dir.clone(), None);
    t.name = Some(Node::str("Gathering Facts", span.clone()));
    t.action = "gather_facts".into();
    t.action_written = "gather_facts".into();
    t.args = args;
    t.inherit = inherit;
    super::Item::Task(std::sync::Arc::new(t))
}

/// Play keywords Ansible converts when it loads the play (not templated):
/// a value that cannot be a `bool` / a `percent` is refused up front.
pub(super) fn static_check(v: &Node, isa: &str, keyword: &str) -> Result<(), PlaybookError> {
    let text = match &v.kind {
        NodeKind::Str(s) if crate::template::is_template(s) => return Ok(()),
        NodeKind::Str(s) => s.clone(),
        NodeKind::Null => return Ok(()),
        _ if isa == "bool" => match v.to_json() {
            serde_json::Value::Bool(_) => return Ok(()),
            serde_json::Value::Number(n) if n.as_i64().is_some_and(|i| i == 0 || i == 1) => {
                return Ok(());
            }
            other => other.to_string(),
        },
        NodeKind::Int(_) | NodeKind::Float(_) => return Ok(()),
        _ => v.key_string(),
    };
    let ok = match isa {
        "bool" => {
            crate::modules::spec::to_bool(&serde_json::Value::String(text.clone())).is_some()
                && !text.is_empty()
        }
        _ => text
            .trim()
            .trim_end_matches('%')
            .trim()
            .parse::<f64>()
            .is_ok(),
    };
    if ok {
        return Ok(());
    }
    Err(PlaybookError::new(
        &v.span,
        format!(
            "Error processing keyword '{keyword}': The value '{text}' could not be converted to '{isa}'."
        ),
    ))
}
