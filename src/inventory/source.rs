// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Inventory sources: a `host1,host2,` list, a file, or a directory of
//! files, merged into the inventory in order as several `-i` are.
//!
//! Ansible offers a file to its plugins in turn (`yaml` for files with no
//! extension or .yml/.yaml/.json, then `ini` for anything but .toml) and
//! uses the first that succeeds; so does kiln. Where Ansible only warns that
//! a source could not be parsed (and goes on without its hosts), kiln stops
//! with the error of the parser the file was most likely meant for.

use super::error::InventoryError;
use super::ini::parse_ini;
use super::model::Inventory;
use super::vars_dirs::extension;
use super::yaml::parse_yaml_doc;
use crate::span::Span;
use std::path::{Component, Path, PathBuf};

/// Ansible's INVENTORY_IGNORE_EXTS default (REJECT_EXTS + .orig .cfg .retry).
const IGNORE_EXTS: [&str; 12] = [
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];
const YAML_EXTS: [&str; 3] = [".yml", ".yaml", ".json"];

/// Whether a directory entry is skipped (hidden, vars dirs, ignored extensions).
pub fn ignored_entry(name: &str) -> bool {
    name.starts_with('.')
        || matches!(name, "host_vars" | "group_vars" | "vars_plugins")
        || IGNORE_EXTS.iter().any(|e| name.ends_with(e))
}

/// `~` and `$VAR` expanded, made absolute against `cwd`, `.`/`..` folded
/// without resolving symlinks (Ansible's `unfrackpath(follow=False)`).
fn unfrack(source: &str, cwd: &Path) -> PathBuf {
    let mut s = source.to_string();
    if (s == "~" || s.starts_with("~/"))
        && let Some(home) = std::env::var_os("HOME")
    {
        s = format!("{}{}", home.to_string_lossy(), &s[1..]);
    }
    let s = expand_vars(&s);
    let p = cwd.join(s);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `$NAME` and `${NAME}` from the environment; unknown names stay as written.
fn expand_vars(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' {
            let (name, end) = if chars.get(i + 1) == Some(&'{') {
                match chars[i + 2..].iter().position(|&c| c == '}') {
                    Some(p) => (
                        chars[i + 2..i + 2 + p].iter().collect::<String>(),
                        i + 3 + p,
                    ),
                    None => (String::new(), i),
                }
            } else {
                let n: String = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .collect();
                let len = n.chars().count();
                (n, i + 1 + len)
            };
            if !name.is_empty()
                && let Ok(v) = std::env::var(&name)
            {
                out.push_str(&v);
                i = end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

impl Inventory {
    /// Loads one inventory source (a path to a file or directory, relative
    /// to `cwd`, or a `host1,host2,` list) into this inventory. Call
    /// `finish` once every source is loaded.
    pub fn load_source(&mut self, source: &str, cwd: &Path) -> Result<(), InventoryError> {
        if source.contains(',') && !cwd.join(source).exists() {
            self.source_names.push(source.to_string());
            self.load_host_list(source);
            return Ok(());
        }
        let path = if source.contains(',') {
            cwd.join(source)
        } else {
            unfrack(source, cwd)
        };
        if !path.exists() {
            return Err(InventoryError::new(
                Span::new(source, 0, 0),
                format!("inventory source not found: {}", path.display()),
            )
            .with_hint("give a path to an inventory file or directory, or a comma-separated host list such as `host1,host2,`"));
        }
        self.sources.push(path.clone());
        self.source_names.push(path.display().to_string());
        self.load_path(&path)
    }

    /// `host1,host2:2222,`: each new host goes to `ungrouped`.
    fn load_host_list(&mut self, list: &str) {
        self.current_source = Some((list.to_string(), "None".to_string()));
        let span = Span::new(format!("<host list {list}>"), 0, 0);
        for part in list.split(',') {
            let h = part.trim();
            if h.is_empty() {
                continue;
            }
            let (host, port) = match super::address::parse_address(h, false) {
                Some(a) => (a.host, a.port),
                None => (h.to_string(), None),
            };
            if !self.hosts.contains_key(&host) {
                // Cannot fail: the name is not empty and `ungrouped` exists.
                let _ = self.add_host(&host, Some("ungrouped"), port, &span);
            }
        }
        self.current_source = None;
    }

    fn load_path(&mut self, path: &Path) -> Result<(), InventoryError> {
        if path.is_dir() {
            let shown = path.display().to_string();
            let entries = std::fs::read_dir(path).map_err(|e| {
                InventoryError::new(
                    Span::new(shown.clone(), 0, 0),
                    format!("cannot read inventory directory: {e}"),
                )
            })?;
            let mut names: Vec<std::ffi::OsString> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect();
            names.sort();
            for n in names {
                if ignored_entry(&n.to_string_lossy()) {
                    continue;
                }
                self.load_path(&path.join(n))?;
            }
            return Ok(());
        }
        self.load_file(path)
    }

    fn load_file(&mut self, path: &Path) -> Result<(), InventoryError> {
        let shown = path.display().to_string();
        let file_span = Span::new(shown.clone(), 0, 0);
        let data = zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| {
            InventoryError::new(
                file_span.clone(),
                format!("cannot read inventory file: {e}"),
            )
        })?);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = extension(&name);
        let dir = path
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let script = data.starts_with(b"#!");
        let saved = self.current_source.replace((shown.clone(), dir));
        // Ansible offers an executable file to its script plugin first. A
        // script (`#!`) that failed is not then read as INI or YAML text:
        // its own error is the one that explains.
        if super::script::is_executable(path) {
            let mut trial = self.clone();
            let outcome = trial.load_script(path);
            match outcome {
                Ok(()) => {
                    trial.current_source = saved;
                    *self = trial;
                    return Ok(());
                }
                Err(e) if script => {
                    self.current_source = saved;
                    return Err(e);
                }
                Err(_) => {}
            }
        }
        if ext == ".toml" {
            self.current_source = saved;
            return Err(
                InventoryError::new(file_span, "TOML inventories are not supported")
                    .with_hint("convert the inventory to YAML or INI"),
            );
        }
        // An inventory file may be a whole vault; errors about its
        // decrypted content keep only their position.
        let vault = self.vault.clone();
        let plain = match crate::vault::read::decrypt_bytes(data, &vault, &shown) {
            Ok(p) => p,
            Err(e) => {
                self.current_source = saved;
                return Err(e.into());
            }
        };
        let result = self.parse_file(&plain, &shown, ext);
        self.current_source = saved;
        let err = match result {
            Ok(()) => {
                if plain.was_encrypted() {
                    self.mark_vaulted_values(&shown);
                }
                return Ok(());
            }
            Err(e) if plain.was_encrypted() => {
                return Err(InventoryError::new(e.span, super::error::WITHHELD));
            }
            Err(e) => e,
        };
        if script {
            return Err(InventoryError::new(
                Span::new(shown, 1, 1),
                "this file starts with `#!` like an inventory script, but it is not executable, and it is not a YAML or INI inventory either",
            )
            .with_hint("make the script executable (chmod +x) so that it is run with --list"));
        }
        Err(err)
    }

    /// Marks as secret the variable values a vaulted inventory file set
    /// (its nodes carry its name), except connection settings that output
    /// shows everywhere (masking `local` or a port would only garble it).
    fn mark_vaulted_values(&self, file: &str) {
        const SHOWN: [&str; 8] = [
            "ansible_host",
            "ansible_connection",
            "ansible_port",
            "ansible_user",
            "ansible_python_interpreter",
            "ansible_become_method",
            "ansible_become_user",
            "ansible_shell_type",
        ];
        let revealed = self.vault.revealed();
        let vars = self
            .hosts()
            .flat_map(|h| h.vars.iter())
            .chain(self.groups().flat_map(|g| g.vars.iter()));
        for (k, v) in vars {
            if &*v.span.file == file && !SHOWN.contains(&k.as_str()) {
                revealed.mark_node(v);
            }
        }
    }

    /// Tries the YAML parser (when the extension allows it) then the INI
    /// one, each on a copy, and keeps the first success.
    fn parse_file(&mut self, data: &[u8], shown: &str, ext: &str) -> Result<(), InventoryError> {
        let yaml_ext = YAML_EXTS.contains(&ext);
        let mut yaml_err = None;
        // Whether the text was YAML with a mapping on top: then a failure is
        // about the YAML inventory's structure, and that is the error shown.
        let mut yaml_shaped = false;
        if ext.is_empty() || yaml_ext {
            let mut trial = self.clone();
            match trial.parse_yaml_text(data, shown, &mut yaml_shaped) {
                Ok(()) => {
                    *self = trial;
                    return Ok(());
                }
                Err(e) => yaml_err = Some(e),
            }
        }
        let Some(yaml_err) = yaml_err else {
            // INI is the only candidate: a failure ends the load, so there
            // is nothing to roll back.
            return parse_ini(self, data, shown);
        };
        let mut trial = self.clone();
        match parse_ini(&mut trial, data, shown) {
            Ok(()) => {
                *self = trial;
                Ok(())
            }
            Err(_) if yaml_ext || yaml_shaped => Err(yaml_err),
            Err(ini_err) => Err(ini_err),
        }
    }

    fn parse_yaml_text(
        &mut self,
        data: &[u8],
        shown: &str,
        shaped: &mut bool,
    ) -> Result<(), InventoryError> {
        let text = std::str::from_utf8(data).map_err(|e| {
            InventoryError::new(
                Span::new(shown, 0, 0),
                format!("the file is not valid UTF-8 ({e})"),
            )
        })?;
        let loaded = crate::yaml::load_str(text, shown)?;
        let mut docs = loaded.docs.iter();
        let Some(doc) = docs.next() else {
            return Err(InventoryError::new(
                Span::new(shown, 0, 0),
                "Parsed empty YAML file",
            ));
        };
        *shaped = doc.as_map().is_some_and(|m| !m.is_empty());
        if let Some(second) = docs.next() {
            return Err(InventoryError::new(
                second.span.clone(),
                "expected a single document in the YAML inventory, found several",
            ));
        }
        parse_yaml_doc(self, doc)?;
        self.warnings
            .extend(loaded.warnings.iter().map(|w| w.to_string()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_rules() {
        assert!(ignored_entry(".hidden"));
        assert!(ignored_entry("group_vars"));
        assert!(ignored_entry("hosts.bak"));
        assert!(ignored_entry("hosts~"));
        assert!(ignored_entry("notes.txt"));
        assert!(ignored_entry("ansible.cfg"));
        assert!(!ignored_entry("hosts.ini"));
        assert!(!ignored_entry("hosts.yml"));
        assert!(!ignored_entry("hosts"));
    }

    #[test]
    fn paths() {
        let p = unfrack("a/../b/./c", Path::new("/x/y"));
        assert_eq!(p, PathBuf::from("/x/y/b/c"));
        assert_eq!(unfrack("/abs", Path::new("/x")), PathBuf::from("/abs"));
    }
}
