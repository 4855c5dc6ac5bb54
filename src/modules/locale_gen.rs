// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `community.general.locale_gen`: locales enabled in `/etc/locale.gen` and
//! compiled with `locale-gen`. One probe reads `/etc/locale.gen`, the
//! SUPPORTED lists and `locale -a`; the file is edited as the module edits
//! it. Like the module (its check-mode skip), check mode reports no change.

use super::args::ArgReader;
use super::probe::{PRELUDE, Reply, probe, run_script};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::{Value as Json, json};

pub struct LocaleGen;

static SPEC: ModuleSpec = ModuleSpec {
    name: "locale_gen",
    args: &[
        ArgSpec::new("name", T::List).required(),
        ArgSpec::new("state", T::Str).choices(&["absent", "present"]),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct LocaleArgs {
    names: Vec<String>,
    present: bool,
}

const NORMALIZE: &[(&str, &str)] = &[
    (".utf8", ".UTF-8"),
    (".eucjp", ".EUC-JP"),
    (".iso885915", ".ISO-8859-15"),
    (".cp1251", ".CP1251"),
    (".koi8r", ".KOI8-R"),
    (".armscii8", ".ARMSCII-8"),
    (".euckr", ".EUC-KR"),
    (".gbk", ".GBK"),
    (".gb18030", ".GB18030"),
    (".euctw", ".EUC-TW"),
];

/// `locale -a` spells encodings in either case; the module's normalisation.
fn fix_case(name: &str) -> String {
    let mut n = name.to_string();
    for (s, r) in NORMALIZE {
        n = n.replace(s, r);
    }
    n
}

/// The module's `^\s*#?\s*(\S+[\._\S]+) (\S+)\s*$`: locale and charset.
fn entry(line: &str) -> Option<(String, String)> {
    let l = line.trim_start();
    let l = l.strip_prefix('#').unwrap_or(l).trim_start();
    let body = l.trim_end();
    let (locale, charset) = body.split_once(' ')?;
    if locale.chars().count() < 2
        || locale.contains(char::is_whitespace)
        || charset.is_empty()
        || charset.contains(char::is_whitespace)
    {
        return None;
    }
    Some((locale.to_string(), charset.to_string()))
}

fn not_present(names: &[String], locale_a: &str) -> Vec<String> {
    names
        .iter()
        .filter(|n| !locale_a.lines().any(|l| fix_case(n) == fix_case(l)))
        .cloned()
        .collect()
}

/// `/etc/locale.gen` with the names enabled or commented out.
pub fn edit_locale_gen(text: &str, names: &[String], enable: bool, supported: &str) -> String {
    let mut matched: Vec<&String> = Vec::new();
    let mut out: Vec<String> = text
        .split_inclusive('\n')
        .map(|line| {
            let mut line = line.to_string();
            for n in names {
                let body = line.strip_prefix('#').unwrap_or(&line);
                let rest = body.trim_start_matches([' ', '\t', '\x0b', '\x0c', '\r']);
                if let Some(after) = rest.strip_prefix(n.as_str())
                    && let Some(charset) = after.strip_prefix(' ')
                {
                    let (cs, end) = match charset.strip_suffix('\n') {
                        Some(c) => (c, "\n"),
                        None => (charset, ""),
                    };
                    if !cs.is_empty() {
                        let new = if enable {
                            format!("{n} {cs}{end}")
                        } else {
                            format!("# {n} {cs}{end}")
                        };
                        if new != line {
                            matched.push(n);
                        }
                        line = new;
                    }
                }
            }
            line
        })
        .collect();
    if enable {
        for n in names {
            if matched.contains(&n) {
                continue;
            }
            if let Some((_, cs)) = supported.lines().filter_map(entry).find(|(l, _)| l == n) {
                out.push(format!("{n} {cs}\n"));
            }
        }
    }
    out.concat()
}

fn result(a: &LocaleArgs, changed: bool) -> ModResult {
    let mut r = ModResult::new();
    r.insert("changed".into(), json!(changed));
    // The module's helper variables that it outputs.
    r.insert("ubuntu_mode".into(), json!(false));
    r.insert("mechanism".into(), json!("glibc"));
    r.insert(
        "name".into(),
        Json::Array(a.names.iter().map(|n| json!(n)).collect()),
    );
    r
}

const PROBE: &str = "if [ -e /etc/locale.gen ]; then kfile gen /etc/locale.gen; fi\nktmp || exit 1\nt=$_t\nfor s in /usr/share/i18n/SUPPORTED /usr/local/share/i18n/SUPPORTED; do [ -r \"$s\" ] && cat \"$s\"; done > \"$t\" 2>/dev/null; kfile sup \"$t\"; rm -f -- \"$t\"\nla=$(locale -a 2>&1) || kv laerr \"$la\"; kv la \"$la\"\n";

#[async_trait::async_trait]
impl Module for LocaleGen {
    type Args = LocaleArgs;
    type State = String;

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<LocaleArgs, String> {
        let r = ArgReader::new(&SPEC, args);
        r.require(&["name"])?;
        let names = match r.raw("name") {
            Some(Json::Array(v)) => v
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect(),
            Some(Json::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
            _ => Vec::new(),
        };
        Ok(LocaleArgs {
            names,
            present: r.choice("state", Some("present"))?.as_deref() != Some("absent"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &LocaleArgs) -> Result<Step<String>, ModuleError> {
        let reply = probe(ctx, PROBE).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let Some(current) = reply.text("gen") else {
            return Ok(Step::Done(failed(
                "/etc/locale.gen is missing. Is the package \"locales\" installed?",
            )));
        };
        if let Some(e) = reply.text("laerr") {
            return Ok(Step::Done(failed(e)));
        }
        let supported = reply.text("sup").unwrap_or_default();
        let la = reply.text("la").unwrap_or_default();
        let available: Vec<String> = supported
            .lines()
            .filter_map(entry)
            .map(|(l, _)| l)
            .collect();
        let unknown: Vec<String> = a
            .names
            .iter()
            .filter(|n| !available.contains(n))
            .cloned()
            .collect();
        let unknown = not_present(&unknown, &la);
        if !unknown.is_empty() {
            return Ok(Step::Done(failed(format!(
                "The following locales you have entered are not available on your system: {}",
                unknown.join(", ")
            ))));
        }
        let is_present = not_present(&a.names, &la).is_empty();
        if is_present == a.present {
            return Ok(Step::Done(result(a, false)));
        }
        if ctx.check_mode {
            // The module skips its change in check mode and then finds the
            // state as it was: no change reported.
            return Ok(Step::Done(result(a, false)));
        }
        Ok(Step::Change {
            check: result(a, false),
            state: edit_locale_gen(&current, &a.names, a.present, &supported),
        })
    }

    async fn apply(
        &self,
        ctx: &ModuleCtx<'_>,
        a: &LocaleArgs,
        text: String,
    ) -> Result<ModResult, ModuleError> {
        let script = format!(
            "{PRELUDE}cat > /etc/locale.gen || {{ kv err 'cannot write /etc/locale.gen'; exit 0; }}\no=$(locale-gen 2>&1) || {{ kv err \"$o\"; exit 0; }}\nkv la \"$(locale -a 2>/dev/null)\"\nexit 0\n"
        );
        let reply = Reply::from_output(&run_script(ctx, &script, Some(text.as_bytes())).await?);
        if let Some(e) = reply.failure() {
            return Ok(failed(e));
        }
        let now = not_present(&a.names, &reply.text("la").unwrap_or_default()).is_empty();
        Ok(result(a, now == a.present))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GEN: &str =
        "# This file lists locales\n# de_DE.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\nen_GB.UTF-8 UTF-8\n";
    const SUP: &str =
        "de_DE.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\nfr_FR.UTF-8 UTF-8\nen_GB.UTF-8 UTF-8\n";

    #[test]
    fn enables_disables_and_appends() {
        let names = vec!["en_US.UTF-8".to_string(), "fr_FR.UTF-8".to_string()];
        assert_eq!(
            edit_locale_gen(GEN, &names, true, SUP),
            "# This file lists locales\n# de_DE.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\nen_GB.UTF-8 UTF-8\nfr_FR.UTF-8 UTF-8\n"
        );
        assert_eq!(
            edit_locale_gen(GEN, &["en_GB.UTF-8".to_string()], false, SUP),
            "# This file lists locales\n# de_DE.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n# en_GB.UTF-8 UTF-8\n"
        );
    }

    #[test]
    fn presence_ignores_encoding_case() {
        let la = "C\nC.utf8\nen_US.utf8\nPOSIX\n";
        assert!(not_present(&["en_US.UTF-8".to_string()], la).is_empty());
        assert_eq!(
            not_present(&["de_DE.UTF-8".to_string()], la),
            vec!["de_DE.UTF-8"]
        );
        assert_eq!(
            entry("# en_US.UTF-8 UTF-8\n"),
            Some(("en_US.UTF-8".into(), "UTF-8".into()))
        );
    }
}
