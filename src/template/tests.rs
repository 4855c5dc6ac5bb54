// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
use super::*;
use serde_json::json;
use std::collections::HashMap;

struct Vars(HashMap<String, serde_json::Value>);

impl Resolver for Vars {
    fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError> {
        if name == "vars" {
            // Every variable as one dict, as the run's scope provides `vars`.
            let all: serde_json::Map<String, serde_json::Value> =
                self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            return Ok(Some(json_to_value(&serde_json::Value::Object(all))));
        }
        Ok(self.0.get(name).map(json_to_value))
    }
}

fn vars() -> Vars {
    let mut m = HashMap::new();
    m.insert("n".into(), json!(3));
    m.insert("s".into(), json!("web"));
    m.insert("l".into(), json!(["a", 1, true, null]));
    m.insert("d".into(), json!({"k": "v", "x": [1.5]}));
    m.insert("t".into(), json!(true));
    m.insert(
        "res".into(),
        json!({"changed": true, "failed": false, "rc": 0}),
    );
    Vars(m)
}

fn render(s: &str) -> Result<serde_json::Value, TemplateError> {
    let t = Templar::new();
    t.render(s, &vars()).map(|v| value_to_json(&v))
}

#[test]
fn native_types_for_single_expressions() {
    assert_eq!(render("{{ l }}").unwrap(), json!(["a", 1, true, null]));
    assert_eq!(render("{{ n + 1 }}").unwrap(), json!(4));
    assert_eq!(render("{{ d }}").unwrap(), json!({"k": "v", "x": [1.5]}));
    assert_eq!(render("{{ t }}").unwrap(), json!(true));
    assert_eq!(render("plain").unwrap(), json!("plain"));
}

#[test]
fn mixed_text_prints_like_python() {
    assert_eq!(
        render("x={{ l }}").unwrap(),
        json!("x=['a', 1, True, None]")
    );
    assert_eq!(
        render("{{ d }}!").unwrap(),
        json!("{'k': 'v', 'x': [1.5]}!")
    );
    assert_eq!(render("{{ t }} {{ n }}").unwrap(), json!("True 3"));
    assert_eq!(render("[{{ none }}]").unwrap(), json!("[]"));
    assert_eq!(
        render("{{ \"it's\" ~ [\"it's\"] }}").unwrap(),
        json!("it's[\"it's\"]")
    );
}

#[test]
fn undefined_names_the_variable() {
    let e = render("{{ nope }}").unwrap_err();
    assert_eq!(e.message, "'nope' is undefined");
    let e = render("a {{ nope }} b").unwrap_err();
    assert_eq!(e.message, "'nope' is undefined");
    assert_eq!(render("{{ nope | default('x') }}").unwrap(), json!("x"));
    assert_eq!(render("{{ nope is defined }}").unwrap(), json!(false));
}

#[test]
fn syntax_errors_have_a_position() {
    let t = Templar::new();
    let e = t.check("ok {{ a + }}").unwrap_err();
    assert!(e.message.starts_with("Syntax error in template: "), "{e}");
    assert!(e.inner.is_some());
}

#[test]
fn conditions_are_strict_booleans() {
    let t = Templar::new();
    let v = vars();
    assert!(t.condition("n == 3", &v).unwrap());
    assert!(!t.condition("s == 'db'", &v).unwrap());
    assert!(t.condition("{{ t }}", &v).unwrap());
    assert!(t.condition("res is changed", &v).unwrap());
    assert!(t.condition("res is succeeded", &v).unwrap());
    let e = t.condition("s", &v).unwrap_err();
    assert!(
        e.message
            .starts_with("Conditional result (True) was derived from value of type 'str'"),
        "{e}"
    );
    let e = t.condition("missing", &v).unwrap_err();
    assert_eq!(
        e.message,
        "Error while evaluating conditional: 'missing' is undefined"
    );
}

#[test]
fn filters_and_methods() {
    assert_eq!(render("{{ 'a-b' .split('-')[0] }}").unwrap(), json!("a"));
    assert_eq!(render("{{ 'yes' | bool }}").unwrap(), json!(true));
    assert_eq!(
        render("{{ d | to_json }}").unwrap(),
        json!("{\"k\": \"v\", \"x\": [1.5]}")
    );
    assert_eq!(
        render("{{ 'abc' | regex_replace('(b)', '<\\1>') }}").unwrap(),
        json!("a<b>c")
    );
    assert_eq!(render("{{ 'a b' | quote }}").unwrap(), json!("'a b'"));
    assert_eq!(
        render("{{ '/x/y.txt' | basename }}").unwrap(),
        json!("y.txt")
    );
    assert_eq!(
        render("{{ {'a': 1} | combine({'b': 2}) }}").unwrap(),
        json!({"a": 1, "b": 2})
    );
    assert_eq!(
        render("{{ [[1, [2]], 3] | flatten }}").unwrap(),
        json!([1, 2, 3])
    );
}

#[test]
fn each_template_compiles_once() {
    let t = Templar::new();
    let v = vars();
    for _ in 0..3 {
        t.render("{{ n }}-x", &v).unwrap();
    }
    assert_eq!(t.cache.read().unwrap().len(), 1);
}

#[test]
fn slicing_like_python() {
    assert_eq!(render("{{ l[1:] }}").unwrap(), json!([1, true, null]));
    assert_eq!(render("{{ s[0:2] }}").unwrap(), json!("we"));
    assert_eq!(
        render("{{ l[::-1] }}").unwrap(),
        json!([null, true, 1, "a"])
    );
}

#[test]
fn unknown_filters_and_tests_fail_validation_with_a_position() {
    let t = Templar::new();
    let e = t.check("a\n  {{ x | nosuch }}").unwrap_err();
    assert_eq!(
        e.message,
        "Syntax error in template: No filter named 'nosuch'."
    );
    assert_eq!(e.inner, Some((2, 10)));
    let e = t.check_condition("x is not nosuchtest").unwrap_err();
    assert_eq!(
        e.message,
        "Syntax error in template: No test named 'nosuchtest'."
    );
    t.check("echo a | b {{ x | default('a | b') | upper }} {% if not t %}{% endif %}")
        .unwrap();
    t.check_condition("not t and x is defined and x is not none")
        .unwrap();
    t.check("{{ x | ansible.builtin.to_json }} {{ y | community.general.json_query('a') }}")
        .unwrap();
}

#[test]
fn render_file_uses_template_module_settings() {
    let t = Templar::new();
    let v = vars();
    let o = TemplateOptions::default();
    // trim_blocks, escapes read by Jinja, trailing newline kept, None empty.
    assert_eq!(
        t.render_file("{% if t %}\nyes\\t{{ 'a\\tb' }}\n{% endif %}\n", &v, &o)
            .unwrap(),
        "yes\\ta\tb\n"
    );
    assert_eq!(t.render_file("{{ none }}", &v, &o).unwrap(), "");
    // A file that is one expression gives its native value, whose text has
    // no newline: the template module writes it so (checked with Ansible).
    assert_eq!(
        t.render_file("{{ l }}\n", &v, &o).unwrap(),
        "['a', 1, True, None]"
    );
    let custom = TemplateOptions {
        variable_start_string: "[[".into(),
        variable_end_string: "]]".into(),
        trim_blocks: false,
        ..TemplateOptions::default()
    };
    assert_eq!(
        t.render_file("[[ n ]] {{ n }}", &v, &custom).unwrap(),
        "3 {{ n }}"
    );
    assert_eq!(
        t.render_file(
            "#jinja2: trim_blocks: False\n{% if t %}\nx{% endif %}",
            &v,
            &o
        )
        .unwrap(),
        "\nx"
    );
}

#[test]
fn with_lookup_loops() {
    let t = Templar::new();
    let v = vars();
    let items = t
        .lookup("items", &json_to_value(&json!([1, [2, 3]])), &v)
        .unwrap();
    assert_eq!(value_to_json(&Value::from(items)), json!([1, 2, 3]));
    let seq = t
        .lookup("sequence", &Value::from("start=1 end=3 format=n%d"), &v)
        .unwrap();
    assert_eq!(value_to_json(&Value::from(seq)), json!(["n1", "n2", "n3"]));
    let dict = t
        .lookup("dict", &json_to_value(&json!({"a": 1})), &v)
        .unwrap();
    assert_eq!(
        value_to_json(&Value::from(dict)),
        json!([{"key": "a", "value": 1}])
    );
    let e = t.lookup("nosuch", &Value::from("x"), &v).unwrap_err();
    assert_eq!(e.message, "The lookup plugin 'nosuch' was not found.");
}

/// The sequence lookup (and so `with_sequence`), each case as
/// ansible-core 2.21's `query('sequence', TERM)` answered it.
#[test]
fn sequence_lookup_as_ansible() {
    let t = Templar::new();
    let v = vars();
    let seq = |term: &str| {
        t.lookup("sequence", &Value::from(term), &v)
            .map(|items| value_to_json(&Value::from(items)))
            .map_err(|e| e.message)
    };
    for (term, want) in [
        ("start=10 end=4 stride=-3", json!(["10", "7", "4"])),
        ("count=0", json!([])),
        ("2-10/4", json!(["2", "6", "10"])),
        ("5", json!(["1", "2", "3", "4", "5"])),
        ("3:v%x", json!(["v1", "v2", "v3"])),
        ("end=3 format=%s!", json!(["1!", "2!", "3!"])),
        ("count=2 stride=5 start=3", json!(["3", "8"])),
        ("start=1 end=5 stride=0", json!([])),
    ] {
        assert_eq!(seq(term), Ok(want), "{term}");
    }
    for (term, want) in [
        (
            "count=3 end=4",
            "can't specify both count and end in with_sequence",
        ),
        (
            "start=1 end=5 stride=-1",
            "to count forward don't make stride negative",
        ),
        ("start=5 end=1", "to count backwards make stride negative"),
        ("end=3 format=%d%d", "bad formatting string: %d%d"),
        ("start=2", "must specify count or end in with_sequence"),
        (
            "end=2 foo=1 bar=2",
            "unrecognized arguments to with_sequence: ['foo', 'bar']",
        ),
        ("start=x end=3", "Invalid value provided for 'integer': 'x'"),
        ("0x0a-0x0c", "Invalid value provided for 'integer': '0x0a'"),
    ] {
        let e = seq(term).expect_err(term);
        assert!(
            e.starts_with("The lookup plugin 'sequence' failed: ") && e.contains(want),
            "{term}: {e}"
        );
    }
    // Several terms add up.
    let two = t
        .lookup(
            "sequence",
            &json_to_value(&json!(["end=2", "start=2 end=3"])),
            &v,
        )
        .unwrap();
    assert_eq!(
        value_to_json(&Value::from(two)),
        json!(["1", "2", "2", "3"])
    );
    let e = t
        .lookup("together", &json_to_value(&json!([])), &v)
        .unwrap_err();
    assert!(
        e.message
            .contains("with_together requires at least one element in each list"),
        "{}",
        e.message
    );
}

#[test]
fn json_query_is_jmespath() {
    assert_eq!(render("{{ d | json_query('x[0]') }}").unwrap(), json!(1.5));
    assert_eq!(
        render("{{ [{'n': 'a', 'v': 1}, {'n': 'b', 'v': 2}] | json_query('[?v > `1`].n') }}")
            .unwrap(),
        json!(["b"])
    );
    assert!(render("{{ d | json_query('[?') }}").is_err());
}

#[test]
fn fully_qualified_plugin_names() {
    assert_eq!(
        render("{{ t | ansible.builtin.to_json }}").unwrap(),
        json!("true")
    );
    assert_eq!(
        render("{{ res is ansible.builtin.changed }}").unwrap(),
        json!(true)
    );
    assert_eq!(
        render("{{ d | community.general.json_query('k') }}").unwrap(),
        json!("v")
    );
}

#[test]
fn fully_qualified_names_in_map_and_select() {
    assert_eq!(
        render("{{ ['a'] | map('ansible.builtin.upper') | list }}").unwrap(),
        json!(["A"])
    );
    assert_eq!(
        render("{{ [1, 2] | select('ansible.builtin.odd') | list }}").unwrap(),
        json!([1])
    );
}

#[test]
fn ip_filters() {
    assert_eq!(
        render("{{ '192.168.0.1' | ansible.utils.ipmath(5) }}").unwrap(),
        json!("192.168.0.6")
    );
    assert_eq!(
        render("{{ '192.168.122.1/24' | ansible.utils.next_nth_usable(2) }}").unwrap(),
        json!("192.168.122.3")
    );
    assert_eq!(
        render("{{ '10.1.2.3/16' | ipaddr('network') }}/{{ '10.1.2.3/16' | ipaddr('prefix') }}")
            .unwrap(),
        json!("10.1.0.0/16")
    );
    assert_eq!(render("{{ 'fe80::1' | ipv4 }}").unwrap(), json!(false));
}

#[test]
fn password_lookup_creates_and_reuses_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("creds/db.pw");
    let t = Templar::new();
    let v = vars();
    let tmpl = format!(
        "{{{{ lookup('password', '{}', length=16) }}}}",
        file.display()
    );
    let first = value_to_json(&t.render(&tmpl, &v).unwrap());
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written, format!("{}\n", first.as_str().unwrap()));
    assert_eq!(first.as_str().unwrap().len(), 16);
    let again = value_to_json(&t.render(&tmpl, &v).unwrap());
    assert_eq!(again, first);
}

/// Every filter and test, given odd values and arguments, fails or succeeds
/// but never panics (a bad filter argument fails the task, not the run).
#[test]
fn filters_and_tests_never_panic() {
    const FILTERS: &[&str] = &[
        "abs",
        "attr",
        "b64decode",
        "b64encode",
        "basename",
        "batch",
        "bool",
        "capitalize",
        "center",
        "checksum",
        "combinations",
        "combine",
        "comment",
        "commonpath",
        "count",
        "d",
        "default",
        "dict2items",
        "dictsort",
        "difference",
        "dirname",
        "e",
        "escape",
        "expanduser",
        "expandvars",
        "extract",
        "fileglob",
        "filesizeformat",
        "first",
        "flatten",
        "float",
        "forceescape",
        "format",
        "from_json",
        "from_yaml",
        "from_yaml_all",
        "groupby",
        "hash",
        "human_readable",
        "human_to_bytes",
        "indent",
        "int",
        "intersect",
        "ipaddr",
        "ipmath",
        "ipv4",
        "ipv6",
        "items",
        "items2dict",
        "join",
        "json_query",
        "last",
        "length",
        "list",
        "log",
        "lower",
        "mandatory",
        "map",
        "max",
        "md5",
        "min",
        "next_nth_usable",
        "normpath",
        "path_join",
        "permutations",
        "pow",
        "product",
        "quote",
        "random",
        "realpath",
        "regex_escape",
        "regex_findall",
        "regex_replace",
        "regex_search",
        "reject",
        "rejectattr",
        "rekey_on_member",
        "relpath",
        "replace",
        "reverse",
        "root",
        "round",
        "safe",
        "select",
        "selectattr",
        "sha1",
        "shuffle",
        "slice",
        "sort",
        "split",
        "splitext",
        "strftime",
        "string",
        "striptags",
        "subelements",
        "sum",
        "symmetric_difference",
        "ternary",
        "title",
        "to_datetime",
        "to_json",
        "to_nice_json",
        "to_nice_yaml",
        "to_uuid",
        "to_yaml",
        "tojson",
        "trim",
        "truncate",
        "type_debug",
        "union",
        "unique",
        "upper",
        "urldecode",
        "urlencode",
        "urlize",
        "urlsplit",
        "win_basename",
        "win_dirname",
        "win_splitdrive",
        "wordcount",
        "wordwrap",
        "zip",
        "zip_longest",
    ];
    const TESTS: &[&str] = &[
        "all",
        "any",
        "abs",
        "callable",
        "changed",
        "contains",
        "defined",
        "directory",
        "divisibleby",
        "escaped",
        "exists",
        "failed",
        "falsy",
        "file",
        "finished",
        "in",
        "link",
        "match",
        "mount",
        "nan",
        "regex",
        "same_file",
        "search",
        "sequence",
        "skipped",
        "started",
        "subset",
        "succeeded",
        "superset",
        "truthy",
        "uri",
        "url",
        "urn",
        "vault_encrypted",
        "version",
    ];
    let values = json!({
        "v0": null, "v1": "", "v2": "é✓ x/y.z", "v3": [], "v4": {}, "v5": -1,
        "v6": 1.0e300, "v7": [[1, [2]], {"a": {"b": null}}, "s"], "v8": {"k": [1, 2], "é": "v"},
        "v9": "192.168.1.300/33", "v10": "%s %d %(x)s {0}", "v11": "\\1 \\g<x> ([",
    });
    let mut m = HashMap::new();
    for (k, v) in values.as_object().unwrap() {
        m.insert(k.clone(), v.clone());
    }
    let vars = Vars(m);
    let t = Templar::new();
    let args = [
        "",
        "()",
        "('x')",
        "(-1)",
        "([1], 'y')",
        "(a=1)",
        "('\\\\1', 0, none)",
    ];
    for name in FILTERS {
        for a in args {
            for i in 0..12 {
                let _ = t.render(&format!("{{{{ v{i} | {name}{a} }}}}"), &vars);
            }
        }
    }
    for name in TESTS {
        for a in args {
            for i in 0..12 {
                let _ = t.render(&format!("{{{{ v{i} is {name}{a} }}}}"), &vars);
            }
        }
    }
}

#[test]
fn template_files_include_from_their_search_path() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("role_a/templates");
    let b = dir.path().join("role_b/templates");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(a.join("part.j2"), "A{{ n }}\n").unwrap();
    std::fs::write(b.join("part.j2"), "B{{ n }}\n").unwrap();
    let t = Templar::new();
    let v = vars();
    let o = TemplateOptions::default();
    let main = "[{% include 'part.j2' %}]\n";
    // The same include name finds each role's own file; as in Jinja, an
    // included template loses its trailing newline.
    assert_eq!(
        t.render_file_in(main, &v, &o, std::slice::from_ref(&a))
            .unwrap(),
        "[A3]\n"
    );
    assert_eq!(
        t.render_file_in(main, &v, &o, std::slice::from_ref(&b))
            .unwrap(),
        "[B3]\n"
    );
    assert!(t.render_file_in(main, &v, &o, &[]).is_err());
}

#[test]
fn errors_in_files_say_where() {
    let t = Templar::new();
    let v = vars();
    let e = t
        .render_file(
            "line 1\nline 2 {{ n }}\nline 3 {{ nope }}\n",
            &v,
            &TemplateOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.message, "'nope' is undefined");
    assert_eq!(e.inner.map(|p| p.0), Some(3));
    // Offsets that do not fall on a character boundary never panic.
    let e = t.check("é {{ é + }}").unwrap_err();
    assert!(e.message.starts_with("Syntax error in template"), "{e}");
}

#[test]
fn non_ascii_inside_jinja_code() {
    let t = Templar::new();
    assert_eq!(
        render("{% if 'é' %}ü{% endif %} {{ 'é' ~ \"ü\\\\\" }}").unwrap(),
        // Backslashes in playbook string constants stay as written.
        json!("ü éü\\\\")
    );
    t.check("{% set x = 'ñ' %}{{ x | upper }} {# ü #} {% raw %}é{% endraw %}")
        .unwrap();
    assert_eq!(render("{{ '✓' | length }}").unwrap(), json!(1));
}

/// Random template texts never panic the templar (compile, render,
/// conditions, files, validation).
#[test]
fn random_templates_never_panic() {
    use rand::{Rng, SeedableRng};
    let pieces = [
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "'",
        "\"",
        "\\",
        "é",
        "✓",
        "|",
        " is ",
        "not ",
        "n",
        "l",
        "d",
        "s",
        ".",
        "[",
        "]",
        ":",
        "1",
        "-1",
        "(",
        ")",
        " ",
        "if ",
        "endif",
        "for x in ",
        "endfor",
        "default",
        "nope",
        "~",
        "+",
        "*",
        "==",
        "\n",
        "upper",
        "#jinja2:",
        "x.y[0]",
        "ansible.builtin.",
        "length",
        "defined",
        "lookup('items', ",
        "raw",
        "endraw",
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let t = Templar::new();
    let v = vars();
    let o = TemplateOptions::default();
    for _ in 0..20_000 {
        let n = rng.gen_range(1..14);
        let text: String = (0..n)
            .map(|_| pieces[rng.gen_range(0..pieces.len())])
            .collect();
        let _ = t.check(&text);
        let _ = t.render(&text, &v);
        let _ = t.check_condition(&text);
        let _ = t.condition(&text, &v);
        let _ = t.render_file(&text, &v, &o);
    }
}

#[test]
fn unary_plus_is_python_unary_plus() {
    assert_eq!(render("{{ +n }}").unwrap(), json!(3));
    assert_eq!(render("{{ 1 - +n }}").unwrap(), json!(-2));
    assert_eq!(render("{{ n + +2 }}").unwrap(), json!(5));
    assert_eq!(render("{{ [+1, (+2)] }}").unwrap(), json!([1, 2]));
    assert_eq!(render("{{ 1e+2 + 1 }}").unwrap(), json!(101.0));
    assert_eq!(render("{{ '+' + s }}").unwrap(), json!("+web"));
    assert_eq!(render("a {{ +n }} b").unwrap(), json!("a 3 b"));
    // A whitespace-control sign is left alone.
    assert_eq!(render("a  {%- if +n %}x{% endif %}").unwrap(), json!("ax"));
    assert!(render("{{ +s }}").is_err(), "unary plus on a string fails");
    let t = Templar::new();
    assert!(t.condition("+n == 3", &vars()).unwrap());
}

#[test]
fn range_is_a_python_range() {
    assert_eq!(render("{{ range(3) | list }}").unwrap(), json!([0, 1, 2]));
    assert_eq!(
        render("{{ range(1, 10, 3) | list }}").unwrap(),
        json!([1, 4, 7])
    );
    assert_eq!(
        render("{{ range(5, 0, -2) | list }}").unwrap(),
        json!([5, 3, 1])
    );
    assert_eq!(render("{{ range(5)[-1] }}").unwrap(), json!(4));
    assert_eq!(render("{{ range(4) | length }}").unwrap(), json!(4));
    assert_eq!(
        render("{% for i in range(3) %}{{ i }}{% endfor %}").unwrap(),
        json!("012")
    );
    assert_eq!(render("r={{ range(3) }}").unwrap(), json!("r=range(0, 3)"));
    assert_eq!(
        render("r={{ range(0, 9, 2) }}").unwrap(),
        json!("r=range(0, 9, 2)")
    );
    // Ansible refuses to store a range as a result, alone or inside data.
    for bad in [
        "{{ range(3) }}",
        "{{ [range(3)] }}",
        "{{ {'r': range(2)} }}",
    ] {
        let e = render(bad).unwrap_err();
        assert!(
            e.message
                .contains("Type 'range' is unsupported for variable storage."),
            "{bad}: {}",
            e.message
        );
    }
    assert!(render("{{ range(1, 2, 0) }}").is_err());
    assert!(render("{{ range(1000000) | list }}").is_err(), "bounded");
}

#[test]
fn lipsum_gives_paragraphs() {
    let html = render("{{ lipsum(2) }}").unwrap();
    let html = html.as_str().unwrap();
    assert_eq!(html.matches("<p>").count(), 2, "{html}");
    let text = render("{{ lipsum(n=3, html=False, min=5, max=6) }}").unwrap();
    let paragraphs: Vec<&str> = text.as_str().unwrap().split("\n\n").collect();
    assert_eq!(paragraphs.len(), 3);
    for p in paragraphs {
        let words = p.split_whitespace().count();
        assert!((5..=6).contains(&words), "{p}");
        assert!(p.ends_with('.') && p.starts_with(char::is_uppercase), "{p}");
    }
}

#[test]
fn datetimes_print_like_python() {
    let t = Templar::new();
    let v = t
        .render("{{ '2024-03-05 14:07:09' | to_datetime }}", &vars())
        .unwrap();
    assert_eq!(py_type_name(&v), "datetime");
    assert_eq!(py_repr(&v), "datetime.datetime(2024, 3, 5, 14, 7, 9)");
    assert_eq!(py_str(&v), "2024-03-05 14:07:09");
    let midnight = t
        .render("{{ '2024-03-05' | to_datetime('%Y-%m-%d') }}", &vars())
        .unwrap();
    assert_eq!(py_repr(&midnight), "datetime.datetime(2024, 3, 5, 0, 0)");
    assert_eq!(
        t.render("{{ ['2024-03-05' | to_datetime('%Y-%m-%d')] }}x", &vars())
            .map(|v| py_str(&v))
            .unwrap(),
        "[datetime.datetime(2024, 3, 5, 0, 0)]x"
    );
    // Stored or printed as JSON (debug, set_fact, a module argument), a
    // datetime is its isoformat(), as Ansible's debug shows it.
    assert_eq!(value_to_json(&v), json!("2024-03-05T14:07:09"));
    let micro = t
        .render(
            "{{ '2024-03-05 14:07:09.25' | to_datetime('%Y-%m-%d %H:%M:%S.%f') }}",
            &vars(),
        )
        .unwrap();
    assert_eq!(value_to_json(&micro), json!("2024-03-05T14:07:09.250000"));
    // A timedelta cannot be stored, as in Ansible.
    let e = t
        .render("{{ now() - now() }}", &vars())
        .expect_err("a timedelta result");
    assert!(
        e.message
            .contains("Type 'timedelta' is unsupported for variable storage."),
        "{e}"
    );
}

#[test]
fn each_distinct_template_is_compiled_once() {
    let t = Templar::new();
    let v = vars();
    for _ in 0..50 {
        t.render("{{ n + 1 }}", &v).unwrap();
        t.render("x {{ s }} y", &v).unwrap();
        t.condition("n > 1", &v).unwrap();
        t.render_file("{{ s }}\n", &v, &TemplateOptions::default())
            .unwrap();
    }
    assert_eq!(t.compile_count(), 4);
    // A failing template is compiled (and fails) each time it is asked for,
    // and is not kept.
    assert!(t.render("{{ (", &v).is_err());
    assert_eq!(t.compile_count(), 5);
}

#[test]
fn caches_are_bounded() {
    let mut m: HashMap<usize, usize> = HashMap::new();
    for i in 0..CACHE_BOUND + 10 {
        bounded_insert(&mut m, i, i);
    }
    assert!(m.len() <= CACHE_BOUND);
    assert_eq!(m.get(&(CACHE_BOUND + 9)), Some(&(CACHE_BOUND + 9)));
}
