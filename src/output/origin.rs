// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Ansible 2.21's `Origin:` block: the file position of a task and the source
//! lines leading to it, with a caret under the column.

use crate::span::Span;
use std::collections::HashMap;

/// Source files already read, so each is read once per run.
#[derive(Default)]
pub struct Sources {
    files: HashMap<String, Option<Vec<String>>>,
}

impl Sources {
    fn lines(&mut self, file: &str) -> Option<&Vec<String>> {
        self.files
            .entry(file.to_string())
            .or_insert_with(|| {
                // A vault's lines are ciphertext, not the source the
                // position is in: the block then names the place only.
                std::fs::read_to_string(file)
                    .ok()
                    .filter(|t| !crate::vault::is_vault(t.as_bytes()))
                    .map(|t| t.lines().map(str::to_string).collect())
            })
            .as_ref()
    }

    /// `Origin: FILE:LINE:COL`, a blank line, up to three numbered source
    /// lines ending at LINE, the caret line, and a blank line.
    pub fn block(&mut self, span: &Span) -> String {
        let mut out = format!("Origin: {span}\n");
        if span.is_synthetic() {
            return out;
        }
        let Some(lines) = self.lines(&span.file) else {
            return out;
        };
        let last = span.line as usize;
        if last == 0 || last > lines.len() {
            return out;
        }
        let first = last.saturating_sub(2).max(1);
        let width = last.to_string().len();
        // Ansible keeps each shown line within 120 columns, label included,
        // cutting longer ones with "...".
        let max_len = 120 - width - 1;
        let mut usable = max_len;
        out.push('\n');
        for n in first..=last {
            let mut text = lines[n - 1].replace('\t', " ");
            if text.chars().count() > max_len {
                text = text.chars().take(max_len - 3).collect::<String>() + "...";
                usable = max_len - 3;
            }
            let row = format!("{n:>width$} {text}");
            out.push_str(row.trim_end());
            out.push('\n');
        }
        let col = span.col as usize;
        if col == 0 {
            // No column: the whole line is marked, as Ansible marks a
            // template's syntax error.
            let text = lines[last - 1].replace('\t', " ");
            let len = text.trim_end().chars().count().min(usable);
            if len > 0 {
                out.push_str(&format!("{} {}\n", " ".repeat(width), "^".repeat(len)));
            }
        } else if col <= usable {
            let marker = format!("column {col}");
            let pointer = if col - 1 + 2 + marker.len() > max_len {
                format!(
                    "{}{marker} ^",
                    " ".repeat((col - 1).saturating_sub(marker.len() + 1))
                )
            } else {
                format!("{}^ {marker}", " ".repeat(col - 1))
            };
            out.push_str(&format!("{} {pointer}\n", " ".repeat(width)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_without_a_column_is_marked_whole() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.j2");
        std::fs::write(&f, "{% if x %}\nunclosed\n").unwrap();
        let span = Span::new(f.display().to_string(), 2, 0);
        let b = Sources::default().block(&span);
        assert_eq!(
            b,
            format!(
                "Origin: {}:2\n\n1 {{% if x %}}\n2 unclosed\n  ^^^^^^^^\n",
                f.display()
            )
        );
    }

    #[test]
    fn block_like_ansible() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.yml");
        let mut text = String::new();
        for i in 1..=7 {
            text.push_str(&format!("line{i}\n"));
        }
        text.push('\n');
        text.push_str("    - name: x\n");
        std::fs::write(&f, text).unwrap();
        let mut s = Sources::default();
        let span = Span::new(f.display().to_string(), 9, 7);
        let b = s.block(&span);
        assert_eq!(
            b,
            format!(
                "Origin: {}:9:7\n\n7 line7\n8\n9     - name: x\n        ^ column 7\n",
                f.display()
            )
        );
    }
}
