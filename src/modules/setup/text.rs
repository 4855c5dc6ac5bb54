// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Python text helpers whose exact behaviour decides fact values: `shlex`
//! splitting (os-release is read with the POSIX mode, /proc/cmdline with the
//! non-POSIX mode, which keeps quotes), `fnmatch` for `filter`, and
//! `bytes_to_human` for device sizes.

const WHITESPACE: &[char] = &[' ', '\t', '\r', '\n'];

#[derive(Clone, Copy, PartialEq)]
enum St {
    Start,
    Word,
    Quote(char),
    Escape(char),
    Comment,
}

/// `shlex.shlex(text, posix=...)` with `whitespace_split = True`, tokens
/// collected like `list(lexer)` (`comments`: whether `#` starts a comment).
/// Fails like Python on an unclosed quote or a trailing backslash.
pub fn shlex_split(text: &str, posix: bool, comments: bool) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut token = String::new();
    let mut quoted = false;
    let mut state = St::Start;
    let mut resume = St::Word;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    loop {
        let ch = chars.get(i).copied();
        i += 1;
        match state {
            St::Comment => match ch {
                None => break,
                Some('\n') => state = St::Start,
                Some(_) => {}
            },
            St::Start | St::Word => {
                let Some(c) = ch else {
                    if state == St::Word || (posix && quoted) {
                        tokens.push(std::mem::take(&mut token));
                    }
                    break;
                };
                if WHITESPACE.contains(&c) {
                    let word = state == St::Word && !token.is_empty();
                    if word || (posix && quoted) {
                        tokens.push(std::mem::take(&mut token));
                        quoted = false;
                    }
                    state = St::Start;
                } else if comments && c == '#' {
                    if !token.is_empty() || (posix && quoted) {
                        tokens.push(std::mem::take(&mut token));
                        quoted = false;
                    }
                    state = St::Comment;
                } else if posix && c == '\\' {
                    resume = St::Word;
                    state = St::Escape('\\');
                } else if c == '"' || c == '\'' {
                    if posix {
                        state = St::Quote(c);
                    } else if state == St::Start {
                        token.push(c);
                        state = St::Quote(c);
                    } else {
                        token.push(c);
                    }
                } else {
                    token.push(c);
                    state = St::Word;
                }
            }
            St::Quote(q) => {
                quoted = true;
                let Some(c) = ch else {
                    return Err("No closing quotation".into());
                };
                if c == q {
                    if posix {
                        state = St::Word;
                    } else {
                        token.push(c);
                        tokens.push(std::mem::take(&mut token));
                        quoted = false;
                        state = St::Start;
                    }
                } else if posix && c == '\\' && q == '"' {
                    resume = St::Quote(q);
                    state = St::Escape('\\');
                } else {
                    token.push(c);
                }
            }
            St::Escape(_) => {
                let Some(c) = ch else {
                    return Err("No escaped character".into());
                };
                // Inside double quotes a backslash only escapes `"` and `\`.
                if let St::Quote(q) = resume
                    && c != q
                    && c != '\\'
                {
                    token.push('\\');
                }
                token.push(c);
                state = resume;
            }
        }
    }
    Ok(tokens)
}

/// `fnmatch.fnmatch(name, pattern)` on POSIX (case-sensitive): `*`, `?`,
/// `[seq]`, `[!seq]`.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let n: Vec<char> = name.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    matches_at(&n, &p)
}

fn matches_at(n: &[char], p: &[char]) -> bool {
    let Some((&first, rest)) = p.split_first() else {
        return n.is_empty();
    };
    match first {
        '*' => (0..=n.len()).any(|k| matches_at(&n[k..], rest)),
        '?' => !n.is_empty() && matches_at(&n[1..], rest),
        '[' => match class(rest) {
            Some((negate, set, after)) => {
                let Some((&c, nrest)) = n.split_first() else {
                    return false;
                };
                let inside = set.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                inside != negate && matches_at(nrest, after)
            }
            // An unclosed `[` is a literal.
            None => n.first() == Some(&'[') && matches_at(&n[1..], rest),
        },
        c => n.first() == Some(&c) && matches_at(&n[1..], rest),
    }
}

type Class<'a> = (bool, Vec<(char, char)>, &'a [char]);

/// Parses a bracket expression after its `[`.
fn class(p: &[char]) -> Option<Class<'_>> {
    let mut i = 0;
    let negate = matches!(p.first(), Some('!'));
    if negate {
        i += 1;
    }
    let mut set = Vec::new();
    let mut first = true;
    while i < p.len() {
        let c = p[i];
        if c == ']' && !first {
            return Some((negate, set, &p[i + 1..]));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            set.push((c, p[i + 2]));
            i += 3;
        } else {
            set.push((c, c));
            i += 1;
        }
    }
    None
}

/// Ansible's `bytes_to_human(size)`: `'%.2f %s'` with binary units.
pub fn bytes_to_human(size: f64) -> String {
    const UNITS: &[(&str, u32)] = &[
        ("Y", 80),
        ("Z", 70),
        ("E", 60),
        ("P", 50),
        ("T", 40),
        ("G", 30),
        ("M", 20),
        ("K", 10),
    ];
    for (unit, shift) in UNITS {
        let limit = 2f64.powi(*shift as i32);
        if size >= limit {
            return format!("{:.2} {unit}B", size / limit);
        }
    }
    format!("{size:.2} Bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str, posix: bool) -> Vec<String> {
        shlex_split(s, posix, posix).expect("splits")
    }

    #[test]
    fn posix_shlex_like_os_release() {
        assert_eq!(
            split(
                "NAME=\"Debian GNU/Linux\"\nID=debian # c\nX='a b'\\ c\n",
                true
            ),
            ["NAME=Debian GNU/Linux", "ID=debian", "X=a b c"]
        );
        assert_eq!(split(r#"A="x\"y\z""#, true), [r#"A=x"y\z"#]);
        assert_eq!(split("E=''", true), ["E="]);
        assert!(shlex_split("A=\"open", true, true).is_err());
    }

    #[test]
    fn non_posix_shlex_like_proc_cmdline() {
        assert_eq!(
            split("ro root=/dev/vda \"a b\"c quiet x=\"1 2\"", false),
            [
                "ro",
                "root=/dev/vda",
                "\"a b\"",
                "c",
                "quiet",
                "x=\"1",
                "2\""
            ]
        );
    }

    #[test]
    fn fnmatch_patterns() {
        assert!(fnmatch("ansible_memtotal_mb", "ansible_*_mb"));
        assert!(fnmatch("ansible_eth1", "ansible_eth[0-2]"));
        assert!(!fnmatch("ansible_eth3", "ansible_eth[0-2]"));
        assert!(fnmatch("ansible_eth3", "ansible_eth[!0-2]"));
        assert!(fnmatch("a?c", "a[?]c"));
        assert!(!fnmatch("Ansible_x", "ansible_*"));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(bytes_to_human(0.0), "0.00 Bytes");
        assert_eq!(bytes_to_human(274877906944.0), "256.00 GB");
        assert_eq!(bytes_to_human(1536.0), "1.50 KB");
    }
}
