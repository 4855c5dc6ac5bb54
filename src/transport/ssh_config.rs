// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// What the fuzz target does, on mutations of a realistic file, so that
    /// a panic shows up in `cargo test` too (cargo-fuzz needs nightly).
    #[test]
    fn mutated_configs_never_panic() {
        let seed_text = "Host web* !web9 \"quoted host\"\n  HostName %h.example\n  Port 2222\n  User=bob\n  IdentityFile ~/.ssh/id_%r@%h\nMatch host a,b originalhost !c user root exec \"true\"\n  ProxyJump u@j1:22,[::1]:2200\n  ProxyCommand nc %h %p\nInclude conf.d/*\n  ConnectTimeout 1m\n  UserKnownHostsFile none\n";
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x6b696c6e);
        let alphabet = b" \t\n=\"'\\#%!*?,:@[]hpru0-";
        for _ in 0..4000 {
            let mut bytes = seed_text.as_bytes().to_vec();
            for _ in 0..rng.gen_range(1..6) {
                let at = rng.gen_range(0..bytes.len());
                match rng.gen_range(0..3) {
                    0 => bytes[at] = alphabet[rng.gen_range(0..alphabet.len())],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, alphabet[rng.gen_range(0..alphabet.len())]),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let mut opts = SshOptions::default();
            let _ = apply_text(&text, "<mutant>", "web1", &mut opts);
            let mut req = SshRequest::new("web1", "/nonexistent-kiln-home");
            req.system_config = None;
            req.common_args = Some(text.replace('\n', " "));
            let _ = resolve(&req);
        }
    }
}
