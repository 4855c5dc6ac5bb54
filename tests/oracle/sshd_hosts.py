# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Real OpenSSH sshd instances on loopback, used as the oracle's test hosts.

Each host gets its own 127.0.X.Y address (X in 200..250, a range the Rust test
harness does not use) and a free port, a fresh ed25519 host key, an
authorized_keys file holding the run's client key, and a private sshd_config.

For large fleets (the 1,000-host benchmark) `per_sshd` > 1 groups hosts: one
sshd (one host key, one port) listens on the addresses of up to 16 hosts
(OpenSSH's limit on listen sockets), and hosts spread over several /24s.

sshd runs as root inside `unshare --mount --pid --fork --kill-child`:
  * the private mount namespace lets us bind /dev/null over root's ~/.bashrc,
    which bash sources for every ssh command (it runs `pyenv init`, about a
    quarter of a second per command on this machine);
  * the private PID namespace makes sshd its init, so when we kill the
    `unshare` process we started, the kernel also ends every per-connection
    sshd child (those call setsid() and would otherwise outlive the listener
    while an ssh ControlMaster keeps them open).

Usable as a library (SshdHosts context manager) or from the command line:
    python3 sshd_hosts.py --count 3 --root /tmp/x
which starts the hosts, prints their description as JSON and keeps them up
until stdin closes or it gets SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"
SFTP_SERVER_CANDIDATES = ("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server")
# Third octet range reserved for the oracle (the Rust harness uses others).
OCTET_LOW = 200
OCTET_HIGH = 250
START_TIMEOUT = 10.0
HOSTS_PER_OCTET = 250
# sshd's MAX_LISTEN_SOCKS: one sshd listens on at most 16 addresses.
MAX_PER_SSHD = 16


class SshdError(RuntimeError):
    """A test host could not be set up or started."""


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SshdError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")


def keygen(path: Path, comment: str) -> str:
    """Generate an ed25519 key pair at `path`; return the public key line."""
    if path.exists():
        path.unlink()
    pub = path.with_name(path.name + ".pub")
    if pub.exists():
        pub.unlink()
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return pub.read_text().strip()


def free_port(addr: str) -> int:
    """A port the kernel considers free on `addr` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def pick_octet() -> int:
    """A third octet in the oracle's range, spread by PID so parallel runs differ.

    Clashes are harmless anyway: every host also has its own free port.
    """
    return OCTET_LOW + os.getpid() % (OCTET_HIGH - OCTET_LOW + 1)


def _sftp_server() -> str | None:
    for cand in SFTP_SERVER_CANDIDATES:
        if os.access(cand, os.X_OK):
            return cand
    return None


@dataclass
class Host:
    """One sshd instance and the files describing it."""

    name: str
    addr: str
    port: int
    dir: Path
    host_key_pub: str = ""
    proc: subprocess.Popen | None = None
    log: Path = field(init=False)
    config: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.dir / "sshd.log"
        self.config = self.dir / "sshd_config"

    def known_hosts_line(self) -> str:
        """`[addr]:port keytype base64` (the key comment dropped)."""
        kind, blob = self.host_key_pub.split()[:2]
        return f"[{self.addr}]:{self.port} {kind} {blob}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def describe(self) -> dict:
        return {
            "name": self.name,
            "addr": self.addr,
            "port": self.port,
            "dir": str(self.dir),
            "pid": self.proc.pid if self.running and self.proc else None,
            "log": str(self.log),
        }


class SshdHosts:
    """Start `count` sshd hosts under `root`; stop them (by PID) on exit.

    Files under root:
      client/id_ed25519[.pub]  the key every host authorizes
      known_hosts              `[addr]:port` entries for all hosts
      hosts/hN/                host key, sshd_config, authorized_keys, pid, log
    """

    def __init__(self, root: Path, count: int, octet: int | None = None, per_sshd: int = 1) -> None:
        octets = -(-count // HOSTS_PER_OCTET)
        limit = (OCTET_HIGH - OCTET_LOW + 1) * HOSTS_PER_OCTET
        if count < 1 or count > limit:
            raise SshdError(f"host count {count} out of range 1..{limit}")
        if count > HOSTS_PER_OCTET and per_sshd == 1:
            raise SshdError(f"more than {HOSTS_PER_OCTET} hosts need per_sshd > 1")
        if not 1 <= per_sshd <= MAX_PER_SSHD:
            raise SshdError(f"per_sshd {per_sshd} out of range 1..{MAX_PER_SSHD}")
        self.root = root
        self.count = count
        self.per_sshd = per_sshd
        if octet is None:
            span = OCTET_HIGH - OCTET_LOW + 1 - (octets - 1)
            octet = OCTET_LOW + os.getpid() % span
        self.octet = octet
        if not OCTET_LOW <= self.octet <= OCTET_HIGH - (octets - 1):
            raise SshdError(f"third octet {self.octet} outside the oracle's {OCTET_LOW}..{OCTET_HIGH}")
        self.hosts: list[Host] = []
        self.client_key = root / "client" / "id_ed25519"
        self.known_hosts = root / "known_hosts"

    # -- context manager -------------------------------------------------
    def __enter__(self) -> "SshdHosts":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- setup -----------------------------------------------------------
    def start(self) -> None:
        if os.geteuid() != 0:
            raise SshdError("sshd test hosts must be started as root")
        # sshd's privilege separation chroots into /run/sshd and refuses to
        # start without it.
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
        (self.root / "client").mkdir(parents=True, exist_ok=True)
        client_pub = keygen(self.client_key, "kiln-oracle-client")
        if self.per_sshd > 1:
            self._start_grouped(client_pub)
            self.write_known_hosts()
            return
        for i in range(1, self.count + 1):
            name = f"h{i}"
            addr = f"127.0.{self.octet}.{i}"
            hdir = self.root / "hosts" / name
            hdir.mkdir(parents=True, exist_ok=True)
            host = Host(name=name, addr=addr, port=0, dir=hdir)
            host.host_key_pub = keygen(hdir / "ssh_host_ed25519_key", f"kiln-oracle-{name}")
            (hdir / "authorized_keys").write_text(client_pub + "\n")
            self.hosts.append(host)
            self._launch(host)
        self.write_known_hosts()

    def _start_grouped(self, client_pub: str) -> None:
        """Hosts in groups of `per_sshd`, each group served by one sshd on
        one port and every member's address (host key and files shared)."""
        for first in range(0, self.count, self.per_sshd):
            group: list[Host] = []
            gdir = self.root / "hosts" / f"g{first // self.per_sshd + 1}"
            gdir.mkdir(parents=True, exist_ok=True)
            key_pub = keygen(gdir / "ssh_host_ed25519_key", f"kiln-oracle-g{first}")
            (gdir / "authorized_keys").write_text(client_pub + "\n")
            for i in range(first, min(first + self.per_sshd, self.count)):
                octet = self.octet + i // HOSTS_PER_OCTET
                addr = f"127.0.{octet}.{i % HOSTS_PER_OCTET + 1}"
                host = Host(name=f"h{i + 1}", addr=addr, port=0, dir=gdir, host_key_pub=key_pub)
                group.append(host)
            self.hosts.extend(group)
            self._launch(group[0], group)

    def _write_config(self, host: Host, members: list[Host]) -> None:
        sftp = _sftp_server()
        lines = [f"ListenAddress {m.addr}:{host.port}" for m in members] + [
            f"HostKey {host.dir / 'ssh_host_ed25519_key'}",
            f"AuthorizedKeysFile {host.dir / 'authorized_keys'}",
            f"PidFile {host.dir / 'sshd.pid'}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitRootLogin prohibit-password",
            "StrictModes no",
            "PrintMotd no",
            "PrintLastLog no",
            # Ansible multiplexes many sessions over one ControlMaster, and
            # forks open connections to all hosts at once.
            "MaxSessions 100",
            "MaxStartups 100:30:200",
            "LogLevel VERBOSE",
        ]
        if sftp:
            lines.append(f"Subsystem sftp {sftp}")
        host.config.write_text("\n".join(lines) + "\n")

    def _launch(self, host: Host, members: list[Host] | None = None) -> None:
        """Start sshd for `host` (and the other `members` of its group, on
        their addresses) on a free port; retry if the port got taken."""
        members = members or [host]
        home = pwd.getpwuid(0).pw_dir
        bashrc = os.path.join(home, ".bashrc")
        last_err = ""
        for _attempt in range(5):
            host.port = free_port(host.addr)
            for m in members:
                m.port = host.port
            self._write_config(host, members)
            # Only mask .bashrc when there is one: a bind mount needs a target.
            script = (
                f'if [ -e "{bashrc}" ]; then mount --bind /dev/null "{bashrc}" || exit 97; fi; '
                f'exec {SSHD} -D -E "{host.log}" -f "{host.config}"'
            )
            argv = [
                "unshare", "--mount", "--propagation", "private",
                "--pid", "--fork", "--kill-child",
                "sh", "-c", script,
            ]
            # New session: a ^C in the terminal reaches us, not sshd; we stop
            # the hosts ourselves.
            host.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
            for m in members:
                m.proc = host.proc
            if all(self._wait_listening(m) for m in members):
                return
            last_err = host.log.read_text(errors="replace") if host.log.exists() else ""
            self._stop_one(host)
        raise SshdError(f"sshd for {host.name} ({host.addr}) did not start: {last_err.strip()}")

    @staticmethod
    def _wait_listening(host: Host) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if host.proc is None or host.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((host.addr, host.port), timeout=0.5) as s:
                    # A banner proves it is our sshd and not a stray listener.
                    s.settimeout(2.0)
                    if s.recv(64).startswith(b"SSH-2.0-"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def write_known_hosts(self, wrong_key_for: set[str] | None = None, omit: set[str] | None = None) -> None:
        """Write known_hosts; hosts named in `wrong_key_for` get a fresh, wrong
        key, hosts named in `omit` get no line at all (an unknown host).

        The wrong key is the same type as the real one (ed25519), so ssh
        reports a changed host key rather than an unknown key type.
        """
        wrong_key_for = wrong_key_for or set()
        omit = omit or set()
        lines = []
        for host in self.hosts:
            if host.name in omit:
                continue
            if host.name in wrong_key_for:
                bogus = keygen(self.root / "client" / f"wrong_{host.name}", "wrong")
                kind, blob = bogus.split()[:2]
                lines.append(f"[{host.addr}]:{host.port} {kind} {blob}")
            else:
                lines.append(host.known_hosts_line())
        self.known_hosts.write_text("\n".join(lines) + "\n")

    # -- teardown --------------------------------------------------------
    @staticmethod
    def _stop_one(host: Host) -> None:
        proc = host.proc
        if proc is None or proc.poll() is not None:
            return
        # The PID is the `unshare` we started. It ignores SIGTERM while it
        # waits for its child, so SIGKILL it: --kill-child then SIGKILLs sshd
        # (the namespace's init), and the kernel ends every session in the
        # namespace with it.
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)

    @staticmethod
    def _wait_closed(host: Host) -> None:
        """Wait until nothing listens on the host's port (sshd dies asynchronously
        after its parent `unshare`), so a "down" host is really down."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host.addr, host.port), timeout=0.5):
                    pass
            except OSError:
                return
            time.sleep(0.05)
        raise SshdError(f"sshd for {host.name} still accepts connections after being killed")

    def stop_host(self, name: str) -> None:
        for host in self.hosts:
            if host.name == name:
                self._stop_one(host)
                self._wait_closed(host)
                return
        raise SshdError(f"no host named {name}")

    def stop(self) -> None:
        for host in self.hosts:
            self._stop_one(host)

    def describe(self) -> dict:
        return {
            "client_key": str(self.client_key),
            "known_hosts": str(self.known_hosts),
            "hosts": [h.describe() for h in self.hosts],
        }


def _raise_exit(signum: int, _frame: object) -> None:
    # Unwinds through the context manager so the hosts are stopped.
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--octet", type=int, default=None)
    args = ap.parse_args(argv)
    install_signal_handlers()
    args.root.mkdir(parents=True, exist_ok=True)
    with SshdHosts(args.root.resolve(), args.count, args.octet) as hosts:
        print(json.dumps(hosts.describe(), indent=2), flush=True)
        # Stay up until our caller closes stdin (or signals us).
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
