// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `kubernetes.core.k8s`: makes objects present (create, update by
//! strategic-merge patch, replace with `force`, client-side `apply` with the
//! last-applied annotation, or server-side apply), patched or absent, with
//! waits, check mode and diff. A second run with the same definition sends
//! no change and reports none.

use super::args::ArgReader;
use super::k8s_apply;
use super::k8s_common::{
    Condition, add_warnings, auth_args, cluster, hide_fields, int, k8s_args, predicate, str_list,
    wait_args,
};
use super::k8s_hash;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::k8s::{ApiResource, AuthArgs, K8sError, Kube, ListQuery, json_get};
use serde_json::{Map, Value as Json, json};
use std::time::Duration;

pub struct K8s;

const WAIT: [ArgSpec; 4] = wait_args!();

static SPEC: ModuleSpec = ModuleSpec {
    name: "k8s",
    args: k8s_args![
        ArgSpec::new("kind", T::Str),
        ArgSpec::new("name", T::Str),
        ArgSpec::new("namespace", T::Str),
        ArgSpec::new("api_version", T::Str).aliases(&["api", "version"]),
        ArgSpec::new("resource_definition", T::Raw).aliases(&["definition", "inline"]),
        ArgSpec::new("src", T::Path),
        ArgSpec::new("template", T::Raw),
        ArgSpec::new("state", T::Str).choices(&["present", "absent", "patched"]),
        ArgSpec::new("force", T::Bool),
        ArgSpec::new("merge_type", T::List),
        ArgSpec::new("validate", T::Dict),
        ArgSpec::new("append_hash", T::Bool),
        ArgSpec::new("apply", T::Bool),
        ArgSpec::new("delete_options", T::Dict),
        ArgSpec::new("continue_on_error", T::Bool),
        ArgSpec::new("label_selectors", T::List),
        ArgSpec::new("generate_name", T::Str),
        ArgSpec::new("server_side_apply", T::Dict),
        ArgSpec::new("delete_all", T::Bool).aliases(&["all"]),
        ArgSpec::new("hidden_fields", T::List),
        WAIT[0],
        WAIT[1],
        WAIT[2],
        WAIT[3],
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[
        &["resource_definition", "src"],
        &["merge_type", "apply"],
        &["template", "resource_definition"],
        &["template", "src"],
        &["name", "generate_name"],
    ],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct K8sArgs {
    auth: AuthArgs,
    source: Source,
    params: DefParams,
    state: String,
    force: bool,
    merge_types: Vec<String>,
    apply: bool,
    append_hash: bool,
    validate: Option<Validate>,
    server_side: Option<(String, bool)>,
    delete_options: Option<Json>,
    continue_on_error: bool,
    labels: Vec<String>,
    delete_all: bool,
    hidden: Vec<String>,
    wait: bool,
    wait_timeout: u64,
    condition: Option<Condition>,
    kind: Option<String>,
    api_version: String,
    namespace: Option<String>,
}

/// `validate`: each definition is checked by the API server itself, with a
/// dry-run request (`dryRun=All`) whose `fieldValidation` is `Strict` for
/// `strict: true` (unknown fields are errors) and `Ignore` otherwise. The
/// collection uses the kubernetes-validate Python package and its bundled
/// schemas instead; the server knows the exact schema of the cluster the
/// object is meant for (including its CRDs), so kiln asks it.
struct Validate {
    fail_on_error: bool,
    strict: bool,
}

/// Where the definitions come from; files and templates are read in
/// `plan` (they need the task's variables).
enum Source {
    Inline(Json),
    File(String),
    Template(Json),
    Params,
}

#[async_trait::async_trait]
impl Module for K8s {
    type Args = K8sArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<K8sArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        let server_side = match a.raw("server_side_apply") {
            Some(Json::Object(m)) => Some((
                m.get("field_manager")
                    .and_then(Json::as_str)
                    .unwrap_or("ansible")
                    .to_string(),
                m.get("force_conflicts")
                    .and_then(super::spec::to_bool)
                    .unwrap_or(false),
            )),
            _ => None,
        };
        let merge_types = str_list(&a, "merge_type");
        for m in &merge_types {
            if m != "merge" && m != "strategic-merge" {
                return Err(format!(
                    "value of merge_type must be one or more of: merge, strategic-merge. Got no match for: {m}"
                ));
            }
        }
        let source = if let Some(d) = a.raw("resource_definition") {
            Source::Inline(d.clone())
        } else if let Some(s) = a.str("src") {
            Source::File(s)
        } else if let Some(t) = a.raw("template") {
            Source::Template(t.clone())
        } else {
            Source::Params
        };
        let _ = int(&a, "wait_sleep", 5)?;
        let validate = match a.raw("validate") {
            Some(Json::Object(m)) => Some(parse_validate(m)?),
            _ => None,
        };
        Ok(K8sArgs {
            auth: auth_args(&a)?,
            source,
            params: DefParams {
                kind: a.str("kind"),
                api_version: a.str_or("api_version", "v1"),
                name: a.str("name"),
                namespace: a.str("namespace"),
                generate_name: a.str("generate_name"),
            },
            state: a.choice("state", Some("present"))?.unwrap_or_default(),
            force: a.bool("force", false)?,
            merge_types,
            apply: a.bool("apply", false)?,
            append_hash: a.bool("append_hash", false)?,
            validate,
            server_side,
            delete_options: a.raw("delete_options").cloned(),
            continue_on_error: a.bool("continue_on_error", false)?,
            labels: str_list(&a, "label_selectors"),
            delete_all: a.bool("delete_all", false)?,
            hidden: str_list(&a, "hidden_fields"),
            wait: a.bool("wait", false)?,
            wait_timeout: int(&a, "wait_timeout", 120)?.max(0) as u64,
            condition: Condition::parse(a.raw("wait_condition"))?,
            kind: a.str("kind"),
            api_version: a.str_or("api_version", "v1"),
            namespace: a.str("namespace"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &K8sArgs) -> Result<Step<()>, ModuleError> {
        let defs = match load_definitions(ctx, a) {
            Ok(d) => d,
            Err(e) => {
                return Ok(Step::Done(failed(format!(
                    "Failed to load resource definition: {e}"
                ))));
            }
        };
        Ok(Step::Done(run(ctx, a, defs).await))
    }

    async fn apply(&self, _: &ModuleCtx<'_>, _: &K8sArgs, _: ()) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

fn parse_validate(m: &Map<String, Json>) -> Result<Validate, String> {
    let flag = |k: &str, default: bool| match m.get(k) {
        None | Some(Json::Null) => Ok(default),
        Some(v) => super::spec::to_bool(v)
            .ok_or_else(|| format!("validate.{k}: {v} is not a valid boolean")),
    };
    for k in m.keys() {
        match k.as_str() {
            "fail_on_error" | "strict" => {}
            "version" if m[k].is_null() => {}
            "version" => {
                return Err(
                    "validate.version is not supported: kiln validates with the API server \
                     (a server-side dry run), which checks against its own version; remove \
                     the option"
                        .into(),
                );
            }
            other => {
                return Err(format!(
                    "Unsupported parameters for (k8s) module: validate.{other}. Supported parameters include: fail_on_error, strict, version."
                ));
            }
        }
    }
    Ok(Validate {
        fail_on_error: flag("fail_on_error", false)?,
        strict: flag("strict", true)?,
    })
}

/// The parameters merged into each definition (the collection's
/// `merge_params`).
struct DefParams {
    kind: Option<String>,
    api_version: String,
    name: Option<String>,
    namespace: Option<String>,
    generate_name: Option<String>,
}

/// Loads the documents of a YAML text (all of them, nulls dropped).
fn from_yaml(text: &str, file: &str) -> Result<Vec<Json>, String> {
    let loaded = crate::yaml::load_str(text, file).map_err(|e| {
        format!(
            "{} at {}:{}:{}",
            e.message, e.span.file, e.span.line, e.span.col
        )
    })?;
    Ok(loaded
        .docs
        .iter()
        .map(|d| d.to_json())
        .filter(|d| !d.is_null())
        .collect())
}

fn from_inline(d: &Json) -> Result<Vec<Json>, String> {
    let mut out = Vec::new();
    match d {
        Json::String(s) => out.extend(from_yaml(s, "<definition>")?),
        Json::Array(items) => {
            for it in items {
                match it {
                    Json::String(s) => out.extend(from_yaml(s, "<definition>")?),
                    Json::Null => {}
                    other => out.push(other.clone()),
                }
            }
        }
        Json::Null => {}
        other => out.push(other.clone()),
    }
    for d in &out {
        if !d.is_object() {
            return Err(format!(
                "a resource definition must be a mapping, got {}",
                super::spec::json_type(d)
            ));
        }
    }
    Ok(out)
}

fn merge_params(mut d: Json, p: &DefParams) -> Json {
    let Some(o) = d.as_object_mut() else {
        return d;
    };
    o.entry("kind").or_insert_with(|| json!(p.kind));
    o.entry("apiVersion")
        .or_insert_with(|| json!(p.api_version));
    let meta = o.entry("metadata").or_insert_with(|| json!({}));
    if let Some(m) = meta.as_object_mut() {
        if let Some(ns) = &p.namespace {
            m.entry("namespace").or_insert_with(|| json!(ns));
        }
        if let Some(n) = &p.name {
            m.entry("name").or_insert_with(|| json!(n));
        }
        if let Some(g) = &p.generate_name {
            m.entry("generateName").or_insert_with(|| json!(g));
        }
    }
    d
}

/// Merges the parameters and replaces `*List` kinds by their items.
fn finish_defs(defs: Vec<Json>, p: &DefParams) -> Vec<Json> {
    let mut out = Vec::new();
    for d in defs {
        let d = merge_params(d, p);
        let kind = d
            .get("kind")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(item_kind) = kind.strip_suffix("List") {
            let av = d.get("apiVersion").cloned().unwrap_or(Json::Null);
            for mut it in d
                .get("items")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
            {
                if let Some(o) = it.as_object_mut() {
                    o.entry("kind").or_insert_with(|| json!(item_kind));
                    o.entry("apiVersion").or_insert_with(|| av.clone());
                }
                out.push(merge_params(it, p));
            }
        } else {
            out.push(d);
        }
    }
    out
}

/// A path the task names, on the controller: absolute, or under the
/// playbook's directory (`files/`/`templates/` first, as Ansible searches).
fn controller_path(ctx: &ModuleCtx<'_>, p: &str, sub: &str) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(p);
    if path.is_absolute() {
        return path;
    }
    if let Ok(Some(pd)) = ctx.vars.resolve("playbook_dir") {
        let base =
            std::path::PathBuf::from(crate::template::value_to_json(&pd).as_str().unwrap_or("."));
        for cand in [base.join(sub).join(p), base.join(p)] {
            if cand.exists() {
                return cand;
            }
        }
    }
    path
}

/// The task's definitions: inline, from `src` (a controller file) or
/// `template`, or built from the parameters alone.
fn load_definitions(ctx: &ModuleCtx<'_>, a: &K8sArgs) -> Result<Vec<Json>, String> {
    let defs = match &a.source {
        Source::Inline(d) => from_inline(d)?,
        Source::Params => vec![json!({})],
        Source::File(p) => {
            let path = controller_path(ctx, p, "files");
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "cannot read {}: {}",
                    path.display(),
                    crate::transport::io_reason(&e)
                )
            })?;
            from_yaml(&text, &path.display().to_string())?
        }
        Source::Template(t) => {
            let name = match t {
                Json::String(s) => s.clone(),
                Json::Object(m) => m
                    .get("path")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
                _ => String::new(),
            };
            let path = controller_path(ctx, &name, "templates");
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "cannot read template {}: {}",
                    path.display(),
                    crate::transport::io_reason(&e)
                )
            })?;
            let rendered = ctx
                .templar
                .render_file(&text, ctx.vars, &Default::default())
                .map_err(|e| format!("template {}: {e}", path.display()))?;
            from_yaml(&rendered, &path.display().to_string())?
        }
    };
    Ok(finish_defs(defs, &a.params))
}

async fn run(ctx: &ModuleCtx<'_>, a: &K8sArgs, mut defs: Vec<Json>) -> ModResult {
    let (kube, warnings) = match cluster(ctx, &a.auth).await {
        Ok(k) => k,
        Err(msg) => return failed(msg),
    };
    // delete_all: every object of the kind (in the namespace, by labels).
    let no_name = defs.iter().all(|d| json_get(d, "metadata.name").is_none());
    if a.delete_all && a.state == "absent" && no_name {
        let Some(kind) = &a.kind else {
            return failed("'kind' option is required to specify the resource type.");
        };
        let res = match kube.resolve(&a.api_version, kind).await {
            Ok(Some(r)) => r,
            Ok(None) => return failed(not_found_msg(&a.api_version, kind)),
            Err(e) => return failed(format!("Failed to retrieve requested object: {e}")),
        };
        let q = ListQuery {
            label_selector: (!a.labels.is_empty()).then(|| a.labels.join(",")),
            field_selector: None,
        };
        defs = match kube.list(&res, a.namespace.as_deref(), &q).await {
            Ok((items, _)) => items,
            Err(e) => return failed(format!("Failed to retrieve requested object: {e}")),
        };
    }
    let mut results = Vec::new();
    let mut changed = false;
    for d in defs {
        let outcome = async {
            let checked = match &a.validate {
                Some(v) => validate_def(&kube, v, &d).await?,
                None => Vec::new(),
            };
            let mut r = perform(ctx, &kube, a, d).await?;
            add_warnings(&mut r, checked);
            Ok(r)
        };
        let r = match outcome.await {
            Ok(r) => r,
            Err(err) if a.continue_on_error => {
                let mut r = ModResult::new();
                r.insert("changed".into(), json!(false));
                r.insert("result".into(), json!({}));
                r.insert("error".into(), Json::Object(err));
                r
            }
            Err(mut err) => {
                err.insert("failed".into(), json!(true));
                add_warnings(&mut err, warnings);
                return err;
            }
        };
        changed |= r.get("changed").and_then(Json::as_bool).unwrap_or(false);
        results.push(r);
    }
    let mut out = if results.len() == 1 {
        results.pop().unwrap_or_default()
    } else {
        let mut m = ModResult::new();
        m.insert("changed".into(), json!(changed));
        m.insert(
            "result".into(),
            json!({"results": results.into_iter().map(Json::Object).collect::<Vec<_>>()}),
        );
        m
    };
    add_warnings(&mut out, warnings);
    out
}

/// `validate`: a dry run of the write with the server's field validation;
/// what the server refuses is the validation error, a warning unless
/// `fail_on_error`. Unknown kinds are left to `perform` to report.
async fn validate_def(kube: &Kube, v: &Validate, def: &Json) -> Checked {
    let text = |p: &str| json_get(def, p).and_then(Json::as_str).map(str::to_string);
    let kind = text("kind").unwrap_or_default();
    let api_version = text("apiVersion").unwrap_or_else(|| "v1".into());
    let Ok(Some(res)) = kube.resolve(&api_version, &kind).await else {
        return Ok(Vec::new());
    };
    let ns = text("metadata.namespace")
        .or_else(|| res.namespaced.then(|| kube.default_namespace.clone()));
    let mode = if v.strict { "Strict" } else { "Ignore" };
    let mut params = vec![
        ("dryRun", "All".to_string()),
        ("fieldValidation", mode.into()),
    ];
    let name = text("metadata.name");
    let answer = match &name {
        // Server-side apply validates a new and an existing object alike.
        Some(n) => {
            params.push(("fieldManager", "kiln-validate".into()));
            params.push(("force", "true".into()));
            let ct = "application/apply-patch+yaml";
            kube.patch(&res, ns.as_deref(), n, ct, def, &params).await
        }
        None => kube.create(&res, ns.as_deref(), def, &params).await,
    };
    match answer {
        Ok(_) => Ok(Vec::new()),
        Err(K8sError::Api {
            code: 400 | 422,
            message,
            ..
        }) => {
            let label = name
                .or_else(|| text("metadata.generateName"))
                .unwrap_or_default();
            let msg = format!("{kind} {label}: {message}");
            if v.fail_on_error {
                Err(error_result(msg, None))
            } else {
                Ok(vec![msg])
            }
        }
        Err(e) => Err(error_result(
            format!("Failed to validate object: {e}"),
            Some(&e),
        )),
    }
}

type Checked = Result<Vec<String>, Map<String, Json>>;

fn not_found_msg(api_version: &str, kind: &str) -> String {
    format!(
        "Failed to find exact match for {api_version}.{kind} by [kind, name, singularName, shortNames]"
    )
}

fn error_result(msg: String, e: Option<&K8sError>) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("msg".into(), json!(msg));
    if let Some(K8sError::Api { reason, code, .. }) = e {
        m.insert("reason".into(), json!(reason));
        m.insert("status".into(), json!(code));
    }
    m
}

type Outcome = Result<ModResult, Map<String, Json>>;

fn labels_match(def: &Json, selectors: &[String]) -> bool {
    let labels = json_get(def, "metadata.labels").and_then(Json::as_object);
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Json::as_str);
    selectors.iter().flat_map(|s| s.split(',')).all(|s| {
        let s = s.trim();
        if let Some((k, v)) = s.split_once("!=") {
            get(k.trim()) != Some(v.trim())
        } else if let Some((k, v)) = s.split_once("==").or_else(|| s.split_once('=')) {
            get(k.trim()) == Some(v.trim())
        } else if let Some(k) = s.strip_prefix('!') {
            get(k.trim()).is_none()
        } else {
            get(s).is_some()
        }
    })
}

async fn perform(ctx: &ModuleCtx<'_>, kube: &Kube, a: &K8sArgs, mut def: Json) -> Outcome {
    let kind = def
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    let api_version = def
        .get("apiVersion")
        .and_then(Json::as_str)
        .unwrap_or("v1")
        .to_string();
    if kind.is_empty() {
        return Err(error_result(
            "Error: kind is required (in the definition or as the kind option)".into(),
            None,
        ));
    }
    let res = match kube.resolve(&api_version, &kind).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(error_result(not_found_msg(&api_version, &kind), None)),
        Err(e) => {
            return Err(error_result(
                format!("Failed to retrieve requested object: {e}"),
                Some(&e),
            ));
        }
    };
    def["kind"] = json!(res.kind);
    def["apiVersion"] = json!(res.group_version);
    if a.append_hash
        && let Some(hash) = k8s_hash::suffix(&def)
        && let Some(meta) = def.get_mut("metadata").and_then(Json::as_object_mut)
    {
        for key in ["name", "generateName"] {
            if let Some(Json::String(n)) = meta.get(key).filter(|n| n.as_str() != Some("")) {
                let hashed = format!("{n}-{hash}");
                meta.insert(key.into(), json!(hashed));
                break;
            }
        }
    }
    let name = json_get(&def, "metadata.name")
        .and_then(Json::as_str)
        .map(str::to_string);
    let ns = json_get(&def, "metadata.namespace")
        .and_then(Json::as_str)
        .map(str::to_string)
        .or_else(|| res.namespaced.then(|| kube.default_namespace.clone()));
    let existing = match &name {
        Some(n) => kube.get(&res, ns.as_deref(), n).await.map_err(|e| {
            error_result(
                format!("Failed to retrieve requested object: {e}"),
                Some(&e),
            )
        })?,
        None => None,
    };
    let mut result = ModResult::new();
    result.insert("changed".into(), json!(false));
    let timeout = Duration::from_secs(a.wait_timeout);
    if a.state == "absent" {
        result.insert("method".into(), json!("delete"));
        // The objects to delete: the named one, or (no name) every one the
        // label selectors match, as the collection reads a List.
        let (targets, listed): (Vec<String>, bool) = match (&name, &existing) {
            (Some(n), Some(_)) => (vec![n.clone()], false),
            (None, _) if !a.labels.is_empty() => {
                let q = ListQuery {
                    label_selector: Some(a.labels.join(",")),
                    field_selector: None,
                };
                let (items, _) = kube.list(&res, ns.as_deref(), &q).await.map_err(|e| {
                    error_result(
                        format!("Failed to retrieve requested object: {e}"),
                        Some(&e),
                    )
                })?;
                let names = items
                    .iter()
                    .filter_map(|o| json_get(o, "metadata.name").and_then(Json::as_str))
                    .map(str::to_string)
                    .collect();
                (names, true)
            }
            _ => (Vec::new(), false),
        };
        let body = a.delete_options.as_ref().map(|o| {
            let mut b = json!({"apiVersion": "v1", "kind": "DeleteOptions"});
            if let (Some(bm), Some(om)) = (b.as_object_mut(), o.as_object()) {
                for (k, v) in om {
                    if !v.is_null() {
                        bm.insert(k.clone(), v.clone());
                    }
                }
            }
            b
        });
        let mut deleted = Vec::new();
        for n in &targets {
            result.insert("changed".into(), json!(true));
            if ctx.check_mode {
                continue;
            }
            let answer = kube
                .delete(&res, ns.as_deref(), n, body.as_ref())
                .await
                .map_err(|e| error_result(format!("Failed to delete object: {e}"), Some(&e)))?;
            deleted.push(answer);
            if a.wait {
                let pred = predicate(res.kind.clone(), None, true);
                let w = kube
                    .wait_for(&res, ns.as_deref(), n, &pred, timeout)
                    .await
                    .map_err(|e| error_result(format!("Failed to delete object: {e}"), Some(&e)))?;
                result.insert("duration".into(), json!(w.elapsed.as_secs()));
                if !w.satisfied {
                    return Err(timed_out(&res, n, result));
                }
            }
        }
        let instance = if listed {
            Json::Array(deleted)
        } else {
            deleted.pop().unwrap_or_else(|| json!({}))
        };
        result.insert("result".into(), hide_fields(instance, &a.hidden));
        return Ok(result);
    }
    if !a.labels.is_empty() && !labels_match(&def, &a.labels) {
        result.insert(
            "msg".into(),
            json!(format!(
                "resource 'kind={kind},name={},namespace={}' filtered by label_selectors.",
                name.as_deref().unwrap_or("None"),
                ns.as_deref().unwrap_or("None")
            )),
        );
        result.insert("result".into(), json!({}));
        return Ok(result);
    }
    let fail =
        |what: &str, e: K8sError| error_result(format!("Failed to {what} object: {e}"), Some(&e));
    let (method, mut instance) = if let Some((manager, force)) = &a.server_side {
        let n = name.clone().unwrap_or_default();
        let mut params = vec![("fieldManager", manager.clone())];
        if *force {
            params.push(("force", "true".into()));
        }
        if ctx.check_mode {
            params.push(("dryRun", "All".into()));
        }
        let v = kube
            .patch(
                &res,
                ns.as_deref(),
                &n,
                "application/apply-patch+yaml",
                &def,
                &params,
            )
            .await
            .map_err(|e| fail("apply", e))?;
        ("apply", v)
    } else if a.apply {
        match &existing {
            None => {
                let desired = k8s_apply::annotated(&def);
                let v = if ctx.check_mode {
                    desired
                } else {
                    kube.create(&res, ns.as_deref(), &desired, &[])
                        .await
                        .map_err(|e| fail("apply", e))?
                };
                ("apply", v)
            }
            Some(live) => {
                let patch = k8s_apply::apply_patch(live, &def)
                    .map_err(|e| error_result(format!("Failed to apply object: {e}"), None))?;
                // A patch that would leave the live object as it is (its
                // lists are complete, so they often repeat the live ones) is
                // not sent: the server would answer with the object
                // unchanged, and the object's status, moving meanwhile,
                // would read as a change.
                let patch = patch.filter(|p| merged(live, p) != *live);
                let v = match patch {
                    None => live.clone(),
                    Some(p) if ctx.check_mode => k8s_apply::dict_merge(live, &p),
                    Some(p) => {
                        let n = name.clone().unwrap_or_default();
                        kube.patch(
                            &res,
                            ns.as_deref(),
                            &n,
                            "application/merge-patch+json",
                            &p,
                            &[],
                        )
                        .await
                        .map_err(|e| fail("apply", e))?
                    }
                };
                ("apply", v)
            }
        }
    } else if existing.is_none() {
        if a.state == "patched" {
            result.insert(
                "warnings".into(),
                json!([format!(
                    "resource 'kind={kind},name={}' was not found but will not be created as 'state' parameter has been set to 'patched'",
                    name.as_deref().unwrap_or("None")
                )]),
            );
            result.insert("result".into(), json!({}));
            return Ok(result);
        }
        result.insert("changed".into(), json!(true));
        let v = if ctx.check_mode {
            def.clone()
        } else {
            kube.create(&res, ns.as_deref(), &def, &[])
                .await
                .map_err(|e| fail("create", e))?
        };
        ("create", v)
    } else if a.force {
        let n = name.clone().unwrap_or_default();
        let v = if ctx.check_mode {
            def.clone()
        } else {
            let mut body = def.clone();
            if let Some(rv) = existing
                .as_ref()
                .and_then(|e| json_get(e, "metadata.resourceVersion"))
            {
                body["metadata"]["resourceVersion"] = rv.clone();
            }
            kube.replace(&res, ns.as_deref(), &n, &body)
                .await
                .map_err(|e| fail("replace", e))?
        };
        ("replace", v)
    } else {
        let n = name.clone().unwrap_or_default();
        let live = existing.clone().unwrap_or(json!({}));
        let v = if ctx.check_mode || subset(&def, &live) {
            // Nothing to send: the object already has every field given.
            merged(&live, &def)
        } else {
            let types: Vec<String> = if a.merge_types.is_empty() {
                vec!["strategic-merge".into(), "merge".into()]
            } else {
                a.merge_types.clone()
            };
            let mut last_err = None;
            let mut got = None;
            for t in types {
                match kube
                    .patch(
                        &res,
                        ns.as_deref(),
                        &n,
                        &format!("application/{t}-patch+json"),
                        &def,
                        &[],
                    )
                    .await
                {
                    Ok(v) => {
                        got = Some(v);
                        break;
                    }
                    Err(e) => last_err = Some(e),
                }
            }
            match (got, last_err) {
                (Some(v), _) => v,
                (None, Some(e)) => return Err(fail("patch", e)),
                (None, None) => live.clone(),
            }
        };
        ("update", v)
    };
    result.insert("method".into(), json!(method));
    if a.wait && !ctx.check_mode {
        let n = json_get(&instance, "metadata.name")
            .and_then(Json::as_str)
            .map(str::to_string)
            .or(name.clone())
            .unwrap_or_default();
        let pred = predicate(res.kind.clone(), a.condition.clone(), false);
        let w = kube
            .wait_for(&res, ns.as_deref(), &n, &pred, timeout)
            .await
            .map_err(|e| error_result(format!("Failed to wait on object: {e}"), Some(&e)))?;
        result.insert("duration".into(), json!(w.elapsed.as_secs()));
        if let Some(o) = w.object {
            instance = o;
        }
        if !w.satisfied {
            result.insert("result".into(), hide_fields(instance, &a.hidden));
            return Err(timed_out(&res, &n, result));
        }
    }
    if method != "create" {
        let before = existing.clone().unwrap_or(json!({}));
        let (same, diff) = diff_objects(&before, &instance, &a.hidden);
        result.insert("changed".into(), json!(!same));
        if ctx.diff {
            result.insert("diff".into(), diff);
        }
    }
    result.insert("result".into(), hide_fields(instance, &a.hidden));
    Ok(result)
}

fn timed_out(res: &ApiResource, name: &str, result: ModResult) -> Map<String, Json> {
    let mut m = result;
    m.insert(
        "msg".into(),
        json!(format!(
            "\"{}\" \"{name}\": Timed out waiting on resource",
            res.kind
        )),
    );
    m
}

/// Whether every field of `want` is in `have` with the same value (lists
/// element by element, objects recursively): server defaults in `have` do
/// not count as differences.
fn subset(want: &Json, have: &Json) -> bool {
    match (want, have) {
        (Json::Object(w), Json::Object(h)) => w.iter().all(|(k, v)| {
            h.get(k).is_some_and(|hv| subset(v, hv)) || (v.is_null() && !h.contains_key(k))
        }),
        (Json::Array(w), Json::Array(h)) => {
            w.len() == h.len() && w.iter().zip(h).all(|(a, b)| subset(a, b))
        }
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

/// `base` with `patch` merged in (JSON merge patch rules), as check mode
/// predicts the result.
fn merged(base: &Json, patch: &Json) -> Json {
    match (base, patch) {
        (Json::Object(b), Json::Object(p)) => {
            let mut out = b.clone();
            for (k, v) in p {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let nv = merged(b.get(k).unwrap_or(&Json::Null), v);
                    out.insert(k.clone(), nv);
                }
            }
            Json::Object(out)
        }
        (_, p) => p.clone(),
    }
}

/// Ansible's `recursive_diff`: the keys that differ, left and right.
fn recursive_diff(a: &Map<String, Json>, b: &Map<String, Json>) -> Option<(Json, Json)> {
    let mut left = Map::new();
    let mut right = Map::new();
    for (k, av) in a {
        match b.get(k) {
            None => {
                left.insert(k.clone(), av.clone());
            }
            Some(bv) => match (av, bv) {
                (Json::Object(x), Json::Object(y)) => {
                    if let Some((l, r)) = recursive_diff(x, y) {
                        left.insert(k.clone(), l);
                        right.insert(k.clone(), r);
                    }
                }
                _ if av != bv => {
                    left.insert(k.clone(), av.clone());
                    right.insert(k.clone(), bv.clone());
                }
                _ => {}
            },
        }
    }
    for (k, bv) in b {
        if !a.contains_key(k) {
            right.insert(k.clone(), bv.clone());
        }
    }
    if left.is_empty() && right.is_empty() {
        None
    } else {
        Some((Json::Object(left), Json::Object(right)))
    }
}

/// The collection's `diff_objects`: whether the objects match (changes of
/// only generation/resourceVersion do not count) and the diff shown.
fn diff_objects(existing: &Json, new: &Json, hidden: &[String]) -> (bool, Json) {
    let empty = Map::new();
    let Some((before, after)) = recursive_diff(
        existing.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    ) else {
        return (true, json!({}));
    };
    let before = hide_fields(before, hidden);
    let after = hide_fields(after, hidden);
    let only_meta = |v: &Json| {
        v.as_object()
            .is_some_and(|m| m.len() == 1 && m.contains_key("metadata"))
            && json_get(v, "metadata")
                .and_then(Json::as_object)
                .is_some_and(|m| {
                    m.keys()
                        .all(|k| k == "generation" || k == "resourceVersion")
                })
    };
    let same = only_meta(&before) && only_meta(&after);
    (same, json!({"before": before, "after": after}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_and_list_definitions() {
        let defs = from_inline(&json!("---\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\nkind: Secret\nmetadata: {name: b}\n")).unwrap();
        assert_eq!(defs.len(), 2);
        let p = DefParams {
            kind: None,
            api_version: "v1".into(),
            name: None,
            namespace: Some("ns1".into()),
            generate_name: None,
        };
        let out = finish_defs(
            vec![
                json!({"kind": "ConfigMapList", "apiVersion": "v1", "items": [{"metadata": {"name": "x"}}]}),
            ],
            &p,
        );
        assert_eq!(
            out,
            vec![
                json!({"metadata": {"name": "x", "namespace": "ns1"}, "kind": "ConfigMap", "apiVersion": "v1"})
            ]
        );
        assert!(from_inline(&json!("kind: [unclosed")).is_err());
        assert!(from_inline(&json!(["just text"])).is_err());
    }

    #[test]
    fn only_version_changes_do_not_count() {
        let a = json!({"metadata": {"resourceVersion": "1", "name": "x"}, "data": {"k": "v"}});
        let b = json!({"metadata": {"resourceVersion": "2", "name": "x"}, "data": {"k": "v"}});
        assert!(diff_objects(&a, &b, &[]).0);
        let c = json!({"metadata": {"resourceVersion": "2", "name": "x"}, "data": {"k": "w"}});
        let (same, diff) = diff_objects(&a, &c, &[]);
        assert!(!same);
        assert_eq!(diff["after"]["data"], json!({"k": "w"}));
    }

    #[test]
    fn label_selector_filter() {
        let d = json!({"metadata": {"labels": {"app": "web", "tier": "front"}}});
        assert!(labels_match(&d, &["app=web".into()]));
        assert!(labels_match(&d, &["app=web,tier!=back".into()]));
        assert!(!labels_match(&d, &["app=db".into()]));
        assert!(labels_match(&d, &["tier".into(), "!missing".into()]));
    }
}
