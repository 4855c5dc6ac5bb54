// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Vault passwords: where they come from and which one opens a vault.
//!
//! Sources follow ansible-core's order: `vault_identity_list` from
//! ansible.cfg, then each `--vault-id LABEL@SOURCE`, then each
//! `--vault-password-file` and ansible.cfg's `vault_password_file` (as
//! `default@FILE`), then a prompt for `--ask-vault-pass`. A source is a
//! file (its content, stripped, is the password), an executable script (its
//! stdout is the password; a script named `*-client` is asked for a label
//! with `--vault-id LABEL`) or `prompt`. A source that fails only warns
//! when another one worked, as in Ansible.
//!
//! To open a vault, the password whose label is the vault id the envelope
//! names is tried first, then (unless `vault_id_match` is set) every other
//! one in order. Derived keys are cached per password and salt, so that
//! reading the same `!vault` value on every host costs one PBKDF2 run.

use super::crypto::{CryptoError, DerivedKeys, SALT_LEN};
use super::envelope::{self, DEFAULT_ID, Envelope};
use super::error::{VaultError, VaultErrorKind};
use crate::span::Span;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// One password and the vault id (label) it answers to.
pub struct VaultSecret {
    label: String,
    password: Zeroizing<Vec<u8>>,
    /// Where it came from (a file name, `prompt`), for messages.
    origin: String,
}

impl VaultSecret {
    pub fn new(label: impl Into<String>, password: Vec<u8>, origin: impl Into<String>) -> Self {
        VaultSecret {
            label: label.into(),
            password: Zeroizing::new(password),
            origin: origin.into(),
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// Never prints the password.
impl fmt::Debug for VaultSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VaultSecret({}@{})", self.label, self.origin)
    }
}

/// The run's vault passwords. An empty set opens nothing.
#[derive(Default)]
pub struct VaultSecrets {
    secrets: Vec<VaultSecret>,
    /// `vault_id_match`: only a password whose label is the envelope's
    /// vault id may open it.
    id_match: bool,
    keys: Mutex<HashMap<(usize, Vec<u8>), DerivedKeys>>,
    /// Plaintexts opened with these passwords, for output masking.
    revealed: super::Revealed,
    /// Inline `!vault` values opened so far: plaintext and the vault text
    /// it came from. Ansible's values remember their ciphertext; kiln's
    /// are plain strings, so the `vault_encrypted` test and the `unvault`
    /// filter find it here.
    inline: std::sync::RwLock<Vec<(Zeroizing<String>, String)>>,
}

impl fmt::Debug for VaultSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultSecrets")
            .field("secrets", &self.secrets)
            .field("id_match", &self.id_match)
            .finish()
    }
}

/// A vault opened.
pub struct Decrypted {
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The label of the password that opened it.
    pub opened_with: String,
    /// The envelope as read (its version and vault id).
    pub envelope: Envelope,
}

/// Shows the size of the plaintext, never its content.
impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Decrypted({} bytes, opened with {})",
            self.plaintext.len(),
            self.opened_with
        )
    }
}

impl VaultSecrets {
    pub fn new(secrets: Vec<VaultSecret>) -> Self {
        VaultSecrets {
            secrets,
            id_match: false,
            keys: Mutex::new(HashMap::new()),
            revealed: super::Revealed::default(),
            inline: Default::default(),
        }
    }

    /// Ansible's `vault_id_match` setting.
    pub fn with_id_match(mut self, on: bool) -> Self {
        self.id_match = on;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The plaintexts opened so far (marked by the readers of vaults).
    pub fn revealed(&self) -> &super::Revealed {
        &self.revealed
    }

    /// Remembers that `plaintext` is the value of the inline vault `vault_text`.
    pub fn remember_inline(&self, plaintext: &str, vault_text: &str) {
        let Ok(mut v) = self.inline.write() else {
            return;
        };
        if v.iter().any(|(p, _)| p.as_str() == plaintext) {
            return;
        }
        v.push((
            Zeroizing::new(plaintext.to_string()),
            vault_text.to_string(),
        ));
    }

    /// The vault text an inline value with this plaintext came from.
    pub fn inline_vault_text(&self, plaintext: &str) -> Option<String> {
        let v = self.inline.read().ok()?;
        v.iter()
            .find(|(p, _)| p.as_str() == plaintext)
            .map(|(_, c)| c.clone())
    }

    pub fn secrets(&self) -> &[VaultSecret] {
        &self.secrets
    }

    pub fn labels(&self) -> Vec<String> {
        self.secrets.iter().map(|s| s.label.clone()).collect()
    }

    fn keys(&self, index: usize, salt: &[u8]) -> DerivedKeys {
        let cache_key = (index, salt.to_vec());
        if let Some(k) = self
            .keys
            .lock()
            .ok()
            .and_then(|c| c.get(&cache_key).cloned())
        {
            return k;
        }
        let k = DerivedKeys::derive(&self.secrets[index].password, salt);
        if let Ok(mut c) = self.keys.lock() {
            c.insert(cache_key, k.clone());
        }
        k
    }

    /// The order passwords are tried in for a vault naming `id`.
    fn candidates(&self, id: &str) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.secrets.len())
            .filter(|i| self.secrets[*i].label == id)
            .collect();
        if !self.id_match {
            order.extend((0..self.secrets.len()).filter(|i| self.secrets[*i].label != id));
        }
        order
    }

    /// Opens vault text. `origin` names where it came from: a synthetic
    /// span for a whole file, the value's position for an inline value.
    pub fn decrypt(&self, data: &[u8], origin: &Span) -> Result<Decrypted, VaultError> {
        let env = envelope::parse(data, origin)?;
        if self.secrets.is_empty() {
            return Err(VaultError::new(origin.clone(), VaultErrorKind::NoSecrets));
        }
        let id = env.vault_id.as_deref().unwrap_or(DEFAULT_ID);
        let mut tried = Vec::new();
        for i in self.candidates(id) {
            let keys = self.keys(i, &env.salt);
            match keys.open(&env.ciphertext, &env.hmac) {
                Ok(plaintext) => {
                    return Ok(Decrypted {
                        plaintext,
                        opened_with: self.secrets[i].label.clone(),
                        envelope: env,
                    });
                }
                Err(CryptoError::Hmac) => tried.push(self.secrets[i].label.clone()),
                Err(CryptoError::Padding | CryptoError::KeyLength) => {
                    return Err(VaultError::new(origin.clone(), VaultErrorKind::Padding));
                }
            }
        }
        Err(VaultError::new(
            origin.clone(),
            VaultErrorKind::HmacMismatch {
                tried,
                envelope_id: env.vault_id.clone(),
            },
        ))
    }

    /// The password to encrypt with (Ansible's `match_encrypt_secret`): the
    /// one labelled `encrypt_id` when given (an error if none is), else the
    /// first one.
    pub fn encrypt_secret(&self, encrypt_id: Option<&str>) -> Result<&VaultSecret, VaultError> {
        match encrypt_id {
            Some(id) => self.secrets.iter().find(|s| s.label == id).ok_or_else(|| {
                VaultError::file(
                    "--encrypt-vault-id",
                    VaultErrorKind::Password(format!(
                        "Did not find a match for --encrypt-vault-id={id} in the known vault-ids {:?}",
                        self.labels()
                    )),
                )
            }),
            None => self.secrets.first().ok_or_else(|| {
                VaultError::file(
                    "<encrypt>",
                    VaultErrorKind::Encrypt(
                        "A vault password must be specified to encrypt data".into(),
                    ),
                )
            }),
        }
    }
}

/// Encrypts `plaintext` with `secret`, writing `vault_id` in the header
/// (a 1.2 envelope unless it is absent or `default`; callers normally pass
/// the secret's label). `salt` is for reproducible output (Ansible's
/// `vault_encrypt_salt`); normally a fresh random 32-byte salt is used.
pub fn encrypt_with(
    secret: &VaultSecret,
    vault_id: Option<&str>,
    plaintext: &[u8],
    salt: Option<&[u8]>,
    shown: &str,
) -> Result<String, VaultError> {
    if envelope::is_vault(plaintext) {
        return Err(VaultError::file(
            shown,
            VaultErrorKind::Encrypt("input is already encrypted".into()),
        ));
    }
    let salt = match salt {
        Some(s) if !s.is_empty() => s.to_vec(),
        _ => {
            let mut s = vec![0u8; SALT_LEN];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut s);
            s
        }
    };
    let keys = DerivedKeys::derive(&secret.password, &salt);
    let (hmac, ciphertext) = keys.seal(plaintext).map_err(|_| {
        VaultError::file(
            shown,
            VaultErrorKind::Encrypt("the cipher rejected the derived key".into()),
        )
    })?;
    Ok(Envelope::for_write(vault_id, salt, hmac, ciphertext).format())
}

/// Where passwords come from, already in Ansible's order of use.
#[derive(Debug, Clone, Default)]
pub struct SecretSources {
    /// `LABEL@SOURCE` or `SOURCE` slugs: `vault_identity_list`, then `--vault-id`.
    pub vault_ids: Vec<String>,
    /// `--vault-password-file`s, then ansible.cfg's `vault_password_file`.
    pub password_files: Vec<String>,
    pub ask_vault_pass: bool,
    /// The label of a password given without one (`vault_identity`, default `default`).
    pub default_identity: Option<String>,
    /// `vault_id_match`.
    pub id_match: bool,
    /// `vault_encrypt_identity`: the default of `--encrypt-vault-id`.
    pub encrypt_identity: Option<String>,
    /// `vault_encrypt_salt`: a fixed salt (for reproducible output).
    pub encrypt_salt: Option<String>,
}

impl SecretSources {
    /// Reads the vault settings of ansible.cfg (environment variables
    /// first). A relative `vault_password_file` from the file is relative
    /// to the file's directory; from the environment, to `cwd`.
    pub fn from_config(cfg: &crate::config::Config, cwd: &Path) -> Result<Self, String> {
        let mut s = SecretSources::default();
        if let Some(list) = cfg.get(
            "defaults",
            "vault_identity_list",
            "ANSIBLE_VAULT_IDENTITY_LIST",
        ) {
            s.vault_ids.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string),
            );
        }
        if let Some(file) = cfg.get(
            "defaults",
            "vault_password_file",
            "ANSIBLE_VAULT_PASSWORD_FILE",
        ) && !file.trim().is_empty()
        {
            let base = if std::env::var_os("ANSIBLE_VAULT_PASSWORD_FILE").is_some() {
                cwd.to_path_buf()
            } else {
                cfg.path
                    .as_ref()
                    .and_then(|p| p.parent())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| cwd.to_path_buf())
            };
            s.password_files
                .push(expand_path(file.trim(), &base).display().to_string());
        }
        s.default_identity = cfg
            .get("defaults", "vault_identity", "ANSIBLE_VAULT_IDENTITY")
            .filter(|v| !v.is_empty());
        s.id_match = cfg
            .get_bool("defaults", "vault_id_match", "ANSIBLE_VAULT_ID_MATCH")?
            .unwrap_or(false);
        s.encrypt_identity = cfg
            .get(
                "defaults",
                "vault_encrypt_identity",
                "ANSIBLE_VAULT_ENCRYPT_IDENTITY",
            )
            .filter(|v| !v.is_empty());
        s.encrypt_salt = cfg
            .get(
                "defaults",
                "vault_encrypt_salt",
                "ANSIBLE_VAULT_ENCRYPT_SALT",
            )
            .filter(|v| !v.is_empty());
        Ok(s)
    }

    /// Adds the command line's options after the configuration's:
    /// `--vault-id`s go after `vault_identity_list`, `--vault-password-file`s
    /// before ansible.cfg's `vault_password_file`.
    pub fn add_command_line(&mut self, vault_ids: &[String], password_files: &[String], ask: bool) {
        self.vault_ids.extend(vault_ids.iter().cloned());
        let cfg_files = std::mem::take(&mut self.password_files);
        self.password_files.extend(password_files.iter().cloned());
        self.password_files.extend(cfg_files);
        self.ask_vault_pass |= ask;
    }

    fn default_label(&self) -> &str {
        self.default_identity.as_deref().unwrap_or(DEFAULT_ID)
    }

    /// Whether any source is given at all.
    pub fn is_empty(&self) -> bool {
        self.vault_ids.is_empty() && self.password_files.is_empty() && !self.ask_vault_pass
    }
}

/// Reads a password without echo (the terminal's is
/// `crate::cli::prompt::TerminalPrompt`; tests give their own).
pub trait Prompter {
    fn password(&mut self, prompt: &str) -> Result<Zeroizing<String>, String>;
}

/// How the loaded passwords will be used.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadMode {
    /// Prompt when no source is given (ansible-vault does, ansible-playbook does not).
    pub auto_prompt: bool,
    /// The password is a new one (encrypt/create/rekey): prompts ask twice.
    pub new_password: bool,
}

/// The passwords, and the warnings about sources that failed while
/// another one worked.
#[derive(Debug)]
pub struct Loaded {
    pub secrets: VaultSecrets,
    pub warnings: Vec<String>,
}

/// `~` expanded and made absolute against `base`.
pub fn expand_path(p: &str, base: &Path) -> PathBuf {
    let expanded = match (p.strip_prefix('~'), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            PathBuf::from(format!("{}{rest}", home.to_string_lossy()))
        }
        _ => PathBuf::from(p),
    };
    base.join(expanded)
}

fn password_error(source: &str, m: String) -> VaultError {
    VaultError::file(source, VaultErrorKind::Password(m))
}

/// Loads every password `sources` names, in order.
pub fn load(
    sources: &SecretSources,
    mode: LoadMode,
    prompter: &mut dyn Prompter,
    cwd: &Path,
) -> Result<Loaded, VaultError> {
    let mut slugs: Vec<String> = sources.vault_ids.clone();
    for id in &slugs {
        if id.contains(';') {
            return Err(password_error(
                id,
                format!(
                    "'{id}' is not a valid vault id. The character ';' is not allowed in vault ids"
                ),
            ));
        }
    }
    for f in &sources.password_files {
        slugs.push(format!("{}@{f}", sources.default_label()));
    }
    if sources.ask_vault_pass || (slugs.is_empty() && mode.auto_prompt) {
        slugs.push(format!("{}@prompt_ask_vault_pass", sources.default_label()));
    }
    let mut found: Vec<VaultSecret> = Vec::new();
    let mut warnings = Vec::new();
    let mut last_error: Option<VaultError> = None;
    for slug in slugs {
        let (label, source) = match slug.split_once('@') {
            Some((l, s)) => (Some(l.to_string()), s.to_string()),
            None => (None, slug.clone()),
        };
        let label = label
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| sources.default_label().to_string());
        if source == "prompt" || source == "prompt_ask_vault_pass" {
            let prompts: Vec<String> = match (source.as_str(), mode.new_password) {
                ("prompt", false) => vec![format!("Vault password ({label}): ")],
                ("prompt", true) => vec![
                    format!("New vault password ({label}): "),
                    format!("Confirm new vault password ({label}): "),
                ],
                (_, false) => vec!["Vault password: ".into()],
                (_, true) => vec![
                    "New Vault password: ".into(),
                    "Confirm New Vault password: ".into(),
                ],
            };
            let pw =
                prompt_password(prompter, &prompts).map_err(|m| password_error("<prompt>", m))?;
            found.push(VaultSecret::new(label, pw.to_vec(), "prompt"));
            continue;
        }
        let so_far = VaultSecrets::new(
            found
                .iter()
                .map(|s| VaultSecret::new(s.label.clone(), s.password.to_vec(), s.origin.clone()))
                .collect(),
        );
        match read_password_source(&source, &label, cwd, &so_far) {
            Ok(pw) => found.push(VaultSecret::new(label, pw.to_vec(), source)),
            Err(e) => {
                warnings.push(format!("Error getting vault password file ({label}): {e}"));
                last_error = Some(e);
            }
        }
    }
    if found.is_empty()
        && let Some(e) = last_error
    {
        return Err(e);
    }
    Ok(Loaded {
        secrets: VaultSecrets::new(found).with_id_match(sources.id_match),
        warnings,
    })
}

fn prompt_password(
    prompter: &mut dyn Prompter,
    prompts: &[String],
) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut first: Option<Zeroizing<Vec<u8>>> = None;
    for p in prompts {
        let line = prompter.password(p)?;
        let pw = Zeroizing::new(line.trim().as_bytes().to_vec());
        if pw.is_empty() {
            return Err("Invalid vault password was provided".into());
        }
        match &first {
            None => first = Some(pw),
            Some(f) if **f != *pw => return Err("Passwords do not match".into()),
            Some(_) => {}
        }
    }
    first.ok_or_else(|| "no password prompt".to_string())
}

fn strip_newlines(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| *c != b'\r' && *c != b'\n')
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| *c != b'\r' && *c != b'\n')
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// Whether a password script speaks the client protocol (`--vault-id`):
/// its name without extension ends with `-client`.
fn is_client_script(name: &str) -> bool {
    let stem = match name.rfind('.') {
        Some(dot) if dot > name.rfind('/').map_or(0, |s| s + 1) => &name[..dot],
        _ => name,
    };
    stem.ends_with("-client")
}

fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

/// One password file or script.
fn read_password_source(
    source: &str,
    label: &str,
    cwd: &Path,
    so_far: &VaultSecrets,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let path = expand_path(source, cwd);
    let shown = path.display().to_string();
    let err = |m: String| password_error(&shown, m);
    let meta = std::fs::metadata(&path)
        .map_err(|_| err(format!("The vault password file {shown} was not found")))?;
    if meta.is_dir() {
        return Err(err(format!(
            "The vault password file provided '{shown}' can not be a directory"
        )));
    }
    if is_executable(&meta) {
        let client = is_client_script(source);
        let mut cmd = Command::new(&path);
        cmd.stdout(Stdio::piped());
        if client {
            cmd.arg("--vault-id").arg(label).stderr(Stdio::piped());
        }
        let out = cmd.output().map_err(|e| {
            err(format!(
                "Problem running vault password script {shown} ({e}). If this is not a script, remove the executable bit from the file."
            ))
        })?;
        let stdout = Zeroizing::new(out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let code = out.status.code().unwrap_or(-1);
        if client && code == 2 {
            return Err(err(format!(
                "Vault password client script {shown} did not find a secret for vault-id={label}: {stderr}"
            )));
        }
        if !out.status.success() {
            return Err(err(if client {
                format!(
                    "Vault password client script {shown} returned non-zero ({code}) when getting secret for vault-id={label}: {stderr}"
                )
            } else {
                format!("Vault password script {shown} returned non-zero ({code})")
            }));
        }
        let pw = Zeroizing::new(strip_newlines(&stdout).to_vec());
        if pw.is_empty() {
            return Err(err(format!(
                "Invalid vault password was provided from script ({shown})"
            )));
        }
        return Ok(pw);
    }
    let raw = Zeroizing::new(
        std::fs::read(&path)
            .map_err(|e| err(format!("Could not read vault password file {shown}: {e}")))?,
    );
    let content = raw.trim_ascii();
    // A password file may itself be a vault, opened by an earlier password.
    let opened;
    let content: &[u8] = if envelope::is_vault(content) {
        opened = so_far.decrypt(content, &Span::synthetic(&shown))?.plaintext;
        &opened
    } else {
        content
    };
    let pw = Zeroizing::new(strip_newlines(content).to_vec());
    if pw.is_empty() {
        return Err(err(format!(
            "Invalid vault password was provided from file ({shown})"
        )));
    }
    Ok(pw)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scripted(Vec<&'static str>, Vec<String>);

    impl Prompter for Scripted {
        fn password(&mut self, prompt: &str) -> Result<Zeroizing<String>, String> {
            self.1.push(prompt.to_string());
            if self.0.is_empty() {
                return Err("no more answers".into());
            }
            Ok(Zeroizing::new(self.0.remove(0).to_string()))
        }
    }

    fn secrets(pairs: &[(&str, &str)]) -> VaultSecrets {
        VaultSecrets::new(
            pairs
                .iter()
                .map(|(l, p)| VaultSecret::new(*l, p.as_bytes().to_vec(), "test"))
                .collect(),
        )
    }

    #[test]
    fn label_first_then_the_others() {
        let s = secrets(&[("a", "1"), ("b", "2"), ("c", "3")]);
        assert_eq!(s.candidates("b"), vec![1, 0, 2]);
        assert_eq!(s.candidates("zzz"), vec![0, 1, 2]);
        let s = s.with_id_match(true);
        assert_eq!(s.candidates("b"), vec![1]);
    }

    #[test]
    fn encrypt_then_decrypt_by_label() {
        let s = secrets(&[("dev", "devpw"), ("prod", "prodpw")]);
        let text = encrypt_with(&s.secrets()[1], Some("prod"), b"hello", None, "t").unwrap();
        assert!(text.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
        let d = s.decrypt(text.as_bytes(), &Span::synthetic("t")).unwrap();
        assert_eq!(&d.plaintext[..], b"hello");
        assert_eq!(d.opened_with, "prod");
        // Only the dev password: the HMAC fails, the error names both ids.
        let dev = secrets(&[("dev", "devpw")]);
        let e = dev
            .decrypt(text.as_bytes(), &Span::synthetic("f.yml"))
            .unwrap_err();
        let m = e.to_string();
        assert!(
            m.starts_with(
                "Decryption failed (no vault secrets were found that could decrypt) on f.yml"
            ),
            "{m}"
        );
        assert!(m.contains("'dev'") && m.contains("'prod'"), "{m}");
        assert!(!m.contains("hello"));
        // Nothing at all.
        let e = VaultSecrets::default()
            .decrypt(text.as_bytes(), &Span::synthetic("f.yml"))
            .unwrap_err();
        assert_eq!(e.kind, VaultErrorKind::NoSecrets);
    }

    #[test]
    fn fixed_salt_is_deterministic() {
        let s = secrets(&[("default", "pw")]);
        let a = encrypt_with(&s.secrets()[0], Some("default"), b"x", Some(b"salty"), "t").unwrap();
        let b = encrypt_with(&s.secrets()[0], Some("default"), b"x", Some(b"salty"), "t").unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
        let c = encrypt_with(&s.secrets()[0], Some("default"), b"x", None, "t").unwrap();
        assert_ne!(a, c);
        assert!(encrypt_with(&s.secrets()[0], None, a.as_bytes(), None, "t").is_err());
    }

    #[test]
    fn sources_files_scripts_and_prompts() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("pw.txt"), "  filepw \n\n").unwrap();
        let script = d.join("pw.sh");
        std::fs::write(&script, "#!/bin/sh\nprintf 'scriptpw\\r\\n'\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
        let client = d.join("vault-client.sh");
        std::fs::write(
            &client,
            "#!/bin/sh\n[ \"$1\" = --vault-id ] || exit 9\ncase \"$2\" in prod) echo clientpw;; *) echo \"no $2\" >&2; exit 2;; esac\n",
        )
        .unwrap();
        std::fs::set_permissions(&client, std::fs::Permissions::from_mode(0o700)).unwrap();
        let mut src = SecretSources::default();
        src.add_command_line(
            &[
                "prod@vault-client.sh".into(),
                "s@pw.sh".into(),
                "p@prompt".into(),
            ],
            &["pw.txt".into()],
            false,
        );
        let mut p = Scripted(vec![" typed "], vec![]);
        let l = load(&src, LoadMode::default(), &mut p, d).unwrap();
        let got: Vec<(String, Vec<u8>)> = l
            .secrets
            .secrets()
            .iter()
            .map(|s| (s.label.clone(), s.password.to_vec()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("prod".into(), b"clientpw".to_vec()),
                ("s".into(), b"scriptpw".to_vec()),
                ("p".into(), b"typed".to_vec()),
                ("default".into(), b"filepw".to_vec()),
            ]
        );
        assert_eq!(p.1, vec!["Vault password (p): ".to_string()]);
        assert!(l.warnings.is_empty());

        // The client script does not know `dev`: with another source
        // working it is a warning, alone it is the error.
        let mut src = SecretSources::default();
        src.add_command_line(&["dev@vault-client.sh".into()], &["pw.txt".into()], false);
        let l = load(&src, LoadMode::default(), &mut p, d).unwrap();
        assert_eq!(l.secrets.labels(), vec!["default"]);
        assert!(l.warnings[0].contains("did not find a secret for vault-id=dev: no dev"));
        let mut src = SecretSources::default();
        src.add_command_line(&["dev@vault-client.sh".into()], &[], false);
        let e = load(&src, LoadMode::default(), &mut p, d).unwrap_err();
        assert!(e.to_string().contains("vault-id=dev"), "{e}");

        let mut src = SecretSources::default();
        src.add_command_line(&[], &["missing.txt".into()], false);
        let e = load(&src, LoadMode::default(), &mut p, d).unwrap_err();
        assert!(e.to_string().contains("was not found"), "{e}");
    }

    #[test]
    fn new_password_prompts_twice_and_must_match() {
        let mut src = SecretSources::default();
        src.add_command_line(&[], &[], true);
        let mode = LoadMode {
            auto_prompt: true,
            new_password: true,
        };
        let mut p = Scripted(vec!["a", "b"], vec![]);
        let e = load(&src, mode, &mut p, Path::new("/")).unwrap_err();
        assert!(e.to_string().contains("Passwords do not match"));
        let mut p = Scripted(vec!["a", "a"], vec![]);
        let l = load(&src, mode, &mut p, Path::new("/")).unwrap();
        assert_eq!(l.secrets.labels(), vec!["default"]);
        assert_eq!(p.1[0], "New Vault password: ");
    }

    #[test]
    fn client_names() {
        assert!(is_client_script("/x/vault-client"));
        assert!(is_client_script("/x/vault-client.py"));
        assert!(!is_client_script("/x.d/vault"));
        assert!(!is_client_script("/x-client.d/vault"));
    }
}

#[cfg(test)]
mod source_errors {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, name: &str, body: &str) -> String {
        let p = dir.join(name);
        std::fs::write(&p, body).expect("script");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        p.display().to_string()
    }

    fn refusal(source: &str, label: &str, cwd: &Path) -> String {
        match read_password_source(source, label, cwd, &VaultSecrets::new(Vec::new())) {
            Ok(_) => panic!("{source} gave a password"),
            Err(e) => e.to_string(),
        }
    }

    /// Each way a password file or script fails names the file and the
    /// cause, in ansible-vault's words.
    #[test]
    fn password_sources_that_fail() {
        let d = tempfile::tempdir().expect("tempdir");
        let dir = d.path();
        // Every script is written before any runs: a script still open
        // for writing cannot be executed.
        let fails = script(dir, "fails.sh", "#!/bin/sh\nexit 3\n");
        let empty = script(dir, "empty.sh", "#!/bin/sh\nprintf '\\n'\n");
        let binary = script(dir, "notascript.txt", "\u{7f}ELF");
        let client = script(
            dir,
            "vault-client.sh",
            "#!/bin/sh\n[ \"$1\" = --vault-id ] || exit 9\ncase $2 in\n  dev) echo dev-pw ;;\n  none) echo nothing for $2 >&2; exit 2 ;;\n  *) echo broken >&2; exit 4 ;;\nesac\n",
        );
        let shown = |n: &str| dir.join(n).display().to_string();
        let e = refusal("missing.txt", "default", dir);
        assert!(
            e.contains(&format!(
                "The vault password file {} was not found",
                shown("missing.txt")
            )),
            "{e}"
        );
        std::fs::create_dir(dir.join("sub")).expect("mkdir");
        let e = refusal("sub", "default", dir);
        assert!(e.contains("can not be a directory"), "{e}");
        let e = refusal(&fails, "default", dir);
        assert!(
            e.contains(&format!(
                "Vault password script {fails} returned non-zero (3)"
            )),
            "{e}"
        );
        let e = refusal(&empty, "default", dir);
        assert!(
            e.contains(&format!(
                "Invalid vault password was provided from script ({empty})"
            )),
            "{e}"
        );
        // Executable but no script at all.
        let e = refusal(&binary, "default", dir);
        assert!(e.contains("Problem running vault password script"), "{e}");
        assert!(e.contains("remove the executable bit"), "{e}");
        // Client scripts get --vault-id LABEL; exit 2 means "no such secret".
        let pw = read_password_source(&client, "dev", dir, &VaultSecrets::new(Vec::new()))
            .expect("dev password");
        assert_eq!(pw.as_slice(), b"dev-pw");
        let e = refusal(&client, "none", dir);
        assert!(
            e.contains(&format!(
                "Vault password client script {client} did not find a secret for vault-id=none: nothing for none"
            )),
            "{e}"
        );
        let e = refusal(&client, "other", dir);
        assert!(
            e.contains(&format!(
                "Vault password client script {client} returned non-zero (4) when getting secret for vault-id=other: broken"
            )),
            "{e}"
        );
    }
}
