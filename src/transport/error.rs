// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
use std::fmt;

/// Why a host could not be reached or a command could not be run on it.
/// `Display` gives Ansible's `msg` for an unreachable host, which carries
/// OpenSSH's own words so that tools parsing them keep working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// `ssh: Could not resolve hostname X: Name or service not known`
    Resolve { host: String, reason: String },
    /// `ssh: connect to host X port P: Connection refused` (or timed out, no route...)
    Connect {
        host: String,
        port: u16,
        reason: String,
    },
    /// `Host key verification failed.` with the detail OpenSSH prints before it.
    HostKey { detail: String },
    /// `Unable to negotiate with HOST port P: no matching cipher found.
    /// Their offer: ...` (and kiln's refusals of weak algorithms).
    Negotiate {
        host: String,
        port: u16,
        detail: String,
    },
    /// `user@host: Permission denied (publickey,password).` (the methods
    /// the server takes), then what kiln tried.
    Auth {
        user: String,
        host: String,
        methods: String,
        tried: Vec<String>,
    },
    /// The session broke after it was established.
    Closed { host: String, reason: String },
    /// The ssh configuration (files or `ansible_ssh_*_args`) is wrong.
    Config(super::ConfigError),
    /// Anything else in the SSH protocol.
    Protocol(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Resolve { host, reason } => {
                write!(f, "ssh: Could not resolve hostname {host}: {reason}")
            }
            TransportError::Connect { host, port, reason } => {
                write!(f, "ssh: connect to host {host} port {port}: {reason}")
            }
            TransportError::HostKey { detail } => {
                if detail.is_empty() {
                    write!(f, "Host key verification failed.")
                } else {
                    write!(f, "{detail}\r\nHost key verification failed.")
                }
            }
            TransportError::Negotiate { host, port, detail } => {
                write!(f, "Unable to negotiate with {host} port {port}: {detail}")
            }
            TransportError::Auth {
                user,
                host,
                methods,
                tried,
            } => {
                write!(f, "{user}@{host}: Permission denied ({methods}).")?;
                if tried.is_empty() {
                    write!(
                        f,
                        "\r\nkiln tried no method (no key, agent or password to offer)"
                    )
                } else {
                    write!(f, "\r\nkiln tried: {}", tried.join(", "))
                }
            }
            TransportError::Closed { host, reason } => {
                write!(f, "Connection closed by remote host {host}: {reason}")
            }
            TransportError::Config(e) => write!(f, "{e}"),
            TransportError::Protocol(m) => write!(f, "ssh: {m}"),
        }
    }
}

impl std::error::Error for TransportError {}

impl From<super::ConfigError> for TransportError {
    fn from(e: super::ConfigError) -> Self {
        TransportError::Config(e)
    }
}

impl TransportError {
    /// Ansible's full unreachable message.
    pub fn unreachable_msg(&self) -> String {
        format!("Failed to connect to the host via ssh: {self}")
    }
}
