// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Errors of the Kubernetes layer: each names its cause in words a task
//! failure can show as it is.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum K8sError {
    /// The kubeconfig could not be found, read or understood.
    #[error("{0}")]
    Config(String),
    /// The API server could not be reached, or TLS failed.
    #[error("{0}")]
    Connect(String),
    /// The server answered with a `v1 Status` error.
    #[error("{reason} ({code}): {message}")]
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    /// The server did not answer within the request timeout.
    #[error("{0}")]
    Timeout(String),
    /// An answer that is not what the API promises.
    #[error("{0}")]
    Protocol(String),
}

impl K8sError {
    /// The HTTP status of an API error.
    pub fn code(&self) -> Option<u16> {
        match self {
            K8sError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.code() == Some(404)
    }

    /// Builds the error for a failed request.
    pub fn from_kube(e: kube::Error, server: &str) -> K8sError {
        match e {
            kube::Error::Api(s) => K8sError::Api {
                code: s.code,
                reason: s.reason.clone(),
                message: s.message.clone(),
            },
            other => K8sError::Connect(format!(
                "cannot reach the API server at {server}: {}",
                chain(&other)
            )),
        }
    }
}

/// An error with its sources, as one line: rustls and hyper put the cause
/// (an unknown CA, a refused connection) in the innermost source.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}
