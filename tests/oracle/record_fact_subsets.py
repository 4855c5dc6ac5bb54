#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Record which fact collectors ansible-core's setup module picks for a
gather_subset, on Linux.

Usage (with the oracle venv's Python, ansible-core 2.21):

    /work/ansible-venv/bin/python tests/oracle/record_fact_subsets.py          # write
    /work/ansible-venv/bin/python tests/oracle/record_fact_subsets.py --check  # exit 1 if stale

For each gather_subset list below this calls ansible's own
collector_classes_from_gather_subset() with the setup module's collector list
and minimal subset, and writes tests/facts_cases/subsets.json: the sorted
collector names, or the error message setup fails with. The names are sorted
because Ansible orders them with a topological sort over sets, which varies
with Python's string hashing. src/modules/setup/subset.rs checks kiln's
resolve() against the file.
"""

import json
import os
import sys

from ansible.module_utils.facts import default_collectors
from ansible.module_utils.facts.collector import collector_classes_from_gather_subset

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "facts_cases", "subsets.json")

# setup's minimal_gather_subset (modules/setup.py).
MINIMAL = frozenset(['apparmor', 'caps', 'cmdline', 'date_time', 'distribution', 'dns', 'env',
                     'fips', 'local', 'lsb', 'pkg_mgr', 'platform', 'python', 'selinux',
                     'service_mgr', 'ssh_pub_keys', 'user'])

SUBSETS = [
    [], ["all"], ["min"], ["!all"], ["!all", "!min"], ["!min"], ["!all", "network"],
    ["network", "virtual"], ["!all", "network", "virtual"], ["!facter", "!ohai"], ["hardware"],
    ["!hardware"], ["!all", "hardware"], ["devices"], ["!all", "devices"], ["interfaces"],
    ["default_ipv4"], ["!all", "kernel"], ["!all", "os_family"], ["!distribution"],
    ["!all", "!distribution"], ["distribution", "!distribution"], ["!network", "network"],
    ["!all", "facter", "ohai"], ["bogus"], ["!bogus"], ["all", "!all"], ["!all", "all"],
    ["service_mgr"], ["!all", "service_mgr"], ["!all", "pkg_mgr"], ["!all", "!min", "pkg_mgr"],
    ["!all", "!min", "date_time"], ["!all", "!min", "network"], ["!min", "!all", "dns"],
    ["!all", "!min", "is_chroot"], ["!virtual", "!hardware", "!network"], ["!all", "local"],
    ["!all", "machine_id"], ["!all", "mounts"], ["!all", "!min", "python_version"],
    ["!all", "!lsb"], ["!all", "!user"], ["min", "!user"], ["systemd"], ["!all", "systemd"],
    ["!all", "fibre_channel_wwn", "iscsi", "nvme"], ["!all", "ssh_host_pub_keys"],
    ["!all", "!min", "caps"], ["!all", "!min", "system_capabilities"],
]


def resolve(subset):
    try:
        classes = collector_classes_from_gather_subset(
            all_collector_classes=default_collectors.collectors,
            minimal_gather_subset=MINIMAL,
            gather_subset=subset,
            platform_info={"system": "Linux"},
        )
    except TypeError as e:
        return {"gather_subset": subset, "error": str(e)}
    return {"gather_subset": subset, "collectors": sorted({c.name for c in classes})}


def main(argv):
    text = json.dumps([resolve(s) for s in SUBSETS], indent=1) + "\n"
    if "--check" in argv:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                print("subsets.json differs from ansible-core's answers", file=sys.stderr)
                return 1
        return 0
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("recorded %d subsets into %s" % (len(SUBSETS), os.path.relpath(OUT)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
