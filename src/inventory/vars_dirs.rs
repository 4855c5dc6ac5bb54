// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `group_vars/` and `host_vars/` directories, read as Ansible's
//! `host_group_vars` plugin does: for an entity `name`, the first of
//! `name`, `name.yml`, `name.yaml`, `name.json` that exists is used; a
//! directory is read recursively (sorted, skipping hidden and `~` files,
//! keeping files with one of those extensions or none, and descending only
//! into sub-directories without an extension). Later files override
//! earlier ones key by key.

use super::error::InventoryError;
use super::model::{Inventory, LOCALHOST_NAMES, set_var};
use crate::span::Span;
use crate::vault::VaultSecrets;
use crate::yaml::{Node, NodeKind};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};

const EXTENSIONS: [&str; 3] = [".yml", ".yaml", ".json"];

/// One vars file and its variables.
#[derive(Debug, Clone, PartialEq)]
pub struct VarsFile {
    pub path: PathBuf,
    pub vars: Vec<(String, Node)>,
}

/// The group_vars/ and host_vars/ found under one directory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VarsDirs {
    /// The directory that holds group_vars/ and host_vars/.
    pub base: PathBuf,
    groups: IndexMap<String, Vec<VarsFile>>,
    hosts: IndexMap<String, Vec<VarsFile>>,
    /// Warnings met while loading (duplicate keys, odd entries).
    pub warnings: Vec<String>,
}

impl VarsDirs {
    /// The files for a group, in load order (empty when there are none).
    pub fn group_files(&self, group: &str) -> &[VarsFile] {
        self.groups.get(group).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The files for a host, in load order.
    pub fn host_files(&self, host: &str) -> &[VarsFile] {
        self.hosts.get(host).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A group's variables, all its files merged.
    pub fn group_vars(&self, group: &str) -> Vec<(String, Node)> {
        merge(self.group_files(group))
    }

    /// A host's variables, all its files merged.
    pub fn host_vars(&self, host: &str) -> Vec<(String, Node)> {
        merge(self.host_files(host))
    }
}

fn merge(files: &[VarsFile]) -> Vec<(String, Node)> {
    let mut out = Vec::new();
    for f in files {
        for (k, v) in &f.vars {
            set_var(&mut out, k, v.clone());
        }
    }
    out
}

/// Loads `base/group_vars/<group>` for every group of `inv` and
/// `base/host_vars/<host>` for every host (and the localhost names, for
/// the implicit localhost).
pub fn load_vars_dirs(base: &Path, inv: &Inventory) -> Result<VarsDirs, InventoryError> {
    // Ansible resolves the base directory (symlinks included).
    let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    let mut out = VarsDirs {
        base: base.clone(),
        ..VarsDirs::default()
    };
    let gdir = base.join("group_vars");
    if usable_dir(&gdir, "group_vars", &mut out.warnings) {
        for g in inv.groups() {
            let files = load_entity(&gdir, &g.name, &mut out.warnings, &inv.vault)?;
            if !files.is_empty() {
                out.groups.insert(g.name.clone(), files);
            }
        }
    }
    let hdir = base.join("host_vars");
    if usable_dir(&hdir, "host_vars", &mut out.warnings) {
        let mut names: Vec<String> = inv.hosts().map(|h| h.name.clone()).collect();
        for l in LOCALHOST_NAMES {
            if !names.iter().any(|n| n == l) {
                names.push(l.to_string());
            }
        }
        for h in names {
            let files = load_entity(&hdir, &h, &mut out.warnings, &inv.vault)?;
            if !files.is_empty() {
                out.hosts.insert(h, files);
            }
        }
    }
    Ok(out)
}

fn usable_dir(dir: &Path, what: &str, warnings: &mut Vec<String>) -> bool {
    if dir.is_dir() {
        return true;
    }
    if dir.exists() {
        warnings.push(format!(
            "Found {what} that is not a directory, skipping: {}",
            dir.display()
        ));
    }
    false
}

fn load_entity(
    dir: &Path,
    name: &str,
    warnings: &mut Vec<String>,
    vault: &VaultSecrets,
) -> Result<Vec<VarsFile>, InventoryError> {
    // Names like /path/to/chroot are not looked up (Ansible skips them).
    if name.starts_with('/') || name.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: Vec<PathBuf> = Vec::new();
    for ext in std::iter::once("").chain(EXTENSIONS) {
        let p = dir.join(format!("{name}{ext}"));
        if p.exists() {
            if p.is_dir() {
                collect_dir(&p, &mut found)?;
            } else {
                found.push(p);
            }
            break;
        }
    }
    let mut files = Vec::new();
    for path in found {
        let vars = load_vars_file(&path, warnings, vault)?;
        files.push(VarsFile { path, vars });
    }
    Ok(files)
}

fn collect_dir(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), InventoryError> {
    let io = |e: std::io::Error| {
        InventoryError::new(
            Span::new(dir.display().to_string(), 0, 0),
            format!("cannot read directory: {e}"),
        )
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names {
        if n.starts_with('.') || n.ends_with('~') {
            continue;
        }
        let p = dir.join(&n);
        let ext = extension(&n);
        if p.is_dir() && ext.is_empty() {
            collect_dir(&p, found)?;
        } else if p.is_file() && (ext.is_empty() || EXTENSIONS.contains(&ext)) {
            found.push(p);
        }
    }
    Ok(())
}

/// Python's `os.path.splitext(name)[1]` (a leading dot is no extension).
pub(crate) fn extension(name: &str) -> &str {
    let trimmed = name.trim_start_matches('.');
    match trimmed.rfind('.') {
        Some(i) => &trimmed[i..],
        None => "",
    }
}

/// Loads one vars file: a mapping, or nothing (an empty file counts as no
/// variables). A vault-encrypted file is decrypted first (by the vault
/// layer's one reader); parse errors in its content give the position only.
pub(crate) fn load_vars_file(
    path: &Path,
    warnings: &mut Vec<String>,
    vault: &VaultSecrets,
) -> Result<Vec<(String, Node)>, InventoryError> {
    let shown = path.display().to_string();
    // Every string of a vaulted vars file is a secret to mask.
    let loaded = crate::vault::load_yaml_file(path, vault, crate::vault::Secrets::AllValues)
        .map_err(|e| match e {
            crate::vault::YamlFileError::Vault(v) => InventoryError::from(v),
            crate::vault::YamlFileError::Yaml(y) => InventoryError::from(y),
        })?;
    warnings.extend(loaded.warnings.iter().map(|w| w.to_string()));
    if loaded.docs.len() > 1 {
        let second = &loaded.docs[1];
        return Err(InventoryError::new(
            second.span.clone(),
            "expected a single document in the vars file, found several",
        ));
    }
    let Some(doc) = loaded.docs.into_iter().next() else {
        return Ok(Vec::new());
    };
    match doc.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Map(pairs) => {
            let mut vars = Vec::new();
            for (k, v) in pairs {
                set_var(&mut vars, &k.key_string(), v);
            }
            Ok(vars)
        }
        // Python treats other empty values as "no data" too.
        NodeKind::Seq(ref s) if s.is_empty() => Ok(Vec::new()),
        NodeKind::Str(ref s) if s.is_empty() => Ok(Vec::new()),
        NodeKind::Bool(false) => Ok(Vec::new()),
        NodeKind::Int(0) => Ok(Vec::new()),
        NodeKind::Float(0.0) => Ok(Vec::new()),
        _ => Err(InventoryError::new(
            doc.span.clone(),
            format!(
                "Could not process '{shown}': failed to combine variables, expected dicts but got a 'dict' and a '{}'",
                python_type(&doc)
            ),
        )
        .with_hint("a group_vars/host_vars file must hold a mapping of variable names to values")),
    }
}

fn python_type(n: &Node) -> &'static str {
    match n.kind {
        NodeKind::Null => "NoneType",
        NodeKind::Bool(_) => "bool",
        NodeKind::Int(_) => "int",
        NodeKind::Float(_) => "float",
        NodeKind::Str(_) => "str",
        NodeKind::Seq(_) => "list",
        NodeKind::Map(_) => "dict",
    }
}
