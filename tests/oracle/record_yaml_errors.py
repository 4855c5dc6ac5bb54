# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
"""Record where Ansible's YAML loader reports errors in broken YAML.

For every snippet of CASES below this loads the text with ansible-core's own
loader (AnsibleLoader, which sits on PyYAML's libyaml binding, CParser, when
libyaml is available: it is in the oracle venv, and that is what
ansible-playbook reports) and, for reference, with PyYAML's pure-Python
SafeLoader. It writes tests/yaml_errors/expected.json, which
tests/yaml_errors.rs checks kiln's YAML loader against.

For each loader the record holds the MarkedYAMLError's problem text and
problem mark (1-based line and column, as printed), and its context text and
mark when there is one.

Run with the oracle venv's Python:

    /work/ansible-venv/bin/python tests/oracle/record_yaml_errors.py

Cases where kiln cannot report what libyaml reports are listed in
EQUIVALENT with the reason and the position/text kiln reports instead; the
Rust test checks those against the documented equivalent.
"""

from __future__ import annotations

import json
import pathlib
import sys

import yaml

from ansible._internal._yaml._loader import AnsibleLoader
from ansible.module_utils.common.yaml import HAS_LIBYAML

OUT = pathlib.Path(__file__).resolve().parent.parent / "yaml_errors" / "expected.json"

# (name, YAML text). Each is a mistake seen in playbooks, vars files and
# inventories; every one must fail to load in Ansible.
CASES: list[tuple[str, str]] = [
    # --- indentation of lists and maps ---
    ("list item under-indented in tasks", "- hosts: all\n  tasks:\n   - command: x\n  - debug: msg=y\n"),
    ("key over-indented after a scalar", "- hosts: all\n    tasks:\n      - ping:\n"),
    ("key under-indented in a play", "- hosts: all\n  gather_facts: false\n tasks: []\n"),
    ("task key over-indented", "- name: x\n  command: ls\n   args:\n     chdir: /tmp\n"),
    ("task key under-indented in a list", "tasks:\n  - name: a\n    debug:\n      msg: hi\n   when: x\n"),
    ("sequence after a mapping at the same indent", "hosts: all\n- debug: msg=x\n"),
    ("mapping after a sequence at top level", "- a\n- b\nc: d\n"),
    ("list item deeper after a flow item", "- [a]\n  - b\n"),
    ("sequence item shallower than the first", "a:\n  - b\n - c\n"),
    ("sequence entry after keys of a mapping", "a:\n  b: 1\n  - c\n"),
    ("key after sequence in a mapping value", "a:\n  - b\n  c: d\n"),
    ("continuation line then a key", "a:\n  b\n  c: d\n"),
    ("key indented under a scalar value", "a: b\n  c: d\n"),
    ("first line indented deeper", "  a: 1\nb: 2\n"),
    ("sequence under a quoted value", "a: \"1\"\n  - b\n"),
    ("block sequence on the key's line", "a: - b\n"),
    ("dash with no space before the value", "tasks:\n  - name: x\n    debug: msg=y\n  -name: z\n"),
    ("stray dash between keys", "- hosts: all\n  -\n  tasks: []\n"),
    ("comment line then an under-indented key", "a:\n  b: 1 # c\n c: 2\n"),
    ("block scalar then an under-indented line", "- name: foo\n  shell: >\n  echo hi\n  when: x\n"),
    ("literal block content under-indented", "a: |\n    x\n  y\nb: 1\n"),
    ("handlers at the wrong level", "- hosts: all\n  tasks:\n    - ping:\n    handlers:\n  - name: h\n"),
    # --- tabs ---
    ("tab indentation of a play key", "- hosts: all\n\tgather_facts: false\n"),
    ("tab indentation at top level", "a: 1\n\tb: 2\n"),
    ("tab indentation of a list item", "- hosts: all\n  tasks:\n\t- debug: msg=x\n"),
    ("tab before a nested key", "a:\n\tb: 1\n"),
    ("tab after a dash", "tasks:\n  -\tname: x\n    debug: msg=y\n"),
    ("spaces then a tab in the indentation", "a:\n  b: 1\n  \tc: 2\n"),
    # --- quotes ---
    ("unclosed double quote at end of file", "- debug:\n    msg: \"hello\n"),
    ("unclosed single quote at end of file", "a: 'hello\n"),
    ("unclosed double quote before more keys", "- debug:\n    msg: \"hello\n  when: x\n"),
    ("unclosed quote before a document marker", "a: 'x\n---\nb: 1\n"),
    ("text after a closing quote", "a: \"x\" y\n"),
    ("value that starts with a quoted part", "- debug:\n    msg: \"foo\" in bar\n"),
    ("when starts with a quoted template", "- command: ls\n  when: \"{{ x }}\" == \"y\"\n"),
    ("apostrophe inside single quotes", "a: 'it's here'\n"),
    ("escaped closing double quote", "a: \"b\\\"\n"),
    ("unclosed quoted key", "\"a: 1\nb: 2\n"),
    ("two quoted strings", "a: \"b\" \"c\"\n"),
    # --- double-quote escapes ---
    ("unknown escape", "a: \"C:\\Users\\q\"\n"),
    ("bad hex escape", "a: \"\\xZZ\"\n"),
    ("short unicode escape", "a: \"\\u12\"\n"),
    ("windows path escape", "- win_copy:\n    dest: \"D:\\data\\new\"\n"),
    ("escape in a flow value", "a: [\"\\q\"]\n"),
    # --- flow collections ---
    ("unclosed flow sequence", "a: [1, 2\n"),
    ("unclosed flow mapping", "a: {b: 1\n"),
    ("unclosed flow sequence before a key", "a: [1, 2\nb: 3\n"),
    ("extra closing bracket", "a: [1, 2]]\n"),
    ("mismatched brackets seq", "a: [1, 2}\n"),
    ("mismatched brackets map", "a: {b: 1]\n"),
    ("text after a flow sequence", "- [a, b] c\n"),
    ("text after a flow mapping", "a: {b: c}, d\n"),
    ("double comma in a flow sequence", "a: [1, 2,, 3]\n"),
    ("lone comma in a flow mapping", "a: {,}\n"),
    ("colon at the end of a plain scalar in a flow sequence", "a: [b, c:]\n"),
    ("colon at the end of a plain scalar in a flow mapping", "a: {b: c:}\n"),
    ("two values in a flow mapping entry", "a: {b: c: d}\n"),
    ("flow mapping missing a comma", "a: {b: 1 c: 2}\n"),
    # --- unquoted templates ---
    ("unquoted template followed by text", "- debug:\n    msg: {{ foo }} bar\n"),
    ("unquoted template in a list then text", "with_items:\n  - {{ a }} {{ b }}\n"),
    ("unquoted template filter with colon", "a: {{ x | default('a': 1) }}\n"),
    ("unquoted template with a colon after it", "- set_fact:\n    y: {{ x }}: 1\n"),
    # --- colons ---
    ("key: value: more", "- hosts: all\n  tasks:\n    - debug: msg: hello\n"),
    ("message with an unquoted colon", "- fail:\n    msg: Error: not found\n"),
    ("command with a colon and space", "- shell: echo name: ansible\n"),
    # --- anchors and aliases ---
    ("duplicate anchor", "a: &x 1\nb: &x 2\n"),
    ("duplicate anchor in a list", "- &v one\n- &v two\n"),
    ("undefined alias", "a: 1\nb: *nope\n"),
    ("alias to an anchor of an earlier document", "a: &x 1\n---\nb: *x\n"),
    ("anchor without a name", "a: & b\n"),
    ("alias without a name", "a: *\n"),
    ("anchor name with a colon", "a: &x: 1\n"),
    # --- tags ---
    ("undefined tag handle", "a: !foo!bar x\n"),
    ("unclosed verbatim tag", "a: !<tag:x y\n"),
    # --- block scalars ---
    ("bad block scalar indicator", "a: |x\n  y\n"),
    ("block scalar indentation indicator zero", "a: >0\n  y\n"),
    ("text after a block scalar header", "a: | keep\n  y\n"),
    # --- reserved and invalid characters ---
    ("value starting with @", "a: @foo\n"),
    ("value starting with a backtick", "a: `id`\n"),
    ("control character", "a: b\x07c\n"),
    # --- directives and document markers ---
    ("directive inside a document", "a: 1\n%YAML 1.1\n---\nb: 2\n"),
    ("directive without a document start", "%YAML 1.1\na: 1\n"),
    ("duplicate YAML directive", "%YAML 1.1\n%YAML 1.1\n---\na: 1\n"),
    ("duplicate TAG directive", "%TAG !e! tag:e.com,2000:\n%TAG !e! tag:f.com,2000:\n---\na: 1\n"),
    ("YAML directive with a bad version", "%YAML 1.x\n---\na: 1\n"),
    ("TAG directive without a prefix", "%TAG !e!\n---\na: 1\n"),
    ("document end marker then content", "a: 1\n... b\n"),
    ("document start marker inside a flow sequence", "a: [1,\n---\n2]\n"),
    ("document end marker inside a quoted value", "a: \"x\n...\ny\"\n"),
    ("mapping on the document start line", "--- a: 1\n  b: 2\n"),
    ("content after a document end in a sequence", "- a\n...\n  - b\n"),
    # --- keys ---
    ("line without a colon in a mapping", "a: 1\nb\nc: 2\n"),
    ("play keyword without a colon", "- hosts: all\n  gather_facts false\n  tasks: []\n"),
    ("long implicit key", "a" * 1030 + ": 1\n"),
    ("multi-line implicit key", "a: 1\nb\nc: 2\n"),
    ("non-ASCII text before the error", "- name: café résumé\n    debug: msg=y\n"),
    # --- corners of libyaml's scanner and parser and of the constructors: escapes,
    # directives, tag URIs, block scalar headers, simple keys, flow and block
    # collections, document markers, merge keys and standard tags ---
    ('hex escape cut short', 'a: "\\x4"\n'),
    ('unicode escape of a surrogate', 'a: "\\uD800"\n'),
    ('long unicode escape past the last code point', 'a: "\\U00110000"\n'),
    ('long unicode escape with a bad digit', 'a: "\\U0001F60Z"\n'),
    ('escape at the end of the stream', 'a: "\\'),
    ('directive without a name', '%\n---\na: 1\n'),
    ('directive name with a bad character', '%YA.ML 1.1\n---\na: 1\n'),
    ('YAML directive without a version', '%YAML\n---\na: 1\n'),
    ('YAML directive without a minor version', '%YAML 1\n---\na: 1\n'),
    ('YAML directive with a long major version', '%YAML 1234567890.1\n---\na: 1\n'),
    ('YAML directive with trailing text', '%YAML 1.1 x\n---\na: 1\n'),
    ('YAML directive of version 2', '%YAML 2.0\n---\na: 1\n'),
    ('YAML directive with a comment', '%YAML 1.1 # c\n---\na: !x y\n'),
    ('TAG directive handle without a closing bang', '%TAG !e tag:e.com,2000:\n---\na: 1\n'),
    ('TAG directive handle not starting with a bang', '%TAG e! tag:e.com,2000:\n---\na: 1\n'),
    ('TAG directive handle glued to the prefix', '%TAG !e!tag:e.com,2000:\n---\na: 1\n'),
    ('TAG directive prefix with a brace', '%TAG !e! tag:e.com{\n---\na: 1\n'),
    ('unknown directive', '%FOO bar\n---\na: 1\n'),
    ('tag with a truncated URI escape', 'a: !e%C x\n'),
    ('tag with a bad leading UTF-8 octet', 'a: !%FF x\n'),
    ('tag with a bad trailing UTF-8 octet', 'a: !%C3%41 x\n'),
    ('tag URI escape of a non-hex digit', 'a: !x%G1 y\n'),
    ('empty verbatim tag', 'a: !<> x\n'),
    ('tag followed by a brace', 'a: !foo{ x\n'),
    ('secondary tag handle without a suffix', 'a: !! x\n'),
    ('named tag handle undeclared in a flow sequence', 'a: [!e!x y]\n'),
    ('anchor followed by a brace', 'a: &x{ 1\n'),
    ('alias followed by a dot', 'a: *x.\n'),
    ('alias in a flow sequence undefined', 'a: [*x]\n'),
    ('block scalar chomping then zero', 'a: |-0\n  x\n'),
    ('block scalar chomping then text', 'a: |+ x\n  y\n'),
    ('block scalar indicator then junk', 'a: |2x\n  y\n'),
    ('block scalar tab in its indentation', 'a: |\n \tx\n'),
    ('block scalar with an explicit indent and a tab', 'a: |1\n\tx\n'),
    ('block scalar in a flow sequence', 'a: [|, x]\n'),
    ('mapping key indicator after a value', 'a: ? b\n'),
    ('block entry after a key on the same line', '? - a - b\n'),
    ('closing bracket in block context', 'a: ]\n'),
    ('closing brace at top level', '}\n'),
    ('comma in block context', 'a: b\n, c\n'),
    ('flow mapping value without a key then text', '{a: b c: d}\n'),
    ('simple key across lines in a flow mapping', '{a\nb: c}\n'),
    ('flow key too long', '{kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: v}\n'),
    ('alias with anchor', 'a: &x *y\n'),
    ('two anchors on one node', 'a: &x &y 1\n'),
    ('two tags on one node', 'a: !!str !!int 1\n'),
    ('anchor then tag then anchor', 'a: &x !!str &y 1\n'),
    ('document start then directive', '---\n%YAML 1.1\n---\na: 1\n'),
    ('content after the document end marker', '---\na: 1\n...\nb: 2\n'),
    ('second document after a document end', 'a\n...\n--- b\n'),
    ('tab in a plain multi-line scalar indentation', 'a: b\n\tc\n'),
    ('tab starting a line in a sequence', '- a\n\t- b\n'),
    ('plain scalar with a colon in a flow sequence', '[a:[b]]\n'),
    ('unhashable list key', '? [a, b]\n: c\n'),
    ('unhashable mapping key', '? {a: b}\n: c\n'),
    ('merge of a scalar', 'a: &s x\nb:\n  <<: *s\n'),
    ('merge of a list with a scalar', 'a: &m {x: 1}\nb:\n  <<: [*m, 3]\n'),
    ('merge key as a value', 'a: <<\n'),
    ('value key as a value', 'a: =\n'),
    ('bad base64', 'a: !!binary aGVsb\n'),
    ('map tag on a sequence', 'a: !!map [1]\n'),
    ('seq tag on a mapping', 'a: !!seq {b: 1}\n'),
    ('str tag on a mapping', 'a: !!str {b: 1}\n'),
    ('unknown standard tag', 'a: !!foo x\n'),
    ('unknown local tag', 'a: !foo x\n'),
    ('omap of a scalar', 'a: !!omap x\n'),
    ('omap with a two-key item', 'a: !!omap [{b: 1, c: 2}]\n'),
    ('pairs with a scalar item', 'a: !!pairs [b]\n'),
    ('vault tag on a mapping', 'a: !vault {b: 1}\n'),
    ('vault tag on an int', 'a: !vault 12\n'),
    ('non-printable character in a quoted value', 'a: "b\x01"\n'),
    ('special character U+FFFE', 'a: \ufffe\n'),
    ('NEL line break then an indented key', 'a: 1\x85 b: 2\n'),
    ('CR line breaks with a bad indent', 'a:\r  b: 1\r c: 2\r'),
    ('plain key running to the end of the stream', 'a: 1\nb'),
    ('quoted key without a colon then a key', "a: 1\n'b'\nc: 2\n"),
    ('flow sequence as a key without a colon', 'a: 1\n[b]\nc: 2\n'),
    ('simple key over 1024 characters in a sequence', '- kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: v\n'),
    ('quoted key over 1024 characters', "'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq': v\n"),
    ('anchor on a key without a colon', 'a: 1\n&x b\nc: 2\n'),
    ('alias key without a colon', 'a: &x 1\n*x\nc: 2\n'),
    ('block scalar as a mapping key', 'a: 1\n|\n x\n: 2\n'),
    ('explicit key then an under-indented value', '? a\n : b\n'),
    ('explicit key entry in a sequence then a dash', '- ? a\n  - b\n'),
    ('value indicator at the start of a line after a sequence', '- a\n: b\n'),
    ('CRLF line breaks with an over-indented key', 'a: 1\r\n  b: 2\r\n'),
    ('byte order mark inside the stream', 'a: 1\n\ufeffb: 2\n'),
    ('at sign after a dash', '- @x\n'),
    ('percent sign in a flow sequence', '[%x]\n'),
    ('flow mapping closed by a bracket in a sequence', '- {a: b]\n'),
    ('flow sequence entry mapping with two values', '[a: b: c]\n'),
    ('document start inside a flow mapping', '{a: 1,\n--- \nb: 2}\n'),
    ('document end inside a plain multi-line value', 'a: b\n...\n  c\n'),
    ('quoted scalar cut by a document start', 'a: "b\n--- c"\n'),
    ('single-quoted scalar at the end of the stream', "a: 'b"),
    ('double-quoted scalar with an escaped line break at the end', 'a: "b\\\n'),
    ('tag on an empty value then a sequence', 'a: !!str\n- b\n'),
    ('indentless sequence then an over-indented key', 'a:\n- b\n  c: d\n'),
    ('indentless sequence then a mapping value indicator', 'a:\n- b\n: c\n'),
    ('key after an indentless sequence at a lower indent', 'x:\n  a:\n  - b\n c: d\n'),
    ('empty flow sequence then text', 'a: [] b\n'),
    ('nested flow collection not closed', 'a: [b, {c: [d]\n'),
    ('tab after a flow sequence bracket then a block key', 'a: [b]\tc: d\n'),
    ('comment without a space after a value', 'a: b#c: d\n'),
    ('alias followed by a colon in block', 'a: &x b\n*x: c\n*x d\n'),
    ('question mark at the end of a flow sequence', '[a, ?\n'),
    ('directive inside a flow collection', '[a,\n%YAML 1.1\n]\n'),
    ('tag handle with a bad character', 'a: !e!x!y z\n'),
    ('verbatim tag with a space', 'a: !<tag:x y> z\n'),
    ('unicode escape with a space', 'a: "\\u00 1"\n'),
    ('single quotes with an escape-like backslash then text', "a: 'b\\' c'\n"),
    ('multi-line double-quoted key', '"a\nb": c\n'),
    ('multi-line plain key in block', 'a\nb: c\n'),
    ('block mapping inside a sequence with a tab before the key', '- a: 1\n \tb: 2\n'),
    ('tab before a dash under a key', 'a:\n \t- b\n'),
    ('colon in a flow mapping key followed by a bracket', '{a:[b]}\n'),
    ('dash then a value in a flow sequence', '[a, - b]\n'),
    ('stray quote after a flow sequence', "a: [b]'\n"),
    ("literal whose blank lines are deeper than its text", "v: |\n\n   \n  a\n"),
    ("folded whose first line is deeper than the next", "v: >\n   a\n  b\n"),
    ("flow sequence as a flow mapping key", "{[a]: b}\n"),
    ('merge tag as a key on a scalar', '!!merge x: 1\n'),
    ('unsafe merge', 'a: &a {x: 1}\nb:\n  !unsafe <<: *a\n'),
    ('alias to a merge key', 'a: &m <<\nb: &x {y: 1}\nc:\n  *m : *x\n'),
    ('set tag on a sequence', 'a: !!set [a]\n'),
    ('pairs on a mapping', 'a: !!pairs {b: 1}\n'),
    ('omap tag on a mapping', 'a: !!omap {b: 1}\n'),
    ('vault on a sequence', 'a: !vault [x]\n'),
    ('unsafe on the value key', 'a: !unsafe =\n'),
    ('str tag on a sequence', 'a: !!str [x]\n'),
    ('merge list item is a list', 'a: &a [1]\nb:\n  <<: [*a]\n'),
    ('tag with a two-byte URI escape', 'a: !e%C3%A9 x\n'),
    ('secondary handle redefined', '%TAG !! tag:example.com,2000:\n---\na: !!str 1\n'),
    ('anchor followed by an at sign', 'a: &x@ b\n'),
    ('empty key in a sequence entry', '- : a\n'),
    ('empty key at the top', ': a\n'),
    ('two empty documents', '---\n---\n'),
    ('tag followed by a closing bracket in flow', '[a, !!str]\n'),
    ('TAG directive prefix with a bad escape', '%TAG !e! tag:%ZZ\n---\na: 1\n'),
    ('TAG directive prefix with a bad leading octet', '%TAG !e! %FF\n---\na: 1\n'),
    ('TAG directive prefix with a bad trailing octet', '%TAG !e! x%E2%28%A1\n---\na: 1\n'),
    ('verbatim tag with a bad escape', 'a: !<x%G0> b\n'),
    ('anchor before a directive-like percent', 'a: &x% b\n'),
    ('alias then a backtick', 'a: &x 1\nb: *x`\n'),
    ('very deep flow mapping', '{a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: {a: }}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}\n'),
]

# Cases where kiln's message cannot say what libyaml says (position and/or
# problem text), with the reason. name -> {"reason", "problem", "line", "col"}.
EQUIVALENT: dict[str, dict] = {}


def mark(m) -> dict | None:
    return None if m is None else {"line": m.line + 1, "col": m.column + 1}


def record(text: str, load) -> dict:
    try:
        load(text)
    except yaml.MarkedYAMLError as e:
        return {
            "kind": "constructor" if isinstance(e, yaml.constructor.ConstructorError) else "syntax",
            "context": e.context,
            "context_mark": mark(e.context_mark) if e.context else None,
            "problem": e.problem,
            **mark(e.problem_mark),
        }
    except yaml.reader.ReaderError as e:
        # The reader (non-printable characters) gives a character offset only.
        before = text[: e.position]
        return {
            "kind": "reader",
            "context": None,
            "context_mark": None,
            "problem": f"unacceptable character #x{e.character:04x}: {e.reason}",
            "line": before.count("\n") + 1,
            "col": len(before) - (before.rfind("\n") + 1) + 1,
        }
    except Exception as e:  # noqa: BLE001 - an unmarked error is a corpus bug
        return {"unmarked": f"{type(e).__name__}: {e}"}
    return {"loaded": True}


# Well-formed snippets the fuzzer mutates along with the broken ones.
SEEDS: list[str] = [
    "- hosts: all\n  gather_facts: false\n  vars:\n    pkgs: [git, curl]\n    user: {name: bob, uid: 1001}\n"
    "  tasks:\n    - name: install\n      apt:\n        name: \"{{ item }}\"\n        state: present\n"
    "      loop: \"{{ pkgs }}\"\n    - shell: |\n        echo one\n        echo two\n      args:\n        chdir: /tmp\n"
    "    - debug: msg='it''s done'\n      when: x is defined\n",
    "all:\n  hosts:\n    web1:\n      ansible_host: 10.0.0.1\n  children:\n    db:\n      hosts:\n        db1: {}\n"
    "  vars:\n    ntp: &ntp [a.pool, b.pool]\n    backup_ntp: *ntp\n",
    "%YAML 1.1\n---\n# comment\nkey: >-\n  folded\n  text\nother: !!str 123\nlist:\n- a\n- b: c\n  d: e\n...\n",
    "? complex key\n: value\nseq: [1, [2, 3], {k: v}]\nempty:\nquoted: \"tab\\there \\u00e9\"\n",
]

# Characters the fuzzer inserts: YAML indicators, blanks and breaks.
INSERTS = [" ", "  ", "\t", ":", ": ", "-", "- ", "'", '"', "[", "]", "{", "}", ",", "#", "&", "*", "!",
           "|", ">", "?", "%", "@", "`", "\n", "\\", "...", "---", "\r\n", "&a ", "*a", "!!", "{{ x }}"]


def mutate(text: str, rng) -> str:
    for _ in range(rng.randint(1, 4)):
        lines = text.split("\n")
        op = rng.randrange(6)
        if op == 0 and text:
            i = rng.randrange(len(text))
            text = text[:i] + text[i + 1:]
        elif op == 1:
            i = rng.randrange(len(text) + 1)
            text = text[:i] + rng.choice(INSERTS) + text[i:]
        elif op == 2 and len(lines) > 1:
            i = rng.randrange(len(lines))
            lines[i] = rng.choice(["", " ", "  ", "   ", "\t"]) + lines[i]
            text = "\n".join(lines)
        elif op == 3 and len(lines) > 1:
            i = rng.randrange(len(lines))
            lines[i] = lines[i][rng.randint(1, 2):] if lines[i].startswith(" ") else lines[i]
            text = "\n".join(lines)
        elif op == 4 and len(lines) > 2:
            i = rng.randrange(len(lines) - 1)
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
            text = "\n".join(lines)
        elif op == 5 and text.endswith("\n"):
            text = text[:-1]
    return text


def fuzz(count: int, seed: int, out: pathlib.Path) -> int:
    """Writes `count` mutated snippets with what Ansible's loader did with each."""
    import random

    rng = random.Random(seed)
    repo = OUT.parent.parent.parent
    files = sorted(repo.glob("tests/playbooks/*.yml")) + sorted(repo.glob("tests/inventory_corpus/**/*.yml"))
    bases = SEEDS + [t for _, t in CASES] + [f.read_text() for f in files]
    cases = []
    for n in range(count):
        text = mutate(rng.choice(bases), rng)
        got = record(text, lambda t: yaml.load(t, Loader=AnsibleLoader))
        cases.append({"name": f"fuzz {n}", "yaml": text, "ansible": got})
    out.write_text(json.dumps({"cases": cases}, ensure_ascii=False) + "\n")
    print(f"{count} fuzzed cases -> {out}")
    return 0


def main() -> int:
    if "--fuzz" in sys.argv:
        # Development aid: `--fuzz N OUT [SEED]`, checked by the ignored test
        # `fuzzed_yaml_matches_ansible` (KILN_YAML_FUZZ=OUT).
        i = sys.argv.index("--fuzz")
        seed = int(sys.argv[i + 3]) if len(sys.argv) > i + 3 else 1
        return fuzz(int(sys.argv[i + 1]), seed, pathlib.Path(sys.argv[i + 2]))
    if not HAS_LIBYAML:
        print("libyaml is not available: Ansible would use the pure-Python parser", file=sys.stderr)
        return 1
    names = [n for n, _ in CASES]
    dupes = {n for n in names if names.count(n) > 1}
    unknown = set(EQUIVALENT) - set(names)
    if dupes or unknown:
        print(f"duplicate names {dupes}, EQUIVALENT names without a case {unknown}", file=sys.stderr)
        return 1
    cases = []
    bad = []
    for name, text in CASES:
        ansible = record(text, lambda t: yaml.load(t, Loader=AnsibleLoader))
        if "problem" not in ansible:
            bad.append((name, ansible))
        case = {
            "name": name,
            "yaml": text,
            "ansible": ansible,
            "pyyaml": record(text, lambda t: yaml.load(t, Loader=yaml.SafeLoader)),
        }
        if name in EQUIVALENT:
            case["equivalent"] = EQUIVALENT[name]
        cases.append(case)
    if bad:
        for name, got in bad:
            print(f"{name}: not a marked YAML error in Ansible: {got}", file=sys.stderr)
        return 1
    doc = {
        "about": "Where ansible-core's YAML loader (libyaml via PyYAML's CParser) reports errors; "
        "'pyyaml' is PyYAML's pure-Python SafeLoader for reference. "
        "Written by tests/oracle/record_yaml_errors.py.",
        "pyyaml_version": yaml.__version__,
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
