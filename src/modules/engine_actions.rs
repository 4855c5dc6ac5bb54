// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Actions the executor carries out itself because they change what runs
//! next (`include_tasks`, `include_role`, `meta`) or the variables of a host
//! (`include_vars`). Their argument specs live here so that validation and
//! suggestions treat them like modules.

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, ModuleCtx, ModuleError, failed};

pub struct EngineAction(pub &'static ModuleSpec);

pub static INCLUDE_TASKS: ModuleSpec = ModuleSpec {
    name: "include_tasks",
    args: &[
        ArgSpec::new("_raw_params", T::Str),
        ArgSpec::new("file", T::Str),
        ArgSpec::new("apply", T::Dict),
    ],
    free_form: FreeForm::RawParams(&[]),
    mutually_exclusive: &[&["_raw_params", "file"]],
    required_one_of: &[&["_raw_params", "file"]],
    runs_on: RunsOn::Engine,
    any_args: false,
    raw_args: &[],
};

pub static INCLUDE_ROLE: ModuleSpec = ModuleSpec {
    name: "include_role",
    args: &[
        ArgSpec::new("name", T::Str).required(),
        ArgSpec::new("tasks_from", T::Str),
        ArgSpec::new("vars_from", T::Str),
        ArgSpec::new("defaults_from", T::Str),
        ArgSpec::new("handlers_from", T::Str),
        ArgSpec::new("public", T::Bool),
        ArgSpec::new("allow_duplicates", T::Bool),
        ArgSpec::new("apply", T::Dict),
        ArgSpec::new("rolespec_validate", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Engine,
    any_args: false,
    raw_args: &[],
};

pub static META: ModuleSpec = ModuleSpec {
    name: "meta",
    args: &[ArgSpec::new("_raw_params", T::Str).choices(&[
        "flush_handlers",
        "noop",
        "refresh_inventory",
        "clear_facts",
        "clear_host_errors",
        "end_play",
        "end_host",
        "end_batch",
        "end_role",
        "reset_connection",
    ])],
    free_form: FreeForm::RawParams(&[]),
    mutually_exclusive: &[],
    required_one_of: &[&["_raw_params"]],
    runs_on: RunsOn::Engine,
    any_args: false,
    raw_args: &[],
};

pub static INCLUDE_VARS: ModuleSpec = ModuleSpec {
    name: "include_vars",
    args: &[
        ArgSpec::new("_raw_params", T::Str),
        ArgSpec::new("file", T::Path),
        ArgSpec::new("dir", T::Path),
        ArgSpec::new("name", T::Str),
        ArgSpec::new("files_matching", T::Str),
        ArgSpec::new("ignore_files", T::List),
        ArgSpec::new("extensions", T::List),
        ArgSpec::new("depth", T::Int),
        ArgSpec::new("ignore_unknown_extensions", T::Bool),
        ArgSpec::new("hash_behaviour", T::Str),
    ],
    free_form: FreeForm::RawParams(&[]),
    mutually_exclusive: &[&["_raw_params", "file", "dir"]],
    required_one_of: &[],
    runs_on: RunsOn::Engine,
    any_args: false,
    raw_args: &[],
};

#[async_trait::async_trait]
impl super::DynModule for EngineAction {
    fn spec(&self) -> &'static ModuleSpec {
        self.0
    }

    async fn execute(&self, _: &ModuleCtx<'_>, _: &Args) -> Result<ModResult, ModuleError> {
        // The executor intercepts these before any module runs.
        Ok(failed(format!(
            "{} is carried out by the executor",
            self.0.name
        )))
    }
}
