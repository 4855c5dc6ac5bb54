// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Splits a string into words the way Ansible splits `ssh_args`,
//! `ansible_ssh_common_args` and `ansible_ssh_extra_args` (Python's
//! `shlex.split` in POSIX mode): blanks separate words, single quotes keep
//! everything literally, double quotes keep everything but `\"` and `\\`,
//! and outside quotes a backslash takes the next character literally.

/// Why a string could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// A quote opened at this character offset was never closed.
    NoClosingQuotation(usize),
    /// The text ends with a lone backslash.
    NoEscapedCharacter,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Python's own words, which Ansible users have seen before.
            SplitError::NoClosingQuotation(at) => {
                write!(f, "No closing quotation (quote at character {})", at + 1)
            }
            SplitError::NoEscapedCharacter => f.write_str("No escaped character"),
        }
    }
}

impl std::error::Error for SplitError {}

/// The words of `s`.
pub fn split(s: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    // Whether a word has started: `''` is an (empty) word of its own.
    let mut in_word = false;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\\' => match chars.next() {
                Some((_, n)) => {
                    cur.push(n);
                    in_word = true;
                }
                None => return Err(SplitError::NoEscapedCharacter),
            },
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, n)) => cur.push(n),
                        None => return Err(SplitError::NoClosingQuotation(i)),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.peek() {
                            Some(&(_, n @ ('"' | '\\'))) => {
                                cur.push(n);
                                chars.next();
                            }
                            Some(_) => cur.push('\\'),
                            None => return Err(SplitError::NoClosingQuotation(i)),
                        },
                        Some((_, n)) => cur.push(n),
                        None => return Err(SplitError::NoClosingQuotation(i)),
                    }
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(s: &str) -> Vec<String> {
        split(s).expect("splits")
    }

    #[test]
    fn splits_like_python_shlex() {
        assert_eq!(sp("  -o  A=b  "), ["-o", "A=b"]);
        assert_eq!(
            sp(r#"-o ProxyCommand="ssh -W %h:%p -q bastion""#),
            ["-o", "ProxyCommand=ssh -W %h:%p -q bastion"]
        );
        assert_eq!(sp("'a b'c \"d\"''"), ["a bc", "d"]);
        assert_eq!(sp(r#"a\ b "x\"y\\z\n" 'q\'"#), ["a b", "x\"y\\z\\n", r"q\"]);
        assert_eq!(sp("''"), [""]);
        assert_eq!(sp(""), Vec::<String>::new());
        assert_eq!(sp("é\tü"), ["é", "ü"]);
    }

    #[test]
    fn reports_unbalanced_input() {
        assert_eq!(split("a 'b"), Err(SplitError::NoClosingQuotation(2)));
        assert_eq!(split("\"x\\"), Err(SplitError::NoClosingQuotation(0)));
        assert_eq!(split("a\\"), Err(SplitError::NoEscapedCharacter));
        assert_eq!(
            split("x 'y").map_err(|e| e.to_string()),
            Err("No closing quotation (quote at character 3)".to_string())
        );
    }
}
