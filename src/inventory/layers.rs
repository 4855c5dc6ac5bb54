// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The inventory part of a host's variables, as ordered layers.
//!
//! Order implemented (lowest precedence first), which is Ansible's default
//! `VARIABLE_PRECEDENCE` (`all_inventory, groups_inventory,
//! all_plugins_inventory, all_plugins_play, groups_plugins_inventory,
//! groups_plugins_play`) followed by the host layers:
//!
//! 1. vars of group `all` from the inventory sources (`[all:vars]`, `all: vars:`);
//! 2. vars of every other group of the host from the inventory sources, by
//!    depth, then `ansible_group_priority`, then name;
//! 3. `group_vars/all` next to each inventory source (sources in `-i` order);
//! 4. `group_vars/all` next to the playbook (the `play` dirs given);
//! 5. `group_vars/<group>` next to each inventory source: for each source,
//!    the host's groups in the order of 2;
//! 6. `group_vars/<group>` next to the playbook, same order;
//! 7. the host's own vars from the inventory sources (inline INI vars,
//!    YAML host vars, `host:port`, `inventory_file`/`inventory_dir`);
//! 8. `host_vars/<host>` next to each inventory source;
//! 9. `host_vars/<host>` next to the playbook.
//!
//! Within a layer (and between layers) a later key replaces an earlier one
//! whole: Ansible's default `hash_behaviour=replace` does not merge dicts.
//! The implicit localhost is in no group but still gets the layers of `all`
//! (1, 3, 4), as in Ansible.

use super::model::Inventory;
use super::vars_dirs::VarsDirs;
use crate::yaml::Node;
use std::path::PathBuf;

/// Where a layer of inventory variables comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerSource {
    /// Group vars written in an inventory source.
    InventoryGroup(String),
    /// A `group_vars/` file next to an inventory source.
    InventoryGroupVars { group: String, path: PathBuf },
    /// A `group_vars/` file next to the playbook.
    PlaybookGroupVars { group: String, path: PathBuf },
    /// Host vars written in an inventory source.
    InventoryHost,
    /// A `host_vars/` file next to an inventory source.
    InventoryHostVars { path: PathBuf },
    /// A `host_vars/` file next to the playbook.
    PlaybookHostVars { path: PathBuf },
}

/// One layer of variables; apply layers in order, later keys win.
#[derive(Debug, Clone, PartialEq)]
pub struct VarsLayer {
    pub source: LayerSource,
    pub vars: Vec<(String, Node)>,
}

impl Inventory {
    /// The inventory-level variable layers of `host`, lowest precedence
    /// first, with the inventory's own group_vars/ and host_vars/ folded in.
    pub fn host_vars_layers(&self, host: &str) -> Vec<VarsLayer> {
        self.host_vars_layers_with(host, &[])
    }

    /// Same as `host_vars_layers`, with the group_vars/ and host_vars/ of
    /// playbook directories put at their place in the order.
    pub fn host_vars_layers_with(&self, host: &str, play: &[&VarsDirs]) -> Vec<VarsLayer> {
        let Some(h) = self.resolve_host(host) else {
            return Vec::new();
        };
        let groups: Vec<&str> = self
            .groups_of(&h.name)
            .into_iter()
            .filter(|g| *g != "all")
            .collect();
        let mut out = Vec::new();
        let mut push = |source: LayerSource, vars: Vec<(String, Node)>| {
            if !vars.is_empty() {
                out.push(VarsLayer { source, vars });
            }
        };
        if let Some(all) = self.group("all") {
            push(LayerSource::InventoryGroup("all".into()), all.vars.clone());
        }
        for g in &groups {
            if let Some(gr) = self.group(g) {
                push(
                    LayerSource::InventoryGroup(gr.name.clone()),
                    gr.vars.clone(),
                );
            }
        }
        for vd in &self.vars_dirs {
            for f in vd.group_files("all") {
                push(
                    LayerSource::InventoryGroupVars {
                        group: "all".into(),
                        path: f.path.clone(),
                    },
                    f.vars.clone(),
                );
            }
        }
        for vd in play {
            for f in vd.group_files("all") {
                push(
                    LayerSource::PlaybookGroupVars {
                        group: "all".into(),
                        path: f.path.clone(),
                    },
                    f.vars.clone(),
                );
            }
        }
        for vd in &self.vars_dirs {
            for g in &groups {
                for f in vd.group_files(g) {
                    push(
                        LayerSource::InventoryGroupVars {
                            group: g.to_string(),
                            path: f.path.clone(),
                        },
                        f.vars.clone(),
                    );
                }
            }
        }
        for vd in play {
            for g in &groups {
                for f in vd.group_files(g) {
                    push(
                        LayerSource::PlaybookGroupVars {
                            group: g.to_string(),
                            path: f.path.clone(),
                        },
                        f.vars.clone(),
                    );
                }
            }
        }
        push(LayerSource::InventoryHost, h.vars.clone());
        for vd in &self.vars_dirs {
            for f in vd.host_files(&h.name) {
                push(
                    LayerSource::InventoryHostVars {
                        path: f.path.clone(),
                    },
                    f.vars.clone(),
                );
            }
        }
        for vd in play {
            for f in vd.host_files(&h.name) {
                push(
                    LayerSource::PlaybookHostVars {
                        path: f.path.clone(),
                    },
                    f.vars.clone(),
                );
            }
        }
        out
    }

    /// The layers merged: the host's inventory variables, later keys
    /// replacing earlier ones.
    pub fn host_vars_merged(&self, host: &str, play: &[&VarsDirs]) -> Vec<(String, Node)> {
        let mut out = Vec::new();
        for layer in self.host_vars_layers_with(host, play) {
            for (k, v) in layer.vars {
                super::model::set_var(&mut out, &k, v);
            }
        }
        out
    }
}
