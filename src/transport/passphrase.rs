// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Passphrases of encrypted identity files: asked once per run on the
//! terminal, whatever the number of hosts. The program installs how to ask
//! (the CLI's one terminal prompt); without that, or without a terminal,
//! the key is skipped with the reason, and the login fails cleanly instead
//! of waiting for an answer nobody can give.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use super::Secret;

/// Reads a secret on the terminal for a prompt; an error says why not.
pub type PromptFn = fn(&str) -> Result<Secret, String>;

static PROMPT: OnceLock<PromptFn> = OnceLock::new();

/// The answers so far, refusals included, so each key is asked about once.
static ANSWERS: Mutex<Vec<(PathBuf, Result<Secret, String>)>> = Mutex::new(Vec::new());

/// Installs the terminal prompt (once per process; later calls are no-ops).
pub fn set_prompt(f: PromptFn) {
    let _ = PROMPT.set(f);
}

/// The passphrase for the key at `path`, asked at most once: concurrent
/// connections wait for the one prompt and share its answer.
pub(crate) fn passphrase(path: &Path) -> Result<Secret, String> {
    // A poisoned lock means a panic while prompting; the list is still valid.
    let mut answers = ANSWERS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, r)) = answers.iter().find(|(p, _)| p == path) {
        return r.clone();
    }
    let r = match PROMPT.get() {
        Some(ask) => ask(&format!("Enter passphrase for key '{}': ", path.display())),
        None => Err("no terminal prompt available".into()),
    };
    answers.push((path.to_path_buf(), r.clone()));
    r
}

/// Forgets a passphrase that turned out wrong, keeping the refusal, so the
/// run does not ask again for every host.
pub(crate) fn wrong(path: &Path) {
    let mut answers = ANSWERS.lock().unwrap_or_else(|p| p.into_inner());
    for (p, r) in answers.iter_mut() {
        if p == path {
            *r = Err("incorrect passphrase".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_prompt_the_refusal_is_remembered() {
        let p = Path::new("/nonexistent/kiln-test-key");
        let first = passphrase(p).expect_err("no prompt installed in unit tests");
        assert_eq!(first, "no terminal prompt available");
        assert_eq!(passphrase(p).expect_err("same answer"), first);
        wrong(p);
        assert_eq!(
            passphrase(p).expect_err("now wrong"),
            "incorrect passphrase"
        );
    }
}
