# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Unit tests for record.py's header parsing and normalisation (no Ansible, no sshd).

Run: python3 tests/oracle/test_record.py
"""

from __future__ import annotations

import sys
import tempfile
import unittest
from pathlib import Path

# Keep the source tree free of __pycache__ when importing our siblings.
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402


def ctx() -> record.RunContext:
    return record.RunContext(
        root="/tmp/kiln-oracle-abc123",
        playbook_dir="/src/kiln/tests/playbooks",
        addrs=["127.0.210.1", "127.0.210.2", "127.0.210.10"],
        ports=[41234, 51000, 45678],
        host_order={"h1": 0, "h2": 1, "h3": 2, "h10": 9},
    )


class HeaderTests(unittest.TestCase):
    def parse(self, text: str) -> record.Header:
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
            fh.write(text)
        try:
            return record.parse_header(Path(fh.name))
        finally:
            Path(fh.name).unlink()

    def test_all_keys(self) -> None:
        h = self.parse(
            "# hosts: 4\n# down: h3\n# badkey: h2,h4\n# nokey: h1\n# groups: web=h1,h2 db=h3\n"
            "# args: --check -e '{\"y\": [1, 2]}'\n# A plain comment: ignored\n- hosts: all\n"
        )
        self.assertEqual(h.hosts, 4)
        self.assertEqual(h.down, ["h3"])
        self.assertEqual(h.badkey, ["h2", "h4"])
        self.assertEqual(h.nokey, ["h1"])
        self.assertEqual(h.groups, {"web": ["h1", "h2"], "db": ["h3"]})
        self.assertEqual(h.args, ["--check", "-e", '{"y": [1, 2]}'])

    def test_defaults_and_stop_at_yaml(self) -> None:
        h = self.parse("- hosts: all\n# hosts: 9\n")
        self.assertEqual(h.hosts, 1)
        self.assertEqual(h.down, [])

    def test_vault_password_file_is_next_to_the_playbook(self) -> None:
        args = ["--check", "--vault-password-file", "vault/pw.txt", "--vault-password-file", "/abs/pw"]
        self.assertEqual(
            record.resolve_vault_files(args, Path("/pb")),
            ["--check", "--vault-password-file", "/pb/vault/pw.txt", "--vault-password-file", "/abs/pw"],
        )

    def test_callback(self) -> None:
        h = self.parse("# callback: oneline\n- hosts: all\n")
        self.assertEqual(h.callback, "oneline")
        self.assertEqual(h.as_json()["callback"], "oneline")
        self.assertNotIn("callback", self.parse("- hosts: all\n").as_json())
        with self.assertRaises(record.RecordError):
            self.parse("# callback: json\n")

    def test_unknown_key_is_an_error(self) -> None:
        with self.assertRaises(record.RecordError):
            self.parse("# hostz: 2\n")

    def test_bad_host_count_is_an_error(self) -> None:
        with self.assertRaises(record.RecordError):
            self.parse("# hosts: many\n")

    def test_host_outside_range_is_an_error(self) -> None:
        with self.assertRaises(record.RecordError):
            self.parse("# hosts: 2\n# down: h3\n")


class TextTests(unittest.TestCase):
    def test_masks(self) -> None:
        c = ctx()
        text = (
            "ssh: connect to host 127.0.210.10 port 45678: Connection refused; "
            "[127.0.210.1]:41234 in /tmp/kiln-oracle-abc123/known_hosts:2 "
            "SHA256:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ. "
            "/tmp/kiln-oracle-abc123/remote-tmp/ansible-tmp-1764169163.52-1234-98765/x "
            "Origin: /src/kiln/tests/playbooks/f.yml:3:7"
        )
        self.assertEqual(
            record.normalise_text(text, c),
            "ssh: connect to host <ADDR> port <PORT>: Connection refused; "
            "[<ADDR>]:<PORT> in <ROOT>/known_hosts:2 "
            "SHA256:<FINGERPRINT>. "
            "<ROOT>/remote-tmp/ansible-tmp-<ID>/x "
            "Origin: <PLAYBOOKS>/f.yml:3:7",
        )

    def test_times_before_ports(self) -> None:
        c = ctx()
        # 051000 ends in a host's port; it must become part of <TIME>, not <PORT>.
        text = '"delta": "0:00:00.051000", "end": "2026-11-26 14:59:23.051000", rc 51000'
        self.assertEqual(
            record.normalise_text(text, c),
            '"delta": "<DELTA>", "end": "<TIME>", rc <PORT>',
        )

    def test_file_module_masks(self) -> None:
        c = ctx()
        text = (
            "/tmp/kiln-oracle-abc123/state/h1/conf.4242.2026-11-26@15:18:13~ "
            "/tmp/ansible.k5z46sda /x/ansible.pre.Ab3dEf9h.txt ansible.builtin.tempfile "
            '"mtime": 1795706371.8708498, "size": 3'
        )
        self.assertEqual(
            record.normalise_text(text, c),
            "<ROOT>/state/h1/conf.<PID>.<DATE>~ "
            "/tmp/ansible.<RAND> /x/ansible.pre.<RAND>.txt ansible.builtin.tempfile "
            '"mtime": "<TIME>", "size": 3',
        )

    def test_masks_by_key(self) -> None:
        c = ctx()
        value = {
            "stat": {"atime": 1.5, "inode": 7, "dev": 65024, "version": "123", "attr_flags": "e", "size": 3},
            "src": "/tmp/kiln-oracle-abc123/remote-tmp/ansible-tmp-1795706292.36-2740-15104/.source.txt",
            "other": {"src": "/x/.kiln.Ab3dEf9h", "version": "1.0", "mtime": "text stays"},
            "link": {"src": "target"},
        }
        self.assertEqual(
            record.normalise_value(value, c),
            {
                "stat": {"atime": "<TIME>", "inode": "<INODE>", "dev": "<DEV>", "version": "<VERSION>",
                         "attr_flags": "e", "size": 3},
                "src": "<STAGED_SRC>",
                "other": {"src": "<STAGED_SRC>", "version": "1.0", "mtime": "text stays"},
                "link": {"src": "target"},
            },
        )

    def test_other_numbers_untouched(self) -> None:
        self.assertEqual(record.normalise_text("412345 4123 127.0.210.3", ctx()), "412345 4123 127.0.210.3")

    def test_traceback_frames_lose_the_venv_path(self) -> None:
        text = 'File "/opt/venv/lib/python3.13/site-packages/ansible/cli/__init__.py", line 663'
        self.assertEqual(record.normalise_text(text, ctx()), 'File "<ANSIBLE>/cli/__init__.py", line 663')

    def test_bare_host_package_masks(self) -> None:
        c = ctx()
        text = "Get:1 x [52.5 kB]\nFetched 52.5 kB in 0s (448 kB/s)\n(Reading database ... 7728 files and directories currently installed.)"
        self.assertEqual(
            record.normalise_text(text, c),
            "Get:1 x [52.5 kB]\nFetched <FETCHED>\n(Reading database ... <N> files and directories currently installed.)",
        )
        self.assertEqual(
            record.normalise_text('{"cache_update_time": 1795715516, "x": 1}', c),
            '{"cache_update_time": "<TIME>", "x": 1}',
        )
        self.assertEqual(
            record.normalise_value({"cache_update_time": 1795715516}, c),
            {"cache_update_time": "<TIME>"},
        )

    def test_systemd_status_reduced(self) -> None:
        result = {"name": "x", "status": {"ActiveState": "active", "MainPID": "42", "Id": "x.service"}}
        self.assertEqual(
            record.normalise_value(result, ctx()),
            {"name": "x", "status": {"ActiveState": "active", "Id": "x.service"}},
        )


class ResultTests(unittest.TestCase):
    def test_strip_top_level_and_loop_results(self) -> None:
        result = {
            "changed": True,
            "start": "x",
            "end": "y",
            "delta": "z",
            "invocation": {"module_args": {}},
            "_ansible_no_log": False,
            "results": [
                {"item": 1, "start": "x", "_ansible_item_label": 1, "stdout": "1"},
                "not a dict",
            ],
            "registered": {"start": "2026-11-26 14:59:23.195400", "rc": 0},
        }
        self.assertEqual(
            record.normalise_result(result, ctx()),
            {
                "changed": True,
                "results": [{"item": 1, "stdout": "1"}, "not a dict"],
                # Nested registered results keep their keys; only the times are masked.
                "registered": {"start": "<TIME>", "rc": 0},
            },
        )


class FactMaskTests(unittest.TestCase):
    def test_gathered_facts_masked(self) -> None:
        result = {
            "changed": False,
            "ansible_facts": {
                "ansible_date_time": {"epoch": "1795706199", "tz": "UTC"},
                "ansible_uptime_seconds": 1688,
                "ansible_memtotal_mb": 24105,
                "ansible_memory_mb": {"real": {"total": 24105, "used": 7048, "free": 17057}},
                "ansible_mounts": [
                    {"mount": "/srv", "size_total": 10, "size_available": 3},
                    {"mount": "/", "size_total": 20, "size_available": 5},
                ],
                "ansible_env": {"HOME": "/root", "SSH_CLIENT": "127.0.0.1 39436 22", "SSH_TTY": "/dev/pts/1"},
                "ansible_interfaces": ["lo", "eth0"],
                "ansible_os_family": "Debian",
                "module_setup": True,
            },
        }
        facts = record.mask_gathered_facts(result)["ansible_facts"]
        self.assertEqual(facts["ansible_date_time"], {"epoch": "<VARIES>", "tz": "<VARIES>"})
        self.assertEqual(facts["ansible_uptime_seconds"], "<VARIES>")
        self.assertEqual(facts["ansible_memtotal_mb"], 24105)
        self.assertEqual(facts["ansible_memory_mb"]["real"], {"total": 24105, "used": "<VARIES>", "free": "<VARIES>"})
        self.assertEqual([m["mount"] for m in facts["ansible_mounts"]], ["/", "/srv"])
        self.assertEqual(facts["ansible_mounts"][0], {"mount": "/", "size_total": 20, "size_available": "<VARIES>"})
        self.assertEqual(facts["ansible_env"], {"HOME": "/root", "SSH_CLIENT": "<VARIES>"})
        self.assertEqual(facts["ansible_interfaces"], ["eth0", "lo"])
        self.assertEqual(facts["ansible_os_family"], "Debian")

    def test_set_fact_results_untouched(self) -> None:
        result = {"ansible_facts": {"env": {"SSH_TTY": "x"}, "interfaces": ["b", "a"]}, "changed": False}
        self.assertEqual(record.mask_gathered_facts(result), result)


class OrderTests(unittest.TestCase):
    def test_events_sorted_within_a_task_only(self) -> None:
        evs = [
            {"task_uuid": "a", "host": "h2", "n": 1},
            {"task_uuid": "a", "host": "h1", "n": 2},
            {"task_uuid": "a", "host": "h2", "n": 3},
            {"task_uuid": "b", "host": "h1", "n": 4},
            {"task_uuid": "a", "host": "h1", "n": 5},
        ]
        got = [e["n"] for e in record.order_events(evs, ctx())]
        self.assertEqual(got, [2, 1, 3, 4, 5])

    def test_stdout_chunks_sorted_by_host(self) -> None:
        text = "\n".join(
            [
                "",
                "PLAY [p] ****",
                "",
                "TASK [t] ****",
                "ok: [h2] => {",
                '    "msg": "two"',
                "}",
                "[ERROR]: Task failed: boom",
                "Origin: x.yml:1:1",
                "",
                "fatal: [h3]: FAILED! => {}",
                "...ignoring",
                "changed: [h1] => (item=a)",
                "changed: [h1] => (item=b)",
                "",
                "PLAY RECAP ****",
                "h1 : ok=1",
                "",
            ]
        )
        want = "\n".join(
            [
                "",
                "PLAY [p] ****",
                "",
                "TASK [t] ****",
                "changed: [h1] => (item=a)",
                "changed: [h1] => (item=b)",
                "ok: [h2] => {",
                '    "msg": "two"',
                "}",
                "[ERROR]: Task failed: boom",
                "Origin: x.yml:1:1",
                "",
                "fatal: [h3]: FAILED! => {}",
                "...ignoring",
                "",
                "PLAY RECAP ****",
                "h1 : ok=1",
                "",
            ]
        )
        self.assertEqual(record.order_stdout(text, ctx()), want)


if __name__ == "__main__":
    unittest.main()
