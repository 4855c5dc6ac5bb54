// SPDX-License-Identifier: MIT
//! The keywords of ansible-core 2.21, and which of them kiln implements.
//! An unknown keyword is an error with a suggestion; a keyword Ansible knows
//! but kiln does not implement yet is an error that says so, never ignored.

/// Task keywords of ansible-core 2.21 (plus `with_<lookup>`, handled apart).
pub const TASK_KEYWORDS: &[&str] = &[
    "action",
    "any_errors_fatal",
    "args",
    "async",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "changed_when",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "delay",
    "delegate_facts",
    "delegate_to",
    "diff",
    "environment",
    "failed_when",
    "ignore_errors",
    "ignore_unreachable",
    "local_action",
    "loop",
    "loop_control",
    "module_defaults",
    "name",
    "no_log",
    "notify",
    "poll",
    "port",
    "register",
    "remote_user",
    "retries",
    "run_once",
    "tags",
    "throttle",
    "timeout",
    "until",
    "vars",
    "when",
];

/// Task keywords kiln runs today.
pub const TASK_IMPLEMENTED: &[&str] = &[
    "action",
    "args",
    "become",
    "become_method",
    "become_user",
    "changed_when",
    "failed_when",
    "ignore_errors",
    "loop",
    "name",
    "register",
    "vars",
    "when",
    "check_mode",
    "no_log",
];

/// Play keywords of ansible-core 2.21.
pub const PLAY_KEYWORDS: &[&str] = &[
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "diff",
    "environment",
    "fact_path",
    "force_handlers",
    "gather_facts",
    "gather_subset",
    "gather_timeout",
    "handlers",
    "hosts",
    "ignore_errors",
    "ignore_unreachable",
    "max_fail_percentage",
    "module_defaults",
    "name",
    "no_log",
    "order",
    "port",
    "post_tasks",
    "pre_tasks",
    "remote_user",
    "roles",
    "run_once",
    "serial",
    "strategy",
    "tags",
    "tasks",
    "throttle",
    "timeout",
    "vars",
    "vars_files",
    "vars_prompt",
];

/// Play keywords kiln runs today.
pub const PLAY_IMPLEMENTED: &[&str] = &[
    "become",
    "become_method",
    "become_user",
    "gather_facts",
    "hosts",
    "ignore_errors",
    "name",
    "post_tasks",
    "pre_tasks",
    "tasks",
    "vars",
    "check_mode",
    "no_log",
    "remote_user",
    "connection",
    "port",
];

/// Lookups usable as `with_<name>` today.
pub const WITH_LOOKUPS: &[&str] = &["items", "list"];

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
