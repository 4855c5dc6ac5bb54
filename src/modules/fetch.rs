// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `fetch`: a host's file to the controller, under `dest/<host>/<path>` or,
//! with `flat`, at `dest` itself.
//!
//! One probe answers whether the source exists, is a directory or is
//! readable, its SHA-1 and the remote `$HOME`; when the controller's copy
//! already has that SHA-1 nothing moves. Otherwise the file is streamed
//! (`transport::transfer::download`, constant memory, checked against the
//! host's hash) into a temp file beside the destination, which is renamed
//! into place only when the content is complete.

use super::args::ArgReader;
use super::copy::playbook_dir;
use super::probe::{basename, expand_home, needs_home, normpath, probe, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, by_action, failed, raised};
use crate::transport::transfer::{AsLoginUser, Escalate, TransferError, download};
use serde_json::{Value as Json, json};
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};

pub struct Fetch;

static SPEC: ModuleSpec = ModuleSpec {
    name: "fetch",
    args: &[
        ArgSpec::new("src", T::Str),
        ArgSpec::new("dest", T::Str),
        ArgSpec::new("fail_on_missing", T::Bool),
        ArgSpec::new("validate_checksum", T::Bool),
        ArgSpec::new("flat", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct FetchArgs {
    src: String,
    dest: String,
    fail_on_missing: bool,
    validate_checksum: bool,
    flat: bool,
}

/// What the apply step moves.
pub struct Pending {
    source: String,
    dest: PathBuf,
    remote_checksum: String,
}

/// `~` on the controller, then relative to the playbook (`path_dwim`).
fn dwim(ctx: &ModuleCtx<'_>, p: &str) -> String {
    let p = match (p.strip_prefix('~'), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{home}{rest}")
        }
        _ => p.to_string(),
    };
    if p.starts_with('/') {
        p
    } else {
        format!("{}/{p}", playbook_dir(ctx))
    }
}

fn sha1_file(p: &Path) -> Option<String> {
    let bytes = std::fs::read(p).ok()?;
    Some(hex(&Sha1::digest(&bytes)))
}

fn md5_file(p: &Path) -> Option<String> {
    let bytes = std::fs::read(p).ok()?;
    Some(format!("{:x}", md5::compute(&bytes)))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A missing or unreadable source: a failure, or with `fail_on_missing:
/// false` an ok result that says it was ignored.
fn missing(a: &FetchArgs, source: &str, msg: &str) -> ModResult {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(false));
    if a.fail_on_missing {
        r.insert("failed".into(), json!(true));
        // Ansible's error shows the exception of the slurp it fell back to.
        r.insert(
            super::ERROR_DETAIL.into(),
            json!(format!(
                "Task failed: Module failed: File not found: {source}: [Errno 2] No such file or directory: '{source}'"
            )),
        );
    } else {
        r.insert("file".into(), json!(source));
    }
    r.insert("msg".into(), json!(msg));
    r
}

#[async_trait::async_trait]
impl Module for Fetch {
    type Args = FetchArgs;
    type State = Pending;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<FetchArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        Ok(FetchArgs {
            src: a.str("src").unwrap_or_default(),
            dest: a.str("dest").unwrap_or_default(),
            fail_on_missing: a.bool("fail_on_missing", true)?,
            validate_checksum: a.bool("validate_checksum", true)?,
            flat: a.bool("flat", false)?,
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &FetchArgs) -> Result<Step<Pending>, ModuleError> {
        if ctx.check_mode {
            let mut r = ModResult::new();
            r.insert("changed".into(), json!(false));
            r.insert("skipped".into(), json!(true));
            r.insert(
                "msg".into(),
                json!("check mode not (yet) supported for this module"),
            );
            return Ok(Step::Done(r));
        }
        if a.src.is_empty() || a.dest.is_empty() {
            return Ok(Step::Done(raised("src and dest are required")));
        }
        let mut s = format!("p={}\n", sh_path(&a.src));
        if needs_home(&a.src) {
            s.push_str("kv home \"$HOME\"\n");
        }
        // `[ -e ]` and `[ -d ]` follow links, as fetch always does.
        s.push_str(
            "if [ ! -e \"$p\" ]; then kv state missing\n\
             elif [ -d \"$p\" ]; then kv state dir\n\
             elif [ ! -r \"$p\" ]; then kv state unreadable\n\
             else c=$(sha1sum < \"$p\") && kv sum \"${c%% *}\" || kv state unreadable; fi\n",
        );
        let reply = probe(ctx, &s).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let source = expand_home(&a.src, reply.text("home").as_deref());
        match reply.text("state").as_deref() {
            Some("dir") => {
                let mut r = ModResult::new();
                let mut msg =
                    "remote file is a directory, fetch cannot work on directories".to_string();
                if a.fail_on_missing {
                    r.insert("changed".into(), json!(false));
                    r.insert("failed".into(), json!(true));
                } else {
                    msg.push_str(", not transferring, ignored");
                }
                r.insert("msg".into(), json!(msg));
                return Ok(Step::Done(by_action(r)));
            }
            Some("missing") => {
                return Ok(Step::Done(missing(
                    a,
                    &source,
                    "the remote file does not exist, not transferring, ignored",
                )));
            }
            Some(_) => {
                return Ok(Step::Done(missing(
                    a,
                    &source,
                    &format!("file is not readable: {source}"),
                )));
            }
            None => {}
        }
        let remote_checksum = reply.text("sum").unwrap_or_default();
        let dest = if a.flat {
            let mut dest = a.dest.clone();
            let local = Path::new(&dwim(ctx, &dest)).is_dir();
            if local && !dest.ends_with('/') {
                return Ok(Step::Done(raised(
                    "dest is an existing directory, use a trailing slash if you want to fetch src into that directory",
                )));
            }
            if dest.ends_with('/') {
                dest = format!("{dest}{}", basename(&source));
                if Path::new(&dwim(ctx, &dest)).is_dir() {
                    return Ok(Step::Done(raised(format!(
                        "calculated dest '{dest}' is an existing directory, use another path that does not point to an existing directory"
                    ))));
                }
            }
            dwim(ctx, &dest)
        } else {
            format!("{}/{}/{source}", dwim(ctx, &a.dest), ctx.host)
        };
        let dest = PathBuf::from(normpath(&dest));
        let local = sha1_file(&dest);
        if local.as_deref() == Some(remote_checksum.as_str()) {
            let mut r = ModResult::new();
            r.insert("changed".into(), json!(false));
            r.insert("md5sum".into(), json!(md5_file(&dest)));
            r.insert("file".into(), json!(source));
            r.insert("dest".into(), json!(dest.display().to_string()));
            r.insert("checksum".into(), json!(local));
            return Ok(Step::Done(r));
        }
        let mut check = ModResult::new();
        check.insert("changed".into(), json!(true));
        Ok(Step::Change {
            check,
            state: Pending {
                source,
                dest,
                remote_checksum,
            },
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &FetchArgs,
        p: Pending,
    ) -> Result<ModResult, ModuleError> {
        let Some(conn) = ctx.conn.as_ref() else {
            return Ok(failed("no connection to the host"));
        };
        let dest_text = p.dest.display().to_string();
        let parent = p.dest.parent().map(Path::to_path_buf).unwrap_or_default();
        if let Err(e) = std::fs::create_dir_all(&parent) {
            return Ok(failed(format!(
                "could not create {}: {e}",
                parent.display()
            )));
        }
        let tmp = parent.join(format!(
            ".{}.kiln-{}",
            p.dest
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let esc: &dyn Escalate = match &ctx.become_ {
            Some(b) => b,
            None => &AsLoginUser,
        };
        let fetched = async {
            let mut file =
                tokio::fs::File::create(&tmp)
                    .await
                    .map_err(|e| TransferError::Local {
                        what: format!("creating {}", tmp.display()),
                        source: e,
                    })?;
            let t = download(conn.as_ref(), esc, &p.source, &mut file).await?;
            use tokio::io::AsyncWriteExt;
            file.flush().await.map_err(|e| TransferError::Local {
                what: "writing the file".into(),
                source: e,
            })?;
            Ok::<_, TransferError>(t)
        }
        .await;
        let got = match fetched {
            Ok(t) => t,
            Err(TransferError::Transport(e)) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(ModuleError::Unreachable(e));
            }
            Err(TransferError::Checksum { found, .. }) if !a.validate_checksum => {
                // The content changed while it was read; without
                // validation the bytes that came are kept.
                crate::transport::transfer::Transferred {
                    bytes: 0,
                    sha1: found,
                }
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Ok(failed(format!("Failed to fetch the file: {e}")));
            }
        };
        if let Err(e) = std::fs::rename(&tmp, &p.dest) {
            let _ = std::fs::remove_file(&tmp);
            return Ok(failed(format!("Failed to fetch the file: {e}")));
        }
        let mut r = ModResult::new();
        let md5sum = md5_file(&p.dest);
        if a.validate_checksum && got.sha1 != p.remote_checksum {
            r.insert("failed".into(), json!(true));
            r.insert("msg".into(), json!("checksum mismatch"));
        } else {
            r.insert("changed".into(), json!(true));
        }
        r.insert("md5sum".into(), json!(md5sum));
        r.insert("file".into(), json!(p.source));
        r.insert("dest".into(), json!(dest_text));
        r.insert("remote_md5sum".into(), Json::Null);
        r.insert("checksum".into(), json!(got.sha1));
        r.insert("remote_checksum".into(), json!(p.remote_checksum));
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dest_paths_are_normalised() {
        assert_eq!(normpath("/out/h1//etc/hosts"), "/out/h1/etc/hosts");
        assert_eq!(normpath("/out/./a/../b"), "/out/b");
    }
}
