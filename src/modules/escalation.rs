// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Privilege escalation with a password. The command runs as
//! `sudo -H -S -p PROMPT -u USER /bin/sh -c 'echo MARKER; CMD'` (or `su USER
//! -c ...`); the password goes to the command's stdin only once the prompt
//! has been seen on its stderr, never on a command line, and the command's
//! own stdin only once the marker shows that escalation succeeded. A second
//! prompt or sudo's "Sorry, try again." means the password was wrong: the
//! command is stopped at once instead of waiting for more tries.

use std::time::Duration;

use crate::transport::{Dialog, ExecOutput, Secret, Step, quote};

/// How long escalation may take before the task fails (Ansible waits its
/// connection timeout plus a little).
const ESCALATION_TIMEOUT: Duration = Duration::from_secs(12);

/// One escalated command with its conversation.
pub struct Escalation {
    method: String,
    /// The wrapped command line to run.
    pub command: String,
    prompt: String,
    marker: String,
    /// `None`: nothing to answer (the command runs with `-n`).
    password: Option<Secret>,
    answered: bool,
    /// Run with a terminal: the prompt and the command's stderr arrive on
    /// stdout.
    tty: bool,
}

/// How a command with a terminal treats its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtyMode {
    /// The terminal as it comes (`raw`, which has no stdin of its own):
    /// lines end in `\r\n`, as Ansible's `raw` shows them.
    Cooked,
    /// Switched to raw mode, so `stdin_len` bytes of input reach the
    /// command unchanged and its output comes back unchanged.
    Raw { stdin_len: usize },
    /// Raw mode too, for input of unknown length: it arrives framed (see
    /// `transport::tty_frame`) and is unpacked before the command.
    Framed,
}

impl Escalation {
    /// Wraps `cmd` for `method` (`sudo` or `su`) to run as `user`; `head`
    /// is the become program with its flags (`sudo -H`, see
    /// `Become::head`). `None` for methods that cannot take a password
    /// without a terminal (doas: see [`Escalation::on_tty`]).
    pub fn new(
        method: &str,
        head: &str,
        user: &str,
        cmd: &str,
        password: &Secret,
    ) -> Option<Escalation> {
        Escalation::build(method, head, user, cmd, Some(password), None)
    }

    /// Like `new`, for a command run with a terminal: sudo with
    /// `Defaults requiretty`, doas (which reads a password only from a
    /// terminal), and `raw`. Without a password, sudo and doas run with
    /// `-n`, the marker still telling where their own words end.
    pub fn on_tty(
        method: &str,
        head: &str,
        user: &str,
        cmd: &str,
        password: Option<&Secret>,
        mode: TtyMode,
    ) -> Option<Escalation> {
        Escalation::build(method, head, user, cmd, password, Some(mode))
    }

    fn build(
        method: &str,
        head: &str,
        user: &str,
        cmd: &str,
        password: Option<&Secret>,
        tty: Option<TtyMode>,
    ) -> Option<Escalation> {
        let key: String = (0..32)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz"[rand::random::<usize>() % 26]))
            .collect();
        let marker = format!("BECOME-SUCCESS-{key}");
        let inner = match tty {
            // The terminal is switched to raw mode below, so the command's
            // stdin passes byte for byte; a terminal has no end of input,
            // so exactly the bytes sent are handed on.
            // Braces: the whole command line reads nothing, not just its
            // last simple command (whose own `< file` would be overridden).
            Some(TtyMode::Raw { stdin_len: 0 }) => {
                format!("echo {marker}; {{ {cmd}\n}} </dev/null")
            }
            Some(TtyMode::Raw { stdin_len }) => format!(
                "echo {marker}; head -c {stdin_len} | /bin/sh -c {}",
                quote(cmd)
            ),
            Some(TtyMode::Framed) => format!(
                "echo {marker}; {{ {}; }} | /bin/sh -c {}",
                crate::transport::tty_frame::UNFRAME,
                quote(cmd)
            ),
            Some(TtyMode::Cooked) | None => format!("echo {marker}; {cmd}"),
        };
        let (command, prompt) = match (method, password) {
            ("sudo", Some(_)) => {
                let prompt = format!("[sudo via kiln, key={key}] password:");
                // -k: a cached sudo timestamp (from another login of the same
                // user) must not let a wrong password pass unnoticed.
                (
                    format!(
                        "{head} -k -S -p {} -u {} /bin/sh -c {}",
                        quote(&prompt),
                        quote(user),
                        quote(&inner)
                    ),
                    prompt,
                )
            }
            ("sudo", None) if tty.is_some() => (
                format!(
                    "{head} -k -S -n -u {} /bin/sh -c {}",
                    quote(user),
                    quote(&inner)
                ),
                String::new(),
            ),
            // su asks on stderr with its own (PAM's) prompt.
            ("su", Some(_)) => (
                format!(
                    "{head} {} -c {}",
                    quote(user),
                    quote(&format!("/bin/sh -c {}", quote(&inner)))
                ),
                String::new(),
            ),
            // doas asks on the terminal only, in its own words
            // ("doas (user@host) password: ").
            ("doas", pw) if tty.is_some() => (
                format!(
                    "{head}{} -u {} /bin/sh -c {}",
                    if pw.is_none() { " -n" } else { "" },
                    quote(user),
                    quote(&inner)
                ),
                String::new(),
            ),
            _ => return None,
        };
        // Raw mode is set by the login user before escalating: sudo copies
        // the terminal's settings to a terminal of its own (`use_pty`).
        let command = match tty {
            Some(TtyMode::Raw { .. } | TtyMode::Framed) => {
                format!("stty raw -echo 2>/dev/null; {command}")
            }
            _ => command,
        };
        Some(Escalation {
            method: method.to_string(),
            command,
            prompt,
            marker,
            password: password.cloned(),
            answered: false,
            tty: tty.is_some(),
        })
    }

    /// Where the marker line ends in `stdout` (bytes: the command's output
    /// need not be text).
    fn after_marker(&self, stdout: &[u8]) -> Option<usize> {
        // A terminal in its usual mode ends the line with "\r\n".
        [format!("{}\n", self.marker), format!("{}\r\n", self.marker)]
            .iter()
            .find_map(|line| {
                let line = line.as_bytes();
                stdout
                    .windows(line.len())
                    .position(|w| w == line)
                    .map(|i| i + line.len())
            })
    }

    fn prompt_seen(&self, stderr: &str) -> bool {
        if self.prompt.is_empty() {
            su_prompt(stderr)
        } else {
            stderr.trim_end().ends_with(&self.prompt)
        }
    }

    fn wrong_password(&self, stderr: &str) -> bool {
        match self.method.as_str() {
            "sudo" => {
                stderr.contains("Sorry, try again.") || stderr.matches(&self.prompt).count() > 1
            }
            "doas" => stderr.contains("doas: Authentication failed"),
            _ => stderr.contains("Authentication failure"),
        }
    }

    /// The become method (`sudo`, `su`, `doas`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Whether the command must run with a terminal.
    pub fn on_terminal(&self) -> bool {
        self.tty
    }

    /// Whether escalation got as far as running the command.
    pub fn succeeded(&self, out: &ExecOutput) -> bool {
        self.after_marker(&out.stdout).is_some()
    }

    /// The command's own output, with the marker line and the prompt
    /// removed. When escalation never succeeded, the output is sudo's or
    /// su's own (their words for missing rights), kept as it is.
    pub fn clean(&self, mut out: ExecOutput) -> ExecOutput {
        if let Some(end) = self.after_marker(&out.stdout) {
            out.stdout.drain(..end);
        } else if self.tty && !self.prompt.is_empty() {
            // No marker: what follows the prompt is sudo's own words.
            let prompt = self.prompt.as_bytes();
            if let Some(at) = out.stdout.windows(prompt.len()).position(|w| w == prompt) {
                out.stdout.drain(at..at + prompt.len());
            }
        }
        if self.tty {
            // Everything before the marker was the conversation.
            return out;
        }
        let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if self.prompt.is_empty() {
            // su's prompt is whatever PAM said up to the first answer.
            if self.answered
                && let Some(end) = su_prompt_end(&stderr)
            {
                stderr.drain(..end);
            }
        } else {
            stderr = stderr.replacen(&self.prompt, "", 1);
        }
        out.stderr = stderr.into_bytes();
        out
    }
}

impl Dialog for Escalation {
    fn step(&mut self, stdout: &[u8], stderr: &[u8]) -> Step {
        if self.after_marker(stdout).is_some() {
            return Step::Ready;
        }
        // With a terminal, the prompt comes on the one output stream.
        let err = String::from_utf8_lossy(if self.tty { stdout } else { stderr });
        if self.answered && self.wrong_password(&err) {
            return Step::Fail(format!("Task failed: Incorrect {} password", self.method));
        }
        if !self.answered
            && self.prompt_seen(&err)
            && let Some(password) = &self.password
        {
            self.answered = true;
            let mut answer = password.expose().as_bytes().to_vec();
            answer.push(b'\n');
            return Step::Reply(answer);
        }
        Step::Wait
    }

    fn timeout(&self) -> Duration {
        ESCALATION_TIMEOUT
    }

    fn consumed(&self, stdout: &[u8]) -> usize {
        self.after_marker(stdout).unwrap_or(0)
    }

    fn timeout_message(&self, out: &ExecOutput) -> String {
        format!(
            "Task failed: Timeout ({}s) waiting for privilege escalation prompt: {}",
            ESCALATION_TIMEOUT.as_secs(),
            String::from_utf8_lossy(&out.stdout)
        )
    }
}

/// Whether `stderr` ends with a password question, in the words PAM uses
/// (Ansible's su plugin knows the same few languages).
fn su_prompt(stderr: &str) -> bool {
    su_prompt_end(stderr).is_some_and(|end| end == stderr.len())
}

/// Where the first password question in `stderr` ends.
fn su_prompt_end(stderr: &str) -> Option<usize> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| {
            regex::Regex::new(
                r"(?i)(\w+'s )?(password|passwort|contraseña|mot de passe|senha|wachtwoord|lösenord|пароль|密码|パスワード|암호) ?(:|：) ?",
            )
            .ok()
        })
        .as_ref()?;
    re.find(stderr).map(|m| m.end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(method: &str) -> Escalation {
        Escalation::new(
            method,
            if method == "su" { "su" } else { "sudo -H" },
            "root",
            "id -un",
            &Secret::new("s3cret"),
        )
        .expect("known method")
    }

    #[test]
    fn sudo_conversation() {
        let mut e = esc("sudo");
        assert!(!e.command.contains("s3cret"));
        assert!(
            e.command
                .starts_with("sudo -H -k -S -p '[sudo via kiln, key=")
        );
        assert_eq!(e.step(b"", b""), Step::Wait);
        let prompt = e.prompt.clone();
        assert_eq!(
            e.step(b"", prompt.as_bytes()),
            Step::Reply(b"s3cret\n".to_vec())
        );
        // Answered once: the same prompt again is a wrong password.
        let again = format!("{prompt}\nSorry, try again.\n{prompt}");
        assert_eq!(
            e.step(b"", again.as_bytes()),
            Step::Fail("Task failed: Incorrect sudo password".into())
        );
        let mut e = esc("sudo");
        let prompt = e.prompt.clone();
        let _ = e.step(b"", prompt.as_bytes());
        let out = format!("{}\nroot\n", e.marker);
        assert_eq!(e.step(out.as_bytes(), prompt.as_bytes()), Step::Ready);
        let cleaned = e.clean(ExecOutput {
            rc: 0,
            stdout: out.into_bytes(),
            stderr: format!("{prompt}warn\n").into_bytes(),
        });
        assert_eq!(cleaned.stdout, b"root\n");
        assert_eq!(cleaned.stderr, b"warn\n");
    }

    #[test]
    fn on_a_terminal_the_prompt_comes_on_stdout() {
        let pw = Secret::new("s3cret");
        let mut e = Escalation::on_tty(
            "sudo",
            "sudo -H",
            "root",
            "cat",
            Some(&pw),
            TtyMode::Raw { stdin_len: 5 },
        )
        .expect("sudo on a terminal");
        // Raw mode first, as the login user; exactly 5 bytes handed on.
        assert!(
            e.command
                .starts_with("stty raw -echo 2>/dev/null; sudo -H -k -S -p ")
        );
        assert!(
            e.command.contains("head -c 5 | /bin/sh -c"),
            "{}",
            e.command
        );
        assert!(!e.command.contains("s3cret"));
        let prompt = e.prompt.clone();
        assert_eq!(e.step(b"", prompt.as_bytes()), Step::Wait);
        assert_eq!(
            e.step(prompt.as_bytes(), b""),
            Step::Reply(b"s3cret\n".to_vec())
        );
        let out = format!("{prompt}\r\n{}\r\nhello", e.marker);
        assert_eq!(e.step(out.as_bytes(), b""), Step::Ready);
        let cleaned = e.clean(ExecOutput {
            rc: 0,
            stdout: out.into_bytes(),
            stderr: Vec::new(),
        });
        assert_eq!(cleaned.stdout, b"hello");

        // No marker (sudo refused): the prompt goes, sudo's words stay.
        let refused = format!("{prompt}\r\nu is not in the sudoers file.\r\n");
        let out = ExecOutput {
            rc: 1,
            stdout: refused.into_bytes(),
            stderr: Vec::new(),
        };
        assert!(!e.succeeded(&out));
        assert_eq!(
            e.clean(out).stdout,
            b"\r\nu is not in the sudoers file.\r\n"
        );

        // No password: -n, and nothing is ever answered.
        let mut e = Escalation::on_tty("sudo", "sudo", "u", "id", None, TtyMode::Cooked)
            .expect("sudo -n on a terminal");
        assert!(
            e.command
                .starts_with("sudo -k -S -n -u u /bin/sh -c 'echo BECOME-SUCCESS-")
        );
        assert!(e.command.ends_with("; id'"), "{}", e.command);
        assert_eq!(e.step(b"Password: ", b""), Step::Wait);
    }

    #[test]
    fn doas_asks_on_the_terminal_only() {
        let pw = Secret::new("s3cret");
        assert!(Escalation::new("doas", "doas", "root", "id", &pw).is_none());
        let mut e = Escalation::on_tty(
            "doas",
            "doas",
            "root",
            "id",
            Some(&pw),
            TtyMode::Raw { stdin_len: 0 },
        )
        .expect("doas on a terminal");
        assert!(
            e.command
                .starts_with("stty raw -echo 2>/dev/null; doas -u root /bin/sh -c 'echo BECOME-"),
            "{}",
            e.command
        );
        assert!(
            e.command.ends_with("; { id\n} </dev/null'"),
            "{}",
            e.command
        );
        assert_eq!(
            e.step(b"doas (kilntty@h) password: ", b""),
            Step::Reply(b"s3cret\n".to_vec())
        );
        assert_eq!(
            e.step(
                b"doas (kilntty@h) password: \ndoas: Authentication failed\n",
                b""
            ),
            Step::Fail("Task failed: Incorrect doas password".into())
        );
        let e =
            Escalation::on_tty("doas", "doas", "u", "id", None, TtyMode::Cooked).expect("doas -n");
        assert!(e.command.starts_with("doas -n -u u "), "{}", e.command);
    }

    #[test]
    fn su_conversation() {
        let mut e = esc("su");
        assert!(e.command.starts_with("su root -c '/bin/sh -c '"));
        assert_eq!(
            e.step(b"", b"Password: "),
            Step::Reply(b"s3cret\n".to_vec())
        );
        assert_eq!(
            e.step(b"", b"Password: su: Authentication failure\n"),
            Step::Fail("Task failed: Incorrect su password".into())
        );
        let mut e = esc("su");
        assert_eq!(
            e.step(b"", b"Passwort: "),
            Step::Reply(b"s3cret\n".to_vec())
        );
        let cleaned = e.clean(ExecOutput {
            rc: 0,
            stdout: format!("{}\nok\n", e.marker).into_bytes(),
            stderr: b"Passwort: real error\n".to_vec(),
        });
        assert_eq!(cleaned.stdout, b"ok\n");
        assert_eq!(cleaned.stderr, b"real error\n");
        assert!(Escalation::new("doas", "doas", "root", "x", &Secret::new("p")).is_none());
    }
}
