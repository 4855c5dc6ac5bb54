// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Ansible Vault: reading and writing the vaults Ansible reads and writes.
//!
//! * [`envelope`]: the `$ANSIBLE_VAULT;1.1;AES256` / `1.2;AES256;<id>` text format;
//! * [`crypto`]: PBKDF2-HMAC-SHA256 → AES-256-CTR + HMAC-SHA256;
//! * [`secrets`]: passwords, their vault ids and where they come from;
//! * [`files`]: atomic writes and private temp files for `kiln vault`;
//! * [`Revealed`]: the plaintexts opened so far, masked in output;
//! * [`VaultError`]: one typed error that names the file.
//!
//! Plaintext lives in [`Zeroizing`] buffers as long as this module holds
//! it; error messages are built from envelopes, labels and file names only.
//! Whole vault files are opened by [`read`] ([`read_file`],
//! [`load_yaml_file`]) wherever kiln reads a file on the controller;
//! inline `!vault` values with [`decrypt_inline`], when the variable is read.

pub mod crypto;
pub mod envelope;
mod error;
pub mod files;
pub mod read;
mod reveal;
pub mod secrets;

use crate::span::Span;
use crate::yaml::{Node, NodeKind, ScalarStyle};
use zeroize::Zeroizing;

pub use envelope::{Envelope, is_vault};
pub use error::{VaultError, VaultErrorKind};
pub use read::{FileBytes, Secrets, YamlFileError, load_yaml_file, read_file};
pub use reveal::{MASK, MIN_MASKED_CHARS, Revealed};
pub use secrets::{
    Decrypted, LoadMode, Loaded, Prompter, SecretSources, VaultSecret, VaultSecrets, encrypt_with,
    load,
};

/// Decrypts the text of an inline `!vault` value found at `span` (the
/// position of its first line) into a string; bytes that are not UTF-8
/// are replaced as Python's `to_text` would. The plaintext is marked as
/// secret for output masking.
pub fn decrypt_inline(
    text: &str,
    secrets: &VaultSecrets,
    span: &Span,
) -> Result<Zeroizing<String>, VaultError> {
    let d = secrets.decrypt(text.as_bytes(), span)?;
    let plain = Zeroizing::new(String::from_utf8_lossy(&d.plaintext).into_owned());
    secrets.revealed().mark(&plain);
    secrets.remember_inline(&plain, text);
    Ok(plain)
}

/// Where the envelope of an inline value starts: the line after the
/// `!vault |` tag for a block scalar (the node's span is the tag's), the
/// tag's position otherwise. Block indentation is not known here, so the
/// column of a block's lines is 1.
pub fn inline_origin(n: &Node) -> Span {
    match n.style {
        ScalarStyle::Literal | ScalarStyle::Folded if !n.span.is_synthetic() => {
            Span::new(n.span.file.clone(), n.span.line + 1, 1)
        }
        _ => n.span.clone(),
    }
}

/// Decrypts a `!vault` node (see [`decrypt_inline`]); errors point at the
/// value's lines.
pub fn decrypt_node(n: &Node, secrets: &VaultSecrets) -> Result<Zeroizing<String>, VaultError> {
    match &n.kind {
        NodeKind::Str(s) => decrypt_inline(s, secrets, &inline_origin(n)),
        _ => Err(VaultError::new(
            n.span.clone(),
            VaultErrorKind::Header(format!(
                "a !vault value must be a string, not a {}",
                n.type_name()
            )),
        )),
    }
}

/// `n` as plain data, every inline `!vault` value in it opened (for
/// readers that keep data rather than nodes, such as `include_vars`).
pub fn open_to_json(n: &Node, secrets: &VaultSecrets) -> Result<serde_json::Value, VaultError> {
    use serde_json::Value as J;
    Ok(match &n.kind {
        NodeKind::Str(_) if n.tag == Some(crate::yaml::Tag::Vault) => {
            J::String(decrypt_node(n, secrets)?.to_string())
        }
        NodeKind::Seq(items) => J::Array(
            items
                .iter()
                .map(|i| open_to_json(i, secrets))
                .collect::<Result<_, _>>()?,
        ),
        NodeKind::Map(pairs) => {
            let mut m = serde_json::Map::new();
            for (k, v) in pairs {
                m.insert(k.key_string(), open_to_json(v, secrets)?);
            }
            J::Object(m)
        }
        _ => n.to_json(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_to_json_opens_nested_inline_values() {
        let s = VaultSecrets::new(vec![VaultSecret::new("default", b"pw".to_vec(), "t")]);
        let v = encrypt_with(&s.secrets()[0], None, b"in-Secret-77", None, "t").unwrap();
        let indented: String = v.lines().map(|l| format!("      {l}\n")).collect();
        let text = format!("a: 1\nb:\n  - c: !vault |\n{indented}");
        let d = crate::yaml::load_str(&text, "f.yml")
            .unwrap()
            .docs
            .remove(0);
        let j = open_to_json(&d, &s).unwrap();
        assert_eq!(j, serde_json::json!({"a": 1, "b": [{"c": "in-Secret-77"}]}));
        assert!(open_to_json(&d, &VaultSecrets::default()).is_err());
    }

    #[test]
    fn inline_errors_point_at_the_value() {
        let d = crate::yaml::load_str(
            "a: 1\nb: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  61zz\nc: !vault '$ANSIBLE_VAULT;1.1'\n",
            "f.yml",
        )
        .unwrap()
        .docs
        .remove(0);
        let s = VaultSecrets::default();
        let e = decrypt_node(d.get("b").unwrap(), &s).unwrap_err();
        assert_eq!(e.span.to_string(), "f.yml:4:3", "{e}");
        let e = decrypt_node(d.get("c").unwrap(), &s).unwrap_err();
        assert_eq!(e.span.to_string(), "f.yml:5:4", "{e}");
        assert!(matches!(e.kind, VaultErrorKind::Header(_)));
    }
}
