# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records ansible-core's answers to kiln's template expression cases.

Reads tests/template_cases/cases.txt (format in its header), writes one
generated playbook of `debug` tasks (one task per case, `when:` for the
conditional cases), runs it against localhost with the oracle's
ansible-playbook, and writes tests/template_cases/expected.json: for every
case its text, its variables, and what Ansible gave (the value and its Python
type, `skipped` for a false condition, or the error message).

Usage: /work/ansible-venv/bin/python tests/oracle/record_templates.py
       [--venv DIR] [--cases FILE] [--out FILE] [--collections DIR] [--keep]

The collection filters (json_query, ipaddr...) are recorded from
cases_collections.txt into expected_collections.json with
`--collections "$(tests/oracle/setup-template-collections.sh)"`, which puts
community.general and ansible.utils (and their Python libraries) in a cache
directory.

The playbook runs from a temporary copy of tests/template_cases/, so relative
lookups (files/, templates/, pipe commands) see the fixtures there; the Rust
test gives kiln the same directory as its playbook_dir.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES_DIR = REPO / "tests" / "template_cases"

CALLBACK = '''
# SPDX-License-Identifier: MIT
"""Writes each debug task's raw outcome as JSON lines to $KILN_TPL_OUT."""
import json
import os

from ansible.plugins.callback import CallbackBase


def _type_name(v):
    # Tagged ansible types subclass the builtins; report the builtin.
    for t, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"),
                    (list, "list"), (tuple, "list"), (dict, "dict")):
        if isinstance(v, t):
            return name
    if v is None:
        return "NoneType"
    return type(v).__name__


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "kiln_templates"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self._fh = open(os.environ["KILN_TPL_OUT"], "w", encoding="utf-8")

    def _rec(self, status, result):
        r = result._result
        ev = {"task": result._task.get_name(), "status": status}
        if status == "ok":
            ev["type"] = _type_name(r.get("msg"))
            ev["value"] = json.loads(json.dumps(r.get("msg"), default=repr))
        elif status == "failed":
            ev["error"] = str(r.get("msg"))
        if r.get("warnings"):
            ev["warnings"] = [str(w) for w in r["warnings"]]
        self._fh.write(json.dumps(ev, ensure_ascii=False) + "\\n")
        self._fh.flush()

    def v2_runner_on_ok(self, result):
        self._rec("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._rec("failed", result)

    def v2_runner_on_skipped(self, result):
        self._rec("skipped", result)
'''

LINE = re.compile(r"^(?P<kind>[etcC])(?P<flag>!type)? (?P<text>.*?)(?: ;; (?P<vars>\{.*\}))?$")


def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "n\\":
            out.append("\n" if text[i + 1] == "n" else "\\")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_cases(path: Path, prefix: str = "c"):
    """Returns (play vars, [case dict]) from the line format."""
    play_vars, cases, group = {}, [], ""
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        if raw.startswith("@vars "):
            play_vars = json.loads(raw[len("@vars "):])
            continue
        if raw.startswith("[") and raw.endswith("]"):
            group = raw[1:-1]
            continue
        m = LINE.match(raw)
        if not m:
            raise SystemExit(f"{path}:{lineno}: cannot parse case line: {raw!r}")
        kind, text = m["kind"], m["text"]
        if kind == "e":
            template = "{{ " + text + " }}"
        elif kind == "t":
            template = unescape(text)
        else:
            template = text
        cases.append({
            "id": f"{prefix}{len(cases) + 1:04d}",
            "line": lineno,
            "group": group,
            "kind": {"e": "expr", "t": "template", "c": "condition", "C": "condition"}[kind],
            # C: evaluated with ALLOW_BROKEN_CONDITIONALS enabled.
            "allow_broken_conditionals": kind == "C",
            "text": template,
            "compare": "type" if m["flag"] else "value",
            "vars": json.loads(m["vars"]) if m["vars"] else {},
        })
    return play_vars, cases


def playbook(play_vars, cases):
    tasks = []
    for c in cases:
        task = {"name": c["id"], "ignore_errors": True}
        if c["kind"] == "condition":
            task["ansible.builtin.debug"] = {"msg": "condition true"}
            task["when"] = c["text"]
        else:
            task["ansible.builtin.debug"] = {"msg": c["text"]}
        if c["vars"]:
            task["vars"] = c["vars"]
        tasks.append(task)
    play = {"name": "template cases", "hosts": "localhost", "connection": "local",
            "gather_facts": False, "vars": play_vars, "tasks": tasks}
    # JSON is YAML: no quoting surprises for the template texts.
    return json.dumps([play], ensure_ascii=False, indent=1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--venv", default=os.environ.get("KILN_ORACLE_VENV", "/work/ansible-venv"))
    ap.add_argument("--cases", default=str(CASES_DIR / "cases.txt"))
    ap.add_argument("--out", default=str(CASES_DIR / "expected.json"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--id-prefix", default="c", help="case ids are PREFIX0001...")
    ap.add_argument("--collections", help="dir with ansible_collections/ and pylib/ (setup-template-collections.sh)")
    args = ap.parse_args()

    play_vars, cases = parse_cases(Path(args.cases), args.id_prefix)
    root = Path(tempfile.mkdtemp(prefix="kiln-tpl-"))
    try:
        work = root / "play"
        shutil.copytree(CASES_DIR, work, ignore=shutil.ignore_patterns("expected.json", "cases.txt"))
        cb_dir = root / "callback_plugins"
        cb_dir.mkdir()
        (cb_dir / "kiln_templates.py").write_text(CALLBACK, encoding="utf-8")
        events_path = root / "events.jsonl"
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("ANSIBLE_") or k.startswith("KILN_TEMPLATE_CASES"):
                del env[k]
        env.update({
            "ANSIBLE_CALLBACKS_ENABLED": "kiln_templates",
            "ANSIBLE_CALLBACK_PLUGINS": str(cb_dir),
            "ANSIBLE_STDOUT_CALLBACK": "default",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_LOCAL_TEMP": str(root / "tmp"),
            "ANSIBLE_HOME": str(root / "home"),
            "KILN_TPL_OUT": str(events_path),
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        })
        if args.collections:
            env["ANSIBLE_COLLECTIONS_PATH"] = args.collections
            env["PYTHONPATH"] = str(Path(args.collections) / "pylib")
        events = {}
        # One run per setting of ALLOW_BROKEN_CONDITIONALS.
        for broken in (False, True):
            subset = [c for c in cases if c["allow_broken_conditionals"] == broken]
            if not subset:
                continue
            (work / "cases.yml").write_text(playbook(play_vars, subset), encoding="utf-8")
            run_env = dict(env, ANSIBLE_ALLOW_BROKEN_CONDITIONALS=str(broken))
            cmd = [str(Path(args.venv) / "bin" / "ansible-playbook"), "-i", "localhost,", "cases.yml"]
            proc = subprocess.run(cmd, cwd=work, env=run_env, capture_output=True, text=True)
            (root / f"ansible-{broken}.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
            # One event a "\n"-ended line; str.splitlines would also split
            # at the U+2028/U+0085 breaks that a value may hold unescaped.
            for line in events_path.read_text(encoding="utf-8").split("\n"):
                if not line:
                    continue
                ev = json.loads(line)
                events[ev.pop("task")] = ev
        missing = [c["id"] for c in cases if c["id"] not in events]
        if missing:
            print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"no result for {len(missing)} cases, first {missing[:5]}")
        for c in cases:
            ev = events[c["id"]]
            # The temporary directory is run-specific: mask it.
            if "error" in ev:
                ev["error"] = ev["error"].replace(str(work), "<PLAYDIR>")
            if "warnings" in ev:
                ev["warnings"] = [w.replace(str(work), "<PLAYDIR>") for w in ev["warnings"]]
            c["ansible"] = ev
        doc = {
            "generator": "tests/oracle/record_templates.py",
            "ansible_version": subprocess.run(
                [str(Path(args.venv) / "bin" / "python"), "-c",
                 "import ansible; print(ansible.__version__)"],
                capture_output=True, text=True).stdout.strip(),
            "vars": play_vars,
            "cases": cases,
        }
        Path(args.out).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"recorded {len(cases)} cases into {args.out}")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
