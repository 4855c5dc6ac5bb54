// SPDX-License-Identifier: MIT
#![forbid(unsafe_code)]
//! The `kiln` binary: everything is in the library; this only hands over argv.

fn main() {
    let code = kiln::cli::main_with_args(std::env::args().collect());
    std::process::exit(code);
}
