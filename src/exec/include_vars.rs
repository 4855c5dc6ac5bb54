// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `include_vars`, which runs on the controller: a file found as ansible-core
//! finds it (the role's and the task's `vars/`, then the playbook's), or a
//! directory walked in its order (`depth`, `files_matching`, `ignore_files`,
//! `extensions`, `ignore_unknown_extensions`).
//!
//! A failure is reported as ansible-core 2.21 reports it: the reason under
//! `message`, with `msg` "Task failed: Action failed: Unknown error.", the
//! files read so far and empty facts.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json, json};

use super::{PlayCtx, Runner};
use crate::modules::{self, ERROR_DETAIL};
use crate::playbook::Task;

/// What ansible-core's action puts in `msg` when its result has none.
const UNKNOWN: &str = "Task failed: Action failed: Unknown error.";

/// The extensions read by default.
const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

impl Runner {
    /// `include_vars`: reads a vars file (or a folder of them) on the
    /// controller.
    pub(super) fn include_vars(
        &self,
        play: &PlayCtx,
        task: &Task,
        args: &Map<String, Json>,
    ) -> Map<String, Json> {
        let file = args
            .get("file")
            .or_else(|| args.get("_raw_params"))
            .and_then(Json::as_str);
        let mut read = Reading::default();
        let mut facts = Map::new();
        if let Some(dir) = args.get("dir").and_then(Json::as_str) {
            let root = dir_root(task, dir);
            if !root.exists() {
                return read.failed(format!("{} directory does not exist", root.display()));
            }
            if !root.is_dir() {
                return read.failed(format!("{} is not a directory", root.display()));
            }
            let opts = match DirOptions::of(args) {
                Ok(o) => o,
                Err(e) => return modules::failed(e),
            };
            for (dir, names) in walk(&root, opts.depth) {
                let mut here = Map::new();
                for name in names {
                    // A role's own vars/main.yml is already loaded.
                    if task
                        .role
                        .as_ref()
                        .is_some_and(|r| r.path.join("vars/main.yml") == dir.join(&name))
                    {
                        continue;
                    }
                    if opts.matching.as_ref().is_some_and(|re| !re.is_match(&name))
                        || opts.ignored(&name)
                    {
                        continue;
                    }
                    let known = opts.known_extension(&name);
                    if opts.ignore_unknown && !known {
                        continue;
                    }
                    let path = dir.join(&name);
                    let loaded = if known {
                        self.vars_of(&path)
                    } else {
                        Err(format!(
                            "{} does not have a valid extension: {}",
                            py_quoted(&path),
                            opts.extensions.join(", ")
                        ))
                    };
                    match loaded {
                        Ok(m) => {
                            read.files.push(path);
                            here.extend(m);
                        }
                        Err(e) => {
                            // What earlier directories gave is kept, as
                            // ansible-core keeps it.
                            read.facts = named(args, facts);
                            return read.failed(e);
                        }
                    }
                }
                facts.extend(here);
            }
        } else {
            let Some(f) = file else {
                // ansible-core looks for a file named by nothing, and its
                // result carries the warning that search raised.
                let mut r = read.failed("Could not find file on the Ansible Controller.".into());
                r.insert(
                    "warnings".into(),
                    json!(["Invalid request to find a file that matches a \"null\" value"]),
                );
                return r;
            };
            let path = match find_vars_file(play, task, f) {
                Ok(p) => p,
                Err(e) => return read.failed(e),
            };
            match self.vars_of(&path) {
                Ok(m) => {
                    read.files.push(path);
                    facts = m;
                }
                Err(e) => return read.failed(e),
            }
        }
        let mut r = Map::new();
        r.insert("ansible_facts".into(), Json::Object(named(args, facts)));
        r.insert("ansible_included_var_files".into(), read.list());
        r.insert("changed".into(), json!(false));
        r
    }

    /// The variables of one file: a dictionary (an empty file is none).
    fn vars_of(&self, path: &Path) -> Result<Map<String, Json>, String> {
        let Some(doc) = self.vars_document(path)? else {
            return Ok(Map::new());
        };
        match crate::vault::open_to_json(&doc, self.templar.vault()).map_err(|e| e.to_string())? {
            Json::Object(m) => Ok(m),
            Json::Null => Ok(Map::new()),
            _ => Err(format!(
                "{} must be stored as a dictionary/hash",
                py_quoted(path)
            )),
        }
    }
}

impl Runner {
    /// The first YAML document of a vars file (vault-encrypted files and
    /// values opened with the run's secrets), the one both `vars_files`
    /// and `include_vars` read.
    pub(super) fn vars_document(&self, path: &Path) -> Result<Option<crate::yaml::Node>, String> {
        let loaded = crate::vault::load_yaml_file(
            path,
            self.templar.vault(),
            crate::vault::Secrets::AllValues,
        )
        .map_err(|e| e.to_string())?;
        Ok(loaded.docs.into_iter().next())
    }
}

/// The facts under `name` when the task gives one.
fn named(args: &Map<String, Json>, facts: Map<String, Json>) -> Map<String, Json> {
    match args.get("name").and_then(Json::as_str) {
        Some(n) => {
            let mut m = Map::new();
            m.insert(n.to_string(), Json::Object(facts));
            m
        }
        None => facts,
    }
}

/// The files read so far and the facts to report with a failure.
#[derive(Default)]
struct Reading {
    files: Vec<PathBuf>,
    facts: Map<String, Json>,
}

impl Reading {
    fn list(&self) -> Json {
        Json::Array(
            self.files
                .iter()
                .map(|p| json!(p.display().to_string()))
                .collect(),
        )
    }

    fn failed(self, message: String) -> Map<String, Json> {
        let mut r = modules::failed(UNKNOWN);
        r.insert("message".into(), json!(message));
        r.insert("ansible_included_var_files".into(), self.list());
        r.insert("ansible_facts".into(), Json::Object(self.facts));
        r.insert("changed".into(), json!(false));
        r.insert(ERROR_DETAIL.into(), json!(UNKNOWN));
        r
    }
}

/// The directory `dir` names: in a role, under its `vars/` (a name that
/// starts with `vars/` is taken from the role's root when it is there);
/// otherwise beside the task's file.
fn dir_root(task: &Task, dir: &str) -> PathBuf {
    match &task.role {
        Some(r) if dir.split('/').next() == Some("vars") => {
            let p = r.path.join(dir);
            if p.exists() { p } else { PathBuf::from(dir) }
        }
        Some(r) => r.path.join("vars").join(dir),
        None => task.dir.join(dir),
    }
}

/// A vars file searched as ansible-core's `_find_needle('vars', ...)`: for
/// each of the role's path and the task's directory, `vars/NAME` then
/// `NAME`, then the same under the playbook's directory; the failure lists
/// every place looked at, in that order.
fn find_vars_file(play: &PlayCtx, task: &Task, name: &str) -> Result<PathBuf, String> {
    let expanded = crate::template::expanduser(name);
    if expanded.starts_with('/') {
        let p = PathBuf::from(&expanded);
        return if p.exists() {
            Ok(p)
        } else {
            Err(format!(
                "Could not find or access '{name}' on the Ansible Controller."
            ))
        };
    }
    let mut stack: Vec<PathBuf> = Vec::new();
    if let Some(r) = &task.role {
        stack.push(r.path.clone());
    }
    if !stack.contains(&task.dir) {
        stack.push(task.dir.clone());
    }
    stack.push(PathBuf::from(&play.playbook_dir));
    let skip_vars = expanded.split('/').next() == Some("vars");
    let mut search = Vec::new();
    for base in &stack {
        if !skip_vars {
            search.push(base.join("vars").join(&expanded));
        }
        search.push(base.join(&expanded));
    }
    if let Some(found) = search.iter().find(|p| p.exists()) {
        return Ok(found.clone());
    }
    let listed: Vec<String> = search
        .iter()
        .map(|p| format!("\t{}", p.display()))
        .collect();
    Err(format!(
        "Could not find or access '{name}'\nSearched in:\n{} on the Ansible Controller.",
        listed.join("\n")
    ))
}

/// A path as Python's `repr` shows a string.
fn py_quoted(p: &Path) -> String {
    crate::template::py_repr(&minijinja::Value::from(p.display().to_string()))
}

/// `include_vars`' options for a directory.
struct DirOptions {
    depth: usize,
    matching: Option<regex::Regex>,
    ignore_files: Vec<regex::Regex>,
    extensions: Vec<String>,
    ignore_unknown: bool,
}

impl DirOptions {
    fn of(args: &Map<String, Json>) -> Result<Self, String> {
        let depth = args
            .get("depth")
            .and_then(Json::as_u64)
            .and_then(|d| usize::try_from(d).ok())
            .unwrap_or(0);
        let matching = match args.get("files_matching").and_then(Json::as_str) {
            Some(p) => Some(
                regex::Regex::new(p)
                    .map_err(|e| format!("Invalid regular expression: {p:?}: {e}"))?,
            ),
            None => None,
        };
        let strings = |k: &str| -> Vec<String> {
            match args.get(k) {
                Some(Json::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect(),
                Some(Json::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            }
        };
        let ignore_files = strings("ignore_files")
            .iter()
            .map(|p| {
                regex::Regex::new(&format!("{p}$"))
                    .map_err(|_| format!("Invalid regular expression: '{p}'"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut extensions = strings("extensions");
        if extensions.is_empty() {
            extensions = EXTENSIONS.iter().map(|e| (*e).to_string()).collect();
        }
        Ok(DirOptions {
            depth,
            matching,
            ignore_files,
            extensions,
            ignore_unknown: args
                .get("ignore_unknown_extensions")
                .and_then(Json::as_bool)
                .unwrap_or(false),
        })
    }

    fn ignored(&self, name: &str) -> bool {
        self.ignore_files.iter().any(|re| re.is_match(name))
    }

    fn known_extension(&self, name: &str) -> bool {
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        self.extensions.iter().any(|e| e == ext)
    }
}

/// The directories under `root` (itself first) sorted by path, each with
/// its sorted file names, as ansible-core walks them; `depth` counts these
/// directories in that order (0: all), as ansible-core counts them.
fn walk(root: &Path, depth: usize) -> Vec<(PathBuf, Vec<String>)> {
    let mut all = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut names = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let p = e.path();
                // Links are followed, as os.walk(followlinks=True) does.
                if p.is_dir() {
                    pending.push(p);
                } else {
                    names.push(e.file_name().to_string_lossy().into_owned());
                }
            }
        }
        names.sort();
        all.push((dir, names));
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    if depth > 0 {
        all.truncate(depth);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_directories_in_path_order_and_counts_depth_as_ansible() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).expect("dirs");
        std::fs::create_dir_all(root.join("a")).expect("dirs");
        for f in ["z.yml", "a.yml", "b/x.yml", "a/y.yml", "b/c/w.yml"] {
            std::fs::write(root.join(f), "k: 1\n").expect("file");
        }
        let all = walk(root, 0);
        let dirs: Vec<String> = all
            .iter()
            .map(|(d, _)| d.strip_prefix(root).expect("under").display().to_string())
            .collect();
        assert_eq!(dirs, ["", "a", "b", "b/c"]);
        assert_eq!(all[0].1, ["a.yml", "z.yml"]);
        assert_eq!(walk(root, 2).len(), 2);
    }

    #[test]
    fn options_take_ansible_defaults_and_refuse_bad_patterns() {
        let o = DirOptions::of(&Map::new()).expect("defaults");
        assert!(o.known_extension("a.yml") && o.known_extension("b.json"));
        assert!(!o.known_extension("README.md"));
        let mut args = Map::new();
        args.insert("ignore_files".into(), json!(["\\.md", "skip.yml"]));
        args.insert("extensions".into(), json!(["conf"]));
        let o = DirOptions::of(&args).expect("options");
        assert!(o.ignored("README.md") && o.ignored("skip.yml") && !o.ignored("a.yml"));
        assert!(o.known_extension("x.conf") && !o.known_extension("x.yml"));
        args.insert("files_matching".into(), json!("("));
        assert!(DirOptions::of(&args).is_err());
    }

    #[test]
    fn a_failure_reports_the_reason_under_message() {
        let r = Reading {
            files: vec![PathBuf::from("/v/a.yml")],
            facts: Map::new(),
        }
        .failed("why".into());
        assert_eq!(r["msg"], json!(UNKNOWN));
        assert_eq!(r["message"], json!("why"));
        assert_eq!(r["ansible_included_var_files"], json!(["/v/a.yml"]));
        assert_eq!(r["failed"], json!(true));
    }
}
