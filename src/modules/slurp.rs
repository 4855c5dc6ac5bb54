// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `slurp`: a file's bytes from the host, base64-encoded (one probe).

use super::args::ArgReader;
use super::probe::{expand_home, needs_home, probe, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use base64::Engine as _;
use serde_json::json;

pub struct Slurp;

static SPEC: ModuleSpec = ModuleSpec {
    name: "slurp",
    args: &[
        ArgSpec::new("src", T::Path).required().aliases(&["path"]),
        ArgSpec::new("armor", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct SlurpArgs {
    src: String,
    armor: bool,
}

#[async_trait::async_trait]
impl Module for Slurp {
    type Args = SlurpArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<SlurpArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["src"])?;
        Ok(SlurpArgs {
            src: a.str("src").unwrap_or_default(),
            armor: a.bool("armor", true)?,
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &SlurpArgs) -> Result<Step<()>, ModuleError> {
        let mut s = format!("p={}\n", sh_path(&a.src));
        if needs_home(&a.src) {
            s.push_str("kv home \"$HOME\"\n");
        }
        s.push_str(
            "if [ ! -e \"$p\" ]; then kv errno ENOENT\nelif [ -d \"$p\" ]; then kv errno EISDIR\nelif [ ! -r \"$p\" ]; then kv errno EACCES\nelse kfile content \"$p\" || kv errno EIO; fi\n",
        );
        let reply = probe(ctx, &s).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let source = expand_home(&a.src, reply.text("home").as_deref());
        if let Some(errno) = reply.text("errno") {
            return Ok(Step::Done(failed(match errno.as_str() {
                "ENOENT" => format!("File not found: {source}"),
                "EACCES" => format!("File is not readable: {source}"),
                "EISDIR" => format!("Source is a directory and must be a file: {source}"),
                // Ansible's message here lacks the f-string prefix.
                _ => "Unable to slurp file: {source}".to_string(),
            })));
        }
        let bytes = reply.bytes("content").unwrap_or_default();
        let (content, encoding) = if a.armor {
            (
                base64::engine::general_purpose::STANDARD.encode(bytes),
                "base64",
            )
        } else {
            (String::from_utf8_lossy(bytes).into_owned(), "utf-8")
        };
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        r.insert("content".into(), json!(content));
        r.insert("source".into(), json!(source));
        r.insert("encoding".into(), json!(encoding));
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &SlurpArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}
