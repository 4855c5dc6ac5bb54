// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The cluster around the API server, simulated: a kubelet per node (pods
//! start and become Ready, graceful deletions finish), node Ready flips on a
//! schedule, a scheduler, the disruption controller (PodDisruptionBudget
//! status), the garbage collector and namespace deletion. Workload
//! controllers live in `workloads.rs`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::ids;
use crate::resources;
use crate::selectors::LabelSelector;
use crate::server::Shared;
use crate::store::{Key, State, meta};
use crate::workloads;

pub fn ty(api_version: &str, kind: &str) -> usize {
    // The table is static and these kinds are in it; 0 (Namespace) would only mis-file.
    resources::by_kind(api_version, kind).unwrap_or(0)
}

pub fn condition<'a>(obj: &'a Value, ty: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
        })
}

/// A pod counts as healthy when its Ready condition is True.
pub fn is_ready(obj: &Value) -> bool {
    condition(obj, "Ready")
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        == Some("True")
}

fn set_condition(obj: &mut Value, ty: &str, status: &str, reason: &str, message: &str) {
    let now = ids::now();
    if !obj
        .pointer("/status/conditions")
        .is_some_and(Value::is_array)
    {
        if !obj.get("status").is_some_and(Value::is_object) {
            obj["status"] = json!({});
        }
        obj["status"]["conditions"] = json!([]);
    }
    if let Some(Value::Array(conds)) = obj.pointer_mut("/status/conditions") {
        let fresh = json!({"type": ty, "status": status, "reason": reason, "message": message,
                           "lastHeartbeatTime": now, "lastTransitionTime": now});
        match conds
            .iter_mut()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
        {
            Some(c) => {
                if c.get("status").and_then(Value::as_str) != Some(status) {
                    *c = fresh;
                }
            }
            None => conds.push(fresh),
        }
    }
}

/// A node's conditions: while its kubelet posts status, no pressure and
/// Ready; once it stops, the node lifecycle controller turns every
/// condition to Unknown.
pub fn set_node_ready(node: &mut Value, ready: bool) {
    const PRESSURE: [(&str, &str, &str); 3] = [
        (
            "MemoryPressure",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        (
            "DiskPressure",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        ),
        (
            "PIDPressure",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
    ];
    const GONE: &str = "Kubelet stopped posting node status.";
    for (ty, reason, message) in PRESSURE {
        if ready {
            set_condition(node, ty, "False", reason, message);
        } else {
            set_condition(node, ty, "Unknown", "NodeStatusUnknown", GONE);
        }
    }
    if ready {
        set_condition(
            node,
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        );
    } else {
        set_condition(node, "Ready", "Unknown", "NodeStatusUnknown", GONE);
    }
}

/// A PodDisruptionBudget's status computed from the pods it selects, as the
/// disruption controller does.
pub fn pdb_status(st: &State, pdb: &Value) -> Value {
    let ns = meta(pdb, "namespace").unwrap_or_default();
    let sel = pdb
        .pointer("/spec/selector")
        .map(LabelSelector::from_label_selector)
        .unwrap_or_default();
    let pods: Vec<&Value> = st
        .of_type(ty("v1", "Pod"), Some(&ns))
        .map(|(_, p)| p)
        .filter(|p| sel.matches(p))
        .collect();
    let now = chrono::Utc::now();
    let disrupted: serde_json::Map<String, Value> = pdb
        .pointer("/status/disruptedPods")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(name, at)| {
                    // An entry lapses once its pod is gone or terminating, or after two minutes.
                    let alive = pods.iter().any(|p| {
                        meta(p, "name").as_deref() == Some(name.as_str())
                            && p.pointer("/metadata/deletionTimestamp").is_none()
                    });
                    let fresh = at
                        .as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .is_some_and(|t| {
                            now - t.with_timezone(&chrono::Utc) < chrono::Duration::minutes(2)
                        });
                    alive && fresh
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let healthy = pods
        .iter()
        .filter(|p| {
            p.pointer("/metadata/deletionTimestamp").is_none()
                && !disrupted.contains_key(&meta(p, "name").unwrap_or_default())
                && is_ready(p)
        })
        .count() as i64;
    // Percentages and maxUnavailable scale against the controllers' replica counts.
    let scale = || -> i64 {
        let mut owners = BTreeSet::new();
        let mut total = 0i64;
        for p in &pods {
            let Some(owner) = p
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .and_then(|r| {
                    r.iter()
                        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                })
            else {
                total += 1;
                continue;
            };
            let uid = owner
                .get("uid")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if owners.insert(uid.clone()) {
                let replicas = st
                    .objects
                    .values()
                    .find(|o| meta(o, "uid").as_deref() == Some(uid.as_str()))
                    .and_then(|o| o.pointer("/spec/replicas").and_then(Value::as_i64));
                total += replicas.unwrap_or(1);
            }
        }
        total
    };
    let scaled = |v: &Value, of: i64| -> i64 {
        match v {
            Value::String(s) if s.ends_with('%') => {
                let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
                (pct * of + 99) / 100
            }
            Value::String(s) => s.parse().unwrap_or(0),
            other => other.as_i64().unwrap_or(0),
        }
    };
    let (expected, desired) = match (
        pdb.pointer("/spec/minAvailable"),
        pdb.pointer("/spec/maxUnavailable"),
    ) {
        (_, Some(max)) => {
            let e = scale();
            (e, (e - scaled(max, e)).max(0))
        }
        (Some(Value::Number(n)), None) => (pods.len() as i64, n.as_i64().unwrap_or(0)),
        (Some(min), None) => {
            let e = scale();
            (e, scaled(min, e))
        }
        (None, None) => (pods.len() as i64, 0),
    };
    let allowed = (healthy - desired).max(0);
    let mut status = json!({
        "observedGeneration": pdb.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        "disruptionsAllowed": allowed,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
    });
    if !disrupted.is_empty() {
        status["disruptedPods"] = Value::Object(disrupted);
    }
    let (cs, reason, msg) = if allowed > 0 {
        ("True", "SufficientPods", "")
    } else {
        ("False", "InsufficientPods", "")
    };
    let old_cond = pdb
        .pointer("/status/conditions/0")
        .filter(|c| c.get("status").and_then(Value::as_str) == Some(cs))
        .cloned();
    status["conditions"] = json!([old_cond.unwrap_or_else(|| json!({
        "type": "DisruptionAllowed", "status": cs, "reason": reason, "message": msg,
        "observedGeneration": pdb.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        "lastTransitionTime": ids::now()
    }))]);
    status
}

/// Counts an eviction against a budget until the pod is gone (the API server's `disruptedPods`).
pub fn record_disruption(
    sh: &Shared,
    st: &mut State,
    pdb_ty: usize,
    ns: &str,
    pdb: &str,
    pod: &str,
) {
    let k = (pdb_ty, ns.to_string(), pdb.to_string());
    let Some(mut obj) = st.objects.get(&k).cloned() else {
        return;
    };
    let mut status = pdb_status(st, &obj);
    if !status.get("disruptedPods").is_some_and(Value::is_object) {
        status["disruptedPods"] = json!({});
    }
    status["disruptedPods"][pod] = json!(ids::now());
    let allowed = status
        .get("disruptionsAllowed")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    status["disruptionsAllowed"] = json!((allowed - 1).max(0));
    obj["status"] = status;
    sh.store.commit(st, &k, Some(obj));
}

/// Runs the simulated controllers until the server stops.
pub async fn run(sh: Arc<Shared>) {
    let mut bound_at: HashMap<Key, Instant> = HashMap::new();
    let mut tick = tokio::time::interval(sh.opts.tick);
    loop {
        tick.tick().await;
        let mut st = sh.store.lock();
        flip_nodes(&sh, &mut st);
        sync_node_taints(&sh, &mut st);
        kubelet(&sh, &mut st, &mut bound_at);
        workloads::reconcile(&sh, &mut st);
        schedule(&sh, &mut st);
        budgets(&sh, &mut st);
        collect_garbage(&sh, &mut st);
        finish_namespaces(&sh, &mut st);
    }
}

fn flip_nodes(sh: &Shared, st: &mut State) {
    let due: Vec<(String, bool)> = {
        let Ok(mut sched) = sh.node_schedule.lock() else {
            return;
        };
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) = sched.drain(..).partition(|(at, _, _)| *at <= now);
        *sched = later;
        due.into_iter().map(|(_, n, r)| (n, r)).collect()
    };
    let node_ty = ty("v1", "Node");
    for (name, ready) in due {
        let k = (node_ty, String::new(), name);
        if let Some(mut node) = st.objects.get(&k).cloned() {
            set_node_ready(&mut node, ready);
            sh.store.commit(st, &k, Some(node));
        }
    }
}

const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";
const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";

fn has_taint(node: &Value, key: &str) -> bool {
    node.pointer("/spec/taints")
        .and_then(Value::as_array)
        .is_some_and(|t| {
            t.iter()
                .any(|t| t.get("key").and_then(Value::as_str) == Some(key))
        })
}

/// Adds or removes one NoSchedule taint; true when the node changed.
fn set_taint(node: &mut Value, key: &str, on: bool) -> bool {
    if has_taint(node, key) == on {
        return false;
    }
    if on {
        if !node.pointer("/spec/taints").is_some_and(Value::is_array) {
            node["spec"]["taints"] = json!([]);
        }
        if let Some(Value::Array(t)) = node.pointer_mut("/spec/taints") {
            t.push(json!({"key": key, "effect": "NoSchedule", "timeAdded": ids::now()}));
        }
    } else if let Some(Value::Object(spec)) = node.get_mut("spec")
        && let Some(Value::Array(t)) = spec.get_mut("taints")
    {
        t.retain(|t| t.get("key").and_then(Value::as_str) != Some(key));
        if t.is_empty() {
            spec.remove("taints");
        }
    }
    true
}

/// The node lifecycle controller's NoSchedule taints: for a cordoned node and
/// for a node whose Ready condition is not True (removed when that ends).
fn sync_node_taints(sh: &Shared, st: &mut State) {
    let node_ty = ty("v1", "Node");
    let nodes: Vec<(Key, Value)> = st
        .of_type(node_ty, None)
        .map(|(k, n)| (k.clone(), n.clone()))
        .collect();
    for (k, mut node) in nodes {
        let cordoned = node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true);
        let ready = is_ready(&node);
        let a = set_taint(&mut node, UNSCHEDULABLE_TAINT, cordoned);
        let b = set_taint(&mut node, NOT_READY_TAINT, !ready);
        if a || b {
            sh.store.commit(st, &k, Some(node));
        }
    }
}

fn node_ready(st: &State, name: &str) -> bool {
    st.get(ty("v1", "Node"), "", name).is_some_and(is_ready)
}

fn kubelet(sh: &Shared, st: &mut State, bound_at: &mut HashMap<Key, Instant>) {
    let pod_ty = ty("v1", "Pod");
    let now = Instant::now();
    // Graceful deletions finish when the containers have stopped, within the grace period.
    let finished: Vec<Key> = st
        .deleting_since
        .iter()
        .filter(|(k, since)| {
            let grace = st
                .objects
                .get(*k)
                .and_then(|p| {
                    p.pointer("/metadata/deletionGracePeriodSeconds")
                        .and_then(Value::as_u64)
                })
                .unwrap_or(0);
            now.duration_since(**since)
                >= sh.opts.kubelet_stop_delay.min(Duration::from_secs(grace))
        })
        .map(|(k, _)| k.clone())
        .collect();
    for k in finished {
        let finalizers = st
            .objects
            .get(&k)
            .and_then(|p| p.pointer("/metadata/finalizers").and_then(Value::as_array))
            .is_some_and(|f| !f.is_empty());
        st.deleting_since.remove(&k);
        if !finalizers {
            sh.store.commit(st, &k, None);
        }
    }
    // Pods bound to a Ready node start.
    let pending: Vec<(Key, Value)> = st
        .of_type(pod_ty, None)
        .filter(|(_, p)| {
            p.pointer("/status/phase").and_then(Value::as_str) == Some("Pending")
                && p.pointer("/metadata/deletionTimestamp").is_none()
                && p.pointer("/spec/nodeName")
                    .and_then(Value::as_str)
                    .is_some_and(|n| !n.is_empty())
        })
        .map(|(k, p)| (k.clone(), p.clone()))
        .collect();
    bound_at.retain(|k, _| st.objects.contains_key(k));
    for (k, mut pod) in pending {
        let node = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !node_ready(st, &node) {
            continue;
        }
        let since = *bound_at.entry(k.clone()).or_insert(now);
        if now.duration_since(since) < sh.opts.pod_start_delay {
            continue;
        }
        start_pod(&mut pod, &node);
        sh.store.commit(st, &k, Some(pod));
    }
}

/// Pod IPs, unique per server run (10.244.0.2 upwards).
static NEXT_POD_IP: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn start_pod(pod: &mut Value, node: &str) {
    let n = NEXT_POD_IP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let pod_ip = format!("10.244.{}.{}", (n / 250) % 256, n % 250 + 2);
    let now = ids::now();
    let statuses: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    json!({"name": c.get("name").cloned().unwrap_or(json!("")),
                           "image": c.get("image").cloned().unwrap_or(json!("")),
                           "imageID": "", "containerID": format!("containerd://{}", ids::uid().replace('-', "")),
                           "ready": true, "started": true, "restartCount": 0,
                           "state": {"running": {"startedAt": now}}})
                })
                .collect()
        })
        .unwrap_or_default();
    let host_ip = format!(
        "10.0.0.{}",
        node.bytes().map(u32::from).sum::<u32>() % 250 + 1
    );
    pod["status"] = json!({
        "phase": "Running",
        "conditions": [
            {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
            {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
            {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
            {"type": "ContainersReady", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
            {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip.clone(),
        "podIPs": [{"ip": pod_ip}],
        "startTime": now,
        "containerStatuses": statuses,
        "qosClass": "BestEffort",
    });
}

/// Binds unscheduled pods to the Ready, schedulable node with the fewest pods.
fn schedule(sh: &Shared, st: &mut State) {
    let pod_ty = ty("v1", "Pod");
    let node_ty = ty("v1", "Node");
    let unbound: Vec<Key> = st
        .of_type(pod_ty, None)
        .filter(|(_, p)| {
            p.pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
                && p.pointer("/metadata/deletionTimestamp").is_none()
        })
        .map(|(k, _)| k.clone())
        .collect();
    for k in unbound {
        let selector = st
            .objects
            .get(&k)
            .and_then(|p| p.pointer("/spec/nodeSelector"))
            .map(|s| LabelSelector::from_label_selector(&json!({"matchLabels": s})))
            .unwrap_or_default();
        let mut load: Vec<(usize, String)> = st
            .of_type(node_ty, None)
            .filter(|(_, n)| {
                is_ready(n)
                    && selector.matches(n)
                    && n.pointer("/spec/unschedulable").and_then(Value::as_bool) != Some(true)
                    && !n
                        .pointer("/spec/taints")
                        .and_then(Value::as_array)
                        .is_some_and(|t| {
                            t.iter().any(|t| {
                                t.get("effect").and_then(Value::as_str) == Some("NoSchedule")
                            })
                        })
            })
            .map(|(nk, _)| {
                let count = st
                    .of_type(pod_ty, None)
                    .filter(|(_, p)| {
                        p.pointer("/spec/nodeName").and_then(Value::as_str) == Some(nk.2.as_str())
                    })
                    .count();
                (count, nk.2.clone())
            })
            .collect();
        load.sort();
        // No fitting node: the pod stays Pending, as with a real scheduler.
        let Some((_, node)) = load.into_iter().next() else {
            continue;
        };
        if let Some(mut pod) = st.objects.get(&k).cloned() {
            pod["spec"]["nodeName"] = json!(node);
            if let Some(Value::Array(conds)) = pod.pointer_mut("/status/conditions") {
                conds.retain(|c| c.get("type").and_then(Value::as_str) != Some("PodScheduled"));
            }
            sh.store.commit(st, &k, Some(pod));
        }
    }
}

fn budgets(sh: &Shared, st: &mut State) {
    let pdb_ty = ty("policy/v1", "PodDisruptionBudget");
    let all: Vec<(Key, Value)> = st
        .of_type(pdb_ty, None)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, mut pdb) in all {
        let status = pdb_status(st, &pdb);
        if pdb.get("status") != Some(&status) {
            pdb["status"] = status;
            sh.store.commit(st, &k, Some(pdb));
        }
    }
}

/// Deletes objects whose every owner is gone (background cascading deletion).
fn collect_garbage(sh: &Shared, st: &mut State) {
    let uids: BTreeSet<String> = st.objects.values().filter_map(|o| meta(o, "uid")).collect();
    let orphans: Vec<Key> = st
        .objects
        .iter()
        .filter(|(_, o)| {
            o.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|r| {
                    !r.is_empty()
                        && r.iter().all(|r| {
                            r.get("uid")
                                .and_then(Value::as_str)
                                .is_none_or(|u| !uids.contains(u))
                        })
                })
                && o.pointer("/metadata/deletionTimestamp").is_none()
        })
        .map(|(k, _)| k.clone())
        .collect();
    for k in orphans {
        delete_key(sh, st, &k);
    }
    // Foreground deletions: dependents first, then the owner loses its finalizer and goes.
    let waiting: Vec<(Key, String)> = st
        .objects
        .iter()
        .filter(|(_, o)| {
            o.pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .is_some_and(|f| f.iter().any(|x| x == "foregroundDeletion"))
        })
        .map(|(k, o)| (k.clone(), meta(o, "uid").unwrap_or_default()))
        .collect();
    for (k, uid) in waiting {
        let dependents: Vec<Key> = st
            .objects
            .iter()
            .filter(|(_, o)| {
                o.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|r| {
                        r.iter()
                            .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid.as_str()))
                    })
            })
            .map(|(dk, _)| dk.clone())
            .collect();
        if dependents.is_empty() {
            let Some(mut owner) = st.objects.get(&k).cloned() else {
                continue;
            };
            if let Some(Value::Array(f)) = owner.pointer_mut("/metadata/finalizers") {
                f.retain(|x| x != "foregroundDeletion");
            }
            let done = owner
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty);
            sh.store
                .commit(st, &k, if done { None } else { Some(owner) });
            continue;
        }
        for dk in dependents {
            let going = st
                .objects
                .get(&dk)
                .is_some_and(|o| o.pointer("/metadata/deletionTimestamp").is_some());
            if !going {
                delete_key_with(sh, st, &dk, "Foreground");
            }
        }
    }
}

/// Deletes an object the way a controller does (graceful for pods).
pub fn delete_key(sh: &Shared, st: &mut State, k: &Key) {
    delete_key_with(sh, st, k, "Background");
}

/// Deletes an object with a propagation policy (`Foreground` when a foreground deletion cascades).
pub fn delete_key_with(sh: &Shared, st: &mut State, k: &Key, propagation: &str) {
    let rt = resources::get(k.0);
    let target = crate::request::Target {
        ty: k.0,
        namespace: if rt.namespaced {
            Some(k.1.clone())
        } else {
            None
        },
        name: Some(k.2.clone()),
        subresource: None,
    };
    let opts = crate::crud::DeleteOptions {
        grace: None,
        propagation: propagation.into(),
        uid: None,
        resource_version: None,
        dry_run: false,
    };
    // A failure here means the object went already.
    let _ = crate::crud::delete_one(sh, st, &target, &k.2, &opts);
}

fn finish_namespaces(sh: &Shared, st: &mut State) {
    let ns_ty = ty("v1", "Namespace");
    let terminating: Vec<String> = st
        .of_type(ns_ty, None)
        .filter(|(_, n)| n.pointer("/metadata/deletionTimestamp").is_some())
        .map(|(k, _)| k.2.clone())
        .collect();
    for ns in terminating {
        let inside: Vec<Key> = st
            .objects
            .keys()
            .filter(|k| resources::get(k.0).namespaced && k.1 == ns)
            .cloned()
            .collect();
        if inside.is_empty() {
            sh.store.commit(st, &(ns_ty, String::new(), ns), None);
            continue;
        }
        for k in inside {
            let going = st
                .objects
                .get(&k)
                .is_some_and(|o| o.pointer("/metadata/deletionTimestamp").is_some());
            if !going {
                delete_key(sh, st, &k);
            }
        }
    }
}
