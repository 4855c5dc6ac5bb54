// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `file`: states `file`, `directory`, `absent`, `touch`, `link` and `hard`,
//! with `recurse`, `src`, `force`, `follow`, owner/group/mode and
//! `access_time`/`modification_time`. One probe answers everything the
//! decision needs; the apply step is one script that ends by reporting the
//! path's new stat.

use super::args::{ArgReader, file_args};
use super::perms::{
    AttrChange, ENV_SNIPPET, FileAttrs, ModeArg, host_env, mkdir_each_script, plan_attrs, plan_for,
};
use super::probe::{
    FileStat, PRELUDE, Reply, add_path_info, basename, dirname, expand_home, join, needs_home,
    probe, run_script, sh_path,
};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::template::{py_bytes_repr, py_repr};
use crate::transport::{quote, quote_bytes};
use serde_json::{Map, Value as Json, json};

pub struct File;

static SPEC: ModuleSpec = ModuleSpec {
    name: "file",
    args: file_args![
        ArgSpec::new("state", T::Str).choices(&[
            "absent",
            "directory",
            "file",
            "hard",
            "link",
            "touch"
        ]),
        ArgSpec::new("path", T::Path)
            .required()
            .aliases(&["dest", "name"]),
        ArgSpec::new("recurse", T::Bool),
        ArgSpec::new("force", T::Bool),
        ArgSpec::new("follow", T::Bool),
        ArgSpec::new("src", T::Path),
        ArgSpec::new("modification_time", T::Str),
        ArgSpec::new("modification_time_format", T::Str),
        ArgSpec::new("access_time", T::Str),
        ArgSpec::new("access_time_format", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

/// `access_time` / `modification_time`.
#[derive(Debug, Clone, PartialEq)]
enum TimeArg {
    Preserve,
    Now,
    At(f64),
}

pub struct FileArgs {
    state: Option<String>,
    path: String,
    recurse: bool,
    force: bool,
    follow: bool,
    src: Option<String>,
    attrs: FileAttrs,
    mtime: Option<String>,
    mtime_format: String,
    atime: Option<String>,
    atime_format: String,
}

/// What the apply step runs and reports.
pub struct ApplyPlan {
    /// Shell lines after the prelude; `$r` must name the path to report.
    script: String,
    result: ModResult,
}

/// Python's `time.mktime(time.strptime(text, format))` in the local zone.
fn parse_time(text: &str, format: &str) -> Result<f64, String> {
    use chrono::{Local, NaiveDateTime, TimeZone};
    // Python's strptime words: a mismatch names both, leftover text is
    // "unconverted".
    let why = match NaiveDateTime::parse_and_remainder(text, format) {
        Ok((naive, "")) => Ok(naive),
        Ok((_, rest)) => Err(format!("unconverted data remains: {rest}")),
        Err(_) => Err(format!(
            "time data {} does not match format {}",
            py_repr(&minijinja::Value::from(text)),
            py_repr(&minijinja::Value::from(format))
        )),
    };
    let naive = why.map_err(|e| {
        format!("Error while obtaining timestamp for time {text} using format {format}: {e}")
    })?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp() as f64)
        .ok_or_else(|| format!("Error while obtaining timestamp for time {text} using format {format}: no such local time"))
}

fn time_arg(v: &Option<String>, format: &str, default: TimeArg) -> Result<TimeArg, String> {
    match v.as_deref() {
        None => Ok(default),
        Some("preserve") => Ok(TimeArg::Preserve),
        Some("now") => Ok(TimeArg::Now),
        Some(t) => parse_time(t, format).map(TimeArg::At),
    }
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Ansible's `initial_diff`.
fn initial_diff(path: &str, state: &str, prev: &str) -> Map<String, Json> {
    let mut before = Map::new();
    let mut after = Map::new();
    before.insert("path".into(), json!(path));
    after.insert("path".into(), json!(path));
    if prev != state {
        before.insert("state".into(), json!(prev));
        after.insert("state".into(), json!(state));
    }
    let mut d = Map::new();
    d.insert("before".into(), Json::Object(before));
    d.insert("after".into(), Json::Object(after));
    d
}

fn diff_side<'a>(diff: &'a mut Map<String, Json>, side: &str) -> Option<&'a mut Map<String, Json>> {
    diff.get_mut(side).and_then(Json::as_object_mut)
}

/// The timestamp change for one path (`update_timestamp_for_file`): shell
/// lines and diff entries, or nothing when both are preserved or equal.
fn plan_times(
    st: Option<&FileStat>,
    mtime: &TimeArg,
    atime: &TimeArg,
    var: &str,
    diff: &mut Map<String, Json>,
) -> Option<String> {
    let (prev_m, prev_a) = st.map(|s| (s.mtime, s.atime)).unwrap_or((0.0, 0.0));
    let t = now();
    let (m, a, cmd) = match (mtime, atime) {
        (TimeArg::Now, TimeArg::Now) => (t, t, format!("touch -- \"${var}\" || exit 1\n")),
        (TimeArg::Preserve, TimeArg::Preserve) => return None,
        _ => {
            let pick = |x: &TimeArg, prev: f64| match x {
                TimeArg::Preserve => prev,
                TimeArg::Now => t,
                TimeArg::At(v) => *v,
            };
            let (m, a) = (pick(mtime, prev_m), pick(atime, prev_a));
            if m == prev_m && a == prev_a {
                return None;
            }
            let mut c = String::new();
            if m != prev_m {
                c.push_str(&format!("touch -m -d @{m} -- \"${var}\" || exit 1\n"));
            }
            if a != prev_a {
                c.push_str(&format!("touch -a -d @{a} -- \"${var}\" || exit 1\n"));
            }
            (m, a, c)
        }
    };
    if m != prev_m {
        if let Some(b) = diff_side(diff, "before") {
            b.insert("mtime".into(), json!(prev_m));
        }
        if let Some(b) = diff_side(diff, "after") {
            b.insert("mtime".into(), json!(m));
        }
    }
    if a != prev_a {
        if let Some(b) = diff_side(diff, "before") {
            b.insert("atime".into(), json!(prev_a));
        }
        if let Some(b) = diff_side(diff, "after") {
            b.insert("atime".into(), json!(a));
        }
    }
    Some(cmd)
}

/// The directories and files under a directory in `os.walk` order, from
/// `find`'s NUL-separated listing (`d`/`L`/`f` + path; `L` a link to a
/// directory, listed but not entered).
fn walk_order(root: &str, listing: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut children: std::collections::HashMap<String, Vec<(char, String)>> = Default::default();
    for rec in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let kind = rec[0] as char;
        let path = String::from_utf8_lossy(&rec[1..]).into_owned();
        children
            .entry(dirname(&path).to_string())
            .or_default()
            .push((kind, path));
    }
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    let mut stack = vec![root.trim_end_matches('/').to_string()];
    if stack[0].is_empty() {
        stack[0] = "/".into();
    }
    // Top-down: a directory's entries, then each subdirectory in turn.
    fn visit(
        dir: &str,
        children: &std::collections::HashMap<String, Vec<(char, String)>>,
        dirs: &mut Vec<String>,
        files: &mut Vec<String>,
    ) {
        let Some(entries) = children.get(dir) else {
            return;
        };
        for (k, p) in entries {
            if *k == 'f' {
                files.push(p.clone());
            } else {
                dirs.push(p.clone());
            }
        }
        for (k, p) in entries {
            if *k == 'd' {
                visit(p, children, dirs, files);
            }
        }
    }
    if let Some(root) = stack.pop() {
        visit(&root, &children, &mut dirs, &mut files);
    }
    (dirs, files)
}

/// One entry of a recursive listing: `%f %u %g %n`.
fn ascii(f: Option<&[u8]>) -> Option<&str> {
    f.and_then(|x| std::str::from_utf8(x).ok())
}

/// `stat` lines of `find`'s listing; the path stays bytes (a name need not
/// be UTF-8, and the apply script must name that very file).
fn parse_entries(listing: &[u8]) -> Vec<(u32, u32, u32, Vec<u8>)> {
    listing
        .split(|&b| b == 0)
        .filter_map(|rec| {
            let mut it = rec.splitn(4, |&b| b == b' ');
            let mode = u32::from_str_radix(ascii(it.next())?, 16).ok()?;
            let uid = ascii(it.next())?.parse().ok()?;
            let gid = ascii(it.next())?.parse().ok()?;
            Some((mode, uid, gid, it.next()?.to_vec()))
        })
        .collect()
}

fn fail_with(msg: impl Into<String>, extra: &[(&str, Json)]) -> ModResult {
    let mut r = failed(msg);
    for (k, v) in extra {
        r.insert((*k).to_string(), v.clone());
    }
    r
}

impl File {
    fn probe_script(&self, a: &FileArgs) -> String {
        let mut s = format!("p={}\n", sh_path(&a.path));
        if needs_home(&a.path) {
            s.push_str("kv home \"$HOME\"\n");
        }
        let state = a.state.as_deref();
        if let Some(src) = &a.src
            && !matches!(state, Some("link") | Some("absent"))
            && !basename(src).is_empty()
        {
            s.push_str(&format!(
                "if [ -d \"$p\" ]; then p=\"$p\"/{}; kv redirected 1; fi\n",
                quote(basename(src))
            ));
        }
        s.push_str("kst st \"$p\"; [ -e \"$p\" ] && kv exists 1\n");
        s.push_str(
            "if [ -L \"$p\" ]; then kln lnk \"$p\"; kreal real \"$p\"; kst stl \"$p\" -L; fi\n",
        );
        s.push_str(
            "if [ -d \"$p\" ] && [ ! -L \"$p\" ] && [ -n \"$(ls -A -- \"$p\" 2>/dev/null)\" ]; then kv nonempty 1; fi\n",
        );
        if let Some(src) = &a.src {
            match state {
                Some("link") => {
                    // absrc is relative to the path itself when it is a real
                    // directory, else to its parent: probe both.
                    s.push_str(&format!(
                        "a1=\"$p\"/{src}; kdir \"$p\"; a2=\"$_d\"/{src}\n",
                        src = quote(src)
                    ));
                    if src.starts_with('/') {
                        s.push_str(&format!("a1={0}; a2={0}\n", sh_path(src)));
                    }
                    s.push_str("[ -e \"$a1\" ] && kv a1 1; [ -e \"$a2\" ] && kv a2 1\n");
                    s.push_str("kst a2st \"$a2\" -L\n");
                }
                _ => {
                    s.push_str(&format!(
                        "s={}\n[ -e \"$s\" ] && kv sexists 1; kst sst \"$s\" -L; [ -L \"$s\" ] && kln slnk \"$s\"\n",
                        sh_path(src)
                    ));
                }
            }
        }
        s.push_str(&a.attrs.lookup_snippet());
        s.push_str(ENV_SNIPPET);
        if a.recurse {
            s.push_str(
                "if [ -d \"$p\" ]; then printf 'list:*\\n'; find \"$p\" -mindepth 1 -exec stat --printf '%f %u %g %n\\0' -- {} + 2>/dev/null; fi\n",
            );
        } else if state == Some("absent") {
            s.push_str(
                "if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then printf 'tree:*\\n'; find \"$p\" -mindepth 1 \\( -type l -xtype d -printf 'L%p\\0' \\) -o \\( -type d -printf 'd%p\\0' \\) -o -printf 'f%p\\0' 2>/dev/null; fi\n",
            );
        }
        s
    }
}

/// What the probe saw, with the path as the module sees it.
struct Seen<'r> {
    reply: &'r Reply,
    path: String,
    st: Option<FileStat>,
    stl: Option<FileStat>,
    exists: bool,
    umask: u32,
    euid: u32,
    egid: u32,
}

impl Seen<'_> {
    fn prev_state(&self) -> &'static str {
        self.st.as_ref().map(FileStat::state).unwrap_or("absent")
    }
    fn is_link(&self) -> bool {
        self.st.as_ref().is_some_and(FileStat::is_link)
    }
    fn is_dir_follow(&self) -> bool {
        if self.is_link() {
            self.stl.as_ref().is_some_and(FileStat::is_dir)
        } else {
            self.st.as_ref().is_some_and(FileStat::is_dir)
        }
    }
}

/// The result of a task that changes nothing (or a check-mode result): the
/// base keys plus the path's current info.
fn with_info(mut r: ModResult, st: Option<&FileStat>, exists: bool) -> ModResult {
    if exists {
        add_path_info(&mut r, st);
    }
    r
}

impl File {
    /// The state the task asks for (by default the path's current one).
    fn wanted_state(a: &FileArgs, seen: &Seen<'_>) -> String {
        let prev = seen.prev_state();
        match a.state.as_deref() {
            Some(s) => s.to_string(),
            None if prev != "absent" => prev.to_string(),
            None if a.recurse => "directory".into(),
            None => "file".into(),
        }
    }

    /// Decides what to do: a final result, or a change to apply.
    fn decide(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &FileArgs,
        seen: &Seen<'_>,
    ) -> Result<Step<ApplyPlan>, ModResult> {
        let path = seen.path.clone();
        let state = Self::wanted_state(a, seen);
        if a.recurse && state != "directory" {
            return Err(fail_with(
                "recurse option requires state to be 'directory'",
                &[("path", json!(path))],
            ));
        }
        if a.src.is_some() && !matches!(state.as_str(), "link" | "hard") {
            return Err(fail_with(
                "src option requires state to be 'link' or 'hard'",
                &[("path", json!(path))],
            ));
        }
        let default_time = if state == "touch" {
            TimeArg::Now
        } else {
            TimeArg::Preserve
        };
        let mtime = time_arg(&a.mtime, &a.mtime_format, default_time.clone()).map_err(failed)?;
        let atime = time_arg(&a.atime, &a.atime_format, default_time).map_err(failed)?;
        let (uid, gid) = if ctx.check_mode && !seen.exists {
            // Ansible only warns about unknown owners in check mode when the
            // path does not exist yet.
            (None, None)
        } else {
            a.attrs
                .ids(seen.reply)
                .map_err(|m| fail_with(m, &[("path", json!(path))]))?
        };
        let want = (uid, gid, a.attrs.mode.as_ref());
        match state.as_str() {
            "absent" => self.absent(ctx, seen, &path),
            "touch" => self.touch(ctx, a, seen, &path, want, &mtime, &atime),
            "file" => self.file_state(ctx, a, seen, &path, want, &mtime, &atime),
            "directory" => self.directory(ctx, a, seen, &path, want, &mtime, &atime),
            "link" => self.link(ctx, a, seen, &path, want, &mtime, &atime),
            _ => self.hard(ctx, a, seen, &path, want, &mtime, &atime),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        ctx: &ModuleCtx<'_>,
        mut result: ModResult,
        diff: Map<String, Json>,
        changed: bool,
        script: String,
        report: &str,
        current: (Option<&FileStat>, bool),
    ) -> Result<Step<ApplyPlan>, ModResult> {
        result.insert("changed".into(), json!(changed));
        if ctx.diff {
            result.insert("diff".into(), Json::Object(diff));
        }
        if !changed {
            return Ok(Step::Done(with_info(result, current.0, current.1)));
        }
        let check = with_info(result.clone(), current.0, current.1);
        Ok(Step::Change {
            check,
            state: ApplyPlan {
                script: format!("r={}\n{script}", sh_path(report)),
                result,
            },
        })
    }

    fn absent(
        &self,
        ctx: &ModuleCtx<'_>,
        seen: &Seen<'_>,
        path: &str,
    ) -> Result<Step<ApplyPlan>, ModResult> {
        let prev = seen.prev_state();
        let mut r = ModResult::new();
        r.insert("path".into(), json!(path));
        if prev == "absent" {
            r.insert("changed".into(), json!(false));
            r.insert("state".into(), json!("absent"));
            return Ok(Step::Done(with_info(r, seen.st.as_ref(), seen.exists)));
        }
        let mut diff = initial_diff(path, "absent", prev);
        if prev == "directory" {
            let (dirs, files) = walk_order(path, seen.reply.bytes("tree").unwrap_or_default());
            if let Some(b) = diff_side(&mut diff, "before") {
                b.insert(
                    "path_content".into(),
                    json!({"directories": dirs, "files": files}),
                );
            }
        }
        r.insert("changed".into(), json!(true));
        if ctx.diff {
            r.insert("diff".into(), Json::Object(diff));
        }
        r.insert("state".into(), json!("absent"));
        let script = if prev == "directory" {
            "rm -rf -- \"$p\" 2>/dev/null || { kv err \"rmtree failed: $(rm -rf -- \"$p\" 2>&1)\"; exit 1; }\n"
        } else {
            "rm -f -- \"$p\" 2>/dev/null || { kv err 'Unlinking failed.'; exit 1; }\n"
        };
        Ok(Step::Change {
            check: with_info(r.clone(), seen.st.as_ref(), seen.exists),
            state: ApplyPlan {
                script: format!("p={}\nr=\"$p\"\n{script}", sh_path(path)),
                result: r,
            },
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn touch(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &FileArgs,
        seen: &Seen<'_>,
        path: &str,
        want: (Option<u32>, Option<u32>, Option<&ModeArg>),
        mtime: &TimeArg,
        atime: &TimeArg,
    ) -> Result<Step<ApplyPlan>, ModResult> {
        let prev = seen.prev_state();
        let mut r = ModResult::new();
        r.insert("dest".into(), json!(path));
        if prev == "absent" && ctx.check_mode {
            r.insert("changed".into(), json!(true));
            return Ok(Step::Change {
                check: r,
                state: ApplyPlan {
                    script: String::new(),
                    result: ModResult::new(),
                },
            });
        }
        let mut diff = initial_diff(path, "touch", prev);
        let mut script = String::from("p=\"$r\"\n");
        // Attributes go to the link's target when following one (chmod
        // through the link itself is skipped: it cannot tell a link's own
        // mode from its target's).
        let followed = a.follow && seen.is_link();
        if followed {
            script.push_str(
                "p=$(realpath -m -- \"$p\" 2>/dev/null || readlink -f -- \"$p\"; echo .); p=\"${p%??}\"\n",
            );
        }
        let target: Option<FileStat> = if prev == "absent" {
            None
        } else if followed {
            seen.stl.clone()
        } else {
            seen.st.clone()
        };
        let change = match &target {
            Some(st) => plan_for(st, want, seen.umask),
            None => plan_attrs(
                seen.euid,
                seen.egid,
                0o666 & !seen.umask,
                false,
                want,
                seen.umask,
            ),
        }
        .map_err(|m| fail_with(m, &[("path", json!(path))]))?;
        change.merge_into(&mut diff);
        let time_cmd = plan_times(target.as_ref(), mtime, atime, "p", &mut diff);
        if prev == "absent" {
            script.push_str(
                ": > \"$p\" 2>/dev/null || { kv err 'Error, could not touch target.'; exit 1; }\n",
            );
        }
        script.push_str(&change.commands("p"));
        if let Some(t) = &time_cmd {
            script.push_str(t);
        }
        let changed = prev == "absent" || change.changed() || time_cmd.is_some();
        self.finish(
            ctx,
            r,
            diff,
            changed,
            script,
            path,
            (seen.st.as_ref(), seen.exists),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn file_state(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &FileArgs,
        seen: &Seen<'_>,
        path: &str,
        want: (Option<u32>, Option<u32>, Option<&ModeArg>),
        mtime: &TimeArg,
        atime: &TimeArg,
    ) -> Result<Step<ApplyPlan>, ModResult> {
        let mut path = path.to_string();
        let mut prev = seen.prev_state();
        let mut target = seen.st.clone();
        if prev != "file" && a.follow && prev == "link" {
            path = seen.reply.text("real").unwrap_or(path);
            target = seen.stl.clone();
            prev = target.as_ref().map(FileStat::state).unwrap_or("absent");
        }
        if !matches!(prev, "file" | "hard") {
            return Err(with_info(
                fail_with(
                    format!("file ({path}) is {prev}, cannot continue"),
                    &[("path", json!(path)), ("state", json!(prev))],
                ),
                target.as_ref(),
                target.is_some(),
            ));
        }
        let Some(st) = target else {
            return Err(failed("unexpected position reached"));
        };
        let mut diff = initial_diff(&path, "file", prev);
        let change =
            plan_for(&st, want, seen.umask).map_err(|m| fail_with(m, &[("path", json!(path))]))?;
        change.merge_into(&mut diff);
        let mut script = String::from("p=\"$r\"\n");
        script.push_str(&change.commands("p"));
        let time_cmd = plan_times(Some(&st), mtime, atime, "p", &mut diff);
        if let Some(t) = &time_cmd {
            script.push_str(t);
        }
        let mut r = ModResult::new();
        r.insert("path".into(), json!(path));
        let changed = change.changed() || time_cmd.is_some();
        self.finish(ctx, r, diff, changed, script, &path, (Some(&st), true))
    }

    #[allow(clippy::too_many_arguments)]
    fn directory(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &FileArgs,
        seen: &Seen<'_>,
        path: &str,
        want: (Option<u32>, Option<u32>, Option<&ModeArg>),
        mtime: &TimeArg,
        atime: &TimeArg,
    ) -> Result<Step<ApplyPlan>, ModResult> {
        let mut path = path.to_string();
        let mut prev = seen.prev_state();
        let mut target = seen.st.clone();
        if a.follow && prev == "link" {
            path = seen.reply.text("real").unwrap_or(path);
            target = seen.stl.clone();
            prev = target.as_ref().map(FileStat::state).unwrap_or("absent");
        }
        let mut diff = initial_diff(&path, "directory", prev);
        let mut r = ModResult::new();
        r.insert("path".into(), json!(path));
        if prev == "absent" {
            if ctx.check_mode {
                r.insert("changed".into(), json!(true));
                if ctx.diff {
                    r.insert("diff".into(), Json::Object(diff));
                }
                return Ok(Step::Change {
                    check: r,
                    state: ApplyPlan {
                        script: String::new(),
                        result: ModResult::new(),
                    },
                });
            }
            // mkdir -p, with the attributes set on every directory created.
            let change = plan_attrs(
                seen.euid,
                seen.egid,
                0o777 & !seen.umask,
                true,
                want,
                seen.umask,
            )
            .map_err(|m| fail_with(m, &[("path", json!(path))]))?;
            change.merge_into(&mut diff);
            let times = plan_times(None, mtime, atime, "r", &mut diff);
            // The module sets the times on the final path right after each
            // directory it makes, so with times asked and more than the
            // last directory missing it fails after making the first one
            // (ansible-core 2.21; a rerun makes one more).
            let too_early = format!(
                "kv err {}; exit 1\n",
                quote(&format!(
                    "Error while updating modification or access time: [Errno 2] No such file or directory: {}",
                    py_bytes_repr(path.as_bytes())
                ))
            );
            let mut script = mkdir_each_script(
                &path,
                &change,
                "There was an issue creating $c as requested",
                |_, last| {
                    if times.is_some() && !last {
                        too_early.clone()
                    } else {
                        String::new()
                    }
                },
            );
            if let Some(t) = times {
                script.push_str(&t);
            }
            return self.finish(ctx, r, diff, true, script, &path, (None, false));
        }
        if prev != "directory" {
            return Err(with_info(
                fail_with(
                    format!("{path} already exists as a {prev}"),
                    &[("path", json!(path))],
                ),
                target.as_ref(),
                target.is_some(),
            ));
        }
        let Some(st) = target else {
            return Err(failed("unexpected position reached"));
        };
        let change =
            plan_for(&st, want, seen.umask).map_err(|m| fail_with(m, &[("path", json!(path))]))?;
        change.merge_into(&mut diff);
        let mut script = String::from("p=\"$r\"\n");
        script.push_str(&change.commands("p"));
        let time_cmd = plan_times(Some(&st), mtime, atime, "p", &mut diff);
        if let Some(t) = &time_cmd {
            script.push_str(t);
        }
        let mut changed = change.changed() || time_cmd.is_some();
        if a.recurse {
            // Every entry below, links included (their own owner only).
            for (mode, uid, gid, p) in parse_entries(seen.reply.bytes("list").unwrap_or_default()) {
                let is_link = mode & 0o170000 == 0o120000;
                let is_dir = mode & 0o170000 == 0o040000;
                let m = if is_link { None } else { want.2 };
                let c: AttrChange = plan_attrs(
                    uid,
                    gid,
                    mode & 0o7777,
                    is_dir,
                    (want.0, want.1, m),
                    seen.umask,
                )
                .map_err(|e| fail_with(e, &[("path", json!(String::from_utf8_lossy(&p)))]))?;
                if c.changed() {
                    changed = true;
                    script.push_str(&format!("e={}\n{}", quote_bytes(&p), c.commands("e")));
                }
            }
        }
        self.finish(ctx, r, diff, changed, script, &path, (Some(&st), true))
    }

    #[allow(clippy::too_many_arguments)]
    fn link(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &FileArgs,
        seen: &Seen<'_>,
        path: &str,
        want: (Option<u32>, Option<u32>, Option<&ModeArg>),
        mtime: &TimeArg,
        atime: &TimeArg,
    ) -> Result<Step<ApplyPlan>, ModResult> {
        let prev = seen.prev_state();
        let mut src = a.src.clone();
        if src.is_none() && a.follow && seen.exists {
            src = seen.reply.text("lnk");
        }
        let in_dir = !seen.is_link() && seen.is_dir_follow();
        let relpath = if in_dir {
            path.to_string()
        } else {
            dirname(path).to_string()
        };
        let absrc = src.as_ref().map(|s| join(&relpath, s));
        let src_exists = seen.reply.has(if in_dir { "a1" } else { "a2" });
        if !a.force && a.src.is_some() && !src_exists {
            return Err(fail_with(
                format!(
                    "src file does not exist, use 'force=yes' if you really want to create the link: {}",
                    absrc.clone().unwrap_or_default()
                ),
                &[("path", json!(path)), ("src", json!(src))],
            ));
        }
        if prev == "directory" {
            if !a.force {
                return Err(with_info(
                    fail_with(
                        format!("refusing to convert from {prev} to symlink for {path}"),
                        &[("path", json!(path))],
                    ),
                    seen.st.as_ref(),
                    seen.exists,
                ));
            } else if seen.reply.has("nonempty") {
                return Err(with_info(
                    fail_with(
                        format!("the directory {path} is not empty, refusing to convert it"),
                        &[("path", json!(path))],
                    ),
                    seen.st.as_ref(),
                    seen.exists,
                ));
            }
        } else if matches!(prev, "file" | "hard") && !a.force {
            return Err(with_info(
                fail_with(
                    format!("refusing to convert from {prev} to symlink for {path}"),
                    &[("path", json!(path))],
                ),
                seen.st.as_ref(),
                seen.exists,
            ));
        }
        let mut diff = initial_diff(path, "link", prev);
        let mut changed = false;
        if prev != "link" {
            if src.is_none() {
                return Err(failed("src is required for creating new symlinks"));
            }
            changed = true;
        } else if let Some(s) = &src {
            let old = seen.reply.text("lnk").unwrap_or_default();
            if &old != s {
                if let Some(b) = diff_side(&mut diff, "before") {
                    b.insert("src".into(), json!(old));
                }
                if let Some(b) = diff_side(&mut diff, "after") {
                    b.insert("src".into(), json!(s));
                }
                changed = true;
            }
        }
        let mut r = ModResult::new();
        r.insert("dest".into(), json!(path));
        r.insert("src".into(), json!(src));
        let mut script = String::from("p=\"$r\"\n");
        if changed {
            let s = quote(src.as_deref().unwrap_or_default());
            if prev != "absent" {
                if prev == "directory" {
                    script.push_str("rmdir -- \"$p\" 2>/dev/null || { kv err 'Error while replacing: the directory could not be removed'; exit 1; }\n");
                }
                script.push_str(&format!(
                    "kdir \"$p\"; t=\"$_d/.$$.kiln.tmp\"\nln -s -- {s} \"$t\" && mv -fT -- \"$t\" \"$p\" || {{ rm -f -- \"$t\"; kv err 'Error while replacing: could not replace the path with a link'; exit 1; }}\n"
                ));
            } else {
                script.push_str(&format!(
                    "ln -s -- {s} \"$p\" 2>/dev/null || {{ kv err \"Error while linking: $(ln -s -- {s} \"$p\" 2>&1)\"; exit 1; }}\n"
                ));
            }
        }
        if ctx.check_mode && !seen.exists {
            r.insert("changed".into(), json!(changed));
            if ctx.diff {
                r.insert("diff".into(), Json::Object(diff));
            }
            return if changed {
                Ok(Step::Change {
                    check: r,
                    state: ApplyPlan {
                        script: String::new(),
                        result: ModResult::new(),
                    },
                })
            } else {
                Ok(Step::Done(r))
            };
        }
        // The attributes go to the link's target when following it, else to
        // the link itself (its owner; a link has no mode of its own).
        let (attr_st, attr_var, attr_ok): (Option<FileStat>, &str, bool) =
            if ctx.check_mode || !changed {
                if a.follow && seen.is_link() {
                    (seen.stl.clone(), "a", seen.stl.is_some())
                } else {
                    (seen.st.clone(), "p", true)
                }
            } else if a.follow {
                // The new link's target, as the link resolves it: from the
                // link's own directory (even where the path was a directory,
                // whose inside the existence check looked at).
                let target = seen.reply.stat("a2st");
                let found = target.is_some();
                (target, "a", found)
            } else {
                let link = FileStat {
                    st_mode: 0o120777,
                    uid: seen.euid,
                    gid: seen.egid,
                    ..seen.st.clone().unwrap_or(FileStat {
                        st_mode: 0o120777,
                        uid: seen.euid,
                        gid: seen.egid,
                        size: 0,
                        nlink: 1,
                        inode: 0,
                        dev: 0,
                        atime: 0.0,
                        mtime: 0.0,
                        ctime: 0.0,
                        blocks: 0,
                        blksize: 0,
                        rdev: 0,
                        user: None,
                        group: None,
                    })
                };
                (Some(link), "p", true)
            };
        if !attr_ok {
            r.insert(
                "warnings".into(),
                json!(["Cannot set fs attributes on a non-existent symlink target. follow should be set to False to avoid this."]),
            );
        } else if let Some(st) = &attr_st {
            let m = if st.is_link() { None } else { want.2 };
            let change = plan_for(st, (want.0, want.1, m), seen.umask)
                .map_err(|e| fail_with(e, &[("path", json!(path))]))?;
            change.merge_into(&mut diff);
            if attr_var == "a" {
                script.push_str("a=$(realpath -m -- \"$p\" 2>/dev/null || readlink -f -- \"$p\"; echo .); a=\"${a%??}\"\n");
            }
            script.push_str(&change.commands(attr_var));
            if let Some(t) = plan_times(Some(st), mtime, atime, attr_var, &mut diff) {
                script.push_str(&t);
                changed = true;
            }
            changed |= change.changed();
        }
        self.finish(
            ctx,
            r,
            diff,
            changed,
            script,
            path,
            (seen.st.as_ref(), seen.exists),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn hard(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &FileArgs,
        seen: &Seen<'_>,
        path: &str,
        want: (Option<u32>, Option<u32>, Option<&ModeArg>),
        mtime: &TimeArg,
        atime: &TimeArg,
    ) -> Result<Step<ApplyPlan>, ModResult> {
        let prev = seen.prev_state();
        let src = a.src.clone();
        if prev != "hard" && src.is_none() {
            return Err(failed("src is required for creating new hardlinks"));
        }
        if src.is_some() && !seen.reply.has("sexists") {
            return Err(fail_with(
                "src does not exist",
                &[("dest", json!(path)), ("src", json!(src))],
            ));
        }
        let src_st = seen.reply.stat("sst");
        let mut diff = initial_diff(path, "hard", prev);
        let same_inode = match (&seen.stl, &seen.st, &src_st) {
            (Some(l), _, Some(s)) if seen.is_link() => l.inode == s.inode && l.dev == s.dev,
            (_, Some(p), Some(s)) => p.inode == s.inode && p.dev == s.dev,
            _ => false,
        };
        let mut changed = false;
        match prev {
            "absent" => changed = true,
            "link" => {
                let old = seen.reply.text("lnk").unwrap_or_default();
                if Some(&old) != src.as_ref() {
                    if let Some(b) = diff_side(&mut diff, "before") {
                        b.insert("src".into(), json!(old));
                    }
                    if let Some(b) = diff_side(&mut diff, "after") {
                        b.insert("src".into(), json!(src));
                    }
                    changed = true;
                }
            }
            "hard" => {
                if src.is_some() && !same_inode {
                    changed = true;
                    if !a.force {
                        return Err(fail_with(
                            "Cannot link, different hard link exists at destination",
                            &[("dest", json!(path)), ("src", json!(src))],
                        ));
                    }
                }
            }
            "file" => {
                changed = true;
                if !a.force {
                    return Err(fail_with(
                        format!("Cannot link, {prev} exists at destination"),
                        &[("dest", json!(path)), ("src", json!(src))],
                    ));
                }
            }
            _ => {
                changed = true;
                if seen.exists {
                    if same_inode {
                        let mut r = ModResult::new();
                        r.insert("path".into(), json!(path));
                        r.insert("changed".into(), json!(false));
                        return Ok(Step::Done(with_info(r, seen.st.as_ref(), seen.exists)));
                    } else if !a.force {
                        return Err(fail_with(
                            "Cannot link: different hard link exists at destination",
                            &[("dest", json!(path)), ("src", json!(src))],
                        ));
                    }
                }
            }
        }
        let mut r = ModResult::new();
        r.insert("dest".into(), json!(path));
        r.insert("src".into(), json!(src));
        let mut script = String::from("p=\"$r\"\n");
        if changed {
            let s = sh_path(src.as_deref().unwrap_or_default());
            if prev != "absent" {
                script.push_str(&format!(
                    "kdir \"$p\"; t=\"$_d/.$$.kiln.tmp\"\nln -L -- {s} \"$t\" 2>/dev/null && mv -fT -- \"$t\" \"$p\" 2>/dev/null || {{ rm -f -- \"$t\"; kv err 'Error while replacing: could not replace the path with a hard link'; exit 1; }}\n"
                ));
            } else {
                script.push_str(&format!(
                    "ln -L -- {s} \"$p\" 2>/dev/null || {{ kv err \"Error while linking: $(ln -L -- {s} \"$p\" 2>&1)\"; exit 1; }}\n"
                ));
            }
        }
        if ctx.check_mode && !seen.exists {
            r.insert("changed".into(), json!(changed));
            if ctx.diff {
                r.insert("diff".into(), Json::Object(diff));
            }
            return Ok(Step::Change {
                check: r,
                state: ApplyPlan {
                    script: String::new(),
                    result: ModResult::new(),
                },
            });
        }
        // After linking, the path shares the source's inode and attributes.
        let attr_st = if ctx.check_mode || !changed {
            seen.stl.clone().or(seen.st.clone())
        } else {
            src_st
        };
        if let Some(st) = &attr_st {
            let change = plan_for(st, want, seen.umask)
                .map_err(|e| fail_with(e, &[("path", json!(path))]))?;
            change.merge_into(&mut diff);
            script.push_str(&change.commands("p"));
            if let Some(t) = plan_times(Some(st), mtime, atime, "p", &mut diff) {
                script.push_str(&t);
                changed = true;
            }
            changed |= change.changed();
        }
        self.finish(
            ctx,
            r,
            diff,
            changed,
            script,
            path,
            (seen.st.as_ref(), seen.exists),
        )
    }
}

#[async_trait::async_trait]
impl Module for File {
    type Args = FileArgs;
    type State = ApplyPlan;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<FileArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["path"])?;
        Ok(FileArgs {
            state: a.choice("state", None)?,
            path: a.str("path").unwrap_or_default(),
            recurse: a.bool("recurse", false)?,
            force: a.bool("force", false)?,
            follow: a.bool("follow", true)?,
            src: a.str("src"),
            attrs: FileAttrs::from_args(&a)?,
            mtime: a.str("modification_time"),
            mtime_format: a.str_or("modification_time_format", "%Y%m%d%H%M.%S"),
            atime: a.str("access_time"),
            atime_format: a.str_or("access_time_format", "%Y%m%d%H%M.%S"),
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &FileArgs,
    ) -> Result<Step<ApplyPlan>, ModuleError> {
        let reply = probe(ctx, &self.probe_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let home = reply.text("home");
        let mut path = expand_home(&a.path, home.as_deref());
        if reply.has("redirected") {
            path = join(&path, basename(a.src.as_deref().unwrap_or_default()));
        }
        let (umask, euid, egid) = host_env(&reply);
        let seen = Seen {
            reply: &reply,
            path,
            st: reply.stat("st"),
            stl: reply.stat("stl"),
            exists: reply.has("exists"),
            umask,
            euid,
            egid,
        };
        let warnings = if ctx.check_mode && Self::wanted_state(a, &seen) != "absent" {
            a.attrs.check_warnings(&reply)
        } else {
            Vec::new()
        };
        let warn = |r: &mut ModResult| {
            if !warnings.is_empty() {
                r.insert("warnings".into(), json!(warnings));
            }
        };
        Ok(match self.decide(ctx, a, &seen) {
            Ok(Step::Done(mut r)) => {
                warn(&mut r);
                Step::Done(r)
            }
            Ok(Step::Change { mut check, state }) => {
                warn(&mut check);
                Step::Change { check, state }
            }
            Err(mut fail) => {
                // fail_json adds the path's info too, when it names the path.
                let named = fail
                    .get("path")
                    .or_else(|| fail.get("dest"))
                    .and_then(Json::as_str);
                if named == Some(seen.path.as_str()) && !fail.contains_key("uid") && seen.exists {
                    add_path_info(&mut fail, seen.st.as_ref());
                }
                warn(&mut fail);
                Step::Done(fail)
            }
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        _: &FileArgs,
        plan: ApplyPlan,
    ) -> Result<ModResult, ModuleError> {
        let script = format!(
            "{PRELUDE}{}\nif [ -e \"$r\" ]; then kst info \"$r\"; fi\nexit 0\n",
            plan.script
        );
        let out = run_script(ctx, &script, None).await?;
        let reply = Reply::from_output(&out);
        let mut r = plan.result;
        if let Some(e) = reply.failure() {
            let mut f = failed(e);
            if let Some(p) = r.get("path").or_else(|| r.get("dest")) {
                f.insert("path".into(), p.clone());
            }
            return Ok(f);
        }
        let info = reply.stat("info");
        add_path_info(&mut r, info.as_ref());
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_order_is_top_down_per_directory() {
        // find's pre-order: a, a/x, a/y, b, c
        let listing = b"d/t/a\0f/t/a/x\0d/t/a/y\0f/t/b\0L/t/c\0f/t/a/y/z\0";
        let (dirs, files) = walk_order("/t", listing);
        assert_eq!(dirs, vec!["/t/a", "/t/c", "/t/a/y"]);
        assert_eq!(files, vec!["/t/b", "/t/a/x", "/t/a/y/z"]);
    }

    #[test]
    fn times_parse_in_the_local_zone() {
        let t = parse_time("202001020304.05", "%Y%m%d%H%M.%S").unwrap();
        let back = chrono::DateTime::from_timestamp(t as i64, 0)
            .unwrap()
            .with_timezone(&chrono::Local)
            .format("%Y%m%d%H%M.%S")
            .to_string();
        assert_eq!(back, "202001020304.05");
        assert!(
            parse_time("yesterday", "%Y%m%d%H%M.%S")
                .unwrap_err()
                .contains("Error while obtaining timestamp")
        );
    }

    #[test]
    fn recursive_listing_entries() {
        let e = parse_entries(b"81a4 0 0 /t/a b\0a1ff 1 2 /t/l\0");
        assert_eq!(e[0], (0o100644, 0, 0, b"/t/a b".to_vec()));
        assert_eq!(e[1].0 & 0o170000, 0o120000);
        let e = parse_entries(b"81a4 0 0 /t/caf\xe9\0");
        assert_eq!(e[0].3, b"/t/caf\xe9".to_vec());
    }
}
