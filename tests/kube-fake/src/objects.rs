// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! What the API server does to an object on its way into storage: type
//! fields, namespace, uid, timestamps, generation, defaults and the few
//! validation rules clients trip over.

use serde_json::{Value, json};

use crate::ids;
use crate::resources::ResourceType;
use crate::status::ApiError;
use crate::store::{meta, meta_mut};

/// Sets `apiVersion`/`kind` and the namespace, refusing a body that names another type or namespace.
pub fn normalize(rt: &ResourceType, obj: &mut Value, ns: Option<&str>) -> Result<(), ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    }
    let av = rt.api_version();
    match obj.get("apiVersion").and_then(Value::as_str) {
        Some(v) if v != av => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({av})"
            )));
        }
        _ => obj["apiVersion"] = json!(av),
    }
    match obj.get("kind").and_then(Value::as_str) {
        Some(k) if k != rt.kind => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                rt.kind
            )));
        }
        _ => obj["kind"] = json!(rt.kind),
    }
    if rt.namespaced {
        if let Some(ns) = ns {
            match meta(obj, "namespace") {
                Some(have) if have != ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {
                    meta_mut(obj).insert("namespace".into(), json!(ns));
                }
            }
        }
    } else {
        meta_mut(obj).remove("namespace");
    }
    Ok(())
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// The checks a real server makes that tests and clients rely on.
pub fn validate(rt: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    let name = meta(obj, "name").unwrap_or_default();
    let mut causes = Vec::new();
    if !is_dns_subdomain(&name) {
        causes.push((
            "metadata.name".to_string(),
            format!("Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        ));
    }
    if let Some(labels) = obj.pointer("/metadata/labels").and_then(Value::as_object) {
        for (k, v) in labels {
            if !v.is_string() {
                causes.push((
                    format!("metadata.labels.{k}"),
                    "Invalid value: label values must be strings".into(),
                ));
            }
        }
    }
    let containers = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_array)
            .map(Vec::len)
            .unwrap_or(0)
    };
    match rt.kind {
        "Pod" if containers("/spec/containers") == 0 => {
            causes.push(("spec.containers".into(), "Required value".into()));
        }
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" => {
            if containers("/spec/template/spec/containers") == 0 {
                causes.push((
                    "spec.template.spec.containers".into(),
                    "Required value".into(),
                ));
            }
            match obj.pointer("/spec/selector") {
                None => causes.push(("spec.selector".into(), "Required value".into())),
                Some(sel) => {
                    let tmpl = json!({"metadata": {"labels": obj.pointer("/spec/template/metadata/labels").cloned().unwrap_or(json!({}))}});
                    if !crate::selectors::LabelSelector::from_label_selector(sel).matches(&tmpl) {
                        causes.push((
                            "spec.template.metadata.labels".into(),
                            "Invalid value: `selector` does not match template `labels`".into(),
                        ));
                    }
                }
            }
        }
        "ConfigMap" => {
            if let Some(data) = obj.get("data").and_then(Value::as_object) {
                for (k, v) in data {
                    if !v.is_string() {
                        causes.push((
                            format!("data.{k}"),
                            "Invalid value: must be a string".into(),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(rt, &name, causes))
    }
}

fn default_pod_spec(spec: &mut Value) {
    let put = |v: &mut Value, k: &str, d: Value| {
        if v.get(k).is_none() {
            v[k] = d;
        }
    };
    put(spec, "restartPolicy", json!("Always"));
    put(spec, "terminationGracePeriodSeconds", json!(30));
    put(spec, "dnsPolicy", json!("ClusterFirst"));
    put(spec, "schedulerName", json!("default-scheduler"));
    put(spec, "securityContext", json!({}));
    if let Some(cs) = spec.get_mut("containers").and_then(Value::as_array_mut) {
        for c in cs {
            let latest = c.get("image").and_then(Value::as_str).is_some_and(|i| {
                !i.rsplit('/').next().unwrap_or(i).contains(':') || i.ends_with(":latest")
            });
            put(
                c,
                "imagePullPolicy",
                json!(if latest { "Always" } else { "IfNotPresent" }),
            );
            put(c, "terminationMessagePath", json!("/dev/termination-log"));
            put(c, "terminationMessagePolicy", json!("File"));
            put(c, "resources", json!({}));
        }
    }
}

/// The defaults a real server fills in for the kinds tests create.
pub fn apply_defaults(rt: &ResourceType, obj: &mut Value) {
    match rt.kind {
        "Pod" => {
            if let Some(spec) = obj.get_mut("spec") {
                default_pod_spec(spec);
            }
        }
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" => {
            if rt.kind != "DaemonSet" && obj.pointer("/spec/replicas").is_none() {
                obj["spec"]["replicas"] = json!(1);
            }
            if obj.pointer("/spec/revisionHistoryLimit").is_none() && rt.kind != "ReplicaSet" {
                obj["spec"]["revisionHistoryLimit"] = json!(10);
            }
            if rt.kind == "Deployment" {
                if obj.pointer("/spec/strategy").is_none() {
                    obj["spec"]["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}});
                }
                if obj.pointer("/spec/progressDeadlineSeconds").is_none() {
                    obj["spec"]["progressDeadlineSeconds"] = json!(600);
                }
            }
            if let Some(spec) = obj.pointer_mut("/spec/template/spec") {
                default_pod_spec(spec);
            }
        }
        "Service" => {
            if obj.pointer("/spec/type").is_none() {
                obj["spec"]["type"] = json!("ClusterIP");
            }
            if obj.pointer("/spec/sessionAffinity").is_none() {
                obj["spec"]["sessionAffinity"] = json!("None");
            }
        }
        "Secret" if obj.get("type").is_none() => {
            obj["type"] = json!("Opaque");
        }
        "Namespace" => {
            if obj.pointer("/spec/finalizers").is_none() {
                obj["spec"] = json!({"finalizers": ["kubernetes"]});
            }
            let name = meta(obj, "name").unwrap_or_default();
            let labels = meta_mut(obj).entry("labels").or_insert_with(|| json!({}));
            labels["kubernetes.io/metadata.name"] = json!(name);
        }
        _ => {}
    }
}

/// The status a freshly created object starts with.
pub fn initial_status(rt: &ResourceType) -> Option<Value> {
    match rt.kind {
        "Pod" => Some(json!({"phase": "Pending", "qosClass": "BestEffort"})),
        "Namespace" => Some(json!({"phase": "Active"})),
        "Service" => Some(json!({"loadBalancer": {}})),
        "Node" => None,
        _ if rt.has_status => Some(json!({})),
        _ => None,
    }
}

/// Fills the fields only the server sets, for a new object.
pub fn stamp_new(rt: &ResourceType, obj: &mut Value) {
    let m = meta_mut(obj);
    m.insert("uid".into(), json!(ids::uid()));
    m.insert("creationTimestamp".into(), json!(ids::now()));
    m.remove("deletionTimestamp");
    m.remove("deletionGracePeriodSeconds");
    if rt.has_generation {
        m.insert("generation".into(), json!(1));
    } else {
        m.remove("generation");
    }
}

/// The spec-like part of an object: everything but metadata, status and the type fields.
pub fn spec_part(obj: &Value) -> Value {
    match obj {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| {
                    !matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind")
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// Whether two versions of an object differ in anything but server-kept metadata.
pub fn same_content(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        let m = meta_mut(&mut v);
        m.remove("resourceVersion");
        m.remove("managedFields");
        v
    };
    strip(a) == strip(b)
}

/// Top-level fields each kind has (beyond apiVersion, kind, metadata).
fn top_level_fields(rt: &ResourceType) -> Option<&'static [&'static str]> {
    Some(match rt.kind {
        "ConfigMap" => &["data", "binaryData", "immutable"],
        "Secret" => &["data", "stringData", "type", "immutable"],
        "ServiceAccount" => &[
            "secrets",
            "imagePullSecrets",
            "automountServiceAccountToken",
        ],
        "Endpoints" => &["subsets"],
        "Lease" => &["spec"],
        // Events carry many top-level fields; they are not checked.
        "Event" => return None,
        _ => &["spec", "status"],
    })
}

const META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Removes the top-level and metadata fields the kind does not have, as
/// decoding into the typed object does, and names them (`foo`, `metadata.bar`).
pub fn prune_unknown_fields(rt: &ResourceType, obj: &mut Value) -> Vec<String> {
    let Some(allowed) = top_level_fields(rt) else {
        return Vec::new();
    };
    let mut unknown = Vec::new();
    if let Value::Object(m) = obj {
        let extra: Vec<String> = m
            .keys()
            .filter(|k| {
                !matches!(k.as_str(), "apiVersion" | "kind" | "metadata")
                    && !allowed.contains(&k.as_str())
            })
            .cloned()
            .collect();
        for k in extra {
            m.remove(&k);
            unknown.push(k);
        }
        if let Some(Value::Object(md)) = m.get_mut("metadata") {
            let extra: Vec<String> = md
                .keys()
                .filter(|k| !META_FIELDS.contains(&k.as_str()))
                .cloned()
                .collect();
            for k in extra {
                md.remove(&k);
                unknown.push(format!("metadata.{k}"));
            }
        }
    }
    unknown
}
