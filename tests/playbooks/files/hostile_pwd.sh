#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints the directory it runs in (hostile_modules.yml: script's chdir).
pwd
