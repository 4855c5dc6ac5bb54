// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The engine's front door: load and validate everything a run needs (config,
//! inventory, extra vars, playbooks, every template), then run it. Nothing
//! connects to a host until `prepare` has succeeded.

use crate::config::{Config, ConfigError};
use crate::exec::{RunOptions, RunOutcome, Runner};
use crate::inventory::{Inventory, InventoryError};
use crate::output::Bus;
use crate::playbook::{Loop, Play, Playbook, PlaybookError, Task, load_playbook};
use crate::span::Span;
use crate::template::{Templar, TemplateError};
use crate::vars::{Layer, VarValue};
use crate::vault::{VaultError, VaultSecrets};
use crate::yaml::{self, Node, NodeKind, Tag};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Anything that stops a run before it starts.
#[derive(Debug)]
pub enum EngineError {
    Config(ConfigError),
    Inventory(InventoryError),
    Playbook(Vec<PlaybookError>),
    Template(TemplateError),
    ExtraVars(String),
    /// A vault that cannot be opened (wrong password, altered or cut short).
    Vault(VaultError),
    /// A `--limit` that cannot be used (a missing `@file`, a bad pattern)
    /// or that leaves no host at all, with the warnings printed before it.
    Limit {
        message: String,
        warnings: Vec<String>,
    },
}

impl EngineError {
    /// ansible-playbook's exit code for this kind of error.
    pub fn exit_code(&self) -> i32 {
        match self {
            // Ansible's parser errors exit with 4, what it finds missing
            // with 1: the first error decides, as Ansible stops at it.
            EngineError::Playbook(errs) => errs.first().map_or(4, |e| e.exit),
            EngineError::Template(_) => 4,
            EngineError::ExtraVars(_) => 5,
            EngineError::Config(_)
            | EngineError::Inventory(_)
            | EngineError::Vault(_)
            | EngineError::Limit { .. } => 1,
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Config(e) => write!(f, "{e}"),
            EngineError::Inventory(e) => write!(f, "{e}"),
            EngineError::Playbook(errs) => {
                for (i, e) in errs.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            EngineError::Template(e) => write!(f, "{e}"),
            EngineError::ExtraVars(m) => write!(f, "{m}"),
            EngineError::Vault(e) => write!(f, "{e}"),
            EngineError::Limit { message, .. } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub playbooks: Vec<PathBuf>,
    /// `-i` sources; when empty, ansible.cfg's `inventory` (or `ANSIBLE_INVENTORY`).
    pub inventories: Vec<String>,
    /// `-e` arguments as given.
    pub extra_vars: Vec<String>,
    pub opts: RunOptions,
    pub cwd: PathBuf,
    /// Vault passwords (`--vault-id`, `--vault-password-file`, ansible.cfg).
    pub vault: Arc<VaultSecrets>,
}

/// A validated run, ready to go.
pub struct Prepared {
    pub templar: Arc<Templar>,
    pub inventory: Arc<Inventory>,
    pub playbooks: Vec<Playbook>,
    pub extra: Layer,
    pub opts: RunOptions,
    pub warnings: Vec<String>,
    /// The vault passwords, and the plaintexts output must mask.
    pub vault: Arc<VaultSecrets>,
}

/// Reads ansible.cfg (if any) into the options; command-line values that the
/// caller already set are kept.
/// kiln's own `[kiln] connect_forks` (or `KILN_CONNECT_FORKS`): how many
/// SSH logins may be in progress at once, apart from `forks`.
pub fn apply_connect_forks(cfg: &Config, opts: &mut RunOptions) -> Result<(), String> {
    if let Some(v) = cfg.get("kiln", "connect_forks", "KILN_CONNECT_FORKS") {
        opts.connect_forks = match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("connect_forks must be a number >= 1, got '{v}'")),
        };
    }
    Ok(())
}

pub fn apply_config(
    cfg: &Config,
    opts: &mut RunOptions,
    inventories: &mut Vec<String>,
    forks_given: bool,
) -> Result<(), ConfigError> {
    let bad = |m: String| ConfigError {
        span: Span::synthetic(
            &cfg.path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ),
        message: m,
    };
    if inventories.is_empty()
        && let Some(inv) = cfg.get("defaults", "inventory", "ANSIBLE_INVENTORY")
    {
        let base = cfg
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .unwrap_or(Path::new("."));
        for part in inv.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let p = Path::new(part);
            if p.is_relative() && !part.contains(',') && base.join(p).exists() {
                inventories.push(base.join(p).display().to_string());
            } else {
                inventories.push(part.to_string());
            }
        }
    }
    if opts.remote_user.is_none() {
        opts.remote_user = cfg.get("defaults", "remote_user", "ANSIBLE_REMOTE_USER");
    }
    if !forks_given && let Some(f) = cfg.get("defaults", "forks", "ANSIBLE_FORKS") {
        opts.forks = f
            .trim()
            .parse()
            .map_err(|_| bad(format!("forks must be a number, got '{f}'")))?;
    }
    apply_connect_forks(cfg, opts).map_err(bad)?;
    if let Some(b) = cfg
        .get_bool("defaults", "host_key_checking", "ANSIBLE_HOST_KEY_CHECKING")
        .map_err(bad)?
    {
        opts.host_key_checking = b;
    }
    // Ansible's ssh connection options; the transport reads them as it
    // reads `ansible_ssh_args` and friends.
    opts.ssh_args = cfg.get("ssh_connection", "ssh_args", "ANSIBLE_SSH_ARGS");
    opts.ssh_common_args = cfg.get(
        "ssh_connection",
        "ssh_common_args",
        "ANSIBLE_SSH_COMMON_ARGS",
    );
    opts.ssh_extra_args = cfg.get("ssh_connection", "ssh_extra_args", "ANSIBLE_SSH_EXTRA_ARGS");
    if opts.private_key.is_none() {
        opts.private_key = cfg
            .get("defaults", "private_key_file", "ANSIBLE_PRIVATE_KEY_FILE")
            .map(PathBuf::from);
    }
    if let Some(t) = cfg.get("defaults", "timeout", "ANSIBLE_TIMEOUT") {
        let secs: u64 = t
            .trim()
            .parse()
            .map_err(|_| bad(format!("timeout must be a number of seconds, got '{t}'")))?;
        opts.timeout = std::time::Duration::from_secs(secs);
    }
    if !opts.become_ {
        opts.become_ = cfg
            .get_bool("privilege_escalation", "become", "ANSIBLE_BECOME")
            .map_err(bad)?
            .unwrap_or(false);
    }
    opts.private_role_vars = cfg
        .get_bool("defaults", "private_role_vars", "ANSIBLE_PRIVATE_ROLE_VARS")
        .map_err(bad)?;
    if let Some(rp) = cfg.get("defaults", "roles_path", "ANSIBLE_ROLES_PATH") {
        let base = cfg
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .unwrap_or(Path::new("."));
        for part in rp.split(':').filter(|s| !s.is_empty()) {
            let p = Path::new(part);
            opts.roles_path.push(if p.is_relative() {
                base.join(p)
            } else {
                p.to_path_buf()
            });
        }
    }
    if opts.become_user.is_none() {
        opts.become_user = cfg.get("privilege_escalation", "become_user", "ANSIBLE_BECOME_USER");
    }
    if opts.become_method.is_none() {
        opts.become_method = cfg.get(
            "privilege_escalation",
            "become_method",
            "ANSIBLE_BECOME_METHOD",
        );
    }
    if opts.become_flags.is_none() {
        opts.become_flags = cfg.get(
            "privilege_escalation",
            "become_flags",
            "ANSIBLE_BECOME_FLAGS",
        );
    }
    opts.config_file = cfg.path.clone();
    Ok(())
}

/// Parses `-e` arguments into the extra-vars layer: `@file` (a vault
/// file is decrypted with `vault`), JSON or YAML text, or `k=v` pairs.
pub fn parse_extra_vars(
    args: &[String],
    cwd: &Path,
    vault: &VaultSecrets,
) -> Result<Layer, EngineError> {
    let mut layer = Layer::new();
    for arg in args {
        let node = if let Some(file) = arg.strip_prefix('@') {
            load_vars_file(&cwd.join(file), vault)?
        } else if arg.trim_start().starts_with('{') || arg.trim_start().starts_with('[') {
            let loaded = yaml::load_str(arg, "<extra vars>")
                .map_err(|e| EngineError::ExtraVars(e.to_string()))?;
            loaded.docs.into_iter().next()
        } else {
            let span = Span::synthetic("<extra vars>");
            let tokens = crate::playbook::kv::parse(arg, None).map_err(EngineError::ExtraVars)?;
            let mut pairs = Vec::new();
            for t in tokens {
                match t {
                    crate::playbook::kv::Token::Pair(k, v) => {
                        pairs.push((Node::str(k, span.clone()), Node::str(v, span.clone())))
                    }
                    crate::playbook::kv::Token::Raw(r) => {
                        return Err(EngineError::ExtraVars(format!(
                            "invalid extra vars '{r}': expected key=value, JSON, YAML or @file"
                        )));
                    }
                }
            }
            Some(Node::new(NodeKind::Map(pairs), span))
        };
        match node {
            None => {}
            Some(n) if n.is_null() => {}
            Some(n) => {
                let Some(pairs) = n.as_map() else {
                    return Err(EngineError::ExtraVars(format!(
                        "{}: extra vars must be a mapping, got a {}",
                        n.span,
                        n.type_name()
                    )));
                };
                for (k, v) in pairs {
                    layer.insert(k.key_string(), VarValue::Node(v.clone()));
                }
            }
        }
    }
    Ok(layer)
}

/// The first document of a YAML vars file, decrypted first when it is a
/// vault (parse errors in decrypted text then give their position only).
fn load_vars_file(p: &Path, vault: &VaultSecrets) -> Result<Option<Node>, EngineError> {
    use crate::vault::{Secrets, YamlFileError};
    match crate::vault::load_yaml_file(p, vault, Secrets::AllValues) {
        Ok(loaded) => Ok(loaded.docs.into_iter().next()),
        Err(YamlFileError::Vault(e)) => Err(EngineError::Vault(e)),
        Err(YamlFileError::Yaml(e)) => Err(EngineError::ExtraVars(e.to_string())),
    }
}

/// Opens every inline `!vault` value of `n` once (the plaintext is
/// dropped at once), so that a wrong password or an altered value stops the
/// run before any host is touched rather than in the middle of it.
fn check_vaults(vault: &VaultSecrets, n: &Node, errors: &mut Vec<VaultError>) {
    match &n.kind {
        NodeKind::Str(_) if n.tag == Some(Tag::Vault) => {
            if let Err(e) = crate::vault::decrypt_node(n, vault) {
                errors.push(e);
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|i| check_vaults(vault, i, errors)),
        NodeKind::Map(pairs) => pairs
            .iter()
            .for_each(|(_, v)| check_vaults(vault, v, errors)),
        _ => {}
    }
}

/// Opens once every vault file that is only read when the play runs
/// (`vars_files`, `include_vars`, `include_tasks`) and whose name is not a
/// template, so that a wrong password or a damaged vault stops the run
/// before any host is touched (Ansible fails the host at that task).
fn check_runtime_files(pb: &Playbook, vault: &VaultSecrets, errors: &mut Vec<VaultError>) {
    let literal = |n: &Node| {
        n.as_str()
            .filter(|s| !crate::template::is_template(s))
            .map(str::to_string)
    };
    let pb_dir = pb.path.parent().unwrap_or(Path::new("."));
    let mut files: Vec<PathBuf> = Vec::new();
    for play in &pb.plays {
        for entry in &play.vars_files {
            let candidates = match &entry.kind {
                NodeKind::Seq(items) => items.iter().collect(),
                _ => vec![entry],
            };
            // The first candidate that exists is the one read.
            if let Some(p) = candidates
                .into_iter()
                .filter_map(literal)
                .map(|name| play.dir.join(name))
                .find(|p| p.is_file())
            {
                files.push(p);
            }
        }
        for t in play.all_tasks().iter().chain(&play.handlers) {
            let sub = match t.action.as_str() {
                "include_vars" => "vars",
                "include_tasks" => "tasks",
                _ => continue,
            };
            let Some(name) = t
                .args
                .iter()
                .find(|(k, _)| k == "file" || k == "_raw_params")
                .and_then(|(_, v)| literal(v))
            else {
                continue;
            };
            let mut candidates = Vec::new();
            if let Some(r) = &t.role {
                candidates.push(r.path.join(sub).join(&name));
            }
            candidates.push(t.dir.join(&name));
            candidates.push(pb_dir.join(&name));
            if let Some(p) = candidates.into_iter().find(|p| p.is_file()) {
                files.push(p);
            }
        }
    }
    files.sort();
    files.dedup();
    for p in files {
        if crate::vault::read::is_vault_file(&p)
            && let Err(e) = crate::vault::read_file(&p, vault)
        {
            errors.push(e);
        }
    }
}

/// Every variable node of the inventory and the playbooks, for [`check_vaults`].
fn variable_nodes(
    inventory: &Inventory,
    playbooks: &[Playbook],
    extra: &Layer,
    more: &[crate::inventory::VarsDirs],
) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    nodes.extend(
        inventory
            .hosts()
            .flat_map(|h| h.vars.iter().map(|(_, v)| v.clone())),
    );
    nodes.extend(
        inventory
            .groups()
            .flat_map(|g| g.vars.iter().map(|(_, v)| v.clone())),
    );
    for vd in inventory.inventory_vars_dirs().iter().chain(more) {
        for g in inventory.groups() {
            nodes.extend(
                vd.group_files(&g.name)
                    .iter()
                    .flat_map(|f| f.vars.iter().map(|(_, v)| v.clone())),
            );
        }
        let mut names: Vec<&str> = inventory.hosts().map(|h| h.name.as_str()).collect();
        names.extend(crate::inventory::LOCALHOST_NAMES);
        for h in names {
            nodes.extend(
                vd.host_files(h)
                    .iter()
                    .flat_map(|f| f.vars.iter().map(|(_, v)| v.clone())),
            );
        }
    }
    for pb in playbooks {
        for play in &pb.plays {
            nodes.extend(play.vars.iter().map(|(_, v)| v.clone()));
            for t in play.all_tasks().iter().chain(&play.handlers) {
                nodes.extend(t.vars.iter().map(|(_, v)| v.clone()));
                nodes.extend(t.args.iter().map(|(_, v)| v.clone()));
                nodes.extend(t.inherit.vars.iter().map(|(_, v)| v.clone()));
            }
            for r in &play.roles {
                nodes.extend(
                    r.defaults
                        .iter()
                        .chain(&r.vars)
                        .chain(&r.params)
                        .map(|(_, v)| v.clone()),
                );
            }
        }
    }
    nodes.extend(extra.values().filter_map(|v| match v {
        VarValue::Node(n) => Some(n.clone()),
        VarValue::Data(_) => None,
    }));
    nodes
}

/// Sets `--limit` on the inventory, as ansible-playbook does before any
/// play: a limit that leaves no host of a non-empty inventory is an error.
fn apply_limit(
    inventory: &mut Inventory,
    req: &Request,
    warnings: &mut Vec<String>,
) -> Result<(), EngineError> {
    let limit_err = |e: crate::inventory::PatternError| EngineError::Limit {
        message: e.message,
        warnings: Vec::new(),
    };
    inventory
        .set_limit(req.opts.limit.as_deref(), &req.cwd)
        .map_err(limit_err)?;
    let Some(sel) = inventory.limit_selection().map_err(limit_err)? else {
        return Ok(());
    };
    let mut all = inventory.group_hosts("all");
    let had_hosts = !all.is_empty();
    inventory.apply_limit(&mut all).map_err(limit_err)?;
    if had_hosts && all.is_empty() {
        return Err(EngineError::Limit {
            message:
                "Specified inventory, host pattern and/or --limit leaves us with no hosts to target."
                    .into(),
            warnings: sel.warnings,
        });
    }
    warnings.extend(sel.warnings);
    Ok(())
}

/// Reads the inventory sources of `req`, with its `--limit`.
fn load_inventory(req: &Request, warnings: &mut Vec<String>) -> Result<Inventory, EngineError> {
    let mut inventory = Inventory::new();
    inventory.set_vault_secrets(req.vault.clone());
    for src in &req.inventories {
        inventory
            .load_source(src, &req.cwd)
            .map_err(EngineError::Inventory)?;
    }
    inventory.finish().map_err(EngineError::Inventory)?;
    warnings.extend(inventory.warnings.iter().cloned());
    apply_limit(&mut inventory, req, warnings)?;
    Ok(inventory)
}

/// Loads and validates everything; touches no host.
pub fn prepare(req: &Request) -> Result<Prepared, EngineError> {
    let mut warnings = Vec::new();
    let extra = parse_extra_vars(&req.extra_vars, &req.cwd, &req.vault)?;
    let inventory = load_inventory(req, &mut warnings)?;
    if req.inventories.is_empty() {
        warnings.push("No inventory was parsed, only implicit localhost is available".into());
    }
    let templar = Templar::with_vault(req.vault.clone());
    // The `config` lookup reads the file the run was configured from (it
    // was read once already, so it parses).
    if let Some(path) = &req.opts.config_file
        && let Ok(cfg) = Config::load(path)
    {
        templar.set_config(std::sync::Arc::new(cfg));
    }
    let mut playbooks = Vec::new();
    let mut errors = Vec::new();
    // Static import names may use the extra vars.
    let load_extra = std::sync::Arc::new(extra.clone());
    for p in &req.playbooks {
        let path = if p.is_absolute() {
            p.clone()
        } else {
            req.cwd.join(p)
        };
        if !path.exists() {
            errors.push(PlaybookError::new(
                &Span::synthetic(&p.display().to_string()),
                format!("the playbook: {} could not be found", p.display()),
            ));
            continue;
        }
        let load_opts = crate::playbook::LoadOptions {
            roles_path: req.opts.roles_path.clone(),
            vault: req.vault.clone(),
            extra: load_extra.clone(),
            templar: Some(templar.clone()),
        };
        match load_playbook(&path, &load_opts) {
            Ok(pb) => {
                warnings.extend(pb.warnings.iter().cloned());
                for play in &pb.plays {
                    check_play_templates(&templar, play, &mut errors);
                    check_vars_prompt(play, &extra, req.opts.ask.is_some(), &mut errors);
                }
                playbooks.push(pb);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    for (k, v) in &extra {
        if let VarValue::Node(n) = v {
            check_node(&templar, n, &mut errors);
            let _ = k;
        }
    }
    // A vault that cannot be opened is a vault error (exit code 1, as
    // Ansible's), whatever else is wrong.
    if let Some(v) = errors.iter().find_map(|e| e.vault.clone()) {
        return Err(EngineError::Vault(*v));
    }
    if !errors.is_empty() {
        return Err(EngineError::Playbook(errors));
    }
    // group_vars/ and host_vars/ next to each playbook are read again when
    // the playbook runs; reading them here too makes a vault that cannot be
    // opened (or any bad file) an error before any host is touched.
    let mut playbook_dirs = Vec::new();
    for pb in &playbooks {
        let dir = pb.path.parent().unwrap_or(Path::new("."));
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        playbook_dirs.push(
            crate::inventory::load_vars_dirs(dir, &inventory).map_err(EngineError::Inventory)?,
        );
    }
    let mut vault_errors = Vec::new();
    for n in variable_nodes(&inventory, &playbooks, &extra, &playbook_dirs) {
        check_vaults(&req.vault, &n, &mut vault_errors);
    }
    for pb in &playbooks {
        check_runtime_files(pb, &req.vault, &mut vault_errors);
    }
    if let Some(e) = vault_errors.into_iter().next() {
        return Err(EngineError::Vault(e));
    }
    Ok(Prepared {
        templar,
        inventory: Arc::new(inventory),
        playbooks,
        extra,
        opts: {
            // `meta: refresh_inventory` reads the same sources again.
            let mut opts = req.opts.clone();
            let again = req.clone();
            opts.inventory_reload = Some(crate::exec::Reloader(Arc::new(move || {
                load_inventory(&again, &mut Vec::new()).map_err(|e| e.to_string())
            })));
            opts
        },
        warnings,
        vault: req.vault.clone(),
    })
}

fn template_error(e: TemplateError, span: &Span) -> PlaybookError {
    let e = e.at(span);
    let mut msg = e.message.clone();
    if let Some((l, c)) = e.inner {
        msg = format!(
            "{msg} (line {l}, column {c} of the template {:?})",
            e.template
        );
    } else {
        msg = format!("{msg} in {:?}", e.template);
    }
    PlaybookError::new(span, msg)
}

fn check_node(templar: &Templar, n: &Node, errors: &mut Vec<PlaybookError>) {
    match &n.kind {
        NodeKind::Str(s) if !n.is_unsafe() && n.tag != Some(Tag::Vault) => {
            if let Err(e) = templar.check(s) {
                errors.push(template_error(e, &n.span));
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|i| check_node(templar, i, errors)),
        NodeKind::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            check_node(templar, k, errors);
            check_node(templar, v, errors);
        }),
        _ => {}
    }
}

fn check_condition(templar: &Templar, n: &Node, errors: &mut Vec<PlaybookError>) {
    if let NodeKind::Str(s) = &n.kind
        && let Err(e) = templar.check_condition(s)
    {
        errors.push(template_error(e, &n.span));
    }
}

fn check_task(templar: &Templar, t: &Task, errors: &mut Vec<PlaybookError>) {
    let raw_args = crate::modules::lookup(&t.action)
        .map(|m| m.spec().raw_args)
        .unwrap_or(&[]);
    for (k, v) in &t.args {
        if raw_args.contains(&k.as_str()) {
            if k == "that" {
                match &v.kind {
                    NodeKind::Seq(items) => items
                        .iter()
                        .for_each(|i| check_condition(templar, i, errors)),
                    _ => check_condition(templar, v, errors),
                }
            }
            continue;
        }
        check_node(templar, v, errors);
    }
    for c in t.when.iter().chain(&t.changed_when).chain(&t.failed_when) {
        check_condition(templar, c, errors);
    }
    if let Some(n) = &t.name {
        check_node(templar, n, errors);
    }
    for (_, v) in &t.vars {
        check_node(templar, v, errors);
    }
    match &t.loop_ {
        Some(Loop::Loop(n)) | Some(Loop::With { items: n, .. }) => check_node(templar, n, errors),
        None => {}
    }
}

/// `vars_prompt` entries: each a mapping with a `name`; without a terminal
/// to ask on, an entry needs a `default` (or the variable from `-e`): kiln
/// refuses where Ansible would silently set it to None.
fn check_vars_prompt(
    play: &Play,
    extra: &Layer,
    interactive: bool,
    errors: &mut Vec<PlaybookError>,
) {
    let Some(list) = &play.vars_prompt else {
        return;
    };
    let Some(entries) = list.as_seq() else {
        errors.push(PlaybookError::new(
            &list.span,
            "vars_prompt must be a list of prompts (mappings with a name)",
        ));
        return;
    };
    for e in entries {
        let Some(name) = e.get("name").and_then(Node::as_str) else {
            errors.push(
                PlaybookError::new(&e.span, "a vars_prompt entry needs a 'name'")
                    .hint("write - name: VARIABLE, prompt: TEXT, default: VALUE"),
            );
            continue;
        };
        if !interactive && e.get("default").is_none() && !extra.contains_key(name) {
            errors.push(
                PlaybookError::new(
                    &e.span,
                    format!(
                        "vars_prompt '{name}' has no default and there is no terminal to ask on"
                    ),
                )
                .hint(format!(
                    "give it on the command line (-e {name}=VALUE) or add a default"
                )),
            );
        }
    }
}

fn check_play_templates(templar: &Templar, play: &Play, errors: &mut Vec<PlaybookError>) {
    check_node(templar, &play.hosts, errors);
    if let Some(n) = &play.name {
        check_node(templar, n, errors);
    }
    for (_, v) in &play.vars {
        check_node(templar, v, errors);
    }
    for t in play.all_tasks().iter().chain(&play.handlers) {
        check_task(templar, t, errors);
    }
    // A handler notified by name must exist (names with templates are
    // checked when they are notified).
    let known: Vec<String> = play
        .handlers
        .iter()
        .flat_map(|h| {
            let mut names = h.listen.clone();
            if let Some(n) = h.name.as_ref().and_then(Node::as_str) {
                names.push(n.to_string());
            }
            names
        })
        .collect();
    // A handler whose name is a template could be any name: the check waits
    // for the run then.
    let templated = play.handlers.iter().any(|h| {
        h.name
            .as_ref()
            .and_then(Node::as_str)
            .is_some_and(crate::template::is_template)
    });
    for t in play.all_tasks().iter().chain(&play.handlers) {
        if templated {
            break;
        }
        for n in &t.notify {
            if let Some(name) = n.as_str()
                && !crate::template::is_template(name)
                && !known.iter().any(|k| k == name)
            {
                errors.push(
                    PlaybookError::new(
                        &n.span,
                        format!(
                            "The requested handler '{name}' was not found in either the main handlers list nor in the listening handlers list"
                        ),
                    )
                    .not_found(),
                );
            }
        }
    }
}

/// Runs a prepared request, reporting to `bus`.
pub async fn run(prepared: Prepared, bus: Arc<Bus>) -> RunOutcome {
    run_interruptible(prepared, bus, Arc::default()).await
}

/// Runs a prepared request; `interrupt` stops it early (Ctrl-C), and the
/// recap is still printed.
pub async fn run_interruptible(
    prepared: Prepared,
    bus: Arc<Bus>,
    interrupt: Arc<crate::exec::Interrupt>,
) -> RunOutcome {
    // Always: plaintexts can be revealed without any run password too
    // (the `unvault` filter takes its own), and an empty set costs nothing.
    bus.set_redactor(prepared.vault.clone());
    for w in &prepared.warnings {
        bus.emit(crate::output::Event::Warning(w.clone()));
    }
    let runner = Runner::new(
        prepared.templar.clone(),
        prepared.inventory.clone(),
        prepared.opts.clone(),
        prepared.extra.clone(),
        bus,
        interrupt.clone(),
    );
    for pb in &prepared.playbooks {
        if interrupt.stopping() {
            break;
        }
        runner.run_playbook(pb).await;
    }
    // Modules still running for `poll: 0` tasks end before the sessions
    // they use are closed.
    runner.settle_jobs(interrupt.stopping()).await;
    let outcome = runner.finish();
    runner.close_connections().await;
    outcome
}
