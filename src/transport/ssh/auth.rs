// SPDX-License-Identifier: MIT
//! Public key authentication: identity files first, then ssh-agent, as
//! OpenSSH orders them when `IdentitiesOnly` is off.

use std::path::PathBuf;
use std::sync::Arc;

use russh::MethodKind;
use russh::client::{AuthResult, Handle};
use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyBase64};

use super::handler::{ClientHandler, EndReason, describe, read_end_reason};
use crate::transport::{SshTarget, TransportError};

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
    /// The server's answer to the last failed attempt.
    methods: Option<Vec<MethodKind>>,
    /// The RSA signature hash, asked of the server once.
    rsa_hash: Option<Option<HashAlg>>,
}

/// Authenticates `target.user`, or fails with OpenSSH's "Permission denied
/// (methods)." listing what the server would still accept.
pub(crate) async fn authenticate(
    handle: &mut Handle<ClientHandler>,
    target: &SshTarget,
    ended: &EndReason,
) -> Result<(), TransportError> {
    let mut a = Auth {
        handle,
        target,
        ended,
        offered: Vec::new(),
        methods: None,
        rsa_hash: None,
    };
    if a.with_files().await? || a.with_agent().await? {
        return Ok(());
    }
    let methods = match a.methods.take() {
        Some(m) => m,
        // Nothing was offered: ask with "none", which is also how OpenSSH
        // learns the list it prints.
        None => match a.handle.authenticate_none(&target.user).await {
            Ok(AuthResult::Success) => return Ok(()),
            Ok(AuthResult::Failure {
                remaining_methods, ..
            }) => remaining_methods.to_vec(),
            Err(e) => return Err(a.lost(&e)),
        },
    };
    if methods.is_empty() && a.handle.is_closed() {
        return Err(a.lost(&russh::Error::Disconnect));
    }
    let names: Vec<&'static str> = methods.iter().map(<&'static str>::from).collect();
    Err(TransportError::Auth {
        user: target.user.clone(),
        host: target.address.clone(),
        methods: names.join(","),
    })
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

    /// Whether the server would still take a public key.
    fn publickey_allowed(&self) -> bool {
        self.methods
            .as_ref()
            .is_none_or(|m| m.contains(&MethodKind::PublicKey))
    }

    async fn with_files(&mut self) -> Result<bool, TransportError> {
        for path in self.identity_files() {
            if !self.publickey_allowed() {
                break;
            }
            let key = match russh::keys::load_secret_key(&path, None) {
                Ok(k) => k,
                Err(russh::keys::Error::KeyIsEncrypted) => {
                    tracing::warn!(
                        "skipping {}: passphrase-protected keys are not supported yet; add it to ssh-agent instead",
                        path.display()
                    );
                    continue;
                }
                Err(e) => {
                    tracing::warn!("Identity file {} not usable: {e}", path.display());
                    continue;
                }
            };
            let blob = key.public_key().public_key_bytes();
            if self.offered.contains(&blob) {
                continue;
            }
            self.offered.push(blob);
            let hash = self.hash_for(key.public_key()).await?;
            tracing::debug!(
                "offering public key {} to {}",
                path.display(),
                self.target.address
            );
            let res = self
                .handle
                .authenticate_publickey(
                    &self.target.user,
                    PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                )
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
        for id in identities {
            // Certificates held by the agent are not offered yet.
            let AgentIdentity::PublicKey { key, comment } = id else {
                continue;
            };
            if !self.publickey_allowed() {
                break;
            }
            let blob = key.public_key_bytes();
            if self.offered.contains(&blob) {
                continue;
            }
            self.offered.push(blob);
            let hash = self.hash_for(&key).await?;
            tracing::debug!("offering agent key {comment} to {}", self.target.address);
            match self
                .handle
                .authenticate_publickey_with(&self.target.user, key, hash, &mut agent)
                .await
            {
                Ok(r) => {
                    if self.record(r) {
                        return Ok(true);
                    }
                }
                Err(russh::AgentAuthError::Key(e)) => {
                    tracing::warn!("ssh-agent could not sign with {comment}: {e}");
                }
                Err(russh::AgentAuthError::Send(_)) => {
                    return Err(self.lost(&russh::Error::SendError));
                }
            }
        }
        Ok(false)
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
    /// `server-sig-algs`; a server that sends no list gets SHA-256 (SHA-1
    /// `ssh-rsa` only when the server lists nothing better).
    async fn hash_for(&mut self, key: &PublicKey) -> Result<Option<HashAlg>, TransportError> {
        if !key.algorithm().is_rsa() {
            return Ok(None);
        }
        if let Some(h) = self.rsa_hash {
            return Ok(h);
        }
        let h = match self.handle.best_supported_rsa_hash().await {
            Ok(Some(h)) => h,
            Ok(None) => Some(HashAlg::Sha256),
            Err(e) => return Err(self.lost(&e)),
        };
        self.rsa_hash = Some(h);
        Ok(h)
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
