#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records how ansible.posix's `mount` module edits an fstab, for each case
of tests/fstab_cases/cases.json, into tests/fstab_cases/expected.json.

Only the states that edit the file and mount nothing run here: `present`,
`absent` and `absent_from_fstab`, with `fstab` a private temporary file and
`path` a directory that does not exist (so nothing is unmounted or
removed). kiln's `mount` edits the text on the controller as the module
does (src/modules/mount.rs `set_fstab`/`unset_fstab`); the unit test
`modules::mount::oracle_cases` compares. Recorded: changed, failed and msg,
and the file after (null: no file). `mount`/`umount` are never run: the
module's command runner answers "not run" and records any attempt.

Usage: /work/ansible-venv/bin/python tests/oracle/record_fstab.py
       [--cases FILE] [--out FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from module_main import ScratchFile, record, run_main  # noqa: E402


def run_case(case):
    import ansible.module_utils.basic as basic
    from ansible_collections.ansible.posix.plugins.modules import mount as mod

    scratch = ScratchFile("fstab", case["before"])
    path = scratch.path
    commands = []

    def run_command(self, cmd, *a, **kw):
        commands.append(cmd)
        return 1, "", "not run"

    args = dict(case["args"], fstab=path)
    result = run_main(
        mod,
        args,
        check_mode=case.get("check_mode", False),
        patches=[(basic.AnsibleModule, "run_command", run_command)],
    )
    with scratch:
        after = scratch.read()
    out = {"changed": bool(result.get("changed")), "failed": bool(result.get("failed")), "after": after, "commands": len(commands)}
    if result.get("failed"):
        out["msg"] = str(result.get("msg")).replace(path, "<FSTAB>")
    return out


def main():
    record(REPO / "tests" / "fstab_cases", run_case)


if __name__ == "__main__":
    main()
