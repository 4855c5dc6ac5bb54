// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `blockinfile`: a block of lines between two marker lines, inserted,
//! replaced or removed; edited on the controller from the probe's copy of
//! the file and written with the safe write.

use super::args::{ArgReader, file_args};
use super::edit::{EditApply, apply_edit, attr_diff, attr_message, content_diff, failed_rc, load};
use super::perms::FileAttrs;
use super::pyre::{compile, is_multiline, splitlines_keep};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::{Value as Json, json};

pub struct BlockInFile;

static SPEC: ModuleSpec = ModuleSpec {
    name: "blockinfile",
    args: file_args![
        ArgSpec::new("path", T::Path)
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("state", T::Str).choices(&["absent", "present"]),
        ArgSpec::new("marker", T::Str),
        ArgSpec::new("block", T::Str).aliases(&["content"]),
        ArgSpec::new("insertafter", T::Str),
        ArgSpec::new("insertbefore", T::Str),
        ArgSpec::new("create", T::Bool),
        ArgSpec::new("backup", T::Bool),
        ArgSpec::new("validate", T::Str),
        ArgSpec::new("marker_begin", T::Str),
        ArgSpec::new("marker_end", T::Str),
        ArgSpec::new("append_newline", T::Bool),
        ArgSpec::new("prepend_newline", T::Bool),
        ArgSpec::new("encoding", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[&["insertbefore", "insertafter"]],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct BlockArgs {
    path: String,
    present: bool,
    marker: String,
    block: String,
    after: Option<String>,
    before: Option<String>,
    create: bool,
    backup: bool,
    validate: Option<String>,
    begin: String,
    end: String,
    append_newline: bool,
    prepend_newline: bool,
    attrs: FileAttrs,
}

/// The block edit (Ansible's blockinfile main logic) on the file's text
/// (`None` when the file does not exist). Returns the new text.
#[allow(clippy::too_many_arguments)]
pub fn edit_block(
    original: Option<&str>,
    present: bool,
    marker: &str,
    begin: &str,
    end: &str,
    block: &str,
    insertafter: Option<&str>,
    insertbefore: Option<&str>,
    prepend_newline: bool,
    append_newline: bool,
) -> Result<String, String> {
    let sep = "\n";
    let mut lines: Vec<String> = original.map(splitlines_keep).unwrap_or_default();
    let insertafter = match (insertafter, insertbefore) {
        (None, None) => Some("EOF"),
        (a, _) => a,
    };
    let insertre = match (insertafter, insertbefore) {
        (Some(a), _) if a != "EOF" => Some((compile(a, false, false)?, is_multiline(a))),
        (_, Some(b)) if b != "BOF" => Some((compile(b, false, false)?, is_multiline(b))),
        _ => None,
    };
    let marker0 = format!("{}{sep}", marker.replace("{mark}", begin));
    let marker1 = format!("{}{sep}", marker.replace("{mark}", end));
    let blocklines: Vec<String> = if present && !block.is_empty() {
        let mut b = block.to_string();
        if !b.ends_with(sep) {
            b.push_str(sep);
        }
        let mut v = vec![marker0.clone()];
        v.extend(splitlines_keep(&b));
        v.push(marker1.clone());
        v
    } else {
        Vec::new()
    };
    let (mut n0, mut n1) = (None, None);
    for (i, l) in lines.iter().enumerate() {
        if *l == marker0 {
            n0 = Some(i);
        }
        if *l == marker1 {
            n1 = Some(i);
        }
    }
    let mut at = match (n0, n1) {
        (Some(a), Some(b)) if a < b => {
            lines.drain(a..=b);
            a
        }
        (Some(a), Some(b)) => {
            lines.drain(b..=a);
            b
        }
        _ => {
            let mut found: Option<usize> = None;
            if let Some((re, multiline)) = &insertre {
                let text = original.unwrap_or_default();
                if *multiline {
                    if let Some(m) = re.find(text) {
                        if insertafter.is_some() {
                            found = Some(text[..m.end()].matches('\n').count());
                        } else {
                            found = Some(text[..m.start()].matches('\n').count());
                        }
                    }
                } else {
                    for (i, l) in lines.iter().enumerate() {
                        let stripped = l.strip_suffix('\n').unwrap_or(l);
                        if re.is_match(stripped) || re.is_match(l) {
                            found = Some(i);
                        }
                    }
                }
                match found {
                    None => lines.len(),
                    Some(n) if insertafter.is_some() => n + 1,
                    Some(n) => n,
                }
            } else if insertbefore.is_some() {
                0
            } else {
                lines.len()
            }
        }
    };
    if at > lines.len() {
        at = lines.len();
    }
    if at > 0 && !lines[at - 1].ends_with(sep) {
        lines[at - 1].push_str(sep);
    }
    if prepend_newline && present && at != 0 && lines[at - 1] != sep {
        lines.insert(at, sep.to_string());
        at += 1;
    }
    let count = blocklines.len();
    for (k, l) in blocklines.into_iter().enumerate() {
        lines.insert(at + k, l);
    }
    if append_newline && present {
        let after = at + count;
        if after < lines.len() && lines[after] != sep {
            lines.insert(after, sep.to_string());
        }
    }
    Ok(lines.concat())
}

/// The module's edit of the file's text (`None`: no file), before
/// attributes: the new text, whether it changed and the message; `Err` is
/// the step that ends the task (a failure, or an absent block in a file
/// that is not there).
#[allow(clippy::type_complexity)]
pub fn edit_file<S>(
    a: &BlockArgs,
    path: &str,
    original: Option<&str>,
) -> Result<(String, bool, &'static str), Step<S>> {
    if original.is_none() && !a.create {
        return Err(failed_rc(format!("Path {path} does not exist !"), 257));
    }
    if !a.present && original.is_none() {
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        r.insert("msg".into(), json!(format!("File {path} not present")));
        return Err(Step::Done(r));
    }
    let result_text = edit_block(
        original,
        a.present,
        &a.marker,
        &a.begin,
        &a.end,
        &a.block,
        a.after.as_deref(),
        a.before.as_deref(),
        a.prepend_newline,
        a.append_newline,
    )
    .map_err(|e| Step::Done(failed(e)))?;
    let removed = !a.present || a.block.is_empty();
    let (changed, msg) = if original == Some(result_text.as_str()) {
        (false, "")
    } else if original.is_none() {
        (true, "File created")
    } else if removed {
        (true, "Block removed")
    } else {
        (true, "Block inserted")
    };
    Ok((result_text, changed, msg))
}

pub struct BlockPlan {
    edit: EditApply,
    result: ModResult,
}

#[async_trait::async_trait]
impl Module for BlockInFile {
    type Args = BlockArgs;
    type State = BlockPlan;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<BlockArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["path"])?;
        Ok(BlockArgs {
            path: a.str("path").unwrap_or_default(),
            present: a.choice("state", Some("present"))?.as_deref() != Some("absent"),
            marker: a.str_or("marker", "# {mark} ANSIBLE MANAGED BLOCK"),
            block: a.str_or("block", ""),
            after: a.str("insertafter"),
            before: a.str("insertbefore"),
            create: a.bool("create", false)?,
            backup: a.bool("backup", false)?,
            validate: a.str("validate"),
            begin: a.str_or("marker_begin", "BEGIN"),
            end: a.str_or("marker_end", "END"),
            append_newline: a.bool("append_newline", false)?,
            prepend_newline: a.bool("prepend_newline", false)?,
            attrs: FileAttrs::from_args(&a)?,
        })
    }

    async fn plan(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &BlockArgs,
    ) -> Result<Step<BlockPlan>, ModuleError> {
        let t = match load(ctx, &a.path, &a.attrs).await? {
            Ok(t) => t,
            Err(f) => return Ok(Step::Done(f)),
        };
        let path = t.path.clone();
        if t.is_dir {
            return Ok(failed_rc(format!("Path {path} is a directory !"), 256));
        }
        let original = if t.exists {
            match t.text() {
                Ok(s) => Some(s),
                Err(e) => return Ok(Step::Done(failed(e))),
            }
        } else {
            None
        };
        let (result_text, changed, msg) = match edit_file(a, &path, original.as_deref()) {
            Ok(x) => x,
            Err(done) => return Ok(done),
        };
        let diff = content_diff(
            &path,
            ctx.diff,
            original.as_deref().unwrap_or_default(),
            &result_text,
            " (content)",
        );
        if let Some(v) = &a.validate
            && changed
            && !v.contains("%s")
            && !ctx.check_mode
        {
            return Ok(Step::Done(failed(format!("validate must contain %s: {v}"))));
        }
        let creating = !t.exists;
        let mut result = ModResult::new();
        if ctx.check_mode && creating {
            result.insert("changed".into(), json!(changed));
            result.insert("msg".into(), json!(msg));
            result.insert("diff".into(), Json::Object(diff));
            return Ok(if changed {
                Step::Change {
                    check: result,
                    state: BlockPlan {
                        edit: EditApply::new(&t, None, Default::default(), creating),
                        result: ModResult::new(),
                    },
                }
            } else {
                Step::Done(result)
            });
        }
        let attrs = match t.attr_change(&a.attrs, creating) {
            Ok(c) => c,
            Err(m) => {
                let mut f = failed(m);
                f.insert("path".into(), json!(path));
                return Ok(Step::Done(f));
            }
        };
        let (msg, any) = attr_message(msg, changed, &attrs);
        result.insert("changed".into(), json!(any));
        result.insert("msg".into(), json!(msg));
        result.insert(
            "diff".into(),
            json!([Json::Object(diff), attr_diff(&path, &attrs)]),
        );
        if !any {
            return Ok(Step::Done(result));
        }
        let mut edit = EditApply::new(
            &t,
            changed.then(|| result_text.into_bytes()),
            attrs,
            creating,
        );
        edit.backup = a.backup && t.exists;
        edit.validate = a.validate.clone();
        Ok(Step::Change {
            check: result.clone(),
            state: BlockPlan { edit, result },
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        _: &BlockArgs,
        p: BlockPlan,
    ) -> Result<ModResult, ModuleError> {
        apply_edit(ctx, &p.edit, p.result, "backup_file").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(orig: Option<&str>, block: &str, after: Option<&str>, before: Option<&str>) -> String {
        edit_block(
            orig,
            true,
            "# {mark} X",
            "BEGIN",
            "END",
            block,
            after,
            before,
            false,
            false,
        )
        .unwrap()
    }

    #[test]
    fn insert_replace_remove() {
        let once = edit(Some("a\n"), "one\ntwo", None, None);
        assert_eq!(once, "a\n# BEGIN X\none\ntwo\n# END X\n");
        // Same block again: no change; another block replaces it in place.
        assert_eq!(edit(Some(&once), "one\ntwo", None, None), once);
        assert_eq!(
            edit(Some(&format!("{once}z\n")), "new", None, None),
            "a\n# BEGIN X\nnew\n# END X\nz\n"
        );
        let removed = edit_block(
            Some(&once),
            false,
            "# {mark} X",
            "BEGIN",
            "END",
            "",
            None,
            None,
            false,
            false,
        )
        .unwrap();
        assert_eq!(removed, "a\n");
    }

    #[test]
    fn placement() {
        assert_eq!(
            edit(Some("a\nb\n"), "x", None, Some("BOF")),
            "# BEGIN X\nx\n# END X\na\nb\n"
        );
        assert_eq!(
            edit(Some("a\nb\nc\n"), "x", Some("^b"), None),
            "a\nb\n# BEGIN X\nx\n# END X\nc\n"
        );
        assert_eq!(
            edit(Some("a\nb\n"), "x", None, Some("^b")),
            "a\n# BEGIN X\nx\n# END X\nb\n"
        );
        // A last line without a newline gets one.
        assert_eq!(
            edit(Some("a"), "x", None, None),
            "a\n# BEGIN X\nx\n# END X\n"
        );
        assert_eq!(edit(None, "x", None, None), "# BEGIN X\nx\n# END X\n");
        // Multiline pattern: lines counted in the whole text up to the match
        // end, plus one (so a match that ends with its newline skips a line).
        assert_eq!(
            edit(Some("a\nb\nc\n"), "x", Some("(?m)^b$"), None),
            "a\nb\n# BEGIN X\nx\n# END X\nc\n"
        );
        assert_eq!(
            edit(Some("a\nb\nc\n"), "x", Some("(?m)^b\\n"), None),
            "a\nb\nc\n# BEGIN X\nx\n# END X\n"
        );
    }

    #[test]
    fn blank_lines_around() {
        let t = edit_block(
            Some("a\nb\n"),
            true,
            "# {mark}",
            "B",
            "E",
            "x",
            None,
            Some("^b"),
            true,
            true,
        )
        .unwrap();
        assert_eq!(t, "a\n\n# B\nx\n# E\n\nb\n");
    }
}

/// kiln's block edits against ansible-core 2.21's `blockinfile` on the same
/// file, recorded by tests/oracle/record_file_edits.py into
/// tests/blockinfile_cases/.
#[cfg(test)]
mod oracle_cases {
    use super::*;

    const CASES: &str = include_str!("../../tests/blockinfile_cases/cases.json");
    const EXPECTED: &str = include_str!("../../tests/blockinfile_cases/expected.json");

    fn verdict(case: &Json) -> Json {
        let mut args: Args = case["args"].as_object().unwrap().clone();
        args.insert("path".into(), json!("<PATH>"));
        let a = BlockInFile.parse(&args).unwrap();
        let before = case["before"].as_str();
        match edit_file::<()>(&a, "<PATH>", before) {
            Err(Step::Done(r)) => crate::modules::final_edit_json(&r, before),
            Err(_) => json!("a change step where a final one was expected"),
            Ok((text, changed, msg)) => json!({
                "changed": changed,
                "failed": false,
                "msg": msg,
                "after": if changed { Some(text.as_str()) } else { before },
            }),
        }
    }

    #[test]
    fn every_case_edits_the_file_as_ansible_does() {
        crate::modules::assert_oracle_cases(CASES, EXPECTED, 30, verdict, Json::clone);
    }
}
