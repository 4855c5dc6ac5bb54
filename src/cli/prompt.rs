// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Asking on the terminal: the SSH and become passwords (`-k`, `-K`), key
//! passphrases, vault passwords, `vars_prompt` and `--step`. One routine
//! ([`terminal_line`]) does every read: on the controlling terminal
//! (`/dev/tty`, as Python's `getpass` does), echo off for secrets and back
//! on whatever happens, and never without a terminal (a run from cron or
//! CI must fail at once rather than wait on a stdin nobody writes to).

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use crate::transport::Secret;
use crate::vault::Prompter;

/// Why nothing could be read.
#[derive(Debug)]
pub enum PromptError {
    /// No controlling terminal (or stdin is not one, for the run's own
    /// questions).
    NoTerminal(String),
    /// Echo could not be turned off: the secret is not read in the clear.
    Echo(String),
    /// The read itself failed, or the terminal was closed (EOF).
    Read(String),
}

impl std::fmt::Display for PromptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PromptError::NoTerminal(why) => write!(f, "no terminal ({why})"),
            PromptError::Echo(why) | PromptError::Read(why) => f.write_str(why),
        }
    }
}

/// The one terminal read: writes `prompt` on the controlling terminal and
/// reads one line from it, without echo when `hidden`. The line comes back
/// without its line end.
pub fn terminal_line(prompt: &str, hidden: bool) -> Result<Zeroizing<String>, PromptError> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| PromptError::NoTerminal(e.to_string()))?;
    // Echo goes off before the prompt shows: whatever is typed once the
    // question is visible is never echoed.
    if hidden {
        stty("-echo", &tty)?;
    }
    let _ = tty.write_all(prompt.as_bytes());
    let _ = tty.flush();
    let mut line = Zeroizing::new(String::new());
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    if hidden {
        // Echo comes back whatever happened to the read; the newline the
        // user typed was not echoed, so it is written for them.
        let restored = stty("echo", &tty);
        let _ = tty.write_all(b"\n");
        restored?;
    }
    read.map_err(|e| PromptError::Read(format!("reading the answer: {e}")))?;
    if line.is_empty() {
        return Err(PromptError::Read("EOF (ctrl-d) on the prompt".into()));
    }
    let end = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(end);
    Ok(line)
}

/// Turns echo on or off with `stty` on the terminal (no unsafe code here).
fn stty(setting: &str, tty: &std::fs::File) -> Result<(), PromptError> {
    let input = tty
        .try_clone()
        .map_err(|e| PromptError::Echo(e.to_string()))?;
    let status = Command::new("stty")
        .arg(setting)
        .stdin(Stdio::from(input))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| PromptError::Echo(format!("cannot run stty to hide the answer: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(PromptError::Echo(format!(
            "stty {setting} failed; not reading a secret in the clear"
        )))
    }
}

/// The run's own questions need stdin to be the terminal too: a run whose
/// stdin is redirected is not interactive, even from a terminal.
fn interactive() -> Result<(), PromptError> {
    if std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(PromptError::NoTerminal("stdin is not a terminal".into()))
    }
}

/// Asks a password (`-k`, `-K`) once, hidden.
pub fn ask_secret(prompt: &str) -> Result<Secret, String> {
    let no_terminal = || {
        format!(
            "{} needs a terminal to ask for the password; set it in the inventory (or a vault) instead",
            prompt.trim_end().trim_end_matches(':')
        )
    };
    interactive().map_err(|_| no_terminal())?;
    match terminal_line(prompt, true) {
        Ok(line) => Ok(Secret::new(line.as_str())),
        Err(PromptError::NoTerminal(_)) => Err(no_terminal()),
        Err(e) => Err(e.to_string()),
    }
}

/// The passphrase of an encrypted SSH key (installed as the transport's
/// prompt): asked like the passwords, once per key and run.
pub fn ask_passphrase(prompt: &str) -> Result<Secret, String> {
    let no_terminal = || {
        "no terminal to ask for its passphrase; add the key to ssh-agent or give a key without one"
            .to_string()
    };
    interactive().map_err(|_| no_terminal())?;
    match terminal_line(prompt, true) {
        Ok(line) => Ok(Secret::new(line.as_str())),
        Err(PromptError::NoTerminal(_)) => Err(no_terminal()),
        Err(e) => Err(e.to_string()),
    }
}

/// Asks one value (`vars_prompt`, `--step`), hidden when `private`.
pub fn ask(prompt: &str, private: bool) -> Result<String, String> {
    let no_terminal = || format!("{} needs a terminal", prompt.trim_end());
    interactive().map_err(|_| no_terminal())?;
    match terminal_line(prompt, private) {
        Ok(line) => Ok(line.as_str().to_string()),
        Err(PromptError::NoTerminal(_)) => Err(no_terminal()),
        Err(e) => Err(e.to_string()),
    }
}

/// Vault passwords (`--ask-vault-pass`, `kiln vault` without a password
/// file) from the terminal.
pub struct TerminalPrompt;

impl TerminalPrompt {
    /// Whether there is a terminal to prompt on.
    pub fn available() -> bool {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_ok()
    }
}

impl Prompter for TerminalPrompt {
    fn password(&mut self, prompt: &str) -> Result<Zeroizing<String>, String> {
        terminal_line(prompt, true).map_err(|e| match e {
            PromptError::NoTerminal(why) => format!(
                "cannot prompt for the vault password: no terminal ({why}); give --vault-password-file or --vault-id LABEL@FILE instead"
            ),
            other => format!("vault password: {other}"),
        })
    }
}
