# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Bare Debian hosts (systemd-nspawn containers) for the oracle.

The same hosts as the Rust tests' tests/support/nspawn.rs: the root
filesystem comes from tests/support/bare-rootfs.sh (flavour `python`, since
Ansible needs Python on its targets; kiln runs against the `bare` flavour,
identical but for Python) and each host is booted by
tests/support/bare-host.sh, which stops it when its standard input closes.

BareHosts has the interface record.py uses of SshdHosts: a context manager
with `hosts` (name, addr, port), `client_key` and `known_hosts`.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sshd_hosts import free_port, keygen, pick_octet

SUPPORT = Path(__file__).resolve().parent.parent / "support"


class BareError(Exception):
    pass


@dataclass
class BareHost:
    name: str
    addr: str
    port: int
    dir: Path
    proc: subprocess.Popen | None = None


def rootfs(flavour: str = "python") -> Path:
    out = subprocess.run(
        [str(SUPPORT / "bare-rootfs.sh"), flavour],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise BareError(f"bare-rootfs.sh {flavour} failed (rc {out.returncode})")
    return Path(out.stdout.strip())


class BareHosts:
    """`count` booted hosts h1..hN under `root` (client key, known_hosts)."""

    def __init__(self, root: Path, count: int, flavour: str = "python") -> None:
        self.root = root
        self.count = count
        self.flavour = flavour
        self.octet = pick_octet()
        self.hosts: list[BareHost] = []
        self.client_key = root / "client" / "id_ed25519"
        self.known_hosts = root / "known_hosts"

    def __enter__(self) -> "BareHosts":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if os.geteuid() != 0:
            raise BareError("bare test hosts must be booted as root")
        image = rootfs(self.flavour)
        (self.root / "client").mkdir(parents=True, exist_ok=True)
        keygen(self.client_key, "kiln-oracle-client")
        # Start every boot first, then wait for each: they boot in parallel.
        for i in range(1, self.count + 1):
            name = f"h{i}"
            addr = f"127.0.{self.octet}.{i}"
            host = BareHost(name=name, addr=addr, port=free_port(addr), dir=self.root / "bare" / name)
            host.proc = subprocess.Popen(
                [str(SUPPORT / "bare-host.sh"), str(image), name, addr, str(host.port), str(self.client_key), str(host.dir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            self.hosts.append(host)
        lines = []
        for host in self.hosts:
            assert host.proc is not None and host.proc.stdout is not None
            status = host.proc.stdout.readline().strip()
            if status != "ready":
                raise BareError(f"bare host {host.name} did not boot: {status}")
            lines.append((host.dir / "known_hosts").read_text().strip())
        self.known_hosts.write_text("\n".join(lines) + "\n")

    def stop(self) -> None:
        for host in self.hosts:
            if host.proc is None:
                continue
            if host.proc.stdin is not None:
                host.proc.stdin.close()
            host.proc.wait(timeout=60)
            host.proc = None
