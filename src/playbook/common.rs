// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Helpers shared by the play, block, task and role loaders.

use super::keywords::did_you_mean;
use super::{Inherited, PlaybookError, Role};
use crate::modules;
use crate::vault::{Secrets, YamlFileError};
use crate::yaml::{self, Node, NodeKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Settings that change how playbooks are found and read.
#[derive(Clone, Default)]
pub struct LoadOptions {
    /// `roles_path` from ansible.cfg and `ANSIBLE_ROLES_PATH`, in order.
    pub roles_path: Vec<PathBuf>,
    /// The run's vault passwords: any file read may be a whole vault.
    pub vault: Arc<crate::vault::VaultSecrets>,
    /// The run's extra vars (`-e`): static import names may use them.
    pub extra: Arc<crate::vars::Layer>,
    /// The run's templar (its lookups and config); a plain one when unset.
    pub templar: Option<Arc<crate::template::Templar>>,
}

impl std::fmt::Debug for LoadOptions {
    // The templar holds caches and environments worth nothing in a dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("roles_path", &self.roles_path)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Where the loader is: the file's directory, what enclosing blocks, roles
/// and imports pass down, and the playbook's own directory.
#[derive(Debug, Clone)]
pub(super) struct Ctx<'a> {
    pub dir: PathBuf,
    pub playbook_dir: PathBuf,
    pub inherit: Inherited,
    pub role: Option<Arc<Role>>,
    pub opts: &'a LoadOptions,
    /// How deep static imports are nested (a cycle guard).
    pub depth: usize,
    /// Loading a handlers list.
    pub handlers: bool,
    /// YAML warnings met in files loaded on the way.
    pub warnings: std::rc::Rc<std::cell::RefCell<Vec<String>>>,
    /// Handlers of roles imported or included by tasks: they join the
    /// play's handlers.
    pub role_handlers: std::rc::Rc<std::cell::RefCell<Vec<std::sync::Arc<super::Task>>>>,
    /// Roles named by `import_role`: the play lists them after its
    /// `roles:` (`ansible_play_role_names`).
    pub role_uses: std::rc::Rc<std::cell::RefCell<Vec<Arc<Role>>>>,
    /// Loading a role only for its handlers.
    pub handlers_only: bool,
    /// Files of `include_tasks` already checked while loading (each once,
    /// however often and however recursively it is included).
    pub checked_includes: std::rc::Rc<std::cell::RefCell<std::collections::HashSet<PathBuf>>>,
    /// The play's variables known while loading (static_vars.rs), lowest
    /// precedence first.
    pub known: Vec<Arc<crate::vars::Layer>>,
}

impl Ctx<'_> {
    pub fn child(&self, inherit: &Inherited) -> Self {
        let mut c = self.clone();
        c.inherit = self.inherit.merged(inherit);
        c
    }
}

/// Imports nested deeper than this are a cycle.
pub(super) const MAX_DEPTH: usize = 64;

pub(super) fn yaml_error(e: yaml::YamlError) -> PlaybookError {
    let mut msg = e.message.clone();
    if !e.excerpt.is_empty() {
        msg = format!("{msg}\n{}", e.excerpt.trim_end());
    }
    PlaybookError {
        span: e.span,
        message: msg,
        hint: e.hint,
        vault: None,
        exit: 4,
    }
}

/// Reads a YAML file through the vault layer's one reader (it may be a
/// whole vault); `mark` says which of its strings are secrets.
pub(super) fn read_yaml(
    path: &Path,
    opts: &LoadOptions,
    mark: Secrets,
) -> Result<yaml::Loaded, PlaybookError> {
    crate::vault::load_yaml_file(path, &opts.vault, mark).map_err(|e| match e {
        YamlFileError::Vault(v) => PlaybookError::vault(v),
        YamlFileError::Yaml(y) => yaml_error(y),
    })
}

/// Loads one YAML file whose single document is expected.
pub(super) fn load_doc(
    path: &Path,
    ctx: &Ctx,
    mark: Secrets,
) -> Result<Option<Node>, PlaybookError> {
    let loaded = read_yaml(path, ctx.opts, mark)?;
    ctx.warnings
        .borrow_mut()
        .extend(loaded.warnings.iter().map(|w| w.to_string()));
    Ok(loaded.docs.into_iter().next())
}

/// Checks a keyword against the known and implemented lists.
pub(super) fn check_keyword(
    key: &Node,
    known: &[&str],
    implemented: &[&str],
    what: &str,
    extra: &[&str],
) -> Result<(), PlaybookError> {
    let k = key.as_str().unwrap_or_default();
    if implemented.contains(&k) {
        return Ok(());
    }
    if known.contains(&k) {
        return Err(PlaybookError::new(
            &key.span,
            format!("the {what} keyword '{k}' is not supported by kiln yet"),
        )
        .hint("remove it, or run this playbook with ansible-playbook until kiln supports it"));
    }
    let mut e = PlaybookError::new(
        &key.span,
        format!("'{k}' is not a valid attribute for a {what}"),
    );
    if let Some(s) = did_you_mean(k, known.iter().copied().chain(extra.iter().copied())) {
        e = e.hint(format!("did you mean '{s}'?"));
    }
    Err(e)
}

pub(super) fn mapping<'a>(n: &'a Node, what: &str) -> Result<&'a [(Node, Node)], PlaybookError> {
    n.as_map().ok_or_else(|| {
        PlaybookError::new(
            &n.span,
            format!(
                "a {what} must be a mapping, got a {} instead",
                n.type_name()
            ),
        )
    })
}

pub(super) fn vars_of(n: &Node) -> Result<Vec<(String, Node)>, PlaybookError> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    let pairs = n.as_map().ok_or_else(|| {
        PlaybookError::new(
            &n.span,
            format!(
                "Vars in a play or task must be specified as a dictionary, got a {} instead",
                n.type_name()
            ),
        )
    })?;
    let mut out = Vec::new();
    for (k, v) in pairs {
        let name = k.key_string();
        if !modules::is_identifier(&name) {
            return Err(PlaybookError::new(
                &k.span,
                format!(
                    "Invalid variable name in vars specified for a play or task: '{name}' is not a valid variable name"
                ),
            ));
        }
        out.push((name, v.clone()));
    }
    Ok(out)
}

/// A condition list (`when`, `changed_when`, `failed_when`, `until`).
pub(super) fn conditions(v: &Node) -> Vec<Node> {
    match &v.kind {
        NodeKind::Seq(items) => items.clone(),
        NodeKind::Null => Vec::new(),
        _ => vec![v.clone()],
    }
}

/// Tags: a string (comma separated), a number, or a list of them.
pub(super) fn tags_of(v: &Node) -> Result<Vec<String>, PlaybookError> {
    let one = |n: &Node| -> Result<Vec<String>, PlaybookError> {
        match &n.kind {
            NodeKind::Str(s) => Ok(s
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()),
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => Ok(vec![n.key_string()]),
            NodeKind::Null => Ok(Vec::new()),
            _ => Err(PlaybookError::new(
                &n.span,
                "tags must be a string or a list of strings",
            )),
        }
    };
    match &v.kind {
        NodeKind::Seq(items) => {
            let mut out = Vec::new();
            for i in items {
                out.extend(one(i)?);
            }
            Ok(out)
        }
        _ => one(v),
    }
}

/// Keywords whose value Ansible types as a string: a list or a mapping
/// there is refused when the playbook is loaded.
const STRING_KEYWORDS: &[&str] = &[
    "become_user",
    "become_method",
    "become_exe",
    "become_flags",
    "remote_user",
    "connection",
    "delegate_to",
];

/// Stores a keyword that blocks and tasks share; false when `key` is not one.
pub(super) fn inherit_key(inh: &mut Inherited, key: &str, v: &Node) -> Result<bool, PlaybookError> {
    if STRING_KEYWORDS.contains(&key) && (v.as_seq().is_some() || v.as_map().is_some()) {
        return Err(PlaybookError::new(
            &v.span,
            format!(
                "The field '{key}' is supposed to be a string type, however the incoming data structure is a {}",
                v.type_name()
            ),
        ));
    }
    let slot = match key {
        "become" => &mut inh.become_,
        "become_user" => &mut inh.become_user,
        "become_method" => &mut inh.become_method,
        "ignore_errors" => &mut inh.ignore_errors,
        "ignore_unreachable" => &mut inh.ignore_unreachable,
        "check_mode" => &mut inh.check_mode,
        "no_log" => &mut inh.no_log,
        "remote_user" => &mut inh.remote_user,
        "connection" => &mut inh.connection,
        "port" => &mut inh.port,
        "delegate_to" => &mut inh.delegate_to,
        "run_once" => &mut inh.run_once,
        "any_errors_fatal" => &mut inh.any_errors_fatal,
        "diff" => &mut inh.diff,
        "throttle" => &mut inh.throttle,
        "timeout" => &mut inh.timeout,
        "become_flags" => &mut inh.become_flags,
        "become_exe" => &mut inh.become_exe,
        "delegate_facts" => &mut inh.delegate_facts,
        "collections" => &mut inh.collections,
        "debugger" => &mut inh.debugger,
        "module_defaults" => {
            // ansible-core resolves every `group/NAME` when it loads the
            // playbook: a group it does not know fails the load.
            let dicts: Vec<&Node> = match v.as_seq() {
                Some(items) => items.iter().collect(),
                None => vec![v],
            };
            for (k, _) in dicts.into_iter().filter_map(Node::as_map).flatten() {
                if let Some(g) = k.key_string().strip_prefix("group/")
                    && let Some(msg) = crate::modules::action_groups::unresolved(g)
                {
                    return Err(PlaybookError::new(&k.span, msg));
                }
            }
            if !v.is_null() {
                inh.module_defaults.push(v.clone());
            }
            return Ok(true);
        }
        "environment" => {
            if !v.is_null() {
                inh.environment.push(v.clone());
            }
            return Ok(true);
        }
        "tags" => {
            inh.tags = tags_of(v)?;
            return Ok(true);
        }
        "when" => {
            inh.when = conditions(v);
            return Ok(true);
        }
        "vars" => {
            inh.vars = vars_of(v)?;
            return Ok(true);
        }
        _ => return Ok(false),
    };
    *slot = Some(v.clone());
    Ok(true)
}

/// A list of task entries, or an error saying what was found instead.
pub(super) fn task_list<'a>(n: &'a Node, what: &str) -> Result<&'a [Node], PlaybookError> {
    if n.is_null() {
        return Ok(&[]);
    }
    n.as_seq().ok_or_else(|| {
        PlaybookError::new(
            &n.span,
            format!(
                "A list of {what} is expected, got a {} instead",
                n.type_name()
            ),
        )
    })
}
