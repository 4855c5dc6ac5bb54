// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Client-side `apply: true` of `kubernetes.core.k8s`, with the behaviour of
//! the collection's `apply.py`: the definition is stored in the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation (Python's
//! `json.dumps(sort_keys=True, separators=(",", ":"))`), and an existing
//! object gets a three-way patch computed from the last applied
//! configuration, the desired definition and the live object.
//!
//! The patch removes what the last applied configuration had and the
//! definition no longer has, and sets what the live object lacks or has
//! differently. Lists the API declares with a patch merge key (containers,
//! env, ports, volumes, ... by name, port or path) are merged item by item
//! on the client, keeping items other writers added; other lists are
//! replaced. Because the lists in the patch are already the complete merged
//! lists, the collection sends the patch as a JSON merge patch
//! (`application/merge-patch+json`), and so does kiln: sent as a strategic
//! merge patch, the server would keep list items the patch drops.

use serde_json::{Map, Value as Json, json};

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The pod-spec lists with a patch merge key, below each pod-spec position.
const POD_SPEC_KEYS: [(&str, &str); 17] = [
    ("containers", "name"),
    ("initContainers", "name"),
    ("ephemeralContainers", "name"),
    ("volumes", "name"),
    ("imagePullSecrets", "name"),
    ("containers.volumeMounts", "mountPath"),
    ("containers.volumeDevices", "devicePath"),
    ("containers.env", "name"),
    ("containers.ports", "containerPort"),
    ("initContainers.volumeMounts", "mountPath"),
    ("initContainers.volumeDevices", "devicePath"),
    ("initContainers.env", "name"),
    ("initContainers.ports", "containerPort"),
    ("ephemeralContainers.volumeMounts", "mountPath"),
    ("ephemeralContainers.volumeDevices", "devicePath"),
    ("ephemeralContainers.env", "name"),
    ("ephemeralContainers.ports", "containerPort"),
];

/// Where a pod spec sits in each workload kind. `Cronjob` is spelled as the
/// collection spells it, so a CronJob's lists are replaced whole there and
/// here alike.
const POD_SPEC_PREFIXES: [&str; 6] = [
    "Pod.spec",
    "Deployment.spec.template.spec",
    "DaemonSet.spec.template.spec",
    "StatefulSet.spec.template.spec",
    "Job.spec.template.spec",
    "Cronjob.spec.jobTemplate.spec.template.spec",
];

/// Other lists with a patch merge key.
const OTHER_KEYS: [(&str, &str); 4] = [
    ("Service.spec.ports", "port"),
    ("ServiceAccount.secrets", "name"),
    ("ValidatingWebhookConfiguration.webhooks", "name"),
    ("MutatingWebhookConfiguration.webhooks", "name"),
];

/// The patch merge key of the list at `position` (`Kind.path.to.list`).
fn merge_key(position: &str) -> Option<&'static str> {
    if let Some((_, k)) = OTHER_KEYS.iter().find(|(p, _)| *p == position) {
        return Some(k);
    }
    POD_SPEC_PREFIXES.iter().find_map(|prefix| {
        let rest = position.strip_prefix(prefix)?.strip_prefix('.')?;
        POD_SPEC_KEYS
            .iter()
            .find(|(suffix, _)| *suffix == rest)
            .map(|(_, k)| *k)
    })
}

/// The annotation's text: the definition as the collection serialises it.
pub fn annotation_text(def: &Json) -> String {
    super::copy::py_json_with(def, true, true)
}

fn annotate(def: &Json) -> Json {
    json!({"metadata": {"annotations": {LAST_APPLIED: annotation_text(def)}}})
}

/// The definition with its last-applied annotation: what a create sends.
pub fn annotated(def: &Json) -> Json {
    dict_merge(def, &annotate(def))
}

/// Ansible's `dict_merge`: `b` over `a`, dicts merged recursively, anything
/// else (lists, nulls) taken from `b`.
pub fn dict_merge(a: &Json, b: &Json) -> Json {
    let (Json::Object(am), Json::Object(bm)) = (a, b) else {
        return b.clone();
    };
    let mut out = am.clone();
    for (k, v) in bm {
        let merged = match out.get(k) {
            Some(cur @ Json::Object(_)) => dict_merge(cur, v),
            _ => v.clone(),
        };
        out.insert(k.clone(), merged);
    }
    Json::Object(out)
}

/// Python's `==` on decoded JSON: numbers compare by value (1 == 1.0).
fn py_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => a == b,
    }
}

/// The patch that takes the live object to the definition, or `None` when
/// there is nothing to send (the collection then reads the object back).
/// Without a last-applied annotation the whole annotated definition is the
/// patch. The error is the collection's for a list item without its merge
/// key.
pub fn apply_patch(live: &Json, desired: &Json) -> Result<Option<Json>, String> {
    let last = live
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty());
    let Some(last) = last else {
        return Ok(Some(annotated(desired)));
    };
    let last: Json = serde_json::from_str(last)
        .map_err(|e| format!("the {LAST_APPLIED} annotation is not JSON: {e}"))?;
    let patch = merge(&annotated(&last), &annotated(desired), live, None)?;
    Ok(patch
        .as_object()
        .is_some_and(|m| !m.is_empty())
        .then_some(patch))
}

/// Deletions (last applied to desired) with the additive delta (live to
/// desired) merged over them.
fn merge(last: &Json, desired: &Json, live: &Json, position: Option<&str>) -> Result<Json, String> {
    let kind = desired.get("kind").and_then(Json::as_str).unwrap_or("");
    let position = position.unwrap_or(kind);
    let deletions = get_deletions(last, desired);
    let delta = get_delta(last, live, desired, position)?;
    Ok(dict_merge(&Json::Object(deletions), &Json::Object(delta)))
}

fn obj(v: &Json) -> &Map<String, Json> {
    static EMPTY: std::sync::OnceLock<Map<String, Json>> = std::sync::OnceLock::new();
    v.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// What the last applied configuration set and the definition no longer
/// sets (or sets differently): removed (`null`) or replaced.
fn get_deletions(last: &Json, desired: &Json) -> Map<String, Json> {
    let mut patch = Map::new();
    let d = obj(desired);
    for (k, lv) in obj(last) {
        let dv = d.get(k).unwrap_or(&Json::Null);
        if lv.is_object() && dv.is_object() {
            let p = get_deletions(lv, dv);
            if !p.is_empty() {
                patch.insert(k.clone(), Json::Object(p));
            }
        } else if !py_eq(lv, dv) {
            patch.insert(k.clone(), dv.clone());
        }
    }
    patch
}

/// What the definition sets that the live object lacks or has differently.
fn get_delta(
    last: &Json,
    live: &Json,
    desired: &Json,
    position: &str,
) -> Result<Map<String, Json>, String> {
    let mut patch = Map::new();
    let (l, a) = (obj(last), obj(live));
    for (k, dv) in obj(desired) {
        let here = format!("{position}.{k}");
        let av = a.get(k).unwrap_or(&Json::Null);
        if av.is_null() {
            patch.insert(k.clone(), dv.clone());
        } else if dv.is_object() {
            let p = get_delta(l.get(k).unwrap_or(&Json::Null), av, dv, &here)?;
            if !p.is_empty() {
                patch.insert(k.clone(), Json::Object(p));
            }
        } else if let Json::Array(items) = dv {
            let empty = Vec::new();
            let lastl = l.get(k).and_then(Json::as_array).unwrap_or(&empty);
            let livel = av.as_array().unwrap_or(&empty);
            let p = list_merge(lastl, livel, items, &here)?;
            if !p.is_empty() {
                let kept = p.into_iter().filter(|x| !x.is_null()).collect();
                patch.insert(k.clone(), Json::Array(kept));
            }
        } else if !py_eq(av, dv) {
            patch.insert(k.clone(), dv.clone());
        }
    }
    Ok(patch)
}

/// A list's items by their merge key, in first-seen order (a later item
/// with the same key replaces the earlier one, as a Python dict does).
fn by_key(list: &[Json], key: &str, position: &str) -> Result<Vec<(String, Json)>, String> {
    let mut out: Vec<(String, Json)> = Vec::new();
    for item in list {
        let Some(k) = item.get(key) else {
            return Err(format!(
                "Expected key '{key}' not found in position {position}"
            ));
        };
        let k = k.to_string();
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) => slot.1 = item.clone(),
            None => out.push((k, item.clone())),
        }
    }
    Ok(out)
}

fn lookup<'a>(items: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    items.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A list of the definition, merged item by item with the live list when
/// the list has a merge key and was applied before: the definition's items
/// (merged into their live counterparts), then the live items nobody
/// applied. Other lists are the definition's.
fn list_merge(
    last: &[Json],
    live: &[Json],
    desired: &[Json],
    position: &str,
) -> Result<Vec<Json>, String> {
    let Some(key) = merge_key(position).filter(|_| !last.is_empty()) else {
        return Ok(desired.to_vec());
    };
    let last_d = by_key(last, key, position)?;
    let live_d = by_key(live, key, position)?;
    let desired_d = by_key(desired, key, position)?;
    let mut out = Vec::new();
    for (k, dv) in &desired_d {
        match (lookup(&live_d, k), lookup(&last_d, k)) {
            (Some(av), Some(lv)) => {
                let patch = merge(lv, dv, av, Some(position))?;
                out.push(dict_merge(av, &patch));
            }
            _ => out.push(dv.clone()),
        }
    }
    for (k, av) in &live_d {
        if lookup(&desired_d, k).is_none() && lookup(&last_d, k).is_none() {
            out.push(av.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(env: Json, extra_label: bool) -> Json {
        let mut d = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "default", "labels": {"app": "api"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "api", "image": "api:1", "env": env}]}}}
        });
        if extra_label {
            d["metadata"]["labels"]["tier"] = json!("web");
        }
        d
    }

    #[test]
    fn annotation_is_sorted_compact_ascii_json() {
        let d = json!({"kind": "ConfigMap", "data": {"b": "é", "a": [1, 2]}});
        assert_eq!(
            annotation_text(&d),
            r#"{"data":{"a":[1,2],"b":"\u00e9"},"kind":"ConfigMap"}"#
        );
    }

    #[test]
    fn first_apply_to_an_unannotated_object_sends_the_annotated_definition() {
        let def = json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
        let live =
            json!({"kind": "ConfigMap", "metadata": {"name": "c", "uid": "u"}, "data": {"a": "0"}});
        let patch = apply_patch(&live, &def).unwrap().unwrap();
        assert_eq!(patch["data"], json!({"a": "1"}));
        assert_eq!(
            patch["metadata"]["annotations"][LAST_APPLIED],
            json!(annotation_text(&def))
        );
    }

    #[test]
    fn removed_fields_are_deleted_and_foreign_list_items_kept() {
        let env1 = json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]);
        let first = deployment(env1, true);
        // The live object: the first definition applied, plus server
        // defaults and an env var another writer added.
        let mut live = annotated(&first);
        live["metadata"]["uid"] = json!("u1");
        live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] =
            json!("IfNotPresent");
        live["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "C", "value": "other"}));
        // Same definition again: nothing changes once the patch is merged.
        if let Some(p) = apply_patch(&live, &first).unwrap() {
            let after = crate::modules::k8s_apply::dict_merge(&live, &p);
            assert!(py_eq(&after, &live), "{p}");
        }
        // The label `tier` and env var B are dropped from the definition.
        let second = deployment(json!([{"name": "A", "value": "1"}]), false);
        let patch = apply_patch(&live, &second).unwrap().unwrap();
        assert_eq!(patch["metadata"]["labels"], json!({"tier": null}));
        let c = &patch["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["imagePullPolicy"], json!("IfNotPresent"));
        assert_eq!(
            c["env"],
            json!([{"name": "A", "value": "1"}, {"name": "C", "value": "other"}])
        );
        assert_eq!(
            patch["metadata"]["annotations"][LAST_APPLIED],
            json!(annotation_text(&second))
        );
    }

    #[test]
    fn a_list_item_without_its_merge_key_is_an_error() {
        let def = json!({"kind": "Service", "spec": {"ports": [{"port": 80}]}});
        let live = annotated(&def);
        let bad = json!({"kind": "Service", "spec": {"ports": [{"targetPort": 80}]}});
        assert_eq!(
            apply_patch(&live, &bad).unwrap_err(),
            "Expected key 'port' not found in position Service.spec.ports"
        );
        assert_eq!(
            merge_key("Cronjob.spec.jobTemplate.spec.template.spec.containers.env"),
            Some("name")
        );
        assert_eq!(merge_key("ConfigMap.data"), None);
    }
}
