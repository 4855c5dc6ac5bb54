#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Line and branch coverage, file by file, from `llvm-cov show`.

With branch data (`-Zcoverage-options=branch`), the nightly toolchain's
`llvm-cov report` and `llvm-cov export` crash (SIGSEGV in
CoverageMapping::getInstantiationGroups; rust-lang/rust#157358,
llvm/llvm-project#220574) on crates like kiln that use async_trait and
generics. `llvm-cov show` of one source file at a time does not, so this
script asks it for each file under src/ and adds up the counts:

  * a line is counted when `show` gives it an execution count (covered when
    the count is not 0);
  * each `Branch (L:C): [True: a, False: b]` is two branches, each covered
    when its count is not 0.

Instantiations are not shown separately (`-show-instantiations=false`), so
a generic function's lines are counted once, merged. `show` counts lines a
little differently from `report` (fewer lines per file), so the line figure
here is not the one `.ci/coverage.sh` (stable `report`) holds to 90%.

  .ci/branch_coverage.py LLVM_COV_TARGET_DIR [SRC_DIR] [--table FILE]

LLVM_COV_TARGET_DIR is cargo-llvm-cov's target directory after
`cargo +nightly llvm-cov --branch --no-report` (its *.profraw files and
test binaries). Prints the totals; files whose `show` fails are listed and
left out, and make the script exit 1.
"""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

LINE = re.compile(r"^\s*\d+\|\s*([0-9.]+[kMGTE]?)?\|")
BRANCH = re.compile(r"Branch \(\d+:\d+\): \[True: ([0-9.]+[kMGTE]?), False: ([0-9.]+[kMGTE]?)\]")


def tool(name):
    sysroot = subprocess.run(
        ["rustc", "+nightly", "--print", "sysroot"], capture_output=True, text=True, check=True
    ).stdout.strip()
    host = next(
        l.split(": ", 1)[1]
        for l in subprocess.run(
            ["rustc", "+nightly", "-vV"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        if l.startswith("host: ")
    )
    return os.path.join(sysroot, "lib", "rustlib", host, "bin", name)


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def objects(target):
    """The instrumented binaries: kiln itself and every test executable."""
    debug = os.path.join(target, "debug")
    found = [os.path.join(debug, "kiln")]
    deps = os.path.join(debug, "deps")
    for name in sorted(os.listdir(deps)):
        p = os.path.join(deps, name)
        if "." not in name and os.access(p, os.X_OK) and is_elf(p):
            found.append(p)
    return [p for p in found if os.path.exists(p)]


def merge(target):
    raws = [os.path.join(target, f) for f in os.listdir(target) if f.endswith(".profraw")]
    if not raws:
        sys.exit(f"no .profraw files in {target}: run the tests first")
    out = os.path.join(target, "branch-coverage.profdata")
    subprocess.run([tool("llvm-profdata"), "merge", "-sparse", "-o", out] + raws, check=True)
    return out


def sources(src):
    for d, _, names in os.walk(src):
        for n in names:
            p = os.path.join(d, n)
            # Unit-test files are not shipped code (the regex of coverage.sh).
            if n.endswith(".rs") and not re.search(r"(^|[_-])tests\.rs$", n) and "/tests/" not in p:
                yield p


def measure(cov, profile, objs, path):
    first, rest = objs[0], objs[1:]
    args = [cov, "show", "-show-branches=count", "-show-instantiations=false",
            "-instr-profile=" + profile, first]
    for o in rest:
        args += ["-object", o]
    r = subprocess.run(args + [path], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    lines = covered = branches = taken = 0
    for l in r.stdout.splitlines():
        m = LINE.match(l)
        if m:
            if m.group(1) is not None:
                lines += 1
                covered += m.group(1) != "0"
            continue
        b = BRANCH.search(l)
        if b:
            branches += 2
            taken += (b.group(1) != "0") + (b.group(2) != "0")
    return lines, covered, branches, taken


def main(argv):
    table = None
    if "--table" in argv:
        i = argv.index("--table")
        table = argv[i + 1]
        del argv[i : i + 2]
    if not argv:
        sys.exit(__doc__)
    target = argv[0]
    src = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    src = os.path.realpath(src)
    profile = merge(target)
    objs = objects(target)
    cov = tool("llvm-cov")
    files = sorted(sources(src))
    rows, failed = [], []
    with ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        for path, res in zip(files, ex.map(lambda p: measure(cov, profile, objs, p), files)):
            rel = os.path.relpath(path, src)
            if res is None:
                failed.append(rel)
            elif res[0] or res[2]:
                rows.append((rel,) + res)
    tot = [sum(r[i] for r in rows) for i in range(1, 5)]
    if table:
        with open(table, "w") as f:
            f.write("file\tlines\tmissed lines\tbranches\tmissed branches\n")
            for rel, l, c, b, t in sorted(rows, key=lambda r: -(r[1] - r[2])):
                f.write(f"{rel}\t{l}\t{l - c}\t{b}\t{b - t}\n")
    print(f"files measured: {len(rows)}; llvm-cov show failed on: {' '.join(failed) or 'none'}")
    print(f"lines (show):  {tot[1]}/{tot[0]} = {100 * tot[1] / max(tot[0], 1):.2f}%")
    print(f"branches:      {tot[3]}/{tot[2]} = {100 * tot[3] / max(tot[2], 1):.2f}%")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
