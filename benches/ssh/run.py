# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""SSH throughput: kiln's native SSH against OpenSSH's ssh/scp (issue 6, item 8).

Starts N real sshd hosts on loopback (tests/oracle/sshd_hosts.py) and times,
against the same sshds and with the same key and known_hosts:

  connect  opening a session and running one command on every host at once:
           `kiln playbook` with one `raw: true` task (-f N), against N parallel
           `ssh ... true` with ControlMaster=auto (each opens its master: a
           cold connection, as kiln's is);
  copy     one file of each --sizes to one host: kiln's `copy` module (session,
           upload, checksum check on the host, rename), against `scp` through
           a ControlMaster that is opened for it (cold) and through one already
           open (warm), each time to a fresh destination.

Prints the medians of --reps repetitions and the ratios kiln / OpenSSH (below
1 means kiln is faster). Must run as root (sshd_hosts.py needs it):

    cargo build --release --locked
    python3 benches/ssh/run.py --hosts 100 --sizes 1M,1G --reps 3

Options: --kiln PATH (default $CARGO_TARGET_DIR/release/kiln, else
target/release/kiln), --hosts N, --sizes LIST (K/M/G suffixes), --reps N,
--keep (keep the work dir).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(REPO / "tests" / "oracle"))
from sshd_hosts import SshdHosts, install_signal_handlers  # noqa: E402


def size_of(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def default_kiln() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR")
    base = Path(target) if target else REPO / "target"
    return base / "release" / "kiln"


class Bench:
    def __init__(self, work: Path, fleet: SshdHosts, kiln: Path) -> None:
        self.work = work
        self.fleet = fleet
        self.kiln = kiln
        self.key = fleet.client_key
        self.kh = fleet.known_hosts
        self.inventory = work / "inventory.ini"
        lines = ["[all]"]
        for h in fleet.hosts:
            lines.append(
                f"{h.name} ansible_host={h.addr} ansible_port={h.port} ansible_user=root "
                f"ansible_ssh_private_key_file={self.key} "
                f"ansible_ssh_common_args='-o UserKnownHostsFile={self.kh}'"
            )
        self.inventory.write_text("\n".join(lines) + "\n")
        self.home = work / "home"
        (self.home / ".ssh").mkdir(parents=True, exist_ok=True)

    def _kiln(self, playbook: str, forks: int) -> float:
        pb = self.work / "bench.yml"
        pb.write_text(playbook)
        env = dict(os.environ, HOME=str(self.home), ANSIBLE_NOCOLOR="1")
        env.pop("SSH_AUTH_SOCK", None)
        env.pop("ANSIBLE_CONFIG", None)
        start = time.perf_counter()
        out = subprocess.run(
            [str(self.kiln), "playbook", "-i", str(self.inventory), "-f", str(forks), str(pb)],
            env=env,
            cwd=self.work,
            capture_output=True,
            text=True,
        )
        took = time.perf_counter() - start
        if out.returncode != 0:
            raise RuntimeError(f"kiln failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        return took

    def _ssh_opts(self, control: Path) -> list[str]:
        return [
            "-o", "BatchMode=yes",
            "-o", f"UserKnownHostsFile={self.kh}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "IdentitiesOnly=yes",
            "-o", "ControlMaster=auto",
            "-o", f"ControlPath={control}/%C",
            "-o", "ControlPersist=60",
            "-i", str(self.key),
        ]

    def _close_masters(self, control: Path) -> None:
        for h in self.fleet.hosts:
            subprocess.run(
                ["ssh", *self._ssh_opts(control), "-p", str(h.port), "-O", "exit", f"root@{h.addr}"],
                capture_output=True,
            )

    def connect_kiln(self) -> float:
        n = len(self.fleet.hosts)
        return self._kiln("- hosts: all\n  gather_facts: false\n  tasks:\n    - raw: 'true'\n", n)

    def connect_openssh(self) -> float:
        control = Path(tempfile.mkdtemp(prefix="cm-", dir=self.work))

        def one(h) -> int:
            return subprocess.run(
                ["ssh", *self._ssh_opts(control), "-p", str(h.port), f"root@{h.addr}", "true"],
                capture_output=True,
            ).returncode

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(self.fleet.hosts)) as pool:
            codes = list(pool.map(one, self.fleet.hosts))
        took = time.perf_counter() - start
        self._close_masters(control)
        shutil.rmtree(control, ignore_errors=True)
        if any(codes):
            raise RuntimeError(f"ssh failed on some hosts: {codes}")
        return took

    def copy_kiln(self, src: Path, dest: Path) -> float:
        h = self.fleet.hosts[0]
        took = self._kiln(
            f"- hosts: {h.name}\n  gather_facts: false\n  tasks:\n"
            f"    - copy:\n        src: {src}\n        dest: {dest}\n",
            1,
        )
        check(src, dest)
        return took

    def copy_scp(self, src: Path, dest: Path, warm: bool) -> float:
        h = self.fleet.hosts[0]
        control = Path(tempfile.mkdtemp(prefix="cm-", dir=self.work))
        opts = self._ssh_opts(control)
        if warm:
            subprocess.run(["ssh", *opts, "-p", str(h.port), f"root@{h.addr}", "true"], check=True)
        start = time.perf_counter()
        subprocess.run(
            ["scp", "-q", *opts, "-P", str(h.port), str(src), f"root@{h.addr}:{dest}"],
            check=True,
        )
        took = time.perf_counter() - start
        self._close_masters(control)
        shutil.rmtree(control, ignore_errors=True)
        check(src, dest)
        return took


def check(src: Path, dest: Path) -> None:
    """The hosts are this machine: the copy must be byte for byte, then go."""
    a = subprocess.run(["sha1sum", str(src)], capture_output=True, text=True).stdout.split()[0]
    b = subprocess.run(["sha1sum", str(dest)], capture_output=True, text=True).stdout.split()[0]
    dest.unlink()
    if a != b:
        raise RuntimeError(f"copy of {src} differs")


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", type=Path, default=default_kiln())
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--sizes", default="1M,1G")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if not a.kiln.exists():
        print(f"no kiln binary at {a.kiln}: cargo build --release first, or --kiln PATH", file=sys.stderr)
        return 2
    install_signal_handlers()
    work = Path(tempfile.mkdtemp(prefix="kiln-ssh-bench-"))
    rows: list[tuple[str, float, float, str]] = []
    try:
        with SshdHosts(work / "fleet", a.hosts) as fleet:
            b = Bench(work, fleet, a.kiln)
            kiln_t = [b.connect_kiln() for _ in range(a.reps)]
            ssh_t = [b.connect_openssh() for _ in range(a.reps)]
            rows.append((f"session + 1 command, {a.hosts} hosts", median(kiln_t), median(ssh_t), "ssh, cold master"))
            for text in a.sizes.split(","):
                n = size_of(text)
                src = work / f"payload-{text}"
                with open(src, "wb") as f, open("/dev/urandom", "rb") as r:
                    left = n
                    while left:
                        chunk = r.read(min(left, 1 << 20))
                        f.write(chunk)
                        left -= len(chunk)
                dest = work / f"dest-{text}"
                kiln_t = [b.copy_kiln(src, dest) for _ in range(a.reps)]
                cold = [b.copy_scp(src, dest, warm=False) for _ in range(a.reps)]
                warm = [b.copy_scp(src, dest, warm=True) for _ in range(a.reps)]
                rows.append((f"copy {text}", median(kiln_t), median(cold), "scp, cold master"))
                rows.append((f"copy {text}", median(kiln_t), median(warm), "scp, warm master"))
                src.unlink()
    finally:
        if a.keep:
            print(f"work dir kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"kiln: {a.kiln}; {a.reps} reps, medians; {os.cpu_count()} cores")
    print(f"{'what':<34} {'kiln s':>9} {'OpenSSH s':>10}  {'ratio':>6}  OpenSSH side")
    for what, k, o, side in rows:
        print(f"{what:<34} {k:>9.3f} {o:>10.3f}  {k / o:>6.2f}  {side}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
