# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Run one playbook through ansible-runner with whatever `ansible-playbook`
is first on PATH (tests/events_compare.rs puts a link to kiln there) and
write what ansible-runner saw as JSON: rc, status, runner.events, and the
artifact directory's file names and small files.

Called by the Rust test, not by hand:
  python runner_dropin.py --playbook P --inventory-ini INV --data DIR --out OUT.json -- -f 10

The inventory is handed over as a dict (`inventory=<dict>`), the way tools
such as CMT call ansible-runner; the INI file of the test fleet is read for
it (`name k=v ...` lines and `[group]` sections of host names).
"""

import argparse
import json
import os
import sys
from pathlib import Path


def ini_to_dict(path: Path) -> dict:
    hosts: dict[str, dict] = {}
    children: dict[str, dict] = {}
    group = "all"
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
            continue
        name, *pairs = line.split()
        if group == "all":
            hosts[name] = dict(p.split("=", 1) for p in pairs)
        else:
            children.setdefault(group, {"hosts": {}})["hosts"][name] = {}
    doc: dict = {"all": {"hosts": hosts}}
    if children:
        doc["all"]["children"] = children
    return doc


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--playbook", required=True)
    ap.add_argument("--inventory-ini", required=True)
    ap.add_argument("--data", required=True, help="private data dir (created)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ident", default="dropin")
    ap.add_argument("cmdline", nargs="*")
    args = ap.parse_args(argv)

    import ansible_runner

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    r = ansible_runner.interface.run(
        private_data_dir=str(data),
        playbook=args.playbook,
        inventory=ini_to_dict(Path(args.inventory_ini)),
        envvars={"ANSIBLE_NOCOLOR": "1"},
        cmdline=" ".join(args.cmdline),
        ident=args.ident,
        json_mode=True,
        quiet=True,
    )
    art = data / "artifacts" / args.ident
    files = sorted(str(p.relative_to(art)) for p in art.rglob("*"))
    small = {}
    for name in ("rc", "status", "stdout", "stderr"):
        p = art / name
        if p.exists():
            small[name] = p.read_text()
    doc = {
        "rc": r.rc,
        "status": r.status,
        "events": list(r.events),
        "files": files,
        "artifacts": small,
        "command": json.loads((art / "command").read_text()).get("command"),
    }
    Path(args.out).write_text(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
