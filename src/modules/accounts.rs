// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The account databases as the `user` and `group` modules read them
//! (`getent passwd/group/shadow` lines), and running an argument vector
//! (`useradd ...`) with every word quoted.

use super::command::splitlines;
use super::{ModResult, ModuleCtx, ModuleError};
use crate::transport::quote;
use serde_json::json;

/// One `passwd` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Passwd {
    pub name: String,
    pub password: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
}

impl Passwd {
    pub fn parse(line: &str) -> Option<Passwd> {
        let f: Vec<&str> = line.trim_end_matches('\n').split(':').collect();
        if f.len() < 7 {
            return None;
        }
        Some(Passwd {
            name: f[0].into(),
            password: f[1].into(),
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            gecos: f[4].into(),
            home: f[5].into(),
            shell: f[6..].join(":"),
        })
    }
}

/// One `group` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupEnt {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// Every group of a `getent group` listing, in its order.
pub fn parse_groups(text: &str) -> Vec<GroupEnt> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 4 {
                return None;
            }
            Some(GroupEnt {
                name: f[0].into(),
                gid: f[2].parse().ok()?,
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

/// Python's `grp.getgrgid(int(g))` then `grp.getgrnam(g)`, as the modules
/// look a group up.
pub fn find_group<'a>(groups: &'a [GroupEnt], g: &str) -> Option<&'a GroupEnt> {
    if let Ok(gid) = g.trim().parse::<u32>()
        && let Some(e) = groups.iter().find(|e| e.gid == gid)
    {
        return Some(e);
    }
    groups.iter().find(|e| e.name == g)
}

/// A command line from words, each quoted.
pub fn argv_line(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// Output of a command the module ran.
#[derive(Debug, Clone, Default)]
pub struct Ran {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `words` on the host (with the task's become).
pub async fn run_argv(ctx: &ModuleCtx<'_>, words: &[String]) -> Result<Ran, ModuleError> {
    let out = ctx.run(&argv_line(words), None).await?;
    Ok(Ran {
        rc: out.rc,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Adds `stdout`/`stderr` to a result when they are not empty, as the
/// modules do, with the `*_lines` lists Ansible adds to any module result
/// that has them.
pub fn add_output(r: &mut ModResult, ran: &Ran) {
    if !ran.stdout.is_empty() {
        r.insert("stdout".into(), json!(ran.stdout));
        r.insert("stdout_lines".into(), json!(splitlines(&ran.stdout)));
    }
    if !ran.stderr.is_empty() {
        r.insert("stderr".into(), json!(ran.stderr));
        r.insert("stderr_lines".into(), json!(splitlines(&ran.stderr)));
    }
}

/// Puts `stdout` and `stderr` (even empty) with their `*_lines`, as a
/// failing module's result carries them.
pub fn put_output(r: &mut ModResult, stdout: &str, stderr: &str) {
    r.insert("stdout".into(), json!(stdout));
    r.insert("stdout_lines".into(), json!(splitlines(stdout)));
    r.insert("stderr".into(), json!(stderr));
    r.insert("stderr_lines".into(), json!(splitlines(stderr)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse() {
        let p = Passwd::parse("alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n").unwrap();
        assert_eq!((p.uid, p.gid, p.home.as_str()), (1000, 1000, "/home/alice"));
        assert_eq!(p.shell, "/bin/bash");
        assert!(Passwd::parse("broken:x").is_none());
        let g = parse_groups("root:x:0:\nsudo:x:27:alice,bob\n100:x:5:\n");
        assert_eq!(g[1].members, vec!["alice", "bob"]);
        // A number is a gid first, then a name.
        assert_eq!(find_group(&g, "27").unwrap().name, "sudo");
        assert_eq!(find_group(&g, "100").unwrap().name, "100");
        assert!(find_group(&g, "nope").is_none());
        assert_eq!(
            argv_line(&["useradd".into(), "-c".into(), "A B".into()]),
            "useradd -c 'A B'"
        );
    }
}
