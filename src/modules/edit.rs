// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! What lineinfile, blockinfile and replace share: one probe that downloads
//! the file (of any size: the edit is computed on the controller, so the
//! host needs nothing but a shell), and one apply step that writes the new
//! text through the safe write with the final owner, group and mode, or only
//! fixes owner/group/mode.

use super::perms::{AttrChange, ENV_SNIPPET, FileAttrs, host_env, plan_attrs, plan_for};
use super::probe::{FileStat, PRELUDE, Reply, expand_home, needs_home, probe, run_script, sh_path};
use super::write::{Source, WriteError, WriteSpec, write};
use super::{ModResult, ModuleCtx, ModuleError, failed};
use serde_json::{Map, Value as Json, json};

/// The file a text module edits, as the probe saw it.
pub struct EditTarget {
    /// The path as given (after `~` expansion).
    pub path: String,
    /// Where the new text is written: the path with links resolved.
    pub real: String,
    pub exists: bool,
    pub is_dir: bool,
    /// The file's stat (through links).
    pub st: Option<FileStat>,
    /// The file's text, when it exists and could be read.
    pub content: Option<Vec<u8>>,
    pub umask: u32,
    euid: u32,
    /// The group a new file gets (the directory's when it is setgid).
    new_gid: u32,
    ids: Result<(Option<u32>, Option<u32>), String>,
}

impl EditTarget {
    /// Owner/group/mode changes, against the file as it will be before the
    /// attributes are set: the existing file's, or a new file's.
    pub fn attr_change(&self, attrs: &FileAttrs, creating: bool) -> Result<AttrChange, String> {
        let (uid, gid) = self.ids.clone()?;
        match (&self.st, creating) {
            (Some(st), false) => plan_for(st, (uid, gid, attrs.mode.as_ref()), self.umask),
            _ => plan_attrs(
                self.euid,
                self.new_gid,
                0o666 & !self.umask,
                false,
                (uid, gid, attrs.mode.as_ref()),
                self.umask,
            ),
        }
    }

    /// The text (UTF-8, as Python reads it with `encoding='utf-8'`).
    pub fn text(&self) -> Result<String, String> {
        match &self.content {
            None => Ok(String::new()),
            Some(b) => String::from_utf8(b.clone()).map_err(|e| {
                format!(
                    "'utf-8' codec can't decode byte 0x{:02x} in position {}: invalid start byte",
                    b.get(e.utf8_error().valid_up_to()).copied().unwrap_or(0),
                    e.utf8_error().valid_up_to()
                )
            }),
        }
    }
}

/// Reads the file and what a write would need.
pub async fn load(
    ctx: &ModuleCtx<'_>,
    path: &str,
    attrs: &FileAttrs,
) -> Result<Result<EditTarget, ModResult>, ModuleError> {
    let mut s = format!("p={}\n", sh_path(path));
    if needs_home(path) {
        s.push_str("kv home \"$HOME\"\n");
    }
    s.push_str("if [ -d \"$p\" ]; then kv isdir 1; fi\n");
    s.push_str(
        "if [ -e \"$p\" ]; then kv exists 1; kst st \"$p\" -L; kreal real \"$p\"\n  if [ -d \"$p\" ]; then :; elif [ -r \"$p\" ]; then kfile content \"$p\"; else kv unreadable 1; fi\nfi\n",
    );
    s.push_str("kdir \"$p\"; [ -d \"$_d\" ] && kst pst \"$_d\" -L\n");
    s.push_str(&attrs.lookup_snippet());
    s.push_str(ENV_SNIPPET);
    let reply = probe(ctx, &s).await?;
    if let Some(e) = reply.failure() {
        return Ok(Err(failed(e)));
    }
    let expanded = expand_home(path, reply.text("home").as_deref());
    if reply.has("unreadable") {
        return Ok(Err(failed(format!(
            "[Errno 13] Permission denied: '{expanded}'"
        ))));
    }
    let (umask, euid, egid) = host_env(&reply);
    let new_gid = reply
        .stat("pst")
        .filter(|p| p.st_mode & 0o2000 != 0)
        .map(|p| p.gid)
        .unwrap_or(egid);
    Ok(Ok(EditTarget {
        real: reply.text("real").unwrap_or_else(|| expanded.clone()),
        path: expanded,
        exists: reply.has("exists"),
        is_dir: reply.has("isdir"),
        st: reply.stat("st"),
        content: reply.bytes("content").map(<[u8]>::to_vec),
        umask,
        euid,
        new_gid,
        ids: attrs.ids(&reply),
    }))
}

/// A planned edit.
pub struct EditApply {
    /// The new text, when the content changes.
    pub content: Option<Vec<u8>>,
    pub dest: String,
    pub attrs: AttrChange,
    /// The owner/group/mode the written file gets (before `attrs`).
    pub base: (u32, u32, u32),
    pub strict_ids: bool,
    pub backup: bool,
    pub validate: Option<String>,
    pub mkdirs: bool,
}

impl EditApply {
    pub fn new(
        t: &EditTarget,
        content: Option<Vec<u8>>,
        attrs: AttrChange,
        creating: bool,
    ) -> EditApply {
        let base = match (&t.st, creating) {
            (Some(st), false) => (st.uid, st.gid, st.perm()),
            _ => (t.euid, t.new_gid, 0o666 & !t.umask),
        };
        let strict_ids = attrs.uid.is_some() || attrs.gid.is_some();
        EditApply {
            content,
            dest: t.real.clone(),
            attrs,
            base,
            strict_ids,
            backup: false,
            validate: None,
            mkdirs: creating,
        }
    }
}

/// Writes the edit; `Ok(backup path)` or the failure message.
pub async fn commit(
    ctx: &ModuleCtx<'_>,
    e: &EditApply,
) -> Result<Result<Option<String>, String>, ModuleError> {
    match &e.content {
        Some(text) => {
            let spec = WriteSpec {
                dest: &e.dest,
                source: Source::Bytes(text),
                uid: Some(e.attrs.uid.unwrap_or(e.base.0)),
                gid: Some(e.attrs.gid.unwrap_or(e.base.1)),
                strict_ids: e.strict_ids,
                mode: e.attrs.mode.unwrap_or(e.base.2),
                backup: e.backup,
                validate: e.validate.as_deref(),
                mkdirs: e.mkdirs,
                md5: false,
            };
            Ok(match write(ctx, &spec).await? {
                Ok(w) => Ok(w.backup),
                Err(WriteError::Validate { rc, stderr, .. }) => {
                    Err(format!("failed to validate: rc:{rc} error:{stderr}"))
                }
                Err(WriteError::Failed(m)) => Err(m),
            })
        }
        None => {
            let script = format!(
                "{PRELUDE}p={}\n{}exit 0\n",
                sh_path(&e.dest),
                e.attrs.commands("p")
            );
            let reply = Reply::from_output(&run_script(ctx, &script, None).await?);
            Ok(match reply.failure() {
                Some(m) => Err(m),
                None => Ok(None),
            })
        }
    }
}

/// A failure the text-editing modules report with an `rc` (Ansible's
/// `fail_json(rc=...)`).
pub fn failed_rc<S>(msg: String, rc: i64) -> super::Step<S> {
    let mut f = failed(msg);
    f.insert("rc".into(), json!(rc));
    super::Step::Done(f)
}

/// The apply step of the text-editing modules: writes the edit and adds the
/// backup's path to the planned result under `backup_key` (lineinfile says
/// `backup`, blockinfile and replace `backup_file`).
pub async fn apply_edit(
    ctx: &ModuleCtx<'_>,
    e: &EditApply,
    mut result: ModResult,
    backup_key: &str,
) -> Result<ModResult, ModuleError> {
    match commit(ctx, e).await? {
        Ok(backup) => {
            if let Some(b) = backup {
                result.insert(backup_key.into(), json!(b));
            }
            Ok(result)
        }
        Err(m) => Ok(failed(m)),
    }
}

/// `check_file_attrs`: the message suffix and the attribute diff.
pub fn attr_message(msg: &str, changed: bool, attrs: &AttrChange) -> (String, bool) {
    if !attrs.changed() {
        return (msg.to_string(), changed);
    }
    let mut m = msg.to_string();
    if changed {
        m.push_str(" and ");
    }
    m.push_str("ownership, perms or SE linux context changed");
    (m, true)
}

/// The `{before, after, before_header, after_header}` diff of attributes.
pub fn attr_diff(path: &str, attrs: &AttrChange) -> Json {
    let mut d = Map::new();
    attrs.merge_into_if_any(&mut d);
    d.insert(
        "before_header".into(),
        json!(format!("{path} (file attributes)")),
    );
    d.insert(
        "after_header".into(),
        json!(format!("{path} (file attributes)")),
    );
    Json::Object(d)
}

/// The content diff dict; `before`/`after` filled only in diff mode.
pub fn content_diff(
    path: &str,
    diff_mode: bool,
    before: &str,
    after: &str,
    suffix: &str,
) -> Map<String, Json> {
    let mut d = Map::new();
    d.insert("before".into(), json!(if diff_mode { before } else { "" }));
    d.insert("after".into(), json!(if diff_mode { after } else { "" }));
    d.insert("before_header".into(), json!(format!("{path}{suffix}")));
    d.insert("after_header".into(), json!(format!("{path}{suffix}")));
    d
}
