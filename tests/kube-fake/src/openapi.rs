// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A minimal OpenAPI v3 discovery (`/openapi/v3` and one document per group
//! version): enough for kubectl to see that each PATCH accepts the
//! `fieldValidation` parameter, so it leaves field validation to the server
//! instead of downloading full schemas. Strategic merge is not advertised:
//! kubectl then computes client-side apply patches from its compiled-in types.

use serde_json::{Map, Value, json};

use crate::resources::{self, ResourceType};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for t in resources::TYPES {
        if !out.contains(&(t.group, t.version)) {
            out.push((t.group, t.version));
        }
    }
    out
}

pub fn root() -> Value {
    let mut paths = Map::new();
    for (g, v) in group_versions() {
        let p = gv_path(g, v);
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash=0")}),
        );
    }
    json!({"paths": paths})
}

fn item_path(rt: &ResourceType) -> String {
    let base = format!("/{}", gv_path(rt.group, rt.version));
    if rt.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}/{{name}}", rt.plural)
    } else {
        format!("{base}/{}/{{name}}", rt.plural)
    }
}

/// The document of one group version, or None for an unknown path.
pub fn document(path: &str) -> Option<Value> {
    let (g, v) = group_versions()
        .into_iter()
        .find(|(g, v)| gv_path(g, v) == path.trim_matches('/'))?;
    let mut paths = Map::new();
    for rt in resources::TYPES
        .iter()
        .filter(|t| t.group == g && t.version == v)
    {
        let gvk = json!({"group": rt.group, "version": rt.version, "kind": rt.kind});
        paths.insert(
            item_path(rt),
            json!({
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "get": {"operationId": format!("read{}", rt.kind), "x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk,
                        "responses": {"200": {"description": "OK"}}},
                "patch": {"operationId": format!("patch{}", rt.kind), "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk,
                          "parameters": [
                              {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                              {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                              {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}}
                          ],
                          "requestBody": {"content": {"application/json-patch+json": {"schema": {"type": "object"}},
                                                      "application/merge-patch+json": {"schema": {"type": "object"}},
                                                      "application/apply-patch+yaml": {"schema": {"type": "object"}}}},
                          "responses": {"200": {"description": "OK"}}}
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.37.0"},
        "paths": paths,
        "components": {"schemas": {}}
    }))
}
