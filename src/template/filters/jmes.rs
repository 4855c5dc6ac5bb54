// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! community.general's `json_query`: JMESPath through the jmespath crate,
//! with the two things Python's jmespath does differently: backtick
//! literals that are not JSON are strings (`[?ns==`prod`]`), and dicts keep
//! their order (the crate sorts object keys). And a third, which Ansible
//! brings: `sort_by`, `min_by` and `max_by` refuse a key read straight from
//! the data (`&name`). Python's jmespath checks a key's type by its class
//! name, and ansible-core 2.21 hands the filter variables whose strings and
//! numbers are tagged subclasses (`_AnsibleTaggedStr`...), which it calls
//! "unknown". A key computed by a function (`&length(ports)`) is a plain
//! value and passes. kiln cannot tell whether the data came from a variable
//! (a literal list or `from_json` output would pass in Ansible), so it
//! refuses every such key, with Ansible's message, rather than sort where
//! Ansible fails.

use super::{Def, err};
use crate::template::pyrepr::{json_to_value, value_to_json};
use jmespath::functions::Function;
use jmespath::{Context, ErrorReason, JmespathError, Rcvar, Runtime, SearchResult};
use minijinja::value::Value;
use minijinja::{Environment, Error};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Marks an error whose text is Ansible's, not the crate's: the function,
/// the allowed types and the refused value as JSON, separated by `\x1f`.
const REFUSED_KEY: &str = "kiln-refused-key\x1f";

/// The builtin functions, with `sort_by`, `min_by` and `max_by` wrapped.
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    let mut rt = Runtime::new();
    rt.register_builtin_functions();
    for (name, allowed) in [
        ("sort_by", "['string', 'number']"),
        ("min_by", "['number', 'string']"),
        ("max_by", "['number', 'string']"),
    ] {
        if let Some(inner) = rt.deregister_function(name) {
            let f = DataKeyRefused {
                name,
                allowed,
                inner,
            };
            rt.register_function(name, Box::new(f));
        }
    }
    rt
});

/// A `*_by` function that refuses a string or number key read straight
/// from the data (see the module doc), then runs the builtin.
struct DataKeyRefused {
    name: &'static str,
    allowed: &'static str,
    inner: Box<dyn Function>,
}

impl Function for DataKeyRefused {
    fn evaluate(&self, args: &[Rcvar], ctx: &mut Context<'_>) -> SearchResult {
        if let (Some(items), Some(key)) = (
            args.first().and_then(|a| a.as_array()),
            args.get(1).and_then(|a| a.as_expref()),
        ) && is_data_path(key)
            && let Some(first) = items.first()
        {
            let k = jmespath::interpret(first, key, ctx)?;
            if k.is_string() || k.is_number() {
                // sort_by shows the element, min_by/max_by the key.
                let shown = if self.name == "sort_by" { first } else { &k };
                let json = serde_json::to_string(&**shown).unwrap_or_default();
                let reason = format!("{REFUSED_KEY}{}\x1f{}\x1f{json}", self.name, self.allowed);
                return Err(JmespathError::from_ctx(ctx, ErrorReason::Parse(reason)));
            }
        }
        self.inner.evaluate(args, ctx)
    }
}

/// Whether a key expression reads the data as it is (a field, an index, a
/// path of those, `@`) rather than computing a value.
fn is_data_path(ast: &jmespath::ast::Ast) -> bool {
    use jmespath::ast::Ast;
    match ast {
        Ast::Field { .. } | Ast::Index { .. } | Ast::Identity { .. } => true,
        Ast::Subexpr { lhs, rhs, .. } => is_data_path(lhs) && is_data_path(rhs),
        _ => false,
    }
}

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("json_query", json_query);
}

fn json_query(v: Def, expr: String) -> Result<Value, Error> {
    let fail =
        |e: &dyn std::fmt::Display| err(format!("JMESPathError in json_query filter plugin:\n{e}"));
    let expr = legacy_literals(&expr);
    let compiled = RUNTIME.compile(&expr).map_err(|e| fail(&e))?;
    let input = value_to_json(&v);
    let mut orders = KeyOrders::default();
    orders.add_expression(&expr);
    orders.add_data(&input);
    let data = jmespath::Variable::try_from(input).map_err(|e| fail(&e))?;
    let found = compiled.search(data).map_err(|e| match &e.reason {
        ErrorReason::Parse(r) if r.starts_with(REFUSED_KEY) => fail(&refused_key(r, &orders)),
        _ => fail(&e),
    })?;
    let mut out = serde_json::to_value(&*found).map_err(|e| fail(&e))?;
    orders.apply(&mut out);
    Ok(json_to_value(&out))
}

/// Python jmespath's message for a key [`DataKeyRefused`] refused, the
/// value shown as Python's `str()` shows it (dict keys in the data's order).
fn refused_key(reason: &str, orders: &KeyOrders) -> String {
    let mut parts = reason.splitn(4, '\x1f').skip(1);
    let (name, allowed) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut value: Json =
        serde_json::from_str(parts.next().unwrap_or("null")).unwrap_or(Json::Null);
    orders.apply(&mut value);
    format!(
        "In function {name}(), invalid type for value: {}, expected one of: {allowed}, received: \"unknown\"",
        crate::template::py_str(&json_to_value(&value))
    )
}

/// Rewrites backtick literals that are not JSON into JSON strings, as
/// Python's jmespath still accepts them.
fn legacy_literals(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(i) = rest.find('`') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        // A literal ends at the next backtick not escaped with a backslash.
        let mut end = None;
        let mut prev_backslash = false;
        for (j, c) in after.char_indices() {
            if c == '`' && !prev_backslash {
                end = Some(j);
                break;
            }
            prev_backslash = c == '\\' && !prev_backslash;
        }
        let Some(end) = end else {
            out.push_str(&rest[i..]);
            return out;
        };
        let body = &after[..end];
        let unescaped = body.replace("\\`", "`");
        if serde_json::from_str::<Json>(&unescaped).is_ok() {
            out.push('`');
            out.push_str(body);
            out.push('`');
        } else {
            let quoted = Json::String(unescaped.trim().to_string()).to_string();
            out.push('`');
            out.push_str(&quoted.replace('`', "\\`"));
            out.push('`');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Key orders seen in the query's multiselect hashes and in the input
/// data, keyed by the sorted key set.
#[derive(Default)]
struct KeyOrders(HashMap<Vec<String>, Vec<String>>);

impl KeyOrders {
    fn add(&mut self, keys: Vec<String>) {
        let mut sorted = keys.clone();
        sorted.sort();
        self.0.entry(sorted).or_insert(keys);
    }

    /// `{a: x, b: y}` in the expression: the keys in written order.
    fn add_expression(&mut self, expr: &str) {
        let b = expr.as_bytes();
        for (i, c) in b.iter().enumerate() {
            if *c != b'{' {
                continue;
            }
            let mut keys = Vec::new();
            let mut depth = 0i32;
            let mut key_start = Some(i + 1);
            let mut j = i + 1;
            while j < b.len() {
                match b[j] {
                    b'{' | b'[' | b'(' => depth += 1,
                    b'}' | b']' | b')' if depth == 0 => break,
                    b'}' | b']' | b')' => depth -= 1,
                    b':' if depth == 0 => {
                        if let Some(s) = key_start.take() {
                            let k = expr[s..j].trim().trim_matches('"').to_string();
                            keys.push(k);
                        }
                    }
                    b',' if depth == 0 => key_start = Some(j + 1),
                    _ => {}
                }
                j += 1;
            }
            if !keys.is_empty() {
                self.add(keys);
            }
        }
    }

    fn add_data(&mut self, j: &Json) {
        match j {
            Json::Object(m) => {
                self.add(m.keys().cloned().collect());
                for v in m.values() {
                    self.add_data(v);
                }
            }
            Json::Array(a) => a.iter().for_each(|v| self.add_data(v)),
            _ => {}
        }
    }

    fn apply(&self, j: &mut Json) {
        match j {
            Json::Object(m) => {
                for v in m.values_mut() {
                    self.apply(v);
                }
                let mut sorted: Vec<String> = m.keys().cloned().collect();
                sorted.sort();
                if let Some(order) = self.0.get(&sorted) {
                    let mut re = serde_json::Map::new();
                    for k in order {
                        if let Some(v) = m.remove(k) {
                            re.insert(k.clone(), v);
                        }
                    }
                    *m = re;
                }
            }
            Json::Array(a) => a.iter_mut().for_each(|v| self.apply(v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals_and_order() {
        assert_eq!(legacy_literals("[?a==`prod`]"), "[?a==`\"prod\"`]");
        assert_eq!(legacy_literals("[?a==`1`]"), "[?a==`1`]");
        let v = json_to_value(&serde_json::json!([{"z": 1, "a": 2}]));
        let r = json_query(Def(v), "[0]".into()).unwrap();
        assert_eq!(crate::template::py_str(&r), "{'z': 1, 'a': 2}");
    }

    #[test]
    fn keys_read_from_the_data_are_refused_as_ansible_refuses_them() {
        let pods = json_to_value(&serde_json::json!([
            {"name": "b", "ports": [1, 2]},
            {"name": "a", "ports": [3]}
        ]));
        let q = |e: &str| json_query(Def(pods.clone()), e.into());
        let msg = |e: &str| {
            q(e).map(|_| String::new())
                .unwrap_or_else(|e| e.to_string())
        };
        assert!(
            msg("sort_by(@, &name)[*].name").contains(
                "In function sort_by(), invalid type for value: {'name': 'b', 'ports': [1, 2]}, \
                 expected one of: ['string', 'number'], received: \"unknown\""
            ),
            "{}",
            msg("sort_by(@, &name)")
        );
        assert!(msg("max_by(@, &ports[0]).name").contains(
            "In function max_by(), invalid type for value: 1, expected one of: ['number', 'string']"
        ));
        // A computed key is a plain value: it sorts, in Ansible too.
        let by_len = q("sort_by(@, &length(ports))[*].name").unwrap();
        assert_eq!(crate::template::py_str(&by_len), "['a', 'b']");
        let max = q("max_by(@, &length(ports)).name").unwrap();
        assert_eq!(crate::template::py_str(&max), "b");
        // An empty list has no key to refuse.
        let empty = json_query(
            Def(json_to_value(&serde_json::json!([]))),
            "sort_by(@, &name)".into(),
        )
        .unwrap();
        assert_eq!(crate::template::py_str(&empty), "[]");
    }
}
