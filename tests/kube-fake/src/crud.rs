// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! GET, LIST, POST, PUT, PATCH and DELETE on stored objects, with optimistic
//! concurrency on `resourceVersion`, status kept apart from spec, generation
//! bumps, no-op writes that keep the revision, graceful pod deletion and
//! finalizers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::apply;
use crate::ids;
use crate::objects::{self, same_content, spec_part};
use crate::patch;
use crate::request::{Request, Target};
use crate::resources::{self, ResourceType};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::server::Shared;
use crate::status::{self, ApiError};
use crate::store::{Key, State, meta, meta_mut};

/// A handler's answer: a JSON body with its HTTP status.
pub struct Json {
    pub code: u16,
    pub body: Value,
}

fn ok(body: Value) -> Json {
    Json { code: 200, body }
}

fn ns_of(rt: &ResourceType, t: &Target) -> String {
    if rt.namespaced {
        t.namespace.clone().unwrap_or_default()
    } else {
        String::new()
    }
}

fn key(t: &Target, rt: &ResourceType, name: &str) -> Key {
    (t.ty, ns_of(rt, t), name.to_string())
}

/// A stored object as a client receives it (the store keeps it whole).
fn current(st: &State, t: &Target, rt: &ResourceType, name: &str) -> Result<Value, ApiError> {
    st.objects
        .get(&key(t, rt, name))
        .cloned()
        .ok_or_else(|| ApiError::not_found(rt, name))
}

pub fn get(sh: &Shared, t: &Target, name: &str) -> Result<Json, ApiError> {
    let rt = resources::get(t.ty);
    let st = sh.store.lock();
    current(&st, t, rt, name).map(ok)
}

/// The selectors of a list or watch request.
pub struct Selection {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub namespace: Option<String>,
}

impl Selection {
    pub fn from_request(req: &Request, t: &Target) -> Result<Self, ApiError> {
        let rt = resources::get(t.ty);
        Ok(Selection {
            labels: LabelSelector::parse(req.param("labelSelector").unwrap_or(""))?,
            fields: FieldSelector::parse(req.param("fieldSelector").unwrap_or(""), rt)?,
            namespace: if rt.namespaced {
                t.namespace.clone()
            } else {
                None
            },
        })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.labels.matches(obj)
            && self.fields.matches(obj)
            && self
                .namespace
                .as_ref()
                .is_none_or(|ns| meta(obj, "namespace").as_deref() == Some(ns))
    }
}

/// Items of a list are sent without `apiVersion`/`kind`, as the API server does.
fn list_item(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Value::Object(m) = &mut o {
        m.remove("apiVersion");
        m.remove("kind");
    }
    o
}

pub fn list(sh: &Shared, req: &Request, t: &Target) -> Result<Json, ApiError> {
    let rt = resources::get(t.ty);
    let sel = Selection::from_request(req, t)?;
    let st = sh.store.lock();
    let limit: usize = req.param("limit").and_then(|l| l.parse().ok()).unwrap_or(0);
    // The continue token: the revision of the first page and the last key sent.
    let (list_rv, start) = match req.param("continue") {
        Some(tok) => {
            let decoded = STANDARD
                .decode(tok)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .ok_or_else(|| {
                    ApiError::bad_request("continue key is not valid: illegal base64 data")
                })?;
            let rv = decoded.get("rv").and_then(Value::as_u64).unwrap_or(0);
            if rv < st.compacted {
                return Err(ApiError::expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                ));
            }
            (
                rv,
                decoded
                    .get("start")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
        }
        // `resourceVersionMatch=Exact` lists the store as it was at that revision.
        None if req.param("resourceVersionMatch") == Some("Exact") => {
            let rv: u64 = req
                .param("resourceVersion")
                .and_then(|r| r.parse().ok())
                .ok_or_else(|| {
                    ApiError::bad_request("resourceVersionMatch: Exact requires a resourceVersion")
                })?;
            if rv < st.compacted {
                return Err(ApiError::expired(
                    "The resourceVersion for the provided list is too old.",
                ));
            }
            (rv.min(st.rv), None)
        }
        None => (st.rv, None),
    };
    let ns_filter = sel.namespace.clone();
    // Later pages come from the first page's revision, as etcd serves them.
    let snapshot = st.snapshot_of_type(t.ty, list_rv);
    let matching: Vec<(&Key, &Value)> = snapshot
        .iter()
        .filter(|(k, _)| ns_filter.as_ref().is_none_or(|n| &k.1 == n))
        .filter(|(k, _)| {
            start
                .as_ref()
                .is_none_or(|s| format!("{}/{}", k.1, k.2) > *s)
        })
        .filter(|(_, o)| sel.matches(o))
        .collect();
    let total = matching.len();
    let take = if limit > 0 { limit.min(total) } else { total };
    let items: Vec<Value> = matching
        .iter()
        .take(take)
        .map(|(_, o)| list_item(o))
        .collect();
    let mut metadata = json!({"resourceVersion": list_rv.to_string()});
    if take < total
        && let Some((k, _)) = matching.get(take.saturating_sub(1))
    {
        let tok =
            json!({"v": "meta.k8s.io/v1", "rv": list_rv, "start": format!("{}/{}", k.1, k.2)});
        metadata["continue"] = json!(STANDARD.encode(tok.to_string()));
        if sel.labels.is_empty() && req.param("fieldSelector").is_none() {
            metadata["remainingItemCount"] = json!(total - take);
        }
    }
    Ok(ok(json!({
        "kind": format!("{}List", rt.kind),
        "apiVersion": rt.api_version(),
        "metadata": metadata,
        "items": items,
    })))
}

fn require_namespace(st: &State, rt: &ResourceType, ns: &str) -> Result<(), ApiError> {
    if rt.namespaced && !st.namespace_exists(ns) {
        return Err(ApiError::namespace_not_found(ns));
    }
    Ok(())
}

/// Stores a new object: the common end of POST and of server-side apply on a missing object.
pub fn insert_new(
    sh: &Shared,
    st: &mut State,
    t: &Target,
    mut obj: Value,
    manager: Option<&str>,
    dry_run: bool,
) -> Result<Value, ApiError> {
    let rt = resources::get(t.ty);
    objects::normalize(rt, &mut obj, t.namespace.as_deref())?;
    if meta(&obj, "name").is_none() {
        if let Some(prefix) = meta(&obj, "generateName") {
            meta_mut(&mut obj).insert("name".into(), json!(format!("{prefix}{}", ids::suffix(5))));
        } else {
            return Err(ApiError::invalid(
                rt,
                "",
                vec![(
                    "metadata.name".into(),
                    "Required value: name or generateName is required".into(),
                )],
            ));
        }
    }
    let ns = ns_of(rt, t);
    require_namespace(st, rt, &ns)?;
    objects::apply_defaults(rt, &mut obj);
    objects::validate(rt, &obj)?;
    let name = meta(&obj, "name").unwrap_or_default();
    let k = (t.ty, ns, name.clone());
    if st.objects.contains_key(&k) {
        return Err(ApiError::already_exists(rt, &name));
    }
    if let Some(s) = objects::initial_status(rt) {
        obj["status"] = s;
    }
    objects::stamp_new(rt, &mut obj);
    if let Some(m) = manager {
        apply::track_update(&mut obj, None, m, rt, "");
    }
    if dry_run {
        return Ok(obj);
    }
    sh.store
        .commit(st, &k, Some(obj))
        .ok_or_else(|| ApiError::internal("store refused the object"))
}

pub fn create(sh: &Shared, req: &Request, t: &Target) -> Result<Json, ApiError> {
    let mut obj = req.json()?;
    req.validate_fields(resources::get(t.ty), &mut obj)?;
    let mut st = sh.store.lock();
    let stored = insert_new(
        sh,
        &mut st,
        t,
        obj,
        Some(&req.field_manager()),
        req.dry_run(),
    )?;
    Ok(Json {
        code: 201,
        body: stored,
    })
}

/// Writes a new version of an existing object: the common end of PUT and PATCH.
/// `sub` is the subresource written (`status` writes only the status).
#[allow(clippy::too_many_arguments)]
pub fn write_existing(
    sh: &Shared,
    st: &mut State,
    t: &Target,
    name: &str,
    old: &Value,
    mut new: Value,
    manager: Option<&str>,
    sub: Option<&str>,
    dry_run: bool,
) -> Result<Value, ApiError> {
    let rt = resources::get(t.ty);
    objects::normalize(rt, &mut new, t.namespace.as_deref())?;
    match meta(&new, "name") {
        Some(n) if n != name => {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        _ => {
            meta_mut(&mut new).insert("name".into(), json!(name));
        }
    }
    if let Some(rv) = meta(&new, "resourceVersion")
        && Some(rv) != meta(old, "resourceVersion")
    {
        return Err(ApiError::conflict(rt, name));
    }
    // Fields only the server sets come from the stored object.
    for f in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "resourceVersion",
    ] {
        match old.pointer(&format!("/metadata/{f}")) {
            Some(v) => {
                meta_mut(&mut new).insert(f.into(), v.clone());
            }
            None => {
                meta_mut(&mut new).remove(f);
            }
        }
    }
    if sub == Some("status") {
        // A status write changes the status and nothing else.
        let status = new.get("status").cloned();
        new = old.clone();
        match status {
            Some(s) => new["status"] = s,
            None => {
                if let Value::Object(m) = &mut new {
                    m.remove("status");
                }
            }
        }
    } else if rt.has_status {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Value::Object(m) = &mut new {
                    m.remove("status");
                }
            }
        }
    }
    objects::apply_defaults(rt, &mut new);
    objects::validate(rt, &new)?;
    if rt.has_generation && spec_part(&new) != spec_part(old) {
        let g = old
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        meta_mut(&mut new).insert("generation".into(), json!(g));
    }
    if let Some(m) = manager {
        apply::track_update(&mut new, Some(old), m, rt, sub.unwrap_or(""));
    }
    if same_content(&new, old) {
        // A no-op write keeps the revision and sends no watch event.
        return Ok(old.clone());
    }
    if dry_run {
        return Ok(new);
    }
    let k = (t.ty, ns_of(rt, t), name.to_string());
    let finished = new.pointer("/metadata/deletionTimestamp").is_some()
        && new
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        && !st.deleting_since.contains_key(&k);
    if finished {
        sh.store.commit(st, &k, None);
        return Ok(new);
    }
    sh.store
        .commit(st, &k, Some(new))
        .ok_or_else(|| ApiError::internal("store refused the object"))
}

fn writable_sub(rt: &ResourceType, sub: Option<&str>, verb: &str) -> Result<(), ApiError> {
    match sub {
        None => Ok(()),
        Some("status") if rt.has_status => Ok(()),
        Some("finalize") if rt.kind == "Namespace" => Ok(()),
        Some(_) => Err(ApiError::method_not_allowed(verb, rt)),
    }
}

pub fn replace(sh: &Shared, req: &Request, t: &Target, name: &str) -> Result<Json, ApiError> {
    let rt = resources::get(t.ty);
    writable_sub(rt, t.subresource.as_deref(), "update")?;
    let mut new = req.json()?;
    req.validate_fields(rt, &mut new)?;
    let mut st = sh.store.lock();
    let old = current(&st, t, rt, name)?;
    let sub = t.subresource.as_deref().filter(|s| *s == "status");
    let stored = write_existing(
        sh,
        &mut st,
        t,
        name,
        &old,
        new,
        Some(&req.field_manager()),
        sub,
        req.dry_run(),
    )?;
    Ok(ok(stored))
}

pub fn patch(sh: &Shared, req: &Request, t: &Target, name: &str) -> Result<Json, ApiError> {
    let rt = resources::get(t.ty);
    writable_sub(rt, t.subresource.as_deref(), "patch")?;
    let ct = req
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if ct == "application/apply-patch+yaml" {
        return apply::server_side_apply(sh, req, t, name).map(ok);
    }
    let body = req.json()?;
    let mut st = sh.store.lock();
    let old = current(&st, t, rt, name)?;
    let mut new = old.clone();
    match ct.as_str() {
        "application/merge-patch+json" => patch::merge_patch(&mut new, &body),
        "application/json-patch+json" => patch::json_patch(&mut new, &body)?,
        "application/strategic-merge-patch+json" => patch::strategic_merge_patch(&mut new, &body)?,
        other => return Err(ApiError::unsupported_media_type(other)),
    }
    req.validate_fields(rt, &mut new)?;
    // `new` keeps the stored resourceVersion unless the patch sets one (then it must match).
    let sub = t.subresource.as_deref().filter(|s| *s == "status");
    let stored = write_existing(
        sh,
        &mut st,
        t,
        name,
        &old,
        new,
        Some(&req.field_manager()),
        sub,
        req.dry_run(),
    )?;
    Ok(ok(stored))
}

/// DeleteOptions from the body and the query.
pub struct DeleteOptions {
    pub grace: Option<i64>,
    pub propagation: String,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub dry_run: bool,
}

impl DeleteOptions {
    pub fn from_request(req: &Request) -> Self {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        DeleteOptions {
            grace: body
                .get("gracePeriodSeconds")
                .and_then(Value::as_i64)
                .or_else(|| req.param("gracePeriodSeconds").and_then(|g| g.parse().ok())),
            propagation: body
                .get("propagationPolicy")
                .and_then(Value::as_str)
                .or(req.param("propagationPolicy"))
                .unwrap_or("Background")
                .to_string(),
            uid: body
                .pointer("/preconditions/uid")
                .and_then(Value::as_str)
                .map(str::to_string),
            resource_version: body
                .pointer("/preconditions/resourceVersion")
                .and_then(Value::as_str)
                .map(str::to_string),
            dry_run: req.dry_run()
                || body
                    .get("dryRun")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|v| v == "All")),
        }
    }
}

/// Deletes one object. The body is the object for pods and for anything still
/// terminating, else a Success status, as the API server answers.
pub fn delete_one(
    sh: &Shared,
    st: &mut State,
    t: &Target,
    name: &str,
    opts: &DeleteOptions,
) -> Result<Json, ApiError> {
    let rt = resources::get(t.ty);
    let k = key(t, rt, name);
    let old = current(st, t, rt, name)?;
    let uid = meta(&old, "uid").unwrap_or_default();
    if let Some(want) = &opts.uid
        && *want != uid
    {
        return Err(ApiError::conflict_precondition(rt, name, "UID", want, &uid));
    }
    if let Some(want) = &opts.resource_version {
        let have = meta(&old, "resourceVersion").unwrap_or_default();
        if *want != have {
            return Err(ApiError::conflict_precondition(
                rt,
                name,
                "ResourceVersion",
                want,
                &have,
            ));
        }
    }
    let gone_body = |o: &Value| {
        if rt.kind == "Pod" {
            o.clone()
        } else {
            status::success(
                200,
                Some(json!({"name": name, "group": rt.group, "kind": rt.plural, "uid": uid})),
            )
        }
    };
    if opts.dry_run {
        return Ok(ok(gone_body(&old)));
    }
    let mut new = old.clone();
    let mut keep = false;
    if rt.kind == "Pod" {
        // Graceful deletion: a pod bound to a node waits for its kubelet.
        let phase = old
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("");
        let bound = old
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty());
        let default_grace = old
            .pointer("/spec/terminationGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(30);
        let grace = opts.grace.unwrap_or(default_grace).max(0);
        if bound && grace > 0 && !matches!(phase, "Succeeded" | "Failed") {
            let current_grace = old
                .pointer("/metadata/deletionGracePeriodSeconds")
                .and_then(Value::as_i64);
            if current_grace.is_none_or(|g| grace < g) {
                let at = chrono::Utc::now() + chrono::Duration::seconds(grace);
                let m = meta_mut(&mut new);
                m.insert("deletionTimestamp".into(), json!(ids::rfc3339(at)));
                m.insert("deletionGracePeriodSeconds".into(), json!(grace));
                st.deleting_since
                    .entry(k.clone())
                    .or_insert_with(std::time::Instant::now);
            }
            keep = true;
        }
    }
    if rt.kind == "Namespace" {
        // The namespace controller empties it first (controllers.rs), then removes it.
        if new.pointer("/metadata/deletionTimestamp").is_none() {
            meta_mut(&mut new).insert("deletionTimestamp".into(), json!(ids::now()));
            meta_mut(&mut new).insert("deletionGracePeriodSeconds".into(), json!(0));
            new["status"] = json!({"phase": "Terminating"});
        }
        keep = true;
    }
    if opts.propagation == "Foreground" && has_dependents(st, &uid) {
        // Foreground: the owner stays (finalizer `foregroundDeletion`) until the
        // garbage collector has removed its dependents.
        let m = meta_mut(&mut new);
        let fins = m.entry("finalizers").or_insert_with(|| json!([]));
        if let Value::Array(f) = fins
            && !f.iter().any(|x| x == "foregroundDeletion")
        {
            f.push(json!("foregroundDeletion"));
        }
        if !m.contains_key("deletionTimestamp") {
            m.insert("deletionTimestamp".into(), json!(ids::now()));
            m.insert("deletionGracePeriodSeconds".into(), json!(0));
        }
        let stored = sh.store.commit(st, &k, Some(new)).unwrap_or(Value::Null);
        return Ok(ok(stored));
    }
    let has_finalizers = old
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty());
    if has_finalizers {
        if new.pointer("/metadata/deletionTimestamp").is_none() {
            meta_mut(&mut new).insert("deletionTimestamp".into(), json!(ids::now()));
            meta_mut(&mut new).insert("deletionGracePeriodSeconds".into(), json!(0));
        }
        keep = true;
    }
    if opts.propagation == "Orphan" {
        orphan_dependents(sh, st, &uid);
    }
    if keep {
        let stored = if same_content(&new, &old) {
            old
        } else {
            sh.store.commit(st, &k, Some(new)).unwrap_or(Value::Null)
        };
        return Ok(ok(stored));
    }
    let last = sh.store.commit(st, &k, None).unwrap_or(old);
    Ok(ok(gone_body(&last)))
}

/// Whether any object names `owner_uid` among its owners.
pub fn has_dependents(st: &State, owner_uid: &str) -> bool {
    st.objects.values().any(|o| {
        o.pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|refs| {
                refs.iter()
                    .any(|r| r.get("uid").and_then(Value::as_str) == Some(owner_uid))
            })
    })
}

/// `propagationPolicy: Orphan`: dependents lose their owner reference and stay.
fn orphan_dependents(sh: &Shared, st: &mut State, owner_uid: &str) {
    let dependents: Vec<(Key, Value)> = st
        .objects
        .iter()
        .filter(|(_, o)| {
            o.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| {
                    refs.iter()
                        .any(|r| r.get("uid").and_then(Value::as_str) == Some(owner_uid))
                })
        })
        .map(|(k, o)| (k.clone(), o.clone()))
        .collect();
    for (k, mut o) in dependents {
        if let Some(Value::Array(refs)) = o.pointer_mut("/metadata/ownerReferences") {
            refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
        }
        sh.store.commit(st, &k, Some(o));
    }
}

pub fn delete(sh: &Shared, req: &Request, t: &Target, name: &str) -> Result<Json, ApiError> {
    let opts = DeleteOptions::from_request(req);
    let mut st = sh.store.lock();
    delete_one(sh, &mut st, t, name, &opts)
}

pub fn delete_collection(sh: &Shared, req: &Request, t: &Target) -> Result<Json, ApiError> {
    let rt = resources::get(t.ty);
    let sel = Selection::from_request(req, t)?;
    let opts = DeleteOptions::from_request(req);
    let mut st = sh.store.lock();
    let names: Vec<String> = st
        .of_type(t.ty, sel.namespace.as_deref())
        .filter(|(_, o)| sel.matches(o))
        .map(|(k, _)| k.2.clone())
        .collect();
    let mut items = Vec::new();
    for n in names {
        let r = delete_one(sh, &mut st, t, &n, &opts)?;
        if r.body.get("kind").and_then(Value::as_str) == Some(rt.kind) {
            items.push(list_item(&r.body));
        }
    }
    Ok(ok(json!({
        "kind": format!("{}List", rt.kind),
        "apiVersion": rt.api_version(),
        "metadata": {"resourceVersion": st.rv.to_string()},
        "items": items,
    })))
}

/// Kinds with a `scale` subresource.
pub fn scalable(rt: &ResourceType) -> bool {
    matches!(rt.kind, "Deployment" | "ReplicaSet" | "StatefulSet")
}

/// The `autoscaling/v1 Scale` view of a workload.
fn scale_of(obj: &Value) -> Value {
    let selector = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let md = obj.get("metadata").cloned().unwrap_or(json!({}));
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": md.get("name"), "namespace": md.get("namespace"), "uid": md.get("uid"),
            "resourceVersion": md.get("resourceVersion"), "creationTimestamp": md.get("creationTimestamp"),
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": selector},
    })
}

pub fn get_scale(sh: &Shared, t: &Target, name: &str) -> Result<Json, ApiError> {
    let rt = resources::get(t.ty);
    let st = sh.store.lock();
    current(&st, t, rt, name).map(|o| ok(scale_of(&o)))
}

/// PUT or PATCH of `scale`: only `spec.replicas` reaches the workload.
pub fn write_scale(sh: &Shared, req: &Request, t: &Target, name: &str) -> Result<Json, ApiError> {
    let rt = resources::get(t.ty);
    let body = req.json()?;
    let mut st = sh.store.lock();
    let old = current(&st, t, rt, name)?;
    let mut scale = scale_of(&old);
    if req.method == hyper::Method::PUT {
        scale = body;
    } else {
        let ct = req.content_type.split(';').next().unwrap_or("").trim();
        match ct {
            "application/json-patch+json" => patch::json_patch(&mut scale, &body)?,
            "application/strategic-merge-patch+json" => {
                patch::strategic_merge_patch(&mut scale, &body)?
            }
            "application/merge-patch+json" => patch::merge_patch(&mut scale, &body),
            other => return Err(ApiError::unsupported_media_type(other)),
        }
    }
    if let Some(rv) = meta(&scale, "resourceVersion")
        && Some(rv) != meta(&old, "resourceVersion")
    {
        return Err(ApiError::conflict(rt, name));
    }
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::invalid(
            rt,
            name,
            vec![(
                "spec.replicas".into(),
                format!("Invalid value: {replicas}: must be greater than or equal to 0"),
            )],
        ));
    }
    let mut new = old.clone();
    new["spec"]["replicas"] = json!(replicas);
    meta_mut(&mut new).remove("resourceVersion");
    let stored = write_existing(
        sh,
        &mut st,
        t,
        name,
        &old,
        new,
        Some(&req.field_manager()),
        Some("scale"),
        req.dry_run(),
    )?;
    Ok(ok(scale_of(&stored)))
}
