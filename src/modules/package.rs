// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `package`: Ansible's action runs the host's package manager module
//! (`use`, else the `pkg_mgr` fact, else a probe) with the task's arguments
//! (all but `use`: the backend validates them). kiln runs its `apt` on apt
//! hosts; other managers fail the task with a clear message until kiln has
//! their module.

use super::apt::{Apt, HostView};
use super::probe::probe;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::template::value_to_json;
use serde_json::Value as Json;

pub struct Package;

static SPEC: ModuleSpec = ModuleSpec {
    name: "package",
    args: &[
        ArgSpec::new("name", T::Raw).required(),
        ArgSpec::new("state", T::Str).required(),
        ArgSpec::new("use", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    // The backend module takes the rest (e.g. apt's update_cache).
    any_args: true,
    raw_args: &[],
};

pub struct PackageArgs {
    use_: String,
    /// The arguments for the backend, `use` removed.
    rest: Args,
}

fn pkg_mgr_fact(ctx: &ModuleCtx<'_>) -> Option<String> {
    let facts = ctx.vars.resolve("ansible_facts").ok()??;
    match value_to_json(&facts) {
        Json::Object(m) => m.get("pkg_mgr")?.as_str().map(str::to_string),
        _ => None,
    }
}

impl Package {
    async fn manager(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &PackageArgs,
    ) -> Result<Result<String, String>, ModuleError> {
        let mut m = a.use_.clone();
        if m == "auto" {
            m = pkg_mgr_fact(ctx).unwrap_or_else(|| "auto".into());
        }
        if m == "auto" {
            // The order of Ansible's pkg_mgr fact for these families.
            let reply = probe(
                ctx,
                "for m in dnf5 dnf yum apt-get zypper apk pacman; do command -v $m >/dev/null 2>&1 && { kv mgr $m; break; }; done",
            )
            .await?;
            if let Some(e) = reply.failure() {
                return Ok(Err(e));
            }
            m = match reply.text("mgr").as_deref() {
                Some("apt-get") => "apt".into(),
                Some(other) => other.to_string(),
                None => "unknown".into(),
            };
        }
        Ok(Ok(m))
    }

    fn backend_args(&self, a: &PackageArgs) -> Result<<Apt as Module>::Args, String> {
        Module::parse(&Apt, &a.rest)
    }
}

#[async_trait::async_trait]
impl Module for Package {
    type Args = PackageArgs;
    type State = Option<HostView>;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<PackageArgs, String> {
        let mut rest = args.clone();
        let use_ = match rest.remove("use") {
            Some(Json::String(s)) => s.to_lowercase(),
            _ => "auto".into(),
        };
        Ok(PackageArgs { use_, rest })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &PackageArgs,
    ) -> Result<Step<Option<HostView>>, ModuleError> {
        let m = match self.manager(ctx, a).await? {
            Ok(m) => m,
            Err(e) => return Ok(Step::Done(failed(e))),
        };
        if m != "apt" {
            return Ok(Step::Done(failed(format!(
                "kiln's package module supports apt hosts only for now; this host's package manager is {m}"
            ))));
        }
        match self.backend_args(a) {
            Ok(args) => Apt.plan(ctx, &args).await,
            Err(msg) => Ok(Step::Done(failed(msg))),
        }
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &PackageArgs,
        seed: Option<HostView>,
    ) -> Result<ModResult, ModuleError> {
        match self.backend_args(a) {
            Ok(args) => Apt.apply(ctx, &args, seed).await,
            Err(msg) => Ok(failed(msg)),
        }
    }
}
