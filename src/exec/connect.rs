// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! One connection per host, opened when the host's first remote task needs
//! it and reused by every later task. Its parameters come from the host's
//! variables (`ansible_host`, `ansible_port`, `ansible_user`...), which win
//! over play keywords, which win over the command line and ansible.cfg.

use super::{PlayCtx, Runner};
use crate::output::Event;
use crate::playbook::Task;
use crate::template::{Resolver, value_to_json};
use crate::transport::{self, Connection, LocalConnection, Secret, SshRequest, TransportError};
use crate::vars::Scope;
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// An open connection and the user it logged in as.
pub(super) type Opened = (Arc<dyn Connection>, String);

type Slot = Arc<OnceCell<Result<Opened, TransportError>>>;

/// How many SSH logins may be in progress at once by default, whatever the
/// fork limit (`connect_forks`, see [`super::RunOptions::connect_forks`]).
/// A login costs both ends a key exchange, far more than a task on an open
/// session, and sshd drops unauthenticated connections beyond its
/// MaxStartups (10 by default): with `-f 500` and a fleet behind a bastion
/// or one sshd, letting every fork log in at once turns into refused
/// connections. Tasks on open sessions are limited by the forks only.
pub const CONNECT_SETUP_LIMIT: usize = 32;

pub(super) struct Connections {
    slots: Mutex<HashMap<String, Slot>>,
    /// Logins in progress (see [`CONNECT_SETUP_LIMIT`]).
    setup: tokio::sync::Semaphore,
    /// Hosts that failed or were unreachable: they take no further part.
    dead: Mutex<HashSet<String>>,
    /// Hosts that failed or were unreachable in the play running now:
    /// `clear_host_errors` brings them back for later plays only, so the
    /// play's host lists keep leaving them out.
    out_of_play: Mutex<HashSet<String>>,
    /// Bumped each time a host leaves the play (its cached host lists are
    /// rebuilt when it moved).
    dead_changes: std::sync::atomic::AtomicU64,
    warned_no_hostkey_check: Mutex<bool>,
}

impl Connections {
    /// `logins`: how many logins may be in progress at once (at least 1).
    pub(super) fn new(logins: usize) -> Self {
        Connections {
            slots: Mutex::default(),
            setup: tokio::sync::Semaphore::new(logins.max(1)),
            dead: Mutex::default(),
            out_of_play: Mutex::default(),
            dead_changes: Default::default(),
            warned_no_hostkey_check: Mutex::default(),
        }
    }

    fn slot(&self, host: &str) -> Slot {
        match self.slots.lock() {
            Ok(mut m) => m.entry(host.to_string()).or_default().clone(),
            Err(_) => Slot::default(),
        }
    }

    pub(super) fn mark_dead(&self, host: &str) {
        if let Ok(mut d) = self.dead.lock() {
            d.insert(host.to_string());
        }
        if let Ok(mut d) = self.out_of_play.lock() {
            d.insert(host.to_string());
        }
        self.dead_changes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// A new play: no host has left it yet.
    pub(super) fn new_play(&self) {
        if let Ok(mut d) = self.out_of_play.lock() {
            d.clear();
        }
    }

    /// Whether `host` failed or was unreachable in the play running now.
    pub(super) fn left_play(&self, host: &str) -> bool {
        self.out_of_play
            .lock()
            .map(|d| d.contains(host))
            .unwrap_or(false)
    }

    /// meta: clear_host_errors: the host takes part in later plays again.
    pub(super) fn revive(&self, host: &str) {
        if let Ok(mut d) = self.dead.lock() {
            d.remove(host);
        }
    }

    /// How many times the set of dead hosts changed so far.
    pub(super) fn dead_changes(&self) -> u64 {
        self.dead_changes.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether no host is failed or unreachable any more.
    pub(super) fn none_dead(&self) -> bool {
        self.dead.lock().map(|d| d.is_empty()).unwrap_or(false)
    }

    /// Hosts whose connection failed (not merely failed tasks).
    pub(super) fn is_unreachable(&self, host: &str) -> bool {
        self.slot(host).get().is_some_and(|r| r.is_err())
    }

    /// Drops a host's session; the next task opens a new one.
    pub(super) fn reset(&self, host: &str) {
        let slot = self.slots.lock().ok().and_then(|mut m| m.remove(host));
        if let Some(Some(Ok((c, _)))) = slot.map(|s| s.get().cloned())
            && let Ok(h) = tokio::runtime::Handle::try_current()
        {
            h.spawn(async move { c.close().await });
        }
    }

    pub(super) fn is_dead(&self, host: &str) -> bool {
        self.dead.lock().map(|d| d.contains(host)).unwrap_or(false)
    }

    /// Closes every open session at the end of the run, and waits (a few
    /// seconds at most) for each to say goodbye: the process exits right
    /// after, and a session merely dropped would leave the host a broken
    /// socket instead of a disconnect.
    pub(super) async fn close_all(&self) {
        let slots: Vec<Slot> = self
            .slots
            .lock()
            .map(|mut m| m.drain().map(|(_, s)| s).collect())
            .unwrap_or_default();
        let conns: Vec<Arc<dyn Connection>> = slots
            .iter()
            .filter_map(|s| match s.get() {
                Some(Ok((c, _))) => Some(c.clone()),
                _ => None,
            })
            .collect();
        // Commands abandoned by a second Ctrl-C have their channels
        // signalled and closed by tasks spawned as they were dropped: let
        // those go out before the sessions end.
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        let closing = futures::future::join_all(conns.iter().map(|c| c.close()));
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), closing).await;
    }
}

fn var_string(scope: &Scope, name: &str) -> Result<Option<String>, TransportError> {
    match scope.resolve(name) {
        Ok(Some(v)) => match value_to_json(&v) {
            Json::Null => Ok(None),
            Json::String(s) => Ok(Some(s)),
            other => Ok(Some(other.to_string())),
        },
        Ok(None) => Ok(None),
        Err(e) => Err(TransportError::Protocol(format!(
            "cannot template {name}: {e}"
        ))),
    }
}

pub(super) fn first_var(scope: &Scope, names: &[&str]) -> Result<Option<String>, TransportError> {
    for n in names {
        if let Some(v) = var_string(scope, n)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn keyword(scope: &Scope, n: Option<&crate::yaml::Node>) -> Option<String> {
    let n = n?;
    match scope.render_json(n).ok()? {
        Json::String(s) => Some(s),
        Json::Null => None,
        other => Some(other.to_string()),
    }
}

impl Runner {
    pub(super) async fn connection(
        self: &Arc<Self>,
        play: &Arc<PlayCtx>,
        task: &Task,
        host: &str,
        scope: &Scope,
    ) -> Result<Opened, TransportError> {
        let slot = self.connections_slot(host);
        let res = slot
            .get_or_init(|| async {
                // A closed semaphore never happens (it is never closed);
                // opening without a permit would still be correct.
                let _login = self.conns.setup.acquire().await.ok();
                self.open(play, task, host, scope).await
            })
            .await;
        res.clone()
    }

    fn connections_slot(&self, host: &str) -> Slot {
        self.conns.slot(host)
    }

    async fn open(
        &self,
        _play: &Arc<PlayCtx>,
        task: &Task,
        host: &str,
        scope: &Scope,
    ) -> Result<Opened, TransportError> {
        if let Some(connector) = &self.opts.connector {
            let user = first_var(scope, &["ansible_user", "ansible_ssh_user"])?
                .unwrap_or_else(|| "root".into());
            return Ok(((connector.0)(host)?, user));
        }
        let kind = match first_var(scope, &["ansible_connection"])? {
            Some(k) => k,
            None => keyword(scope, task.inherit.connection.as_ref())
                .or_else(|| self.opts.connection.clone())
                .unwrap_or_else(|| "ssh".into()),
        };
        match kind.as_str() {
            "local" => {
                let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
                return Ok((Arc::new(LocalConnection), user));
            }
            "ssh" | "smart" | "paramiko" | "paramiko_ssh" | "ansible.builtin.ssh" => {}
            other => {
                return Err(TransportError::Protocol(format!(
                    "the connection plugin '{other}' is not supported by kiln"
                )));
            }
        }
        // What Ansible's ssh connection plugin would pass to `ssh`; the
        // ssh configuration then fills in the rest (ssh_config module).
        let destination = first_var(scope, &["ansible_host", "ansible_ssh_host"])?
            .unwrap_or_else(|| host.to_string());
        let mut req = SshRequest::new(destination, self.opts.home.clone());
        req.port = match first_var(scope, &["ansible_port", "ansible_ssh_port"])?
            .or_else(|| keyword(scope, task.inherit.port.as_ref()))
        {
            Some(p) => Some(p.trim().parse().map_err(|_| {
                TransportError::Protocol(format!("invalid port '{p}' for host {host}"))
            })?),
            None => None,
        };
        req.user = first_var(scope, &["ansible_user", "ansible_ssh_user"])?
            .or_else(|| keyword(scope, task.inherit.remote_user.as_ref()))
            .or_else(|| self.opts.remote_user.clone());
        req.private_key_file = first_var(
            scope,
            &["ansible_ssh_private_key_file", "ansible_private_key_file"],
        )?
        .or_else(|| {
            self.opts
                .private_key
                .as_ref()
                .map(|p| p.display().to_string())
        });
        // A null password (`ansible_password: null`) is no password.
        req.password = first_var(
            scope,
            &[
                "ansible_password",
                "ansible_ssh_pass",
                "ansible_ssh_password",
            ],
        )?
        .map(Secret::new)
        .or_else(|| self.opts.conn_password.clone());
        req.ssh_args =
            first_var(scope, &["ansible_ssh_args"])?.or_else(|| self.opts.ssh_args.clone());
        req.common_args = first_var(scope, &["ansible_ssh_common_args"])?
            .or_else(|| self.opts.ssh_common_args.clone());
        req.extra_args = first_var(scope, &["ansible_ssh_extra_args"])?
            .or_else(|| self.opts.ssh_extra_args.clone());
        req.timeout = match first_var(scope, &["ansible_ssh_timeout", "ansible_timeout"])? {
            Some(t) => t
                .trim()
                .parse()
                .map(std::time::Duration::from_secs)
                .unwrap_or(self.opts.timeout),
            None => self.opts.timeout,
        };
        let checking = match first_var(
            scope,
            &["ansible_host_key_checking", "ansible_ssh_host_key_checking"],
        )? {
            Some(v) => crate::modules::spec::to_bool(&Json::String(v)).unwrap_or(true),
            None => self.opts.host_key_checking,
        };
        req.host_key_checking = checking;
        // Said once per run, and only at -vvv where Ansible shows connection
        // details: Ansible itself says nothing, and ansible-runner turns
        // checking off by default, so a warning would add events to every
        // run under it. The check-and-set is one lock, so hosts connecting
        // at once say it once.
        if !checking && self.opts.verbosity >= 3 {
            let first = self
                .conns
                .warned_no_hostkey_check
                .lock()
                .map(|mut w| !std::mem::replace(&mut *w, true))
                .unwrap_or(false);
            if first {
                self.bus.emit(Event::Verbose(
                    "host key checking is disabled (host_key_checking = False): connections are not protected against impersonation".into(),
                ));
            }
        }
        let target = transport::ssh_config::resolve(&req)?;
        // A weak algorithm the host's config asks for is used, but said.
        if let Ok(chosen) = transport::algorithms::choose(&target.algorithms)
            && !chosen.weak.is_empty()
        {
            self.bus.emit(Event::Warning(format!(
                "{host}: offering weak SSH algorithms because its ssh config asks for them: {}",
                chosen.weak.join(", ")
            )));
        }
        let user = target.user.clone();
        Ok((transport::connect_ssh(&target).await?, user))
    }
}
