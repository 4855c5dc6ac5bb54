// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `local` facts: every `*.fact` file in `fact_path`, run when executable,
//! read otherwise, and parsed as JSON or, failing that, as an INI file the
//! way Python's `configparser` reads it (option names lower-cased, `DEFAULT`
//! values in every section, `%(name)s` interpolation, continuation lines).

use super::raw::{LocalRead, Raw, py_strip};
use serde_json::{Map, Value as Json, json};

type Facts = Map<String, Json>;

/// Returns the `local` fact (`None` when the collector fails, as Ansible's
/// does on an INI interpolation error that is not in the file's last option)
/// and the warnings Ansible would give.
pub fn local(raw: &Raw, fact_path: &str) -> (Option<Facts>, Vec<String>) {
    let mut f = Facts::new();
    let mut warnings = Vec::new();
    let mut local = Map::new();
    let path = expand_home(raw, fact_path);
    if fact_path.is_empty() || !raw.exists(&path) {
        f.insert("local".into(), Json::Object(local));
        return (Some(f), warnings);
    }
    let mut files = raw.local.clone();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (file, read) in files {
        let base = file
            .rsplit('/')
            .next()
            .unwrap_or(&file)
            .replace(".fact", "");
        let out = match read {
            LocalRead::Ran { rc, err, .. } if rc != 0 => {
                let msg = format!("Failure executing fact script ({file}), rc: {rc}, err: {err}");
                warnings.push(msg.clone());
                local.insert(base, json!(msg));
                continue;
            }
            LocalRead::Ran { out, .. } => out,
            LocalRead::Read(text) => py_strip(&text).to_string(),
        };
        let fact = match serde_json::from_str::<Json>(&out) {
            Ok(v) => v,
            Err(_) => match parse_ini(&out) {
                Ok(v) => v,
                Err(IniError::Syntax) => {
                    let msg = format!(
                        "error loading facts as JSON or ini - please check content: {file}"
                    );
                    warnings.push(msg.clone());
                    json!(msg)
                }
                Err(IniError::Interpolation { msg, more }) => {
                    let msg = format!(
                        "error loading facts as ini - please check content: {file} ({msg})"
                    );
                    warnings.push(msg.clone());
                    if more {
                        // Ansible keeps going with the message where the
                        // dict was and fails on the next option.
                        return (None, warnings);
                    }
                    json!(msg)
                }
            },
        };
        local.insert(base, fact);
    }
    f.insert("local".into(), Json::Object(local));
    (Some(f), warnings)
}

/// `~` and `~/...` as the remote user's home (the path is expanded on the host).
pub fn expand_home(raw: &Raw, path: &str) -> String {
    let home = raw.env_var("HOME").unwrap_or("");
    if path == "~" {
        home.to_string()
    } else if let Some(rest) = path.strip_prefix("~/") {
        format!("{home}/{rest}")
    } else {
        path.to_string()
    }
}

#[derive(Debug, PartialEq)]
enum IniError {
    Syntax,
    /// configparser's message, and whether options were left to read.
    Interpolation {
        msg: String,
        more: bool,
    },
}

/// Python's `repr()` of a string.
fn py_repr(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// A section's options: (name, value lines).
type Options = Vec<(String, Vec<String>)>;

/// configparser's reading of `text` into `{section: {option: value}}`.
fn parse_ini(text: &str) -> Result<Json, IniError> {
    // (section, [(option, value lines, indent)])
    let mut defaults: Vec<(String, Vec<String>)> = Vec::new();
    let mut sections: Vec<(String, Options)> = Vec::new();
    let mut cur: Option<usize> = None; // index into sections, usize::MAX = DEFAULT
    let mut in_default = false;
    let mut last_opt: Option<usize> = None;
    let mut indent_level = 0usize;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let stripped = line.trim();
        let is_comment = stripped.starts_with('#') || stripped.starts_with(';');
        let value = if is_comment { "" } else { stripped };
        if value.is_empty() {
            // An empty line continues a multi-line value; a comment line is
            // skipped and leaves the value open (configparser keeps empty
            // lines in values, so neither ends it).
            if !is_comment && let Some(i) = last_opt {
                let opts = if in_default {
                    &mut defaults
                } else if let Some(s) = cur {
                    &mut sections[s].1
                } else {
                    continue;
                };
                opts[i].1.push(String::new());
            }
            continue;
        }
        let cur_indent = line.len() - line.trim_start().len();
        if (cur.is_some() || in_default) && last_opt.is_some() && cur_indent > indent_level {
            let i = last_opt.unwrap_or_default();
            let opts = if in_default {
                &mut defaults
            } else if let Some(s) = cur {
                &mut sections[s].1
            } else {
                return Err(IniError::Syntax);
            };
            opts[i].1.push(value.to_string());
            continue;
        }
        indent_level = cur_indent;
        if value.starts_with('[')
            && let Some(end) = value.rfind(']')
        {
            let name = &value[1..end];
            if name.is_empty() {
                return Err(IniError::Syntax);
            }
            if name == "DEFAULT" {
                in_default = true;
                cur = None;
            } else {
                if sections.iter().any(|(n, _)| n == name) {
                    return Err(IniError::Syntax);
                }
                sections.push((name.to_string(), Vec::new()));
                cur = Some(sections.len() - 1);
                in_default = false;
            }
            last_opt = None;
            continue;
        }
        if cur.is_none() && !in_default {
            return Err(IniError::Syntax);
        }
        let Some(pos) = value.find(['=', ':']) else {
            return Err(IniError::Syntax);
        };
        let name = value[..pos].trim_end().to_lowercase();
        if name.is_empty() {
            return Err(IniError::Syntax);
        }
        let val = value[pos + 1..].trim().to_string();
        let opts = if in_default {
            &mut defaults
        } else if let Some(s) = cur {
            &mut sections[s].1
        } else {
            return Err(IniError::Syntax);
        };
        if opts.iter().any(|(n, _)| *n == name) {
            return Err(IniError::Syntax);
        }
        opts.push((name, vec![val]));
        last_opt = Some(opts.len() - 1);
    }
    let join = |lines: &[String]| lines.join("\n").trim_end().to_string();
    let defaults: Vec<(String, String)> =
        defaults.iter().map(|(n, v)| (n.clone(), join(v))).collect();
    let mut out = Map::new();
    let total: usize = sections
        .iter()
        .map(|(_, opts)| {
            let own: Vec<&String> = opts.iter().map(|(n, _)| n).collect();
            own.len() + defaults.iter().filter(|(n, _)| !own.contains(&n)).count()
        })
        .sum();
    let mut done = 0usize;
    for (si, (name, opts)) in sections.iter().enumerate() {
        let own: Vec<(String, String)> = opts.iter().map(|(n, v)| (n.clone(), join(v))).collect();
        let lookup = |k: &str| -> Option<String> {
            own.iter()
                .chain(defaults.iter())
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        let mut sec = Map::new();
        let mut keys: Vec<String> = own.iter().map(|(n, _)| n.clone()).collect();
        for (n, _) in &defaults {
            if !keys.contains(n) {
                keys.push(n.clone());
            }
        }
        for k in keys {
            done += 1;
            let raw_val = lookup(&k).unwrap_or_default();
            match interpolate(&raw_val, &lookup, 1) {
                Ok(v) => {
                    sec.insert(k, json!(v));
                }
                Err(e) => {
                    let msg = match e {
                        Interp::Missing(var) => format!(
                            "Bad value substitution: option {} in section {} contains an interpolation key {} which is not a valid option name. Raw value: {}",
                            py_repr(&k),
                            py_repr(name),
                            py_repr(&var),
                            py_repr(&raw_val)
                        ),
                        Interp::Depth => format!(
                            "Recursion limit exceeded in value substitution: option {} in section {} contains an interpolation key which cannot be substituted in 10 steps. Raw value: {}",
                            py_repr(&k),
                            py_repr(name),
                            py_repr(&raw_val)
                        ),
                        Interp::Syntax(m) => m,
                    };
                    // What follows would index the message as a dict: only
                    // sections named inside the message and without options
                    // pass without an error.
                    let more = done < total
                        || sections[si + 1..]
                            .iter()
                            .any(|(n, _)| !msg.contains(n.as_str()));
                    return Err(IniError::Interpolation { msg, more });
                }
            }
        }
        out.insert(name.clone(), Json::Object(sec));
    }
    Ok(Json::Object(out))
}

enum Interp {
    Missing(String),
    Depth,
    Syntax(String),
}

/// BasicInterpolation: `%%` and `%(name)s`, up to 10 levels deep.
fn interpolate(
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
) -> Result<String, Interp> {
    if depth > 10 {
        return Err(Interp::Depth);
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(p) = rest.find('%') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
        } else if let Some(r) = after.strip_prefix('(') {
            let Some(close) = r.find(")s") else {
                return Err(Interp::Syntax(format!(
                    "bad interpolation variable reference {}",
                    py_repr(&rest[p..])
                )));
            };
            let var = r[..close].to_lowercase();
            let Some(v) = lookup(&var) else {
                return Err(Interp::Missing(var));
            };
            out.push_str(&interpolate(&v, lookup, depth + 1)?);
            rest = &r[close + 2..];
        } else {
            return Err(Interp::Syntax(format!(
                "'%' must be followed by '%' or '(', found: {}",
                py_repr(&rest[p..])
            )));
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_like_configparser() {
        let text = "[DEFAULT]\nbase = /srv\n\n[App]\nName = web\nroot: %(base)s/app\nlong = one\n  two\n; c\nPct = 50%%\n";
        assert_eq!(
            parse_ini(text).expect("parses"),
            json!({"App": {"name": "web", "root": "/srv/app", "long": "one\ntwo",
                           "pct": "50%", "base": "/srv"}})
        );
        assert_eq!(parse_ini("x = 1\n"), Err(IniError::Syntax));
        assert_eq!(parse_ini("").expect("empty"), json!({}));
        assert_eq!(
            parse_ini("[a]\nb = 5%\n"),
            Err(IniError::Interpolation {
                msg: "'%' must be followed by '%' or '(', found: '%'".into(),
                more: false
            })
        );
        assert_eq!(
            parse_ini("[a]\nx = %(missing)s\n"),
            Err(IniError::Interpolation {
                msg: "Bad value substitution: option 'x' in section 'a' contains an interpolation key 'missing' which is not a valid option name. Raw value: '%(missing)s'".into(),
                more: false
            })
        );
        assert!(matches!(
            parse_ini("[a]\nx = %(missing)s\ny = 1\n"),
            Err(IniError::Interpolation { more: true, .. })
        ));
    }

    #[test]
    fn local_facts_from_files_and_scripts() {
        let reply = "\nMK t\ned /etc/ansible/facts.d\n\
\nMK lr /etc/ansible/facts.d/b.fact\n[general]\nasdf=1\n\
\nMK lx /etc/ansible/facts.d/a.fact\n{\"x\": [1, 2]}\n\nMK lrc 0 /etc/ansible/facts.d/a.fact\n\
\nMK lx /etc/ansible/facts.d/c.fact\n\nMK lrc 3 /etc/ansible/facts.d/c.fact\nboom\n\
\nMK lr /etc/ansible/facts.d/d.fact\nnot [ini\n\nMK end\n";
        let raw = Raw::parse(reply.as_bytes(), "MK");
        let (f, warnings) = local(&raw, "/etc/ansible/facts.d");
        let f = f.expect("collected");
        assert_eq!(f["local"]["a"], json!({"x": [1, 2]}));
        assert_eq!(f["local"]["b"], json!({"general": {"asdf": "1"}}));
        assert_eq!(
            f["local"]["c"],
            "Failure executing fact script (/etc/ansible/facts.d/c.fact), rc: 3, err: boom\n"
        );
        assert_eq!(
            f["local"]["d"],
            "error loading facts as JSON or ini - please check content: /etc/ansible/facts.d/d.fact"
        );
        assert_eq!(warnings.len(), 2);
        let keys: Vec<&String> = f["local"]
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["a", "b", "c", "d"]);
    }

    #[test]
    fn missing_fact_path_gives_empty_local() {
        let raw = Raw::parse(b"\nMK t\n- /nope\n\nMK end\n", "MK");
        let f = local(&raw, "/nope").0.expect("collected");
        assert_eq!(f["local"], json!({}));
    }
}
