// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `ssh` command-line options, as found in `ssh_args`,
//! `ansible_ssh_common_args` and `ansible_ssh_extra_args`: `-o Key=Value`,
//! `-J`, `-i`, `-p`, `-l`, `-F`, `-4`/`-6`. Options that only matter to the
//! OpenSSH client process (`-C`, `-q`, `-v`, `-T`...) are accepted and
//! ignored.

use super::ConfigError;
use super::options::SshOptions;
use super::parse::{Line, split_line};
use crate::span::Span;

/// `ssh` flags that take no argument.
const FLAGS: &str = "46AaCfGgKkMNnqsTtVvXxYy";
/// `ssh` options that take an argument.
const WITH_ARG: &str = "BbcDEeFIiJLlmOopQRSWw";

/// What the command line said besides options: the `-F` file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CommandLine {
    /// `-F`: read this file instead of `~/.ssh/config` and the system file
    /// (`none`: read no file).
    pub config_file: Option<String>,
}

/// Applies `words` (already split) to `opts`; `what` names the source for
/// messages (`ansible_ssh_common_args`...).
pub(crate) fn apply_words(
    words: &[String],
    what: &str,
    opts: &mut SshOptions,
    cl: &mut CommandLine,
) -> Result<(), ConfigError> {
    let span = Span::synthetic(what);
    let err = |msg: String| ConfigError::Args {
        span: span.clone(),
        msg,
    };
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        let Some(body) = w.strip_prefix('-').filter(|b| !b.is_empty()) else {
            // ssh would take it as the destination or the remote command;
            // Ansible's own destination comes last, so it is a mistake here.
            tracing::warn!("{what}: ignoring \"{w}\": not an ssh option");
            continue;
        };
        for (at, c) in body.char_indices() {
            if FLAGS.contains(c) {
                match c {
                    '4' => opts
                        .address_family
                        .get_or_insert(super::AddressFamily::Inet),
                    '6' => opts
                        .address_family
                        .get_or_insert(super::AddressFamily::Inet6),
                    _ => continue,
                };
                continue;
            }
            if !WITH_ARG.contains(c) {
                return Err(err(format!("unknown option -- {c}")));
            }
            // The argument is the rest of this word, or the next word.
            let rest = &body[at + c.len_utf8()..];
            let arg = if !rest.is_empty() {
                rest.to_string()
            } else if let Some(next) = words.get(i) {
                i += 1;
                next.clone()
            } else {
                return Err(err(format!("option requires an argument -- {c}")));
            };
            apply_option(c, &arg, opts, cl, &span)?;
            break;
        }
    }
    Ok(())
}

fn apply_option(
    c: char,
    arg: &str,
    opts: &mut SshOptions,
    cl: &mut CommandLine,
    span: &Span,
) -> Result<(), ConfigError> {
    let line = |text: String| -> Result<(), ConfigError> {
        Err(ConfigError::Args {
            span: span.clone(),
            msg: text,
        })
    };
    match c {
        'o' => apply_o(arg, opts, span),
        'J' => apply_o(&format!("ProxyJump={arg}"), opts, span),
        'i' => apply_o(
            &format!("IdentityFile=\"{}\"", escape_quotes(arg)),
            opts,
            span,
        ),
        'p' => match arg.parse::<u16>() {
            Ok(p) if p != 0 => {
                opts.port.get_or_insert(p);
                Ok(())
            }
            _ => line(format!("Bad port '{arg}'")),
        },
        'l' => {
            opts.user.get_or_insert_with(|| arg.to_string());
            Ok(())
        }
        // ssh keeps the last -F it is given.
        'F' => {
            cl.config_file = Some(arg.to_string());
            Ok(())
        }
        _ => Ok(()),
    }
}

fn escape_quotes(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One `-o` value: a configuration line of its own.
pub(crate) fn apply_o(text: &str, opts: &mut SshOptions, span: &Span) -> Result<(), ConfigError> {
    let Some(line): Option<Line<'_>> = split_line(text) else {
        return Ok(());
    };
    let kw = line.keyword.to_ascii_lowercase();
    if super::options::STRUCTURAL.contains(&kw.as_str()) {
        return Err(ConfigError::Args {
            span: span.clone(),
            msg: format!(
                "{} directive not supported as a command-line option",
                line.keyword
            ),
        });
    }
    // Messages say "command-line" as OpenSSH does, with the variable name.
    opts.apply(&line, span).map_err(|e| match e {
        ConfigError::BadOption { span, keyword } => ConfigError::Args {
            span,
            msg: format!("command-line: Bad configuration option: {keyword}"),
        },
        ConfigError::BadValue { span, msg } => ConfigError::Args {
            span,
            msg: format!("command-line: {msg}"),
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::super::options::{ProxySetting, StrictHostKeyChecking};
    use super::*;
    use crate::transport::shell_words::split;

    fn parse(s: &str) -> Result<(SshOptions, CommandLine), ConfigError> {
        let mut o = SshOptions::default();
        let mut cl = CommandLine::default();
        apply_words(
            &split(s).expect("split"),
            "ansible_ssh_common_args",
            &mut o,
            &mut cl,
        )?;
        Ok((o, cl))
    }

    #[test]
    fn options_of_every_shape() {
        let (o, cl) = parse(
            r#"-C -o ControlMaster=auto -oStrictHostKeyChecking=accept-new -o "ProxyCommand=ssh -W %h:%p b" -J ignored -p2222 -i "/k/my key" -l bob -F /cfg -4"#,
        )
        .expect("parses");
        assert_eq!(
            o.strict_host_key_checking,
            Some(StrictHostKeyChecking::AcceptNew)
        );
        // The first of ProxyCommand / ProxyJump wins.
        assert_eq!(
            o.proxy,
            Some(ProxySetting::Command("ssh -W %h:%p b".into()))
        );
        assert_eq!(o.port, Some(2222));
        assert_eq!(o.identity_files, ["/k/my key"]);
        assert_eq!(o.user.as_deref(), Some("bob"));
        assert_eq!(cl.config_file.as_deref(), Some("/cfg"));
        assert_eq!(o.address_family, Some(super::super::AddressFamily::Inet));
        let (o, _) = parse("-o 'User alice' -J u@j1:2200,j2").expect("parses");
        assert_eq!(o.user.as_deref(), Some("alice"));
        assert_eq!(o.proxy, Some(ProxySetting::Jump("u@j1:2200,j2".into())));
    }

    #[test]
    fn mistakes_name_the_variable() {
        let e = parse("-o Bogus=1").expect_err("bogus");
        assert_eq!(
            e.to_string(),
            "ansible_ssh_common_args: command-line: Bad configuration option: Bogus"
        );
        assert!(parse("-p").is_err());
        assert!(parse("-Z").is_err());
        assert!(parse("-p 0").is_err());
        assert!(parse("-o Host=x").is_err());
        // Stray words are ignored (with a warning), not fatal.
        assert!(parse("stray").is_ok());
    }
}
