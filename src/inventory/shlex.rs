// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Splitting of INI host lines. Ansible splits a host line with Python's
//! POSIX `shlex` with comments on, so `#` ends the line even inside a word
//! (`pass=ab#cd` keeps only `pass=ab`) but not inside quotes, and a
//! backslash escapes any character outside quotes.

/// One word of a host line and the character index where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub start: usize,
}

/// Why a line cannot be split (Python's own messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    NoClosingQuotation,
    NoEscapedCharacter,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SplitError::NoClosingQuotation => "No closing quotation",
            SplitError::NoEscapedCharacter => "No escaped character",
        })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Between,
    Word,
    Quote(char),
    /// After a backslash; remembers the state to return to.
    Escape(Quoting),
}

#[derive(Clone, Copy, PartialEq)]
enum Quoting {
    Word,
    Double,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Splits `line` like `shlex.split(line, comments=True)`.
pub fn split(line: &str) -> Result<Vec<Word>, SplitError> {
    let mut out = Vec::new();
    let mut state = State::Between;
    let mut token = String::new();
    let mut start = 0;
    // An empty quoted string ('') is still a word.
    let mut quoted = false;
    for (i, c) in line.chars().enumerate() {
        match state {
            State::Between => {
                if is_space(c) {
                    continue;
                }
                if c == '#' {
                    break;
                }
                start = i;
                match c {
                    '\\' => state = State::Escape(Quoting::Word),
                    '\'' | '"' => {
                        quoted = true;
                        state = State::Quote(c);
                    }
                    _ => {
                        token.push(c);
                        state = State::Word;
                    }
                }
            }
            State::Word => {
                if is_space(c) || c == '#' {
                    out.push(Word {
                        text: std::mem::take(&mut token),
                        start,
                    });
                    quoted = false;
                    state = State::Between;
                    if c == '#' {
                        return Ok(out);
                    }
                    continue;
                }
                match c {
                    '\\' => state = State::Escape(Quoting::Word),
                    '\'' | '"' => {
                        quoted = true;
                        state = State::Quote(c);
                    }
                    _ => token.push(c),
                }
            }
            State::Quote(q) => {
                if c == q {
                    state = State::Word;
                } else if c == '\\' && q == '"' {
                    state = State::Escape(Quoting::Double);
                } else {
                    token.push(c);
                }
            }
            State::Escape(back) => {
                // Inside double quotes only `\\` and `\"` are escapes; any
                // other backslash stays.
                if back == Quoting::Double && c != '"' && c != '\\' {
                    token.push('\\');
                }
                token.push(c);
                state = match back {
                    Quoting::Word => State::Word,
                    Quoting::Double => State::Quote('"'),
                };
            }
        }
    }
    match state {
        State::Quote(_) => return Err(SplitError::NoClosingQuotation),
        State::Escape(_) => return Err(SplitError::NoEscapedCharacter),
        State::Word => out.push(Word { text: token, start }),
        State::Between => {
            if quoted {
                out.push(Word { text: token, start });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split(s)
            .map(|w| w.into_iter().map(|w| w.text).collect())
            .unwrap_or_default()
    }

    #[test]
    fn posix_rules() {
        assert_eq!(words("h1 a=1 b=\"x y\""), ["h1", "a=1", "b=x y"]);
        assert_eq!(words("h p=ab#cd q=1"), ["h", "p=ab"]);
        assert_eq!(words("h q=\"a#b\""), ["h", "q=a#b"]);
        assert_eq!(words(r"h r=a\ b"), ["h", "r=a b"]);
        assert_eq!(words("h s='it''s'"), ["h", "s=its"]);
        assert_eq!(
            words(r#"h t="x\"y" v="a\qb" w='a\qb'"#),
            ["h", "t=x\"y", "v=a\\qb", "w=a\\qb"]
        );
        assert_eq!(words("h a=''"), ["h", "a="]);
        assert_eq!(words("h   # c"), ["h"]);
        let w = split("host  k=v").unwrap_or_default();
        assert_eq!(w[1].start, 6);
        assert_eq!(split("h a='x"), Err(SplitError::NoClosingQuotation));
        assert_eq!(split("h a=x\\"), Err(SplitError::NoEscapedCharacter));
    }
}
