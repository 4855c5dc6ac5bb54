# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Record what ansible-playbook prints for `--list-tasks`/`--list-tags`
(with `--tags`/`--skip-tags` selections) into tests/golden/listing/: one
`<case>.txt` per case of CASES below holding the exit code on its first
line and stdout after it. Listing connects to no host, so the inventory is
a plain file of names (tests/oracle/listing_inventory.ini). Run from any
directory with the oracle's Python:

  /work/ansible-venv/bin/python tests/oracle/record_listing.py

tests/listing_compare.rs runs kiln on the same cases and compares bytes.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "golden" / "listing"
INVENTORY = "tests/oracle/listing_inventory.ini"

# (case name, playbook stem, extra arguments), one case a line:
# tests/listing_compare.rs reads this list from here.
CASES = [
    ("tags", "tags", []),
    ("role_unnamed_tasks", "role_unnamed_tasks", []),
    ("tags_selected", "tags", ["--tags", "web,setup", "--skip-tags", "slow"]),
    ("tags_import_include", "tags_import_include", []),
    ("tags_import_include_red", "tags_import_include", ["--tags", "red"]),
    ("tags_role", "tags_role", []),
    ("tags_role_base", "tags_role", ["--tags", "base"]),
    ("skip_always_never", "skip_always_never", []),
    ("skip_always_never_sel", "skip_always_never", ["--tags", "never_b,untagged", "--skip-tags", "always"]),
    ("tags_always_default", "tags_always_default", ["--skip-tags", "other"]),
    ("include_apply_tags", "include_apply_tags", []),
    ("include_apply_tags_blue", "include_apply_tags", ["--tags", "blue"]),
    ("blocks", "blocks", []),
    ("roles", "roles", []),
    ("role_argument_specs", "role_argument_specs_entry", []),
    ("role_argument_specs_tagged", "role_argument_specs_entry", ["--tags", "nothing"]),
    ("includes", "includes", []),
    ("import_playbook_when", "import_playbook_when", []),
    ("handlers", "handlers", []),
    ("tags_tagged", "tags", ["--tags", "tagged"]),
    ("tags_all_skip_never", "skip_always_never", ["--tags", "all,never"]),
    ("roles_twice", "roles_twice", []),
    ("roles_twice_bee", "roles_twice", ["--tags", "bee"]),
]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "ansible.cfg"
        cfg.write_text("")
        env.update({
            "ANSIBLE_CONFIG": str(cfg),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": str(Path(tmp) / "local-tmp"),
        })
        playbook_bin = Path(sys.executable).parent / "ansible-playbook"
        for name, stem, args in CASES:
            cmd = [str(playbook_bin), "-i", INVENTORY, f"tests/playbooks/{stem}.yml",
                   "--list-tasks", "--list-tags", *args]
            p = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
            (OUT / f"{name}.txt").write_text(f"{p.returncode}\n{p.stdout}")
            print(f"{name}: rc={p.returncode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
