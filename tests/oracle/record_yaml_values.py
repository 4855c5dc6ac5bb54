# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Record the values Ansible's YAML loader builds from well-formed YAML.

For every snippet of CASES below this loads the text with ansible-core's own
loader (AnsibleLoader on PyYAML's libyaml binding, as ansible-playbook reads
playbooks, inventories and vars files) and writes what it built, with the
Python type of every value, to tests/yaml_values/expected.json, which
tests/yaml_values.rs checks kiln's YAML loader against. The warnings Ansible
shows while loading (duplicate keys, deprecated tags) are recorded too.

The text is tagged as trusted for templating, as Ansible's DataLoader tags
the files it reads, so that a string loaded under `!unsafe` (which does not
get that trust) can be told from an ordinary one.

A value is written as a JSON list whose first item names its Python type:

    ["null"]  ["bool", true]  ["int", "12"] (digits: Python ints are unbounded)
    ["float", repr]  ["str", text]  ["unsafe", text] (a str not trusted as template)
    ["bytes", text]  ["date", str()] (date and datetime)  ["vault", ciphertext]
    ["list", [...]]  ["tuple", [...]]  ["set", [...]] (sorted)  ["dict", [[key, value], ...]]

Run with the oracle venv's Python:

    /work/ansible-venv/bin/python tests/oracle/record_yaml_values.py

Cases where kiln deliberately builds something else are listed in KNOWN with
the reason and the value kiln builds instead; the Rust test checks those
against the documented value.
"""

from __future__ import annotations

import datetime
import json
import pathlib
import sys

import yaml

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible._internal._yaml import _constructor
from ansible._internal._yaml._loader import AnsibleLoader
from ansible.module_utils.common.yaml import HAS_LIBYAML
from ansible.parsing.vault import EncryptedString

OUT = pathlib.Path(__file__).resolve().parent.parent / "yaml_values" / "expected.json"

LONG_KEY = "k" * 1100

# (name, YAML text). Each aims at a corner of the scanner, the parser, the
# resolver or the constructors; every one must load in Ansible.
CASES: list[tuple[str, str]] = [
    # --- double-quoted scalars: escapes and line folding ---
    ("one-character escapes", 'v: "\\0\\a\\b\\t\\\t\\n\\v\\f\\r\\e\\ \\"\\/\\\\"\n'),
    ("unicode line and space escapes", 'v: "\\N\\_\\L\\P"\n'),
    ("hex and unicode escapes", 'v: "\\x41\\xe9\\u00e9\\u20AC\\U0001F600"\n'),
    ("double-quoted folding", 'v: "a\n  b\n\n  c\n\n\n  d"\n'),
    ("double-quoted escaped line break", 'v: "a\\\n    b \\\n  c"\n'),
    ("double-quoted trailing and leading blanks", 'v: "  a  \n   b  "\n'),
    ("double-quoted escaped blank before a break", 'v: "a\\ \n  b"\n'),
    ("double-quoted tab folding", 'v: "a\t\n\tb"\n'),
    ("double-quoted empty", 'v: ""\n'),
    ("double-quoted key", '"a\\tb": 1\n'),
    # --- single-quoted scalars ---
    ("single-quoted folding", "v: 'a\n  b\n\n  c'\n"),
    ("single-quoted doubled quote", "v: 'it''s ''x'''\n"),
    ("single-quoted backslash", "v: 'a\\nb'\n"),
    ("single-quoted empty", "v: ''\n"),
    ("single-quoted trailing spaces before a break", "v: 'a   \n   b'\n"),
    # --- plain scalars ---
    ("plain multi-line", "v: a\n  b\n\n  c\n"),
    ("plain with inner colons and hashes", "v: a:b c#d e:f\n"),
    ("plain with a trailing comment", "v: a b   # c\n"),
    ("plain under a sequence entry, continued", "- a\n  b\n- c\n"),
    ("plain with a tab inside", "v: a\tb\n"),
    ("plain after a tab separator", "v:\tb\n"),
    ("plain starting with indicator characters", "- -a\n- ?b\n- :c\n- a-\n"),
    ("plain with brackets in block context", "v: a[b]{c},d\n"),
    ("plain with a colon in a flow sequence", "[a:b, 'c':d, \"e\":f]\n"),
    ("plain top-level scalar", "just text\n"),
    ("plain multi-line top-level scalar", "a\nb\n  c\n"),
    # --- block scalars: indentation indicators and chomping ---
    ("literal clip", "v: |\n  a\n   b\n\n"),
    ("literal strip", "v: |-\n  a\n\n"),
    ("literal keep", "v: |+\n  a\n\n\nw: 1\n"),
    ("literal keep at the end of the stream", "v: |+\n  a\n\n"),
    ("literal with an indentation indicator", "v: |2\n   a\n  b\n"),
    ("literal indicator then chomping", "v: |1-\n  a\n"),
    ("literal chomping then indicator", "v: |+1\n  a\n\n"),
    ("literal with leading empty lines", "v: |\n\n \n  a\n"),
    ("literal with a comment on the header", "v: | # note\n  a\n"),
    ("literal more indented empty lines", "v: |\n  a\n    \n  b\n"),
    ("literal with tabs in the content", "v: |\n  a\tb\n  \tc\n"),
    ("literal empty", "v: |\nw: 1\n"),
    ("literal empty with keep", "v: |+\n\nw: 1\n"),
    ("literal at top level", "|\n a\n b\n"),
    ("folded clip", "v: >\n  a\n  b\n\n  c\n"),
    ("folded with more-indented lines", "v: >\n  a\n    b\n  c\n\n  d\n"),
    ("folded strip", "v: >-\n  a\n  b\n\n\n"),
    ("folded keep", "v: >+\n  a\n  b\n\n"),
    ("folded with an indentation indicator", "- >2\n    a\n   b\n"),
    ("folded with a more-indented first line", "v: >2\n   a\n  b\n"),
    ("block scalar in a sequence", "- |\n  a\n- >-\n  b\n"),
    ("block scalar under an indented key", "a:\n  b: |\n    x\n    y\n  c: 1\n"),
    # --- collections: flow, block, implicit and explicit keys ---
    ("flow sequence with a single-pair mapping", "[a: b, c, d: ]\n"),
    ("flow sequence with explicit keys", "[? a : b, ? c, ?]\n"),
    ("flow sequence with an explicit key then a second indicator", "[? a ? b]\n"),
    ("flow mapping with keys only", "{a, b: c, ? d, ? : e}\n"),
    ("flow mapping with an empty value", "{a: , b: }\n"),
    ("flow mapping with a trailing comma", "{a: 1, b: 2,}\n"),
    ("flow sequence with a trailing comma", "[1, 2,]\n"),
    ("flow collections nested", "{a: [b, {c: [d, e]}], f: {}}\n"),
    ("flow collection over lines", "v: [a,\n  b, # c\n  c\n  ]\n"),
    ("flow mapping with quoted keys without space", '{"a":1, \'b\':2}\n'),
    ("flow with tabs", "[a,\tb]\n"),
    ("dash alone in a flow sequence", "[-]\n"),
    ("dash as a plain scalar start in flow", "[-a, -1]\n"),
    ("question marks glued to flow keys", "[?x, ?1: a, ?yes, ?]\n"),
    ("question marks glued to flow mapping keys", "{?x, ?: a, ?y: b}\n"),
    ("explicit block key", "? a\n: b\n"),
    ("explicit block key without value", "? a\n? b\n: c\n"),
    ("explicit block key with a literal", "? |\n  k\n: v\n"),
    ("explicit key in a sequence entry", "- ? a\n  : b\n"),
    ("question mark after a plain scalar", "- a ? b\n"),
    ("empty value then a key", "a:\nb: 1\n"),
    ("sequence of empty entries", "-\n-\n- a\n"),
    ("nested sequences on one line", "- - a\n  - b\n- - - c\n"),
    ("nested sequence then a shallower dash", "- - a\n   - b\n"),
    ("indentless sequence under a key", "a:\n- b\n- c\nd: e\n"),
    ("indentless sequence with an empty entry", "a:\n-\n- b\n"),
    ("sequence of mappings", "- a: 1\n  b: 2\n- c: 3\n"),
    ("mapping in a sequence in a mapping", "a:\n  - b: 1\n    c:\n      - d\n"),
    ("anchored empty value then a sequence", "a: &x\n- b\nc: 1\n"),
    ("long key in an explicit key", "? " + LONG_KEY + "\n: v\n"),
    ("long quoted value", "v: '" + "x" * 1100 + "'\n"),
    ("comment lines in odd places", "# a\na: # b\n  # c\n  b # d\n# e\nc: [d, # f\n  e]\n"),
    ("comment right after a quoted value", "a: 'b'#c\n"),
    ("CRLF line breaks", "a: 1\r\nb:\r\n  - c\r\nd: |\r\n  e\r\n  f\r\n"),
    ("lone CR line breaks", "a: 1\rb: 'c\r  d'\r"),
    ("NEL and other unicode line breaks in scalars", "a: 'b\x85c'\nd: \"e\u2028f\"\n"),
    ("NEL line breaks between entries and in scalars", "a: 1\x85b: c\x85  d\x85e: |\x85  f\x85  g\x85h: 'i\x85\x85  j'\n"),
    ("lone CR line breaks before an under-indented quoted line", "a:\r  b: 'c\rd'\r  e: \"f\r\r g\"\r"),
    ("CR then NEL before an under-indented quoted line", "a: 'b\r\x85c'\n"),
    ("CR then NEL is two line breaks", "a: 'b\r\x85  c'\n"),
    ("comments glued to the token before them", "a: 'b'#c\nd: [e]#f\ng: {h: i}#j\nk: |#l\n  m\n"),
    ("tabs starting quoted continuation lines", "a:\n  b: \"c\n\t\td\n \te\"\n  f: 'g\n\th'\n"),
    ("LS and PS line breaks in plain and block scalars", "a: b\u2028  c\nd: |\n  e\u2029  f\n"),
    ("LS line break between entries", "- a\u2028- b\n"),
    ("byte order mark at the start", "\ufeffa: 1\n"),
    ("non-ASCII keys and values", "ключ: значение\n名前: 値\nemoji: 😀\n"),
    # --- documents ---
    ("empty stream", ""),
    ("only a comment", "# nothing\n"),
    ("explicit document", "---\na: 1\n...\n"),
    ("document start with a scalar", "--- text\n"),
    ("document start with a block scalar", "--- |\n  a\n"),
    ("document start with a flow mapping", "--- {a: 1}\n"),
    ("empty explicit document", "---\n...\n"),
    ("document end then comments", "a: 1\n... # end\n# more\n"),
    ("YAML directive", "%YAML 1.1\n---\na: 1\n"),
    ("YAML 1.2 directive", "%YAML 1.2\n---\na: yes\n"),
    # --- tags ---
    ("TAG directive for the standard tags", "%TAG !y! tag:yaml.org,2002:\n---\na: !y!int '12'\nb: !y!str 12\n"),
    ("TAG directive with a percent escape", "%TAG !e! tag:yaml.org,2002:%73\n---\na: !e!tr 12\n"),
    ("TAG directive redefining the primary handle", "%TAG ! tag:yaml.org,2002:\n---\na: !str 1\nb: !int '2'\n"),
    ("a tag followed by a comma in flow", "[!!str,a]\n"),
    ("block scalar with an indentation indicator at top level", "--- |1\n  a\n b\n"),
    ("double-quoted escaped CRLF line break", "a: \"b\\\r\n  c\"\r\n"),
    ("document end markers repeated", "a\n...\n...\n"),
    ("hex, octal and binary ints beyond 128 bits", "[0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF, 077777777777777777777777777777777777777777777777777, 0b1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111, -0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF, 1:5555555555555555555555555555555555555555]\n"),
    ("sexagesimal float with big parts", "[1:30:00.5, 190:0.5e0]\n"),
    ("verbatim standard tags", "a: !<tag:yaml.org,2002:str> 12\nb: !<tag:yaml.org,2002:int> '7'\n"),
    ("secondary handle tags", "a: !!str 1\nb: !!int '0x1f'\nc: !!float '1'\nd: !!bool 'ON'\ne: !!null ''\n"),
    ("non-specific tag", "a: ! 12\nb: ! '12'\nc: ! yes\nd: !\n"),
    ("tag after an anchor and before a flow collection", "a: &x !!seq [1]\nb: !!map {c: 1}\nc: *x\n"),
    ("tagged empty values", "a: !!str\nb: !!null\n"),
    ("int tag forms", "a: !!int 0b101\nb: !!int 0x_FF\nc: !!int 0o17\nd: !!int 017\ne: !!int 1:30\nf: !!int -0\n"),
    ("float tag forms", "a: !!float 1\nb: !!float 1e3\nc: !!float .INF\nd: !!float -.inf\ne: !!float 1:30.5\nf: !!float 1_000.5\n"),
    ("bool tag forms", "a: !!bool TRUE\nb: !!bool Off\nc: !!bool yEs\n"),
    ("timestamp tag", "a: !!timestamp 2001-1-2\nb: !!timestamp 2001-12-14 21:59:43.1 +1:30\n"),
    ("binary tag", "a: !!binary aGVsbG8=\nb: !!binary |\n  d29y\n  bGQ=\n"),
    ("set tag", "v: !!set {b, a, c}\n"),
    ("omap and pairs tags", "a: !!omap [b: 1, c: 2]\nd: !!pairs [e: 1, e: 2]\n"),
    ("str tag on a block scalar", "v: !!str |\n  12\n"),
    ("unsafe tag", "a: !unsafe '{{ x }}'\nb: !unsafe 12\nc: !unsafe [d, '{{ e }}']\nf: !unsafe {g: h}\n"),
    ("unsafe tag on a block scalar", "a: !unsafe |\n  {{ x }}\n"),
    ("python unicode and dict tags", "a: !!python/unicode x\nb: !!python/dict {c: 1}\n"),
    ("value tag as a key", "!!value a: 1\n"),
    ("null tag on text", "a: !!null x\n"),
    ("int tag on a hex beyond 64 bits", "a: !!int 0xFFFFFFFFFFFFFFFFFF\n"),
    ("float tag with surrounding spaces", "a: !!float ' 1.5 '\n"),
    ("timestamp tag with a negative half-hour offset", "a: !!timestamp '2001-12-14 21:59:43 -00:30'\n"),
    ("timestamps with zero fractions and offsets", "a: 2001-12-14 21:59:43.000\nb: 2001-12-14 21:59:43.0000001\nc: 2001-12-14 21:59:43 -0\n"),
    ("timestamps on leap days", "a: 2000-02-29\nb: 1900-02-28\n"),
    ("unsafe on nulls, timestamps and quoted ints", "a: !unsafe\nb: !unsafe ~\nc: !unsafe 2001-12-14\nd: !unsafe '12'\n"),
    ("non-specific tag on a merge key", "a: &a {x: 1}\nb:\n  ! <<: *a\n"),
    ("tagged empty scalar in a flow sequence", "[!!str , a]\n"),
    ("anchored empty scalar in a flow sequence", "[&a , *a]\n"),
    ("tagged empty key in a flow mapping", "{!!str : a}\n"),
    ("vault-encrypted tag", "v: !vault-encrypted |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n"),
    ("vault tag", "v: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n"),
    # --- anchors and aliases ---
    ("anchors and aliases", "a: &x 1\nb: *x\nc: &y [1, 2]\nd: *y\ne: &z {f: g}\nh: *z\n"),
    ("anchor on a key and an alias as a key", "&k a: 1\n? *k\n: 2\n"),
    ("alias as a key in a flow mapping", "a: &k b\nc: {*k : d}\n"),
    ("anchor on an empty value", "a: &x\nb: *x\n"),
    ("anchors in a flow sequence", "[&a 1, *a, &b [2], *b]\n"),
    ("anchor redefined after use", "- &a 1\n- *a\n"),
    ("alias followed by flow punctuation", "a: &x 1\nb: [*x, *x]\nc: {d: *x}\n"),
    # --- merge keys ---
    ("merge of one mapping", "a: &a {x: 1, y: 2}\nb:\n  <<: *a\n  y: 3\n"),
    ("merge of a list of mappings", "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n"),
    ("merge of a list with one-letter keys", "a: &a {k: 1}\nb: &b {k: 2}\nc:\n  <<: [*a, *b]\n"),
    ("merge of a list with longer keys", "a: &a {key: 1, name: a}\nb: &b {key: 2, other: b}\nc:\n  <<: [*a, *b]\n  own: 3\n"),
    ("merge after explicit keys", "a: &a {x: 1, y: 1}\nb:\n  y: 2\n  <<: *a\n"),
    ("merge of an inline mapping", "a:\n  <<: {x: 1}\n  y: 2\n"),
    ("two merge keys", "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: *a\n  <<: *b\n"),
    ("nested merges", "a: &a {x: 1}\nb: &b\n  <<: *a\n  y: 2\nc:\n  <<: *b\n  z: 3\n"),
    ("merge key tagged", "a: &a {x: 1}\nb:\n  !!merge <<: *a\n"),
    ("merge key quoted is a string", "a: &a {x: 1}\nb:\n  '<<': *a\n"),
    ("merge in a flow mapping", "a: &a {x: 1}\nb: {<<: *a, y: 2}\n"),
    ("value key", "=: 1\n"),
    ("merge of an empty mapping and an empty list", "a:\n  <<: {}\n  x: 1\nb:\n  <<: []\n"),
    ("duplicate keys inside a merged mapping", "a: &a {x: 1, x: 2}\nb:\n  <<: *a\n"),
    ("duplicate keys in a flow mapping", "{a: 1, b: 2, a: 3}\n"),
    ("anchor on a key used as a value", "&x a: 1\nb: *x\n"),
    ("tag before an anchor with a comment after", "a: !!str &x # note\n  1\nb: *x\n"),
    ("explicit tagged empty key", "? !!str\n: x\n"),
    ("indentless sequence of mappings with nested sequences", "a:\n- b:\n  - c\n- d\n"),
    # --- duplicate keys ---
    ("duplicate keys", "a: 1\nb: 2\na: 3\n"),
    ("duplicate keys that are equal in Python", "1: a\n1.0: b\ntrue: c\n0: d\nfalse: e\n~: f\nnull: g\n"),
    ("duplicate quoted keys", "'a': 1\n\"a\": 2\na: 3\n"),
    ("duplicate keys shown with quotes and escapes", "\"it's\": 1\n\"it's\": 2\n\"a\\tb\\\\\": 1\n\"a\\tb\\\\\": 2\n\"q'\\\"\": 1\n\"q'\\\"\": 2\n\"\\x01\": 1\n\"\\x01\": 2\n"),
    ("duplicate float, big and negative zero keys", "1.0e+20: a\n100000000000000000000.0: b\n0.0: c\n-0.0: d\n1.5: e\n1.50: f\n"),
    ("NaN keys are never duplicates", ".nan: 1\n.NaN: 2\n"),
    # --- resolution of plain scalars ---
    ("bools", "[yes, Yes, YES, no, NO, true, True, false, FALSE, on, On, off, OFF, y, n, yEs, tRUE]\n"),
    ("nulls", "[~, null, Null, NULL, nULL, '', ]\n"),
    ("decimal ints", "[0, -0, +0, 12, +12, -12, 1_000, 1__0, 9223372036854775807, -9223372036854775808]\n"),
    ("big ints", "[9223372036854775808, -9223372036854775809, 123456789012345678901234567890]\n"),
    ("octal and binary ints", "[017, -017, 0_17, 08, 0b101, -0b1_0, 0b, 0o17]\n"),
    ("hex ints", "[0x1f, 0x1F, -0xA, 0x_1, 0xg]\n"),
    ("sexagesimal ints", "[1:30, 190:20:30, -1:0, 1:60, 1:5:07]\n"),
    ("floats", "[1.5, -1.5, +1.5, 1., .5, 1.5e+3, 1.5E-3, 1e3, 1.0e3, 1_0.5, 6.8523015e+5, 685.230_15e+03]\n"),
    ("special floats", "[.inf, -.inf, +.inf, .Inf, .INF, .nan, .NaN, .NAN, inf, nan, -.Nan]\n"),
    ("sexagesimal floats", "[190:20:30.15, -1:30.5, 1:0.]\n"),
    ("timestamps", "[2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10, 2001-12-15T02:59:43.1Z, 2002-1-1, 2001-12-14 21:59:43 +3]\n"),
    ("more float spellings", "[1.5e3, -.5, +.5, 0., 00.5, 1.5_, 1__.5, ._5, 1:2:3.5, -0.0, 1e-3, 12e+03]\n"),
    ("more int spellings", "[0_0, 00, -0b0, 1:00, 0:30, +1:30, +0x10, -0b11, 0b2, 09, 0o7, 1_, _1]\n"),
    ("more timestamp spellings", "[2001-12-14T21:59:43, 2001-12-14 21:59:43.123456789Z, \"x\", 2001-12-14\t21:59:43, 2001-12-14  21:59:43 Z, 2001-12-14 21:59:43+05:30, 2001-12-14 1:2:3, 2001-12-14 1:02:03]\n"),
    ("more bool and null spellings", "[yes., 'yes', Yes!, NULL ~, ~~, y, Y, N, off_, =x, <<x]\n"),
    ("numbers as keys", "1: a\n1.5: b\n0x10: c\n1_0: d\n"),
    ("resolution is for plain scalars only", "a: '1'\nb: \"yes\"\nc: |\n  1\nd: >-\n  true\n"),
]

# Cases where kiln differs from Ansible, with the reason. name -> {"reason",
# and "kiln": the value kiln builds (same notation) or "kiln_error": a part of
# kiln's error message}.
KNOWN: dict[str, dict] = {
    "merge of a list with longer keys": {
        "reason": "kiln keeps the merge-key spec, as PyYAML did before 6.0.4: the first mapping of a "
        "`<<` list that has a key wins, silently (src/yaml/merge.rs); PyYAML 6.0.4 lets a later "
        "one win for keys longer than one character and Ansible warns of a duplicate key "
        "(yaml/pyyaml#953)",
        "kiln": ["dict", [
            [["str", "a"], ["dict", [[["str", "key"], ["int", "1"]], [["str", "name"], ["str", "a"]]]]],
            [["str", "b"], ["dict", [[["str", "key"], ["int", "2"]], [["str", "other"], ["str", "b"]]]]],
            [["str", "c"], ["dict", [[["str", "key"], ["int", "1"]], [["str", "name"], ["str", "a"]],
                                     [["str", "other"], ["str", "b"]], [["str", "own"], ["int", "3"]]]]],
        ]],
    },
    "duplicate keys inside a merged mapping": {
        "reason": "the same PyYAML 6.0.4 change (yaml/pyyaml#953): it merges the key/value pairs "
        "as written, dropping a repeated key only when Python shares the key's string object "
        "(one-character keys), so here the first `x` wins; kiln merges the mapping as built, "
        "where the last `x` won, as the merge-key spec says",
        "kiln": ["dict", [[["str", "a"], ["dict", [[["str", "x"], ["int", "2"]]]]],
                          [["str", "b"], ["dict", [[["str", "x"], ["int", "2"]]]]]]],
    },
    "LS and PS line breaks in plain and block scalars": {
        "reason": "libyaml (YAML 1.1) reads LS and PS as line breaks that scalars keep; "
        "saphyr-parser (YAML 1.2) reads them as content, so the blanks after them stay, and no "
        "one-character break keeps them in the value (NEL, which scalars turn into \\n, is "
        "repaired)",
        "kiln": ["dict", [[["str", "a"], ["str", "b\u2028  c"]], [["str", "d"], ["str", "e\u2029  f\n"]]]],
    },
    "LS line break between entries": {
        "reason": "as above: for saphyr-parser the LS is content, so the line goes on",
        "kiln": ["list", [["str", "a\u2028- b"]]],
    },
    "dash alone in a flow sequence": {
        "reason": "saphyr-parser (YAML 1.2), which builds kiln's values, refuses a plain scalar "
        "starting with '-' before a flow indicator, and no repair of the text that keeps its "
        "positions can say `-` otherwise",
        "kiln_error": "plain scalar cannot start with '-' followed by ,[]{}",
    },
}


def typed(v):
    """The value in the notation above."""
    if v is None:
        return ["null"]
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["int", str(int(v))]
    if isinstance(v, float):
        return ["float", repr(float(v))]
    if isinstance(v, EncryptedString):
        return ["vault", str(v._ciphertext)]
    if isinstance(v, str):
        kind = "str" if TrustedAsTemplate.is_tagged_on(v) else "unsafe"
        return [kind, str(v)]
    if isinstance(v, bytes):
        return ["bytes", bytes(v).decode("utf-8", "backslashreplace")]
    if isinstance(v, (datetime.date, datetime.datetime)):
        return ["date", str(v)]
    if isinstance(v, tuple):
        return ["tuple", [typed(x) for x in v]]
    if isinstance(v, list):
        return ["list", [typed(x) for x in v]]
    if isinstance(v, (set, frozenset)):
        return ["set", sorted((typed(x) for x in v), key=json.dumps)]
    if isinstance(v, dict):
        return ["dict", [[typed(k), typed(x)] for k, x in v.items()]]
    raise TypeError(f"no notation for {type(v).__name__}")


def load(text: str) -> dict:
    warnings: list[str] = []
    display = _constructor.display
    saved = display.warning, display.deprecated

    def warning(msg, *args, **kwargs):
        warnings.append(str(msg))

    def deprecated(msg, *args, **kwargs):
        warnings.append(str(msg))

    display.warning, display.deprecated = warning, deprecated
    try:
        value = yaml.load(TrustedAsTemplate().tag(text), Loader=AnsibleLoader)
    finally:
        display.warning, display.deprecated = saved
    return {"value": typed(value), "warnings": warnings}


def main() -> int:
    if not HAS_LIBYAML:
        print("libyaml is not available: Ansible would use the pure-Python parser", file=sys.stderr)
        return 1
    names = [n for n, _ in CASES]
    dupes = {n for n in names if names.count(n) > 1}
    unknown = set(KNOWN) - set(names)
    if dupes or unknown:
        print(f"duplicate names {dupes}, KNOWN names without a case {unknown}", file=sys.stderr)
        return 1
    cases = []
    for name, text in CASES:
        case = {"name": name, "yaml": text, "ansible": load(text)}
        if name in KNOWN:
            case["known"] = KNOWN[name]
        cases.append(case)
    doc = {
        "about": "What ansible-core's YAML loader (AnsibleLoader, PyYAML on libyaml) builds from each "
        "snippet, with Python types. Written by tests/oracle/record_yaml_values.py.",
        "pyyaml_version": yaml.__version__,
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
