// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The PATCH bodies the API server accepts: JSON merge patch (RFC 7386),
//! JSON patch (RFC 6902) and strategic merge patch for the fields clients use
//! (containers and volumes by name, conditions by type, ports, env,
//! finalizers; labels and annotations merge as maps).

use serde_json::{Map, Value};

use crate::status::ApiError;

/// The merge key of a list field under strategic merge, as Kubernetes' Go
/// types declare it (`patchMergeKey`); lists without one are replaced whole.
pub(crate) fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" | "addresses" => "type",
        "ownerReferences" => "uid",
        "taints" => "key",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        // Container ports merge on containerPort, service ports on port.
        "ports" => {
            if items.iter().any(|i| i.get("containerPort").is_some()) {
                "containerPort"
            } else {
                "port"
            }
        }
        _ => return None,
    })
}

/// Lists of scalars that strategic merge treats as sets (`patchStrategy: merge`).
pub(crate) fn is_merged_set(field: &str) -> bool {
    field == "finalizers"
}

pub fn merge_patch(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

pub fn json_patch(target: &mut Value, patch: &Value) -> Result<(), ApiError> {
    let ops: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| ApiError::bad_request(format!("json: cannot unmarshal patch: {e}")))?;
    let mut work = target.clone();
    json_patch::patch(&mut work, &ops).map_err(|e| ApiError::invalid_patch(e.to_string()))?;
    *target = work;
    Ok(())
}

pub fn strategic_merge_patch(target: &mut Value, patch: &Value) -> Result<(), ApiError> {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            merge_map(t, p);
            Ok(())
        }
        _ => Err(ApiError::bad_request(
            "strategic merge patch must be a JSON object",
        )),
    }
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

fn merge_map(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        if let Value::Object(m) = strip_directives(&Value::Object(patch.clone())) {
            *target = m;
        }
        return;
    }
    for (k, v) in patch {
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(have)), Value::Array(drop)) = (target.get_mut(field), v) {
                have.retain(|x| !drop.contains(x));
            }
            continue;
        }
        // Ordering hints and retainKeys do not change content here.
        if k.starts_with('$') {
            continue;
        }
        match v {
            Value::Null => {
                target.remove(k);
            }
            Value::Object(pm) => {
                if pm.get("$patch").and_then(Value::as_str) == Some("delete") {
                    target.remove(k);
                    continue;
                }
                match target.get_mut(k) {
                    Some(Value::Object(tm)) => merge_map(tm, pm),
                    _ => {
                        target.insert(k.clone(), strip_directives(v));
                    }
                }
            }
            Value::Array(items) => {
                let merged = match target.get(k) {
                    Some(Value::Array(have)) => merge_list(k, have, items),
                    _ => strip_directives(&Value::Array(
                        items
                            .iter()
                            .filter(|i| i.get("$patch").is_none())
                            .cloned()
                            .collect(),
                    )),
                };
                target.insert(k.clone(), merged);
            }
            other => {
                target.insert(k.clone(), other.clone());
            }
        }
    }
}

fn merge_list(field: &str, have: &[Value], items: &[Value]) -> Value {
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return strip_directives(&Value::Array(
            items
                .iter()
                .filter(|i| i.get("$patch").is_none())
                .cloned()
                .collect(),
        ));
    }
    if is_merged_set(field) {
        let mut out = have.to_vec();
        for i in items {
            if !out.contains(i) {
                out.push(i.clone());
            }
        }
        return Value::Array(out);
    }
    let Some(key) = merge_key(field, items) else {
        return strip_directives(&Value::Array(items.to_vec()));
    };
    let mut out = have.to_vec();
    for item in items {
        let Some(kv) = item.get(key) else { continue };
        let pos = out.iter().position(|o| o.get(key) == Some(kv));
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            out.retain(|o| o.get(key) != Some(kv));
            continue;
        }
        match (pos, item) {
            (Some(p), Value::Object(pm)) => {
                if let Some(Value::Object(tm)) = out.get_mut(p) {
                    merge_map(tm, pm);
                }
            }
            _ => out.push(strip_directives(item)),
        }
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_merges_containers_by_name_and_conditions_by_type() {
        let mut pod = json!({
            "metadata": {"labels": {"a": "1", "b": "2"}, "finalizers": ["x"]},
            "spec": {"containers": [{"name": "app", "image": "v1"}, {"name": "side", "image": "s"}]},
            "status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}]}
        });
        let patch = json!({
            "metadata": {"labels": {"b": null, "c": "3"}, "finalizers": ["y"]},
            "spec": {"containers": [{"name": "app", "image": "v2"}, {"name": "side", "$patch": "delete"}],
                     "$setElementOrder/containers": [{"name": "app"}]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        });
        assert!(strategic_merge_patch(&mut pod, &patch).is_ok());
        assert_eq!(pod["metadata"]["labels"], json!({"a": "1", "c": "3"}));
        assert_eq!(pod["metadata"]["finalizers"], json!(["x", "y"]));
        assert_eq!(
            pod["spec"]["containers"],
            json!([{"name": "app", "image": "v2"}])
        );
        assert_eq!(
            pod["status"]["conditions"],
            json!([{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}])
        );
    }

    #[test]
    fn json_patch_is_all_or_nothing() {
        let mut obj = json!({"spec": {"replicas": 1}});
        let bad = json!([{"op": "replace", "path": "/spec/replicas", "value": 3}, {"op": "test", "path": "/spec/replicas", "value": 1}]);
        assert!(json_patch(&mut obj, &bad).is_err());
        assert_eq!(obj, json!({"spec": {"replicas": 1}}));
    }
}
