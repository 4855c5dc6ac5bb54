// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The one way kiln reads a controller file that may be a whole vault.
//!
//! Every loader (playbooks, task files, roles, vars files, include_vars,
//! inventories, group_vars/host_vars, `-e @file`) and every reader of file
//! content (`copy`/`template` sources, the `file` and `unvault` lookups)
//! goes through [`read_file`] or [`load_yaml_file`], so that a vault is
//! opened the same way everywhere, its plaintext stays in a wiped buffer,
//! and errors about decrypted text never quote it.

use super::{VaultError, VaultErrorKind, VaultSecrets};
use crate::span::Span;
use crate::yaml::{self, Loaded, Node, NodeKind, YamlError};
use std::ops::Deref;
use std::path::Path;
use zeroize::Zeroizing;

/// What a parse error of decrypted YAML says instead of the parser's
/// message (which could quote the secret text).
pub const WITHHELD: &str = "the decrypted vault content is not valid YAML (the parser's message is withheld because it could quote secret text)";

/// A file's content: decrypted when it was a vault. Wiped when dropped.
pub struct FileBytes {
    bytes: Zeroizing<Vec<u8>>,
    encrypted: bool,
}

/// Shows the size, never the content.
impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FileBytes({} bytes, encrypted: {})",
            self.bytes.len(),
            self.encrypted
        )
    }
}

impl FileBytes {
    /// Whether the file was a vault: callers keep its content out of error
    /// messages and mark what they derive from it as secret.
    pub fn was_encrypted(&self) -> bool {
        self.encrypted
    }
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Reads `path`, decrypting it when it is a vault. An unreadable file is a
/// [`VaultErrorKind::Io`] error naming it.
pub fn read_file(path: &Path, secrets: &VaultSecrets) -> Result<FileBytes, VaultError> {
    let shown = path.display().to_string();
    let raw = Zeroizing::new(std::fs::read(path).map_err(|e| {
        VaultError::file(
            &shown,
            VaultErrorKind::Io(format!("cannot read {shown}: {e}")),
        )
    })?);
    decrypt_bytes(raw, secrets, &shown)
}

/// [`read_file`] for bytes already read from `shown`.
pub fn decrypt_bytes(
    raw: Zeroizing<Vec<u8>>,
    secrets: &VaultSecrets,
    shown: &str,
) -> Result<FileBytes, VaultError> {
    if !super::is_vault(&raw) {
        return Ok(FileBytes {
            bytes: raw,
            encrypted: false,
        });
    }
    let d = secrets.decrypt(&raw, &Span::synthetic(shown))?;
    Ok(FileBytes {
        bytes: d.plaintext,
        encrypted: true,
    })
}

/// Whether the file at `path` starts with the vault header (reads only
/// that much); an unreadable file is not a vault.
pub fn is_vault_file(path: &Path) -> bool {
    let mut head = [0u8; super::envelope::HEADER.len()];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| super::is_vault(&head))
}

/// Which strings of a decrypted YAML file are secrets to mask in output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Every string value (a vars file: each value is a variable).
    AllValues,
    /// The values under `vars:` keys only (a playbook or task file, whose
    /// other strings are task names, module names and arguments that
    /// output must keep showing).
    VarsSections,
}

/// Why a YAML file could not be loaded.
#[derive(Debug, Clone)]
pub enum YamlFileError {
    /// Unreadable, or a vault that cannot be opened.
    Vault(VaultError),
    /// Not YAML. For a decrypted file, the message is [`WITHHELD`] and the
    /// excerpt empty: only the position is kept.
    Yaml(YamlError),
}

impl std::fmt::Display for YamlFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            YamlFileError::Vault(e) => write!(f, "{e}"),
            YamlFileError::Yaml(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for YamlFileError {}

/// Loads a YAML file (every document), decrypting it first when it is a
/// vault; the strings `mark` selects are then marked as secret.
pub fn load_yaml_file(
    path: &Path,
    secrets: &VaultSecrets,
    mark: Secrets,
) -> Result<Loaded, YamlFileError> {
    let shown = path.display().to_string();
    // A clear file (or one that cannot be read) keeps the YAML layer's own
    // diagnostics: read error, UTF-8 position, excerpt, hint.
    if !is_vault_file(path) {
        return yaml::load_file(path).map_err(YamlFileError::Yaml);
    }
    let raw = Zeroizing::new(std::fs::read(path).map_err(|e| {
        YamlFileError::Yaml(YamlError::file(&shown, format!("cannot read {shown}: {e}")))
    })?);
    let plain = decrypt_bytes(raw, secrets, &shown).map_err(YamlFileError::Vault)?;
    let withheld = |span: Span| {
        YamlFileError::Yaml(YamlError {
            span,
            message: WITHHELD.into(),
            excerpt: String::new(),
            hint: None,
        })
    };
    let text = std::str::from_utf8(&plain).map_err(|_| withheld(Span::synthetic(&shown)))?;
    let loaded = yaml::load_str(text, &shown).map_err(|e| withheld(e.span))?;
    for d in &loaded.docs {
        match mark {
            Secrets::AllValues => secrets.revealed().mark_node(d),
            Secrets::VarsSections => mark_vars_sections(secrets, d),
        }
    }
    Ok(loaded)
}

/// Marks the values of every `vars:` mapping found in `n`.
fn mark_vars_sections(secrets: &VaultSecrets, n: &Node) {
    match &n.kind {
        NodeKind::Seq(items) => items.iter().for_each(|i| mark_vars_sections(secrets, i)),
        NodeKind::Map(pairs) => {
            for (k, v) in pairs {
                if k.as_str() == Some("vars") {
                    secrets.revealed().mark_node(v);
                } else {
                    mark_vars_sections(secrets, v);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{VaultSecret, encrypt_with};

    fn secrets() -> VaultSecrets {
        VaultSecrets::new(vec![VaultSecret::new("default", b"pw".to_vec(), "test")])
    }

    fn vaulted(dir: &Path, name: &str, text: &str, s: &VaultSecrets) -> std::path::PathBuf {
        let p = dir.join(name);
        let v = encrypt_with(&s.secrets()[0], None, text.as_bytes(), None, name).unwrap();
        std::fs::write(&p, v).unwrap();
        p
    }

    #[test]
    fn clear_and_encrypted_files_read_alike() {
        let d = tempfile::tempdir().unwrap();
        let s = secrets();
        let clear = d.path().join("clear.yml");
        std::fs::write(&clear, "a: 1\n").unwrap();
        let enc = vaulted(d.path(), "enc.yml", "a: 1\n", &s);
        let c = read_file(&clear, &s).unwrap();
        let e = read_file(&enc, &s).unwrap();
        assert_eq!(&*c, &*e);
        assert!(!c.was_encrypted() && e.was_encrypted());
        assert!(is_vault_file(&enc) && !is_vault_file(&clear));
        assert!(!is_vault_file(&d.path().join("nope")));
        let missing = read_file(&d.path().join("nope"), &s).unwrap_err();
        assert!(matches!(missing.kind, VaultErrorKind::Io(_)), "{missing}");
    }

    #[test]
    fn marks_what_is_asked_and_withholds_parse_errors() {
        let d = tempfile::tempdir().unwrap();
        let s = secrets();
        let pb = vaulted(
            d.path(),
            "pb.yml",
            "- hosts: all\n  vars:\n    token: tok-Secret-1\n  tasks:\n    - debug: msg=visible-name\n",
            &s,
        );
        let loaded = load_yaml_file(&pb, &s, Secrets::VarsSections).unwrap();
        assert_eq!(loaded.docs.len(), 1);
        assert_eq!(
            s.revealed()
                .redact("tok-Secret-1 msg=visible-name")
                .as_deref(),
            Some("******** msg=visible-name")
        );
        let vars = vaulted(d.path(), "vars.yml", "other: val-Secret-2\n", &s);
        load_yaml_file(&vars, &s, Secrets::AllValues).unwrap();
        assert_eq!(
            s.revealed().redact("val-Secret-2").as_deref(),
            Some("********")
        );
        let broken = vaulted(d.path(), "broken.yml", "a: [unclosed-Secret\n", &s);
        let e = load_yaml_file(&broken, &s, Secrets::AllValues).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("withheld"), "{shown}");
        assert!(!shown.contains("unclosed-Secret"), "{shown}");
        let e = load_yaml_file(&pb, &VaultSecrets::default(), Secrets::AllValues).unwrap_err();
        assert!(matches!(e, YamlFileError::Vault(_)), "{e}");
    }
}
