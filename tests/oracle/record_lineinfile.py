#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records how ansible-core 2.21's `lineinfile` module edits a file, for
each case of tests/lineinfile_cases/cases.json, into
tests/lineinfile_cases/expected.json.

kiln's `lineinfile` edits the text on the controller as the module does
(src/modules/lineinfile.rs `edit_lines`); the unit test
`modules::lineinfile::oracle_cases` gives each case to it and compares. A
case has the task's arguments (without `path`: the module runs on a private
temporary file) and the file's content before (null: no file). Recorded:
changed, failed, msg, rc, found (state=absent) and the content after (null:
no file).

Usage: /work/ansible-venv/bin/python tests/oracle/record_lineinfile.py
       [--cases FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


class Done(Exception):
    def __init__(self, result):
        super().__init__("done")
        self.result = result


def run_case(case):
    import ansible.module_utils.basic as basic
    from ansible.modules import lineinfile as mod

    work = tempfile.mkdtemp(prefix="kiln-lif-oracle.")
    path = os.path.join(work, "file")
    if case["before"] is not None:
        with open(path, "w", newline="") as f:
            f.write(case["before"])
    args = dict(case["args"], path=path)
    args["_ansible_check_mode"] = False

    def exit_json(self, **kw):
        raise Done(kw)

    def fail_json(self, msg, **kw):
        kw.update(failed=True, msg=msg)
        raise Done(kw)

    saved = {}

    def patch(obj, attr, value):
        saved[(obj, attr)] = getattr(obj, attr)
        setattr(obj, attr, value)

    patch(basic.AnsibleModule, "exit_json", exit_json)
    patch(basic.AnsibleModule, "fail_json", fail_json)
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    try:
        mod.main()
        result = {"failed": True, "msg": "module returned without exit_json"}
    except Done as d:
        result = d.result
    finally:
        for (obj, attr), value in saved.items():
            setattr(obj, attr, value)
        basic._ANSIBLE_ARGS = None
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
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default=str(REPO / "tests" / "lineinfile_cases" / "cases.json"))
    ap.add_argument("--out", default=str(REPO / "tests" / "lineinfile_cases" / "expected.json"))
    opts = ap.parse_args()
    import ansible.release

    cases = json.loads(Path(opts.cases).read_text())
    expected = {"ansible_core": ansible.release.__version__, "cases": {}}
    for case in cases:
        expected["cases"][case["id"]] = run_case(case)
    text = json.dumps(expected, indent=1, sort_keys=True) + "\n"
    tmp = Path(opts.out + ".tmp")
    tmp.write_text(text)
    tmp.replace(opts.out)
    print(f"{len(cases)} cases -> {opts.out}")


if __name__ == "__main__":
    main()
