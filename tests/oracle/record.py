# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Record kiln's compatibility goldens by running real ansible-playbook.

For each test playbook (tests/playbooks/*.yml, or those named on the command
line) this starts real OpenSSH sshd hosts on loopback (sshd_hosts.py), writes
an inventory for them, runs ansible-playbook with the kiln_golden callback
enabled, normalises what it reported and writes tests/golden/<stem>.json
(or DIR/<stem>.json with --out DIR, the "live" differential mode).

Playbook header: leading comment lines of the form `# key: value`:
  # hosts: N                  number of hosts h1..hN (default 1)
  # down: h3[,h4]             in the inventory, but its sshd is stopped before the run
  # badkey: h2[,..]           its known_hosts entry holds a different (wrong) ed25519 key
  # nokey: h2[,..]            no known_hosts entry at all (an unknown host)
  # groups: web=h1,h2 db=h3   inventory groups (space separated group=host,host)
  # args: --check -e 'x=1'    extra ansible-playbook arguments (shell words);
                              a relative --vault-password-file is a file next
                              to the playbook (kiln's comparison reads it so too)
  # bare: yes                 hosts are booted bare Debian containers (bare_hosts.py,
                              python flavour) instead of sshd servers; down/badkey/nokey
                              are not supported with it

Normalisation (normalise_* below; kiln's comparison must apply the same, see
README.md):
  * results: keys `start`, `end`, `delta`, `invocation` and every `_ansible_*`
    key are removed, at the top level and in each element of a `results` list
    (loop results), recursively for nested `results`;
  * every string (result keys and values, play names, stdout, stderr), in
    this order: command timestamps `YYYY-MM-DD HH:MM:SS.ffffff` -> `<TIME>`,
    deltas `H:MM:SS.ffffff` -> `<DELTA>`, the run's temp root -> `<ROOT>`,
    the playbook's directory -> `<PLAYBOOKS>`, the hosts' 127.0.x.y addresses
    -> `<ADDR>`, their ports -> `<PORT>`, `SHA256:<43 base64>` key
    fingerprints -> `SHA256:<FINGERPRINT>`, remote temp dir names
    `ansible-tmp-<time>-<pid>-<rand>` -> `ansible-tmp-<ID>`; for the bare
    hosts' package modules, apt-get's `Fetched N kB in Ns (N kB/s)` ->
    `Fetched <FETCHED>`, dpkg's count of installed files -> `<N>`, and
    `"cache_update_time": N` (also as a result key) -> `"<TIME>"`;
  * systemd's `status` dict keeps only SYSTEMD_STATUS_KEPT (the rest holds
    PIDs, timestamps, memory and invocation ids);
  * gathered facts (an `ansible_facts` dict with setup's names): the facts
    that differ between runs are masked as `<VARIES>` or sorted, see
    mask_facts and README.md, "Facts";
  * ordering: Ansible reports the hosts of one task in completion order (a
    race with forks > 1). Events of one task are stably sorted by inventory
    order (h1, h2, ...), which keeps each host's item events before its task
    event. stdout likewise: inside each `TASK [...]` block the per-host
    chunks (a host line `ok: [`, `changed: [`, `fatal: [`, `failed: [`,
    `skipping: [`, its continuation lines, and any `[ERROR]`/`[WARNING]`
    message printed just before it) are stably sorted by host.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PLAYBOOK_DIR = REPO / "tests" / "playbooks"
GOLDEN_DIR = REPO / "tests" / "golden"
CALLBACK_DIR = HERE / "callback_plugins"
GOLDEN_FORMAT = 1
RUN_TIMEOUT = 600

# Keep the source tree free of __pycache__ when importing our siblings.
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))
from bare_hosts import BareHosts  # noqa: E402
from sshd_hosts import SshdHosts, install_signal_handlers  # noqa: E402


class RecordError(RuntimeError):
    """A playbook could not be recorded (bad header, Ansible crashed...)."""


# ---------------------------------------------------------------------------
# Header
# ---------------------------------------------------------------------------
@dataclass
class Header:
    hosts: int = 1
    down: list[str] = field(default_factory=list)
    badkey: list[str] = field(default_factory=list)
    nokey: list[str] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    inventory_vars: str | None = None
    args: list[str] = field(default_factory=list)
    callback: str = "default"
    # `# bare: yes`: the hosts are booted Debian containers (bare_hosts.py)
    # rather than plain sshd servers on this machine.
    bare: bool = False

    def as_json(self) -> dict:
        doc = {
            "hosts": self.hosts,
            "down": self.down,
            "badkey": self.badkey,
            "nokey": self.nokey,
            "groups": self.groups,
            "args": self.args,
        }
        # Only written when set, so goldens of the default callback keep
        # their header unchanged.
        if self.callback != "default":
            doc["callback"] = self.callback
        if self.bare:
            doc["bare"] = True
        # Only when used, so the goldens of other playbooks keep their bytes.
        if self.children:
            doc["children"] = self.children
        if self.inventory_vars is not None:
            doc["inventory_vars"] = self.inventory_vars
        return doc


HEADER_LINE = re.compile(r"^#\s*([a-z_]+)\s*:\s*(.*?)\s*$")


def _host_list(value: str) -> list[str]:
    return [h.strip() for h in value.split(",") if h.strip()]


def parse_header(path: Path) -> Header:
    """Read the `# key: value` lines at the top of a playbook (before any YAML)."""
    header = Header()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("#"):
            break
        m = HEADER_LINE.match(line)
        if not m:
            continue  # a plain comment
        key, value = m.group(1), m.group(2)
        if key == "hosts":
            if not value.isdigit() or not 1 <= int(value) <= 250:
                raise RecordError(f"{path}:{lineno}: hosts must be a number in 1..250, not {value!r}")
            header.hosts = int(value)
        elif key == "down":
            header.down = _host_list(value)
        elif key == "badkey":
            header.badkey = _host_list(value)
        elif key == "nokey":
            header.nokey = _host_list(value)
        elif key == "groups":
            for word in value.split():
                name, _, members = word.partition("=")
                if not name or not members:
                    raise RecordError(f"{path}:{lineno}: bad group spec {word!r} (want name=h1,h2)")
                header.groups[name] = _host_list(members)
        elif key == "bare":
            header.bare = value.lower() in ("yes", "true", "1")
        elif key == "children":
            for word in value.split():
                name, _, members = word.partition("=")
                if not name or not members:
                    raise RecordError(f"{path}:{lineno}: bad children spec {word!r} (want parent=g1,g2)")
                header.children[name] = _host_list(members)
        elif key == "inventory_vars":
            if not (path.parent / value).is_dir():
                raise RecordError(f"{path}:{lineno}: inventory_vars: {value!r} is not a directory next to the playbook")
            header.inventory_vars = value
        elif key == "args":
            try:
                header.args = shlex.split(value)
            except ValueError as err:
                raise RecordError(f"{path}:{lineno}: bad args: {err}") from err
        elif key == "callback":
            if value not in ("default", "minimal", "oneline"):
                raise RecordError(f"{path}:{lineno}: callback must be default, minimal or oneline, not {value!r}")
            header.callback = value
        else:
            raise RecordError(f"{path}:{lineno}: unknown header key {key!r}")
    names = {f"h{i}" for i in range(1, header.hosts + 1)}
    for h in header.down + header.badkey + header.nokey + [m for ms in header.groups.values() for m in ms]:
        if h not in names:
            raise RecordError(f"{path}: header names {h}, but the playbook has hosts h1..h{header.hosts}")
    return header


# ---------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------
DROP_KEYS = frozenset({"start", "end", "delta", "invocation"})
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}=?")
ANSIBLE_TMP = re.compile(r"ansible-tmp-\d+(?:\.\d+)?-\d+-\d+")
# The command module's start/end ("2026-11-26 14:59:23.195400") and delta
# ("0:00:00.004593"), as printed inside results the default callback shows and
# inside registered results that debug prints.
TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\b")
DELTA = re.compile(r"(?<![\d:.])\d+:\d\d:\d\d\.\d{6}\b")
# An async job's id (`j<random>.<pid>`), in ids, file names and ASYNC lines.
ASYNC_JID = re.compile(r"\bj\d{1,12}\.\d+\b")
# The killed job's PID in async_wrapper's "Timeout exceeded" result, as text.
CHILD_PID_TEXT = re.compile(r'("child_pid": )\d+')
# Backup files of copy/template/lineinfile/blockinfile/replace:
# `path.PID.YYYY-MM-DD@HH:MM:SS~`.
BACKUP_SUFFIX = re.compile(r"\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~")
# tempfile's random names: mkstemp's 8 characters (kiln's mktemp uses 8
# letters and digits) after a prefix that starts `ansible.` in a path.
TEMP_NAME = re.compile(r"(/ansible\.[A-Za-z0-9_.-]*?)[A-Za-z0-9_]{8}(?![A-Za-z0-9_])")
# stat times printed in stdout (debug of a registered stat result).
STAT_TIME_TEXT = re.compile(r'("(?:atime|mtime|ctime)": )\d+(?:\.\d+)?(?:e[+-]?\d+)?')
# Result keys whose values change on every run (stat results, file diffs):
# masked by key wherever they appear, before the string masks.
STAT_TIME_KEYS = frozenset({"atime", "mtime", "ctime"})
# apt: the package lists' age and apt-get's download speed differ per host and run.
APT_TIME_KEYS = frozenset({"cache_update_time"})
APT_TIME_TEXT = re.compile(r'("cache_update_time": )\d+')
APT_FETCHED = re.compile(r"Fetched [0-9.,]+ [kMG]?B in [0-9hms ]+\([0-9.,]+ [kMG]?B/s\)")
# dpkg counts the files installed, and the oracle's hosts also have Python.
DPKG_FILES = re.compile(r"\(Reading database \.\.\. \d+ files and directories currently installed\.\)")
# A traceback's frames name ansible's sources where the venv put them (its
# place and Python version differ between machines).
ANSIBLE_SOURCE = re.compile(r'File "[^"\n]*/site-packages/ansible/')
STAT_ID_KEYS = {"inode": "<INODE>", "dev": "<DEV>"}
# The staged source of copy/template: Ansible's upload in the remote temp dir,
# kiln's temp file in the destination's directory (both gone after the run);
# unarchive's controller archive: Ansible's `source` in the remote temp dir,
# kiln's in a private directory.
STAGED_SRC = re.compile(
    r"/ansible-tmp-\d+(?:\.\d+)?-\d+-\d+/(?:\.source(?:\.[^/]*)?|tmp[A-Za-z0-9_]{8}|source)$|/\.kiln\.[A-Za-z0-9]{8}$"
    r"|/kiln-unarchive\.[A-Za-z0-9]{8}/source$"
)
# get_url's download named in a message: Ansible's temp file in the remote
# temp dir, kiln's in a private directory (both gone after the task); the
# unarchive archive in its extraction command.
DOWNLOAD_TMP = re.compile(
    r"[^\s'\"]*/(?:ansible-tmp-<ID>/(?:tmp[A-Za-z0-9_]{8}|source)|\.kiln\.[A-Za-z0-9]{8}"
    r"|kiln-unarchive\.[A-Za-z0-9]{8}/source)(?![A-Za-z0-9_])"
)


@dataclass
class RunContext:
    """What varies between runs and must be masked."""

    root: str
    playbook_dir: str
    addrs: list[str]
    ports: list[int]
    host_order: dict[str, int]


def normalise_text(text: str, ctx: RunContext) -> str:
    # Times first: a port number must not be masked inside a timestamp.
    text = TIMESTAMP.sub("<TIME>", text)
    text = DELTA.sub("<DELTA>", text)
    text = ASYNC_JID.sub("<JID>", text)
    text = CHILD_PID_TEXT.sub(r"\1<PID>", text)
    text = text.replace(ctx.root, "<ROOT>")
    text = text.replace(ctx.playbook_dir, "<PLAYBOOKS>")
    # Longest addresses first so 127.0.200.1 does not eat part of 127.0.200.10.
    for addr in sorted(ctx.addrs, key=len, reverse=True):
        text = re.sub(re.escape(addr) + r"(?!\d)", "<ADDR>", text)
    for port in ctx.ports:
        text = re.sub(rf"(?<!\d){port}(?!\d)", "<PORT>", text)
    text = FINGERPRINT.sub("SHA256:<FINGERPRINT>", text)
    text = ANSIBLE_TMP.sub("ansible-tmp-<ID>", text)
    text = DOWNLOAD_TMP.sub("<STAGED_SRC>", text)
    text = BACKUP_SUFFIX.sub(".<PID>.<DATE>~", text)
    text = TEMP_NAME.sub(r"\1<RAND>", text)
    text = STAT_TIME_TEXT.sub(r'\1"<TIME>"', text)
    text = APT_FETCHED.sub("Fetched <FETCHED>", text)
    text = APT_TIME_TEXT.sub(r'\1"<TIME>"', text)
    text = DPKG_FILES.sub("(Reading database ... <N> files and directories currently installed.)", text)
    text = ANSIBLE_SOURCE.sub('File "<ANSIBLE>/', text)
    return text


def mask_by_key(key: str, value, parent: dict):
    """The placeholder for a run-specific value under `key`, or None."""
    if key in STAT_TIME_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return "<TIME>"
    if key in APT_TIME_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return "<TIME>"
    if key in STAT_ID_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return STAT_ID_KEYS[key]
    # lsattr's version (the inode generation) next to attr_flags in a stat result.
    if key == "version" and "attr_flags" in parent and isinstance(value, str):
        return "<VERSION>"
    if key == "child_pid" and isinstance(value, int) and not isinstance(value, bool):
        return "<PID>"
    if key == "src" and isinstance(value, str) and STAGED_SRC.search(value):
        return "<STAGED_SRC>"
    return None


# systemd's `status` dict (systemctl show) holds PIDs, timestamps, memory and
# invocation ids: only these properties are compared.
SYSTEMD_STATUS_KEPT = (
    "ActiveState", "SubState", "LoadState", "UnitFileState", "UnitFilePreset", "Id", "Names",
    "Description", "FragmentPath", "Type", "Result", "CanStart", "CanStop", "CanReload", "Restart",
)


def normalise_value(value, ctx: RunContext):
    """Mask run-specific text in every string of a JSON value (keys too)."""
    if isinstance(value, dict) and isinstance(value.get("status"), dict) and "ActiveState" in value["status"]:
        status = value["status"]
        value = dict(value)
        value["status"] = {k: status[k] for k in SYSTEMD_STATUS_KEPT if k in status}
    if isinstance(value, str):
        return normalise_text(value, ctx)
    if isinstance(value, list):
        return [normalise_value(v, ctx) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            masked = mask_by_key(k, v, value)
            out[normalise_text(k, ctx)] = masked if masked is not None else normalise_value(v, ctx)
        return out
    return value


def strip_result(result: dict) -> dict:
    """Drop timing/invocation/internal keys from a task result and its loop results."""
    out = {}
    for key, value in result.items():
        if key in DROP_KEYS or key.startswith("_ansible_"):
            continue
        if key == "results" and isinstance(value, list):
            value = [strip_result(v) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


# Facts that legitimately differ between two gatherings on the same host, or
# between Ansible and kiln for reasons of transport (README.md, "Facts"). The
# names are matched without the `ansible_` prefix. Everything else must be equal.
VARIES = "<VARIES>"
FACT_VARIES_WHOLE = frozenset({"uptime_seconds", "memfree_mb", "swapfree_mb"})
FACT_VARIES_VALUES = frozenset({"date_time", "loadavg"})
MEMORY_VARIES = {"real": ("used", "free"), "nocache": ("free", "used"), "swap": ("free", "used", "cached")}
MOUNT_VARIES = ("size_available", "block_available", "block_used", "inode_available", "inode_used")
ENV_VARIES = ("SSH_CLIENT", "SSH_CONNECTION")
ENV_DROPPED = ("SSH_TTY", "TERM", "LC_CTYPE")
FACT_SORTED = frozenset({"interfaces", "virtualization_tech_guest", "virtualization_tech_host"})


def is_gathered(facts: dict) -> bool:
    """setup's facts (not a set_fact's): prefixed names or setup's markers."""
    return any(
        k.startswith("ansible_") or k in ("module_setup", "gather_subset", "_ansible_facts_gathered")
        for k in facts
    )


def mask_facts(facts: dict) -> dict:
    out = {}
    # Sorted: Ansible runs its collectors in an order that varies between runs.
    for key, value in sorted(facts.items()):
        name = key[len("ansible_"):] if key.startswith("ansible_") else key
        if name in FACT_VARIES_WHOLE:
            value = VARIES
        elif name in FACT_VARIES_VALUES and isinstance(value, dict):
            value = {k: VARIES for k in value}
        elif name == "memory_mb" and isinstance(value, dict):
            value = {
                part: ({k: (VARIES if k in MEMORY_VARIES.get(part, ()) else v) for k, v in sub.items()}
                       if isinstance(sub, dict) else sub)
                for part, sub in value.items()
            }
        elif name == "mounts" and isinstance(value, list):
            value = sorted(
                ({k: (VARIES if k in MOUNT_VARIES else v) for k, v in m.items()} if isinstance(m, dict) else m
                 for m in value),
                key=lambda m: (str(m.get("mount")), str(m.get("device"))) if isinstance(m, dict) else ("", ""),
            )
        elif name == "env" and isinstance(value, dict):
            value = {k: (VARIES if k in ENV_VARIES else v) for k, v in value.items() if k not in ENV_DROPPED}
        elif name in FACT_SORTED and isinstance(value, list):
            value = sorted(value, key=str)
        out[key] = value
    return out


def mask_gathered_facts(value):
    """Apply mask_facts to every gathered `ansible_facts` dict inside a result."""
    if isinstance(value, list):
        return [mask_gathered_facts(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "ansible_facts" and isinstance(v, dict) and is_gathered(v):
                v = mask_facts(v)
            out[k] = mask_gathered_facts(v)
        return out
    return value


def normalise_result(result: dict, ctx: RunContext) -> dict:
    return normalise_value(mask_gathered_facts(strip_result(result)), ctx)


def host_rank(name: str, ctx: RunContext) -> tuple[int, str]:
    """Inventory order; hosts added at run time (add_host) after, by name."""
    return (ctx.host_order.get(name, len(ctx.host_order)), name)


def order_events(events: list[dict], ctx: RunContext) -> list[dict]:
    """Stable-sort each run of consecutive same-task events by inventory order."""
    out: list[dict] = []
    i = 0
    while i < len(events):
        j = i
        while j < len(events) and events[j]["task_uuid"] == events[i]["task_uuid"]:
            j += 1
        out.extend(sorted(events[i:j], key=lambda e: host_rank(e["host"], ctx)))
        i = j
    return out


def normalise_events(events: list[dict], ctx: RunContext) -> list[dict]:
    out = []
    for ev in order_events(events, ctx):
        norm = {
            "play": normalise_text(ev["play"] or "", ctx),
            "task": normalise_text(ev["task"], ctx),
            "action": ev["action"],
            "resolved_action": ev["resolved_action"],
            "kind": ev["kind"],
            "host": ev["host"],
            "status": ev["status"],
        }
        if ev.get("ignored"):
            norm["ignored"] = True
        norm["result"] = normalise_result(ev["result"], ctx)
        out.append(norm)
    return out


BLOCK_HEADER = re.compile(r"^(PLAY \[|TASK \[|PLAY RECAP|RUNNING HANDLER \[|NO MORE HOSTS LEFT)")
CHUNK_START = re.compile(r"^(ok|changed|fatal|failed|skipping|included|ignored|FAILED - RETRYING): \[([^\]]+)\]")
# Messages the default callback prints just before the host line they belong
# to (e.g. `[ERROR]: Task failed: ...` plus its source excerpt, then
# `fatal: [h2]: FAILED! => ...`).
# A result's warnings, errors and diff (`--- before`) are printed before its host line.
PREAMBLE_START = re.compile(r"^(\[(ERROR|WARNING|DEPRECATION WARNING)\]|--- )")


def order_stdout(text: str, ctx: RunContext) -> str:
    """Stable-sort the per-host chunks inside each TASK block by inventory order.

    A chunk is a host line (`ok: [h1]...`, `fatal: [h2]: ...`) with the lines
    that follow it (a `=> {` JSON body, `...ignoring`), preceded by any
    `[ERROR]`/`[WARNING]` message printed for that same result.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        if not lines[i].startswith(("TASK [", "RUNNING HANDLER [")):
            i += 1
            continue
        # Body: up to the next block header (trailing blank lines stay put).
        j = i + 1
        while j < len(lines) and not BLOCK_HEADER.match(lines[j]):
            j += 1
        body = lines[i + 1 : j]
        tail: list[str] = []
        while body and body[-1] == "":
            tail.insert(0, body.pop())
        prefix: list[str] = []
        chunks: list[tuple[int, list[str]]] = []
        pending: list[str] = []
        async_lines: dict[str, list[str]] = {}
        for line in body:
            a = ASYNC_LINE.match(line)
            if a:
                async_lines.setdefault(a.group(1), []).append(line)
                continue
            m = CHUNK_START.match(line)
            if m:
                chunks.append((host_rank(m.group(2).split(" ")[0], ctx), pending + [line]))
                pending = []
            elif PREAMBLE_START.match(line) or pending:
                pending.append(line)
            elif chunks:
                chunks[-1][1].append(line)
            else:
                prefix.append(line)
        chunks.sort(key=lambda c: c[0])
        move_shared_errors(chunks)
        attach_async_lines(chunks, async_lines)
        for left in async_lines.values():
            prefix.extend(left)
        out.extend(prefix)
        for _rank, chunk in chunks:
            out.extend(chunk)
        # A message not followed by any host line stays at the end.
        out.extend(pending)
        out.extend(tail)
        i = j
    return "\n".join(out)


# The default callback's `ASYNC OK on h1: jid=...` lines come from the
# worker, in no fixed order relative to the host lines.
ASYNC_LINE = re.compile(r"^ASYNC (?:OK|FAILED|POLL) on ([^:]+): ")


def attach_async_lines(chunks: list[tuple[int, list[str]]], async_lines: dict[str, list[str]]) -> None:
    """Put a host's ASYNC lines before its chunks: every POLL line and the
    first OK/FAILED line before its first chunk, each next OK/FAILED line
    before each next chunk (a poll's line may come before or after the end
    line of the same job)."""
    for _rank, chunk in chunks:
        host = next((m.group(2).split(" ")[0] for m in map(CHUNK_START.match, chunk) if m), None)
        pending = async_lines.get(host or "")
        if not pending:
            continue
        polls = [line for line in pending if line.startswith("ASYNC POLL ")]
        ends = [line for line in pending if not line.startswith("ASYNC POLL ")]
        chunk[0:0] = polls + ends[:1]
        async_lines[host or ""] = ends[1:]


FAIL_MSG = re.compile(r'^(fatal|failed): \[.*"msg": "((?:[^"\\]|\\.)*)"')


def move_shared_errors(chunks: list[tuple[int, list[str]]]) -> None:
    """Give an `[ERROR]` block to the first host (in inventory order) that failed the same way.

    The default callback prints an error block once, before whichever host's
    result came first; the others with the same message get none. Which host
    that is depends on timing, so it is made canonical here.
    """
    def fail_msg(chunk: list[str]) -> str | None:
        for line in chunk:
            m = FAIL_MSG.match(line)
            if m:
                return m.group(2)
        return None

    for k, (_rank, chunk) in enumerate(chunks):
        if not chunk or not chunk[0].startswith("[ERROR]"):
            continue
        msg = fail_msg(chunk)
        if msg is None:
            continue
        for d in range(k):
            other = chunks[d][1]
            if fail_msg(other) == msg and not other[0].startswith("[ERROR]"):
                end = next(i for i, line in enumerate(chunk) if FAIL_MSG.match(line))
                other[:0] = chunk[:end]
                del chunk[:end]
                break


INCLUDED_FOR = re.compile(r"^(included: .* for )(.+?)( => \(item=.*\))?$")


def order_included_hosts(text: str, ctx: RunContext) -> str:
    """Sort the hosts of `included: FILE for h2, h1` lines by inventory order.

    Ansible lists them in the order their results came back (timing).
    """
    out = []
    for line in text.split("\n"):
        m = INCLUDED_FOR.match(line)
        if m:
            hosts = sorted(m.group(2).split(", "), key=lambda h: host_rank(h, ctx))
            line = m.group(1) + ", ".join(hosts) + (m.group(3) or "")
        out.append(line)
    return "\n".join(out)


def normalise_stdout(text: str, ctx: RunContext) -> str:
    return order_stdout(order_included_hosts(normalise_text(text, ctx), ctx), ctx)


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------
def write_inventory(path: Path, hosts: SshdHosts | BareHosts, header: Header, root: Path) -> None:
    lines = []
    for h in hosts.hosts:
        state_dir = root / "state" / h.name
        state_dir.mkdir(parents=True, exist_ok=True)
        lines.append(
            f"{h.name} ansible_host={h.addr} ansible_port={h.port} ansible_user=root"
            f" ansible_ssh_private_key_file={hosts.client_key} state_dir={state_dir}"
        )
    for group, members in header.groups.items():
        lines.append("")
        lines.append(f"[{group}]")
        lines.extend(members)
    for group, members in header.children.items():
        lines.append("")
        lines.append(f"[{group}:children]")
        lines.extend(members)
    lines.append("")
    lines.append("[all:vars]")
    lines.append(
        f"ansible_ssh_common_args='-o UserKnownHostsFile={hosts.known_hosts} -o StrictHostKeyChecking=yes'"
    )
    path.write_text("\n".join(lines) + "\n")


def ansible_env(root: Path, golden_out: Path, callback: str = "default") -> dict[str, str]:
    # No ANSIBLE_* from the caller's environment: the oracle's settings are
    # exactly these, plus an empty config file so no ansible.cfg is picked up.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    cfg = root / "ansible.cfg"
    cfg.write_text("")
    for sub in ("local-tmp", "remote-tmp", "cp"):
        (root / sub).mkdir(exist_ok=True)
    # Modules run under `become_user: nobody` create their temp files in the
    # remote temp dir too: let it behave like /tmp (mkdtemp made root 0700).
    root.chmod(0o755)
    (root / "remote-tmp").chmod(0o1777)
    env.update(
        {
            "ANSIBLE_CONFIG": str(cfg),
            "ANSIBLE_CALLBACKS_ENABLED": "kiln_golden",
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
            "ANSIBLE_STDOUT_CALLBACK": callback,
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": str(root / "local-tmp"),
            "ANSIBLE_REMOTE_TEMP": str(root / "remote-tmp"),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(root / "cp"),
            "ANSIBLE_FORKS": "10",
            "KILN_GOLDEN_OUT": str(golden_out),
            "LC_ALL": "C.UTF-8",
        }
    )
    return env


def find_ansible_playbook(explicit: str | None) -> str:
    if explicit:
        return explicit
    # Prefer the one next to the interpreter running us (record.sh uses the venv).
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.exists():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if not found:
        raise RecordError("ansible-playbook not found; run tests/oracle/record.sh")
    return found


def remove_tree(root: Path) -> None:
    # ssh ControlMaster processes left by an interrupted ansible-playbook may
    # still be removing their sockets under <ROOT>/cp: retry briefly.
    for _attempt in range(10):
        shutil.rmtree(root, ignore_errors=True)
        if not root.exists():
            return
        time.sleep(0.2)
    print(f"could not remove temp root {root}", file=sys.stderr)


def resolve_vault_files(args: list[str], playbook_dir: Path) -> list[str]:
    """The args with a relative --vault-password-file made absolute against
    the playbook's directory (ansible-playbook runs in the temp root)."""
    out = list(args)
    for i, a in enumerate(out[:-1]):
        if a == "--vault-password-file" and not out[i + 1].startswith("/"):
            out[i + 1] = str(playbook_dir / out[i + 1])
    return out


def record_one(playbook: Path, ansible_playbook: str, keep: bool) -> dict:
    header = parse_header(playbook)
    # Short prefix: ssh ControlPath sockets live under it (108-byte limit).
    root = Path(tempfile.mkdtemp(prefix="kiln-oracle-", dir="/tmp")).resolve()
    try:
        if header.bare and (header.down or header.badkey or header.nokey):
            raise RecordError(f"{playbook.name}: down/badkey/nokey are not supported with bare hosts")
        hosts_cls = BareHosts if header.bare else SshdHosts
        with hosts_cls(root, header.hosts) as hosts:
            if header.badkey or header.nokey:
                hosts.write_known_hosts(wrong_key_for=set(header.badkey), omit=set(header.nokey))
            for name in header.down:
                hosts.stop_host(name)
            inventory = root / "inventory.ini"
            write_inventory(inventory, hosts, header, root)
            if header.inventory_vars is not None:
                # group_vars/ and host_vars/ next to the inventory.
                shutil.copytree(playbook.parent / header.inventory_vars, root, dirs_exist_ok=True)
            golden_out = root / "callback.json"
            args = resolve_vault_files(header.args, playbook.parent)
            argv = [ansible_playbook, "-i", str(inventory), "-f", "10", *args, str(playbook)]
            try:
                proc = subprocess.run(
                    argv,
                    cwd=root,
                    env=ansible_env(root, golden_out, header.callback),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=RUN_TIMEOUT,
                )
            except subprocess.TimeoutExpired as err:
                raise RecordError(f"{playbook.name}: ansible-playbook ran over {RUN_TIMEOUT}s") from err
            ctx = RunContext(
                root=str(root),
                playbook_dir=str(playbook.parent),
                addrs=[h.addr for h in hosts.hosts],
                ports=[h.port for h in hosts.hosts],
                host_order={h.name: i for i, h in enumerate(hosts.hosts)},
            )
        if not golden_out.exists():
            raise RecordError(
                f"{playbook.name}: the kiln_golden callback wrote nothing (rc {proc.returncode})\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        raw = json.loads(golden_out.read_text())
        return {
            "format": GOLDEN_FORMAT,
            "playbook": playbook.name,
            "header": header.as_json(),
            "ansible_version": raw["ansible_version"],
            "rc": proc.returncode,
            "plays": normalise_value(raw["plays"], ctx),
            "events": normalise_events(raw["events"], ctx),
            "recap": raw["recap"],
            "stdout": normalise_stdout(proc.stdout, ctx),
            "stderr": normalise_text(proc.stderr, ctx),
        }
    finally:
        if keep:
            print(f"kept temp root {root}", file=sys.stderr)
        else:
            remove_tree(root)


def dump(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def is_bare(book: Path) -> bool:
    """Whether the playbook's header asks for booted bare hosts (`# bare: yes`)."""
    for line in book.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            return False
        key, _, value = line[1:].partition(":")
        if key.strip() == "bare":
            return value.strip().lower() in ("yes", "true", "1")
    return False


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="Record kiln goldens with real ansible-playbook.")
    ap.add_argument("playbooks", nargs="*", help="playbook files or stems (default: tests/playbooks/*.yml)")
    ap.add_argument("--out", type=Path, default=GOLDEN_DIR, help="directory for <stem>.json (default tests/golden)")
    ap.add_argument("--compare", type=Path, default=None, metavar="DIR",
                    help="after recording, compare with DIR/<stem>.json; exit 1 on any difference")
    ap.add_argument("--ansible-playbook", default=None, help="ansible-playbook to run")
    ap.add_argument("--keep", action="store_true", help="keep each run's temp root (for debugging)")
    ap.add_argument("--shard", default=None, metavar="K/M",
                    help="record only the K-th of M equal slices of the corpus (0-based; CI's live run "
                         "takes one slice per commit to stay within its time budget)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="record this many sshd-host playbooks at once (bare-host ones run one at a time)")
    args = ap.parse_args(argv)
    install_signal_handlers()

    if args.playbooks:
        books = []
        for name in args.playbooks:
            p = Path(name)
            if not p.exists():
                p = PLAYBOOK_DIR / (name if name.endswith(".yml") else name + ".yml")
            books.append(p.resolve())
    else:
        # The corpus is the playbooks that have a golden: others (text-only
        # recordings, bare-host scenarios under playbooks/bare/) are run by
        # their own scripts and tests. A new golden is recorded by naming it.
        books = [p for p in sorted(PLAYBOOK_DIR.glob("*.yml")) if (GOLDEN_DIR / f"{p.stem}.json").exists()]
    if args.shard is not None:
        try:
            k, m = (int(x) for x in args.shard.split("/"))
            if not 0 <= k < m:
                raise ValueError
        except ValueError:
            print(f"--shard {args.shard}: expected K/M with 0 <= K < M", file=sys.stderr)
            return 2
        books = [b for i, b in enumerate(books) if i % m == k]
    if not books:
        print("no playbooks", file=sys.stderr)
        return 2

    ansible_playbook = find_ansible_playbook(args.ansible_playbook)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.shard is not None:
        # Tells oracle_compare that goldens missing here were left to other
        # slices on purpose (the committed ones were compared already).
        (args.out / ".shard").write_text(args.shard + "\n", encoding="utf-8")
    differ = []
    broken = []
    def attempt(book: Path) -> dict | RecordError:
        try:
            return record_one(book, ansible_playbook, args.keep)
        except RecordError as err:
            return err

    # Each recording has its own temp root, sshd ports and known_hosts, so
    # sshd-host playbooks can run side by side; booted bare hosts cannot.
    shared = [b for b in books if not is_bare(b)]
    bare = [b for b in books if is_bare(b)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        started = {b: pool.submit(attempt, b) for b in shared}
        outcomes = {b: f.result() for b, f in started.items()}
    for b in bare:
        outcomes[b] = attempt(b)
    for book in books:
        doc = outcomes[book]
        if isinstance(doc, RecordError):
            # Keep going: one broken playbook should not hide the others.
            print(f"{book.stem}: NOT RECORDED: {doc}", file=sys.stderr)
            broken.append(book.stem)
            continue
        text = dump(doc)
        (args.out / f"{book.stem}.json").write_text(text, encoding="utf-8")
        print(f"{book.stem}: rc={doc['rc']} recap={json.dumps(doc['recap'], separators=(',', ':'))}")
        if args.compare is not None:
            ref = args.compare / f"{book.stem}.json"
            # Compared as data: Ansible does not always build a result's
            # keys in the same order (a censored no_log result, say).
            if not ref.exists() or mask_machine(json.loads(ref.read_text(encoding="utf-8"))) != mask_machine(
                json.loads(text)
            ):
                differ.append(book.stem)
                print(f"{book.stem}: DIFFERS from {ref}", file=sys.stderr)
    if differ:
        print(f"{len(differ)} differ: {' '.join(differ)}", file=sys.stderr)
    if broken:
        print(f"{len(broken)} not recorded: {' '.join(broken)}", file=sys.stderr)
    if differ or broken:
        return 1
    return 0


# Facts that describe the machine a golden was recorded on (kernel build and
# command line, CPU, sshd's host keys, memory size, the random MACs of
# inactive interfaces): a committed golden may come from another machine of
# the same kind, so `--compare` leaves them out. tests/oracle_compare.rs
# holds the same list for kiln against committed goldens.
MACHINE_FACTS = frozenset({
    "kernel", "kernel_version", "cmdline", "proc_cmdline", "processor", "processor_count",
    "processor_cores", "processor_threads_per_core", "processor_vcpus", "processor_nproc",
    "flags", "memtotal_mb", "swaptotal_mb", "machine_id", "product_uuid",
    "ssh_host_key_ecdsa_public", "ssh_host_key_ed25519_public", "ssh_host_key_rsa_public",
    "ssh_host_key_dsa_public",
})


def mask_machine(value):
    """`value` with every gathered fact of MACHINE_FACTS masked."""
    if isinstance(value, list):
        return [mask_machine(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, v in value.items():
        if key == "ansible_facts" and isinstance(v, dict):
            facts = {}
            for name, fact in v.items():
                bare = name[len("ansible_"):] if name.startswith("ansible_") else name
                if bare in MACHINE_FACTS:
                    fact = "<MACHINE>"
                elif bare == "memory_mb" and isinstance(fact, dict):
                    fact = {part: ({**sub, "total": "<MACHINE>"} if part in ("real", "swap") and isinstance(sub, dict) and "total" in sub else sub)
                            for part, sub in fact.items()}
                elif isinstance(fact, dict) and "device" in fact and fact.get("active") is False and "macaddress" in fact:
                    fact = {**fact, "macaddress": "<MACHINE>"}
                facts[name] = mask_machine(fact)
            out[key] = facts
        else:
            out[key] = mask_machine(v)
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
