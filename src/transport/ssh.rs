// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Native SSHv2 client over russh: one session per host, kept open and
//! shared by all of that host's tasks, one channel per command.

mod auth;
mod handler;
pub(crate) mod identity;

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::Algorithm;
use russh::{
    ChannelMsg, ChannelOpenFailure, ChannelReadHalf, ChannelStream, ChannelWriteHalf, Disconnect,
    Preferred,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::known_hosts::KnownHosts;
use super::{
    AddressFamily, Connection, Dialog, DialogOutcome, ExecOutput, Proxy, SshTarget, Step,
    TransportError, algorithms,
};
use handler::{ClientHandler, EndReason, HandlerError, HostKeyPolicy, describe, read_end_reason};

/// An SSH connection to one host. `Send + Sync`: clone the `Arc` it lives
/// in and call `exec` from as many tasks as you like; at most
/// `max_channels` commands run at once, the others wait for a slot.
///
/// When the session is found dropped as a command is about to start (the
/// server restarted, a NAT forgot us), the connection is opened again, once
/// per command, before the command fails: nothing was sent yet, so running
/// it on the new session is safe.
pub struct SshConnection {
    /// The address as given, for messages.
    host: String,
    target: SshTarget,
    session: Mutex<Arc<Session>>,
    /// Held while reconnecting, so concurrent commands reconnect once.
    reconnecting: tokio::sync::Mutex<()>,
    channels: Arc<Semaphore>,
    max_channels: usize,
    closed: AtomicBool,
    /// Set by `close`: commands still running stop theirs on the host.
    closing: tokio::sync::watch::Sender<bool>,
    /// sudo on this host (for this login user) refused to run without a
    /// terminal once: later escalations ask for one at once.
    escalation_tty: AtomicBool,
}

impl std::fmt::Debug for SshConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshConnection")
            .field("host", &self.host)
            .finish()
    }
}

/// One authenticated SSH session.
struct Session {
    handle: Handle<ClientHandler>,
    ended: EndReason,
    /// What carries the session's byte stream when it is not a plain TCP
    /// connection; kept as long as the session.
    via: Via,
}

enum Via {
    Direct,
    /// The jump host's connection, whose `direct-tcpip` channel we ride.
    Jump(Box<SshConnection>),
    /// The `ProxyCommand` process (killed when dropped).
    Command(#[allow(dead_code)] tokio::process::Child),
}

/// Any byte stream an SSH session can run over.
trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

impl SshConnection {
    /// Connects (through the proxy or jump hosts, if any), checks the host
    /// key, and authenticates.
    pub async fn connect(target: &SshTarget) -> Result<SshConnection, TransportError> {
        let session = Session::open(target).await?;
        Ok(SshConnection {
            host: target.address.clone(),
            target: target.clone(),
            session: Mutex::new(Arc::new(session)),
            reconnecting: tokio::sync::Mutex::new(()),
            channels: Arc::new(Semaphore::new(target.max_channels.max(1))),
            max_channels: target.max_channels.max(1),
            closed: AtomicBool::new(false),
            closing: tokio::sync::watch::Sender::new(false),
            escalation_tty: AtomicBool::new(false),
        })
    }

    fn current(&self) -> Arc<Session> {
        self.session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Opens a session channel, reconnecting once if the session is gone.
    async fn open_channel(
        &self,
    ) -> Result<(Arc<Session>, russh::Channel<client::Msg>), TransportError> {
        let session = self.current();
        match self.open_on(&session).await {
            Ok(c) => Ok((session, c)),
            Err(e) if self.closed.load(Ordering::SeqCst) => Err(e),
            Err(e @ TransportError::Closed { .. }) => {
                let fresh = self.reconnect(&session, &e).await?;
                let c = self.open_on(&fresh).await?;
                Ok((fresh, c))
            }
            Err(e) => Err(e),
        }
    }

    /// Replaces `dead` by a new session, unless another task already did.
    async fn reconnect(
        &self,
        dead: &Arc<Session>,
        why: &TransportError,
    ) -> Result<Arc<Session>, TransportError> {
        let _one_at_a_time = self.reconnecting.lock().await;
        let now = self.current();
        if !Arc::ptr_eq(&now, dead) && !now.handle.is_closed() {
            return Ok(now);
        }
        tracing::info!("{}: session dropped ({why}); reconnecting", self.host);
        let fresh = Arc::new(Session::open(&self.target).await?);
        if self.closed.load(Ordering::SeqCst) {
            // `close` ran meanwhile: do not leave a session behind it.
            SshConnection::close_session(&fresh).await;
            return Err(self.closed_err(&fresh, None));
        }
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = fresh.clone();
        Ok(fresh)
    }

    /// Opens a session channel on `session`. sshd frees a session slot only
    /// after it has processed our CLOSE and run its channel cleanup, so an
    /// open sent right after a close can be refused although we are under
    /// its `MaxSessions`; and a server may allow fewer sessions than our
    /// `max_channels`. Either way the open is retried (with backoff) while
    /// some other channel of ours is open and will free a slot; with none
    /// open, only a few times.
    async fn open_on(
        &self,
        session: &Session,
    ) -> Result<russh::Channel<client::Msg>, TransportError> {
        let mut delay = Duration::from_millis(5);
        let mut lone_refusals = 0;
        loop {
            let why = match session.handle.channel_open_session().await {
                Ok(c) => return Ok(c),
                Err(russh::Error::ChannelOpenFailure(why)) => why,
                Err(e) => return Err(self.lost(session, &e)),
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
    fn lost(&self, session: &Session, e: &russh::Error) -> TransportError {
        let gone = session.handle.is_closed()
            || self.channels.is_closed()
            || matches!(
                e,
                russh::Error::SendError
                    | russh::Error::RecvError
                    | russh::Error::Disconnect
                    | russh::Error::HUP
                    | russh::Error::IO(_)
                    | russh::Error::KeepaliveTimeout
            );
        if gone {
            self.closed_err(session, Some(e))
        } else {
            TransportError::Protocol(describe(e))
        }
    }

    fn closed_err(&self, session: &Session, e: Option<&russh::Error>) -> TransportError {
        let reason = read_end_reason(&session.ended)
            .or_else(|| e.map(describe))
            .unwrap_or_else(|| "connection lost".into());
        TransportError::Closed {
            host: self.host.clone(),
            reason,
        }
    }

    /// Opens a `direct-tcpip` channel to `host:port` through this session
    /// (what `ssh -W` and `ProxyJump` do), as a byte stream.
    async fn tunnel(
        &self,
        host: &str,
        port: u16,
    ) -> Result<ChannelStream<client::Msg>, TransportError> {
        let session = self.current();
        match session
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
        {
            Ok(ch) => Ok(ch.into_stream()),
            Err(russh::Error::ChannelOpenFailure(why)) => Err(TransportError::Connect {
                host: host.to_string(),
                port,
                reason: format!(
                    "channel open failed on jump host {}: {}",
                    self.host,
                    open_failure_text(&why)
                ),
            }),
            Err(e) => Err(self.lost(&session, &e)),
        }
    }

    async fn close_session(session: &Session) {
        session
            .ended
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(|| "closed by kiln".into());
        let _ = session
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
        // `disconnect` only queues the message: wait (briefly) for the
        // session task to send it and end, or a process that exits next
        // drops the socket before the server hears goodbye.
        let ended = async {
            while !session.handle.is_closed() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), ended).await;
        if let Via::Jump(hop) = &session.via {
            Box::pin(hop.close()).await;
        }
    }
}

impl Session {
    /// Opens the byte stream, runs the handshake and authenticates.
    async fn open(target: &SshTarget) -> Result<Session, TransportError> {
        let (stream, via, proxy_stderr): (Box<dyn Duplex>, Via, Option<ProxyStderr>) =
            match &target.proxy {
                None => (Box::new(tcp_connect(target).await?), Via::Direct, None),
                Some(Proxy::Jump(hop)) => {
                    let hop_conn = Box::pin(SshConnection::connect(hop)).await?;
                    // The jump host's connect to the target is bounded
                    // like a direct TCP connect.
                    let tunnel = hop_conn.tunnel(&target.address, target.port);
                    let stream = match tokio::time::timeout(target.connect_timeout, tunnel).await {
                        Ok(s) => s?,
                        Err(_) => {
                            return Err(TransportError::Connect {
                                host: target.address.clone(),
                                port: target.port,
                                reason: format!(
                                    "Connection timed out (through jump host {})",
                                    hop.address
                                ),
                            });
                        }
                    };
                    (Box::new(stream), Via::Jump(Box::new(hop_conn)), None)
                }
                Some(Proxy::Command(cmd)) => {
                    let (child, stream, stderr) = spawn_proxy_command(cmd, target)?;
                    (Box::new(stream), Via::Command(child), Some(stderr))
                }
            };
        let host_name = target.host_key_name();
        let mut files = target.known_hosts.clone();
        files.extend(target.global_known_hosts.iter().cloned());
        let known = KnownHosts::shared(&files);
        let chosen = algorithms::choose(&target.algorithms).map_err(TransportError::Protocol)?;
        if !chosen.weak.is_empty() {
            tracing::warn!(
                "{}: offering weak SSH algorithms because its ssh config asks for them: {}",
                target.address,
                chosen.weak.join(", ")
            );
        }
        let config = client_config(Some(&known), &host_name, target, chosen.preferred);
        let ended: EndReason = Arc::new(Mutex::new(None));
        let key_changed = Arc::new(AtomicBool::new(false));
        let policy = HostKeyPolicy {
            name: host_name,
            known,
            mode: target.host_key_checking,
            write_to: target.known_hosts.first().cloned(),
            hash: target.hash_known_hosts,
            key_changed: key_changed.clone(),
            principal: target
                .host_key_alias
                .clone()
                .unwrap_or_else(|| target.address.clone()),
        };
        let handler = ClientHandler::new(policy, ended.clone());

        // ConnectTimeout also bounds the banner exchange and key exchange.
        let handshake = client::connect_stream(Arc::new(config), stream, handler);
        let mut handle = match tokio::time::timeout(target.connect_timeout, handshake).await {
            Err(_) => {
                let e = TransportError::Connect {
                    host: target.address.clone(),
                    port: target.port,
                    reason: "Connection timed out during banner exchange".into(),
                };
                return Err(add_proxy_stderr(e, proxy_stderr).await);
            }
            Ok(Err(HandlerError::HostKey(e))) => return Err(e),
            Ok(Err(HandlerError::Ssh(e))) => {
                let e = handshake_error(target, &e, &ended);
                return Err(add_proxy_stderr(e, proxy_stderr).await);
            }
            Ok(Ok(h)) => h,
        };
        let allow = auth::Allowed {
            password: !key_changed.load(Ordering::SeqCst),
            sha1_rsa: chosen.sha1_rsa_signatures,
        };
        if let Err(e) = auth::authenticate(&mut handle, target, &ended, allow).await {
            // Say goodbye properly; the error is what matters to the caller.
            let _ = handle.disconnect(Disconnect::ByApplication, "", "en").await;
            return Err(e);
        }
        Ok(Session { handle, ended, via })
    }
}

/// A plain exec has no conversation, so it always finishes.
fn finished(o: DialogOutcome) -> Result<ExecOutput, TransportError> {
    match o {
        DialogOutcome::Finished(out) => Ok(out),
        DialogOutcome::Failed { msg, .. } => Err(TransportError::Protocol(msg)),
    }
}

/// What a `ProxyCommand` wrote to its stderr, kept for the error message
/// when the connection through it fails, and the task reading it.
struct ProxyStderr {
    text: Arc<Mutex<String>>,
    reader: tokio::task::JoinHandle<()>,
}

/// Starts `ProxyCommand` as OpenSSH does: `sh -c "exec COMMAND"` (tokens
/// were already substituted and quoted), its stdin and stdout being the
/// connection.
fn spawn_proxy_command(
    cmd: &str,
    target: &SshTarget,
) -> Result<(tokio::process::Child, impl Duplex + use<>, ProxyStderr), TransportError> {
    let mut child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("exec {cmd}"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| TransportError::Connect {
            host: target.address.clone(),
            port: target.port,
            reason: format!("cannot start ProxyCommand: {}", io_reason(&e)),
        })?;
    let missing = || TransportError::Protocol("ProxyCommand pipes were not set up".into());
    let stdin = child.stdin.take().ok_or_else(missing)?;
    let stdout = child.stdout.take().ok_or_else(missing)?;
    let text = Arc::new(Mutex::new(String::new()));
    let mut err = child.stderr.take().ok_or_else(missing)?;
    let buf = text.clone();
    let host = target.address.clone();
    let reader = tokio::spawn(async move {
        let mut chunk = [0u8; 1024];
        loop {
            match err.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let text = String::from_utf8_lossy(&chunk[..n]);
                    tracing::debug!("ProxyCommand for {host}: {}", text.trim_end());
                    let mut b = buf.lock().unwrap_or_else(|p| p.into_inner());
                    // Only the start matters for a message.
                    if b.len() < 4096 {
                        b.push_str(&text);
                    }
                }
            }
        }
    });
    Ok((
        child,
        tokio::io::join(stdout, stdin),
        ProxyStderr { text, reader },
    ))
}

/// Appends what the proxy command said to a connection error (waiting a
/// moment for it: the command may just have exited).
async fn add_proxy_stderr(e: TransportError, stderr: Option<ProxyStderr>) -> TransportError {
    let Some(mut stderr) = stderr else {
        return e;
    };
    if tokio::time::timeout(Duration::from_secs(1), &mut stderr.reader)
        .await
        .is_err()
    {
        stderr.reader.abort();
    }
    let said = stderr
        .text
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .trim()
        .to_string();
    if said.is_empty() {
        return e;
    }
    match e {
        TransportError::Closed { host, reason } => TransportError::Closed {
            host,
            reason: format!("{reason} (ProxyCommand: {said})"),
        },
        TransportError::Connect { host, port, reason } => TransportError::Connect {
            host,
            port,
            reason: format!("{reason} (ProxyCommand: {said})"),
        },
        other => other,
    }
}

#[async_trait::async_trait]
impl Connection for SshConnection {
    fn escalation_needs_tty(&self) -> bool {
        self.escalation_tty.load(Ordering::Relaxed)
    }

    fn note_escalation_needs_tty(&self) {
        self.escalation_tty.store(true, Ordering::Relaxed);
    }

    async fn exec(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, TransportError> {
        finished(
            self.exec_on_channel(cmd, Input::Bytes(stdin), None, false, None)
                .await?,
        )
    }

    async fn exec_tty(&self, cmd: &str) -> Result<ExecOutput, TransportError> {
        let mut out = finished(
            self.exec_on_channel(cmd, Input::Bytes(None), None, true, None)
                .await?,
        )?;
        if let Some(notice) = self.tty_closed_notice() {
            out.stderr.extend_from_slice(notice.as_bytes());
        }
        Ok(out)
    }

    fn tty_closed_notice(&self) -> Option<String> {
        // OpenSSH's client says this when a command on a shared (multiplexed)
        // connection ends with a terminal; Ansible's raw results carry it.
        Some(format!("Shared connection to {} closed.\r\n", self.host))
    }

    async fn exec_dialog(
        &self,
        cmd: &str,
        tty: bool,
        dialog: &mut dyn Dialog,
        stdin: Option<&[u8]>,
    ) -> Result<DialogOutcome, TransportError> {
        self.exec_on_channel(cmd, Input::Bytes(stdin), None, tty, Some(dialog))
            .await
    }

    async fn exec_stream(
        &self,
        cmd: &str,
        input: Option<&mut (dyn AsyncRead + Send + Unpin)>,
        output: &mut (dyn AsyncWrite + Send + Unpin),
        dialog: Option<&mut dyn Dialog>,
        tty: bool,
    ) -> Result<DialogOutcome, TransportError> {
        let input = match input {
            Some(r) => Input::Stream(r),
            None => Input::Bytes(None),
        };
        self.exec_on_channel(cmd, input, Some(output), tty, dialog)
            .await
    }

    async fn tunnel(
        &self,
        host: &str,
        port: u16,
    ) -> Result<Box<dyn super::TunnelStream>, TransportError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(self.closed_err(&self.current(), None));
        }
        let stream = SshConnection::tunnel(self, host, port).await?;
        Ok(Box::new(stream))
    }

    async fn close(&self) {
        // Later and waiting `exec` calls fail at once instead of queueing.
        self.closed.store(true, Ordering::SeqCst);
        self.channels.close();
        // Commands still running signal theirs and close their channels;
        // each gives its permit back when done (bounded: a server that
        // does not answer must not hold the run's end).
        self.closing.send_replace(true);
        let drained = async {
            while self.channels.available_permits() < self.max_channels {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), drained).await;
        let session = self.current();
        SshConnection::close_session(&session).await;
    }
}

impl SshConnection {
    /// Runs one command on its own channel, with a terminal when `tty`,
    /// holding `dialog`'s conversation first if there is one.
    async fn exec_on_channel(
        &self,
        cmd: &str,
        stdin: Input<'_>,
        sink: Sink<'_>,
        tty: bool,
        dialog: Option<&mut dyn Dialog>,
    ) -> Result<DialogOutcome, TransportError> {
        let permit = self
            .channels
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| self.closed_err(&self.current(), None))?;
        let (session, channel) = self.open_channel().await?;
        let (mut reader, writer) = channel.split();
        let mut guard = ChannelGuard {
            writer: Some(writer),
            permit: Some(permit),
        };
        let mut closing = self.closing.subscribe();
        let outcome = match guard.writer.as_ref() {
            Some(w) => tokio::select! {
                out = run(&mut reader, w, cmd, stdin, sink, tty, dialog) => out,
                // The guard `wait_for` returns is dropped at once: it must
                // not be held across the signal's await.
                () = async { let _ = closing.wait_for(|c| *c).await.is_ok(); } => {
                    // The run ends (Ctrl-C) with this command still going:
                    // sshd signals its process group, so nothing is left
                    // running orphaned on the host.
                    let _ = w.signal(russh::Sig::TERM).await;
                    Err(RunError::Ended)
                }
            },
            None => Err(RunError::Ended),
        };
        guard.close().await;
        match outcome {
            Ok(out) => Ok(out),
            Err(RunError::Ssh(e)) => Err(self.lost(&session, &e)),
            Err(RunError::Ended) => Err(self.closed_err(&session, None)),
            Err(RunError::Sink(e)) => Err(TransportError::Protocol(format!(
                "writing the output of a command on {}: {e}",
                self.host
            ))),
            Err(RunError::Refused) => Err(TransportError::Protocol(format!(
                "the server refused to run the command on {}",
                self.host
            ))),
        }
    }
}

/// What a command reads on stdin.
enum Input<'a> {
    Bytes(Option<&'a [u8]>),
    /// Streamed as it is read: constant memory whatever its size.
    Stream(&'a mut (dyn AsyncRead + Send + Unpin)),
}

/// Where stdout goes: kept in the result, or written through as it comes.
type Sink<'a> = Option<&'a mut (dyn AsyncWrite + Send + Unpin)>;

enum RunError {
    Ssh(russh::Error),
    /// Writing stdout to the caller's sink failed.
    Sink(std::io::Error),
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
                // The command was abandoned (a cancelled task, Ctrl-C):
                // sshd signals its process group, so nothing is left
                // running on the host once the channel is gone.
                let _ = w.signal(russh::Sig::TERM).await;
                let _ = w.close().await;
                drop(permit);
            });
        }
    }
}

/// A command's output as it accumulates.
#[derive(Default)]
struct Collected {
    out: ExecOutput,
    status: Option<i32>,
}

/// What one channel message meant.
enum Flow {
    Output,
    Other,
    Closed,
}

impl Collected {
    fn absorb(&mut self, msg: ChannelMsg) -> Result<Flow, RunError> {
        match msg {
            ChannelMsg::Data { data } => {
                self.out.stdout.extend_from_slice(&data);
                return Ok(Flow::Output);
            }
            // Extended data type 1 is stderr (RFC 4254 5.2).
            ChannelMsg::ExtendedData { data, ext: 1 } => {
                self.out.stderr.extend_from_slice(&data);
                return Ok(Flow::Output);
            }
            ChannelMsg::ExitStatus { exit_status } => {
                self.status = Some(i32::try_from(exit_status).unwrap_or(-1));
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
                self.status = Some(-1);
            }
            ChannelMsg::Failure => return Err(RunError::Refused),
            ChannelMsg::Close => return Ok(Flow::Closed),
            _ => {}
        }
        Ok(Flow::Other)
    }

    /// The result once the stream has ended (`closed`: by the server's CLOSE).
    fn finish(mut self, closed: bool) -> Result<ExecOutput, RunError> {
        match (self.status, closed) {
            (Some(rc), _) => {
                self.out.rc = rc;
                Ok(self.out)
            }
            (None, true) => {
                tracing::debug!("remote command ended without an exit status");
                self.out.rc = -1;
                Ok(self.out)
            }
            (None, false) => Err(RunError::Ended),
        }
    }
}

/// Starts `cmd`, holds the conversation if any, then feeds stdin while
/// collecting output (both at once: a command may write a lot before it
/// reads, and the SSH windows would otherwise stall), and returns when the
/// server closes the channel.
async fn run(
    reader: &mut ChannelReadHalf,
    writer: &ChannelWriteHalf<client::Msg>,
    cmd: &str,
    stdin: Input<'_>,
    mut sink: Sink<'_>,
    tty: bool,
    dialog: Option<&mut dyn Dialog>,
) -> Result<DialogOutcome, RunError> {
    if tty {
        writer
            .request_pty(false, "xterm", 80, 24, 0, 0, &[])
            .await
            .map_err(RunError::Ssh)?;
    }
    writer.exec(true, cmd).await.map_err(RunError::Ssh)?;
    let mut acc = Collected::default();
    if let Some(dialog) = dialog {
        let deadline = tokio::time::Instant::now() + dialog.timeout();
        loop {
            let msg = match tokio::time::timeout_at(deadline, reader.wait()).await {
                Err(_) => {
                    let msg = dialog.timeout_message(&acc.out);
                    return Ok(DialogOutcome::Failed {
                        msg,
                        output: acc.out,
                    });
                }
                Ok(None) => return acc.finish(false).map(DialogOutcome::Finished),
                Ok(Some(m)) => m,
            };
            match acc.absorb(msg)? {
                Flow::Closed => return acc.finish(true).map(DialogOutcome::Finished),
                Flow::Other => continue,
                Flow::Output => {}
            }
            match dialog.step(&acc.out.stdout, &acc.out.stderr) {
                Step::Wait => {}
                Step::Reply(answer) => {
                    let sent = writer.data_bytes(answer).await;
                    if sent.is_err() {
                        tracing::debug!("the command closed its stdin before the answer");
                    }
                }
                Step::Ready => {
                    // What came after the conversation is the command's own
                    // output: it goes where the rest of it will go.
                    if let Some(out) = sink.as_deref_mut() {
                        let used = dialog.consumed(&acc.out.stdout).min(acc.out.stdout.len());
                        out.write_all(&acc.out.stdout[used..])
                            .await
                            .map_err(RunError::Sink)?;
                        acc.out.stdout.truncate(used);
                    }
                    break;
                }
                Step::Fail(msg) => {
                    return Ok(DialogOutcome::Failed {
                        msg,
                        output: acc.out,
                    });
                }
            }
        }
    }
    let feed = async {
        match stdin {
            // A command that exits without reading its input closes the
            // channel early; that is not an error of ours.
            Input::Bytes(Some(data)) => {
                let _ = writer.data_bytes(data.to_vec()).await;
            }
            Input::Bytes(None) => {}
            Input::Stream(r) => {
                let _ = writer.data(r).await;
            }
        }
        let _ = writer.eof().await;
    };
    let collect = collect(reader, acc, sink);
    tokio::pin!(feed, collect);
    let out = tokio::select! {
        out = &mut collect => out,
        () = &mut feed => collect.await,
    };
    out.map(DialogOutcome::Finished)
}

async fn collect(
    reader: &mut ChannelReadHalf,
    mut acc: Collected,
    mut sink: Sink<'_>,
) -> Result<ExecOutput, RunError> {
    while let Some(msg) = reader.wait().await {
        if let (Some(out), ChannelMsg::Data { data }) = (sink.as_deref_mut(), &msg) {
            out.write_all(data).await.map_err(RunError::Sink)?;
            continue;
        }
        if let Flow::Closed = acc.absorb(msg)? {
            if let Some(out) = sink.as_deref_mut() {
                out.flush().await.map_err(RunError::Sink)?;
            }
            return acc.finish(true);
        }
    }
    acc.finish(false)
}

/// The client configuration: keepalives, and host key algorithms ordered so
/// that types already in known_hosts for this host come first (OpenSSH does
/// the same, so a host known by its RSA key is not asked for another type).
fn client_config(
    known: Option<&KnownHosts>,
    host_name: &str,
    t: &SshTarget,
    mut preferred: Preferred,
) -> client::Config {
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
        // Host certificates are asked for only where a CA is trusted for
        // this host (OpenSSH offers them always; a server without one then
        // uses its plain key either way).
        if !kh.authorities(host_name).is_empty() {
            preferred.host_key_certificates = preferred.key.clone();
        }
    }
    client::Config {
        preferred,
        keepalive_interval: t.keepalive_interval,
        keepalive_max: t.keepalive_max,
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
/// `ConnectionAttempts` times a second apart, and turns failures into
/// OpenSSH's messages.
async fn tcp_connect(t: &SshTarget) -> Result<TcpStream, TransportError> {
    let resolve_err = |reason: String| TransportError::Resolve {
        host: t.address.clone(),
        reason,
    };
    let lookup = tokio::net::lookup_host((t.address.as_str(), t.port));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(t.connect_timeout, lookup).await {
        Err(_) => return Err(resolve_err("Temporary failure in name resolution".into())),
        Ok(Err(e)) => return Err(resolve_err(resolve_reason(&e))),
        Ok(Ok(a)) => a
            .filter(|a| match t.address_family {
                AddressFamily::Any => true,
                AddressFamily::Inet => a.is_ipv4(),
                AddressFamily::Inet6 => a.is_ipv6(),
            })
            .collect(),
    };
    let mut last = "Name or service not known".to_string();
    if addrs.is_empty() {
        // getaddrinfo's words, which OpenSSH prints, for a literal address
        // of the other family (`ssh -6 127.0.0.1`).
        if t.address.parse::<std::net::IpAddr>().is_ok() {
            return Err(resolve_err(
                "Address family for hostname not supported".into(),
            ));
        }
        return Err(resolve_err(last));
    }
    for attempt in 0..t.connection_attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        for addr in &addrs {
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
            tracing::debug!("connect to {addr} (attempt {}): {last}", attempt + 1);
        }
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
        russh::Error::NoCommonAlgo { kind, theirs, .. } => TransportError::Negotiate {
            host: t.address.clone(),
            port: t.port,
            detail: algorithms::no_match_text(kind, theirs),
        },
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
        let t = SshTarget::new("h");
        let pref = || Preferred {
            key: Cow::Owned(vec![
                Algorithm::Ed25519,
                Algorithm::Rsa {
                    hash: Some(russh::keys::HashAlg::Sha512),
                },
                Algorithm::Rsa {
                    hash: Some(russh::keys::HashAlg::Sha256),
                },
                Algorithm::Rsa { hash: None },
            ]),
            ..Preferred::default()
        };
        let cfg = client_config(Some(&kh), "[h]:2222", &t, pref());
        let names: Vec<&str> = cfg.preferred.key.iter().map(|a| a.as_str()).collect();
        assert_eq!(&names[..3], &["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
        assert!(names.contains(&"ssh-ed25519"));
        let cfg = client_config(Some(&kh), "other", &t, pref());
        assert_eq!(
            cfg.preferred.key.first().map(|a| a.as_str()),
            Some("ssh-ed25519")
        );
    }
}
