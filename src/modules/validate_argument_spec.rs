// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `validate_argument_spec`: checks variables and role parameters against an
//! argument spec written in YAML (a role's `meta/argument_specs.yml` entry
//! point, or a task's own `argument_spec`), with the messages of Ansible's
//! `ArgumentSpecValidator`. Roles get this task prepended by the loader
//! (src/playbook/role.rs); it runs on the controller.
//!
//! The spec here is data, not a static [`ModuleSpec`] like the native
//! modules' own, so the checks are written out for JSON specs: types,
//! `elements`, `choices`, `required`, `default`, `aliases` and nested
//! `options`, in the order Ansible makes them (its error list is compared).

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn, json_type};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::template::{json_to_value, py_repr, value_to_json};
use serde_json::{Map, Value as Json, json};

pub struct ValidateArgumentSpec;

static SPEC: ModuleSpec = ModuleSpec {
    name: "validate_argument_spec",
    args: &[
        ArgSpec::new("argument_spec", T::Raw).required(),
        ArgSpec::new("provided_arguments", T::Raw),
        ArgSpec::new("validate_args_context", T::Raw),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Controller,
    any_args: false,
    // The spec is data: its descriptions may hold `{{` as text.
    raw_args: &["argument_spec", "validate_args_context"],
};

pub struct SpecArgs {
    spec: Map<String, Json>,
    provided: Map<String, Json>,
    context: Json,
}

#[async_trait::async_trait]
impl Module for ValidateArgumentSpec {
    type Args = SpecArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<SpecArgs, String> {
        let spec = match args.get("argument_spec") {
            Some(Json::Object(m)) => m.clone(),
            Some(Json::Null) => Map::new(),
            Some(other) => {
                return Err(format!(
                    "Incorrect type for argument_spec, expected dict and got <class '{}'>",
                    json_type(other)
                ));
            }
            None => return Err("\"argument_spec\" arg is required in args".into()),
        };
        let provided = match args.get("provided_arguments") {
            Some(Json::Object(m)) => m.clone(),
            None | Some(Json::Null) => Map::new(),
            Some(other) => {
                return Err(format!(
                    "Incorrect type for provided_arguments, expected dict and got <class '{}'>",
                    json_type(other)
                ));
            }
        };
        Ok(SpecArgs {
            spec,
            provided,
            context: args
                .get("validate_args_context")
                .cloned()
                .unwrap_or_else(|| json!({})),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &SpecArgs) -> Result<Step<()>, ModuleError> {
        // Variables named like a top-level option count as given; the
        // parameters written on the role win over them.
        let mut params = Map::new();
        for name in a.spec.keys() {
            match ctx.vars.resolve(name) {
                Ok(Some(v)) if !v.is_undefined() => {
                    params.insert(name.clone(), value_to_json(&v));
                }
                Ok(_) => {}
                Err(e) => return Ok(Step::Done(failed(e.message))),
            }
        }
        for (k, v) in &a.provided {
            params.insert(k.clone(), v.clone());
        }
        let errors = validate(&a.spec, &mut params);
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        if errors.is_empty() {
            r.insert("msg".into(), json!("The arg spec validation passed"));
            r.insert("validate_args_context".into(), a.context.clone());
            return Ok(Step::Done(r));
        }
        r.insert("failed".into(), json!(true));
        r.insert(
            "msg".into(),
            json!(format!(
                "Validation of arguments failed:\n{}",
                errors.join("\n")
            )),
        );
        r.insert("validate_args_context".into(), a.context.clone());
        r.insert("argument_spec_data".into(), Json::Object(a.spec.clone()));
        r.insert("argument_errors".into(), json!(errors));
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &SpecArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

/// Python's `str()` of a value, as Ansible's messages show values.
fn py_str(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => py_repr(&json_to_value(other)),
    }
}

/// Python's `type(value)` text (`<class 'str'>`).
fn py_class(v: &Json) -> String {
    format!("<class '{}'>", json_type(v))
}

/// Validates `params` against `spec` (coercing values and setting defaults
/// in place) and returns Ansible's error messages, in its order.
pub fn validate(spec: &Map<String, Json>, params: &mut Map<String, Json>) -> Vec<String> {
    let mut errors = Vec::new();
    let mut unsupported = Vec::new();
    let mut supported = None;
    check_level(
        spec,
        params,
        &mut Vec::new(),
        &mut errors,
        &mut unsupported,
        &mut supported,
    );
    if !unsupported.is_empty() {
        unsupported.sort();
        let (names, aliases) = supported.unwrap_or_default();
        let mut text = names.join(", ");
        if !aliases.is_empty() {
            text.push_str(&format!(" ({})", aliases.join(", ")));
        }
        errors.push(format!(
            "{}. Supported parameters include: {text}.",
            unsupported.join(", ")
        ));
    }
    errors
}

/// The options of `spec` (name, its own spec); a non-mapping entry is
/// treated as an empty spec, as Python's `.get` on it would fail loudly
/// only in ways no role relies on.
fn entries(spec: &Map<String, Json>) -> Vec<(&String, Map<String, Json>)> {
    spec.iter()
        .map(|(k, v)| (k, v.as_object().cloned().unwrap_or_default()))
        .collect()
}

fn context_suffix(ctx: &[String]) -> String {
    if ctx.is_empty() {
        String::new()
    } else {
        format!(" found in {}", ctx.join(" -> "))
    }
}

type Supported = Option<(Vec<String>, Vec<String>)>;

/// One level of options: Ansible's `validate` for the top level and
/// `_validate_sub_spec` below it share these steps.
fn check_level(
    spec: &Map<String, Json>,
    params: &mut Map<String, Json>,
    ctx: &mut Vec<String>,
    errors: &mut Vec<String>,
    unsupported: &mut Vec<String>,
    supported: &mut Supported,
) {
    let opts = entries(spec);
    // Aliases: the value given under an alias is the option's.
    let mut aliases: Vec<String> = Vec::new();
    for (name, o) in &opts {
        let has_default = o.get("default").is_some_and(|d| !d.is_null());
        if has_default && o.get("required").and_then(super::spec::to_bool) == Some(true) {
            errors.push(format!(
                "internal error: required and default are mutually exclusive for {name}"
            ));
            break;
        }
        if let Some(Json::Array(list)) = o.get("aliases") {
            for a in list.iter().filter_map(Json::as_str) {
                aliases.push(a.to_string());
                if let Some(v) = params.get(a).cloned() {
                    params.insert((*name).clone(), v);
                }
            }
        }
    }
    // Parameters that are neither an option nor an alias.
    let keys: Vec<String> = params.keys().cloned().collect();
    for k in keys {
        if !spec.contains_key(&k) && !aliases.contains(&k) {
            let mut full = ctx.clone();
            full.push(k);
            unsupported.push(full.join("."));
            let mut names: Vec<String> = spec.keys().cloned().collect();
            names.sort();
            let mut al = aliases.clone();
            al.sort();
            *supported = Some((names, al));
        }
    }
    set_defaults(&opts, params, false);
    let missing: Vec<&str> = {
        let mut m: Vec<&str> = opts
            .iter()
            .filter(|(k, o)| {
                o.get("required").and_then(super::spec::to_bool) == Some(true)
                    && !params.contains_key(k.as_str())
            })
            .map(|(k, _)| k.as_str())
            .collect();
        m.sort();
        m
    };
    if !missing.is_empty() {
        errors.push(format!(
            "missing required arguments: {}{}",
            missing.join(", "),
            context_suffix(ctx)
        ));
    }
    check_types(&opts, params, ctx, errors);
    check_choices(&opts, params, ctx, errors);
    set_defaults(&opts, params, true);
    // Nested options of dict options and of lists of dicts.
    for (name, o) in &opts {
        let ty = o.get("type").and_then(Json::as_str).unwrap_or("str");
        let elements = o.get("elements").and_then(Json::as_str).unwrap_or("");
        if !(ty == "dict" || (ty == "list" && elements == "dict")) {
            continue;
        }
        let Some(Json::Object(sub)) = o.get("options") else {
            continue;
        };
        let apply_defaults = o.get("apply_defaults").and_then(super::spec::to_bool) == Some(true);
        if apply_defaults && params.get(name.as_str()).is_none_or(Json::is_null) {
            params.insert((*name).clone(), json!({}));
        }
        let Some(value) = params.get_mut(name.as_str()) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        ctx.push((*name).clone());
        let mut items: Vec<&mut Json> = match value {
            Json::Array(list) => list.iter_mut().collect(),
            other => vec![other],
        };
        for item in items.iter_mut() {
            let Json::Object(sub_params) = item else {
                errors.push(format!(
                    "value of '{name}' must be of type dict or list of dicts"
                ));
                continue;
            };
            check_level(sub, sub_params, ctx, errors, unsupported, supported);
        }
        ctx.pop();
    }
}

/// Ansible's `_set_defaults`: a `default` fills a missing option; on the
/// second pass (`all`) every missing option is set, to null if no default.
fn set_defaults(opts: &[(&String, Map<String, Json>)], params: &mut Map<String, Json>, all: bool) {
    for (name, o) in opts {
        let default = o.get("default").cloned().unwrap_or(Json::Null);
        if !params.contains_key(name.as_str()) && (!default.is_null() || all) {
            params.insert((*name).clone(), default);
        }
    }
}

fn check_types(
    opts: &[(&String, Map<String, Json>)],
    params: &mut Map<String, Json>,
    ctx: &[String],
    errors: &mut Vec<String>,
) {
    let found = if ctx.is_empty() {
        String::new()
    } else {
        format!(" found in '{}'.", ctx.join(" -> "))
    };
    for (name, o) in opts {
        let Some(value) = params.get(name.as_str()).cloned() else {
            continue;
        };
        let required = o.get("required").and_then(super::spec::to_bool) == Some(true);
        if value.is_null() && !required && o.get("default").is_none_or(Json::is_null) {
            continue;
        }
        let wanted = o.get("type").and_then(Json::as_str).unwrap_or("str");
        match convert(wanted, &value) {
            Ok(v) => {
                let converted = match o.get("elements").and_then(Json::as_str) {
                    Some(el) => {
                        let Json::Array(items) = &v else {
                            errors.push(format!(
                                "Invalid type {wanted} for option '{}'{found}, elements value check is supported only with 'list' type",
                                py_str(&v)
                            ));
                            continue;
                        };
                        let mut out = Vec::new();
                        for item in items {
                            match convert(el, item) {
                                Ok(x) => out.push(x),
                                Err(e) => errors.push(format!(
                                    "Elements value for option '{name}'{} is of type {} and we were unable to convert to {el}: {e}",
                                    if ctx.is_empty() {
                                        String::new()
                                    } else {
                                        format!(" found in '{}'", ctx.join(" -> "))
                                    },
                                    json_type(item)
                                )),
                            }
                        }
                        Json::Array(out)
                    }
                    None => v,
                };
                params.insert((*name).clone(), converted);
            }
            Err(e) => errors.push(format!(
                "argument '{name}' is of type {}{found} and we were unable to convert to {wanted}: {e}",
                json_type(&value)
            )),
        }
    }
}

fn check_choices(
    opts: &[(&String, Map<String, Json>)],
    params: &Map<String, Json>,
    ctx: &[String],
    errors: &mut Vec<String>,
) {
    for (name, o) in opts {
        let Some(Json::Array(choices)) = o.get("choices") else {
            continue;
        };
        let Some(value) = params.get(name.as_str()) else {
            continue;
        };
        let listed = choices.iter().map(py_str).collect::<Vec<_>>().join(", ");
        let found = context_suffix(ctx);
        match value {
            Json::Array(items) => {
                let bad: Vec<String> = items
                    .iter()
                    .filter(|i| !choices.iter().any(|c| same(c, i)))
                    .map(py_str)
                    .collect();
                if !bad.is_empty() {
                    errors.push(format!(
                        "value of {name} must be one or more of: {listed}. Got no match for: {}{found}",
                        bad.join(", ")
                    ));
                }
            }
            v if !choices.iter().any(|c| same(c, v)) => errors.push(format!(
                "value of {name} must be one of: {listed}, got: {}{found}",
                py_str(v)
            )),
            _ => {}
        }
    }
}

/// Python's `==` for the values a spec compares (1 == 1.0).
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Ansible's type checkers (`check_type_*`), with their messages.
fn convert(wanted: &str, v: &Json) -> Result<Json, String> {
    match wanted {
        "str" | "path" => Ok(match v {
            Json::Null => json!(""),
            other => Json::String(py_str(other)),
        }),
        "raw" => Ok(v.clone()),
        "int" => match v {
            Json::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
            Json::Bool(b) => Ok(json!(*b)),
            Json::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.is_finite() => Ok(json!(f as i64)),
                _ => Err(format!("\"{}\" cannot be converted to an int", n)),
            },
            Json::String(s) => {
                let t = s.trim();
                if let Ok(i) = t.parse::<i64>() {
                    return Ok(json!(i));
                }
                match t.parse::<f64>() {
                    Ok(f) if f.fract() == 0.0 && f.is_finite() => Ok(json!(f as i64)),
                    _ => Err(format!(
                        "\"{}\" cannot be converted to an int",
                        py_repr(&json_to_value(&Json::String(s.clone())))
                    )),
                }
            }
            other => Err(format!(
                "\"{}\" cannot be converted to an int",
                py_repr(&json_to_value(other))
            )),
        },
        "float" => match v {
            Json::Number(n) => Ok(json!(n.as_f64().unwrap_or_default())),
            Json::Bool(b) => Ok(json!(if *b { 1.0 } else { 0.0 })),
            Json::String(s) => s
                .trim()
                .parse::<f64>()
                .map(|f| json!(f))
                .map_err(|_| format!("{} cannot be converted to a float", py_class(v))),
            other => Err(format!("{} cannot be converted to a float", py_class(other))),
        },
        "bool" => match v {
            Json::Bool(_) => Ok(v.clone()),
            Json::String(_) | Json::Number(_) => super::spec::to_bool(v)
                .filter(|_| !matches!(v, Json::String(s) if s.is_empty()))
                .map(Json::Bool)
                .ok_or_else(|| {
                    format!(
                        "The value '{}' is not a valid boolean.  Valid booleans include: 0, 1, '1', 'f', 'false', 'no', '0', 'y', 'on', 'n', 'yes', 'true', 't', 'off'",
                        py_str(v)
                    )
                }),
            other => Err(format!("{} cannot be converted to a bool", py_class(other))),
        },
        "list" => match v {
            Json::Array(_) => Ok(v.clone()),
            Json::String(s) => Ok(Json::Array(
                s.split(',').map(|x| Json::String(x.into())).collect(),
            )),
            // Python's bool is an int: `True` becomes ['True'].
            Json::Number(_) | Json::Bool(_) => Ok(json!([py_str(v)])),
            other => Err(format!("{} cannot be converted to a list", py_class(other))),
        },
        "dict" => match v {
            Json::Object(_) => Ok(v.clone()),
            Json::String(s) if s.starts_with('{') => serde_json::from_str::<Json>(s)
                .ok()
                .filter(Json::is_object)
                .ok_or_else(|| "unable to evaluate string as dictionary".to_string()),
            Json::String(s) if s.contains('=') => key_values(s),
            Json::String(_) => Err("dictionary requested, could not parse JSON or key=value".into()),
            other => Err(format!("{} cannot be converted to a dict", py_class(other))),
        },
        "json" | "jsonarg" => match v {
            Json::String(_) => Ok(v.clone()),
            // json.dumps with its default separators, as `jsonify` writes it.
            Json::Array(_) | Json::Object(_) => Ok(Json::String(super::copy::py_json(v))),
            other => Err(format!("{} cannot be converted to a json string", py_class(other))),
        },
        // bits, bytes and anything newer: taken as given.
        _ => Ok(v.clone()),
    }
}

/// `check_type_dict`'s `k=v k2="v 2"` form.
fn key_values(s: &str) -> Result<Json, String> {
    let mut fields = Vec::new();
    let mut buf = String::new();
    let mut quote: Option<char> = None;
    let mut escape = false;
    for c in s.trim().chars() {
        if escape {
            buf.push(c);
            escape = false;
        } else if c == '\\' {
            escape = true;
        } else if quote.is_none() && (c == '\'' || c == '"') {
            quote = Some(c);
        } else if quote == Some(c) {
            quote = None;
        } else if quote.is_none() && (c == ',' || c == ' ') {
            if !buf.is_empty() {
                fields.push(std::mem::take(&mut buf));
            }
        } else {
            buf.push(c);
        }
    }
    if !buf.is_empty() {
        fields.push(buf);
    }
    let mut out = Map::new();
    for f in fields {
        let Some((k, v)) = f.split_once('=') else {
            return Err(
                "unable to evaluate string in the \"key=value\" format as dictionary".into(),
            );
        };
        out.insert(k.to_string(), json!(v));
    }
    Ok(Json::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn params(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn required_choices_and_types() {
        let s = spec(json!({
            "port": {"type": "int", "required": true},
            "speed": {"type": "str", "choices": ["fast", "slow"], "default": "fast"},
        }));
        let mut p = params(json!({}));
        assert_eq!(
            validate(&s, &mut p),
            vec!["missing required arguments: port"]
        );
        let mut p = params(json!({"port": "80", "speed": "medium"}));
        assert_eq!(
            validate(&s, &mut p),
            vec!["value of speed must be one of: fast, slow, got: medium"]
        );
        // Coerced in place.
        assert_eq!(p["port"], json!(80));
        let mut p = params(json!({"port": "eighty"}));
        assert_eq!(
            validate(&s, &mut p),
            vec![
                "argument 'port' is of type str and we were unable to convert to int: \"'eighty'\" cannot be converted to an int"
            ]
        );
        let mut p = params(json!({"port": 1}));
        assert!(validate(&s, &mut p).is_empty());
        assert_eq!(p["speed"], json!("fast"));
    }

    #[test]
    fn elements_options_and_unknown_parameters() {
        let s = spec(json!({
            "ports": {"type": "list", "elements": "int"},
            "user": {"type": "dict", "options": {
                "name": {"required": true},
                "shell": {"choices": ["bash", "sh"]},
            }},
            "tags": {"type": "list", "elements": "str", "choices": ["a", "b"], "aliases": ["labels"]},
        }));
        let mut p = params(json!({
            "ports": [1, "x"],
            "user": {"shell": "zsh", "home": "/h"},
            "labels": ["a", "c"],
            "extra": 1,
        }));
        assert_eq!(
            validate(&s, &mut p),
            vec![
                "Elements value for option 'ports' is of type str and we were unable to convert to int: \"'x'\" cannot be converted to an int",
                "value of tags must be one or more of: a, b. Got no match for: c",
                "missing required arguments: name found in user",
                "value of shell must be one of: bash, sh, got: zsh found in user",
                "extra, user.home. Supported parameters include: name, shell.",
            ]
        );
    }

    #[test]
    fn dict_and_bool_conversions() {
        assert_eq!(
            convert("dict", &json!("a=1 b='x y'")),
            Ok(json!({"a": "1", "b": "x y"}))
        );
        assert_eq!(convert("bool", &json!("yes")), Ok(json!(true)));
        assert!(
            convert("bool", &json!("maybe"))
                .unwrap_err()
                .starts_with("The value 'maybe' is not a valid boolean.")
        );
        assert_eq!(convert("list", &json!("a,b")), Ok(json!(["a", "b"])));
        assert_eq!(convert("str", &json!(true)), Ok(json!("True")));
        assert_eq!(
            convert("float", &json!([1])),
            Err("<class 'list'> cannot be converted to a float".into())
        );
    }

    /// Validates one value of one option; the errors and the value after.
    fn one(opt: Json, value: Json) -> (Vec<String>, Json) {
        let s = spec(json!({ "n": opt }));
        let mut p = params(json!({ "n": value }));
        let errors = validate(&s, &mut p);
        (errors, p.remove("n").unwrap_or(Json::Null))
    }

    /// Each expectation is what ansible-core 2.21's ArgumentSpecValidator
    /// gave for the same spec and value.
    #[test]
    fn conversions_as_ansible_gives_them() {
        let ok = |ty: &str, given: Json, want: Json| {
            assert_eq!(
                one(json!({ "type": ty }), given.clone()),
                (vec![], want),
                "{ty} {given}"
            );
        };
        ok("float", json!(true), json!(1.0));
        ok("float", json!(" 2.5 "), json!(2.5));
        ok("float", json!(3), json!(3.0));
        ok("json", json!([1, {"a": null}]), json!("[1, {\"a\": null}]"));
        ok("jsonarg", json!("{}"), json!("{}"));
        ok("list", json!(true), json!(["True"]));
        ok("list", json!(2.5), json!(["2.5"]));
        ok("list", json!(null), json!(null));
        ok("int", json!(true), json!(true));
        ok("int", json!(4.0), json!(4));
        ok("int", json!(" 12 "), json!(12));
        ok("int", json!("5.0"), json!(5));
        ok("bool", json!(1.0), json!(true));
        ok("bool", json!("off"), json!(false));
        ok("raw", json!([1]), json!([1]));
        ok("str", json!(null), json!(null));
        ok("str", json!(["a", 1]), json!("['a', 1]"));
        ok("dict", json!("{\"a\": [1]}"), json!({"a": [1]}));
        ok(
            "dict",
            json!("a=\"x\\\"y\",b=2"),
            json!({"a": "x\"y", "b": "2"}),
        );
        let refused = |ty: &str, given: Json, want: &str| {
            let (errors, _) = one(json!({ "type": ty }), given.clone());
            assert_eq!(errors, vec![want.to_string()], "{ty} {given}");
        };
        refused(
            "float",
            json!("x"),
            "argument 'n' is of type str and we were unable to convert to float: <class 'str'> cannot be converted to a float",
        );
        refused(
            "json",
            json!(5),
            "argument 'n' is of type int and we were unable to convert to json: <class 'int'> cannot be converted to a json string",
        );
        refused(
            "dict",
            json!("{bad"),
            "argument 'n' is of type str and we were unable to convert to dict: unable to evaluate string as dictionary",
        );
        for text in ["[1]", "plain"] {
            refused(
                "dict",
                json!(text),
                "argument 'n' is of type str and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value",
            );
        }
        refused(
            "dict",
            json!("a=1 b"),
            "argument 'n' is of type str and we were unable to convert to dict: unable to evaluate string in the \"key=value\" format as dictionary",
        );
        refused(
            "dict",
            json!(5),
            "argument 'n' is of type int and we were unable to convert to dict: <class 'int'> cannot be converted to a dict",
        );
        refused(
            "bool",
            json!([1]),
            "argument 'n' is of type list and we were unable to convert to bool: <class 'list'> cannot be converted to a bool",
        );
        refused(
            "list",
            json!({"a": 1}),
            "argument 'n' is of type dict and we were unable to convert to list: <class 'dict'> cannot be converted to a list",
        );
        refused(
            "int",
            json!([1]),
            "argument 'n' is of type list and we were unable to convert to int: \"[1]\" cannot be converted to an int",
        );
        refused(
            "int",
            json!(2.5),
            "argument 'n' is of type float and we were unable to convert to int: \"2.5\" cannot be converted to an int",
        );

        // A required option takes null as the empty string.
        assert_eq!(
            one(json!({"type": "str", "required": true}), json!(null)),
            (vec![], json!(""))
        );
        // Numeric choices compare as Python does (1 == 1.0).
        assert_eq!(
            one(json!({"type": "int", "choices": [1, 2]}), json!(1.0)),
            (vec![], json!(1))
        );
    }

    #[test]
    fn spec_mistakes_and_nested_defaults() {
        let s = spec(json!({"a": {"type": "int", "required": true, "default": 3}}));
        let mut p = params(json!({}));
        assert_eq!(
            validate(&s, &mut p),
            vec!["internal error: required and default are mutually exclusive for a"]
        );
        assert_eq!(p["a"], json!(3));

        // apply_defaults fills a missing dict option from its suboptions.
        let s = spec(json!({"o": {"type": "dict", "apply_defaults": true,
            "options": {"x": {"default": 5}, "y": {}}}}));
        let mut p = params(json!({}));
        assert!(validate(&s, &mut p).is_empty());
        assert_eq!(p["o"], json!({"x": "5", "y": null}));

        // A list of dicts: items are converted, a string that is no
        // dict is refused and dropped (ansible-core 2.21 also repeats the
        // bare conversion message before this one).
        let s = spec(json!({"o": {"type": "list", "elements": "dict",
            "options": {"x": {"type": "int"}}}}));
        let mut p = params(json!({"o": [{"x": "1"}, "bad"]}));
        assert_eq!(
            validate(&s, &mut p),
            vec![
                "Elements value for option 'o' is of type str and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value"
            ]
        );
        assert_eq!(p["o"], json!([{"x": 1}]));
        // `elements` on something that is no list.
        let (errors, _) = one(json!({"type": "str", "elements": "int"}), json!("abc"));
        assert_eq!(
            errors.first().map(String::as_str),
            Some(
                "Invalid type str for option 'abc', elements value check is supported only with 'list' type"
            )
        );
    }
}
