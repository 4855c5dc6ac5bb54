// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `copy`: content or a controller file (searched in the playbook's `files/`
//! then its directory, as Ansible's `_find_needle`) to a destination file or
//! directory on the host, or a file already on the host (`remote_src`).
//!
//! Plan: the controller computes the source's SHA-1; one probe returns the
//! destination's stat, checksum and (for `--diff`) current content, the
//! parent directory's state and the owner/group lookups. Equal checksums
//! leave at most an owner/mode change; otherwise the apply step is one safe
//! write (`write.rs`) with the final owner, group and mode set before the
//! rename. `template` reuses all of this with its rendered text.

use super::args::{ArgReader, file_args};
use super::local_file::{BigFile, Part, Parts, big_file};
use super::perms::{
    ENV_SNIPPET, FileAttrs, ModeArg, host_env, mkdir_each_script, plan_attrs, plan_for,
};
use super::probe::{
    FileStat, PRELUDE, Reply, add_path_info, basename, dirname, expand_home, join, needs_home,
    probe, run_script, sh_path,
};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::write::{Source, WriteError, WriteSpec, write, write_stream};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Map, Value as Json, json};
use sha1::{Digest, Sha1};

pub struct Copy;

static SPEC: ModuleSpec = ModuleSpec {
    name: "copy",
    args: file_args![
        ArgSpec::new("src", T::Path),
        ArgSpec::new("content", T::Raw),
        ArgSpec::new("dest", T::Path).required(),
        ArgSpec::new("backup", T::Bool),
        ArgSpec::new("force", T::Bool),
        ArgSpec::new("validate", T::Str),
        ArgSpec::new("directory_mode", T::Raw),
        ArgSpec::new("remote_src", T::Bool),
        ArgSpec::new("local_follow", T::Bool),
        ArgSpec::new("checksum", T::Str),
        ArgSpec::new("follow", T::Bool),
        ArgSpec::new("decrypt", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

/// Ansible's `MAX_FILE_SIZE_FOR_DIFF`.
pub const MAX_DIFF: usize = 104_448;

/// Copy's arguments (template fills the same struct).
#[derive(Debug, Clone, Default)]
pub struct CopyArgs {
    pub src: Option<String>,
    pub dest: String,
    pub backup: bool,
    pub force: bool,
    pub validate: Option<String>,
    pub remote_src: bool,
    /// `follow` as given (the file module's default differs from copy's).
    pub follow: Option<bool>,
    pub attrs: FileAttrs,
    /// `mode: preserve`.
    pub preserve: bool,
    /// `checksum`: the expected SHA-1 of the source.
    pub expected: Option<String>,
    /// `directory_mode`, for directories a directory copy creates.
    pub directory_mode: Option<ModeArg>,
    /// `local_follow`: follow symlinks in a controller directory.
    pub local_follow: bool,
    /// `local_follow` as given: the module on the host (`remote_src`)
    /// treats a missing value apart from both booleans.
    pub local_follow_given: Option<bool>,
    /// `decrypt`: a vault source is decrypted on the controller (the host
    /// receives the plaintext); `false` copies the vault text as it is.
    pub decrypt: bool,
}

impl CopyArgs {
    pub fn follow(&self) -> bool {
        self.follow.unwrap_or(false)
    }
}

/// The source as the controller has it.
#[derive(Debug, Clone)]
pub struct LocalSource {
    pub bytes: Vec<u8>,
    /// The name used under a directory destination.
    pub rel: String,
    /// The controller file (None for `content`).
    pub path: Option<String>,
    /// Its permission bits (for `mode: preserve`).
    pub perm: Option<u32>,
    /// A file too large to hold: `bytes` is empty and the file is streamed.
    pub big: Option<BigFile>,
}

impl LocalSource {
    /// SHA-1 of the content, as Ansible's `checksum`.
    fn checksum(&self) -> String {
        match &self.big {
            Some(b) => b.sha1.clone(),
            None => sha1_hex(&self.bytes),
        }
    }

    fn len(&self) -> u64 {
        match &self.big {
            Some(b) => b.len,
            None => self.bytes.len() as u64,
        }
    }
}

/// What the apply step does.
pub enum CopyPlan {
    /// Write new content.
    Write(Box<WritePlan>),
    /// Only owner/group/mode differ: a script, and the result to report.
    Attrs { script: String, result: ModResult },
    /// A host directory merged by a walk that prints a `ch` record for
    /// each change; `result` gets `changed` from those records.
    Walk { script: String, result: ModResult },
    /// A controller directory.
    Tree(Box<super::copytree::TreePlan>),
}

pub struct WritePlan {
    dest: String,
    bytes: Option<Vec<u8>>,
    /// The controller file to stream instead of `bytes`.
    big: Option<BigFile>,
    remote: Option<String>,
    uid: Option<u32>,
    gid: Option<u32>,
    strict_ids: bool,
    mode: u32,
    /// Makes the missing directories above `dest` (a `dest` ending in `/`),
    /// each with `directory_mode` and the owner and group, before writing.
    parents: Option<String>,
    /// Fixed keys of the result (dest, src for remote, checksum, diff...).
    result: ModResult,
    /// A failure known from the probe, reported instead of writing.
    fail: Option<ModResult>,
    /// A failure the module meets only after writing (an owner or group
    /// that does not exist): the file is written, then this is reported
    /// with the written file's info.
    fail_after: Option<ModResult>,
}

/// SHA-1 in hex, as Ansible's `checksum`.
pub fn sha1_hex(b: &[u8]) -> String {
    Sha1::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// Python's `json.dumps` with its defaults (`", "`, `": "`, ASCII only),
/// which copy applies to a dict or list `content`.
pub fn py_json(v: &Json) -> String {
    py_json_with(v, false, false)
}

/// Python's `json.dumps` (ASCII only) with `separators=(",", ":")` when
/// `compact`, and `sort_keys`: the kubernetes collection hashes and
/// annotates objects in that form.
pub fn py_json_with(v: &Json, compact: bool, sort_keys: bool) -> String {
    let (item_sep, key_sep) = if compact { (",", ":") } else { (", ", ": ") };
    fn string(s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut buf = [0u16; 2];
                    for unit in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
    fn write(v: &Json, out: &mut String, item_sep: &str, key_sep: &str, sort: bool) {
        match v {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(&n.to_string()),
            Json::String(s) => string(s, out),
            Json::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(item_sep);
                    }
                    write(x, out, item_sep, key_sep, sort);
                }
                out.push(']');
            }
            Json::Object(m) => {
                out.push('{');
                let mut entries: Vec<(&String, &Json)> = m.iter().collect();
                if sort {
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                }
                for (i, (k, x)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(item_sep);
                    }
                    string(k, out);
                    out.push_str(key_sep);
                    write(x, out, item_sep, key_sep, sort);
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    write(v, &mut out, item_sep, key_sep, sort_keys);
    out
}

/// The playbook's directory (the `playbook_dir` variable).
/// A controller source file's bytes: decrypted when it is a vault unless
/// `decrypt` is off (Ansible's `get_real_file(decrypt=...)`). A decrypted
/// text is marked as secret, so that results and diffs mask it.
pub fn read_local(
    path: &std::path::Path,
    decrypt: bool,
    vault: &crate::vault::VaultSecrets,
) -> Result<Vec<u8>, String> {
    let shown = path.display().to_string();
    let raw = std::fs::read(path).map_err(|e| format!("could not find src={shown}, {e}"))?;
    decode_local(raw, &shown, decrypt, vault)
}

/// [`read_local`] through the run's files read ahead: the raw bytes may
/// come from the read ahead, the vault is decrypted here, at use.
pub fn read_local_ahead(
    files: &super::read_ahead::ReadAhead,
    path: &std::path::Path,
    decrypt: bool,
    vault: &crate::vault::VaultSecrets,
) -> Result<Vec<u8>, String> {
    let shown = path.display().to_string();
    let raw = files
        .read(path)
        .map_err(|e| format!("could not find src={shown}, {e}"))?;
    decode_local(raw.to_vec(), &shown, decrypt, vault)
}

/// A controller file's raw bytes made what the module sends (decrypted
/// when it is a vault and `decrypt` is on).
fn decode_local(
    raw: Vec<u8>,
    shown: &str,
    decrypt: bool,
    vault: &crate::vault::VaultSecrets,
) -> Result<Vec<u8>, String> {
    if !decrypt {
        return Ok(raw);
    }
    let bytes = crate::vault::read::decrypt_bytes(zeroize::Zeroizing::new(raw), vault, shown)
        .map_err(|e| e.to_string())?;
    if bytes.was_encrypted()
        && let Ok(text) = std::str::from_utf8(&bytes)
    {
        // Without its final line breaks, so that a masked diff keeps them.
        vault.revealed().mark(text.trim_end_matches(['\r', '\n']));
    }
    Ok(bytes.to_vec())
}

pub fn playbook_dir(ctx: &ModuleCtx<'_>) -> String {
    playbook_dir_of(ctx.vars)
}

/// The `playbook_dir` variable as `vars` gives it.
pub fn playbook_dir_of(vars: &dyn crate::template::Resolver) -> String {
    vars.resolve("playbook_dir")
        .ok()
        .flatten()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| ".".into())
}

/// Finds a controller file as Ansible's `_find_needle(dirname, needle)` does
/// for a task in a playbook: `<playbook dir>/<dirname>/needle`, then
/// `<playbook dir>/needle` (listed twice in the message, as Ansible lists
/// the task's and the playbook's directories).
pub fn find_needle(ctx: &ModuleCtx<'_>, dir: &str, needle: &str) -> Result<String, String> {
    find_needle_in(&playbook_dir(ctx), dir, needle)
}

/// [`find_needle`] from the playbook directory `base`.
pub fn find_needle_in(base: &str, dir: &str, needle: &str) -> Result<String, String> {
    let expanded = match (needle.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{}/{rest}", home.trim_end_matches('/')),
        _ => needle.to_string(),
    };
    if expanded.starts_with('/') {
        return if std::path::Path::new(&expanded).exists() {
            Ok(expanded)
        } else {
            Err(format!(
                "Could not find or access '{needle}' on the Ansible Controller."
            ))
        };
    }
    let candidates = [
        format!("{base}/{dir}/{expanded}"),
        format!("{base}/{expanded}"),
    ];
    for c in &candidates {
        if std::path::Path::new(c).exists() {
            return Ok(c.clone());
        }
    }
    Err(format!(
        "Could not find or access '{needle}'\nSearched in:\n\t{0}\n\t{1}\n\t{0}\n\t{1} on the Ansible Controller.",
        candidates[0], candidates[1]
    ))
}

/// The text of a file's bytes for a diff (invalid UTF-8 replaced).
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ensure_diff(r: &mut ModResult, diff: &Json) {
    if !r.contains_key("diff") {
        r.insert("diff".into(), diff.clone());
    }
}

/// The probe for a destination: its stat and checksum, a directory
/// destination's entry for `rel`, the parent directory, the current content
/// for `--diff`, lookups and the host's umask and ids.
fn dest_probe(
    dest_file: &str,
    rel: &str,
    follow: bool,
    want_content: bool,
    attrs: &FileAttrs,
) -> String {
    let mut s = format!("d={}\n", sh_path(dest_file));
    if needs_home(dest_file) {
        s.push_str("kv home \"$HOME\"\n");
    }
    let isdir = if follow {
        "[ -d \"$d\" ]"
    } else {
        "[ -d \"$d\" ] && [ ! -L \"$d\" ]"
    };
    s.push_str(&format!(
        "if {isdir}; then kv isdir 1; d=\"$d\"/{}; fi\n",
        quote(rel)
    ));
    s.push_str("kst st \"$d\"; [ -e \"$d\" ] && kv exists 1\n");
    s.push_str("if [ -L \"$d\" ]; then kst stl \"$d\" -L; kreal real \"$d\"; fi\n");
    let regular = if follow {
        "[ -f \"$d\" ]"
    } else {
        "[ -f \"$d\" ] && [ ! -L \"$d\" ]"
    };
    s.push_str(&format!(
        "if {regular} && [ -r \"$d\" ]; then c=$(sha1sum < \"$d\") && kv sum \"${{c%% *}}\"; fi\n"
    ));
    s.push_str("kdir \"$d\"; pd=$_d\n");
    s.push_str(
        "if [ -d \"$pd\" ]; then kv pdir 1; kst pst \"$pd\" -L; fi; [ -w \"$pd\" ] && kv pdirw 1\n",
    );
    if want_content {
        s.push_str(&format!(
            "if [ -f \"$d\" ] && [ -r \"$d\" ] && [ \"$(wc -c < \"$d\")\" -le {MAX_DIFF} ]; then kfile before \"$d\"; fi\n"
        ));
    }
    s.push_str(&attrs.lookup_snippet());
    s.push_str(ENV_SNIPPET);
    s
}

/// Ansible's `_get_diff_data` for a content change.
fn diff_data(reply: &Reply, dest_file: &str, exists: bool, src: &LocalSource) -> Json {
    let mut d = Map::new();
    if !exists {
        d.insert("before".into(), json!(""));
    } else if let Some(before) = reply.bytes("before") {
        if before.iter().take(8192).any(|&b| b == 0) {
            d.insert("dst_binary".into(), json!(1));
        } else {
            d.insert("before_header".into(), json!(dest_file));
            d.insert("before".into(), json!(text(before)));
        }
    } else if reply.stat("st").is_some_and(|s| s.size as usize > MAX_DIFF) {
        d.insert("dst_larger".into(), json!(MAX_DIFF));
    }
    if src.len() > MAX_DIFF as u64 {
        d.insert("src_larger".into(), json!(MAX_DIFF));
    } else if src.bytes.contains(&0) {
        d.insert("src_binary".into(), json!(1));
    } else {
        let header = match &src.path {
            Some(p) => p.clone(),
            None => dest_file.to_string(),
        };
        d.insert("after_header".into(), json!(header));
        d.insert("after".into(), json!(text(&src.bytes)));
    }
    Json::Object(d)
}

/// Plans a copy of controller bytes (copy with `content`/`src`, template).
pub async fn plan_local(
    ctx: &ModuleCtx<'_>,
    a: &CopyArgs,
    src: &LocalSource,
) -> Result<Step<CopyPlan>, ModuleError> {
    let checksum = src.checksum();
    let from_content = src.path.is_none();
    let dest_file = if a.dest.ends_with('/') {
        join(&a.dest, &src.rel)
    } else {
        a.dest.clone()
    };
    let reply = probe(
        ctx,
        &dest_probe(&dest_file, &src.rel, a.follow(), ctx.diff, &a.attrs),
    )
    .await
    .map_err(|e| super::remote_stat_failed(&dest_file, e))?;
    if let Some(e) = reply.failure() {
        return Ok(Step::Done(failed(e)));
    }
    let home = reply.text("home");
    let dest = expand_home(&a.dest, home.as_deref());
    let mut dest_file = expand_home(&dest_file, home.as_deref());
    let empty_diff = json!([]);
    if reply.has("isdir") {
        if from_content {
            let mut r = failed("can not use content with a dir as dest");
            r.insert("diff".into(), empty_diff);
            return Ok(Step::Done(r));
        }
        dest_file = join(&dest_file, &src.rel);
    }
    let exists = reply.has("exists") || reply.stat("st").is_some();
    if exists && !a.force {
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        r.insert("dest".into(), json!(dest));
        if let Some(p) = &src.path {
            r.insert("src".into(), json!(p));
        }
        return Ok(Step::Done(r));
    }
    let (umask, euid, egid) = host_env(&reply);
    let lmode = if a.preserve { src.perm } else { None };
    let mode_arg = match lmode {
        Some(m) => Some(ModeArg::Octal(m)),
        None => a.attrs.mode.clone(),
    };
    let remote_sum = if exists {
        reply.text("sum").unwrap_or_default()
    } else {
        "1".to_string()
    };
    let st = reply.stat("st");
    let is_link = st.as_ref().is_some_and(FileStat::is_link);
    if remote_sum == checksum {
        // The file module's `state=file` on the destination (following a
        // link unless told not to).
        let file_follow = a.follow.unwrap_or(true);
        let (path, target) = if file_follow && is_link {
            (
                reply.text("real").unwrap_or(dest_file.clone()),
                reply.stat("stl"),
            )
        } else {
            (dest_file.clone(), st.clone())
        };
        let Some(target) = target else {
            return Ok(Step::Done(failed(format!(
                "file ({path}) is absent, cannot continue"
            ))));
        };
        let (uid, gid) = match a.attrs.ids(&reply) {
            Ok(ids) => ids,
            Err(m) => {
                // The file module's chown fails on the file as it is.
                let mut r = failed(m);
                r.insert("diff".into(), empty_diff);
                r.insert("path".into(), json!(path));
                r.insert("checksum".into(), json!(checksum));
                add_path_info(&mut r, Some(&target));
                return Ok(Step::Done(r));
            }
        };
        let change = match plan_for(&target, (uid, gid, mode_arg.as_ref()), umask) {
            Ok(c) => c,
            Err(m) => return Ok(Step::Done(failed(m))),
        };
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(change.changed()));
        if ctx.diff {
            let mut d = Map::new();
            let prev = target.state();
            d.insert("before".into(), json!({"path": path}));
            d.insert("after".into(), json!({"path": path}));
            if prev != "file" {
                if let Some(Json::Object(b)) = d.get_mut("before") {
                    b.insert("state".into(), json!(prev));
                }
                if let Some(Json::Object(b)) = d.get_mut("after") {
                    b.insert("state".into(), json!("file"));
                }
            }
            change.merge_into(&mut d);
            r.insert("diff".into(), Json::Object(d));
        } else {
            r.insert("diff".into(), empty_diff);
        }
        r.insert("path".into(), json!(path));
        r.insert("checksum".into(), json!(checksum));
        r.insert("dest".into(), json!(path));
        let mut shown = r.clone();
        add_path_info(&mut shown, Some(&target));
        if !change.changed() {
            return Ok(Step::Done(shown));
        }
        let script = format!("p={}\n{}", sh_path(&path), change.commands("p"));
        return Ok(Step::Change {
            check: shown,
            state: CopyPlan::Attrs { script, result: r },
        });
    }
    // The content differs.
    let diff = if ctx.diff {
        json!([diff_data(&reply, &dest_file, exists, src)])
    } else {
        json!([])
    };
    let mut check = ModResult::new();
    check.insert("changed".into(), json!(true));
    check.insert("diff".into(), diff.clone());
    // What the copy module on the host would decide.
    let mut mdest = if dest.contains('/') {
        dest.clone()
    } else {
        format!("./{dest}")
    };
    if mdest.ends_with('/') || reply.has("isdir") {
        mdest = join(&mdest, &src.rel);
    }
    let follow = a.follow();
    if follow && is_link {
        mdest = reply.text("real").unwrap_or(mdest);
    }
    let mut base = ModResult::new();
    base.insert("diff".into(), diff.clone());
    base.insert("checksum".into(), json!(checksum));
    let mut fail = None;
    let parent_missing = !reply.has("pdir");
    if parent_missing && !a.dest.ends_with('/') {
        let mut f = failed(format!(
            "Destination directory {} does not exist",
            dirname(&mdest)
        ));
        f.extend(base.clone());
        fail = Some(f);
    } else if !parent_missing && !reply.has("pdirw") {
        let mut f = failed(format!("Destination {} not writable", dirname(&mdest)));
        f.extend(base.clone());
        fail = Some(f);
    } else if let Some(e) = a.expected.as_ref().filter(|e| **e != checksum) {
        let mut f = failed("Copied file does not match the expected checksum. Transfer failed.");
        f.extend(base.clone());
        f.insert("expected_checksum".into(), json!(e));
        fail = Some(f);
    } else if let Some(v) = &a.validate
        && !v.contains("%s")
    {
        let mut f = failed(format!("validate must contain %s: {v}"));
        f.extend(base.clone());
        fail = Some(f);
    }
    // The new file's owner and mode before the task's own: the old file's
    // when it is a regular file we replace, else a new file's.
    let keep = if follow && is_link {
        reply.stat("stl")
    } else if is_link {
        None
    } else {
        st.clone()
    };
    let setgid_dir = reply.stat("pst").filter(|p| p.st_mode & 0o2000 != 0);
    let (buid, bgid, bmode) = match &keep {
        Some(k) => (k.uid, k.gid, k.perm()),
        None => (
            euid,
            setgid_dir.map(|p| p.gid).unwrap_or(egid),
            0o666 & !umask,
        ),
    };
    // An owner or group that does not exist fails only after the module
    // has written the file (its chown comes last).
    let mut fail_after = None;
    let (want_uid, want_gid) = match a.attrs.ids(&reply) {
        Ok(ids) => ids,
        Err(m) => {
            let mut f = failed(m);
            f.insert("path".into(), json!(mdest));
            f.extend(base.clone());
            fail_after = Some(f);
            (None, None)
        }
    };
    // A mode that cannot be applied fails with the content's keys.
    let attrs = |uid, gid, perm, is_dir, mode: Option<&ModeArg>| {
        plan_attrs(uid, gid, perm, is_dir, (want_uid, want_gid, mode), umask).map_err(|m| {
            let mut f = failed(m);
            f.extend(base.clone());
            f
        })
    };
    let parents = if parent_missing && a.dest.ends_with('/') {
        let dir_change = match attrs(euid, egid, 0o777 & !umask, true, a.directory_mode.as_ref()) {
            Ok(c) => c,
            Err(f) => return Ok(Step::Done(f)),
        };
        Some(mkdir_each_script(
            dirname(&mdest),
            &dir_change,
            "Error creating $c",
            |_, _| String::new(),
        ))
    } else {
        None
    };
    let change = match attrs(buid, bgid, bmode, false, mode_arg.as_ref()) {
        Ok(c) => c,
        Err(f) => return Ok(Step::Done(f)),
    };
    let mut result = base;
    result.insert("dest".into(), json!(mdest));
    Ok(Step::Change {
        check,
        state: CopyPlan::Write(Box::new(WritePlan {
            dest: mdest,
            bytes: src.big.is_none().then(|| src.bytes.clone()),
            big: src.big.clone(),
            remote: None,
            uid: Some(change.uid.unwrap_or(buid)),
            gid: Some(change.gid.unwrap_or(bgid)),
            strict_ids: want_uid.is_some() || want_gid.is_some(),
            mode: change.mode.unwrap_or(bmode),
            parents,
            result,
            fail,
            fail_after,
        })),
    })
}

/// Runs a planned copy.
/// Runs an attribute or walk script and answers with the destination's
/// stat; a walk's `changed` is whether it printed a `ch` record.
async fn run_attrs(
    ctx: &ModuleCtx<'_>,
    script: &str,
    mut result: ModResult,
    walk: bool,
) -> Result<ModResult, ModuleError> {
    let s = format!("{PRELUDE}{script}if [ -e \"$p\" ]; then kst info \"$p\"; fi\nexit 0\n");
    let reply = Reply::from_output(&run_script(ctx, &s, None).await?);
    if let Some(e) = reply.failure() {
        return Ok(failed(e));
    }
    if walk {
        result.insert("changed".into(), json!(reply.has("ch")));
    }
    add_path_info(&mut result, reply.stat("info").as_ref());
    Ok(result)
}

pub async fn apply_plan(
    ctx: &ModuleCtx<'_>,
    a: &CopyArgs,
    plan: CopyPlan,
) -> Result<ModResult, ModuleError> {
    match plan {
        CopyPlan::Tree(t) => super::copytree::apply_tree(ctx, a, *t).await,
        CopyPlan::Attrs { script, result } => run_attrs(ctx, &script, result, false).await,
        CopyPlan::Walk { script, result } => run_attrs(ctx, &script, result, true).await,
        CopyPlan::Write(w) => {
            if let Some(f) = w.fail {
                return Ok(f);
            }
            if let Some(script) = &w.parents {
                let s = format!("{PRELUDE}{script}exit 0\n");
                let reply = Reply::from_output(&run_script(ctx, &s, None).await?);
                if let Some(e) = reply.failure() {
                    let mut f = failed(e);
                    for k in ["diff", "checksum"] {
                        if let Some(v) = w.result.get(k) {
                            f.insert(k.into(), v.clone());
                        }
                    }
                    return Ok(f);
                }
            }
            let source = match (&w.bytes, &w.big, &w.remote) {
                (Some(b), _, _) => Source::Bytes(b),
                (None, Some(big), _) => Source::Stream {
                    len: big.len,
                    sha1: &big.sha1,
                },
                (None, None, Some(r)) => Source::Remote(r),
                (None, None, None) => Source::Bytes(&[]),
            };
            let from_controller = w.remote.is_none();
            let spec = WriteSpec {
                dest: &w.dest,
                source,
                uid: w.uid,
                gid: w.gid,
                strict_ids: w.strict_ids,
                mode: w.mode,
                backup: a.backup,
                validate: a.validate.as_deref(),
                mkdirs: false,
                md5: from_controller,
            };
            let mut r = w.result;
            let written = match &w.big {
                Some(big) => {
                    let mut input = Parts::new(vec![Part::File(&big.path)]);
                    write_stream(ctx, &spec, &mut input).await?
                }
                None => write(ctx, &spec).await?,
            };
            match written {
                Ok(done) => {
                    if from_controller {
                        r.insert("src".into(), json!(done.staged));
                        if let Some(m) = done.md5 {
                            r.insert("md5sum".into(), json!(m));
                        }
                    }
                    r.insert("changed".into(), json!(true));
                    if let Some(b) = done.backup {
                        r.insert("backup_file".into(), json!(b));
                    }
                    if let Some(mut f) = w.fail_after {
                        add_path_info(&mut f, done.info.as_ref());
                        return Ok(f);
                    }
                    add_path_info(&mut r, done.info.as_ref());
                    Ok(r)
                }
                Err(WriteError::Validate { rc, stdout, stderr }) => {
                    let mut f = failed("failed to validate");
                    f.insert("exit_status".into(), json!(rc));
                    f.insert(
                        "stdout_lines".into(),
                        Json::Array(super::command::splitlines(&stdout)),
                    );
                    f.insert(
                        "stderr_lines".into(),
                        Json::Array(super::command::splitlines(&stderr)),
                    );
                    f.insert("stdout".into(), json!(stdout));
                    f.insert("stderr".into(), json!(stderr));
                    for k in ["diff", "checksum"] {
                        if let Some(v) = r.get(k) {
                            f.insert(k.into(), v.clone());
                        }
                    }
                    Ok(f)
                }
                Err(WriteError::Failed(m)) => {
                    let mut f = failed(m);
                    for k in ["diff", "checksum"] {
                        if let Some(v) = r.get(k) {
                            f.insert(k.into(), v.clone());
                        }
                    }
                    Ok(f)
                }
            }
        }
    }
}

/// `remote_src`: the copy module's own logic, on a source already on the host.
async fn plan_remote(ctx: &ModuleCtx<'_>, a: &CopyArgs) -> Result<Step<CopyPlan>, ModuleError> {
    let src = a.src.clone().unwrap_or_default();
    let mut s = format!("s={}\n", sh_path(&src));
    s.push_str("[ -e \"$s\" ] && kv sexists 1; [ -r \"$s\" ] && kv sread 1; kst sst \"$s\" -L\n");
    s.push_str("if [ -f \"$s\" ] && [ -r \"$s\" ]; then c=$(sha1sum < \"$s\") && kv ssum \"${c%% *}\"; c=$(md5sum < \"$s\") && kv smd5 \"${c%% *}\"; fi\n");
    if needs_home(&src) {
        s.push_str("kv home \"$HOME\"\n");
    }
    let body = dest_probe(&a.dest, basename(&src), true, false, &a.attrs);
    let reply = probe(ctx, &format!("{s}{body}")).await?;
    if let Some(e) = reply.failure() {
        return Ok(Step::Done(failed(e)));
    }
    let home = reply.text("home");
    let src = expand_home(&src, home.as_deref());
    if !reply.has("sexists") {
        return Ok(Step::Done(failed(format!("Source {src} not found"))));
    }
    if !reply.has("sread") {
        return Ok(Step::Done(failed(format!("Source {src} not readable"))));
    }
    let sst = reply.stat("sst");
    if let Some(dir) = sst.as_ref().filter(|s| s.is_dir()) {
        return super::copy_remote_dir::plan(ctx, a, &reply, &src, dir).await;
    }
    let Some(src_sum) = reply.text("ssum") else {
        return Ok(Step::Done(failed(format!(
            "Cannot copy invalid source '{src}': not a file"
        ))));
    };
    if let Some(e) = &a.expected
        && e != &src_sum
    {
        let mut f = failed("Copied file does not match the expected checksum. Transfer failed.");
        f.insert("checksum".into(), json!(src_sum));
        f.insert("expected_checksum".into(), json!(e));
        return Ok(Step::Done(f));
    }
    let mut dest = expand_home(&a.dest, home.as_deref());
    if !dest.contains('/') {
        dest = format!("./{dest}");
    }
    if reply.has("isdir") {
        dest = join(&dest, basename(&src));
    }
    let st = reply.stat("st");
    let exists = st.is_some();
    let is_link = st.as_ref().is_some_and(FileStat::is_link);
    if exists && is_link && a.follow() {
        dest = reply.text("real").unwrap_or(dest);
    }
    let mut base = ModResult::new();
    base.insert("dest".into(), json!(dest));
    base.insert("src".into(), json!(src));
    if exists && !a.force {
        let mut r = failed("file already exists");
        r.remove("failed");
        r.insert("changed".into(), json!(false));
        r.extend(base);
        // The module's exit adds the destination's own (lstat) info.
        add_path_info(&mut r, st.as_ref());
        return Ok(Step::Done(r));
    }
    if !exists && !reply.has("pdir") {
        return Ok(Step::Done(failed(format!(
            "Destination directory {} does not exist",
            dirname(&dest)
        ))));
    }
    base.insert("md5sum".into(), json!(reply.text("smd5")));
    base.insert("checksum".into(), json!(src_sum));
    let (umask, euid, egid) = host_env(&reply);
    let (uid, gid) = match a.attrs.ids(&reply) {
        Ok(ids) => ids,
        Err(m) => {
            let mut f = failed(m);
            f.insert("path".into(), json!(dest));
            return Ok(Step::Done(f));
        }
    };
    let mode_arg = if a.preserve {
        sst.as_ref().map(|s| ModeArg::Octal(s.perm()))
    } else {
        a.attrs.mode.clone()
    };
    let dest_sum = reply.text("sum");
    let content_differs = dest_sum.as_deref() != Some(src_sum.as_str()) || is_link;
    if !content_differs {
        let target = if a.follow() && is_link {
            reply.stat("stl")
        } else {
            st.clone()
        };
        let Some(target) = target else {
            return Ok(Step::Done(failed("unexpected position reached")));
        };
        let change = match plan_for(&target, (uid, gid, mode_arg.as_ref()), umask) {
            Ok(c) => c,
            Err(m) => return Ok(Step::Done(failed(m))),
        };
        let mut r = base;
        r.insert("changed".into(), json!(change.changed()));
        let mut shown = r.clone();
        add_path_info(&mut shown, Some(&target));
        if !change.changed() {
            return Ok(Step::Done(shown));
        }
        let script = format!("p={}\n{}", sh_path(&dest), change.commands("p"));
        return Ok(Step::Change {
            check: shown,
            state: CopyPlan::Attrs { script, result: r },
        });
    }
    // A remote copy keeps the source's mode on an existing destination and
    // gets a new file's mode otherwise; the owner is the remote user's.
    let setgid_dir = reply.stat("pst").filter(|p| p.st_mode & 0o2000 != 0);
    let bgid = setgid_dir.map(|p| p.gid).unwrap_or(egid);
    let bmode = if exists {
        sst.as_ref().map(FileStat::perm).unwrap_or(0o644)
    } else {
        0o666 & !umask
    };
    let change = match plan_attrs(
        euid,
        bgid,
        bmode,
        false,
        (uid, gid, mode_arg.as_ref()),
        umask,
    ) {
        Ok(c) => c,
        Err(m) => return Ok(Step::Done(failed(m))),
    };
    let mut check = base.clone();
    check.insert("changed".into(), json!(true));
    add_path_info(&mut check, st.as_ref().filter(|_| reply.has("exists")));
    Ok(Step::Change {
        check,
        state: CopyPlan::Write(Box::new(WritePlan {
            dest,
            bytes: None,
            big: None,
            remote: Some(src),
            uid: Some(change.uid.unwrap_or(euid)),
            gid: Some(change.gid.unwrap_or(bgid)),
            strict_ids: uid.is_some() || gid.is_some(),
            mode: change.mode.unwrap_or(bmode),
            parents: None,
            result: base,
            fail: a
                .validate
                .as_ref()
                .filter(|v| !v.contains("%s"))
                .map(|v| failed(format!("validate must contain %s: {v}"))),
            fail_after: None,
        })),
    })
}

/// A controller directory: as its only file when that is all it holds,
/// else as a tree.
async fn plan_dir(
    ctx: &ModuleCtx<'_>,
    a: &CopyArgs,
    found: &str,
) -> Result<Step<CopyPlan>, ModuleError> {
    use super::copytree::{as_single, plan_tree, single_file, walk};
    let tree = match walk(
        std::path::Path::new(found),
        found.ends_with('/'),
        a.local_follow,
    ) {
        Ok(t) => t,
        Err(e) => return Ok(Step::Done(failed(format!("could not walk {found}: {e}")))),
    };
    let dest = if a.dest.ends_with('/') {
        a.dest.clone()
    } else {
        format!("{}/", a.dest)
    };
    if let Some((local, rel)) = single_file(&tree) {
        let src = match as_single(local, rel, a.decrypt, ctx.templar.vault()) {
            Ok(s) => s,
            Err(e) => return Ok(Step::Done(failed(e))),
        };
        let mut one = a.clone();
        one.dest = match dirname(rel) {
            "" => dest,
            d => format!("{}/", join(&dest, d)),
        };
        return plan_local(ctx, &one, &src).await;
    }
    let mut tree_args = a.clone();
    tree_args.dest = dest;
    Ok(match plan_tree(ctx, &tree_args, &tree, found).await? {
        Step::Done(r) => Step::Done(r),
        Step::Change { check, state } => Step::Change {
            check,
            state: CopyPlan::Tree(Box::new(state)),
        },
    })
}

impl Copy {
    fn args(a: &ArgReader<'_>) -> Result<CopyArgs, String> {
        FileAttrs::reject_unsupported(a)?;
        let mode_raw = a.raw("mode");
        let preserve = mode_raw.and_then(Json::as_str) == Some("preserve");
        let mut attrs = FileAttrs {
            mode: None,
            owner: a.str("owner"),
            group: a.str("group"),
        };
        if !preserve {
            attrs.mode = match mode_raw {
                Some(v) => ModeArg::from_json(v)?,
                None => None,
            };
        }
        Ok(CopyArgs {
            src: a.str("src"),
            dest: a.str("dest").unwrap_or_default(),
            backup: a.bool("backup", false)?,
            force: a.bool("force", true)?,
            validate: a.str("validate"),
            remote_src: a.bool("remote_src", false)?,
            follow: match a.raw("follow") {
                Some(_) => Some(a.bool("follow", false)?),
                None => None,
            },
            attrs,
            preserve,
            expected: a.str("checksum"),
            directory_mode: match a.raw("directory_mode") {
                Some(v) => ModeArg::from_json(v)?,
                None => None,
            },
            local_follow: a.bool("local_follow", true)?,
            local_follow_given: match a.raw("local_follow") {
                Some(_) => Some(a.bool("local_follow", true)?),
                None => None,
            },
            decrypt: a.bool("decrypt", true)?,
        })
    }
}

/// Copy's parsed arguments plus the `content` value.
pub struct CopyTask {
    args: CopyArgs,
    content: Option<Json>,
    /// An argument problem Ansible reports as the task's failure.
    problem: Option<String>,
}

#[async_trait::async_trait]
impl Module for Copy {
    type Args = CopyTask;
    type State = CopyPlan;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn controller_file(&self, playbook_dir: &str, t: &CopyTask) -> Option<String> {
        let a = &t.args;
        if t.problem.is_some() || t.content.is_some() || a.remote_src {
            return None;
        }
        let found = find_needle_in(playbook_dir, "files", a.src.as_deref()?).ok()?;
        // A directory is copied file by file, not read ahead.
        (!std::path::Path::new(&found).is_dir()).then_some(found)
    }

    fn parse(&self, args: &Args) -> Result<CopyTask, String> {
        let a = ArgReader::new(&SPEC, args);
        let parsed = Copy::args(&a)?;
        let content = a.raw("content").cloned();
        let problem = if parsed.src.as_deref().is_none_or(str::is_empty) && content.is_none() {
            Some("src (or content) is required")
        } else if parsed.dest.is_empty() {
            Some("dest is required")
        } else if parsed.src.is_some() && content.is_some() {
            Some("src and content are mutually exclusive")
        } else if content.is_some() && parsed.dest.ends_with('/') {
            Some("can not use content with a dir as dest")
        } else {
            None
        };
        Ok(CopyTask {
            args: parsed,
            content,
            problem: problem.map(str::to_string),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, t: &CopyTask) -> Result<Step<CopyPlan>, ModuleError> {
        if let Some(p) = &t.problem {
            // The copy action plugin refuses these on the controller.
            return Ok(Step::Done(super::by_action(failed(p.clone()))));
        }
        let a = &t.args;
        if a.remote_src {
            return plan_remote(ctx, a).await;
        }
        let src = match (&t.content, &a.src) {
            (Some(c), _) => LocalSource {
                bytes: match c {
                    Json::String(s) => s.clone().into_bytes(),
                    Json::Object(_) | Json::Array(_) => py_json(c).into_bytes(),
                    Json::Bool(b) => if *b { "True" } else { "False" }.into(),
                    other => other.to_string().into_bytes(),
                },
                rel: ".source".into(),
                path: None,
                perm: None,
                big: None,
            },
            (None, Some(s)) => {
                let found = match find_needle(ctx, "files", s) {
                    Ok(f) => f,
                    Err(e) => {
                        return Ok(Step::Done(super::unexpected_action_fail(&e.to_string())));
                    }
                };
                if std::path::Path::new(&found).is_dir() {
                    return plan_dir(ctx, a, &found).await;
                }
                let path = std::path::Path::new(&found);
                let big = match big_file(path, a.decrypt) {
                    Ok(b) => b,
                    Err(e) => return Ok(Step::Done(failed(e))),
                };
                let bytes = match &big {
                    Some(_) => Vec::new(),
                    None => {
                        match read_local_ahead(&ctx.files, path, a.decrypt, ctx.templar.vault()) {
                            Ok(b) => b,
                            Err(e) => return Ok(Step::Done(failed(e))),
                        }
                    }
                };
                use std::os::unix::fs::PermissionsExt;
                let perm = std::fs::metadata(&found)
                    .ok()
                    .map(|m| m.permissions().mode() & 0o7777);
                LocalSource {
                    bytes,
                    rel: basename(&found).to_string(),
                    path: Some(found),
                    perm,
                    big,
                }
            }
            (None, None) => return Ok(Step::Done(failed("src (or content) is required"))),
        };
        plan_local(ctx, a, &src).await
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        t: &CopyTask,
        plan: CopyPlan,
    ) -> Result<ModResult, ModuleError> {
        // A directory copy's summary has no diff; every other copy result does.
        let tree = matches!(plan, CopyPlan::Tree(_));
        let mut r = apply_plan(ctx, &t.args, plan).await?;
        if !t.args.remote_src && !tree {
            ensure_diff(&mut r, &json!([]));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_json_dumps() {
        assert_eq!(
            py_json(&json!({"a": 1, "b": [1, "é", null, true], "c": {"d": "x\"y\n"}})),
            r#"{"a": 1, "b": [1, "\u00e9", null, true], "c": {"d": "x\"y\n"}}"#
        );
        assert_eq!(py_json(&json!("😀")), r#""\ud83d\ude00""#);
        assert_eq!(py_json(&json!([])), "[]");
    }

    #[test]
    fn a_vault_read_ahead_is_held_encrypted_and_decrypted_at_use() {
        use crate::vault::{VaultSecret, VaultSecrets, encrypt_with};
        let d = tempfile::tempdir().expect("temp dir");
        let s = VaultSecrets::new(vec![VaultSecret::new("default", b"pw".to_vec(), "t")]);
        let f = d.path().join("secret.txt");
        let sealed =
            encrypt_with(&s.secrets()[0], None, b"s3cret\n", None, "secret.txt").expect("encrypt");
        std::fs::write(&f, &sealed).expect("write");
        let files = super::super::read_ahead::ReadAhead::default();
        files.load(&f);
        // What is held is the file as it is on disk: the vault envelope.
        assert_eq!(files.held(), sealed.len() as u64);
        let plain = read_local_ahead(&files, &f, true, &s).expect("decrypts at use");
        assert_eq!(plain, b"s3cret\n");
        assert_eq!(files.counts(), (1, 0), "served from the read ahead");
        // With decrypt off the envelope itself is sent, as Ansible does.
        files.load(&f);
        let raw = read_local_ahead(&files, &f, false, &s).expect("raw");
        assert_eq!(raw, sealed.as_bytes());
        assert_eq!(files.counts(), (2, 0));
    }

    #[test]
    fn sha1_of_content() {
        assert_eq!(
            sha1_hex(b"hello\n"),
            "f572d396fae9206628714fb2ce00f72e94f2258f"
        );
    }
}
