// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `stat`: Ansible's full stat result from one probe (GNU `stat -c`, the
//! checksum tools, `file` for the MIME type, `lsattr` for attributes).

use super::args::ArgReader;
use super::probe::{FileStat, Kind, Reply, expand_home, needs_home, probe, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::{Map, Value as Json, json};

pub struct Stat;

const ALGORITHMS: &[&str] = &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

static SPEC: ModuleSpec = ModuleSpec {
    name: "stat",
    args: &[
        ArgSpec::new("path", T::Path)
            .required()
            .aliases(&["dest", "name"]),
        ArgSpec::new("follow", T::Bool),
        ArgSpec::new("get_checksum", T::Bool),
        ArgSpec::new("get_mime", T::Bool).aliases(&["mime", "mime_type", "mime-type"]),
        ArgSpec::new("get_attributes", T::Bool).aliases(&["attr", "attributes"]),
        ArgSpec::new("get_selinux_context", T::Bool),
        ArgSpec::new("checksum_algorithm", T::Str)
            .aliases(&["checksum", "checksum_algo"])
            .choices(ALGORITHMS),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct StatArgs {
    path: String,
    follow: bool,
    checksum: Option<String>,
    mime: bool,
    attributes: bool,
}

/// Ansible's names for lsattr's flag letters.
const ATTRIBUTE_NAMES: &[(char, &str)] = &[
    ('A', "noatime"),
    ('a', "append"),
    ('c', "compressed"),
    ('C', "nocow"),
    ('d', "nodump"),
    ('D', "dirsync"),
    ('e', "extents"),
    ('E', "encrypted"),
    ('h', "blocksize"),
    ('i', "immutable"),
    ('I', "indexed"),
    ('j', "journalled"),
    ('N', "inline"),
    ('s', "zero"),
    ('S', "synchronous"),
    ('t', "notail"),
    ('T', "blockroot"),
    ('u', "undelete"),
    ('X', "compressedraw"),
    ('Z', "compresseddirty"),
];

/// The probe for one path: everything `stat` may report, in one script.
pub fn stat_script(a: &StatArgs) -> String {
    let l = if a.follow { "-L" } else { "" };
    let mut s = format!("p={}\n", sh_path(&a.path));
    if needs_home(&a.path) {
        s.push_str("kv home \"$HOME\"\n");
    }
    s.push_str(&format!("if kst st \"$p\" {l}; then\n"));
    s.push_str("a=; [ -r \"$p\" ] && a=r; [ -w \"$p\" ] && a=${a}w; [ -x \"$p\" ] && a=${a}x; kv access \"$a\"\n");
    if !a.follow {
        s.push_str("if [ -L \"$p\" ]; then kln lnk \"$p\"; kreal real \"$p\"; fi\n");
    }
    if let Some(alg) = &a.checksum {
        let regular = if a.follow {
            "[ -f \"$p\" ]"
        } else {
            "[ -f \"$p\" ] && [ ! -L \"$p\" ]"
        };
        s.push_str(&format!(
            "if {regular} && [ -r \"$p\" ]; then c=$({alg}sum < \"$p\") && kv sum \"${{c%% *}}\"; fi\n"
        ));
    }
    if a.mime {
        s.push_str("if command -v file >/dev/null 2>&1; then m=$(file --mime-type --mime-encoding \"$p\" 2>/dev/null) && kv mime \"$m\"; fi\n");
    }
    if a.attributes {
        s.push_str("if command -v lsattr >/dev/null 2>&1; then x=$(lsattr -vd -- \"$p\" 2>/dev/null) && kv attr \"$x\"; fi\n");
    }
    s.push_str(&format!(
        "else kv staterr \"$(stat {l} -c %n -- \"$p\" 2>&1 >/dev/null)\"; fi\n"
    ));
    s
}

/// Builds Ansible's `stat` dict from the probe's answer; `Err` is a failure
/// message (an error other than "no such file").
pub fn stat_result(a: &StatArgs, reply: &Reply) -> Result<Map<String, Json>, String> {
    let path = expand_home(&a.path, reply.text("home").as_deref());
    let Some(st) = reply.stat("st") else {
        let err = reply.text("staterr").unwrap_or_default();
        let reason = err.rsplit(": ").next().unwrap_or("").trim().to_string();
        if reason.is_empty() || reason == "No such file or directory" {
            let mut m = Map::new();
            m.insert("exists".into(), json!(false));
            return Ok(m);
        }
        return Err(reason);
    };
    Ok(format_stat(&path, &st, a, reply))
}

/// The fields `stat` and `find` (its `statinfo`) report alike: path,
/// mode, file type flags, ids, size, inode, links and times.
pub(super) fn stat_fields(o: &mut Map<String, Json>, path: &str, st: &FileStat) {
    let kind = st.kind();
    o.insert("path".into(), json!(path));
    o.insert("mode".into(), json!(format!("{:04o}", st.perm())));
    o.insert("isdir".into(), json!(kind == Kind::Dir));
    o.insert("ischr".into(), json!(kind == Kind::Char));
    o.insert("isblk".into(), json!(kind == Kind::Block));
    o.insert("isreg".into(), json!(kind == Kind::File));
    o.insert("isfifo".into(), json!(kind == Kind::Fifo));
    o.insert("islnk".into(), json!(kind == Kind::Link));
    o.insert("issock".into(), json!(kind == Kind::Socket));
    o.insert("uid".into(), json!(st.uid));
    o.insert("gid".into(), json!(st.gid));
    o.insert("size".into(), json!(st.size));
    o.insert("inode".into(), json!(st.inode));
    o.insert("dev".into(), json!(st.dev));
    o.insert("nlink".into(), json!(st.nlink));
    o.insert("atime".into(), json!(st.atime));
    o.insert("mtime".into(), json!(st.mtime));
    o.insert("ctime".into(), json!(st.ctime));
}

fn format_stat(path: &str, st: &FileStat, a: &StatArgs, reply: &Reply) -> Map<String, Json> {
    let mode = st.st_mode;
    let kind = st.kind();
    let bit = |b: u32| json!(mode & b != 0);
    let mut o = Map::new();
    o.insert("exists".into(), json!(true));
    stat_fields(&mut o, path, st);
    o.insert("wusr".into(), bit(0o200));
    o.insert("rusr".into(), bit(0o400));
    o.insert("xusr".into(), bit(0o100));
    o.insert("wgrp".into(), bit(0o020));
    o.insert("rgrp".into(), bit(0o040));
    o.insert("xgrp".into(), bit(0o010));
    o.insert("woth".into(), bit(0o002));
    o.insert("roth".into(), bit(0o004));
    o.insert("xoth".into(), bit(0o001));
    o.insert("isuid".into(), bit(0o4000));
    o.insert("isgid".into(), bit(0o2000));
    o.insert("blocks".into(), json!(st.blocks));
    o.insert("disk_usage_bytes".into(), json!(st.blocks * 512));
    o.insert("block_size".into(), json!(st.blksize));
    o.insert("device_type".into(), json!(st.rdev));
    let access = reply.text("access").unwrap_or_default();
    o.insert("readable".into(), json!(access.contains('r')));
    o.insert("writeable".into(), json!(access.contains('w')));
    o.insert("executable".into(), json!(access.contains('x')));
    if kind == Kind::Link {
        if let Some(real) = reply.text("real") {
            o.insert("lnk_source".into(), json!(real));
        }
        if let Some(t) = reply.text("lnk") {
            o.insert("lnk_target".into(), json!(t));
        }
    }
    if let Some(u) = &st.user {
        o.insert("pw_name".into(), json!(u));
    }
    if let Some(g) = &st.group {
        o.insert("gr_name".into(), json!(g));
    }
    if let Some(sum) = reply.text("sum") {
        o.insert("checksum".into(), json!(sum));
    }
    if a.mime {
        let (mut mt, mut cs) = ("unknown".to_string(), "unknown".to_string());
        if let Some(out) = reply.text("mime")
            && let Some(m) = parse_mime(&out)
        {
            (mt, cs) = m;
        }
        o.insert("mimetype".into(), json!(mt));
        o.insert("charset".into(), json!(cs));
    }
    if a.attributes {
        o.insert("version".into(), Json::Null);
        o.insert("attributes".into(), json!([]));
        o.insert("attr_flags".into(), json!(""));
        if let Some(line) = reply.text("attr") {
            let mut words = line.split_whitespace();
            if let (Some(version), Some(flags)) = (words.next(), words.next()) {
                let flags = flags.replace('-', "");
                let names: Vec<Json> = flags
                    .chars()
                    .filter_map(|c| ATTRIBUTE_NAMES.iter().find(|(f, _)| *f == c))
                    .map(|(_, n)| json!(n))
                    .collect();
                o.insert("version".into(), json!(version));
                o.insert("attributes".into(), Json::Array(names));
                o.insert("attr_flags".into(), json!(flags));
            }
        }
    }
    o
}

/// `file --mime-type --mime-encoding PATH` read as Ansible reads it: the text
/// after the last `:`, `type; charset=enc`.
fn parse_mime(out: &str) -> Option<(String, String)> {
    let tail = out.rsplit_once(':')?.1;
    let parts: Vec<&str> = tail.split(';').collect();
    if parts.len() != 2 {
        return None;
    }
    let charset = parts[1].split('=').nth(1)?.trim().to_string();
    Some((parts[0].trim().to_string(), charset))
}

#[async_trait::async_trait]
impl Module for Stat {
    type Args = StatArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<StatArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["path"])?;
        let algorithm = a
            .choice("checksum_algorithm", Some("sha1"))?
            .unwrap_or_else(|| "sha1".into());
        Ok(StatArgs {
            path: a.str("path").unwrap_or_default(),
            follow: a.bool("follow", false)?,
            checksum: a.bool("get_checksum", true)?.then_some(algorithm),
            mime: a.bool("get_mime", true)?,
            attributes: a.bool("get_attributes", true)?,
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &StatArgs) -> Result<Step<()>, ModuleError> {
        let reply = probe(ctx, &stat_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        Ok(Step::Done(match stat_result(a, &reply) {
            Ok(stat) => {
                let mut r = ModResult::new();
                r.insert("changed".into(), json!(false));
                r.insert("stat".into(), Json::Object(stat));
                r
            }
            Err(msg) => failed(msg),
        }))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &StatArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_output() {
        assert_eq!(
            parse_mime("/x: y: text/plain; charset=us-ascii"),
            Some(("text/plain".into(), "us-ascii".into()))
        );
        assert_eq!(parse_mime("/x: cannot open"), None);
    }
}
