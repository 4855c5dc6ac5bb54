#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Inventory benchmark (issue 3, point 10): kiln against ansible-core 2.21 on
the same generated inventory, side by side, as ratios.

The inventory: N hosts (default 10,000) in G groups (default 200), written
as one INI file; every group has a parent group (G/10 of them) so depths
differ, `group_vars/all.yml`, one `group_vars/<group>.yml` per group and
per parent, and `host_vars/<host>.yml` for every tenth host.

Measured, each as the median wall time of --reps runs of a fresh process:

  load      `kiln inventory --list`  vs `ansible-inventory --list`: read
            the whole inventory and print every host's merged variables;
  resolve   the variables of one task on 1,000 hosts (--task-hosts): a play
            on a group of that many hosts with one `debug` task templating
            variables from every inventory level, `kiln playbook` vs
            `ansible-playbook` (no host is contacted: `debug` runs on the
            controller; both get `-f 50`).

Usage:
  python3 benches/inventory/run.py --kiln target/release/kiln \
      [--ansible-bin /work/ansible-venv/bin] [--hosts 10000] [--groups 200] \
      [--task-hosts 1000] [--reps 3] [--out benches/inventory/results/X.txt]

The kiln binary should be a release build (`cargo build --release`). The
outputs of the two tools are compared (as data for `--list`, by the
printed values for the play) so a fast wrong answer does not count.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(root: Path, hosts: int, groups: int) -> None:
    """Writes the inventory and its group_vars/host_vars under root."""
    parents = max(1, groups // 10)
    lines = []
    per_group = hosts // groups
    for g in range(groups):
        lines.append(f"[g{g:03d}]")
        for i in range(per_group):
            h = g * per_group + i
            lines.append(f"host{h:05d}.example.com ansible_host=10.{h // 65536}.{h // 256 % 256}.{h % 256} idx={h}")
        lines.append("")
    for p in range(parents):
        lines.append(f"[p{p:02d}:children]")
        lines.extend(f"g{g:03d}" for g in range(groups) if g % parents == p)
        lines.append("")
        lines.append(f"[p{p:02d}:vars]")
        lines.append(f"parent_name=p{p:02d}")
        lines.append("")
    (root / "hosts.ini").write_text("\n".join(lines))
    gv = root / "group_vars"
    hv = root / "host_vars"
    gv.mkdir()
    hv.mkdir()
    (gv / "all.yml").write_text(
        "ntp_servers: [ntp1.example.com, ntp2.example.com]\n"
        "site: main\nlevel: all\nsettings:\n  timeout: 30\n  retries: 3\n"
    )
    for p in range(parents):
        (gv / f"p{p:02d}.yml").write_text(f"level: parent\nregion: r{p:02d}\n")
    for g in range(groups):
        (gv / f"g{g:03d}.yml").write_text(
            f"level: group\ngroup_id: {g}\npackages:\n  - pkg-a\n  - pkg-{g}\n"
            f"motd: \"group {{{{ group_id }}}} in {{{{ region }}}}\"\n"
        )
    for h in range(0, hosts, 10):
        (hv / f"host{h:05d}.example.com.yml").write_text(f"level: host\nspecial: {h}\n")


PLAY = """- hosts: {group}
  gather_facts: false
  tasks:
    - name: resolve
      debug:
        msg: "{{{{ inventory_hostname }}}} {{{{ level }}}} {{{{ region }}}} {{{{ motd }}}} {{{{ idx }}}} {{{{ ntp_servers | length }}}} {{{{ settings.timeout }}}} {{{{ packages | join(',') }}}}"
"""


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return took, proc.stdout


def messages(stdout: str) -> dict[str, str]:
    """host -> msg of the debug task in the default callback's output."""
    found = re.findall(r'^ok: \[(.+?)\] => \{\n    "msg": "(.*)"\n\}$', stdout, re.M)
    return dict(found)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True, help="kiln binary (a release build)")
    ap.add_argument("--ansible-bin", default="/work/ansible-venv/bin", help="directory of ansible-inventory/ansible-playbook")
    ap.add_argument("--hosts", type=int, default=10000)
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--task-hosts", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = ap.parse_args()

    kiln = str(Path(args.kiln).resolve())
    ainv = str(Path(args.ansible_bin) / "ansible-inventory")
    aplay = str(Path(args.ansible_bin) / "ansible-playbook")
    report = []

    def say(line: str) -> None:
        print(line, flush=True)
        report.append(line)

    with tempfile.TemporaryDirectory(prefix="kiln-inv-bench-") as tmp:
        root = Path(tmp)
        generate(root, args.hosts, args.groups)
        (root / "ansible.cfg").write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        env.update(
            ANSIBLE_CONFIG=str(root / "ansible.cfg"),
            ANSIBLE_HOME=str(root / "ansible-home"),
            ANSIBLE_LOCAL_TEMP=str(root / "ansible-tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORKS="50",
        )
        per_group = args.hosts // args.groups
        say(f"inventory: {args.hosts} hosts in {args.groups} groups ({per_group} each) under "
            f"{max(1, args.groups // 10)} parents, {args.groups + max(1, args.groups // 10) + 1} group_vars files, "
            f"{len(range(0, args.hosts, 10))} host_vars files; {args.reps} runs each, median wall time")

        # load: the whole inventory with every host's variables.
        times = {"kiln": [], "ansible": []}
        outs = {}
        for _ in range(args.reps):
            t, out = run([ainv, "-i", "hosts.ini", "--list"], root, env)
            times["ansible"].append(t)
            outs["ansible"] = out
            t, out = run([kiln, "inventory", "-i", "hosts.ini", "--list"], root, env)
            times["kiln"].append(t)
            outs["kiln"] = out
        same = json.loads(outs["kiln"]) == json.loads(outs["ansible"])
        k, a = statistics.median(times["kiln"]), statistics.median(times["ansible"])
        say(f"load     kiln {k:8.3f} s   ansible-inventory {a:8.3f} s   ratio {a / k:6.1f}x   outputs equal: {same}")

        # resolve: one task's variables on task-hosts hosts.
        groups_needed = max(1, args.task_hosts // per_group)
        pattern = ":".join(f"g{g:03d}" for g in range(groups_needed))
        (root / "play.yml").write_text(PLAY.format(group=pattern))
        times = {"kiln": [], "ansible": []}
        for _ in range(args.reps):
            t, out = run([aplay, "-i", "hosts.ini", "-f", "50", "play.yml"], root, env)
            times["ansible"].append(t)
            outs["ansible"] = out
            t, out = run([kiln, "playbook", "-i", "hosts.ini", "-f", "50", "--no-progress", "play.yml"], root, env)
            times["kiln"].append(t)
            outs["kiln"] = out
        km, am = messages(outs["kiln"]), messages(outs["ansible"])
        same = km == am and len(km) == groups_needed * per_group
        k, a = statistics.median(times["kiln"]), statistics.median(times["ansible"])
        say(f"resolve  kiln {k:8.3f} s   ansible-playbook  {a:8.3f} s   ratio {a / k:6.1f}x   "
            f"({len(km)} hosts, one debug task; messages equal: {same})")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
