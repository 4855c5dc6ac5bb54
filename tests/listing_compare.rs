// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `kiln playbook --list-tasks --list-tags` byte-compared with what
//! ansible-playbook 2.21 printed for the same playbooks and tag selections
//! (recorded by tests/oracle/record_listing.py into tests/golden/listing/).
//! Listing touches no host, so no sshd is started.

use regex::Regex;
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The cases of record_listing.py's `CASES`: (name, stem, arguments).
fn cases() -> Vec<(String, String, Vec<String>)> {
    let script = std::fs::read_to_string(repo().join("tests/oracle/record_listing.py"))
        .expect("record_listing.py");
    let line = Regex::new(r#"^\s*\("([^"]+)", "([^"]+)", \[(.*)\]\),\s*$"#).unwrap();
    let arg = Regex::new(r#""([^"]*)""#).unwrap();
    script
        .lines()
        .filter_map(|l| line.captures(l))
        .map(|c| {
            let args = arg.captures_iter(&c[3]).map(|a| a[1].to_string()).collect();
            (c[1].to_string(), c[2].to_string(), args)
        })
        .collect()
}

#[test]
fn list_tasks_and_tags_match_ansible() {
    let cases = cases();
    assert!(cases.len() >= 20, "CASES not read from record_listing.py");
    let mut problems = Vec::new();
    for (name, stem, args) in &cases {
        let golden =
            std::fs::read_to_string(repo().join(format!("tests/golden/listing/{name}.txt")))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (rc, want) = golden.split_once('\n').expect("rc line");
        let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args([
                "playbook",
                "-i",
                "tests/oracle/listing_inventory.ini",
                &format!("tests/playbooks/{stem}.yml"),
                "--list-tasks",
                "--list-tags",
            ])
            .args(args)
            .current_dir(repo())
            .env_remove("ANSIBLE_CONFIG")
            .output()
            .expect("kiln runs");
        let got = String::from_utf8_lossy(&out.stdout);
        let code = out.status.code().unwrap_or(-1).to_string();
        if code != rc || got != want {
            problems.push(format!(
                "{name} (rc kiln {code}, ansible {rc}):\n--- kiln\n{got}\n--- ansible\n{want}\n--- kiln stderr\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
