// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Reaching hosts: native SSHv2 (one russh session per host, one channel per
//! command) and the `local` connection. Everything above this layer sees only
//! the `Connection` trait.

pub mod algorithms;
mod dialog;
mod error;
pub mod known_hosts;
mod local;
pub mod passphrase;
pub mod quote;
mod secret;
pub mod shell_words;
mod ssh;
/// The in-memory repair of OpenSSH ECDSA keys with a short scalar (see
/// `ssh::identity`), public for its fuzz target.
pub use ssh::identity::repair as repair_openssh_key;
pub mod ssh_config;
pub mod transfer;
pub mod tty_frame;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use algorithms::AlgorithmSpec;
pub use dialog::{Dialog, DialogOutcome, Step};
pub use error::TransportError;
pub use local::LocalConnection;
pub use quote::{quote, quote_bytes};
pub use secret::Secret;
pub use ssh::SshConnection;
pub(crate) use ssh::io_reason;
pub use ssh_config::{AddressFamily, ConfigError, SshRequest, StrictHostKeyChecking};

/// What a finished remote command gave back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Exit status; -1 when the command was killed by a signal.
    pub rc: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// A byte stream to a TCP service as the host sees it (see
/// [`Connection::tunnel`]).
pub trait TunnelStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> TunnelStream for T {}

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
    /// Runs `cmd` (with a terminal when `tty`) whose first output is a
    /// conversation: `dialog` sees the output as it arrives and answers on
    /// stdin; once it is satisfied, `stdin` is fed and the command runs to
    /// its end. Connections that cannot do this say so.
    async fn exec_dialog(
        &self,
        cmd: &str,
        tty: bool,
        dialog: &mut dyn Dialog,
        stdin: Option<&[u8]>,
    ) -> Result<DialogOutcome, TransportError> {
        let _ = (cmd, tty, dialog, stdin);
        Err(TransportError::Protocol(
            "this connection cannot answer prompts (become with a password)".into(),
        ))
    }
    /// Like `exec_dialog`, but stdin is read from `input` as it is sent and
    /// stdout is written to `output` as it arrives, so a transfer of any
    /// size takes constant memory. The result holds the exit status and
    /// stderr (stdout went to `output`). With `tty` the command runs on a
    /// terminal (sudo's `requiretty`; see [`tty_frame`] for how data
    /// crosses it).
    async fn exec_stream(
        &self,
        cmd: &str,
        input: Option<&mut (dyn tokio::io::AsyncRead + Send + Unpin)>,
        output: &mut (dyn tokio::io::AsyncWrite + Send + Unpin),
        dialog: Option<&mut dyn Dialog>,
        tty: bool,
    ) -> Result<DialogOutcome, TransportError> {
        let _ = (cmd, input, output, dialog, tty);
        Err(TransportError::Protocol(
            "this connection cannot stream data".into(),
        ))
    }
    /// What the client prints when a command with a terminal ends
    /// (OpenSSH's "Shared connection to HOST closed.", which Ansible's
    /// `raw` results carry in stderr); `None` where there is no such line.
    fn tty_closed_notice(&self) -> Option<String> {
        None
    }
    /// Whether privilege escalation on this host was found to need a
    /// terminal (sudo's `requiretty`): then later commands go straight to
    /// one instead of being refused first.
    fn escalation_needs_tty(&self) -> bool {
        false
    }
    /// Notes that escalation needs a terminal (see `escalation_needs_tty`).
    fn note_escalation_needs_tty(&self) {}
    /// Whether commands run on the controller itself (`connection: local`):
    /// modules that talk to network services then connect directly.
    fn is_local(&self) -> bool {
        false
    }
    /// Opens a TCP stream to `host:port` as seen from the host (SSH's
    /// `direct-tcpip` channel on the same session), so a service bound to
    /// the host's loopback is reachable without exposing it.
    async fn tunnel(&self, host: &str, port: u16) -> Result<Box<dyn TunnelStream>, TransportError> {
        let _ = (host, port);
        Err(TransportError::Protocol(
            "this connection cannot open TCP tunnels".into(),
        ))
    }
    /// Closes the connection; later `exec` calls fail.
    async fn close(&self);
}

/// A user authentication method kiln speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    PublicKey,
    /// Answered with the password (what `sshpass` does for Ansible).
    KeyboardInteractive,
    Password,
}

/// How the TCP stream to a host is obtained when not directly.
#[derive(Debug, Clone, PartialEq)]
pub enum Proxy {
    /// `ProxyJump`: a `direct-tcpip` channel of a session to this host
    /// (which may itself be reached through another).
    Jump(Box<SshTarget>),
    /// `ProxyCommand`, tokens already substituted: run with `sh -c`, its
    /// stdin and stdout are the connection.
    Command(String),
}

/// Everything needed to open an SSH session to one host, as OpenSSH's
/// options would give it (see [`ssh_config::resolve`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SshTarget {
    /// The address to connect to (`HostName`, else `ansible_host`, else the
    /// inventory name).
    pub address: String,
    pub port: u16,
    pub user: String,
    /// Identity files, in order (missing ones are skipped); when empty the
    /// default identities in `~/.ssh` are tried.
    pub private_keys: Vec<PathBuf>,
    /// `CertificateFile`: OpenSSH certificates offered with the identity
    /// whose key they certify (a `KEY-cert.pub` beside a key is found
    /// without being listed).
    pub certificate_files: Vec<PathBuf>,
    /// `IdentitiesOnly`: agent keys are offered only when they are one of
    /// `private_keys`.
    pub identities_only: bool,
    /// Whether to also offer keys held by ssh-agent.
    pub use_agent: bool,
    /// The agent's socket (`IdentityAgent`); `None` means the
    /// `SSH_AUTH_SOCK` environment variable.
    pub agent_socket: Option<PathBuf>,
    /// `UserKnownHostsFile`: checked first; new keys go to the first one.
    pub known_hosts: Vec<PathBuf>,
    /// `GlobalKnownHostsFile`: checked, never written.
    pub global_known_hosts: Vec<PathBuf>,
    /// `StrictHostKeyChecking` (`Ask` is taken as `Yes`).
    pub host_key_checking: StrictHostKeyChecking,
    /// `HashKnownHosts`: new known_hosts lines hide the host name.
    pub hash_known_hosts: bool,
    /// `HostKeyAlias`: the name looked up in known_hosts instead of the address.
    pub host_key_alias: Option<String>,
    /// Bounds each TCP connect and the SSH handshake.
    pub connect_timeout: Duration,
    /// `ConnectionAttempts`: TCP connects tried, a second apart.
    pub connection_attempts: u32,
    /// `ServerAliveInterval` (`None`: off) and `ServerAliveCountMax`.
    pub keepalive_interval: Option<Duration>,
    pub keepalive_max: usize,
    /// Methods to try, in order.
    pub auth_methods: Vec<AuthMethod>,
    /// `ansible_password`: for `password` and `keyboard-interactive`.
    pub password: Option<Secret>,
    pub address_family: AddressFamily,
    pub proxy: Option<Proxy>,
    /// Most channels open at once on this session.
    pub max_channels: usize,
    /// `Ciphers`, `MACs`, `KexAlgorithms`, `HostKeyAlgorithms`,
    /// `PubkeyAcceptedAlgorithms` from the host's config (see [`algorithms`]).
    pub algorithms: AlgorithmSpec,
}

impl SshTarget {
    /// Defaults as OpenSSH and Ansible use them: port 22, the current user,
    /// `~/.ssh/known_hosts`, strict checking, 10 s timeout, keepalives every
    /// 15 s, public keys only, 8 channels.
    pub fn new(address: impl Into<String>) -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        SshTarget {
            address: address.into(),
            port: 22,
            user: std::env::var("USER").unwrap_or_else(|_| "root".into()),
            private_keys: Vec::new(),
            certificate_files: Vec::new(),
            identities_only: false,
            use_agent: true,
            agent_socket: None,
            known_hosts: vec![home.join(".ssh/known_hosts")],
            global_known_hosts: Vec::new(),
            host_key_checking: StrictHostKeyChecking::Yes,
            hash_known_hosts: false,
            host_key_alias: None,
            connect_timeout: Duration::from_secs(10),
            connection_attempts: 1,
            keepalive_interval: Some(Duration::from_secs(15)),
            keepalive_max: 3,
            auth_methods: vec![
                AuthMethod::PublicKey,
                AuthMethod::KeyboardInteractive,
                AuthMethod::Password,
            ],
            password: None,
            address_family: AddressFamily::Any,
            proxy: None,
            max_channels: 8,
            algorithms: AlgorithmSpec::default(),
        }
    }

    /// The name this host's key is filed under in known_hosts.
    pub fn host_key_name(&self) -> String {
        match &self.host_key_alias {
            Some(a) => a.clone(),
            None => known_hosts::host_key_name(&self.address, self.port),
        }
    }
}

/// Opens an SSH connection. The error is what Ansible reports as
/// `UNREACHABLE!`, worded as OpenSSH words it.
pub async fn connect_ssh(target: &SshTarget) -> Result<Arc<dyn Connection>, TransportError> {
    let conn = SshConnection::connect(target).await?;
    Ok(Arc::new(conn))
}
