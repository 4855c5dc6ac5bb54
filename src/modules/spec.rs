// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Argument specifications, as Ansible modules declare them, and Ansible's
//! coercions of argument values (`"yes"` as a boolean, `"a,b"` as a list).

use serde_json::Value as Json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    Str,
    Path,
    Bool,
    Int,
    List,
    Dict,
    /// Any value, passed as it is.
    Raw,
}

#[derive(Debug, Clone, Copy)]
pub struct ArgSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub ty: ArgType,
    pub required: bool,
    pub choices: &'static [&'static str],
}

impl ArgSpec {
    pub const fn new(name: &'static str, ty: ArgType) -> Self {
        ArgSpec {
            name,
            aliases: &[],
            ty,
            required: false,
            choices: &[],
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn aliases(mut self, a: &'static [&'static str]) -> Self {
        self.aliases = a;
        self
    }
    pub const fn choices(mut self, c: &'static [&'static str]) -> Self {
        self.choices = c;
        self
    }
}

/// How a module takes free-form text (`command: ls -l`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeForm {
    /// Only `key: value` arguments (free-form `k=v` pairs are still parsed).
    No,
    /// The text goes to `_raw_params`; only the listed keys are taken out of
    /// it as `k=v` (command, shell, raw).
    RawParams(&'static [&'static str]),
}

/// Where a module runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunsOn {
    /// On the managed host (through its connection).
    Host,
    /// On the controller only (debug, set_fact, assert, fail).
    Controller,
    /// By the executor itself (include_tasks, include_role, meta, include_vars).
    Engine,
}

#[derive(Debug, Clone, Copy)]
pub struct ModuleSpec {
    /// Short name; `ansible.builtin.<name>` and `ansible.legacy.<name>` resolve to it.
    pub name: &'static str,
    pub args: &'static [ArgSpec],
    pub free_form: FreeForm,
    /// Groups of arguments of which at most one may be given.
    pub mutually_exclusive: &'static [&'static [&'static str]],
    /// Groups of arguments of which at least one must be given.
    pub required_one_of: &'static [&'static [&'static str]],
    pub runs_on: RunsOn,
    /// Whether arguments outside the spec are accepted (set_fact takes any).
    pub any_args: bool,
    /// Arguments the executor must not template (they are expressions the
    /// module evaluates itself: `assert.that`, `debug.var`).
    pub raw_args: &'static [&'static str],
}

impl ModuleSpec {
    /// The spec entry for `name` or one of its aliases.
    pub fn arg(&self, name: &str) -> Option<&'static ArgSpec> {
        self.args
            .iter()
            .find(|a| a.name == name || a.aliases.contains(&name))
    }
}

/// Ansible's boolean conversion of a module argument.
pub fn to_bool(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Json::String(s) => match s.to_lowercase().as_str() {
            "yes" | "on" | "1" | "true" | "y" | "t" => Some(true),
            "no" | "off" | "0" | "false" | "n" | "f" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Checks and coerces one argument value to its declared type, with the
/// message Ansible's argument validation gives.
pub fn coerce(spec: &ArgSpec, v: &Json) -> Result<Json, String> {
    let name = spec.name;
    let out = match spec.ty {
        ArgType::Raw => v.clone(),
        ArgType::Str | ArgType::Path => match v {
            Json::String(_) => v.clone(),
            Json::Null => Json::Null,
            Json::Bool(b) => Json::String(if *b { "True" } else { "False" }.into()),
            Json::Number(n) => Json::String(n.to_string()),
            other => {
                return Err(format!(
                    "argument '{name}' is of type {} and we were unable to convert to str",
                    json_type(other)
                ));
            }
        },
        ArgType::Bool => match to_bool(v) {
            Some(b) => Json::Bool(b),
            None if v.is_null() => Json::Null,
            None => {
                return Err(format!(
                    "argument '{name}' is of type {} and we were unable to convert to bool: The value '{}' is not a valid boolean.",
                    json_type(v),
                    display(v)
                ));
            }
        },
        ArgType::Int => match v {
            Json::Number(n) if n.is_i64() => v.clone(),
            Json::String(s) if s.trim().parse::<i64>().is_ok() => {
                Json::from(s.trim().parse::<i64>().unwrap_or_default())
            }
            Json::Null => Json::Null,
            other => {
                return Err(format!(
                    "argument '{name}' is of type {} and we were unable to convert to int",
                    json_type(other)
                ));
            }
        },
        ArgType::List => match v {
            Json::Array(_) => v.clone(),
            Json::Null => Json::Null,
            Json::String(s) => Json::Array(
                s.split(',')
                    .map(|x| Json::String(x.trim().into()))
                    .collect(),
            ),
            Json::Number(_) | Json::Bool(_) => Json::Array(vec![Json::String(display(v))]),
            Json::Object(_) => {
                return Err(format!(
                    "argument '{name}' is of type dict and we were unable to convert to list"
                ));
            }
        },
        ArgType::Dict => match v {
            Json::Object(_) | Json::Null => v.clone(),
            other => {
                return Err(format!(
                    "argument '{name}' is of type {} and we were unable to convert to dict",
                    json_type(other)
                ));
            }
        },
    };
    if !spec.choices.is_empty()
        && let Some(s) = out.as_str()
        && !spec.choices.contains(&s)
    {
        return Err(format!(
            "value of {name} must be one of: {}, got: {s}",
            spec.choices.join(", ")
        ));
    }
    Ok(out)
}

fn display(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Python's type names, as Ansible prints them in argument errors.
pub fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "NoneType",
        Json::Bool(_) => "bool",
        Json::Number(n) if n.is_f64() => "float",
        Json::Number(_) => "int",
        Json::String(_) => "str",
        Json::Array(_) => "list",
        Json::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ansible_coercions() {
        let b = ArgSpec::new("force", ArgType::Bool);
        assert_eq!(coerce(&b, &json!("yes")).unwrap(), json!(true));
        assert_eq!(coerce(&b, &json!("Off")).unwrap(), json!(false));
        assert!(
            coerce(&b, &json!("maybe"))
                .unwrap_err()
                .contains("not a valid boolean")
        );
        let l = ArgSpec::new("names", ArgType::List);
        assert_eq!(coerce(&l, &json!("a, b")).unwrap(), json!(["a", "b"]));
        let i = ArgSpec::new("n", ArgType::Int);
        assert_eq!(coerce(&i, &json!("42")).unwrap(), json!(42));
        let s = ArgSpec::new("state", ArgType::Str).choices(&["present", "absent"]);
        assert!(
            coerce(&s, &json!("gone"))
                .unwrap_err()
                .contains("must be one of")
        );
        assert_eq!(
            coerce(&ArgSpec::new("x", ArgType::Str), &json!(3)).unwrap(),
            json!("3")
        );
    }
}
