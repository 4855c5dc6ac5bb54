// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `wait_for`: a port, a path or a port's connections, checked from the
//! host as Ansible's module does there.
//!
//! The controller keeps the clock (`delay`, `timeout`, `sleep`) and asks the
//! host once per attempt with one small probe: `[ -e ]` and the file's bytes
//! for a path (the regex is applied here, with Python's multiline search),
//! a TCP connect for a port (bash's `/dev/tcp`, else `nc`; a bare POSIX sh
//! has no sockets, so a host with neither fails with that message), and
//! `/proc/net/tcp{,6}` for `drained`.

use super::args::ArgReader;
use super::probe::{Reply, expand_home, needs_home, probe, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Map, Value as Json, json};
use std::time::{Duration, Instant};

pub struct WaitFor;

const STATES: &[&str] = &["absent", "drained", "present", "started", "stopped"];

/// TCP states by name and their hex codes in /proc/net/tcp.
const TCP_STATES: &[(&str, &str)] = &[
    ("ESTABLISHED", "01"),
    ("SYN_SENT", "02"),
    ("SYN_RECV", "03"),
    ("FIN_WAIT1", "04"),
    ("FIN_WAIT2", "05"),
    ("TIME_WAIT", "06"),
    ("CLOSE", "07"),
    ("CLOSE_WAIT", "08"),
    ("LAST_ACK", "09"),
    ("LISTEN", "0A"),
    ("CLOSING", "0B"),
];

static SPEC: ModuleSpec = ModuleSpec {
    name: "wait_for",
    args: &[
        ArgSpec::new("host", T::Str),
        ArgSpec::new("timeout", T::Int),
        ArgSpec::new("connect_timeout", T::Int),
        ArgSpec::new("delay", T::Int),
        ArgSpec::new("port", T::Int),
        ArgSpec::new("active_connection_states", T::List),
        ArgSpec::new("path", T::Path),
        ArgSpec::new("search_regex", T::Str),
        ArgSpec::new("state", T::Str).choices(STATES),
        ArgSpec::new("exclude_hosts", T::List),
        ArgSpec::new("sleep", T::Int),
        ArgSpec::new("msg", T::Str),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct WaitForArgs {
    host: String,
    timeout: u64,
    connect_timeout: u64,
    delay: u64,
    port: Option<i64>,
    states: Vec<String>,
    path: Option<String>,
    search_regex: Option<String>,
    regex: Option<regex::bytes::Regex>,
    state: String,
    exclude_hosts: Option<Vec<String>>,
    sleep: u64,
    msg: Option<String>,
}

fn list(a: &ArgReader<'_>, name: &str) -> Option<Vec<String>> {
    match a.raw(name)? {
        Json::Array(v) => Some(
            v.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect(),
        ),
        Json::String(s) => Some(s.split(',').map(|x| x.trim().to_string()).collect()),
        other => Some(vec![other.to_string()]),
    }
}

fn secs(a: &ArgReader<'_>, name: &str, default: i64) -> u64 {
    a.raw(name)
        .and_then(Json::as_i64)
        .unwrap_or(default)
        .max(0)
        .unsigned_abs()
}

/// What one attempt saw.
enum Seen {
    /// The path exists (with its bytes when a regex must be applied).
    Path(Option<Vec<u8>>),
    NoPath,
    /// Connected (with what the port said when a regex must be applied).
    Port(Option<Vec<u8>>),
    NoPort,
    /// Active connections on the port.
    Connections(usize),
}

/// Counts connections in `/proc/net/tcp` text whose local port is `port`,
/// whose state is active, and whose remote address is not excluded.
fn count_connections(table: &str, port: i64, states: &[String], exclude: &[String]) -> usize {
    let codes: Vec<&str> = states
        .iter()
        .filter_map(|s| TCP_STATES.iter().find(|(n, _)| n == s).map(|(_, c)| *c))
        .collect();
    table
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (local, remote, st) = (f.get(1)?, f.get(2)?, f.get(3)?);
            let lport = i64::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
            let raddr = remote.split(':').next()?;
            Some((lport, raddr.to_string(), st.to_string()))
        })
        .filter(|(lport, raddr, st)| {
            *lport == port
                && codes.contains(&st.as_str())
                && !exclude
                    .iter()
                    .any(|h| hex_ipv4(h).as_deref() == Some(raddr.as_str()))
        })
        .count()
}

/// An IPv4 address as /proc/net/tcp writes it (little-endian hex).
fn hex_ipv4(ip: &str) -> Option<String> {
    let o: Vec<u8> = ip
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if o.len() != 4 {
        return None;
    }
    Some(format!("{:02X}{:02X}{:02X}{:02X}", o[3], o[2], o[1], o[0]))
}

impl WaitFor {
    fn attempt_script(&self, a: &WaitForArgs) -> String {
        if a.state == "drained" {
            return "ktmp || exit 1\ncat /proc/net/tcp /proc/net/tcp6 > \"$_t\" 2>/dev/null; kfile tcp \"$_t\"; rm -f -- \"$_t\"".into();
        }
        if let Some(p) = &a.path {
            let mut s = format!("p={}\n", sh_path(p));
            if needs_home(p) {
                s.push_str("kv home \"$HOME\"\n");
            }
            s.push_str("if [ -e \"$p\" ]; then kv exists 1; kst st \"$p\"\n");
            if a.regex.is_some() && matches!(a.state.as_str(), "started" | "present") {
                s.push_str("  [ -r \"$p\" ] && kfile content \"$p\"\n");
            }
            s.push_str(
                "else e=$(stat -L -c %n -- \"$p\" 2>&1 >/dev/null); kv staterr \"$e\"; fi\n",
            );
            return s;
        }
        let port = a.port.unwrap_or_default();
        let t = a.connect_timeout.max(1);
        let h = quote(&a.host);
        let read = a.regex.is_some() && matches!(a.state.as_str(), "started" | "present");
        // bash opens TCP sockets itself; `timeout` bounds the connect. Like
        // the module's `recv(1024)`, one read is taken per attempt.
        let bash = if read {
            format!(
                "timeout {t} bash -c 'exec 3<>\"/dev/tcp/$0/$1\" || exit 1; echo connected; timeout {t} dd bs=1024 count=1 <&3 2>/dev/null' {h} {port}"
            )
        } else {
            format!(
                "timeout {t} bash -c 'exec 3<>\"/dev/tcp/$0/$1\"' {h} {port} 2>/dev/null && echo connected"
            )
        };
        let nc = if read {
            format!(
                "nc -w {t} {h} {port} </dev/null | {{ echo connected; dd bs=1024 count=1 2>/dev/null; }}"
            )
        } else {
            format!("nc -z -w {t} {h} {port} && echo connected")
        };
        format!(
            "ktmp || exit 1\no=$_t\n\
             if command -v bash >/dev/null 2>&1; then {bash} > \"$o\" 2>/dev/null\n\
             elif command -v nc >/dev/null 2>&1; then {nc} > \"$o\" 2>/dev/null\n\
             else kv notools 1; fi\n\
             [ -s \"$o\" ] && kfile port \"$o\"; rm -f -- \"$o\"\n"
        )
    }

    fn read(&self, a: &WaitForArgs, reply: &Reply) -> Result<Seen, String> {
        if reply.has("notools") {
            return Err("wait_for needs bash or nc on the host to open a TCP connection".into());
        }
        if a.state == "drained" {
            let table = reply.text("tcp").unwrap_or_default();
            let exclude = a.exclude_hosts.clone().unwrap_or_default();
            return Ok(Seen::Connections(count_connections(
                &table,
                a.port.unwrap_or_default(),
                &a.states,
                &exclude,
            )));
        }
        if a.path.is_some() {
            if reply.has("exists") {
                return Ok(Seen::Path(reply.bytes("content").map(<[u8]>::to_vec)));
            }
            let err = reply.text("staterr").unwrap_or_default();
            let reason = err.rsplit(": ").next().unwrap_or("").trim().to_string();
            if !reason.is_empty() && reason != "No such file or directory" {
                return Err(reason);
            }
            return Ok(Seen::NoPath);
        }
        match reply.bytes("port") {
            Some(out) if out.starts_with(b"connected\n") => {
                Ok(Seen::Port(Some(out["connected\n".len()..].to_vec())))
            }
            _ => Ok(Seen::NoPort),
        }
    }
}

fn with_elapsed(mut r: ModResult, start: Instant) -> ModResult {
    r.insert("elapsed".into(), json!(start.elapsed().as_secs()));
    r
}

#[async_trait::async_trait]
impl Module for WaitFor {
    type Args = WaitForArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<WaitForArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        let search_regex = a.str("search_regex");
        let regex = match &search_regex {
            None => None,
            Some(r) => Some(
                regex::bytes::RegexBuilder::new(r)
                    .multi_line(true)
                    .build()
                    .map_err(|e| format!("Invalid regular expression: {e}"))?,
            ),
        };
        let states = list(&a, "active_connection_states").unwrap_or_else(|| {
            [
                "ESTABLISHED",
                "FIN_WAIT1",
                "FIN_WAIT2",
                "SYN_RECV",
                "SYN_SENT",
                "TIME_WAIT",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        });
        Ok(WaitForArgs {
            host: a.str_or("host", "127.0.0.1"),
            timeout: secs(&a, "timeout", 300),
            connect_timeout: secs(&a, "connect_timeout", 5),
            delay: secs(&a, "delay", 0),
            port: a.raw("port").and_then(Json::as_i64),
            states,
            path: a.str("path"),
            search_regex,
            regex,
            state: a
                .choice("state", Some("started"))?
                .unwrap_or_else(|| "started".into()),
            exclude_hosts: list(&a, "exclude_hosts"),
            sleep: secs(&a, "sleep", 1),
            msg: a.str("msg"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &WaitForArgs) -> Result<Step<()>, ModuleError> {
        let early = |m: &str| {
            let mut r = failed(m);
            r.insert("elapsed".into(), json!(0));
            Ok(Step::Done(r))
        };
        if a.port.is_some() && a.path.is_some() {
            return early("port and path parameter can not both be passed to wait_for");
        }
        if a.path.is_some() && a.state == "stopped" {
            return early(
                "state=stopped should only be used for checking a port in the wait_for module",
            );
        }
        if a.path.is_some() && a.state == "drained" {
            return early(
                "state=drained should only be used for checking a port in the wait_for module",
            );
        }
        if a.exclude_hosts.is_some() && a.state != "drained" {
            return early("exclude_hosts should only be with state=drained");
        }
        if let Some(bad) = a
            .states
            .iter()
            .find(|s| !TCP_STATES.iter().any(|(n, _)| n == s))
        {
            return early(&format!("unknown active_connection_state ({bad}) defined"));
        }
        if ctx.check_mode {
            let mut r = ModResult::new();
            r.insert("changed".into(), json!(false));
            r.insert("skipped".into(), json!(true));
            r.insert(
                "msg".into(),
                json!("remote module (wait_for) does not support check mode"),
            );
            return Ok(Step::Done(r));
        }
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(a.delay)).await;
        let deadline = start + Duration::from_secs(a.timeout);
        let mut home = None;
        let mut info = None;
        let mut groups: Vec<Json> = Vec::new();
        let mut named = Map::new();
        if a.port.is_none() && a.path.is_none() && a.state != "drained" {
            tokio::time::sleep(Duration::from_secs(a.timeout)).await;
        } else {
            let script = self.attempt_script(a);
            let started_like = matches!(a.state.as_str(), "started" | "present");
            let mut done = false;
            while Instant::now() < deadline {
                let reply = probe(ctx, &script).await?;
                if let Some(e) = reply.failure() {
                    return Ok(Step::Done(failed(e)));
                }
                if home.is_none() {
                    home = reply.text("home");
                }
                info = reply.stat("st");
                let seen = match self.read(a, &reply) {
                    Ok(s) => s,
                    Err(e) => {
                        let path = a.path.clone().unwrap_or_default();
                        let m = if a.path.is_some() {
                            format!("Failed to stat {path}, {e}")
                        } else {
                            e
                        };
                        return Ok(Step::Done(with_elapsed(
                            failed(a.msg.clone().unwrap_or(m)),
                            start,
                        )));
                    }
                };
                done = match seen {
                    Seen::Connections(n) => n == 0,
                    Seen::NoPath | Seen::NoPort => !started_like,
                    Seen::Path(content) | Seen::Port(content) if started_like => {
                        match (&a.regex, content) {
                            (None, _) => true,
                            (Some(re), Some(bytes)) => match re.captures(&bytes) {
                                // Only a file's match gives groups.
                                Some(c) if a.path.is_some() => {
                                    for (i, name) in re.capture_names().enumerate().skip(1) {
                                        let v = c.get(i).map_or(Json::Null, |m| {
                                            json!(String::from_utf8_lossy(m.as_bytes()))
                                        });
                                        if let Some(n) = name {
                                            named.insert(n.to_string(), v.clone());
                                        }
                                        groups.push(v);
                                    }
                                    true
                                }
                                Some(_) => true,
                                None => false,
                            },
                            (Some(_), None) => false,
                        }
                    }
                    Seen::Path(_) | Seen::Port(_) => false,
                };
                if done {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(a.sleep)).await;
            }
            if !done {
                let path = a
                    .path
                    .as_deref()
                    .map(|p| expand_home(p, home.as_deref()))
                    .unwrap_or_default();
                let port = a.port.unwrap_or_default();
                let host = &a.host;
                let m = match (a.state.as_str(), a.path.is_some(), &a.search_regex) {
                    ("drained", _, _) => format!("Timeout when waiting for {host}:{port} to drain"),
                    ("absent" | "stopped", false, _) => {
                        format!("Timeout when waiting for {host}:{port} to stop.")
                    }
                    ("absent" | "stopped", true, _) => {
                        format!("Timeout when waiting for {path} to be absent.")
                    }
                    (_, false, Some(r)) => {
                        format!("Timeout when waiting for search string {r} in {host}:{port}")
                    }
                    (_, false, None) => format!("Timeout when waiting for {host}:{port}"),
                    (_, true, Some(r)) => {
                        format!("Timeout when waiting for search string {r} in {path}")
                    }
                    (_, true, None) => format!("Timeout when waiting for file {path}"),
                };
                return Ok(Step::Done(with_elapsed(
                    failed(a.msg.clone().unwrap_or(m)),
                    start,
                )));
            }
        }
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        r.insert("state".into(), json!(a.state));
        r.insert("port".into(), json!(a.port));
        r.insert("search_regex".into(), json!(a.search_regex));
        r.insert("match_groups".into(), Json::Array(groups));
        r.insert("match_groupdict".into(), Json::Object(named));
        r.insert(
            "path".into(),
            json!(a.path.as_deref().map(|p| expand_home(p, home.as_deref()))),
        );
        let mut r = with_elapsed(r, start);
        // Ansible adds the path's owner, mode... (and `state: file`) when
        // it exists at the end.
        if a.path.is_some() {
            super::probe::add_path_info(&mut r, info.as_ref());
        }
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &WaitForArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_active_connections_on_a_port() {
        let table = "  sl  local_address rem_address   st\n\
   0: 0100007F:1F90 00000000:0000 0A 0\n\
   1: 0100007F:1F90 0200007F:D431 01 0\n\
   2: 0100007F:1F90 0300007F:D432 06 0\n\
   3: 0100007F:0016 0200007F:D433 01 0\n";
        let states = vec!["ESTABLISHED".to_string(), "TIME_WAIT".to_string()];
        assert_eq!(count_connections(table, 8080, &states, &[]), 2);
        assert_eq!(
            count_connections(table, 8080, &states, &["127.0.0.2".to_string()]),
            1
        );
        assert_eq!(hex_ipv4("127.0.0.1").as_deref(), Some("0100007F"));
    }
}
