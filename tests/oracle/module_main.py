# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Runs an Ansible module's `main()` in this Python process, for the
recorders that compare kiln's module logic with the module's own on fake
inputs (record_user_commands.py, record_cron_edits.py,
record_authorized_keys.py, record_file_edits.py, record_sysctl.py,
record_fstab.py).

`run_main(module, args, check_mode=..., diff=..., patches=[...])` gives the
module its arguments the way ansible-core does (the legacy JSON profile),
turns `exit_json`/`fail_json` into a returned dict (`failed: True` and
`msg` for the latter), applies each `(object, attribute, value)` patch for
the run only, and puts everything back afterwards.
"""

from __future__ import annotations

import json
import os


class _Done(Exception):
    def __init__(self, result):
        super().__init__("module exited")
        self.result = result


def run_main(module, args, check_mode=False, diff=False, patches=()):
    import ansible.module_utils.basic as basic

    def exit_json(self, **kw):
        raise _Done(kw)

    def fail_json(self, msg, **kw):
        kw.update(failed=True, msg=msg)
        raise _Done(kw)

    saved = []
    all_patches = [
        (basic.AnsibleModule, "exit_json", exit_json),
        (basic.AnsibleModule, "fail_json", fail_json),
        *patches,
    ]
    for obj, attr, value in all_patches:
        saved.append((obj, attr, getattr(obj, attr)))
        setattr(obj, attr, value)
    params = dict(args, _ansible_check_mode=bool(check_mode), _ansible_diff=bool(diff))
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": params}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    try:
        module.main()
        return {"failed": True, "msg": "module returned without exit_json"}
    except _Done as done:
        return done.result
    finally:
        for obj, attr, value in reversed(saved):
            setattr(obj, attr, value)
        basic._ANSIBLE_ARGS = None


def write_expected(cases_path, out_path, run_case):
    """Writes `{"ansible_core": VERSION, "cases": {id: run_case(case)}}` for
    the cases in CASES_PATH to OUT_PATH, atomically."""
    from pathlib import Path

    import ansible.release

    cases = json.loads(Path(cases_path).read_text())
    expected = {"ansible_core": ansible.release.__version__, "cases": {}}
    for case in cases:
        expected["cases"][case["id"]] = run_case(case)
    tmp = Path(str(out_path) + ".tmp")
    tmp.write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    tmp.replace(out_path)
    print(f"{len(cases)} cases -> {out_path}")


def record(case_dir, run_case):
    """The recorders' command line: `[--cases FILE] [--out FILE]`, by
    default CASE_DIR/cases.json and CASE_DIR/expected.json."""
    import argparse
    from pathlib import Path

    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default=str(Path(case_dir) / "cases.json"))
    ap.add_argument("--out", default=str(Path(case_dir) / "expected.json"))
    opts = ap.parse_args()
    write_expected(opts.cases, opts.out, run_case)


class ScratchFile:
    """A file NAME in a private temporary directory, holding BEFORE (no file
    when None); `read()` gives its content afterwards (None: no file), and
    leaving the `with` block removes the directory."""

    def __init__(self, name, before, newline=None):
        import tempfile

        self.dir = tempfile.mkdtemp(prefix="kiln-oracle.")
        self.path = os.path.join(self.dir, name)
        self.newline = newline
        if before is not None:
            with open(self.path, "w", newline=newline) as f:
                f.write(before)

    def read(self):
        if not os.path.exists(self.path):
            return None
        with open(self.path, newline=self.newline) as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        import shutil

        shutil.rmtree(self.dir, ignore_errors=True)
        return False
