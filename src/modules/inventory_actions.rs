// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `group_by` and `add_host`: they compute Ansible's result (the group or
//! host to add); the executor then changes the run's inventory and sets
//! `changed` from what really changed (see `exec::task`).

use super::args::ArgReader;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, ModuleCtx, ModuleError, failed, raised};
use serde_json::{Map, Value as Json, json};

pub struct GroupBy;
pub struct AddHost;

static GROUP_BY: ModuleSpec = ModuleSpec {
    name: "group_by",
    args: &[ArgSpec::new("key", T::Str), ArgSpec::new("parents", T::Raw)],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Controller,
    any_args: false,
    raw_args: &[],
};

static ADD_HOST: ModuleSpec = ModuleSpec {
    name: "add_host",
    args: &[
        ArgSpec::new("name", T::Str).aliases(&["host", "hostname"]),
        ArgSpec::new("groups", T::Raw).aliases(&["group", "groupname"]),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Controller,
    // Every other argument is a variable of the new host.
    any_args: true,
    raw_args: &[],
};

/// Names the executor recognises in a result to change the inventory.
pub const ADD_GROUP: &str = "add_group";
pub const PARENT_GROUPS: &str = "parent_groups";
pub const ADD_HOST_KEY: &str = "add_host";

#[async_trait::async_trait]
impl super::DynModule for GroupBy {
    fn spec(&self) -> &'static ModuleSpec {
        &GROUP_BY
    }

    async fn execute(&self, _: &ModuleCtx<'_>, args: &Args) -> Result<ModResult, ModuleError> {
        let a = ArgReader::new(&GROUP_BY, args);
        let Some(key) = a.str("key") else {
            return Ok(failed("the 'key' param is required when using group_by"));
        };
        let parents: Vec<String> = match a.raw("parents") {
            None => vec!["all".into()],
            Some(Json::Array(items)) => items.iter().map(text).collect(),
            Some(other) => vec![text(other)],
        };
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(true));
        r.insert(ADD_GROUP.into(), json!(key.replace(' ', "-")));
        r.insert(
            PARENT_GROUPS.into(),
            json!(
                parents
                    .iter()
                    .map(|p| p.replace(' ', "-"))
                    .collect::<Vec<_>>()
            ),
        );
        Ok(r)
    }
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[async_trait::async_trait]
impl super::DynModule for AddHost {
    fn spec(&self) -> &'static ModuleSpec {
        &ADD_HOST
    }

    async fn execute(&self, _: &ModuleCtx<'_>, args: &Args) -> Result<ModResult, ModuleError> {
        let name = ["name", "hostname", "host"]
            .iter()
            .find_map(|k| args.get(*k).filter(|v| !v.is_null()))
            .map(text);
        let Some(given) = name else {
            return Ok(raised("name, host or hostname needs to be provided"));
        };
        let mut vars = Map::new();
        let (name, port) = match crate::inventory::parse_address(&given, false) {
            Some(a) => (a.host, a.port),
            None => (given.clone(), None),
        };
        let groups = ["groupname", "groups", "group"]
            .iter()
            .find_map(|k| args.get(*k).filter(|v| !v.is_null()));
        let mut list: Vec<String> = Vec::new();
        match groups {
            None => {}
            Some(Json::Array(items)) => {
                for g in items.iter().map(text) {
                    if !list.contains(&g) {
                        list.push(g.trim().to_string());
                    }
                }
            }
            Some(Json::String(s)) if s.is_empty() => {}
            Some(Json::String(s)) => {
                for g in s.split(',') {
                    if !list.contains(&g.to_string()) {
                        list.push(g.trim().to_string());
                    }
                }
            }
            Some(_) => return Ok(raised("Groups must be specified as a list.")),
        }
        for (k, v) in args {
            if !matches!(k.as_str(), "name" | "hostname" | "groupname" | "groups") {
                vars.insert(k.clone(), v.clone());
            }
        }
        if let Some(p) = port {
            vars.insert("ansible_ssh_port".into(), json!(p));
        }
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(true));
        r.insert(
            ADD_HOST_KEY.into(),
            json!({"host_name": name, "groups": list, "host_vars": vars}),
        );
        Ok(r)
    }
}
