// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A kubeconfig (as a file named by KUBECONFIG, merged as kubectl merges)
//! must become a client configuration or a `K8sError`, never a panic. The
//! files are served from memory and the loader is told it is not on the
//! controller, so exec credential plugins are never started. Run with
//! `cargo +nightly fuzz run kubeconfig` in fuzz/.
#![no_main]

use kiln::k8s::{AuthArgs, HostFiles, KubeconfigArg, load_kubeconfig as load};
use libfuzzer_sys::fuzz_target;

struct Memory(Vec<u8>);

#[async_trait::async_trait]
impl HostFiles for Memory {
    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        Ok((path == "/fuzz/config").then(|| self.0.clone()))
    }
    async fn env(&self, _name: &str) -> Option<String> {
        None
    }
    fn on_controller(&self) -> bool {
        false
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
        return;
    };
    let files = Memory(data.to_vec());
    let args = AuthArgs {
        kubeconfig: Some(KubeconfigArg::Path("/fuzz/config".into())),
        ..AuthArgs::default()
    };
    rt.block_on(async {
        if let Err(e) = load(&args, &files).await {
            let _ = e.to_string();
        }
    });
});
