// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `replace`: every match of a (multiline) regexp replaced, optionally only
//! between `after` and `before`; computed on the controller from the probe's
//! copy of the file, written with the safe write.

use super::args::{ArgReader, file_args};
use super::edit::{EditApply, apply_edit, attr_message, failed_rc, load};
use super::perms::FileAttrs;
use super::pyre::{compile, subn, universal_newlines};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::json;

pub struct Replace;

static SPEC: ModuleSpec = ModuleSpec {
    name: "replace",
    args: file_args![
        ArgSpec::new("path", T::Path)
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("regexp", T::Str).required(),
        ArgSpec::new("replace", T::Str),
        ArgSpec::new("after", T::Str),
        ArgSpec::new("before", T::Str),
        ArgSpec::new("backup", T::Bool),
        ArgSpec::new("validate", T::Str),
        ArgSpec::new("encoding", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct ReplaceArgs {
    path: String,
    regexp: String,
    replace: String,
    after: Option<String>,
    before: Option<String>,
    backup: bool,
    validate: Option<String>,
    attrs: FileAttrs,
}

/// The outcome of the text edit.
#[derive(Debug, PartialEq)]
pub enum Edit {
    /// The after/before section pattern did not match.
    NoSection(String),
    /// The new text and the number of replacements (0: unchanged).
    Done(String, usize),
}

/// Ansible's replace on `contents`.
pub fn replace_text(
    contents: &str,
    regexp: &str,
    repl: &str,
    after: Option<&str>,
    before: Option<&str>,
) -> Result<Edit, String> {
    let pattern = match (
        after.filter(|s| !s.is_empty()),
        before.filter(|s| !s.is_empty()),
    ) {
        (Some(a), Some(b)) => format!("{a}(?P<subsection>.*?){b}"),
        (Some(a), None) => format!("{a}(?P<subsection>.*)"),
        (None, Some(b)) => format!("(?P<subsection>.*){b}"),
        (None, None) => String::new(),
    };
    let (section, range) = if pattern.is_empty() {
        (contents, 0..contents.len())
    } else {
        let re = compile(&pattern, false, true)?;
        match re.captures(contents).and_then(|c| c.name("subsection")) {
            Some(m) => (&contents[m.range()], m.range()),
            None => {
                return Ok(Edit::NoSection(format!(
                    "Pattern for before/after params did not match the given file: {pattern}"
                )));
            }
        }
    };
    let re = compile(regexp, true, false)?;
    let (replaced, n) = subn(&re, repl, section)
        .map_err(|e| format!("Unable to process replace due to error: {e}"))?;
    if n == 0 || replaced == section {
        return Ok(Edit::Done(contents.to_string(), 0));
    }
    let full = format!(
        "{}{}{}",
        &contents[..range.start],
        replaced,
        &contents[range.end..]
    );
    Ok(Edit::Done(full, n))
}

/// The module's edit of the file's text (`None`: no file), before
/// attributes: the text as read (universal newlines), the new text,
/// whether it changed and the message; `Err` is the step that ends the task.
#[allow(clippy::type_complexity)]
pub fn edit_file<S>(
    a: &ReplaceArgs,
    path: &str,
    contents: Option<&str>,
) -> Result<(String, String, bool, String), Step<S>> {
    let Some(contents) = contents else {
        return Err(failed_rc(format!("Path {path} does not exist !"), 257));
    };
    let contents = universal_newlines(contents);
    let (new_text, n) = match replace_text(
        &contents,
        &a.regexp,
        &a.replace,
        a.after.as_deref(),
        a.before.as_deref(),
    ) {
        Err(e) => return Err(Step::Done(failed(e))),
        Ok(Edit::NoSection(msg)) => {
            let mut result = ModResult::new();
            result.insert("rc".into(), json!(0));
            result.insert("msg".into(), json!(msg));
            result.insert("changed".into(), json!(false));
            return Err(Step::Done(result));
        }
        Ok(Edit::Done(t, n)) => (t, n),
    };
    let changed = n > 0;
    let msg = if changed {
        format!("{n} replacements made")
    } else {
        String::new()
    };
    Ok((contents, new_text, changed, msg))
}

pub struct ReplacePlan {
    edit: EditApply,
    result: ModResult,
}

#[async_trait::async_trait]
impl Module for Replace {
    type Args = ReplaceArgs;
    type State = ReplacePlan;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<ReplaceArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["path", "regexp"])?;
        Ok(ReplaceArgs {
            path: a.str("path").unwrap_or_default(),
            regexp: a.str("regexp").unwrap_or_default(),
            replace: a.str_or("replace", ""),
            after: a.str("after"),
            before: a.str("before"),
            backup: a.bool("backup", false)?,
            validate: a.str("validate"),
            attrs: FileAttrs::from_args(&a)?,
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &ReplaceArgs,
    ) -> Result<Step<ReplacePlan>, ModuleError> {
        let t = match load(ctx, &a.path, &a.attrs).await? {
            Ok(t) => t,
            Err(f) => return Ok(Step::Done(f)),
        };
        let path = t.path.clone();
        if t.is_dir {
            return Ok(failed_rc(format!("Path {path} is a directory !"), 256));
        }
        let contents = if t.exists {
            match t.text() {
                Ok(s) => Some(s),
                Err(e) => return Ok(Step::Done(failed(e))),
            }
        } else {
            None
        };
        let (contents, new_text, changed, msg) = match edit_file(a, &path, contents.as_deref()) {
            Ok(x) => x,
            Err(done) => return Ok(done),
        };
        let mut result = ModResult::new();
        result.insert("rc".into(), json!(0));
        if changed && ctx.diff {
            result.insert(
                "diff".into(),
                json!({"before_header": path, "before": contents, "after_header": path, "after": new_text}),
            );
        }
        if let Some(v) = &a.validate
            && changed
            && !v.contains("%s")
            && !ctx.check_mode
        {
            return Ok(Step::Done(failed(format!("validate must contain %s: {v}"))));
        }
        let attrs = match t.attr_change(&a.attrs, false) {
            Ok(c) => c,
            Err(m) => {
                let mut f = failed(m);
                f.insert("path".into(), json!(path));
                return Ok(Step::Done(f));
            }
        };
        let (msg, any) = attr_message(&msg, changed, &attrs);
        result.insert("msg".into(), json!(msg));
        result.insert("changed".into(), json!(any));
        if !any {
            return Ok(Step::Done(result));
        }
        let mut edit = EditApply::new(&t, changed.then(|| new_text.into_bytes()), attrs, false);
        edit.backup = a.backup;
        edit.validate = a.validate.clone();
        Ok(Step::Change {
            check: result.clone(),
            state: ReplacePlan { edit, result },
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        _: &ReplaceArgs,
        p: ReplacePlan,
    ) -> Result<ModResult, ModuleError> {
        apply_edit(ctx, &p.edit, p.result, "backup_file").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_everywhere_or_in_a_section() {
        assert_eq!(
            replace_text("a=1\nb=1\n", r"=1$", "=2", None, None).unwrap(),
            Edit::Done("a=2\nb=2\n".into(), 2)
        );
        assert_eq!(
            replace_text(
                "x\n[s]\na=1\n[t]\na=1\n",
                r"^a=1$",
                "a=9",
                Some(r"\[s\]"),
                Some(r"\[t\]")
            )
            .unwrap(),
            Edit::Done("x\n[s]\na=9\n[t]\na=1\n".into(), 1)
        );
        assert_eq!(
            replace_text("host 1\n", r"^host (\d)", r"server \1", None, None).unwrap(),
            Edit::Done("server 1\n".into(), 1)
        );
        assert_eq!(
            replace_text("same\n", "same", "same", None, None).unwrap(),
            Edit::Done("same\n".into(), 0)
        );
        assert!(matches!(
            replace_text("abc", "b", "x", Some("zzz"), None).unwrap(),
            Edit::NoSection(m) if m.contains("zzz(?P<subsection>.*)")
        ));
    }
}

/// kiln's replacements against ansible-core 2.21's `replace` on the same
/// file, recorded by tests/oracle/record_file_edits.py into tests/replace_cases/.
#[cfg(test)]
mod oracle_cases {
    use super::*;
    use serde_json::Value as Json;

    const CASES: &str = include_str!("../../tests/replace_cases/cases.json");
    const EXPECTED: &str = include_str!("../../tests/replace_cases/expected.json");

    fn verdict(case: &Json) -> Json {
        let mut args: Args = case["args"].as_object().unwrap().clone();
        args.insert("path".into(), json!("<PATH>"));
        let a = Replace.parse(&args).unwrap();
        let before = case["before"].as_str();
        match edit_file::<()>(&a, "<PATH>", before) {
            Err(Step::Done(r)) => crate::modules::final_edit_json(&r, before),
            Err(_) => json!("a change step where a final one was expected"),
            // The module writes only when something changed; the rc is
            // always there.
            Ok((_, text, changed, msg)) => json!({
                "changed": changed,
                "failed": false,
                "msg": msg,
                "rc": 0,
                "after": if changed { Some(text.as_str()) } else { before },
            }),
        }
    }

    #[test]
    fn every_case_edits_the_file_as_ansible_does() {
        crate::modules::assert_oracle_cases(CASES, EXPECTED, 20, verdict, Json::clone);
    }
}
