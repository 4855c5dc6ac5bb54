#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records how ansible-core 2.21's text-editing modules (`lineinfile`,
`blockinfile`, `replace`) edit a file, for each case of
tests/<module>_cases/cases.json, into tests/<module>_cases/expected.json.

kiln edits the text on the controller as each module does
(src/modules/lineinfile.rs `edit_lines`, blockinfile.rs and replace.rs
`edit_file`); the unit tests `modules::<module>::oracle_cases` compare. A
case has the task's arguments (without `path`: the module's real `main()`
runs on a private temporary file) and the file's content before (null: no
file). Recorded: changed, failed, msg, rc, found (lineinfile's
state=absent) and the content after (null: no file).

Usage: /work/ansible-venv/bin/python tests/oracle/record_file_edits.py [MODULE...]
       (every module when none is named)
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from module_main import ScratchFile, run_main, write_expected  # noqa: E402

MODULES = ("lineinfile", "blockinfile", "replace")


def run_case(mod, case):
    with ScratchFile("file", case["before"], newline="") as f:
        result = run_main(mod, dict(case["args"], path=f.path), check_mode=case.get("check_mode", False))
        after = f.read()
    path = f.path
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


def main(argv):
    for name in argv or MODULES:
        if name not in MODULES:
            sys.exit(f"unknown module {name!r}: one of {', '.join(MODULES)}")
        mod = importlib.import_module(f"ansible.modules.{name}")
        d = REPO / "tests" / f"{name}_cases"
        write_expected(d / "cases.json", d / "expected.json", lambda case, mod=mod: run_case(mod, case))


if __name__ == "__main__":
    main(sys.argv[1:])
