#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
# Line coverage of the whole test suite (unit, integration, SSH and
# bare-host tests, the oracle goldens), measured with cargo-llvm-cov, and
# branch coverage with the nightly toolchain when it is installed.
#
#   .ci/coverage.sh [--branch]
#
# Prints the summary table and fails if line coverage is under
# KILN_MIN_LINES percent (default 90). Needs root, like the tests
# (README.md), and `rustup component add llvm-tools` plus
# `cargo install cargo-llvm-cov --locked`. With --branch it measures with
# `cargo +nightly llvm-cov --branch` instead (nightly's
# -Zcoverage-options=branch), which also reports branch coverage; that
# build does not share artefacts with the stable one and takes as long
# again, so CI runs the line figure and a periodic job the branch figure.
set -euo pipefail
cd "$(dirname "$0")/.."
min="${KILN_MIN_LINES:-90}"
toolchain=()
extra=()
if [ "${1:-}" = "--branch" ]; then
    toolchain=(+nightly)
    extra=(--branch)
fi
# Instrumented artefacts are kept apart from the normal build's.
export CARGO_LLVM_COV_TARGET_DIR="${CARGO_LLVM_COV_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/llvm-cov}"
# The kiln binary that tests spawn writes its own profiles; the test-only
# fake API server crate and the benches are not kiln's shipped code.
if [ "${#extra[@]}" -eq 0 ]; then
    cargo llvm-cov --locked \
        --ignore-filename-regex '(tests/|benches/|fuzz/)' \
        --summary-only --fail-under-lines "$min"
    exit 0
fi
# Branch coverage: the tests run once with branch instrumentation; the
# nightly llvm-cov's `report` crashes on kiln's branch data (an LLVM bug,
# see .ci/branch_coverage.py), so when it does, the figures are added up
# from `llvm-cov show`, one source file at a time.
cargo "${toolchain[@]}" llvm-cov --locked "${extra[@]}" --no-report
if ! cargo "${toolchain[@]}" llvm-cov report "${extra[@]}" \
    --ignore-filename-regex '(tests/|benches/|fuzz/)' \
    --summary-only --fail-under-lines "$min"; then
    echo "llvm-cov report failed; measuring file by file with llvm-cov show" >&2
    python3 .ci/branch_coverage.py "$CARGO_LLVM_COV_TARGET_DIR" src
fi
