// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `find`: files by name, age, size, type, mode and content, as Ansible's
//! `os.walk` search reports them.
//!
//! One probe lists each search path with GNU `find` (readdir order, the
//! order `os.walk` sees too): each entry's relative path and its type
//! through links (`%Y`, which decides `os.walk`'s files-then-directories
//! split), and an lstat of every entry (`stat --printf`, as the module's
//! `os.lstat`). The controller rebuilds `os.walk`'s top-down order and
//! applies every filter. Only `contains` and `get_checksum` need a second
//! round trip, for the contents or checksums of the files still matching.

use super::args::ArgReader;
use super::perms::symbolic_to_octal;
use super::probe::{FileStat, Kind, Reply, expand_home, needs_home, normpath, probe, sh_path};
use super::setup::text::fnmatch;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::stat::stat_fields;
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;

pub struct Find;

const ALGORITHMS: &[&str] = &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

static SPEC: ModuleSpec = ModuleSpec {
    name: "find",
    args: &[
        ArgSpec::new("paths", T::List)
            .required()
            .aliases(&["name", "path"]),
        ArgSpec::new("patterns", T::List).aliases(&["pattern"]),
        ArgSpec::new("excludes", T::List).aliases(&["exclude"]),
        ArgSpec::new("contains", T::Str),
        ArgSpec::new("read_whole_file", T::Bool),
        ArgSpec::new("file_type", T::Str).choices(&["any", "directory", "file", "link"]),
        ArgSpec::new("age", T::Str),
        ArgSpec::new("age_stamp", T::Str).choices(&["atime", "ctime", "mtime"]),
        ArgSpec::new("size", T::Str),
        ArgSpec::new("recurse", T::Bool),
        ArgSpec::new("hidden", T::Bool),
        ArgSpec::new("follow", T::Bool),
        ArgSpec::new("get_checksum", T::Bool),
        ArgSpec::new("checksum_algorithm", T::Str)
            .aliases(&["checksum", "checksum_algo"])
            .choices(ALGORITHMS),
        ArgSpec::new("use_regex", T::Bool),
        ArgSpec::new("depth", T::Int),
        ArgSpec::new("mode", T::Raw),
        ArgSpec::new("exact_mode", T::Bool),
        ArgSpec::new("encoding", T::Str),
        ArgSpec::new("limit", T::Int),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

/// Name patterns: shell globs (`fnmatch`) or Python regexes (`re.match`).
enum Patterns {
    Glob(Vec<String>),
    Regex(Vec<regex::Regex>),
}

impl Patterns {
    fn any(&self, name: &str) -> bool {
        match self {
            Patterns::Glob(g) => g.iter().any(|p| fnmatch(name, p)),
            Patterns::Regex(r) => r.iter().any(|re| re.is_match(name)),
        }
    }
}

pub struct FindArgs {
    paths: Vec<String>,
    patterns: Patterns,
    excludes: Option<Patterns>,
    contains: Option<String>,
    read_whole_file: bool,
    file_type: String,
    /// `age` as written; read in the plan, whose failure names it.
    age: Option<String>,
    age_stamp: String,
    size: Option<i64>,
    recurse: bool,
    hidden: bool,
    follow: bool,
    checksum: Option<String>,
    depth: Option<i64>,
    mode: Option<String>,
    exact_mode: bool,
    limit: Option<i64>,
}

/// A Python pattern anchored at the start, as `re.match` applies it.
fn anchored(p: &str) -> Result<regex::Regex, String> {
    super::pyre::compile(&format!("^(?:{p})"), false, false)
}

fn patterns(list: Vec<String>, use_regex: bool) -> Result<Patterns, String> {
    if use_regex {
        Ok(Patterns::Regex(
            list.iter().map(|p| anchored(p)).collect::<Result<_, _>>()?,
        ))
    } else {
        Ok(Patterns::Glob(list))
    }
}

fn list(a: &ArgReader<'_>, name: &str) -> Vec<String> {
    match a.raw(name) {
        Some(Json::Array(items)) => items
            .iter()
            .map(|v| match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Json::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
        Some(other) => vec![other.to_string()],
        None => Vec::new(),
    }
}

/// `age`/`size` with a unit suffix (`-3d`, `10k`), as Ansible reads them.
fn with_unit(text: &str, units: &[(char, i64)]) -> Option<i64> {
    let t = text.to_lowercase();
    let (num, unit) = match t.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => (&t[..t.len() - 1], Some(c)),
        _ => (t.as_str(), None),
    };
    let digits = num.strip_prefix('-').unwrap_or(num);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = num.parse().ok()?;
    let factor = match unit {
        None => 1,
        Some(u) => units.iter().find(|(c, _)| *c == u)?.1,
    };
    Some(n * factor)
}

/// One entry of a search path, as the probe listed it.
struct Entry {
    /// Relative to the search path.
    rel: String,
    /// Whether `os.walk` counts it among directories (a directory, or a
    /// link to one).
    walk_dir: bool,
    st: FileStat,
}

/// The probe for one search path `i`: whether it is a directory, the
/// listing and the lstat of each entry, and find's complaints.
fn list_script(i: usize, path: &str, a: &FindArgs) -> String {
    let l = if a.follow { "-L " } else { "" };
    let max = if !a.recurse {
        " -maxdepth 1".to_string()
    } else {
        match a.depth {
            Some(d) if d > 0 => format!(" -maxdepth {}", d + 1),
            _ => String::new(),
        }
    };
    format!(
        "p={p}\nif [ -d \"$p\" ]; then kv dir{i} 1\n\
         find {l}\"$p\" -mindepth 1{max} -printf '%Y%P\\0' > \"$t.l\" 2> \"$t.e\"\n\
         find {l}\"$p\" -mindepth 1{max} -exec stat --printf '%f %u %g %s %h %i %d %.9X %.9Y %.9Z %b %o %t %T %U %G\\0' -- {{}} + > \"$t.s\" 2>/dev/null\n\
         kfile ls{i} \"$t.l\"; kfile st{i} \"$t.s\"; kfile err{i} \"$t.e\"\nfi\n",
        p = sh_path(path),
    )
}

fn parse_entries(reply: &Reply, i: usize) -> Vec<Entry> {
    let names = reply.bytes(&format!("ls{i}")).unwrap_or_default();
    let stats = reply.bytes(&format!("st{i}")).unwrap_or_default();
    let names = names.split(|&b| b == 0).filter(|s| !s.is_empty());
    let stats = stats.split(|&b| b == 0).filter(|s| !s.is_empty());
    names
        .zip(stats)
        .filter_map(|(n, s)| {
            let (&kind, rel) = n.split_first()?;
            Some(Entry {
                rel: String::from_utf8_lossy(rel).into_owned(),
                walk_dir: kind == b'd',
                st: FileStat::parse(s)?,
            })
        })
        .collect()
}

/// The entries in `os.walk`'s top-down order: each directory's files, then
/// its directories, then the walk of each of those directories in turn
/// (links to directories only when following). Each with its depth.
fn walk_order(entries: &[Entry], follow: bool) -> Vec<(usize, &Entry)> {
    let mut children: HashMap<&str, Vec<&Entry>> = HashMap::new();
    for e in entries {
        let parent = e.rel.rsplit_once('/').map_or("", |(p, _)| p);
        children.entry(parent).or_default().push(e);
    }
    let mut out = Vec::new();
    let mut stack: Vec<(&str, usize)> = vec![("", 1)];
    // Directories are walked in list order: push them reversed.
    while let Some((dir, depth)) = stack.pop() {
        let Some(kids) = children.get(dir) else {
            continue;
        };
        let (dirs, files): (Vec<&Entry>, Vec<&Entry>) = kids.iter().partition(|e| e.walk_dir);
        for e in files.iter().chain(dirs.iter()) {
            out.push((depth, *e));
        }
        for d in dirs.iter().rev() {
            if follow || d.st.kind() != Kind::Link {
                stack.push((d.rel.as_str(), depth + 1));
            }
        }
    }
    out
}

/// Ansible's `statinfo`.
fn statinfo(path: &str, st: &FileStat) -> Map<String, Json> {
    let mode = st.st_mode;
    let bit = |b: u32| json!(mode & b != 0);
    let mut o = Map::new();
    stat_fields(&mut o, path, st);
    o.insert(
        "gr_name".into(),
        json!(st.group.clone().unwrap_or_default()),
    );
    o.insert("pw_name".into(), json!(st.user.clone().unwrap_or_default()));
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
    o
}

impl FindArgs {
    fn name_ok(&self, name: &str) -> bool {
        self.patterns.any(name) && !self.excludes.as_ref().is_some_and(|e| e.any(name))
    }

    /// `age` in seconds; `Err` when it cannot be read.
    fn age_secs(&self) -> Result<Option<i64>, ()> {
        match &self.age {
            None => Ok(None),
            Some(t) => with_unit(
                t,
                &[
                    ('s', 1),
                    ('m', 60),
                    ('h', 3600),
                    ('d', 86400),
                    ('w', 604800),
                ],
            )
            .map(Some)
            .ok_or(()),
        }
    }

    fn age_ok(&self, st: &FileStat, now: f64) -> bool {
        let Ok(Some(age)) = self.age_secs() else {
            return true;
        };
        let t = match self.age_stamp.as_str() {
            "atime" => st.atime,
            "ctime" => st.ctime,
            _ => st.mtime,
        };
        if age >= 0 {
            now - t >= age.unsigned_abs() as f64
        } else {
            now - t <= age.unsigned_abs() as f64
        }
    }

    fn size_ok(&self, st: &FileStat) -> bool {
        match self.size {
            None => true,
            Some(s) if s >= 0 => st.size >= s.unsigned_abs(),
            Some(s) => st.size <= s.unsigned_abs(),
        }
    }

    fn mode_ok(&self, st: &FileStat) -> Result<bool, String> {
        let Some(m) = &self.mode else { return Ok(true) };
        let want = match u32::from_str_radix(m, 8) {
            Ok(v) => v,
            Err(_) => symbolic_to_octal(0, false, m, 0)?,
        } & 0o7777;
        Ok(if self.exact_mode {
            st.perm() == want
        } else {
            st.perm() & want != 0
        })
    }
}

/// A file that passed every filter but `contains` (and may need a checksum).
struct Candidate {
    info: Map<String, Json>,
    path: String,
    needs_content: bool,
    needs_sum: bool,
}

fn content_matches(re: &regex::Regex, whole: bool, bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    if whole {
        return re.is_match(&text);
    }
    // `for line in f` keeps each line's newline; `$` also matches before it.
    text.split_inclusive('\n')
        .any(|line| re.is_match(line) || re.is_match(line.trim_end_matches('\n')))
}

#[async_trait::async_trait]
impl Module for Find {
    type Args = FindArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<FindArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["paths"])?;
        let use_regex = a.bool("use_regex", false)?;
        let mut pats = list(&a, "patterns");
        if pats.is_empty() {
            pats.push(if use_regex { ".*" } else { "*" }.into());
        }
        let excludes = list(&a, "excludes");
        let mode = match a.raw("mode") {
            None => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(format!(
                    "argument 'mode' is not a string and conversion is not allowed, value is of type {}",
                    super::spec::json_type(other)
                ));
            }
        };
        let age = a.str("age");
        let size = match a.str("size") {
            None => None,
            Some(t) => Some(
                with_unit(
                    &t,
                    &[
                        ('b', 1),
                        ('k', 1 << 10),
                        ('m', 1 << 20),
                        ('g', 1 << 30),
                        ('t', 1 << 40),
                    ],
                )
                .ok_or("failed to process size")?,
            ),
        };
        let limit = a.raw("limit").and_then(Json::as_i64);
        if let Some(l) = limit
            && l <= 0
        {
            return Err(format!("limit cannot be {l} (use None for unlimited)"));
        }
        let contains = a.str("contains");
        if let Some(c) = &contains {
            super::pyre::compile(c, false, false)?;
        }
        Ok(FindArgs {
            paths: list(&a, "paths"),
            patterns: patterns(pats, use_regex)?,
            excludes: (!excludes.is_empty())
                .then(|| patterns(excludes, use_regex))
                .transpose()?,
            contains,
            read_whole_file: a.bool("read_whole_file", false)?,
            file_type: a
                .choice("file_type", Some("file"))?
                .unwrap_or_else(|| "file".into()),
            age,
            age_stamp: a
                .choice("age_stamp", Some("mtime"))?
                .unwrap_or_else(|| "mtime".into()),
            size,
            recurse: a.bool("recurse", false)?,
            hidden: a.bool("hidden", false)?,
            follow: a.bool("follow", false)?,
            checksum: if a.bool("get_checksum", false)? {
                a.choice("checksum_algorithm", Some("sha1"))?
            } else {
                None
            },
            depth: a.raw("depth").and_then(Json::as_i64),
            mode,
            exact_mode: a.bool("exact_mode", true)?,
            limit,
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &FindArgs) -> Result<Step<()>, ModuleError> {
        if a.age_secs().is_err() {
            let mut r = failed("failed to process age");
            r.insert("age".into(), json!(a.age));
            return Ok(Step::Done(r));
        }
        let mut s = String::from("t=$(mktemp) || exit 1\n");
        if a.paths.iter().any(|p| needs_home(p)) {
            s.push_str("kv home \"$HOME\"\n");
        }
        s.push_str("kv now \"$(date +%s.%N)\"\n");
        for (i, p) in a.paths.iter().enumerate() {
            s.push_str(&list_script(i, p, a));
        }
        s.push_str("rm -f -- \"$t\" \"$t.l\" \"$t.s\" \"$t.e\"\n");
        let reply = probe(ctx, &s).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let home = reply.text("home");
        let now: f64 = reply
            .text("now")
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0.0);
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut skipped = Map::new();
        let mut warnings = Vec::new();
        let mut looked = 0usize;
        let mut msg = "All paths examined";
        'paths: for (i, raw) in a.paths.iter().enumerate() {
            let npath = expand_home(raw, home.as_deref());
            if !reply.has(&format!("dir{i}")) {
                let why = format!("'{npath}' is not a directory");
                warnings.push(json!(format!(
                    "Skipped '{npath}' path due to this access issue: {why}\n"
                )));
                skipped.insert(npath.clone(), json!(why));
                continue;
            }
            for line in reply.text(&format!("err{i}")).unwrap_or_default().lines() {
                // find: 'PATH': Permission denied
                if let Some((path, why)) = line
                    .strip_prefix("find: '")
                    .and_then(|r| r.rsplit_once("': "))
                {
                    let errno = match why {
                        "Permission denied" => "[Errno 13] ",
                        "No such file or directory" => "[Errno 2] ",
                        _ => "",
                    };
                    skipped.insert(path.to_string(), json!(format!("{errno}{why}: '{path}'")));
                }
            }
            let entries = parse_entries(&reply, i);
            let base = format!("{}/", npath.trim_end_matches('/'));
            // Every entry find listed sits in a directory os.walk lists
            // whole (the depth limit only drops entries after counting).
            looked += entries.len();
            for (depth, e) in walk_order(&entries, a.follow) {
                if a.recurse
                    && let Some(d) = a.depth
                    && d > 0
                    && depth as i64 > d
                {
                    continue;
                }
                let name = e.rel.rsplit('/').next().unwrap_or(&e.rel);
                if name.starts_with('.') && !a.hidden {
                    continue;
                }
                let path = normpath(&format!("{base}{}", e.rel));
                let kind = e.st.kind();
                let common =
                    a.name_ok(name) && a.age_ok(&e.st, now) && a.mode_ok(&e.st).unwrap_or(false);
                let (take, content, sum) = match a.file_type.as_str() {
                    "any" => (
                        common && (kind != Kind::File || a.size_ok(&e.st)),
                        false,
                        kind == Kind::File,
                    ),
                    "directory" => (kind == Kind::Dir && common, false, false),
                    "link" => (kind == Kind::Link && common, false, false),
                    _ => (
                        kind == Kind::File && common && a.size_ok(&e.st),
                        a.contains.is_some(),
                        true,
                    ),
                };
                if take {
                    candidates.push(Candidate {
                        info: statinfo(&path, &e.st),
                        path,
                        needs_content: content,
                        needs_sum: sum && a.checksum.is_some(),
                    });
                    // Without `contains` every candidate is a match, so the
                    // limit can stop the walk here.
                    if a.contains.is_none() && a.limit.is_some_and(|l| candidates.len() as i64 == l)
                    {
                        msg = "Limit of matches reached";
                        break 'paths;
                    }
                }
            }
        }
        let files = self.finish(ctx, a, candidates, &mut msg).await?;
        let files = match files {
            Ok(f) => f,
            Err(e) => return Ok(Step::Done(failed(e))),
        };
        if !warnings.is_empty() {
            msg = "Not all paths examined, check warnings for details";
        }
        let mut r = ModResult::new();
        r.insert("files".into(), json!(files));
        r.insert("changed".into(), json!(false));
        r.insert("msg".into(), json!(msg));
        r.insert("matched".into(), json!(files.len()));
        r.insert("examined".into(), json!(looked));
        r.insert("skipped_paths".into(), Json::Object(skipped));
        if !warnings.is_empty() {
            r.insert("warnings".into(), Json::Array(warnings));
        }
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &FindArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

impl Find {
    /// The second round trip, when needed: contents for `contains`,
    /// checksums for `get_checksum`; then `limit`.
    async fn finish(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &FindArgs,
        candidates: Vec<Candidate>,
        msg: &mut &'static str,
    ) -> Result<Result<Vec<Json>, String>, ModuleError> {
        let wanted = candidates.iter().any(|c| c.needs_content || c.needs_sum);
        let reply = if wanted {
            let mut s = String::new();
            for (i, c) in candidates.iter().enumerate() {
                let p = quote(&c.path);
                if c.needs_content {
                    s.push_str(&format!("kfile c{i} {p}\n"));
                }
                if c.needs_sum
                    && let Some(alg) = &a.checksum
                {
                    s.push_str(&format!(
                        "x=$({alg}sum < {p} 2>/dev/null) && kv s{i} \"${{x%% *}}\"\n"
                    ));
                }
            }
            let reply = probe(ctx, &s).await?;
            if let Some(e) = reply.failure() {
                return Ok(Err(e));
            }
            Some(reply)
        } else {
            None
        };
        let re = a
            .contains
            .as_ref()
            .map(|c| {
                if a.read_whole_file {
                    super::pyre::compile(c, false, false)
                } else {
                    anchored(c)
                }
            })
            .transpose();
        let re = match re {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let mut files = Vec::new();
        for (i, mut c) in candidates.into_iter().enumerate() {
            if c.needs_content
                && let Some(re) = &re
            {
                let bytes = reply
                    .as_ref()
                    .and_then(|r| r.bytes(&format!("c{i}")))
                    .unwrap_or_default();
                if !content_matches(re, a.read_whole_file, bytes) {
                    continue;
                }
            }
            if let Some(sum) = reply.as_ref().and_then(|r| r.text(&format!("s{i}"))) {
                c.info.insert("checksum".into(), json!(sum));
            }
            files.push(Json::Object(c.info));
            if a.limit.is_some_and(|l| files.len() as i64 == l) {
                *msg = "Limit of matches reached";
                break;
            }
        }
        Ok(Ok(files))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_paths() {
        let secs = [('s', 1), ('m', 60), ('d', 86400)];
        assert_eq!(with_unit("-2d", &secs), Some(-172800));
        assert_eq!(with_unit("30", &secs), Some(30));
        assert_eq!(with_unit("3x", &secs), None);
        assert_eq!(with_unit("d", &secs), None);
        assert_eq!(normpath("/a//b/./c/"), "/a/b/c");
        assert_eq!(normpath("a/../b"), "b");
    }

    fn entry(rel: &str, dir: bool) -> Entry {
        let line = if dir {
            "41ed 0 0 4096 2 1 1 1.0 1.0 1.0 8 4096 0 0 root root"
        } else {
            "81a4 0 0 3 1 1 1 1.0 1.0 1.0 8 4096 0 0 root root"
        };
        Entry {
            rel: rel.into(),
            walk_dir: dir,
            st: FileStat::parse(line.as_bytes()).unwrap(),
        }
    }

    #[test]
    fn walk_lists_files_before_directories_top_down() {
        // find's depth-first order; os.walk lists each directory whole first.
        let e = vec![
            entry("d", true),
            entry("d/x", false),
            entry("a", false),
            entry("e", true),
            entry("e/y", false),
        ];
        let order: Vec<&str> = walk_order(&e, false)
            .iter()
            .map(|(_, e)| e.rel.as_str())
            .collect();
        assert_eq!(order, ["a", "d", "e", "d/x", "e/y"]);
    }

    #[test]
    fn content_is_matched_per_line_from_the_start() {
        let re = anchored("foo$").unwrap();
        assert!(content_matches(&re, false, b"bar\nfoo\n"));
        assert!(!content_matches(&re, false, b"a foo\n"));
        let whole = crate::modules::pyre::compile("a\nb", false, false).unwrap();
        assert!(content_matches(&whole, true, b"xa\nb"));
    }
}
