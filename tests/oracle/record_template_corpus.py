# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Records what Ansible's `template` module writes for the CMT templates.

Reads tests/template_corpus/cases.json (base variables, and per case a
template under tests/template_corpus/templates/ with extra variables), runs
one playbook with a `template` task per case against localhost, and copies
each written file, byte for byte, to tests/template_corpus/expected/NAME.

Usage: /work/ansible-venv/bin/python tests/oracle/record_template_corpus.py [--venv DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "template_corpus"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--venv", default=os.environ.get("KILN_ORACLE_VENV", "/work/ansible-venv"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    doc = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
    root = Path(tempfile.mkdtemp(prefix="kiln-tplcorpus-"))
    try:
        out_dir = root / "out"
        out_dir.mkdir()
        tasks = []
        for case in doc["cases"]:
            task = {
                "name": case["name"],
                "ansible.builtin.template": {
                    "src": str(CORPUS / "templates" / case["template"]),
                    "dest": str(out_dir / case["name"]),
                },
            }
            task["ansible.builtin.template"].update(case.get("options", {}))
            if case.get("vars"):
                task["vars"] = case["vars"]
            tasks.append(task)
        play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
                 "vars": doc["base"], "tasks": tasks}]
        (root / "corpus.yml").write_text(json.dumps(play, ensure_ascii=False, indent=1), encoding="utf-8")
        python = Path(args.venv) / "bin" / "python"
        (root / "inventory.ini").write_text(f"localhost ansible_python_interpreter={python}\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        env.update({
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_HOME": str(root / "home"),
            "ANSIBLE_LOCAL_TEMP": str(root / "tmp"),
            "LC_ALL": "C.UTF-8",
        })
        cmd = [str(Path(args.venv) / "bin" / "ansible-playbook"), "-i", "inventory.ini", "corpus.yml"]
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout[-4000:], proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"ansible-playbook failed with {proc.returncode}")
        expected = CORPUS / "expected"
        if expected.exists():
            shutil.rmtree(expected)
        expected.mkdir()
        for case in doc["cases"]:
            shutil.copyfile(out_dir / case["name"], expected / case["name"])
        print(f"recorded {len(doc['cases'])} rendered templates into {expected}")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
