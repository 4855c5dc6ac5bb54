#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
#
# Regenerates tests/fixtures/vault/: vaults written by ansible-vault 2.21
# (whole files and encrypt_string values, 1.1 and 1.2 envelopes, three
# vault ids), the inventory and playbook that read them, and the plaintexts
# the tests expect (plain/expected.json). tests/vault.rs reads them with kiln.
#
# The passwords are test-only and committed on purpose (passwords/*.txt).
# Salts are random, so each run writes different ciphertext except the
# fixed-salt files (made with ANSIBLE_VAULT_ENCRYPT_SALT for the byte-level
# comparison with `kiln vault`).
#
#   tests/oracle/make_vault_fixtures.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$("$here/setup-venv.sh")"
av="$venv/bin/ansible-vault"
out="$repo/tests/fixtures/vault"

# No configuration or environment of the caller may change what is written.
unset ANSIBLE_VAULT_PASSWORD_FILE ANSIBLE_VAULT_IDENTITY_LIST ANSIBLE_VAULT_IDENTITY \
    ANSIBLE_VAULT_ENCRYPT_IDENTITY ANSIBLE_VAULT_ENCRYPT_SALT ANSIBLE_VAULT_ID_MATCH
cfgdir="$(mktemp -d)"
trap 'rm -rf "$cfgdir"' EXIT
: >"$cfgdir/ansible.cfg"
export ANSIBLE_CONFIG="$cfgdir/ansible.cfg" ANSIBLE_LOCAL_TEMP="$cfgdir/tmp"

rm -rf "$out"
mkdir -p "$out"/{passwords,plain,inventory/group_vars/cluster,inventory/host_vars}
cd "$out"

printf 'kiln-fixture-default-pw\n' >passwords/default.txt
printf 'kiln-fixture-dev-pw\n' >passwords/dev.txt
printf 'kiln-fixture-prod-pw\n' >passwords/prod.txt
def=(--vault-password-file passwords/default.txt)
dev=(--vault-id dev@passwords/dev.txt)
prod=(--vault-id prod@passwords/prod.txt)

# The plaintexts, once: every file below is made from these.
db_password='gv-all-db-7Hq2xP'
registry_token='gv-all-registry-Zx81kQ'
join_token='gv-cluster-join-Qp55wE'
sudo_password='hv-sudo-Lm09tR'
api_key='hv-api-Rt44yU'
extra_secret='extra-file-Vn63iO'
play_secret='play-inline-Kd27aS'
play_multiline=$'-----BEGIN KILN TEST-----\nmultiline-Pz11dF\n-----END KILN TEST-----\n'

# Whole files: group_vars/all.yml (1.1, default password) and
# group_vars/cluster/vault.yml (1.2, vault id prod).
cat >inventory/group_vars/all.yml <<EOF
db_password: "$db_password"
registry_token: "$registry_token"
EOF
cp inventory/group_vars/all.yml plain/group_vars_all.yml
"$av" encrypt "${def[@]}" inventory/group_vars/all.yml

cat >inventory/group_vars/cluster/vault.yml <<EOF
join_token: "$join_token"
EOF
cp inventory/group_vars/cluster/vault.yml plain/group_vars_cluster_vault.yml
"$av" encrypt "${prod[@]}" inventory/group_vars/cluster/vault.yml

# Inline values in a plain host_vars file: 1.2 (dev) and 1.1 (default).
{
    echo "# Plain YAML with inline !vault values written by ansible-vault encrypt_string."
    "$av" encrypt_string "${dev[@]}" --name sudo_password "$sudo_password"
    "$av" encrypt_string "${def[@]}" --name api_key "$api_key"
} >inventory/host_vars/localhost.yml

cat >inventory/hosts <<'EOF'
[cluster]
localhost ansible_connection=local
EOF

# -e @extra.yml: a whole file, 1.2 with vault id dev.
printf 'extra_secret: "%s"\n' "$extra_secret" >extra.yml
cp extra.yml plain/extra.yml
"$av" encrypt "${dev[@]}" extra.yml

# The playbook: play vars inline (1.2 prod, and a multi-line value read
# from stdin with --stdin-name), one debug task showing every value.
{
    cat <<'EOF'
# Reads every vault of tests/fixtures/vault (written by ansible-vault).
- name: vaulted values
  hosts: cluster
  gather_facts: false
  vars:
EOF
    "$av" encrypt_string "${prod[@]}" --name play_secret "$play_secret" | sed 's/^/    /'
    printf '%s' "$play_multiline" |
        "$av" encrypt_string "${prod[@]}" --stdin-name play_multiline 2>/dev/null | sed 's/^/    /'
    cat <<'EOF'
  tasks:
    - name: show every vaulted value
      debug:
        msg:
          db_password: "{{ db_password }}"
          registry_token: "{{ registry_token }}"
          join_token: "{{ join_token }}"
          sudo_password: "{{ sudo_password }}"
          api_key: "{{ api_key }}"
          extra_secret: "{{ extra_secret }}"
          play_secret: "{{ play_secret }}"
          play_multiline: "{{ play_multiline }}"
EOF
} >site.yml

# Byte-level: arbitrary binary content, and fixed-salt output that
# `kiln vault` must reproduce byte for byte.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3 + b"\r\n\x00tail")' >plain/binary.bin
"$av" encrypt "${def[@]}" --output binary.bin.vault plain/binary.bin
printf 'fixed: salt\n' >plain/fixed.yml
ANSIBLE_VAULT_ENCRYPT_SALT=kiln-fixed-salt-0001 \
    "$av" encrypt "${def[@]}" --output fixed_salt.vault plain/fixed.yml
ANSIBLE_VAULT_ENCRYPT_SALT=kiln-fixed-salt-0001 \
    "$av" encrypt_string "${prod[@]}" --name fixed_string "$play_secret" >fixed_salt_string.txt
: >plain/empty.txt
"$av" encrypt "${def[@]}" --output empty.vault plain/empty.txt

# What the tests expect to read.
python3 - "$db_password" "$registry_token" "$join_token" "$sudo_password" "$api_key" \
    "$extra_secret" "$play_secret" "$play_multiline" >plain/expected.json <<'EOF'
import json, sys
names = ["db_password", "registry_token", "join_token", "sudo_password", "api_key",
         "extra_secret", "play_secret", "play_multiline"]
json.dump(dict(zip(names, sys.argv[1:])), sys.stdout, indent=2)
print()
EOF

# Ansible itself must read what was written (the fixtures are sound).
"$venv/bin/ansible-playbook" -i inventory/hosts "${def[@]}" "${dev[@]}" "${prod[@]}" \
    -e @extra.yml -e ansible_python_interpreter="$venv/bin/python" site.yml >/dev/null

echo "wrote $out" >&2
