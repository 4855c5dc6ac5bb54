#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
# Reproducible-build check: builds the release binary twice, from two
# copies of the same commit in different directories with different target
# directories, and compares the binaries' SHA-256 sums.
#
#   .ci/reproducible-build.sh [WORKDIR]
#
# What makes the builds equal: `git archive` copies (no untracked files),
# `--locked` dependencies, `--remap-path-prefix` for the source copy and
# for cargo's registry (so no absolute path of this machine is embedded),
# SOURCE_DATE_EPOCH set to the commit's time, and one codegen unit. Each
# build starts from an empty target directory, so the whole dependency tree
# is compiled twice: about 2 x 10 minutes on two cores. It is a periodic job
# (docs/release.md) rather than a step of every CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d /tmp/kiln-repro.XXXXXX)}"
mkdir -p "$work"
commit="$(git rev-parse HEAD)"
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH="$(git log -1 --format=%ct "$commit")"
registry="${CARGO_HOME:-$HOME/.cargo}/registry"
sums=()
for side in a b; do
    src="$work/$side/src-$side-$RANDOM"
    mkdir -p "$src"
    git archive "$commit" | tar -x -C "$src"
    (
        cd "$src"
        export CARGO_TARGET_DIR="$work/$side/target"
        export RUSTFLAGS="--remap-path-prefix=$src=/kiln --remap-path-prefix=$registry=/cargo-registry"
        export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
        export CARGO_INCREMENTAL=0
        cargo build --release --locked --quiet
    )
    sum="$(sha256sum "$work/$side/target/release/kiln" | cut -d' ' -f1)"
    echo "build $side ($src): $sum"
    sums+=("$sum")
done
if [ "${sums[0]}" != "${sums[1]}" ]; then
    echo "NOT reproducible: the two builds differ" >&2
    exit 1
fi
echo "reproducible: both builds of $commit are ${sums[0]}"
