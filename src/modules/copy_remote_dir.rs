// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `copy` with `remote_src: true` on a directory already on the host, as
//! Ansible's copy module does it on the host:
//!
//! * a destination ending in `/` whose directory is missing is made first
//!   (each new directory gets `directory_mode`, owner and group); in check
//!   mode the task stops there and says the directory would be created;
//! * `src` without a trailing slash copies the directory itself into `dest`,
//!   with one its contents;
//! * a new target is copied whole (`shutil.copytree`: modes and times
//!   kept, symlinks kept as links unless `local_follow: true`);
//! * an existing target is merged as `filecmp.dircmp` sees it: files whose
//!   contents differ are overwritten (and get the source's mode), names only
//!   in the source are added, common directories are walked; names only in
//!   the destination stay; a symlink only in the source is copied only when
//!   `local_follow` is given (but makes the task "changed" either way);
//! * owner and group go to every path under the target, then owner, group
//!   and `mode` (`directory_mode` when given) to the destination itself.
//!
//! The walk and the comparison run on the host in one script: dry for the
//! plan (check mode stops there), for real in the apply. So this case takes
//! three round trips: the copy module's probe, the dry walk, the apply.

use super::copy::{CopyArgs, CopyPlan};
use super::perms::{ModeArg, host_env};
use super::probe::{
    FileStat, Reply, add_path_info, basename, dirname, expand_home, join, probe, sh_path,
};
use super::{ModResult, ModuleCtx, ModuleError, Step, failed};
use serde_json::json;

/// The host-side functions of the walk. `$dry` is 1 for the plan; every
/// change prints a `ch` record; recursive calls run in subshells because
/// sh functions share their variables.
const WALK: &str = r#"chg() { kv ch 1; }
kown() {
  [ -n "$ou$og" ] || return 0
  if [ ! -e "$1" ] && [ ! -L "$1" ]; then chg; return 0; fi
  _o=$(stat -c '%u %g' -- "$1") || return 1
  if [ -n "$ou" ] && [ "${_o% *}" != "$ou" ]; then chg; [ "$dry" = 1 ] || chown -h "$ou" -- "$1" || return 1; fi
  if [ -n "$og" ] && [ "${_o#* }" != "$og" ]; then chg; [ "$dry" = 1 ] || chgrp -h "$og" -- "$1" || return 1; fi
}
kmode() {
  if [ ! -e "$1" ]; then chg; return 0; fi
  [ "$(stat -c %a -- "$1")" = "$2" ] && return 0
  chg; [ "$dry" = 1 ] || chmod "0$2" -- "$1"
}
kownr() {
  [ -n "$ou$og" ] || return 0
  kown "$1" || return 1
  for _e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$_e" ] || [ -L "$_e" ] || continue
    if [ -d "$_e" ] && [ ! -L "$_e" ]; then (kownr "$_e") || return 1; else kown "$_e" || return 1; fi
  done
}
kcpm() { _m=$(stat -L -c %a -- "$1") && chmod "0$_m" -- "$2"; }
kput() {
  _d=$2
  if [ -L "$_d" ]; then _d=$(readlink -f -- "$_d" && echo .) || return 1; _d=${_d%??}; fi
  _k=$(mktemp "${_d%/*}/.kiln.XXXXXXXX") || return 1
  if kfill "$@" && mv -f -- "$_k" "$_d"; then return 0; fi
  rm -f -- "$_k"; return 1
}
kfill() {
  cat < "$1" > "$_k" || return 1
  case $3 in *m*) kcpm "$1" "$_k" ;; *) chmod "0$nf" -- "$_k" ;; esac || return 1
  case $3 in *t*) touch -r "$1" -- "$_k" || return 1 ;; esac
  if [ -e "$_d" ]; then _o=$(stat -c '%u:%g' -- "$_d") && chown "$_o" -- "$_k" 2>/dev/null; fi
  if [ -n "$ou" ]; then chown "$ou" -- "$_k" || return 1; fi
  if [ -n "$og" ]; then chgrp "$og" -- "$_k" || return 1; fi
}
klink() { _l=$(readlink -- "$1" && echo .) && ln -s -- "${_l%??}" "$2"; }
ktree() {
  mkdir -p -- "$2" || return 1
  for _e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$_e" ] || [ -L "$_e" ] || continue
    _t=$2/${_e##*/}
    if [ -L "$_e" ] && [ "$3" = 1 ]; then klink "$_e" "$_t" || return 1
    elif [ -d "$_e" ]; then (ktree "$_e" "$_t" "$3") || return 1
    elif [ -f "$_e" ]; then kput "$_e" "$_t" mt || return 1
    fi
  done
  kcpm "$1" "$2" && touch -r "$1" -- "$2"
}
ksame() {
  [ "$(stat -L -c '%s %.9Y' -- "$1")" = "$(stat -L -c '%s %.9Y' -- "$2")" ] && return 0
  [ "$(stat -L -c %s -- "$1")" = "$(stat -L -c %s -- "$2")" ] || return 1
  [ "$(sha1sum < "$1")" = "$(sha1sum < "$2")" ]
}
ksync() {
  for _e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$_e" ] || [ -L "$_e" ] || continue
    _n=${_e##*/}
    case $_n in RCS|CVS|tags|.git|.hg|.bzr|_darcs|__pycache__) continue ;; esac
    _t=$2/$_n
    if [ -e "$_t" ] || [ -L "$_t" ]; then
      if [ -d "$_e" ] && [ -d "$_t" ]; then (ksync "$_e" "$_t") || return 1
      elif [ -f "$_e" ] && [ -f "$_t" ] && ! ksame "$_e" "$_t"; then
        chg; [ "$dry" = 1 ] && continue
        if [ -L "$_e" ] && [ "$lf" = 0 ]; then klink "$_e" "$_t" || return 1
        else kput "$_e" "$_t" m || return 1; fi
        kown "$_t" || return 1
      fi
      continue
    fi
    chg; [ "$dry" = 1 ] && continue
    if [ -L "$_e" ]; then
      case $lf in
        1) if [ -d "$_e" ]; then { (ktree "$_e" "$_t" 0) && (kownr "$_t"); } || return 1
           elif [ -f "$_e" ]; then kput "$_e" "$_t" || return 1; fi ;;
        0) if [ -e "$_e" ]; then klink "$_e" "$_t" || return 1; fi ;;
      esac
    elif [ -f "$_e" ]; then kput "$_e" "$_t" m || return 1
    elif [ -d "$_e" ]; then { (ktree "$_e" "$_t" "$keep") && (kownr "$_t"); } || return 1
    fi
  done
}
"#;

/// What the walk needs besides its functions.
struct Walk<'a> {
    /// The source with a trailing slash.
    src: &'a str,
    /// Where the source's contents go.
    target: &'a str,
    /// The destination the result names and the final attributes go to.
    dest: &'a str,
    uid: Option<u32>,
    gid: Option<u32>,
    /// `local_follow` as given.
    local_follow: Option<bool>,
    /// The destination's final mode.
    mode: Option<u32>,
    /// The mode Python gives a file it creates without copying a mode.
    new_file: u32,
    /// Directories to make first, with their owner/group/mode commands.
    make: Vec<(String, Option<u32>)>,
}

impl Walk<'_> {
    fn script(&self, dry: bool) -> String {
        let id = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut s = format!(
            "dry={}\nnf={:o}\nou={}\nog={}\nlf={}\nkeep={}\ns={}\nt={}\np={}\n{WALK}",
            u8::from(dry),
            self.new_file,
            id(self.uid),
            id(self.gid),
            match self.local_follow {
                None => "",
                Some(true) => "1",
                Some(false) => "0",
            },
            if self.local_follow == Some(true) {
                0
            } else {
                1
            },
            sh_path(self.src),
            sh_path(self.target),
            sh_path(self.dest),
        );
        for (dir, mode) in &self.make {
            s.push_str(&format!(
                "m={}\nif [ ! -e \"$m\" ]; then mkdir -- \"$m\" || exit 1; kown \"$m\" || exit 1\n",
                sh_path(dir)
            ));
            if let Some(m) = mode {
                s.push_str(&format!("kmode \"$m\" {m:o} || exit 1\n"));
            }
            s.push_str("fi\n");
        }
        s.push_str(
            "if [ -e \"$t\" ]; then ksync \"$s\" \"$t\" || exit 1; (kownr \"$t\") || exit 1\n\
             else chg; if [ \"$dry\" = 0 ]; then (ktree \"$s\" \"$t\" \"$keep\") || exit 1; (kownr \"$t\") || exit 1; fi; fi\n\
             kown \"$p\" || exit 1\n",
        );
        if let Some(m) = self.mode {
            s.push_str(&format!("kmode \"$p\" {m:o} || exit 1\n"));
        }
        s
    }
}

/// A path compared as the same directory whatever its spelling.
fn same_dir(a: &str, b: &str) -> bool {
    let norm = |p: &str| {
        let p = p.strip_prefix("./").unwrap_or(p);
        let t = p.trim_end_matches('/');
        if t.is_empty() {
            p.to_string()
        } else {
            t.to_string()
        }
    };
    norm(a) == norm(b)
}

/// Every directory from the top of `dir` down to it (`split_pre_existing_dir`
/// then keeps the ones that do not exist yet; the script tests that).
fn prefixes(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut acc = String::new();
    for (i, part) in dir.split('/').enumerate() {
        if i > 0 {
            acc.push('/');
        }
        acc.push_str(part);
        if !part.is_empty() && part != "." {
            out.push(acc.clone());
        }
    }
    out
}

/// Plans the copy of the host directory `src` (already found readable and a
/// directory by the copy module's probe, whose answer is `reply`).
pub async fn plan(
    ctx: &ModuleCtx<'_>,
    a: &CopyArgs,
    reply: &Reply,
    src: &str,
    sst: &FileStat,
) -> Result<Step<CopyPlan>, ModuleError> {
    if let Some(e) = &a.expected {
        let mut f = failed("Copied file does not match the expected checksum. Transfer failed.");
        f.insert("checksum".into(), json!(null));
        f.insert("expected_checksum".into(), json!(e));
        return Ok(Step::Done(f));
    }
    let home = reply.text("home");
    let pdest = expand_home(&a.dest, home.as_deref());
    let mut dest = pdest.clone();
    if !dest.contains('/') {
        dest = format!("./{dest}");
    }
    let bn = basename(src);
    let (umask, _, _) = host_env(reply);
    let (uid, gid) = match a.attrs.ids(reply) {
        Ok(ids) => ids,
        Err(m) => {
            let mut f = failed(m);
            f.insert("path".into(), json!(dest));
            return Ok(Step::Done(f));
        }
    };
    let new_dir = 0o777 & !umask;
    let resolve = |m: &ModeArg, base: u32| m.resolve(base, true, umask);
    // A destination ending in `/` whose directory is missing: made first.
    let mut make = Vec::new();
    let parent = dirname(&dest).to_string();
    let made_first = dest.ends_with('/') && !reply.has("pdir");
    if made_first {
        let dm = match a.directory_mode.as_ref().map(|m| resolve(m, new_dir)) {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => return Ok(Step::Done(failed(e))),
            None => None,
        };
        make = prefixes(&parent).into_iter().map(|d| (d, dm)).collect();
    }
    let exists = if made_first {
        bn.is_empty()
    } else {
        reply.has("exists")
    };
    if made_first || reply.has("isdir") {
        dest = join(&dest, bn);
    }
    let st = if made_first { None } else { reply.stat("st") };
    if exists && st.as_ref().is_some_and(FileStat::is_link) && a.follow() {
        dest = reply.text("real").unwrap_or(dest);
    }
    let mut base = ModResult::new();
    base.insert("dest".into(), json!(dest));
    base.insert("src".into(), json!(src));
    if exists && !a.force {
        let mut r = base;
        r.insert("msg".into(), json!("file already exists"));
        r.insert("changed".into(), json!(false));
        add_path_info(&mut r, st.as_ref());
        return Ok(Step::Done(r));
    }
    if !made_first {
        if !exists && !reply.has("pdir") {
            return Ok(Step::Done(failed(format!(
                "Destination directory {} does not exist",
                dirname(&dest)
            ))));
        }
        if !reply.has("pdirw") {
            return Ok(Step::Done(failed(format!(
                "Destination {} not writable",
                dirname(&dest)
            ))));
        }
        // Ansible copies a directory only onto a directory or nothing; onto
        // anything else it tries to move the source there and fails.
        if exists && !st.as_ref().is_some_and(FileStat::is_dir) {
            return Ok(Step::Done(failed(format!(
                "Failed to copy '{src}' to '{dest}'."
            ))));
        }
    }
    let target = if src.ends_with('/') {
        pdest.clone()
    } else {
        join(&pdest, bn)
    };
    // The destination's mode before the final `mode`: as it is, else as
    // the copy or the directory-making will leave it.
    let before = match &st {
        Some(s) if exists => s.perm(),
        _ if same_dir(&dest, &target) && !(made_first && bn.is_empty()) => sst.perm(),
        _ => make
            .last()
            .and_then(|(_, m)| *m)
            .filter(|_| made_first)
            .unwrap_or(new_dir),
    };
    let final_mode = if a.preserve {
        Some(sst.perm())
    } else {
        match a.directory_mode.as_ref().or(a.attrs.mode.as_ref()) {
            Some(m) => match resolve(m, before) {
                Ok(v) => Some(v),
                Err(e) => return Ok(Step::Done(failed(e))),
            },
            None => None,
        }
    };
    let src_slash = if src.ends_with('/') {
        src.to_string()
    } else {
        format!("{src}/")
    };
    let walk = Walk {
        src: &src_slash,
        target: &target,
        dest: &dest,
        uid,
        gid,
        local_follow: a.local_follow_given,
        mode: final_mode,
        new_file: 0o666 & !umask,
        make,
    };
    base.insert("md5sum".into(), json!(null));
    base.insert("checksum".into(), json!(null));
    let mut result = base.clone();
    result.insert("changed".into(), json!(true));
    let apply = CopyPlan::Attrs {
        script: walk.script(false),
        result: result.clone(),
    };
    if made_first {
        let mut check = ModResult::new();
        check.insert("changed".into(), json!(true));
        check.insert(
            "msg".into(),
            json!(format!("dest directory {} would be created", parent)),
        );
        check.insert("src".into(), json!(src));
        return Ok(Step::Change {
            check,
            state: apply,
        });
    }
    // Outside check mode the apply's own walk says whether anything
    // changed: no dry walk, so two round trips (the probe, the apply).
    if !ctx.check_mode {
        return Ok(Step::Change {
            check: result.clone(),
            state: CopyPlan::Walk {
                script: walk.script(false),
                result: base,
            },
        });
    }
    let dry = probe(
        ctx,
        &format!(
            "{}if [ -e \"$p\" ]; then kst info \"$p\"; fi\n",
            walk.script(true)
        ),
    )
    .await?;
    if let Some(e) = dry.failure() {
        return Ok(Step::Done(failed(e)));
    }
    let mut shown = base;
    shown.insert("changed".into(), json!(dry.has("ch")));
    add_path_info(&mut shown, dry.stat("info").as_ref());
    if !dry.has("ch") {
        return Ok(Step::Done(shown));
    }
    Ok(Step::Change {
        check: shown,
        state: apply,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_from_the_top() {
        assert_eq!(prefixes("/a/b/c"), ["/a", "/a/b", "/a/b/c"]);
        assert_eq!(prefixes("x/y"), ["x", "x/y"]);
        assert_eq!(prefixes("./x"), ["./x"]);
    }

    #[test]
    fn one_directory_however_spelt() {
        assert!(same_dir("./r1/", "r1"));
        assert!(same_dir("/s/r2/", "/s/r2"));
        assert!(!same_dir("/s/r2", "/s/r2/src"));
    }
}
