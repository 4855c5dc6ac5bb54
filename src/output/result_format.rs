// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! How the default callback writes a result after `=>`: Ansible's
//! `result_format` (`json`, or `yaml` for people to read), `pretty_results`,
//! `result_indentation` and `result_yaml_line_width` ([defaults]
//! callback_result_format / ANSIBLE_CALLBACK_RESULT_FORMAT and their
//! siblings).

use super::json::dumps;
use serde_json::Value as Json;

/// The callback's result options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultFormat {
    pub yaml: bool,
    /// `pretty_results`: unset, on or off.
    pub pretty: Option<bool>,
    /// `result_indentation`.
    pub indent: usize,
    /// `result_yaml_line_width` as the column where PyYAML folds long
    /// scalars (its `best_width`).
    pub width: usize,
}

/// PyYAML's own line width, when none is given.
const PYYAML_WIDTH: usize = 80;
/// What Ansible passes for `no-break`: wider than any line.
const NO_BREAK: usize = 0x7FFF_FFFF;

impl Default for ResultFormat {
    fn default() -> Self {
        ResultFormat {
            yaml: false,
            pretty: None,
            indent: 4,
            width: PYYAML_WIDTH,
        }
    }
}

impl ResultFormat {
    /// Reads the options from a name and the settings as written;
    /// `columns` is the display's width (`terminal-width`).
    pub fn parse(
        format: Option<&str>,
        pretty: Option<bool>,
        indent: Option<&str>,
        line_width: Option<&str>,
        columns: usize,
    ) -> Result<ResultFormat, String> {
        let yaml = match format.map(str::trim) {
            None | Some("json") => false,
            Some("yaml") => true,
            Some(other) => {
                // ansible-core 2.21's words.
                return Err(format!(
                    "Invalid value '{other}' for config 'result_format' for 'default' callback plugin. \
                     Valid values are: json, yaml"
                ));
            }
        };
        let indent = match indent {
            None => 4,
            Some(v) => v.trim().parse::<usize>().map_err(|_| {
                format!("Invalid value \"{v}\" for configuration option \"result_indentation\" (an integer)")
            })?,
        };
        let width = match line_width.map(str::trim) {
            None | Some("default") => PYYAML_WIDTH,
            Some("no-break") => NO_BREAK,
            Some("terminal-width") => columns,
            Some(other) => {
                // ansible-core 2.21's words: the choices are checked when
                // the callback loads, before any host is touched.
                return Err(format!(
                    "Invalid value '{other}' for config 'result_yaml_line_width' for 'default' callback plugin. \
                     Valid values are: default, no-break, terminal-width"
                ));
            }
        };
        Ok(ResultFormat {
            yaml,
            pretty,
            indent,
            width,
        })
    }

    /// Ansible's `_dump_results` after the keys it hides are gone:
    /// `verbose` is `_ansible_verbose_always` or -vvv, which indent JSON.
    pub fn dump(&self, r: &Json, verbose: bool) -> String {
        let indent = (verbose || (self.pretty.is_none() && self.yaml) || self.pretty == Some(true))
            .then_some(self.indent);
        self.dump_indented(r, indent)
    }

    /// `_dump_results` with an indent asked for (`None`: by the options).
    pub fn dump_indented(&self, r: &Json, indent: Option<usize>) -> String {
        // pretty_results off overrides any indentation.
        let indent = indent.filter(|_| self.pretty != Some(false));
        if !self.yaml {
            return dumps(r, indent, true);
        }
        let lossy = self.pretty != Some(false);
        let mut r = r.clone();
        if lossy && let Json::Object(m) = &mut r {
            // The text is there already; its list of lines is not repeated.
            for (text, lines) in [("stdout", "stdout_lines"), ("stderr", "stderr_lines")] {
                if m.contains_key(text) && m.contains_key(lines) {
                    m.insert(lines.into(), Json::String("<omitted>".into()));
                }
            }
        }
        use crate::template::yaml_dump::{DumpOptions, dump};
        // PyYAML takes an indent of 2 to 9 and uses 2 otherwise; the
        // prefix of every line is the indent as given.
        let o = DumpOptions {
            indent: indent.filter(|i| (2..10).contains(i)).unwrap_or(2),
            default_flow_style: Some(false),
            sort_keys: true,
            width: self.width,
            explicit_start: false,
            inventory_tags: false,
            literal_multiline: Some(lossy),
            ..Default::default()
        };
        let text = dump(&crate::template::json_to_value(&r), &o);
        let prefix = " ".repeat(indent.unwrap_or(4));
        // Python's textwrap.indent: lines with only whitespace stay bare.
        let body: String = text
            .split_inclusive('\n')
            .map(|l| {
                if l.trim().is_empty() {
                    l.to_string()
                } else {
                    format!("{prefix}{l}")
                }
            })
            .collect();
        // The display adds no line end to text that has one.
        format!("\n{}", body.strip_suffix('\n').unwrap_or(&body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_by_default_yaml_when_asked() {
        let r = json!({"changed": false, "msg": "hi"});
        let json = ResultFormat::default();
        assert_eq!(json.dump(&r, false), r#"{"changed": false, "msg": "hi"}"#);
        assert_eq!(
            json.dump(&r, true),
            "{\n    \"changed\": false,\n    \"msg\": \"hi\"\n}"
        );
        let yaml = ResultFormat::parse(Some("yaml"), None, None, None, 79).expect("valid");
        assert_eq!(yaml.dump(&r, false), "\n    changed: false\n    msg: hi");
        let out = json!({"stdout": "a\n\nb", "stdout_lines": ["a", "", "b"]});
        assert_eq!(
            yaml.dump(&out, false),
            "\n    stdout: |-\n        a\n\n        b\n    stdout_lines: <omitted>"
        );
        // Not pretty: nothing dropped, PyYAML's own indent of 2.
        let exact = ResultFormat::parse(Some("yaml"), Some(false), None, None, 79).expect("valid");
        assert_eq!(
            exact.dump(&out, false),
            "\n    stdout: |-\n      a\n\n      b\n    stdout_lines:\n    - a\n    - ''\n    - b"
        );
        assert!(ResultFormat::parse(Some("xml"), None, None, None, 79).is_err());
    }

    #[test]
    fn yaml_line_width_folds_where_asked() {
        let long = "word ".repeat(30);
        let r = json!({ "msg": long.trim_end() });
        let at = |w: Option<&str>| {
            ResultFormat::parse(Some("yaml"), None, None, w, 100)
                .expect("valid")
                .dump(&r, false)
        };
        let widest = |s: &str| s.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        // PyYAML's 80 by default: folded, and the last word that starts
        // before the limit ends the line.
        let default = at(None);
        assert_eq!(default.lines().count(), 3, "{default}");
        assert_eq!(at(Some("default")), default);
        // The display's width: folded later.
        let terminal = at(Some("terminal-width"));
        assert!(widest(&terminal) > widest(&default), "{terminal}");
        assert!(widest(&terminal) <= 4 + 100 + 5, "{terminal}");
        // no-break: one line holds it all.
        let one = at(Some("no-break"));
        assert_eq!(one, format!("\n    msg: {}", long.trim_end()));
        let err = ResultFormat::parse(Some("yaml"), None, None, Some("wide"), 79)
            .expect_err("not a choice");
        assert!(err.contains("Valid values are: default, no-break, terminal-width"));
    }
}
