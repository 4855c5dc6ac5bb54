#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Record what ansible-core's own fact collectors report for fake hosts.

Usage (with the oracle venv's Python, ansible-core 2.21):

    /work/ansible-venv/bin/python tests/oracle/record_facts.py            # every case
    /work/ansible-venv/bin/python tests/oracle/record_facts.py NAME...    # print these, write nothing
    /work/ansible-venv/bin/python tests/oracle/record_facts.py --check    # exit 1 if expected.json is stale

Each case of tests/facts_cases/cases.json describes one host:

    name        unique name
    collectors  Ansible collector names to run, in order (later ones see the
                facts of earlier ones, as in Ansible's collector list)
    files       {path: content}: regular files
    dirs        [path]: directories (parents of files and links are implied)
    links       {path: target}: symbolic links
    bins        {tool: path}: what module.get_bin_path(tool) finds
    cmds        {"tool arg...": {"out": str, "rc": int, "err": str}}: a
                command's output, keyed by the tool's base name and its
                arguments (a local fact script: its file name)
    fact_path   the local collector's fact_path (default /etc/ansible/facts.d)
    env         {name: value}: the process environment (user collector)
    ids         {uid, euid, gid, egid}: the process ids (user collector)
    platform    {"system", "release", "version", "machine"}: platform.*()
    facts       {name: value}: facts of collectors not run here (system,
                distribution, os_family) that a collector reads
    arch        ansible_architecture for the cpu facts (default x86_64)
    executable  [path]: files with the x bit
    statvfs     {mount point: {frsize, bsize, blocks, bavail, files, favail}}:
                os.statvfs() of a mount; other paths fail

The host's files are written under a temporary root and every file-system call
the collectors make (open, os.stat/lstat/access/listdir/scandir/readlink) is
redirected there, so ansible's code runs unmodified against the fake host.
Commands are answered from `cmds`; a shell pipeline (Debian's
`dpkg --status tzdata|grep ...`) feeds the first command's recorded output
through the rest of the pipeline with the real shell.

The facts each collector returned go to tests/facts_cases/expected.json as
{case: {collector: facts}}; a collector that raised records
{"__error__": "ExceptionType"} (Ansible drops that collector's facts).
src/modules/setup/oracle_tests.rs replays the same cases through kiln.
"""

import builtins
import io
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "..", "facts_cases")
CASES = os.path.join(CASES_DIR, "cases.json")
EXPECTED = os.path.join(CASES_DIR, "expected.json")

from ansible.module_utils import distro  # noqa: E402
from ansible.module_utils.facts.system.distribution import DistributionFactCollector  # noqa: E402
from ansible.module_utils.facts.system.lsb import LSBFactCollector  # noqa: E402

COLLECTORS = {
    "distribution": DistributionFactCollector,
    "lsb": LSBFactCollector,
}


def _optional_collectors():
    """Collectors added as the case file grows; imported lazily so a missing
    one names itself instead of breaking every case."""
    from ansible.module_utils.facts.virtual.linux import LinuxVirtualCollector
    from ansible.module_utils.facts.system.selinux import SelinuxFactCollector
    from ansible.module_utils.facts.system.apparmor import ApparmorFactCollector
    from ansible.module_utils.facts.system.fips import FipsFactCollector
    from ansible.module_utils.facts.system.cmdline import CmdLineFactCollector
    from ansible.module_utils.facts.system.dns import DnsFactCollector
    from ansible.module_utils.facts.system.loadavg import LoadAvgFactCollector
    from ansible.module_utils.facts.system.pkg_mgr import PkgMgrFactCollector
    from ansible.module_utils.facts.system.service_mgr import ServiceMgrFactCollector
    from ansible.module_utils.facts.network.linux import LinuxNetworkCollector
    from ansible.module_utils.facts.network.iscsi import IscsiInitiatorNetworkCollector
    from ansible.module_utils.facts.network.nvme import NvmeInitiatorNetworkCollector
    from ansible.module_utils.facts.network.fc_wwn import FcWwnInitiatorFactCollector
    from ansible.module_utils.facts.system.ssh_pub_keys import SshPubKeyFactCollector
    from ansible.module_utils.facts.system.local import LocalFactCollector

    COLLECTORS.update({
        "virtual": LinuxVirtualCollector,
        "selinux": SelinuxFactCollector,
        "apparmor": ApparmorFactCollector,
        "fips": FipsFactCollector,
        "cmdline": CmdLineFactCollector,
        "dns": DnsFactCollector,
        "loadavg": LoadAvgFactCollector,
        "pkg_mgr": PkgMgrFactCollector,
        "service_mgr": ServiceMgrFactCollector,
        "network": LinuxNetworkCollector,
        "iscsi": IscsiInitiatorNetworkCollector,
        "nvme": NvmeInitiatorNetworkCollector,
        "fibre_channel_wwn": FcWwnInitiatorFactCollector,
        "ssh_pub_keys": SshPubKeyFactCollector,
        "local": LocalFactCollector,
    })


_optional_collectors()


class FakeHost:
    """The case's files under a temp root, and the patches that show them to
    the collectors as if they were the real `/`."""

    def __init__(self, case, root):
        self.case = case
        self.root = root
        self.active = False
        self.exempt = tuple(
            p for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, root} if p
        )
        self.saved = {}

    def build(self):
        for d in self.case.get("dirs", []):
            os.makedirs(self.root + d, exist_ok=True)
        for path, text in self.case.get("files", {}).items():
            real = self.root + path
            os.makedirs(os.path.dirname(real), exist_ok=True)
            with open(real, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        for path, target in self.case.get("links", {}).items():
            real = self.root + path
            os.makedirs(os.path.dirname(real), exist_ok=True)
            # An absolute target must stay inside the fake root when the
            # real kernel follows it (os.stat); readlink() strips it again.
            os.symlink(self.root + target if target.startswith("/") else target, real)
        for path in self.case.get("unreadable", []):
            os.chmod(self.root + path, 0)
        for path in self.case.get("executable", []):
            os.chmod(self.root + path, 0o755)

    def redirect(self, p):
        if not self.active or isinstance(p, int):
            return p
        p = os.fspath(p)
        as_bytes = isinstance(p, bytes)
        s = os.fsdecode(p) if as_bytes else p
        # /dev/null stays real: pkg_mgr opens it for rpm's output.
        if not s.startswith("/") or s.startswith(self.exempt) or s == os.devnull:
            return p
        s = self.root + s
        return os.fsencode(s) if as_bytes else s

    def unroot(self, s):
        if isinstance(s, str) and s.startswith(self.root + "/"):
            return s[len(self.root):]
        return s

    def __enter__(self):
        host = self
        orig = {
            "open": builtins.open,
            "io_open": io.open,
            "stat": os.stat,
            "lstat": os.lstat,
            "access": os.access,
            "listdir": os.listdir,
            "scandir": os.scandir,
            "readlink": os.readlink,
            "statvfs": os.statvfs,
            "check_output": subprocess.check_output,
            "check_call": subprocess.check_call,
            "system": platform.system,
            "release": platform.release,
            "version": platform.version,
            "machine": platform.machine,
        }
        self.saved = orig

        def fopen(file, *a, **k):
            return orig["open"](host.redirect(file), *a, **k)

        def wrap(name):
            def f(path=".", *a, **k):
                return orig[name](host.redirect(path), *a, **k)
            return f

        def readlink(path, *a, **k):
            return host.unroot(orig["readlink"](host.redirect(path), *a, **k))

        def check_output(cmd, *a, **k):
            # distro's own subprocesses: lsb_release -a and uname -rs.
            argv = list(cmd) if not isinstance(cmd, str) else shlex.split(cmd)
            key = " ".join([os.path.basename(argv[0])] + argv[1:])
            if argv[0] == "uname":
                plat = host.case.get("platform", {})
                return ("%s %s\n" % (plat.get("system", "Linux"), plat.get("release", ""))).encode()
            if argv[0] not in host.case.get("bins", {}):
                raise OSError(2, "No such file or directory")
            got = host.case.get("cmds", {}).get(key)
            if got is None or got.get("rc", 0) != 0:
                raise subprocess.CalledProcessError(got.get("rc", 1) if got else 127, argv)
            return got["out"].encode()

        def check_call(cmd, *a, **k):
            # pkg_mgr's `rpm -q --whatprovides /usr/bin/apt-get`.
            argv = list(cmd)
            key = " ".join([os.path.basename(argv[0])] + argv[1:])
            got = host.case.get("cmds", {}).get(key)
            if got is None:
                raise OSError(2, "No such file or directory")
            if got.get("rc", 0) != 0:
                raise subprocess.CalledProcessError(got["rc"], argv)
            return 0

        plat = self.case.get("platform", {})
        builtins.open = fopen
        io.open = fopen
        for name in ("stat", "lstat", "access", "listdir"):
            setattr(os, name, wrap(name))

        def scandir(path=".", *a, **k):
            # Entries sorted by name, so glob() (network interfaces, bridge
            # ports) lists them in a stable order; kiln's replay lists sorted too.
            with orig["scandir"](host.redirect(path), *a, **k) as it:
                return _Entries(sorted(it, key=lambda e: e.name))

        os.scandir = scandir

        def statvfs(path):
            # `statvfs`: {mount point: {frsize, bsize, blocks, bavail, files,
            # favail}}; any other path fails as an unreachable mount does.
            got = host.case.get("statvfs", {}).get(os.fsdecode(path))
            if got is None:
                raise OSError(2, "No such file or directory")
            return os.statvfs_result((got["bsize"], got["frsize"], got["blocks"], got["bavail"],
                                      got["bavail"], got["files"], got["favail"], got["favail"],
                                      0, 255))

        os.statvfs = statvfs
        os.readlink = readlink
        subprocess.check_output = check_output
        subprocess.check_call = check_call
        platform.system = lambda: plat.get("system", "Linux")
        platform.release = lambda: plat.get("release", "6.1.0-13-amd64")
        platform.version = lambda: plat.get("version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)")
        platform.machine = lambda: plat.get("machine", "x86_64")
        self.active = True
        # distro caches what it read: a fresh instance per host.
        distro._distro = distro.LinuxDistribution()
        return self

    def __exit__(self, *exc):
        self.active = False
        o = self.saved
        builtins.open = o["open"]
        io.open = o["io_open"]
        for name in ("stat", "lstat", "access", "listdir", "scandir", "readlink", "statvfs"):
            setattr(os, name, o[name])
        subprocess.check_output = o["check_output"]
        subprocess.check_call = o["check_call"]
        platform.system = o["system"]
        platform.release = o["release"]
        platform.version = o["version"]
        platform.machine = o["machine"]
        return False


class _Entries(list):
    """A sorted os.scandir() result that still works as a context manager."""

    def __enter__(self):
        return iter(self)

    def __exit__(self, *exc):
        return False


class FakeModule:
    """The parts of AnsibleModule the collectors call."""

    def __init__(self, host):
        self.host = host
        self.params = {"gather_timeout": 10, "filter": [], "gather_subset": ["all"],
                       "fact_path": host.case.get("fact_path", "/etc/ansible/facts.d")}

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return self.host.case.get("bins", {}).get(arg)

    def _key(self, argv):
        return " ".join([os.path.basename(argv[0])] + list(argv[1:]))

    def run_command(self, args, check_rc=False, use_unsafe_shell=False, **kw):
        cmds = self.host.case.get("cmds", {})
        if isinstance(args, (list, tuple)):
            got = cmds.get(self._key([str(a) for a in args]))
            if got is None:
                return 127, "", "not found"
            return got.get("rc", 0), got["out"], got.get("err", "")
        first, _, rest = args.partition("|")
        got = cmds.get(self._key(shlex.split(first)))
        if got is None:
            return 127, "", "not found"
        if not rest:
            # A local fact script, run by its path.
            return got.get("rc", 0), got["out"], got.get("err", "")
        # The rest of a pipeline runs for real on the recorded output.
        self.host.active = False
        try:
            p = subprocess.run(["/bin/sh", "-c", rest], input=got["out"],
                               capture_output=True, text=True)
        finally:
            self.host.active = True
        return p.returncode, p.stdout, p.stderr

    def debug(self, *a, **k):
        pass

    def warn(self, *a, **k):
        pass

    def deprecate(self, *a, **k):
        pass


class HardwarePart:
    """One part of LinuxHardware.populate() (cpu, memory, dmi), run alone so
    a case only needs the inputs of that part."""

    def __init__(self, method):
        self.method = method

    def __call__(self):
        return self

    def collect(self, module=None, collected_facts=None):
        from ansible.module_utils.facts.hardware.linux import LinuxHardware
        hw = LinuxHardware(module)
        if self.method == "get_cpu_facts":
            arch = module.host.case.get("arch", "x86_64")
            # The CPU count the module's process may use comes from
            # sched_getaffinity() on the real machine; without it Ansible
            # asks `nproc`, which is what kiln's probe runs.
            saved = os.sched_getaffinity
            del os.sched_getaffinity
            try:
                return hw.get_cpu_facts(collected_facts={"ansible_architecture": arch})
            finally:
                os.sched_getaffinity = saved
        if self.method == "get_lvm_facts":
            # kiln's probe runs the LVM tools only as root, as Ansible does.
            saved = os.getuid
            os.getuid = lambda: 0
            try:
                return hw.get_lvm_facts()
            finally:
                os.getuid = saved
        if self.method == "get_mount_facts":
            # Ansible lists mounts in the order their statvfs threads finish
            # (polled every 0.1s): mtab order when every mount answers at
            # once, which an executor that runs each call inline makes
            # certain, so the recording does not depend on thread timing.
            from ansible.module_utils._internal._concurrent import _futures
            saved = _futures.DaemonThreadPoolExecutor
            _futures.DaemonThreadPoolExecutor = _InlineExecutor
            try:
                return hw.get_mount_facts()
            finally:
                _futures.DaemonThreadPoolExecutor = saved
        return getattr(hw, self.method)()


class _InlineExecutor:
    """submit() runs the call at once and hands back its finished future."""

    def submit(self, fn, *args, **kwargs):
        import concurrent.futures
        fut = concurrent.futures.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as e:  # the future carries it, as a thread's would
            fut.set_exception(e)
        return fut

    def shutdown(self, *a, **k):
        pass


class UserPart:
    """The user collector with the case's account: `env` as the process
    environment, `ids` ({uid, euid, gid, egid}) as the process ids, and pwd
    answering from the case's /etc/passwd (a files-only NSS)."""

    def __call__(self):
        return self

    def collect(self, module=None, collected_facts=None):
        import getpass
        import pwd
        from unittest import mock
        from ansible.module_utils.facts.system.user import UserFactCollector
        case = module.host.case
        ids = case.get("ids", {})
        entries = []
        for line in case.get("files", {}).get("/etc/passwd", "").splitlines():
            f = line.split(":")
            if len(f) == 7:
                entries.append(pwd.struct_passwd((f[0], f[1], int(f[2]), int(f[3]), f[4], f[5], f[6])))

        def getpwnam(name):
            for e in entries:
                if e.pw_name == name:
                    return e
            raise KeyError("getpwnam(): name not found: %r" % name)

        def getpwuid(uid):
            for e in entries:
                if e.pw_uid == uid:
                    return e
            raise KeyError("getpwuid(): uid not found: %d" % uid)

        with mock.patch.dict(os.environ, case.get("env", {}), clear=True), \
                mock.patch.object(pwd, "getpwnam", getpwnam), \
                mock.patch.object(pwd, "getpwuid", getpwuid), \
                mock.patch.object(os, "getuid", lambda: ids.get("uid", 0)), \
                mock.patch.object(os, "geteuid", lambda: ids.get("euid", ids.get("uid", 0))), \
                mock.patch.object(os, "getgid", lambda: ids.get("gid", 0)), \
                mock.patch.object(os, "getegid", lambda: ids.get("egid", ids.get("gid", 0))):
            assert getpass  # getuser() reads the patched environment and pwd
            return UserFactCollector().collect(module=module, collected_facts=collected_facts)


COLLECTORS.update({
    "user": UserPart(),
    "hardware.cpu": HardwarePart("get_cpu_facts"),
    "hardware.memory": HardwarePart("get_memory_facts"),
    "hardware.dmi": HardwarePart("get_dmi_facts"),
    "hardware.sysinfo": HardwarePart("get_sysinfo_facts"),
    "hardware.uptime": HardwarePart("get_uptime_facts"),
    "hardware.lvm": HardwarePart("get_lvm_facts"),
    "hardware.mounts": HardwarePart("get_mount_facts"),
    "hardware.devices": HardwarePart("get_device_facts"),
})


def run_case(case):
    out = {}
    # Facts of collectors the case does not run (ansible_system,
    # ansible_os_family...), as Ansible's collector list hands them on.
    collected = {"ansible_" + k: v for k, v in case.get("facts", {}).items()}
    with tempfile.TemporaryDirectory(prefix="kiln-facts-") as root:
        host = FakeHost(case, root)
        host.build()
        with host:
            module = FakeModule(host)
            for name in case["collectors"]:
                try:
                    facts = COLLECTORS[name]().collect(module=module, collected_facts=collected)
                except Exception as e:  # Ansible drops a failing collector's facts
                    facts = {"__error__": type(e).__name__}
                else:
                    collected.update({"ansible_" + k: v for k, v in facts.items()})
                out[name] = facts
    return out


def as_json(value):
    """Sets (virtualization_tech_*) leave a module as lists; sorted here so
    the file is stable."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    # The network facts' `interfaces` is the interface dict's keys view.
    if isinstance(value, type({}.keys())):
        return list(value)
    raise TypeError("not JSON: %r" % (value,))


def main(argv):
    with open(CASES, encoding="utf-8") as f:
        cases = json.load(f)
    names = [c["name"] for c in cases]
    if len(set(names)) != len(names):
        sys.exit("duplicate case names")
    check = "--check" in argv
    only = [a for a in argv if not a.startswith("--")]
    if only:
        for c in cases:
            if c["name"] in only:
                print(c["name"], json.dumps(run_case(c), indent=1, sort_keys=True, default=as_json))
        return 0
    expected = {c["name"]: run_case(c) for c in cases}
    text = json.dumps(expected, indent=1, sort_keys=True, ensure_ascii=False, default=as_json) + "\n"
    if check:
        with open(EXPECTED, encoding="utf-8") as f:
            if f.read() != text:
                print("expected.json differs from ansible-core's answers", file=sys.stderr)
                return 1
        return 0
    with open(EXPECTED, "w", encoding="utf-8") as f:
        f.write(text)
    print("recorded %d cases into %s" % (len(cases), os.path.relpath(EXPECTED)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
