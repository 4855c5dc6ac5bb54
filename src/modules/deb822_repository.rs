// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `deb822_repository`: an APT source as a deb822 `.sources` file in
//! `/etc/apt/sources.list.d`, written as Ansible's module (python-debian's
//! `Deb822.dump`) writes it: the fields in the order of their option names,
//! `yes`/`no` for booleans, lists joined by spaces, multi-line values (an
//! inline `signed_by` key) indented with `.` for empty lines.
//! `signed_by` may be a file on the host or inline key text; fetching a key
//! from a URL is not done yet (the task fails saying so).

use super::args::ArgReader;
use super::probe::{Reply, add_path_info, probe};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::write::{Source, WriteSpec, write};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Value as Json, json};

pub struct Deb822Repository;

static SPEC: ModuleSpec = ModuleSpec {
    name: "deb822_repository",
    args: &[
        ArgSpec::new("allow_downgrade_to_insecure", T::Bool),
        ArgSpec::new("allow_insecure", T::Bool),
        ArgSpec::new("allow_weak", T::Bool),
        ArgSpec::new("architectures", T::List),
        ArgSpec::new("by_hash", T::Bool),
        ArgSpec::new("check_date", T::Bool),
        ArgSpec::new("check_valid_until", T::Bool),
        ArgSpec::new("components", T::List),
        ArgSpec::new("date_max_future", T::Int),
        ArgSpec::new("enabled", T::Bool),
        ArgSpec::new("exclude", T::List),
        ArgSpec::new("include", T::List),
        ArgSpec::new("inrelease_path", T::Str),
        ArgSpec::new("install_python_debian", T::Bool),
        ArgSpec::new("languages", T::List),
        ArgSpec::new("name", T::Str).required(),
        ArgSpec::new("pdiffs", T::Bool),
        ArgSpec::new("signed_by", T::Str),
        ArgSpec::new("suites", T::List),
        ArgSpec::new("targets", T::List),
        ArgSpec::new("trusted", T::Bool),
        ArgSpec::new("types", T::List).choices(&["deb", "deb-src"]),
        ArgSpec::new("uris", T::List),
        ArgSpec::new("mode", T::Raw),
        ArgSpec::new("state", T::Str).choices(&["present", "absent"]),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[&["exclude", "include"]],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

/// The deb822 options, in the (sorted) order Ansible writes them.
const FIELDS: &[&str] = &[
    "allow_downgrade_to_insecure",
    "allow_insecure",
    "allow_weak",
    "architectures",
    "by_hash",
    "check_date",
    "check_valid_until",
    "components",
    "date_max_future",
    "enabled",
    "exclude",
    "include",
    "inrelease_path",
    "languages",
    "name",
    "pdiffs",
    "signed_by",
    "suites",
    "targets",
    "trusted",
    "types",
    "uris",
];

pub struct RepoArgs {
    name: String,
    absent: bool,
    mode: u32,
    /// (option name, value as Ansible formats it), `signed_by` raw.
    fields: Vec<(&'static str, String)>,
    signed_by: Option<String>,
}

pub enum Change {
    Remove(Vec<String>),
    Write { text: String, dest: String },
    Chmod { dest: String },
}

/// Ansible's `format_field_name`: `name` and `uris` are special, the rest
/// title-cased with dashes.
fn field_name(option: &str) -> String {
    match option {
        "name" => "X-Repolib-Name".into(),
        "uris" => "URIs".into(),
        _ => option
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase(),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

/// Ansible's `format_multiline`: a value on its own indented lines.
fn multiline(v: &str) -> String {
    let body: Vec<String> = v
        .trim()
        .lines()
        .map(|l| {
            let l = l.trim();
            format!("    {}", if l.is_empty() { "." } else { l })
        })
        .collect();
    format!("\n{}", body.join("\n"))
}

/// The file's text, as python-debian dumps it.
fn render(fields: &[(&'static str, String)], signed_by: Option<&str>) -> String {
    let mut out = String::new();
    for (option, value) in fields {
        let value = if *option == "signed_by" {
            signed_by.unwrap_or(value).to_string()
        } else {
            value.clone()
        };
        let value = if value.contains('\n') {
            multiline(&value)
        } else {
            value
        };
        let name = field_name(option);
        if value.is_empty() || value.starts_with('\n') {
            out.push_str(&format!("{name}:{value}\n"));
        } else {
            out.push_str(&format!("{name}: {value}\n"));
        }
    }
    out
}

/// The file name part: the old normalised name when a file by it exists.
fn slugs(name: &str) -> (String, String) {
    let lower = name.to_lowercase();
    let mut dashed = String::new();
    let mut in_run = false;
    for c in lower.chars() {
        if c == '_' || c.is_whitespace() {
            if !in_run {
                dashed.push('-');
            }
            in_run = true;
        } else {
            dashed.push(c);
            in_run = false;
        }
    }
    let legacy: String = dashed
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    (legacy, name.replace(' ', "-"))
}

fn sources(slug: &str) -> String {
    format!("/etc/apt/sources.list.d/{slug}.sources")
}

fn parse_mode(v: Option<&Json>) -> Result<u32, String> {
    match v {
        None => Ok(0o644),
        Some(Json::Number(n)) => n
            .as_u64()
            .map(|m| m as u32)
            .ok_or_else(|| format!("bad mode {n}")),
        Some(Json::String(s)) => u32::from_str_radix(s.trim_start_matches("0o"), 8)
            .map_err(|_| format!("kiln's deb822_repository takes octal modes only, not {s}")),
        Some(other) => Err(format!("bad mode {other}")),
    }
}

fn outcome(changed: bool, repo: Option<&str>, dest: &str, key: Option<&str>) -> ModResult {
    let mut r = ModResult::new();
    r.insert("repo".into(), repo.map(|s| json!(s)).unwrap_or(Json::Null));
    r.insert("changed".into(), json!(changed));
    r.insert("dest".into(), json!(dest));
    r.insert(
        "key_filename".into(),
        key.map(|s| json!(s)).unwrap_or(Json::Null),
    );
    r
}

impl Deb822Repository {
    fn probe_script(a: &RepoArgs) -> String {
        let (legacy, slug) = slugs(&a.name);
        let mut s = format!("[ -e {} ] && kv legacy 1\n", quote(&sources(&legacy)));
        for (tag, slug) in [("l", &legacy), ("n", &slug)] {
            let p = quote(&sources(slug));
            s.push_str(&format!(
                "if [ -f {p} ]; then kfile {tag}content {p}; kst {tag}st {p}; fi\n"
            ));
            for ext in ["asc", "gpg"] {
                let k = quote(&format!("/etc/apt/keyrings/{slug}.{ext}"));
                s.push_str(&format!("[ -e {k} ] && kv {tag}key{ext} 1\n"));
            }
        }
        if let Some(v) = &a.signed_by {
            s.push_str(&format!("[ -f {} ] && kv keyfile 1\n", quote(v)));
        }
        s
    }

    fn decide(a: &RepoArgs, reply: &Reply) -> Result<Step<Change>, String> {
        let (legacy, slug) = slugs(&a.name);
        let (slug, tag) = if reply.has("legacy") {
            (legacy, "l")
        } else {
            (slug, "n")
        };
        let dest = sources(&slug);
        if a.absent {
            let mut remove = Vec::new();
            if reply.has(&format!("{tag}content")) || reply.has(&format!("{tag}st")) {
                remove.push(dest.clone());
            }
            let mut key = String::new();
            for ext in ["asc", "gpg"] {
                key = format!("/etc/apt/keyrings/{slug}.{ext}");
                if reply.has(&format!("{tag}key{ext}")) {
                    remove.push(key.clone());
                }
            }
            let r = outcome(!remove.is_empty(), None, &dest, Some(&key));
            return Ok(if remove.is_empty() {
                Step::Done(r)
            } else {
                Step::Change {
                    check: r,
                    state: Change::Remove(remove),
                }
            });
        }
        let mut key_filename = None;
        let signed_by = match &a.signed_by {
            Some(v) if reply.has("keyfile") => {
                key_filename = Some(v.clone());
                Some(v.clone())
            }
            Some(v) if v.contains("://") => {
                return Err(
                    "kiln's deb822_repository does not fetch signed_by keys from URLs yet".into(),
                );
            }
            Some(v) => Some(v.clone()),
            None => None,
        };
        let text = render(&a.fields, signed_by.as_deref());
        let current = reply.bytes(&format!("{tag}content"));
        let mode_now = reply.stat(&format!("{tag}st")).map(|s| s.perm());
        let st = reply.stat(&format!("{tag}st"));
        let mut r = outcome(true, Some(&text), &dest, key_filename.as_deref());
        add_path_info(&mut r, st.as_ref());
        if current != Some(text.as_bytes()) {
            return Ok(Step::Change {
                check: r,
                state: Change::Write { text, dest },
            });
        }
        if mode_now != Some(a.mode) {
            return Ok(Step::Change {
                check: r,
                state: Change::Chmod { dest },
            });
        }
        r.insert("changed".into(), json!(false));
        Ok(Step::Done(r))
    }
}

#[async_trait::async_trait]
impl Module for Deb822Repository {
    type Args = RepoArgs;
    type State = Change;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<RepoArgs, String> {
        let r = ArgReader::new(&SPEC, args);
        r.require(&["name"])?;
        let mut fields = Vec::new();
        let mut signed_by = None;
        for option in FIELDS {
            let value = match r.raw(option) {
                None if *option == "types" => "deb".to_string(),
                None => continue,
                Some(Json::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
                Some(Json::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Json::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                Some(Json::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            if *option == "signed_by" {
                signed_by = Some(value.clone());
            }
            fields.push((*option, value));
        }
        Ok(RepoArgs {
            name: r.str_or("name", ""),
            absent: r.choice("state", Some("present"))?.as_deref() == Some("absent"),
            mode: parse_mode(r.raw("mode"))?,
            fields,
            signed_by,
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &RepoArgs) -> Result<Step<Change>, ModuleError> {
        let reply = probe(ctx, &Self::probe_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        Ok(match Self::decide(a, &reply) {
            Ok(step) => step,
            Err(msg) => Step::Done(failed(msg)),
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &RepoArgs,
        change: Change,
    ) -> Result<ModResult, ModuleError> {
        match change {
            Change::Remove(paths) => {
                let words: Vec<String> = paths.iter().map(|p| quote(p)).collect();
                let out = ctx
                    .run(&format!("rm -f -- {}", words.join(" ")), None)
                    .await?;
                if out.rc != 0 {
                    return Ok(failed(
                        String::from_utf8_lossy(&out.stderr).trim_end().to_string(),
                    ));
                }
            }
            Change::Write { text, dest } => {
                let spec = WriteSpec {
                    dest: &dest,
                    source: Source::Bytes(text.as_bytes()),
                    uid: Some(0),
                    gid: Some(0),
                    strict_ids: false,
                    mode: a.mode,
                    backup: false,
                    validate: None,
                    mkdirs: false,
                    md5: false,
                };
                if let Err(e) = write(ctx, &spec).await? {
                    return Ok(failed(format!("{e:?}")));
                }
            }
            Change::Chmod { dest } => {
                let out = ctx
                    .run(&format!("chmod {:o} -- {}", a.mode, quote(&dest)), None)
                    .await?;
                if out.rc != 0 {
                    return Ok(failed(
                        String::from_utf8_lossy(&out.stderr).trim_end().to_string(),
                    ));
                }
            }
        }
        // The result describes the file as it is now (Ansible adds the
        // destination's attributes after the change).
        let reply = probe(ctx, &Self::probe_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(failed(e));
        }
        let mut r = match Self::decide(a, &reply) {
            Ok(Step::Change { check, .. }) | Ok(Step::Done(check)) => check,
            Err(msg) => return Ok(failed(msg)),
        };
        r.insert("changed".into(), json!(true));
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_text_as_ansible_writes_them() {
        assert_eq!(
            field_name("allow_downgrade_to_insecure"),
            "Allow-Downgrade-To-Insecure"
        );
        assert_eq!(field_name("uris"), "URIs");
        assert_eq!(field_name("name"), "X-Repolib-Name");
        assert_eq!(
            slugs("My repo_x"),
            ("my-repo-x".to_string(), "My-repo_x".to_string())
        );
        let text = render(
            &[
                ("components", "main contrib".into()),
                ("signed_by", String::new()),
                ("types", "deb".into()),
            ],
            Some("-----BEGIN-----\n\nabc\n-----END-----\n"),
        );
        assert_eq!(
            text,
            "Components: main contrib\nSigned-By:\n    -----BEGIN-----\n    .\n    abc\n    -----END-----\nTypes: deb\n"
        );
    }
}
