// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `%` tokens (`%h`, `%p`, `%r`, `%u`, `%d`...), `${VAR}` and `~` in option
//! values, as OpenSSH expands them.

use std::path::Path;

/// Tokens of path-like options (`IdentityFile`, `UserKnownHostsFile`,
/// `IdentityAgent`, `CertificateFile`, `Match exec`).
pub(crate) const PATH_TOKENS: &str = "%dhijkLlnpru";
/// Tokens of `ProxyCommand`.
pub(crate) const PROXY_TOKENS: &str = "%hnpr";
/// Tokens of `HostName`.
pub(crate) const HOSTNAME_TOKENS: &str = "%h";

/// Checks that `s` uses only tokens listed in `allowed` (each a letter, `%`
/// meaning `%%`), so a typo is reported where it was written.
pub(crate) fn check(s: &str, allowed: &str) -> Result<(), String> {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        match chars.next() {
            Some(t) if allowed.contains(t) => {}
            Some(t) => return Err(format!("percent_expand: unknown key %{t}")),
            None => return Err("percent_expand: invalid format".into()),
        }
    }
    Ok(())
}

/// Replaces each `%x` by `value(x)`; `%%` is a `%`. Tokens without a value
/// (which [`check`] has ruled out) are left as written.
pub(crate) fn expand(s: &str, value: &dyn Fn(char) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(t) => match value(t) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push('%');
                    out.push(t);
                }
            },
            None => out.push('%'),
        }
    }
    out
}

/// Replaces `${NAME}` by the environment variable, as OpenSSH does for
/// path options. An unset variable is an error there too.
pub(crate) fn env_expand(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("unterminated environment variable in \"{s}\""));
        };
        let name = &after[..end];
        match std::env::var(name) {
            Ok(v) => out.push_str(&v),
            Err(_) => return Err(format!("env var ${{{name}}} has no value")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `~` and `~/...` become the home directory.
pub(crate) fn tilde(s: &str, home: &Path) -> String {
    if s == "~" {
        home.display().to_string()
    } else if let Some(rest) = s.strip_prefix("~/") {
        home.join(rest).display().to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_known_tokens() {
        let v = |t: char| match t {
            'h' => Some("web1".to_string()),
            'p' => Some("22".to_string()),
            _ => None,
        };
        assert_eq!(expand("%h:%p %% x%", &v), "web1:22 % x%");
        assert!(check("%h.%d/%r", PATH_TOKENS).is_ok());
        assert_eq!(
            check("%h %Z", PATH_TOKENS),
            Err("percent_expand: unknown key %Z".to_string())
        );
        assert!(check("%h %d", HOSTNAME_TOKENS).is_err());
        assert!(check("100%%", HOSTNAME_TOKENS).is_ok());
    }

    #[test]
    fn env_and_tilde() {
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(env_expand("${HOME}/x").expect("set"), format!("{home}/x"));
        assert!(env_expand("${KILN_SURELY_UNSET_VAR}").is_err());
        assert_eq!(tilde("~/.ssh/id", Path::new("/h")), "/h/.ssh/id");
        assert_eq!(tilde("~", Path::new("/h")), "/h");
        assert_eq!(tilde("/abs/~", Path::new("/h")), "/abs/~");
    }
}
