// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! From what Ansible would hand to `ssh` to the target the native client
//! connects to. The order of the command-line options is Ansible's (its ssh
//! connection plugin builds them in this order), and since the first value
//! of an option wins, so are its precedences: inventory variables beat
//! `ansible_ssh_common_args`, which beats the configuration files.

use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;
use super::args::{CommandLine, apply_words};
use super::eval::{Evaluator, FileKind, MatchCtx};
use super::options::{ProxySetting, SshOptions, StrictHostKeyChecking};
use super::tokens;
use crate::span::Span;
use crate::transport::secret::Secret;
use crate::transport::shell_words;
use crate::transport::{AuthMethod, Proxy, SshTarget, quote};

/// Ansible's default `ssh_args`.
pub const ANSIBLE_SSH_ARGS: &str = "-C -o ControlMaster=auto -o ControlPersist=60s";

/// How many jump hosts deep a chain may go before it is taken for a loop.
const MAX_HOPS: usize = 8;

/// kiln's keepalive when the configuration says nothing: a peer that
/// vanished is noticed within a minute (OpenSSH's default is off).
const DEFAULT_KEEPALIVE: u64 = 15;

/// What Ansible knows about a host's connection, before any ssh_config.
#[derive(Debug, Clone)]
pub struct SshRequest {
    /// `ansible_host`, else the inventory name: what `Host` lines match.
    pub destination: String,
    /// `ansible_port` (or the `port` keyword) when set.
    pub port: Option<u16>,
    /// `ansible_user` / `remote_user` / `-u` when set.
    pub user: Option<String>,
    /// `ansible_ssh_private_key_file` / `--private-key`.
    pub private_key_file: Option<String>,
    /// `ansible_password` / `ansible_ssh_pass`.
    pub password: Option<Secret>,
    /// `host_key_checking`: false passes `StrictHostKeyChecking=no`.
    pub host_key_checking: bool,
    /// `ansible_ssh_timeout` / `timeout`: always passed as `ConnectTimeout`.
    pub timeout: Duration,
    /// `ansible_ssh_args` (`None`: Ansible's default).
    pub ssh_args: Option<String>,
    pub common_args: Option<String>,
    pub extra_args: Option<String>,
    /// The controller user's home, for `~` and `~/.ssh/config`.
    pub home: PathBuf,
    pub local_user: String,
    /// The system-wide file, read after the user's (`None`: none).
    pub system_config: Option<PathBuf>,
    pub max_channels: usize,
}

impl SshRequest {
    pub fn new(destination: impl Into<String>, home: impl Into<PathBuf>) -> Self {
        SshRequest {
            destination: destination.into(),
            port: None,
            user: None,
            private_key_file: None,
            password: None,
            host_key_checking: true,
            timeout: Duration::from_secs(10),
            ssh_args: None,
            common_args: None,
            extra_args: None,
            home: home.into(),
            local_user: std::env::var("USER").unwrap_or_else(|_| "root".into()),
            system_config: Some(PathBuf::from("/etc/ssh/ssh_config")),
            max_channels: 8,
        }
    }
}

/// Which files to read.
#[derive(Debug, Clone)]
enum Files {
    /// `~/.ssh/config`, then the system file.
    Default,
    /// `-F FILE`.
    Explicit(PathBuf),
    /// `-F none`.
    None,
}

/// Works out the target for `req`: its options, then the configuration.
pub fn resolve(req: &SshRequest) -> Result<SshTarget, ConfigError> {
    let mut opts = SshOptions::default();
    let mut cl = CommandLine::default();
    let words = |text: &str, what: &str| {
        shell_words::split(text).map_err(|e| ConfigError::Args {
            span: Span::synthetic(what),
            msg: e.to_string(),
        })
    };
    let ssh_args = req.ssh_args.as_deref().unwrap_or(ANSIBLE_SSH_ARGS);
    apply_words(
        &words(ssh_args, "ssh_args")?,
        "ssh_args",
        &mut opts,
        &mut cl,
    )?;
    if !req.host_key_checking {
        opts.strict_host_key_checking
            .get_or_insert(StrictHostKeyChecking::No);
    }
    if let Some(p) = req.port {
        opts.port.get_or_insert(p);
    }
    if let Some(k) = &req.private_key_file {
        opts.identity_files.push(tokens::tilde(k, &req.home));
    }
    if req.password.is_none() {
        // Ansible turns password prompts off when it has no password.
        opts.kbd_interactive_authentication.get_or_insert(false);
        opts.password_authentication.get_or_insert(false);
        opts.preferred_authentications.get_or_insert_with(|| {
            ["gssapi-with-mic", "gssapi-keyex", "hostbased", "publickey"]
                .map(String::from)
                .to_vec()
        });
    }
    if let Some(u) = &req.user {
        opts.user.get_or_insert_with(|| u.clone());
    }
    opts.connect_timeout
        .get_or_insert(Some(req.timeout.as_secs()));
    for (text, what) in [
        (&req.common_args, "ansible_ssh_common_args"),
        (&req.extra_args, "ansible_ssh_extra_args"),
    ] {
        if let Some(t) = text {
            apply_words(&words(t, what)?, what, &mut opts, &mut cl)?;
        }
    }
    let files = match cl.config_file.as_deref() {
        None => Files::Default,
        Some(f) if f.eq_ignore_ascii_case("none") => Files::None,
        Some(f) => Files::Explicit(PathBuf::from(tokens::tilde(f, &req.home))),
    };
    let mut t = resolve_with(&req.destination, opts, &files, req, 0)?;
    t.password = req.password.clone();
    Ok(t)
}

/// Reads the files for `dest` on top of `opts` and builds the target.
fn resolve_with(
    dest: &str,
    mut opts: SshOptions,
    files: &Files,
    req: &SshRequest,
    depth: usize,
) -> Result<SshTarget, ConfigError> {
    if depth > MAX_HOPS {
        return Err(ConfigError::JumpLoop {
            host: dest.to_string(),
        });
    }
    let ctx = MatchCtx {
        original_host: dest.to_string(),
        home: req.home.clone(),
        local_user: req.local_user.clone(),
        allow_exec: true,
    };
    {
        let mut ev = Evaluator::new(&ctx, &mut opts);
        match files {
            Files::Default => {
                ev.read_file(&req.home.join(".ssh/config"), FileKind::User, false, 0)?;
                if let Some(sys) = &req.system_config {
                    ev.read_file(sys, FileKind::System, false, 0)?;
                }
            }
            Files::Explicit(f) => ev.read_file(f, FileKind::User, true, 0)?,
            Files::None => {}
        }
    }
    build(dest, &opts, files, req, depth)
}

fn build(
    dest: &str,
    o: &SshOptions,
    files: &Files,
    req: &SshRequest,
    depth: usize,
) -> Result<SshTarget, ConfigError> {
    let address = match &o.hostname {
        Some(h) => tokens::expand(h, &|t| (t == 'h').then(|| dest.to_string())),
        None => dest.to_string(),
    };
    let port = o.port.unwrap_or(22);
    let user = o.user.clone().unwrap_or_else(|| req.local_user.clone());
    let jump_text = match &o.proxy {
        Some(ProxySetting::Jump(j)) => j.clone(),
        _ => String::new(),
    };
    let local_host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let uid = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m).to_string())
        .unwrap_or_default();
    let token = |t: char| -> Option<String> {
        Some(match t {
            'd' => req.home.display().to_string(),
            'h' => address.clone(),
            'i' => uid.clone(),
            'j' => jump_text.clone(),
            'k' => o.host_key_alias.clone().unwrap_or_else(|| dest.to_string()),
            'L' => local_host.split('.').next().unwrap_or_default().to_string(),
            'l' => local_host.clone(),
            'n' => dest.to_string(),
            'p' => port.to_string(),
            'r' => user.clone(),
            'u' => req.local_user.clone(),
            _ => return None,
        })
    };
    let path = |raw: &str, what: &str| -> Result<PathBuf, ConfigError> {
        let s = tokens::expand(raw, &token);
        let s = tokens::env_expand(&s).map_err(|msg| ConfigError::Args {
            span: Span::synthetic(what),
            msg,
        })?;
        Ok(PathBuf::from(tokens::tilde(&s, &req.home)))
    };

    let mut t = SshTarget::new(address.clone());
    t.port = port;
    t.user = user.clone();
    t.private_keys = if o.identity_files.is_empty() {
        DEFAULT_IDENTITIES
            .iter()
            .map(|f| req.home.join(f))
            .collect()
    } else {
        o.identity_files
            .iter()
            .map(|f| path(f, "IdentityFile"))
            .collect::<Result<_, _>>()?
    };
    t.certificate_files = o
        .certificate_files
        .iter()
        .map(|f| path(f, "CertificateFile"))
        .collect::<Result<_, _>>()?;
    t.identities_only = o.identities_only.unwrap_or(false);
    match o.identity_agent.as_deref() {
        None | Some("SSH_AUTH_SOCK") => {
            t.use_agent = true;
            t.agent_socket = None;
        }
        Some(a) if a.eq_ignore_ascii_case("none") => t.use_agent = false,
        Some(a) => {
            t.use_agent = true;
            t.agent_socket = Some(match a.strip_prefix('$') {
                Some(var) => match std::env::var_os(var) {
                    Some(v) => PathBuf::from(v),
                    None => {
                        t.use_agent = false;
                        PathBuf::new()
                    }
                },
                None => path(a, "IdentityAgent")?,
            });
        }
    }
    let files_of = |list: &Option<Vec<String>>, default: &[&str], what: &str| {
        let list: Vec<String> = match list {
            Some(l) => l.clone(),
            None => default.iter().map(|s| s.to_string()).collect(),
        };
        if list.len() == 1 && list[0].eq_ignore_ascii_case("none") {
            return Ok(Vec::new());
        }
        list.iter()
            .map(|f| path(f, what))
            .collect::<Result<Vec<_>, _>>()
    };
    t.known_hosts = files_of(
        &o.user_known_hosts,
        &["~/.ssh/known_hosts", "~/.ssh/known_hosts2"],
        "UserKnownHostsFile",
    )?;
    t.global_known_hosts = files_of(
        &o.global_known_hosts,
        &["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"],
        "GlobalKnownHostsFile",
    )?;
    t.host_key_checking = match o.strict_host_key_checking {
        // Without a terminal OpenSSH cannot ask, and refuses.
        None | Some(StrictHostKeyChecking::Ask) => StrictHostKeyChecking::Yes,
        Some(s) => s,
    };
    t.hash_known_hosts = o.hash_known_hosts.unwrap_or(false);
    t.host_key_alias = o.host_key_alias.clone();
    t.connect_timeout = match o.connect_timeout {
        Some(Some(s)) if s > 0 => Duration::from_secs(s),
        _ => req.timeout,
    };
    t.connection_attempts = o.connection_attempts.unwrap_or(1).max(1);
    t.keepalive_interval = match o.server_alive_interval.unwrap_or(DEFAULT_KEEPALIVE) {
        0 => None,
        s => Some(Duration::from_secs(s)),
    };
    t.keepalive_max = o.server_alive_count_max.unwrap_or(3) as usize;
    t.auth_methods = auth_methods(o);
    t.address_family = o.address_family.unwrap_or_default();
    t.max_channels = req.max_channels;
    t.algorithms = o.algorithms.clone();
    t.proxy = match &o.proxy {
        None | Some(ProxySetting::Direct) => None,
        Some(ProxySetting::Command(cmd)) => {
            // Substituted values go through the one quoting routine, so a
            // host or user name cannot inject shell syntax.
            let cmd = tokens::expand(cmd, &|c| match c {
                'h' => Some(quote(&address)),
                'p' => Some(port.to_string()),
                'r' => Some(quote(&user)),
                'n' => Some(quote(dest)),
                _ => None,
            });
            Some(Proxy::Command(cmd))
        }
        Some(ProxySetting::Jump(spec)) => {
            let hops: Vec<&str> = spec.split(',').map(str::trim).collect();
            let (last, before) = match hops.split_last() {
                Some((l, b)) => (*l, b),
                None => return Err(bad_jump(spec)),
            };
            let hop = parse_jump(last).ok_or_else(|| bad_jump(spec))?;
            let mut hop_opts = SshOptions {
                user: hop.user,
                port: hop.port,
                ..SshOptions::default()
            };
            if !before.is_empty() {
                hop_opts.proxy = Some(ProxySetting::Jump(before.join(",")));
            }
            let hop_req = SshRequest {
                password: None,
                ..req.clone()
            };
            let hop_target = resolve_with(&hop.host, hop_opts, files, &hop_req, depth + 1)?;
            Some(Proxy::Jump(Box::new(hop_target)))
        }
    };
    Ok(t)
}

/// OpenSSH's default identities, in its order.
const DEFAULT_IDENTITIES: [&str; 4] = [
    ".ssh/id_rsa",
    ".ssh/id_ecdsa",
    ".ssh/id_ed25519",
    ".ssh/id_dsa",
];

fn bad_jump(spec: &str) -> ConfigError {
    ConfigError::Args {
        span: Span::synthetic("ProxyJump"),
        msg: format!("Invalid ProxyJump \"{spec}\""),
    }
}

/// The methods to try, in `PreferredAuthentications` order, leaving out
/// those turned off and those kiln does not speak (gssapi, hostbased).
fn auth_methods(o: &SshOptions) -> Vec<AuthMethod> {
    let default = [
        "gssapi-with-mic",
        "hostbased",
        "publickey",
        "keyboard-interactive",
        "password",
    ];
    let order: Vec<String> = match &o.preferred_authentications {
        Some(p) => p.clone(),
        None => default.iter().map(|s| s.to_string()).collect(),
    };
    let mut out = Vec::new();
    for m in order {
        let method = match m.as_str() {
            "publickey" if o.pubkey_authentication.unwrap_or(true) => AuthMethod::PublicKey,
            "keyboard-interactive" if o.kbd_interactive_authentication.unwrap_or(true) => {
                AuthMethod::KeyboardInteractive
            }
            "password" if o.password_authentication.unwrap_or(true) => AuthMethod::Password,
            _ => continue,
        };
        if !out.contains(&method) {
            out.push(method);
        }
    }
    out
}

/// One hop: `[user@]host[:port]` or `ssh://[user@]host[:port]`, with
/// `[v6addr]:port` brackets.
#[derive(Debug, PartialEq, Eq)]
struct Hop {
    user: Option<String>,
    host: String,
    port: Option<u16>,
}

fn parse_jump(s: &str) -> Option<Hop> {
    let s = s.strip_prefix("ssh://").unwrap_or(s);
    let (user, hostport) = match s.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
        Some(_) => return None,
        None => (None, s),
    };
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        (h.to_string(), port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) if !p.contains(':') => (h.to_string(), Some(p.parse().ok()?)),
            Some(_) => (hostport.to_string(), None),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty() || port == Some(0) {
        return None;
    }
    Some(Hop { user, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn home_with_config(text: &str) -> tempfile::TempDir {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(home.path().join(".ssh")).expect("mkdir");
        std::fs::write(home.path().join(".ssh/config"), text).expect("write");
        home
    }

    fn req(dest: &str, home: &Path) -> SshRequest {
        let mut r = SshRequest::new(dest, home);
        r.system_config = None;
        r.local_user = "me".into();
        r
    }

    #[test]
    fn jump_specs() {
        assert_eq!(
            parse_jump("u@h:2200"),
            Some(Hop {
                user: Some("u".into()),
                host: "h".into(),
                port: Some(2200)
            })
        );
        assert_eq!(
            parse_jump("ssh://[::1]:22"),
            Some(Hop {
                user: None,
                host: "::1".into(),
                port: Some(22)
            })
        );
        assert_eq!(
            parse_jump("bastion"),
            Some(Hop {
                user: None,
                host: "bastion".into(),
                port: None
            })
        );
        assert_eq!(parse_jump("h:x"), None);
        assert_eq!(parse_jump("@h"), None);
        assert_eq!(parse_jump("h:0"), None);
    }

    #[test]
    fn inventory_variables_beat_the_config_which_fills_the_rest() {
        let home = home_with_config(
            "Host web\n  HostName 10.9.9.%h\n  User cfguser\n  Port 2022\n  IdentityFile %d/keys/%r@%h\n  ConnectTimeout 3\n  ServerAliveInterval 0\n",
        );
        let mut r = req("web", home.path());
        r.user = Some("invuser".into());
        let t = resolve(&r).expect("resolves");
        assert_eq!(t.address, "10.9.9.web");
        assert_eq!((t.user.as_str(), t.port), ("invuser", 2022));
        assert_eq!(
            t.private_keys,
            [home.path().join("keys/invuser@10.9.9.web")]
        );
        // Ansible always passes its timeout, so ConnectTimeout from the file
        // does not count; ServerAliveInterval 0 turns keepalives off.
        assert_eq!(t.connect_timeout, Duration::from_secs(10));
        assert_eq!(t.keepalive_interval, None);
        // No password: only public keys, as Ansible arranges.
        assert_eq!(t.auth_methods, [AuthMethod::PublicKey]);

        r.port = Some(2300);
        r.common_args = Some("-o Port=1 -o User=x -i /k/extra".into());
        r.password = Some(Secret::new("pw"));
        let t = resolve(&r).expect("resolves");
        assert_eq!((t.user.as_str(), t.port), ("invuser", 2300));
        assert_eq!(
            t.private_keys,
            [
                PathBuf::from("/k/extra"),
                home.path().join("keys/invuser@10.9.9.web")
            ]
        );
        assert_eq!(
            t.auth_methods,
            [
                AuthMethod::PublicKey,
                AuthMethod::KeyboardInteractive,
                AuthMethod::Password
            ]
        );
    }

    #[test]
    fn jump_chain_each_hop_with_its_config() {
        let home = home_with_config(
            "Host b1\n  HostName 127.0.0.50\n  User hopper\n  Port 2201\nHost b2\n  ProxyJump nowhere\n  User second\nHost target\n  ProxyJump b1,admin@b2:2202\n",
        );
        let t = resolve(&req("target", home.path())).expect("resolves");
        let Some(Proxy::Jump(b2)) = &t.proxy else {
            panic!("{:?}", t.proxy)
        };
        // b2 is reached through b1: the explicit chain beats b2's own ProxyJump.
        assert_eq!(
            (b2.address.as_str(), b2.user.as_str(), b2.port),
            ("b2", "admin", 2202)
        );
        let Some(Proxy::Jump(b1)) = &b2.proxy else {
            panic!("{:?}", b2.proxy)
        };
        assert_eq!(
            (b1.address.as_str(), b1.user.as_str(), b1.port),
            ("127.0.0.50", "hopper", 2201)
        );
        assert!(b1.proxy.is_none());
        // Host keys of hops are checked like any other.
        assert_eq!(b1.host_key_checking, StrictHostKeyChecking::Yes);
    }

    #[test]
    fn proxy_jump_none_and_loops() {
        let home =
            home_with_config("Host direct 127.0.0.*\n  ProxyJump none\nHost *\n  ProxyJump gw\n");
        let t = resolve(&req("direct", home.path())).expect("resolves");
        assert!(t.proxy.is_none());
        // gw's own config says ProxyJump gw too: that is a loop.
        let e = resolve(&req("elsewhere", home.path())).expect_err("loop");
        assert!(matches!(e, ConfigError::JumpLoop { .. }), "{e}");
        // -J on the command line beats the file.
        let mut r = req("direct", home.path());
        r.common_args = Some("-J u@127.0.0.9".into());
        let t = resolve(&r).expect("resolves");
        assert!(matches!(t.proxy, Some(Proxy::Jump(_))));
    }

    #[test]
    fn proxy_command_quotes_substitutions() {
        let home = home_with_config("Host *\n  ProxyCommand exec nc %h %p # %r\n  User 'a b'\n");
        let t = resolve(&req("x;touch y", home.path())).expect("resolves");
        assert_eq!(
            t.proxy,
            Some(Proxy::Command("exec nc 'x;touch y' 22 # 'a b'".into()))
        );
    }

    #[test]
    fn f_none_and_missing_f_file() {
        let home = home_with_config("Host *\n  Port 2999\n");
        let mut r = req("h", home.path());
        r.common_args = Some("-F none".into());
        assert_eq!(resolve(&r).expect("resolves").port, 22);
        r.common_args = Some("-F /nonexistent/kiln-cfg".into());
        let e = resolve(&r).expect_err("missing -F file");
        assert_eq!(
            e.to_string(),
            "Can't open user config file /nonexistent/kiln-cfg: No such file or directory"
        );
        r.common_args = Some("-o 'User".into());
        assert!(matches!(resolve(&r), Err(ConfigError::Args { .. })));
    }

    #[test]
    fn known_hosts_and_strictness() {
        let home = home_with_config(
            "Host a\n  UserKnownHostsFile ~/kh1 /kh/%h\n  GlobalKnownHostsFile none\n  StrictHostKeyChecking accept-new\n  HashKnownHosts yes\n",
        );
        let t = resolve(&req("a", home.path())).expect("resolves");
        assert_eq!(
            t.known_hosts,
            [home.path().join("kh1"), PathBuf::from("/kh/a")]
        );
        assert!(t.global_known_hosts.is_empty());
        assert_eq!(t.host_key_checking, StrictHostKeyChecking::AcceptNew);
        assert!(t.hash_known_hosts);
        // host_key_checking = False comes first and wins.
        let mut r = req("a", home.path());
        r.host_key_checking = false;
        assert_eq!(
            resolve(&r).expect("resolves").host_key_checking,
            StrictHostKeyChecking::No
        );
        let t = resolve(&req("b", home.path())).expect("resolves");
        assert_eq!(t.host_key_checking, StrictHostKeyChecking::Yes);
        assert_eq!(
            t.known_hosts,
            [
                home.path().join(".ssh/known_hosts"),
                home.path().join(".ssh/known_hosts2")
            ]
        );
    }
}
