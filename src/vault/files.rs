// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Writing vault files safely: every write goes to a new private file
//! (mode 0600, created exclusively) in the destination's directory and is
//! renamed over the destination, so a reader never sees half a vault and a
//! crash never leaves a truncated one. Plaintext for an editor goes to a
//! private directory (0700) and is overwritten before it is removed.

use super::error::{VaultError, VaultErrorKind};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

fn io_error(path: &Path, what: &str, e: std::io::Error) -> VaultError {
    VaultError::file(
        &path.display().to_string(),
        VaultErrorKind::Io(format!("{what}: {e}")),
    )
}

fn random_suffix() -> String {
    let n: u64 = rand::random();
    format!("{n:016x}")
}

/// Writes `data` to `dest` atomically. The new file has mode `mode`
/// (0600 for new vaults and decrypted output, as ansible-vault does; the
/// old mode when a file is rewritten in place).
pub fn write_atomic(dest: &Path, data: &[u8], mode: u32) -> Result<(), VaultError> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vault".into());
    let tmp = dir.join(format!(".{name}.kiln-{}", random_suffix()));
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| io_error(dest, "cannot create a temporary file next to it", e))?;
    let written = f
        .write_all(data)
        .and_then(|_| f.sync_all())
        .and_then(|_| fs::set_permissions(&tmp, fs::Permissions::from_mode(mode)));
    drop(f);
    if let Err(e) = written.and_then(|_| fs::rename(&tmp, dest)) {
        let _ = fs::remove_file(&tmp);
        return Err(io_error(dest, "cannot write", e));
    }
    Ok(())
}

/// The permission bits of an existing file, or 0600.
pub fn mode_of(path: &Path) -> u32 {
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o600)
}

/// A private directory holding one plaintext file for an editor; the file
/// is overwritten with zeros and both are removed when this is dropped.
pub struct PrivateTemp {
    dir: PathBuf,
    file: PathBuf,
}

impl PrivateTemp {
    /// Creates the directory (0700) under the system temp dir and the
    /// file (0600) in it, holding `content`. `extension` (with its dot)
    /// keeps the editor's syntax highlighting.
    pub fn new(content: &[u8], extension: &str) -> Result<PrivateTemp, VaultError> {
        let base = std::env::temp_dir();
        let dir = base.join(format!("kiln-vault-{}", random_suffix()));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| io_error(&dir, "cannot create a private directory", e))?;
        let file = dir.join(format!("edit{extension}"));
        let t = PrivateTemp { dir, file };
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&t.file)
            .map_err(|e| io_error(&t.file, "cannot create the file to edit", e))?;
        f.write_all(content)
            .map_err(|e| io_error(&t.file, "cannot write the file to edit", e))?;
        Ok(t)
    }

    pub fn path(&self) -> &Path {
        &self.file
    }
}

impl Drop for PrivateTemp {
    fn drop(&mut self) {
        // Overwrite before removing: on most file systems the old blocks
        // are not handed out again with their content.
        if let Ok(len) = fs::metadata(&self.file).map(|m| m.len())
            && let Ok(mut f) = OpenOptions::new().write(true).open(&self.file)
        {
            let zeros = vec![0u8; usize::try_from(len).unwrap_or(0).min(1 << 20)];
            let mut left = len;
            while left > 0 {
                let n = left.min(zeros.len() as u64);
                if n == 0 || f.write_all(&zeros[..n as usize]).is_err() {
                    break;
                }
                left -= n;
            }
            let _ = f.sync_all();
        }
        let _ = fs::remove_file(&self.file);
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_sets_mode() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("v.yml");
        fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new", 0o640).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(mode_of(&p), 0o640);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn private_temp_is_private_and_removed() {
        let t = PrivateTemp::new(b"plain", ".yml").unwrap();
        let path = t.path().to_path_buf();
        assert_eq!(mode_of(&path), 0o600);
        assert_eq!(mode_of(path.parent().unwrap()), 0o700);
        assert_eq!(fs::read(&path).unwrap(), b"plain");
        assert!(path.to_string_lossy().ends_with(".yml"));
        drop(t);
        assert!(!path.exists());
        assert!(!path.parent().unwrap().exists());
    }
}
