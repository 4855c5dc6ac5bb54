// SPDX-License-Identifier: MIT
#![forbid(unsafe_code)]
//! kiln: an Ansible-compatible host provisioning engine.
//!
//! The folders follow the path a playbook takes (see docs/architecture.md):
//! `yaml` → `inventory` → `playbook` → `vars`/`template` → `plan` → `exec` →
//! `transport` → `modules` → `output`. `engine` ties them together and `cli`
//! is a thin layer over it.

pub mod cli;
pub mod config;
pub mod engine;
pub mod exec;
pub mod inventory;
pub mod k8s;
pub mod modules;
pub mod output;
pub mod plan;
pub mod playbook;
pub mod span;
pub mod template;
pub mod transport;
pub mod vars;
pub mod vault;
pub mod yaml;
