// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The remote probe: one small POSIX sh script per task that looks at the
//! host (stat, link targets, checksums, file contents, user lookups) and
//! answers in a framed, binary-safe format, so every file module plans from
//! one round trip.
//!
//! Reply format: a sequence of records `KEY:LEN\n` + LEN raw bytes + `\n`.
//! Values may hold any byte (paths with newlines, file contents); the shell
//! side measures lengths with `${#var}` under `LC_ALL=C` (bytes) or `wc -c`.
//! A record `KEY:*\n` takes the rest of the stream (NUL-separated listings).
//!
//! Every value put into a script goes through [`crate::transport::quote`];
//! scripts refer to paths only through shell variables set from quoted words.

use super::{ModResult, ModuleCtx, ModuleError};
use crate::transport::{ExecOutput, quote};
use serde_json::{Value as Json, json};

/// Shell functions every probe and apply script starts with.
///
/// * `kv KEY VALUE` — one record;
/// * `kfile KEY PATH` — a file's bytes as one record;
/// * `kst KEY PATH [-L]` — `stat` fields (lstat unless `-L`);
/// * `kln KEY PATH` — a symlink's target; `kreal KEY PATH` — the path with
///   every symlink resolved (missing tail allowed, like Python's realpath);
/// * `kpw KEY NAME` / `kgr KEY NAME` — a passwd / group entry;
/// * `kdir PATH` — sets `$_d` to the path's directory without a process;
/// * `ktmp [-d]` — sets `$_t` to a new private temporary file (directory
///   with `-d`) under `$TMPDIR` or `/tmp`, or records `err` and returns 1.
///   Every scratch file a script needs
///   comes from here: never a fixed or PID-based name in a shared
///   directory, where another user could plant a link to a file that root
///   would then overwrite;
/// * `krun KEY CMD...` — runs CMD and records its exit code, stdout and
///   stderr as `KEYrc`, `KEYo` and `KEYe`; returns CMD's code. Its stderr
///   goes through a `ktmp` file, removed at once.
pub const PRELUDE: &str = r#"LC_ALL=C; export LC_ALL
kdir() { case $1 in */*) _d=${1%/*}; [ -n "$_d" ] || _d=/ ;; *) _d=. ;; esac; }
kv() { printf '%s:%s\n%s\n' "$1" "${#2}" "$2"; }
kfile() { _n=$(wc -c < "$2") || return 1; printf '%s:%s\n' "$1" $_n; cat < "$2"; printf '\n'; }
kst() { _s=$(stat $3 -c '%f %u %g %s %h %i %d %.9X %.9Y %.9Z %b %o %t %T %U %G' -- "$2" 2>/dev/null) && kv "$1" "$_s"; }
kln() { _t=$(readlink -- "$2" && echo .) && kv "$1" "${_t%??}"; }
kreal() { _t=$(realpath -m -- "$2" 2>/dev/null && echo .) || _t=$(readlink -f -- "$2" && echo .) && kv "$1" "${_t%??}"; }
kpw() { _l=$(getent passwd -- "$2" 2>/dev/null) || _l=$(_n=$2 awk -F: '$1==ENVIRON["_n"]{print;exit}' /etc/passwd 2>/dev/null); [ -n "$_l" ] && kv "$1" "$_l"; }
kgr() { _l=$(getent group -- "$2" 2>/dev/null) || _l=$(_n=$2 awk -F: '$1==ENVIRON["_n"]{print;exit}' /etc/group 2>/dev/null); [ -n "$_l" ] && kv "$1" "$_l"; }
ktmp() { _t=$(umask 077 && mktemp $1 "${TMPDIR:-/tmp}/.kiln.XXXXXXXX") || { kv err "cannot make a private temporary file in ${TMPDIR:-/tmp}"; return 1; }; }
krun() { _k=$1; shift; ktmp || return 1; _e=$_t; _o=$("$@" 2>"$_e"); _r=$?; kv "${_k}rc" $_r; kv "${_k}o" "$_o"; kv "${_k}e" "$(cat -- "$_e")"; rm -f -- "$_e"; return $_r; }
"#;

/// Scripts longer than this go to `sh -s` on stdin: one command-line
/// argument is limited to 128 KiB on Linux.
const MAX_COMMAND: usize = 100_000;

/// A path as one shell word. `~` and `~/...` expand to the remote `$HOME`
/// (Ansible's `type='path'` does `expanduser` on the host); a relative path
/// starting with `-` gets `./` so no command takes it for an option.
pub fn sh_path(p: &str) -> String {
    if p == "~" {
        "\"$HOME\"".to_string()
    } else if let Some(rest) = p.strip_prefix("~/") {
        format!("\"$HOME\"/{}", quote(rest))
    } else if p.starts_with('-') {
        quote(&format!("./{p}"))
    } else {
        quote(p)
    }
}

/// The path as the module on the host sees it after `expanduser`.
pub fn expand_home(p: &str, home: Option<&str>) -> String {
    match home {
        Some(h) if p == "~" => h.to_string(),
        Some(h) if p.starts_with("~/") => format!("{}{}", h.trim_end_matches('/'), &p[1..]),
        _ => p.to_string(),
    }
}

/// Whether a path needs the remote `$HOME` to be known.
pub fn needs_home(p: &str) -> bool {
    p == "~" || p.starts_with("~/")
}

/// Python's `os.path.dirname`.
pub fn dirname(p: &str) -> &str {
    match p.rfind('/') {
        None => "",
        Some(i) => {
            let head = &p[..=i];
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() { &p[..1] } else { trimmed }
        }
    }
}

/// Python's `os.path.normpath`.
pub fn normpath(p: &str) -> String {
    let abs = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if abs => {}
            c => parts.push(c),
        }
    }
    let body = parts.join("/");
    match (abs, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Python's `os.path.basename`.
pub fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Python's `os.path.join` for two parts.
pub fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        b.to_string()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// What a probe or apply script answered.
#[derive(Debug, Default)]
pub struct Reply {
    pub rc: i32,
    pub stderr: String,
    fields: Vec<(String, Vec<u8>)>,
    /// Set when the reply could not be read (the script broke).
    broken: Option<String>,
}

impl Reply {
    /// Reads a reply. A malformed stream is kept as an error message.
    pub fn from_output(out: &ExecOutput) -> Reply {
        let stderr = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
        match parse_records(&out.stdout) {
            Ok(fields) => Reply {
                rc: out.rc,
                stderr,
                fields,
                broken: None,
            },
            Err(e) => Reply {
                rc: out.rc,
                broken: Some(if stderr.is_empty() {
                    e
                } else {
                    format!("{e}: {stderr}")
                }),
                stderr,
                fields: Vec::new(),
            },
        }
    }

    /// Why the script's answer is unusable, if it is.
    pub fn failure(&self) -> Option<String> {
        if let Some(b) = &self.broken {
            return Some(b.clone());
        }
        if let Some(e) = self.text("err") {
            return Some(e);
        }
        if self.rc != 0 {
            return Some(if self.stderr.is_empty() {
                format!("the remote script failed with rc {}", self.rc)
            } else {
                self.stderr.clone()
            });
        }
        None
    }

    pub fn bytes(&self, key: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// A value as text (invalid UTF-8 replaced, as Ansible's `to_text` would
    /// fail; kiln keeps going with the replacement character).
    pub fn text(&self, key: &str) -> Option<String> {
        self.bytes(key)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    pub fn has(&self, key: &str) -> bool {
        self.bytes(key).is_some()
    }

    pub fn stat(&self, key: &str) -> Option<FileStat> {
        self.bytes(key).and_then(FileStat::parse)
    }

    /// The numeric id in a passwd or group line (`name:x:ID:...`).
    pub fn entry_id(&self, key: &str) -> Option<u32> {
        self.text(key)?.split(':').nth(2)?.trim().parse().ok()
    }
}

fn parse_records(mut s: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    while !s.is_empty() {
        let colon = s
            .iter()
            .position(|&c| c == b':')
            .ok_or("unreadable answer from the host (no record key)")?;
        let key = String::from_utf8_lossy(&s[..colon]).into_owned();
        let rest = &s[colon + 1..];
        let nl = rest
            .iter()
            .position(|&c| c == b'\n')
            .ok_or("unreadable answer from the host (no record length)")?;
        let len_text = std::str::from_utf8(&rest[..nl]).unwrap_or("").trim();
        let body = &rest[nl + 1..];
        if len_text == "*" {
            out.push((key, body.to_vec()));
            break;
        }
        let len: usize = len_text
            .parse()
            .map_err(|_| format!("unreadable answer from the host (bad length for {key})"))?;
        if body.len() < len + 1 || body[len] != b'\n' {
            return Err(format!(
                "unreadable answer from the host ({key} changed while it was read)"
            ));
        }
        out.push((key, body[..len].to_vec()));
        s = &body[len + 1..];
    }
    Ok(out)
}

/// Runs a script on the host (with become, if the task has it). Long scripts
/// are fed to `sh -s` when stdin is free.
pub async fn run_script(
    ctx: &ModuleCtx<'_>,
    script: &str,
    stdin: Option<&[u8]>,
) -> Result<ExecOutput, ModuleError> {
    if script.len() > MAX_COMMAND && stdin.is_none() {
        ctx.run("/bin/sh -s", Some(script.as_bytes())).await
    } else {
        ctx.run(script, stdin).await
    }
}

/// Runs `body` (after [`PRELUDE`]) and reads its records.
pub async fn probe(ctx: &ModuleCtx<'_>, body: &str) -> Result<Reply, ModuleError> {
    probe_with(ctx, body, None).await
}

/// [`probe`] with bytes for the script's stdin (a file it stages).
pub async fn probe_with(
    ctx: &ModuleCtx<'_>,
    body: &str,
    stdin: Option<&[u8]>,
) -> Result<Reply, ModuleError> {
    // A probe reports problems as records; the status of its last test
    // (`[ -L "$p" ] && ...`) is no error.
    let script = format!("{PRELUDE}{body}\nexit 0\n");
    let out = run_script(ctx, &script, stdin).await?;
    Ok(Reply::from_output(&out))
}

/// The kind of file a mode says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Link,
    Char,
    Block,
    Fifo,
    Socket,
    Other,
}

/// One `stat -c` answer (see `kst` in [`PRELUDE`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FileStat {
    /// `st_mode`, type bits included.
    pub st_mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub nlink: u64,
    pub inode: u64,
    pub dev: u64,
    pub atime: f64,
    pub mtime: f64,
    pub ctime: f64,
    pub blocks: u64,
    pub blksize: u64,
    pub rdev: u64,
    pub user: Option<String>,
    pub group: Option<String>,
}

/// Python's float of a `sec.nsec` time (`sec + nsec * 1e-9`).
fn py_time(s: &str) -> Option<f64> {
    let (sec, frac) = s.split_once('.').unwrap_or((s, "0"));
    let sec: i64 = sec.parse().ok()?;
    let mut digits = frac.to_string();
    digits.truncate(9);
    while digits.len() < 9 {
        digits.push('0');
    }
    let nsec: i64 = digits.parse().ok()?;
    Some(sec as f64 + nsec as f64 * 1e-9)
}

/// Linux's `makedev`.
fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xffff_f000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0xff)
}

impl FileStat {
    pub fn parse(b: &[u8]) -> Option<FileStat> {
        let s = std::str::from_utf8(b).ok()?;
        let f: Vec<&str> = s.split(' ').collect();
        if f.len() < 16 {
            return None;
        }
        let name = |x: &str| (x != "UNKNOWN").then(|| x.to_string());
        Some(FileStat {
            st_mode: u32::from_str_radix(f[0], 16).ok()?,
            uid: f[1].parse().ok()?,
            gid: f[2].parse().ok()?,
            size: f[3].parse().ok()?,
            nlink: f[4].parse().ok()?,
            inode: f[5].parse().ok()?,
            dev: f[6].parse().ok()?,
            atime: py_time(f[7])?,
            mtime: py_time(f[8])?,
            ctime: py_time(f[9])?,
            blocks: f[10].parse().ok()?,
            blksize: f[11].parse().ok()?,
            rdev: makedev(
                u64::from_str_radix(f[12], 16).ok()?,
                u64::from_str_radix(f[13], 16).ok()?,
            ),
            user: name(f[14]),
            group: name(f[15..].join(" ").trim_end()),
        })
    }

    /// Permission bits (`S_IMODE`).
    pub fn perm(&self) -> u32 {
        self.st_mode & 0o7777
    }

    pub fn kind(&self) -> Kind {
        match self.st_mode & 0o170000 {
            0o100000 => Kind::File,
            0o040000 => Kind::Dir,
            0o120000 => Kind::Link,
            0o020000 => Kind::Char,
            0o060000 => Kind::Block,
            0o010000 => Kind::Fifo,
            0o140000 => Kind::Socket,
            _ => Kind::Other,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind() == Kind::Dir
    }

    pub fn is_link(&self) -> bool {
        self.kind() == Kind::Link
    }

    /// The owner's name, or the uid as text when it has none.
    pub fn owner_name(&self) -> String {
        self.user.clone().unwrap_or_else(|| self.uid.to_string())
    }

    pub fn group_name(&self) -> String {
        self.group.clone().unwrap_or_else(|| self.gid.to_string())
    }

    /// The file module's notion of state (`get_state`) from an lstat.
    pub fn state(&self) -> &'static str {
        match self.kind() {
            Kind::Link => "link",
            Kind::Dir => "directory",
            _ if self.nlink > 1 => "hard",
            _ => "file",
        }
    }
}

/// What Ansible's `add_path_info` adds to a result whose path exists: owner,
/// group, mode, state and size from the path's lstat.
pub fn add_path_info(r: &mut ModResult, st: Option<&FileStat>) {
    let Some(st) = st else { return };
    r.insert("uid".into(), json!(st.uid));
    r.insert("gid".into(), json!(st.gid));
    r.insert("owner".into(), Json::String(st.owner_name()));
    r.insert("group".into(), Json::String(st.group_name()));
    r.insert("mode".into(), Json::String(format!("0{:03o}", st.perm())));
    r.insert("state".into(), json!(st.state()));
    r.insert("size".into(), json!(st.size));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_sh() {
        let script = format!(
            "{PRELUDE}p={}\nkv a \"$p\"\nkv empty ''\nktmp; printf 'x\\0y' > \"$_t\"; kfile f \"$_t\"; rm -f -- \"$_t\"\n",
            quote("we\nird 'é' $(x)")
        );
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        let r = Reply::from_output(&ExecOutput {
            rc: 0,
            stdout: out.stdout,
            stderr: out.stderr,
        });
        assert_eq!(r.failure(), None);
        assert_eq!(r.text("a").unwrap(), "we\nird 'é' $(x)");
        assert_eq!(r.bytes("empty").unwrap(), b"");
        assert_eq!(r.bytes("f").unwrap(), b"x\0y");
    }

    /// Runs `body` after the prelude in `/bin/sh` with `TMPDIR` set.
    fn sh_in(tmpdir: &std::path::Path, body: &str) -> Reply {
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("{PRELUDE}{body}"))
            .env("TMPDIR", tmpdir)
            .output()
            .unwrap();
        Reply::from_output(&ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }

    fn entries(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn krun_records_code_stdout_and_stderr_and_leaves_no_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // The scratch file is private while the command runs.
        let r = sh_in(
            dir.path(),
            "krun x sh -c 'ls -l \"$TMPDIR\"/.kiln.* | cut -c1-10; echo out2; echo err >&2; exit 3'; kv after $?\n",
        );
        assert_eq!(r.failure(), None);
        assert_eq!(r.text("xrc").unwrap(), "3");
        assert_eq!(r.text("xo").unwrap(), "-rw-------\nout2");
        assert_eq!(r.text("xe").unwrap(), "err");
        assert_eq!(r.text("after").unwrap(), "3");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
        // A success, with output that needs no scratch space at all.
        let r = sh_in(dir.path(), "krun y true\n");
        assert_eq!(
            (r.text("yrc"), r.text("yo"), r.text("ye")),
            (Some("0".into()), Some(String::new()), Some(String::new()))
        );
        // ktmp -d: a private directory, under TMPDIR.
        let r = sh_in(dir.path(), "ktmp -d && kv t \"$_t\"\n");
        let t = std::path::PathBuf::from(r.text("t").unwrap());
        assert_eq!(t.parent(), Some(dir.path()));
        let meta = std::fs::metadata(&t).unwrap();
        assert!(meta.is_dir());
        assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    }

    #[test]
    fn ktmp_failure_is_a_reported_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir");
        let r = sh_in(&missing, "krun x echo never || kv gave $?\n");
        assert_eq!(
            r.failure().unwrap(),
            format!(
                "cannot make a private temporary file in {}",
                missing.display()
            )
        );
        assert_eq!(r.text("gave").unwrap(), "1");
        assert_eq!(r.text("xrc"), None);
    }

    #[test]
    fn truncated_reply_is_an_error() {
        let r = Reply::from_output(&ExecOutput {
            rc: 0,
            stdout: b"a:5\nab\n".to_vec(),
            stderr: vec![],
        });
        assert!(r.failure().unwrap().contains("changed while it was read"));
        let rest = Reply::from_output(&ExecOutput {
            rc: 0,
            stdout: b"k:1\nv\nlist:*\na\0b\0".to_vec(),
            stderr: vec![],
        });
        assert_eq!(rest.bytes("list").unwrap(), b"a\0b\0");
    }

    #[test]
    fn stat_line_parses() {
        let st = FileStat::parse(
            b"81ed 0 0 6 1 10020595 65024 1795706372.922849700 1795706371.870849800 1795706371.890849800 8 4096 0 0 root root",
        )
        .unwrap();
        assert_eq!(st.perm(), 0o755);
        assert_eq!(st.kind(), Kind::File);
        assert_eq!(st.state(), "file");
        assert_eq!(st.mtime, 1795706371.0 + 870849800.0 * 1e-9);
        let dev = FileStat::parse(b"21b6 0 0 0 1 3 6 1.0 1.0 1.0 0 4096 1 3 root UNKNOWN").unwrap();
        assert_eq!(dev.rdev, 259);
        assert_eq!(dev.group_name(), "0");
        assert_eq!(dev.kind(), Kind::Char);
    }

    #[test]
    fn live_stat_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("-f");
        std::fs::write(&p, "hi").unwrap();
        std::os::unix::fs::symlink("-f", dir.path().join("l")).unwrap();
        let d = dir.path().display().to_string();
        let script = format!(
            "{PRELUDE}cd {} && kst s -f && kst l l && kln t l && kreal r l && kpw u root && kgr g root\n",
            quote(&d)
        );
        // `kst s -f` passes the name after `--`, so the dash is no option.
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        let r = Reply::from_output(&ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        });
        assert_eq!(r.failure(), None, "{:?}", r);
        assert_eq!(r.stat("s").unwrap().size, 2);
        assert!(r.stat("l").unwrap().is_link());
        assert_eq!(r.text("t").unwrap(), "-f");
        assert_eq!(r.text("r").unwrap(), format!("{d}/-f"));
        assert_eq!(r.entry_id("u"), Some(0));
        assert_eq!(r.entry_id("g"), Some(0));
    }

    #[test]
    fn paths_as_words() {
        assert_eq!(sh_path("~/a b"), "\"$HOME\"/'a b'");
        assert_eq!(sh_path("-rf"), "./-rf");
        assert_eq!(expand_home("~/x", Some("/root")), "/root/x");
        assert_eq!(dirname("/a/b"), "/a");
        assert_eq!(dirname("/a"), "/");
        assert_eq!(dirname("a"), "");
        assert_eq!(basename("/a/b/"), "");
        assert_eq!(join("/a", "b"), "/a/b");
        assert_eq!(join("/a/", "/b"), "/b");
    }
}
