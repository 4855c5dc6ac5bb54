#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records what ansible.posix's `sysctl` module decides, for each case of
tests/sysctl_cases/cases.json, into tests/sysctl_cases/expected.json.

kiln's `sysctl` decides on the controller as the module does
(src/modules/sysctl.rs `decide`); the unit test
`modules::sysctl::oracle_cases` compares. A case has the task's arguments
(without `sysctl_file`: a private temporary file), the file's content
before (null: no file) and what `sysctl -e -n NAME` prints (null: it
fails). The module's real `main()` runs with `sysctl` answered from the
case; recorded: changed, failed and msg, the `sysctl -w` and `sysctl -p`
commands it ran, and the file after (null: no file).

Usage: /work/ansible-venv/bin/python tests/oracle/record_sysctl.py
       [--cases FILE] [--out FILE]
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from module_main import ScratchFile, record, run_main  # noqa: E402


def run_case(case):
    import ansible.module_utils.basic as basic
    from ansible_collections.ansible.posix.plugins.modules import sysctl as mod

    scratch = ScratchFile("99-kiln.conf", case["before"])
    path = scratch.path
    commands = []

    def run_command(self, cmd, *a, **kw):
        words = shlex.split(cmd) if isinstance(cmd, str) else [str(w) for w in cmd]
        words[0] = os.path.basename(words[0])
        if "-n" in words:
            proc = case.get("proc")
            return (255, "", "sysctl: cannot stat /proc/sys/x: No such file or directory") if proc is None else (0, proc, "")
        commands.append([w.replace(path, "<FILE>") for w in words])
        return 0, "", ""

    args = dict(case["args"], sysctl_file=path)
    result = run_main(
        mod,
        args,
        check_mode=case.get("check_mode", False),
        patches=[
            (basic.AnsibleModule, "run_command", run_command),
            (basic.AnsibleModule, "get_bin_path", lambda self, arg, required=False, opt_dirs=None: "/usr/sbin/" + arg),
        ],
    )
    with scratch:
        after = scratch.read()
    out = {"changed": bool(result.get("changed")), "failed": bool(result.get("failed")), "commands": commands, "after": after}
    if result.get("failed"):
        out["msg"] = result.get("msg")
    return out


def main():
    record(REPO / "tests" / "sysctl_cases", run_case)


if __name__ == "__main__":
    main()
