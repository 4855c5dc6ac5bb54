#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records the commands ansible-core 2.21's `user` module runs for each case
of tests/user_cases/cases.json, into tests/user_cases/expected.json.

kiln's `user` builds the same useradd/usermod/userdel/chage command lines
as the module (src/modules/user.rs); the unit test
`modules::user::oracle_cases` feeds each case's account database to kiln's
decision and compares. A case gives the task's arguments, whether it runs
in check mode, and the host's account database: the user's passwd and
shadow lines (absent when the user does not exist) and /etc/group.

The module's real `main()` runs here with that database in place of the
host's (pwd, grp and spwd answer from the case) and with `run_command`
recording each command instead of running it (`usermod --help` answers
that `-a` exists, as on every shadow-utils since 4.0). What is recorded:
the commands in order, and the module's `changed`/`failed`/`msg`.
Nothing on this machine is read or changed: home directories are reported
missing and never made.

Usage: /work/ansible-venv/bin/python tests/oracle/record_user_commands.py
       [--cases FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent

Pw = collections.namedtuple("Pw", "pw_name pw_passwd pw_uid pw_gid pw_gecos pw_dir pw_shell")
Gr = collections.namedtuple("Gr", "gr_name gr_passwd gr_gid gr_mem")
Sp = collections.namedtuple(
    "Sp", "sp_namp sp_pwdp sp_lstchg sp_min sp_max sp_warn sp_inact sp_expire sp_flag"
)


class Done(Exception):
    def __init__(self, result):
        super().__init__("done")
        self.result = result


def run_case(case):
    import ansible.module_utils.basic as basic
    from ansible.modules import user as mod

    name = case["args"]["name"]
    pw_line = case.get("passwd")
    sp_line = case.get("shadow")
    groups = []
    for line in case.get("group", "").splitlines():
        f = line.split(":")
        if len(f) >= 4:
            groups.append(Gr(f[0], f[1], int(f[2]), [m for m in f[3].split(",") if m]))

    def getpwnam(n):
        if pw_line and n == name:
            f = pw_line.split(":")
            return Pw(f[0], f[1], int(f[2]), int(f[3]), f[4], f[5], f[6])
        raise KeyError(n)

    def getgrnam(n):
        for g in groups:
            if g.gr_name == n:
                return g
        raise KeyError(n)

    def getgrgid(i):
        for g in groups:
            if g.gr_gid == i:
                return g
        raise KeyError(i)

    def num(s, empty):
        return int(s) if s != "" else empty

    def getspnam(n):
        if sp_line and n.decode() == name:
            f = sp_line.split(":")
            return Sp(f[0], f[1], num(f[2], -1), num(f[3], -1), num(f[4], -1), num(f[5], -1),
                      num(f[6], -1), num(f[7], -1), num(f[8], -1))
        raise KeyError(n)

    commands = []

    def run_command(self, cmd, *a, **kw):
        cmd = [str(c) for c in cmd]
        if cmd[1:] == ["--help"]:
            return 0, "  -a, --append                  append the user to the supplemental GROUPS\n", ""
        commands.append(cmd)
        return 0, "", ""

    def exit_json(self, **kw):
        raise Done(kw)

    def fail_json(self, msg, **kw):
        kw["failed"] = True
        kw["msg"] = msg
        raise Done(kw)

    saved = {}

    def patch(obj, attr, value):
        saved[(obj, attr)] = getattr(obj, attr)
        setattr(obj, attr, value)

    patch(mod.pwd, "getpwnam", getpwnam)
    patch(mod.grp, "getgrnam", getgrnam)
    patch(mod.grp, "getgrgid", getgrgid)
    patch(mod.grp, "getgrall", lambda: list(groups))
    if mod.HAVE_SPWD:
        patch(mod, "getspnam", getspnam)
    patch(basic.AnsibleModule, "run_command", run_command)
    patch(basic.AnsibleModule, "exit_json", exit_json)
    patch(basic.AnsibleModule, "fail_json", fail_json)
    patch(basic.AnsibleModule, "get_bin_path", lambda self, arg, required=False, opt_dirs=None: arg)
    patch(basic.AnsibleModule, "selinux_enabled", lambda self: False)
    patch(mod.User, "create_homedir", lambda self, path: commands.append(["<mkhome>", path]))
    patch(mod.User, "chown_homedir", lambda self, uid, gid, path: None)
    # The home directory and its parent: as the case says (default: missing
    # home, existing parent).
    homes = set(case.get("existing_paths", []))
    real_exists, real_isdir = os.path.exists, os.path.isdir

    def exists(p):
        p = os.fspath(p)
        if p in homes:
            return True
        if p in ("/etc/redhat-release", "/etc/SuSE-release"):
            return False
        if p.startswith("/home") or p.startswith("/srv") or p.startswith("/opt/kiln"):
            return False
        return real_exists(p)

    def isdir(p):
        p = os.fspath(p)
        if p in homes or p in ("/home", "/srv"):
            return True
        if p.startswith("/opt/kiln"):
            return False
        return real_isdir(p)

    # `local: true` reads the passwd file itself: the case's line, in a
    # private temporary file.
    pwfile = tempfile.NamedTemporaryFile("w", suffix=".passwd", delete=False)
    pwfile.write((pw_line + "\n") if pw_line else "")
    pwfile.close()
    patch(mod.User, "PASSWORDFILE", pwfile.name)
    homes.add(pwfile.name)
    patch(mod.os.path, "exists", exists)
    # `usermod --help` is only asked when the binary is executable.
    patch(mod.os, "access", lambda path, mode, **kw: True)
    patch(mod.os.path, "isdir", isdir)
    args = dict(case["args"])
    args["_ansible_check_mode"] = bool(case.get("check_mode"))
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
        os.unlink(pwfile.name)
    out = {"commands": commands, "changed": bool(result.get("changed")), "failed": bool(result.get("failed"))}
    if result.get("failed"):
        out["msg"] = result.get("msg")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default=str(REPO / "tests" / "user_cases" / "cases.json"))
    ap.add_argument("--out", default=str(REPO / "tests" / "user_cases" / "expected.json"))
    opts = ap.parse_args()
    # Group lists go through Python sets in the module: a fixed hash seed
    # keeps the recording repeatable (the test compares them as sets).
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
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
