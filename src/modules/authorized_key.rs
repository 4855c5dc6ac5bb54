// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `ansible.posix.authorized_key`: keys in a user's `authorized_keys`. A
//! `key` that is a URL is fetched first, from the host (src/modules/http.rs).
//! One probe reads the user's passwd entry, the key file and (for a `file:`
//! path) the key text on the host; the controller
//! merges the keys as the Ansible module does (keys matched by their base64
//! blob, options and comment compared, new keys after the existing ones,
//! `exclusive` dropping every other line) and the file is written with the
//! safe write, owned by the user, mode 0600.

use super::args::ArgReader;
use super::command::splitlines;
use super::http::Request;
use super::probe::{Reply, expand_home, probe, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::write::{Source, WriteError, WriteSpec, write};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::json;
use std::collections::BTreeMap;

pub struct AuthorizedKey;

static SPEC: ModuleSpec = ModuleSpec {
    name: "authorized_key",
    args: &[
        ArgSpec::new("user", T::Str).required(),
        ArgSpec::new("key", T::Str).required(),
        ArgSpec::new("path", T::Path),
        ArgSpec::new("manage_dir", T::Bool),
        ArgSpec::new("state", T::Str).choices(&["absent", "present"]),
        ArgSpec::new("key_options", T::Str),
        ArgSpec::new("exclusive", T::Bool),
        ArgSpec::new("comment", T::Str),
        ArgSpec::new("validate_certs", T::Bool),
        ArgSpec::new("follow", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct KeyArgs {
    user: String,
    key: String,
    path: Option<String>,
    manage_dir: bool,
    present: bool,
    key_options: Option<String>,
    exclusive: bool,
    comment: Option<String>,
    validate_certs: bool,
    follow: bool,
}

/// The key types OpenSSH accepts in `authorized_keys` (the module's list).
const KEY_TYPES: &[&str] = &[
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-dss",
    "ssh-rsa",
    "ssh-xmss@openssh.com",
    "ssh-xmss-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-512",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
];

/// Key options in their written order; a name may repeat (`permitopen`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyOptions(Vec<(String, Option<String>)>);

impl KeyOptions {
    /// Splits `no-pty,from="a,b"` at commas outside double or single quotes.
    pub fn parse(text: &str) -> KeyOptions {
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut quote_char: Option<char> = None;
        for c in text.chars() {
            match (quote_char, c) {
                (Some(q), c) if c == q => {
                    quote_char = None;
                    cur.push(c);
                }
                (Some(_), c) => cur.push(c),
                (None, '"' | '\'') => {
                    quote_char = Some(c);
                    cur.push(c);
                }
                (None, ',') => {
                    if !cur.is_empty() {
                        parts.push(std::mem::take(&mut cur));
                    }
                }
                (None, c) => cur.push(c),
            }
        }
        if !cur.is_empty() {
            parts.push(cur);
        }
        KeyOptions(
            parts
                .into_iter()
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (p, None),
                })
                .collect(),
        )
    }

    /// Equality as the module's multi-valued dict compares: per name, the
    /// values in order; the order between names does not matter.
    fn same(&self, other: &KeyOptions) -> bool {
        fn group(o: &KeyOptions) -> BTreeMap<&str, Vec<&Option<String>>> {
            let mut m: BTreeMap<&str, Vec<&Option<String>>> = BTreeMap::new();
            for (k, v) in &o.0 {
                m.entry(k.as_str()).or_default().push(v);
            }
            m
        }
        group(self) == group(other)
    }

    fn render(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let words: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect();
        format!("{} ", words.join(","))
    }
}

/// One line of an `authorized_keys` file, as the module keeps it.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A key: its base64 blob, type, options and comment.
    Key {
        blob: String,
        kind: String,
        options: KeyOptions,
        comment: String,
        rank: usize,
    },
    /// A comment or a line that is no key, kept as written.
    Other { text: String, rank: usize },
}

impl Line {
    fn rank(&self) -> usize {
        match self {
            Line::Key { rank, .. } | Line::Other { rank, .. } => *rank,
        }
    }

    /// The identity the module indexes lines by: the blob, or the text.
    fn id(&self) -> &str {
        match self {
            Line::Key { blob, .. } => blob,
            Line::Other { text, .. } => text,
        }
    }

    fn same_key(&self, other: &Line) -> bool {
        match (self, other) {
            (
                Line::Key {
                    blob: b1,
                    kind: k1,
                    options: o1,
                    comment: c1,
                    ..
                },
                Line::Key {
                    blob: b2,
                    kind: k2,
                    options: o2,
                    comment: c2,
                    ..
                },
            ) => b1 == b2 && k1 == k2 && c1 == c2 && o1.same(o2),
            (a, b) => a.id() == b.id(),
        }
    }
}

/// Parses one line; `None` when it holds no known key type.
pub fn parse_key(raw: &str, rank: usize) -> Option<Line> {
    let raw = raw.replace(r"\#", "#");
    // The module splits at whitespace only (no quoting, no comments).
    let parts: Vec<&str> = raw
        .split([' ', '\t', '\r', '\n'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.first() == Some(&"#") {
        return Some(Line::Other { text: raw, rank });
    }
    let at = parts.iter().position(|p| KEY_TYPES.contains(p))?;
    let blob = parts.get(at + 1)?;
    let options = if at > 0 {
        KeyOptions::parse(&parts[..at].join(" "))
    } else {
        KeyOptions::default()
    };
    Some(Line::Key {
        blob: blob.to_string(),
        kind: parts[at].to_string(),
        options,
        comment: parts.get(at + 2..).map(|c| c.join(" ")).unwrap_or_default(),
        rank,
    })
}

/// The lines of a file, keyed as the module keys them (a later duplicate
/// replaces the earlier one in place).
#[derive(Debug, Default)]
pub struct KeyFile(Vec<Line>);

impl KeyFile {
    pub fn parse(content: &str) -> KeyFile {
        let mut f = KeyFile::default();
        for (rank, line) in split_keep_ends(content).into_iter().enumerate() {
            let l = parse_key(line, rank).unwrap_or_else(|| Line::Other {
                text: line.to_string(),
                rank,
            });
            f.put(l);
        }
        f
    }

    fn get(&self, id: &str) -> Option<&Line> {
        self.0.iter().find(|l| l.id() == id)
    }

    fn put(&mut self, line: Line) {
        match self.0.iter_mut().find(|l| l.id() == line.id()) {
            Some(slot) => *slot = line,
            None => self.0.push(line),
        }
    }

    fn remove(&mut self, id: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|l| l.id() != id);
        before != self.0.len()
    }

    /// The file's text: lines by rank (stable), keys rewritten.
    pub fn render(&self) -> String {
        let mut lines: Vec<&Line> = self.0.iter().collect();
        lines.sort_by_key(|l| l.rank());
        let mut out = String::new();
        for l in lines {
            match l {
                Line::Other { text, .. } => out.push_str(text),
                Line::Key {
                    blob,
                    kind,
                    options,
                    comment,
                    ..
                } => out.push_str(&format!("{}{kind} {blob} {comment}\n", options.render())),
            }
        }
        out
    }
}

/// Python's `splitlines(True)`: lines with their ends.
fn split_keep_ends(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let end = match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => Some(i + 2),
            b'\n' | b'\r' | 0x0b | 0x0c | 0x1c | 0x1d | 0x1e => Some(i + 1),
            _ => None,
        };
        if let Some(e) = end {
            out.push(&s[start..e]);
            start = e;
            i = e;
        } else {
            i += 1;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// What merging the wanted keys into the file gave.
#[derive(Debug)]
pub struct Merge {
    pub changed: bool,
    pub content: String,
}

/// The module's `enforce_state` on parsed text: `Err` is the failure message.
pub fn merge(existing: &str, a: &KeyArgs, key_text: &str) -> Result<Merge, String> {
    let mut file = KeyFile::parse(existing);
    let base_rank = file.0.len();
    let mut changed = false;
    let mut wanted: Vec<String> = Vec::new();
    let new_keys: Vec<String> = splitlines(key_text)
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .filter(|s| !s.is_empty() && !s.starts_with('#'))
        .collect();
    for (i, raw) in new_keys.iter().enumerate() {
        let mut new = parse_key(raw, i).ok_or_else(|| format!("invalid key specified: {raw}"))?;
        if let Line::Key {
            options, comment, ..
        } = &mut new
        {
            if let Some(o) = &a.key_options {
                *options = KeyOptions::parse(o);
            }
            if let Some(c) = &a.comment {
                *comment = c.clone();
            }
        }
        let id = new.id().to_string();
        let mut matched = false;
        let mut stale = false;
        if let Some(old) = file.get(&id) {
            if a.present && !new.same_key(old) {
                stale = true;
            } else {
                matched = true;
            }
        }
        if a.present {
            wanted.push(id.clone());
            if stale && file.remove(&id) {
                changed = true;
            }
            if !matched {
                match &mut new {
                    Line::Key { rank, .. } | Line::Other { rank, .. } => *rank += base_rank,
                }
                file.put(new);
                changed = true;
            }
        } else if matched {
            file.remove(&id);
            changed = true;
        }
    }
    if a.present && a.exclusive {
        let before = file.0.len();
        file.0.retain(|l| wanted.iter().any(|w| w == l.id()));
        changed |= file.0.len() != before;
    }
    Ok(Merge {
        changed,
        content: if changed {
            file.render()
        } else {
            existing.to_string()
        },
    })
}

/// The probe: passwd entry, key file path and content, key text from a URL
/// or a file on the host.
fn probe_script(a: &KeyArgs, check_mode: bool) -> String {
    let mut s = format!("u={}\nkpw pw \"$u\"\n", quote(&a.user));
    match &a.path {
        Some(p) => s.push_str(&format!("f={}\nkv home \"$HOME\"\n", sh_path(p))),
        None => s.push_str(
            "h=$(getent passwd -- \"$u\" 2>/dev/null | cut -d: -f6) || h=\nf=\"$h/.ssh/authorized_keys\"\n",
        ),
    }
    if a.follow {
        s.push_str("f=$(realpath -m -- \"$f\" 2>/dev/null || printf %s \"$f\")\n");
    }
    let _ = check_mode;
    s.push_str("kv keyfile \"$f\"\n");
    s.push_str(
        "if [ -d \"$f\" ]; then kv ferr EISDIR; elif [ -e \"$f\" ]; then if [ -r \"$f\" ]; then kfile content \"$f\"; else kv ferr EACCES; fi; fi\n",
    );
    // A URL's keys were fetched before the probe (`fetch_key`).
    if let Some(path) = file_url_path(&a.key) {
        s.push_str(&format!(
            "k={}\nif [ ! -e \"$k\" ]; then kv kerr ENOENT; elif [ ! -f \"$k\" ]; then kv kerr EISDIR; elif [ -r \"$k\" ]; then kfile filekey \"$k\"; else kv kerr EACCES; fi\n",
            quote(&path)
        ));
    }
    s
}

/// The keys a `key` URL serves, fetched from the host as Ansible's
/// `fetch_url` would (its defaults: redirects followed, 10 s, the
/// `ansible-httpget` agent, proxies from the host's environment), with the
/// host's own client or, on a host without one, kiln's through the host's
/// SSH session (src/modules/http.rs). Anything but a 200 is the module's
/// one message.
async fn fetch_key(
    ctx: &ModuleCtx<'_>,
    a: &KeyArgs,
) -> Result<Result<String, String>, ModuleError> {
    let req = Request {
        url: a.key.clone(),
        method: "GET".into(),
        validate_certs: a.validate_certs,
        follow: true,
        timeout: 10,
        use_proxy: true,
        agent: "ansible-httpget".into(),
        want_body: true,
        ..Request::default()
    };
    let refused = || format!("Error getting key from: {}", a.key);
    match req.send(ctx).await? {
        Ok((resp, _)) if resp.status == 200 => {
            Ok(Ok(String::from_utf8_lossy(&resp.body).into_owned()))
        }
        _ => Ok(Err(refused())),
    }
}

/// The path of a `file:` key source (Python's `urlparse(key).path`).
fn file_url_path(key: &str) -> Option<String> {
    if !key.starts_with("file") {
        return None;
    }
    let rest = key.split_once(':').map(|(_, r)| r).unwrap_or("");
    let rest = match rest.strip_prefix("//") {
        Some(r) => r.find('/').map(|i| &r[i..]).unwrap_or(""),
        None => rest,
    };
    Some(rest.split(['?', '#']).next().unwrap_or("").to_string())
}

/// The result's echo of the arguments (the module returns its params).
fn base(a: &KeyArgs, path: Option<String>, keyfile: &str) -> ModResult {
    let mut r = ModResult::new();
    r.insert("user".into(), json!(a.user));
    r.insert("key".into(), json!(a.key));
    r.insert("path".into(), json!(path));
    r.insert("manage_dir".into(), json!(a.manage_dir));
    r.insert(
        "state".into(),
        json!(if a.present { "present" } else { "absent" }),
    );
    r.insert("key_options".into(), json!(a.key_options));
    r.insert("exclusive".into(), json!(a.exclusive));
    r.insert("comment".into(), json!(a.comment));
    r.insert("validate_certs".into(), json!(a.validate_certs));
    r.insert("follow".into(), json!(a.follow));
    r.insert("keyfile".into(), json!(keyfile));
    r.insert("changed".into(), json!(false));
    r
}

/// What `apply` writes.
pub struct KeyWrite {
    keyfile: String,
    content: String,
    uid: u32,
    gid: u32,
    result: ModResult,
}

#[async_trait::async_trait]
impl Module for AuthorizedKey {
    type Args = KeyArgs;
    type State = KeyWrite;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<KeyArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["user", "key"])?;
        Ok(KeyArgs {
            user: a.str("user").unwrap_or_default(),
            key: a.str("key").unwrap_or_default(),
            path: a.str("path"),
            manage_dir: a.bool("manage_dir", true)?,
            present: a.choice("state", Some("present"))?.as_deref() != Some("absent"),
            key_options: a.str("key_options"),
            exclusive: a.bool("exclusive", false)?,
            comment: a.str("comment"),
            validate_certs: a.bool("validate_certs", true)?,
            follow: a.bool("follow", false)?,
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &KeyArgs) -> Result<Step<KeyWrite>, ModuleError> {
        // The module fetches a URL before anything else, also in check mode.
        let fetched = if a.key.starts_with("http") {
            match fetch_key(ctx, a).await? {
                Ok(text) => Some(text),
                Err(msg) => return Ok(Step::Done(failed(msg))),
            }
        } else {
            None
        };
        let reply = probe(ctx, &probe_script(a, ctx.check_mode)).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        plan_from_reply(a, &reply, fetched, ctx.check_mode, ctx.diff)
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &KeyArgs,
        st: KeyWrite,
    ) -> Result<ModResult, ModuleError> {
        // The key file's directory: `~/.ssh`, or the one `path` names.
        let ssh_dir = super::probe::dirname(&st.keyfile).to_string();
        if a.manage_dir {
            // The module creates the directory 0700 and owns it to the user
            // every time it writes.
            let cmd = format!(
                "d={}; [ -d \"$d\" ] || mkdir -m 0700 -- \"$d\" || exit 1; chown -h {}:{} -- \"$d\" && chmod 0700 -- \"$d\"",
                sh_path(&ssh_dir),
                st.uid,
                st.gid
            );
            let out = ctx.run(&cmd, None).await?;
            if out.rc != 0 {
                return Ok(failed(format!(
                    "Failed to create directory {ssh_dir} : {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
        let spec = WriteSpec {
            dest: &st.keyfile,
            source: Source::Bytes(st.content.as_bytes()),
            uid: Some(st.uid),
            gid: Some(st.gid),
            strict_ids: false,
            mode: 0o600,
            backup: false,
            validate: None,
            mkdirs: true,
            md5: false,
        };
        match write(ctx, &spec).await? {
            Ok(_) => Ok(st.result),
            Err(WriteError::Failed(m)) => Ok(failed(m)),
            Err(WriteError::Validate { stderr, .. }) => Ok(failed(stderr)),
        }
    }
}

/// The plan from the probe's answer (separate for tests).
fn plan_from_reply(
    a: &KeyArgs,
    reply: &Reply,
    fetched: Option<String>,
    check_mode: bool,
    diff_mode: bool,
) -> Result<Step<KeyWrite>, ModuleError> {
    let pw = reply.text("pw");
    let ids = pw.as_deref().and_then(|l| {
        let f: Vec<&str> = l.split(':').collect();
        Some((
            f.get(2)?.parse::<u32>().ok()?,
            f.get(3)?.parse::<u32>().ok()?,
        ))
    });
    let home = reply.text("home");
    let path = a.path.as_ref().map(|p| expand_home(p, home.as_deref()));
    if ids.is_none() && !(check_mode && a.path.is_some()) {
        return Ok(Step::Done(failed(if check_mode {
            "Either user must exist or you must provide full path to key file in check mode"
                .to_string()
        } else {
            format!(
                "Failed to lookup user {}: \"getpwnam(): name not found: '{}'\"",
                a.user, a.user
            )
        })));
    }
    let keyfile = reply.text("keyfile").unwrap_or_default();
    let key_text = if a.key.starts_with("http") {
        match fetched {
            Some(k) => k,
            None => {
                return Ok(Step::Done(failed(format!(
                    "Error getting key from: {}",
                    a.key
                ))));
            }
        }
    } else if let Some(kp) = file_url_path(&a.key) {
        match reply.text("kerr").as_deref() {
            Some("ENOENT") => {
                return Ok(Step::Done(failed(format!(
                    "Path to a key file not found: {kp}"
                ))));
            }
            Some("EISDIR") => {
                return Ok(Step::Done(failed(format!(
                    "Path to a key is a directory and must be a file: {kp}"
                ))));
            }
            Some(_) => {
                return Ok(Step::Done(failed(format!(
                    "Failed to read key file {kp} : [Errno 13] Permission denied: '{kp}'"
                ))));
            }
            None => reply.text("filekey").unwrap_or_default(),
        }
    } else {
        a.key.clone()
    };
    match reply.text("ferr").as_deref() {
        Some("EACCES") => {
            return Ok(Step::Done(failed(format!(
                "Permission denied on file or path for authorized keys file: {keyfile}"
            ))));
        }
        Some(_) => {
            return Ok(Step::Done(failed(format!(
                "[Errno 21] Is a directory: '{keyfile}'"
            ))));
        }
        None => {}
    }
    let existing = reply.text("content").unwrap_or_default();
    let merged = match merge(&existing, a, &key_text) {
        Ok(m) => m,
        Err(msg) => return Ok(Step::Done(failed(msg))),
    };
    let mut r = base(a, path, &keyfile);
    if !merged.changed {
        return Ok(Step::Done(r));
    }
    r.insert("changed".into(), json!(true));
    if diff_mode {
        r.insert(
            "diff".into(),
            json!({
                "before_header": keyfile,
                "after_header": keyfile,
                "before": existing,
                "after": merged.content,
            }),
        );
    }
    let Some((uid, gid)) = ids else {
        // Check mode with an explicit path and no such user.
        return Ok(Step::Change {
            check: r.clone(),
            state: KeyWrite {
                keyfile,
                content: merged.content,
                uid: 0,
                gid: 0,
                result: r,
            },
        });
    };
    Ok(Step::Change {
        check: r.clone(),
        state: KeyWrite {
            keyfile,
            content: merged.content,
            uid,
            gid,
            result: r,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::ExecOutput;

    fn args(key: &str) -> KeyArgs {
        KeyArgs {
            user: "alice".into(),
            key: key.into(),
            path: None,
            manage_dir: true,
            present: true,
            key_options: None,
            exclusive: false,
            comment: None,
            validate_certs: true,
            follow: false,
        }
    }

    const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 alice@a";
    const K2: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ2 bob@b";

    #[test]
    fn adds_keeps_and_is_idempotent() {
        let a = args(&format!("{K1}\n# note\n\n{K2}"));
        let m = merge("", &a, &a.key).unwrap();
        assert!(m.changed);
        assert_eq!(m.content, format!("{K1}\n{K2}\n"));
        let again = merge(&m.content, &a, &a.key).unwrap();
        assert!(!again.changed);
        assert_eq!(again.content, m.content);
    }

    #[test]
    fn keeps_other_lines_and_appends() {
        let existing = "# managed elsewhere\nnot a key\nssh-ed25519 AAAAold old\n";
        let a = args(K1);
        let m = merge(existing, &a, &a.key).unwrap();
        assert_eq!(m.content, format!("{existing}{K1}\n"));
        let mut ex = args(K1);
        ex.exclusive = true;
        let m = merge(existing, &ex, &ex.key).unwrap();
        assert_eq!(m.content, format!("{K1}\n"));
    }

    #[test]
    fn options_and_comment_changes_rewrite_the_key() {
        let mut a = args(K1);
        a.key_options = Some("no-pty,from=\"10.0.0.1,10.0.0.2\"".into());
        let m = merge(&format!("{K1}\n"), &a, &a.key).unwrap();
        assert!(m.changed);
        assert_eq!(
            m.content,
            "no-pty,from=\"10.0.0.1,10.0.0.2\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 alice@a\n"
        );
        // Same options in another order are the same key.
        a.key_options = Some("from=\"10.0.0.1,10.0.0.2\",no-pty".into());
        assert!(!merge(&m.content, &a, &a.key).unwrap().changed);
        a.comment = Some("other".into());
        let m2 = merge(&m.content, &a, &a.key).unwrap();
        assert!(m2.content.ends_with("AAAAC3NzaC1lZDI1NTE5AAAAIA1 other\n"));
    }

    #[test]
    fn absent_removes_only_that_key() {
        let mut a = args(K2);
        a.present = false;
        let m = merge(&format!("{K1}\n{K2}\n"), &a, &a.key).unwrap();
        assert_eq!(m.content, format!("{K1}\n"));
        assert!(!merge(&m.content, &a, &a.key).unwrap().changed);
    }

    #[test]
    fn key_without_comment_gets_the_modules_trailing_space() {
        let a = args("ssh-ed25519 AAAAx");
        assert_eq!(
            merge("", &a, &a.key).unwrap().content,
            "ssh-ed25519 AAAAx \n"
        );
        let bad = args("hello world");
        assert_eq!(
            merge("", &bad, &bad.key).unwrap_err(),
            "invalid key specified: hello world"
        );
    }

    #[test]
    fn file_urls() {
        assert_eq!(
            file_url_path("file:///tmp/k.pub").as_deref(),
            Some("/tmp/k.pub")
        );
        assert_eq!(file_url_path("file:/tmp/k").as_deref(), Some("/tmp/k"));
        assert_eq!(file_url_path("ssh-rsa AAA"), None);
    }

    #[test]
    fn probe_runs_and_plans_on_a_local_file() {
        let dir = tempfile::tempdir().unwrap();
        let kf = dir.path().join("ak");
        std::fs::write(&kf, format!("{K2}\n")).unwrap();
        let src = dir.path().join("k.pub");
        std::fs::write(&src, format!("{K1}\n")).unwrap();
        let mut a = args(&format!("file://{}", src.display()));
        a.user = "root".into();
        a.path = Some(kf.display().to_string());
        let script = format!(
            "{}{}\nexit 0\n",
            super::super::probe::PRELUDE,
            probe_script(&a, false)
        );
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        let reply = Reply::from_output(&ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        });
        let Ok(Step::Change { check, state }) = plan_from_reply(&a, &reply, None, false, true)
        else {
            panic!("expected a change: {reply:?}");
        };
        assert_eq!(state.content, format!("{K2}\n{K1}\n"));
        assert_eq!(state.uid, 0);
        assert_eq!(check["diff"]["before"], json!(format!("{K2}\n")));
        assert_eq!(check["keyfile"], json!(kf.display().to_string()));
    }
}

/// kiln's key merge against ansible.posix's `authorized_key` on the same
/// file, recorded by tests/oracle/record_authorized_keys.py into
/// tests/authorized_key_cases/.
#[cfg(test)]
mod oracle_cases {
    use super::*;
    use serde_json::{Value as Json, json};

    const CASES: &str = include_str!("../../tests/authorized_key_cases/cases.json");
    const EXPECTED: &str = include_str!("../../tests/authorized_key_cases/expected.json");

    fn verdict(case: &Json) -> Json {
        let mut args: Args = case["args"].as_object().unwrap().clone();
        args.insert("user".into(), json!("root"));
        args.insert("path".into(), json!("/root/.ssh/authorized_keys"));
        args.insert("manage_dir".into(), json!(false));
        let a = AuthorizedKey.parse(&args).unwrap();
        let before = case["before"].as_str();
        let check = case["check_mode"].as_bool().unwrap_or(false);
        match merge(before.unwrap_or_default(), &a, &a.key) {
            Err(msg) => json!({"failed": true, "changed": false, "msg": msg, "after": before}),
            Ok(m) => {
                let after = if m.changed && !check {
                    Some(m.content.as_str())
                } else {
                    before
                };
                json!({"failed": false, "changed": m.changed, "after": after})
            }
        }
    }

    #[test]
    fn every_case_writes_the_file_ansible_writes() {
        crate::modules::assert_oracle_cases(CASES, EXPECTED, 30, verdict, Json::clone);
    }
}
