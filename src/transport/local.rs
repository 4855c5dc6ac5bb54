// SPDX-License-Identifier: MIT
//! The `local` connection: commands run on the controller with `/bin/sh -c`.

use super::{Connection, ExecOutput, TransportError};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

#[derive(Debug, Default)]
pub struct LocalConnection;

#[async_trait::async_trait]
impl Connection for LocalConnection {
    async fn exec(&self, cmd: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, TransportError> {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(cmd)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| TransportError::Protocol(format!("cannot start /bin/sh: {e}")))?;
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A command that does not read its input closes the pipe early;
            // that is not an error of ours.
            let _ = pipe.write_all(data).await;
            drop(pipe);
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| TransportError::Protocol(format!("waiting for /bin/sh: {e}")))?;
        Ok(ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }

    async fn close(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_with_stdin_and_exit_code() {
        let c = LocalConnection;
        let out = c
            .exec("cat; echo err >&2; exit 3", Some(b"hi"))
            .await
            .expect("exec");
        assert_eq!(out.rc, 3);
        assert_eq!(out.stdout, b"hi");
        assert_eq!(out.stderr, b"err\n");
    }
}
