// SPDX-License-Identifier: MIT
//! Playbooks: plays and tasks read from YAML nodes, with every keyword and
//! module argument checked against what ansible-core 2.21 accepts.

mod error;
pub mod keywords;
pub mod kv;
mod load;

pub use error::PlaybookError;
pub use load::{load_playbook, load_playbook_str};

use crate::span::Span;
use crate::yaml::Node;

/// A whole playbook file.
#[derive(Debug, Clone)]
pub struct Playbook {
    pub path: std::path::PathBuf,
    pub plays: Vec<Play>,
    /// YAML warnings (duplicate keys) met while loading.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Play {
    pub span: Span,
    pub name: Option<Node>,
    /// The `hosts` pattern (a string or a list of strings; may be templated).
    pub hosts: Node,
    pub vars: Vec<(String, Node)>,
    /// `gather_facts`, when written.
    pub gather_facts: Option<Node>,
    /// Keywords inherited by every task (`become`, `ignore_errors`, ...).
    pub inherit: Inherited,
    pub tasks: Vec<Task>,
}

/// Keywords that a play passes down to its tasks.
#[derive(Debug, Clone, Default)]
pub struct Inherited {
    pub become_: Option<Node>,
    pub become_user: Option<Node>,
    pub become_method: Option<Node>,
    pub ignore_errors: Option<Node>,
    pub check_mode: Option<Node>,
    pub no_log: Option<Node>,
    pub remote_user: Option<Node>,
    pub connection: Option<Node>,
    pub port: Option<Node>,
}

/// How a task loops.
#[derive(Debug, Clone)]
pub enum Loop {
    /// `loop:` (the list as written)
    Loop(Node),
    /// `with_items:` (flattened one level) or `with_list:`.
    With { lookup: String, items: Node },
}

#[derive(Debug, Clone)]
pub struct Task {
    pub span: Span,
    pub name: Option<Node>,
    /// Canonical short module name (`command` for `ansible.builtin.command`).
    pub action: String,
    /// The module as written (shown by Ansible when a task has no name).
    pub action_written: String,
    pub action_span: Span,
    /// Module arguments (free-form text is in `_raw_params`).
    pub args: Vec<(String, Node)>,
    pub when: Vec<Node>,
    pub changed_when: Vec<Node>,
    pub failed_when: Vec<Node>,
    pub register: Option<String>,
    pub loop_: Option<Loop>,
    pub vars: Vec<(String, Node)>,
    pub inherit: Inherited,
}

impl Task {
    /// The name Ansible shows in `TASK [...]`: the name, else the action.
    pub fn display_name(&self) -> String {
        match self.name.as_ref().and_then(Node::as_str) {
            Some(n) => n.to_string(),
            None => self.action_written.clone(),
        }
    }
}
