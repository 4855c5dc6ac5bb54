// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `unarchive`: unpacks a tar (gzip, bzip2, xz, zstd or plain) or zip
//! archive into an existing directory with the host's own `tar`/`unzip`.
//!
//! One probe picks the handler as Ansible does (zip first, then tar with
//! `-z`, none, `-j`, `-J`, `--zstd`), lists the members and asks whether
//! they are already there (`tar --diff`; for zip, each member compared
//! with `cmp` after a trial extraction in a temp dir); the apply step
//! extracts. Owner/group/mode given to the task are applied with one
//! `chown`/`chmod` over the members afterwards.
//!
//! A controller archive (found as `copy` finds its `src`) goes with both
//! round trips on stdin: the probe stages it in a private temp directory,
//! inspects it and removes it again (so an archive already in place or a
//! check run leaves nothing behind and costs one round trip); the apply
//! recreates that same directory (`mkdir` fails rather than reuse one
//! somebody made meanwhile), takes the archive again and extracts it. The
//! archive crosses the wire twice when it changes something, once when it
//! does not: two round trips instead of four (stat, upload, inspect,
//! extract or clean up).

use super::args::ArgReader;
use super::copy::find_needle;
use super::probe::{Reply, normpath, probe, probe_with, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::uri::chmod_mode;
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed, raised};
use crate::transport::quote;
use serde_json::{Value as Json, json};

pub struct Unarchive;

static SPEC: ModuleSpec = ModuleSpec {
    name: "unarchive",
    args: super::args::file_args![
        ArgSpec::new("src", T::Path).required(),
        ArgSpec::new("dest", T::Path).required(),
        ArgSpec::new("remote_src", T::Bool),
        ArgSpec::new("creates", T::Path),
        ArgSpec::new("list_files", T::Bool),
        ArgSpec::new("keep_newer", T::Bool),
        ArgSpec::new("exclude", T::List),
        ArgSpec::new("include", T::List),
        ArgSpec::new("extra_opts", T::List),
        ArgSpec::new("validate_certs", T::Bool),
        ArgSpec::new("io_buffer_size", T::Int),
        ArgSpec::new("copy", T::Bool),
        ArgSpec::new("decrypt", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[&["include", "exclude"]],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

/// Tar handlers in Ansible's order: class name and compression flag.
const TARS: &[(&str, &str)] = &[
    ("TgzArchive", "-z"),
    ("TarArchive", ""),
    ("TarBzipArchive", "-j"),
    ("TarXzArchive", "-J"),
    ("TarZstdArchive", "--zstd"),
];

pub struct UnarchiveArgs {
    src: String,
    dest: String,
    remote_src: bool,
    creates: Option<String>,
    list_files: bool,
    keep_newer: bool,
    exclude: Vec<String>,
    include: Vec<String>,
    opts: Vec<String>,
    mode: Option<String>,
    owner: Option<String>,
    group: Option<String>,
}

/// What the plan found.
pub struct Found {
    handler: String,
    /// The tar binary and flag, or the unzip binary.
    tool: String,
    flag: String,
    src: String,
    /// A controller archive: the private directory the probe staged it in
    /// (made again by the apply) and its bytes, sent again.
    staged: Option<(String, Vec<u8>)>,
    files: Vec<String>,
    /// Zip members not on disk yet (the `diff` Ansible prepares).
    missing: Vec<String>,
    /// The destination as an absolute path (the probe's `pwd` in it).
    abs: String,
    /// The destination's stat as the inspection saw it (the result of an
    /// archive already in place, without another round trip).
    dest_st: Option<super::probe::FileStat>,
}

fn list(a: &ArgReader<'_>, name: &str) -> Vec<String> {
    match a.raw(name) {
        Some(Json::Array(v)) => v
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect(),
        Some(Json::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// GNU tar unquotes backslash escapes in `-C`'s directory (`\\b` would
/// name another directory); a destination with a backslash is kept as
/// data. Only then, so the command reported stays Ansible's otherwise.
fn no_unquote(dest: &str) -> Option<String> {
    dest.contains('\\').then(|| "--no-unquote".to_string())
}

/// The checks before anything else: `creates`, the destination a
/// directory, its absolute path, the remote user's id. Sets `$d`.
fn dest_checks(a: &UnarchiveArgs) -> String {
    let mut s = creates_check(a);
    s.push_str(&format!(
        "d={}\n[ -d \"$d\" ] || {{ kv notdir 1; exit 0; }}\nkv absdest \"$(cd \"$d\" && pwd)\"\nkv uid \"$(id -u)\"\n",
        sh_path(&a.dest)
    ));
    s
}

/// `creates` already there ends the task (the check Ansible's action
/// makes first of all).
fn creates_check(a: &UnarchiveArgs) -> String {
    a.creates
        .as_ref()
        .map(|c| format!("if [ -e {} ]; then kv created 1; exit 0; fi\n", sh_path(c)))
        .unwrap_or_default()
}

/// Where the archive is: on the host, or the bytes of a controller file
/// sent on stdin.
#[derive(Clone, Copy)]
enum Source<'a> {
    Host(&'a str),
    Controller(&'a [u8]),
}

/// Makes the private directory `$w` and writes stdin (the archive) to
/// `$w/source`. All of stdin is read whatever fails, so the sender never
/// writes into a closed channel. `make` creates the directory and sets
/// `$w`; nothing else of the script runs when staging fails.
fn stage(make: &str) -> String {
    format!(
        "if {make}; then cat > \"$w/source\" || {{ cat > /dev/null; rm -rf -- \"$w\"; kv xfer 1; exit 0; }}\n\
         else cat > /dev/null; kv xfer 1; exit 0; fi\n"
    )
}

/// The result of [`dest_checks`] when the task stops there.
fn gate(a: &UnarchiveArgs, reply: &Reply) -> Option<ModResult> {
    if let Some(e) = reply.failure() {
        return Some(failed(e));
    }
    if reply.has("created") {
        let c = a.creates.clone().unwrap_or_default();
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        r.insert("skipped".into(), json!(true));
        r.insert("msg".into(), json!(format!("skipped, since {c} exists")));
        return Some(r);
    }
    if reply.has("notdir") {
        return Some(raised(format!("dest '{}' must be an existing dir", a.dest)));
    }
    None
}

impl UnarchiveArgs {
    /// tar's options shared by --list, --diff and --extract.
    fn tar_opts(&self, flag: &str, with_ids: bool) -> Vec<String> {
        let mut v = Vec::new();
        if !flag.is_empty() {
            v.push(flag.to_string());
        }
        if !self.opts.is_empty() {
            v.push("--show-transformed-names".into());
            v.extend(self.opts.iter().cloned());
        }
        if with_ids {
            if let Some(o) = &self.owner {
                v.push(format!("--owner={o}"));
            }
            if let Some(g) = &self.group {
                v.push(format!("--group={g}"));
            }
            if self.keep_newer {
                v.push("--keep-newer-files".into());
            }
        }
        v.extend(self.exclude.iter().map(|e| format!("--exclude={e}")));
        v
    }
}

/// Ansible's itemized list (rsync style) of zip members to create.
fn prepared(missing: &[String]) -> String {
    missing
        .iter()
        .map(|m| {
            let kind = if m.ends_with('/') { 'd' } else { 'f' };
            format!(">{kind}++++++.?? {m}\n")
        })
        .collect()
}

fn words(v: &[String]) -> String {
    v.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// Lines of `tar --diff` that mean the archive is not (all) there, as
/// Ansible filters them.
fn tar_differs(out: &str, a: &UnarchiveArgs, root: bool) -> bool {
    out.lines().any(|l| {
        if l.contains(": Warning: Cannot stat: No such file or directory") && l.contains("::") {
            return false;
        }
        (root && a.owner.is_none() && l.contains("Uid differs"))
            || (root && a.group.is_none() && l.contains("Gid differs"))
            || (a.mode.is_none() && l.contains("Mode differs"))
            || [
                "Mod time differs",
                "No such file or directory",
                "Invalid owner",
                "Invalid group",
                "Symlink differs",
                "Contents differ",
                "Size differs",
            ]
            .iter()
            .any(|p| l.contains(p))
    })
}

#[async_trait::async_trait]
impl Module for Unarchive {
    type Args = UnarchiveArgs;
    type State = Found;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<UnarchiveArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        let remote_src = match (a.raw("copy"), a.raw("remote_src")) {
            (Some(_), Some(_)) => {
                return Err("parameters are mutually exclusive: ('copy', 'remote_src')".into());
            }
            (Some(_), None) => !a.bool("copy", true)?,
            _ => a.bool("remote_src", false)?,
        };
        Ok(UnarchiveArgs {
            src: a.str("src").unwrap_or_default(),
            dest: a.str("dest").unwrap_or_default(),
            remote_src,
            creates: a.str("creates"),
            list_files: a.bool("list_files", false)?,
            keep_newer: a.bool("keep_newer", false)?,
            exclude: list(&a, "exclude")
                .into_iter()
                .map(|e| e.trim_end_matches('/').to_string())
                .collect(),
            include: list(&a, "include"),
            opts: list(&a, "extra_opts"),
            mode: a.raw("mode").map(chmod_mode),
            owner: a.str("owner"),
            group: a.str("group"),
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &UnarchiveArgs,
    ) -> Result<Step<Found>, ModuleError> {
        if a.src.is_empty() || a.dest.is_empty() {
            return Ok(Step::Done(raised("src (or content) and dest are required")));
        }
        let source = if a.remote_src {
            None
        } else {
            match controller_archive(ctx, a) {
                Ok(bytes) => Some(bytes),
                Err(r) => {
                    // Ansible looks for `creates` on the host before it
                    // looks for the archive: an existing one skips.
                    if a.creates.is_some() {
                        let reply = probe(ctx, &creates_check(a)).await?;
                        if let Some(skip) = gate(a, &reply) {
                            return Ok(Step::Done(skip));
                        }
                    }
                    return Ok(Step::Done(r));
                }
            }
        };
        let src = match &source {
            Some(bytes) => Source::Controller(bytes),
            None => Source::Host(&a.src),
        };
        // The destination checks and the inspection are one round trip,
        // the extraction the second.
        match self.inspect(ctx, a, src).await? {
            Ok((mut found, unarchived)) => {
                if let (Some((dir, _)), Some(bytes)) = (found.staged.take(), source) {
                    found.staged = Some((dir, bytes));
                }
                Ok(self.decide(ctx, a, found, unarchived))
            }
            Err(r) => Ok(Step::Done(r)),
        }
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &UnarchiveArgs,
        f: Found,
    ) -> Result<ModResult, ModuleError> {
        // The destination's absolute path is the plan's: no probe here,
        // so the apply is one round trip (the staged archive goes with it).
        let abs = f.abs.clone();
        let cmd: Vec<String> = if f.handler == "ZipArchive" {
            let mut c = vec![f.tool.clone(), "-o".into()];
            c.extend(a.opts.iter().cloned());
            c.push(f.src.clone());
            if !a.exclude.is_empty() {
                c.push("-x".into());
                c.extend(a.exclude.iter().cloned());
            }
            c.extend(a.include.iter().cloned());
            c.push("-d".into());
            c.push(abs.clone());
            c
        } else {
            let mut c = vec![f.tool.clone(), "--extract".into()];
            c.extend(no_unquote(&abs));
            c.extend(["-C".to_string(), abs.clone()]);
            c.extend(a.tar_opts(&f.flag, true));
            c.push("-f".into());
            c.push(f.src.clone());
            c.extend(a.include.iter().cloned());
            c
        };
        let mut fix = String::new();
        let members: Vec<String> = f.files.iter().map(|m| quote(m)).collect();
        if !members.is_empty() {
            if let Some(m) = &a.mode {
                fix.push_str(&format!(
                    "chmod {} -- {} 2>/dev/null\n",
                    quote(m),
                    members.join(" ")
                ));
            }
            if let Some(o) = &a.owner {
                fix.push_str(&format!(
                    "chown {} -- {} 2>/dev/null\n",
                    quote(o),
                    members.join(" ")
                ));
            }
            if let Some(g) = &a.group {
                fix.push_str(&format!(
                    "chgrp {} -- {} 2>/dev/null\n",
                    quote(g),
                    members.join(" ")
                ));
            }
        }
        // A controller archive is staged again, in the directory the
        // probe named (see the module's doc).
        let (head, cleanup) = match &f.staged {
            Some((dir, _)) => (
                format!(
                    "w={}\n{}",
                    quote(dir),
                    stage("mkdir -m 700 -- \"$w\" 2>/dev/null")
                ),
                "rm -rf -- \"$w\"\n".to_string(),
            ),
            None => (String::new(), String::new()),
        };
        let script = format!(
            "{head}ktmp -d || {{ {cleanup}exit 1; }}\no=$_t\ncd {d} || {{ rm -rf -- \"$o\"; {cleanup}exit 1; }}\n{cmd} > \"$o/out\" 2> \"$o/err\"\nkv rc $?\nkfile out \"$o/out\"; kfile xerr \"$o/err\"; rm -rf -- \"$o\"\n{fix}kst st {dest}\n{cleanup}",
            d = quote(&abs),
            cmd = words(&cmd),
            dest = sh_path(&a.dest),
        );
        let stdin = f.staged.as_ref().map(|(_, b)| b.as_slice());
        let reply = probe_with(ctx, &script, stdin).await?;
        if let Some(e) = reply.failure() {
            return Ok(failed(e));
        }
        // Ansible's module names the archive's path on the host.
        if reply.has("xfer") {
            return Ok(failed(format!("Source '{}' failed to transfer", f.src)));
        }
        let rc: i64 = reply.text("rc").and_then(|r| r.parse().ok()).unwrap_or(-1);
        let mut r = ModResult::new();
        r.insert("handler".into(), json!(f.handler));
        r.insert("dest".into(), json!(a.dest));
        r.insert("src".into(), json!(f.src));
        r.insert(
            "extract_results".into(),
            json!({
                "cmd": cmd,
                "rc": rc,
                "out": reply.text("out").unwrap_or_default(),
                "err": reply.text("xerr").unwrap_or_default(),
            }),
        );
        if rc != 0 {
            r.insert("failed".into(), json!(true));
            r.insert(
                "msg".into(),
                json!(format!("failed to unpack {} to {}", f.src, a.dest)),
            );
            return Ok(r);
        }
        r.insert("changed".into(), json!(true));
        if !f.missing.is_empty() {
            r.insert("diff".into(), json!({"prepared": prepared(&f.missing)}));
        }
        if a.list_files {
            r.insert("files".into(), json!(f.files));
        }
        super::probe::add_path_info(&mut r, reply.stat("st").as_ref());
        Ok(r)
    }
}

impl Unarchive {
    /// What the inspection means: check mode's skip, nothing to do, or
    /// the extraction to run.
    fn decide(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &UnarchiveArgs,
        found: Found,
        unarchived: bool,
    ) -> Step<Found> {
        let mut r = ModResult::new();
        r.insert("handler".into(), json!(found.handler));
        r.insert("dest".into(), json!(a.dest));
        r.insert("src".into(), json!(found.src));
        if ctx.check_mode && found.handler != "ZipArchive" {
            let mut r = ModResult::new();
            r.insert("changed".into(), json!(false));
            r.insert("skipped".into(), json!(true));
            r.insert(
                "msg".into(),
                json!(
                    "remote module (ansible.legacy.unarchive) does not support check mode when using gtar"
                ),
            );
            return Step::Done(r);
        }
        if unarchived {
            r.insert("changed".into(), json!(false));
            if a.list_files {
                r.insert("files".into(), json!(found.files));
            }
            super::probe::add_path_info(&mut r, found.dest_st.as_ref());
            return Step::Done(r);
        }
        if !found.missing.is_empty() {
            r.insert("diff".into(), json!({"prepared": prepared(&found.missing)}));
        }
        // What check mode shows (zip only): the module's result as it
        // stands before extracting, `dest`'s stat and the members.
        let mut check = r;
        check.insert("changed".into(), json!(true));
        if a.list_files {
            check.insert("files".into(), json!(found.files));
        }
        super::probe::add_path_info(&mut check, found.dest_st.as_ref());
        Step::Change {
            check,
            state: found,
        }
    }

    /// Picks the handler, lists the members and says whether they are all
    /// in place already. `Ok(Err(result))` is a failure to report.
    async fn inspect(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &UnarchiveArgs,
        src: Source<'_>,
    ) -> Result<Result<(Found, bool), ModResult>, ModuleError> {
        // The checks this script starts with find the destination's
        // absolute path (`$ab`); `$unq` is tar's `--no-unquote` when it has
        // a backslash, as `no_unquote` says.
        let head = format!(
            "{}ab=$(cd \"$d\" && pwd) || exit 1\ncase $ab in *\\\\*) unq=--no-unquote ;; *) unq= ;; esac\nh=\n",
            dest_checks(a)
        );
        let (d, unq) = ("\"$ab\"", " $unq");
        let s = match src {
            Source::Host(p) => quote(p),
            Source::Controller(_) => "\"$w/source\"".to_string(),
        };
        let mut script = format!(
            "{head}s={s}\n[ -e \"$s\" ] || {{ kv nosrc 1; exit 0; }}\n[ -r \"$s\" ] || {{ kv unreadable 1; exit 0; }}\n[ -s \"$s\" ] || {{ kv empty 1; exit 0; }}\n\
             t=$(mktemp -d) || exit 1\n\
             u=$(command -v unzip)\n\
             if [ -n \"$u\" ] && \"$u\" -Z1 \"$s\" > \"$t/list\" 2>/dev/null; then kv handler ZipArchive; kv tool \"$u\"; kfile list \"$t/list\"\n\
               mkdir \"$t/x\" && \"$u\" -qq -o \"$s\" -d \"$t/x\" >/dev/null 2>&1 && (cd \"$t/x\" && find . ! -type d) | while IFS= read -r f; do cmp -s \"$t/x/$f\" {d}/\"$f\" || {{ echo differs; break; }}; done > \"$t/zd\"; [ -s \"$t/zd\" ] && kv differs 1\n\
               while IFS= read -r f; do [ -e {d}/\"$f\" ] || printf '%s\\n' \"$f\"; done < \"$t/list\" > \"$t/missing\"; kfile missing \"$t/missing\"\n\
             else\n  g=$(command -v gtar || command -v tar)\n",
        );
        for (name, flag) in TARS {
            let list_opts = words(&a.tar_opts(flag, false));
            let diff_opts = words(&a.tar_opts(flag, true));
            script.push_str(&format!(
                "  if [ -z \"$h\" ] && [ -n \"$g\" ] && (cd {d} && \"$g\" --list{unq} -C {d} {list_opts} -f \"$s\" {inc}) > \"$t/list\" 2>/dev/null; then h={name}; kv handler {name}; kv tool \"$g\"; kv flag {flag}; kfile list \"$t/list\"\n\
                   (cd {d} && \"$g\" --diff{unq} -C {d} {diff_opts} -f \"$s\" {inc}) > \"$t/diff\" 2>&1; kfile diff \"$t/diff\"; fi\n",
                flag = quote(flag),
                inc = words(&a.include),
            ));
        }
        script.push_str(&format!(
            "fi\nrm -rf -- \"$t\"\nkst st {}\n",
            sh_path(&a.dest)
        ));
        // A controller archive is staged first and removed after the
        // inspection, whatever it found (the inspection runs in a subshell
        // so its early exits come back here).
        let (script, stdin) = match src {
            Source::Host(_) => (script, None),
            Source::Controller(bytes) => (
                format!(
                    "{}kv staged \"$w\"\n(\n{script}\n)\nrc=$?\nrm -rf -- \"$w\"\nexit $rc\n",
                    stage(
                        "w=$(umask 077 && mktemp -d \"${TMPDIR:-/tmp}/kiln-unarchive.XXXXXXXX\")"
                    )
                ),
                Some(bytes),
            ),
        };
        let reply: Reply = probe_with(ctx, &script, stdin)
            .await
            .map_err(|e| super::remote_stat_failed(&a.dest, e))?;
        if let Some(r) = gate(a, &reply) {
            return Ok(Err(r));
        }
        if reply.has("xfer") {
            return Ok(Err(failed(format!(
                "Source '{}' failed to transfer",
                a.src
            ))));
        }
        let staged = reply.text("staged");
        let src = match (&src, &staged) {
            (Source::Controller(_), Some(w)) => format!("{w}/source"),
            _ => a.src.clone(),
        };
        let abs = reply.text("absdest").unwrap_or_else(|| a.dest.clone());
        let root = reply.text("uid").as_deref() == Some("0");
        if reply.has("nosrc") {
            return Ok(Err(failed(if a.remote_src {
                format!("Source '{src}' does not exist")
            } else {
                format!("Source '{src}' failed to transfer")
            })));
        }
        if reply.has("unreadable") {
            return Ok(Err(failed(format!("Source '{src}' not readable"))));
        }
        if reply.has("empty") {
            return Ok(Err(failed(format!(
                "Invalid archive '{src}', the file is 0 bytes"
            ))));
        }
        let Some(handler) = reply.text("handler") else {
            return Ok(Err(failed(format!(
                "Failed to find handler for \"{src}\". Make sure the required command to extract the file is installed."
            ))));
        };
        let files: Vec<String> = reply
            .text("list")
            .unwrap_or_default()
            .lines()
            .map(|l| l.strip_prefix('/').unwrap_or(l).to_string())
            .filter(|l| !a.exclude.iter().any(|e| super::setup::text::fnmatch(l, e)))
            .collect();
        let unarchived = if handler == "ZipArchive" {
            !reply.has("differs")
        } else {
            !tar_differs(&reply.text("diff").unwrap_or_default(), a, root)
        };
        Ok(Ok((
            Found {
                handler,
                tool: reply.text("tool").unwrap_or_default(),
                flag: reply.text("flag").unwrap_or_default(),
                src: normpath(&src),
                staged: staged.map(|w| (w, Vec::new())),
                files,
                missing: reply
                    .text("missing")
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_string)
                    .collect(),
                abs,
                dest_st: reply.stat("st"),
            },
            unarchived,
        )))
    }
}

/// The bytes of a controller archive, found as Ansible's action finds it;
/// `Err` is the task's failure.
fn controller_archive(ctx: &ModuleCtx<'_>, a: &UnarchiveArgs) -> Result<Vec<u8>, ModResult> {
    if a.src.contains("://") {
        return Err(raised(format!(
            "Unsupported option, an URI src ({}) is only supported when remote_src is True",
            a.src
        )));
    }
    let path = find_needle(ctx, "files", &a.src).map_err(|e| super::missing_on_controller(&e))?;
    std::fs::read(&path).map_err(|e| failed(format!("{path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> UnarchiveArgs {
        UnarchiveArgs {
            src: "a.tgz".into(),
            dest: "/d".into(),
            remote_src: true,
            creates: None,
            list_files: false,
            keep_newer: false,
            exclude: vec!["skip".into()],
            include: vec![],
            opts: vec!["--strip-components=1".into()],
            mode: None,
            owner: None,
            group: None,
        }
    }

    /// Runs the staging fragment with `/bin/sh` in `dir`, `$w` already
    /// there when `taken`: what it reports and whether the rest ran.
    fn staged(dir: &std::path::Path, taken: bool) -> String {
        let w = dir.join("w");
        if taken {
            std::fs::create_dir(&w).expect("w");
        }
        let script = format!(
            "kv() {{ printf '%s=%s\\n' \"$1\" \"$2\"; }}\nw={}\n{}kv rest 1\n",
            quote(&w.display().to_string()),
            stage("mkdir -m 700 -- \"$w\" 2>/dev/null")
        );
        let mut child = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sh");
        // More than a pipe holds: the fragment must read it all, or the
        // writer would block (the sender's channel stays open).
        let archive = vec![b'x'; 256 * 1024];
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            stdin.write_all(&archive).is_ok()
        });
        let out = child.wait_with_output().expect("output");
        assert!(writer.join().expect("writer"), "stdin not read whole");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn a_staging_directory_made_meanwhile_is_a_failed_transfer() {
        let tmp = tempfile::tempdir().expect("tempdir");
        // The apply's mkdir finds the directory there: nothing else runs,
        // the archive is read and dropped, nothing is written into it.
        assert_eq!(staged(tmp.path(), true), "xfer=1\n");
        assert!(!tmp.path().join("w/source").exists());
        let tmp = tempfile::tempdir().expect("tempdir");
        assert_eq!(staged(tmp.path(), false), "rest=1\n");
        assert_eq!(
            std::fs::metadata(tmp.path().join("w/source"))
                .expect("staged")
                .len(),
            256 * 1024
        );
    }

    #[test]
    fn tar_options_and_differences() {
        let a = args();
        assert_eq!(
            a.tar_opts("-z", true),
            [
                "-z",
                "--show-transformed-names",
                "--strip-components=1",
                "--exclude=skip"
            ]
        );
        assert!(tar_differs("x/a: Mod time differs\n", &a, true));
        assert!(tar_differs("x/a: Uid differs\n", &a, true));
        assert!(!tar_differs("x/a: Uid differs\n", &a, false));
        assert!(!tar_differs("", &a, true));
    }
}
