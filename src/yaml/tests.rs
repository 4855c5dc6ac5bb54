// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Loader tests. Expected values in the tables were recorded by loading the
//! same text with PyYAML 6.0 (6.0.4, libyaml) through ansible-core 2.21's
//! `AnsibleLoader` (/work/ansible-venv), not computed by kiln.

use super::*;
use crate::span::Span;

fn load(src: &str) -> Loaded {
    match load_str(src, "t.yml") {
        Ok(l) => l,
        Err(e) => panic!("unexpected error for {src:?}:\n{e}"),
    }
}

fn doc(src: &str) -> Node {
    let mut l = load(src);
    assert_eq!(l.docs.len(), 1, "{src:?}");
    l.docs.remove(0)
}

fn err(src: &str) -> YamlError {
    match load_str(src, "t.yml") {
        Ok(l) => panic!("expected an error for {src:?}, got {:?}", l.docs),
        Err(e) => e,
    }
}

fn json(src: &str) -> serde_json::Value {
    doc(src).to_json()
}

fn at(node: &Node) -> (u32, u32) {
    (node.span.line, node.span.col)
}

/// What PyYAML gave for `v: <text>`.
#[derive(Debug)]
enum E {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Nan,
    Str(&'static str),
    Err,
}

#[test]
fn plain_scalar_resolution_matches_pyyaml() {
    // Recorded from PyYAML 6.0 / ansible-core 2.21 (AnsibleLoader); dates are
    // Python's str() of the date/datetime it builds.
    let table: &[(&str, E)] = &[
        ("yes", E::Bool(true)),
        ("Yes", E::Bool(true)),
        ("YES", E::Bool(true)),
        ("yEs", E::Str("yEs")),
        ("no", E::Bool(false)),
        ("No", E::Bool(false)),
        ("NO", E::Bool(false)),
        ("true", E::Bool(true)),
        ("True", E::Bool(true)),
        ("TRUE", E::Bool(true)),
        ("tRue", E::Str("tRue")),
        ("false", E::Bool(false)),
        ("False", E::Bool(false)),
        ("FALSE", E::Bool(false)),
        ("on", E::Bool(true)),
        ("On", E::Bool(true)),
        ("ON", E::Bool(true)),
        ("off", E::Bool(false)),
        ("Off", E::Bool(false)),
        ("OFF", E::Bool(false)),
        ("y", E::Str("y")),
        ("Y", E::Str("Y")),
        ("n", E::Str("n")),
        ("N", E::Str("N")),
        ("~", E::Null),
        ("null", E::Null),
        ("Null", E::Null),
        ("NULL", E::Null),
        ("nULL", E::Str("nULL")),
        ("", E::Null),
        ("0", E::Int(0)),
        ("-0", E::Int(0)),
        ("+0", E::Int(0)),
        ("00", E::Int(0)),
        ("007", E::Int(7)),
        ("0644", E::Int(420)),
        ("-0644", E::Int(-420)),
        ("08", E::Str("08")),
        ("0_8", E::Str("0_8")),
        ("0_7", E::Int(7)),
        ("1_000", E::Int(1000)),
        ("+12", E::Int(12)),
        ("-12", E::Int(-12)),
        ("0b101", E::Int(5)),
        ("-0b101", E::Int(-5)),
        ("0B101", E::Str("0B101")),
        ("0x1F", E::Int(31)),
        ("0X1F", E::Str("0X1F")),
        ("-0x1f", E::Int(-31)),
        ("0xff_ff", E::Int(65535)),
        ("0o17", E::Str("0o17")),
        ("190:20:30", E::Int(685230)),
        ("-190:20:30", E::Int(-685230)),
        ("1:60", E::Str("1:60")),
        ("1:59", E::Int(119)),
        ("1.5", E::Float(1.5)),
        ("-1.5", E::Float(-1.5)),
        ("+1.5", E::Float(1.5)),
        ("1.", E::Float(1.0)),
        ("0.", E::Float(0.0)),
        (".5", E::Float(0.5)),
        ("-.5", E::Str("-.5")),
        ("+.5", E::Str("+.5")),
        ("._", E::Str("._")),
        ("1e3", E::Str("1e3")),
        ("1E3", E::Str("1E3")),
        ("1.0e3", E::Str("1.0e3")),
        ("1.0e+3", E::Float(1000.0)),
        ("1.0E-3", E::Float(0.001)),
        ("1.e+3", E::Float(1000.0)),
        ("6.8523015e+5", E::Float(685230.15)),
        ("685.230_15e+03", E::Float(685230.15)),
        ("685_230.15", E::Float(685230.15)),
        ("190:20:30.15", E::Float(685230.15)),
        ("1:30.5", E::Float(90.5)),
        ("-1:30.5", E::Float(-90.5)),
        (".inf", E::Float(f64::INFINITY)),
        ("-.inf", E::Float(f64::NEG_INFINITY)),
        ("+.inf", E::Float(f64::INFINITY)),
        (".Inf", E::Float(f64::INFINITY)),
        ("-.Inf", E::Float(f64::NEG_INFINITY)),
        (".INF", E::Float(f64::INFINITY)),
        (".iNf", E::Str(".iNf")),
        (".nan", E::Nan),
        (".NaN", E::Nan),
        (".NAN", E::Nan),
        ("-.nan", E::Str("-.nan")),
        ("inf", E::Str("inf")),
        ("nan", E::Str("nan")),
        ("1.2.3", E::Str("1.2.3")),
        ("1_000.5_5", E::Float(1000.55)),
        ("9223372036854775807", E::Int(9223372036854775807)),
        ("-9223372036854775808", E::Int(-9223372036854775808)),
        ("9223372036854775808", E::Str("9223372036854775808")),
        ("12345678901234567890", E::Str("12345678901234567890")),
        ("0x8000000000000000", E::Str("9223372036854775808")),
        ("2001-12-14", E::Str("2001-12-14")),
        (
            "2001-12-14t21:59:43.10-05:00",
            E::Str("2001-12-14 21:59:43.100000-05:00"),
        ),
        (
            "2001-12-14 21:59:43.10",
            E::Str("2001-12-14 21:59:43.100000"),
        ),
        ("2001-12-14T21:59:43Z", E::Str("2001-12-14 21:59:43+00:00")),
        ("2001-1-4 1:02:03", E::Str("2001-01-04 01:02:03")),
        (
            "2001-01-04 01:02:03.1234567 -5",
            E::Str("2001-01-04 01:02:03.123456-05:00"),
        ),
        ("2001-12-1", E::Str("2001-12-1")),
        ("20011214", E::Int(20011214)),
        ("2001-12-14 21:59", E::Str("2001-12-14 21:59")),
        (
            "2001-12-14  21:59:43 +05:30",
            E::Str("2001-12-14 21:59:43+05:30"),
        ),
        ("<<x", E::Str("<<x")),
        ("=x", E::Str("=x")),
        ("~x", E::Str("~x")),
        ("nullx", E::Str("nullx")),
        ("1,000", E::Str("1,000")),
        ("$5", E::Str("$5")),
        ("-", E::Err),
        ("+", E::Str("+")),
        ("0x", E::Str("0x")),
        ("12:30:", E::Err),
        ("1__", E::Int(1)),
        ("_1", E::Str("_1")),
        ("0b", E::Str("0b")),
        ("1:2:3:4", E::Int(223384)),
        ("1:2.5", E::Float(62.5)),
        ("10.0.0.1", E::Str("10.0.0.1")),
        ("1.10", E::Float(1.1)),
        ("1.1.0", E::Str("1.1.0")),
        ("08080", E::Str("08080")),
        ("0755", E::Int(493)),
        ("755", E::Int(755)),
        ("0b1_0", E::Int(2)),
        ("12e03", E::Str("12e03")),
        ("0o644", E::Str("0o644")),
        ("0b_", E::Err),
        ("0x_", E::Err),
        ("2001-13-45", E::Err),
        ("2002-02-29", E::Err),
    ];
    for (text, want) in table {
        let src = if text.is_empty() {
            "v:".to_string()
        } else {
            format!("v: {text}")
        };
        let got = match load_str(&src, "t.yml") {
            Ok(l) => l.docs[0].get("v").map(|n| n.kind.clone()),
            Err(_) => None,
        };
        let ok = match (want, &got) {
            (E::Null, Some(NodeKind::Null)) => true,
            (E::Bool(b), Some(NodeKind::Bool(g))) => b == g,
            (E::Int(i), Some(NodeKind::Int(g))) => i == g,
            (E::Float(f), Some(NodeKind::Float(g))) => f.to_bits() == g.to_bits(),
            (E::Nan, Some(NodeKind::Float(g))) => g.is_nan(),
            (E::Str(s), Some(NodeKind::Str(g))) => s == g,
            (E::Err, None) => true,
            _ => false,
        };
        assert!(ok, "{text:?}: PyYAML gives {want:?}, kiln gives {got:?}");
    }
}

#[test]
fn resolve_plain_is_the_same_resolver() {
    assert_eq!(resolve_plain("0644"), NodeKind::Int(420));
    assert_eq!(resolve_plain("Off"), NodeKind::Bool(false));
    assert_eq!(resolve_plain("1e3"), NodeKind::Str("1e3".into()));
    assert_eq!(resolve_plain(""), NodeKind::Null);
}

#[test]
fn only_plain_scalars_are_resolved() {
    for src in [
        "v: 'yes'",
        "v: \"0644\"",
        "v: |-\n  yes",
        "v: >-\n  123",
        "v: '~'",
        "v: \"\"",
    ] {
        let v = doc(src);
        let v = v.get("v").map(|n| n.kind.clone());
        assert!(matches!(v, Some(NodeKind::Str(_))), "{src}: {v:?}");
    }
    let d = doc("a: 'x'\nb: \"y\"\nc: |\n  z\nd: >\n  w\ne: v");
    let styles: Vec<ScalarStyle> = ["a", "b", "c", "d", "e"]
        .iter()
        .filter_map(|k| d.get(k).map(|n| n.style))
        .collect();
    assert_eq!(
        styles,
        [
            ScalarStyle::SingleQuoted,
            ScalarStyle::DoubleQuoted,
            ScalarStyle::Literal,
            ScalarStyle::Folded,
            ScalarStyle::Plain
        ]
    );
}

#[test]
fn explicit_standard_tags() {
    // Recorded from PyYAML 6.0 / ansible-core 2.21.
    assert_eq!(json("!!int \"12\""), serde_json::json!(12));
    assert_eq!(json("!!int 0o17"), serde_json::json!(15));
    assert_eq!(json("!!int 12:30"), serde_json::json!(750));
    assert_eq!(json("!!str 12"), serde_json::json!("12"));
    assert_eq!(json("!!float 1"), serde_json::json!(1.0));
    assert_eq!(json("!!float \"1e3\""), serde_json::json!(1000.0));
    assert_eq!(json("!!bool yes"), serde_json::json!(true));
    assert_eq!(json("!!bool TrUe"), serde_json::json!(true));
    assert_eq!(json("!!null \"\""), serde_json::json!(null));
    assert_eq!(json("!!null foo"), serde_json::json!(null));
    assert_eq!(json("!!str"), serde_json::json!(""));
    assert_eq!(json("!!map {a: 1}"), serde_json::json!({"a": 1}));
    assert_eq!(json("!!seq [1]"), serde_json::json!([1]));
    assert_eq!(
        json("!!timestamp 2001-01-01"),
        serde_json::json!("2001-01-01")
    );
    assert_eq!(json("!!binary aGVsbG8="), serde_json::json!("hello"));
    assert_eq!(json("!!python/dict {a: 1}"), serde_json::json!({"a": 1}));
    assert_eq!(json("!!python/unicode 12"), serde_json::json!("12"));
    // The non-specific tag `!` resolves like a plain scalar, whatever the style.
    assert_eq!(json("v: ! \"123\""), serde_json::json!({"v": 123}));
    assert_eq!(json("v: ! yes"), serde_json::json!({"v": true}));
    assert_eq!(json("v: !"), serde_json::json!({"v": ""}));
    let n = doc("!!str 12");
    assert_eq!(n.tag, Some(Tag::Other("tag:yaml.org,2002:str".into())));
    // Failures PyYAML also has (KeyError, ValueError, ConstructorError).
    for src in [
        "!!bool y",
        "!!int foo",
        "!!int 1.5",
        "!!int",
        "!!float abc",
        "!!str {a: 1}",
        "!!map x",
        "!!seq {a: 1}",
        "!!timestamp foo",
        "!!python/tuple [1]",
        "!!merge x",
        "x: <<",
        "x: =",
    ] {
        err(src);
    }
    assert_eq!(
        err("!!map x").message,
        "expected a mapping node, but found scalar"
    );
}

#[test]
fn deprecated_collection_tags() {
    // Recorded: !!omap gives a list of tuples; !!set a set of its keys.
    let l = load("!!omap [a: 1, b: 2]");
    assert_eq!(l.docs[0].to_json(), serde_json::json!([["a", 1], ["b", 2]]));
    assert!(l.warnings[0].message.contains("`!!omap` tag is deprecated"));
    assert_eq!(json("!!set {a, b}"), serde_json::json!(["a", "b"]));
    assert!(
        err("!!omap [{a: 1, b: 2}]")
            .message
            .contains("found 2 items")
    );
}

#[test]
fn unsafe_and_vault_tags_stay_on_the_node() {
    let d = doc(
        "a: !unsafe '{{ lookup(\"x\") }}'\nb: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\nc: !unsafe [1, x]",
    );
    let a = d
        .get("a")
        .cloned()
        .unwrap_or_else(|| Node::str("", Span::synthetic("")));
    assert_eq!(a.tag, Some(Tag::Unsafe));
    assert!(a.is_unsafe());
    assert_eq!(a.as_str(), Some("{{ lookup(\"x\") }}"));
    let b = d
        .get("b")
        .cloned()
        .unwrap_or_else(|| Node::str("", Span::synthetic("")));
    assert_eq!(b.tag, Some(Tag::Vault));
    assert_eq!(b.as_str(), Some("$ANSIBLE_VAULT;1.1;AES256\n6162\n"));
    assert_eq!(d.get("c").map(|c| c.tag.clone()), Some(Some(Tag::Unsafe)));
    // Ansible re-resolves the text of an !unsafe scalar as if it were plain
    // (recorded: `!unsafe "123"` is the int 123, `!unsafe ""` is None).
    assert_eq!(json("x: !unsafe \"123\""), serde_json::json!({"x": 123}));
    assert_eq!(json("x: !unsafe yes"), serde_json::json!({"x": true}));
    assert_eq!(json("x: !unsafe ''"), serde_json::json!({"x": null}));
    // !vault needs a string (recorded error text).
    assert_eq!(
        err("!vault 12").message,
        "the '!vault' tag requires a string value"
    );
    let l = load("!vault-encrypted abc");
    assert_eq!(l.docs[0].tag, Some(Tag::Vault));
    assert_eq!(l.warnings.len(), 1);
}

#[test]
fn unknown_tags_are_errors_like_in_ansible() {
    let e = err("a: 1\nb: !foo bar");
    assert_eq!(
        e.message,
        "could not determine a constructor for the tag '!foo'"
    );
    assert_eq!((e.span.line, e.span.col), (2, 4));
    let e = err("%TAG !e! tag:example.com,2000:\n--- !e!foo a");
    assert!(
        e.message.contains("'tag:example.com,2000:foo'"),
        "{}",
        e.message
    );
}

#[test]
fn anchors_and_aliases() {
    let d = doc("a: &x [1, {b: 2}]\nc: *x\nd: &s !!str 5\ne: *s");
    assert_eq!(d.get("c"), d.get("a"));
    assert_eq!(d.to_json()["e"], serde_json::json!("5"));
    // An undefined alias is an error at the alias.
    let e = err("a: 1\nb: *nope");
    assert_eq!((e.span.line, e.span.col), (2, 4));
    assert!(
        e.message.contains("undefined alias '*nope'"),
        "{}",
        e.message
    );
    // Anchors do not cross documents.
    let e = err("--- &a 1\n--- *a\n");
    assert!(e.message.contains("undefined alias"), "{}", e.message);
    // PyYAML refuses a name used twice in one document.
    let e = err("[&a 1, &a 2, *a]");
    assert!(e.message.contains("duplicate anchor '&a'"), "{}", e.message);
    assert_eq!(load("--- &a 1\n--- &a 2\n").docs.len(), 2);
    // Recursive data cannot be a tree.
    let e = err("&a [*a]");
    assert!(e.message.contains("recursive alias"), "{}", e.message);
    // libyaml's anchor names are ASCII letters, digits, '-' and '_'
    // (recorded: 1:5, "did not find expected alphabetic or numeric character").
    let e = err("- &a.b x");
    assert_eq!(at_span(&e.span), (1, 5));
    assert!(
        e.message
            .contains("did not find expected alphabetic or numeric character"),
        "{}",
        e.message
    );
    assert_eq!(json("- &a-b_c x\n- *a-b_c"), serde_json::json!(["x", "x"]));
}

#[test]
fn alias_bombs_are_refused() {
    let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        src.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    assert!(err(&src).message.contains("expand to more than"));
}

#[test]
fn merge_keys() {
    let d = json("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n  z: 4");
    assert_eq!(d["d"], serde_json::json!({"x": 1, "y": 3, "z": 4}));
    // Recorded (PyYAML 6.0): merged keys come first, explicit keys win.
    assert_eq!(
        json("a: 1\n<<: {a: 2, b: 2}"),
        serde_json::json!({"a": 1, "b": 2})
    );
    assert_eq!(
        json("<<: [{a: 1}, {<<: {b: 2}}]"),
        serde_json::json!({"a": 1, "b": 2})
    );
    // Earlier maps of a merge list win (YAML merge spec; PyYAML before the
    // 6.0.4 regression yaml/pyyaml#953, and 6.0.4 for one-letter keys).
    let d = json("- &A {name: a1, x: 1}\n- &B {name: b1, x: 2, y: 3}\n- <<: [*A, *B]\n  own: 1");
    assert_eq!(
        d[2],
        serde_json::json!({"name": "a1", "x": 1, "y": 3, "own": 1})
    );
    // Only a plain `<<` merges.
    assert_eq!(json("\"<<\": {a: 1}"), serde_json::json!({"<<": {"a": 1}}));
    assert_eq!(json("!!merge <<: {a: 1}"), serde_json::json!({"a": 1}));
    assert_eq!(json("! <<: {a: 1}"), serde_json::json!({"a": 1}));
    // Recorded error texts.
    let e = err("<<: 3");
    assert!(
        e.message
            .ends_with("expected a mapping or list of mappings for merging, but found scalar")
    );
    assert_eq!((e.span.line, e.span.col), (1, 5));
    let e = err("<<: [3]");
    assert!(
        e.message
            .ends_with("expected a mapping for merging, but found scalar")
    );
    assert_eq!((e.span.line, e.span.col), (1, 6));
}

#[test]
fn duplicate_keys_keep_the_last_value_at_the_first_place() {
    let l = load("a: 1\nb: 2\na: 3\nc: 4\na: 5");
    assert_eq!(
        l.docs[0].to_json(),
        serde_json::json!({"a": 5, "b": 2, "c": 4})
    );
    let keys: Vec<(u32, u32)> = l.docs[0]
        .as_map()
        .unwrap_or(&[])
        .iter()
        .map(|(k, _)| at(k))
        .collect();
    assert_eq!(keys, [(1, 1), (2, 1), (4, 1)]);
    // Ansible: "Found duplicate mapping key 'a'." ... "Using last defined value only."
    // with the origin of the repeated key.
    let w: Vec<String> = l.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        [
            "t.yml:3:1: Found duplicate mapping key 'a'. Using last defined value only.",
            "t.yml:5:1: Found duplicate mapping key 'a'. Using last defined value only.",
        ]
    );
    // Python key equality: 1 == True == 1.0 (recorded: {1: 'c'}).
    let l = load("1: a\nTrue: b\n1.0: c");
    assert_eq!(l.docs[0].to_json(), serde_json::json!({"1": "c"}));
    assert_eq!(l.warnings.len(), 2);
    assert!(l.warnings[0].message.contains("key True."));
    // An explicit key overriding a merged one is reported too (as Ansible does).
    let l = load("<<: {a: 2, b: 2}\na: 1");
    assert_eq!(l.warnings.len(), 1);
    assert_eq!(at_span(&l.warnings[0].span), (2, 1));
    // Unhashable keys are errors (recorded: "found unhashable key").
    assert!(err("? [a]\n: 1").message.contains("unhashable key"));
}

fn at_span(s: &Span) -> (u32, u32) {
    (s.line, s.col)
}

#[test]
fn spans_are_where_values_start() {
    let d = doc(
        "top:\n  key: value\n  list:\n    - a\n    - &x {b: 1}\n  flow: [1, \"two\"]\n  tagged: !!str 3\n",
    );
    assert_eq!(at(&d), (1, 1));
    let top = d
        .get("top")
        .cloned()
        .unwrap_or_else(|| Node::str("", Span::synthetic("")));
    assert_eq!(at(&top), (2, 3));
    assert_eq!(top.get("key").map(at), Some((2, 8)));
    let list = top
        .get("list")
        .cloned()
        .unwrap_or_else(|| Node::str("", Span::synthetic("")));
    assert_eq!(at(&list), (4, 5));
    let items = list.as_seq().unwrap_or(&[]).to_vec();
    assert_eq!(items.iter().map(at).collect::<Vec<_>>(), [(4, 7), (5, 7)]);
    assert_eq!(items[1].get("b").map(at), Some((5, 14)));
    let flow = top
        .get("flow")
        .cloned()
        .unwrap_or_else(|| Node::str("", Span::synthetic("")));
    assert_eq!(at(&flow), (6, 9));
    assert_eq!(
        flow.as_seq().map(|s| s.iter().map(at).collect::<Vec<_>>()),
        Some(vec![(6, 10), (6, 13)])
    );
    assert_eq!(top.get("tagged").map(at), Some((7, 11)));
    // Keys have spans too, and the file name is kept.
    let (k, _) = &top.as_map().unwrap_or(&[])[0];
    assert_eq!(k.span.to_string(), "t.yml:2:3");
    // Columns count characters, not bytes.
    assert_eq!(
        doc("é: [ü, x]")
            .get("é")
            .and_then(|v| v.as_seq())
            .map(|s| at(&s[1])),
        Some((1, 8))
    );
}

#[test]
fn documents() {
    assert_eq!(load("").docs.len(), 0);
    assert_eq!(load("# only a comment\n").docs.len(), 0);
    let l = load("---\n");
    assert_eq!(l.docs.len(), 1);
    assert!(l.docs[0].is_null());
    let l = load("a: 1\n---\n- b\n...\n--- x\n---\n");
    assert_eq!(
        l.docs.iter().map(Node::to_json).collect::<Vec<_>>(),
        [
            serde_json::json!({"a": 1}),
            serde_json::json!(["b"]),
            serde_json::json!("x"),
            serde_json::json!(null)
        ]
    );
    assert_eq!(l.docs[1].span.line, 3);
}

#[test]
fn syntax_errors_have_position_excerpt_and_hint() {
    let e = err("a: 1\nb: [1, 2\n");
    assert!(e.span.line >= 2, "{e}");
    let e = err("a:\n\tb: 1\n");
    assert_eq!(e.span.line, 2);
    assert!(e.excerpt.contains("2 | \tb: 1"), "{e}");
    assert!(
        e.hint
            .as_deref()
            .unwrap_or("")
            .contains("tabs for indentation"),
        "{e}"
    );
    // Ansible's hint for an unquoted template (the YAML is a dict as a key).
    let e = err("- debug:\n    msg: {{ x }}\n");
    assert_eq!(e.span.line, 2);
    assert!(
        e.hint.as_deref().unwrap_or("").contains("must be quoted"),
        "{e}"
    );
    // Ansible's hint for a `: ` inside an unquoted value.
    let e = err("- name: x\n  msg: echo name: ansible\n");
    assert_eq!(e.span.line, 2);
    assert!(e.hint.as_deref().unwrap_or("").contains("column 17"), "{e}");
    let text = e.to_string();
    assert!(text.starts_with("t.yml:2:"), "{text}");
    assert!(text.contains("^"), "{text}");
    assert!(text.contains("hint: "), "{text}");
    // Control characters are refused as PyYAML's reader does (recorded text).
    let e = err("a: \u{1}");
    assert_eq!(
        e.message,
        "unacceptable character #x0001: control characters are not allowed"
    );
    assert_eq!(at_span(&e.span), (1, 4));
    // libyaml rejects an empty implicit key; an explicit `?` key may be empty.
    assert!(
        err("a: 1\n: 2")
            .message
            .contains("did not find expected key")
    );
    assert_eq!(json("?\n: 2"), serde_json::json!({"None": 2}));
    assert!(err("%YAML 2.0\n--- a").message.contains("incompatible"));
}

#[test]
fn errors_come_in_ansibles_order() {
    // Recorded with ansible-core 2.21's AnsibleLoader: `yaml.load_all`
    // constructs each document before reading the next one; `yaml.load`
    // first checks that there is no second document; a syntax error in the
    // document being constructed comes first.
    let all = |src: &str| {
        let e = err(src);
        (e.span.line, e.span.col, e.message)
    };
    let single = |src: &str| match load_single_str(src, "t.yml") {
        Ok(l) => panic!("expected an error for {src:?}, got {:?}", l.docs),
        Err(e) => (e.span.line, e.span.col, e.message),
    };
    let (l, c, m) = all("a: !foo x\n---\nb: [\n");
    assert_eq!((l, c), (1, 4));
    assert!(
        m.contains("could not determine a constructor for the tag '!foo'"),
        "{m}"
    );
    let (l, c, m) = single("a: !foo x\n---\nb: [\n");
    assert_eq!((l, c), (2, 1));
    assert!(m.contains("but found another document"), "{m}");
    let src = "a: !foo x\nb: [\n";
    let (l, c, m) = all(src);
    assert_eq!((l, c), (3, 1));
    assert!(m.contains("did not find expected node content"), "{m}");
    assert_eq!(single(src), (l, c, m));
    let (l, c, m) = all("- {{ x }}\n---\n- ]\n");
    assert_eq!((l, c), (1, 4));
    assert!(m.contains("found unhashable key"), "{m}");
    assert!(load_single_str("- a\n", "t.yml").is_ok());
    assert!(load_single_str("", "t.yml").is_ok_and(|l| l.docs.is_empty()));
}

#[test]
fn libyaml_leniencies_are_kept() {
    // Recorded from PyYAML 6.0 (libyaml): a tab after `key:`, flow content
    // and quoted continuation lines indented no deeper than their key.
    assert_eq!(json("a:\tb"), serde_json::json!({"a": "b"}));
    assert_eq!(
        json("a:\n  foo: [\n  1, 2]\n"),
        serde_json::json!({"a": {"foo": [1, 2]}})
    );
    assert_eq!(json("key: [\n1]"), serde_json::json!({"key": [1]}));
    assert_eq!(json("- [\n1]"), serde_json::json!([[1]]));
    assert_eq!(
        json("- name: x\n  shell: \"echo a\nb\"\n"),
        serde_json::json!([{"name": "x", "shell": "echo a b"}])
    );
    assert_eq!(
        json("a:\n  foo: 'x\n\n  y'\n"),
        serde_json::json!({"a": {"foo": "x\ny"}})
    );
    assert_eq!(
        json("a:\n  b: {x: [\n1], y: \"p\nq\"}\n"),
        serde_json::json!({"a": {"b": {"x": [1], "y": "p q"}}})
    );
    // The repairs do not move reported positions.
    let d = doc("k:\n  a:\tb\n  f: [\n 1,\n  two]\n");
    let k = d
        .get("k")
        .cloned()
        .unwrap_or_else(|| Node::str("", Span::synthetic("")));
    assert_eq!(k.get("a").map(at), Some((2, 6)));
    let f = k
        .get("f")
        .and_then(|f| f.as_seq())
        .map(|s| s.iter().map(at).collect::<Vec<_>>());
    assert_eq!(f, Some(vec![(4, 2), (5, 3)]));
}

#[test]
fn nesting_is_limited() {
    // libyaml stops at 1000 levels; saphyr-parser already at 255 flow levels.
    let ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert_eq!(load(&ok).docs.len(), 1);
    let deep = format!("{}{}", "[".repeat(1001), "]".repeat(1001));
    err(&deep);
    let ok_block: String = (0..900)
        .map(|i| format!("{}a:\n", "  ".repeat(i)))
        .collect();
    assert_eq!(load(&ok_block).docs.len(), 1);
    let deep_block: String = (0..1100)
        .map(|i| format!("{}a:\n", "  ".repeat(i)))
        .collect();
    assert!(err(&deep_block).message.contains("maximum nesting depth"));
}

#[test]
fn load_file_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("kiln-yaml-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let missing = dir.join("missing.yml");
    let e = load_file(&missing)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with(&missing.display().to_string()), "{e}");
    assert!(e.contains("cannot read"), "{e}");

    let bad = dir.join("latin1.yml");
    let _ = std::fs::write(&bad, b"a: 1\nb: caf\xe9\n");
    let e = load_file(&bad).err();
    assert_eq!(e.as_ref().map(|e| (e.span.line, e.span.col)), Some((2, 7)));
    assert!(
        e.map(|e| e.message)
            .unwrap_or_default()
            .contains("not valid UTF-8")
    );

    let utf16 = dir.join("utf16.yml");
    let _ = std::fs::write(&utf16, b"\xff\xfea\x00:\x00");
    let hint = load_file(&utf16)
        .err()
        .and_then(|e| e.hint)
        .unwrap_or_default();
    assert!(hint.contains("UTF-16"), "{hint}");

    // A UTF-8 byte order mark at the start is dropped, as PyYAML does.
    let bom = dir.join("bom.yml");
    let _ = std::fs::write(&bom, "\u{feff}a: 1\n");
    let l = load_file(&bom)
        .map(|l| l.docs[0].to_json())
        .map_err(|e| e.to_string());
    assert_eq!(l, Ok(serde_json::json!({"a": 1})));
    let l = load_file(&bom)
        .map(|l| at(&l.docs[0]))
        .map_err(|e| e.to_string());
    assert_eq!(l, Ok((1, 1)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn to_json_matches_ansible() {
    // json.dumps of what AnsibleLoader returns (keys str()-ed, date str()-ed),
    // recorded from ansible-core 2.21.
    let src = "base: &base\n  user: root\n  port: 22\n  opts: [a, b]\nhosts:\n  web1:\n    <<: *base\n    port: 2222\n    mode: 0644\n    enabled: yes\n    ratio: 1.5\n    when: 2001-12-14\n    note: \"yes\"\n    empty:\n    list:\n      - 1\n      - \"two\"\n      - ~\n      - {x: on}\n1: int key\ntrue: bool key\n~: null key\n1.5: float key\nmsg: |\n  line1\n  line2\n";
    let want: serde_json::Value = serde_json::from_str(r#"{"base": {"user": "root", "port": 22, "opts": ["a", "b"]}, "hosts": {"web1": {"user": "root", "port": 2222, "opts": ["a", "b"], "mode": 420, "enabled": true, "ratio": 1.5, "when": "2001-12-14", "note": "yes", "empty": null, "list": [1, "two", null, {"x": true}]}}, "1": "bool key", "None": "null key", "1.5": "float key", "msg": "line1\nline2\n"}"#).unwrap_or_default();
    let got = json(src);
    assert_eq!(got, want);
    // Key order is kept, too.
    let order: Vec<&String> = got
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(order, ["base", "hosts", "1", "None", "1.5", "msg"]);
    // Non-finite floats print as Python does.
    assert_eq!(json("[.inf, -.inf]"), serde_json::json!(["inf", "-inf"]));
}

#[test]
fn big_inputs_load_in_linear_time() {
    // About 5 MB: a long list of dicts with merges and anchors, plus one long
    // flow line. Quadratic work on either would take minutes.
    let mut src = String::from("defaults: &d\n  a: 1\n  b: [x, y]\nitems:\n");
    let mut i = 0;
    while src.len() < 5_000_000 {
        src.push_str(&format!(
            "  - name: \"item {i}\"\n    value: {i}\n    mode: 0644\n    <<: *d\n    extra: &e{i} {{k: v{i}}}\n    ref: *e{i}\n"
        ));
        i += 1;
    }
    let start = std::time::Instant::now();
    let l = load(&src);
    let items = l.docs[0]
        .get("items")
        .and_then(|n| n.as_seq())
        .map_or(0, <[Node]>::len);
    assert_eq!(items, i);
    let line = format!(
        "[{}]",
        (0..100_000)
            .map(|i| format!("&a{i} \"é{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(
        load(&line).docs[0].as_seq().map(<[Node]>::len),
        Some(100_000)
    );
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
}

#[test]
fn never_panics_on_odd_input() {
    // A few inputs that exercise error paths; the fuzz target covers the rest.
    for src in [
        "\u{feff}",
        "&",
        "*",
        "!",
        "? ",
        ": ",
        "[",
        "{",
        "]",
        "}",
        "- - - ",
        "&a *a",
        "!<",
        "%TAG",
        "--- |\n\t",
        "\"\\",
        "'",
        "a: |\n  x\n y",
        "[a, &b]",
        "{a: *",
        "?\n?\n?",
        "<<: *",
        "a:\t",
    ] {
        let _ = load_str(src, "t.yml");
    }
}

#[test]
fn a_lone_carriage_return_in_a_flow_mapping_fails_at_once() {
    // Found by the yaml_inventory fuzz target: each indentation repair
    // shifted the enclosing block along with the padded line, so the loader
    // re-parsed until its 16 MiB budget ran out (seconds for 10 bytes, and
    // the error then pointed into kiln's padding). Now a line is padded
    // once at most, and the error is the user's, at the user's position.
    for (src, line) in [("a: {b:\re]", 2), ("1: {1:\re]", 2), ("a: {b:\r\r\re]", 4)] {
        let e = err(src);
        assert!(
            e.to_string().contains("did not find expected ',' or '}'"),
            "{src:?}: {e}"
        );
        assert!(
            e.to_string().contains(&format!("t.yml:{line}:2")),
            "{src:?}: {e}"
        );
    }
}
