// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Bare Debian hosts for tests: systemd as PID 1, sshd, sudo, apt, no
//! Python, each a `systemd-nspawn --boot --volatile=overlay` container on
//! its own `127.0.0.x` address. Modules that manage packages, services and
//! users run against these, never against the build machine.
//!
//! ```ignore
//! mod support;
//! use support::nspawn::{self, Flavour};
//!
//! #[test]
//! fn installs_jq() {
//!     // One booted set per test binary, shared by its tests one at a time
//!     // (the guard serialises them); writes persist until the binary ends.
//!     let mut fleet = nspawn::shared(Flavour::Bare, 2);
//!     fleet.reset(); // pristine hosts (about 3 s), when the test needs them
//!     let out = fleet.run(Path::new("tests/playbooks/apt_jq.yml"), &[]);
//!     assert_eq!(out.code, 0, "{}", out.stderr);
//!     let dpkg = fleet.hosts[0].sh("dpkg-query -W -f '${Status}' jq");
//!     // fleet.run_ansible(...) runs ansible-playbook (Flavour::Python hosts).
//!     // Goldens: a playbook with `# bare: yes` in its header is recorded by
//!     // tests/oracle/record.sh on python-flavour hosts and compared by
//!     // tests/oracle_compare.rs with kiln on bare hosts.
//! }
//! ```
//!
//! - [`Flavour::Bare`]: debootstrap bookworm minbase + systemd, systemd-sysv,
//!   dbus, openssh-server, sudo. [`Flavour::Python`] adds python3 (and
//!   python3-apt/python3-debian) for ansible-playbook, the oracle; kiln and
//!   Ansible thus run against identical hosts but for Python.
//! - The root filesystem is built once by `tests/support/bare-rootfs.sh`
//!   (about 2 minutes) and cached in `/var/cache/kiln-bare/<hash>/`.
//! - Each host is run by `tests/support/bare-host.sh` (shared with the
//!   oracle recorder): generated ed25519 host key, sshd drop-in bound
//!   read-only, root accepts the shared test client key
//!   ([`super::sshd::client_key_path`]), `kilnsudo` has passwordless sudo,
//!   `kilnpw` needs [`PW_PASSWORD`] (also its SSH password). Both users also
//!   accept the client key.
//! - Boot waits for `systemctl is-system-running` = `running`. A host stops
//!   when its [`BareHost`] is dropped, or when this process exits in any way
//!   (the script watches its standard input): SIGTERM to systemd-nspawn,
//!   then it waits for the container's shutdown.
//! - Needs root, `debootstrap` and `systemd-container` (`.ci/run` installs
//!   them).
//! - `/proc/sys` is read-only in a host, as nspawn mounts it: the hosts
//!   share the build machine's kernel. [`BareFleet::set_sysctl_writable`]
//!   boots hosts in which the IPC and UTS parameters (`kernel.msg*`,
//!   `kernel.shm*`, `kernel.sem`, `kernel.domainname`), which the kernel
//!   keeps per namespace, are writable; no other one is
//!   ([`NAMESPACED_SYSCTLS`]).

use super::fleet::RunOutput;
use super::sshd::{self, client_key_path};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The user whose sudo needs no password.
pub const SUDO_NOPASSWD_USER: &str = "kilnsudo";
/// The user whose sudo (and SSH password login) needs [`PW_PASSWORD`].
pub const PW_USER: &str = "kilnpw";
pub const PW_PASSWORD: &str = "kiln-Bare-pw1";
/// `kilnsudo`'s password (it needs none for sudo; for password SSH logins).
pub const SUDO_NOPASSWD_PASSWORD: &str = "kiln-Bare-pw2";

/// The kernel parameters that bare-host.sh makes writable in a host booted
/// with [`BareFleet::set_sysctl_writable`]: the kernel keeps each per IPC or
/// UTS namespace, and every host has its own of both.
pub const NAMESPACED_SYSCTLS: &[&str] = &[
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.shmmax",
    "kernel.shmall",
    "kernel.shmmni",
    "kernel.sem",
    "kernel.domainname",
];

/// The build machine's own values of `keys`, read from its /proc/sys: a
/// test that writes kernel parameters in hosts compares these before and
/// after, to prove the machine was not changed.
pub fn controller_sysctls(keys: &[&str]) -> Vec<(String, String)> {
    keys.iter()
        .map(|k| {
            let path = Path::new("/proc/sys").join(k.replace('.', "/"));
            let v = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            (k.to_string(), v.trim().to_string())
        })
        .collect()
}

/// Which root filesystem a host boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flavour {
    /// No Python: what kiln must manage.
    Bare,
    /// With python3: for ansible-playbook, the oracle.
    Python,
}

impl Flavour {
    fn arg(self) -> &'static str {
        match self {
            Flavour::Bare => "bare",
            Flavour::Python => "python",
        }
    }
}

fn support_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support")
}

/// Whether this machine can boot bare hosts (root, debootstrap,
/// systemd-nspawn). Tests may skip with a message when it cannot; CI
/// installs both tools, so there they always run.
pub fn available() -> bool {
    let has = |p: &str| Path::new(p).exists();
    has("/usr/sbin/debootstrap") && has("/usr/bin/systemd-nspawn")
}

/// The cached root filesystem of `flavour`, built on first use.
pub fn rootfs(flavour: Flavour) -> PathBuf {
    static PATHS: OnceLock<Mutex<BTreeMap<Flavour, PathBuf>>> = OnceLock::new();
    let paths = PATHS.get_or_init(|| Mutex::new(BTreeMap::new()));
    let mut paths = paths.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = paths.get(&flavour) {
        return p.clone();
    }
    assert!(
        available(),
        "bare test hosts need debootstrap and systemd-nspawn: apt-get install -y debootstrap systemd-container"
    );
    let out = Command::new(support_dir().join("bare-rootfs.sh"))
        .arg(flavour.arg())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("running bare-rootfs.sh: {e}"));
    assert!(
        out.status.success(),
        "bare-rootfs.sh {} failed",
        flavour.arg()
    );
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        path.join("usr/lib/systemd/systemd").exists() || path.join("lib/systemd/systemd").exists(),
        "no systemd in {}",
        path.display()
    );
    paths.insert(flavour, path.clone());
    path
}

/// One booted host. Dropping it shuts the container down.
#[derive(Debug)]
pub struct BareHost {
    pub name: String,
    flavour: Flavour,
    address: String,
    port: u16,
    /// The script's dir (removed by the script when it stops).
    dir: PathBuf,
    known_hosts_line: String,
    /// Boots with the namespaced kernel parameters writable.
    sysctl_writable: bool,
    /// The script's input: closing it stops the host.
    stdin: Option<ChildStdin>,
    child: Option<Child>,
}

impl BareHost {
    /// Boots a host named `name` (its hostname) from `flavour`'s rootfs and
    /// waits until it is running. Panics with the reason otherwise.
    pub fn boot(flavour: Flavour, name: &str, sysctl_writable: bool) -> BareHost {
        let root = rootfs(flavour);
        sshd::ensure_sshd_prereqs();
        let address = sshd::next_address();
        let port = sshd::free_port(&address);
        let mut host = BareHost {
            name: name.to_string(),
            flavour,
            address,
            port,
            dir: PathBuf::new(),
            known_hosts_line: String::new(),
            sysctl_writable,
            stdin: None,
            child: None,
        };
        host.start(&root);
        host
    }

    fn start(&mut self, root: &Path) {
        // The script removes its dir when it stops, so it is not a TempDir.
        let dir = tempfile::Builder::new()
            .prefix(&format!("kiln-bare-{}-", self.name))
            .tempdir()
            .unwrap_or_else(|e| panic!("creating the host dir: {e}"))
            .keep();
        let mut child = Command::new(support_dir().join("bare-host.sh"))
            .arg(root)
            .arg(&self.name)
            .arg(&self.address)
            .arg(self.port.to_string())
            .arg(client_key_path())
            .arg(&dir)
            .env(
                "KILN_BARE_SYSCTL",
                if self.sysctl_writable { "writable" } else { "" },
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting bare-host.sh: {e}"));
        let stdout = child.stdout.take();
        let mut line = String::new();
        if let Some(out) = stdout {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let line = line.trim();
        if line != "ready" {
            let _ = child.wait();
            panic!("bare host {} did not boot: {line}", self.name);
        }
        self.known_hosts_line = fs::read_to_string(dir.join("known_hosts"))
            .unwrap_or_else(|e| panic!("reading the known_hosts line: {e}"))
            .trim()
            .to_string();
        self.stdin = child.stdin.take();
        self.child = Some(child);
        self.dir = dir;
    }

    /// Shuts the host down and waits for it (idempotent).
    pub fn stop(&mut self) {
        drop(self.stdin.take());
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    /// Shuts the host down and boots it again from the pristine rootfs:
    /// same name, address, port; a new host key.
    pub fn restart(&mut self) {
        self.stop();
        let root = rootfs(self.flavour);
        self.start(&root);
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `[address]:port ssh-ed25519 AAAA...`
    pub fn known_hosts_line(&self) -> &str {
        &self.known_hosts_line
    }

    /// Runs `script` with `sh -c` as root on the host over OpenSSH's client
    /// (independent of kiln), for set-up and end-state checks.
    pub fn ssh(&self, script: &str) -> Output {
        let kh = self.dir.join("known_hosts");
        // One master connection per host boot: a login costs about half a
        // second (PAM, logind), a multiplexed command a few milliseconds.
        // The master ends with the host's sshd.
        let control = self.dir.join("ssh-control");
        Command::new("ssh")
            .args([
                "-q",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
            ])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", kh.display()))
            .args(["-o", "ControlMaster=auto", "-o", "ControlPersist=120", "-o"])
            .arg(format!("ControlPath={}", control.display()))
            .args(["-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-i"])
            .arg(client_key_path())
            .args(["-p", &self.port.to_string()])
            .arg(format!("root@{}", self.address))
            .arg(script)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running ssh: {e}"))
    }

    /// Like [`BareHost::ssh`] but panics unless it succeeds, and returns
    /// stdout.
    pub fn sh(&self, script: &str) -> String {
        let out = self.ssh(script);
        assert!(
            out.status.success(),
            "on {}: `{script}` failed ({}): {}{}",
            self.name,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for BareHost {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Booted hosts h1..hN plus the controller side: an inventory (root over
/// the client key, strict known_hosts in a private HOME), and runners for
/// kiln and for ansible-playbook.
pub struct BareFleet {
    flavour: Flavour,
    /// How many of `hosts` the inventory names.
    active: usize,
    /// Hosts (re)booted from now on get writable namespaced sysctls.
    sysctl_writable: bool,
    pub hosts: Vec<BareHost>,
    pub names: Vec<String>,
    /// Where the controller files live (inventory, HOME, playbooks a test
    /// writes).
    pub root: PathBuf,
    /// Removes `root` when the fleet is dropped (the shared sets are never
    /// dropped; they reuse one fixed dir per test binary instead).
    _tmp: Option<tempfile::TempDir>,
    pub inventory: PathBuf,
    pub home: PathBuf,
}

impl BareFleet {
    /// Boots `n` hosts of `flavour` in parallel; the controller files go in
    /// a temp dir removed on drop.
    pub fn boot(flavour: Flavour, n: usize) -> BareFleet {
        let tmp = tempfile::Builder::new()
            .prefix("kiln-bare-fleet-")
            .tempdir()
            .unwrap_or_else(|e| panic!("tempdir: {e}"));
        let mut fleet = BareFleet::boot_in(flavour, n, tmp.path().to_path_buf());
        fleet._tmp = Some(tmp);
        fleet
    }

    /// Boots `n` hosts with the controller files in `root` (emptied first).
    pub fn boot_in(flavour: Flavour, n: usize, root: PathBuf) -> BareFleet {
        let hosts = boot_hosts(flavour, 1..=n, false);
        let names = hosts.iter().map(|h| h.name.clone()).collect();
        let _ = fs::remove_dir_all(&root);
        let home = root.join("home");
        fs::create_dir_all(home.join(".ssh")).unwrap_or_else(|e| panic!("home: {e}"));
        let inventory = root.join("inventory.ini");
        let mut fleet = BareFleet {
            flavour,
            active: n,
            sysctl_writable: false,
            hosts,
            names,
            root,
            _tmp: None,
            inventory,
            home,
        };
        fleet.write_controller_files();
        fleet
    }

    /// Rewrites known_hosts and the inventory for the first `active`
    /// hosts (after a restart the host keys are new).
    pub fn write_controller_files(&mut self) {
        let mut known = String::new();
        let mut inv = String::from("[all]\n");
        for h in &self.hosts[..self.active] {
            known.push_str(h.known_hosts_line());
            known.push('\n');
            inv.push_str(&format!(
                "{} ansible_host={} ansible_port={} ansible_user=root ansible_ssh_private_key_file={}\n",
                h.name,
                h.address(),
                h.port(),
                client_key_path().display()
            ));
        }
        fs::write(self.home.join(".ssh/known_hosts"), known)
            .unwrap_or_else(|e| panic!("known_hosts: {e}"));
        fs::write(&self.inventory, inv).unwrap_or_else(|e| panic!("inventory: {e}"));
    }

    /// Uses the first `n` hosts (booting more when there are fewer): the
    /// inventory and known_hosts name exactly those.
    pub fn activate(&mut self, n: usize) {
        if self.hosts.len() < n {
            let flavour = self.flavour;
            let more = boot_hosts(flavour, self.hosts.len() + 1..=n, self.sysctl_writable);
            self.names.extend(more.iter().map(|h| h.name.clone()));
            self.hosts.extend(more);
        }
        self.active = n;
        self.write_controller_files();
    }

    /// The hosts in use (see [`BareFleet::activate`]).
    pub fn active_hosts(&self) -> &[BareHost] {
        &self.hosts[..self.active]
    }

    /// Whether hosts booted from now on (by [`BareFleet::reset`] or
    /// [`BareFleet::activate`]) have the [`NAMESPACED_SYSCTLS`] writable.
    pub fn set_sysctl_writable(&mut self, on: bool) {
        self.sysctl_writable = on;
        for h in &mut self.hosts {
            h.sysctl_writable = on;
        }
    }

    /// Boots the active hosts afresh (pristine state, new host keys) and
    /// rewrites the controller files.
    pub fn reset(&mut self) {
        let active = self.active;
        std::thread::scope(|s| {
            for h in self.hosts[..active].iter_mut() {
                s.spawn(move || h.restart());
            }
        });
        self.write_controller_files();
    }

    /// Runs the kiln binary: `kiln playbook -i INVENTORY PLAYBOOK ARGS...`.
    pub fn run(&self, playbook: &Path, args: &[&str]) -> RunOutput {
        self.run_program(
            Path::new(env!("CARGO_BIN_EXE_kiln")),
            &["playbook"],
            playbook,
            args,
        )
    }

    /// Runs ansible-playbook from the oracle venv (`KILN_ANSIBLE_VENV`, or
    /// /work/ansible-venv, or what tests/oracle/setup-venv.sh prints) with
    /// the same inventory and HOME. Needs [`Flavour::Python`] hosts.
    pub fn run_ansible(&self, playbook: &Path, args: &[&str]) -> RunOutput {
        let bin = ansible_venv().join("bin/ansible-playbook");
        self.run_program(&bin, &[], playbook, args)
    }

    fn run_program(
        &self,
        program: &Path,
        pre: &[&str],
        playbook: &Path,
        args: &[&str],
    ) -> RunOutput {
        let out = Command::new(program)
            .args(pre)
            .arg("-i")
            .arg(&self.inventory)
            .arg(playbook)
            .args(args)
            .env("HOME", &self.home)
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("ANSIBLE_CONFIG")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_HOST_KEY_CHECKING", "True")
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
        RunOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Boots hosts `h{i}` for each `i` of `range`, in parallel.
fn boot_hosts(
    flavour: Flavour,
    range: std::ops::RangeInclusive<usize>,
    sysctl_writable: bool,
) -> Vec<BareHost> {
    // Builds the rootfs once, before the parallel boots.
    rootfs(flavour);
    let names: Vec<String> = range.map(|i| format!("h{i}")).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = names
            .iter()
            .map(|name| s.spawn(move || BareHost::boot(flavour, name, sysctl_writable)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The ansible-core 2.21 venv for oracle runs.
pub fn ansible_venv() -> PathBuf {
    if let Some(v) = std::env::var_os("KILN_ANSIBLE_VENV") {
        return PathBuf::from(v);
    }
    let default = Path::new("/work/ansible-venv");
    if default.join("bin/ansible-playbook").exists() {
        return default.to_path_buf();
    }
    let out =
        Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/setup-venv.sh"))
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("running setup-venv.sh: {e}"));
    assert!(out.status.success(), "tests/oracle/setup-venv.sh failed");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The booted set of this test binary for `flavour`, with its first `n`
/// hosts active (booted on first use; more are booted when a later caller
/// asks for more). The guard serialises the tests that share it; a test
/// that panicked while holding it does not block the others. Hosts keep
/// what earlier tests wrote: call [`BareFleet::reset`] for pristine ones.
pub fn shared(flavour: Flavour, n: usize) -> MutexGuard<'static, BareFleet> {
    static BARE: OnceLock<Mutex<BareFleet>> = OnceLock::new();
    static PYTHON: OnceLock<Mutex<BareFleet>> = OnceLock::new();
    let cell = match flavour {
        Flavour::Bare => &BARE,
        Flavour::Python => &PYTHON,
    };
    let mut fleet = cell
        .get_or_init(|| {
            // One fixed dir per test binary and flavour, reused by the
            // next run: a static is never dropped to clean up after itself.
            let exe = std::env::current_exe()
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "tests".into());
            let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("kiln-bare-{exe}-{}", flavour.arg()));
            Mutex::new(BareFleet::boot_in(flavour, n, root))
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    fleet.activate(n);
    fleet
}
