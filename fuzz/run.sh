#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
# Builds every cargo-fuzz target and runs each for a while from the
# committed seeds (fuzz/seeds/<target>/), one after the other.
#
#   fuzz/run.sh [SECONDS] [target...]      default: 30 s, every target
#
# The nightly toolchain and cargo-fuzz are needed (`rustup toolchain
# install nightly`, `cargo install cargo-fuzz --locked`). Crashes are left
# by libFuzzer in fuzz/artifacts/<target>/ and make the script fail; each
# one becomes a regression test before it is fixed (CONTRIBUTING.md).
# A summary line per target (runs, coverage, corpus size) goes to stdout
# and, with FUZZ_LOG=FILE, to that file as well.
set -euo pipefail

seconds="${1:-30}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
# The fuzz build's own target dir, outside the clone when CI gives one.
export CARGO_TARGET_DIR="${KILN_FUZZ_TARGET_DIR:-$here/target}"
cargo +nightly fuzz build --debug-assertions
failed=0
for t in "${targets[@]}"; do
    corpus="$here/corpus/$t"
    mkdir -p "$corpus" "$here/artifacts/$t"
    if [ -d "$here/seeds/$t" ]; then
        cp -n "$here/seeds/$t"/* "$corpus"/ 2>/dev/null || true
    fi
    log="$(mktemp)"
    # -rss_limit_mb and -timeout turn a blow-up into a reported finding
    # instead of a stuck machine; -max_len keeps inputs to what a real
    # file of that kind could be.
    if cargo +nightly fuzz run --debug-assertions "$t" "$corpus" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=16384 \
        -artifact_prefix="$here/artifacts/$t/" >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed=1
        tail -n 40 "$log" >&2
    fi
    line="$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)"
    summary="$t: $status after ${seconds}s; last: ${line:-none}; corpus $(ls "$corpus" | wc -l) inputs"
    echo "$summary"
    [ -n "${FUZZ_LOG:-}" ] && echo "$summary" >>"$FUZZ_LOG"
    rm -f "$log"
done
exit "$failed"
