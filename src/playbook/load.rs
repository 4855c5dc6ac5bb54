// SPDX-License-Identifier: MIT
//! From YAML nodes to plays and tasks, validating as it goes.

use super::keywords::{
    PLAY_IMPLEMENTED, PLAY_KEYWORDS, TASK_IMPLEMENTED, TASK_KEYWORDS, WITH_LOOKUPS, did_you_mean,
};
use super::kv::{self, Token};
use super::{Inherited, Loop, Play, Playbook, PlaybookError, Task};
use crate::modules::{self, FreeForm};
use crate::span::Span;
use crate::yaml::{self, Node, NodeKind};
use std::path::Path;

/// Reads and validates a playbook file.
pub fn load_playbook(path: &Path) -> Result<Playbook, Vec<PlaybookError>> {
    let loaded = yaml::load_file(path).map_err(|e| vec![yaml_error(e)])?;
    build(path, loaded)
}

/// Validates a playbook given as text (`name` is used in spans).
pub fn load_playbook_str(src: &str, name: &str) -> Result<Playbook, Vec<PlaybookError>> {
    let loaded = yaml::load_str(src, name).map_err(|e| vec![yaml_error(e)])?;
    build(Path::new(name), loaded)
}

fn yaml_error(e: yaml::YamlError) -> PlaybookError {
    let mut msg = e.message.clone();
    if !e.excerpt.is_empty() {
        msg = format!("{msg}\n{}", e.excerpt.trim_end());
    }
    PlaybookError {
        span: e.span,
        message: msg,
        hint: e.hint,
    }
}

fn build(path: &Path, loaded: yaml::Loaded) -> Result<Playbook, Vec<PlaybookError>> {
    let mut errors = Vec::new();
    let warnings = loaded.warnings.iter().map(|w| w.to_string()).collect();
    let file_span = Span::new(path.display().to_string(), 1, 1);
    let Some(doc) = loaded.docs.first() else {
        return Err(vec![
            PlaybookError::new(&file_span, "the playbook is empty")
                .hint("a playbook is a YAML list of plays, each with at least `hosts:`"),
        ]);
    };
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
    for item in items {
        match play(item) {
            Ok(p) => plays.push(p),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(Playbook {
            path: path.to_path_buf(),
            plays,
            warnings,
        })
    } else {
        Err(errors)
    }
}

/// Checks a keyword against the known and implemented lists.
fn check_keyword(
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

fn mapping<'a>(n: &'a Node, what: &str) -> Result<&'a [(Node, Node)], PlaybookError> {
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

fn vars_of(n: &Node) -> Result<Vec<(String, Node)>, PlaybookError> {
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

fn inherit_key(inh: &mut Inherited, key: &str, v: &Node) -> bool {
    let slot = match key {
        "become" => &mut inh.become_,
        "become_user" => &mut inh.become_user,
        "become_method" => &mut inh.become_method,
        "ignore_errors" => &mut inh.ignore_errors,
        "check_mode" => &mut inh.check_mode,
        "no_log" => &mut inh.no_log,
        "remote_user" => &mut inh.remote_user,
        "connection" => &mut inh.connection,
        "port" => &mut inh.port,
        _ => return false,
    };
    *slot = Some(v.clone());
    true
}

fn play(n: &Node) -> Result<Play, Vec<PlaybookError>> {
    let pairs = mapping(n, "play").map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    if n.get("import_playbook").is_some() || n.get("ansible.builtin.import_playbook").is_some() {
        return Err(vec![PlaybookError::new(
            &n.span,
            "'import_playbook' is not supported by kiln yet",
        )]);
    }
    let mut name = None;
    let mut hosts = None;
    let mut vars = Vec::new();
    let mut gather = None;
    let mut inherit = Inherited::default();
    let mut tasks = Vec::new();
    let mut sections: Vec<(u8, &Node)> = Vec::new();
    for (k, v) in pairs {
        if let Err(e) = check_keyword(k, PLAY_KEYWORDS, PLAY_IMPLEMENTED, "play", &[]) {
            errors.push(e);
            continue;
        }
        let key = k.as_str().unwrap_or_default();
        match key {
            "name" => name = Some(v.clone()),
            "hosts" => hosts = Some(v.clone()),
            "vars" => match vars_of(v) {
                Ok(x) => vars = x,
                Err(e) => errors.push(e),
            },
            "gather_facts" => gather = Some(v.clone()),
            "pre_tasks" => sections.push((0, v)),
            "tasks" => sections.push((1, v)),
            "post_tasks" => sections.push((2, v)),
            other => {
                inherit_key(&mut inherit, other, v);
            }
        }
    }
    // pre_tasks, then tasks, then post_tasks, whatever order they are written in.
    sections.sort_by_key(|(order, _)| *order);
    for (_, list) in sections {
        if list.is_null() {
            continue;
        }
        let Some(items) = list.as_seq() else {
            errors.push(PlaybookError::new(
                &list.span,
                format!(
                    "A list of tasks is expected, got a {} instead",
                    list.type_name()
                ),
            ));
            continue;
        };
        for t in items {
            match task(t) {
                Ok(t) => tasks.push(t),
                Err(e) => errors.push(e),
            }
        }
    }
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
    if errors.is_empty() {
        Ok(Play {
            span: n.span.clone(),
            name,
            hosts,
            vars,
            gather_facts: gather,
            inherit,
            tasks,
        })
    } else {
        Err(errors)
    }
}

fn conditions(v: &Node) -> Vec<Node> {
    match &v.kind {
        NodeKind::Seq(items) => items.clone(),
        NodeKind::Null => Vec::new(),
        _ => vec![v.clone()],
    }
}

const BLOCK_KEYS: &[&str] = &["block", "rescue", "always"];
const INCLUDE_KEYS: &[&str] = &[
    "include_tasks",
    "import_tasks",
    "include_role",
    "import_role",
    "include_vars",
    "import_playbook",
    "include",
];

fn task(n: &Node) -> Result<Task, PlaybookError> {
    let pairs = mapping(n, "task")?;
    let mut t = Task {
        span: n.span.clone(),
        name: None,
        action: String::new(),
        action_written: String::new(),
        action_span: n.span.clone(),
        args: Vec::new(),
        when: Vec::new(),
        changed_when: Vec::new(),
        failed_when: Vec::new(),
        register: None,
        loop_: None,
        vars: Vec::new(),
        inherit: Inherited::default(),
    };
    let mut action: Option<(&Node, &Node)> = None;
    let mut extra_args: Option<&Node> = None;
    for (k, v) in pairs {
        let key = k.as_str().unwrap_or_default();
        if BLOCK_KEYS.contains(&key) {
            return Err(PlaybookError::new(
                &k.span,
                format!("'{key}' is not supported by kiln yet"),
            ));
        }
        let short = modules::canonical(key);
        if INCLUDE_KEYS.contains(&short) {
            return Err(PlaybookError::new(
                &k.span,
                format!("'{short}' is not supported by kiln yet"),
            ));
        }
        if let Some(lookup) = key.strip_prefix("with_") {
            if !WITH_LOOKUPS.contains(&lookup) {
                return Err(PlaybookError::new(
                    &k.span,
                    format!("'with_{lookup}' is not supported by kiln yet"),
                ));
            }
            if t.loop_.is_some() {
                return Err(PlaybookError::new(
                    &k.span,
                    "only one loop (loop or with_*) is allowed per task",
                ));
            }
            t.loop_ = Some(Loop::With {
                lookup: lookup.to_string(),
                items: v.clone(),
            });
            continue;
        }
        if TASK_KEYWORDS.contains(&key) {
            check_keyword(k, TASK_KEYWORDS, TASK_IMPLEMENTED, "task", &[])?;
            match key {
                "name" => t.name = Some(v.clone()),
                "when" => t.when = conditions(v),
                "changed_when" => t.changed_when = conditions(v),
                "failed_when" => t.failed_when = conditions(v),
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
                    if t.loop_.is_some() {
                        return Err(PlaybookError::new(
                            &k.span,
                            "only one loop (loop or with_*) is allowed per task",
                        ));
                    }
                    t.loop_ = Some(Loop::Loop(v.clone()));
                }
                "vars" => t.vars = vars_of(v)?,
                "args" => extra_args = Some(v),
                "action" => {
                    if let Some((prev, _)) = action {
                        return Err(conflict(prev, k));
                    }
                    action = Some((k, v));
                }
                other => {
                    inherit_key(&mut t.inherit, other, v);
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
    let Some((ak, av)) = action else {
        return Err(
            PlaybookError::new(&n.span, "no module/action detected in task.")
                .hint("a task needs one module, e.g. `command: uptime`"),
        );
    };
    // `action: module args` names the module inside its value.
    let (module_name, module_span, value) = if ak.as_str() == Some("action") {
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
    Ok(t)
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
                args.insert(
                    0,
                    (
                        "_raw_params".into(),
                        Node::str(raw.join(" "), v.span.clone()),
                    ),
                );
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
