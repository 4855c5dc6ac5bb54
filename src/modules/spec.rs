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
        // Python's 1.0 == 1 and 0.0 == 0, so the floats are booleans too.
        Json::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
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
        // Argument validation is strict: the empty string, which
        // ansible.cfg and conditionals read as false, is no boolean here.
        ArgType::Bool => match to_bool(v).filter(|_| v.as_str() != Some("")) {
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
            Json::Null => Json::Null,
            // Ansible goes through Decimal: `3.0` and "3.0" are 3, "3.5"
            // is refused for its decimal part.
            Json::Number(n) if n.as_f64().and_then(whole).is_some() => {
                Json::from(n.as_f64().and_then(whole).unwrap_or_default())
            }
            Json::String(s) if int_text(s).is_some() => Json::from(int_text(s).unwrap_or_default()),
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

/// A float with no fractional part, as an integer.
fn whole(f: f64) -> Option<i64> {
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
}

/// An integer written as Python's `Decimal` reads it ("42", " 7 ", "3.0", "1e3").
fn int_text(s: &str) -> Option<i64> {
    let t = s.trim();
    t.parse::<i64>().ok().or_else(|| {
        // Rust's float syntax also takes "inf" and "nan"; Decimal's
        // integers never are.
        t.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
            .then(|| t.parse::<f64>().ok().and_then(whole))
            .flatten()
    })
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

    /// Each case was checked against ansible-core 2.21's
    /// ArgumentSpecValidator.
    #[test]
    fn coercions_as_ansible_validates() {
        let int = ArgSpec::new("n", ArgType::Int);
        for (given, want) in [
            (json!(3.0), json!(3)),
            (json!("3.0"), json!(3)),
            (json!(" 42 "), json!(42)),
            (json!("1e3"), json!(1000)),
            (json!(-7), json!(-7)),
            (json!(null), json!(null)),
        ] {
            assert_eq!(coerce(&int, &given), Ok(want), "{given}");
        }
        for bad in [
            json!("3.5"),
            json!(2.5),
            json!("inf"),
            json!("nan"),
            json!([1]),
        ] {
            let e = coerce(&int, &bad).unwrap_err();
            assert!(e.contains("unable to convert to int"), "{bad}: {e}");
            assert!(e.contains(json_type(&bad)), "{bad}: {e}");
        }

        let b = ArgSpec::new("b", ArgType::Bool);
        for (given, want) in [
            (json!(1.0), json!(true)),
            (json!(0.0), json!(false)),
            (json!(1), json!(true)),
            (json!("T"), json!(true)),
            (json!("n"), json!(false)),
            (json!(null), json!(null)),
        ] {
            assert_eq!(coerce(&b, &given), Ok(want), "{given}");
        }
        for (bad, ty, shown) in [
            (json!(""), "str", "''"),
            (json!(2), "int", "'2'"),
            (json!(0.5), "float", "'0.5'"),
            (json!([true]), "list", "'[true]'"),
        ] {
            let e = coerce(&b, &bad).unwrap_err();
            assert_eq!(
                e,
                format!(
                    "argument 'b' is of type {ty} and we were unable to convert to bool: The value {shown} is not a valid boolean."
                )
            );
        }
        // The empty string stays false where Ansible reads booleans loosely.
        assert_eq!(to_bool(&json!("")), Some(false));

        let l = ArgSpec::new("names", ArgType::List);
        assert_eq!(coerce(&l, &json!(3.5)), Ok(json!(["3.5"])));
        assert_eq!(coerce(&l, &json!(true)), Ok(json!(["true"])));
        assert_eq!(coerce(&l, &json!(null)), Ok(json!(null)));
        assert_eq!(
            coerce(&l, &json!({"a": 1})).unwrap_err(),
            "argument 'names' is of type dict and we were unable to convert to list"
        );

        let s = ArgSpec::new("s", ArgType::Path);
        assert_eq!(coerce(&s, &json!(true)), Ok(json!("True")));
        assert_eq!(coerce(&s, &json!(1.5)), Ok(json!("1.5")));
        assert_eq!(coerce(&s, &json!(null)), Ok(json!(null)));
        assert!(
            coerce(&s, &json!({"a": 1}))
                .unwrap_err()
                .contains("of type dict")
        );

        let d = ArgSpec::new("d", ArgType::Dict);
        assert_eq!(coerce(&d, &json!({"a": 1})), Ok(json!({"a": 1})));
        assert_eq!(
            coerce(&d, &json!([1])).unwrap_err(),
            "argument 'd' is of type list and we were unable to convert to dict"
        );
        let raw = ArgSpec::new("r", ArgType::Raw);
        assert_eq!(
            coerce(&raw, &json!([1, {"x": null}])),
            Ok(json!([1, {"x": null}]))
        );

        // Choices apply after conversion, to strings only.
        let c = ArgSpec::new("state", ArgType::Str).choices(&["1", "absent"]);
        assert_eq!(coerce(&c, &json!(1)), Ok(json!("1")));
        assert_eq!(
            coerce(&c, &json!("gone")).unwrap_err(),
            "value of state must be one of: 1, absent, got: gone"
        );
        assert_eq!(coerce(&c, &json!(null)), Ok(json!(null)));
        assert_eq!(
            [
                json!(null),
                json!(true),
                json!(1),
                json!(1.5),
                json!("s"),
                json!([]),
                json!({})
            ]
            .iter()
            .map(json_type)
            .collect::<Vec<_>>(),
            ["NoneType", "bool", "int", "float", "str", "list", "dict"]
        );
    }
}
