// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! What the kubernetes.core modules share: the connection options
//! (`AUTH_ARG_SPEC`), reaching the cluster from where the task runs, the
//! wait predicates of the collection's waiter, and `hidden_fields`.

use super::ModuleCtx;
use super::args::ArgReader;
use crate::k8s::{AuthArgs, Kube, Place, json_get};
use crate::transport::quote;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::sync::Arc;

/// The collection's connection options, appended to a module's own.
macro_rules! k8s_args {
    ($($own:expr),* $(,)?) => {
        &[
            $($own,)*
            $crate::modules::spec::ArgSpec::new("kubeconfig", $crate::modules::spec::ArgType::Raw),
            $crate::modules::spec::ArgSpec::new("context", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("host", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("api_key", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("username", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("password", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("validate_certs", $crate::modules::spec::ArgType::Bool)
                .aliases(&["verify_ssl"]),
            $crate::modules::spec::ArgSpec::new("ca_cert", $crate::modules::spec::ArgType::Path)
                .aliases(&["ssl_ca_cert"]),
            $crate::modules::spec::ArgSpec::new("client_cert", $crate::modules::spec::ArgType::Path)
                .aliases(&["cert_file"]),
            $crate::modules::spec::ArgSpec::new("client_key", $crate::modules::spec::ArgType::Path)
                .aliases(&["key_file"]),
            $crate::modules::spec::ArgSpec::new("proxy", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("no_proxy", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("proxy_headers", $crate::modules::spec::ArgType::Dict),
            $crate::modules::spec::ArgSpec::new("persist_config", $crate::modules::spec::ArgType::Bool),
            $crate::modules::spec::ArgSpec::new("impersonate_user", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("impersonate_groups", $crate::modules::spec::ArgType::List),
        ]
    };
}
pub(crate) use k8s_args;

/// The wait options the collection's `WAIT_ARG_SPEC` adds.
macro_rules! wait_args {
    () => {
        [
            $crate::modules::spec::ArgSpec::new("wait", $crate::modules::spec::ArgType::Bool),
            $crate::modules::spec::ArgSpec::new("wait_sleep", $crate::modules::spec::ArgType::Int),
            $crate::modules::spec::ArgSpec::new(
                "wait_timeout",
                $crate::modules::spec::ArgType::Int,
            ),
            $crate::modules::spec::ArgSpec::new(
                "wait_condition",
                $crate::modules::spec::ArgType::Dict,
            ),
        ]
    };
}
pub(crate) use wait_args;

/// A list-of-strings argument.
pub fn str_list(a: &ArgReader<'_>, name: &str) -> Vec<String> {
    match a.raw(name) {
        Some(Json::Array(v)) => v
            .iter()
            .map(|x| match x {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Json::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// An integer argument.
pub fn int(a: &ArgReader<'_>, name: &str, default: i64) -> Result<i64, String> {
    match a.raw(name) {
        None => Ok(default),
        Some(Json::Number(n)) => n.as_i64().ok_or_else(|| {
            format!("argument '{name}' is of type float and we were unable to convert to int")
        }),
        Some(Json::String(s)) => s.trim().parse().map_err(|_| {
            format!("argument '{name}' is of type str and we were unable to convert to int")
        }),
        Some(other) => Err(format!(
            "argument '{name}' is of type {} and we were unable to convert to int",
            super::spec::json_type(other)
        )),
    }
}

/// The connection options of a task.
pub fn auth_args(a: &ArgReader<'_>) -> Result<AuthArgs, String> {
    let kubeconfig = match a.raw("kubeconfig") {
        None => None,
        Some(Json::String(s)) => Some(crate::k8s::KubeconfigArg::Path(s.clone())),
        Some(Json::Object(m)) => Some(crate::k8s::KubeconfigArg::Inline(
            Json::Object(m.clone()).to_string(),
        )),
        Some(other) => {
            return Err(format!(
                "argument 'kubeconfig' must be a path or a dict, got {}",
                super::spec::json_type(other)
            ));
        }
    };
    // Options the collection acts on and kiln does not: refused, not
    // silently ignored.
    if a.raw("proxy_headers").is_some_and(|v| !v.is_null()) {
        return Err(
            "proxy_headers is not supported by kiln (it sends no extra proxy or basic-auth \
             headers); use a proxy that needs none, or username/password for basic auth"
                .into(),
        );
    }
    if a.bool("persist_config", false)? {
        return Err(
            "persist_config is not supported by kiln: it never writes refreshed credentials \
             back to the kubeconfig; remove the option or set it to false"
                .into(),
        );
    }
    Ok(AuthArgs {
        kubeconfig,
        context: a.str("context"),
        host: a.str("host"),
        api_key: a.str("api_key"),
        username: a.str("username"),
        password: a.str("password"),
        validate_certs: a
            .has("validate_certs")
            .then(|| a.bool("validate_certs", true))
            .transpose()?,
        ca_cert: a.str("ca_cert"),
        client_cert: a.str("client_cert"),
        client_key: a.str("client_key"),
        proxy: a.str("proxy"),
        no_proxy: a.str("no_proxy"),
        impersonate_user: a.str("impersonate_user"),
        impersonate_groups: str_list(a, "impersonate_groups"),
    })
}

/// Environment variables the configuration may read.
const ENV_NAMES: &[&str] = &[
    "HOME",
    "KUBECONFIG",
    "K8S_AUTH_KUBECONFIG",
    "K8S_AUTH_CONTEXT",
    "K8S_AUTH_HOST",
    "K8S_AUTH_API_KEY",
    "K8S_AUTH_USERNAME",
    "K8S_AUTH_PASSWORD",
    "K8S_AUTH_SSL_CA_CERT",
    "K8S_AUTH_CERT_FILE",
    "K8S_AUTH_KEY_FILE",
    "K8S_AUTH_PROXY",
    "K8S_AUTH_NO_PROXY",
    "K8S_AUTH_VERIFY_SSL",
];

/// Files and environment where the task runs: the controller's own, or
/// the host's over its connection (with the task's become).
struct CtxFiles<'a, 'b> {
    ctx: &'a ModuleCtx<'b>,
    local: bool,
    host_env: tokio::sync::OnceCell<HashMap<String, String>>,
}

/// Exit status of the read script for a missing file.
const MISSING: i32 = 3;

#[async_trait::async_trait]
impl crate::k8s::HostFiles for CtxFiles<'_, '_> {
    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        if self.local && self.ctx.become_.is_none() {
            return match std::fs::read(path) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(crate::transport::io_reason(&e)),
            };
        }
        let p = quote(path);
        let script = format!("if [ -e {p} ]; then exec cat -- {p}; else exit {MISSING}; fi");
        let out = self.ctx.run(&script, None).await.map_err(|e| e.message())?;
        match out.rc {
            0 => Ok(Some(out.stdout)),
            MISSING => Ok(None),
            _ => {
                let err = String::from_utf8_lossy(&out.stderr);
                let reason = err.trim().rsplit(": ").next().unwrap_or("").to_string();
                Err(if reason.is_empty() {
                    format!("cat exited with {}", out.rc)
                } else {
                    reason
                })
            }
        }
    }

    async fn env(&self, name: &str) -> Option<String> {
        if let Some((_, v)) = self.ctx.env.iter().rev().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        if self.local {
            return std::env::var(name).ok();
        }
        let map = self
            .host_env
            .get_or_init(|| async {
                // One round trip for every variable the configuration reads.
                let script: String = ENV_NAMES
                    .iter()
                    .map(|n| format!("printf '%s=%s\\0' {n} \"${{{n}-}}\";"))
                    .collect();
                let mut m = HashMap::new();
                if let Ok(out) = self.ctx.run(&script, None).await {
                    for rec in out.stdout.split(|b| *b == 0) {
                        let rec = String::from_utf8_lossy(rec);
                        if let Some((k, v)) = rec.split_once('=')
                            && !v.is_empty()
                        {
                            m.insert(k.to_string(), v.to_string());
                        }
                    }
                }
                m
            })
            .await;
        map.get(name).cloned()
    }

    fn on_controller(&self) -> bool {
        self.local
    }
}

/// The cluster client for a task, from where the task runs, and the
/// warnings to show; the error is the task's failure message.
pub async fn cluster(
    ctx: &ModuleCtx<'_>,
    auth: &AuthArgs,
) -> Result<(Arc<Kube>, Vec<String>), String> {
    let local = ctx.conn.as_ref().is_none_or(|c| c.is_local());
    let files = CtxFiles {
        ctx,
        local,
        host_env: tokio::sync::OnceCell::new(),
    };
    let place = match (&ctx.conn, local) {
        (Some(c), false) => Place::Host(c.clone()),
        _ => Place::Controller,
    };
    crate::k8s::connect(auth, place, &files)
        .await
        .map_err(|e| e.to_string())
}

/// Adds warnings to a result.
pub fn add_warnings(r: &mut Map<String, Json>, warnings: Vec<String>) {
    if warnings.is_empty() {
        return;
    }
    let entry = r
        .entry("warnings")
        .or_insert_with(|| Json::Array(Vec::new()));
    if let Json::Array(a) = entry {
        a.extend(warnings.into_iter().map(Json::String));
    }
}

/// `wait_condition`: a condition `type` with a `status` and maybe a `reason`.
#[derive(Debug, Clone)]
pub struct Condition {
    pub type_: String,
    /// "True", "False" or "Unknown".
    pub status: String,
    pub reason: Option<String>,
}

impl Condition {
    pub fn parse(v: Option<&Json>) -> Result<Option<Condition>, String> {
        let Some(Json::Object(m)) = v else {
            return Ok(None);
        };
        let Some(type_) = m.get("type").and_then(Json::as_str) else {
            return Ok(None);
        };
        let status = match m.get("status") {
            None | Some(Json::Null) => "True".to_string(),
            Some(Json::String(s)) if s == "Unknown" => s.clone(),
            Some(other) => match super::spec::to_bool(other) {
                Some(true) => "True".into(),
                Some(false) => "False".into(),
                None => {
                    return Err(format!(
                        "value of status must be one of: True, False, Unknown, got: {}",
                        match other {
                            Json::String(s) => s.clone(),
                            o => o.to_string(),
                        }
                    ));
                }
            },
        };
        Ok(Some(Condition {
            type_: type_.to_string(),
            status,
            reason: m
                .get("reason")
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        }))
    }

    /// Whether the object's `status.conditions` has this condition.
    pub fn holds(&self, obj: &Json) -> bool {
        let Some(conds) = json_get(obj, "status.conditions").and_then(Json::as_array) else {
            return false;
        };
        let Some(c) = conds
            .iter()
            .find(|c| c.get("type").and_then(Json::as_str) == Some(&self.type_))
        else {
            return false;
        };
        let status = c.get("status").and_then(Json::as_str).unwrap_or("");
        let status = if status == "Unknown" {
            "Unknown"
        } else if status == "True" {
            "True"
        } else {
            "False"
        };
        if status != self.status {
            return false;
        }
        match &self.reason {
            Some(r) => c.get("reason").and_then(Json::as_str) == Some(r.as_str()),
            None => true,
        }
    }
}

fn num(v: &Json, path: &str) -> Option<i64> {
    json_get(v, path).and_then(Json::as_i64)
}

/// The collection's readiness test for a kind (exists, for kinds without one).
pub fn ready(kind: &str, o: &Json) -> bool {
    let has_status =
        json_get(o, "status").is_some_and(|s| s.as_object().is_some_and(|m| !m.is_empty()));
    match kind {
        "Deployment" => {
            has_status
                && num(o, "spec.replicas") == Some(num(o, "status.replicas").unwrap_or(0))
                && num(o, "status.availableReplicas") == num(o, "status.replicas")
                && num(o, "status.observedGeneration") == num(o, "metadata.generation")
                && num(o, "status.unavailableReplicas").unwrap_or(0) == 0
        }
        "DaemonSet" => {
            let desired = num(o, "status.desiredNumberScheduled");
            has_status
                && desired.is_some()
                && num(o, "status.updatedNumberScheduled").unwrap_or(0) == desired.unwrap_or(0)
                && num(o, "status.numberReady") == desired
                && num(o, "status.observedGeneration") == num(o, "metadata.generation")
                && num(o, "status.unavailableReplicas").unwrap_or(0) == 0
        }
        "Pod" => json_get(o, "status.containerStatuses")
            .and_then(Json::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .all(|c| c.get("ready").and_then(Json::as_bool) == Some(true))
            }),
        "Job" => json_get(o, "status.conditions")
            .and_then(Json::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    matches!(
                        c.get("type").and_then(Json::as_str),
                        Some("Complete" | "Failed")
                    ) && c.get("status").and_then(Json::as_str) == Some("True")
                })
            }),
        "StatefulSet" => {
            let spec = num(o, "spec.replicas");
            has_status
                && num(o, "status.observedGeneration").unwrap_or(0)
                    == num(o, "metadata.generation").unwrap_or(0)
                && num(o, "status.replicas") == spec
                && num(o, "status.readyReplicas").unwrap_or(0) == spec.unwrap_or(0)
                && json_get(o, "status.updateRevision") == json_get(o, "status.currentRevision")
        }
        _ => true,
    }
}

/// The predicate a wait for `state` uses (as the collection's `get_waiter`).
pub fn predicate(
    kind: String,
    condition: Option<Condition>,
    absent: bool,
) -> impl Fn(Option<&Json>) -> bool + Sync {
    move |o: Option<&Json>| match (absent, o) {
        (true, o) => o.is_none(),
        (false, None) => false,
        (false, Some(o)) => match &condition {
            Some(c) => c.holds(o),
            None => ready(&kind, o),
        },
    }
}

/// Removes `hidden_fields` (`metadata.managedFields`,
/// `metadata.annotations[kubectl.kubernetes.io/last-applied-configuration]`,
/// `spec.containers[0].env[3].value`) from an object; containers left empty
/// are removed too, as the collection does.
pub fn hide_fields(mut v: Json, fields: &[String]) -> Json {
    for f in fields {
        let keys = field_keys(f);
        if !keys.is_empty() {
            remove_path(&mut v, &keys);
        }
    }
    v
}

fn field_keys(f: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cur = String::new();
    let mut chars = f.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    keys.push(std::mem::take(&mut cur));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    keys.push(std::mem::take(&mut cur));
                }
                let inner: String = chars.by_ref().take_while(|c| *c != ']').collect();
                keys.push(inner);
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        keys.push(cur);
    }
    keys
}

/// Removes the value at `keys`; true when the container holding it became
/// empty (so the caller removes that too).
fn remove_path(v: &mut Json, keys: &[String]) -> bool {
    let Some((first, rest)) = keys.split_first() else {
        return false;
    };
    match v {
        Json::Object(m) => {
            if rest.is_empty() {
                m.remove(first);
            } else if let Some(child) = m.get_mut(first)
                && remove_path(child, rest)
            {
                m.remove(first);
            }
            m.is_empty()
        }
        Json::Array(a) => {
            let Ok(i) = first.parse::<usize>() else {
                return false;
            };
            if i >= a.len() {
                return false;
            }
            if rest.is_empty() || remove_path(&mut a[i], rest) {
                a.remove(i);
            }
            a.is_empty()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hidden_fields_paths() {
        let o = json!({
            "metadata": {"name": "x", "managedFields": [1],
                          "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"containers": [{"env": [{"name": "A", "value": "1"}]}]}
        });
        let h = hide_fields(
            o,
            &[
                "metadata.managedFields".into(),
                "metadata.annotations[kubectl.kubernetes.io/last-applied-configuration]".into(),
                "spec.containers[0].env[0].value".into(),
            ],
        );
        assert_eq!(
            h,
            json!({"metadata": {"name": "x"},
                   "spec": {"containers": [{"env": [{"name": "A"}]}]}})
        );
    }

    #[test]
    fn conditions_match_status_and_reason() {
        let node = json!({"status": {"conditions": [
            {"type": "Ready", "status": "True", "reason": "KubeletReady"}]}});
        let c = Condition::parse(Some(&json!({"type": "Ready", "status": "True"})))
            .unwrap()
            .unwrap();
        assert!(c.holds(&node));
        let c = Condition::parse(Some(&json!({"type": "Ready", "status": false})))
            .unwrap()
            .unwrap();
        assert!(!c.holds(&node));
        let c = Condition::parse(Some(&json!({"type": "Ready", "reason": "Other"})))
            .unwrap()
            .unwrap();
        assert!(!c.holds(&node));
        assert!(Condition::parse(Some(&json!({"type": "Ready", "status": "maybe"}))).is_err());
    }

    #[test]
    fn deployment_readiness() {
        let mut d = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"replicas": 2, "availableReplicas": 2, "observedGeneration": 2}});
        assert!(ready("Deployment", &d));
        d["status"]["availableReplicas"] = json!(1);
        assert!(!ready("Deployment", &d));
        assert!(ready("ConfigMap", &json!({})));
    }
}
