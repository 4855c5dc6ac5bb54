// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Owner, group and mode of files, as Ansible's `set_fs_attributes_if_different`
//! decides them: modes given as octal (int or string) or symbolic
//! (`u=rw,g=r,o=`), owners and groups by name or id, and the `diff` entries
//! and shell commands for what differs.

use super::probe::{FileStat, Reply, sh_path};
use serde_json::{Map, Value as Json, json};

/// A `mode` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeArg {
    /// An octal number (from a YAML int or an octal string).
    Octal(u32),
    /// chmod's symbolic form, applied to the current mode.
    Symbolic(String),
}

/// Python's `int(s, 8)`: whitespace, an optional `0o` prefix, underscores
/// between digits.
fn python_octal(s: &str) -> Option<u32> {
    let t = s.trim();
    let t = t
        .strip_prefix("0o")
        .or_else(|| t.strip_prefix("0O"))
        .unwrap_or(t);
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    let digits: String = t.chars().filter(|&c| c != '_').collect();
    if !digits.chars().all(|c| ('0'..='7').contains(&c)) {
        return None;
    }
    u32::from_str_radix(&digits, 8).ok()
}

impl ModeArg {
    /// Reads a `mode` value: an int is the mode itself (so YAML `0644` is
    /// 0o644 and `644` is decimal, as in Ansible), a string is octal if it
    /// parses as octal, else symbolic (checked when applied).
    pub fn from_json(v: &Json) -> Result<Option<ModeArg>, String> {
        match v {
            Json::Null => Ok(None),
            Json::Number(n) => match n.as_u64() {
                Some(m) if m <= u64::from(u32::MAX) => Ok(Some(ModeArg::Octal(m as u32))),
                _ => Err(format!("mode must be in octal or symbolic form: {n}")),
            },
            Json::String(s) => Ok(Some(match python_octal(s) {
                Some(m) => ModeArg::Octal(m),
                None => ModeArg::Symbolic(s.clone()),
            })),
            other => Err(format!("mode must be in octal or symbolic form: {other}")),
        }
    }

    /// The mode to set on a file whose current permission bits are `prev`.
    pub fn resolve(&self, prev: u32, is_dir: bool, umask: u32) -> Result<u32, String> {
        match self {
            ModeArg::Octal(m) => Ok(*m),
            ModeArg::Symbolic(s) => {
                let m = symbolic_to_octal(prev, is_dir, s, umask).map_err(|e| {
                    super::with_details("mode must be in octal or symbolic form", &e)
                })?;
                if m != m & 0o7777 {
                    return Err("Invalid mode supplied, only permission info is allowed".into());
                }
                Ok(m)
            }
        }
    }
}

const S_IRWXU: u32 = 0o700;
const S_IRWXG: u32 = 0o070;
const S_IRWXO: u32 = 0o007;
const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_ISVTX: u32 = 0o1000;
const PERM_BITS: u32 = 0o7777;

/// chmod's symbolic modes with Ansible's reading of them
/// (`_symbolic_mode_to_octal`): comma-separated clauses `[ugoa]*[-+=][perms]...`,
/// `X` only for directories or files that already have an execute bit, an
/// empty who-list honouring the umask.
pub fn symbolic_to_octal(prev: u32, is_dir: bool, spec: &str, umask: u32) -> Result<u32, String> {
    let mut mode = prev & PERM_BITS;
    for clause in spec.split(',') {
        // A clause without an operator names users only and changes nothing.
        let first_op = clause.find(['+', '-', '=']).unwrap_or(clause.len());
        let who = &clause[..first_op];
        let use_umask = who.is_empty();
        let users = if who.is_empty() || who == "a" {
            "ugo"
        } else {
            who
        };
        if !users.chars().all(|c| matches!(c, 'u' | 'g' | 'o')) {
            return Err(format!("bad symbolic permission for mode: {spec}"));
        }
        // Operators and the permission text that follows each.
        let mut parts: Vec<(char, &str)> = Vec::new();
        let rest = &clause[first_op..];
        let mut i = 0;
        let bytes = rest.as_bytes();
        while i < bytes.len() {
            let op = bytes[i] as char;
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && !matches!(bytes[end], b'+' | b'-' | b'=') {
                end += 1;
            }
            parts.push((op, &rest[start..end]));
            i = end;
        }
        for (op, perms) in parts {
            if !perms
                .chars()
                .all(|c| matches!(c, 'r' | 'w' | 'x' | 'X' | 's' | 't' | 'u' | 'g' | 'o'))
            {
                return Err(format!("bad symbolic permission for mode: {spec}"));
            }
            for user in users.chars() {
                let apply = perms_for(user, perms, mode, is_dir, use_umask, umask);
                mode = apply_op(user, op, apply, mode);
            }
        }
    }
    Ok(mode)
}

fn perms_for(user: char, perms: &str, cur: u32, is_dir: bool, use_umask: bool, umask: u32) -> u32 {
    let rev_umask = umask ^ PERM_BITS;
    let x_ok = is_dir || (cur & 0o111) != 0;
    let masked = |bit: u32| if use_umask { rev_umask & bit } else { bit };
    let mut out = 0;
    for p in perms.chars() {
        out |= match (user, p) {
            ('u', 'r') => masked(0o400),
            ('u', 'w') => masked(0o200),
            ('u', 'x') => masked(0o100),
            ('u', 'X') if x_ok => 0o100,
            ('u', 's') => S_ISUID,
            ('u', 'u') => cur & S_IRWXU,
            ('u', 'g') => (cur & S_IRWXG) << 3,
            ('u', 'o') => (cur & S_IRWXO) << 6,
            ('g', 'r') => masked(0o040),
            ('g', 'w') => masked(0o020),
            ('g', 'x') => masked(0o010),
            ('g', 'X') if x_ok => 0o010,
            ('g', 's') => S_ISGID,
            ('g', 'u') => (cur & S_IRWXU) >> 3,
            ('g', 'g') => cur & S_IRWXG,
            ('g', 'o') => (cur & S_IRWXO) << 3,
            ('o', 'r') => masked(0o004),
            ('o', 'w') => masked(0o002),
            ('o', 'x') => masked(0o001),
            ('o', 'X') if x_ok => 0o001,
            ('o', 't') => S_ISVTX,
            ('o', 'u') => (cur & S_IRWXU) >> 6,
            ('o', 'g') => (cur & S_IRWXG) >> 3,
            ('o', 'o') => cur & S_IRWXO,
            _ => 0,
        };
    }
    out
}

fn apply_op(user: char, op: char, bits: u32, cur: u32) -> u32 {
    match op {
        '=' => {
            let mask = match user {
                'u' => S_IRWXU | S_ISUID,
                'g' => S_IRWXG | S_ISGID,
                _ => S_IRWXO | S_ISVTX,
            };
            (cur & (mask ^ PERM_BITS)) | bits
        }
        '+' => cur | bits,
        _ => cur - (cur & bits),
    }
}

/// The owner, group and mode a task asks for.
#[derive(Debug, Clone, Default)]
pub struct FileAttrs {
    pub mode: Option<ModeArg>,
    pub owner: Option<String>,
    pub group: Option<String>,
}

impl FileAttrs {
    /// `attributes` (chattr flags) is not implemented: a task that asks
    /// for them fails instead of silently not getting them.
    pub fn reject_unsupported(a: &super::args::ArgReader<'_>) -> Result<(), String> {
        if a.has("attributes") {
            return Err("kiln does not support the 'attributes' option (chattr flags) yet".into());
        }
        Ok(())
    }

    /// `mode`, `owner` and `group` from a module's arguments.
    pub fn from_args(a: &super::args::ArgReader<'_>) -> Result<FileAttrs, String> {
        Self::reject_unsupported(a)?;
        Ok(FileAttrs {
            mode: match a.raw("mode") {
                Some(v) => ModeArg::from_json(v)?,
                None => None,
            },
            owner: a.str("owner"),
            group: a.str("group"),
        })
    }

    /// Probe lines that look up the owner and group (numeric ids need no
    /// lookup to be used, as in Ansible, but check mode warns about unknown ones).
    pub fn lookup_snippet(&self) -> String {
        let mut s = String::new();
        if let Some(o) = &self.owner {
            s.push_str(&format!("kpw pw {}\n", crate::transport::quote(o.trim())));
        }
        if let Some(g) = &self.group {
            s.push_str(&format!("kgr gr {}\n", crate::transport::quote(g.trim())));
        }
        s
    }

    /// Check mode's warnings for an owner or group the host does not know
    /// (`check_owner_exists` / `check_group_exists`).
    pub fn check_warnings(&self, reply: &Reply) -> Vec<String> {
        let mut w = Vec::new();
        for (value, key, what) in [(&self.owner, "pw", "user"), (&self.group, "gr", "group")] {
            let Some(v) = value else { continue };
            if reply.has(key) {
                continue;
            }
            let v = v.trim();
            if v.parse::<u32>().is_ok() {
                let id = if what == "user" { "uid" } else { "gid" };
                w.push(format!(
                    "failed to look up {what} with {id} {v}. Create {what} up to this point in real play"
                ));
            } else {
                w.push(format!(
                    "failed to look up {what} {v}. Create {what} up to this point in real play"
                ));
            }
        }
        w
    }

    /// The uid and gid asked for, from the probe's lookups. The error is
    /// Ansible's message.
    pub fn ids(&self, reply: &Reply) -> Result<(Option<u32>, Option<u32>), String> {
        let uid = match &self.owner {
            None => None,
            Some(o) => Some(match o.trim().parse::<u32>() {
                Ok(n) => n,
                Err(_) => reply
                    .entry_id("pw")
                    .ok_or_else(|| format!("chown failed: failed to look up user {o}"))?,
            }),
        };
        let gid = match &self.group {
            None => None,
            Some(g) => Some(match g.trim().parse::<u32>() {
                Ok(n) => n,
                Err(_) => reply
                    .entry_id("gr")
                    .ok_or_else(|| format!("chgrp failed: failed to look up group {g}"))?,
            }),
        };
        Ok((uid, gid))
    }
}

/// What must change on one path for its owner, group and mode to be as asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttrChange {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: Option<u32>,
    /// Ansible's diff entries (`owner`/`group` as ids, `mode` as `0%03o`).
    pub before: Map<String, Json>,
    pub after: Map<String, Json>,
}

impl AttrChange {
    pub fn changed(&self) -> bool {
        self.uid.is_some() || self.gid.is_some() || self.mode.is_some()
    }

    /// Shell commands that make the change on `var` (a shell variable name).
    pub fn commands(&self, var: &str) -> String {
        let mut s = String::new();
        match (self.uid, self.gid) {
            (Some(u), Some(g)) => {
                s.push_str(&format!("chown -h {u}:{g} -- \"${var}\" || exit 1\n"))
            }
            (Some(u), None) => s.push_str(&format!("chown -h {u} -- \"${var}\" || exit 1\n")),
            (None, Some(g)) => s.push_str(&format!("chgrp -h {g} -- \"${var}\" || exit 1\n")),
            (None, None) => {}
        }
        if let Some(m) = self.mode {
            // chmod follows links; Linux cannot change a link's own mode.
            s.push_str(&format!(
                "[ -L \"${var}\" ] || chmod {m:04o} -- \"${var}\" || exit 1\n"
            ));
        }
        s
    }

    /// Like [`AttrChange::merge_into`], adding the sides only when something
    /// changes (the attribute diff of lineinfile and blockinfile).
    pub fn merge_into_if_any(&self, diff: &mut Map<String, Json>) {
        if self.changed() {
            self.merge_into(diff);
        }
    }

    /// The diff entries merged into a `{before, after}` diff dict.
    pub fn merge_into(&self, diff: &mut Map<String, Json>) {
        for (side, vals) in [("before", &self.before), ("after", &self.after)] {
            let entry = diff
                .entry(side.to_string())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(m) = entry {
                for (k, v) in vals {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// Compares a path's current uid, gid and mode with what is asked
/// (`set_owner_if_different`, then group, then mode, in that order).
pub fn plan_attrs(
    uid: u32,
    gid: u32,
    perm: u32,
    is_dir: bool,
    want: (Option<u32>, Option<u32>, Option<&ModeArg>),
    umask: u32,
) -> Result<AttrChange, String> {
    let mut c = AttrChange::default();
    if let Some(u) = want.0
        && u != uid
    {
        c.uid = Some(u);
        c.before.insert("owner".into(), json!(uid));
        c.after.insert("owner".into(), json!(u));
    }
    if let Some(g) = want.1
        && g != gid
    {
        c.gid = Some(g);
        c.before.insert("group".into(), json!(gid));
        c.after.insert("group".into(), json!(g));
    }
    if let Some(m) = want.2 {
        let new = m.resolve(perm, is_dir, umask)?;
        if new != perm {
            c.mode = Some(new);
            c.before
                .insert("mode".into(), json!(format!("0{perm:03o}")));
            c.after.insert("mode".into(), json!(format!("0{new:03o}")));
        }
    }
    Ok(c)
}

/// Shell lines that make `path` and every missing directory above it one
/// `mkdir` at a time, from the top, as the file module's `state=directory`
/// and copy's parent directories do: each directory made gets `new_dir`'s
/// commands (owner, group, mode) on `$c`, then `after(c, is_last)`. A
/// failing `mkdir` reports `err` as `FAILED: <mkdir's message>`.
pub fn mkdir_each_script(
    path: &str,
    new_dir: &AttrChange,
    failed: &str,
    after: impl Fn(&str, bool) -> String,
) -> String {
    let absolute = path.starts_with('/');
    let parts: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    let mut cur = String::new();
    let mut script = String::new();
    for (i, part) in parts.iter().enumerate() {
        cur = format!("{cur}/{part}");
        let c = if absolute {
            cur.clone()
        } else {
            cur.trim_start_matches('/').to_string()
        };
        script.push_str(&format!(
            "c={}\nif [ ! -e \"$c\" ]; then mkdir -- \"$c\" 2>/dev/null || [ -d \"$c\" ] || {{ kv err \"{failed}: $(mkdir -- \"$c\" 2>&1)\"; exit 1; }}\n{}{}fi\n",
            sh_path(&c),
            new_dir.commands("c"),
            after(&c, i + 1 == parts.len())
        ));
    }
    script
}

/// [`plan_attrs`] for an existing path described by its stat.
pub fn plan_for(
    st: &FileStat,
    want: (Option<u32>, Option<u32>, Option<&ModeArg>),
    umask: u32,
) -> Result<AttrChange, String> {
    plan_attrs(st.uid, st.gid, st.perm(), st.is_dir(), want, umask)
}

/// The probe lines for the host's umask and effective ids (new files get
/// `0666 & ~umask` and the process's uid and gid).
pub const ENV_SNIPPET: &str = "kv umask \"$(umask)\"\nkv id \"$(id)\"\n";

/// The umask, euid and egid from [`ENV_SNIPPET`].
pub fn host_env(reply: &Reply) -> (u32, u32, u32) {
    let umask = reply
        .text("umask")
        .and_then(|u| u32::from_str_radix(u.trim(), 8).ok())
        .unwrap_or(0o022);
    // `id` prints `uid=0(root) gid=0(root) groups=...`: one process for both.
    let id = reply.text("id").unwrap_or_default();
    let field = |name: &str| -> Option<u32> {
        id.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.split('(').next())
            .and_then(|v| v.parse().ok())
    };
    // An effective id differing from the real one is printed as euid=/egid=.
    let euid = field("euid=").or_else(|| field("uid=")).unwrap_or(0);
    let egid = field("egid=").or_else(|| field("gid=")).unwrap_or(0);
    (umask, euid, egid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(prev: u32, is_dir: bool, s: &str) -> u32 {
        symbolic_to_octal(prev, is_dir, s, 0o022).unwrap()
    }

    #[test]
    fn octal_forms() {
        assert_eq!(
            ModeArg::from_json(&json!(420)).unwrap(),
            Some(ModeArg::Octal(0o644))
        );
        assert_eq!(
            ModeArg::from_json(&json!("0644")).unwrap(),
            Some(ModeArg::Octal(0o644))
        );
        assert_eq!(
            ModeArg::from_json(&json!("644")).unwrap(),
            Some(ModeArg::Octal(0o644))
        );
        assert_eq!(
            ModeArg::from_json(&json!("0o755")).unwrap(),
            Some(ModeArg::Octal(0o755))
        );
        assert_eq!(
            ModeArg::from_json(&json!(" 1777 ")).unwrap(),
            Some(ModeArg::Octal(0o1777))
        );
        // Decimal 644 is 0o1204, Ansible's well-known trap.
        assert_eq!(
            ModeArg::from_json(&json!(644)).unwrap(),
            Some(ModeArg::Octal(0o1204))
        );
        assert_eq!(
            ModeArg::from_json(&json!("u=rw,g=r,o=")).unwrap(),
            Some(ModeArg::Symbolic("u=rw,g=r,o=".into()))
        );
        assert_eq!(ModeArg::from_json(&json!(null)).unwrap(), None);
    }

    #[test]
    fn symbolic_modes_like_ansible() {
        assert_eq!(sym(0o777, false, "u=rw,g=r,o="), 0o640);
        assert_eq!(sym(0o600, false, "g+r,o+r"), 0o644);
        assert_eq!(sym(0o644, false, "a+x"), 0o755);
        assert_eq!(sym(0o755, false, "go-x"), 0o744);
        // X: only for directories or files that have an execute bit.
        assert_eq!(sym(0o644, false, "a+X"), 0o644);
        assert_eq!(sym(0o744, false, "a+X"), 0o755);
        assert_eq!(sym(0o700, true, "go=X"), 0o711);
        // setuid/setgid/sticky, and copying another class's bits.
        assert_eq!(sym(0o755, false, "u+s,g+s"), 0o6755);
        assert_eq!(sym(0o777, true, "o+t"), 0o1777);
        assert_eq!(sym(0o4755, false, "u=rwx"), 0o755);
        assert_eq!(sym(0o640, false, "o=g"), 0o644);
        assert_eq!(sym(0o700, false, "g=u-w"), 0o750);
        // No who: all classes, minus the umask.
        assert_eq!(sym(0o600, false, "+w"), 0o600 | 0o200);
        assert_eq!(sym(0o000, false, "=rw"), 0o644);
        assert_eq!(symbolic_to_octal(0o644, false, "+w", 0o002).unwrap(), 0o664);
        // Several operators in one clause.
        assert_eq!(sym(0o000, false, "u=rwx-x+X"), 0o600);
    }

    #[test]
    fn bad_symbolic_modes() {
        // A clause without an operator (or an empty one) is accepted and does nothing.
        assert_eq!(sym(0o640, false, "u+x,"), 0o740);
        assert_eq!(sym(0o640, false, "go"), 0o640);
        for bad in ["rwx", "z=r", "u=q", "a+r,x"] {
            assert!(
                symbolic_to_octal(0o644, false, bad, 0o022).is_err(),
                "{bad}"
            );
            // The module's message, with the cause as its `details`.
            let failure = crate::modules::failed(
                ModeArg::Symbolic(bad.into())
                    .resolve(0o644, false, 0o022)
                    .unwrap_err(),
            );
            assert_eq!(failure["msg"], "mode must be in octal or symbolic form");
            assert_eq!(
                failure["details"],
                format!("bad symbolic permission for mode: {bad}")
            );
        }
    }

    #[test]
    fn host_ids_from_id() {
        let id = "uid=1000(me) gid=100(users) euid=0(root) groups=100(users)";
        let r = Reply::from_output(&crate::transport::ExecOutput {
            rc: 0,
            stdout: format!("umask:4\n0027\nid:{}\n{id}\n", id.len()).into_bytes(),
            stderr: vec![],
        });
        assert_eq!(host_env(&r), (0o027, 0, 100));
    }

    #[test]
    fn attribute_plans_and_diffs() {
        let m = ModeArg::Octal(0o600);
        let c = plan_attrs(0, 0, 0o644, false, (Some(65534), Some(0), Some(&m)), 0o022).unwrap();
        assert!(c.changed());
        assert_eq!(c.uid, Some(65534));
        assert_eq!(c.gid, None);
        assert_eq!(
            c.before,
            serde_json::from_value::<Map<String, Json>>(json!({"owner": 0, "mode": "0644"}))
                .unwrap()
        );
        assert_eq!(c.after["mode"], json!("0600"));
        assert_eq!(
            c.commands("p"),
            "chown -h 65534 -- \"$p\" || exit 1\n[ -L \"$p\" ] || chmod 0600 -- \"$p\" || exit 1\n"
        );
        let same = plan_attrs(0, 0, 0o600, false, (Some(0), None, Some(&m)), 0o022).unwrap();
        assert!(!same.changed());
    }
}
