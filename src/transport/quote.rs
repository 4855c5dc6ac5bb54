// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The one POSIX shell quoting routine. Every value that goes into a remote
//! command line passes through here; nothing else builds command text.

/// Quotes `s` as one word for a POSIX shell: wrapped in single quotes, with
/// each embedded `'` written as `'\''`. Words made only of safe characters
/// are returned as they are, to keep commands readable in `-vvv` output.
pub fn quote(s: &str) -> String {
    quote_bytes(s.as_bytes())
}

/// Like [`quote`], for arbitrary bytes (paths need not be UTF-8). Bytes that
/// are not UTF-8 are kept by writing them with `printf` octal escapes inside
/// a command substitution; the result is still one shell word.
pub fn quote_bytes(b: &[u8]) -> String {
    if !b.is_empty() && b.iter().all(|c| is_safe(*c)) {
        // All ASCII, so this cannot fail.
        return String::from_utf8_lossy(b).into_owned();
    }
    match std::str::from_utf8(b) {
        Ok(s) => {
            let mut out = String::with_capacity(s.len() + 2);
            out.push('\'');
            for ch in s.chars() {
                if ch == '\'' {
                    out.push_str("'\\''");
                } else {
                    out.push(ch);
                }
            }
            out.push('\'');
            out
        }
        Err(_) => {
            // Command lines are UTF-8 text, so raw bytes are written as printf
            // octal escapes inside one double-quoted command substitution.
            let mut esc = String::new();
            for &c in b {
                if c.is_ascii_alphanumeric() {
                    esc.push(c as char);
                } else {
                    esc.push_str(&format!("\\{c:03o}"));
                }
            }
            format!("\"$(printf '{esc}')\"")
        }
    }
}

fn is_safe(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'_' | b'-' | b'.' | b'/' | b',' | b':' | b'=' | b'+' | b'@' | b'%'
        )
}

/// Joins words into a command line, quoting each.
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn echo_back(word: &str) -> Vec<u8> {
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("printf %s {word}"))
            .output()
            .expect("sh runs");
        out.stdout
    }

    #[test]
    fn hostile_values_round_trip_through_sh() {
        let cases = [
            "plain",
            "",
            "with space",
            "it's",
            "$(touch /tmp/pwned)",
            "`id`",
            "a;b",
            "*",
            "-rf",
            "new\nline",
            "'\"'",
            "back\\slash",
            "$HOME",
            "~",
            "é ü",
            "tab\there",
            "!",
            "#x",
        ];
        for c in cases {
            assert_eq!(echo_back(&quote(c)), c.as_bytes(), "case {c:?}");
        }
    }

    #[test]
    fn non_utf8_bytes_round_trip() {
        let raw: &[u8] = b"caf\xe9 'x'\xff";
        assert_eq!(echo_back(&quote_bytes(raw)), raw);
    }

    #[test]
    fn safe_words_stay_readable() {
        assert_eq!(quote("/etc/hosts"), "/etc/hosts");
        assert_eq!(join(&["ls", "-l", "a b"]), "ls -l 'a b'");
    }
}
