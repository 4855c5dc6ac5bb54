# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Record ansible-runner job events as goldens for kiln's `--events` stream.

For each playbook named on the command line (stems of tests/playbooks/*.yml)
this starts the same sshd hosts as record.py, runs the playbook through
`ansible_runner.interface.run(..., json_mode=False)` (so ansible-runner's own
awx_display callback produces the events, exactly as AWX-like tools see
them) and writes tests/golden/events/<stem>.json.

Needs ansible-runner in the oracle venv:
  /work/ansible-venv/bin/pip install ansible-runner
  /work/ansible-venv/bin/python tests/oracle/record_events.py ping failures
  /work/ansible-venv/bin/python tests/oracle/record_events.py --variant vv --args=-vv handlers
    (-> tests/golden/events/handlers.vv.json: the same run at -vv, for the
    `verbose` events; the golden keeps the arguments as `extra_args`)

Normalisation (kiln's test applies the same to its own events):
  * every uuid is replaced by `U<n>`, numbered in order of first appearance,
    so parent/child links survive while the random values do not;
  * `created`, `event_data.start`, `event_data.end` -> `<TIME>`,
    `event_data.duration` -> `<DURATION>`, `pid` and `runner_ident` dropped;
  * strings go through record.py's normalise_text (addresses, ports, roots);
  * results (`event_data.res`) through record.py's normalise_result;
  * events of one task are stably sorted by host (inventory order), as in
    record.py: forks make the completion order a race;
  * the artifact directory's file names have their uuids masked and the
    fact cache left out; its stdout goes through normalise_text.
"""

import argparse
import json
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))
import record  # noqa: E402
from sshd_hosts import SshdHosts  # noqa: E402

OUT_DIR = record.REPO / "tests" / "golden" / "events"
PLAYBOOKS = record.REPO / "tests" / "playbooks"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME_KEYS = {"created", "start", "end"}


class Uuids:
    def __init__(self):
        self.seen = {}

    def __call__(self, value):
        if value not in self.seen:
            self.seen[value] = f"U{len(self.seen)}"
        return self.seen[value]


def normalise_event(ev: dict, ctx, uuids: Uuids) -> dict:
    out = {}
    for k, v in ev.items():
        if k in ("pid", "runner_ident"):
            continue
        if k in ("uuid", "parent_uuid") and isinstance(v, str) and UUID.match(v):
            out[k] = uuids(v)
        elif k == "created":
            out[k] = "<TIME>"
        elif k == "stdout":
            out[k] = record.normalise_text(v, ctx)
        elif k == "event_data":
            out[k] = normalise_data(v, ctx, uuids)
        else:
            out[k] = v
    return out


def normalise_data(data: dict, ctx, uuids: Uuids) -> dict:
    out = {}
    for k, v in data.items():
        if k == "res" and isinstance(v, dict):
            out[k] = record.normalise_result(v, ctx)
        elif k in TIME_KEYS and v:
            out[k] = "<TIME>"
        elif k == "duration" and v is not None:
            out[k] = "<DURATION>"
        elif isinstance(v, str) and UUID.match(v):
            out[k] = uuids(v)
        elif k == "pid":
            continue
        else:
            out[k] = record.normalise_value(v, ctx)
    return out


def host_order(events: list[dict], ctx) -> list[dict]:
    """Stable-sort runs of same-task host events by inventory order."""
    out, run = [], []

    def flush():
        run.sort(key=lambda e: record.host_rank(e["event_data"].get("host", ""), ctx))
        out.extend(run)
        run.clear()

    for ev in events:
        host = ev.get("event_data", {}).get("host")
        task = ev.get("event_data", {}).get("task_uuid")
        if host and run and run[0]["event_data"].get("task_uuid") == task:
            run.append(ev)
        elif host:
            flush()
            run.append(ev)
        else:
            flush()
            out.append(ev)
    flush()
    return out


def record_one(stem: str, extra_args: list[str] | None = None) -> dict:
    import ansible_runner

    playbook = PLAYBOOKS / f"{stem}.yml"
    header = record.parse_header(playbook)
    root = Path(tempfile.mkdtemp(prefix="kiln-events-", dir="/tmp")).resolve()
    try:
        with SshdHosts(root, header.hosts) as hosts:
            for name in header.down:
                hosts.stop_host(name)
            inventory = root / "inventory.ini"
            record.write_inventory(inventory, hosts, header, root)
            env = record.ansible_env(root, root / "unused.json")
            envvars = {k: v for k, v in env.items() if k.startswith("ANSIBLE_") or k == "LC_ALL"}
            for k in ("ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_CALLBACK_PLUGINS", "ANSIBLE_STDOUT_CALLBACK"):
                envvars.pop(k, None)
            (root / "runner").mkdir()
            os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
            r = ansible_runner.interface.run(
                private_data_dir=str(root / "runner"),
                playbook=str(playbook),
                inventory=str(inventory),
                envvars=envvars,
                cmdline=" ".join(["-f", "10", *header.args, *(extra_args or [])]),
                json_mode=False,
                quiet=True,
            )
            events = list(r.events)
            art = Path(r.config.artifact_dir)
            layout = {
                "files": sorted(
                    re.sub(r"^job_events/(\d+)-[0-9a-f-]{36}(_\d+)?\.json$", r"job_events/\1-<UUID>.json", str(p.relative_to(art)))
                    for p in art.rglob("*")
                    if not str(p.relative_to(art)).startswith("fact_cache/")
                ),
                "status": (art / "status").read_text(),
                "rc": (art / "rc").read_text(),
                "stdout": (art / "stdout").read_text(),
                "stderr": (art / "stderr").read_text(),
            }
            ctx = record.RunContext(
                root=str(root),
                playbook_dir=str(playbook.parent),
                addrs=[h.addr for h in hosts.hosts],
                ports=[h.port for h in hosts.hosts],
                host_order={h.name: i for i, h in enumerate(hosts.hosts)},
            )
        uuids = Uuids()
        normal = [normalise_event(e, ctx, uuids) for e in events]
        layout["stdout"] = record.normalise_text(layout["stdout"], ctx)
        return {
            "playbook": playbook.name,
            "rc": r.rc,
            "status": r.status,
            "events": host_order(normal, ctx),
            # ansible-runner's artifact directory (artifacts/<ident>/) for
            # kiln's --artifact-dir: file names (uuids masked, the fact
            # cache left out), status, rc, stdout and stderr.
            "artifacts": layout,
        }
    finally:
        record.remove_tree(root)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="Record ansible-runner events goldens.")
    ap.add_argument("playbooks", nargs="+", help="playbook stems (tests/playbooks/STEM.yml)")
    ap.add_argument("--variant", help="write STEM.VARIANT.json (a run with --args added)")
    ap.add_argument("--args", default="", help="more ansible-playbook arguments, split like a shell (e.g. -vv)")
    args = ap.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    extra = shlex.split(args.args)
    for stem in args.playbooks:
        doc = record_one(stem, extra)
        if extra:
            doc["extra_args"] = extra
        name = f"{stem}.{args.variant}" if args.variant else stem
        (OUT_DIR / f"{name}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print(f"{stem}: {len(doc['events'])} events, rc {doc['rc']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
