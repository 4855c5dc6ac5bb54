// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Reading configuration files for one destination: `Host` and `Match`
//! decide which lines apply, `Include` reads more files in place.

use std::path::{Path, PathBuf};

use super::ConfigError;
use super::options::SshOptions;
use super::parse::{split_args, split_line};
use super::tokens::{self, PATH_TOKENS};
use crate::span::Span;
use crate::transport::known_hosts::{glob, match_pattern_list};

/// How deep `Include` may nest (OpenSSH's limit).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Whose file this is: relative `Include` paths are taken from `~/.ssh` for
/// the user's files and from `/etc/ssh` for the system's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    User,
    System,
}

/// What `Host` and `Match` are checked against.
#[derive(Debug, Clone)]
pub(crate) struct MatchCtx {
    /// The destination as given (`ansible_host`, or the inventory name).
    pub original_host: String,
    pub home: PathBuf,
    pub local_user: String,
    /// `Match exec` runs its command only when this is set (the fuzz target
    /// must not run commands).
    pub allow_exec: bool,
}

impl MatchCtx {
    pub(crate) fn for_host(host: &str, home: &Path, local_user: &str) -> MatchCtx {
        MatchCtx {
            original_host: host.to_string(),
            home: home.to_path_buf(),
            local_user: local_user.to_string(),
            allow_exec: false,
        }
    }
}

pub(crate) struct Evaluator<'a> {
    ctx: &'a MatchCtx,
    opts: &'a mut SshOptions,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(ctx: &'a MatchCtx, opts: &'a mut SshOptions) -> Self {
        Evaluator { ctx, opts }
    }

    /// Reads `path`. A missing file is no error (a machine without
    /// `~/.ssh/config`); an unreadable one is, for the `-F` file only.
    pub(crate) fn read_file(
        &mut self,
        path: &Path,
        kind: FileKind,
        must_exist: bool,
        depth: usize,
    ) -> Result<(), ConfigError> {
        let text = match read_bounded(path) {
            Ok(t) => t,
            Err(e) if !must_exist && e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!("ssh config {}: not present", path.display());
                return Ok(());
            }
            Err(e) => {
                return Err(ConfigError::Unreadable {
                    path: path.display().to_string(),
                    reason: crate::transport::ssh::io_reason(&e),
                });
            }
        };
        self.read_text(&text, &path.display().to_string(), kind, depth)
    }

    pub(crate) fn read_text(
        &mut self,
        text: &str,
        name: &str,
        kind: FileKind,
        depth: usize,
    ) -> Result<(), ConfigError> {
        // Each file starts outside any block: everything applies.
        let mut active = true;
        for (i, raw) in text.lines().enumerate() {
            let Some(line) = split_line(raw) else {
                continue;
            };
            let span = Span::new(name, u32::try_from(i + 1).unwrap_or(u32::MAX), line.col);
            let bad = |msg: String| ConfigError::BadValue {
                span: span.clone(),
                msg,
            };
            match line.keyword.to_ascii_lowercase().as_str() {
                "host" => {
                    let pats = split_args(line.rest).map_err(|e| bad(format!("Host: {e}.")))?;
                    if pats.is_empty() {
                        return Err(bad("Host: missing argument.".into()));
                    }
                    active = self.host_matches(&pats);
                }
                "match" => active = self.match_line(line.rest, &span)?,
                "include" => {
                    if !active {
                        continue;
                    }
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(ConfigError::IncludeDepth { span });
                    }
                    let args = split_args(line.rest).map_err(|e| bad(format!("Include: {e}.")))?;
                    if args.is_empty() {
                        return Err(bad("Include: missing argument.".into()));
                    }
                    for a in args {
                        let a = tokens::env_expand(&a).map_err(bad)?;
                        let a = tokens::tilde(&a, &self.ctx.home);
                        let base = match kind {
                            FileKind::User => self.ctx.home.join(".ssh"),
                            FileKind::System => PathBuf::from("/etc/ssh"),
                        };
                        let pattern = base.join(a);
                        for file in expand_glob(&pattern) {
                            // A directory matched by a glob is skipped, as OpenSSH does.
                            if file.is_dir() {
                                continue;
                            }
                            self.read_file(&file, kind, false, depth + 1)?;
                        }
                    }
                }
                _ if active => self.opts.apply(&line, &span)?,
                _ => self.opts.check_keyword(&line, &span)?,
            }
        }
        Ok(())
    }

    /// `Host` patterns are checked against the destination as given; a
    /// matching `!pattern` rules the line out.
    fn host_matches(&self, patterns: &[String]) -> bool {
        let host = self.ctx.original_host.to_ascii_lowercase();
        let mut hit = false;
        for p in patterns {
            let (neg, p) = match p.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, p.as_str()),
            };
            if glob(&p.to_ascii_lowercase(), &host) {
                if neg {
                    return false;
                }
                hit = true;
            }
        }
        hit
    }

    /// The host `Match host` sees: `HostName` as set so far (with `%h`), else
    /// the destination.
    fn current_host(&self) -> String {
        match &self.opts.hostname {
            Some(h) => tokens::expand(h, &|t| (t == 'h').then(|| self.ctx.original_host.clone())),
            None => self.ctx.original_host.clone(),
        }
    }

    fn current_user(&self) -> String {
        self.opts
            .user
            .clone()
            .unwrap_or_else(|| self.ctx.local_user.clone())
    }

    /// Evaluates a `Match` line: every criterion must hold.
    fn match_line(&self, rest: &str, span: &Span) -> Result<bool, ConfigError> {
        let bad = |msg: String| ConfigError::BadValue {
            span: span.clone(),
            msg,
        };
        let args = split_args(rest).map_err(|e| bad(format!("Match: {e}.")))?;
        if args.is_empty() {
            return Err(bad("Missing Match criteria".into()));
        }
        let mut result = true;
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (neg, crit) = match a.strip_prefix('!') {
                Some(c) => (true, c.to_ascii_lowercase()),
                None => (false, a.to_ascii_lowercase()),
            };
            let hit = match crit.as_str() {
                "all" => true,
                // kiln does not canonicalize host names, and reads the
                // configuration once: that one pass is the final one.
                "canonical" => false,
                "final" => true,
                "host" | "originalhost" | "user" | "localuser" | "exec" | "localnetwork"
                | "tagged" => {
                    let Some(arg) = it.next() else {
                        return Err(bad(format!("Missing Match criteria for {crit}")));
                    };
                    match crit.as_str() {
                        "host" => list_match(&self.current_host(), arg),
                        "originalhost" => list_match(&self.ctx.original_host, arg),
                        "user" => list_match(&self.current_user(), arg),
                        "localuser" => list_match(&self.ctx.local_user, arg),
                        "exec" => {
                            tokens::check(arg, PATH_TOKENS).map_err(bad)?;
                            // Not run when an earlier criterion already failed.
                            result && self.run_exec(arg)
                        }
                        _ => {
                            tracing::debug!(
                                "{span}: Match {crit} is not supported; taken as false"
                            );
                            false
                        }
                    }
                }
                other => return Err(bad(format!("Unsupported Match attribute {other}"))),
            };
            if hit == neg {
                result = false;
            }
        }
        Ok(result)
    }

    fn run_exec(&self, cmd: &str) -> bool {
        if !self.ctx.allow_exec {
            return false;
        }
        let host = self.current_host();
        let user = self.current_user();
        let port = self.opts.port.unwrap_or(22).to_string();
        let cmd = tokens::expand(cmd, &|t| match t {
            'h' => Some(host.clone()),
            'n' => Some(self.ctx.original_host.clone()),
            'r' => Some(user.clone()),
            'u' => Some(self.ctx.local_user.clone()),
            'd' => Some(self.ctx.home.display().to_string()),
            'p' => Some(port.clone()),
            _ => None,
        });
        match std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&cmd)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
        {
            Ok(s) => s.success(),
            Err(e) => {
                tracing::debug!("Match exec {cmd}: {e}");
                false
            }
        }
    }
}

fn list_match(value: &str, list: &str) -> bool {
    match_pattern_list(&value.to_ascii_lowercase(), list)
}

/// Expands `*` and `?` in any component of `pattern` (hidden names only
/// when the pattern component starts with a dot), sorted like glob(3).
pub(crate) fn expand_glob(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for comp in pattern.components() {
        let text = comp.as_os_str().to_string_lossy();
        if !text.contains(['*', '?']) {
            for f in &mut found {
                f.push(comp);
            }
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            }) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| (!n.starts_with('.') || text.starts_with('.')) && glob(&text, n))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| dir.join(n)));
        }
        found = next;
    }
    found.into_iter().filter(|p| p.exists()).collect()
}

/// The most an ssh configuration file may hold. Real ones are a few KiB;
/// the bound keeps `-F /dev/zero` (or any endless device) from filling
/// memory.
const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a configuration file whole, refusing one larger than
/// [`MAX_CONFIG_BYTES`].
fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {} MiB, not an ssh configuration",
                MAX_CONFIG_BYTES >> 20
            ),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, host: &str) -> SshOptions {
        let ctx = MatchCtx::for_host(host, Path::new("/home/u"), "me");
        let mut o = SshOptions::default();
        Evaluator::new(&ctx, &mut o)
            .read_text(text, "cfg", FileKind::User, 0)
            .expect("config reads");
        o
    }

    const CFG: &str = "
Host web* !web9
    User webadmin
    Port 2201
Host db
    HostName db.internal.%h
Match host db.internal.db user root
    Port 2300
Match originalhost db user me
    Port 2400
Match !host web1 all
    IdentityFile ~/.ssh/other
Host *
    User fallback
    Port 22
";

    #[test]
    fn an_endless_file_is_refused_not_read_whole() {
        // Found by the ssh_config fuzz target: `-F /dev/full` filled memory.
        let ctx = MatchCtx::for_host("h", Path::new("/home/u"), "me");
        let mut o = SshOptions::default();
        let err = Evaluator::new(&ctx, &mut o)
            .read_file(Path::new("/dev/zero"), FileKind::User, true, 0)
            .expect_err("an endless file");
        assert!(
            err.to_string().contains("not an ssh configuration"),
            "{err}"
        );
        // /dev/null stays the empty configuration people pass with -F.
        Evaluator::new(&ctx, &mut o)
            .read_file(Path::new("/dev/null"), FileKind::User, true, 0)
            .expect("empty config");
    }

    #[test]
    fn host_and_match_blocks() {
        let o = eval(CFG, "web1");
        assert_eq!((o.user.as_deref(), o.port), (Some("webadmin"), Some(2201)));
        assert!(o.identity_files.is_empty());
        let o = eval(CFG, "WEB9");
        assert_eq!((o.user.as_deref(), o.port), (Some("fallback"), Some(22)));
        assert_eq!(o.identity_files, ["~/.ssh/other"]);
        // Match host sees HostName; Match user sees the local user while no
        // User is set, so the root block does not apply but the `me` one does.
        let o = eval(CFG, "db");
        assert_eq!(o.hostname.as_deref(), Some("db.internal.%h"));
        assert_eq!(o.port, Some(2400));
        assert_eq!(o.user.as_deref(), Some("fallback"));
    }

    #[test]
    fn unknown_options_fail_even_in_other_blocks() {
        let ctx = MatchCtx::for_host("a", Path::new("/h"), "me");
        let mut o = SshOptions::default();
        let e = Evaluator::new(&ctx, &mut o)
            .read_text("Host b\n  Bogus 1\n", "f", FileKind::User, 0)
            .expect_err("bogus");
        assert_eq!(e.to_string(), "f: line 2: Bad configuration option: Bogus");
        assert_eq!(e.span().map(|s| s.col), Some(3));
        let e = Evaluator::new(&ctx, &mut o)
            .read_text("Match colour blue\n", "f", FileKind::User, 0)
            .expect_err("criteria");
        assert_eq!(
            e.to_string(),
            "f: line 1: Unsupported Match attribute colour"
        );
        assert!(
            Evaluator::new(&ctx, &mut o)
                .read_text("Match host\n", "f", FileKind::User, 0)
                .is_err()
        );
    }

    #[test]
    fn include_globs_relative_to_dot_ssh_and_restores_state() {
        let home = tempfile::tempdir().expect("tempdir");
        let ssh = home.path().join(".ssh");
        std::fs::create_dir_all(ssh.join("conf.d")).expect("mkdir");
        std::fs::write(ssh.join("conf.d/10-a.conf"), "Host other\n  User nobody\n").expect("write");
        std::fs::write(ssh.join("conf.d/20-b.conf"), "User included\nPort 2022\n").expect("write");
        std::fs::write(ssh.join("conf.d/.hidden.conf"), "Port 1\n").expect("write");
        let main = "Host target\n  Include conf.d/*.conf\n  HostName t.example\nHost nomatch\n  Include /nonexistent/*\n";
        let ctx = MatchCtx::for_host("target", home.path(), "me");
        let mut o = SshOptions::default();
        Evaluator::new(&ctx, &mut o)
            .read_text(main, "main", FileKind::User, 0)
            .expect("reads");
        // 10-a's `Host other` did not switch off the rest of `Host target`.
        assert_eq!(o.user.as_deref(), Some("included"));
        assert_eq!(o.port, Some(2022));
        assert_eq!(o.hostname.as_deref(), Some("t.example"));
        // A file including itself stops at the depth limit.
        std::fs::write(ssh.join("loop.conf"), "Include loop.conf\n").expect("write");
        let e = Evaluator::new(&ctx, &mut o)
            .read_text("Include loop.conf\n", "main", FileKind::User, 0)
            .expect_err("loop");
        assert!(matches!(e, ConfigError::IncludeDepth { .. }), "{e}");
    }
}
