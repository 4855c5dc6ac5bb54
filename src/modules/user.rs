// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `user`: a local account, made and changed with `useradd`/`usermod`/
//! `userdel`/`chage`/`ssh-keygen` exactly as the Ansible module builds their
//! command lines. One probe reads the passwd and shadow entries, the group
//! database, the home directory and the SSH key; the controller decides; the
//! apply step runs the commands and the probe again for the result.

use super::accounts::{GroupEnt, Passwd, Ran, add_output, argv_line, find_group, parse_groups};
use super::args::ArgReader;
use super::probe::{PRELUDE, Reply, dirname, probe, run_script};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Value as Json, json};

pub struct User;

static SPEC: ModuleSpec = ModuleSpec {
    name: "user",
    args: &[
        ArgSpec::new("state", T::Str).choices(&["absent", "present"]),
        ArgSpec::new("name", T::Str).required().aliases(&["user"]),
        ArgSpec::new("uid", T::Int),
        ArgSpec::new("non_unique", T::Bool),
        ArgSpec::new("group", T::Str),
        ArgSpec::new("groups", T::List),
        ArgSpec::new("comment", T::Str),
        ArgSpec::new("home", T::Path),
        ArgSpec::new("shell", T::Path),
        ArgSpec::new("password", T::Str),
        ArgSpec::new("login_class", T::Str),
        ArgSpec::new("password_expire_max", T::Int),
        ArgSpec::new("password_expire_min", T::Int),
        ArgSpec::new("password_expire_warn", T::Int),
        ArgSpec::new("hidden", T::Bool),
        ArgSpec::new("seuser", T::Str),
        ArgSpec::new("force", T::Bool),
        ArgSpec::new("remove", T::Bool),
        ArgSpec::new("create_home", T::Bool).aliases(&["createhome"]),
        ArgSpec::new("skeleton", T::Str),
        ArgSpec::new("system", T::Bool),
        ArgSpec::new("move_home", T::Bool),
        ArgSpec::new("append", T::Bool),
        ArgSpec::new("generate_ssh_key", T::Bool),
        ArgSpec::new("ssh_key_bits", T::Int),
        ArgSpec::new("ssh_key_type", T::Str),
        ArgSpec::new("ssh_key_file", T::Path),
        ArgSpec::new("ssh_key_comment", T::Str),
        ArgSpec::new("ssh_key_passphrase", T::Str),
        ArgSpec::new("update_password", T::Str).choices(&["always", "on_create"]),
        ArgSpec::new("expires", T::Raw),
        ArgSpec::new("password_lock", T::Bool),
        ArgSpec::new("local", T::Bool),
        ArgSpec::new("profile", T::Str),
        ArgSpec::new("authorization", T::Str),
        ArgSpec::new("role", T::Str),
        ArgSpec::new("umask", T::Str),
        ArgSpec::new("password_expire_account_disable", T::Int),
        ArgSpec::new("uid_min", T::Int),
        ArgSpec::new("uid_max", T::Int),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

#[derive(Debug, Clone, Default)]
pub struct UserArgs {
    name: String,
    present: bool,
    uid: Option<i64>,
    non_unique: bool,
    group: Option<String>,
    /// `groups` joined with commas, as the module keeps it.
    groups: Option<String>,
    comment: Option<String>,
    home: Option<String>,
    shell: Option<String>,
    password: Option<String>,
    expire_max: Option<i64>,
    expire_min: Option<i64>,
    expire_warn: Option<i64>,
    force: bool,
    remove: bool,
    create_home: bool,
    skeleton: Option<String>,
    system: bool,
    move_home: bool,
    append: bool,
    ssh_keygen: bool,
    ssh_bits: i64,
    ssh_type: String,
    ssh_file: String,
    ssh_comment: Option<String>,
    ssh_passphrase: Option<String>,
    update_always: bool,
    /// Seconds since the epoch (`expires`).
    expires: Option<f64>,
    password_lock: Option<bool>,
    local: bool,
    umask: Option<String>,
    inactive: Option<i64>,
    uid_min: Option<i64>,
    uid_max: Option<i64>,
}

const PLACEHOLDER_HOMES: &[&str] = &["/nonexistent", "/dev/null", "/var/empty"];

/// What the probe found.
#[derive(Debug, Default)]
pub struct Found {
    pw: Option<Passwd>,
    /// Shadow password and account expiry (days since the epoch; -1: none).
    shadow_pw: String,
    shadow_expire: i64,
    shadow_min: Option<i64>,
    shadow_max: Option<i64>,
    shadow_warn: Option<i64>,
    groups: Vec<GroupEnt>,
    home_exists: bool,
    key_exists: bool,
    pub_exists: bool,
    pub_key: Option<String>,
    fingerprint: Option<Ran>,
    hostname: String,
}

fn shadow_num(f: Option<&&str>) -> Option<i64> {
    f.and_then(|s| s.parse().ok())
}

impl Found {
    fn from_reply(r: &Reply) -> Found {
        let mut f = Found {
            pw: r.text("pw").as_deref().and_then(Passwd::parse),
            shadow_expire: -1,
            groups: parse_groups(&r.text("gr").unwrap_or_default()),
            home_exists: r.has("hdx"),
            key_exists: r.has("kx"),
            pub_exists: r.has("px"),
            pub_key: r.text("pub").map(|s| s.trim().to_string()),
            hostname: r.text("host").unwrap_or_default(),
            ..Found::default()
        };
        if let Some(sp) = r.text("sp") {
            let s: Vec<&str> = sp.trim_end().split(':').collect();
            f.shadow_pw = s.get(1).map(|x| x.to_string()).unwrap_or_default();
            f.shadow_min = shadow_num(s.get(3));
            f.shadow_max = shadow_num(s.get(4));
            f.shadow_warn = shadow_num(s.get(5));
            f.shadow_expire = shadow_num(s.get(7)).unwrap_or(-1);
        }
        if let Some(rc) = r.text("fprc") {
            f.fingerprint = Some(Ran {
                rc: rc.trim().parse().unwrap_or(1),
                stdout: r.text("fpo").unwrap_or_default(),
                stderr: r.text("fpe").unwrap_or_default(),
            });
        }
        f
    }

    /// The password as the module sees it: passwd's field, or shadow's when
    /// passwd holds a placeholder (`x`).
    fn password(&self) -> String {
        match &self.pw {
            Some(p) if p.password.len() > 1 => p.password.clone(),
            _ => self.shadow_pw.clone(),
        }
    }

    /// Groups whose member list names the user (`gr_mem`), in database order.
    fn membership(&self, name: &str, exclude_primary: bool) -> Vec<String> {
        let primary = self.pw.as_ref().map(|p| p.gid);
        self.groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == name))
            .filter(|g| !exclude_primary || Some(g.gid) != primary)
            .map(|g| g.name.clone())
            .collect()
    }
}

impl UserArgs {
    /// The key path relative to the home directory, or absolute.
    fn key_path(&self, home: &str) -> String {
        if self.ssh_file.starts_with('/') {
            self.ssh_file.clone()
        } else {
            super::probe::join(home, &self.ssh_file)
        }
    }

    fn home_for(&self, found: &Found) -> Option<String> {
        self.home
            .clone()
            .or_else(|| found.pw.as_ref().map(|p| p.home.clone()))
    }
}

/// The probe: everything the decision needs, in one round trip.
fn probe_script(a: &UserArgs) -> String {
    let mut s = format!("n={}\nkpw pw \"$n\"\n", quote(&a.name));
    s.push_str("sp=$(getent shadow -- \"$n\" 2>/dev/null) && kv sp \"$sp\"\n");
    s.push_str("kv gr \"$(getent group 2>/dev/null || cat /etc/group)\"\n");
    s.push_str("kv host \"$(uname -n)\"\n");
    s.push_str("h=$(getent passwd -- \"$n\" 2>/dev/null | cut -d: -f6)\n");
    if let Some(home) = &a.home {
        s.push_str(&format!("h={}\n", quote(home)));
    }
    s.push_str("[ -n \"$h\" ] && [ -e \"$h\" ] && kv hdx 1\n");
    if a.ssh_keygen {
        let kf = if a.ssh_file.starts_with('/') {
            quote(&a.ssh_file)
        } else {
            format!("\"$h\"/{}", quote(&a.ssh_file))
        };
        s.push_str(&format!(
            "kf={kf}\nif [ -n \"$h\" ]; then [ -e \"$kf\" ] && kv kx 1; [ -e \"$kf.pub\" ] && kv px 1; [ -r \"$kf.pub\" ] && kfile pub \"$kf.pub\"\n"
        ));
        s.push_str("if [ -e \"$kf\" ]; then krun fp ssh-keygen -l -f \"$kf\"; fi; fi\n");
    }
    s
}

/// `expires` as the `-e` date (UTC), or `""` before the epoch.
fn expire_date(secs: f64) -> String {
    if secs < 0.0 {
        return String::new();
    }
    chrono::DateTime::from_timestamp(secs.floor() as i64, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn missing_group(g: &str) -> String {
    format!("Group {g} does not exist")
}

/// The supplementary groups asked for, each checked to exist, without
/// repeats (in the order given).
fn wanted_groups(a: &UserArgs, f: &Found) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    for g in a
        .groups
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|g| !g.is_empty())
        .map(str::trim)
    {
        let e = find_group(&f.groups, g).ok_or_else(|| missing_group(g))?;
        if !names.contains(&e.name) {
            names.push(e.name.clone());
        }
    }
    Ok(names)
}

/// `expires` as libuser's `lchage -E` days (-1: never).
fn expire_days(secs: f64) -> String {
    if secs < 0.0 {
        "-1".into()
    } else {
        ((secs.floor() as i64).div_euclid(86400)).to_string()
    }
}

/// What `local: true` runs after `luseradd`: libuser's useradd takes
/// neither an expiry nor supplementary groups, so the module sets them with
/// `lchage -E` and one `lgroupmod -M` per group.
fn luseradd_follow_ups(a: &UserArgs, f: &Found) -> Result<Vec<Vec<String>>, String> {
    let mut out = Vec::new();
    if let Some(e) = a.expires {
        out.push(vec![
            "lchage".into(),
            "-E".into(),
            expire_days(e),
            a.name.clone(),
        ]);
    }
    for g in wanted_groups(a, f)? {
        out.push(vec!["lgroupmod".into(), "-M".into(), a.name.clone(), g]);
    }
    Ok(out)
}

/// `useradd`'s command line.
pub fn useradd(a: &UserArgs, f: &Found) -> Result<Vec<String>, String> {
    let mut c: Vec<String> = vec![if a.local { "luseradd" } else { "useradd" }.into()];
    if let Some(uid) = a.uid {
        c.extend(["-u".into(), uid.to_string()]);
        if a.non_unique {
            c.push("-o".into());
        }
    }
    if let Some(g) = &a.group {
        if find_group(&f.groups, g).is_none() {
            return Err(missing_group(g));
        }
        c.extend(["-g".into(), g.clone()]);
    } else if find_group(&f.groups, &a.name).is_some() {
        // A group named like the user exists: useradd must not make one.
        c.push(if a.local { "-n" } else { "-N" }.into());
    }
    if let Some(groups) = &a.groups
        && !groups.is_empty()
    {
        let mut names: Vec<String> = Vec::new();
        for g in groups.split(',').filter(|g| !g.is_empty()).map(str::trim) {
            if find_group(&f.groups, g).is_none() {
                return Err(missing_group(g));
            }
            if !names.iter().any(|n| n == g) {
                names.push(g.to_string());
            }
        }
        // libuser's luseradd has no -G: see luseradd_follow_ups.
        if !a.local {
            c.extend(["-G".into(), names.join(",")]);
        }
    }
    if let Some(cm) = &a.comment {
        c.extend(["-c".into(), cm.clone()]);
    }
    if let Some(h) = &a.home {
        c.extend(["-d".into(), h.clone()]);
    }
    if let Some(s) = &a.shell {
        c.extend(["-s".into(), s.clone()]);
    }
    if let Some(e) = a.expires
        && !a.local
    {
        c.extend(["-e".into(), expire_date(e)]);
    }
    if let Some(i) = a.inactive {
        c.extend(["-f".into(), i.to_string()]);
    }
    if let Some(p) = &a.password {
        c.push("-p".into());
        c.push(if a.password_lock == Some(true) {
            format!("!{p}")
        } else {
            p.clone()
        });
    }
    if a.create_home {
        if !a.local {
            c.push("-m".into());
        }
        if let Some(k) = &a.skeleton {
            c.extend(["-k".into(), k.clone()]);
        }
        if let Some(u) = &a.umask {
            c.extend(["-K".into(), format!("UMASK={u}")]);
        }
    } else {
        c.push("-M".into());
    }
    if a.system {
        c.push("-r".into());
    }
    if let Some(m) = a.uid_min {
        c.extend(["-K".into(), format!("UID_MIN={m}")]);
    }
    if let Some(m) = a.uid_max {
        c.extend(["-K".into(), format!("UID_MAX={m}")]);
    }
    c.push(a.name.clone());
    Ok(c)
}

/// `usermod`'s command line, or `None` when nothing differs.
#[cfg(test)]
fn usermod(a: &UserArgs, f: &Found) -> Result<Option<Vec<String>>, String> {
    Ok(usermod_and_follow_ups(a, f)?.0)
}

/// `usermod`'s (`lusermod`'s with `local`) command line, and for `local`
/// what libuser's lusermod cannot do itself: the expiry (`lchage -E`) and
/// the group memberships (`lgroupmod -M` to add, `-m` to remove).
#[allow(clippy::type_complexity)]
fn usermod_and_follow_ups(
    a: &UserArgs,
    f: &Found,
) -> Result<(Option<Vec<String>>, Vec<Vec<String>>), String> {
    let Some(pw) = &f.pw else {
        return Ok((None, Vec::new()));
    };
    let mut c: Vec<String> = vec![if a.local { "lusermod" } else { "usermod" }.into()];
    let mut lexpires: Option<String> = None;
    let mut lgroup_add: Vec<String> = Vec::new();
    let mut lgroup_del: Vec<String> = Vec::new();
    if let Some(uid) = a.uid
        && i64::from(pw.uid) != uid
    {
        c.extend(["-u".into(), uid.to_string()]);
        if a.non_unique {
            c.push("-o".into());
        }
    }
    if let Some(g) = &a.group {
        let ginfo = find_group(&f.groups, g).ok_or_else(|| missing_group(g))?;
        if pw.gid != ginfo.gid {
            c.extend(["-g".into(), ginfo.gid.to_string()]);
        }
    }
    if let Some(groups) = &a.groups {
        let current = f.membership(&a.name, false);
        let mut need = false;
        let mut wanted: Vec<String> = Vec::new();
        if groups.is_empty() {
            need = !current.is_empty() && !a.append;
        } else {
            for g in groups.split(',').filter(|g| !g.is_empty()).map(str::trim) {
                let e = find_group(&f.groups, g).ok_or_else(|| missing_group(g))?;
                if !wanted.contains(&e.name) {
                    wanted.push(e.name.clone());
                }
            }
            let differs = |g: &String| current.contains(g) != wanted.contains(g);
            let any_diff = wanted.iter().chain(current.iter()).any(differs);
            if any_diff {
                if a.append {
                    if wanted.iter().any(|g| !current.contains(g)) {
                        c.push("-a".into());
                        need = true;
                    }
                } else {
                    need = true;
                }
            }
        }
        if need {
            if a.local {
                lgroup_add = wanted
                    .iter()
                    .filter(|g| !current.contains(g))
                    .cloned()
                    .collect();
                if !a.append {
                    lgroup_del = current
                        .iter()
                        .filter(|g| !wanted.contains(g))
                        .cloned()
                        .collect();
                }
            } else {
                c.extend(["-G".into(), wanted.join(",")]);
            }
        }
    }
    if let Some(cm) = &a.comment
        && &pw.gecos != cm
    {
        c.extend(["-c".into(), cm.clone()]);
    }
    if let Some(h) = &a.home
        && &pw.home != h
    {
        c.extend(["-d".into(), h.clone()]);
        if a.move_home {
            c.push("-m".into());
        }
    }
    if let Some(s) = &a.shell
        && &pw.shell != s
    {
        c.extend(["-s".into(), s.clone()]);
    }
    if let Some(e) = a.expires {
        let cur = f.shadow_expire;
        if e < 0.0 {
            if cur >= 0 {
                if a.local {
                    lexpires = Some(expire_days(e));
                } else {
                    c.extend(["-e".into(), String::new()]);
                }
            }
        } else {
            let cur_date = expire_date((cur * 86400) as f64);
            if cur < 0 || cur_date != expire_date(e) {
                if a.local {
                    lexpires = Some(expire_days(e));
                } else {
                    c.extend(["-e".into(), expire_date(e)]);
                }
            }
        }
    }
    if let Some(i) = a.inactive {
        c.extend(["-f".into(), i.to_string()]);
    }
    let current_pw = f.password();
    match a.password_lock {
        Some(true) if !current_pw.starts_with('!') => c.push("-L".into()),
        Some(false) if current_pw.starts_with('!') => c.push("-U".into()),
        _ => {}
    }
    if a.update_always
        && let Some(p) = &a.password
        && current_pw.trim_start_matches('!') != p.trim_start_matches('!')
    {
        c.retain(|w| w != "-U" && w != "-L");
        c.push("-p".into());
        c.push(if a.password_lock == Some(true) {
            format!("!{p}")
        } else {
            p.clone()
        });
    }
    let mut after: Vec<Vec<String>> = Vec::new();
    if let Some(days) = lexpires {
        after.push(vec!["lchage".into(), "-E".into(), days, a.name.clone()]);
    }
    for g in lgroup_add {
        after.push(vec!["lgroupmod".into(), "-M".into(), a.name.clone(), g]);
    }
    for g in lgroup_del {
        after.push(vec!["lgroupmod".into(), "-m".into(), a.name.clone(), g]);
    }
    if c.len() == 1 {
        return Ok((None, after));
    }
    c.push(a.name.clone());
    Ok((Some(c), after))
}

/// `chage`'s command line when the password ageing differs.
fn chage(a: &UserArgs, f: &Found) -> Option<Vec<String>> {
    let mut c: Vec<String> = vec!["chage".into()];
    for (flag, want, have) in [
        ("-m", a.expire_min, f.shadow_min),
        ("-M", a.expire_max, f.shadow_max),
        ("-W", a.expire_warn, f.shadow_warn),
    ] {
        if let Some(w) = want
            && Some(w) != have
        {
            c.extend([flag.into(), w.to_string()]);
        }
    }
    (c.len() > 1).then(|| {
        c.push(a.name.clone());
        c
    })
}

/// What apply runs, in order.
#[derive(Debug, Default)]
pub struct UserPlan {
    /// `useradd`, `usermod` or `userdel`.
    main: Option<Vec<String>>,
    /// libuser's follow-ups (`local`): run after `main`, in order.
    after: Vec<Vec<String>>,
    creating: bool,
    removing: bool,
    /// Make the missing home directory (path).
    make_home: Option<String>,
    ssh_keygen: bool,
    chage: Option<Vec<String>>,
    warnings: Vec<String>,
}

fn base(a: &UserArgs) -> ModResult {
    let mut r = ModResult::new();
    r.insert("name".into(), json!(a.name));
    r.insert(
        "state".into(),
        json!(if a.present { "present" } else { "absent" }),
    );
    r
}

fn changed_only() -> ModResult {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(true));
    r
}

/// The parts of the result that describe the account as it is.
fn describe(a: &UserArgs, f: &Found, r: &mut ModResult) {
    let Some(pw) = &f.pw else { return };
    r.insert("uid".into(), json!(pw.uid));
    r.insert("group".into(), json!(pw.gid));
    r.insert("comment".into(), json!(pw.gecos));
    r.insert("home".into(), json!(pw.home));
    r.insert("shell".into(), json!(pw.shell));
    r.insert(
        "groups".into(),
        json!(f.membership(&a.name, true).join(",")),
    );
    if a.password.is_some() {
        r.insert("password".into(), json!("NOT_LOGGING_PASSWORD"));
    }
}

fn ssh_fields(a: &UserArgs, f: &Found, r: &mut ModResult) {
    let home = a.home_for(f).unwrap_or_default();
    let path = a.key_path(&home);
    let fp = match &f.fingerprint {
        Some(ran) if ran.rc == 0 => ran.stdout.trim().to_string(),
        Some(ran) => ran.stderr.trim().to_string(),
        None => String::new(),
    };
    r.insert("ssh_fingerprint".into(), json!(fp));
    r.insert("ssh_key_file".into(), json!(path));
    r.insert(
        "ssh_public_key".into(),
        f.pub_key.clone().map(Json::String).unwrap_or(Json::Null),
    );
}

/// Decides from the probe. `Err` is a failure message.
pub fn decide(a: &UserArgs, f: &Found, check_mode: bool) -> Result<(UserPlan, ModResult), String> {
    let mut p = UserPlan::default();
    let mut r = base(a);
    if !a.present {
        if f.pw.is_some() {
            let mut c: Vec<String> = vec![if a.local { "luserdel" } else { "userdel" }.into()];
            if a.force && !a.local {
                c.push("-f".into());
            }
            if a.remove {
                c.push("-r".into());
            }
            c.push(a.name.clone());
            p.main = Some(c);
            p.removing = true;
            return Ok((p, changed_only()));
        }
        r.insert("changed".into(), json!(false));
        return Ok((p, r));
    }
    if f.pw.is_none() {
        // Check mode stops before useradd's checks (groups), as the module
        // exits with `changed` before building the command.
        p.main = Some(match useradd(a, f) {
            Ok(c) => c,
            Err(_) if check_mode => Vec::new(),
            Err(e) => return Err(e),
        });
        if a.local && !check_mode {
            p.after = luseradd_follow_ups(a, f)?;
        }
        p.creating = true;
        p.ssh_keygen = a.ssh_keygen;
        p.chage = chage(a, f);
        return Ok((p, changed_only()));
    }
    (p.main, p.after) = usermod_and_follow_ups(a, f)?;
    r.insert("append".into(), json!(a.append));
    r.insert("move_home".into(), json!(a.move_home));
    let mut changed = p.main.is_some() || !p.after.is_empty();
    describe(a, f, &mut r);
    let home = a.home_for(f).unwrap_or_default();
    if !f.home_exists && !PLACEHOLDER_HOMES.contains(&home.as_str()) && a.create_home {
        p.make_home = Some(home.clone());
        changed = true;
    }
    if a.ssh_keygen {
        let key = a.key_path(&home);
        if f.key_exists {
            p.warnings.push(format!(
                "Found existing ssh key private file \"{key}\", no force, so skipping ssh-keygen generation"
            ));
        } else if f.pub_exists {
            p.warnings.push(format!(
                "Found existing ssh key public file \"{key}.pub\", no force, so skipping ssh-keygen generation"
            ));
        } else {
            p.ssh_keygen = true;
            changed = true;
        }
        if f.key_exists && a.force {
            p.warnings.clear();
            p.ssh_keygen = true;
            changed = true;
        }
        ssh_fields(a, f, &mut r);
        if !f.key_exists {
            // The module's fingerprint step reports the missing file on stdout.
            r.insert("ssh_fingerprint".into(), json!(""));
        }
    }
    p.chage = chage(a, f);
    changed |= p.chage.is_some();
    if !p.warnings.is_empty() {
        r.insert("warnings".into(), json!(p.warnings));
    }
    r.insert("changed".into(), json!(changed));
    Ok((p, r))
}

/// The shell lines of the apply step after the main command.
fn follow_up_script(a: &UserArgs, p: &UserPlan) -> String {
    let mut s = format!(
        "n={}\npl=$(getent passwd -- \"$n\")\nuid=$(printf %s \"$pl\" | cut -d: -f3); gid=$(printf %s \"$pl\" | cut -d: -f4)\nh=$(printf %s \"$pl\" | cut -d: -f6)\n",
        quote(&a.name)
    );
    if let Some(h) = &a.home {
        s.push_str(&format!("h={}\n", quote(h)));
    }
    let placeholder = PLACEHOLDER_HOMES
        .iter()
        .map(|h| quote(h))
        .collect::<Vec<_>>()
        .join("|");
    if a.create_home && (p.creating || p.make_home.is_some()) {
        // The module's create_homedir: a copy of the skeleton, the mode from
        // login.defs (HOME_MODE, else UMASK), owned by the user.
        let skel = quote(a.skeleton.as_deref().unwrap_or("/etc/skel"));
        s.push_str(&format!(
            "case $h in {placeholder}) ;; *) if [ -n \"$h\" ] && [ ! -e \"$h\" ]; then\n\
             sk={skel}; if [ -e \"$sk\" ] && [ \"$sk\" != /dev/null ]; then mkdir -p -- \"$(dirname -- \"$h\")\" && cp -a -- \"$sk\" \"$h\" || {{ kv err \"cannot create $h\"; exit 1; }}; else mkdir -p -- \"$h\" || {{ kv err \"cannot create $h\"; exit 1; }}; fi\n\
             m=$(awk '$1==\"HOME_MODE\"{{print $2; f=1; exit}} $1==\"UMASK\"{{u=$2}} END{{if(!f){{ if(u!=\"\") printf \"%o\", 511-and(511,strtonum(\"0\" u)); else print \"755\"}}}}' /etc/login.defs 2>/dev/null)\n\
             chmod \"${{m:-755}}\" -- \"$h\" 2>/dev/null; chown -R \"$uid:$gid\" -- \"$h\"\nfi ;; esac\n"
        ));
    }
    if p.ssh_keygen {
        let kf = if a.ssh_file.starts_with('/') {
            quote(&a.ssh_file)
        } else {
            format!("\"$h\"/{}", quote(&a.ssh_file))
        };
        let mut keygen: Vec<String> = vec!["ssh-keygen".into(), "-t".into(), a.ssh_type.clone()];
        if a.ssh_bits > 0 {
            keygen.extend(["-b".into(), a.ssh_bits.to_string()]);
        }
        let comment = a.ssh_comment.clone().unwrap_or_default();
        keygen.extend(["-C".into(), comment]);
        let kg = argv_line(&keygen);
        // No terminal to answer ssh-keygen's passphrase prompt: the
        // passphrase goes in `-N` (visible to the host's root while it runs).
        let pass = quote(a.ssh_passphrase.as_deref().unwrap_or(""));
        let yes = if a.force { "printf 'y\\n' | " } else { "" };
        s.push_str(&format!(
            "kf={kf}\nif [ ! -d \"$h\" ] && [ \"${{kf#/}}\" = \"$kf\" ]; then kv kgrc 1; kv kge \"User $n home directory does not exist\"; else\n\
             sd=$(dirname -- \"$kf\"); if [ ! -e \"$sd\" ]; then mkdir -m 0700 -- \"$sd\" && chown \"$uid:$gid\" -- \"$sd\"; fi\n\
             {rmpub}if {yes}krun kg {kg} -f \"$kf\" -N {pass}; then chown \"$uid:$gid\" -- \"$kf\" \"$kf.pub\"; fi\nfi\n",
            rmpub = if a.force { "rm -f -- \"$kf.pub\"\n" } else { "" },
        ));
    }
    if let Some(c) = &p.chage {
        s.push_str(&format!("krun ch {}\n", argv_line(c)));
    }
    s
}

#[async_trait::async_trait]
impl Module for User {
    type Args = UserArgs;
    type State = UserPlan;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<UserArgs, String> {
        let r = ArgReader::new(&SPEC, args);
        r.require(&["name"])?;
        let int = |k: &str| r.raw(k).and_then(|v| v.as_i64());
        let ssh_type = r.str_or("ssh_key_type", "rsa");
        let expires = match r.raw("expires") {
            None => None,
            Some(Json::Number(n)) => n.as_f64(),
            Some(Json::String(s)) => Some(s.trim().parse::<f64>().map_err(|_| {
                format!(
                    "argument 'expires' is of type str and we were unable to convert to float: could not convert string to float: '{s}'"
                )
            })?),
            Some(other) => {
                return Err(format!(
                    "argument 'expires' is of type {} and we were unable to convert to float",
                    super::spec::json_type(other)
                ));
            }
        };
        let groups = match r.raw("groups") {
            None => None,
            Some(Json::Array(v)) => Some(
                v.iter()
                    .map(|g| match g {
                        Json::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Some(other) => Some(match other {
                Json::String(s) => s.clone(),
                o => o.to_string(),
            }),
        };
        let a = UserArgs {
            name: r.str("name").unwrap_or_default(),
            present: r.choice("state", Some("present"))?.as_deref() != Some("absent"),
            uid: int("uid"),
            non_unique: r.bool("non_unique", false)?,
            group: r.str("group"),
            groups,
            comment: r.str("comment"),
            home: r.str("home"),
            shell: r.str("shell"),
            password: r.str("password"),
            expire_max: int("password_expire_max"),
            expire_min: int("password_expire_min"),
            expire_warn: int("password_expire_warn"),
            force: r.bool("force", false)?,
            remove: r.bool("remove", false)?,
            create_home: r.bool("create_home", true)?,
            skeleton: r.str("skeleton"),
            system: r.bool("system", false)?,
            move_home: r.bool("move_home", false)?,
            append: r.bool("append", false)?,
            ssh_keygen: r.bool("generate_ssh_key", false)?,
            ssh_bits: int("ssh_key_bits").unwrap_or(0),
            ssh_file: r
                .str("ssh_key_file")
                .unwrap_or_else(|| format!(".ssh/id_{ssh_type}")),
            ssh_type,
            ssh_comment: r.str("ssh_key_comment"),
            ssh_passphrase: r.str("ssh_key_passphrase"),
            update_always: r.choice("update_password", Some("always"))?.as_deref()
                != Some("on_create"),
            expires,
            password_lock: match r.raw("password_lock") {
                None => None,
                Some(_) => Some(r.bool("password_lock", false)?),
            },
            local: r.bool("local", false)?,
            umask: r.str("umask"),
            inactive: int("password_expire_account_disable"),
            uid_min: int("uid_min"),
            uid_max: int("uid_max"),
        };
        if a.append && a.groups.is_none() {
            return Err("append is True but all of the following are missing: groups".into());
        }
        if a.local {
            for (k, set) in [
                ("umask", a.umask.is_some()),
                ("uid_min", a.uid_min.is_some()),
                ("uid_max", a.uid_max.is_some()),
            ] {
                if set {
                    return Err(format!("'{k}' can not be used with 'local'"));
                }
            }
        }
        Ok(a)
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &UserArgs) -> Result<Step<UserPlan>, ModuleError> {
        let reply = probe(ctx, &probe_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let mut found = Found::from_reply(&reply);
        let mut a2 = a.clone();
        if a2.ssh_comment.is_none() {
            a2.ssh_comment = Some(format!("ansible-generated on {}", found.hostname));
        }
        found.hostname.clear();
        let (plan, mut result) = match decide(&a2, &found, ctx.check_mode) {
            Ok(x) => x,
            Err(msg) => return Ok(Step::Done(failed(msg))),
        };
        if a.password.as_deref().is_some_and(password_looks_plain) {
            let w = "The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly.";
            let mut ws = result
                .get("warnings")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default();
            ws.insert(0, json!(w));
            result.insert("warnings".into(), Json::Array(ws));
        }
        let changing = plan.main.is_some()
            || !plan.after.is_empty()
            || plan.make_home.is_some()
            || plan.ssh_keygen
            || plan.chage.is_some();
        if !changing {
            return Ok(Step::Done(result));
        }
        Ok(Step::Change {
            check: result,
            state: plan,
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &UserArgs,
        p: UserPlan,
    ) -> Result<ModResult, ModuleError> {
        apply_plan(ctx, a, p).await
    }
}

/// The module's `check_password_encrypted` test.
fn password_looks_plain(p: &str) -> bool {
    if p.is_empty() || ["*", "!", "*************"].contains(&p) {
        return false;
    }
    if p.contains([':', '*', '!']) || !p.contains('$') {
        return true;
    }
    let fields: Vec<&str> = p.split('$').collect();
    if fields.len() < 3 {
        return true;
    }
    let last = fields[fields.len() - 1];
    if last
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '=')))
    {
        return true;
    }
    matches!(
        (fields[1], last.len()),
        ("1", n) if n != 22
    ) || matches!((fields[1], last.len()), ("5" | "y", n) if n != 43)
        || matches!((fields[1], last.len()), ("6", n) if n != 86)
}

async fn apply_plan(
    ctx: &ModuleCtx<'_>,
    a: &UserArgs,
    p: UserPlan,
) -> Result<ModResult, ModuleError> {
    let mut main_ran = Ran::default();
    if let Some(cmd) = &p.main {
        if p.creating
            && a.create_home
            && let Some(h) = &a.home
        {
            // useradd cannot make missing parents of the home directory.
            let _ = ctx
                .run(&format!("mkdir -p -- {}", quote(dirname(h))), None)
                .await?;
        }
        let out = ctx.run(&argv_line(cmd), None).await?;
        main_ran = Ran {
            rc: out.rc,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if main_ran.rc != 0 {
            let mut r = failed(main_ran.stderr.clone());
            r.insert("name".into(), json!(a.name));
            r.insert("rc".into(), json!(main_ran.rc));
            return Ok(r);
        }
    }
    // libuser's follow-ups: their output adds to the main command's, and
    // the first that fails ends the task with everything said so far.
    for cmd in &p.after {
        let out = ctx.run(&argv_line(cmd), None).await?;
        main_ran.rc = out.rc;
        main_ran
            .stdout
            .push_str(&String::from_utf8_lossy(&out.stdout));
        main_ran
            .stderr
            .push_str(&String::from_utf8_lossy(&out.stderr));
        if out.rc != 0 {
            let mut r = failed(main_ran.stderr.clone());
            r.insert("name".into(), json!(a.name));
            r.insert("rc".into(), json!(out.rc));
            return Ok(r);
        }
    }
    let mut r = base(a);
    r.insert("changed".into(), json!(true));
    if p.removing {
        r.insert("force".into(), json!(a.force));
        r.insert("remove".into(), json!(a.remove));
        add_output(&mut r, &main_ran);
        return Ok(r);
    }
    if p.creating {
        r.insert("system".into(), json!(a.system));
        r.insert("create_home".into(), json!(a.create_home));
    } else {
        r.insert("append".into(), json!(a.append));
        r.insert("move_home".into(), json!(a.move_home));
    }
    add_output(&mut r, &main_ran);
    let follow = follow_up_script(a, &p);
    let script = format!("{PRELUDE}{follow}{}\nexit 0\n", probe_script(a));
    let reply = Reply::from_output(&run_script(ctx, &script, None).await?);
    if let Some(e) = reply.failure() {
        return Ok(failed(e));
    }
    if let Some(rc) = reply.text("kgrc")
        && rc.trim() != "0"
    {
        let mut f = failed(reply.text("kge").unwrap_or_default());
        f.insert("name".into(), json!(a.name));
        f.insert("rc".into(), json!(rc.trim().parse::<i64>().unwrap_or(1)));
        return Ok(f);
    }
    if let Some(rc) = reply.text("chrc")
        && rc.trim() != "0"
    {
        let mut f = failed(reply.text("che").unwrap_or_default());
        f.insert("name".into(), json!(a.name));
        f.insert("rc".into(), json!(rc.trim().parse::<i64>().unwrap_or(1)));
        return Ok(f);
    }
    let found = Found::from_reply(&reply);
    describe(a, &found, &mut r);
    if a.ssh_keygen {
        ssh_fields(a, &found, &mut r);
    }
    if !p.warnings.is_empty() {
        r.insert("warnings".into(), json!(p.warnings));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> UserArgs {
        UserArgs {
            name: "alice".into(),
            present: true,
            create_home: true,
            update_always: true,
            ssh_type: "rsa".into(),
            ssh_file: ".ssh/id_rsa".into(),
            ..UserArgs::default()
        }
    }

    fn found() -> Found {
        Found {
            pw: Passwd::parse("alice:x:1001:1001::/home/alice:/bin/sh"),
            shadow_pw: "!".into(),
            shadow_expire: -1,
            groups: parse_groups("alice:x:1001:\nsudo:x:27:alice\nadm:x:4:\n"),
            home_exists: true,
            ..Found::default()
        }
    }

    #[test]
    fn useradd_line() {
        let mut a = args();
        a.groups = Some("sudo,adm".into());
        a.shell = Some("/bin/bash".into());
        a.expires = Some(1_893_456_000.0);
        a.system = true;
        let f = Found {
            groups: found().groups,
            ..Found::default()
        };
        assert_eq!(
            useradd(&a, &f).unwrap(),
            [
                "useradd",
                "-N",
                "-G",
                "sudo,adm",
                "-s",
                "/bin/bash",
                "-e",
                "2030-01-01",
                "-m",
                "-r",
                "alice"
            ]
        );
        a.groups = Some("nope".into());
        assert_eq!(useradd(&a, &f).unwrap_err(), "Group nope does not exist");
    }

    #[test]
    fn usermod_only_what_differs() {
        let mut a = args();
        a.shell = Some("/bin/sh".into());
        a.groups = Some("sudo".into());
        assert_eq!(usermod(&a, &found()).unwrap(), None);
        a.groups = Some("adm".into());
        a.append = true;
        assert_eq!(
            usermod(&a, &found()).unwrap().unwrap(),
            ["usermod", "-a", "-G", "adm", "alice"]
        );
        a.append = false;
        a.groups = Some(String::new());
        assert_eq!(
            usermod(&a, &found()).unwrap().unwrap(),
            ["usermod", "-G", "", "alice"]
        );
        let mut lock = args();
        lock.password_lock = Some(true);
        assert_eq!(usermod(&lock, &found()).unwrap(), None, "already locked");
        lock.password = Some("$6$x".into());
        assert_eq!(
            usermod(&lock, &found()).unwrap().unwrap(),
            ["usermod", "-p", "!$6$x", "alice"]
        );
    }

    #[test]
    fn expiry_compares_dates() {
        let mut a = args();
        a.expires = Some(86400.0 * 20000.0 + 3600.0);
        let mut f = found();
        f.shadow_expire = 20000;
        assert_eq!(usermod(&a, &f).unwrap(), None);
        a.expires = Some(-1.0);
        assert_eq!(
            usermod(&a, &f).unwrap().unwrap(),
            ["usermod", "-e", "", "alice"]
        );
    }

    #[test]
    fn decisions() {
        let a = args();
        let (p, r) = decide(&a, &found(), false).unwrap();
        assert!(p.main.is_none() && !p.ssh_keygen && p.make_home.is_none());
        assert_eq!(r["changed"], json!(false));
        assert_eq!(r["groups"], json!("sudo"));
        assert_eq!(r["home"], json!("/home/alice"));
        let mut gone = found();
        gone.home_exists = false;
        let (p, r) = decide(&a, &gone, false).unwrap();
        assert_eq!(p.make_home.as_deref(), Some("/home/alice"));
        assert_eq!(r["changed"], json!(true));
        let mut absent = args();
        absent.present = false;
        absent.remove = true;
        let (p, r) = decide(&absent, &found(), false).unwrap();
        assert_eq!(p.main.unwrap(), ["userdel", "-r", "alice"]);
        assert_eq!(r, changed_only());
        let (p, r) = decide(&absent, &Found::default(), false).unwrap();
        assert!(p.main.is_none());
        assert_eq!(r["changed"], json!(false));
    }

    #[test]
    fn plain_passwords_are_noticed() {
        assert!(password_looks_plain("secret"));
        assert!(!password_looks_plain(
            "$6$rounds=5000$abc$0123456789012345678901234567890123456789012345678901234567890123456789012345678901234a"
        ));
        assert!(password_looks_plain("$6$abc$short"));
    }
}

/// kiln's decisions against the commands ansible-core 2.21's `user` module
/// ran for the same arguments and account database, recorded by
/// tests/oracle/record_user_commands.py into tests/user_cases/.
#[cfg(test)]
mod oracle_cases {
    use super::*;
    use crate::transport::ExecOutput;

    const CASES: &str = include_str!("../../tests/user_cases/cases.json");
    const EXPECTED: &str = include_str!("../../tests/user_cases/expected.json");

    /// The probe's reply for a case's account database.
    fn found(case: &Json, a: &UserArgs) -> Found {
        let mut out = String::new();
        let mut kv = |k: &str, v: &str| out.push_str(&format!("{k}:{}\n{v}\n", v.len()));
        let passwd = case["passwd"].as_str();
        if let Some(pw) = passwd {
            kv("pw", pw);
        }
        if let Some(sp) = case["shadow"].as_str() {
            kv("sp", sp);
        }
        kv("gr", case["group"].as_str().unwrap_or_default());
        kv("host", "h1");
        let home = a
            .home
            .clone()
            .or_else(|| passwd.map(|p| p.split(':').nth(5).unwrap_or_default().to_string()));
        let existing: Vec<&str> = case["existing_paths"]
            .as_array()
            .map(|v| v.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        if home.is_some_and(|h| existing.contains(&h.as_str())) {
            kv("hdx", "1");
        }
        Found::from_reply(&Reply::from_output(&ExecOutput {
            rc: 0,
            stdout: out.into_bytes(),
            stderr: Vec::new(),
        }))
    }

    /// A command with its group list (a Python set in the module, so in
    /// no particular order) sorted.
    fn normal(cmd: &[String]) -> Vec<String> {
        let mut c = cmd.to_vec();
        for i in 1..c.len() {
            if matches!(c[i - 1].as_str(), "-G" | "-A") {
                let mut g: Vec<&str> = c[i].split(',').collect();
                g.sort_unstable();
                c[i] = g.join(",");
            }
        }
        c
    }

    /// What kiln would run: the main command, then the rest (libuser
    /// steps, the home directory, chage) as a set; nothing in check mode.
    fn verdict(case: &Json) -> Json {
        let check = case["check_mode"].as_bool().unwrap_or(false);
        let args: Args = case["args"].as_object().unwrap().clone();
        let got = User.parse(&args).and_then(|a| {
            let f = found(case, &a);
            decide(&a, &f, check)
        });
        match got {
            Err(msg) => json!({"failed": true, "msg": msg}),
            Ok((p, r)) => {
                let mut cmds: Vec<Vec<String>> = Vec::new();
                if !check {
                    cmds.extend(p.main.iter().map(|c| normal(c)));
                    let mut rest: Vec<Vec<String>> = p.after.iter().map(|c| normal(c)).collect();
                    if let Some(h) = &p.make_home {
                        rest.push(vec!["<mkhome>".into(), h.clone()]);
                    }
                    rest.extend(p.chage.iter().map(|c| normal(c)));
                    rest.sort();
                    cmds.extend(rest);
                }
                let changed = p.main.is_some()
                    || !p.after.is_empty()
                    || p.make_home.is_some()
                    || p.chage.is_some()
                    || p.ssh_keygen
                    || r.get("changed") == Some(&json!(true));
                json!({"failed": false, "changed": changed, "commands": cmds})
            }
        }
    }

    /// What the module ran, in the same shape: the main command first, as
    /// recorded, the rest as a set.
    fn wanted(want: &Json) -> Json {
        if want["failed"] == json!(true) {
            return json!({"failed": true, "msg": want["msg"]});
        }
        let mut cmds: Vec<Vec<String>> = want["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| normal(&serde_json::from_value::<Vec<String>>(c.clone()).unwrap()))
            .collect();
        let main_first = cmds.first().is_some_and(|c| {
            matches!(
                c[0].as_str(),
                "useradd" | "usermod" | "userdel" | "luseradd" | "lusermod" | "luserdel"
            )
        });
        cmds[usize::from(main_first)..].sort();
        json!({"failed": false, "changed": want["changed"], "commands": cmds})
    }

    #[test]
    fn every_case_runs_the_commands_ansible_runs() {
        crate::modules::assert_oracle_cases(CASES, EXPECTED, 60, verdict, wanted);
    }
}
