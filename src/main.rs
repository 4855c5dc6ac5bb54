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
//! The `kiln` binary: everything is in the library; this only hands over argv.

fn main() {
    let code = kiln::cli::main_with_args(std::env::args().collect());
    std::process::exit(code);
}
