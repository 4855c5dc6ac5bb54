// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Every source file of the repository names its licence and its copyright
//! holder in SPDX lines (`SPDX-License-Identifier:` and
//! `SPDX-FileCopyrightText:`).
//!
//! Which files are checked: the repository's files as git lists them
//! (`git ls-files --cached --others --exclude-standard`, so a new file is
//! checked before it is committed and ignored build output never is), or,
//! when git or the repository is missing (a source tarball), the files found
//! by walking `src/`, `tests/`, `fuzz/`, `benches/`, `.github/` and `.ci/`.
//! Among those, a file is source when it ends in `.rs`, `.py` or `.sh`, when
//! it is a `.yml`/`.yaml` file under `.github/` (CI workflows are code that
//! runs with the project's rights), or when it has no extension and starts
//! with `#!` (scripts such as `.ci/run`). Each must have
//! `SPDX-License-Identifier:` in its first 5 lines, which leaves room for a
//! `#!` line and an encoding or tool comment before it.
//!
//! Skipped, because they are data that tests read, not source code:
//! - `tests/playbooks/`: playbooks run by kiln and by ansible-playbook; their
//!   leading comment lines are the oracle's run header, and their exact text
//!   is part of what is compared.
//! - `tests/golden/`: what ansible-core recorded, rewritten by the oracle.
//! - `tests/inventory_corpus/`: inventory inputs (some cases are about the
//!   very first lines of a file: comments, CRLF, encodings) and recorded
//!   ansible-inventory output.
//! - `fuzz/seeds/`, `fuzz/corpus/` and `fuzz/artifacts/`: fuzzer inputs
//!   (copies of playbooks, templates, inventories...) and findings.
//! - YAML anywhere else (playbooks, inventories, vars files): Ansible data
//!   in Ansible's format, not code; only the `.github/` workflows count.

use std::path::{Path, PathBuf};
use std::process::Command;

const MARKER: &str = "SPDX-License-Identifier:";
/// The copyright line that follows it (OpenSSF Gold `copyright_per_file`).
const COPYRIGHT: &str = "SPDX-FileCopyrightText:";
/// How many leading lines may hold the marker.
const HEAD_LINES: usize = 5;
/// Data directories (see the module documentation).
const SKIPPED: &[&str] = &[
    "tests/playbooks/",
    "tests/golden/",
    "tests/inventory_corpus/",
    "fuzz/seeds/",
    "fuzz/corpus/",
    "fuzz/artifacts/",
];
/// Where to look when git cannot list the files.
const WALKED: &[&str] = &["src", "tests", "fuzz", "benches", ".github", ".ci"];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's files according to git, relative to `root`, or `None`
/// when git is absent or `root` is not in a work tree.
fn git_files(root: &Path) -> Option<Vec<String>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let files: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (!files.is_empty()).then_some(files)
}

/// The files under the usual source directories, relative to `root`, with
/// `/` separators; build output (`target/`) is not entered.
fn walked_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if entry.file_name() != "target" {
                    walk(root, &path, out);
                }
            } else if kind.is_file()
                && let Ok(rel) = path.strip_prefix(root)
            {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    let mut out = Vec::new();
    for dir in WALKED {
        walk(root, &root.join(dir), &mut out);
    }
    out.sort();
    out
}

fn starts_with_shebang(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"#!"
}

/// Whether the file at `rel` (relative to `root`, `/` separators) is a
/// source file that must carry the SPDX line.
fn is_source(rel: &str, root: &Path) -> bool {
    if SKIPPED.iter().any(|dir| rel.starts_with(dir)) {
        return false;
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match Path::new(name).extension().and_then(|e| e.to_str()) {
        Some("rs" | "py" | "sh") => true,
        Some("yml" | "yaml") => rel.starts_with(".github/"),
        Some(_) => false,
        // Dot files such as `.gitignore` have no extension either; only
        // scripts start with `#!`.
        None => starts_with_shebang(&root.join(rel)),
    }
}

/// Whether `text` has the SPDX licence and copyright lines in its first
/// lines.
fn has_spdx_line(text: &str) -> bool {
    // The copyright line comes right after the licence line.
    let head: Vec<&str> = text.lines().take(HEAD_LINES + 1).collect();
    head.iter().take(HEAD_LINES).any(|l| l.contains(MARKER))
        && head.iter().any(|l| l.contains(COPYRIGHT))
}

#[test]
fn every_source_file_starts_with_an_spdx_line() {
    let root = repo_root();
    let (files, how) = match git_files(&root) {
        Some(f) => (f, "git ls-files"),
        None => (walked_files(&root), "walking the source directories"),
    };
    let mut checked = Vec::new();
    let mut missing = Vec::new();
    for rel in files {
        let path = root.join(&rel);
        // Deleted in the work tree but still in the index: nothing to read.
        if !path.is_file() || !is_source(&rel, &root) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {rel}: {e}"));
        if !has_spdx_line(&String::from_utf8_lossy(&bytes)) {
            missing.push(rel.clone());
        }
        checked.push(rel);
    }
    // Guard against a listing that silently found nothing: the crate root
    // must have been among the files checked.
    assert!(
        checked.iter().any(|f| f == "src/lib.rs"),
        "src/lib.rs was not checked (files listed by {how}: {}); the file listing is broken",
        checked.len()
    );
    assert!(
        missing.is_empty(),
        "{} of {} source files (listed by {how}) lack `{MARKER}` or `{COPYRIGHT}` in their first \
         lines; add `// SPDX-License-Identifier: MIT` then \
         `// SPDX-FileCopyrightText: 2026 The kiln contributors` (Rust), or the same two lines \
         after `# ` (shell, Python, YAML; after the `#!` line) to:\n  {}",
        missing.len(),
        checked.len(),
        missing.join("\n  ")
    );
}

#[test]
fn source_files_are_told_apart_from_data() {
    let root = repo_root();
    for rel in [
        "src/lib.rs",
        "tests/support/sshd.rs",
        "tests/oracle/record.py",
        "tests/oracle/record.sh",
        "fuzz/fuzz_targets/yaml_load.rs",
        ".github/workflows/ci.yml",
        ".github/dependabot.yaml",
    ] {
        assert!(is_source(rel, &root), "{rel} should be checked");
    }
    for rel in [
        "tests/playbooks/ping.yml",
        "tests/golden/ping.json",
        "tests/inventory_corpus/yaml_basic/hosts.yml",
        "tests/inventory_corpus/script/inventory.py",
        "fuzz/corpus/yaml_load/seed.rs",
        "playbooks/demo.yml",
        "docs/architecture.md",
        "Cargo.toml",
        "LICENSE",
        ".gitignore",
    ] {
        assert!(!is_source(rel, &root), "{rel} should not be checked");
    }
}

#[test]
fn the_markers_must_be_near_the_top() {
    const C: &str = "SPDX-FileCopyrightText: 2026 The kiln contributors";
    assert!(has_spdx_line(&format!(
        "// SPDX-License-Identifier: MIT\n// {C}\nfn main() {{}}\n"
    )));
    assert!(has_spdx_line(&format!(
        "#!/usr/bin/env bash\n# SPDX-License-Identifier: MIT\n# {C}\nset -e\n"
    )));
    assert!(has_spdx_line(&format!(
        "1\n2\n3\n4\n# SPDX-License-Identifier: MIT\n# {C}\n"
    )));
    // The licence line without the copyright line is not enough.
    assert!(!has_spdx_line(
        "// SPDX-License-Identifier: MIT\nfn main() {}\n"
    ));
    assert!(!has_spdx_line(&format!("// {C}\nfn main() {{}}\n")));
    assert!(!has_spdx_line(&format!(
        "1\n2\n3\n4\n5\n# SPDX-License-Identifier: MIT\n# {C}\n"
    )));
    assert!(!has_spdx_line("//! kiln\n// License: MIT\n"));
    assert!(!has_spdx_line(""));
}

#[test]
fn the_fallback_walk_finds_the_sources() {
    let files = walked_files(&repo_root());
    assert!(files.iter().any(|f| f == "src/lib.rs"), "{files:?}");
    assert!(files.iter().any(|f| f == "tests/spdx.rs"));
    assert!(
        !files.iter().any(|f| f.starts_with("target/")),
        "build output must not be walked"
    );
}
