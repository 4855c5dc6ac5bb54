// SPDX-License-Identifier: MIT
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
    /// `user@host: Permission denied (publickey,password).`
    Auth {
        user: String,
        host: String,
        methods: String,
    },
    /// The session broke after it was established.
    Closed { host: String, reason: String },
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
            TransportError::Auth {
                user,
                host,
                methods,
            } => write!(f, "{user}@{host}: Permission denied ({methods})."),
            TransportError::Closed { host, reason } => {
                write!(f, "Connection closed by remote host {host}: {reason}")
            }
            TransportError::Protocol(m) => write!(f, "ssh: {m}"),
        }
    }
}

impl std::error::Error for TransportError {}

impl TransportError {
    /// Ansible's full unreachable message.
    pub fn unreachable_msg(&self) -> String {
        format!("Failed to connect to the host via ssh: {self}")
    }
}
