// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `--limit` (Ansible's inventory subset): a host pattern whose `@FILE`
//! terms are replaced by the lines of FILE, each line one term. Every
//! selection of a run is then cut down to the hosts the subset matches.

use super::error::PatternError;
use super::model::Inventory;
use super::pattern::{Selection, split_host_pattern};
use std::path::Path;

/// The terms of a `--limit`, with `@file` read (relative to `cwd`) as
/// Ansible reads it: every line stripped, empty lines ignored later.
pub fn limit_terms(limit: &str, cwd: &Path) -> Result<Vec<String>, PatternError> {
    let mut terms = Vec::new();
    for term in split_host_pattern(limit) {
        let Some(file) = term.strip_prefix('@') else {
            terms.push(term);
            continue;
        };
        let path = cwd.join(file);
        let fail = |message: String| PatternError {
            pattern: term.clone(),
            message,
        };
        if !path.exists() {
            return Err(fail(format!("Unable to find limit file {file}")));
        }
        if !path.is_file() {
            return Err(fail(format!(
                "Limit starting with \"@\" must be a file, not a directory: {file}"
            )));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| fail(format!("Unable to read limit file {file}: {e}")))?;
        terms.extend(
            text.split('\n')
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty()),
        );
    }
    Ok(terms)
}

impl Inventory {
    /// Sets (or clears) the run's `--limit`; `@file` terms are read now.
    pub fn set_limit(&mut self, limit: Option<&str>, cwd: &Path) -> Result<(), PatternError> {
        self.subset = match limit {
            Some(l) => Some(limit_terms(l, cwd)?),
            None => None,
        };
        Ok(())
    }

    /// The hosts `--limit` lets through (with Ansible's warnings about
    /// terms that matched nothing); `None` without a limit.
    pub fn limit_selection(&self) -> Result<Option<Selection>, PatternError> {
        match &self.subset {
            Some(terms) => self.select_terms(terms).map(Some),
            None => Ok(None),
        }
    }

    /// Keeps the hosts of `hosts` that `--limit` lets through.
    pub fn apply_limit(&self, hosts: &mut Vec<String>) -> Result<(), PatternError> {
        if let Some(sel) = self.limit_selection()? {
            let allowed: std::collections::HashSet<&String> = sel.hosts.iter().collect();
            hosts.retain(|h| allowed.contains(h));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory(dir: &Path) -> Inventory {
        std::fs::write(dir.join("hosts"), "[web]\nw1\nw2\n[db]\nd1\n").expect("write");
        let mut inv = Inventory::new();
        inv.load_source("hosts", dir).expect("load");
        inv.finish().expect("finish");
        inv
    }

    #[test]
    fn limit_file_lines_are_terms() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("lim"), "w1\n\n  d1  \n!w2\nw*\n").expect("write");
        let mut inv = inventory(dir.path());
        inv.set_limit(Some("@lim"), dir.path()).expect("limit");
        let mut hosts = inv.group_hosts("all");
        inv.apply_limit(&mut hosts).expect("apply");
        assert_eq!(hosts, ["w1", "d1"]);
        // A file term mixes with plain terms.
        inv.set_limit(Some("db,@lim"), dir.path()).expect("limit");
        let sel = inv.limit_selection().expect("select").expect("a limit");
        assert_eq!(sel.hosts, ["d1", "w1"]);
    }

    #[test]
    fn missing_limit_file_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut inv = inventory(dir.path());
        let e = inv.set_limit(Some("web:@nofile"), dir.path());
        assert_eq!(
            e.map_err(|e| e.message),
            Err("Unable to find limit file nofile".to_string())
        );
        let e = inv.set_limit(Some("@."), dir.path());
        assert!(e.is_err_and(|e| e.message.contains("must be a file, not a directory")));
    }
}
