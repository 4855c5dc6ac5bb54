// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! What ansible-playbook prints first from -vv on: its version block and
//! the stdout callbacks it passed over. kiln prints the same lines, keys
//! and order, so people and log parsers find what they expect there; the
//! values that are configuration (config file, module and collection
//! paths) are the ones Ansible would print, the others say what kiln is in
//! place of Python, Jinja2 and PyYAML.

use crate::config::Config;

/// Python's repr of a list of strings.
fn py_list(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// A path list setting (`:`-separated) with `~` expanded, or its default.
fn paths(cfg: &Config, key: &str, env: &str, default: &[&str]) -> Vec<String> {
    let home = std::env::var("HOME").unwrap_or_default();
    let expand = |p: &str| match p.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{home}{rest}"),
        _ => p.to_string(),
    };
    match cfg.get("defaults", key, env) {
        Some(v) => v.split(':').filter(|p| !p.is_empty()).map(expand).collect(),
        None => default.iter().map(|p| expand(p)).collect(),
    }
}

/// The version block (`ansible-playbook --version`'s text), one string.
pub fn version_block(cfg: &Config, argv0: &str) -> String {
    let config = cfg
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "None".into());
    let modules = paths(
        cfg,
        "library",
        "ANSIBLE_LIBRARY",
        &[
            "~/.ansible/plugins/modules",
            "/usr/share/ansible/plugins/modules",
        ],
    );
    let collections = paths(
        cfg,
        "collections_path",
        "ANSIBLE_COLLECTIONS_PATH",
        &["~/.ansible/collections", "/usr/share/ansible/collections"],
    );
    [
        format!(
            "ansible-playbook [kiln {}, ansible-core 2.21 compatible]",
            env!("CARGO_PKG_VERSION")
        ),
        format!("  config file = {config}"),
        format!("  configured module search path = {}", py_list(&modules)),
        "  ansible python module location = (none: kiln runs no Python)".to_string(),
        format!("  ansible collection location = {}", collections.join(":")),
        format!("  executable location = {argv0}"),
        "  python version = (none: kiln is a native program)".to_string(),
        "  jinja version = (minijinja, Jinja2-compatible templating)".to_string(),
        "  pyyaml version = (none: kiln's own YAML 1.1 loader, libyaml-compatible)".to_string(),
    ]
    .join("\n")
}

/// ansible-core's builtin stdout callbacks it loads and passes over,
/// every one but the configured one (`callback`, as configured).
pub fn skipped_callbacks(callback: &str) -> Vec<String> {
    let chosen = callback
        .strip_prefix("ansible.builtin.")
        .unwrap_or(callback);
    ["default", "minimal", "oneline"]
        .into_iter()
        .filter(|c| *c != chosen)
        .map(|c| format!("Skipping callback '{c}', as we already have a stdout callback."))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_like_python() {
        assert_eq!(py_list(&["/a".into(), "b'c".into()]), r"['/a', 'b\'c']");
        assert_eq!(skipped_callbacks("minimal").len(), 2);
        assert_eq!(skipped_callbacks("ansible.posix.json").len(), 3);
        assert!(skipped_callbacks("default")[0].contains("'minimal'"));
    }

    #[test]
    fn nine_lines_in_ansible_order() {
        let b = version_block(&Config::default(), "/usr/bin/kiln");
        let keys: Vec<&str> = b
            .lines()
            .skip(1)
            .filter_map(|l| l.split(" = ").next())
            .collect();
        assert_eq!(
            keys,
            [
                "  config file",
                "  configured module search path",
                "  ansible python module location",
                "  ansible collection location",
                "  executable location",
                "  python version",
                "  jinja version",
                "  pyyaml version"
            ]
        );
        assert!(b.contains("  config file = None\n"));
    }
}
