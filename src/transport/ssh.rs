// SPDX-License-Identifier: MIT
//! Native SSHv2 client over russh: one session per host, kept open and
//! shared by all of that host's tasks, one channel per command.

mod auth;
mod handler;

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::Algorithm;
use russh::{
    ChannelMsg, ChannelOpenFailure, ChannelReadHalf, ChannelWriteHalf, Disconnect, Preferred,
};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::known_hosts::{KnownHosts, host_key_name};
use super::{Connection, ExecOutput, SshTarget, TransportError};
use handler::{ClientHandler, EndReason, HandlerError, describe, read_end_reason};

/// An authenticated SSH session to one host. `Send + Sync`: clone the `Arc`
/// it lives in and call `exec` from as many tasks as you like; at most
/// `max_channels` commands run at once, the others wait for a slot.
pub struct SshConnection {
    /// The address as given, for messages.
    host: String,
    handle: Handle<ClientHandler>,
    channels: Arc<Semaphore>,
    max_channels: usize,
    ended: EndReason,
}

impl std::fmt::Debug for SshConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshConnection")
            .field("host", &self.host)
            .finish()
    }
}

/// Sent to the server when the session is idle this long, to notice a peer
/// that vanished without closing the TCP connection (3 unanswered = dead).
const KEEPALIVE: Duration = Duration::from_secs(15);

impl SshConnection {
    /// Connects, checks the host key, and authenticates.
    pub async fn connect(target: &SshTarget) -> Result<SshConnection, TransportError> {
        let stream = tcp_connect(target).await?;
        let host_name = host_key_name(&target.address, target.port);
        let known = target
            .host_key_checking
            .then(|| Arc::new(KnownHosts::load(&target.known_hosts)));
        let config = client_config(known.as_deref(), &host_name);
        let ended: EndReason = Arc::new(Mutex::new(None));
        let handler = ClientHandler::new(host_name, known, ended.clone());

        // ConnectTimeout also bounds the banner exchange and key exchange.
        let handshake = client::connect_stream(Arc::new(config), stream, handler);
        let mut handle = match tokio::time::timeout(target.connect_timeout, handshake).await {
            Err(_) => {
                return Err(TransportError::Connect {
                    host: target.address.clone(),
                    port: target.port,
                    reason: "Connection timed out during banner exchange".into(),
                });
            }
            Ok(Err(HandlerError::HostKey(e))) => return Err(e),
            Ok(Err(HandlerError::Ssh(e))) => return Err(handshake_error(target, &e, &ended)),
            Ok(Ok(h)) => h,
        };
        if let Err(e) = auth::authenticate(&mut handle, target, &ended).await {
            // Say goodbye properly; the error is what matters to the caller.
            let _ = handle.disconnect(Disconnect::ByApplication, "", "en").await;
            return Err(e);
        }
        Ok(SshConnection {
            host: target.address.clone(),
            handle,
            channels: Arc::new(Semaphore::new(target.max_channels.max(1))),
            max_channels: target.max_channels.max(1),
            ended,
        })
    }

    /// Opens a session channel. sshd frees a session slot only after it
    /// has processed our CLOSE and run its channel cleanup, so an open sent
    /// right after a close can be refused although we are under its
    /// `MaxSessions`; and a server may allow fewer sessions than our
    /// `max_channels`. Either way the open is retried (with backoff) while
    /// some other channel of ours is open and will free a slot; with none
    /// open, only a few times.
    async fn open_channel(&self) -> Result<russh::Channel<client::Msg>, TransportError> {
        let mut delay = Duration::from_millis(5);
        let mut lone_refusals = 0;
        loop {
            let why = match self.handle.channel_open_session().await {
                Ok(c) => return Ok(c),
                Err(russh::Error::ChannelOpenFailure(why)) => why,
                Err(e) => return Err(self.lost(&e)),
            };
            let retryable = !matches!(why, ChannelOpenFailure::UnknownChannelType);
            // Permits held by other tasks: their channels are open or opening.
            let others = self
                .max_channels
                .saturating_sub(self.channels.available_permits() + 1);
            if others == 0 {
                lone_refusals += 1;
            }
            if !retryable || lone_refusals > 5 {
                return Err(TransportError::Protocol(format!(
                    "channel open failed on {}: {}",
                    self.host,
                    open_failure_text(&why)
                )));
            }
            tracing::debug!(
                "{}: session channel refused ({}), {others} others open; retrying in {delay:?}",
                self.host,
                open_failure_text(&why)
            );
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(200));
        }
    }

    /// The error for a session that is gone, or a protocol error while it
    /// is still up.
    fn lost(&self, e: &russh::Error) -> TransportError {
        let gone = self.handle.is_closed()
            || self.channels.is_closed()
            || matches!(
                e,
                russh::Error::SendError
                    | russh::Error::RecvError
                    | russh::Error::Disconnect
                    | russh::Error::HUP
                    | russh::Error::IO(_)
            );
        if gone {
            self.closed(Some(e))
        } else {
            TransportError::Protocol(describe(e))
        }
    }

    fn closed(&self, e: Option<&russh::Error>) -> TransportError {
        let reason = read_end_reason(&self.ended)
            .or_else(|| e.map(describe))
            .unwrap_or_else(|| "connection lost".into());
        TransportError::Closed {
            host: self.host.clone(),
            reason,
        }
    }
}

#[async_trait::async_trait]
impl Connection for SshConnection {
    async fn exec(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, TransportError> {
        self.exec_on_channel(cmd, stdin, false).await
    }

    async fn exec_tty(&self, cmd: &str) -> Result<ExecOutput, TransportError> {
        let mut out = self.exec_on_channel(cmd, None, true).await?;
        // OpenSSH's client says this when a command on a shared (multiplexed)
        // connection ends with a terminal; Ansible's raw results carry it.
        out.stderr
            .extend_from_slice(format!("Shared connection to {} closed.\r\n", self.host).as_bytes());
        Ok(out)
    }

    async fn close(&self) {
        // Later and waiting `exec` calls fail at once instead of queueing.
        self.channels.close();
        self.ended
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(|| "closed by kiln".into());
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
    }
}

impl SshConnection {
    /// Runs one command on its own channel, with a terminal when `tty`.
    async fn exec_on_channel(
        &self,
        cmd: &str,
        stdin: Option<&[u8]>,
        tty: bool,
    ) -> Result<ExecOutput, TransportError> {
        let permit = self
            .channels
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| self.closed(None))?;
        let channel = self.open_channel().await?;
        let (mut reader, writer) = channel.split();
        let mut guard = ChannelGuard {
            writer: Some(writer),
            permit: Some(permit),
        };
        let outcome = match guard.writer.as_ref() {
            Some(w) => run(&mut reader, w, cmd, stdin, tty).await,
            None => Err(RunError::Ended),
        };
        guard.close().await;
        match outcome {
            Ok(out) => Ok(out),
            Err(RunError::Ssh(e)) => Err(self.lost(&e)),
            Err(RunError::Ended) => Err(self.closed(None)),
            Err(RunError::Refused) => Err(TransportError::Protocol(format!(
                "the server refused to run the command on {}",
                self.host
            ))),
        }
    }
}

enum RunError {
    Ssh(russh::Error),
    /// The channel stream stopped without the server closing it: the
    /// session died under the command.
    Ended,
    /// The server answered the `exec` request with a failure.
    Refused,
}

/// Closes the channel on every path: normally through `close()`, and from
/// `Drop` when the `exec` future is dropped half-way (a cancelled task), so
/// the server's session slot is not leaked.
struct ChannelGuard {
    writer: Option<ChannelWriteHalf<client::Msg>>,
    permit: Option<OwnedSemaphorePermit>,
}

impl ChannelGuard {
    async fn close(&mut self) {
        if let Some(w) = self.writer.take() {
            // Fails only when the session is gone, which the caller learns
            // from its own result.
            let _ = w.close().await;
        }
        self.permit.take();
    }
}

impl Drop for ChannelGuard {
    fn drop(&mut self) {
        let (Some(w), permit) = (self.writer.take(), self.permit.take()) else {
            return;
        };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = w.close().await;
                drop(permit);
            });
        }
    }
}

/// Starts `cmd`, feeds stdin while collecting output (both at once: a
/// command may write a lot before it reads, and the SSH windows would
/// otherwise stall), and returns when the server closes the channel.
async fn run(
    reader: &mut ChannelReadHalf,
    writer: &ChannelWriteHalf<client::Msg>,
    cmd: &str,
    stdin: Option<&[u8]>,
    tty: bool,
) -> Result<ExecOutput, RunError> {
    if tty {
        writer
            .request_pty(false, "xterm", 80, 24, 0, 0, &[])
            .await
            .map_err(RunError::Ssh)?;
    }
    writer.exec(true, cmd).await.map_err(RunError::Ssh)?;
    let feed = async {
        if let Some(data) = stdin {
            // A command that exits without reading its input closes the
            // channel early; that is not an error of ours.
            let _ = writer.data_bytes(data.to_vec()).await;
        }
        let _ = writer.eof().await;
    };
    let collect = collect(reader);
    tokio::pin!(feed, collect);
    tokio::select! {
        out = &mut collect => out,
        () = &mut feed => collect.await,
    }
}

async fn collect(reader: &mut ChannelReadHalf) -> Result<ExecOutput, RunError> {
    let mut out = ExecOutput::default();
    let mut status: Option<i32> = None;
    let mut closed = false;
    while let Some(msg) = reader.wait().await {
        match msg {
            ChannelMsg::Data { data } => out.stdout.extend_from_slice(&data),
            // Extended data type 1 is stderr (RFC 4254 5.2).
            ChannelMsg::ExtendedData { data, ext: 1 } => out.stderr.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => {
                status = Some(i32::try_from(exit_status).unwrap_or(-1));
            }
            ChannelMsg::ExitSignal {
                signal_name,
                core_dumped,
                error_message,
                ..
            } => {
                // Reported as rc -1, as the `Connection` contract says.
                tracing::debug!(
                    "remote command killed by signal {signal_name:?} (core dumped: {core_dumped}) {error_message}"
                );
                status = Some(-1);
            }
            ChannelMsg::Failure => return Err(RunError::Refused),
            ChannelMsg::Close => {
                closed = true;
                break;
            }
            _ => {}
        }
    }
    match (status, closed) {
        (Some(rc), _) => {
            out.rc = rc;
            Ok(out)
        }
        (None, true) => {
            tracing::debug!("remote command ended without an exit status");
            out.rc = -1;
            Ok(out)
        }
        (None, false) => Err(RunError::Ended),
    }
}

/// The client configuration: keepalives, and host key algorithms ordered so
/// that types already in known_hosts for this host come first (OpenSSH does
/// the same, so a host known by its RSA key is not asked for another type).
fn client_config(known: Option<&KnownHosts>, host_name: &str) -> client::Config {
    let mut preferred = Preferred::default();
    if let Some(kh) = known {
        let types = kh.known_key_types(host_name);
        if !types.is_empty() {
            let key_type = |a: &Algorithm| {
                let name = a.as_str();
                if name.starts_with("rsa-sha2-") {
                    "ssh-rsa".to_string()
                } else {
                    name.to_string()
                }
            };
            let (mut first, rest): (Vec<Algorithm>, Vec<Algorithm>) = preferred
                .key
                .iter()
                .cloned()
                .partition(|a| types.contains(&key_type(a)));
            first.extend(rest);
            preferred.key = Cow::Owned(first);
        }
    }
    client::Config {
        preferred,
        keepalive_interval: Some(KEEPALIVE),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    }
}

/// The reason words of RFC 4254 as OpenSSH prints them.
fn open_failure_text(why: &ChannelOpenFailure) -> String {
    match why {
        ChannelOpenFailure::AdministrativelyProhibited => "administratively prohibited".into(),
        ChannelOpenFailure::ConnectFailed => "connect failed".into(),
        ChannelOpenFailure::UnknownChannelType => "unknown channel type".into(),
        ChannelOpenFailure::ResourceShortage => "resource shortage".into(),
        ChannelOpenFailure::Other { code, reason } => format!("{reason} (code {code})"),
    }
}

/// Resolves and connects, each address in turn with the connect timeout,
/// and turns failures into OpenSSH's messages.
async fn tcp_connect(t: &SshTarget) -> Result<TcpStream, TransportError> {
    let resolve_err = |reason: String| TransportError::Resolve {
        host: t.address.clone(),
        reason,
    };
    let lookup = tokio::net::lookup_host((t.address.as_str(), t.port));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(t.connect_timeout, lookup).await {
        Err(_) => return Err(resolve_err("Temporary failure in name resolution".into())),
        Ok(Err(e)) => return Err(resolve_err(resolve_reason(&e))),
        Ok(Ok(a)) => a.collect(),
    };
    let mut last = "Name or service not known".to_string();
    if addrs.is_empty() {
        return Err(resolve_err(last));
    }
    for addr in addrs {
        match tokio::time::timeout(t.connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                // Small request/response packets: do not let Nagle hold them.
                if let Err(e) = s.set_nodelay(true) {
                    tracing::debug!("TCP_NODELAY on {addr}: {e}");
                }
                return Ok(s);
            }
            Ok(Err(e)) => last = io_reason(&e),
            Err(_) => last = "Connection timed out".into(),
        }
        tracing::debug!("connect to {addr}: {last}");
    }
    Err(TransportError::Connect {
        host: t.address.clone(),
        port: t.port,
        reason: last,
    })
}

/// getaddrinfo's own message (`Name or service not known`, `Temporary
/// failure in name resolution`), without the standard library's prefix.
fn resolve_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = text
        .strip_prefix("failed to lookup address information: ")
        .unwrap_or(&text);
    strip_os_error(text)
}

/// The strerror text OpenSSH prints for a socket error.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "Connection refused".into(),
        K::TimedOut => "Connection timed out".into(),
        K::HostUnreachable => "No route to host".into(),
        K::NetworkUnreachable => "Network is unreachable".into(),
        K::ConnectionReset => "Connection reset by peer".into(),
        K::UnexpectedEof => "the server closed the connection".into(),
        _ => strip_os_error(&e.to_string()),
    }
}

/// `std::io::Error` appends " (os error N)"; OpenSSH does not.
fn strip_os_error(s: &str) -> String {
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s.to_string(),
    }
}

fn handshake_error(t: &SshTarget, e: &russh::Error, ended: &EndReason) -> TransportError {
    match e {
        russh::Error::IO(_)
        | russh::Error::HUP
        | russh::Error::Disconnect
        | russh::Error::SendError
        | russh::Error::RecvError => TransportError::Closed {
            host: t.address.clone(),
            reason: read_end_reason(ended).unwrap_or_else(|| describe(e)),
        },
        e => TransportError::Protocol(format!(
            "handshake with {} port {}: {}",
            t.address,
            t.port,
            describe(e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_suffix_is_dropped() {
        let e = std::io::Error::from_raw_os_error(113);
        assert_eq!(io_reason(&e), "No route to host");
        let e = std::io::Error::from_raw_os_error(101);
        assert_eq!(io_reason(&e), "Network is unreachable");
        let e = std::io::Error::from_raw_os_error(111);
        assert_eq!(io_reason(&e), "Connection refused");
        let e = std::io::Error::from_raw_os_error(1);
        assert_eq!(io_reason(&e), "Operation not permitted");
        assert_eq!(strip_os_error("weird (thing)"), "weird (thing)");
    }

    #[test]
    fn known_key_types_come_first() {
        let blob = {
            let t = b"ssh-rsa";
            let mut b = (t.len() as u32).to_be_bytes().to_vec();
            b.extend_from_slice(t);
            b.extend_from_slice(&[0, 0, 0, 1, 7]);
            b
        };
        use base64::Engine;
        let line = format!(
            "[h]:2222 ssh-rsa {}",
            base64::engine::general_purpose::STANDARD.encode(&blob)
        );
        let kh = KnownHosts::from_text(&line, std::path::Path::new("kh"));
        let cfg = client_config(Some(&kh), "[h]:2222");
        let names: Vec<&str> = cfg.preferred.key.iter().map(|a| a.as_str()).collect();
        assert_eq!(&names[..3], &["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
        assert!(names.contains(&"ssh-ed25519"));
        let cfg = client_config(Some(&kh), "other");
        assert_eq!(
            cfg.preferred.key.first().map(|a| a.as_str()),
            Some("ssh-ed25519")
        );
    }
}
