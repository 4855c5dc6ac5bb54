// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Real OpenSSH servers for integration tests.
//!
//! Each [`TestHost`] is its own `/usr/sbin/sshd` on a unique loopback
//! address (`127.0.0.x`) and a free port, with its own host key, log and
//! temp dir; all hosts of a test process accept one shared client key
//! ([`client_key_path`]), so one inventory/`SshTarget` setup reaches them all.
//!
//! ```ignore
//! let host = TestHost::start();                       // or TestHost::builder().max_sessions(2).start()
//! let conn = SshConnection::connect(&host.ssh_target()).await?;
//! // ... host.known_hosts_path(), host.state_dir(), host.log() ...
//! drop(host);                                          // kills sshd and every session
//! ```
//!
//! How sshd runs, and why:
//! - As root (the tests run as root), logging in as `root`.
//! - Inside `unshare --mount --pid --fork --kill-child`: the private mount
//!   namespace lets us bind `/dev/null` over `/root/.bashrc` (it runs
//!   `pyenv init`, 0.25 s per command, and bash sources it for commands run
//!   by sshd), and the private PID namespace means that killing the one
//!   process we started (`unshare`) takes down sshd *and* every session
//!   process it forked, so a stopped host really drops its connections.
//! - `-D -e -f CONFIG -E LOG`: foreground, log to `LOG` (`LogLevel VERBOSE`).
//!
//! Everything is per host (address, port, paths), so tests and test
//! binaries can run in parallel.
//!
//! Passwords: `config_line("PasswordAuthentication yes")` is enough for
//! password logins (with `UsePAM no` sshd checks `/etc/shadow` itself);
//! keyboard-interactive needs `config_line("UsePAM yes")` and
//! `config_line("KbdInteractiveAuthentication yes")`, which work in these
//! namespaces too (Debian's `/etc/pam.d/sshd`). [`ensure_test_users`] makes
//! the users with known passwords (and a sudoers entry) that such tests
//! log in and become as.

use std::fs;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use kiln::transport::SshTarget;

/// Where OpenSSH's server is installed on Debian.
pub const SSHD: &str = "/usr/sbin/sshd";
/// Root's bashrc, masked inside the server's mount namespace.
const ROOT_BASHRC: &str = "/root/.bashrc";
/// How long sshd gets to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Starts retried with a new address/port when the port was taken between
/// our probe and sshd's bind.
const START_ATTEMPTS: u32 = 4;

/// Makes sure sshd can run: the binary exists (panics with the install
/// command otherwise) and its privilege-separation dir `/run/sshd` exists.
pub fn ensure_sshd_prereqs() {
    assert!(
        Path::new(SSHD).exists(),
        "{SSHD} is missing: run `apt-get install -y openssh-server` to run the SSH integration tests"
    );
    let run = Path::new("/run/sshd");
    if !run.is_dir() {
        // Another test may create it at the same moment; only the end state matters.
        let _ = fs::create_dir_all(run);
        assert!(
            run.is_dir(),
            "cannot create /run/sshd (sshd's privilege separation dir)"
        );
    }
}

/// The client private key (ed25519, no passphrase) that every [`TestHost`]
/// of this test process accepts. Generated once and kept in cargo's temp
/// dir for integration tests, so repeated runs reuse it.
pub fn client_key_path() -> &'static Path {
    static KEY: OnceLock<PathBuf> = OnceLock::new();
    KEY.get_or_init(make_client_key)
}

/// The client public key line (`ssh-ed25519 AAAA... comment`).
pub fn client_public_key() -> String {
    let pub_path = client_key_path().with_extension("pub");
    fs::read_to_string(&pub_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", pub_path.display()))
        .trim()
        .to_string()
}

fn make_client_key() -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let final_dir = base.join("kiln-test-client-key");
    let key = final_dir.join("id_ed25519");
    if key.exists() && key.with_extension("pub").exists() {
        return key;
    }
    // Generate in a private dir and rename it into place: the rename is
    // atomic, so parallel test binaries never see half a key pair.
    let tmp = base.join(format!("kiln-test-client-key.{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).unwrap_or_else(|e| panic!("creating {}: {e}", tmp.display()));
    keygen(&tmp.join("id_ed25519"), "kiln-test-client");
    if fs::rename(&tmp, &final_dir).is_err() {
        // Someone else won the race; theirs is as good as ours.
        let _ = fs::remove_dir_all(&tmp);
    }
    assert!(key.exists(), "client key {} was not created", key.display());
    key
}

/// Runs `ssh-keygen` for a new passphrase-less ed25519 key at `path`.
pub fn keygen(path: &Path, comment: &str) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running ssh-keygen: {e}"));
    assert!(
        out.status.success(),
        "ssh-keygen for {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes one known_hosts file naming all `hosts`, for tests that reach
/// several hosts with one `SshTarget` setup.
pub fn write_known_hosts(path: &Path, hosts: &[&TestHost]) -> std::io::Result<()> {
    let mut text = String::new();
    for h in hosts {
        text.push_str(h.known_hosts_line());
        text.push('\n');
    }
    fs::write(path, text)
}

/// A unique loopback address: a process-wide counter plus an offset from
/// the PID, so parallel test binaries start in different places.
pub fn next_address() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let offset = std::process::id().wrapping_mul(37);
    // 127.0.0.2 ..= 127.0.0.254; .1 is left to everything else.
    format!("127.0.0.{}", 2 + (offset.wrapping_add(n) % 253))
}

/// A port that was free on `addr` a moment ago (the kernel picks it).
pub fn free_port(addr: &str) -> u16 {
    let l = TcpListener::bind((addr, 0)).unwrap_or_else(|e| panic!("binding {addr}:0: {e}"));
    l.local_addr()
        .unwrap_or_else(|e| panic!("local_addr on {addr}: {e}"))
        .port()
}

/// Options for a [`TestHost`]; [`TestHostBuilder::start`] starts it.
#[derive(Debug, Clone)]
pub struct TestHostBuilder {
    max_sessions: u32,
    extra_config: Vec<String>,
    log_level: String,
    hosts_entries: Vec<(String, String)>,
}

impl Default for TestHostBuilder {
    fn default() -> Self {
        TestHostBuilder {
            max_sessions: 10,
            extra_config: Vec::new(),
            log_level: "VERBOSE".into(),
            hosts_entries: Vec::new(),
        }
    }
}

impl TestHostBuilder {
    /// sshd's `MaxSessions` (channels per connection); default 10.
    pub fn max_sessions(mut self, n: u32) -> Self {
        self.max_sessions = n;
        self
    }

    /// Adds a raw `sshd_config` line (e.g. `"PasswordAuthentication yes"`).
    /// sshd keeps the first value of an option, so these lines go before
    /// the defaults and override them; a `Match` line and every line after
    /// it go at the end, where `Match` blocks must be.
    pub fn config_line(mut self, line: impl Into<String>) -> Self {
        self.extra_config.push(line.into());
        self
    }

    /// sshd's `LogLevel` (default `VERBOSE`); `DEBUG1` shows forwarded
    /// `direct-tcpip` connections.
    pub fn log_level(mut self, level: &str) -> Self {
        self.log_level = level.into();
        self
    }

    /// Makes `name` resolve to `address` for this sshd only (a private
    /// `/etc/hosts` in its mount namespace): a jump host can then reach a
    /// target by a name the client itself cannot resolve.
    pub fn hosts_entry(mut self, name: &str, address: &str) -> Self {
        self.hosts_entries.push((name.into(), address.into()));
        self
    }

    /// Starts sshd and waits until it accepts TCP connections. Panics with
    /// sshd's log when it does not come up.
    pub fn start(self) -> TestHost {
        ensure_sshd_prereqs();
        let client_pub = client_public_key();
        let mut last_err = String::new();
        for _ in 0..START_ATTEMPTS {
            match TestHost::try_start(&self, &client_pub) {
                Ok(h) => return h,
                Err(StartError::PortTaken(log)) => last_err = log,
                Err(StartError::Fatal(msg)) => panic!("{msg}"),
            }
        }
        panic!("sshd could not bind a port after {START_ATTEMPTS} attempts:\n{last_err}");
    }
}

enum StartError {
    /// Lost the race for the port; worth another try elsewhere.
    PortTaken(String),
    Fatal(String),
}

/// One running sshd. Dropping it stops the server (also when the test
/// panics).
#[derive(Debug)]
pub struct TestHost {
    /// How sshd was started, for `restart`.
    script: String,
    config: PathBuf,
    address: String,
    port: u16,
    dir: tempfile::TempDir,
    state_dir: PathBuf,
    known_hosts: PathBuf,
    known_hosts_line: String,
    host_public_key: String,
    log: PathBuf,
    /// The `unshare` process; sshd is PID 1 of the namespace below it.
    child: Option<Child>,
}

impl TestHost {
    /// Starts a host with the default options.
    pub fn start() -> TestHost {
        TestHostBuilder::default().start()
    }

    pub fn builder() -> TestHostBuilder {
        TestHostBuilder::default()
    }

    fn try_start(opts: &TestHostBuilder, client_pub: &str) -> Result<TestHost, StartError> {
        let fatal =
            |what: &str, e: &dyn std::fmt::Display| StartError::Fatal(format!("{what}: {e}"));
        let dir = tempfile::Builder::new()
            .prefix("kiln-sshd-")
            .tempdir()
            .map_err(|e| fatal("creating the sshd temp dir", &e))?;
        let root = dir.path().to_path_buf();
        let address = next_address();
        let port = free_port(&address);

        let host_key = root.join("ssh_host_ed25519_key");
        keygen(&host_key, "kiln-test-host");
        let host_public_key = read_trimmed(&host_key.with_extension("pub"))?;
        // Keep only "type base64", dropping the comment.
        let host_public_key = host_public_key
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");

        let authorized = root.join("authorized_keys");
        fs::write(&authorized, format!("{client_pub}\n"))
            .map_err(|e| fatal("writing authorized_keys", &e))?;

        let state_dir = root.join("state");
        fs::create_dir(&state_dir).map_err(|e| fatal("creating the state dir", &e))?;

        let log = root.join("sshd.log");
        let config = root.join("sshd_config");
        let match_at = opts
            .extra_config
            .iter()
            .position(|l| l.trim_start().to_ascii_lowercase().starts_with("match "))
            .unwrap_or(opts.extra_config.len());
        let (overrides, blocks) = opts.extra_config.split_at(match_at);
        let mut cfg: Vec<String> = overrides.to_vec();
        cfg.extend([
            format!("ListenAddress {address}:{port}"),
            format!("HostKey {}", host_key.display()),
            format!("AuthorizedKeysFile {}", authorized.display()),
            format!("PidFile {}", root.join("sshd.pid").display()),
            "PasswordAuthentication no".into(),
            "KbdInteractiveAuthentication no".into(),
            "UsePAM no".into(),
            "PermitRootLogin prohibit-password".into(),
            "StrictModes no".into(),
            format!("MaxSessions {}", opts.max_sessions),
            // Tests open many connections at once; do not drop any.
            "MaxStartups 100".into(),
            format!("LogLevel {}", opts.log_level),
            "PrintMotd no".into(),
            "Subsystem sftp internal-sftp".into(),
        ]);
        cfg.extend(blocks.iter().cloned());
        fs::write(&config, cfg.join("\n") + "\n").map_err(|e| fatal("writing sshd_config", &e))?;

        let stderr_path = root.join("sshd.stderr");
        let stderr =
            fs::File::create(&stderr_path).map_err(|e| fatal("creating sshd.stderr", &e))?;
        // $0, $1 and $2 of the script are the config, log and hosts file
        // paths: no quoting.
        let mut script = String::new();
        if Path::new(ROOT_BASHRC).exists() {
            script.push_str(&format!("mount --bind /dev/null {ROOT_BASHRC} && "));
        }
        let hosts_file = root.join("hosts");
        if !opts.hosts_entries.is_empty() {
            let mut text = fs::read_to_string("/etc/hosts").unwrap_or_default();
            for (name, addr) in &opts.hosts_entries {
                text.push_str(&format!("{addr} {name}\n"));
            }
            fs::write(&hosts_file, text).map_err(|e| fatal("writing the hosts file", &e))?;
            script.push_str("mount --bind \"$2\" /etc/hosts && ");
        }
        script.push_str(&format!("exec {SSHD} -D -e -f \"$0\" -E \"$1\""));
        let child = Command::new("unshare")
            .args([
                "--mount",
                "--propagation",
                "private",
                "--pid",
                "--fork",
                "--kill-child",
            ])
            .args(["sh", "-c", &script])
            .arg(&config)
            .arg(&log)
            .arg(&hosts_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| fatal("starting unshare/sshd", &e))?;

        let known_hosts_line = format!("[{address}]:{port} {host_public_key}");
        let known_hosts = root.join("known_hosts");
        fs::write(&known_hosts, format!("{known_hosts_line}\n"))
            .map_err(|e| fatal("writing known_hosts", &e))?;

        let mut host = TestHost {
            script,
            config,
            address,
            port,
            dir,
            state_dir,
            known_hosts,
            known_hosts_line,
            host_public_key,
            log,
            child: Some(child),
        };
        host.wait_listening()?;
        Ok(host)
    }

    /// Polls until the port accepts connections, sshd dies, or time runs out.
    fn wait_listening(&mut self) -> Result<(), StartError> {
        let sock: SocketAddr = format!("{}:{}", self.address, self.port)
            .parse()
            .map_err(|e| StartError::Fatal(format!("bad address {}: {e}", self.address)))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&sock, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            let exited = match self.child.as_mut().map(|c| c.try_wait()) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                Some(Ok(None)) => None,
                Some(Err(e)) => Some(e.to_string()),
                None => Some("not started".into()),
            };
            if let Some(status) = exited {
                self.child = None;
                let report = format!("sshd on {sock} exited ({status}):\n{}", self.diagnostics());
                return Err(if report.contains("Address already in use") {
                    StartError::PortTaken(report)
                } else {
                    StartError::Fatal(report)
                });
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(StartError::Fatal(format!(
                    "sshd on {sock} did not accept connections within {START_TIMEOUT:?}:\n{}",
                    self.diagnostics()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// sshd's log plus whatever `unshare`/`mount` printed.
    fn diagnostics(&self) -> String {
        let err = fs::read_to_string(self.dir.path().join("sshd.stderr")).unwrap_or_default();
        format!("--- sshd.log ---\n{}--- stderr ---\n{err}", self.log())
    }

    /// The loopback address sshd listens on (`127.0.0.x`).
    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared client key this host accepts (same as [`client_key_path`]).
    pub fn client_key_path(&self) -> &'static Path {
        client_key_path()
    }

    /// A known_hosts file holding exactly this host's key, as
    /// `[address]:port ssh-ed25519 ...`.
    pub fn known_hosts_path(&self) -> &Path {
        &self.known_hosts
    }

    /// The known_hosts line for this host (no newline).
    pub fn known_hosts_line(&self) -> &str {
        &self.known_hosts_line
    }

    /// The host's public key, `ssh-ed25519 AAAA...`.
    pub fn host_public_key(&self) -> &str {
        &self.host_public_key
    }

    /// A directory for this host's private files (it outlives nothing: it
    /// is removed with the host). The host is this machine, so the remote
    /// side of a test can use it too.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The host's temp dir (config, keys, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// sshd's log so far (empty when unreadable).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An `SshTarget` that reaches this host: user `root`, the shared
    /// client key, no agent, this host's known_hosts, strict checking, 5 s
    /// connect timeout. Change fields as a test needs.
    pub fn ssh_target(&self) -> SshTarget {
        let mut t = SshTarget::new(self.address.clone());
        t.port = self.port;
        t.user = "root".into();
        t.private_keys = vec![client_key_path().to_path_buf()];
        t.use_agent = false;
        t.known_hosts = vec![self.known_hosts.clone()];
        t.host_key_checking = kiln::transport::StrictHostKeyChecking::Yes;
        t.connect_timeout = Duration::from_secs(5);
        t
    }

    /// Stops sshd (dropping every session) and starts it again on the same
    /// address, port and host key: clients see their sessions dropped and
    /// the same server back.
    pub fn restart(&mut self) {
        self.stop();
        let stderr = fs::File::create(self.dir.path().join("sshd.stderr"))
            .unwrap_or_else(|e| panic!("creating sshd.stderr: {e}"));
        let child = Command::new("unshare")
            .args([
                "--mount",
                "--propagation",
                "private",
                "--pid",
                "--fork",
                "--kill-child",
            ])
            .args(["sh", "-c", &self.script])
            .arg(&self.config)
            .arg(&self.log)
            .arg(self.dir.path().join("hosts"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("restarting sshd: {e}"));
        self.child = Some(child);
        if let Err(StartError::Fatal(m) | StartError::PortTaken(m)) = self.wait_listening() {
            panic!("sshd did not come back: {m}");
        }
    }

    /// Whether sshd is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Stops the server and every session it has: SIGKILL to the `unshare`
    /// process we started (it ignores SIGTERM while it waits); its
    /// `--kill-child` then kills sshd, PID 1 of the namespace, and the
    /// kernel kills the rest of the namespace. Idempotent.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(None) = child.try_wait() {
            let _ = Command::new("kill")
                .args(["-KILL", &child.id().to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = child.wait();
        // sshd is gone once its port refuses connections; wait for that so
        // callers can rely on it right after `stop` returns.
        let deadline = Instant::now() + Duration::from_secs(5);
        if let Ok(sock) = format!("{}:{}", self.address, self.port).parse::<SocketAddr>() {
            while Instant::now() < deadline
                && TcpStream::connect_timeout(&sock, Duration::from_millis(100)).is_ok()
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        self.stop();
    }
}

fn read_trimmed(p: &Path) -> Result<String, StartError> {
    fs::read_to_string(p)
        .map(|s| s.trim().to_string())
        .map_err(|e| StartError::Fatal(format!("reading {}: {e}", p.display())))
}

/// Test users with known passwords, made once per machine: `useradd` when
/// missing, `chpasswd` every time (cheap, and repairs a changed password).
/// [`SUDO_USER`] may run anything with sudo after giving its password
/// (`/etc/sudoers.d/kiln-test`); [`OTHER_USER`] is a plain account to `su`
/// to. Nothing of the system's is removed or changed otherwise.
pub const SUDO_USER: &str = "kilntest";
pub const SUDO_PASSWORD: &str = "kiln-Test-pw1";
pub const OTHER_USER: &str = "kilntest2";
pub const OTHER_PASSWORD: &str = "kiln-Other-pw2";

pub fn ensure_test_users() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        // Test binaries run in parallel: one at a time edits the user files.
        let lock = fs::File::create("/tmp/kiln-test-users.lock")
            .unwrap_or_else(|e| panic!("creating the test user lock: {e}"));
        lock.lock()
            .unwrap_or_else(|e| panic!("locking the test user lock: {e}"));
        for (user, password) in [(SUDO_USER, SUDO_PASSWORD), (OTHER_USER, OTHER_PASSWORD)] {
            add_user(user, password);
        }
        install_sudoers(
            "/etc/sudoers.d/kiln-test",
            &format!("{SUDO_USER} ALL=(ALL:ALL) ALL\n"),
        );
    });
}

/// A third test user for escalation that needs a terminal: sudo with
/// `Defaults requiretty` for this user only (`/etc/sudoers.d/kiln-test-tty`:
/// root with its password, [`OTHER_USER`] without), and doas
/// (`/etc/doas.conf`, written only where no other doas.conf exists: root
/// with the password, [`OTHER_USER`] with `nopass`). Other users' sudo is
/// untouched, so tests running meanwhile see no difference.
pub const TTY_USER: &str = "kilntty";
pub const TTY_PASSWORD: &str = "kiln-Tty-pw3";

/// The first line of the doas.conf these tests write, so a rerun knows
/// the file is theirs.
const DOAS_HEADER: &str = "# kiln tests (tests/support/sshd.rs); remove when done testing";

pub fn ensure_tty_user() {
    static DONE: OnceLock<()> = OnceLock::new();
    ensure_test_users();
    DONE.get_or_init(|| {
        let lock = fs::File::create("/tmp/kiln-test-users.lock")
            .unwrap_or_else(|e| panic!("creating the test user lock: {e}"));
        lock.lock()
            .unwrap_or_else(|e| panic!("locking the test user lock: {e}"));
        add_user(TTY_USER, TTY_PASSWORD);
        install_sudoers(
            "/etc/sudoers.d/kiln-test-tty",
            &format!(
                "Defaults:{TTY_USER} requiretty\n{TTY_USER} ALL=(root) ALL\n{TTY_USER} ALL=({OTHER_USER}) NOPASSWD: ALL\n"
            ),
        );
        let doas = format!(
            "{DOAS_HEADER}\npermit {TTY_USER} as root\npermit nopass {TTY_USER} as {OTHER_USER}\n"
        );
        let path = Path::new("/etc/doas.conf");
        match fs::read_to_string(path) {
            Ok(now) if now == doas => {}
            Ok(now) if !now.starts_with(DOAS_HEADER) => {
                panic!("/etc/doas.conf exists and is not the tests' own: not touching it")
            }
            _ => {
                let tmp = path.with_extension("kiln-tmp");
                fs::write(&tmp, &doas).expect("writing doas.conf");
                fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o400))
                    .expect("chmod doas.conf");
                fs::rename(&tmp, path).expect("installing doas.conf");
            }
        }
    });
}

/// Whether doas is installed (opendoas; `.ci/run` installs it).
pub fn have_doas() -> bool {
    Path::new("/usr/bin/doas").exists()
}

/// `useradd` when missing, then sets the password.
fn add_user(user: &str, password: &str) {
    let exists = Command::new("id")
        .arg(user)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !exists {
        run_ok(Command::new("useradd").args(["-m", "-s", "/bin/sh", user]));
    }
    let mut child = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running chpasswd: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{user}:{password}").expect("writing to chpasswd");
    }
    let out = child.wait_with_output().expect("chpasswd finishes");
    assert!(
        out.status.success(),
        "chpasswd for {user}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Installs a sudoers drop-in (checked by visudo first) unless it is
/// already there as given.
fn install_sudoers(path: &str, text: &str) {
    let path = Path::new(path);
    if fs::read_to_string(path).ok().as_deref() == Some(text) {
        return;
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text).expect("writing the sudoers entry");
    fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o440))
        .expect("chmod sudoers entry");
    run_ok(Command::new("visudo").args(["-cf"]).arg(&tmp));
    fs::rename(&tmp, path).expect("installing the sudoers entry");
}

fn run_ok(cmd: &mut Command) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Appends `line` to the file at `path` (creating it), for tests that build
/// known_hosts files by hand.
pub fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(f, "{line}")
}
