// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Field ownership: `metadata.managedFields` kept on every write, and
//! server-side apply (`application/apply-patch+yaml`) with field managers,
//! conflicts (409 naming each contested field) and `force=true` taking
//! ownership, as structured-merge-diff does for the fields tests touch.
//!
//! A field set is a set of paths in the `fieldsV1` notation: `f:spec`,
//! `k:{"name":"app"}` for an item of a keyed list, `v:"x"` for a member of
//! a set, and `.` for a keyed item itself.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::crud;
use crate::ids;
use crate::patch::{is_merged_set, merge_key, strategic_merge_patch};
use crate::request::{Request, Target};
use crate::resources::{self, ResourceType};
use crate::server::Shared;
use crate::status::ApiError;
use crate::store::{meta, meta_mut};

type Path = Vec<String>;
type FieldSet = BTreeSet<Path>;

/// Metadata the server owns: never part of anyone's field set.
const SERVER_META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

fn item_key(field: &str, item: &Value, siblings: &[Value]) -> Option<String> {
    let key = merge_key(field, siblings)?;
    let v = item.get(key)?;
    let mut m = Map::new();
    m.insert(key.to_string(), v.clone());
    Some(format!("k:{}", Value::Object(m)))
}

fn collect(v: &Value, field: &str, path: &mut Path, out: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                path.push(format!("f:{k}"));
                collect(child, k, path, out);
                path.pop();
            }
        }
        Value::Array(items) if is_merged_set(field) => {
            for i in items {
                path.push(format!("v:{i}"));
                out.insert(path.clone());
                path.pop();
            }
        }
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|i| item_key(field, i, items).is_some()) =>
        {
            for i in items {
                if let Some(k) = item_key(field, i, items) {
                    path.push(k);
                    path.push(".".into());
                    out.insert(path.clone());
                    path.pop();
                    collect(i, "", path, out);
                    path.pop();
                }
            }
        }
        _ => {
            out.insert(path.clone());
        }
    }
}

/// The fields an object sets, leaving out server-owned metadata; `part`
/// picks the main resource (without status when status is a subresource) or `status`.
fn field_set(obj: &Value, rt: &ResourceType, part: &str) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(m) = obj.as_object() else { return out };
    for (k, v) in m {
        let wanted = match (part, k.as_str()) {
            (_, "apiVersion" | "kind") => false,
            ("status", key) => key == "status",
            (_, "status") => !rt.has_status,
            _ => true,
        };
        if !wanted {
            continue;
        }
        if k == "metadata" {
            let mut md = v.clone();
            if let Value::Object(mm) = &mut md {
                for f in SERVER_META {
                    mm.remove(*f);
                }
                if mm.is_empty() {
                    continue;
                }
            }
            let mut path = vec!["f:metadata".to_string()];
            collect(&md, "metadata", &mut path, &mut out);
            continue;
        }
        let mut path = vec![format!("f:{k}")];
        collect(v, k, &mut path, &mut out);
    }
    out
}

/// The value a path points at, if the object has it.
fn value_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    for tok in path {
        if tok == "." {
            return Some(cur);
        }
        if let Some(f) = tok.strip_prefix("f:") {
            cur = cur.get(f)?;
        } else if let Some(k) = tok.strip_prefix("k:") {
            let want: Map<String, Value> = serde_json::from_str(k).ok()?;
            cur = cur
                .as_array()?
                .iter()
                .find(|i| want.iter().all(|(wk, wv)| i.get(wk) == Some(wv)))?;
        } else if let Some(v) = tok.strip_prefix("v:") {
            let want: Value = serde_json::from_str(v).ok()?;
            cur = cur.as_array()?.iter().find(|i| **i == want)?;
        } else {
            return None;
        }
    }
    Some(cur)
}

/// Removes the field a path points at (a map key, a keyed item, a set member).
fn remove_at(obj: &mut Value, path: &[String]) {
    let (last, parent) = match path.split_last() {
        Some((l, p)) if l == "." => match p.split_last() {
            Some((l2, p2)) => (l2, p2),
            None => return,
        },
        Some((l, p)) => (l, p),
        None => return,
    };
    let mut cur = obj;
    for tok in parent {
        let next = if let Some(f) = tok.strip_prefix("f:") {
            cur.get_mut(f)
        } else if let Some(k) = tok.strip_prefix("k:") {
            let Ok(want) = serde_json::from_str::<Map<String, Value>>(k) else {
                return;
            };
            cur.as_array_mut().and_then(|a| {
                a.iter_mut()
                    .find(|i| want.iter().all(|(wk, wv)| i.get(wk) == Some(wv)))
            })
        } else {
            None
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Value::Object(m) = cur {
            m.remove(f);
        }
    } else if let Some(k) = last.strip_prefix("k:") {
        if let (Ok(want), Value::Array(a)) = (serde_json::from_str::<Map<String, Value>>(k), cur) {
            a.retain(|i| !want.iter().all(|(wk, wv)| i.get(wk) == Some(wv)));
        }
    } else if let Some(v) = last.strip_prefix("v:")
        && let (Ok(want), Value::Array(a)) = (serde_json::from_str::<Value>(v), cur)
    {
        a.retain(|i| *i != want);
    }
}

fn to_tree(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for p in set {
        let mut cur = &mut root;
        for tok in p {
            let next = cur.entry(tok.clone()).or_insert_with(|| json!({}));
            match next {
                Value::Object(m) => cur = m,
                _ => break,
            }
        }
    }
    Value::Object(root)
}

fn from_tree(v: &Value, path: &mut Path, out: &mut FieldSet) {
    if let Some(m) = v.as_object() {
        for (k, child) in m {
            path.push(k.clone());
            if child.as_object().is_some_and(Map::is_empty) {
                out.insert(path.clone());
            } else {
                from_tree(child, path, out);
            }
            path.pop();
        }
    }
}

/// One `managedFields` entry, with its field set decoded.
#[derive(Clone)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    subresource: String,
    time: String,
    set: FieldSet,
}

impl Entry {
    fn same_owner(&self, manager: &str, operation: &str, subresource: &str) -> bool {
        self.manager == manager && self.operation == operation && self.subresource == subresource
    }

    fn to_json(&self) -> Value {
        let mut e = json!({
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_tree(&self.set),
        });
        if !self.subresource.is_empty() {
            e["subresource"] = json!(self.subresource);
        }
        e
    }

    /// How a conflict names its manager: `"kubectl"`, or `"x" using apps/v1 at TIME` for an update.
    fn describe(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            s.push_str(&format!(" with subresource {:?}", self.subresource));
        }
        if self.operation == "Update" {
            s.push_str(&format!(" using {} at {}", self.api_version, self.time));
        }
        s
    }
}

fn entries(obj: &Value) -> Vec<Entry> {
    let Some(list) = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .map(|e| {
            let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let mut set = FieldSet::new();
            if let Some(t) = e.get("fieldsV1") {
                from_tree(t, &mut Vec::new(), &mut set);
            }
            Entry {
                manager: s("manager"),
                operation: s("operation"),
                api_version: s("apiVersion"),
                subresource: s("subresource"),
                time: s("time"),
                set,
            }
        })
        .collect()
}

fn store_entries(obj: &mut Value, list: Vec<Entry>) {
    let list: Vec<Value> = list
        .iter()
        .filter(|e| !e.set.is_empty())
        .map(Entry::to_json)
        .collect();
    let m = meta_mut(obj);
    if list.is_empty() {
        m.remove("managedFields");
    } else {
        m.insert("managedFields".into(), Value::Array(list));
    }
}

/// Records an update (POST, PUT, PATCH) by `manager`: it owns every field it
/// set or changed, which every other manager loses.
pub fn track_update(
    new: &mut Value,
    old: Option<&Value>,
    manager: &str,
    rt: &ResourceType,
    subresource: &str,
) {
    let part = if subresource == "status" {
        "status"
    } else {
        ""
    };
    let new_set = field_set(new, rt, part);
    let mut list = old.map(entries).unwrap_or_default();
    let (changed, removed): (FieldSet, FieldSet) = match old {
        Some(o) => {
            let old_set = field_set(o, rt, part);
            (
                new_set
                    .iter()
                    .filter(|p| value_at(o, p) != value_at(new, p))
                    .cloned()
                    .collect(),
                old_set.difference(&new_set).cloned().collect(),
            )
        }
        None => (new_set.clone(), FieldSet::new()),
    };
    if changed.is_empty() && removed.is_empty() {
        store_entries(new, list);
        return;
    }
    for e in &mut list {
        e.set
            .retain(|p| !changed.contains(p) && !removed.contains(p));
    }
    let now = ids::now();
    match list
        .iter_mut()
        .find(|e| e.same_owner(manager, "Update", subresource))
    {
        Some(e) => {
            e.set.extend(changed);
            e.time = now;
        }
        None => list.push(Entry {
            manager: manager.to_string(),
            operation: "Update".into(),
            api_version: rt.api_version(),
            subresource: subresource.to_string(),
            time: now,
            set: changed,
        }),
    }
    store_entries(new, list);
}

/// `.spec.containers[name="app"].image`: how a conflict names a field.
fn path_text(p: &[String]) -> String {
    let mut s = String::new();
    for tok in p {
        if let Some(f) = tok.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = tok.strip_prefix("k:") {
            if let Ok(m) = serde_json::from_str::<Map<String, Value>>(k) {
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
                s.push_str(&format!("[{}]", parts.join(",")));
            }
        } else if let Some(v) = tok.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        }
    }
    s
}

/// PATCH with `application/apply-patch+yaml`: creates or merges the applied
/// configuration, owned by `fieldManager` (required), refusing with 409 a
/// change to a field another manager owns unless `force=true`.
pub fn server_side_apply(
    sh: &Shared,
    req: &Request,
    t: &Target,
    name: &str,
) -> Result<Value, ApiError> {
    let rt = resources::get(t.ty);
    let manager = req
        .param("fieldManager")
        .ok_or_else(|| {
            ApiError::bad_request(
                "PATCH, application/apply-patch+yaml requires fieldManager to be set",
            )
        })?
        .to_string();
    let force = req.flag("force");
    let applied: Value = serde_json::from_slice(&req.body)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if applied.get("apiVersion").is_none() || applied.get("kind").is_none() {
        return Err(ApiError::bad_request("invalid object type: /, Kind="));
    }
    let mut applied_n = applied.clone();
    req.validate_fields(rt, &mut applied_n)?;
    crate::objects::normalize(rt, &mut applied_n, t.namespace.as_deref())?;
    if meta(&applied_n, "name").is_some_and(|n| n != name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            meta(&applied_n, "name").unwrap_or_default()
        )));
    }
    meta_mut(&mut applied_n).insert("name".into(), json!(name));
    let part = if t.subresource.as_deref() == Some("status") {
        "status"
    } else {
        ""
    };
    let sub = if part == "status" { "status" } else { "" };
    let new_set = field_set(&applied_n, rt, part);
    let mut st = sh.store.lock();
    let k = (
        t.ty,
        if rt.namespaced {
            t.namespace.clone().unwrap_or_default()
        } else {
            String::new()
        },
        name.to_string(),
    );
    let Some(live) = st.objects.get(&k).cloned() else {
        if sub == "status" {
            return Err(ApiError::not_found(rt, name));
        }
        let mut obj = applied_n.clone();
        meta_mut(&mut obj).remove("managedFields");
        let mut created = crud::insert_new(sh, &mut st, t, obj, None, true)?;
        store_entries(
            &mut created,
            vec![Entry {
                manager,
                operation: "Apply".into(),
                api_version: rt.api_version(),
                subresource: String::new(),
                time: ids::now(),
                set: new_set,
            }],
        );
        if req.dry_run() {
            return Ok(created);
        }
        return sh
            .store
            .commit(&mut st, &k, Some(created))
            .ok_or_else(|| ApiError::internal("store refused the object"));
    };
    let mut list = entries(&live);
    // Conflicts: a field another manager owns, applied with another value.
    let mut conflicts: Vec<(usize, Path)> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        if e.same_owner(&manager, "Apply", sub) {
            continue;
        }
        for p in new_set.intersection(&e.set) {
            if p.last().is_some_and(|l| l == ".") {
                continue;
            }
            if value_at(&live, p) != value_at(&applied_n, p) {
                conflicts.push((i, p.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(rt, name, &list, &conflicts));
    }
    for (i, p) in &conflicts {
        if let Some(e) = list.get_mut(*i) {
            e.set.remove(p);
        }
    }
    // Fields this manager applied before and no longer applies go, unless someone else owns them.
    let previous = list
        .iter()
        .find(|e| e.same_owner(&manager, "Apply", sub))
        .map(|e| e.set.clone())
        .unwrap_or_default();
    let others: FieldSet = list
        .iter()
        .filter(|e| !e.same_owner(&manager, "Apply", sub))
        .flat_map(|e| e.set.iter().cloned())
        .collect();
    let mut merged = live.clone();
    let mut dropped: Vec<&Path> = previous
        .difference(&new_set)
        .filter(|p| {
            let item = p.last().is_some_and(|l| l == ".");
            let prefix = if item { &p[..p.len() - 1] } else { &p[..] };
            !others.iter().any(|o| o.starts_with(prefix))
        })
        .collect();
    dropped.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in dropped {
        remove_at(&mut merged, p);
    }
    let mut body = applied_n.clone();
    if let Some(Value::Object(md)) = body.get_mut("metadata") {
        md.remove("managedFields");
        md.remove("resourceVersion");
    }
    strategic_merge_patch(&mut merged, &body)?;
    match list
        .iter_mut()
        .find(|e| e.same_owner(&manager, "Apply", sub))
    {
        Some(e) => {
            if e.set != new_set {
                e.time = ids::now();
            }
            e.set = new_set;
        }
        None => list.push(Entry {
            manager,
            operation: "Apply".into(),
            api_version: rt.api_version(),
            subresource: sub.to_string(),
            time: ids::now(),
            set: new_set,
        }),
    }
    store_entries(&mut merged, list);
    let managed = merged.pointer("/metadata/managedFields").cloned();
    // The managed fields are already final; the write must not re-track them as an update.
    let mut stored = crud::write_existing(
        sh,
        &mut st,
        t,
        name,
        &live,
        merged,
        None,
        if sub.is_empty() { None } else { Some(sub) },
        req.dry_run(),
    )?;
    if stored.pointer("/metadata/managedFields") != managed.as_ref() {
        if let Some(m) = managed {
            meta_mut(&mut stored).insert("managedFields".into(), m);
        }
        if !req.dry_run() {
            stored = sh
                .store
                .commit(&mut st, &k, Some(stored))
                .unwrap_or(Value::Null);
        }
    }
    Ok(stored)
}

fn conflict_error(
    rt: &ResourceType,
    name: &str,
    list: &[Entry],
    conflicts: &[(usize, Path)],
) -> ApiError {
    let who = |i: usize| list.get(i).map(Entry::describe).unwrap_or_default();
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(i, p)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with {}", who(*i)), "field": path_text(p)}))
        .collect();
    let message = if let [(i, p)] = conflicts {
        format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            who(*i),
            path_text(p)
        )
    } else {
        let mut by_manager: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (i, p) in conflicts {
            by_manager.entry(who(*i)).or_default().push(path_text(p));
        }
        let mut lines = Vec::new();
        for (m, paths) in by_manager {
            lines.push(format!("conflicts with {m}:"));
            lines.extend(paths.into_iter().map(|p| format!("- {p}")));
        }
        format!(
            "Apply failed with {} conflicts: {}",
            conflicts.len(),
            lines.join("\n")
        )
    };
    ApiError::apply_conflict(rt, name, message, causes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_sets_use_fields_v1_keys() {
        let rt = resources::get(resources::by_kind("apps/v1", "Deployment").unwrap_or(0));
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}}},
            "status": {"replicas": 2}});
        let tree = to_tree(&field_set(&obj, rt, ""));
        assert_eq!(
            tree,
            json!({"f:metadata": {"f:labels": {"f:app": {}}},
                   "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                       "k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}})
        );
        let mut back = FieldSet::new();
        from_tree(&tree, &mut Vec::new(), &mut back);
        assert_eq!(back, field_set(&obj, rt, ""));
        let p: Path = vec![
            "f:spec".into(),
            "f:template".into(),
            "f:spec".into(),
            "f:containers".into(),
            "k:{\"name\":\"app\"}".into(),
            "f:image".into(),
        ];
        assert_eq!(
            path_text(&p),
            ".spec.template.spec.containers[name=\"app\"].image"
        );
        assert_eq!(value_at(&obj, &p), Some(&json!("nginx")));
    }
}
