#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
# Puts the two collections whose filters kiln's templating cases cover
# (community.general for json_query, ansible.utils for ipaddr & co.) and
# their Python libraries (jmespath, netaddr) in a cache directory, and prints
# its path for record_templates.py --collections. Idempotent.
set -euo pipefail
venv="${KILN_ORACLE_VENV:-/work/ansible-venv}"
dir="${KILN_TEMPLATE_COLLECTIONS:-$HOME/.cache/kiln/template-collections}"
if [ -d "$dir/ansible_collections/community/general" ] && [ -d "$dir/ansible_collections/ansible/utils" ] && [ -d "$dir/pylib/netaddr" ]; then
    echo "$dir"
    exit 0
fi
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The `ansible` package bundles the community collections.
"$venv/bin/pip" download --quiet --no-deps -d "$tmp" "ansible>=13,<14" >&2
"$venv/bin/python" - "$tmp" "$dir" <<'PY'
import glob, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{tmp}/ansible-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist()
             if n.startswith(("ansible_collections/community/general/", "ansible_collections/ansible/utils/"))]
    z.extractall(dest, names)
PY
"$venv/bin/pip" install --quiet --target "$dir/pylib" jmespath netaddr >&2
echo "$dir"
