// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! What a module sees of the task it runs in.

use super::ModuleError;
use super::escalation::{Escalation, TtyMode};
use crate::template::{Resolver, Templar, value_to_json};
use crate::transport::transfer::Escalate;
use crate::transport::{Connection, Dialog, DialogOutcome, ExecOutput, Secret, quote};
use std::sync::Arc;

/// Privilege escalation for commands on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Become {
    pub method: String,
    pub user: String,
    /// The become password; `None` runs sudo with `-n` (never prompt).
    pub password: Option<Secret>,
    /// `become_exe` / `ansible_become_exe`: the program instead of the
    /// method's name.
    pub exe: Option<String>,
    /// `become_flags` / `ansible_become_flags`: flags instead of sudo's
    /// `-H` (kiln always adds `-k -S` and `-n` or `-p` itself).
    pub flags: Option<String>,
}

impl Become {
    /// Become settings from the task's keywords (`method`, `user`), with the
    /// host's variables winning over them as in Ansible
    /// (`ansible_become_method`, `ansible_become_user`), and the password
    /// from the variables by Ansible's names, most general first
    /// (`ansible_become_password`, `ansible_become_pass`, then
    /// `ansible_sudo_pass` / `ansible_su_pass` for that method), else
    /// `default_password` (`-K`). A null value is no value.
    pub fn from_vars(
        method: String,
        user: String,
        vars: &dyn Resolver,
        default_password: Option<&Secret>,
    ) -> Become {
        let method = var_text(vars, "ansible_become_method").unwrap_or(method);
        let user = var_text(vars, "ansible_become_user").unwrap_or(user);
        let specific = format!("ansible_{method}_pass");
        let password = [
            "ansible_become_password",
            "ansible_become_pass",
            specific.as_str(),
        ]
        .iter()
        .find_map(|name| var_text(vars, name))
        .map(Secret::new)
        .or_else(|| default_password.cloned());
        Become {
            method,
            user,
            password,
            exe: var_text(vars, "ansible_become_exe"),
            flags: var_text(vars, "ansible_become_flags"),
        }
    }

    /// The become program and its flags, before kiln's own flags.
    pub fn head(&self) -> String {
        let exe = self.exe.clone().unwrap_or_else(|| self.method.clone());
        let flags = match (&self.flags, self.method.as_str()) {
            (Some(f), _) => f.trim().to_string(),
            (None, "sudo") => "-H".to_string(),
            (None, _) => String::new(),
        };
        if flags.is_empty() {
            exe
        } else {
            format!("{exe} {flags}")
        }
    }
}

impl Become {
    /// `cmd` escalated on a terminal in `mode` (see `Escalation::on_tty`).
    fn on_tty(&self, cmd: &str, mode: TtyMode) -> Option<Escalation> {
        Escalation::on_tty(
            &self.method,
            &self.head(),
            &self.user,
            cmd,
            self.password.as_ref(),
            mode,
        )
    }

    /// The command line without a password conversation.
    pub fn wrap(&self, cmd: &str) -> String {
        match self.method.as_str() {
            "su" => format!("{} {} -c {}", self.head(), quote(&self.user), quote(cmd)),
            // doas -n: never prompt (a password needs a terminal, see
            // `ModuleCtx::run`).
            "doas" => format!(
                "{} -n -u {} /bin/sh -c {}",
                self.head(),
                quote(&self.user),
                quote(cmd)
            ),
            // sudo: -H sets HOME, -k ignores credentials cached by another
            // login (so results never depend on timing), -S reads a password
            // from stdin if one were asked for, -n never prompts (no password
            // configured).
            _ => format!(
                "{} -k -S -n -u {} /bin/sh -c {}",
                self.head(),
                quote(&self.user),
                quote(cmd)
            ),
        }
    }
}

/// File transfers run as the become user, answering its password prompt.
impl Escalate for Become {
    fn escalate(&self, cmd: &str) -> (String, Option<Box<dyn Dialog>>) {
        let esc = self
            .password
            .as_ref()
            .and_then(|pw| Escalation::new(&self.method, &self.head(), &self.user, cmd, pw));
        match esc {
            Some(e) => (e.command.clone(), Some(Box::new(e))),
            None => (self.wrap(cmd), None),
        }
    }

    fn escalate_on_tty(&self, cmd: &str, framed_input: bool) -> Option<(String, Box<dyn Dialog>)> {
        let mode = if framed_input {
            TtyMode::Framed
        } else {
            TtyMode::Raw { stdin_len: 0 }
        };
        let esc = self.on_tty(cmd, mode)?;
        Some((esc.command.clone(), Box::new(esc)))
    }

    fn wants_tty(&self, conn: &dyn Connection) -> bool {
        // doas reads a password only from a terminal; sudo may have said
        // before that it wants one.
        (self.method == "doas" && self.password.is_some())
            || (self.method == "sudo" && conn.escalation_needs_tty())
    }

    fn refused_without_tty(&self, out: &ExecOutput) -> bool {
        self.method == "sudo" && out.rc != 0 && requires_tty(out)
    }
}

/// A variable as text; `None` when undefined or null.
fn var_text(vars: &dyn Resolver, name: &str) -> Option<String> {
    match vars.resolve(name) {
        Ok(Some(v)) => match value_to_json(&v) {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s),
            other => Some(other.to_string()),
        },
        _ => None,
    }
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
    /// The run's `poll: 0` jobs (see `async_job::Jobs`).
    pub jobs: Arc<super::async_job::Jobs>,
    /// Controller files read ahead of the barrier (`copy`, `template`).
    pub files: Arc<super::read_ahead::ReadAhead>,
}

impl ModuleCtx<'_> {
    /// Wraps a shell command line for the task's environment and become.
    pub fn wrap_become(&self, cmd: &str) -> String {
        let cmd = self.with_env(cmd);
        match &self.become_ {
            None => cmd,
            Some(b) => b.wrap(&cmd),
        }
    }

    /// Runs a script whose stdin is `input`, read as it is sent (constant
    /// memory whatever its size), with the task's environment and become.
    pub async fn run_stream(
        &self,
        cmd: &str,
        input: &mut (dyn tokio::io::AsyncRead + Send + Unpin),
    ) -> Result<ExecOutput, ModuleError> {
        let conn = self.connection()?;
        let cmd = self.with_env(cmd);
        if let Some(b) = &self.become_
            && b.wants_tty(conn.as_ref())
        {
            return self.stream_on_tty(conn, b, &cmd, input).await;
        }
        let (line, mut dialog) = match &self.become_ {
            Some(b) => b.escalate(&cmd),
            None => (cmd.clone(), None),
        };
        let mut counted = CountingReader { inner: input, n: 0 };
        let mut stdout = Vec::new();
        let outcome = conn
            .exec_stream(
                &line,
                Some(&mut counted),
                &mut stdout,
                dialog.as_mut().map(|d| d.as_mut() as &mut dyn Dialog),
                false,
            )
            .await
            .map_err(ModuleError::Unreachable)?;
        let mut out = match outcome {
            DialogOutcome::Finished(out) => out,
            DialogOutcome::Failed { msg, .. } => return Err(ModuleError::Failed(msg)),
        };
        out.stdout = stdout;
        if let Some(b) = &self.become_
            && b.refused_without_tty(&out)
        {
            conn.note_escalation_needs_tty();
            // sudo refused before reading: the input is whole again only
            // when none of it was taken from the source yet.
            if counted.n == 0 {
                return self.stream_on_tty(conn, b, &cmd, counted.inner).await;
            }
            return Err(ModuleError::Failed(format!(
                "sudo on {} requires a terminal (requiretty) and refused a stream already under way; the next task will use one",
                self.host
            )));
        }
        Ok(out)
    }

    /// `run_stream` on a terminal: the input crosses it framed (see
    /// `transport::tty_frame`) and the command's stderr arrives in its
    /// stdout.
    async fn stream_on_tty(
        &self,
        conn: &Arc<dyn Connection>,
        b: &Become,
        cmd: &str,
        input: &mut (dyn tokio::io::AsyncRead + Send + Unpin),
    ) -> Result<ExecOutput, ModuleError> {
        let Some((line, mut dialog)) = b.escalate_on_tty(cmd, true) else {
            return Err(ModuleError::Failed(format!(
                "become method {} cannot run with a terminal",
                b.method
            )));
        };
        let mut framed = crate::transport::tty_frame::FramedReader::new(input);
        let mut stdout = Vec::new();
        let outcome = conn
            .exec_stream(
                &line,
                Some(&mut framed),
                &mut stdout,
                Some(dialog.as_mut()),
                true,
            )
            .await
            .map_err(ModuleError::Unreachable)?;
        match outcome {
            DialogOutcome::Finished(mut out) => {
                if missing_password(&out) {
                    return Err(missing_password_error(&b.method));
                }
                out.stdout = stdout;
                Ok(out)
            }
            DialogOutcome::Failed { msg, .. } => Err(ModuleError::Failed(msg)),
        }
    }

    /// A command line with the task's environment exported first.
    fn with_env(&self, cmd: &str) -> String {
        if self.env.is_empty() {
            cmd.to_string()
        } else {
            let exports: Vec<String> = self
                .env
                .iter()
                .filter(|(k, _)| crate::modules::is_identifier(k))
                .map(|(k, v)| format!("{k}={}", quote(v)))
                .collect();
            format!("export {}; {cmd}", exports.join(" "))
        }
    }

    /// Runs a command line with a terminal (`raw`). A become password is
    /// answered on the terminal, as Ansible's ssh connection does for `raw`.
    pub async fn run_tty(&self, cmd: &str) -> Result<ExecOutput, ModuleError> {
        let conn = self.connection()?;
        let esc = self.become_.as_ref().and_then(|b| {
            let pw = b.password.as_ref()?;
            Escalation::on_tty(
                &b.method,
                &b.head(),
                &b.user,
                &self.with_env(cmd),
                Some(pw),
                TtyMode::Cooked,
            )
        });
        match esc {
            Some(esc) => {
                // raw has no module result: what the become program said
                // is the command's output, as Ansible shows it.
                let mut out = match self.converse(conn, esc, None).await {
                    Err(ModuleError::NotEscalated(out)) => out,
                    other => other?,
                };
                // As `exec_tty` ends it: raw's stderr is this line.
                if let Some(notice) = conn.tty_closed_notice() {
                    out.stderr.extend_from_slice(notice.as_bytes());
                }
                Ok(out)
            }
            None => conn
                .exec_tty(&self.wrap_become(cmd))
                .await
                .map_err(ModuleError::Unreachable),
        }
    }

    fn connection(&self) -> Result<&Arc<dyn Connection>, ModuleError> {
        self.conn.as_ref().ok_or_else(|| {
            ModuleError::Unreachable(crate::transport::TransportError::Protocol(
                "no connection to the host".into(),
            ))
        })
    }

    /// Runs an escalated command with its password conversation (on a
    /// terminal when `esc` was made for one) and returns the command's own
    /// output.
    async fn converse(
        &self,
        conn: &Arc<dyn Connection>,
        mut esc: Escalation,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, ModuleError> {
        let command = esc.command.clone();
        let tty = esc.on_terminal();
        match conn
            .exec_dialog(&command, tty, &mut esc, stdin)
            .await
            .map_err(ModuleError::Unreachable)?
        {
            DialogOutcome::Finished(out) => {
                if esc.succeeded(&out) {
                    return Ok(esc.clean(out));
                }
                if missing_password(&out) {
                    return Err(missing_password_error(esc.method()));
                }
                // The become program ended without running the command:
                // its words are no result of the command's.
                Err(ModuleError::NotEscalated(esc.clean(out)))
            }
            DialogOutcome::Failed { msg, .. } => Err(ModuleError::Failed(msg)),
        }
    }

    /// Runs a shell command line on the host (with become if set). With a
    /// become password, the prompt is answered on the command's stdin (see
    /// `escalation`); a wrong or missing password fails the task with
    /// Ansible's words.
    pub async fn run(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, ModuleError> {
        let conn = self.connection()?;
        let cmd = self.with_env(cmd);
        let Some(b) = &self.become_ else {
            return conn
                .exec(&cmd, stdin)
                .await
                .map_err(ModuleError::Unreachable);
        };
        if b.wants_tty(conn.as_ref()) {
            return self.run_on_tty(conn, b, &cmd, stdin).await;
        }
        let out = match &b.password {
            Some(pw) => match Escalation::new(&b.method, &b.head(), &b.user, &cmd, pw) {
                // A refusal for want of a terminal is tried again below.
                Some(esc) => match self.converse(conn, esc, stdin).await {
                    Err(ModuleError::NotEscalated(out)) if b.refused_without_tty(&out) => out,
                    other => other?,
                },
                None => self.plain(conn, b, &cmd, stdin).await?,
            },
            None => self.plain(conn, b, &cmd, stdin).await?,
        };
        // sudo with `Defaults requiretty` refuses before doing anything:
        // the same command is run again with a terminal.
        if b.refused_without_tty(&out) {
            tracing::debug!("{}: sudo requires a terminal; running with one", self.host);
            conn.note_escalation_needs_tty();
            return self.run_on_tty(conn, b, &cmd, stdin).await;
        }
        Ok(out)
    }

    /// Escalation without a password conversation.
    async fn plain(
        &self,
        conn: &Arc<dyn Connection>,
        b: &Become,
        cmd: &str,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, ModuleError> {
        let out = conn
            .exec(&b.wrap(cmd), stdin)
            .await
            .map_err(ModuleError::Unreachable)?;
        if missing_password(&out) {
            return Err(missing_password_error(&b.method));
        }
        Ok(out)
    }

    /// Runs `cmd` escalated on a terminal in raw mode, its stdin passed
    /// through unchanged. The terminal merges the command's stderr into
    /// its stdout, as Ansible's `-tt` does.
    async fn run_on_tty(
        &self,
        conn: &Arc<dyn Connection>,
        b: &Become,
        cmd: &str,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, ModuleError> {
        let mode = TtyMode::Raw {
            stdin_len: stdin.map_or(0, <[u8]>::len),
        };
        let esc = b.on_tty(cmd, mode).ok_or_else(|| {
            ModuleError::Failed(format!(
                "become method {} cannot run with a terminal",
                b.method
            ))
        })?;
        self.converse(conn, esc, stdin).await
    }
}

/// Counts what a stream gave, so a refused command can tell whether its
/// input is still whole.
struct CountingReader<'a> {
    inner: &'a mut (dyn tokio::io::AsyncRead + Send + Unpin),
    n: u64,
}

impl tokio::io::AsyncRead for CountingReader<'_> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = std::pin::Pin::new(&mut *this.inner).poll_read(cx, buf);
        this.n += (buf.filled().len() - before) as u64;
        res
    }
}

/// sudo's words when `Defaults requiretty` is set and there is no terminal
/// (older sudo said the second).
fn requires_tty(out: &ExecOutput) -> bool {
    let text = String::from_utf8_lossy(if out.stderr.is_empty() {
        &out.stdout
    } else {
        &out.stderr
    });
    text.contains("sorry, you must have a tty to run sudo")
        || text.contains("sudo: a terminal is required")
}

/// What `sudo -n` and `doas -n` say when they would have to ask: the
/// only output of a failed command (on a terminal, the only words before
/// the marker, which the caller checks).
fn missing_password(out: &ExecOutput) -> bool {
    let text = match (out.stdout.is_empty(), out.stderr.is_empty()) {
        (true, _) => &out.stderr,
        (false, true) => &out.stdout,
        (false, false) => return false,
    };
    // opendoas says "Authentication", OpenBSD's doas "Authorization".
    out.rc != 0
        && [
            &b"sudo: a password is required"[..],
            b"doas: Authentication required",
            b"doas: Authorization required",
        ]
        .iter()
        .any(|w| text.windows(w.len()).any(|x| x == *w))
}

fn missing_password_error(method: &str) -> ModuleError {
    ModuleError::Failed(format!("Task failed: Missing {method} password"))
}
