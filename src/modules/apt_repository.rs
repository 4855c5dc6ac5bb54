// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `apt_repository`: one-line APT sources (`deb URI SUITE COMPONENTS`) in
//! `/etc/apt/sources.list` and `/etc/apt/sources.list.d/*.list`, with
//! Ansible's rules: a present source that exists disabled is enabled again,
//! a new one goes to a file named after its URI (or `filename`), an absent
//! one is removed from every file, a file left without lines is deleted,
//! and the package lists are updated after a change (`update_cache`).
//! One probe reads every sources file; the controller decides.
//! Not done: Ubuntu PPAs (`ppa:`), `codename`.

use super::args::ArgReader;
use super::probe::{Reply, probe};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::write::{Source, WriteSpec, write};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

pub struct AptRepository;

static SPEC: ModuleSpec = ModuleSpec {
    name: "apt_repository",
    args: &[
        ArgSpec::new("repo", T::Str).required(),
        ArgSpec::new("state", T::Str).choices(&["absent", "present"]),
        ArgSpec::new("mode", T::Raw),
        ArgSpec::new("update_cache", T::Bool).aliases(&["update-cache"]),
        ArgSpec::new("update_cache_retries", T::Int),
        ArgSpec::new("update_cache_retry_max_delay", T::Int),
        ArgSpec::new("filename", T::Str),
        ArgSpec::new("install_python_apt", T::Bool),
        ArgSpec::new("validate_certs", T::Bool),
        ArgSpec::new("codename", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

const DEFAULT_FILE: &str = "/etc/apt/sources.list";
const SOURCES_DIR: &str = "/etc/apt/sources.list.d";
const SOURCE_TYPES: &[&str] = &["deb", "deb-src"];

pub struct RepoArgs {
    repo: String,
    present: bool,
    mode: Option<u32>,
    update_cache: bool,
    filename: Option<String>,
}

/// One line of a sources file, as Ansible's `_parse` reads it.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    valid: bool,
    enabled: bool,
    source: String,
    comment: String,
}

fn parse_line(line: &str) -> Line {
    let mut line = line.trim();
    let mut enabled = true;
    if let Some(rest) = line.strip_prefix('#') {
        enabled = false;
        line = rest;
    }
    let mut comment = String::new();
    let mut body = line;
    if let Some(i) = line.find('#')
        && i > 0
    {
        comment = line[i + 1..].trim().to_string();
        body = &line[..i];
    }
    let mut source = body.trim().to_string();
    let mut valid = false;
    let chunks: Vec<&str> = source.split_whitespace().collect();
    if chunks.first().is_some_and(|c| SOURCE_TYPES.contains(c)) {
        valid = true;
        source = chunks.join(" ");
    }
    Line {
        valid,
        enabled,
        source,
        comment,
    }
}

fn dump(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| {
            let mut s = String::new();
            if !l.enabled {
                s.push_str("# ");
            }
            s.push_str(&l.source);
            if !l.comment.is_empty() {
                s.push_str(" # ");
                s.push_str(&l.comment);
            }
            s.push('\n');
            s
        })
        .collect()
}

/// Ansible's `_suggest_filename`: the URI's host and path, without scheme,
/// options or credentials, as words joined by `_`.
fn suggest_filename(source: &str, filename: Option<&str>) -> String {
    let no_opts = regex::Regex::new(r"\[[^\]]+\]")
        .map(|r| r.replace_all(source, "").into_owned())
        .unwrap_or_else(|_| source.to_string());
    let no_scheme = regex::Regex::new(r"\w+://")
        .map(|r| r.replace_all(&no_opts, "").into_owned())
        .unwrap_or(no_opts);
    let first = no_scheme
        .split_whitespace()
        .find(|p| !SOURCE_TYPES.contains(p))
        .unwrap_or("");
    let first = first.rsplit_once('@').map(|(_, h)| h).unwrap_or(first);
    let name = match filename {
        Some(f) => f.to_string(),
        None => first
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("_"),
    };
    format!("{name}.list")
}

fn expand(file: &str) -> String {
    if file.contains('/') {
        file.to_string()
    } else {
        format!("{SOURCES_DIR}/{file}")
    }
}

pub struct Plan {
    /// Files to write (new content) or delete (None).
    writes: BTreeMap<String, Option<String>>,
    new_files: Vec<String>,
    result: ModResult,
}

/// ansible-core 2.21 deprecates the module and says so in every result
/// (`deprecations`, shown on stderr); kiln's result carries the same entry.
fn deprecated(mut r: ModResult) -> ModResult {
    r.insert(
        "deprecations".into(),
        json!([{
            "msg": "apt_repository has been deprecated. Use deb822_repository instead.",
            "collection_name": "ansible.builtin",
            "version": "2.25",
            "deprecator": {"resolved_name": "ansible.builtin", "type": null},
        }]),
    );
    r
}

fn parse_mode(v: Option<&Json>) -> Result<Option<u32>, String> {
    match v {
        None => Ok(None),
        Some(Json::Number(n)) => Ok(n.as_u64().map(|m| m as u32)),
        Some(Json::String(s)) => u32::from_str_radix(s.trim_start_matches("0o"), 8)
            .map(Some)
            .map_err(|_| format!("kiln's apt_repository takes octal modes only, not {s}")),
        Some(other) => Err(format!("bad mode {other}")),
    }
}

impl AptRepository {
    fn probe_script() -> String {
        format!(
            "i=0; for f in {DEFAULT_FILE} {SOURCES_DIR}/*.list; do [ -f \"$f\" ] || continue; kv n$i \"$f\"; kfile b$i \"$f\"; i=$((i+1)); done\n"
        )
    }

    fn files(reply: &Reply) -> Vec<(String, Vec<Line>)> {
        let mut out = Vec::new();
        for i in 0.. {
            let Some(name) = reply.text(&format!("n{i}")) else {
                break;
            };
            let body = reply.text(&format!("b{i}")).unwrap_or_default();
            out.push((name, body.lines().map(parse_line).collect()));
        }
        out
    }

    fn decide(a: &RepoArgs, ctx: &ModuleCtx<'_>, reply: &Reply) -> Result<Plan, String> {
        let mut files = Self::files(reply);
        let before: BTreeMap<String, String> = files
            .iter()
            .filter(|(_, l)| !l.is_empty())
            .map(|(f, l)| (f.clone(), dump(l)))
            .collect();
        let wanted = parse_line(&a.repo);
        if !wanted.valid || !wanted.enabled {
            return Err(format!("Invalid repository string: {}", a.repo));
        }
        let mut new_files = Vec::new();
        if a.present {
            let mut found = false;
            for (_, lines) in files.iter_mut() {
                for l in lines.iter_mut() {
                    if l.valid && l.source == wanted.source {
                        l.enabled = true;
                        found = true;
                    }
                }
            }
            if !found {
                let file = expand(&suggest_filename(&wanted.source, a.filename.as_deref()));
                let line = Line {
                    valid: true,
                    enabled: true,
                    source: wanted.source.clone(),
                    comment: String::new(),
                };
                match files.iter_mut().find(|(f, _)| *f == file) {
                    Some((_, lines)) => lines.push(line),
                    None => files.push((file.clone(), vec![line])),
                }
                new_files.push(file);
            }
        } else {
            for (_, lines) in files.iter_mut() {
                lines.retain(|l| !(l.valid && l.enabled && l.source == wanted.source));
            }
        }
        let after: BTreeMap<String, String> = files
            .iter()
            .filter(|(_, l)| !l.is_empty())
            .map(|(f, l)| (f.clone(), dump(l)))
            .collect();
        let changed = before != after;
        let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
        let removed: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
        let mut diff = Vec::new();
        if changed && ctx.diff {
            for f in added.iter().chain(removed.iter()) {
                diff.push(json!({
                    "before": before.get(*f).cloned().unwrap_or_default(),
                    "after": after.get(*f).cloned().unwrap_or_default(),
                    "before_header": if before.contains_key(*f) { f.as_str() } else { "/dev/null" },
                    "after_header": if after.contains_key(*f) { f.as_str() } else { "/dev/null" },
                }));
            }
        }
        let mut writes = BTreeMap::new();
        for (f, text) in &after {
            if before.get(f) != Some(text) {
                writes.insert(f.clone(), Some(text.clone()));
            }
        }
        for f in before.keys() {
            if !after.contains_key(f) {
                writes.insert(f.clone(), None);
            }
        }
        let mut result = ModResult::new();
        result.insert("changed".into(), json!(changed));
        result.insert("repo".into(), json!(a.repo));
        result.insert("sources_added".into(), json!(added));
        result.insert("sources_removed".into(), json!(removed));
        result.insert(
            "state".into(),
            json!(if a.present { "present" } else { "absent" }),
        );
        result.insert("diff".into(), Json::Array(diff));
        Ok(Plan {
            writes,
            new_files,
            result,
        })
    }
}

#[async_trait::async_trait]
impl Module for AptRepository {
    type Args = RepoArgs;
    type State = Plan;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<RepoArgs, String> {
        let r = ArgReader::new(&SPEC, args);
        r.require(&["repo"])?;
        let repo = r.str_or("repo", "");
        if repo.is_empty() {
            return Err("Please set argument 'repo' to a non-empty value".into());
        }
        if repo.starts_with("ppa:") {
            return Err("kiln's apt_repository does not add Ubuntu PPAs".into());
        }
        Ok(RepoArgs {
            repo,
            present: r.choice("state", Some("present"))?.as_deref() != Some("absent"),
            mode: parse_mode(r.raw("mode"))?,
            update_cache: r.bool("update_cache", true)?,
            filename: r.str("filename"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &RepoArgs) -> Result<Step<Plan>, ModuleError> {
        let reply = probe(ctx, &Self::probe_script()).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        match Self::decide(a, ctx, &reply) {
            Err(msg) => Ok(Step::Done(deprecated(failed(msg)))),
            Ok(p) if p.writes.is_empty() => Ok(Step::Done(deprecated(p.result))),
            Ok(p) => Ok(Step::Change {
                check: deprecated(p.result.clone()),
                state: p,
            }),
        }
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &RepoArgs,
        plan: Plan,
    ) -> Result<ModResult, ModuleError> {
        for (file, content) in &plan.writes {
            match content {
                Some(text) => {
                    let mode = if plan.new_files.contains(file) {
                        a.mode.unwrap_or(0o644)
                    } else {
                        0o644
                    };
                    let spec = WriteSpec {
                        dest: file,
                        source: Source::Bytes(text.as_bytes()),
                        uid: None,
                        gid: None,
                        strict_ids: false,
                        mode,
                        backup: false,
                        validate: None,
                        mkdirs: true,
                        md5: false,
                    };
                    if let Err(e) = write(ctx, &spec).await? {
                        return Ok(failed(format!("{e:?}")));
                    }
                }
                None => {
                    let out = ctx.run(&format!("rm -f -- {}", quote(file)), None).await?;
                    if out.rc != 0 {
                        return Ok(failed(
                            String::from_utf8_lossy(&out.stderr).trim_end().to_string(),
                        ));
                    }
                }
            }
        }
        if a.update_cache {
            let out = ctx
                .run(
                    "env DEBIAN_FRONTEND=noninteractive LC_ALL=C.utf8 apt-get update -q",
                    None,
                )
                .await?;
            if out.rc != 0 {
                return Ok(failed(format!(
                    "Failed to update apt cache: {}",
                    String::from_utf8_lossy(&out.stderr).trim_end()
                )));
            }
        }
        Ok(deprecated(plan.result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_file_names_as_ansible() {
        let l = parse_line("# deb  http://x/debian  bookworm main # mine");
        assert_eq!(
            l,
            Line {
                valid: true,
                enabled: false,
                source: "deb http://x/debian bookworm main".into(),
                comment: "mine".into()
            }
        );
        assert_eq!(dump(&[l]), "# deb http://x/debian bookworm main # mine\n");
        assert_eq!(
            suggest_filename(
                "deb [arch=amd64] http://user:pw@deb.debian.org/debian bookworm main",
                None
            ),
            "deb_debian_org_debian.list"
        );
        assert_eq!(
            suggest_filename("deb http://a/b c", Some("mine")),
            "mine.list"
        );
    }
}
