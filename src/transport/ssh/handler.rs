// SPDX-License-Identifier: MIT
//! The russh client callbacks: the host key check against known_hosts, and
//! remembering why the session ended so later errors can say so.

use std::sync::{Arc, Mutex};

use russh::client::{self, DisconnectReason};
use russh::keys::{HashAlg, PublicKeyBase64, PublicKeyOrCertificate};

use crate::transport::TransportError;
use crate::transport::known_hosts::KnownHosts;

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

pub(crate) struct ClientHandler {
    /// The known_hosts lookup name (`addr` or `[addr]:port`).
    host_name: String,
    /// `None` when host key checking is off.
    known: Option<Arc<KnownHosts>>,
    ended: EndReason,
}

impl ClientHandler {
    pub(crate) fn new(host_name: String, known: Option<Arc<KnownHosts>>, ended: EndReason) -> Self {
        ClientHandler {
            host_name,
            known,
            ended,
        }
    }
}

impl client::Handler for ClientHandler {
    type Error = HandlerError;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, HandlerError> {
        let Some(known) = &self.known else {
            return Ok(true);
        };
        // Host certificates are not verified yet; like OpenSSH when no CA
        // matches, fall back to checking the certified plain key.
        let key = server_key.public_key();
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        known
            .verify(&self.host_name, &key.public_key_bytes(), &fingerprint)
            .map(|()| true)
            .map_err(HandlerError::HostKey)
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
        tracing::debug!("ssh session to {} ended: {text}", self.host_name);
        *self.ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(text);
        match reason {
            DisconnectReason::ReceivedDisconnect(_) => Ok(()),
            DisconnectReason::Error(e) => Err(e),
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
