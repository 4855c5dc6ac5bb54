// SPDX-License-Identifier: MIT
//! Reaching hosts: native SSHv2 (one russh session per host, one channel per
//! command) and the `local` connection. Everything above this layer sees only
//! the `Connection` trait.

mod error;
pub mod known_hosts;
mod local;
pub mod quote;
mod ssh;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use error::TransportError;
pub use local::LocalConnection;
pub use quote::{quote, quote_bytes};
pub use ssh::SshConnection;

/// What a finished remote command gave back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Exit status; -1 when the command was killed by a signal.
    pub rc: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// One open connection to a host, shared by all of that host's tasks.
#[async_trait::async_trait]
pub trait Connection: Send + Sync {
    /// Runs `cmd` with the remote user's shell (`sh -c` semantics), feeding
    /// `stdin` and then closing it. Each call uses its own channel.
    async fn exec(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, TransportError>;
    /// Runs `cmd` with a terminal (as `raw` does in Ansible): stdout and
    /// stderr arrive merged with `\r\n` line ends.
    async fn exec_tty(&self, cmd: &str) -> Result<ExecOutput, TransportError> {
        self.exec(cmd, None).await
    }
    /// Closes the connection; later `exec` calls fail.
    async fn close(&self);
}

/// Everything needed to open an SSH session to one host.
#[derive(Debug, Clone)]
pub struct SshTarget {
    /// The address to connect to (`ansible_host`, else the inventory name).
    pub address: String,
    pub port: u16,
    pub user: String,
    /// Explicit private keys (`ansible_ssh_private_key_file`, `--private-key`);
    /// when empty the default identities in `~/.ssh` are tried.
    pub private_keys: Vec<PathBuf>,
    /// Whether to also offer keys held by ssh-agent (`SSH_AUTH_SOCK`).
    pub use_agent: bool,
    /// The agent's socket (OpenSSH's `IdentityAgent`); `None` means the
    /// `SSH_AUTH_SOCK` environment variable.
    pub agent_socket: Option<PathBuf>,
    /// known_hosts files to check the host key against.
    pub known_hosts: Vec<PathBuf>,
    /// `host_key_checking`; false only when the user asked for it.
    pub host_key_checking: bool,
    pub connect_timeout: Duration,
    /// Most channels open at once on this session.
    pub max_channels: usize,
}

impl SshTarget {
    /// Defaults as OpenSSH and Ansible use them: port 22, the current user,
    /// `~/.ssh/known_hosts`, checking on, 10 s timeout, 8 channels.
    pub fn new(address: impl Into<String>) -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        SshTarget {
            address: address.into(),
            port: 22,
            user: std::env::var("USER").unwrap_or_else(|_| "root".into()),
            private_keys: Vec::new(),
            use_agent: true,
            agent_socket: None,
            known_hosts: vec![home.join(".ssh/known_hosts")],
            host_key_checking: true,
            connect_timeout: Duration::from_secs(10),
            max_channels: 8,
        }
    }
}

/// Opens an SSH connection. The error is what Ansible reports as
/// `UNREACHABLE!`, worded as OpenSSH words it.
pub async fn connect_ssh(target: &SshTarget) -> Result<Arc<dyn Connection>, TransportError> {
    let conn = SshConnection::connect(target).await?;
    Ok(Arc::new(conn))
}
