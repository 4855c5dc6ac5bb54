#!/bin/sh
# SPDX-License-Identifier: MIT
# An inventory script without _meta: Ansible asks `--host NAME` per host.
case "$1" in
--list)
    echo '{"app": {"hosts": ["a1", "a2", "a3"], "vars": {"role": "app"}}, "all": {"vars": {"site": "x"}}}'
    ;;
--host)
    case "$2" in
    a1) echo '{"idx": 1, "role": "host-level"}' ;;
    a2) echo '   ' ;;
    a3) printf '{"idx": 3,\n "list": ["x"]}' ;;
    *) exit 1 ;;
    esac
    ;;
*) exit 2 ;;
esac
