// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! One API request as the handlers see it, and the route its path names.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::Value;

use crate::resources;
use crate::status::ApiError;

pub struct Request {
    pub method: hyper::Method,
    pub path: String,
    pub query: HashMap<String, String>,
    pub content_type: String,
    pub accept: String,
    pub user_agent: String,
    pub body: Bytes,
    /// `Warning` headers for the response (unknown fields under fieldValidation=Warn).
    pub warnings: std::cell::RefCell<Vec<String>>,
}

impl Request {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.param(name), Some("true" | "1"))
    }

    pub fn json(&self) -> Result<Value, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::bad_request(format!(
                "Object 'Kind' is missing in '{}': {e}",
                String::from_utf8_lossy(&self.body)
            ))
        })
    }

    /// Field validation of a write body: unknown top-level and metadata
    /// fields are dropped, and refused (400, `fieldValidation=Strict`), warned
    /// about (`Warn`, the default) or ignored (`Ignore`).
    pub fn validate_fields(
        &self,
        rt: &crate::resources::ResourceType,
        obj: &mut Value,
    ) -> Result<(), ApiError> {
        let unknown = crate::objects::prune_unknown_fields(rt, obj);
        if unknown.is_empty() {
            return Ok(());
        }
        let listed: Vec<String> = unknown
            .iter()
            .map(|f| format!("unknown field \"{f}\""))
            .collect();
        match self.param("fieldValidation") {
            Some("Strict") => Err(ApiError::bad_request(format!(
                "{kind} in version \"{v}\" cannot be handled as a {kind}: strict decoding error: {}",
                listed.join(", "),
                kind = rt.kind,
                v = rt.version
            ))),
            Some("Ignore") => Ok(()),
            _ => {
                self.warnings.borrow_mut().extend(listed);
                Ok(())
            }
        }
    }

    pub fn dry_run(&self) -> bool {
        self.query.get("dryRun").is_some_and(|v| v == "All")
    }

    /// The field manager of a write: the `fieldManager` parameter, else the
    /// user agent's program name (`kubectl/v1.37 (...)` gives `kubectl`).
    pub fn field_manager(&self) -> String {
        match self.param("fieldManager") {
            Some(m) => m.to_string(),
            None => self
                .user_agent
                .split('/')
                .next()
                .filter(|s| !s.is_empty())
                .unwrap_or("unknown")
                .to_string(),
        }
    }
}

/// Where a resource request points.
#[derive(Debug, Clone)]
pub struct Target {
    pub ty: usize,
    /// The namespace in the path; None for cluster-scoped types and for all-namespace lists.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

pub enum Route {
    Version,
    CoreVersions,
    Groups,
    Group(String),
    ResourceList(String, String),
    Health,
    OpenApiRoot,
    OpenApi(String),
    Resource(Target),
}

/// Maps a URL path to a route, or 404 like the API server.
pub fn route(path: &str) -> Result<Route, ApiError> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["version"] => return Ok(Route::Version),
        ["healthz" | "livez" | "readyz", ..] => return Ok(Route::Health),
        ["api"] => return Ok(Route::CoreVersions),
        ["openapi", "v3"] => return Ok(Route::OpenApiRoot),
        ["openapi", "v3", rest @ ..] => return Ok(Route::OpenApi(rest.join("/"))),
        ["apis"] => return Ok(Route::Groups),
        ["api", "v1"] => return Ok(Route::ResourceList(String::new(), "v1".into())),
        ["apis", g] if resources::GROUPS.contains(g) => return Ok(Route::Group((*g).to_string())),
        ["apis", g, v]
            if resources::TYPES
                .iter()
                .any(|t| t.group == *g && t.version == *v) =>
        {
            return Ok(Route::ResourceList((*g).to_string(), (*v).to_string()));
        }
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(ApiError::path_not_found()),
    };
    let resolve = |plural: &str| {
        resources::by_path(group, version, plural).ok_or_else(ApiError::path_not_found)
    };
    let target = |ty, namespace: Option<&str>, name: Option<&str>, sub: Option<&str>| {
        Route::Resource(Target {
            ty,
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
        })
    };
    let namespaced = |ty: usize| resources::get(ty).namespaced;
    Ok(match rest {
        // `namespaces/NAME/status` is the Namespace's own subresource, not a type.
        ["namespaces", name, sub @ ("status" | "finalize")] if group.is_empty() => {
            target(resolve("namespaces")?, None, Some(name), Some(sub))
        }
        ["namespaces", ns, plural, tail @ ..] => {
            let ty = resolve(plural)?;
            if !namespaced(ty) {
                return Err(ApiError::path_not_found());
            }
            match tail {
                [] => target(ty, Some(ns), None, None),
                [name] => target(ty, Some(ns), Some(name), None),
                [name, sub] => target(ty, Some(ns), Some(name), Some(sub)),
                _ => return Err(ApiError::path_not_found()),
            }
        }
        [plural] => target(resolve(plural)?, None, None, None),
        [plural, name] if !namespaced(resolve(plural)?) => {
            target(resolve(plural)?, None, Some(name), None)
        }
        [plural, name, sub] if !namespaced(resolve(plural)?) => {
            target(resolve(plural)?, None, Some(name), Some(sub))
        }
        _ => return Err(ApiError::path_not_found()),
    })
}
