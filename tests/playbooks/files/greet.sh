#!/bin/sh
# SPDX-License-Identifier: MIT
# Test script for the script module: prints its arguments and where it runs.
echo "args: $*"
echo "pwd: $(pwd)"
echo "to stderr" >&2
[ "$1" = fail ] && exit 3
exit 0
