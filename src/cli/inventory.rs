// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `kiln inventory`: ansible-inventory's `--list`, `--host`, `--graph`, on
//! the same inventory loader the engine runs with.

use crate::inventory::{Inventory, VarsDirs, load_vars_dirs};
use clap::Args;
use serde_json::Value;
use std::path::PathBuf;

#[derive(Args, Debug, Default)]
pub struct InventoryArgs {
    /// Inventory source (repeatable; a file, a directory or `h1,h2,`).
    #[arg(
        short = 'i',
        long = "inventory",
        alias = "inventory-file",
        value_name = "INVENTORY"
    )]
    pub inventory: Vec<String>,
    /// Output all hosts and groups with their variables (JSON).
    #[arg(long = "list")]
    pub list: bool,
    /// Output one host's variables.
    #[arg(long = "host", value_name = "HOST")]
    pub host: Option<String>,
    /// Output the group tree (of GROUP, default `all`).
    #[arg(long = "graph", num_args = 0..=1, default_missing_value = "all", value_name = "GROUP")]
    pub graph: Option<String>,
    /// With --list: variables where they are defined, not per host.
    #[arg(long = "export")]
    pub export: bool,
    /// Only these hosts.
    #[arg(short = 'l', long = "limit", value_name = "SUBSET")]
    pub limit: Option<String>,
    /// Also read group_vars/ and host_vars/ in this directory.
    #[arg(long = "playbook-dir", value_name = "DIR")]
    pub playbook_dir: Option<PathBuf>,
    /// With --list: YAML output, as ansible-inventory -y prints it.
    #[arg(short = 'y', long = "yaml")]
    pub yaml: bool,
    /// Passwords for inventory files and group_vars/host_vars that are vaults.
    #[command(flatten)]
    pub vault: super::vault::VaultOpts,
    /// With --list: TOML output (not supported by kiln).
    #[arg(long = "toml")]
    pub toml: bool,
    /// With --graph: show each host's and group's variables.
    #[arg(long = "vars")]
    pub vars: bool,
    /// With --list: write the inventory to this file instead of stdout.
    #[arg(long = "output", value_name = "OUTPUT_FILE")]
    pub output: Option<PathBuf>,
}

/// Runs the subcommand; the exit code.
pub fn run(args: InventoryArgs) -> i32 {
    let modes = [args.list, args.host.is_some(), args.graph.is_some()];
    match modes.iter().filter(|m| **m).count() {
        0 => {
            eprintln!(
                "[ERROR]: No action selected, at least one of --host, --graph or --list needs to be specified."
            );
            return 5;
        }
        1 => {}
        _ => {
            eprintln!(
                "[ERROR]: Conflicting options used, only one of --host, --graph or --list can be used at the same time."
            );
            return 5;
        }
    }
    if args.yaml && args.toml {
        eprintln!("[ERROR]: argument --toml: not allowed with argument -y/--yaml");
        return 5;
    }
    if args.toml && args.graph.is_none() {
        eprintln!(
            "[ERROR]: --toml output is not supported by kiln; use the JSON or YAML (-y) output"
        );
        return 5;
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut inv = Inventory::new();
    // ansible.cfg is read for its vault settings (vault_password_file,
    // vault_identity_list), as ansible-inventory does.
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cfg = match crate::config::find(&cwd, &home) {
        Some(p) => match crate::config::Config::load(&p) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("[ERROR]: {e}");
                return 1;
            }
        },
        None => crate::config::Config::default(),
    };
    match super::playbook_secrets(&args.vault, &cfg, &cwd) {
        Ok(v) => inv.set_vault_secrets(v),
        Err(m) => {
            eprintln!("[ERROR]: {m}");
            return 1;
        }
    }
    for s in &args.inventory {
        if let Err(e) = inv.load_source(s, &cwd) {
            eprintln!("[ERROR]: {e}");
            return 1;
        }
    }
    if let Err(e) = inv.finish() {
        eprintln!("[ERROR]: {e}");
        return 1;
    }
    for w in &inv.warnings {
        eprintln!("[WARNING]: {w}");
    }
    let play: Option<VarsDirs> = match &args.playbook_dir {
        Some(d) => match load_vars_dirs(d, &inv) {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("[ERROR]: {e}");
                return 1;
            }
        },
        None => None,
    };
    let dirs: Vec<&VarsDirs> = play.iter().collect();
    if let Some(h) = &args.host {
        // --host ignores --limit, as ansible-inventory does.
        if inv.resolve_host(h).is_none() {
            eprintln!("[ERROR]: You must pass a single valid host to --host parameter");
            return 1;
        }
        let vars: serde_json::Map<String, Value> = inv
            .host_vars_merged(h, &dirs)
            .iter()
            .filter(|(k, _)| k != "inventory_file" && k != "inventory_dir")
            .map(|(k, v)| (k.clone(), crate::inventory::node_to_list_json(v)))
            .collect();
        return emit(&Value::Object(vars), &args);
    }
    if let Some(limit) = &args.limit {
        let set = inv
            .set_limit(Some(limit), &cwd)
            .and_then(|()| inv.limit_selection());
        match set {
            Ok(Some(sel)) => {
                for w in &sel.warnings {
                    eprintln!("[WARNING]: {w}");
                }
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("[ERROR]: {e}");
                return 1;
            }
        }
    }
    if args.list {
        let v = if args.yaml {
            inv.to_list_yaml_data(&dirs, args.export)
        } else if args.export {
            inv.to_list_json_export(&dirs)
        } else {
            inv.to_list_json(&dirs)
        };
        return emit(&v, &args);
    }
    let group = args.graph.clone().unwrap_or_else(|| "all".into());
    let vars = args.vars.then_some(dirs.as_slice());
    match inv.to_graph_vars(&group, vars) {
        Some(g) => {
            println!("{g}");
            0
        }
        None => {
            eprintln!("[ERROR]: Pattern must be valid group name when using --graph");
            1
        }
    }
}

/// Prints (or writes to `--output`) data as JSON or, with `-y`, YAML:
/// ansible-inventory's `dump`.
fn emit(v: &Value, args: &InventoryArgs) -> i32 {
    let text = if args.yaml {
        yaml_text(v)
    } else {
        crate::output::json::dumps(v, Some(4), true)
    };
    match &args.output {
        Some(path) => match std::fs::write(path, &text) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!(
                    "[ERROR]: Unable to write to destination file '{}': {e}",
                    path.display()
                );
                1
            }
        },
        None => {
            // Ansible's display adds a line end only where there is none.
            if text.ends_with('\n') {
                print!("{text}");
            } else {
                println!("{text}");
            }
            0
        }
    }
}

/// `yaml.dump(data, Dumper=AnsibleDumper, default_flow_style=False,
/// allow_unicode=True)`.
pub fn yaml_text(v: &Value) -> String {
    use crate::template::yaml_dump::{DumpOptions, dump};
    let o = DumpOptions {
        indent: 2,
        default_flow_style: Some(false),
        sort_keys: true,
        width: 80,
        explicit_start: false,
        inventory_tags: true,
        literal_multiline: None,
        ..Default::default()
    };
    dump(&crate::template::json_to_value(v), &o)
}
