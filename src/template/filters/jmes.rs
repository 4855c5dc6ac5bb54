// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! community.general's `json_query`: JMESPath through the jmespath crate,
//! with the two things Python's jmespath does differently: backtick
//! literals that are not JSON are strings (`[?ns==`prod`]`), and dicts keep
//! their order (the crate sorts object keys).

use super::{Def, err};
use crate::template::pyrepr::{json_to_value, value_to_json};
use minijinja::value::Value;
use minijinja::{Environment, Error};
use serde_json::Value as Json;
use std::collections::HashMap;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("json_query", json_query);
}

fn json_query(v: Def, expr: String) -> Result<Value, Error> {
    let fail =
        |e: &dyn std::fmt::Display| err(format!("JMESPathError in json_query filter plugin:\n{e}"));
    let expr = legacy_literals(&expr);
    let compiled = jmespath::compile(&expr).map_err(|e| fail(&e))?;
    let input = value_to_json(&v);
    let data = jmespath::Variable::try_from(input.clone()).map_err(|e| fail(&e))?;
    let found = compiled.search(data).map_err(|e| fail(&e))?;
    let mut out = serde_json::to_value(&*found).map_err(|e| fail(&e))?;
    let mut orders = KeyOrders::default();
    orders.add_expression(&expr);
    orders.add_data(&input);
    orders.apply(&mut out);
    Ok(json_to_value(&out))
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

    /// ansible-core 2.21 sorts a registered result, set_fact or from_json
    /// data by a key read from it (it refuses only playbook-variable data,
    /// which kiln cannot tell apart: tests/template_cases g0012).
    #[test]
    fn sort_by_a_key_read_from_the_data() {
        let v = json_to_value(&serde_json::json!([{"name": "b"}, {"name": "a"}]));
        let r = json_query(Def(v), "sort_by(@, &name)[*].name".into()).unwrap();
        assert_eq!(crate::template::py_str(&r), "['a', 'b']");
    }
}
