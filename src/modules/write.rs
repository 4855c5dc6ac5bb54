// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The safe write: new content goes to a private temp file (`mktemp`) in the
//! destination's own directory, gets its final owner, group and mode, is
//! validated if asked, the old file is backed up under Ansible's timestamped
//! name, and only then is renamed over the destination (`mv -f`, a rename on
//! the same filesystem). A trap removes the temp file on any failure, so the
//! destination is either the old file or the complete new one.
//!
//! Content travels on the exec channel's stdin; the script is small and
//! fixed-size. One round trip, which also answers with the new file's stat
//! (for the result's owner/mode/size) and, when asked, its MD5. A large
//! controller file is streamed on stdin ([`write_stream`], constant memory)
//! and the host checks its SHA-1 before the rename.

use super::command::shell_words;
use super::probe::{FileStat, PRELUDE, Reply, dirname, run_script, sh_path};
use super::{ModuleCtx, ModuleError};
use crate::transport::quote;

/// Where the new content comes from.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    /// Bytes from the controller, sent on stdin.
    Bytes(&'a [u8]),
    /// A controller file too large to hold (see `local_file`), streamed on
    /// stdin: `len` bytes whose SHA-1 the host checks before the rename.
    Stream { len: u64, sha1: &'a str },
    /// A file already on the host (`remote_src`); its times are kept, as
    /// Python's `copystat` keeps them.
    Remote(&'a str),
}

/// One write.
#[derive(Debug, Clone)]
pub struct WriteSpec<'a> {
    /// The destination path (as the module sees it).
    pub dest: &'a str,
    pub source: Source<'a>,
    /// Owner and group to give the temp file; `None` leaves what `mktemp`
    /// gave (the remote user's).
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Whether a failing chown is an error (an explicit owner/group) or is
    /// ignored (keeping the old file's owner as a non-root user, like
    /// Ansible's `atomic_move`).
    pub strict_ids: bool,
    /// The final permission bits.
    pub mode: u32,
    pub backup: bool,
    /// A command with `%s` for the temp file, run before the rename.
    pub validate: Option<&'a str>,
    /// Create missing parent directories (`create: true` in lineinfile).
    pub mkdirs: bool,
    /// Also answer the new content's MD5 (copy's `md5sum`).
    pub md5: bool,
}

/// What a successful write did.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// The temp file that became the destination (copy's `src`).
    pub staged: String,
    /// The backup's path, when one was made.
    pub backup: Option<String>,
    pub md5: Option<String>,
    /// The destination's lstat after the rename.
    pub info: Option<FileStat>,
}

/// Why a write did not happen. The destination is untouched.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteError {
    /// The validate command failed on the temp file.
    Validate {
        rc: i32,
        stdout: String,
        stderr: String,
    },
    /// Anything else (no temp file possible, rename failed...).
    Failed(String),
}

/// `validate` as a shell command: split like Python's shlex, each word
/// quoted, every `%s` replaced by the temp file (`$t`), `%%` by `%`.
pub fn validate_command(validate: &str) -> Result<String, String> {
    let words = shell_words(validate)?;
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        let mut word = String::new();
        let mut lit = String::new();
        let mut chars = w.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek()) {
                ('%', Some('s')) => {
                    chars.next();
                    if !lit.is_empty() {
                        word.push_str(&quote(&lit));
                        lit.clear();
                    }
                    word.push_str("\"$t\"");
                }
                ('%', Some('%')) => {
                    chars.next();
                    lit.push('%');
                }
                (c, _) => lit.push(c),
            }
        }
        if !lit.is_empty() || word.is_empty() {
            word.push_str(&quote(&lit));
        }
        out.push(word);
    }
    Ok(out.join(" "))
}

/// How a write's bytes arrive on stdin.
#[derive(Clone, Copy)]
enum Feed {
    /// All of stdin is the file.
    All,
    /// The next N bytes of a shared stdin (several files in one script).
    Bytes(u64),
}

/// The shell lines of one write; record keys get `key` appended.
fn section(spec: &WriteSpec<'_>, key: &str, feed: Feed) -> Result<String, String> {
    let dir = match dirname(spec.dest) {
        "" => ".",
        d => d,
    };
    let mut s = format!("f={}\nd={}\nvo= ve=\n", sh_path(spec.dest), sh_path(dir));
    s.push_str(&format!("fail() {{ kv err{key} \"$1\"; exit 1; }}\n"));
    if spec.mkdirs {
        s.push_str(
            "if [ ! -d \"$d\" ]; then mkdir -p -- \"$d\" 2>/dev/null || fail \"Error creating $d\"; fi\n",
        );
    }
    s.push_str(
        "t=$(mktemp \"$d/.kiln.XXXXXXXX\" 2>/dev/null) || fail \"The destination directory $d is not writable by the current user.\"\n",
    );
    s.push_str("trap 'rm -f -- \"$t\" ${vo:+\"$vo\"} ${ve:+\"$ve\"}' EXIT\n");
    match (&spec.source, feed) {
        (Source::Bytes(_) | Source::Stream { .. }, Feed::All) => {
            s.push_str("cat > \"$t\" || fail \"Failed to write the temporary file $t\"\n")
        }
        // GNU head reads exactly N bytes from a pipe, leaving the rest.
        (Source::Bytes(_) | Source::Stream { .. }, Feed::Bytes(n)) => s.push_str(&format!(
            "head -c {n} > \"$t\" || fail \"Failed to write the temporary file $t\"\n"
        )),
        (Source::Remote(src), _) => s.push_str(&format!(
            "s={}\ncat < \"$s\" > \"$t\" || fail \"Failed to copy $s\"\ntouch -r \"$s\" -- \"$t\" 2>/dev/null\n",
            sh_path(src)
        )),
    }
    // A transfer cut short (the controller interrupted, the connection
    // lost) ends stdin early, and `cat`/`head` succeed on what they got:
    // only a temp file of the full length may replace the destination.
    let sent = match &spec.source {
        Source::Bytes(b) => Some(b.len() as u64),
        Source::Stream { len, .. } => Some(*len),
        Source::Remote(_) => None,
    };
    if let Some(len) = sent {
        s.push_str(&format!(
            "[ \"$(wc -c < \"$t\")\" -eq {len} ] || fail \"The transfer to $t was cut short\"\n"
        ));
    }
    // A stream is checked whole: what the host wrote must be what the
    // controller hashed (a source changed since the plan fails here).
    if let Source::Stream { sha1, .. } = &spec.source {
        s.push_str(&format!(
            "[ \"$(sha1sum < \"$t\")\" = {} ] || fail \"Copied file does not match the expected checksum. Transfer failed.\"\n",
            quote(&format!("{sha1}  -"))
        ));
    }
    let ids = match (spec.uid, spec.gid) {
        (Some(u), Some(g)) => Some(format!("{u}:{g}")),
        (Some(u), None) => Some(u.to_string()),
        (None, Some(g)) => Some(format!(":{g}")),
        (None, None) => None,
    };
    if let Some(ids) = ids {
        if spec.strict_ids {
            s.push_str(&format!(
                "chown {ids} -- \"$t\" 2>/dev/null || fail 'chown failed'\n"
            ));
        } else {
            s.push_str(&format!("chown {ids} -- \"$t\" 2>/dev/null\n"));
        }
    }
    s.push_str(&format!(
        "chmod {:04o} -- \"$t\" || fail 'chmod failed'\n",
        spec.mode & 0o7777
    ));
    if let Some(v) = spec.validate {
        let cmd = validate_command(v)?;
        s.push_str("vo=$(mktemp) && ve=$(mktemp) || fail 'cannot create a temporary file'\n");
        s.push_str(&format!("{cmd} > \"$vo\" 2> \"$ve\" < /dev/null; vrc=$?\n"));
        s.push_str(&format!(
            "if [ $vrc -ne 0 ]; then kv vrc{key} \"$vrc\"; kfile vout{key} \"$vo\"; kfile verr{key} \"$ve\"; exit 3; fi\n"
        ));
    }
    if spec.md5 {
        s.push_str(&format!(
            "m=$(md5sum < \"$t\") && kv md5{key} \"${{m%% *}}\"\n"
        ));
    }
    if spec.backup {
        s.push_str(&format!(
            "if [ -e \"$f\" ]; then b=\"$f.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$f\" \"$b\" || fail \"Could not make backup of $f to $b\"; kv backup{key} \"$b\"; fi\n"
        ));
    }
    // -T: a destination that is a directory (or a link to one) is replaced,
    // not entered.
    s.push_str("mv -fT -- \"$t\" \"$f\" 2>/dev/null || fail \"Could not replace $f with $t\"\n");
    s.push_str(&format!("kv staged{key} \"$t\"\n"));
    s.push_str(&format!(
        "if [ -e \"$f\" ]; then kst info{key} \"$f\"; fi\n"
    ));
    Ok(s)
}

/// The script for one write (all of stdin is the content).
pub fn script(spec: &WriteSpec<'_>) -> Result<String, String> {
    Ok(format!(
        "{PRELUDE}( {}) || exit 1\nexit 0\n",
        section(spec, "", Feed::All)?
    ))
}

/// One script for several writes: the contents of the `Bytes` sources go
/// on stdin one after the other, each section reads its own length. The
/// first failing write stops the script. Record keys end in `.N`.
pub fn script_many(specs: &[WriteSpec<'_>]) -> Result<String, String> {
    let mut s = String::from(PRELUDE);
    for (i, spec) in specs.iter().enumerate() {
        let feed = match spec.source {
            Source::Bytes(b) => Feed::Bytes(b.len() as u64),
            Source::Stream { len, .. } => Feed::Bytes(len),
            Source::Remote(_) => Feed::All,
        };
        s.push_str(&format!(
            "( {}) || exit 1\n",
            section(spec, &format!(".{i}"), feed)?
        ));
    }
    s.push_str("exit 0\n");
    Ok(s)
}

/// Reads the answer for write number `i` of [`script_many`].
pub fn outcome_at(reply: &Reply, i: usize) -> Result<Written, WriteError> {
    outcome_key(reply, &format!(".{i}"))
}

/// Reads the write script's answer.
pub fn outcome(reply: &Reply) -> Result<Written, WriteError> {
    outcome_key(reply, "")
}

fn outcome_key(reply: &Reply, key: &str) -> Result<Written, WriteError> {
    let k = |name: &str| format!("{name}{key}");
    if let Some(rc) = reply.text(&k("vrc")) {
        return Err(WriteError::Validate {
            rc: rc.trim().parse().unwrap_or(1),
            stdout: reply.text(&k("vout")).unwrap_or_default(),
            stderr: reply.text(&k("verr")).unwrap_or_default(),
        });
    }
    if let Some(e) = reply.text(&k("err")) {
        return Err(WriteError::Failed(e));
    }
    if let Some(e) = reply.failure() {
        return Err(WriteError::Failed(e));
    }
    Ok(Written {
        staged: reply.text(&k("staged")).unwrap_or_default(),
        backup: reply.text(&k("backup")),
        md5: reply.text(&k("md5")),
        info: reply.stat(&k("info")),
    })
}

/// Writes as `spec` says, in one round trip.
pub async fn write(
    ctx: &ModuleCtx<'_>,
    spec: &WriteSpec<'_>,
) -> Result<Result<Written, WriteError>, ModuleError> {
    let text = match script(spec) {
        Ok(t) => t,
        Err(e) => return Ok(Err(WriteError::Failed(e))),
    };
    let stdin = match &spec.source {
        Source::Bytes(b) => Some(*b),
        Source::Remote(_) | Source::Stream { .. } => None,
    };
    let out = run_script(ctx, &text, stdin).await?;
    Ok(outcome(&Reply::from_output(&out)))
}

/// Writes as `spec` says (a [`Source::Stream`]) with the content read from
/// `input` as it is sent: one round trip, constant memory, the escalation
/// and terminal handling of `ModuleCtx::run_stream`.
pub async fn write_stream(
    ctx: &ModuleCtx<'_>,
    spec: &WriteSpec<'_>,
    input: &mut (dyn tokio::io::AsyncRead + Send + Unpin),
) -> Result<Result<Written, WriteError>, ModuleError> {
    let text = match script(spec) {
        Ok(t) => t,
        Err(e) => return Ok(Err(WriteError::Failed(e))),
    };
    let out = ctx.run_stream(&text, input).await?;
    Ok(outcome(&Reply::from_output(&out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::ExecOutput;
    use std::io::Write;
    use std::process::{Command, Stdio};

    fn run(script: &str, stdin: &[u8]) -> Reply {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        Reply::from_output(&ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }

    fn spec<'a>(dest: &'a str, content: &'a [u8]) -> WriteSpec<'a> {
        WriteSpec {
            dest,
            source: Source::Bytes(content),
            uid: None,
            gid: None,
            strict_ids: false,
            mode: 0o640,
            backup: false,
            validate: None,
            mkdirs: false,
            md5: true,
        }
    }

    fn leftovers(dir: &std::path::Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_backs_up_and_renames() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a 'b' $(x) `y`\nz");
        std::fs::create_dir(&sub).unwrap();
        let dest = sub.join("-dest.txt");
        std::fs::write(&dest, "old\n").unwrap();
        let d = dest.display().to_string();
        let mut sp = spec(&d, b"new\n");
        sp.backup = true;
        let r = run(&script(&sp).unwrap(), b"new\n");
        let w = outcome(&r).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new\n");
        let meta = std::fs::metadata(&dest).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
        // md5("new\n"), as `md5sum` prints it.
        assert_eq!(w.md5.as_deref(), Some("9cd599a3523898e6a12e13ec787da50a"));
        let backup = w.backup.unwrap();
        assert!(
            backup.starts_with(&format!("{d}.")) && backup.ends_with('~'),
            "{backup}"
        );
        assert_eq!(std::fs::read(&backup).unwrap(), b"old\n");
        assert_eq!(w.info.unwrap().size, 4);
        assert!(w.staged.contains("/.kiln."));
        // Only the destination and its backup remain.
        assert_eq!(leftovers(&sub).len(), 2);
    }

    #[test]
    fn failed_validation_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("conf");
        std::fs::write(&dest, "keep\n").unwrap();
        let d = dest.display().to_string();
        let mut sp = spec(&d, b"bad\n");
        sp.validate = Some("sh -c 'echo out; echo err >&2; grep -q good \"$1\"' x %s");
        sp.backup = true;
        let r = run(&script(&sp).unwrap(), b"bad\n");
        match outcome(&r) {
            Err(WriteError::Validate { rc, stdout, stderr }) => {
                assert_eq!(rc, 1);
                assert_eq!(stdout, "out\n");
                assert_eq!(stderr, "err\n");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read(&dest).unwrap(), b"keep\n");
        assert_eq!(leftovers(dir.path()), vec!["conf".to_string()]);
        sp.validate = Some("grep -q bad %s");
        let ok = outcome(&run(&script(&sp).unwrap(), b"bad\n")).unwrap();
        assert!(ok.backup.is_some());
        assert_eq!(std::fs::read(&dest).unwrap(), b"bad\n");
    }

    #[test]
    fn a_transfer_cut_short_never_replaces_the_destination() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("conf");
        std::fs::write(&dest, "old\n").unwrap();
        let d = dest.display().to_string();
        let full = vec![b'n'; 100_000];
        // The controller stopped sending after 4 KiB (Ctrl-C, lost link).
        for many in [false, true] {
            let err = if many {
                let r = run(&script_many(&[spec(&d, &full)]).unwrap(), &full[..4096]);
                outcome_at(&r, 0).err()
            } else {
                outcome(&run(&script(&spec(&d, &full)).unwrap(), &full[..4096])).err()
            };
            assert!(
                matches!(&err, Some(WriteError::Failed(m)) if m.contains("cut short")),
                "{err:?}"
            );
            assert_eq!(std::fs::read(&dest).unwrap(), b"old\n");
            assert_eq!(leftovers(dir.path()), vec!["conf".to_string()]);
        }
    }

    #[test]
    fn a_stream_is_checked_against_its_hash_before_the_rename() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("image");
        std::fs::write(&dest, "old\n").unwrap();
        let d = dest.display().to_string();
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 131 % 256) as u8).collect();
        let sum = crate::modules::copy::sha1_hex(&data);
        let stream = |sha1: &'static str| WriteSpec {
            source: Source::Stream {
                len: data.len() as u64,
                sha1,
            },
            ..spec(&d, b"")
        };
        // The same length, another content (the source changed after the
        // plan hashed it): refused, nothing left behind.
        let other = "0".repeat(40).leak();
        let r = run(&script(&stream(other)).unwrap(), &data);
        assert!(
            matches!(outcome(&r), Err(WriteError::Failed(m)) if m.contains("checksum")),
            "{r:?}"
        );
        assert_eq!(std::fs::read(&dest).unwrap(), b"old\n");
        assert_eq!(leftovers(dir.path()), vec!["image".to_string()]);
        let good = stream(sum.clone().leak());
        let w = outcome(&run(&script(&good).unwrap(), &data)).unwrap();
        assert_eq!(w.info.unwrap().size, data.len() as u64);
        assert!(std::fs::read(&dest).unwrap() == data, "content differs");
        // In a script of several writes it reads exactly its own length.
        let tail = dir.path().join("tail").display().to_string();
        let mut stdin = data.clone();
        stdin.extend_from_slice(b"tail\n");
        let r = run(
            &script_many(&[good, spec(&tail, b"tail\n")]).unwrap(),
            &stdin,
        );
        assert!(
            outcome_at(&r, 0).is_ok() && outcome_at(&r, 1).is_ok(),
            "{r:?}"
        );
        assert_eq!(std::fs::read(&tail).unwrap(), b"tail\n");
    }

    #[test]
    fn missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("no/such/file");
        let d = dest.display().to_string();
        let r = run(&script(&spec(&d, b"x")).unwrap(), b"x");
        assert!(matches!(outcome(&r), Err(WriteError::Failed(m)) if m.contains("not writable")));
        let mut sp = spec(&d, b"x");
        sp.mkdirs = true;
        outcome(&run(&script(&sp).unwrap(), b"x")).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"x");
    }

    #[test]
    fn several_files_share_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a").display().to_string();
        let b = dir.path().join("sub/b").display().to_string();
        let big = vec![b'x'; 200_000];
        let mut sb = spec(&b, b"second\n");
        sb.mkdirs = true;
        let specs = [spec(&a, &big), sb];
        let mut stdin = big.clone();
        stdin.extend_from_slice(b"second\n");
        let r = run(&script_many(&specs).unwrap(), &stdin);
        assert_eq!(outcome_at(&r, 0).unwrap().info.unwrap().size, 200_000);
        assert!(outcome_at(&r, 1).is_ok());
        assert_eq!(std::fs::read(&a).unwrap(), big);
        assert_eq!(std::fs::read(&b).unwrap(), b"second\n");
    }

    #[test]
    fn validate_words_are_quoted() {
        assert_eq!(
            validate_command("visudo -cf %s").unwrap(),
            "visudo -cf \"$t\""
        );
        assert_eq!(
            validate_command("check --file=%s '100%%' 'a b'").unwrap(),
            "check --file=\"$t\" 100% 'a b'"
        );
    }
}
