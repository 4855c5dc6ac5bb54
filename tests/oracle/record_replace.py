#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records how ansible-core 2.21's `replace` module edits a file, for
each case of tests/replace_cases/cases.json, into
tests/replace_cases/expected.json.

kiln's `replace` edits the text on the controller as the module does
(src/modules/replace.rs `replace_text`); the unit test
`modules::replace::oracle_cases` gives each case to it and compares. A
case has the task's arguments (without `path`: the module runs on a private
temporary file) and the file's content before (null: no file). Recorded:
changed, failed, msg, rc and the content after (null:
no file).

Usage: /work/ansible-venv/bin/python tests/oracle/record_replace.py
       [--cases FILE] [--out FILE]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from module_main import record, run_main  # noqa: E402


def run_case(case):
    from ansible.modules import replace as mod

    work = tempfile.mkdtemp(prefix="kiln-rep-oracle.")
    path = os.path.join(work, "file")
    if case["before"] is not None:
        with open(path, "w", newline="") as f:
            f.write(case["before"])
    args = dict(case["args"], path=path)

    result = run_main(mod, args, check_mode=case.get("check_mode", False))
    after = None
    if os.path.exists(path):
        with open(path, newline="") as f:
            after = f.read()
    for name in os.listdir(work):
        os.unlink(os.path.join(work, name))
    os.rmdir(work)
    out = {
        "changed": bool(result.get("changed")),
        "failed": bool(result.get("failed")),
        "msg": str(result.get("msg", "")).replace(path, "<PATH>"),
        "after": after,
    }
    for k in ("rc", "found"):
        if k in result:
            out[k] = result[k]
    return out


def main():
    record(REPO / "tests" / "replace_cases", run_case)


if __name__ == "__main__":
    main()
