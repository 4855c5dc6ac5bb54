// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The inventory benchmark (issue 3, point 10) under `cargo bench`: runs
//! benches/inventory/run.py with the kiln binary cargo built for this
//! bench (an optimised build), which times kiln and ansible-core side by
//! side on a generated inventory of 10,000 hosts in 200 groups and prints
//! the ratios.
//!
//! Run: `cargo bench --bench inventory` (options after `--` go to run.py:
//! `--hosts 10000 --groups 200 --task-hosts 1000 --reps 3
//! --ansible-bin DIR --out FILE`). Needs python3 and ansible-core 2.21
//! (`tests/oracle/setup-venv.sh` makes the venv).

use std::path::Path;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/inventory/run.py");
    // cargo passes `--bench`; only what follows `--` is for the script.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let status = Command::new("python3")
        .arg(&script)
        .arg("--kiln")
        .arg(env!("CARGO_BIN_EXE_kiln"))
        .args(&args)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("{} exited with {s}", script.display());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("cannot run python3 {}: {e}", script.display());
            ExitCode::FAILURE
        }
    }
}
