// SPDX-License-Identifier: MIT
//! OpenSSH client configuration: `~/.ssh/config`, `/etc/ssh/ssh_config`, a
//! `-F` file, and the `ssh` command-line options Ansible builds from a host's
//! variables. [`resolve`] turns what Ansible would pass to `ssh` (an
//! [`SshRequest`]) into the [`SshTarget`](crate::transport::SshTarget) the
//! native client connects with, reading the configuration the way OpenSSH
//! does: command-line options first, then the files, the first value of each
//! option wins, `Host` and `Match` blocks apply when they match, `Include`
//! reads more files in place.
//!
//! Options kiln does not act on (forwardings, ciphers, `ControlPersist`...)
//! are accepted and ignored; a keyword OpenSSH does not know is an error, as
//! it is for `ssh` (unless `IgnoreUnknown` lists it).

mod args;
mod eval;
mod options;
mod parse;
mod resolve;
mod tokens;

use crate::span::Span;

pub use options::{AddressFamily, SshOptions, StrictHostKeyChecking};
pub use resolve::{ANSIBLE_SSH_ARGS, SshRequest, resolve};

/// Why a configuration could not be used. Messages follow OpenSSH's
/// (`FILE line N: Bad configuration option: X`), since people search for them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: line {}: Bad configuration option: {keyword}", .span.file, .span.line)]
    BadOption { span: Span, keyword: String },
    #[error("{}: line {}: {msg}", .span.file, .span.line)]
    BadValue { span: Span, msg: String },
    #[error("Can't open user config file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    /// An error in `ansible_ssh_common_args` and friends (no line numbers:
    /// the span names the variable).
    #[error("{span}: {msg}")]
    Args { span: Span, msg: String },
    #[error("{}: line {}: Include nested too deeply", .span.file, .span.line)]
    IncludeDepth { span: Span },
    /// `ProxyJump` hosts that lead back to themselves.
    #[error("ProxyJump to {host}: too many hops (a jump host's own ProxyJump loops?)")]
    JumpLoop { host: String },
}

impl ConfigError {
    pub fn span(&self) -> Option<&Span> {
        match self {
            ConfigError::BadOption { span, .. }
            | ConfigError::BadValue { span, .. }
            | ConfigError::Args { span, .. }
            | ConfigError::IncludeDepth { span } => Some(span),
            ConfigError::Unreadable { .. } | ConfigError::JumpLoop { .. } => None,
        }
    }
}

/// Parses one configuration text (as a file holding it would be read) and
/// applies it for `host`: the entry point of the fuzz target, and of tests
/// that want no files.
pub fn apply_text(
    text: &str,
    file_name: &str,
    host: &str,
    opts: &mut SshOptions,
) -> Result<(), ConfigError> {
    let ctx = eval::MatchCtx::for_host(host, std::path::Path::new("/nonexistent"), "nobody");
    let mut ev = eval::Evaluator::new(&ctx, opts);
    ev.read_text(text, file_name, eval::FileKind::User, 0)
}
