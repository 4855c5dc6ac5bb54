// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Counting round trips: a one-task playbook run through the engine on the
//! local host, through a connection that counts every command it runs.
//! Shared by `benches/modules.rs` (round trips and times per module) and
//! `tests/round_trips.rs` (the bounds issue 7 sets).

use kiln::engine::{self, Request};
use kiln::exec::{Connector, RunOptions};
use kiln::output::Bus;
use kiln::transport::{
    Connection, Dialog, DialogOutcome, ExecOutput, LocalConnection, TransportError,
};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The local connection, counting each command (each is one round trip
/// over SSH).
struct Counting {
    inner: LocalConnection,
    calls: Arc<AtomicU64>,
}

#[async_trait::async_trait]
impl Connection for Counting {
    async fn exec(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, TransportError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.exec(cmd, stdin).await
    }
    async fn exec_tty(&self, cmd: &str) -> Result<ExecOutput, TransportError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.exec_tty(cmd).await
    }
    async fn exec_dialog(
        &self,
        cmd: &str,
        tty: bool,
        dialog: &mut dyn Dialog,
        stdin: Option<&[u8]>,
    ) -> Result<DialogOutcome, TransportError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.exec_dialog(cmd, tty, dialog, stdin).await
    }
    async fn exec_stream(
        &self,
        cmd: &str,
        input: Option<&mut (dyn tokio::io::AsyncRead + Send + Unpin)>,
        output: &mut (dyn tokio::io::AsyncWrite + Send + Unpin),
        dialog: Option<&mut dyn Dialog>,
        tty: bool,
    ) -> Result<DialogOutcome, TransportError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner
            .exec_stream(cmd, input, output, dialog, tty)
            .await
    }
    async fn close(&self) {}
}

/// Runs `dir/one.yml` against `dir/inventory.ini` once: the commands it
/// ran and its wall time.
pub fn run_once(dir: &Path, calls: &Arc<AtomicU64>) -> Result<(u64, Duration), String> {
    let counter = calls.clone();
    let connector = Connector(Arc::new(move |_host: &str| {
        let c: Arc<dyn Connection> = Arc::new(Counting {
            inner: LocalConnection,
            calls: counter.clone(),
        });
        Ok(c)
    }));
    let req = Request {
        playbooks: vec![dir.join("one.yml")],
        inventories: vec![dir.join("inventory.ini").display().to_string()],
        opts: RunOptions {
            home: dir.to_path_buf(),
            connector: Some(connector),
            ..RunOptions::default()
        },
        cwd: dir.to_path_buf(),
        ..Request::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let prepared = engine::prepare(&req).map_err(|e| format!("prepare: {e}"))?;
    let before = calls.load(Ordering::Relaxed);
    let t = Instant::now();
    let outcome = rt.block_on(engine::run(prepared, Arc::new(Bus::new())));
    let took = t.elapsed();
    if outcome.exit_code != 0 {
        return Err(format!("the run failed (exit {})", outcome.exit_code));
    }
    Ok((calls.load(Ordering::Relaxed) - before, took))
}
