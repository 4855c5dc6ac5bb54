# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Notification callback that records what Ansible reported, for kiln's goldens.

It writes raw facts only (plays, per-host task results in the order Ansible
reported them, the recap) as JSON to the file named by $KILN_GOLDEN_OUT.
Normalisation (dropping times, masking temp paths, ordering hosts) is done by
tests/oracle/record.py, in one documented place.
"""

from __future__ import annotations

import atexit
import datetime
import json
import os

from ansible import __version__ as ANSIBLE_VERSION
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: kiln_golden
    type: notification
    short_description: record task results as JSON for kiln's golden tests
    description:
      - Writes plays, per-host task results and the recap to the file named by KILN_GOLDEN_OUT.
    requirements:
      - enable in configuration (ANSIBLE_CALLBACKS_ENABLED=kiln_golden)
"""



def _plain(value):
    """What Ansible's JSON callback shows for a value JSON has no type for:
    a date, time or datetime as its isoformat (a datetime stored with
    set_fact or registered stays one in the result), anything else as its
    repr."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return repr(value)

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "kiln_golden"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self._out = os.environ.get("KILN_GOLDEN_OUT")
        self._plays = []
        self._events = []
        self._recap = None
        self._play_name = None
        self._written = False
        # ansible-playbook can stop before v2_playbook_on_stats (a parse
        # error, an interrupt); still leave what was seen.
        atexit.register(self._write)

    # -- helpers ---------------------------------------------------------
    def _task_fields(self, task):
        return {
            "play": self._play_name,
            "task": task.get_name(),
            # As written in the playbook (short name or FQCN) and as resolved.
            "action": task.action,
            "resolved_action": getattr(task, "resolved_action", None) or task.action,
            # Groups results of one task; record.py drops it after ordering.
            "task_uuid": task._uuid,
        }

    def _record(self, kind, status, result, **extra):
        event = self._task_fields(result.task)
        event["kind"] = kind
        event["host"] = result.host.get_name()
        event["status"] = status
        event.update(extra)
        # Copy: the dict belongs to Ansible and other callbacks read it too.
        event["result"] = json.loads(json.dumps(result.result, default=_plain))
        self._events.append(event)

    @staticmethod
    def _ok_status(result):
        return "changed" if result.result.get("changed", False) else "ok"

    def _write(self):
        if self._written or not self._out:
            return
        self._written = True
        doc = {
            "ansible_version": ANSIBLE_VERSION,
            "plays": self._plays,
            "events": self._events,
            "recap": self._recap,
        }
        tmp = self._out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, default=_plain)
        os.replace(tmp, self._out)

    # -- play / task -----------------------------------------------------
    def v2_playbook_on_play_start(self, play):
        self._play_name = play.get_name()
        self._plays.append({"name": self._play_name, "hosts": play.hosts, "no_hosts_matched": False})

    def v2_playbook_on_no_hosts_matched(self):
        if self._plays:
            self._plays[-1]["no_hosts_matched"] = True

    # -- per-host results ------------------------------------------------
    def v2_runner_on_ok(self, result):
        self._record("task", self._ok_status(result), result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            self._record("task", "failed", result, ignored=True)
        else:
            self._record("task", "failed", result)

    def v2_runner_on_skipped(self, result):
        self._record("task", "skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._record("task", "unreachable", result)

    def v2_runner_item_on_ok(self, result):
        self._record("item", self._ok_status(result), result)

    def v2_runner_item_on_failed(self, result):
        self._record("item", "failed", result)

    def v2_runner_item_on_skipped(self, result):
        self._record("item", "skipped", result)

    # -- end -------------------------------------------------------------
    def v2_playbook_on_stats(self, stats):
        recap = {}
        for host in sorted(stats.processed.keys()):
            s = stats.summarize(host)
            recap[host] = {
                "ok": s["ok"],
                "changed": s["changed"],
                "unreachable": s["unreachable"],
                "failed": s["failures"],
                "skipped": s["skipped"],
                "rescued": s["rescued"],
                "ignored": s["ignored"],
            }
        self._recap = recap
        self._write()
