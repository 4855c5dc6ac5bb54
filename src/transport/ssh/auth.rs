// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Public key authentication: identity files first, then ssh-agent, as
//! OpenSSH orders them when `IdentitiesOnly` is off.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::MethodKind;
use russh::client::{AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::{
    Certificate, HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyBase64,
};

use super::handler::{ClientHandler, EndReason, describe, read_end_reason};
use super::identity;
use crate::transport::{AuthMethod, SshTarget, TransportError, passphrase};

/// The identities OpenSSH tries when none is configured, in its order
/// (the kinds russh can use).
const DEFAULT_IDENTITIES: [&str; 3] = [".ssh/id_ed25519", ".ssh/id_ecdsa", ".ssh/id_rsa"];

struct Auth<'a> {
    handle: &'a mut Handle<ClientHandler>,
    target: &'a SshTarget,
    ended: &'a EndReason,
    /// Public key blobs already offered, so the agent's copy of a key that
    /// came from a file is not offered twice.
    offered: Vec<Vec<u8>>,
    /// The public keys of the identity files, for `IdentitiesOnly`.
    file_keys: Vec<Vec<u8>>,
    /// The server's answer to the last failed attempt.
    methods: Option<Vec<MethodKind>>,
    /// The RSA signature hash, asked of the server once.
    rsa_hash: Option<Option<HashAlg>>,
    /// Whether a server that takes only SHA-1 `ssh-rsa` signatures gets one.
    sha1_rsa: bool,
    /// What was tried, for the message when nothing worked.
    tried: Vec<String>,
}

/// Authenticates `target.user` with `target.auth_methods` in order, or
/// fails with OpenSSH's "Permission denied (methods)." listing what the
/// server would still accept, followed by what kiln tried.
/// What this session may do beyond the defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Allowed {
    /// False when the host key was let through changed.
    pub password: bool,
    /// RSA keys may sign with SHA-1 (the host's config asked for `ssh-rsa`).
    pub sha1_rsa: bool,
}

pub(crate) async fn authenticate(
    handle: &mut Handle<ClientHandler>,
    target: &SshTarget,
    ended: &EndReason,
    allow: Allowed,
) -> Result<(), TransportError> {
    let allow_password = allow.password;
    let mut a = Auth {
        handle,
        target,
        ended,
        offered: Vec::new(),
        file_keys: Vec::new(),
        methods: None,
        rsa_hash: None,
        sha1_rsa: allow.sha1_rsa,
        tried: Vec::new(),
    };
    // Like OpenSSH, ask with "none" first: the server says which methods
    // it takes, so none is tried in vain (and a server may let us in).
    match a.handle.authenticate_none(&target.user).await {
        Ok(r) => {
            if a.record(r) {
                return Ok(());
            }
        }
        Err(e) => return Err(a.lost(&e)),
    }
    for method in &target.auth_methods {
        let done = match method {
            AuthMethod::PublicKey => a.with_files().await? || a.with_agent().await?,
            AuthMethod::KeyboardInteractive if allow_password => a.with_kbd_interactive().await?,
            AuthMethod::Password if allow_password => a.with_password().await?,
            _ => false,
        };
        if done {
            return Ok(());
        }
    }
    let methods = a.methods.take().unwrap_or_default();
    if methods.is_empty() && a.handle.is_closed() {
        return Err(a.lost(&russh::Error::Disconnect));
    }
    let names: Vec<&'static str> = methods.iter().map(<&'static str>::from).collect();
    Err(TransportError::Auth {
        user: target.user.clone(),
        host: target.address.clone(),
        methods: names.join(","),
        tried: a.tried,
    })
}

/// Decrypts an encrypted identity file with its passphrase, asked once per
/// run (off the async threads: the prompt blocks on the terminal).
async fn unlock(path: &Path) -> Result<PrivateKey, String> {
    let path = path.to_path_buf();
    let job = tokio::task::spawn_blocking(move || {
        let pass = passphrase::passphrase(&path)?;
        identity::load(&path, Some(pass.expose())).map_err(|e| {
            passphrase::wrong(&path);
            format!("incorrect passphrase ({e})")
        })
    });
    job.await
        .map_err(|e| format!("passphrase prompt failed: {e}"))?
}

impl Auth<'_> {
    fn identity_files(&self) -> Vec<PathBuf> {
        if !self.target.private_keys.is_empty() {
            return self.target.private_keys.clone();
        }
        let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else {
            return Vec::new();
        };
        DEFAULT_IDENTITIES
            .iter()
            .map(|rel| home.join(rel))
            .filter(|p| p.exists())
            .collect()
    }

    /// The certificates for the identity at `path`: `PATH-cert.pub` and
    /// every `CertificateFile`, those whose certified key is `key`.
    fn certificates_for(&self, path: &Path, key: &PrivateKey) -> Vec<(PathBuf, Certificate)> {
        let mut beside = path.as_os_str().to_owned();
        beside.push("-cert.pub");
        let mut out: Vec<(PathBuf, Certificate)> = Vec::new();
        let candidates = std::iter::once(PathBuf::from(beside))
            .chain(self.target.certificate_files.iter().cloned());
        for p in candidates {
            if !p.exists() || out.iter().any(|(q, _)| q == &p) {
                continue;
            }
            match Certificate::read_file(&p) {
                Ok(c) if c.public_key() == key.public_key().key_data() => out.push((p, c)),
                Ok(_) => {}
                Err(e) => tracing::warn!("certificate {} not usable: {e}", p.display()),
            }
        }
        out
    }

    /// Whether the server would still take `kind`.
    fn allowed(&self, kind: MethodKind) -> bool {
        self.methods.as_ref().is_none_or(|m| m.contains(&kind))
    }

    fn publickey_allowed(&self) -> bool {
        self.allowed(MethodKind::PublicKey)
    }

    async fn with_password(&mut self) -> Result<bool, TransportError> {
        let Some(pw) = &self.target.password else {
            return Ok(false);
        };
        if !self.allowed(MethodKind::Password) {
            return Ok(false);
        }
        self.tried.push("password".into());
        tracing::debug!("trying password authentication for {}", self.target.user);
        match self
            .handle
            .authenticate_password(&self.target.user, pw.expose())
            .await
        {
            Ok(r) => Ok(self.record(r)),
            Err(e) => Err(self.lost(&e)),
        }
    }

    /// Keyboard-interactive, answering prompts that do not echo (a password
    /// question) with the password, as `sshpass` does for Ansible. A server
    /// asking the same thing again means the password was wrong.
    async fn with_kbd_interactive(&mut self) -> Result<bool, TransportError> {
        let Some(pw) = self.target.password.clone() else {
            return Ok(false);
        };
        if !self.allowed(MethodKind::KeyboardInteractive) {
            return Ok(false);
        }
        self.tried.push("keyboard-interactive".into());
        let mut reply = self
            .handle
            .authenticate_keyboard_interactive_start(&self.target.user, None)
            .await;
        let mut answered = 0;
        loop {
            match reply {
                Err(e) => return Err(self.lost(&e)),
                Ok(KeyboardInteractiveAuthResponse::Success) => return Ok(true),
                Ok(KeyboardInteractiveAuthResponse::Failure {
                    remaining_methods, ..
                }) => {
                    self.methods = Some(remaining_methods.to_vec());
                    return Ok(false);
                }
                Ok(KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. }) => {
                    let secret_prompts = prompts.iter().filter(|p| !p.echo).count();
                    if secret_prompts > 0 {
                        answered += 1;
                    }
                    // PAM asks once per attempt; a second secret question is
                    // a retry after a wrong answer. Stop instead of looping.
                    if answered > 1 {
                        self.methods = Some(vec![MethodKind::KeyboardInteractive]);
                        return Ok(false);
                    }
                    let answers = prompts
                        .iter()
                        .map(|p| {
                            if p.echo {
                                String::new()
                            } else {
                                pw.expose().to_string()
                            }
                        })
                        .collect();
                    reply = self
                        .handle
                        .authenticate_keyboard_interactive_respond(answers)
                        .await;
                }
            }
        }
    }

    async fn with_files(&mut self) -> Result<bool, TransportError> {
        for path in self.identity_files() {
            if !self.publickey_allowed() {
                break;
            }
            // The public half (`KEY.pub`) names the identity even when the
            // private half is encrypted or only in the agent (IdentitiesOnly).
            if let Ok(p) = russh::keys::load_public_key(format!("{}.pub", path.display())) {
                self.file_keys.push(p.public_key_bytes());
            }
            if !path.exists() {
                tracing::debug!("identity file {} not present", path.display());
                continue;
            }
            let key = match identity::load(&path, None) {
                Ok(k) => k,
                Err(russh::keys::Error::KeyIsEncrypted) => match unlock(&path).await {
                    Ok(k) => k,
                    Err(why) => {
                        tracing::warn!("skipping encrypted key {}: {why}", path.display());
                        self.tried
                            .push(format!("publickey ({}; encrypted: {why})", path.display()));
                        continue;
                    }
                },
                Err(e) => {
                    tracing::warn!("Identity file {} not usable: {e}", path.display());
                    self.tried
                        .push(format!("publickey ({}; not usable: {e})", path.display()));
                    continue;
                }
            };
            let blob = key.public_key().public_key_bytes();
            self.file_keys.push(blob.clone());
            if self.offered.contains(&blob) {
                continue;
            }
            // Certificates for this key go first, as OpenSSH offers them.
            let key = Arc::new(key);
            for (cert_path, cert) in self.certificates_for(&path, &key) {
                if !self.publickey_allowed() {
                    break;
                }
                self.tried
                    .push(format!("publickey certificate ({})", cert_path.display()));
                tracing::debug!(
                    "offering certificate {} to {}",
                    cert_path.display(),
                    self.target.address
                );
                match self
                    .handle
                    .authenticate_openssh_cert(&self.target.user, key.clone(), cert)
                    .await
                {
                    Ok(r) => {
                        if self.record(r) {
                            return Ok(true);
                        }
                    }
                    Err(e) => return Err(self.lost(&e)),
                }
            }
            if !self.publickey_allowed() {
                break;
            }
            let Some(hash) = self.hash_for(key.public_key()).await? else {
                self.refuse_sha1(&path.display().to_string());
                continue;
            };
            self.offered.push(blob);
            self.tried.push(format!("publickey ({})", path.display()));
            tracing::debug!(
                "offering public key {} to {}",
                path.display(),
                self.target.address
            );
            let res = self
                .handle
                .authenticate_publickey(&self.target.user, PrivateKeyWithHashAlg::new(key, hash))
                .await;
            match res {
                Ok(r) => {
                    if self.record(r) {
                        return Ok(true);
                    }
                }
                Err(e) => return Err(self.lost(&e)),
            }
        }
        Ok(false)
    }

    async fn with_agent(&mut self) -> Result<bool, TransportError> {
        if !self.target.use_agent || !self.publickey_allowed() {
            return Ok(false);
        }
        let socket = match &self.target.agent_socket {
            Some(p) => p.clone(),
            None => match std::env::var_os("SSH_AUTH_SOCK") {
                Some(s) if !s.is_empty() => PathBuf::from(s),
                _ => return Ok(false),
            },
        };
        let mut agent = match AgentClient::connect_uds(&socket).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("ssh-agent at {} not usable: {e}", socket.display());
                return Ok(false);
            }
        };
        // Agents with destination constraints want to know which server this
        // is; older agents refuse the extension, which is harmless.
        if let Some(binding) = self.handle.agent_session_binding()
            && let Err(e) = agent.bind_session(binding, false).await
        {
            tracing::debug!("ssh-agent session binding refused: {e}");
        }
        let identities = match agent.request_identities().await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!("ssh-agent did not list its keys: {e}");
                return Ok(false);
            }
        };
        // Certificates first, as OpenSSH offers them: a server that trusts
        // the CA may not list the bare key in authorized_keys.
        let (certs, keys): (Vec<AgentIdentity>, Vec<AgentIdentity>) = identities
            .into_iter()
            .partition(|id| matches!(id, AgentIdentity::Certificate { .. }));
        for id in certs.into_iter().chain(keys) {
            if !self.publickey_allowed() {
                break;
            }
            let done = match id {
                AgentIdentity::PublicKey { key, comment } => {
                    self.agent_key(&mut agent, key, &comment).await?
                }
                AgentIdentity::Certificate {
                    certificate,
                    comment,
                } => {
                    self.agent_certificate(&mut agent, certificate, &comment)
                        .await?
                }
            };
            if done {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Offers one plain key held by the agent; true once logged in.
    async fn agent_key(
        &mut self,
        agent: &mut AgentClient<tokio::net::UnixStream>,
        key: PublicKey,
        comment: &str,
    ) -> Result<bool, TransportError> {
        let blob = key.public_key_bytes();
        if self.offered.contains(&blob) {
            return Ok(false);
        }
        // IdentitiesOnly: the agent may only sign for configured files.
        if self.target.identities_only && !self.file_keys.contains(&blob) {
            return Ok(false);
        }
        let Some(hash) = self.hash_for(&key).await? else {
            self.refuse_sha1(&format!("agent: {comment}"));
            return Ok(false);
        };
        self.offered.push(blob);
        self.tried.push(format!("publickey (agent: {comment})"));
        tracing::debug!("offering agent key {comment} to {}", self.target.address);
        let answer = self
            .handle
            .authenticate_publickey_with(&self.target.user, key, hash, agent)
            .await;
        self.agent_answer(answer, comment)
    }

    /// Offers one certificate held by the agent (`ssh-add` of a key with
    /// its `-cert.pub` beside it); the agent signs with the certified key.
    async fn agent_certificate(
        &mut self,
        agent: &mut AgentClient<tokio::net::UnixStream>,
        cert: Certificate,
        comment: &str,
    ) -> Result<bool, TransportError> {
        let key = PublicKey::from(cert.public_key().clone());
        let blob = match cert.to_bytes() {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("ssh-agent certificate {comment} not usable: {e}");
                return Ok(false);
            }
        };
        if self.offered.contains(&blob) {
            return Ok(false);
        }
        // IdentitiesOnly: only certificates of configured keys.
        if self.target.identities_only && !self.file_keys.contains(&key.public_key_bytes()) {
            return Ok(false);
        }
        let Some(hash) = self.hash_for(&key).await? else {
            self.refuse_sha1(&format!("agent certificate: {comment}"));
            return Ok(false);
        };
        self.offered.push(blob);
        self.tried
            .push(format!("publickey certificate (agent: {comment})"));
        tracing::debug!(
            "offering agent certificate {comment} to {}",
            self.target.address
        );
        let answer = self
            .handle
            .authenticate_certificate_with(&self.target.user, cert, hash, agent)
            .await;
        self.agent_answer(answer, &format!("certificate {comment}"))
    }

    /// The server's answer to an identity the agent signed for: a key the
    /// agent cannot sign with is passed over, a lost session ends the login.
    fn agent_answer(
        &mut self,
        answer: Result<AuthResult, russh::AgentAuthError>,
        what: &str,
    ) -> Result<bool, TransportError> {
        match answer {
            Ok(r) => Ok(self.record(r)),
            Err(russh::AgentAuthError::Key(e)) => {
                tracing::warn!("ssh-agent could not sign with {what}: {e}");
                Ok(false)
            }
            Err(russh::AgentAuthError::Send(_)) => Err(self.lost(&russh::Error::SendError)),
        }
    }

    /// Notes a reply; true on success.
    fn record(&mut self, r: AuthResult) -> bool {
        match r {
            AuthResult::Success => true,
            AuthResult::Failure {
                remaining_methods, ..
            } => {
                self.methods = Some(remaining_methods.to_vec());
                false
            }
        }
    }

    /// RSA keys sign with the best SHA-2 hash the server advertises in
    /// `server-sig-algs`; a server that sends no list gets SHA-256. A server
    /// that lists only SHA-1 `ssh-rsa` gets no RSA signature at all (`None`)
    /// unless the host's config allows `ssh-rsa`.
    async fn hash_for(
        &mut self,
        key: &PublicKey,
    ) -> Result<Option<Option<HashAlg>>, TransportError> {
        if !key.algorithm().is_rsa() {
            return Ok(Some(None));
        }
        let h = match self.rsa_hash {
            Some(h) => h,
            None => {
                let h = match self.handle.best_supported_rsa_hash().await {
                    Ok(Some(h)) => h,
                    Ok(None) => Some(HashAlg::Sha256),
                    Err(e) => return Err(self.lost(&e)),
                };
                self.rsa_hash = Some(h);
                h
            }
        };
        Ok((h.is_some() || self.sha1_rsa).then_some(h))
    }

    /// Notes an RSA key not offered because only SHA-1 would do.
    fn refuse_sha1(&mut self, what: &str) {
        tracing::warn!(
            "{}: not signing with RSA key {what}: the server accepts only SHA-1 ssh-rsa signatures, which kiln refuses unless the host's ssh config has `PubkeyAcceptedAlgorithms +ssh-rsa`",
            self.target.address
        );
        self.tried
            .push(format!("publickey ({what}; refused: SHA-1 ssh-rsa only)"));
    }

    fn lost(&self, e: &russh::Error) -> TransportError {
        if self.handle.is_closed() {
            TransportError::Closed {
                host: self.target.address.clone(),
                reason: read_end_reason(self.ended).unwrap_or_else(|| describe(e)),
            }
        } else {
            TransportError::Protocol(format!("authentication: {}", describe(e)))
        }
    }
}
