// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `POST pods/NAME/eviction`: the PodDisruptionBudget check the API server
//! makes before it deletes the pod (429 "Cannot evict pod as it would
//! violate the pod's disruption budget." while no disruption is allowed).

use serde_json::{Value, json};

use crate::controllers::{self, is_ready};
use crate::crud::{self, DeleteOptions, Json};
use crate::request::{Request, Target};
use crate::resources;
use crate::selectors::LabelSelector;
use crate::server::Shared;
use crate::status::{self, ApiError};
use crate::store::meta;

pub fn evict(sh: &Shared, req: &Request, t: &Target, name: &str) -> Result<Json, ApiError> {
    let body = req.json()?;
    if let Some(n) = meta(&body, "name")
        && n != name
    {
        return Err(ApiError::bad_request(
            "name in URL does not match name in Eviction object",
        ));
    }
    let opts_body = body.get("deleteOptions").cloned().unwrap_or(Value::Null);
    let opts = DeleteOptions {
        grace: opts_body.get("gracePeriodSeconds").and_then(Value::as_i64),
        propagation: "Background".into(),
        uid: opts_body
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_string),
        resource_version: opts_body
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string),
        dry_run: req.dry_run()
            || opts_body
                .get("dryRun")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|v| v == "All")),
    };
    let ns = t.namespace.clone().unwrap_or_default();
    let pods = resources::get(t.ty);
    let mut st = sh.store.lock();
    let pod = st
        .get(t.ty, &ns, name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(pods, name))?;
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("");
    let terminating = pod.pointer("/metadata/deletionTimestamp").is_some();
    // Pods that are not running, or already going, are deleted without asking a budget.
    let guarded = !terminating && !matches!(phase, "Succeeded" | "Failed" | "Pending");
    if guarded {
        let Some(pdb_ty) = resources::by_kind("policy/v1", "PodDisruptionBudget") else {
            return Err(ApiError::internal("no PodDisruptionBudget type"));
        };
        let budgets: Vec<(String, Value)> = st
            .of_type(pdb_ty, Some(&ns))
            .filter(|(_, b)| {
                b.pointer("/spec/selector").is_some_and(|s| {
                    LabelSelector::from_label_selector(s).matches(&pod)
                        && !s.as_object().is_some_and(|m| m.is_empty())
                })
            })
            .map(|(k, b)| (k.2.clone(), b.clone()))
            .collect();
        if budgets.len() > 1 {
            return Err(ApiError::internal(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            ));
        }
        if let Some((pdb_name, pdb)) = budgets.into_iter().next() {
            let status = controllers::pdb_status(&st, &pdb);
            let allowed = status
                .get("disruptionsAllowed")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let healthy = status
                .get("currentHealthy")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let desired = status
                .get("desiredHealthy")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            // An unready pod may go while the budget is met (IfHealthyBudget,
            // the default), or always (AlwaysAllow).
            let always = pdb
                .pointer("/spec/unhealthyPodEvictionPolicy")
                .and_then(Value::as_str)
                == Some("AlwaysAllow");
            let unready_ok = !is_ready(&pod) && (always || healthy >= desired);
            if !unready_ok {
                if allowed <= 0 {
                    return Err(ApiError::too_many_requests(
                        "Cannot evict pod as it would violate the pod's disruption budget.",
                        sh.opts.pdb_retry_after,
                        vec![json!({
                            "reason": "DisruptionBudget",
                            "message": format!("The disruption budget {pdb_name} needs {desired} healthy pods and has {healthy} currently")
                        })],
                    ));
                }
                if !opts.dry_run {
                    controllers::record_disruption(sh, &mut st, pdb_ty, &ns, &pdb_name, name);
                }
            }
        }
    }
    crud::delete_one(sh, &mut st, t, name, &opts)?;
    Ok(Json {
        code: 201,
        body: status::success(201, None),
    })
}
