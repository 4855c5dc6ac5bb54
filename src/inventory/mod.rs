// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The inventory: hosts, groups and their variables, read from INI, YAML
//! and JSON files, directories and `host1,host2,` lists with Ansible's
//! rules, plus host patterns and the `ansible-inventory --list` rendering.
//!
//! ```text
//! let mut inv = Inventory::new();
//! inv.load_source("inventory/", cwd)?;   // as many as there are -i
//! inv.finish()?;                          // ungrouped, depths, group_vars/
//! let hosts = inv.select("web:&prod")?;
//! let layers = inv.host_vars_layers("web1");
//! ```

mod address;
mod error;
mod glob;
mod ini;
mod layers;
mod limit;
mod list;
mod model;
mod pattern;
mod pyliteral;
mod range;
mod runtime;
mod script;
mod shlex;
mod source;
mod vars_dirs;
mod yaml;

pub use address::{Address, is_ip_address, parse_address};
pub use error::{InventoryError, PatternError};
pub use layers::{LayerSource, VarsLayer};
pub use limit::limit_terms;
pub use list::node_to_list_json;
pub use model::{Group, Host, Inventory, LOCALHOST_NAMES};
pub use pattern::{Selection, split_host_pattern};
pub use range::{expand_host_pattern, expand_range};
pub use vars_dirs::{VarsDirs, VarsFile, load_vars_dirs};
// The two text parsers, for callers that hold the text already (the fuzz
// targets, embedders); `Inventory::load_source` reads files and picks one.
pub use ini::parse_ini;
pub use yaml::parse_yaml_doc;

#[cfg(test)]
mod tests;
