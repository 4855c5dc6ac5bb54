// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The fact script's reply, split into its sections (see facts.sh): file
//! contents, file tests, directory listings, tool output with exit codes.
//! Accessors mirror the Python helpers Ansible's collectors use, so the
//! collectors read like their behaviour: `file()` is `get_file_content()`
//! (stripped, `None` when missing or empty), `exists()` is `os.path.exists()`.

use std::collections::HashMap;

/// One tool run: its stdout and exit status.
#[derive(Debug, Clone, Default)]
pub struct Cmd {
    pub out: String,
    pub rc: i32,
}

#[derive(Debug, Default)]
pub struct Raw {
    files: HashMap<String, String>,
    tests: HashMap<String, String>,
    lists: HashMap<String, Vec<String>>,
    links: HashMap<String, Vec<(String, String)>>,
    cmds: HashMap<String, Cmd>,
    bins: HashMap<String, String>,
    named: HashMap<String, String>,
    /// The environment the script started with (NUL separated).
    pub env: Vec<(String, String)>,
    /// Local fact files in the order found: (path, how it was read).
    pub local: Vec<(String, LocalRead)>,
    /// Whether the reply ended with the script's `end` section.
    pub complete: bool,
}

/// How a `*.fact` file was read on the host.
#[derive(Debug, Clone)]
pub enum LocalRead {
    /// Not executable: its content.
    Read(String),
    /// Executed: stdout, exit status, stderr.
    Ran { out: String, rc: i32, err: String },
}

impl Raw {
    /// Splits the script's stdout. Sections start with `\n<marker> <header>\n`.
    pub fn parse(bytes: &[u8], marker: &str) -> Raw {
        let sep = format!("\n{marker} ");
        let sep = sep.as_bytes();
        let mut raw = Raw::default();
        let starts: Vec<usize> = find_all(bytes, sep);
        let mut pending_local: Option<(String, String)> = None;
        for (i, &s) in starts.iter().enumerate() {
            let head_start = s + sep.len();
            let body_end = starts.get(i + 1).copied().unwrap_or(bytes.len());
            let rest = &bytes[head_start..body_end];
            let (head, body) = match rest.iter().position(|&b| b == b'\n') {
                Some(n) => (&rest[..n], &rest[n + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            let head = String::from_utf8_lossy(head).into_owned();
            let text = String::from_utf8_lossy(body).into_owned();
            let (kind, arg) = head.split_once(' ').unwrap_or((head.as_str(), ""));
            match kind {
                "f" => {
                    raw.files.insert(arg.to_string(), text);
                }
                "t" => {
                    for line in text.lines() {
                        if let Some((flags, path)) = line.split_once(' ') {
                            raw.tests.insert(path.to_string(), flags.to_string());
                        }
                    }
                }
                "l" => {
                    raw.lists
                        .insert(arg.to_string(), text.lines().map(str::to_string).collect());
                }
                "k" => {
                    let links = text
                        .lines()
                        .filter_map(|l| {
                            let (left, target) = l.split_once(" -> ")?;
                            let name = left.rsplit(' ').next()?;
                            Some((name.to_string(), target.to_string()))
                        })
                        .collect();
                    raw.links.insert(arg.to_string(), links);
                }
                "c" => {
                    raw.cmds.insert(arg.to_string(), Cmd { out: text, rc: -1 });
                }
                "rc" => {
                    if let Some((name, code)) = arg.rsplit_once(' ')
                        && let Some(c) = raw.cmds.get_mut(name)
                    {
                        c.rc = code.trim().parse().unwrap_or(-1);
                    }
                }
                "bins" => {
                    for line in text.lines() {
                        if let Some((tool, path)) = line.split_once(' ') {
                            raw.bins.insert(tool.to_string(), path.to_string());
                        }
                    }
                }
                "env0" => {
                    raw.env = text
                        .split('\0')
                        .filter(|kv| !kv.is_empty())
                        .filter_map(|kv| {
                            let (k, v) = kv.split_once('=')?;
                            Some((k.to_string(), v.to_string()))
                        })
                        .collect();
                }
                "lr" => raw.local.push((arg.to_string(), LocalRead::Read(text))),
                "lx" => pending_local = Some((arg.to_string(), text)),
                "lrc" => {
                    if let Some((path, out)) = pending_local.take() {
                        let rc = arg
                            .split_once(' ')
                            .and_then(|(c, _)| c.parse().ok())
                            .unwrap_or(-1);
                        raw.local
                            .push((path, LocalRead::Ran { out, rc, err: text }));
                    }
                }
                "end" => raw.complete = true,
                _ => {
                    raw.named.insert(head.clone(), text);
                }
            }
        }
        raw
    }

    /// `get_file_content(path)`: the stripped content, `None` when the file
    /// was not readable or is empty.
    pub fn file(&self, path: &str) -> Option<&str> {
        let t = py_strip(self.files.get(path)?);
        (!t.is_empty()).then_some(t)
    }

    /// The file's content as read (not stripped).
    pub fn file_raw(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// `get_file_lines(path)`.
    pub fn lines(&self, path: &str) -> Vec<&str> {
        self.file(path)
            .map(|t| py_splitlines(t).collect())
            .unwrap_or_default()
    }

    fn flags(&self, path: &str) -> Option<&str> {
        self.tests.get(path).map(String::as_str)
    }

    /// `os.path.exists(path)`; for paths the script did not test, whether
    /// their content or listing came back.
    pub fn exists(&self, path: &str) -> bool {
        match self.flags(path) {
            Some(f) => f.contains('e'),
            None => self.files.contains_key(path) || self.lists.contains_key(path),
        }
    }

    pub fn is_file(&self, path: &str) -> bool {
        self.flags(path).is_some_and(|f| f.contains('f'))
    }

    pub fn is_dir(&self, path: &str) -> bool {
        self.flags(path).is_some_and(|f| f.contains('d'))
    }

    pub fn is_link(&self, path: &str) -> bool {
        self.flags(path).is_some_and(|f| f.contains('l'))
    }

    /// Non-empty (`os.path.getsize(path) > 0`).
    pub fn non_empty(&self, path: &str) -> bool {
        self.flags(path).is_some_and(|f| f.contains('s'))
    }

    /// Whether any tested path satisfies `pred(path, flags)`.
    pub fn any_tested(&self, pred: impl Fn(&str, &str) -> bool) -> bool {
        self.tests.iter().any(|(p, f)| pred(p, f))
    }

    /// Paths of the files that came back whose path satisfies `pred`, sorted.
    pub fn files_matching(&self, pred: impl Fn(&str) -> bool) -> Vec<String> {
        let mut v: Vec<String> = self.files.keys().filter(|p| pred(p)).cloned().collect();
        v.sort_unstable();
        v
    }

    /// A directory listing, in the order the host gave it.
    pub fn list(&self, dir: &str) -> Option<&[String]> {
        self.lists.get(dir).map(Vec::as_slice)
    }

    /// `name -> target` symlinks of a directory (`ls -l`).
    pub fn links(&self, dir: &str) -> Option<&[(String, String)]> {
        self.links.get(dir).map(Vec::as_slice)
    }

    /// A tool's output, when it ran.
    pub fn cmd(&self, name: &str) -> Option<&Cmd> {
        self.cmds.get(name)
    }

    /// A tool's stdout when it ran and exited 0.
    pub fn ok(&self, name: &str) -> Option<&str> {
        self.cmds
            .get(name)
            .filter(|c| c.rc == 0)
            .map(|c| c.out.as_str())
    }

    /// `module.get_bin_path(tool)`.
    pub fn bin(&self, tool: &str) -> Option<&str> {
        self.bins.get(tool).map(String::as_str)
    }

    /// Another named section (`id`, `mtab`, ...).
    pub fn section(&self, name: &str) -> Option<&str> {
        self.named.get(name).map(String::as_str)
    }

    /// The environment as a lookup.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The script's user ids from `/proc/self/status`: (real, effective).
    pub fn ids(&self, which: &str) -> Option<(u32, u32)> {
        let text = self.section("id")?;
        let line = text.lines().find(|l| l.starts_with(which))?;
        let mut it = line.split_whitespace().skip(1);
        let real = it.next()?.parse().ok()?;
        let eff = it.next()?.parse().ok()?;
        Some((real, eff))
    }
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    if needle.is_empty() || hay.len() < needle.len() {
        return out;
    }
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if &hay[i..i + needle.len()] == needle {
            out.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    out
}

/// Python's `str.isspace()` for one character.
pub fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()`.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// Python's `str.split()` (no separator).
pub fn py_split(s: &str) -> impl Iterator<Item = &str> {
    s.split(py_space).filter(|w| !w.is_empty())
}

/// Python's `str.splitlines()`.
pub fn py_splitlines(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let chars = rest.char_indices();
        for (i, c) in chars {
            let brk = matches!(
                c,
                '\n' | '\r'
                    | '\x0b'
                    | '\x0c'
                    | '\x1c'
                    | '\x1d'
                    | '\x1e'
                    | '\u{85}'
                    | '\u{2028}'
                    | '\u{2029}'
            );
            if brk {
                let line = &rest[..i];
                let mut next = i + c.len_utf8();
                if c == '\r' && rest[next..].starts_with('\n') {
                    next += 1;
                }
                rest = &rest[next..];
                return Some(line);
            }
        }
        let line = rest;
        rest = "";
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "\nMK env0\nHOME=/root\0PATH=/bin:/usr/bin\0\nMK bins\nip /usr/sbin/ip\n\
\nMK t\nef /etc/os-release\n- /etc/arch-release\n\nMK f /etc/hostname\n  vm \n\
\nMK c uname_m\nx86_64\n\nMK rc uname_m 0\n\nMK l /sys/block\nvda\nloop0\n\
\nMK k /dev/disk/by-uuid\nlrwxrwxrwx 1 root root 10 Jan 1 00:00 abcd -> ../../vda1\n\
\nMK lx /etc/ansible/facts.d/a.fact\n{\"x\": 1}\n\nMK lrc 0 /etc/ansible/facts.d/a.fact\n\
\nMK end\n";

    #[test]
    fn sections_split_by_marker() {
        let raw = Raw::parse(REPLY.as_bytes(), "MK");
        assert!(raw.complete);
        assert_eq!(raw.env_var("HOME"), Some("/root"));
        assert_eq!(raw.bin("ip"), Some("/usr/sbin/ip"));
        assert_eq!(raw.bin("ethtool"), None);
        assert!(raw.exists("/etc/os-release") && raw.is_file("/etc/os-release"));
        assert!(!raw.exists("/etc/arch-release"));
        assert_eq!(raw.file("/etc/hostname"), Some("vm"));
        assert_eq!(raw.file_raw("/etc/hostname"), Some("  vm \n"));
        assert_eq!(raw.ok("uname_m"), Some("x86_64\n"));
        assert_eq!(
            raw.list("/sys/block").map(|l| l.to_vec()),
            Some(vec!["vda".to_string(), "loop0".to_string()])
        );
        assert_eq!(
            raw.links("/dev/disk/by-uuid").map(|l| l.to_vec()),
            Some(vec![("abcd".to_string(), "../../vda1".to_string())])
        );
        match &raw.local[0].1 {
            LocalRead::Ran { out, rc, .. } => {
                assert_eq!(out, "{\"x\": 1}\n");
                assert_eq!(*rc, 0);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn python_string_helpers() {
        assert_eq!(
            py_splitlines("a\r\nb\n\nc").collect::<Vec<_>>(),
            ["a", "b", "", "c"]
        );
        assert_eq!(py_splitlines("a\n").collect::<Vec<_>>(), ["a"]);
        assert_eq!(py_split(" a \t b\n").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(py_strip("\x1c x \n"), "x");
    }
}
