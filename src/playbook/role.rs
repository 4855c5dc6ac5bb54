// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Roles: found on the roles path, loaded with their defaults, vars, tasks,
//! handlers and meta dependencies, and expanded into task entries.

use super::common::{Ctx, MAX_DEPTH, inherit_key, load_doc, vars_of};
use super::{Inherited, Item, PlaybookError, Role, Task};
use crate::span::Span;
use crate::vault::Secrets;
use crate::yaml::{Node, NodeKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a play's `roles:` (or an `import_role`) produces.
#[derive(Default)]
pub(super) struct Expanded {
    pub items: Vec<Item>,
    pub handlers: Vec<Arc<Task>>,
    /// Every role loaded, dependencies included (their defaults and vars).
    pub roles: Vec<Arc<Role>>,
    /// The roles named by the play itself, in order, repeats kept
    /// (`ansible_play_role_names`).
    pub uses: Vec<Arc<Role>>,
}

/// What `ansible_parent_role_names`/`_paths` hold for a role imported or
/// included from `role`: that role, then its own parents.
fn parents_of(role: Option<&Arc<Role>>) -> Vec<(String, String)> {
    let Some(r) = role else {
        return Vec::new();
    };
    let mut p = vec![(r.fqcn.clone(), r.path.display().to_string())];
    p.extend(r.parents.iter().cloned());
    p
}

/// The dependency chain of a role used from `role` (imported, included or
/// a meta dependency of it): `role`'s own chain, then `role`.
fn chain_of(role: Option<&Arc<Role>>) -> Vec<String> {
    let Some(r) = role else {
        return Vec::new();
    };
    let mut c = r.chain.clone();
    c.push(r.path.display().to_string());
    c
}

/// Keys of a role entry that are keywords, not role parameters.
const ROLE_KEYWORDS: &[&str] = &[
    "become",
    "become_user",
    "become_method",
    "ignore_errors",
    "ignore_unreachable",
    "check_mode",
    "no_log",
    "remote_user",
    "connection",
    "port",
    "delegate_to",
    "run_once",
    "any_errors_fatal",
    "environment",
    "tags",
    "when",
    "vars",
    "diff",
    "throttle",
    "timeout",
    "become_flags",
    "become_exe",
    "delegate_facts",
    "collections",
    "debugger",
    "module_defaults",
];

/// The folders a role name is looked for in, in Ansible's order.
fn candidates(name: &str, ctx: &Ctx) -> Vec<PathBuf> {
    let p = Path::new(name);
    if p.is_absolute() {
        return vec![p.to_path_buf()];
    }
    let collection_role = |ns: &str, coll: &str, role: &str| {
        ctx.playbook_dir
            .join("collections/ansible_collections")
            .join(ns)
            .join(coll)
            .join("roles")
            .join(role)
    };
    let mut c = Vec::new();
    // A short name is looked for first in the collections the play (or
    // block, or task) lists under `collections`, as Ansible does.
    if !name.contains('.') {
        for coll in collections_of(ctx) {
            if let Some((ns, cn)) = coll.split_once('.') {
                c.push(collection_role(ns, cn, name));
            }
        }
    }
    c.push(ctx.playbook_dir.join("roles").join(name));
    if let Some(r) = &ctx.role {
        // A role's dependency may sit next to it.
        if let Some(parent) = r.path.parent() {
            c.push(parent.join(name));
        }
    }
    for dir in &ctx.opts.roles_path {
        c.push(dir.join(name));
    }
    // `namespace.collection.role` in a collections/ tree next to the playbook.
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() == 3 {
        c.push(collection_role(parts[0], parts[1], parts[2]));
    }
    c.push(ctx.playbook_dir.join(name));
    c
}

/// The `collections` keyword in force (`ansible.builtin`/`ansible.legacy`
/// name no roles tree).
fn collections_of(ctx: &Ctx) -> Vec<String> {
    let Some(n) = &ctx.inherit.collections else {
        return Vec::new();
    };
    let list: Vec<String> = match n.as_seq() {
        Some(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        None => n.as_str().map(|s| vec![s.to_string()]).unwrap_or_default(),
    };
    list.into_iter()
        .filter(|c| c != "ansible.builtin" && c != "ansible.legacy")
        .collect()
}

/// The collection (`ns.coll`) a role at `path` belongs to, when it sits
/// in an `ansible_collections/NS/COLL/roles/` tree.
fn collection_of(path: &Path) -> Option<String> {
    let roles = path.parent()?;
    if roles.file_name()? != "roles" {
        return None;
    }
    let coll = roles.parent()?;
    let ns = coll.parent()?;
    if ns.parent()?.file_name()? != "ansible_collections" {
        return None;
    }
    Some(format!(
        "{}.{}",
        ns.file_name()?.to_string_lossy(),
        coll.file_name()?.to_string_lossy()
    ))
}

/// `main.yml`, `main.yaml`, `main.json`, `main` or a `main/` folder of files.
pub(super) fn main_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    for ext in ["yml", "yaml", "json", ""] {
        let p = if ext.is_empty() {
            dir.join(stem)
        } else {
            dir.join(format!("{stem}.{ext}"))
        };
        if p.is_file() {
            return Some(p);
        }
    }
    None
}

fn vars_file(dir: &Path, stem: &str, ctx: &Ctx) -> Result<Vec<(String, Node)>, PlaybookError> {
    let Some(p) = main_file(dir, stem) else {
        return Ok(Vec::new());
    };
    match load_doc(&p, ctx, Secrets::AllValues)? {
        None => Ok(Vec::new()),
        Some(d) => vars_of(&d),
    }
}

/// A role entry: its name (and where), its parameters and its keywords.
type Entry = (String, Span, Vec<(String, Node)>, Inherited);

/// Splits a role entry into its name, parameters and keywords.
fn entry(v: &Node) -> Result<Entry, PlaybookError> {
    match &v.kind {
        NodeKind::Str(s) => Ok((s.clone(), v.span.clone(), Vec::new(), Inherited::default())),
        NodeKind::Map(pairs) => {
            let name_node = v.get("role").or_else(|| v.get("name")).ok_or_else(|| {
                PlaybookError::new(&v.span, "role definitions must contain a role name")
            })?;
            let name = name_node.as_str().unwrap_or_default().to_string();
            let mut params = Vec::new();
            let mut inh = Inherited::default();
            for (k, x) in pairs {
                let key = k.key_string();
                if key == "role" || key == "name" {
                    continue;
                }
                if ROLE_KEYWORDS.contains(&key.as_str()) {
                    inherit_key(&mut inh, &key, x)?;
                } else {
                    params.push((key, x.clone()));
                }
            }
            Ok((name, name_node.span.clone(), params, inh))
        }
        _ => Err(PlaybookError::new(
            &v.span,
            "a role must be a name or a mapping",
        )),
    }
}

/// Loads a role and what it expands to (dependencies first).
/// Returns the role used (`None` when it is a use already loaded that runs
/// once); `parents` are the roles that imported or included it, nearest
/// first (`ansible_parent_role_names`).
fn load(
    v: &Node,
    ctx: &Ctx,
    files: &RoleFiles,
    out: &mut Expanded,
    seen: &mut Vec<(PathBuf, String)>,
    parents: &[(String, String)],
    chain: &[String],
) -> Result<Option<Arc<Role>>, Vec<PlaybookError>> {
    if ctx.depth >= MAX_DEPTH {
        return Err(vec![PlaybookError::new(
            &v.span,
            "role dependencies nest too deep (a cycle?)",
        )]);
    }
    let (name, span, params, inh) = entry(v).map_err(|e| vec![e])?;
    // A templated name is rendered now with the play's variables, as
    // Ansible's role definition does when it loads.
    // An undefined name is a missing role to Ansible (exit 1).
    let name = match super::static_vars::keyword(&Node::str(&name, span.clone()), "", ctx, &[])
        .map_err(|e| vec![e.not_found()])?
    {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    let tried = candidates(&name, ctx);
    let Some(path) = tried
        .iter()
        .find(|p| {
            p.join("tasks").is_dir()
                || p.join("meta").is_dir()
                || p.join("handlers").is_dir()
                || p.join("defaults").is_dir()
                || p.join("vars").is_dir()
        })
        .cloned()
    else {
        let list: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
        return Err(vec![
            PlaybookError::new(
                &span,
                format!("the role '{name}' was not found in: {}", list.join(":")),
            )
            .not_found()
            .hint("put it in roles/ next to the playbook, or set roles_path in ansible.cfg"),
        ]);
    };
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    // A role used again with the same parameters runs once, unless its meta
    // says allow_duplicates.
    let meta = match main_file(&path.join("meta"), "main") {
        Some(p) => load_doc(&p, ctx, Secrets::VarsSections).map_err(|e| vec![e])?,
        None => None,
    };
    let allow_dup = files.allow_duplicates.unwrap_or_else(|| {
        meta.as_ref()
            .and_then(|m| m.get("allow_duplicates"))
            .is_some_and(|n| matches!(n.kind, NodeKind::Bool(true)))
    });
    // Ansible tells two uses of a role apart by their params, when, tags
    // and vars as well.
    let keyword = |k: &str| v.get(k).map(Node::to_json);
    let key = (
        path.clone(),
        format!(
            "{:?}|{}|{}|{}|{}|{:?}|{:?}|{:?}|{}",
            params
                .iter()
                .map(|(k, v)| (k, v.to_json()))
                .collect::<Vec<_>>(),
            files.tasks,
            files.vars,
            files.defaults,
            files.handlers,
            keyword("when"),
            keyword("tags"),
            keyword("vars"),
            files.from_include,
        ),
    );
    // A use equal to an earlier one is still loaded (Ansible lists its
    // tasks; the executor passes over them on hosts where the first ran),
    // but its handlers are not added again.
    let repeat = !allow_dup && seen.contains(&key);
    if !repeat {
        seen.push(key.clone());
    }
    let identity = format!("{}|{}", key.0.display(), key.1);
    let role_ctx = ctx.child(&inh);
    let short = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or(name.clone());
    let fqcn = match collection_of(&path) {
        Some(c) => format!("{c}.{short}"),
        None => short.clone(),
    };
    let defaults = vars_file(&path.join("defaults"), &files.defaults, ctx).map_err(|e| vec![e])?;
    let vars = vars_file(&path.join("vars"), &files.vars, ctx).map_err(|e| vec![e])?;
    // Dependencies run first, with the depending role's keywords; they are
    // also searched for next to the depending role (all the loader reads
    // of the depending role while loading them is its path).
    let mut dependencies = Vec::new();
    if let Some(list) = meta
        .as_ref()
        .and_then(|m| m.get("dependencies"))
        .and_then(Node::as_seq)
    {
        let mut nested = role_ctx.clone();
        nested.depth += 1;
        nested.role = Some(Arc::new(Role {
            name: short.clone(),
            fqcn: fqcn.clone(),
            path: path.clone(),
            defaults: Vec::new(),
            vars: Vec::new(),
            params: Vec::new(),
            parents: parents.to_vec(),
            chain: chain.to_vec(),
            dependencies: Vec::new(),
            key: identity.clone(),
            allow_duplicates: allow_dup,
            public: None,
        }));
        let dep_chain = chain_of(nested.role.as_ref());
        for d in list {
            let files = RoleFiles::default();
            if let Some(dep) = load(d, &nested, &files, out, seen, parents, &dep_chain)? {
                // Ansible's get_all_dependencies: each dependency's own
                // dependencies, then the dependency.
                dependencies.extend(dep.dependencies.iter().cloned());
                dependencies.push(dep.fqcn.clone());
            }
        }
    }
    let role = Arc::new(Role {
        fqcn,
        name: short,
        path: path.clone(),
        defaults,
        vars,
        params,
        parents: parents.to_vec(),
        chain: chain.to_vec(),
        dependencies,
        key: identity,
        allow_duplicates: allow_dup,
        // An include's `public` is read when it runs.
        public: files.public,
    });
    let mut rctx = role_ctx.clone();
    rctx.role = Some(role.clone());
    rctx.dir = path.join("tasks");
    rctx.depth += 1;
    if !ctx.handlers_only && files.validate {
        let specs = super::argspec::role_specs(&path, ctx).map_err(|e| vec![e])?;
        if let Some(task) = super::argspec::validation_task(&specs, &role, &files.entry) {
            out.items.extend(super::task::parse_task(&task, &rctx)?);
        }
    }
    if ctx.handlers_only {
        // Only the handlers are wanted (see include_role_handlers).
    } else if let Some(tasks) = main_file(&path.join("tasks"), &files.tasks) {
        let items = super::block::items_from_file(&tasks, &rctx, &span)?;
        out.items.extend(items);
    } else if files.tasks != "main" {
        return Err(vec![PlaybookError::new(
            &span,
            format!("the role '{name}' has no tasks file '{}'", files.tasks),
        )]);
    }
    if repeat {
        // The handlers of this role are there already.
    } else if let Some(h) = main_file(&path.join("handlers"), &files.handlers) {
        let mut hctx = rctx.clone();
        hctx.handlers = true;
        hctx.dir = path.join("handlers");
        let items = super::block::items_from_file(&h, &hctx, &span)?;
        flatten_handlers(&items, &mut out.handlers);
    }
    out.roles.push(role.clone());
    Ok(Some(role))
}

/// Handlers written inside blocks are run as a flat list.
pub(super) fn flatten_handlers(items: &[Item], out: &mut Vec<Arc<Task>>) {
    for i in items {
        match i {
            Item::Task(t) => out.push(t.clone()),
            Item::Block(b) => {
                flatten_handlers(&b.block, out);
                flatten_handlers(&b.rescue, out);
                flatten_handlers(&b.always, out);
            }
        }
    }
}

/// A play's `roles:` list.
pub(super) fn play_roles(list: &Node, ctx: &Ctx) -> Result<Expanded, Vec<PlaybookError>> {
    let mut out = Expanded::default();
    let mut seen = Vec::new();
    let Some(entries) = list.as_seq() else {
        if list.is_null() {
            return Ok(out);
        }
        return Err(vec![PlaybookError::new(
            &list.span,
            "'roles' must be a list",
        )]);
    };
    let mut errors = Vec::new();
    for e in entries {
        match load(e, ctx, &RoleFiles::default(), &mut out, &mut seen, &[], &[]) {
            Ok(Some(r)) => out.uses.push(r),
            Ok(None) => {}
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Which file of each role folder to use (`tasks_from`, `vars_from`,
/// `defaults_from`, `handlers_from`; `main` by default). A role's
/// dependencies always use their main files.
#[derive(Debug, Clone)]
pub struct RoleFiles {
    pub tasks: String,
    pub vars: String,
    pub defaults: String,
    pub handlers: String,
    /// The `tasks_from` value as written (`main` if none): the entry point
    /// of `meta/argument_specs.yml` the role is validated against.
    pub entry: String,
    /// `rolespec_validate`: whether the role's arguments are validated.
    pub validate: bool,
    /// Named by `import_role`/`include_role` (part of the role's identity).
    pub from_include: bool,
    /// `allow_duplicates` of an include or import (`None`: the role's meta).
    pub allow_duplicates: Option<bool>,
    /// `public` of an import or include (`None`: not given).
    pub public: Option<bool>,
}

impl Default for RoleFiles {
    fn default() -> Self {
        let main = || "main".to_string();
        RoleFiles {
            tasks: main(),
            vars: main(),
            defaults: main(),
            handlers: main(),
            entry: main(),
            validate: true,
            from_include: false,
            allow_duplicates: None,
            public: None,
        }
    }
}

impl RoleFiles {
    /// Takes `*_from` from a lookup (a static spec or templated arguments);
    /// a `.yml`/`.yaml` suffix is optional, as in Ansible.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> RoleFiles {
        let pick = |k: &str| {
            get(k)
                .map(|v| {
                    v.trim_end_matches(".yml")
                        .trim_end_matches(".yaml")
                        .to_string()
                })
                .unwrap_or_else(|| "main".to_string())
        };
        RoleFiles {
            tasks: pick("tasks_from"),
            vars: pick("vars_from"),
            defaults: pick("defaults_from"),
            handlers: pick("handlers_from"),
            entry: get("tasks_from").unwrap_or_else(|| "main".to_string()),
            validate: get("rolespec_validate")
                .and_then(|v| crate::modules::spec::to_bool(&serde_json::Value::String(v)))
                .unwrap_or(true),
            from_include: true,
            // Ansible's include_role/import_role default to allowing them.
            allow_duplicates: Some(
                get("allow_duplicates")
                    .and_then(|v| crate::modules::spec::to_bool(&serde_json::Value::String(v)))
                    .unwrap_or(true),
            ),
            public: get("public")
                .and_then(|v| crate::modules::spec::to_bool(&serde_json::Value::String(v))),
        }
    }
}

/// `import_role: name=x tasks_from=y` (static).
pub(super) fn role_items_from_spec(v: &Node, ctx: &Ctx) -> Result<Vec<Item>, Vec<PlaybookError>> {
    // A literal `public` that is no boolean stops the playbook while it
    // loads, as in ansible-core 2.21 (a templated one is read at the play's
    // start).
    let mut public = None;
    if let Some(p) = v.get("public") {
        let value = super::static_vars::keyword(p, "public", ctx, &[]).map_err(|e| vec![e])?;
        let rendered = Node::from_json(&value, &p.span);
        super::load::static_check(&rendered, "bool", "public").map_err(|e| vec![e])?;
        public = crate::modules::spec::to_bool(&value);
    }
    let mut files = RoleFiles::from_lookup(|k| {
        v.get(k).map(|n| match n.to_json() {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
    });
    if v.get("public").is_some() {
        files.public = public;
    }
    // Only the role's name (and parameters) matter here.
    let spec = match &v.kind {
        NodeKind::Map(pairs) => Node::new(
            NodeKind::Map(
                pairs
                    .iter()
                    .filter(|(k, _)| {
                        !matches!(
                            k.as_str(),
                            Some(
                                "tasks_from"
                                    | "vars_from"
                                    | "defaults_from"
                                    | "handlers_from"
                                    | "public"
                                    | "allow_duplicates"
                                    | "rolespec_validate"
                            )
                        )
                    })
                    .cloned()
                    .collect(),
            ),
            v.span.clone(),
        ),
        _ => v.clone(),
    };
    let mut out = Expanded::default();
    let mut seen = Vec::new();
    let parents = parents_of(ctx.role.as_ref());
    let chain = chain_of(ctx.role.as_ref());
    if let Some(r) = load(&spec, ctx, &files, &mut out, &mut seen, &parents, &chain)? {
        ctx.role_uses.borrow_mut().push(r);
    }
    // An imported role's handlers join the play's.
    ctx.role_handlers.borrow_mut().append(&mut out.handlers);
    Ok(out.items)
}

/// The handlers of a role that `include_role` names statically: they join
/// the play's handlers (Ansible adds them when the include runs; having
/// them from the start lets `notify` be checked before the run).
pub(super) fn include_role_handlers(v: &Node, ctx: &Ctx) -> Result<(), Vec<PlaybookError>> {
    let Some(name) = v.get("name").and_then(Node::as_str) else {
        return Ok(());
    };
    if crate::template::is_template(name) {
        return Ok(());
    }
    let files = RoleFiles::from_lookup(|k| v.get(k).and_then(Node::as_str).map(str::to_string));
    let spec = Node::str(name, v.span.clone());
    let mut out = Expanded::default();
    let mut seen = Vec::new();
    let mut hctx = ctx.clone();
    hctx.handlers_only = true;
    let parents = parents_of(ctx.role.as_ref());
    let chain = chain_of(ctx.role.as_ref());
    load(&spec, &hctx, &files, &mut out, &mut seen, &parents, &chain)?;
    ctx.role_handlers.borrow_mut().append(&mut out.handlers);
    Ok(())
}

/// What `include_role` brings in: the role's task entries, and the role.
pub type IncludedRole = (Vec<Item>, Option<Arc<Role>>);

/// `include_role` at run time: the role's tasks (from `tasks_from`) with
/// what the include passes down, and the role (`None` only if it is
/// empty); `parent` is the role whose task includes it.
pub fn load_role_items(
    name: &str,
    files: &RoleFiles,
    inherit: &Inherited,
    parent: Option<&Arc<Role>>,
    playbook_dir: &Path,
    opts: &super::LoadOptions,
    known: &[Arc<crate::vars::Layer>],
) -> Result<IncludedRole, Vec<PlaybookError>> {
    let ctx = Ctx {
        dir: playbook_dir.to_path_buf(),
        playbook_dir: playbook_dir.to_path_buf(),
        inherit: inherit.clone(),
        role: None,
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
    let spec = Node::str(name, Span::synthetic("include_role"));
    let mut out = Expanded::default();
    let mut seen = Vec::new();
    let (parents, chain) = (parents_of(parent), chain_of(parent));
    let role = load(&spec, &ctx, files, &mut out, &mut seen, &parents, &chain)?;
    Ok((out.items, role))
}
