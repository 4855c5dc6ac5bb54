// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `community.general.modprobe`: a kernel module loaded or unloaded, and
//! (`persistent`) listed in `/etc/modules-load.d` with its options in
//! `/etc/modprobe.d`. One probe reads `/proc/modules`, `modules.builtin` and
//! every file of both directories; the edits are the module's (a disabled
//! line gets `#`, and a rewritten file is its lines joined with `\n` as the
//! module joins them, so its end state is the same).

use super::args::ArgReader;
use super::probe::{Reply, probe, run_script};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::write::{Source, WriteSpec, outcome_at, script_many};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step};
use crate::transport::quote;
use serde_json::json;

pub struct Modprobe;

static SPEC: ModuleSpec = ModuleSpec {
    name: "modprobe",
    args: &[
        ArgSpec::new("name", T::Str).required(),
        ArgSpec::new("state", T::Str).choices(&["absent", "present"]),
        ArgSpec::new("params", T::Str),
        ArgSpec::new("persistent", T::Str).choices(&["disabled", "present", "absent"]),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

const LOAD_DIR: &str = "/etc/modules-load.d";
const OPTIONS_DIR: &str = "/etc/modprobe.d";

pub struct ModprobeArgs {
    name: String,
    present: bool,
    params: String,
    persistent: String,
}

/// The files of one directory: path and text.
type Files = Vec<(String, String)>;

/// What the probe found.
#[derive(Debug, Default)]
pub struct Found {
    loaded: bool,
    load_files: Files,
    option_files: Files,
}

/// Strips `" *(?:[#;].*)?\n?"` from the end (spaces, a comment, the newline).
fn rest_is_blank_or_comment(rest: &str) -> bool {
    let rest = rest.strip_suffix('\n').unwrap_or(rest);
    let rest = rest.trim_start_matches(' ');
    rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')
}

/// The module's `^ *NAME *(?:[#;].*)?\n?\Z`.
fn lists_module(line: &str, name: &str) -> bool {
    line.trim_start_matches(' ')
        .strip_prefix(name)
        .is_some_and(rest_is_blank_or_comment)
}

/// The module's `^options NAME (\w+=\S+) *(?:[#;].*)?\n?\Z`: the `key=value`.
fn option_of(line: &str, name: &str) -> Option<String> {
    let rest = line.strip_prefix(&format!("options {name} "))?;
    let body = rest.strip_suffix('\n').unwrap_or(rest);
    let end = body
        .find([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
        .unwrap_or(body.len());
    let (param, tail) = body.split_at(end);
    let (k, v) = param.split_once('=')?;
    if k.is_empty() || !k.chars().all(|c| c.is_alphanumeric() || c == '_') || v.is_empty() {
        return None;
    }
    rest_is_blank_or_comment(tail).then(|| param.to_string())
}

/// Python's `readlines()`: lines with their ends.
fn readlines(s: &str) -> Vec<&str> {
    s.split_inclusive('\n').collect()
}

impl Found {
    fn persistently_loaded(&self, name: &str) -> bool {
        self.load_files
            .iter()
            .any(|(_, t)| readlines(t).iter().any(|l| lists_module(l, name)))
    }

    fn permanent_params(&self, name: &str) -> std::collections::BTreeSet<String> {
        self.option_files
            .iter()
            .flat_map(|(_, t)| readlines(t).into_iter().filter_map(|l| option_of(l, name)))
            .collect()
    }
}

/// File writes for the persistence part: (path, content).
pub fn persistence(a: &ModprobeArgs, f: &Found) -> (bool, Vec<(String, String)>) {
    let name = &a.name;
    let wanted: std::collections::BTreeSet<String> =
        a.params.split_whitespace().map(str::to_string).collect();
    let params_set = wanted == f.permanent_params(name);
    let listed = f.persistently_loaded(name);
    let mut writes = Vec::new();
    let mut changed = false;
    // Comments out matching lines; the module rejoins readlines() with "\n".
    let disable =
        |files: &Files, hit: &dyn Fn(&str) -> bool, writes: &mut Vec<(String, String)>| {
            for (path, text) in files {
                let lines = readlines(text);
                if lines.iter().any(|l| hit(l)) {
                    let new: Vec<String> = lines
                        .iter()
                        .map(|l| {
                            if hit(l) {
                                format!("#{l}")
                            } else {
                                l.to_string()
                            }
                        })
                        .collect();
                    writes.push((path.clone(), new.join("\n")));
                }
            }
        };
    match a.persistent.as_str() {
        "present" if !(listed && params_set) => {
            if !listed {
                writes.push((format!("{LOAD_DIR}/{name}.conf"), format!("{name}\n")));
                changed = true;
            }
            if !params_set {
                disable(
                    &f.option_files,
                    &|l| option_of(l, name).is_some(),
                    &mut writes,
                );
                let body: Vec<String> = a
                    .params
                    .split_whitespace()
                    .map(|p| format!("options {name} {p}"))
                    .collect();
                writes.push((
                    format!("{OPTIONS_DIR}/{name}.conf"),
                    format!("{}\n", body.join("\n")),
                ));
                changed = true;
            }
        }
        "absent" if listed || !f.permanent_params(name).is_empty() => {
            if listed {
                disable(&f.load_files, &|l| lists_module(l, name), &mut writes);
                changed = true;
            }
            if !f.permanent_params(name).is_empty() {
                disable(
                    &f.option_files,
                    &|l| option_of(l, name).is_some(),
                    &mut writes,
                );
                changed = true;
            }
        }
        _ => {}
    }
    (changed, writes)
}

fn probe_script(a: &ModprobeArgs) -> String {
    let under = quote(&format!("{} ", a.name.replace('-', "_")));
    let ko = quote(&format!("/{}.ko", a.name));
    let mut s = format!(
        "command -v modprobe >/dev/null 2>&1 || kv nomodprobe \"$PATH\"\nm={under}\nb=\"/lib/modules/$(uname -r)/modules.builtin\"\nif [ ! -r /proc/modules ]; then kv nobuiltin /proc/modules\nelif grep -q \"^$m\" /proc/modules 2>/dev/null; then kv loaded 1\nelif [ ! -r \"$b\" ]; then kv nobuiltin \"$b\"\nelif awk -v k={ko} 'substr($0, length($0)-length(k)+1) == k {{f=1}} END {{exit !f}}' \"$b\"; then kv loaded 1; fi\n"
    );
    for (key, dir) in [("ld", LOAD_DIR), ("od", OPTIONS_DIR)] {
        s.push_str(&format!(
            "i=0; for f in {dir}/* {dir}/.*; do [ -f \"$f\" ] || continue; kv {key}p$i \"$f\"; kfile {key}c$i \"$f\"; i=$((i+1)); done\n"
        ));
    }
    s
}

fn files(r: &Reply, key: &str) -> Files {
    (0..)
        .map_while(|i| {
            let p = r.text(&format!("{key}p{i}"))?;
            Some((p, r.text(&format!("{key}c{i}")).unwrap_or_default()))
        })
        .collect()
}

fn result(a: &ModprobeArgs, changed: bool) -> ModResult {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(changed));
    r.insert("name".into(), json!(a.name));
    r.insert("params".into(), json!(a.params));
    r.insert(
        "state".into(),
        json!(if a.present { "present" } else { "absent" }),
    );
    r
}

fn fail(a: &ModprobeArgs, changed: bool, rc: i32, out: &str, err: &str) -> ModResult {
    let mut r = result(a, changed);
    r.insert("failed".into(), json!(true));
    r.insert("msg".into(), json!(err));
    r.insert("rc".into(), json!(rc));
    super::accounts::put_output(&mut r, out, err);
    r
}

/// The modprobe command line (`-r` to unload, `-n` for a dry run).
fn modprobe_line(a: &ModprobeArgs, dry: bool) -> Result<String, String> {
    let mut w: Vec<String> = vec!["modprobe".into()];
    if a.present {
        if dry {
            w.push("-n".into());
        }
        w.push(a.name.clone());
        w.extend(super::command::shell_words(&a.params)?);
    } else {
        w.extend(["-r".into(), a.name.clone()]);
        if dry {
            w.push("-n".into());
        }
    }
    Ok(format!(
        "LANGUAGE=C LC_ALL=C {}",
        super::accounts::argv_line(&w)
    ))
}

pub struct Plan {
    run_modprobe: bool,
    writes: Vec<(String, String)>,
}

#[async_trait::async_trait]
impl Module for Modprobe {
    type Args = ModprobeArgs;
    type State = Plan;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<ModprobeArgs, String> {
        let r = ArgReader::new(&SPEC, args);
        r.require(&["name"])?;
        Ok(ModprobeArgs {
            name: r.str("name").unwrap_or_default(),
            present: r.choice("state", Some("present"))?.as_deref() != Some("absent"),
            params: r.str_or("params", ""),
            persistent: r
                .choice("persistent", Some("disabled"))?
                .unwrap_or_else(|| "disabled".into()),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &ModprobeArgs) -> Result<Step<Plan>, ModuleError> {
        let reply = probe(ctx, &probe_script(a)).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(super::failed(e)));
        }
        if let Some(path) = reply.text("nomodprobe") {
            return Ok(Step::Done(super::failed(format!(
                "Failed to find required executable \"modprobe\" in paths: {path}"
            ))));
        }
        if let Some(b) = reply.text("nobuiltin") {
            // The module reads /proc/modules, then modules.builtin when the
            // module is not listed, and fails when it cannot open either.
            let mut r = result(a, false);
            r.insert("failed".into(), json!(true));
            r.insert(
                "msg".into(),
                json!(format!("[Errno 2] No such file or directory: '{b}'")),
            );
            return Ok(Step::Done(r));
        }
        let found = Found {
            loaded: reply.has("loaded"),
            load_files: files(&reply, "ld"),
            option_files: files(&reply, "od"),
        };
        let run_modprobe = a.present != found.loaded;
        let mut changed = false;
        if run_modprobe {
            // The module's check mode runs modprobe with -n and reports a
            // change; a dry run here catches the same errors before acting.
            let line = match modprobe_line(a, true) {
                Ok(l) => l,
                Err(e) => return Ok(Step::Done(super::failed(e))),
            };
            let out = ctx.run(&line, None).await?;
            if out.rc != 0 {
                let err = String::from_utf8_lossy(&out.stderr).into_owned();
                return Ok(Step::Done(fail(
                    a,
                    false,
                    out.rc,
                    &String::from_utf8_lossy(&out.stdout),
                    &err,
                )));
            }
            changed = true;
        }
        let (pchanged, writes) = persistence(a, &found);
        changed |= pchanged;
        if !changed {
            return Ok(Step::Done(result(a, false)));
        }
        Ok(Step::Change {
            check: result(a, true),
            state: Plan {
                run_modprobe,
                writes,
            },
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &ModprobeArgs,
        p: Plan,
    ) -> Result<ModResult, ModuleError> {
        let mut changed = !p.writes.is_empty();
        let mut warnings = Vec::new();
        if p.run_modprobe {
            let line = modprobe_line(a, false).unwrap_or_default();
            let out = ctx.run(&line, None).await?;
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            if out.rc != 0 {
                return Ok(fail(
                    a,
                    false,
                    out.rc,
                    &String::from_utf8_lossy(&out.stdout),
                    &err,
                ));
            }
            if a.present {
                let check = probe(ctx, &probe_script(a)).await?;
                if check.has("loaded") {
                    changed = true;
                } else {
                    let first = format!(
                        "LANGUAGE=C LC_ALL=C modprobe -n --first-time {} {}",
                        quote(&a.name),
                        super::command::shell_words(&a.params)
                            .unwrap_or_default()
                            .iter()
                            .map(|w| quote(w))
                            .collect::<Vec<_>>()
                            .join(" ")
                    );
                    let o = ctx.run(&first, None).await?;
                    if o.rc != 0 {
                        warnings.push(String::from_utf8_lossy(&o.stderr).into_owned());
                    }
                }
            } else {
                changed = true;
            }
        }
        if !p.writes.is_empty() {
            let specs: Vec<WriteSpec<'_>> = p
                .writes
                .iter()
                .map(|(path, text)| WriteSpec {
                    dest: path,
                    source: Source::Bytes(text.as_bytes()),
                    uid: None,
                    gid: None,
                    strict_ids: false,
                    mode: 0o644,
                    backup: false,
                    validate: None,
                    mkdirs: false,
                    md5: false,
                })
                .collect();
            let script = match script_many(&specs) {
                Ok(s) => s,
                Err(e) => return Ok(super::failed(e)),
            };
            let stdin: Vec<u8> = p.writes.iter().flat_map(|(_, t)| t.bytes()).collect();
            let reply = Reply::from_output(&run_script(ctx, &script, Some(&stdin)).await?);
            for i in 0..specs.len() {
                if let Err(e) = outcome_at(&reply, i) {
                    return Ok(super::failed(format!("{e:?}")));
                }
            }
        }
        let mut r = result(a, changed);
        if !warnings.is_empty() {
            r.insert("warnings".into(), json!(warnings));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(persistent: &str, params: &str) -> ModprobeArgs {
        ModprobeArgs {
            name: "br_netfilter".into(),
            present: true,
            params: params.into(),
            persistent: persistent.into(),
        }
    }

    #[test]
    fn line_matching() {
        assert!(lists_module("br_netfilter\n", "br_netfilter"));
        assert!(lists_module("  br_netfilter  # k8s\n", "br_netfilter"));
        assert!(!lists_module("br_netfilter2\n", "br_netfilter"));
        assert!(!lists_module("#br_netfilter\n", "br_netfilter"));
        assert_eq!(
            option_of("options br_netfilter foo=1 ; x\n", "br_netfilter").as_deref(),
            Some("foo=1")
        );
        assert_eq!(
            option_of("options br_netfilter foo=1 bar=2\n", "br_netfilter"),
            None
        );
    }

    #[test]
    fn persistence_writes_the_modules_files() {
        let f = Found::default();
        let (changed, w) = persistence(&args("present", "a=1 b=2"), &f);
        assert!(changed);
        assert_eq!(
            w,
            vec![
                (
                    "/etc/modules-load.d/br_netfilter.conf".to_string(),
                    "br_netfilter\n".to_string()
                ),
                (
                    "/etc/modprobe.d/br_netfilter.conf".to_string(),
                    "options br_netfilter a=1\noptions br_netfilter b=2\n".to_string()
                ),
            ]
        );
        let done = Found {
            loaded: true,
            load_files: vec![("/etc/modules-load.d/k.conf".into(), "br_netfilter\n".into())],
            option_files: vec![(
                "/etc/modprobe.d/br_netfilter.conf".into(),
                "options br_netfilter a=1\noptions br_netfilter b=2\n".into(),
            )],
        };
        assert_eq!(
            persistence(&args("present", "b=2 a=1"), &done),
            (false, vec![])
        );
        let (changed, w) = persistence(&args("absent", ""), &done);
        assert!(changed);
        // The module joins readlines() with "\n": every line end doubles.
        assert_eq!(
            w[0],
            (
                "/etc/modules-load.d/k.conf".into(),
                "#br_netfilter\n".into()
            )
        );
        assert_eq!(
            w[1].1,
            "#options br_netfilter a=1\n\n#options br_netfilter b=2\n"
        );
    }
}
