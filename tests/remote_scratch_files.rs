// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Scripts that run on hosts (as root, often) make their scratch files with
//! the prelude's `ktmp`/`krun` (`mktemp`, private, random names) and never
//! with a fixed or PID-based name in a shared directory such as /tmp: there
//! another local user can plant a symlink under the expected name, and the
//! shell's `>` would then truncate whatever file it points to. This test
//! reads kiln's sources and refuses such a name wherever it appears; the
//! prelude's own tests (`modules::probe::tests`) show `ktmp` and `krun` at
//! work under a real `/bin/sh`.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A shared-directory path named by the shell's PID or fixed in advance.
fn predictable_scratch(line: &str) -> bool {
    let shared = ["/tmp/", "/var/tmp/", "/dev/shm/", "${TMPDIR:-/tmp}/"];
    shared.iter().any(|d| {
        line.match_indices(d).any(|(i, _)| {
            let rest = &line[i + d.len()..];
            let word: String = rest
                .chars()
                .take_while(|c| !matches!(c, ' ' | '"' | '\'' | ';' | ')' | '\\'))
                .collect();
            // `mktemp` templates end in X's and are random; a bare
            // directory (`/tmp/`) names nothing.
            !word.is_empty() && !word.contains("XXX")
        })
    })
}

#[test]
fn no_remote_script_names_a_scratch_file_in_a_shared_directory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 100,
        "sources not found under {}",
        root.display()
    );
    let mut found = Vec::new();
    for f in &files {
        // Whole files of unit tests (`walk_tests.rs`, `tests.rs`).
        if f.file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with("tests.rs"))
        {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        // Only code that builds shell text: unit tests may use the
        // controller's own temp dir (`tempfile`), which is private.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                continue;
            }
            if predictable_scratch(line) {
                found.push(format!("{}:{}: {}", f.display(), n + 1, trimmed));
            }
        }
    }
    assert!(
        found.is_empty(),
        "predictable scratch names in a shared directory (use the prelude's ktmp/krun):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_itself_tells_predictable_names_from_mktemp_templates() {
    assert!(predictable_scratch("o=$(cmd 2>/tmp/.kiln-fp.$$)"));
    assert!(predictable_scratch(r#"o="${TMPDIR:-/tmp}/.kiln-wf.$$""#));
    assert!(predictable_scratch("cat x > /var/tmp/kiln-list"));
    assert!(!predictable_scratch("t=$(mktemp /tmp/crontabXXXXXXXX)"));
    assert!(!predictable_scratch(
        r#"ktmp() { _t=$(mktemp "${TMPDIR:-/tmp}/.kiln.XXXXXXXX"); }"#
    ));
    assert!(!predictable_scratch("cd /tmp/ && ls"));
}
