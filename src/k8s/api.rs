// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The REST calls the modules make, on JSON values (the dynamic API: any
//! kind the server's discovery lists), each bounded by a timeout.

use super::error::K8sError;
use futures::StreamExt;
use kube::core::WatchEvent;
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One resource type as discovery describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResource {
    /// `v1` or `group/version`.
    pub group_version: String,
    pub kind: String,
    /// The URL segment (`deployments`).
    pub plural: String,
    pub namespaced: bool,
    /// The singular name and short names, which a task may use as `kind`.
    pub other_names: Vec<String>,
}

/// Selectors of a list or watch.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
}

/// How a wait ended.
#[derive(Debug)]
pub struct WaitOutcome {
    pub satisfied: bool,
    /// The object as last seen (`None`: it does not exist).
    pub object: Option<Json>,
    pub elapsed: Duration,
}

/// A client plus what it learnt about the server.
pub struct Kube {
    client: kube::Client,
    /// The API server's URL, for messages.
    pub server: String,
    /// The context's namespace (`default` when it names none).
    pub default_namespace: String,
    request_timeout: Duration,
    discovery: Mutex<HashMap<String, Arc<Vec<ApiResource>>>>,
}

/// The bound on one request (not on watches, which the wait's own timeout
/// bounds): 30 s, or `KILN_K8S_REQUEST_TIMEOUT` seconds.
fn request_timeout() -> Duration {
    std::env::var("KILN_K8S_REQUEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(30))
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn query(params: &[(&str, String)]) -> String {
    if params.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    format!("?{}", parts.join("&"))
}

/// A value at a dotted path (`status.conditions`).
pub fn json_get<'a>(v: &'a Json, path: &str) -> Option<&'a Json> {
    path.split('.').try_fold(v, |cur, key| cur.get(key))
}

impl Kube {
    pub fn new(client: kube::Client, server: String, default_namespace: String) -> Kube {
        Kube {
            client,
            server,
            default_namespace,
            request_timeout: request_timeout(),
            discovery: Mutex::new(HashMap::new()),
        }
    }

    async fn call(&self, req: http::Request<Vec<u8>>) -> Result<Json, K8sError> {
        let what = format!("{} {}", req.method(), req.uri());
        match tokio::time::timeout(self.request_timeout, self.client.request::<Json>(req)).await {
            Ok(r) => r.map_err(|e| K8sError::from_kube(e, &self.server)),
            Err(_) => Err(K8sError::Timeout(format!(
                "the API server at {} did not answer {what} within {}s",
                self.server,
                self.request_timeout.as_secs()
            ))),
        }
    }

    fn request(
        method: http::Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<http::Request<Vec<u8>>, K8sError> {
        let mut b = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::ACCEPT, "application/json");
        if let Some(ct) = content_type {
            b = b.header(http::header::CONTENT_TYPE, ct);
        }
        b.body(body)
            .map_err(|e| K8sError::Protocol(format!("cannot build request for {path}: {e}")))
    }

    async fn get_json(&self, path: &str) -> Result<Json, K8sError> {
        self.call(Self::request(http::Method::GET, path, None, Vec::new())?)
            .await
    }

    /// The resource types of one group/version; `None` when the server does
    /// not serve it.
    async fn group_resources(
        &self,
        group_version: &str,
        fresh: bool,
    ) -> Result<Option<Arc<Vec<ApiResource>>>, K8sError> {
        if !fresh
            && let Some(r) = self
                .discovery
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(group_version)
        {
            return Ok(Some(r.clone()));
        }
        let path = if group_version.contains('/') {
            format!("/apis/{group_version}")
        } else {
            format!("/api/{group_version}")
        };
        let list = match self.get_json(&path).await {
            Ok(l) => l,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for r in list
            .get("resources")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let text = |k: &str| {
                r.get(k)
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let name = text("name");
            // Subresources (`pods/eviction`) are not kinds of their own.
            if name.is_empty() || name.contains('/') {
                continue;
            }
            let mut other_names = vec![text("singularName")];
            other_names.extend(
                r.get("shortNames")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .map(str::to_string),
            );
            out.push(ApiResource {
                group_version: group_version.to_string(),
                kind: text("kind"),
                plural: name,
                namespaced: r.get("namespaced").and_then(Json::as_bool).unwrap_or(false),
                other_names,
            });
        }
        let arc = Arc::new(out);
        self.discovery
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(group_version.to_string(), arc.clone());
        Ok(Some(arc))
    }

    /// The resource type for `kind` in `api_version`, matched as the
    /// collection matches it (kind, plural, singular or short name); `None`
    /// when the server serves no such type. Discovery is cached, and asked
    /// again once when a kind is not found (a CRD may have been added).
    pub async fn resolve(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<Option<ApiResource>, K8sError> {
        for fresh in [false, true] {
            let Some(list) = self.group_resources(api_version, fresh).await? else {
                return Ok(None);
            };
            let found = list
                .iter()
                .find(|r| r.kind == kind)
                .or_else(|| {
                    list.iter()
                        .find(|r| r.plural == kind || r.other_names.iter().any(|n| n == kind))
                })
                .or_else(|| list.iter().find(|r| r.kind.eq_ignore_ascii_case(kind)));
            if let Some(r) = found {
                return Ok(Some(r.clone()));
            }
        }
        Ok(None)
    }

    /// The URL path of a collection or object. A namespaced type without a
    /// namespace lists across all namespaces; a named object of such a type
    /// is looked up in the context's namespace.
    pub fn path(&self, r: &ApiResource, namespace: Option<&str>, name: Option<&str>) -> String {
        let base = if r.group_version.contains('/') {
            format!("/apis/{}", r.group_version)
        } else {
            format!("/api/{}", r.group_version)
        };
        let ns = match (r.namespaced, namespace, name) {
            (false, _, _) => None,
            (true, Some(ns), _) => Some(ns.to_string()),
            (true, None, Some(_)) => Some(self.default_namespace.clone()),
            (true, None, None) => None,
        };
        let mut p = base;
        if let Some(ns) = ns {
            p.push_str(&format!("/namespaces/{}", enc(&ns)));
        }
        p.push('/');
        p.push_str(&r.plural);
        if let Some(n) = name {
            p.push('/');
            p.push_str(&enc(n));
        }
        p
    }

    /// One object; `None` when it does not exist.
    pub async fn get(
        &self,
        r: &ApiResource,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Json>, K8sError> {
        match self.get_json(&self.path(r, namespace, Some(name))).await {
            Ok(mut v) => {
                fill_type(&mut v, r);
                Ok(Some(v))
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every object matching `q` (pages followed), each with `kind` and
    /// `apiVersion` set, and the list's resourceVersion.
    pub async fn list(
        &self,
        r: &ApiResource,
        namespace: Option<&str>,
        q: &ListQuery,
    ) -> Result<(Vec<Json>, String), K8sError> {
        let mut items = Vec::new();
        let mut cont: Option<String> = None;
        loop {
            let mut params: Vec<(&str, String)> = vec![("limit", "500".into())];
            if let Some(l) = &q.label_selector {
                params.push(("labelSelector", l.clone()));
            }
            if let Some(f) = &q.field_selector {
                params.push(("fieldSelector", f.clone()));
            }
            if let Some(c) = &cont {
                params.push(("continue", c.clone()));
            }
            let path = format!("{}{}", self.path(r, namespace, None), query(&params));
            let page = self.get_json(&path).await?;
            for mut it in page
                .get("items")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
            {
                fill_type(&mut it, r);
                items.push(it);
            }
            let rv = json_get(&page, "metadata.resourceVersion")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string();
            match json_get(&page, "metadata.continue").and_then(Json::as_str) {
                Some(c) if !c.is_empty() => cont = Some(c.to_string()),
                _ => return Ok((items, rv)),
            }
        }
    }

    /// Creates an object (`dry_run`: the server only validates).
    pub async fn create(
        &self,
        r: &ApiResource,
        namespace: Option<&str>,
        body: &Json,
        params: &[(&str, String)],
    ) -> Result<Json, K8sError> {
        let ns = body_namespace(body).or(namespace.map(str::to_string));
        let path = format!(
            "{}{}",
            self.path_for_write(r, ns.as_deref(), None),
            query(params)
        );
        self.write_object(r, http::Method::POST, &path, "application/json", body)
            .await
    }

    /// Replaces an object (PUT).
    pub async fn replace(
        &self,
        r: &ApiResource,
        namespace: Option<&str>,
        name: &str,
        body: &Json,
    ) -> Result<Json, K8sError> {
        let path = self.path_for_write(r, namespace, Some(name));
        self.write_object(r, http::Method::PUT, &path, "application/json", body)
            .await
    }

    /// Patches an object with one of the four patch content types.
    pub async fn patch(
        &self,
        r: &ApiResource,
        namespace: Option<&str>,
        name: &str,
        content_type: &str,
        body: &Json,
        params: &[(&str, String)],
    ) -> Result<Json, K8sError> {
        let path = format!(
            "{}{}",
            self.path_for_write(r, namespace, Some(name)),
            query(params)
        );
        self.write_object(r, http::Method::PATCH, &path, content_type, body)
            .await
    }

    /// Sends `body` as the object of a write and returns the object the
    /// server answers with, its kind filled in from `r` (list and write
    /// answers may omit it).
    async fn write_object(
        &self,
        r: &ApiResource,
        method: http::Method,
        path: &str,
        content_type: &str,
        body: &Json,
    ) -> Result<Json, K8sError> {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let req = Self::request(method, path, Some(content_type), bytes)?;
        let mut v = self.call(req).await?;
        fill_type(&mut v, r);
        Ok(v)
    }

    /// Deletes an object; the answer is the object (graceful deletion) or a
    /// Status.
    pub async fn delete(
        &self,
        r: &ApiResource,
        namespace: Option<&str>,
        name: &str,
        options: Option<&Json>,
    ) -> Result<Json, K8sError> {
        let path = self.path_for_write(r, namespace, Some(name));
        let body = options
            .map(|o| serde_json::to_vec(o).unwrap_or_default())
            .unwrap_or_default();
        let ct = options.map(|_| "application/json");
        self.call(Self::request(http::Method::DELETE, &path, ct, body)?)
            .await
    }

    /// Evicts a pod (the Eviction subresource, which honours
    /// PodDisruptionBudgets).
    pub async fn evict(
        &self,
        namespace: &str,
        name: &str,
        delete_options: Option<&Json>,
    ) -> Result<(), K8sError> {
        let mut body = json!({
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": name, "namespace": namespace},
        });
        if let Some(o) = delete_options {
            body["deleteOptions"] = o.clone();
        }
        let path = format!(
            "/api/v1/namespaces/{}/pods/{}/eviction",
            enc(namespace),
            enc(name)
        );
        let req = Self::request(
            http::Method::POST,
            &path,
            Some("application/json"),
            serde_json::to_vec(&body).unwrap_or_default(),
        )?;
        self.call(req).await.map(|_| ())
    }

    /// Namespaced writes without a namespace go to the context's namespace.
    fn path_for_write(
        &self,
        r: &ApiResource,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> String {
        let ns = match namespace {
            Some(n) => Some(n.to_string()),
            None if r.namespaced => Some(self.default_namespace.clone()),
            None => None,
        };
        let mut p = self.path(r, ns.as_deref(), None);
        if let Some(n) = name {
            p.push('/');
            p.push_str(&enc(n));
        }
        p
    }

    /// Waits until `pred` holds for the named object (`None`: absent), with
    /// a watch from the resourceVersion of a list (re-listed when the watch
    /// ends or answers 410 Gone), never longer than `timeout`.
    pub async fn wait_for(
        &self,
        r: &ApiResource,
        namespace: Option<&str>,
        name: &str,
        pred: &(dyn Fn(Option<&Json>) -> bool + Sync),
        timeout: Duration,
    ) -> Result<WaitOutcome, K8sError> {
        let start = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        let ns = if r.namespaced {
            Some(namespace.unwrap_or(&self.default_namespace).to_string())
        } else {
            None
        };
        let q = ListQuery {
            label_selector: None,
            field_selector: Some(format!("metadata.name={name}")),
        };
        let mut current: Option<Json>;
        loop {
            let listed = tokio::time::timeout_at(deadline, self.list(r, ns.as_deref(), &q)).await;
            let (items, rv) = match listed {
                Ok(l) => l?,
                Err(_) => {
                    return Ok(WaitOutcome {
                        satisfied: false,
                        object: None,
                        elapsed: start.elapsed(),
                    });
                }
            };
            current = items.into_iter().next();
            if pred(current.as_ref()) {
                return Ok(WaitOutcome {
                    satisfied: true,
                    object: current,
                    elapsed: start.elapsed(),
                });
            }
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            if remaining.is_zero() {
                break;
            }
            let params = vec![
                ("watch", "true".to_string()),
                ("fieldSelector", format!("metadata.name={name}")),
                ("resourceVersion", rv),
                ("allowWatchBookmarks", "true".to_string()),
                ("timeoutSeconds", (remaining.as_secs() + 1).to_string()),
            ];
            let path = format!("{}{}", self.path(r, ns.as_deref(), None), query(&params));
            let req = Self::request(http::Method::GET, &path, None, Vec::new())?;
            let stream =
                match tokio::time::timeout_at(deadline, self.client.request_events::<Json>(req))
                    .await
                {
                    Err(_) => break,
                    Ok(Err(e)) => return Err(K8sError::from_kube(e, &self.server)),
                    Ok(Ok(s)) => s,
                };
            let mut stream = std::pin::pin!(stream);
            // A watch that broke (not one the server ended) is retried after
            // a pause, so a failing watch cannot turn into a busy loop.
            let mut broke = false;
            loop {
                let ev = match tokio::time::timeout_at(deadline, stream.next()).await {
                    Err(_) => {
                        return Ok(WaitOutcome {
                            satisfied: false,
                            object: current,
                            elapsed: start.elapsed(),
                        });
                    }
                    // The watch ended (server timeout): list again.
                    Ok(None) => break,
                    Ok(Some(Err(e))) => {
                        tracing::debug!("watch of {name} broke: {e}; listing again");
                        broke = true;
                        break;
                    }
                    Ok(Some(Ok(ev))) => ev,
                };
                match ev {
                    WatchEvent::Added(mut o) | WatchEvent::Modified(mut o) => {
                        fill_type(&mut o, r);
                        current = Some(o);
                    }
                    WatchEvent::Deleted(_) => current = None,
                    WatchEvent::Bookmark(_) => continue,
                    // 410 Gone (our resourceVersion is too old): start again
                    // from a fresh list; another error also after a pause.
                    WatchEvent::Error(s) => {
                        broke = s.code != 410;
                        break;
                    }
                }
                if pred(current.as_ref()) {
                    return Ok(WaitOutcome {
                        satisfied: true,
                        object: current,
                        elapsed: start.elapsed(),
                    });
                }
            }
            if broke {
                let pause = tokio::time::Instant::now() + Duration::from_secs(1);
                tokio::time::sleep_until(pause.min(deadline)).await;
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
        }
        Ok(WaitOutcome {
            satisfied: false,
            object: current,
            elapsed: start.elapsed(),
        })
    }
}

/// List items come without `kind` and `apiVersion`; results show them.
fn fill_type(v: &mut Json, r: &ApiResource) {
    if let Some(o) = v.as_object_mut()
        && o.get("kind").and_then(Json::as_str) != Some("Status")
    {
        o.entry("kind").or_insert_with(|| json!(r.kind));
        o.entry("apiVersion")
            .or_insert_with(|| json!(r.group_version));
    }
}

fn body_namespace(body: &Json) -> Option<String> {
    json_get(body, "metadata.namespace")
        .and_then(Json::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            query(&[("labelSelector", "app in (a,b)".into())]),
            "?labelSelector=app%20in%20%28a%2Cb%29"
        );
        assert_eq!(query(&[]), "");
    }

    #[test]
    fn dotted_paths() {
        let v = json!({"status": {"phase": "Running"}});
        assert_eq!(json_get(&v, "status.phase"), Some(&json!("Running")));
        assert_eq!(json_get(&v, "status.missing"), None);
    }
}
