// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
#![forbid(unsafe_code)]
// Shipped code never panics on input and never prints around the event bus:
// errors are typed values with spans (CONTRIBUTING.md, "Coding standards").
// Unit tests may unwrap and panic (clippy.toml); the CLI module allows
// printing, since it is where kiln talks to the terminal.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::todo,
    clippy::unimplemented,
    clippy::dbg_macro,
    clippy::print_stdout,
    clippy::print_stderr
)]
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
