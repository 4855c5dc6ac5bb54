// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Runs the fake API server by hand: prints the kubeconfig path, seeds two
//! nodes, and serves until killed (`cargo run --example serve`).

use kube_fake::{FakeApi, FakeConfig};

fn main() -> Result<(), kube_fake::FakeError> {
    let api = FakeApi::start(FakeConfig::default())?;
    api.add_node("node-1", true)?;
    api.add_node("node-2", true)?;
    println!("{}", api.kubeconfig_path().display());
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
