// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! JSON as Python's `json.dumps` writes it, which is what Ansible prints.

use serde_json::Value as Json;

/// `json.dumps(v, indent=indent, sort_keys=sort_keys, ensure_ascii=False)`.
pub fn dumps(v: &Json, indent: Option<usize>, sort_keys: bool) -> String {
    let mut out = String::new();
    write(&mut out, v, indent, sort_keys, 0);
    out
}

fn newline(out: &mut String, indent: Option<usize>, depth: usize) {
    if let Some(n) = indent {
        out.push('\n');
        out.push_str(&" ".repeat(n * depth));
    }
}

fn write(out: &mut String, v: &Json, indent: Option<usize>, sort: bool, depth: usize) {
    match v {
        Json::Array(a) if !a.is_empty() => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    if indent.is_none() {
                        out.push(' ');
                    }
                }
                newline(out, indent, depth + 1);
                write(out, x, indent, sort, depth + 1);
            }
            newline(out, indent, depth);
            out.push(']');
        }
        Json::Object(m) if !m.is_empty() => {
            out.push('{');
            let mut keys: Vec<&String> = m.keys().collect();
            if sort {
                keys.sort();
            }
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    if indent.is_none() {
                        out.push(' ');
                    }
                }
                newline(out, indent, depth + 1);
                out.push_str(&Json::String(k.clone()).to_string());
                out.push_str(": ");
                write(out, &m[k], indent, sort, depth + 1);
            }
            newline(out, indent, depth);
            out.push('}');
        }
        Json::Number(n) if !n.is_i64() && !n.is_u64() => {
            out.push_str(&crate::yaml::python_float(n.as_f64().unwrap_or(f64::NAN)))
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_layout() {
        let v = json!({"b": [1, 2.5], "a": "é", "c": {}});
        assert_eq!(
            dumps(&v, None, true),
            r#"{"a": "é", "b": [1, 2.5], "c": {}}"#
        );
        assert_eq!(
            dumps(&json!({"msg": "x"}), Some(4), true),
            "{\n    \"msg\": \"x\"\n}"
        );
        assert_eq!(dumps(&json!(1.0), None, true), "1.0");
    }
}
