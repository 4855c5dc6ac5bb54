// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Which tasks `--tags`, `--skip-tags` and `--start-at-task` let run, with
//! Ansible's special tags: `always` runs unless skipped by name, `never`
//! runs only when asked for by name, `all`, `tagged` and `untagged` select
//! by kind.

/// Whether a task with `task_tags` runs under `--tags only` / `--skip-tags skip`.
pub fn selected(task_tags: &[String], only: &[String], skip: &[String]) -> bool {
    let has = |list: &[String], t: &str| list.iter().any(|x| x == t);
    let tagged = !task_tags.is_empty();
    // --skip-tags first: a match skips, `tagged`/`untagged` by kind.
    for s in skip {
        let hit = match s.as_str() {
            "all" => true,
            "tagged" => tagged,
            "untagged" => !tagged,
            other => has(task_tags, other),
        };
        if hit {
            return false;
        }
    }
    if has(task_tags, "always") {
        return true;
    }
    let only_all = only.is_empty() || only.iter().all(|t| t == "all");
    if has(task_tags, "never") {
        // Only an explicit request for one of its other tags runs it.
        return only
            .iter()
            .any(|t| t != "all" && t != "never" && has(task_tags, t))
            || has(only, "never");
    }
    if only_all {
        return true;
    }
    only.iter().any(|t| match t.as_str() {
        "all" => true,
        "tagged" => tagged,
        "untagged" => !tagged,
        other => has(task_tags, other),
    })
}

/// `--start-at-task` matches a task name exactly or as a glob (`*`, `?`).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ansible_tag_rules() {
        assert!(selected(&v(&[]), &v(&[]), &v(&[])));
        assert!(selected(&v(&["a"]), &v(&["a"]), &v(&[])));
        assert!(!selected(&v(&["b"]), &v(&["a"]), &v(&[])));
        assert!(selected(&v(&["always"]), &v(&["a"]), &v(&[])));
        assert!(!selected(&v(&["always"]), &v(&["a"]), &v(&["always"])));
        assert!(!selected(&v(&["never"]), &v(&[]), &v(&[])));
        assert!(!selected(&v(&["never", "x"]), &v(&[]), &v(&[])));
        assert!(selected(&v(&["never", "x"]), &v(&["x"]), &v(&[])));
        assert!(!selected(&v(&["a"]), &v(&[]), &v(&["a"])));
        assert!(selected(&v(&["a"]), &v(&["tagged"]), &v(&[])));
        assert!(!selected(&v(&[]), &v(&["tagged"]), &v(&[])));
        assert!(selected(&v(&[]), &v(&["untagged"]), &v(&[])));
        assert!(!selected(&v(&["a"]), &v(&[]), &v(&["tagged"])));
    }

    #[test]
    fn start_at_task_globs() {
        assert!(name_matches("install *", "install packages"));
        assert!(name_matches("exact", "exact"));
        assert!(!name_matches("exact", "exactly"));
    }
}
