// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! YAML with Ansible's meaning: PyYAML's YAML 1.1 resolution on top of an
//! event parser that reports positions, scalar styles and tags, and errors
//! where Ansible (PyYAML on libyaml) reports them.

mod error;
mod hint;
mod libyaml;
mod loader;
mod locate;
mod merge;
mod node;
mod resolve;
mod syntax;
mod timestamp;

#[cfg(test)]
mod tests;

pub use error::{YamlError, YamlWarning};
pub use loader::{Loaded, load_file, load_single_file, load_single_str, load_str};
pub use node::{Node, NodeKind, ScalarStyle, Tag, python_float};
pub use resolve::resolve_plain;
