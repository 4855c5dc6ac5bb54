// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The russh client callbacks: the host key check against known_hosts, and
//! remembering why the session ended so later errors can say so.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use russh::client::{self, DisconnectReason};
use russh::keys::ssh_key::certificate::CertType;
use russh::keys::{Certificate, HashAlg, PublicKey, PublicKeyBase64, PublicKeyOrCertificate};

use crate::transport::known_hosts::{self, KnownHosts, Verdict, key_type_label};
use crate::transport::{StrictHostKeyChecking, TransportError};

/// Why the session ended, filled in by the handler and read by whoever sees
/// a channel die.
pub(crate) type EndReason = Arc<Mutex<Option<String>>>;

pub(crate) fn read_end_reason(r: &EndReason) -> Option<String> {
    // A poisoned lock only means a panic elsewhere; the text is still good.
    r.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The handler's error: russh's own, or our host key verdict, which has to
/// come out of `connect` intact to keep OpenSSH's wording.
#[derive(Debug)]
pub(crate) enum HandlerError {
    Ssh(russh::Error),
    HostKey(TransportError),
}

impl From<russh::Error> for HandlerError {
    fn from(e: russh::Error) -> Self {
        HandlerError::Ssh(e)
    }
}

/// How the server's host key is judged.
pub(crate) struct HostKeyPolicy {
    /// The known_hosts lookup name (`addr`, `[addr]:port` or the alias).
    pub name: String,
    pub known: Arc<KnownHosts>,
    pub mode: StrictHostKeyChecking,
    /// Where `accept-new` and `no` write a new key (the first
    /// `UserKnownHostsFile`), if anywhere.
    pub write_to: Option<PathBuf>,
    pub hash: bool,
    /// Set when `StrictHostKeyChecking=no` let a changed key through: no
    /// password may then be sent (OpenSSH's rule against a man in the middle).
    pub key_changed: Arc<AtomicBool>,
    /// The name a host certificate must list as a principal (the
    /// `HostKeyAlias`, else the address), as OpenSSH checks it.
    pub principal: String,
}

/// What a host certificate proved.
enum CertVerdict {
    /// Signed by a CA trusted for this host, valid now, for this host.
    Trusted,
    /// No `@cert-authority` line trusts its signer: judge the plain key
    /// inside, as OpenSSH does.
    NoAuthority,
}

pub(crate) struct ClientHandler {
    policy: HostKeyPolicy,
    ended: EndReason,
}

impl ClientHandler {
    pub(crate) fn new(policy: HostKeyPolicy, ended: EndReason) -> Self {
        ClientHandler { policy, ended }
    }
}

impl client::Handler for ClientHandler {
    type Error = HandlerError;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, HandlerError> {
        if let PublicKeyOrCertificate::Certificate(cert) = server_key {
            match self
                .check_certificate(cert)
                .map_err(HandlerError::HostKey)?
            {
                CertVerdict::Trusted => return Ok(true),
                CertVerdict::NoAuthority => {
                    tracing::debug!(
                        "no @cert-authority line trusts the host certificate of {}; checking its plain key",
                        self.policy.name
                    );
                }
            }
        }
        let p = &self.policy;
        let key = server_key.public_key();
        let blob = key.public_key_bytes();
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let verdict = p.known.check(&p.name, &blob);
        match (&verdict, p.mode) {
            (Verdict::Known(_), _) => Ok(true),
            (Verdict::Unknown, StrictHostKeyChecking::AcceptNew | StrictHostKeyChecking::No) => {
                self.remember(blob).await;
                Ok(true)
            }
            (Verdict::Changed(e), StrictHostKeyChecking::No) => {
                tracing::warn!(
                    "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for {} (now {fingerprint}; offending key in {}:{}); connecting anyway because StrictHostKeyChecking is off, with password authentication disabled",
                    p.name,
                    e.file.display(),
                    e.line
                );
                p.key_changed.store(true, Ordering::SeqCst);
                Ok(true)
            }
            // Revoked keys, changed keys under yes/accept-new, unknown keys
            // under yes: refused with OpenSSH's words.
            _ => p
                .known
                .verify(&p.name, &blob, &fingerprint)
                .map(|()| true)
                .map_err(HandlerError::HostKey),
        }
    }

    async fn disconnected(
        &mut self,
        reason: DisconnectReason<HandlerError>,
    ) -> Result<(), HandlerError> {
        let text = match &reason {
            DisconnectReason::ReceivedDisconnect(info) if info.message.is_empty() => {
                format!("disconnected by server ({:?})", info.reason_code)
            }
            DisconnectReason::ReceivedDisconnect(info) => info.message.clone(),
            DisconnectReason::Error(HandlerError::Ssh(e)) => describe(e),
            DisconnectReason::Error(HandlerError::HostKey(e)) => e.to_string(),
        };
        tracing::debug!("ssh session to {} ended: {text}", self.policy.name);
        *self.ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(text);
        match reason {
            DisconnectReason::ReceivedDisconnect(_) => Ok(()),
            DisconnectReason::Error(e) => Err(e),
        }
    }
}

impl ClientHandler {
    /// Judges a host certificate against the `@cert-authority` lines: the
    /// signer must be one of them (and not `@revoked`), the certificate a
    /// host certificate, signed correctly, valid now, without critical
    /// options, and listing this host among its principals (or none).
    fn check_certificate(&self, cert: &Certificate) -> Result<CertVerdict, TransportError> {
        let p = &self.policy;
        let ca = PublicKey::from(cert.signature_key().clone());
        let ca_blob = ca.public_key_bytes();
        let trusted = p
            .known
            .authorities(&p.name)
            .iter()
            .any(|e| e.key_blob == ca_blob);
        if !trusted {
            return Ok(CertVerdict::NoAuthority);
        }
        let key_blob = PublicKey::from(cert.public_key().clone()).public_key_bytes();
        let refuse = |why: String| {
            Err(TransportError::HostKey {
                detail: format!("Certificate invalid: {why}"),
            })
        };
        if p.known.is_revoked(&p.name, &ca_blob) || p.known.is_revoked(&p.name, &key_blob) {
            return refuse(format!(
                "the host certificate of {} or its CA is marked as revoked",
                p.name
            ));
        }
        if cert.cert_type() != CertType::Host {
            return refuse("not a host certificate".into());
        }
        let fingerprint = ca.fingerprint(HashAlg::Sha256);
        if cert.validate([&fingerprint]).is_err() {
            return refuse(format!(
                "signature or validity period does not check (certificate \"{}\" serial {})",
                cert.key_id(),
                cert.serial()
            ));
        }
        if !cert.critical_options().is_empty() {
            return refuse("host certificates carry no critical options".into());
        }
        let principals = cert.valid_principals();
        if !principals.is_empty() && !principals.iter().any(|n| n == &p.principal) {
            return refuse(format!("name is not a listed principal ({})", p.principal));
        }
        tracing::debug!(
            "host certificate \"{}\" of {} signed by a trusted CA ({fingerprint})",
            cert.key_id(),
            p.name
        );
        Ok(CertVerdict::Trusted)
    }

    /// Writes a newly accepted key, off the async threads (it takes a file
    /// lock). Failing to write is a warning, as for OpenSSH.
    async fn remember(&self, blob: Vec<u8>) {
        let p = &self.policy;
        let label = key_type_label(&known_hosts::blob_key_type(&blob).unwrap_or_default());
        let Some(path) = p.write_to.clone() else {
            tracing::warn!(
                "Warning: no known_hosts file to add {} ({label}) to",
                p.name
            );
            return;
        };
        let (name, hash) = (p.name.clone(), p.hash);
        let shown = path.clone();
        let res = tokio::task::spawn_blocking(move || {
            known_hosts::add_host_key(&path, &name, &blob, hash)
        })
        .await;
        match res {
            Ok(Ok(_)) => tracing::info!(
                "Warning: Permanently added '{}' ({label}) to the list of known hosts.",
                p.name
            ),
            Ok(Err(e)) => tracing::warn!(
                "Failed to add the host to the list of known hosts ({}): {e}",
                shown.display()
            ),
            Err(e) => tracing::warn!("Failed to add the host to the list of known hosts: {e}"),
        }
    }
}

/// russh errors in words close to OpenSSH's where there is an equivalent.
pub(crate) fn describe(e: &russh::Error) -> String {
    match e {
        russh::Error::IO(io) => super::io_reason(io),
        russh::Error::HUP | russh::Error::Disconnect => "the server closed the connection".into(),
        russh::Error::KeepaliveTimeout => "Timeout, server not responding".into(),
        other => other.to_string(),
    }
}
