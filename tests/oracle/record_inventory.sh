#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
# Records what ansible-inventory (the oracle, ansible-core 2.21) makes of each
# case under tests/inventory_corpus/: expected.json (--list),
# expected_export.json (--list --export), expected.yaml and
# expected_export.yaml (the same with -y), expected_graph.txt (--graph),
# expected_graph_vars.txt (--graph --vars),
# expected_magic.json and, for cases with patterns, expected_patterns.json.
#
# A case directory holds the inventory files and:
#   sources        one inventory source per line (a path relative to the case
#                  directory, or a `host1,host2,` list), in -i order
#   playbook_dir   (optional) one line: a directory given as --playbook-dir
#   patterns       (optional) one host pattern per line: the hosts
#                  a play selects for each (ansible_play_hosts_all, or the
#                  error) go to expected_patterns.json
# For every case, each host's group_names and the `groups` variable, as a
# play sees them, go to expected_magic.json.
#
# Usage: tests/oracle/record_inventory.sh [path/to/ansible-inventory] [case...]
# The default oracle is the ansible-inventory of the venv setup-venv.sh gives
# (ansible-core 2.21); ansible-playbook is taken from the same directory.
set -euo pipefail

if [ "$#" -gt 0 ]; then
    oracle=$1
    shift
else
    oracle="$(bash "$(dirname "$0")/setup-venv.sh")/bin/ansible-inventory"
fi
here=$(cd "$(dirname "$0")/.." && pwd)
corpus="$here/inventory_corpus"

# No user or project configuration may change the result.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
: >"$scratch/ansible.cfg"
export ANSIBLE_CONFIG="$scratch/ansible.cfg"
export ANSIBLE_HOME="$scratch/home"
export ANSIBLE_LOCAL_TEMP="$scratch/tmp"
export ANSIBLE_NOCOLOR=1
# Ansible emits some warnings while iterating a Python set; a fixed hash
# seed keeps their order the same from one recording to the next.
export PYTHONHASHSEED=0

if [ "$#" -gt 0 ]; then
    cases=("$@")
else
    cases=()
    for d in "$corpus"/*/; do
        cases+=("$(basename "$d")")
    done
fi

failed=0
for case in "${cases[@]}"; do
    dir="$corpus/$case"
    args=()
    while IFS= read -r src || [ -n "$src" ]; do
        [ -z "$src" ] && continue
        args+=(-i "$src")
    done <"$dir/sources"
    # ansible-playbook takes only the sources (its playbook dir is its own).
    iargs=("${args[@]}")
    if [ -f "$dir/playbook_dir" ]; then
        args+=(--playbook-dir "$(head -n1 "$dir/playbook_dir")")
    fi
    for mode in list export; do
        extra=()
        out="$dir/expected.json"
        if [ "$mode" = export ]; then
            extra=(--export)
            out="$dir/expected_export.json"
        fi
        if ! (cd "$dir" && "$oracle" "${args[@]}" --list "${extra[@]}" >"$scratch/out.json" 2>"$scratch/err.txt"); then
            echo "FAIL $case ($mode): ansible-inventory exited non-zero" >&2
            cat "$scratch/err.txt" >&2
            failed=1
            continue
        fi
        # A source Ansible could not parse only warns: never record that.
        if grep -q -e "Unable to parse" -e "Failed to parse" -e "No inventory was parsed" "$scratch/err.txt"; then
            echo "FAIL $case ($mode): a source did not parse" >&2
            cat "$scratch/err.txt" >&2
            failed=1
            continue
        fi
        cp "$scratch/out.json" "$out"
        # Keep the warnings next to the data: the Rust test does not read
        # them, they document what Ansible said.
        if [ -s "$scratch/err.txt" ] && [ "$mode" = list ]; then
            sed -e "s#$dir/##g" "$scratch/err.txt" >"$dir/oracle_warnings.txt"
        else
            [ "$mode" = list ] && rm -f "$dir/oracle_warnings.txt"
        fi
    done
    # The same as YAML (-y), byte for byte, and the tree with variables.
    for mode in yaml yaml_export; do
        extra=(--list -y)
        out="$dir/expected.yaml"
        if [ "$mode" = yaml_export ]; then
            extra+=(--export)
            out="$dir/expected_export.yaml"
        fi
        if ! (cd "$dir" && "$oracle" "${args[@]}" "${extra[@]}" >"$out" 2>/dev/null); then
            echo "FAIL $case ($mode)" >&2
            failed=1
        fi
    done
    # Ansible cannot show a vaulted value in --graph --vars without its
    # password: no file then.
    if ! (cd "$dir" && "$oracle" "${args[@]}" --graph --vars >"$dir/expected_graph_vars.txt" 2>/dev/null); then
        rm -f "$dir/expected_graph_vars.txt"
    fi
    # The group tree (--graph).
    if ! (cd "$dir" && "$oracle" "${args[@]}" --graph >"$dir/expected_graph.txt" 2>/dev/null); then
        echo "FAIL $case (graph)" >&2
        failed=1
    fi
    # Host patterns and magic variables, through ansible-playbook.
    playbook=${oracle%/*}/ansible-playbook
    if ! (cd "$dir" && python3 - "$playbook" "$scratch" "${iargs[@]}" <<'EOF'
import json, os, re, subprocess, sys

playbook, scratch, args = sys.argv[1], sys.argv[2], sys.argv[3:]


def run(play_yaml, extra):
    path = os.path.join(scratch, "play.yml")
    with open(path, "w") as f:
        f.write(play_yaml)
    return subprocess.run([playbook, *args, path, *extra], capture_output=True, text=True)


def list_hosts(pattern):
    # ansible_play_hosts_all keeps the selection's order (--list-hosts
    # prints hosts in set order).
    r = run(
        "- hosts: %s\n  gather_facts: false\n  tasks:\n"
        "    - debug:\n        msg: \"{{ ansible_play_hosts_all }}\"\n      run_once: true\n" % json.dumps(pattern),
        [],
    )
    if r.returncode != 0:
        m = re.search(r"\[ERROR\]: (.*)", r.stderr)
        return {"pattern": pattern, "error": m.group(1) if m else r.stderr.strip()}
    m = re.search(r"^ok: \[.+?\] => (\{.*?^\})$", r.stdout, re.M | re.S)
    return {"pattern": pattern, "hosts": json.loads(m.group(1))["msg"] if m else []}


if os.path.exists("patterns"):
    with open("patterns") as f:
        pats = [l.rstrip("\n") for l in f if l.strip()]
    with open("expected_patterns.json", "w") as f:
        json.dump([list_hosts(p) for p in pats], f, indent=1, ensure_ascii=False)
        f.write("\n")

task = "    - debug:\n        msg: \"{{ {'group_names': group_names, 'groups': groups} }}\"\n"
r = run("- hosts: all\n  gather_facts: false\n  tasks:\n" + task, [])
if r.returncode != 0:
    sys.exit("magic vars play failed: " + r.stderr)
magic, groups = {}, None
for m in re.finditer(r"^ok: \[(.+?)\] => (\{.*?^\})$", r.stdout, re.M | re.S):
    msg = json.loads(m.group(2))["msg"]
    magic[m.group(1)] = msg["group_names"]
    groups = msg["groups"]
with open("expected_magic.json", "w") as f:
    # Hosts report in the order they finish: sort the keys for stable files.
    json.dump({"group_names": magic, "groups": groups}, f, indent=1, ensure_ascii=False, sort_keys=True)
    f.write("\n")
EOF
    ); then
        echo "FAIL $case: patterns/magic variables" >&2
        failed=1
    fi
    echo "recorded $case"
done
exit $failed
