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

import collections
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from module_main import record, run_main  # noqa: E402

Pw = collections.namedtuple("Pw", "pw_name pw_passwd pw_uid pw_gid pw_gecos pw_dir pw_shell")
Gr = collections.namedtuple("Gr", "gr_name gr_passwd gr_gid gr_mem")
Sp = collections.namedtuple(
    "Sp", "sp_namp sp_pwdp sp_lstchg sp_min sp_max sp_warn sp_inact sp_expire sp_flag"
)


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

    saved = []

    def patch(obj, attr, value):
        saved.append((obj, attr, value))

    patch(mod.pwd, "getpwnam", getpwnam)
    patch(mod.grp, "getgrnam", getgrnam)
    patch(mod.grp, "getgrgid", getgrgid)
    patch(mod.grp, "getgrall", lambda: list(groups))
    if mod.HAVE_SPWD:
        patch(mod, "getspnam", getspnam)
    patch(basic.AnsibleModule, "run_command", run_command)
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
    try:
        result = run_main(mod, case["args"], check_mode=case.get("check_mode", False), patches=saved)
    finally:
        os.unlink(pwfile.name)
    out = {"commands": commands, "changed": bool(result.get("changed")), "failed": bool(result.get("failed"))}
    if result.get("failed"):
        out["msg"] = result.get("msg")
    return out


def main():
    # Group lists go through Python sets in the module: a fixed hash seed
    # keeps the recording repeatable (the test compares them as sets).
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    record(REPO / "tests" / "user_cases", run_case)


if __name__ == "__main__":
    main()
