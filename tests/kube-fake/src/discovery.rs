// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Discovery documents: `/version`, `/api`, `/apis`, `/apis/GROUP` and the
//! resource lists, including the `pods/eviction` entry (group policy, version
//! v1) that `kubectl drain` looks for before it evicts.

use serde_json::{Value, json};

use crate::resources::{self, ResourceType};

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "37",
        "emulationMajor": "1",
        "emulationMinor": "37",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "36",
        "gitVersion": "v1.37.0-kiln-fake",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

pub fn core_versions(address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}]
    })
}

fn group_doc(group: &str) -> Value {
    let versions: Vec<&str> = {
        let mut v: Vec<&str> = resources::TYPES
            .iter()
            .filter(|t| t.group == group)
            .map(|t| t.version)
            .collect();
        v.dedup();
        v
    };
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({
        "name": group,
        "versions": vs,
        "preferredVersion": vs.first().cloned().unwrap_or(Value::Null)
    })
}

pub fn groups() -> Value {
    let groups: Vec<Value> = resources::GROUPS.iter().map(|g| group_doc(g)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn group(name: &str) -> Value {
    let mut g = group_doc(name);
    g["kind"] = json!("APIGroup");
    g["apiVersion"] = json!("v1");
    g
}

fn entry(rt: &ResourceType) -> Value {
    let mut e = json!({
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": resources::verbs(),
    });
    if !rt.short_names.is_empty() {
        e["shortNames"] = json!(rt.short_names);
    }
    if !rt.categories.is_empty() {
        e["categories"] = json!(rt.categories);
    }
    e
}

fn sub(rt: &ResourceType, name: &str, kind: &str, verbs: &[&str]) -> Value {
    json!({
        "name": format!("{}/{name}", rt.plural),
        "singularName": "",
        "namespaced": rt.namespaced,
        "kind": kind,
        "verbs": verbs,
    })
}

pub fn resource_list(group: &str, version: &str) -> Value {
    let mut out = Vec::new();
    for rt in resources::TYPES
        .iter()
        .filter(|t| t.group == group && t.version == version)
    {
        out.push(entry(rt));
        if rt.has_status {
            out.push(sub(rt, "status", rt.kind, &["get", "patch", "update"]));
        }
        if rt.kind == "Pod" {
            let mut ev = sub(rt, "eviction", "Eviction", &["create"]);
            ev["group"] = json!("policy");
            ev["version"] = json!("v1");
            out.push(ev);
        }
        if rt.kind == "Namespace" {
            out.push(sub(rt, "finalize", rt.kind, &["update"]));
        }
        if matches!(rt.kind, "Deployment" | "ReplicaSet" | "StatefulSet") {
            let mut sc = sub(rt, "scale", "Scale", &["get", "patch", "update"]);
            sc["group"] = json!("autoscaling");
            sc["version"] = json!("v1");
            out.push(sc);
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out})
}
