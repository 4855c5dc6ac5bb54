// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Workload controllers, simulated: a Deployment owns a ReplicaSet per pod
//! template (named after the template's hash; older ones are scaled to
//! zero), a ReplicaSet keeps `spec.replicas` live pods, a DaemonSet keeps one
//! pod per node. Each writes the status fields clients wait on.

use serde_json::{Value, json};

use crate::controllers::{delete_key, is_ready, ty};
use crate::crud;
use crate::ids;
use crate::request::Target;
use crate::selectors::LabelSelector;
use crate::server::Shared;
use crate::store::{Key, State, meta};

const MANAGER: &str = "kube-controller-manager";

pub fn reconcile(sh: &Shared, st: &mut State) {
    deployments(sh, st);
    replica_sets(sh, st);
    daemon_sets(sh, st);
    stateful_sets(sh, st);
}

/// StatefulSet pods have stable names (`NAME-0`, `NAME-1`, ...): a deleted or
/// evicted one comes back under the same name with a new uid. With the default
/// OrderedReady policy an ordinal starts only when all lower ones are Ready.
fn stateful_sets(sh: &Shared, st: &mut State) {
    let pod_ty = ty("v1", "Pod");
    for (k, sts) in live_of_type(st, ty("apps/v1", "StatefulSet")) {
        let uid = meta(&sts, "uid").unwrap_or_default();
        let want = sts
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .max(0) as usize;
        let parallel = sts
            .pointer("/spec/podManagementPolicy")
            .and_then(Value::as_str)
            == Some("Parallel");
        let template = sts.pointer("/spec/template").cloned().unwrap_or(json!({}));
        for i in 0..want {
            let name = format!("{}-{i}", k.2);
            if st.get(pod_ty, &k.1, &name).is_some() {
                if !parallel
                    && !st
                        .get(pod_ty, &k.1, &name)
                        .is_some_and(|p| is_ready(p) && active(p))
                {
                    break;
                }
                continue;
            }
            let mut tmpl = template.clone();
            tmpl["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] = json!(name);
            tmpl["metadata"]["labels"]["apps.kubernetes.io/pod-index"] = json!(i.to_string());
            tmpl["spec"]["hostname"] = json!(name);
            create_pod(
                sh,
                st,
                &k.1,
                &name,
                &tmpl,
                owner_ref("StatefulSet", &sts),
                None,
            );
            if !parallel {
                break;
            }
        }
        // Scale down from the highest ordinal.
        let extra: Vec<Key> = owned_pods(st, &k.1, &uid)
            .into_iter()
            .filter(|(pk, p)| {
                active(p)
                    && pk
                        .2
                        .rsplit('-')
                        .next()
                        .and_then(|n| n.parse::<usize>().ok())
                        .is_some_and(|n| n >= want)
            })
            .map(|(pk, _)| pk)
            .collect();
        for pk in extra {
            delete_key(sh, st, &pk);
        }
        let pods: Vec<Value> = owned_pods(st, &k.1, &uid)
            .into_iter()
            .map(|(_, p)| p)
            .filter(active)
            .collect();
        let ready = pods.iter().filter(|p| is_ready(p)).count();
        let status = json!({
            "replicas": pods.len(), "readyReplicas": ready, "currentReplicas": pods.len(),
            "updatedReplicas": pods.len(), "availableReplicas": ready,
            "observedGeneration": sts.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        });
        write_status(sh, st, &k, status);
    }
}

fn owner_ref(kind: &str, obj: &Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": kind, "name": meta(obj, "name"), "uid": meta(obj, "uid"),
           "controller": true, "blockOwnerDeletion": true})
}

fn controlled_by(obj: &Value, uid: &str) -> bool {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|r| {
            r.iter().any(|r| {
                r.get("controller").and_then(Value::as_bool) == Some(true)
                    && r.get("uid").and_then(Value::as_str) == Some(uid)
            })
        })
}

fn active(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionTimestamp").is_none()
        && !matches!(
            pod.pointer("/status/phase").and_then(Value::as_str),
            Some("Succeeded" | "Failed")
        )
}

fn live_of_type(st: &State, kind_ty: usize) -> Vec<(Key, Value)> {
    st.of_type(kind_ty, None)
        .filter(|(_, o)| o.pointer("/metadata/deletionTimestamp").is_none())
        .map(|(k, o)| (k.clone(), o.clone()))
        .collect()
}

fn owned_pods(st: &State, ns: &str, uid: &str) -> Vec<(Key, Value)> {
    st.of_type(ty("v1", "Pod"), Some(ns))
        .filter(|(_, p)| controlled_by(p, uid))
        .map(|(k, p)| (k.clone(), p.clone()))
        .collect()
}

/// Creates a pod from a template, owned by `owner`.
fn create_pod(
    sh: &Shared,
    st: &mut State,
    ns: &str,
    prefix: &str,
    template: &Value,
    owner: Value,
    node: Option<&str>,
) {
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": template.get("metadata").cloned().unwrap_or(json!({})),
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    });
    // A StatefulSet passes the exact name (`web-0`); others a prefix for a random suffix.
    let name = if prefix.ends_with(|c: char| c.is_ascii_digit()) && owner["kind"] == "StatefulSet" {
        prefix.to_string()
    } else {
        format!("{prefix}-{}", ids::suffix(5))
    };
    pod["metadata"]["name"] = json!(name);
    pod["metadata"]["namespace"] = json!(ns);
    pod["metadata"]["ownerReferences"] = json!([owner]);
    if let Some(n) = node {
        pod["spec"]["nodeName"] = json!(n);
    }
    let target = Target {
        ty: ty("v1", "Pod"),
        namespace: Some(ns.to_string()),
        name: None,
        subresource: None,
    };
    // A template the server would refuse leaves the owner short of pods, as a real controller would.
    let _ = crud::insert_new(sh, st, &target, pod, Some(MANAGER), false);
}

fn write_status(sh: &Shared, st: &mut State, k: &Key, status: Value) {
    if let Some(mut obj) = st.objects.get(k).cloned()
        && obj.get("status") != Some(&status)
    {
        obj["status"] = status;
        sh.store.commit(st, k, Some(obj));
    }
}

fn replica_sets(sh: &Shared, st: &mut State) {
    for (k, rs) in live_of_type(st, ty("apps/v1", "ReplicaSet")) {
        let uid = meta(&rs, "uid").unwrap_or_default();
        let want = rs
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .max(0) as usize;
        let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let mut pods: Vec<(Key, Value)> = owned_pods(st, &k.1, &uid)
            .into_iter()
            .filter(|(_, p)| active(p))
            .collect();
        if pods.len() < want {
            for _ in pods.len()..want {
                create_pod(
                    sh,
                    st,
                    &k.1,
                    &k.2,
                    &template,
                    owner_ref("ReplicaSet", &rs),
                    None,
                );
            }
        } else if pods.len() > want {
            // Unready pods go first, then the newest.
            pods.sort_by_key(|(_, p)| {
                (is_ready(p), std::cmp::Reverse(meta(p, "creationTimestamp")))
            });
            for (pk, _) in pods.iter().take(pods.len() - want) {
                delete_key(sh, st, pk);
            }
        }
        let pods: Vec<Value> = owned_pods(st, &k.1, &uid)
            .into_iter()
            .map(|(_, p)| p)
            .filter(active)
            .collect();
        let ready = pods.iter().filter(|p| is_ready(p)).count();
        let labelled = pods
            .iter()
            .filter(|p| {
                template
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object)
                    .is_none_or(|l| {
                        l.iter().all(|(lk, lv)| {
                            p.pointer(&format!("/metadata/labels/{}", lk.replace('/', "~1")))
                                == Some(lv)
                        })
                    })
            })
            .count();
        let status = json!({
            "replicas": pods.len(), "fullyLabeledReplicas": labelled, "readyReplicas": ready,
            "availableReplicas": ready, "observedGeneration": rs.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        });
        write_status(sh, st, &k, status);
    }
}

fn deployments(sh: &Shared, st: &mut State) {
    let rs_ty = ty("apps/v1", "ReplicaSet");
    for (k, d) in live_of_type(st, ty("apps/v1", "Deployment")) {
        let uid = meta(&d, "uid").unwrap_or_default();
        let want = d
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .max(0);
        let template = d.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let hash = ids::template_hash(&template.to_string());
        let rs_name = format!("{}-{hash}", k.2);
        let owned: Vec<(Key, Value)> = st
            .of_type(rs_ty, Some(&k.1))
            .filter(|(_, r)| controlled_by(r, &uid))
            .map(|(rk, r)| (rk.clone(), r.clone()))
            .collect();
        let revision = owned.len() + 1;
        if !owned.iter().any(|(rk, _)| rk.2 == rs_name) {
            let mut tmpl = template.clone();
            tmpl["metadata"]["labels"]["pod-template-hash"] = json!(hash);
            let mut selector = d.pointer("/spec/selector").cloned().unwrap_or(json!({}));
            selector["matchLabels"]["pod-template-hash"] = json!(hash);
            let mut labels = template
                .pointer("/metadata/labels")
                .cloned()
                .unwrap_or(json!({}));
            labels["pod-template-hash"] = json!(hash);
            let rs = json!({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "namespace": k.1, "labels": labels,
                             "annotations": {"deployment.kubernetes.io/desired-replicas": want.to_string(),
                                             "deployment.kubernetes.io/max-replicas": want.to_string(),
                                             "deployment.kubernetes.io/revision": revision.to_string()},
                             "ownerReferences": [owner_ref("Deployment", &d)]},
                "spec": {"replicas": want, "selector": selector, "template": tmpl},
            });
            let target = Target {
                ty: rs_ty,
                namespace: Some(k.1.clone()),
                name: None,
                subresource: None,
            };
            let _ = crud::insert_new(sh, st, &target, rs, Some(MANAGER), false);
        }
        // The current ReplicaSet runs the desired count; older ones are scaled away.
        let owned: Vec<(Key, Value)> = st
            .of_type(rs_ty, Some(&k.1))
            .filter(|(_, r)| controlled_by(r, &uid))
            .map(|(rk, r)| (rk.clone(), r.clone()))
            .collect();
        for (rk, mut rs) in owned.clone() {
            let target = if rk.2 == rs_name { want } else { 0 };
            if rs.pointer("/spec/replicas").and_then(Value::as_i64) != Some(target) {
                rs["spec"]["replicas"] = json!(target);
                let g = rs
                    .pointer("/metadata/generation")
                    .and_then(Value::as_i64)
                    .unwrap_or(1)
                    + 1;
                rs["metadata"]["generation"] = json!(g);
                sh.store.commit(st, &rk, Some(rs));
            }
        }
        let sum = |f: &str| -> i64 {
            owned
                .iter()
                .map(|(_, r)| {
                    r.pointer(&format!("/status/{f}"))
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                })
                .sum()
        };
        let updated = owned
            .iter()
            .find(|(rk, _)| rk.2 == rs_name)
            .and_then(|(_, r)| r.pointer("/status/replicas").and_then(Value::as_i64))
            .unwrap_or(0);
        let (replicas, ready, available) = (
            sum("replicas"),
            sum("readyReplicas"),
            sum("availableReplicas"),
        );
        let old_conds = d
            .pointer("/status/conditions")
            .cloned()
            .unwrap_or(json!([]));
        let cond = |t: &str, s: &str, reason: &str, msg: String| {
            let keep = old_conds.as_array().and_then(|a| {
                a.iter()
                    .find(|c| {
                        c.get("type").and_then(Value::as_str) == Some(t)
                            && c.get("reason").and_then(Value::as_str) == Some(reason)
                    })
                    .cloned()
            });
            keep.unwrap_or_else(|| {
                json!({"type": t, "status": s, "reason": reason, "message": msg,
                       "lastUpdateTime": ids::now(), "lastTransitionTime": ids::now()})
            })
        };
        let available_cond = if available >= want {
            cond(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.".into(),
            )
        } else {
            cond(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.".into(),
            )
        };
        let progressing = if updated == want && available >= want && replicas == want {
            cond(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
            )
        } else {
            cond(
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{rs_name}\" is progressing."),
            )
        };
        let mut status = json!({
            "observedGeneration": d.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
            "replicas": replicas, "updatedReplicas": updated, "readyReplicas": ready,
            "availableReplicas": available, "conditions": [available_cond, progressing],
        });
        if replicas - available > 0 {
            status["unavailableReplicas"] = json!(replicas - available);
        }
        write_status(sh, st, &k, status);
    }
}

fn daemon_sets(sh: &Shared, st: &mut State) {
    let nodes: Vec<(String, Value)> = st
        .of_type(ty("v1", "Node"), None)
        .map(|(k, n)| (k.2.clone(), n.clone()))
        .collect();
    for (k, ds) in live_of_type(st, ty("apps/v1", "DaemonSet")) {
        let uid = meta(&ds, "uid").unwrap_or_default();
        let template = ds.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let node_sel = template
            .pointer("/spec/nodeSelector")
            .map(|s| LabelSelector::from_label_selector(&json!({"matchLabels": s})))
            .unwrap_or_default();
        let eligible: Vec<&String> = nodes
            .iter()
            .filter(|(_, n)| node_sel.matches(n))
            .map(|(name, _)| name)
            .collect();
        let pods: Vec<(Key, Value)> = owned_pods(st, &k.1, &uid)
            .into_iter()
            .filter(|(_, p)| active(p))
            .collect();
        let on = |node: &str| {
            pods.iter()
                .filter(|(_, p)| p.pointer("/spec/nodeName").and_then(Value::as_str) == Some(node))
                .count()
        };
        for node in &eligible {
            if on(node) == 0 {
                create_pod(
                    sh,
                    st,
                    &k.1,
                    &k.2,
                    &template,
                    owner_ref("DaemonSet", &ds),
                    Some(node),
                );
            }
        }
        for (pk, p) in &pods {
            let node = p
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !eligible.iter().any(|n| n.as_str() == node) {
                delete_key(sh, st, pk);
            }
        }
        let pods: Vec<Value> = owned_pods(st, &k.1, &uid)
            .into_iter()
            .map(|(_, p)| p)
            .filter(active)
            .collect();
        let ready = pods.iter().filter(|p| is_ready(p)).count();
        let status = json!({
            "desiredNumberScheduled": eligible.len(), "currentNumberScheduled": pods.len(),
            "numberMisscheduled": 0, "numberReady": ready, "numberAvailable": ready,
            "updatedNumberScheduled": pods.len(),
            "observedGeneration": ds.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        });
        write_status(sh, st, &k, status);
    }
}
