# SPDX-License-Identifier: MIT
"""Record ansible-playbook's log file (`ANSIBLE_LOG_PATH`) as a golden for
kiln's log_path sink: tests/golden/logs/<stem>.log.

Runs each named playbook (stems of tests/playbooks/*.yml) like record.py
(same sshd hosts, inventory and environment) with ANSIBLE_LOG_PATH set,
then masks what varies in every record:
  `2026-11-26 18:00:00,123 p=4242 u=root n=ansible INFO| text`
  -> `<TIME> p=<PID> u=<USER> n=ansible INFO| text`
and the text through record.py's normalise_text (addresses, ports, paths).
A record may span lines (an error block): continuation lines are kept.

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


def record_one(stem: str) -> str:
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
            env["ANSIBLE_LOG_PATH"] = str(log)
            argv = [record.find_ansible_playbook(None), "-i", str(inventory), "-f", "10", *header.args, str(playbook)]
            subprocess.run(argv, cwd=root, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=record.RUN_TIMEOUT)
            ctx = record.RunContext(
                root=str(root),
                playbook_dir=str(playbook.parent),
                addrs=[h.addr for h in hosts.hosts],
                ports=[h.port for h in hosts.hosts],
                host_order={h.name: i for i, h in enumerate(hosts.hosts)},
            )
            return normalise_log(log.read_text(), ctx)
    finally:
        record.remove_tree(root)


def main(argv: list[str]) -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for stem in argv:
        text = record_one(stem)
        (OUT_DIR / f"{stem}.log").write_text(text)
        print(f"{stem}: {len(text.splitlines())} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
