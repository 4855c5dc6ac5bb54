#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records how ansible.posix's `authorized_key` module (the collection that
ships with the pinned `ansible` package, run by ansible-core 2.21) edits an
authorized_keys file, for each case of tests/authorized_key_cases/cases.json,
into tests/authorized_key_cases/expected.json.

kiln's `authorized_key` merges the keys on the controller as the module
does (src/modules/authorized_key.rs `merge`); the unit test
`modules::authorized_key::oracle_cases` gives each case to it and compares.
A case has the task's arguments (without `user` and `path`: the module runs
as root on a private temporary file) and the file's content before (null:
no file). Recorded: changed, failed and msg, and the file's content after
(null when there is no file).

Usage: /work/ansible-venv/bin/python tests/oracle/record_authorized_keys.py
       [--cases FILE] [--out FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from module_main import ScratchFile, record, run_main  # noqa: E402


def run_case(case):
    from ansible_collections.ansible.posix.plugins.modules import authorized_key as mod

    with ScratchFile("authorized_keys", case["before"]) as f:
        args = dict(case["args"], user="root", path=f.path, manage_dir=False)
        result = run_main(mod, args, check_mode=case.get("check_mode", False))
        after = f.read()
    path = f.path
    out = {"changed": bool(result.get("changed")), "failed": bool(result.get("failed"))}
    if result.get("failed"):
        out["msg"] = result.get("msg", "").replace(path, "<PATH>")
    out["after"] = after
    return out


def main():
    record(REPO / "tests" / "authorized_key_cases", run_case)


if __name__ == "__main__":
    main()
