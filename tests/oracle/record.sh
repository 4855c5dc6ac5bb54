#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
#
# Record kiln's goldens with real Ansible: sets up the oracle venv, then runs
# record.py with the venv's Python (so its ansible-playbook is used).
#   tests/oracle/record.sh                      # all of tests/playbooks -> tests/golden
#   tests/oracle/record.sh ping failures        # just these
#   tests/oracle/record.sh --out /tmp/live      # live differential run elsewhere
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=$("$here/setup-venv.sh")
exec "$venv/bin/python" "$here/record.py" "$@"
