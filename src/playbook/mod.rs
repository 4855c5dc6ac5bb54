// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Playbooks: plays, blocks, tasks, handlers and roles read from YAML nodes,
//! with every keyword and module argument checked against what ansible-core
//! 2.21 accepts. Static imports (`import_tasks`, `import_playbook`, `roles:`)
//! are expanded here; keywords that blocks, roles and imports pass down are
//! pushed into each task, so the executor only reads a task's own fields.

mod argspec;
mod block;
mod common;
mod error;
pub mod keywords;
pub mod kv;
mod load;
mod role;
pub mod serial;
mod static_vars;
mod task;

pub use error::PlaybookError;
pub use load::{LoadOptions, load_playbook, load_playbook_str};
pub use role::{RoleFiles, load_role_items};
pub use task::{apply_keywords, parse_task_file};

use crate::span::Span;
use crate::yaml::Node;
use std::path::PathBuf;
use std::sync::Arc;

/// A whole playbook file (with imported playbooks expanded in place).
#[derive(Debug, Clone)]
pub struct Playbook {
    pub path: PathBuf,
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
    /// What was known while the play loaded (role defaults, play vars,
    /// readable vars_files): a file that a dynamic include loads later
    /// templates its static import names with these, as Ansible does
    /// (never with host vars or facts).
    pub load_vars: Vec<Arc<crate::vars::Layer>>,
    /// `vars_files` entries as written (a string, or a list of candidates
    /// of which the first that exists is used).
    pub vars_files: Vec<Node>,
    /// `gather_facts`, when written.
    pub gather_facts: Option<Node>,
    pub gather_subset: Option<Node>,
    /// Keywords inherited by every task (`become`, `ignore_errors`, ...).
    pub inherit: Inherited,
    pub pre_tasks: Vec<Item>,
    /// Roles (expanded into blocks) followed by `tasks`.
    pub tasks: Vec<Item>,
    pub post_tasks: Vec<Item>,
    /// Handlers in definition order: those of roles first, then the play's.
    pub handlers: Vec<Arc<Task>>,
    /// The roles of the play (their defaults and vars are visible play-wide).
    pub roles: Vec<Arc<Role>>,
    /// The roles the play names itself (`roles:` then `import_role`s), in
    /// order, repeats kept: Ansible's `play.roles`, which
    /// `ansible_play_role_names` and `ansible_role_names` are made of.
    pub role_uses: Vec<Arc<Role>>,
    pub force_handlers: Option<Node>,
    /// `serial`: batch sizes.
    pub serial: Option<Node>,
    pub max_fail_percentage: Option<Node>,
    /// `order`: the order hosts run in (inventory, reverse_inventory,
    /// sorted, reverse_sorted, shuffle).
    pub order: Option<Node>,
    /// `strategy`: linear (default), free, host_pinned.
    pub strategy: Option<Node>,
    /// `vars_prompt` entries.
    pub vars_prompt: Option<Node>,
    /// The directory of the file the play is written in.
    pub dir: PathBuf,
}

/// One entry of a task list.
#[derive(Debug, Clone)]
pub enum Item {
    Task(Arc<Task>),
    Block(Arc<Block>),
}

impl Item {
    /// Every task in this entry, depth first (block, rescue, always).
    pub fn tasks(&self) -> Vec<Arc<Task>> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<Arc<Task>>) {
        match self {
            Item::Task(t) => out.push(t.clone()),
            Item::Block(b) => {
                for i in b.block.iter().chain(&b.rescue).chain(&b.always) {
                    i.collect(out);
                }
            }
        }
    }
}

impl Play {
    /// Every task of the play (not handlers), in the order written.
    pub fn all_tasks(&self) -> Vec<Arc<Task>> {
        self.pre_tasks
            .iter()
            .chain(&self.tasks)
            .chain(&self.post_tasks)
            .flat_map(Item::tasks)
            .collect()
    }
}

/// `block`/`rescue`/`always`. Its keywords are already pushed into its tasks.
#[derive(Debug, Clone)]
pub struct Block {
    pub span: Span,
    pub name: Option<Node>,
    pub block: Vec<Item>,
    pub rescue: Vec<Item>,
    pub always: Vec<Item>,
}

/// A role as used by a play (or by `import_role`).
#[derive(Debug)]
pub struct Role {
    /// The role's own name (`role_name`).
    pub name: String,
    /// The name Ansible shows (`ansible_role_name`, task prefixes): with
    /// its collection, `ns.coll.role`, for a role from a collection.
    pub fqcn: String,
    pub path: PathBuf,
    pub defaults: Vec<(String, Node)>,
    pub vars: Vec<(String, Node)>,
    /// Parameters given where the role is used (`- role: x` with keys).
    pub params: Vec<(String, Node)>,
    /// The roles that imported or included this use of the role, nearest
    /// first, as (name, path): `ansible_parent_role_names`/`_paths`.
    pub parents: Vec<(String, String)>,
    /// The paths of the roles above this use, outermost first: the roles
    /// that depend on it through meta dependencies and those that imported
    /// or included it (Ansible's dependency chain, which
    /// `ansible_search_path` lists after the role, nearest first).
    pub chain: Vec<String>,
    /// Every dependency, recursively, in the order they run
    /// (`ansible_dependent_role_names`).
    pub dependencies: Vec<String>,
    /// What tells two uses of the role apart (Ansible's role hash: path,
    /// params, when, tags, vars, `*_from` files, whether an include or
    /// import named it): a use equal to one that already ran on a host is
    /// passed over there, unless duplicates are allowed.
    pub key: String,
    /// `allow_duplicates` (meta, or the include's; includes and imports
    /// allow them unless told otherwise).
    pub allow_duplicates: bool,
    /// `public` of the import or include that named the role (`None`: not
    /// given; then `private_role_vars`, else the kind of use, decides
    /// whether the whole play sees the role's defaults and vars).
    pub public: Option<bool>,
}

/// Keywords that plays, blocks, roles and imports pass down to tasks.
#[derive(Debug, Clone, Default)]
pub struct Inherited {
    pub become_: Option<Node>,
    pub become_user: Option<Node>,
    pub become_method: Option<Node>,
    pub ignore_errors: Option<Node>,
    pub ignore_unreachable: Option<Node>,
    pub check_mode: Option<Node>,
    pub no_log: Option<Node>,
    pub remote_user: Option<Node>,
    pub connection: Option<Node>,
    pub port: Option<Node>,
    pub delegate_to: Option<Node>,
    pub run_once: Option<Node>,
    pub any_errors_fatal: Option<Node>,
    pub diff: Option<Node>,
    pub throttle: Option<Node>,
    pub timeout: Option<Node>,
    pub become_flags: Option<Node>,
    pub become_exe: Option<Node>,
    pub delegate_facts: Option<Node>,
    /// `collections` search list (kiln's modules are known by their
    /// fully qualified names anyway; kept for `ansible_collection_name`).
    pub collections: Option<Node>,
    /// `debugger`: accepted; kiln never starts the interactive debugger.
    pub debugger: Option<Node>,
    /// `module_defaults` dicts (or lists of dicts), outermost first
    /// (inner ones win).
    pub module_defaults: Vec<Node>,
    /// `environment` dicts, outermost first (inner keys win).
    pub environment: Vec<Node>,
    /// Conditions of enclosing blocks and static imports, outermost first.
    pub when: Vec<Node>,
    /// Tags of enclosing plays, blocks, roles and imports.
    pub tags: Vec<String>,
    /// Vars of enclosing blocks and imports, outermost first.
    pub vars: Vec<(String, Node)>,
}

impl Inherited {
    /// `self` (the parent) combined with `child`: the child's keywords win,
    /// conditions, tags, vars and environments accumulate.
    pub fn merged(&self, child: &Inherited) -> Inherited {
        let pick = |c: &Option<Node>, p: &Option<Node>| c.clone().or_else(|| p.clone());
        let mut tags = self.tags.clone();
        for t in &child.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        Inherited {
            become_: pick(&child.become_, &self.become_),
            become_user: pick(&child.become_user, &self.become_user),
            become_method: pick(&child.become_method, &self.become_method),
            ignore_errors: pick(&child.ignore_errors, &self.ignore_errors),
            ignore_unreachable: pick(&child.ignore_unreachable, &self.ignore_unreachable),
            check_mode: pick(&child.check_mode, &self.check_mode),
            no_log: pick(&child.no_log, &self.no_log),
            remote_user: pick(&child.remote_user, &self.remote_user),
            connection: pick(&child.connection, &self.connection),
            port: pick(&child.port, &self.port),
            delegate_to: pick(&child.delegate_to, &self.delegate_to),
            run_once: pick(&child.run_once, &self.run_once),
            any_errors_fatal: pick(&child.any_errors_fatal, &self.any_errors_fatal),
            diff: pick(&child.diff, &self.diff),
            throttle: pick(&child.throttle, &self.throttle),
            timeout: pick(&child.timeout, &self.timeout),
            become_flags: pick(&child.become_flags, &self.become_flags),
            become_exe: pick(&child.become_exe, &self.become_exe),
            delegate_facts: pick(&child.delegate_facts, &self.delegate_facts),
            collections: pick(&child.collections, &self.collections),
            debugger: pick(&child.debugger, &self.debugger),
            module_defaults: self
                .module_defaults
                .iter()
                .chain(&child.module_defaults)
                .cloned()
                .collect(),
            environment: self
                .environment
                .iter()
                .chain(&child.environment)
                .cloned()
                .collect(),
            when: self.when.iter().chain(&child.when).cloned().collect(),
            tags,
            vars: self.vars.iter().chain(&child.vars).cloned().collect(),
        }
    }
}

/// How a task loops.
#[derive(Debug, Clone)]
pub enum Loop {
    /// `loop:` (the list as written)
    Loop(Node),
    /// `with_<lookup>:`.
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
    /// The task's own conditions (inherited ones are in `inherit.when`).
    pub when: Vec<Node>,
    pub changed_when: Vec<Node>,
    pub failed_when: Vec<Node>,
    pub register: Option<String>,
    pub loop_: Option<Loop>,
    pub loop_control: Option<Node>,
    pub until: Vec<Node>,
    pub retries: Option<Node>,
    pub delay: Option<Node>,
    /// `async`: the job's time limit in seconds (0 or absent: not async).
    /// Ansible does not inherit it from blocks.
    pub async_: Option<Node>,
    /// `poll`: seconds between status checks of an async job (0: fire and
    /// forget).
    pub poll: Option<Node>,
    /// The task's own vars (inherited ones are in `inherit.vars`).
    pub vars: Vec<(String, Node)>,
    /// Handler names or `listen` topics this task notifies when it changes.
    pub notify: Vec<Node>,
    /// For handlers: the topics they listen to.
    pub listen: Vec<String>,
    pub inherit: Inherited,
    /// The tags of the enclosing blocks and imports, without the task's own:
    /// what a dynamic include passes to its tasks (its own tags select the
    /// include only).
    pub parent_tags: Vec<String>,
    /// What the task inherits from its blocks, play and imports, without
    /// its own keywords: what a dynamic include passes to the tasks it
    /// brings in (its own keywords apply to the include only, as in
    /// Ansible; `apply:` is the way to pass keywords down).
    pub parent_inherit: Inherited,
    pub role: Option<Arc<Role>>,
    /// The directory relative paths of includes are resolved against.
    pub dir: PathBuf,
}

impl Task {
    /// A task at `span` with no action yet and no keywords.
    pub fn empty(span: &Span, dir: PathBuf, role: Option<Arc<Role>>) -> Task {
        Task {
            span: span.clone(),
            name: None,
            action: String::new(),
            action_written: String::new(),
            action_span: span.clone(),
            args: Vec::new(),
            when: Vec::new(),
            changed_when: Vec::new(),
            failed_when: Vec::new(),
            register: None,
            loop_: None,
            loop_control: None,
            until: Vec::new(),
            retries: None,
            delay: None,
            async_: None,
            poll: None,
            vars: Vec::new(),
            notify: Vec::new(),
            listen: Vec::new(),
            inherit: Inherited::default(),
            parent_tags: Vec::new(),
            parent_inherit: Inherited::default(),
            role,
            dir,
        }
    }

    /// The name Ansible shows in `TASK [...]`: the name, else the action,
    /// prefixed with the role's name inside a role.
    pub fn display_name(&self) -> String {
        let base = match self.name.as_ref().and_then(Node::as_str) {
            Some(n) => n.to_string(),
            None if self.action == "include_role" => {
                let role = self
                    .args
                    .iter()
                    .find(|(k, _)| k == "name")
                    .or_else(|| self.args.iter().find(|(k, _)| k == "role"))
                    .map(|(_, v)| v.key_string())
                    .unwrap_or_default();
                format!("{} : {role}", self.action_written)
            }
            None => self.action_written.clone(),
        };
        match self.shown_role() {
            Some(r) => format!("{} : {base}", r.fqcn),
            None => base,
        }
    }

    /// The name `--list-tasks` shows, as ansible-core's `Task.get_name`
    /// gives it: the role prefix only before a task's own name; a task with
    /// no name shows its action alone (`include_role` too).
    pub fn listing_name(&self) -> String {
        match self.name.as_ref().and_then(Node::as_str) {
            Some(n) => match self.shown_role() {
                Some(r) => format!("{} : {n}", r.fqcn),
                None => n.to_string(),
            },
            None => self.action_written.clone(),
        }
    }

    /// The role whose name prefixes the task's: none for `include_role`,
    /// whose name Ansible shows on its own (or as `include_role : NAME`).
    pub fn shown_role(&self) -> Option<&Arc<Role>> {
        if self.action == "include_role" {
            return None;
        }
        self.role.as_ref()
    }

    /// All conditions: those of enclosing blocks and imports, then its own.
    pub fn all_when(&self) -> impl Iterator<Item = &Node> {
        self.inherit.when.iter().chain(&self.when)
    }
}
