// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The checker against positions and problems recorded from ansible-core
//! 2.21's loader (PyYAML 6.0.4 on libyaml, /work/ansible-venv); the full
//! corpus is tests/yaml_errors.rs.

use super::*;

fn first_error(text: &str, single: bool) -> Option<((usize, usize), &'static str)> {
    check(text, single)
        .1
        .map(|e| (e.mark.line_col(), e.problem))
}

#[test]
fn valid_streams_pass() {
    for text in [
        "",
        "a: 1\n",
        "- hosts: all\n  tasks:\n    - debug: msg=hi\n",
        "a: [1, {b: c}, 'd', \"e\\x41\"]\n",
        "k: |\n  line\n   more\nn: >-\n  folded\n",
        "%YAML 1.1\n%TAG !e! tag:e.com,2000:\n--- !e!x &a\nb: *a\n",
        "[a:b, ? c : d, ?]\n",
        "a:\tb\n",
        "---\na\n...\n---\nb\n",
    ] {
        let all = check(text, false);
        assert_eq!(all.1, None, "{text:?}");
    }
    assert_eq!(check("---\na\n---\nb\n", false).0.documents.len(), 2);
}

#[test]
fn errors_point_where_libyaml_does() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        (
            "- hosts: all\n  tasks:\n   - command: x\n  - debug: msg=y\n",
            (4, 3),
            "did not find expected key",
        ),
        (
            "- hosts: all\n\tgather_facts: false\n",
            (2, 1),
            "found a tab character that violates indentation",
        ),
        ("a: [1, 2", (2, 1), "did not find expected ',' or ']'"),
        ("[? : x]", (1, 6), "did not find expected ',' or ']'"),
        ("[a:?]", (1, 3), "found unexpected ':'"),
        ("%FOO bar\n---\na", (1, 5), "found unknown directive name"),
        (
            "%YAML 1.3\n---\na",
            (1, 1),
            "found incompatible YAML document",
        ),
        ("a: !!  x", (1, 6), "did not find expected tag URI"),
        ("a: !e!%zz x", (1, 7), "did not find URI escaped octet"),
        (
            "a: b: c\n",
            (1, 5),
            "mapping values are not allowed in this context",
        ),
    ];
    for (text, at, problem) in cases {
        assert_eq!(first_error(text, true), Some((*at, *problem)), "{text:?}");
    }
}

#[test]
fn composer_checks() {
    assert_eq!(
        first_error("a: &x 1\nb: &x 2\n", false),
        Some(((2, 4), SECOND_OCCURRENCE))
    );
    assert_eq!(
        first_error("a: 1\nb: *nope\n", false),
        Some(((2, 4), UNDEFINED_ALIAS))
    );
    // Anchors are per document, and `yaml.load` wants one document.
    assert_eq!(
        first_error("a: &x 1\n---\nb: *x\n", false),
        Some(((3, 4), UNDEFINED_ALIAS))
    );
    assert_eq!(
        first_error("a: &x 1\n---\nb: *x\n", true),
        Some(((2, 1), ANOTHER_DOCUMENT))
    );
    let (outline, e) = check("a\n---\nb: *x\n", false);
    assert_eq!(e.map(|e| e.document), Some(1));
    assert_eq!(outline.document_at(3, 4), 1);
    assert_eq!(outline.document_at(1, 1), 0);
}

#[test]
fn nesting_is_bounded_like_libyaml() {
    let deep = "[".repeat(1100);
    assert_eq!(
        first_error(&deep, true),
        Some(((1, 1001), "exceeded maximum nesting depth"))
    );
    let block: String = (0..1100)
        .map(|i| format!("{}- \n", "  ".repeat(i)))
        .collect();
    assert_eq!(
        first_error(&block, true),
        Some(((1000, 1999), "exceeded maximum nesting depth"))
    );
}

#[test]
fn messages_carry_context() {
    let e = check("a:\n  b: 1\n c: 2\n", true).1;
    let m = e.map(|e| e.message()).unwrap_or_default();
    assert_eq!(
        m,
        "while parsing a block mapping (started at line 1, column 1): did not find expected key"
    );
}
