// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `kubernetes.core.k8s_drain`: cordon, uncordon, or drain a node.
//!
//! By default it behaves as the collection does: mirror pods are skipped
//! with a warning; DaemonSet pods, pods with emptyDir volumes and pods no
//! controller owns stop the drain unless `ignore_daemonsets`,
//! `delete_emptydir_data` or `force` allow them; such a refusal uncordons
//! the node only if this run cordoned it; a pod is gone once it is not
//! found or runs on another node; an eviction refused by a
//! PodDisruptionBudget (HTTP 429) fails the task with the server's
//! message ("Cannot evict pod as it would violate the pod's disruption
//! budget.").
//!
//! With the variable `kiln_drain_mode: kubectl` (set on the task, play or
//! host; Ansible ignores it) it behaves as `kubectl drain` does where that
//! is safer: a PDB refusal is retried every `wait_sleep` seconds until
//! `wait_timeout` (120 s when unset) and only then fails, with the same
//! message; and a pod recreated under the same name (a new UID, as a
//! StatefulSet does) counts as gone.
//!
//! Check mode changes nothing and reports the pods it would evict in
//! `would_evict` (`namespace/name`).

use super::args::ArgReader;
use super::k8s_common::{add_warnings, auth_args, cluster, k8s_args, str_list};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::k8s::{ApiResource, AuthArgs, K8sError, Kube, ListQuery, json_get};
use serde_json::{Value as Json, json};
use std::time::{Duration, Instant};

pub struct K8sDrain;

static SPEC: ModuleSpec = ModuleSpec {
    name: "k8s_drain",
    args: k8s_args![
        ArgSpec::new("state", T::Str).choices(&["cordon", "drain", "uncordon"]),
        ArgSpec::new("name", T::Str).required(),
        ArgSpec::new("delete_options", T::Dict),
        ArgSpec::new("pod_selectors", T::List).aliases(&["label_selectors"]),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

/// `delete_options` of the drain.
#[derive(Debug, Clone, Default)]
pub struct DrainOptions {
    pub terminate_grace_period: Option<i64>,
    pub force: bool,
    pub ignore_daemonsets: bool,
    pub delete_emptydir_data: bool,
    pub disable_eviction: bool,
    pub wait_timeout: Option<u64>,
    pub wait_sleep: u64,
}

pub struct DrainArgs {
    auth: AuthArgs,
    state: String,
    name: String,
    options: DrainOptions,
    pod_selectors: Vec<String>,
}

const OPTION_NAMES: &[&str] = &[
    "terminate_grace_period",
    "force",
    "ignore_daemonsets",
    "delete_emptydir_data",
    "disable_eviction",
    "wait_timeout",
    "wait_sleep",
];

fn parse_options(v: Option<&Json>) -> Result<DrainOptions, String> {
    let mut o = DrainOptions {
        wait_sleep: 5,
        ..Default::default()
    };
    let Some(Json::Object(m)) = v else {
        return Ok(o);
    };
    for k in m.keys() {
        if !OPTION_NAMES.contains(&k.as_str()) {
            return Err(format!(
                "Unsupported parameters for (k8s_drain) module: delete_options.{k}. Supported parameters include: {}.",
                OPTION_NAMES.join(", ")
            ));
        }
    }
    let flag = |k: &str| -> Result<bool, String> {
        match m.get(k) {
            None | Some(Json::Null) => Ok(false),
            Some(v) => super::spec::to_bool(v)
                .ok_or_else(|| format!("delete_options.{k}: the value {v} is not a valid boolean")),
        }
    };
    let num = |k: &str| -> Result<Option<i64>, String> {
        match m.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| format!("delete_options.{k} must be an integer")),
            Some(Json::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("delete_options.{k} must be an integer, got {s}")),
            Some(v) => Err(format!("delete_options.{k} must be an integer, got {v}")),
        }
    };
    o.terminate_grace_period = num("terminate_grace_period")?;
    o.force = flag("force")?;
    o.ignore_daemonsets = flag("ignore_daemonsets")?;
    o.delete_emptydir_data = flag("delete_emptydir_data")?;
    o.disable_eviction = flag("disable_eviction")?;
    o.wait_timeout = num("wait_timeout")?.map(|t| t.max(0) as u64);
    o.wait_sleep = num("wait_sleep")?.unwrap_or(5).max(1) as u64;
    Ok(o)
}

#[async_trait::async_trait]
impl Module for K8sDrain {
    type Args = DrainArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<DrainArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["name"])?;
        Ok(DrainArgs {
            auth: auth_args(&a)?,
            state: a.choice("state", Some("drain"))?.unwrap_or_default(),
            name: a.str("name").unwrap_or_default(),
            options: parse_options(a.raw("delete_options"))?,
            pod_selectors: str_list(&a, "pod_selectors"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &DrainArgs) -> Result<Step<()>, ModuleError> {
        let (kube, warnings) = match cluster(ctx, &a.auth).await {
            Ok(k) => k,
            Err(msg) => return Ok(Step::Done(failed(msg))),
        };
        let kubectl = matches!(
            ctx.vars.resolve("kiln_drain_mode"),
            Ok(Some(v)) if crate::template::value_to_json(&v).as_str() == Some("kubectl")
        );
        let drain = Drain {
            kube: &kube,
            a,
            check: ctx.check_mode,
            kubectl,
        };
        let mut r = drain.run().await;
        add_warnings(&mut r, warnings);
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &DrainArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

fn nodes() -> ApiResource {
    ApiResource {
        group_version: "v1".into(),
        kind: "Node".into(),
        plural: "nodes".into(),
        namespaced: false,
        other_names: Vec::new(),
    }
}

fn pods() -> ApiResource {
    ApiResource {
        group_version: "v1".into(),
        kind: "Pod".into(),
        plural: "pods".into(),
        namespaced: true,
        other_names: Vec::new(),
    }
}

/// A pod to evict: namespace, name and UID.
#[derive(Debug, Clone, PartialEq)]
struct PodRef {
    ns: String,
    name: String,
    uid: String,
}

impl PodRef {
    fn shown(&self) -> String {
        format!("{}/{}", self.ns, self.name)
    }
}

/// The collection's `filter_pods`: what to evict, warnings, errors, info.
fn filter_pods(
    pods: &[Json],
    o: &DrainOptions,
) -> (Vec<PodRef>, Vec<String>, Vec<String>, Vec<String>) {
    let (mut daemonset, mut unmanaged, mut mirror, mut local, mut delete) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in pods {
        let text = |path: &str| {
            json_get(p, path)
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let r = PodRef {
            ns: text("metadata.namespace"),
            name: text("metadata.name"),
            uid: text("metadata.uid"),
        };
        if json_get(p, "metadata.annotations")
            .and_then(Json::as_object)
            .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"))
        {
            mirror.push(r);
            continue;
        }
        if matches!(text("status.phase").as_str(), "Succeeded" | "Failed") {
            delete.push(r);
            continue;
        }
        let owners = json_get(p, "metadata.ownerReferences")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        let local_storage = json_get(p, "spec.volumes")
            .and_then(Json::as_array)
            .is_some_and(|vs| {
                vs.iter()
                    .any(|v| v.get("emptyDir").is_some_and(|e| !e.is_null()))
            });
        if owners
            .iter()
            .any(|o| o.get("kind").and_then(Json::as_str) == Some("DaemonSet"))
        {
            daemonset.push(r);
        } else if local_storage {
            local.push(r);
        } else if owners.is_empty() {
            unmanaged.push(r);
        } else {
            delete.push(r);
        }
    }
    let names = |v: &[PodRef]| v.iter().map(PodRef::shown).collect::<Vec<_>>().join(",");
    let (mut warnings, mut errors, mut info) = (Vec::new(), Vec::new(), Vec::new());
    if !unmanaged.is_empty() {
        if !o.force {
            errors.push(format!(
                "cannot delete Pods not managed by ReplicationController, ReplicaSet, Job, DaemonSet or StatefulSet (use option force set to yes): {}.",
                names(&unmanaged)
            ));
        } else {
            info.push(format!(
                "Deleting Pods not managed by ReplicationController, ReplicaSet, Job, DaemonSet or StatefulSet: {}.",
                names(&unmanaged)
            ));
            delete.extend(unmanaged);
        }
    }
    if !mirror.is_empty() {
        warnings.push(format!(
            "cannot delete mirror Pods using API server: {}.",
            names(&mirror)
        ));
    }
    if !local.is_empty() {
        if !o.delete_emptydir_data {
            errors.push(format!(
                "cannot delete Pods with local storage: {}.",
                names(&local)
            ));
        } else {
            info.push(format!(
                "Deleting Pods with local storage: {}.",
                names(&local)
            ));
            delete.extend(local);
        }
    }
    if !daemonset.is_empty() {
        if !o.ignore_daemonsets {
            errors.push(format!(
                "cannot delete DaemonSet-managed Pods (use option ignore_daemonset set to yes): {}.",
                names(&daemonset)
            ));
        } else {
            info.push(format!(
                "Ignoring DaemonSet-managed Pods: {}.",
                names(&daemonset)
            ));
        }
    }
    (delete, warnings, errors, info)
}

struct Drain<'a> {
    kube: &'a Kube,
    a: &'a DrainArgs,
    check: bool,
    kubectl: bool,
}

fn done(changed: bool, text: String) -> ModResult {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(changed));
    r.insert("result".into(), json!(text));
    r
}

impl Drain<'_> {
    async fn patch_node(&self, unschedulable: bool) -> Result<(), String> {
        let body = json!({"spec": {"unschedulable": unschedulable}});
        self.kube
            .patch(
                &nodes(),
                None,
                &self.a.name,
                "application/strategic-merge-patch+json",
                &body,
                &[],
            )
            .await
            .map(|_| ())
            .map_err(|e| format!("Failed to patch node due to: {e}"))
    }

    async fn run(&self) -> ModResult {
        let name = &self.a.name;
        let node = match self.kube.get(&nodes(), None, name).await {
            Ok(Some(n)) => n,
            Ok(None) => return failed(format!("Node {name} not found.")),
            Err(e) => return failed(format!("Failed to retrieve node '{name}' due to: {e}")),
        };
        let unschedulable = json_get(&node, "spec.unschedulable")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        match self.a.state.as_str() {
            "cordon" | "uncordon" => {
                let want = self.a.state == "cordon";
                let word = if want { "unschedulable" } else { "schedulable" };
                if unschedulable == want {
                    return done(false, format!("node {name} already marked {word}."));
                }
                if !self.check
                    && let Err(m) = self.patch_node(want).await
                {
                    return failed(m);
                }
                done(true, format!("node {name} marked {word}."))
            }
            _ => self.drain(unschedulable).await,
        }
    }

    async fn drain(&self, unschedulable: bool) -> ModResult {
        let name = &self.a.name;
        let o = &self.a.options;
        let mut lines = Vec::new();
        let mut cordoned = false;
        if !unschedulable {
            if !self.check
                && let Err(m) = self.patch_node(true).await
            {
                return failed(m);
            }
            lines.push(format!("node {name} marked unschedulable."));
            cordoned = true;
        } else {
            lines.push(format!("node {name} already marked unschedulable."));
        }
        let q = ListQuery {
            label_selector: (!self.a.pod_selectors.is_empty())
                .then(|| self.a.pod_selectors.join(",")),
            field_selector: Some(format!("spec.nodeName={name}")),
        };
        let listed = match self.kube.list(&pods(), None, &q).await {
            Ok((items, _)) => items,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => {
                let msg = format!("Failed to list pod from node {name} due to: {e}");
                return self.revert(cordoned, failed(msg)).await;
            }
        };
        let (to_evict, mut warnings, errors, _info) = filter_pods(&listed, o);
        if !errors.is_empty() {
            let msg = format!("Pod deletion errors: {}", errors.join(" "));
            return self.revert(cordoned, failed(msg)).await;
        }
        let mut changed = cordoned;
        let mut would = Vec::new();
        if !to_evict.is_empty() {
            for p in &to_evict {
                if self.check {
                    would.push(json!(p.shown()));
                    continue;
                }
                if let Err(msg) = self.evict(p).await {
                    let mut r = failed(msg);
                    add_warnings(&mut r, warnings);
                    return r;
                }
            }
            changed = true;
            if self.check {
                lines.push(format!(
                    "Would have deleted {} Pod(s) from node if not in check mode.",
                    to_evict.len()
                ));
            } else {
                if let Some(t) = o.wait_timeout
                    && let Some(w) = self.wait_gone(&to_evict, t).await
                {
                    warnings.push(w);
                }
                lines.push(format!("{} Pod(s) deleted from node.", to_evict.len()));
            }
        }
        let mut r = done(changed, lines.join(" "));
        if self.check {
            r.insert("would_evict".into(), Json::Array(would));
        }
        add_warnings(&mut r, warnings);
        r
    }

    /// Uncordons after a refused drain, only if this run cordoned.
    async fn revert(&self, cordoned: bool, r: ModResult) -> ModResult {
        if cordoned
            && !self.check
            && let Err(m) = self.patch_node(false).await
        {
            let mut r = r;
            add_warnings(&mut r, vec![m]);
            return r;
        }
        r
    }

    fn delete_options(&self) -> Option<Json> {
        self.a
            .options
            .terminate_grace_period
            .map(|g| json!({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": g}))
    }

    /// Evicts (or deletes, with `disable_eviction`) one pod. A pod already
    /// gone is fine.
    async fn evict(&self, p: &PodRef) -> Result<(), String> {
        let o = &self.a.options;
        let deadline = Instant::now() + Duration::from_secs(o.wait_timeout.unwrap_or(120));
        loop {
            let res = if o.disable_eviction {
                self.kube
                    .delete(
                        &pods(),
                        Some(&p.ns),
                        &p.name,
                        self.delete_options().as_ref(),
                    )
                    .await
                    .map(|_| ())
            } else {
                self.kube
                    .evict(&p.ns, &p.name, self.delete_options().as_ref())
                    .await
            };
            match res {
                Ok(()) => return Ok(()),
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e @ K8sError::Api { code: 429, .. })
                    if self.kubectl && Instant::now() < deadline =>
                {
                    tracing::debug!("eviction of {} refused ({e}); retrying", p.shown());
                    tokio::time::sleep(Duration::from_secs(o.wait_sleep)).await;
                }
                Err(e) => {
                    let why = match &e {
                        K8sError::Api { message, .. } if !message.is_empty() => message.clone(),
                        other => other.to_string(),
                    };
                    return Err(format!("Failed to delete pod {} due to: {why}", p.shown()));
                }
            }
        }
    }

    /// Waits until every evicted pod is gone (not found, on another node,
    /// or in kubectl mode a new pod under the same name); a warning when
    /// time ran out.
    async fn wait_gone(&self, evicted: &[PodRef], timeout: u64) -> Option<String> {
        let start = Instant::now();
        let mut left: Vec<PodRef> = evicted.to_vec();
        while !left.is_empty() && (timeout == 0 || start.elapsed().as_secs() < timeout) {
            let Some(p) = left.last().cloned() else {
                break;
            };
            match self.kube.get(&pods(), Some(&p.ns), &p.name).await {
                Ok(None) => {
                    left.pop();
                    continue;
                }
                Ok(Some(pod)) => {
                    let node = json_get(&pod, "spec.nodeName").and_then(Json::as_str);
                    let uid = json_get(&pod, "metadata.uid").and_then(Json::as_str);
                    if node != Some(self.a.name.as_str())
                        || (self.kubectl && uid != Some(p.uid.as_str()))
                    {
                        left.pop();
                        continue;
                    }
                }
                Err(e) => return Some(format!("Exception raised: {e}")),
            }
            tokio::time::sleep(Duration::from_secs(self.a.options.wait_sleep)).await;
        }
        (!left.is_empty()).then(|| "timeout reached while pods were still running.".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, extra: Json) -> Json {
        let mut p = json!({"metadata": {"name": name, "namespace": "ns", "uid": name},
                           "spec": {}, "status": {"phase": "Running"}});
        if let (Some(pm), Some(em)) = (p.as_object_mut(), extra.as_object()) {
            for (k, v) in em {
                if let (Some(Json::Object(dst)), Json::Object(src)) = (pm.get_mut(k), v) {
                    for (k2, v2) in src {
                        dst.insert(k2.clone(), v2.clone());
                    }
                }
            }
        }
        p
    }

    #[test]
    fn filters_follow_the_collection() {
        let pods = vec![
            pod(
                "ds",
                json!({"metadata": {"ownerReferences": [{"kind": "DaemonSet"}]}}),
            ),
            pod(
                "ed",
                json!({"metadata": {"ownerReferences": [{"kind": "ReplicaSet"}]},
                             "spec": {"volumes": [{"name": "s", "emptyDir": {}}]}}),
            ),
            pod("bare", json!({})),
            pod(
                "rs",
                json!({"metadata": {"ownerReferences": [{"kind": "ReplicaSet"}]}}),
            ),
            pod(
                "mirror",
                json!({"metadata": {"annotations": {"kubernetes.io/config.mirror": "x"}}}),
            ),
            pod("done", json!({"status": {"phase": "Succeeded"}})),
        ];
        let (del, warn, err, _) = filter_pods(&pods, &DrainOptions::default());
        assert_eq!(err.len(), 3, "{err:?}");
        assert!(err[0].contains("ns/bare"));
        assert!(err[1].contains("local storage: ns/ed"));
        assert!(
            err[2]
                .contains("DaemonSet-managed Pods (use option ignore_daemonset set to yes): ns/ds")
        );
        assert_eq!(
            warn,
            vec!["cannot delete mirror Pods using API server: ns/mirror."]
        );
        let names: Vec<&str> = del.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["rs", "done"]);
        let all = DrainOptions {
            force: true,
            ignore_daemonsets: true,
            delete_emptydir_data: true,
            ..Default::default()
        };
        let (del, _, err, info) = filter_pods(&pods, &all);
        assert!(err.is_empty());
        assert_eq!(info.len(), 3);
        let names: Vec<&str> = del.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["rs", "done", "bare", "ed"]);
    }

    #[test]
    fn option_checks() {
        assert!(parse_options(Some(&json!({"bogus": 1}))).is_err());
        let o = parse_options(Some(&json!({"force": "yes", "wait_timeout": "30"}))).unwrap();
        assert!(o.force);
        assert_eq!(o.wait_timeout, Some(30));
        assert_eq!(o.wait_sleep, 5);
    }
}
