// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `kubernetes.core.k8s_info`: reads objects, optionally waiting (with a
//! watch) until they exist and meet a condition, e.g. a node becoming Ready;
//! `metadata_only` gives `PartialObjectMetadata` objects.

use super::args::ArgReader;
use super::k8s_common::{
    Condition, add_warnings, auth_args, cluster, hide_fields, int, k8s_args, predicate, str_list,
    wait_args,
};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::k8s::{AuthArgs, ListQuery};
use serde_json::{Value as Json, json};
use std::time::{Duration, Instant};

pub struct K8sInfo;

const WAIT: [ArgSpec; 4] = wait_args!();

static SPEC: ModuleSpec = ModuleSpec {
    name: "k8s_info",
    args: k8s_args![
        ArgSpec::new("kind", T::Str).required(),
        ArgSpec::new("api_version", T::Str).aliases(&["api", "version"]),
        ArgSpec::new("name", T::Str),
        ArgSpec::new("namespace", T::Str),
        ArgSpec::new("label_selectors", T::List),
        ArgSpec::new("field_selectors", T::List),
        ArgSpec::new("hidden_fields", T::List),
        ArgSpec::new("metadata_only", T::Bool),
        WAIT[0],
        WAIT[1],
        WAIT[2],
        WAIT[3],
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct InfoArgs {
    auth: AuthArgs,
    kind: String,
    api_version: String,
    name: Option<String>,
    namespace: Option<String>,
    labels: Vec<String>,
    fields: Vec<String>,
    hidden: Vec<String>,
    metadata_only: bool,
    wait: bool,
    wait_sleep: u64,
    wait_timeout: u64,
    condition: Option<Condition>,
}

#[async_trait::async_trait]
impl Module for K8sInfo {
    type Args = InfoArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<InfoArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["kind"])?;
        Ok(InfoArgs {
            auth: auth_args(&a)?,
            kind: a.str("kind").unwrap_or_default(),
            api_version: a.str_or("api_version", "v1"),
            name: a.str("name"),
            namespace: a.str("namespace"),
            labels: str_list(&a, "label_selectors"),
            fields: str_list(&a, "field_selectors"),
            hidden: str_list(&a, "hidden_fields"),
            metadata_only: a.bool("metadata_only", false)?,
            wait: a.bool("wait", false)?,
            wait_sleep: int(&a, "wait_sleep", 5)?.max(1) as u64,
            wait_timeout: int(&a, "wait_timeout", 120)?.max(0) as u64,
            condition: Condition::parse(a.raw("wait_condition"))?,
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &InfoArgs) -> Result<Step<()>, ModuleError> {
        Ok(Step::Done(run(ctx, a).await))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &InfoArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

async fn run(ctx: &ModuleCtx<'_>, a: &InfoArgs) -> ModResult {
    let (kube, warnings) = match cluster(ctx, &a.auth).await {
        Ok(k) => k,
        Err(msg) => return failed(msg),
    };
    let mut r = match find(&kube, a).await {
        Ok(r) => r,
        Err(msg) => failed(msg),
    };
    add_warnings(&mut r, warnings);
    r
}

async fn find(kube: &crate::k8s::Kube, a: &InfoArgs) -> Result<ModResult, String> {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(false));
    let Some(res) = kube
        .resolve(&a.api_version, &a.kind)
        .await
        .map_err(|e| e.to_string())?
    else {
        r.insert("resources".into(), json!([]));
        r.insert(
            "msg".into(),
            json!(format!(
                "Failed to find API for resource with apiVersion \"{}\" and kind \"{}\"",
                a.api_version, a.kind
            )),
        );
        r.insert("api_found".into(), json!(false));
        return Ok(r);
    };
    let ns = a.namespace.as_deref();
    let query = ListQuery {
        label_selector: (!a.labels.is_empty()).then(|| a.labels.join(",")),
        field_selector: (!a.fields.is_empty()).then(|| a.fields.join(",")),
    };
    let fetch = || async {
        let found = match &a.name {
            Some(n) if query.label_selector.is_none() && query.field_selector.is_none() => {
                kube.get(&res, ns, n).await?.into_iter().collect()
            }
            Some(n) => {
                let mut q = query.clone();
                let by_name = format!("metadata.name={n}");
                q.field_selector = Some(match q.field_selector {
                    Some(f) => format!("{f},{by_name}"),
                    None => by_name,
                });
                kube.list(&res, ns, &q).await?.0
            }
            None => kube.list(&res, ns, &query).await?.0,
        };
        Ok::<Vec<Json>, crate::k8s::K8sError>(found)
    };
    let err = |e: crate::k8s::K8sError| {
        format!(
            "Exception '{e}' raised while trying to get resource using (name={}, namespace={}, label_selectors={:?}, field_selectors={:?})",
            a.name.as_deref().unwrap_or("None"),
            a.namespace.as_deref().unwrap_or("None"),
            a.labels,
            a.fields
        )
    };
    let timeout = Duration::from_secs(a.wait_timeout);
    let start = Instant::now();
    let mut found = fetch().await.map_err(err)?;
    if a.wait {
        // First the objects must exist (a node that has not joined yet).
        match &a.name {
            Some(n) if found.is_empty() => {
                let exists = |o: Option<&Json>| o.is_some();
                let w = kube
                    .wait_for(&res, ns, n, &exists, timeout)
                    .await
                    .map_err(err)?;
                found = w.object.into_iter().collect();
            }
            _ => {
                while found.is_empty() && start.elapsed() < timeout {
                    tokio::time::sleep(Duration::from_secs(a.wait_sleep)).await;
                    found = fetch().await.map_err(err)?;
                }
            }
        }
        // Then each must meet the condition (or be ready for its kind).
        let pred = predicate(res.kind.clone(), a.condition.clone(), false);
        let mut ready = Vec::new();
        for o in found {
            if pred(Some(&o)) {
                ready.push(o);
                continue;
            }
            let name = o
                .pointer("/metadata/name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string();
            let ons = o
                .pointer("/metadata/namespace")
                .and_then(Json::as_str)
                .map(str::to_string);
            let left = timeout.saturating_sub(start.elapsed());
            let w = kube
                .wait_for(&res, ons.as_deref(), &name, &pred, left)
                .await
                .map_err(err)?;
            if !w.satisfied {
                return Err(format!(
                    "Failed to gather information about {}(s) even after waiting for {} seconds",
                    res.kind,
                    start.elapsed().as_secs()
                ));
            }
            ready.extend(w.object);
        }
        found = ready;
    }
    let resources: Vec<Json> = found
        .into_iter()
        .map(|o| if a.metadata_only { partial(o) } else { o })
        .map(|o| hide_fields(o, &a.hidden))
        .collect();
    r.insert("resources".into(), Json::Array(resources));
    r.insert("api_found".into(), json!(true));
    Ok(r)
}

/// An object as the API server answers a request for its metadata only
/// (`Accept: ...;as=PartialObjectMetadata;g=meta.k8s.io;v=v1`): its
/// metadata in a `PartialObjectMetadata`. kiln reads the whole object and
/// trims it, which gives the same result.
fn partial(o: Json) -> Json {
    let metadata = o.get("metadata").cloned().unwrap_or_else(|| json!({}));
    json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": metadata})
}
