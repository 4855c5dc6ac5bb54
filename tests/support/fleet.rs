// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A set of sshd test hosts described by a playbook's header comments, with
//! the inventory and the controller's `~/.ssh` written for them, and helpers
//! to run kiln (the binary, or the library in-process) against them.
//!
//! Header conventions (shared with tests/oracle/record.py):
//! `# hosts: N` (default 1), `# down: h3` (in the inventory, sshd stopped),
//! `# badkey: h2` (its known_hosts entry holds another key),
//! `# groups: web=h1,h2 db=h3`, `# args: --check -e x=1`,
//! `# bare: yes` (booted Debian containers, see nspawn.rs, not sshd servers).

use super::sshd::{self, TestHost};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The longest a test's kiln run may take: the slowest (bare hosts under
/// load) take about a minute.
pub const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// What a playbook's header asks for.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub hosts: usize,
    pub down: Vec<String>,
    pub badkey: Vec<String>,
    pub nokey: Vec<String>,
    pub groups: BTreeMap<String, Vec<String>>,
    /// `# children: parent=g1,g2`: `[parent:children]` sections.
    pub children: BTreeMap<String, Vec<String>>,
    /// `# inventory_vars: DIR`: DIR (next to the playbook) holds the
    /// group_vars/ and host_vars/ put next to the inventory.
    pub inventory_vars: Option<PathBuf>,
    pub args: Vec<String>,
    /// `# callback: minimal`: the stdout callback of the run.
    pub callback: Option<String>,
    pub bare: bool,
}

impl Header {
    pub fn parse(playbook: &Path) -> Header {
        let text = fs::read_to_string(playbook).expect("playbook readable");
        let mut h = Header {
            hosts: 1,
            ..Header::default()
        };
        for line in text.lines() {
            let Some(c) = line.strip_prefix('#') else {
                break;
            };
            let Some((k, v)) = c.trim().split_once(':') else {
                continue;
            };
            let v = v.trim();
            let list = || {
                v.split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            };
            match k.trim() {
                "hosts" => h.hosts = v.parse().expect("hosts: N"),
                "down" => h.down = list(),
                "badkey" => h.badkey = list(),
                "nokey" => h.nokey = list(),
                "groups" => {
                    for g in v.split_whitespace() {
                        let (name, members) = g.split_once('=').expect("groups: g=h1,h2");
                        h.groups.insert(
                            name.to_string(),
                            members.split(',').map(str::to_string).collect(),
                        );
                    }
                }
                "children" => {
                    for g in v.split_whitespace() {
                        let (name, members) = g.split_once('=').expect("children: p=g1,g2");
                        h.children.insert(
                            name.to_string(),
                            members.split(',').map(str::to_string).collect(),
                        );
                    }
                }
                "inventory_vars" => {
                    h.inventory_vars = Some(playbook.parent().expect("playbook dir").join(v));
                }
                "args" => h.args = shell_split(v),
                "callback" => h.callback = Some(v.to_string()),
                "bare" => h.bare = matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1"),
                _ => {}
            }
        }
        h
    }
}

/// Copies the files under `from` into `to`, keeping the tree.
fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("inventory_vars dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Splits `# args:` like a shell would (single and double quotes).
fn shell_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Running test hosts plus the controller side (inventory, HOME).
pub struct Fleet {
    pub hosts: Vec<TestHost>,
    pub names: Vec<String>,
    /// Root of everything this fleet wrote (inventory, HOME, host state).
    pub root: tempfile::TempDir,
    pub inventory: PathBuf,
    pub home: PathBuf,
}

/// What a kiln run printed and returned.
#[derive(Debug)]
pub struct RunOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Fleet {
    /// Starts `header.hosts` hosts named h1..hN and prepares the controller.
    pub fn start(header: &Header) -> Fleet {
        sshd::ensure_sshd_prereqs();
        let root = tempfile::Builder::new()
            .prefix("kiln-fleet-")
            .tempdir()
            .expect("tempdir");
        let names: Vec<String> = (1..=header.hosts).map(|i| format!("h{i}")).collect();
        let mut hosts: Vec<TestHost> = names.iter().map(|_| TestHost::start()).collect();
        let home = root.path().join("home");
        fs::create_dir_all(home.join(".ssh")).expect("home");
        // The controller's known_hosts: one line per host, or a wrong key.
        let mut known = String::new();
        for (name, h) in names.iter().zip(&hosts) {
            if header.nokey.contains(name) {
                continue;
            }
            if header.badkey.contains(name) {
                let other = root.path().join(format!("other-key-{name}"));
                sshd::keygen(&other, "other");
                let public = fs::read_to_string(other.with_extension("pub"))
                    .or_else(|_| fs::read_to_string(format!("{}.pub", other.display())))
                    .expect("other public key");
                let mut parts = public.split_whitespace();
                let (kt, kb) = (parts.next().expect("type"), parts.next().expect("key"));
                known.push_str(&format!("[{}]:{} {kt} {kb}\n", h.address(), h.port()));
            } else {
                known.push_str(h.known_hosts_line());
                known.push('\n');
            }
        }
        fs::write(home.join(".ssh/known_hosts"), known).expect("known_hosts");
        // Per-host state dirs live on this machine, one per inventory name.
        let mut inv = String::from("[all]\n");
        for (name, h) in names.iter().zip(&hosts) {
            let state = root.path().join("state").join(name);
            fs::create_dir_all(&state).expect("state dir");
            inv.push_str(&format!(
                "{name} ansible_host={} ansible_port={} ansible_user=root ansible_ssh_private_key_file={} state_dir={}\n",
                h.address(),
                h.port(),
                h.client_key_path().display(),
                state.display()
            ));
        }
        for (g, members) in &header.groups {
            inv.push_str(&format!("\n[{g}]\n"));
            for m in members {
                inv.push_str(m);
                inv.push('\n');
            }
        }
        for (g, members) in &header.children {
            inv.push_str(&format!("\n[{g}:children]\n"));
            for m in members {
                inv.push_str(m);
                inv.push('\n');
            }
        }
        let inventory = root.path().join("inventory.ini");
        fs::write(&inventory, inv).expect("inventory");
        if let Some(dir) = &header.inventory_vars {
            copy_tree(dir, root.path());
        }
        for (name, h) in names.iter().zip(hosts.iter_mut()) {
            if header.down.contains(name) {
                h.stop();
            }
        }
        Fleet {
            hosts,
            names,
            root,
            inventory,
            home,
        }
    }

    /// The state dir of host `name` (as written in the inventory).
    pub fn state_dir(&self, name: &str) -> PathBuf {
        self.root.path().join("state").join(name)
    }

    /// The kiln binary's command line: `kiln playbook -i INVENTORY PLAYBOOK
    /// ARGS...` with HOME pointing at the fleet's controller home.
    pub fn command(&self, playbook: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
        cmd.arg("playbook")
            .arg("-i")
            .arg(&self.inventory)
            .arg(playbook)
            .args(args)
            .env("HOME", &self.home)
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("ANSIBLE_CONFIG")
            .env("ANSIBLE_NOCOLOR", "1")
            .current_dir(self.root.path());
        cmd
    }

    /// Runs the kiln binary (see [`Fleet::command`]) to the end. A run
    /// still going after [`RUN_LIMIT`] is a hang: it is killed and the test
    /// fails with what it printed, rather than holding CI until its limit.
    pub fn run(&self, playbook: &Path, args: &[&str]) -> RunOutput {
        let mut child = self
            .command(playbook, args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kiln runs");
        let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(mut r) = r {
                    let _ = r.read_to_end(&mut buf);
                }
                String::from_utf8_lossy(&buf).into_owned()
            })
        };
        let stdout = drain(child.stdout.take().map(|o| Box::new(o) as _));
        let stderr = drain(child.stderr.take().map(|e| Box::new(e) as _));
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for kiln") {
                break status;
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "kiln hung for {RUN_LIMIT:?} and was killed: {} {args:?}\n{}{}",
                    playbook.display(),
                    stdout.join().unwrap_or_default(),
                    stderr.join().unwrap_or_default()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        RunOutput {
            code: status.code().unwrap_or(-1),
            stdout: stdout.join().expect("stdout"),
            stderr: stderr.join().expect("stderr"),
        }
    }
}
