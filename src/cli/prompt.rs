// SPDX-License-Identifier: MIT
//! Asking for a password on the terminal (`-k`, `-K`): once per run, with
//! echo off, and never without a terminal (a run from cron or CI must fail
//! at once rather than wait on a stdin nobody writes to).

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};

use crate::transport::Secret;

/// Prints `prompt` on stderr and reads one line from the terminal without
/// echoing it.
pub fn ask_secret(prompt: &str) -> Result<Secret, String> {
    read_hidden(prompt).ok_or_else(|| {
        format!(
            "{} needs a terminal to ask for the password; set it in the inventory (or a vault) instead",
            prompt.trim_end().trim_end_matches(':')
        )
    })?
}

/// The passphrase of an encrypted SSH key (installed as the transport's
/// prompt): asked like the passwords, once per key and run.
pub fn ask_passphrase(prompt: &str) -> Result<Secret, String> {
    read_hidden(prompt).ok_or_else(|| {
        "no terminal to ask for its passphrase; add the key to ssh-agent or give a key without one"
            .to_string()
    })?
}

/// The one hidden read: `None` without a terminal on stdin.
fn read_hidden(prompt: &str) -> Option<Result<Secret, String>> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return None;
    }
    Some(read_hidden_line(&stdin, prompt))
}

fn read_hidden_line(stdin: &std::io::Stdin, prompt: &str) -> Result<Secret, String> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    // `stty` on the terminal turns echo off without any unsafe code here.
    let echo_off = stty("-echo");
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if echo_off {
        stty("echo");
    }
    let _ = writeln!(err);
    read.map_err(|e| format!("reading the password: {e}"))?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    line.clear();
    Ok(Secret::new(password))
}

fn stty(setting: &str) -> bool {
    Command::new("stty")
        .arg(setting)
        .stdin(Stdio::inherit())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Asks one value on the terminal (`vars_prompt`, `--step`): on stderr,
/// with echo off when `private`.
pub fn ask(prompt: &str, private: bool) -> Result<String, String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(format!("{} needs a terminal", prompt.trim_end()));
    }
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let echo_off = private && stty("-echo");
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if echo_off {
        stty("echo");
        let _ = writeln!(err);
    }
    read.map_err(|e| format!("reading the answer: {e}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}
