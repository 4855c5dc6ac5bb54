# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Renders the templar benchmark's workload with ansible-core's Templar.

Reads the workload JSON written by `cargo bench --bench templar` (variables,
distinct templates, renders per template), renders every template that many
times with one Templar, and prints one JSON line: the seconds spent
rendering and each distinct template's result (as JSON, for the comparison
with kiln's).

    /work/ansible-venv/bin/python benches/templar/ansible_templar.py WORKLOAD.json
"""
import json
import sys
import time

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        work = json.load(f)
    templar = Templar(loader=DataLoader(), variables=work["vars"])
    templates = [trust_as_template(t) for t in work["templates"]]
    reps = work["reps"]
    results = []
    start = time.perf_counter()
    cpu = time.process_time()
    for t in templates:
        r = None
        for _ in range(reps):
            r = templar.template(t)
        results.append(r)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "results": results}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
