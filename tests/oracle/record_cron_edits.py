#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records how ansible-core 2.21's `cron` module edits a crontab, for each
case of tests/cron_cases/cases.json, into tests/cron_cases/expected.json.

kiln's `cron` edits the lines on the controller exactly as the module does
(src/modules/cron.rs); the unit test `modules::cron::oracle_cases` gives
each case to kiln's `decide` and compares. A case has the task's arguments
and either `listing` (what `crontab -l` prints for a user crontab; null:
no crontab) or `file` (the content of a `cron_file`; null: no file). For
a `cron_file` case the module's real file is a private temporary file here
(the case's `cron_file` names only what the result echoes).

The module's real `main()` runs with `--diff`; `crontab -l` answers from
the case and `crontab FILE` records what FILE holds. Recorded: changed,
failed and msg, warnings, jobs, envs, the text written (`written`, null
when nothing was written), whether the cron file was removed, and the diff.

Usage: /work/ansible-venv/bin/python tests/oracle/record_cron_edits.py
       [--cases FILE] [--out FILE]
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from module_main import record, run_main  # noqa: E402


def run_case(case):
    import ansible.module_utils.basic as basic
    from ansible.module_utils.common import warnings as w
    from ansible.modules import cron as mod

    args = dict(case["args"])
    written = []
    work = tempfile.mkdtemp(prefix="kiln-cron-oracle.")
    file_mode = "file" in case
    # The module warns about the file's name: the real file has the name
    # the case gives, in a private directory.
    shown = args.get("cron_file")
    path = os.path.join(work, os.path.basename(shown or "kiln-job"))
    if file_mode:
        if case["file"] is not None:
            with open(path, "w") as f:
                f.write(case["file"])
        args["cron_file"] = path

    def run_command(self, cmd, *a, **kw):
        words = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        if words[-1] == "-l":
            listing = case.get("listing")
            return (1, "", "no crontab for root") if listing is None else (0, listing, "")
        with open(words[-1]) as f:
            written.append(f.read())
        return 0, "", ""

    w._global_warnings.clear()
    umask = os.umask(0o022)
    try:
        result = run_main(
            mod,
            args,
            check_mode=case.get("check_mode", False),
            diff=True,
            patches=[
                (basic.AnsibleModule, "run_command", run_command),
                (basic.AnsibleModule, "get_bin_path", lambda self, arg, required=False, opt_dirs=None: "/usr/bin/" + arg),
                (basic.AnsibleModule, "selinux_enabled", lambda self: False),
            ],
        )
    finally:
        os.umask(umask)
    if not result.get("failed"):
        result["warnings"] = list(w.get_warning_messages())
    if file_mode:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if text != (case["file"] or "") or case["file"] is None:
                written.append(text)
            os.unlink(path)
            removed = False
        else:
            removed = case["file"] is not None
    else:
        removed = False
    for name in os.listdir(work):
        os.unlink(os.path.join(work, name))
    os.rmdir(work)
    out = {"changed": bool(result.get("changed")), "failed": bool(result.get("failed"))}
    if result.get("failed"):
        out["msg"] = result.get("msg")
        return out
    diff = result.get("diff") or {}
    if file_mode and diff:
        # The module names its file in the headers: the path it would have
        # on a host (a relative name is under /etc/cron.d).
        real = shown if os.path.isabs(shown) else os.path.join("/etc/cron.d", shown)
        for k in ("before_header", "after_header"):
            if diff.get(k) == path:
                diff[k] = real
    if file_mode and result.get("cron_file") == path:
        result["cron_file"] = shown
    out.update(
        warnings=result.get("warnings", []),
        jobs=result.get("jobs"),
        envs=result.get("envs"),
        written=written[-1] if written else None,
        removed=removed,
        diff=diff,
        cron_file=result.get("cron_file"),
    )
    return out


def main():
    record(REPO / "tests" / "cron_cases", run_case)


if __name__ == "__main__":
    main()
