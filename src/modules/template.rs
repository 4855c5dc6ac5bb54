// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `template`: renders a controller template (searched in the playbook's
//! `templates/`, then its directory) with the task's variables and the
//! template module's Jinja settings (`trim_blocks` on, trailing newline
//! kept), then copies the text to the host exactly as `copy` does.

use super::args::{ArgReader, file_args};
use super::copy::{
    CopyArgs, CopyPlan, LocalSource, apply_plan, find_needle, find_needle_in, plan_local,
    playbook_dir,
};
use super::perms::{FileAttrs, ModeArg};
use super::probe::basename;
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::span::Span;
use crate::template::{Resolver, TemplateError, TemplateOptions};

/// The template module's Jinja settings (its arguments).
#[derive(Debug, Clone)]
pub struct FileOptions {
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
    /// `\n`, `\r` or `\r\n`: every newline of the template text becomes this.
    pub newline_sequence: String,
    pub variable: (String, String),
    pub block: (String, String),
    pub comment: (String, String),
    /// Directories `{% include %}` and `{% import %}` search, in order.
    pub search: Vec<std::path::PathBuf>,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            trim_blocks: true,
            lstrip_blocks: false,
            newline_sequence: "\n".into(),
            variable: ("{{".into(), "}}".into()),
            block: ("{%".into(), "%}".into()),
            comment: ("{#".into(), "#}".into()),
            search: Vec::new(),
        }
    }
}

impl FileOptions {
    fn jinja(&self) -> TemplateOptions {
        TemplateOptions {
            block_start_string: self.block.0.clone(),
            block_end_string: self.block.1.clone(),
            variable_start_string: self.variable.0.clone(),
            variable_end_string: self.variable.1.clone(),
            comment_start_string: self.comment.0.clone(),
            comment_end_string: self.comment.1.clone(),
            trim_blocks: self.trim_blocks,
            lstrip_blocks: self.lstrip_blocks,
            newline_sequence: self.newline_sequence.clone(),
            ..TemplateOptions::default()
        }
    }
}

/// Renders with the module's settings and include path.
fn render(
    t: &crate::template::Templar,
    text: &str,
    vars: &dyn Resolver,
    opts: &FileOptions,
) -> Result<String, TemplateError> {
    t.render_file_in(text, vars, &opts.jinja(), &opts.search)
}
use minijinja::value::Value;
use serde_json::{Value as Json, json};

pub struct Template;

static SPEC: ModuleSpec = ModuleSpec {
    name: "template",
    args: file_args![
        ArgSpec::new("src", T::Path).required(),
        ArgSpec::new("dest", T::Path).required(),
        ArgSpec::new("backup", T::Bool),
        ArgSpec::new("force", T::Bool),
        ArgSpec::new("validate", T::Str),
        ArgSpec::new("follow", T::Bool),
        ArgSpec::new("newline_sequence", T::Str),
        ArgSpec::new("trim_blocks", T::Bool),
        ArgSpec::new("lstrip_blocks", T::Bool),
        ArgSpec::new("variable_start_string", T::Str),
        ArgSpec::new("variable_end_string", T::Str),
        ArgSpec::new("block_start_string", T::Str),
        ArgSpec::new("block_end_string", T::Str),
        ArgSpec::new("comment_start_string", T::Str),
        ArgSpec::new("comment_end_string", T::Str),
        ArgSpec::new("output_encoding", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct TemplateArgs {
    src: String,
    copy: CopyArgs,
    opts: FileOptions,
    /// An argument problem reported as the task's failure.
    problem: Option<String>,
}

/// The task's variables plus the template module's own (`template_path`...).
struct Overlay<'a> {
    extra: Vec<(String, Value)>,
    base: &'a dyn Resolver,
}

impl Resolver for Overlay<'_> {
    fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError> {
        if let Some((_, v)) = self.extra.iter().find(|(k, _)| k == name) {
            return Ok(Some(v.clone()));
        }
        self.base.resolve(name)
    }
}

/// Python's `str(datetime)` of a local time.
fn py_datetime(t: std::time::SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Local> = t.into();
    dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The owner's name of a controller file, or its uid.
fn owner_of(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    let uid = meta.uid();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() > 2 && f[2].parse::<u32>().ok() == Some(uid))
                .map(|f| f[0].to_string())
        })
        .unwrap_or_else(|| uid.to_string())
}

#[async_trait::async_trait]
impl Module for Template {
    type Args = TemplateArgs;
    type State = CopyPlan;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn controller_file(&self, playbook_dir: &str, t: &TemplateArgs) -> Option<String> {
        if t.problem.is_some() {
            return None;
        }
        find_needle_in(playbook_dir, "templates", &t.src).ok()
    }

    fn parse(&self, args: &Args) -> Result<TemplateArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        FileAttrs::reject_unsupported(&a)?;
        let mode_raw = a.raw("mode");
        let preserve = mode_raw.and_then(Json::as_str) == Some("preserve");
        let mode = match mode_raw {
            Some(v) if !preserve => ModeArg::from_json(v)?,
            _ => None,
        };
        let mut newline = a.str_or("newline_sequence", "\n");
        // Written with a backslash in YAML single quotes: Ansible accepts both.
        newline = match newline.as_str() {
            "\\n" => "\n".into(),
            "\\r" => "\r".into(),
            "\\r\\n" => "\r\n".into(),
            _ => newline,
        };
        let mut problem = None;
        if !matches!(newline.as_str(), "\n" | "\r" | "\r\n") {
            problem = Some("newline_sequence needs to be one of: \n, \r or \r\n".to_string());
        }
        let encoding = a
            .str_or("output_encoding", "utf-8")
            .to_lowercase()
            .replace('_', "-");
        if !matches!(encoding.as_str(), "utf-8" | "utf8") {
            problem = Some(format!(
                "kiln: output_encoding {encoding} is not supported (only utf-8)"
            ));
        }
        if a.str("src").is_none() || a.str("dest").is_none() {
            problem = Some("src and dest are required".into());
        }
        let delims = |s: &str, e: &str, ds: &str, de: &str| (a.str_or(s, ds), a.str_or(e, de));
        Ok(TemplateArgs {
            src: a.str("src").unwrap_or_default(),
            copy: CopyArgs {
                src: None,
                dest: a.str("dest").unwrap_or_default(),
                backup: a.bool("backup", false)?,
                force: a.bool("force", true)?,
                validate: a.str("validate"),
                remote_src: false,
                follow: Some(a.bool("follow", false)?),
                attrs: FileAttrs {
                    mode,
                    owner: a.str("owner"),
                    group: a.str("group"),
                },
                preserve,
                expected: None,
                directory_mode: None,
                local_follow: true,
                local_follow_given: None,
                decrypt: true,
            },
            opts: FileOptions {
                trim_blocks: a.bool("trim_blocks", true)?,
                lstrip_blocks: a.bool("lstrip_blocks", false)?,
                newline_sequence: newline,
                variable: delims("variable_start_string", "variable_end_string", "{{", "}}"),
                block: delims("block_start_string", "block_end_string", "{%", "%}"),
                comment: delims("comment_start_string", "comment_end_string", "{#", "#}"),
                search: Vec::new(),
            },
            problem,
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        t: &TemplateArgs,
    ) -> Result<Step<CopyPlan>, ModuleError> {
        if let Some(p) = &t.problem {
            return Ok(Step::Done(failed(p.clone())));
        }
        let source = match find_needle(ctx, "templates", &t.src) {
            Ok(s) => s,
            Err(e) => return Ok(Step::Done(not_found(&e))),
        };
        let meta = match std::fs::metadata(&source) {
            Ok(m) => m,
            Err(e) => return Ok(Step::Done(failed(format!("{source}: {e}")))),
        };
        // A vault template is decrypted on the controller (as Ansible's
        // template action does); what it renders is then a secret too.
        let vault = ctx.templar.vault();
        // Raw bytes, maybe read ahead of the barrier; decrypted here, at use.
        let (text, secret) = match ctx.files.read(std::path::Path::new(&source)) {
            Ok(raw) => match crate::vault::read::decrypt_bytes(
                zeroize::Zeroizing::new(raw.to_vec()),
                vault,
                &source,
            ) {
                Ok(plain) => match std::str::from_utf8(&plain) {
                    Ok(s) => (s.to_string(), plain.was_encrypted()),
                    Err(_) => {
                        return Ok(Step::Done(failed(format!("{source} is not UTF-8 text"))));
                    }
                },
                Err(e) => return Ok(Step::Done(failed(e.to_string()))),
            },
            Err(e) => return Ok(Step::Done(failed(format!("{source}: {e}")))),
        };
        let mut opts = t.opts.clone();
        let base = std::path::PathBuf::from(playbook_dir(ctx));
        let own = std::path::Path::new(&source)
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        for d in [base.clone(), own] {
            opts.search.push(d.join("templates"));
            opts.search.push(d);
        }
        let mtime = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        let mut extra = vec![
            ("template_host".to_string(), Value::from(hostname())),
            ("template_path".to_string(), Value::from(t.src.clone())),
            (
                "template_mtime".to_string(),
                Value::from(py_datetime(mtime)),
            ),
            ("template_uid".to_string(), Value::from(owner_of(&meta))),
            (
                "template_run_date".to_string(),
                Value::from(py_datetime(std::time::SystemTime::now())),
            ),
            (
                "template_destpath".to_string(),
                Value::from(t.copy.dest.clone()),
            ),
            ("template_fullpath".to_string(), Value::from(source.clone())),
        ];
        if !matches!(ctx.vars.resolve("ansible_managed"), Ok(Some(_))) {
            extra.push(("ansible_managed".into(), Value::from("Ansible managed")));
        }
        let vars = Overlay {
            extra,
            base: ctx.vars,
        };
        let rendered = match render(ctx.templar, &text, &vars, &opts) {
            Ok(s) => s,
            Err(e) => return Ok(Step::Done(render_failed(&e, &source))),
        };
        if secret {
            vault
                .revealed()
                .mark(rendered.trim_end_matches(['\r', '\n']));
        }
        use std::os::unix::fs::PermissionsExt;
        let src = LocalSource {
            bytes: rendered.into_bytes(),
            rel: basename(&source).to_string(),
            path: Some(source.clone()),
            perm: Some(meta.permissions().mode() & 0o7777),
            big: None,
        };
        plan_local(ctx, &t.copy, &src).await
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        t: &TemplateArgs,
        plan: CopyPlan,
    ) -> Result<ModResult, ModuleError> {
        let mut r = apply_plan(ctx, &t.copy, plan).await?;
        if !r.contains_key("diff") {
            r.insert("diff".into(), json!([]));
        }
        Ok(r)
    }
}

/// A template file that would not render: Ansible's error names the task,
/// then the template file as the cause's place (with the line for a syntax
/// error, where Jinja knows it).
fn render_failed(e: &TemplateError, source: &str) -> ModResult {
    let at = match e.inner {
        Some((line, _)) if e.message.starts_with("Syntax error in template") => {
            Span::new(source, u32::try_from(line).unwrap_or(0), 0)
        }
        _ => Span::synthetic(source),
    };
    let mut f = failed(format!("Task failed: {}", e.message));
    f.insert("changed".into(), json!(false));
    f.insert(
        super::ERROR_DETAIL.into(),
        json!(format!(
            "Task failed: {m}\n\nTask failed.{c}{m}\n{o}",
            m = e.message,
            c = super::CAUSED_BY,
            o = crate::output::origin_block(&at)
        )),
    );
    f
}

/// A template found nowhere: the search is the cause, and `msg` carries it
/// without the "Task failed" prefix, as Ansible's template action reports.
fn not_found(e: &str) -> ModResult {
    let mut f = failed(e);
    f.insert("changed".into(), json!(false));
    f.insert(
        super::ERROR_DETAIL.into(),
        json!(format!(
            "Task failed: {e}\n\nTask failed.{}{e}\n",
            super::CAUSED_BY
        )),
    );
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Templar;
    use std::collections::HashMap;

    struct Vars(HashMap<&'static str, Value>);
    impl Resolver for Vars {
        fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError> {
            Ok(self.0.get(name).cloned())
        }
    }

    #[test]
    fn file_settings_trim_blocks_and_keep_the_newline() {
        let t = Templar::new();
        let vars = Vars(HashMap::from([
            ("items", Value::from(vec!["a", "b"])),
            ("name", Value::from("kiln")),
        ]));
        let text = "{% for i in items %}\n- {{ i }}\n{% endfor %}\nhello {{ name }}\n";
        let out = render(&t, text, &vars, &FileOptions::default()).unwrap();
        assert_eq!(out, "- a\n- b\nhello kiln\n");
        let crlf = FileOptions {
            newline_sequence: "\r\n".into(),
            ..FileOptions::default()
        };
        assert_eq!(render(&t, "a\nb\n", &vars, &crlf).unwrap(), "a\r\nb\r\n");
        let custom = FileOptions {
            variable: ("[[".into(), "]]".into()),
            trim_blocks: false,
            ..FileOptions::default()
        };
        assert_eq!(
            render(&t, "{{ x }} [[ name ]]", &vars, &custom).unwrap(),
            "{{ x }} kiln"
        );
        let err = render(&t, "{{ nope }}", &vars, &FileOptions::default()).unwrap_err();
        assert!(err.message.contains("nope"), "{}", err.message);
    }
}
