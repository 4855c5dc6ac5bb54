// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Typed access to a module's arguments. The executor has already checked
//! names and coerced values to their declared types, but it keeps each value
//! under the name the task wrote (`dest` for `path`), so lookups go through
//! the spec's aliases.

use super::Args;
use super::spec::{ArgSpec, ModuleSpec, to_bool};
use serde_json::Value as Json;

/// A module's arguments read through its spec.
pub struct ArgReader<'a> {
    spec: &'static ModuleSpec,
    args: &'a Args,
}

impl<'a> ArgReader<'a> {
    pub fn new(spec: &'static ModuleSpec, args: &'a Args) -> Self {
        ArgReader { spec, args }
    }

    fn entry(&self, name: &str) -> Option<&'static ArgSpec> {
        self.spec.args.iter().find(|a| a.name == name)
    }

    /// The value given for `name` or one of its aliases (`null` counts as absent).
    pub fn raw(&self, name: &str) -> Option<&'a Json> {
        let names: Vec<&str> = match self.entry(name) {
            Some(a) => std::iter::once(a.name)
                .chain(a.aliases.iter().copied())
                .collect(),
            None => vec![name],
        };
        names
            .into_iter()
            .find_map(|n| self.args.get(n))
            .filter(|v| !v.is_null())
    }

    /// Whether the task gave `name` (or an alias).
    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// A string argument (numbers and booleans shown as Python shows them).
    pub fn str(&self, name: &str) -> Option<String> {
        self.raw(name).map(|v| match v {
            Json::String(s) => s.clone(),
            Json::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            other => other.to_string(),
        })
    }

    pub fn str_or(&self, name: &str, default: &str) -> String {
        self.str(name).unwrap_or_else(|| default.to_string())
    }

    /// A boolean argument with Ansible's conversions.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => to_bool(v).ok_or_else(|| {
                format!(
                    "argument '{name}' is of type {} and we were unable to convert to bool: The value '{}' is not a valid boolean.",
                    super::spec::json_type(v),
                    match v {
                        Json::String(s) => s.clone(),
                        other => other.to_string(),
                    }
                )
            }),
        }
    }

    /// Checks `choices` again for values that came from templates.
    pub fn choice(&self, name: &str, default: Option<&str>) -> Result<Option<String>, String> {
        let Some(v) = self.str(name) else {
            return Ok(default.map(str::to_string));
        };
        if let Some(a) = self.entry(name)
            && !a.choices.is_empty()
            && !a.choices.contains(&v.as_str())
        {
            return Err(format!(
                "value of {name} must be one of: {}, got: {v}",
                a.choices.join(", ")
            ));
        }
        Ok(Some(v))
    }

    /// The required arguments that are missing, in Ansible's words.
    pub fn require(&self, names: &[&str]) -> Result<(), String> {
        let missing: Vec<&str> = names.iter().copied().filter(|n| !self.has(n)).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "missing required arguments: {}",
                missing.join(", ")
            ))
        }
    }
}

/// The arguments every file-writing module shares (Ansible's
/// `FILE_COMMON_ARGUMENTS`), appended to a module's own list.
macro_rules! file_args {
    ($($own:expr),* $(,)?) => {
        &[
            $($own,)*
            $crate::modules::spec::ArgSpec::new("mode", $crate::modules::spec::ArgType::Raw),
            $crate::modules::spec::ArgSpec::new("owner", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("group", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("seuser", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("serole", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("selevel", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("setype", $crate::modules::spec::ArgType::Str),
            $crate::modules::spec::ArgSpec::new("attributes", $crate::modules::spec::ArgType::Str)
                .aliases(&["attr"]),
            $crate::modules::spec::ArgSpec::new("unsafe_writes", $crate::modules::spec::ArgType::Bool),
        ]
    };
}
pub(crate) use file_args;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::spec::{ArgType as T, FreeForm, RunsOn};
    use serde_json::json;

    static SPEC: ModuleSpec = ModuleSpec {
        name: "t",
        args: file_args![
            ArgSpec::new("path", T::Path).aliases(&["dest", "name"]),
            ArgSpec::new("state", T::Str).choices(&["file", "absent"]),
            ArgSpec::new("force", T::Bool),
        ],
        free_form: FreeForm::No,
        mutually_exclusive: &[],
        required_one_of: &[],
        runs_on: RunsOn::Host,
        any_args: false,
        raw_args: &[],
    };

    #[test]
    fn aliases_choices_and_bools() {
        let args: Args = serde_json::from_value(json!({
            "dest": "/x", "state": "gone", "force": "yes", "attr": "+i"
        }))
        .unwrap();
        let a = ArgReader::new(&SPEC, &args);
        assert_eq!(a.str("path").as_deref(), Some("/x"));
        assert_eq!(a.str("attributes").as_deref(), Some("+i"));
        assert!(a.bool("force", false).unwrap());
        assert!(!a.bool("unsafe_writes", false).unwrap());
        assert!(
            a.choice("state", None)
                .unwrap_err()
                .contains("must be one of")
        );
        assert_eq!(
            a.require(&["path", "owner"]).unwrap_err(),
            "missing required arguments: owner"
        );
        assert!(SPEC.arg("mode").is_some());
    }
}
