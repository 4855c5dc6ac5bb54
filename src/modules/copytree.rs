// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `copy` of a controller directory (`src: dir` copies the directory itself,
//! `src: dir/` its contents), as Ansible's action walks it: files (symlinks
//! followed unless `local_follow: false`), directories and symlinks.
//!
//! One probe stats every destination path and checksums the existing
//! files; one apply script creates the missing directories (with
//! `directory_mode` and the owner/group), writes every changed file through
//! the safe write (their contents one after another on stdin) and fixes
//! owners and modes. A directory with a single file and nothing else is
//! copied as that file (Ansible then reports the file's own result).

use super::copy::{CopyArgs, LocalSource, sha1_hex};
use super::local_file::{BigFile, Part, Parts, big_file};
use super::perms::{AttrChange, ENV_SNIPPET, ModeArg, host_env, plan_attrs, plan_for};
use super::probe::{
    FileStat, PRELUDE, Reply, dirname, expand_home, join, needs_home, probe, run_script, sh_path,
};
use super::write::{Source, WriteError, WriteSpec, outcome_at, script_many};
use super::{ModResult, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a controller directory holds, as destination-relative paths.
#[derive(Debug, Default, PartialEq)]
pub struct Tree {
    /// (controller file, relative destination)
    pub files: Vec<(PathBuf, String)>,
    pub dirs: Vec<String>,
    /// (link target, relative destination)
    pub links: Vec<(String, String)>,
}

/// Ansible's `_walk_dirs`: `top` without a trailing slash puts its own name
/// in front of every relative path.
pub fn walk(top: &Path, trailing_slash: bool, local_follow: bool) -> std::io::Result<Tree> {
    let mut tree = Tree::default();
    let prefix = if trailing_slash {
        String::new()
    } else {
        top.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut seen = BTreeSet::new();
    if let Ok(c) = top.canonicalize() {
        seen.insert(c);
    }
    visit(top, &prefix, local_follow, &mut tree, &mut seen)?;
    Ok(tree)
}

fn rel_join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else {
        format!("{base}/{name}")
    }
}

fn visit(
    dir: &Path,
    rel: &str,
    follow: bool,
    tree: &mut Tree,
    seen: &mut BTreeSet<PathBuf>,
) -> std::io::Result<()> {
    let mut subdirs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let r = rel_join(rel, &name);
        let meta = std::fs::symlink_metadata(&path)?;
        let is_link = meta.file_type().is_symlink();
        let target_is_dir = path.is_dir();
        if target_is_dir {
            if is_link && !follow {
                tree.links.push((read_link(&path), r));
                continue;
            }
            let real = path.canonicalize()?;
            if is_link && seen.contains(&real) {
                // A link back to a directory being copied: kept as a link.
                tree.links.push((read_link(&path), r));
                continue;
            }
            tree.dirs.push(r.clone());
            subdirs.push((real, r));
        } else if is_link {
            let real = path.canonicalize();
            match real {
                Ok(real) if follow && real.is_file() => tree.files.push((real, r)),
                _ => tree.links.push((read_link(&path), r)),
            }
        } else {
            tree.files.push((path, r));
        }
    }
    // Top-down, like os.walk: this directory's entries, then each subdirectory.
    for (real, r) in subdirs {
        let fresh = seen.insert(real.clone());
        visit(&real, &r, follow, tree, seen)?;
        if fresh {
            seen.remove(&real);
        }
    }
    Ok(())
}

fn read_link(p: &Path) -> String {
    std::fs::read_link(p)
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The single file of a tree, when that is all it holds.
pub fn single_file(tree: &Tree) -> Option<&(PathBuf, String)> {
    (tree.files.len() == 1 && tree.dirs.is_empty() && tree.links.is_empty()).then(|| &tree.files[0])
}

/// An owned write, turned into a [`WriteSpec`] at apply time.
pub struct TreeWrite {
    dest: String,
    bytes: Vec<u8>,
    /// A file too large to hold, streamed in its turn instead of `bytes`.
    big: Option<BigFile>,
    uid: u32,
    gid: u32,
    strict: bool,
    mode: u32,
}

pub struct TreePlan {
    /// Directory creation and attribute fixes, run before the writes.
    before: String,
    writes: Vec<TreeWrite>,
    /// Attribute fixes on unchanged files and the symlinks, after the writes.
    after: String,
    result: ModResult,
}

/// Plans the copy of a walked directory to `dest` (a directory).
pub async fn plan_tree(
    ctx: &ModuleCtx<'_>,
    a: &CopyArgs,
    tree: &Tree,
    source: &str,
) -> Result<Step<TreePlan>, ModuleError> {
    let dest_raw = if a.dest.ends_with('/') {
        a.dest.clone()
    } else {
        format!("{}/", a.dest)
    };
    // Every directory the copy may need, parents first.
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut implicit: BTreeSet<String> = BTreeSet::new();
    for (_, rel) in &tree.files {
        let mut d = dirname(rel).to_string();
        while !d.is_empty() {
            wanted.insert(d.clone());
            d = dirname(&d).to_string();
        }
    }
    wanted.extend(tree.dirs.iter().cloned());
    let dirs: Vec<String> = wanted.iter().cloned().collect();
    let mut s = format!("b={}\n", sh_path(dest_raw.trim_end_matches('/')));
    if needs_home(&dest_raw) {
        s.push_str("kv home \"$HOME\"\n");
    }
    s.push_str("[ -d \"$b\" ] && kst root \"$b\" -L\n");
    for (i, d) in dirs.iter().enumerate() {
        s.push_str(&format!(
            "q=\"$b\"/{}; [ -d \"$q\" ] && kst d{i} \"$q\" -L\n",
            quote(d)
        ));
    }
    for (i, (_, rel)) in tree.files.iter().enumerate() {
        s.push_str(&format!(
            "q=\"$b\"/{}; kst f{i} \"$q\"; if [ -f \"$q\" ] && [ ! -L \"$q\" ] && [ -r \"$q\" ]; then c=$(sha1sum < \"$q\") && kv s{i} \"${{c%% *}}\"; fi\n",
            quote(rel)
        ));
    }
    for (i, (_, rel)) in tree.links.iter().enumerate() {
        s.push_str(&format!(
            "q=\"$b\"/{}; kst l{i} \"$q\"; [ -L \"$q\" ] && kln t{i} \"$q\"\n",
            quote(rel)
        ));
    }
    s.push_str(&a.attrs.lookup_snippet());
    s.push_str(ENV_SNIPPET);
    let reply = probe(ctx, &s).await?;
    if let Some(e) = reply.failure() {
        return Ok(Step::Done(failed(e)));
    }
    let dest = expand_home(&dest_raw, reply.text("home").as_deref());
    let base = dest.trim_end_matches('/').to_string();
    let (umask, euid, egid) = host_env(&reply);
    let (uid, gid) = match a.attrs.ids(&reply) {
        Ok(ids) => ids,
        Err(m) => return Ok(Step::Done(failed(m))),
    };
    let dir_mode = a.directory_mode.clone();
    let new_dir = |parent_sgid: Option<u32>| -> Result<AttrChange, String> {
        plan_attrs(
            euid,
            parent_sgid.unwrap_or(egid),
            0o777 & !umask,
            true,
            (uid, gid, dir_mode.as_ref()),
            umask,
        )
    };
    let mut changed = false;
    let mut before = String::new();
    let mut writes = Vec::new();
    let mut after = String::new();
    // Files: skipped (force: no), attributes only, or a write.
    for (i, (local, rel)) in tree.files.iter().enumerate() {
        let st = reply.stat(&format!("f{i}"));
        if st.is_some() && !a.force {
            continue;
        }
        let mut d = dirname(rel).to_string();
        while !d.is_empty() {
            implicit.insert(d.clone());
            d = dirname(&d).to_string();
        }
        let big = match big_file(local, a.decrypt) {
            Ok(b) => b,
            Err(e) => return Ok(Step::Done(failed(e))),
        };
        let bytes = match &big {
            Some(_) => Vec::new(),
            None => match super::copy::read_local(local, a.decrypt, ctx.templar.vault()) {
                Ok(b) => b,
                Err(e) => return Ok(Step::Done(failed(e))),
            },
        };
        let sum = match &big {
            Some(b) => b.sha1.clone(),
            None => sha1_hex(&bytes),
        };
        let mode_arg = if a.preserve {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(local)
                .ok()
                .map(|m| ModeArg::Octal(m.permissions().mode() & 0o7777))
        } else {
            a.attrs.mode.clone()
        };
        let path = join(&base, rel);
        if reply.text(&format!("s{i}")).as_deref() == Some(sum.as_str()) {
            let Some(st) = st else { continue };
            match plan_for(&st, (uid, gid, mode_arg.as_ref()), umask) {
                Ok(c) if c.changed() => {
                    changed = true;
                    after.push_str(&format!("p={}\n{}", sh_path(&path), c.commands("p")));
                }
                Ok(_) => {}
                Err(m) => return Ok(Step::Done(failed(m))),
            }
            continue;
        }
        let keep = st.as_ref().filter(|s| s.kind() == super::probe::Kind::File);
        let (bu, bg, bm) = match keep {
            Some(k) => (k.uid, k.gid, k.perm()),
            None => (euid, egid, 0o666 & !umask),
        };
        let c = match plan_attrs(bu, bg, bm, false, (uid, gid, mode_arg.as_ref()), umask) {
            Ok(c) => c,
            Err(m) => return Ok(Step::Done(failed(m))),
        };
        changed = true;
        writes.push(TreeWrite {
            dest: path,
            bytes,
            big,
            uid: c.uid.unwrap_or(bu),
            gid: c.gid.unwrap_or(bg),
            strict: uid.is_some() || gid.is_some(),
            mode: c.mode.unwrap_or(bm),
        });
    }
    // Directories: created with directory_mode and the owner/group; existing
    // ones given them unless they only hold copied files (Ansible's
    // "implicit" directories).
    let root_st = reply.stat("root");
    let mut all_dirs: Vec<(String, Option<FileStat>, bool)> = vec![(base.clone(), root_st, true)];
    for (i, d) in dirs.iter().enumerate() {
        let explicit = tree.dirs.contains(d) && !implicit.contains(d);
        all_dirs.push((join(&base, d), reply.stat(&format!("d{i}")), explicit));
    }
    for (path, st, explicit) in &all_dirs {
        match st {
            None => {
                let c = match new_dir(None) {
                    Ok(c) => c,
                    Err(m) => return Ok(Step::Done(failed(m))),
                };
                changed = true;
                before.push_str(&format!(
                    "c={}\nif [ ! -d \"$c\" ]; then mkdir -p -- \"$c\" 2>/dev/null || {{ kv err \"There was an issue creating $c as requested\"; exit 1; }}\n{}fi\n",
                    sh_path(path),
                    c.commands("c")
                ));
            }
            Some(st) if *explicit && path != &base => {
                match plan_for(st, (uid, gid, dir_mode.as_ref()), umask) {
                    Ok(c) if c.changed() => {
                        changed = true;
                        before.push_str(&format!("c={}\n{}", sh_path(path), c.commands("c")));
                    }
                    Ok(_) => {}
                    Err(m) => return Ok(Step::Done(failed(m))),
                }
            }
            Some(_) => {}
        }
    }
    // Symlinks (local_follow: false): made or retargeted.
    for (i, (target, rel)) in tree.links.iter().enumerate() {
        if reply.text(&format!("t{i}")).as_deref() == Some(target.as_str()) {
            continue;
        }
        changed = true;
        after.push_str(&format!(
            "p={}\nln -sfn -- {} \"$p\" || {{ kv err 'Error while linking'; exit 1; }}\n",
            sh_path(&join(&base, rel)),
            quote(target)
        ));
    }
    let mut result = ModResult::new();
    result.insert("changed".into(), json!(changed));
    result.insert("dest".into(), json!(dest));
    result.insert("src".into(), json!(source));
    if !changed {
        return Ok(Step::Done(result));
    }
    Ok(Step::Change {
        check: result.clone(),
        state: TreePlan {
            before,
            writes,
            after,
            result,
        },
    })
}

/// Runs a planned directory copy in one script.
pub async fn apply_tree(
    ctx: &ModuleCtx<'_>,
    a: &CopyArgs,
    plan: TreePlan,
) -> Result<ModResult, ModuleError> {
    let specs: Vec<WriteSpec<'_>> = plan
        .writes
        .iter()
        .map(|w| WriteSpec {
            dest: &w.dest,
            source: match &w.big {
                Some(b) => Source::Stream {
                    len: b.len,
                    sha1: &b.sha1,
                },
                None => Source::Bytes(&w.bytes),
            },
            uid: Some(w.uid),
            gid: Some(w.gid),
            strict_ids: w.strict,
            mode: w.mode,
            backup: a.backup,
            validate: a.validate.as_deref(),
            mkdirs: true,
            md5: false,
        })
        .collect();
    let writes = match script_many(&specs) {
        Ok(s) => s,
        Err(e) => return Ok(failed(e)),
    };
    // The prelude is in `writes` already; the directory step goes first.
    let body = writes.strip_prefix(PRELUDE).unwrap_or(&writes);
    let body = body.strip_suffix("exit 0\n").unwrap_or(body);
    let script = format!("{PRELUDE}{}{body}{}exit 0\n", plan.before, plan.after);
    let out = if plan.writes.iter().any(|w| w.big.is_some()) {
        // Large files are read from disk as their turn on stdin comes.
        let parts = plan
            .writes
            .iter()
            .map(|w| match &w.big {
                Some(b) => Part::File(&b.path),
                None => Part::Bytes(&w.bytes),
            })
            .collect();
        ctx.run_stream(&script, &mut Parts::new(parts)).await?
    } else {
        let stdin: Vec<u8> = plan
            .writes
            .iter()
            .flat_map(|w| w.bytes.iter().copied())
            .collect();
        run_script(ctx, &script, Some(&stdin)).await?
    };
    let reply = Reply::from_output(&out);
    for i in 0..specs.len() {
        match outcome_at(&reply, i) {
            Ok(_) => {}
            Err(WriteError::Validate { rc, stdout, stderr }) => {
                let mut f = failed("failed to validate");
                f.insert("exit_status".into(), json!(rc));
                f.insert("stdout".into(), Json::String(stdout));
                f.insert("stderr".into(), Json::String(stderr));
                return Ok(f);
            }
            Err(WriteError::Failed(m)) => return Ok(failed(m)),
        }
    }
    if let Some(e) = reply.failure() {
        return Ok(failed(e));
    }
    Ok(plan.result)
}

/// The walked directory's only file, as copy's single-file source.
pub fn as_single(
    local: &Path,
    rel: &str,
    decrypt: bool,
    vault: &crate::vault::VaultSecrets,
) -> Result<LocalSource, String> {
    use std::os::unix::fs::PermissionsExt;
    let big = big_file(local, decrypt)?;
    let bytes = match big {
        Some(_) => Vec::new(),
        None => super::copy::read_local(local, decrypt, vault)?,
    };
    let perm = std::fs::metadata(local)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    Ok(LocalSource {
        bytes,
        rel: super::probe::basename(rel).to_string(),
        path: Some(local.display().to_string()),
        perm,
        big,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_with_and_without_trailing_slash() {
        let t = tempfile::tempdir().unwrap();
        let top = t.path().join("conf");
        std::fs::create_dir_all(top.join("sub/deeper")).unwrap();
        std::fs::write(top.join("a"), "a").unwrap();
        std::fs::write(top.join("sub/b"), "b").unwrap();
        std::os::unix::fs::symlink("a", top.join("ln")).unwrap();
        let mut tree = walk(&top, false, true).unwrap();
        tree.files.sort_by(|x, y| x.1.cmp(&y.1));
        let rels: Vec<&str> = tree.files.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(rels, ["conf/a", "conf/ln", "conf/sub/b"]);
        assert_eq!(tree.dirs.len(), 2);
        assert!(tree.dirs.contains(&"conf/sub".to_string()));
        assert!(tree.links.is_empty());
        let flat = walk(&top, true, false).unwrap();
        assert!(flat.files.iter().all(|(_, r)| !r.starts_with("conf/")));
        assert_eq!(flat.links, vec![("a".to_string(), "ln".to_string())]);
    }
}
