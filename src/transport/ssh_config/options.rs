// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The options kiln acts on, each kept as first set (OpenSSH's rule: the
//! first value obtained for an option is the one used), and the keywords it
//! knows but ignores.

use super::ConfigError;
use super::parse::{Line, split_args};
use super::tokens::{self, HOSTNAME_TOKENS, PATH_TOKENS, PROXY_TOKENS};
use crate::span::Span;

/// `StrictHostKeyChecking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrictHostKeyChecking {
    /// Only keys already in known_hosts.
    Yes,
    /// New hosts are added to known_hosts; a changed key still fails.
    AcceptNew,
    /// New hosts are added; a changed key is accepted with a warning (and
    /// no password is sent to such a host).
    No,
    /// OpenSSH would ask on the terminal; kiln never asks, so this is `Yes`.
    Ask,
}

/// `AddressFamily`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressFamily {
    #[default]
    Any,
    Inet,
    Inet6,
}

/// `ProxyJump` / `ProxyCommand`, whichever was set first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxySetting {
    /// `none`: connect directly.
    Direct,
    /// `[user@]host[:port]`, comma-separated hops, as written.
    Jump(String),
    /// A command line for `sh -c`, tokens not yet expanded.
    Command(String),
}

/// Options as read so far. `None` (or empty) means not set yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshOptions {
    pub hostname: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    /// Every `IdentityFile` line adds one (tokens not yet expanded).
    pub identity_files: Vec<String>,
    pub certificate_files: Vec<String>,
    pub identities_only: Option<bool>,
    pub identity_agent: Option<String>,
    pub user_known_hosts: Option<Vec<String>>,
    pub global_known_hosts: Option<Vec<String>>,
    pub strict_host_key_checking: Option<StrictHostKeyChecking>,
    pub hash_known_hosts: Option<bool>,
    pub host_key_alias: Option<String>,
    /// Seconds; `Some(None)` is `none` (no limit).
    pub connect_timeout: Option<Option<u64>>,
    /// Seconds; 0 turns keepalives off.
    pub server_alive_interval: Option<u64>,
    pub server_alive_count_max: Option<u32>,
    pub connection_attempts: Option<u32>,
    pub proxy: Option<ProxySetting>,
    pub password_authentication: Option<bool>,
    pub kbd_interactive_authentication: Option<bool>,
    pub pubkey_authentication: Option<bool>,
    pub preferred_authentications: Option<Vec<String>>,
    pub address_family: Option<AddressFamily>,
    pub batch_mode: Option<bool>,
    pub ignore_unknown: Option<String>,
    /// Algorithm lists as written (`+`, `-`, `^` or a full list).
    pub algorithms: crate::transport::AlgorithmSpec,
}

/// Client keywords OpenSSH knows that kiln accepts without acting on them
/// (lower case), deprecated and unsupported ones included: a config written
/// for `ssh` must load.
const IGNORED: &[&str] = &[
    "addkeystoagent",
    "bindaddress",
    "bindinterface",
    "canonicaldomains",
    "canonicalizefallbacklocal",
    "canonicalizehostname",
    "canonicalizemaxdots",
    "canonicalizepermittedcnames",
    "casignaturealgorithms",
    "channeltimeout",
    "checkhostip",
    "cipher",
    "clearallforwardings",
    "compression",
    "compressionlevel",
    "controlmaster",
    "controlpath",
    "controlpersist",
    "dynamicforward",
    "enableescapecommandline",
    "enablesshkeysign",
    "escapechar",
    "exitonforwardfailure",
    "fallbacktorsh",
    "fingerprinthash",
    "forkafterauthentication",
    "forwardagent",
    "forwardx11",
    "forwardx11timeout",
    "forwardx11trusted",
    "gatewayports",
    "gssapiauthentication",
    "gssapiclientidentity",
    "gssapidelegatecredentials",
    "gssapikeyexchange",
    "gssapikexalgorithms",
    "gssapirenewalforcesrekey",
    "gssapiserveridentity",
    "gssapitrustdns",
    "hostbasedacceptedalgorithms",
    "hostbasedauthentication",
    "hostbasedkeytypes",
    "ipqos",
    "kbdinteractivedevices",
    "knownhostscommand",
    "localcommand",
    "localforward",
    "loglevel",
    "logverbose",
    "nohostauthenticationforlocalhost",
    "numberofpasswordprompts",
    "obscurekeystroketiming",
    "permitlocalcommand",
    "permitremoteopen",
    "pkcs11provider",
    "protocol",
    "proxyusefdpass",
    "rekeylimit",
    "remotecommand",
    "remoteforward",
    "requesttty",
    "requiredrsasize",
    "revokedhostkeys",
    "rhostsauthentication",
    "rhostsrsaauthentication",
    "rsaauthentication",
    "securitykeyprovider",
    "sendenv",
    "sessiontype",
    "setenv",
    "smartcarddevice",
    "stdinnull",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "tag",
    "tcpkeepalive",
    "tunnel",
    "tunneldevice",
    "updatehostkeys",
    "useprivilegedport",
    "useroaming",
    "usersh",
    "verifyhostkeydns",
    "visualhostkey",
    "xauthlocation",
];

/// Keywords handled by the file reader, not here.
pub(crate) const STRUCTURAL: &[&str] = &["host", "match", "include"];

fn flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

/// OpenSSH's time format: a number of seconds, or parts such as `1m30s`
/// (s, m, h, d, w).
pub(crate) fn parse_time(v: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut any = false;
    for c in v.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let mult = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        let n: u64 = num.parse().ok()?;
        total = total.checked_add(n.checked_mul(mult)?)?;
        num.clear();
        any = true;
    }
    if !num.is_empty() {
        total = total.checked_add(num.parse().ok()?)?;
        any = true;
    }
    any.then_some(total)
}

/// Whether `keyword` (any case) is one OpenSSH's client knows.
pub(crate) fn is_known(keyword: &str) -> bool {
    let k = keyword.to_ascii_lowercase();
    IGNORED.contains(&k.as_str())
        || STRUCTURAL.contains(&k.as_str())
        || HANDLED.contains(&k.as_str())
}

const HANDLED: &[&str] = &[
    "hostname",
    "user",
    "port",
    "identityfile",
    "certificatefile",
    "identitiesonly",
    "identityagent",
    "userknownhostsfile",
    "globalknownhostsfile",
    "stricthostkeychecking",
    "hashknownhosts",
    "hostkeyalias",
    "connecttimeout",
    "serveraliveinterval",
    "serveralivecountmax",
    "connectionattempts",
    "proxyjump",
    "proxycommand",
    "passwordauthentication",
    "kbdinteractiveauthentication",
    "challengeresponseauthentication",
    "pubkeyauthentication",
    "preferredauthentications",
    "addressfamily",
    "batchmode",
    "ignoreunknown",
    "ciphers",
    "hostkeyalgorithms",
    "kexalgorithms",
    "macs",
    "pubkeyacceptedalgorithms",
    "pubkeyacceptedkeytypes",
];

impl SshOptions {
    /// Whether an unknown keyword is covered by `IgnoreUnknown`.
    pub(crate) fn ignores_unknown(&self, keyword: &str) -> bool {
        self.ignore_unknown.as_deref().is_some_and(|list| {
            crate::transport::known_hosts::match_pattern_list(&keyword.to_ascii_lowercase(), list)
        })
    }

    /// Errors for a keyword OpenSSH would not know, checked on every line,
    /// also in blocks that do not apply (as `ssh` does).
    pub(crate) fn check_keyword(&self, line: &Line<'_>, span: &Span) -> Result<(), ConfigError> {
        if is_known(line.keyword) || self.ignores_unknown(line.keyword) {
            Ok(())
        } else {
            Err(ConfigError::BadOption {
                span: span.clone(),
                keyword: line.keyword.to_string(),
            })
        }
    }

    /// Applies one option line of an active block (or `-o`).
    pub(crate) fn apply(&mut self, line: &Line<'_>, span: &Span) -> Result<(), ConfigError> {
        self.check_keyword(line, span)?;
        let kw = line.keyword.to_ascii_lowercase();
        if IGNORED.contains(&kw.as_str()) || !HANDLED.contains(&kw.as_str()) {
            return Ok(());
        }
        let bad = |msg: String| ConfigError::BadValue {
            span: span.clone(),
            msg,
        };
        // ProxyCommand keeps the raw text: it is for `sh -c`.
        if kw == "proxycommand" {
            if line.rest.is_empty() {
                return Err(bad("ProxyCommand: missing argument.".into()));
            }
            if self.proxy.is_none() {
                if line.rest.eq_ignore_ascii_case("none") {
                    self.proxy = Some(ProxySetting::Direct);
                } else {
                    tokens::check(line.rest, PROXY_TOKENS).map_err(bad)?;
                    self.proxy = Some(ProxySetting::Command(line.rest.to_string()));
                }
            }
            return Ok(());
        }
        let args = split_args(line.rest).map_err(|e| bad(format!("{}: {e}.", line.keyword)))?;
        let Some(first) = args.first().cloned() else {
            return Err(bad(format!("{}: missing argument.", line.keyword)));
        };
        let one = || -> Result<String, ConfigError> {
            if args.len() > 1 {
                Err(bad(format!("{}: too many arguments.", line.keyword)))
            } else {
                Ok(first.clone())
            }
        };
        let yes_no = |v: &str| flag(v).ok_or_else(|| bad(format!("unsupported option \"{v}\".")));
        match kw.as_str() {
            "hostname" => {
                let v = one()?;
                tokens::check(&v, HOSTNAME_TOKENS).map_err(bad)?;
                self.hostname.get_or_insert(v);
            }
            "user" => {
                let v = one()?;
                self.user.get_or_insert(v);
            }
            "port" => {
                let v = one()?;
                let p = v
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| bad("Badly formatted port number.".into()))?;
                self.port.get_or_insert(p);
            }
            "identityfile" | "certificatefile" => {
                let v = one()?;
                tokens::check(&v, PATH_TOKENS).map_err(bad)?;
                if kw == "identityfile" {
                    self.identity_files.push(v);
                } else {
                    self.certificate_files.push(v);
                }
            }
            "identitiesonly" => {
                let v = yes_no(&one()?)?;
                self.identities_only.get_or_insert(v);
            }
            "identityagent" => {
                let v = one()?;
                tokens::check(&v, PATH_TOKENS).map_err(bad)?;
                self.identity_agent.get_or_insert(v);
            }
            "userknownhostsfile" | "globalknownhostsfile" => {
                for a in &args {
                    tokens::check(a, PATH_TOKENS).map_err(bad)?;
                }
                let slot = if kw == "userknownhostsfile" {
                    &mut self.user_known_hosts
                } else {
                    &mut self.global_known_hosts
                };
                slot.get_or_insert(args.clone());
            }
            "stricthostkeychecking" => {
                let v = match one()?.to_ascii_lowercase().as_str() {
                    "yes" | "true" => StrictHostKeyChecking::Yes,
                    "no" | "false" | "off" => StrictHostKeyChecking::No,
                    "accept-new" => StrictHostKeyChecking::AcceptNew,
                    "ask" => StrictHostKeyChecking::Ask,
                    other => return Err(bad(format!("unsupported option \"{other}\"."))),
                };
                self.strict_host_key_checking.get_or_insert(v);
            }
            "hashknownhosts" => {
                let v = yes_no(&one()?)?;
                self.hash_known_hosts.get_or_insert(v);
            }
            "hostkeyalias" => {
                let v = one()?;
                self.host_key_alias.get_or_insert(v);
            }
            "connecttimeout" => {
                let v = one()?;
                let t = if v.eq_ignore_ascii_case("none") {
                    None
                } else {
                    Some(
                        parse_time(&v)
                            .ok_or_else(|| bad(format!("invalid time value \"{v}\".")))?,
                    )
                };
                self.connect_timeout.get_or_insert(t);
            }
            "serveraliveinterval" => {
                let v = one()?;
                let t =
                    parse_time(&v).ok_or_else(|| bad(format!("invalid time value \"{v}\".")))?;
                self.server_alive_interval.get_or_insert(t);
            }
            "serveralivecountmax" | "connectionattempts" => {
                let v = one()?;
                let n: u32 = v
                    .parse()
                    .map_err(|_| bad(format!("invalid integer value \"{v}\".")))?;
                if kw == "serveralivecountmax" {
                    self.server_alive_count_max.get_or_insert(n);
                } else {
                    self.connection_attempts.get_or_insert(n);
                }
            }
            "proxyjump" => {
                let v = one()?;
                if self.proxy.is_none() {
                    self.proxy = Some(if v.eq_ignore_ascii_case("none") {
                        ProxySetting::Direct
                    } else {
                        ProxySetting::Jump(v)
                    });
                }
            }
            "passwordauthentication" => {
                let v = yes_no(&one()?)?;
                self.password_authentication.get_or_insert(v);
            }
            "kbdinteractiveauthentication" | "challengeresponseauthentication" => {
                let v = yes_no(&one()?)?;
                self.kbd_interactive_authentication.get_or_insert(v);
            }
            "pubkeyauthentication" => {
                // `unbound` and `host-bound` both allow public keys.
                let v = one()?;
                let on = match v.to_ascii_lowercase().as_str() {
                    "unbound" | "host-bound" => true,
                    other => yes_no(other)?,
                };
                self.pubkey_authentication.get_or_insert(on);
            }
            "preferredauthentications" => {
                let v = one()?;
                self.preferred_authentications
                    .get_or_insert_with(|| v.split(',').map(str::to_string).collect());
            }
            "addressfamily" => {
                let f = match one()?.to_ascii_lowercase().as_str() {
                    "any" => AddressFamily::Any,
                    "inet" => AddressFamily::Inet,
                    "inet6" => AddressFamily::Inet6,
                    other => return Err(bad(format!("unsupported option \"{other}\"."))),
                };
                self.address_family.get_or_insert(f);
            }
            "batchmode" => {
                let v = yes_no(&one()?)?;
                self.batch_mode.get_or_insert(v);
            }
            "ignoreunknown" => {
                let v = one()?;
                self.ignore_unknown.get_or_insert(v);
            }
            "ciphers"
            | "hostkeyalgorithms"
            | "kexalgorithms"
            | "macs"
            | "pubkeyacceptedalgorithms"
            | "pubkeyacceptedkeytypes" => {
                let v = one()?;
                let a = &mut self.algorithms;
                let slot = match kw.as_str() {
                    "ciphers" => &mut a.ciphers,
                    "hostkeyalgorithms" => &mut a.host_keys,
                    "kexalgorithms" => &mut a.kex,
                    "macs" => &mut a.macs,
                    _ => &mut a.pubkey,
                };
                slot.get_or_insert(v);
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::split_line;
    use super::*;

    fn apply(opts: &mut SshOptions, text: &str) -> Result<(), ConfigError> {
        let line = split_line(text).expect("a line");
        opts.apply(&line, &Span::new("cfg", 1, 1))
    }

    #[test]
    fn first_value_wins_identity_files_add_up() {
        let mut o = SshOptions::default();
        for l in [
            "Port 2222",
            "port=2200",
            "User alice",
            "User bob",
            "IdentityFile ~/.ssh/a",
            "IdentityFile \"/keys/%h b\"",
            "ProxyJump j1",
            "ProxyCommand nc %h %p",
            "ConnectTimeout 1m5s",
            "UserKnownHostsFile /a /b",
            "UserKnownHostsFile /c",
        ] {
            apply(&mut o, l).expect(l);
        }
        assert_eq!(o.port, Some(2222));
        assert_eq!(o.user.as_deref(), Some("alice"));
        assert_eq!(o.identity_files, ["~/.ssh/a", "/keys/%h b"]);
        assert_eq!(o.proxy, Some(ProxySetting::Jump("j1".into())));
        assert_eq!(o.connect_timeout, Some(Some(65)));
        assert_eq!(
            o.user_known_hosts,
            Some(vec!["/a".to_string(), "/b".to_string()])
        );
    }

    #[test]
    fn bad_values_and_unknown_keywords() {
        let mut o = SshOptions::default();
        let e = apply(&mut o, "Port 99999").expect_err("bad port");
        assert_eq!(e.to_string(), "cfg: line 1: Badly formatted port number.");
        let e = apply(&mut o, "Frobnicate yes").expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "cfg: line 1: Bad configuration option: Frobnicate"
        );
        apply(&mut o, "IgnoreUnknown frob*,UseKeychain").expect("ignore");
        apply(&mut o, "Frobnicate yes").expect("now ignored");
        apply(&mut o, "UseKeychain yes").expect("now ignored");
        apply(&mut o, "Ciphers aes128-ctr").expect("known, ignored");
        assert!(apply(&mut o, "StrictHostKeyChecking maybe").is_err());
        assert!(apply(&mut o, "IdentityFile /k/%Q").is_err());
        assert!(apply(&mut o, "HostName %d.example").is_err());
        assert!(apply(&mut o, "User").is_err());
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("30"), Some(30));
        assert_eq!(parse_time("1h2m3s"), Some(3723));
        assert_eq!(parse_time("5x"), None);
        assert_eq!(parse_time(""), None);
    }

    #[test]
    fn every_handled_keyword_sets_its_option_once() {
        let mut o = SshOptions::default();
        for l in [
            "HostName %h.example.org",
            "CertificateFile ~/.ssh/id-cert.pub",
            "IdentitiesOnly yes",
            "IdentitiesOnly no",
            "IdentityAgent /run/agent.sock",
            "GlobalKnownHostsFile /etc/ssh/kh1 /etc/ssh/kh2",
            "StrictHostKeyChecking accept-new",
            "StrictHostKeyChecking yes",
            "HashKnownHosts TRUE",
            "HostKeyAlias web",
            "ServerAliveInterval 1m",
            "ServerAliveCountMax 4",
            "ConnectionAttempts 3",
            "PasswordAuthentication no",
            "ChallengeResponseAuthentication yes",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication host-bound",
            "PreferredAuthentications publickey,password",
            "AddressFamily inet6",
            "BatchMode yes",
            "Ciphers aes128-ctr",
            "HostKeyAlgorithms +ssh-rsa",
            "KexAlgorithms -diffie-hellman-group14-sha1",
            "MACs hmac-sha2-256",
            "PubkeyAcceptedKeyTypes +ssh-rsa",
            "PubkeyAcceptedAlgorithms rsa-sha2-512",
            "ProxyCommand none",
            "ProxyJump j1",
        ] {
            apply(&mut o, l).expect(l);
        }
        assert_eq!(o.hostname.as_deref(), Some("%h.example.org"));
        assert_eq!(o.certificate_files, ["~/.ssh/id-cert.pub"]);
        assert_eq!(o.identities_only, Some(true));
        assert_eq!(o.identity_agent.as_deref(), Some("/run/agent.sock"));
        assert_eq!(
            o.global_known_hosts,
            Some(vec!["/etc/ssh/kh1".to_string(), "/etc/ssh/kh2".to_string()])
        );
        assert_eq!(
            o.strict_host_key_checking,
            Some(StrictHostKeyChecking::AcceptNew)
        );
        assert_eq!(o.hash_known_hosts, Some(true));
        assert_eq!(o.host_key_alias.as_deref(), Some("web"));
        assert_eq!(o.server_alive_interval, Some(60));
        assert_eq!(o.server_alive_count_max, Some(4));
        assert_eq!(o.connection_attempts, Some(3));
        assert_eq!(o.password_authentication, Some(false));
        // ChallengeResponseAuthentication is the old name of the same option.
        assert_eq!(o.kbd_interactive_authentication, Some(true));
        assert_eq!(o.pubkey_authentication, Some(true));
        assert_eq!(
            o.preferred_authentications,
            Some(vec!["publickey".to_string(), "password".to_string()])
        );
        assert_eq!(o.address_family, Some(AddressFamily::Inet6));
        assert_eq!(o.batch_mode, Some(true));
        let a = &o.algorithms;
        assert_eq!(a.ciphers.as_deref(), Some("aes128-ctr"));
        assert_eq!(a.host_keys.as_deref(), Some("+ssh-rsa"));
        assert_eq!(a.kex.as_deref(), Some("-diffie-hellman-group14-sha1"));
        assert_eq!(a.macs.as_deref(), Some("hmac-sha2-256"));
        // The old and the new name share one slot: the first wins.
        assert_eq!(a.pubkey.as_deref(), Some("+ssh-rsa"));
        // ProxyCommand none came first: ProxyJump no longer changes it.
        assert_eq!(o.proxy, Some(ProxySetting::Direct));

        let mut o = SshOptions::default();
        for l in [
            "StrictHostKeyChecking off",
            "AddressFamily inet",
            "ConnectTimeout none",
            "PubkeyAuthentication unbound",
            "ProxyJump none",
        ] {
            apply(&mut o, l).expect(l);
        }
        assert_eq!(o.strict_host_key_checking, Some(StrictHostKeyChecking::No));
        assert_eq!(o.address_family, Some(AddressFamily::Inet));
        assert_eq!(o.connect_timeout, Some(None));
        assert_eq!(o.pubkey_authentication, Some(true));
        assert_eq!(o.proxy, Some(ProxySetting::Direct));
        let mut o = SshOptions::default();
        apply(&mut o, "StrictHostKeyChecking ask").expect("ask");
        assert_eq!(o.strict_host_key_checking, Some(StrictHostKeyChecking::Ask));
        apply(&mut o, "ProxyCommand ssh -W %h:%p bastion").expect("command");
        assert_eq!(
            o.proxy,
            Some(ProxySetting::Command("ssh -W %h:%p bastion".into()))
        );
    }

    #[test]
    fn bad_values_of_each_kind() {
        let mut o = SshOptions::default();
        for (l, want) in [
            ("AddressFamily foo", "unsupported option \"foo\"."),
            (
                "PubkeyAuthentication maybe",
                "unsupported option \"maybe\".",
            ),
            ("BatchMode perhaps", "unsupported option \"perhaps\"."),
            ("HashKnownHosts 2", "unsupported option \"2\"."),
            ("ServerAliveCountMax x", "invalid integer value \"x\"."),
            ("ConnectionAttempts -1", "invalid integer value \"-1\"."),
            ("ServerAliveInterval 5q", "invalid time value \"5q\"."),
            ("ConnectTimeout zz", "invalid time value \"zz\"."),
            ("Port 0", "Badly formatted port number."),
            ("User a b", "User: too many arguments."),
            ("ProxyCommand", "ProxyCommand: missing argument."),
            ("ProxyCommand nc %Q", ""),
            ("IdentityAgent /s/%Q", ""),
            ("UserKnownHostsFile /a /k/%Q", ""),
        ] {
            let e = apply(&mut o, l).expect_err(l).to_string();
            assert!(e.starts_with("cfg: line 1: "), "{l}: {e}");
            assert!(e.ends_with(want), "{l}: {e}");
        }
        // Nothing was set by the refused lines.
        assert_eq!(o, SshOptions::default());
        assert!(is_known("MATCH") && is_known("Include") && is_known("gssapikexalgorithms"));
        assert!(!is_known("frobnicate"));
        // An unknown keyword is refused even where its block does not apply.
        let line = split_line("Frob 1").expect("line");
        assert!(o.check_keyword(&line, &Span::new("cfg", 1, 1)).is_err());
    }

    #[test]
    fn time_overflow_and_units() {
        assert_eq!(parse_time("2w1d"), Some(2 * 604_800 + 86_400));
        assert_eq!(parse_time("10S"), Some(10));
        assert_eq!(parse_time("m"), None);
        assert_eq!(parse_time("99999999999999999999"), None);
        assert_eq!(parse_time("40000000000000w"), None);
    }
}
