// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! ansible.cfg: found where Ansible looks for it, read as Python's
//! configparser reads it (sections, `key = value` or `key: value`, `#` and
//! `;` comments, `;` inline comments, indented continuation lines), with
//! Ansible's environment variables taking precedence.

use crate::span::Span;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A malformed ansible.cfg.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub span: Span,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The parsed file: section -> key -> value (keys lower-cased as configparser does).
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub path: Option<PathBuf>,
    sections: HashMap<String, HashMap<String, String>>,
}

/// Where Ansible finds its configuration: `ANSIBLE_CONFIG`, `./ansible.cfg`,
/// `~/.ansible.cfg`, `/etc/ansible/ansible.cfg`; the first that exists wins.
pub fn find(cwd: &Path, home: &Path) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("ANSIBLE_CONFIG") {
        let p = PathBuf::from(p);
        candidates.push(if p.is_dir() { p.join("ansible.cfg") } else { p });
    }
    candidates.push(cwd.join("ansible.cfg"));
    candidates.push(home.join(".ansible.cfg"));
    candidates.push(PathBuf::from("/etc/ansible/ansible.cfg"));
    candidates.into_iter().find(|p| p.is_file())
}

impl Config {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            span: Span::synthetic(&path.display().to_string()),
            message: format!("cannot read the configuration file: {e}"),
        })?;
        let mut c = Config::parse(&text, &path.display().to_string())?;
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    /// Parses configparser text.
    pub fn parse(text: &str, name: &str) -> Result<Config, ConfigError> {
        let mut sections: HashMap<String, HashMap<String, String>> = HashMap::new();
        let mut section: Option<String> = None;
        let mut last_key: Option<String> = None;
        for (i, raw) in text.lines().enumerate() {
            let lineno = i as u32 + 1;
            let err = |col: usize, message: String| ConfigError {
                span: Span::new(name, lineno, col as u32),
                message,
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                if trimmed.is_empty() {
                    last_key = None;
                }
                continue;
            }
            let indent = raw.len() - raw.trim_start().len();
            if indent > 0
                && let (Some(sec), Some(key)) = (&section, &last_key)
                && let Some(v) = sections.get_mut(sec).and_then(|s| s.get_mut(key))
            {
                v.push('\n');
                v.push_str(strip_inline(trimmed));
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(sec) = rest.strip_suffix(']') else {
                    return Err(err(
                        indent + 1,
                        format!("bad section header {trimmed:?}: expected `[name]`"),
                    ));
                };
                if sections.contains_key(sec) {
                    return Err(err(indent + 1, format!("section '{sec}' already exists")));
                }
                sections.insert(sec.to_string(), HashMap::new());
                section = Some(sec.to_string());
                last_key = None;
                continue;
            }
            let Some(sec) = &section else {
                return Err(err(1, "File contains no section headers.".into()));
            };
            let pos = trimmed.find(['=', ':']).ok_or_else(|| {
                err(
                    indent + 1,
                    format!("expected `key = value`, found {trimmed:?}"),
                )
            })?;
            let key = trimmed[..pos].trim().to_lowercase();
            if key.is_empty() {
                return Err(err(indent + 1, "a key is missing before '='".into()));
            }
            let value = strip_inline(trimmed[pos + 1..].trim()).to_string();
            let entries = sections.entry(sec.clone()).or_default();
            if entries.contains_key(&key) {
                return Err(err(
                    indent + 1,
                    format!("option '{key}' in section '{sec}' already exists"),
                ));
            }
            entries.insert(key.clone(), value);
            last_key = Some(key);
        }
        Ok(Config {
            path: None,
            sections,
        })
    }

    /// A value: the environment variable first, then the file.
    pub fn get(&self, section: &str, key: &str, env: &str) -> Option<String> {
        if let Ok(v) = std::env::var(env) {
            return Some(v);
        }
        self.sections.get(section)?.get(key).cloned()
    }

    /// A value of the file alone (no environment variable).
    pub fn file_value(&self, section: &str, key: &str) -> Option<String> {
        self.sections.get(section)?.get(key).cloned()
    }

    pub fn get_bool(&self, section: &str, key: &str, env: &str) -> Result<Option<bool>, String> {
        match self.get(section, key, env) {
            None => Ok(None),
            Some(v) => crate::modules::spec::to_bool(&serde_json::Value::String(v.clone()))
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "invalid boolean '{v}' for {key} (from {env} or [{section}] in ansible.cfg)"
                    )
                }),
        }
    }
}

/// configparser removes `;` comments that follow whitespace.
fn strip_inline(v: &str) -> &str {
    let b = v.as_bytes();
    for i in 1..b.len() {
        if b[i] == b';' && b[i - 1].is_ascii_whitespace() {
            return v[..i].trim_end();
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_configparser_syntax() {
        let c = Config::parse(
            "# top\n[defaults]\ninventory = hosts.ini ; comment\nForks: 7\nhost_key_checking = False\n\n[ssh_connection]\nssh_args = -o A=1\n  -o B=2\n",
            "ansible.cfg",
        )
        .unwrap();
        assert_eq!(
            c.get("defaults", "inventory", "KILN_TEST_UNSET_1")
                .as_deref(),
            Some("hosts.ini")
        );
        assert_eq!(
            c.get("defaults", "forks", "KILN_TEST_UNSET_2").as_deref(),
            Some("7")
        );
        assert_eq!(
            c.get_bool("defaults", "host_key_checking", "KILN_TEST_UNSET_3"),
            Ok(Some(false))
        );
        assert_eq!(
            c.get("ssh_connection", "ssh_args", "KILN_TEST_UNSET_4")
                .as_deref(),
            Some("-o A=1\n-o B=2")
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = Config::parse("forks = 3\n", "a.cfg").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.cfg:1:1: File contains no section headers."
        );
        let e = Config::parse("[defaults]\njunk line\n", "a.cfg").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("a.cfg:2:1: expected `key = value`"),
            "{e}"
        );
        let e = Config::parse("[defaults\n", "a.cfg").unwrap_err();
        assert!(e.to_string().contains("bad section header"), "{e}");
        let e = Config::parse("[defaults]\nforks=1\nforks=2\n", "a.cfg").unwrap_err();
        assert!(e.to_string().starts_with("a.cfg:3:1"), "{e}");
    }
}
