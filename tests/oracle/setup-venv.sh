#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
#
# Create (idempotently) the Python venv holding the oracle: ansible-core 2.21.
# Prints the venv directory on stdout, nothing else, so callers can do
#   VENV=$(tests/oracle/setup-venv.sh)
# Progress and errors go to stderr.
#
# Location: $KILN_ORACLE_VENV, else /work/ansible-venv when it exists (the
# workplace keeps one there), else ~/.cache/kiln/ansible-venv.
set -euo pipefail

want_spec='ansible-core>=2.21,<2.22'
# ansible-runner: the events goldens and the drop-in test (kiln run by it).
runner_spec='ansible-runner==2.4.3'
# The collections (ansible.posix, community.general, kubernetes.core, ...)
# come from the `ansible` community package, pinned, without its
# dependencies: it would otherwise pull in another ansible-core.
collections_spec='ansible==14.5.0'

if [[ -n "${KILN_ORACLE_VENV:-}" ]]; then
    venv="$KILN_ORACLE_VENV"
elif [[ -d /work/ansible-venv ]]; then
    venv=/work/ansible-venv
else
    venv="${HOME}/.cache/kiln/ansible-venv"
fi

# The venv is good when its ansible-core reports a 2.21.x version.
have_version() {
    [[ -x "$venv/bin/python" ]] || return 1
    "$venv/bin/python" -c 'import ansible.release as r; import sys; v = r.__version__.split("."); sys.exit(0 if v[:2] == ["2", "21"] else 1)' 2>/dev/null
}

have_collections() {
    "$venv/bin/python" -c 'import ansible_collections.ansible.posix, ansible_collections.community.general' 2>/dev/null
}

if have_version && [[ -x "$venv/bin/ansible-playbook" ]] && have_collections \
    && "$venv/bin/python" -c 'import ansible_runner' 2>/dev/null; then
    echo "$venv"
    exit 0
fi

# ansible-core 2.21 needs Python >= 3.12 on the controller; prefer pyenv's
# builds, then whatever python3.12/3.13 is on PATH.
find_python() {
    local cand
    for cand in "$HOME"/.pyenv/versions/3.12*/bin/python3 "$HOME"/.pyenv/versions/3.13*/bin/python3; do
        if [[ -x "$cand" ]]; then
            echo "$cand"
            return 0
        fi
    done
    for cand in python3.12 python3.13; do
        if command -v "$cand" >/dev/null 2>&1; then
            command -v "$cand"
            return 0
        fi
    done
    return 1
}

if [[ ! -x "$venv/bin/python" ]]; then
    py=$(find_python) || {
        echo "setup-venv: no Python 3.12 or 3.13 found (pyenv or PATH)" >&2
        exit 1
    }
    echo "setup-venv: creating $venv with $py" >&2
    mkdir -p "$(dirname "$venv")"
    "$py" -m venv "$venv" >&2
fi

if ! have_version || ! "$venv/bin/python" -c 'import ansible_runner' 2>/dev/null; then
    echo "setup-venv: installing $want_spec $runner_spec into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$want_spec" "$runner_spec" >&2
fi
if ! have_collections; then
    echo "setup-venv: installing $collections_spec (collections) into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$collections_spec" >&2
fi

have_version || {
    echo "setup-venv: $venv does not hold ansible-core 2.21 after install" >&2
    exit 1
}
echo "$venv"
