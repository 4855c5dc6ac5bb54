# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Record ansible-playbook's log file (`ANSIBLE_LOG_PATH`) as a golden for
kiln's log_path sink: tests/golden/logs/<stem>.log; with `--profile`, its
stdout with the profile_tasks callback enabled instead:
tests/golden/logs/<stem>.profile.txt; with `--color`, its stdout and stderr
with ANSIBLE_FORCE_COLOR=1: tests/golden/logs/<stem>.color.stdout and
<stem>.color.stderr; with `--screen NAME --env KEY=VALUE...`, its stdout
and stderr with those settings: <stem>.NAME.stdout and <stem>.NAME.stderr.

Runs each named playbook (stems of tests/playbooks/*.yml) like record.py
(same sshd hosts, inventory and environment) with ANSIBLE_LOG_PATH set,
then masks what varies in every record:
  `2026-11-26 18:00:00,123 p=4242 u=root n=ansible INFO| text`
  -> `<TIME> p=<PID> u=<USER> n=ansible INFO| text`
and the text through record.py's normalise_text (addresses, ports, paths).
A record may span lines (an error block): continuation lines are kept.
profile_tasks' time lines (`Thursday 26 November 2026  18:04:27 +0000
(0:00:00.051)       0:00:00.051 *****`) become `<TASKTIME>` and its
durations (`1.55s`) `N.NNs`.

  /work/ansible-venv/bin/python tests/oracle/record_text.py log_path
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))
import record  # noqa: E402
from sshd_hosts import SshdHosts  # noqa: E402

OUT_DIR = record.REPO / "tests" / "golden" / "logs"
PLAYBOOKS = record.REPO / "tests" / "playbooks"
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} p=\d+ u=\S+ n=")


def normalise_log(text: str, ctx) -> str:
    out = []
    for line in text.splitlines():
        m = RECORD.match(line)
        if m:
            line = "<TIME> p=<PID> u=<USER> n=" + line[m.end():]
        out.append(record.normalise_text(line, ctx))
    return "\n".join(out) + "\n"


TASKTIME = re.compile(r"^\w+ \d\d \w+ \d{4}  \d\d:\d\d:\d\d [+-]\d{4} \(\d+:\d\d:\d\d\.\d{3}\) {7}\d+:\d\d:\d\d\.\d{3} \*+ $")
DURATION = re.compile(r" \d+\.\d\ds$")


def normalise_profile(text: str, ctx) -> str:
    out = []
    for line in text.splitlines():
        if TASKTIME.match(line) and len(line) == 80:
            line = "<TASKTIME>"
        else:
            line = DURATION.sub(" N.NNs", line)
        out.append(record.normalise_text(line, ctx))
    return "\n".join(out) + "\n"


def record_one(stem: str, profile: bool = False, color: bool = False, extra_env=None):
    playbook = PLAYBOOKS / f"{stem}.yml"
    header = record.parse_header(playbook)
    root = Path(tempfile.mkdtemp(prefix="kiln-log-", dir="/tmp")).resolve()
    try:
        with SshdHosts(root, header.hosts) as hosts:
            for name in header.down:
                hosts.stop_host(name)
            inventory = root / "inventory.ini"
            record.write_inventory(inventory, hosts, header, root)
            env = record.ansible_env(root, root / "unused.json", header.callback)
            log = root / "ansible.log"
            if profile:
                env["ANSIBLE_CALLBACKS_ENABLED"] += ",ansible.posix.profile_tasks"
            elif color:
                env.pop("ANSIBLE_NOCOLOR", None)
                env["ANSIBLE_FORCE_COLOR"] = "1"
            elif extra_env is not None:
                env.update(extra_env)
            else:
                env["ANSIBLE_LOG_PATH"] = str(log)
            argv = [record.find_ansible_playbook(None), "-i", str(inventory), "-f", "10", *header.args, str(playbook)]
            proc = subprocess.run(argv, cwd=root, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=record.RUN_TIMEOUT)
            ctx = record.RunContext(
                root=str(root),
                playbook_dir=str(playbook.parent),
                addrs=[h.addr for h in hosts.hosts],
                ports=[h.port for h in hosts.hosts],
                host_order={h.name: i for i, h in enumerate(hosts.hosts)},
            )
            if profile:
                return normalise_profile(proc.stdout, ctx)
            if color or extra_env is not None:
                return record.normalise_text(proc.stdout, ctx), record.normalise_text(proc.stderr, ctx)
            return normalise_log(log.read_text(), ctx)
    finally:
        record.remove_tree(root)


def main(argv: list[str]) -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    profile = "--profile" in argv
    color = "--color" in argv
    screen, extra_env, stems = None, None, []
    it = iter(argv)
    for a in it:
        if a == "--screen":
            screen = next(it)
            extra_env = extra_env or {}
        elif a == "--env":
            k, _, v = next(it).partition("=")
            extra_env = extra_env or {}
            extra_env[k] = v
        elif not a.startswith("--"):
            stems.append(a)
    if color:
        screen = "color"
    for stem in stems:
        text = record_one(stem, profile, color, extra_env)
        if screen:
            (OUT_DIR / f"{stem}.{screen}.stdout").write_text(text[0])
            (OUT_DIR / f"{stem}.{screen}.stderr").write_text(text[1])
            text = text[0] + text[1]
        else:
            (OUT_DIR / (f"{stem}.profile.txt" if profile else f"{stem}.log")).write_text(text)
        print(f"{stem}: {len(text.splitlines())} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
