// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `meta.k8s.io/v1 Table` answers, which `kubectl get` asks for (server-side
//! printing), with the columns a real server prints for the common kinds.

use serde_json::{Value, json};

use crate::resources::ResourceType;

fn age(obj: &Value) -> String {
    let Some(ts) = obj
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
    else {
        return "<unknown>".into();
    };
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(ts) else {
        return "<unknown>".into();
    };
    let s = (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
        .num_seconds()
        .max(0);
    match s {
        0..120 => format!("{s}s"),
        120..600 => format!("{}m{}s", s / 60, s % 60),
        600..10800 => format!("{}m", s / 60),
        10800..172800 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

fn s(obj: &Value, p: &str) -> String {
    match obj.pointer(p) {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn n(obj: &Value, p: &str) -> i64 {
    obj.pointer(p).and_then(Value::as_i64).unwrap_or(0)
}

fn node_status(obj: &Value) -> String {
    let ready = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .and_then(|c| c.get("status").and_then(Value::as_str))
        .map(|s| if s == "True" { "Ready" } else { "NotReady" })
        .unwrap_or("Unknown");
    if obj.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        format!("{ready},SchedulingDisabled")
    } else {
        ready.to_string()
    }
}

fn pod_row(obj: &Value) -> Vec<Value> {
    let total = obj
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    let statuses = obj
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    let ready = statuses
        .map(|c| {
            c.iter()
                .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
                .count()
        })
        .unwrap_or(0);
    let restarts: i64 = statuses
        .map(|c| {
            c.iter()
                .map(|c| c.get("restartCount").and_then(Value::as_i64).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0);
    let status = if obj.pointer("/metadata/deletionTimestamp").is_some() {
        "Terminating".to_string()
    } else {
        s(obj, "/status/phase")
    };
    vec![
        json!(format!("{ready}/{total}")),
        json!(status),
        json!(restarts),
    ]
}

/// Columns (name, type) after Name and the cells of one object, per kind.
fn columns(rt: &ResourceType) -> Vec<(&'static str, &'static str)> {
    match rt.kind {
        "Node" => vec![
            ("Status", "string"),
            ("Roles", "string"),
            ("Age", "string"),
            ("Version", "string"),
        ],
        "Pod" => vec![
            ("Ready", "string"),
            ("Status", "string"),
            ("Restarts", "string"),
            ("Age", "string"),
        ],
        "Deployment" => vec![
            ("Ready", "string"),
            ("Up-to-date", "string"),
            ("Available", "string"),
            ("Age", "string"),
        ],
        "ReplicaSet" => vec![
            ("Desired", "integer"),
            ("Current", "integer"),
            ("Ready", "integer"),
            ("Age", "string"),
        ],
        "DaemonSet" => vec![
            ("Desired", "integer"),
            ("Current", "integer"),
            ("Ready", "integer"),
            ("Age", "string"),
        ],
        "PodDisruptionBudget" => vec![
            ("Min Available", "string"),
            ("Max Unavailable", "string"),
            ("Allowed Disruptions", "integer"),
            ("Age", "string"),
        ],
        "Namespace" => vec![("Status", "string"), ("Age", "string")],
        _ => vec![("Age", "string")],
    }
}

fn cells(rt: &ResourceType, obj: &Value) -> Vec<Value> {
    let name = json!(s(obj, "/metadata/name"));
    let mut out = vec![name];
    match rt.kind {
        "Node" => {
            let roles: Vec<String> = obj
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .map(|l| {
                    l.keys()
                        .filter_map(|k| {
                            k.strip_prefix("node-role.kubernetes.io/")
                                .map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(json!(node_status(obj)));
            out.push(json!(if roles.is_empty() {
                "<none>".to_string()
            } else {
                roles.join(",")
            }));
            out.push(json!(age(obj)));
            out.push(json!(s(obj, "/status/nodeInfo/kubeletVersion")));
            // The wide columns: the first address of each type, and nodeInfo.
            let address = |ty: &str| {
                obj.pointer("/status/addresses")
                    .and_then(Value::as_array)
                    .and_then(|a| {
                        a.iter()
                            .find(|x| x.get("type").and_then(Value::as_str) == Some(ty))
                    })
                    .and_then(|x| x.get("address").and_then(Value::as_str))
                    .unwrap_or("<none>")
                    .to_string()
            };
            out.push(json!(address("InternalIP")));
            out.push(json!(address("ExternalIP")));
            for field in ["osImage", "kernelVersion", "containerRuntimeVersion"] {
                out.push(json!(s(obj, &format!("/status/nodeInfo/{field}"))));
            }
        }
        "Pod" => {
            out.extend(pod_row(obj));
            out.push(json!(age(obj)));
            let or_none = |p: &str| {
                let v = s(obj, p);
                if v.is_empty() {
                    "<none>".to_string()
                } else {
                    v
                }
            };
            out.push(json!(or_none("/status/podIP")));
            out.push(json!(or_none("/spec/nodeName")));
            out.push(json!(or_none("/status/nominatedNodeName")));
            out.push(json!("<none>"));
        }
        "Deployment" => {
            out.push(json!(format!(
                "{}/{}",
                n(obj, "/status/readyReplicas"),
                n(obj, "/spec/replicas")
            )));
            out.push(json!(n(obj, "/status/updatedReplicas")));
            out.push(json!(n(obj, "/status/availableReplicas")));
            out.push(json!(age(obj)));
        }
        "ReplicaSet" => {
            out.push(json!(n(obj, "/spec/replicas")));
            out.push(json!(n(obj, "/status/replicas")));
            out.push(json!(n(obj, "/status/readyReplicas")));
            out.push(json!(age(obj)));
        }
        "DaemonSet" => {
            out.push(json!(n(obj, "/status/desiredNumberScheduled")));
            out.push(json!(n(obj, "/status/currentNumberScheduled")));
            out.push(json!(n(obj, "/status/numberReady")));
            out.push(json!(age(obj)));
        }
        "PodDisruptionBudget" => {
            let or_na = |p: &str| {
                let v = s(obj, p);
                if v.is_empty() { "N/A".to_string() } else { v }
            };
            out.push(json!(or_na("/spec/minAvailable")));
            out.push(json!(or_na("/spec/maxUnavailable")));
            out.push(json!(n(obj, "/status/disruptionsAllowed")));
            out.push(json!(age(obj)));
        }
        "Namespace" => {
            out.push(json!(s(obj, "/status/phase")));
            out.push(json!(age(obj)));
        }
        _ => out.push(json!(age(obj))),
    }
    out
}

/// A Table of one object or of a list's items.
pub fn table(rt: &ResourceType, body: &Value, is_list: bool) -> Value {
    let mut defs = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}),
    ];
    for (name, ty) in columns(rt) {
        defs.push(
            json!({"name": name, "type": ty, "format": "", "description": "", "priority": 0}),
        );
    }
    // The `-o wide` columns (priority 1) of pods and nodes.
    let wide: &[&str] = match rt.kind {
        "Pod" => &["IP", "Node", "Nominated Node", "Readiness Gates"],
        "Node" => &[
            "Internal-IP",
            "External-IP",
            "OS-Image",
            "Kernel-Version",
            "Container-Runtime",
        ],
        _ => &[],
    };
    {
        for name in wide {
            defs.push(json!({"name": name, "type": "string", "format": "", "description": "", "priority": 1}));
        }
    }
    let items: Vec<Value> = if is_list {
        body.get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    } else {
        vec![body.clone()]
    };
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            json!({
                "cells": cells(rt, o),
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.get("metadata").cloned().unwrap_or(json!({}))}
            })
        })
        .collect();
    let md = body
        .pointer("/metadata/resourceVersion")
        .map(|rv| json!({"resourceVersion": rv}))
        .unwrap_or(json!({}));
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": md, "columnDefinitions": defs, "rows": rows})
}
