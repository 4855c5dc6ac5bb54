// SPDX-License-Identifier: MIT
//! What a module sees of the task it runs in.

use super::ModuleError;
use crate::template::{Resolver, Templar};
use crate::transport::{Connection, ExecOutput, quote};
use std::sync::Arc;

/// Privilege escalation for commands on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Become {
    pub method: String,
    pub user: String,
}

pub struct ModuleCtx<'a> {
    pub host: &'a str,
    pub conn: Option<Arc<dyn Connection>>,
    pub become_: Option<Become>,
    pub check_mode: bool,
    pub diff: bool,
    pub templar: &'a Templar,
    pub vars: &'a dyn Resolver,
    /// Ansible's verbosity (`-v` count), for `debug`'s `verbosity`.
    pub verbosity: u8,
    /// `environment` of the task: exported before each command.
    pub env: Vec<(String, String)>,
}

impl ModuleCtx<'_> {
    /// Wraps a shell command line for the task's environment and become.
    pub fn wrap_become(&self, cmd: &str) -> String {
        let cmd = if self.env.is_empty() {
            cmd.to_string()
        } else {
            let exports: Vec<String> = self
                .env
                .iter()
                .filter(|(k, _)| crate::modules::is_identifier(k))
                .map(|(k, v)| format!("{k}={}", quote(v)))
                .collect();
            format!("export {}; {cmd}", exports.join(" "))
        };
        let cmd = cmd.as_str();
        match &self.become_ {
            None => cmd.to_string(),
            Some(b) => match b.method.as_str() {
                "su" => format!("su {} -c {}", quote(&b.user), quote(cmd)),
                // sudo: -H sets HOME, -S reads a password from stdin if one
                // were asked for, -n never prompts (no password configured).
                _ => format!(
                    "sudo -H -S -n -u {} /bin/sh -c {}",
                    quote(&b.user),
                    quote(cmd)
                ),
            },
        }
    }

    /// Runs a command line with a terminal (`raw`).
    pub async fn run_tty(&self, cmd: &str) -> Result<ExecOutput, ModuleError> {
        let conn = self.conn.as_ref().ok_or_else(|| {
            ModuleError::Unreachable(crate::transport::TransportError::Protocol(
                "no connection to the host".into(),
            ))
        })?;
        conn.exec_tty(&self.wrap_become(cmd))
            .await
            .map_err(ModuleError::Unreachable)
    }

    /// Runs a shell command line on the host (with become if set).
    pub async fn run(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, ModuleError> {
        let conn = self.conn.as_ref().ok_or_else(|| {
            ModuleError::Unreachable(crate::transport::TransportError::Protocol(
                "no connection to the host".into(),
            ))
        })?;
        conn.exec(&self.wrap_become(cmd), stdin)
            .await
            .map_err(ModuleError::Unreachable)
    }
}
