// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Everything a run is told from outside (command line, ansible.cfg).

use crate::transport::{Connection, TransportError};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Opens a host's connection (given its inventory name) instead of the ssh
/// and local transports: for benchmarks and tests of the engine alone, such
/// as benches/engine.rs with its in-memory hosts.
pub type OpenFn = dyn Fn(&str) -> Result<Arc<dyn Connection>, TransportError> + Send + Sync;

/// A shared [`OpenFn`]; `RunOptions` must stay `Clone` and `Debug`.
#[derive(Clone)]
pub struct Connector(pub Arc<OpenFn>);

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connector(..)")
    }
}

/// Reads the inventory sources again (`meta: refresh_inventory`).
#[derive(Clone)]
pub struct Reloader(pub Arc<dyn Fn() -> Result<crate::inventory::Inventory, String> + Send + Sync>);

impl fmt::Debug for Reloader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Reloader(..)")
    }
}

/// Asks the user for a value on the terminal: `(prompt, private)` gives
/// the line typed (without its newline). The CLI sets it when a terminal is
/// there; without it, `vars_prompt` uses defaults as Ansible does.
pub type AskFn = fn(&str, bool) -> Result<String, String>;

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Prompts for `vars_prompt` (and `--step`); `None` without a terminal.
    pub ask: Option<AskFn>,
    /// `-f`; Ansible's default is 5, kiln's is 50.
    pub forks: usize,
    /// How many SSH logins may be in progress at once, apart from the fork
    /// limit (a login costs a key exchange and counts against sshd's
    /// MaxStartups; tasks on open sessions do not). kiln's own setting:
    /// `[kiln] connect_forks` in ansible.cfg or `KILN_CONNECT_FORKS`;
    /// Ansible has none (each fork logs in on its own).
    pub connect_forks: usize,
    pub limit: Option<String>,
    /// `-c`: the connection type when neither the host's variables nor the
    /// play say.
    pub connection: Option<String>,
    /// `--tags` (empty means all).
    pub tags: Vec<String>,
    /// `--skip-tags`.
    pub skip_tags: Vec<String>,
    /// `--start-at-task`: tasks before the first whose name matches are skipped.
    pub start_at_task: Option<String>,
    /// `--force-handlers`.
    pub force_handlers: bool,
    /// `--step`: ask before each task.
    pub step: bool,
    /// Set by the engine: how `meta: refresh_inventory` rereads the
    /// inventory; without it the meta keeps the inventory as it is.
    pub inventory_reload: Option<Reloader>,
    /// `roles_path` (ansible.cfg, `ANSIBLE_ROLES_PATH`).
    pub roles_path: Vec<PathBuf>,
    /// `private_role_vars` (ansible.cfg, `ANSIBLE_PRIVATE_ROLE_VARS`);
    /// `None` when not set, which is not the same as false: a set value
    /// decides for includes as well as imports.
    pub private_role_vars: Option<bool>,
    /// `-u` / `remote_user` in ansible.cfg.
    pub remote_user: Option<String>,
    /// `-b`
    pub become_: bool,
    pub become_user: Option<String>,
    pub become_method: Option<String>,
    /// `become_flags` in ansible.cfg / `ANSIBLE_BECOME_FLAGS`.
    pub become_flags: Option<String>,
    /// `--private-key` / `private_key_file`.
    pub private_key: Option<PathBuf>,
    pub verbosity: u8,
    pub check: bool,
    pub diff: bool,
    /// `host_key_checking`.
    pub host_key_checking: bool,
    /// `timeout` (SSH connect timeout).
    pub timeout: Duration,
    /// The controller user's home (for `~/.ssh`).
    pub home: PathBuf,
    /// Where `ansible.cfg` was found, for `ansible_config_file`.
    pub config_file: Option<PathBuf>,
    /// `-k`: the login password, when no host variable gives one.
    pub conn_password: Option<crate::transport::Secret>,
    /// `-K`: the become password, when no host variable gives one.
    pub become_password: Option<crate::transport::Secret>,
    /// When set, every host's connection comes from here, whatever
    /// `ansible_connection` says.
    pub connector: Option<Connector>,
    /// `[ssh_connection] ssh_args`, `ssh_common_args`, `ssh_extra_args`
    /// from ansible.cfg (or their `ANSIBLE_SSH_*` variables); host
    /// variables beat them.
    pub ssh_args: Option<String>,
    pub ssh_common_args: Option<String>,
    pub ssh_extra_args: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            forks: 50,
            connect_forks: super::connect::CONNECT_SETUP_LIMIT,
            limit: None,
            connection: None,
            tags: Vec::new(),
            skip_tags: Vec::new(),
            start_at_task: None,
            force_handlers: false,
            step: false,
            inventory_reload: None,
            roles_path: Vec::new(),
            private_role_vars: None,
            remote_user: None,
            become_: false,
            become_user: None,
            become_method: None,
            become_flags: None,
            ask: None,
            private_key: None,
            verbosity: 0,
            check: false,
            diff: false,
            host_key_checking: true,
            timeout: Duration::from_secs(10),
            home: std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default(),
            config_file: None,
            conn_password: None,
            become_password: None,
            connector: None,
            ssh_args: None,
            ssh_common_args: None,
            ssh_extra_args: None,
        }
    }
}
