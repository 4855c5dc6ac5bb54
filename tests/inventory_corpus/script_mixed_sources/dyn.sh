#!/bin/sh
# SPDX-License-Identifier: MIT
# A second -i source: it adds hosts to a group an earlier INI file made and
# overrides a group variable.
printf '{"web": {"hosts": ["web2", "web1"], "vars": {"tier": "script"}}, "_meta": {"hostvars": {"web1": {"http_port": 8080}}}}\n'
