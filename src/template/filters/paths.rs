// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Path filters with Python's `posixpath` (and `ntpath` for `win_*`)
//! semantics, plus `fileglob`, `expanduser`, `expandvars`.

use super::{Def, err, items, text};
use crate::template::pyrepr::py_type_name;
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};
use std::path::Path;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("basename", |v: Def| -> Result<String, Error> {
        Ok(basename(&path_text(&v)?).to_string())
    });
    env.add_filter("dirname", |v: Def| -> Result<String, Error> {
        Ok(dirname(&path_text(&v)?))
    });
    env.add_filter("splitext", |v: Def| -> Result<Value, Error> {
        let (a, b) = splitext(&path_text(&v)?);
        Ok(Value::from(vec![Value::from(a), Value::from(b)]))
    });
    env.add_filter("path_join", |v: Def| -> Result<String, Error> {
        match v.kind() {
            ValueKind::String => Ok(text(&v)),
            ValueKind::Seq | ValueKind::Iterable => {
                // os.path.join(*parts): one part at least, all strings.
                let parts: Vec<String> =
                    items(&v)?.iter().map(path_text).collect::<Result<_, _>>()?;
                if parts.is_empty() {
                    return Err(err("join() missing 1 required positional argument: 'a'"));
                }
                Ok(join(&parts))
            }
            _ => Err(err(format!(
                "|path_join expects string or sequence, got <class '{}'> instead.",
                py_type_name(&v)
            ))),
        }
    });
    env.add_filter("normpath", |v: Def| -> Result<String, Error> {
        Ok(normpath(&path_text(&v)?))
    });
    env.add_filter("realpath", |v: Def| -> Result<String, Error> {
        Ok(realpath(&path_text(&v)?))
    });
    env.add_filter(
        "relpath",
        |v: Def, start: Option<String>| -> Result<String, Error> {
            relpath(&path_text(&v)?, start.as_deref())
        },
    );
    env.add_filter("commonpath", |v: Def| -> Result<String, Error> {
        if !matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable) {
            return Err(err(format!(
                "|commonpath expects sequence, got <class '{}'> instead.",
                py_type_name(&v)
            )));
        }
        commonpath(&items(&v)?.iter().map(text).collect::<Vec<_>>())
    });
    env.add_filter("expanduser", |v: Def| -> Result<String, Error> {
        Ok(expanduser(&path_text(&v)?))
    });
    env.add_filter("expandvars", |v: Def| -> Result<String, Error> {
        Ok(expandvars(&path_text(&v)?))
    });
    env.add_filter("fileglob", |v: Def| -> Result<Value, Error> {
        if v.kind() != ValueKind::String {
            return Err(err(format!(
                "'{}' object is not subscriptable",
                py_type_name(&v)
            )));
        }
        let found = glob(&text(&v));
        Ok(Value::from(
            found
                .into_iter()
                .filter(|p| Path::new(p).is_file())
                .collect::<Vec<_>>(),
        ))
    });
    env.add_filter("win_basename", |v: Def| -> Result<String, Error> {
        Ok(win_split(&path_text(&v)?).1)
    });
    env.add_filter("win_dirname", |v: Def| -> Result<String, Error> {
        Ok(win_split(&path_text(&v)?).0)
    });
    env.add_filter("win_splitdrive", |v: Def| -> Result<Value, Error> {
        let (drive, root, tail) = win_splitroot(&path_text(&v)?);
        Ok(Value::from(vec![
            Value::from(drive),
            Value::from(format!("{root}{tail}")),
        ]))
    });
}

fn path_text(v: &Value) -> Result<String, Error> {
    match v.kind() {
        ValueKind::String => Ok(text(v)),
        _ => Err(err(format!(
            "expected str, bytes or os.PathLike object, not {}",
            py_type_name(v)
        ))),
    }
}

pub(crate) fn basename(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

pub(crate) fn dirname(p: &str) -> String {
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let head = &p[..i];
    if !head.is_empty() && !head.chars().all(|c| c == '/') {
        head.trim_end_matches('/').to_string()
    } else {
        head.to_string()
    }
}

pub(crate) fn splitext(p: &str) -> (String, String) {
    let sep = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let dot = match p.rfind('.') {
        Some(d) if d > sep => d,
        _ => return (p.to_string(), String::new()),
    };
    // Leading dots of the file name do not start an extension.
    if p[sep..dot].chars().all(|c| c == '.') {
        return (p.to_string(), String::new());
    }
    (p[..dot].to_string(), p[dot..].to_string())
}

pub(crate) fn join(parts: &[String]) -> String {
    let mut out = String::new();
    for (i, b) in parts.iter().enumerate() {
        if i == 0 || b.starts_with('/') {
            out = b.clone();
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(b);
        } else {
            out.push('/');
            out.push_str(b);
        }
    }
    out
}

pub(crate) fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let initial = if p.starts_with("//") && !p.starts_with("///") {
        2
    } else if p.starts_with('/') {
        1
    } else {
        0
    };
    let mut comps: Vec<&str> = Vec::new();
    for c in p.split('/') {
        if c.is_empty() || c == "." {
            continue;
        }
        if c != ".." || (initial == 0 && comps.is_empty()) || comps.last() == Some(&"..") {
            comps.push(c);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let body = comps.join("/");
    let out = format!("{}{body}", "/".repeat(initial));
    if out.is_empty() { ".".into() } else { out }
}

fn abspath(p: &str) -> String {
    if p.starts_with('/') {
        normpath(p)
    } else {
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "/".into());
        normpath(&join(&[cwd, p.to_string()]))
    }
}

/// Python's realpath (non-strict): symlinks of the existing part resolved.
pub(crate) fn realpath(p: &str) -> String {
    let abs = if p.starts_with('/') {
        p.to_string()
    } else {
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "/".into());
        join(&[cwd, p.to_string()])
    };
    let mut resolved = String::from("/");
    for comp in abs.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                resolved = dirname(&resolved);
                if resolved.is_empty() {
                    resolved = "/".into();
                }
            }
            c => {
                let next = join(&[resolved.clone(), c.to_string()]);
                resolved = match std::fs::canonicalize(&next) {
                    Ok(r) => r.display().to_string(),
                    Err(_) => next,
                };
            }
        }
    }
    resolved
}

fn relpath(p: &str, start: Option<&str>) -> Result<String, Error> {
    if p.is_empty() {
        return Err(err("no path specified"));
    }
    let start = abspath(start.unwrap_or("."));
    let path = abspath(p);
    let s: Vec<&str> = start.split('/').filter(|x| !x.is_empty()).collect();
    let t: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
    let common = s.iter().zip(t.iter()).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; s.len() - common];
    parts.extend(&t[common..]);
    Ok(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

fn commonpath(paths: &[String]) -> Result<String, Error> {
    if paths.is_empty() {
        return Err(err("commonpath() arg is an empty sequence"));
    }
    let abs = paths[0].starts_with('/');
    if paths.iter().any(|p| p.starts_with('/') != abs) {
        return Err(err("Can't mix absolute and relative paths"));
    }
    let split: Vec<Vec<&str>> = paths
        .iter()
        .map(|p| {
            p.split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect()
        })
        .collect();
    let first = &split[0];
    let mut n = first.len();
    for s in &split[1..] {
        n = n.min(
            first
                .iter()
                .zip(s.iter())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    let body = first[..n].join("/");
    Ok(if abs { format!("/{body}") } else { body })
}

/// The home directory of a user, from the passwd database.
fn user_home(user: &str) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 5 && f[0] == user).then(|| f[5].to_string())
    })
}

pub(crate) fn expanduser(p: &str) -> String {
    let Some(rest) = p.strip_prefix('~') else {
        return p.to_string();
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let (user, tail) = rest.split_at(end);
    let home = if user.is_empty() {
        std::env::var("HOME").ok().or_else(|| {
            let uid = std::fs::read_to_string("/proc/self/status")
                .ok()?
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Uid:")
                        .and_then(|r| r.split_whitespace().next().map(str::to_string))
                })?;
            let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
            passwd.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 5 && f[2] == uid).then(|| f[5].to_string())
            })
        })
    } else {
        user_home(user)
    };
    match home {
        Some(h) => {
            let h = if h.len() > 1 {
                h.trim_end_matches('/').to_string()
            } else {
                h
            };
            format!("{h}{tail}")
        }
        None => p.to_string(),
    }
}

pub(crate) fn expandvars(p: &str) -> String {
    if !p.contains('$') {
        return p.to_string();
    }
    let mut out = String::new();
    let mut rest = p;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, consumed) = if let Some(b) = after.strip_prefix('{') {
            match b.find('}') {
                Some(e) => (&b[..e], e + 2),
                None => ("", 0),
            }
        } else {
            let e = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..e], e)
        };
        match std::env::var(name) {
            Ok(val) if !name.is_empty() => {
                out.push_str(&val);
                rest = &after[consumed..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Python 3.12's `ntpath.splitroot`: (drive, root, tail), `/` read as
/// `\\`. A UNC drive is `\\\\server\\share` up to the separator after the
/// share (the separator that starts the search is the third character).
fn win_splitroot(p: &str) -> (String, String, String) {
    let norm = p.replace('/', "\\");
    let (b, n) = (p.as_bytes(), norm.as_bytes());
    if n.first() == Some(&b'\\') {
        if n.get(1) == Some(&b'\\') {
            let start = if norm.len() >= 8 && norm[..8].eq_ignore_ascii_case("\\\\?\\UNC\\") {
                8
            } else {
                2
            };
            let Some(i) = norm[start..].find('\\').map(|i| i + start) else {
                return (p.to_string(), String::new(), String::new());
            };
            let Some(j) = norm[i + 1..].find('\\').map(|j| j + i + 1) else {
                return (p.to_string(), String::new(), String::new());
            };
            return (
                p[..j].to_string(),
                p[j..j + 1].to_string(),
                p[j + 1..].to_string(),
            );
        }
        return (String::new(), p[..1].to_string(), p[1..].to_string());
    }
    if b.len() >= 2 && n[1] == b':' && p.is_char_boundary(2) {
        if n.get(2) == Some(&b'\\') {
            return (p[..2].to_string(), p[2..3].to_string(), p[3..].to_string());
        }
        return (p[..2].to_string(), String::new(), p[2..].to_string());
    }
    (String::new(), String::new(), p.to_string())
}

/// Python 3.12's `ntpath.split`: (head, tail); the head keeps the drive
/// and root, and loses the separators it ends with.
fn win_split(p: &str) -> (String, String) {
    let (drive, root, rest) = win_splitroot(p);
    let i = rest.rfind(['\\', '/']).map(|i| i + 1).unwrap_or(0);
    let (head, tail) = rest.split_at(i);
    (
        format!("{drive}{root}{}", head.trim_end_matches(['\\', '/'])),
        tail.to_string(),
    )
}

fn wildcard_match(pat: &[char], name: &[char]) -> bool {
    match pat.first() {
        None => name.is_empty(),
        Some('*') => (0..=name.len()).any(|i| wildcard_match(&pat[1..], &name[i..])),
        Some('?') => !name.is_empty() && wildcard_match(&pat[1..], &name[1..]),
        Some('[') => {
            let Some(close) = pat.iter().skip(2).position(|c| *c == ']').map(|p| p + 2) else {
                return !name.is_empty() && name[0] == '[' && wildcard_match(&pat[1..], &name[1..]);
            };
            if name.is_empty() {
                return false;
            }
            let set = &pat[1..close];
            let (neg, set) = match set.first() {
                Some('!') => (true, &set[1..]),
                _ => (false, set),
            };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    if set[i] <= name[0] && name[0] <= set[i + 2] {
                        hit = true;
                    }
                    i += 3;
                } else {
                    if set[i] == name[0] {
                        hit = true;
                    }
                    i += 1;
                }
            }
            hit != neg && wildcard_match(&pat[close + 1..], &name[1..])
        }
        Some(c) => !name.is_empty() && name[0] == *c && wildcard_match(&pat[1..], &name[1..]),
    }
}

fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Python's glob.glob (no `**`), sorted for a stable order.
pub(crate) fn glob(pattern: &str) -> Vec<String> {
    let abs = pattern.starts_with('/');
    let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let mut current: Vec<String> = vec![if abs { "/".into() } else { String::new() }];
    for (i, comp) in comps.iter().enumerate() {
        let last = i == comps.len() - 1;
        let mut next = Vec::new();
        for base in &current {
            let dir = if base.is_empty() {
                ".".to_string()
            } else {
                base.clone()
            };
            if !has_magic(comp) {
                let p = join(&[base.clone(), comp.to_string()]);
                let p = if base.is_empty() { comp.to_string() } else { p };
                if Path::new(&p).exists() || (!last && Path::new(&p).is_dir()) {
                    next.push(p);
                }
                continue;
            }
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            let pat: Vec<char> = comp.chars().collect();
            let names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    (!n.starts_with('.') || comp.starts_with('.'))
                        && wildcard_match(&pat, &n.chars().collect::<Vec<_>>())
                })
                .collect();
            // Directory order, as Python's glob (os.scandir) gives it.
            for n in names {
                let p = if base.is_empty() {
                    n
                } else {
                    join(&[base.clone(), n])
                };
                if last || Path::new(&p).is_dir() {
                    next.push(p);
                }
            }
        }
        current = next;
    }
    if comps.is_empty() {
        return Vec::new();
    }
    // A trailing slash matches directories only, and keeps the slash.
    if pattern.ends_with('/') {
        return current
            .into_iter()
            .filter(|p| Path::new(p).is_dir())
            .map(|p| format!("{p}/"))
            .collect();
    }
    current
}
