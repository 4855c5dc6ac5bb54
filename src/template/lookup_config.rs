// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `config` lookup: a setting's value as ansible-core resolves it, the
//! `ANSIBLE_*` environment variable over the run's ansible.cfg over the
//! default, converted to the setting's type.
//!
//! Only the settings kiln knows are listed (those it reads itself, and the
//! common ones playbooks ask for); any other name is "not found", which
//! `on_missing` decides like Ansible's. Plugin options (`plugin_type` and
//! `plugin_name`) are answered for the few kiln implements.

use crate::config::Config;
use crate::template::pyrepr::py_str;
use minijinja::value::Value;
use minijinja::{Error, ErrorKind};
use std::path::{Path, PathBuf};

/// How a setting's text becomes its value (base.yml's `type`).
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
    /// A path: `~` and variables expanded, relative to the config file.
    Path,
    /// `:`-separated paths.
    PathSpec,
    /// `,`-separated paths.
    PathList,
}

/// One setting: its name, its ini section and key, its environment
/// variable, its default (as text; `None` is Python's None) and kind.
struct Setting {
    name: &'static str,
    ini: Option<(&'static str, &'static str)>,
    env: Option<&'static str>,
    default: Option<&'static str>,
    kind: Kind,
}

const fn s(
    name: &'static str,
    ini: Option<(&'static str, &'static str)>,
    env: Option<&'static str>,
    default: Option<&'static str>,
    kind: Kind,
) -> Setting {
    Setting {
        name,
        ini,
        env,
        default,
        kind,
    }
}

const D: &str = "defaults";
const P: &str = "privilege_escalation";

/// ansible-core 2.21's base.yml entries for the settings kiln knows.
const SETTINGS: &[Setting] = &[
    s(
        "ALLOW_BROKEN_CONDITIONALS",
        Some((D, "allow_broken_conditionals")),
        Some("ANSIBLE_ALLOW_BROKEN_CONDITIONALS"),
        Some("False"),
        Kind::Bool,
    ),
    s(
        "ANSIBLE_FORCE_COLOR",
        Some((D, "force_color")),
        Some("ANSIBLE_FORCE_COLOR"),
        Some("False"),
        Kind::Bool,
    ),
    s(
        "COLOR_CHANGED",
        Some(("colors", "changed")),
        Some("ANSIBLE_COLOR_CHANGED"),
        Some("yellow"),
        Kind::Str,
    ),
    s(
        "COLOR_OK",
        Some(("colors", "ok")),
        Some("ANSIBLE_COLOR_OK"),
        Some("green"),
        Kind::Str,
    ),
    s(
        "COLOR_SKIP",
        Some(("colors", "skip")),
        Some("ANSIBLE_COLOR_SKIP"),
        Some("cyan"),
        Kind::Str,
    ),
    s(
        "DEFAULT_ASK_PASS",
        Some((D, "ask_pass")),
        Some("ANSIBLE_ASK_PASS"),
        Some("False"),
        Kind::Bool,
    ),
    s(
        "DEFAULT_BECOME",
        Some((P, "become")),
        Some("ANSIBLE_BECOME"),
        Some("False"),
        Kind::Bool,
    ),
    s(
        "DEFAULT_BECOME_FLAGS",
        Some((P, "become_flags")),
        Some("ANSIBLE_BECOME_FLAGS"),
        Some(""),
        Kind::Str,
    ),
    s(
        "DEFAULT_BECOME_METHOD",
        Some((P, "become_method")),
        Some("ANSIBLE_BECOME_METHOD"),
        Some("sudo"),
        Kind::Str,
    ),
    s(
        "DEFAULT_BECOME_USER",
        Some((P, "become_user")),
        Some("ANSIBLE_BECOME_USER"),
        Some("root"),
        Kind::Str,
    ),
    s(
        "DEFAULT_FORKS",
        Some((D, "forks")),
        Some("ANSIBLE_FORKS"),
        Some("5"),
        Kind::Int,
    ),
    s(
        "DEFAULT_GATHERING",
        Some((D, "gathering")),
        Some("ANSIBLE_GATHERING"),
        Some("implicit"),
        Kind::Str,
    ),
    s(
        "DEFAULT_HASH_BEHAVIOUR",
        Some((D, "hash_behaviour")),
        Some("ANSIBLE_HASH_BEHAVIOUR"),
        Some("replace"),
        Kind::Str,
    ),
    s(
        "DEFAULT_HOST_LIST",
        Some((D, "inventory")),
        Some("ANSIBLE_INVENTORY"),
        Some("/etc/ansible/hosts"),
        Kind::PathList,
    ),
    s(
        "DEFAULT_KEEP_REMOTE_FILES",
        Some((D, "keep_remote_files")),
        Some("ANSIBLE_KEEP_REMOTE_FILES"),
        Some("False"),
        Kind::Bool,
    ),
    s(
        "DEFAULT_MANAGED_STR",
        Some((D, "ansible_managed")),
        None,
        Some("Ansible managed"),
        Kind::Str,
    ),
    s(
        "DEFAULT_POLL_INTERVAL",
        Some((D, "poll_interval")),
        Some("ANSIBLE_POLL_INTERVAL"),
        Some("15"),
        Kind::Int,
    ),
    s(
        "DEFAULT_PRIVATE_KEY_FILE",
        Some((D, "private_key_file")),
        Some("ANSIBLE_PRIVATE_KEY_FILE"),
        None,
        Kind::Path,
    ),
    s(
        "DEFAULT_REMOTE_PORT",
        Some((D, "remote_port")),
        Some("ANSIBLE_REMOTE_PORT"),
        None,
        Kind::Int,
    ),
    s(
        "DEFAULT_REMOTE_USER",
        Some((D, "remote_user")),
        Some("ANSIBLE_REMOTE_USER"),
        None,
        Kind::Str,
    ),
    s(
        "DEFAULT_ROLES_PATH",
        Some((D, "roles_path")),
        Some("ANSIBLE_ROLES_PATH"),
        Some("~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles"),
        Kind::PathSpec,
    ),
    s(
        "DEFAULT_TIMEOUT",
        Some((D, "timeout")),
        Some("ANSIBLE_TIMEOUT"),
        Some("10"),
        Kind::Int,
    ),
    s(
        "DEFAULT_TRANSPORT",
        Some((D, "transport")),
        Some("ANSIBLE_TRANSPORT"),
        Some("ssh"),
        Kind::Str,
    ),
    s(
        "DEFAULT_VAULT_PASSWORD_FILE",
        Some((D, "vault_password_file")),
        Some("ANSIBLE_VAULT_PASSWORD_FILE"),
        None,
        Kind::Path,
    ),
    s(
        "DEFAULT_VERBOSITY",
        Some((D, "verbosity")),
        Some("ANSIBLE_VERBOSITY"),
        Some("0"),
        Kind::Int,
    ),
    s(
        "DEPRECATION_WARNINGS",
        Some((D, "deprecation_warnings")),
        Some("ANSIBLE_DEPRECATION_WARNINGS"),
        Some("True"),
        Kind::Bool,
    ),
    s(
        "HOST_KEY_CHECKING",
        Some((D, "host_key_checking")),
        Some("ANSIBLE_HOST_KEY_CHECKING"),
        Some("True"),
        Kind::Bool,
    ),
    s(
        "RETRY_FILES_ENABLED",
        Some((D, "retry_files_enabled")),
        Some("ANSIBLE_RETRY_FILES_ENABLED"),
        Some("False"),
        Kind::Bool,
    ),
];

/// Options of the plugins kiln implements: (type, name, option) -> setting.
const PLUGIN_SETTINGS: &[(&str, &str, Setting)] = &[
    (
        "connection",
        "ssh",
        s(
            "remote_user",
            Some((D, "remote_user")),
            Some("ANSIBLE_REMOTE_USER"),
            None,
            Kind::Str,
        ),
    ),
    (
        "connection",
        "ssh",
        s(
            "port",
            Some((D, "remote_port")),
            Some("ANSIBLE_REMOTE_PORT"),
            None,
            Kind::Int,
        ),
    ),
    (
        "connection",
        "ssh",
        s(
            "ssh_args",
            Some(("ssh_connection", "ssh_args")),
            Some("ANSIBLE_SSH_ARGS"),
            Some("-C -o ControlMaster=auto -o ControlPersist=60s"),
            Kind::Str,
        ),
    ),
    (
        "become",
        "sudo",
        s(
            "become_user",
            Some((P, "become_user")),
            Some("ANSIBLE_BECOME_USER"),
            Some("root"),
            Kind::Str,
        ),
    ),
    (
        "become",
        "sudo",
        s(
            "become_exe",
            Some((P, "become_exe")),
            Some("ANSIBLE_BECOME_EXE"),
            Some("sudo"),
            Kind::Str,
        ),
    ),
    (
        "shell",
        "sh",
        s(
            "remote_tmp",
            Some((D, "remote_tmp")),
            Some("ANSIBLE_REMOTE_TEMP"),
            Some("~/.ansible/tmp"),
            Kind::Str,
        ),
    ),
];

/// Host variables that set a plugin option, over its environment variable
/// and its ini entry; the last one defined wins, as in Ansible.
const PLUGIN_VARS: &[(&str, &str, &[&str])] = &[
    ("ssh", "remote_user", &["ansible_user", "ansible_ssh_user"]),
    ("ssh", "port", &["ansible_port", "ansible_ssh_port"]),
    ("ssh", "ssh_args", &["ansible_ssh_args"]),
    (
        "sudo",
        "become_user",
        &["ansible_become_user", "ansible_sudo_user"],
    ),
    (
        "sudo",
        "become_exe",
        &["ansible_become_exe", "ansible_sudo_exe"],
    ),
    ("sh", "remote_tmp", &["ansible_remote_tmp"]),
];

/// The plugins kiln has, by type (for "Unable to load" as Ansible says it).
const PLUGINS: &[(&str, &[&str])] = &[
    ("connection", &["ssh", "local"]),
    ("become", &["sudo", "su"]),
    ("shell", &["sh"]),
];

/// Runs the lookup on `terms` with its keyword options.
pub(super) fn run(
    cfg: &Config,
    terms: &[Value],
    option: &dyn Fn(&str) -> Option<Value>,
    var: &dyn Fn(&str) -> Option<Value>,
) -> Result<Vec<Value>, Error> {
    let err = |m: String| Error::new(ErrorKind::InvalidOperation, m);
    let missing = option("on_missing")
        .map(|v| py_str(&v))
        .unwrap_or_else(|| "error".into());
    if !matches!(missing.as_str(), "error" | "warn" | "skip") {
        return Err(err(format!(
            "Invalid value '{missing}' for config 'on_missing' for 'config' lookup plugin."
        )));
    }
    let ptype = option("plugin_type").map(|v| py_str(&v));
    let pname = option("plugin_name").map(|v| py_str(&v));
    let show_origin = option("show_origin").is_some_and(|v| v.is_true());
    if ptype.is_some() != pname.is_some() {
        return Err(err(
            "Both plugin_type and plugin_name are required, cannot use one without the other."
                .into(),
        ));
    }
    if let (Some(t), Some(n)) = (&ptype, &pname) {
        let known = PLUGINS
            .iter()
            .any(|(pt, names)| pt == t && names.contains(&n.as_str()));
        if !known {
            return Err(err(format!("Unable to load {t} plugin '{n}'.")));
        }
    }
    let mut out = Vec::new();
    for t in terms {
        let Some(term) = t.as_str() else {
            return Err(err(format!(
                "Invalid setting identifier, {} is not a <class 'str'>, its a <class '{}'>.",
                super::pyrepr::py_repr(t),
                super::pyrepr::py_type_name(t)
            )));
        };
        let setting = match (&ptype, &pname) {
            (Some(pt), Some(pn)) => PLUGIN_SETTINGS
                .iter()
                .find(|(t2, n2, st)| t2 == pt && n2 == pn && st.name == term)
                .map(|(_, _, st)| st),
            _ => SETTINGS.iter().find(|st| st.name == term),
        };
        let Some(setting) = setting else {
            let label = match (&ptype, &pname) {
                (Some(pt), Some(pn)) => format!("'{term}' for '{pn}' {pt} plugin"),
                _ => format!("'{term}'"),
            };
            // `warn` and `skip` leave the term out; `warn` says why.
            let why = format!("No config definition exists for {label}.");
            match missing.as_str() {
                "error" => return Err(err(why)),
                "warn" => super::warnings::warn_error(&format!("Skipping {term}."), &why),
                _ => {}
            }
            continue;
        };
        let from_vars = pname.as_deref().and_then(|pn| {
            let names = PLUGIN_VARS
                .iter()
                .find(|(n, o, _)| *n == pn && *o == term)
                .map(|(_, _, v)| *v)?;
            names
                .iter()
                .rev()
                .find_map(|name| var(name).map(|v| (v, format!("var: {name}"))))
        });
        let (v, origin) = match from_vars {
            Some(found) => found,
            None => resolve(cfg, setting).map_err(err)?,
        };
        out.push(if show_origin {
            Value::from(vec![v, Value::from(origin)])
        } else {
            v
        });
    }
    Ok(out)
}

/// A setting's value and where it came from (`env: X`, the config file's
/// path, or `default`).
fn resolve(cfg: &Config, st: &Setting) -> Result<(Value, String), String> {
    if let Some(env) = st.env
        && let Ok(v) = std::env::var(env)
    {
        return Ok((convert(st, Some(&v), None)?, format!("env: {env}")));
    }
    if let Some((sec, key)) = st.ini
        && let Some(v) = cfg.file_value(sec, key)
    {
        let origin = cfg
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let base = cfg.path.as_deref().and_then(Path::parent);
        return Ok((convert(st, Some(&v), base)?, origin));
    }
    Ok((convert(st, st.default, None)?, "default".into()))
}

/// base.yml's type conversions.
fn convert(st: &Setting, text: Option<&str>, base: Option<&Path>) -> Result<Value, String> {
    let Some(text) = text else {
        return Ok(Value::from(()));
    };
    let invalid = |what: &str| {
        format!(
            "Invalid type for configuration option setting: {}: {text:?} is not {what}",
            st.name
        )
    };
    Ok(match st.kind {
        Kind::Str => Value::from(text),
        Kind::Int => Value::from(
            text.trim()
                .parse::<i64>()
                .map_err(|_| invalid("a valid integer"))?,
        ),
        Kind::Bool => Value::from(
            crate::modules::spec::to_bool(&serde_json::Value::String(text.to_string()))
                .unwrap_or(false),
        ),
        Kind::Path => Value::from(resolve_path(text, base)),
        Kind::PathSpec => Value::from(
            text.split(':')
                .filter(|p| !p.is_empty())
                .map(|p| resolve_path(p, base))
                .collect::<Vec<_>>(),
        ),
        Kind::PathList => Value::from(
            text.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| resolve_path(p, base))
                .collect::<Vec<_>>(),
        ),
    })
}

/// Ansible's `resolve_path`: `~` and `$VARS` expanded, a relative path taken
/// from the config file's directory (or the working directory), normalised.
fn resolve_path(p: &str, base: Option<&Path>) -> String {
    let expanded = super::filters::expandvars(&super::filters::expanduser(p));
    let path = PathBuf::from(&expanded);
    let abs = if path.is_absolute() {
        path
    } else {
        match base {
            Some(b) => b.join(path),
            None => std::env::current_dir().unwrap_or_default().join(path),
        }
    };
    super::filters::normpath(&abs.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        let mut c = Config::parse(
            "[defaults]\ntimeout = 17\nroles_path = roles:/opt/r\nhost_key_checking = no\n\
             [privilege_escalation]\nbecome_user = deploy\n",
            "/etc/kiln-test/ansible.cfg",
        )
        .expect("parses");
        c.path = Some(PathBuf::from("/etc/kiln-test/ansible.cfg"));
        c
    }

    fn look(terms: &[&str], opts: &[(&str, Value)]) -> Result<Vec<Value>, Error> {
        let terms: Vec<Value> = terms.iter().map(|t| Value::from(*t)).collect();
        let opts: Vec<(String, Value)> = opts
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        run(
            &cfg(),
            &terms,
            &|k| opts.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            &|name| (name == "ansible_ssh_user").then(|| Value::from("carol")),
        )
    }

    #[test]
    fn the_file_over_the_default_with_the_settings_type() {
        let v = look(
            &[
                "DEFAULT_TIMEOUT",
                "DEFAULT_BECOME_USER",
                "HOST_KEY_CHECKING",
                "DEFAULT_ROLES_PATH",
                "DEFAULT_BECOME_METHOD",
                "DEFAULT_REMOTE_PORT",
            ],
            &[],
        )
        .expect("known settings");
        assert_eq!(v[0], Value::from(17));
        assert_eq!(v[1], Value::from("deploy"));
        assert_eq!(v[2], Value::from(false));
        // A relative path is taken from the config file's directory.
        assert_eq!(v[3], Value::from(vec!["/etc/kiln-test/roles", "/opt/r"]));
        assert_eq!(v[4], Value::from("sudo"));
        assert!(v[5].is_none());
    }

    #[test]
    fn origins_plugins_and_missing_settings() {
        let v = look(
            &["DEFAULT_TIMEOUT", "DEFAULT_FORKS"],
            &[("show_origin", Value::from(true))],
        )
        .expect("known");
        assert_eq!(
            v,
            vec![
                Value::from(vec![
                    Value::from(17),
                    Value::from("/etc/kiln-test/ansible.cfg")
                ]),
                Value::from(vec![Value::from(5), Value::from("default")]),
            ]
        );
        let e = look(&["NOPE"], &[]).expect_err("unknown");
        assert_eq!(e.detail(), Some("No config definition exists for 'NOPE'."));
        assert!(
            look(&["NOPE"], &[("on_missing", Value::from("skip"))])
                .expect("skipped")
                .is_empty()
        );
        let ssh = [
            ("plugin_type", Value::from("connection")),
            ("plugin_name", Value::from("ssh")),
        ];
        let mut opts = ssh.to_vec();
        opts.push(("on_missing", Value::from("skip")));
        // A host variable sets a plugin option.
        assert_eq!(
            look(&["remote_user", "port", "nope"], &opts).expect("plugin option"),
            vec![Value::from("carol"), Value::from(())]
        );
        let e = look(&["x"], &ssh[..1]).expect_err("half a plugin");
        assert!(
            e.detail()
                .unwrap_or_default()
                .starts_with("Both plugin_type")
        );
        let e = look(&["x"], &[("on_missing", Value::from("bad"))]).expect_err("bad choice");
        assert_eq!(
            e.detail(),
            Some("Invalid value 'bad' for config 'on_missing' for 'config' lookup plugin.")
        );
    }
}
