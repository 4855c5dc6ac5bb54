// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `local` connection: commands run on the controller with `/bin/sh -c`.

use super::{Connection, Dialog, DialogOutcome, ExecOutput, Step, TransportError};
use std::process::Stdio;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::mpsc;

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

    async fn exec_dialog(
        &self,
        cmd: &str,
        _tty: bool,
        dialog: &mut dyn Dialog,
        stdin: Option<&[u8]>,
    ) -> Result<DialogOutcome, TransportError> {
        let mut input = stdin.unwrap_or_default();
        run_local(cmd, Some(dialog), &mut input, None).await
    }

    async fn exec_stream(
        &self,
        cmd: &str,
        input: Option<&mut (dyn AsyncRead + Send + Unpin)>,
        output: &mut (dyn AsyncWrite + Send + Unpin),
        dialog: Option<&mut dyn Dialog>,
        // A local command never needs a terminal to escalate here: the
        // stream runs as it would without one.
        _tty: bool,
    ) -> Result<DialogOutcome, TransportError> {
        let mut nothing: &[u8] = &[];
        let input: &mut (dyn AsyncRead + Send + Unpin) = match input {
            Some(r) => r,
            None => &mut nothing,
        };
        run_local(cmd, dialog, input, Some(output)).await
    }

    fn is_local(&self) -> bool {
        true
    }

    async fn tunnel(
        &self,
        host: &str,
        port: u16,
    ) -> Result<Box<dyn super::TunnelStream>, TransportError> {
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| TransportError::Connect {
                host: host.to_string(),
                port,
                reason: super::io_reason(&e),
            })?;
        Ok(Box::new(stream))
    }

    async fn close(&self) {}
}

/// Runs `cmd` with `/bin/sh -c`: the conversation first (if any), then
/// `input` streamed to stdin while stdout goes to `sink` (or is kept) and
/// stderr is kept.
async fn run_local(
    cmd: &str,
    dialog: Option<&mut dyn Dialog>,
    input: &mut (dyn AsyncRead + Send + Unpin),
    mut sink: Option<&mut (dyn AsyncWrite + Send + Unpin)>,
) -> Result<DialogOutcome, TransportError> {
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| TransportError::Protocol(format!("cannot start /bin/sh: {e}")))?;
    let missing = || TransportError::Protocol("/bin/sh pipes were not set up".into());
    let mut pipe_in = child.stdin.take().ok_or_else(missing)?;
    let (tx, mut rx) = mpsc::channel::<(bool, Vec<u8>)>(16);
    forward(child.stdout.take().ok_or_else(missing)?, false, tx.clone());
    forward(child.stderr.take().ok_or_else(missing)?, true, tx);
    let mut out = ExecOutput::default();
    if let Some(dialog) = dialog {
        let deadline = tokio::time::Instant::now() + dialog.timeout();
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Err(_) => {
                    let _ = child.kill().await;
                    let msg = dialog.timeout_message(&out);
                    return Ok(DialogOutcome::Failed { msg, output: out });
                }
                Ok(None) => break,
                Ok(Some((is_err, chunk))) => {
                    if is_err {
                        out.stderr.extend_from_slice(&chunk);
                    } else {
                        out.stdout.extend_from_slice(&chunk);
                    }
                    match dialog.step(&out.stdout, &out.stderr) {
                        Step::Wait => {}
                        Step::Reply(answer) => {
                            let _ = pipe_in.write_all(&answer).await;
                        }
                        Step::Ready => {
                            if let Some(s) = sink.as_deref_mut() {
                                let used = dialog.consumed(&out.stdout).min(out.stdout.len());
                                s.write_all(&out.stdout[used..]).await.map_err(sink_err)?;
                                out.stdout.truncate(used);
                            }
                            break;
                        }
                        Step::Fail(msg) => {
                            let _ = child.kill().await;
                            return Ok(DialogOutcome::Failed { msg, output: out });
                        }
                    }
                }
            }
        }
    }
    // Feed stdin while output is drained, so neither side can stall.
    let feed = async {
        // A command that does not read its input closes the pipe early;
        // that is not an error of ours.
        let _ = tokio::io::copy(input, &mut pipe_in).await;
        drop(pipe_in);
    };
    let drain = async {
        while let Some((is_err, chunk)) = rx.recv().await {
            if is_err {
                out.stderr.extend_from_slice(&chunk);
            } else if let Some(s) = sink.as_deref_mut() {
                s.write_all(&chunk).await.map_err(sink_err)?;
            } else {
                out.stdout.extend_from_slice(&chunk);
            }
        }
        if let Some(s) = sink.as_deref_mut() {
            s.flush().await.map_err(sink_err)?;
        }
        Ok::<(), TransportError>(())
    };
    let ((), drained) = tokio::join!(feed, drain);
    drained?;
    let status = child
        .wait()
        .await
        .map_err(|e| TransportError::Protocol(format!("waiting for /bin/sh: {e}")))?;
    out.rc = status.code().unwrap_or(-1);
    Ok(DialogOutcome::Finished(out))
}

fn sink_err(e: std::io::Error) -> TransportError {
    TransportError::Protocol(format!("writing a command's output: {e}"))
}

/// Sends what `r` produces, chunk by chunk, tagged stderr or not.
fn forward(
    mut r: impl AsyncRead + Unpin + Send + 'static,
    is_err: bool,
    tx: mpsc::Sender<(bool, Vec<u8>)>,
) {
    tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        loop {
            match r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send((is_err, buf[..n].to_vec())).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
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

    /// Answers "pw?" on stderr with "pw", then waits for "ok" on stdout.
    struct Asker {
        answered: bool,
    }

    impl Dialog for Asker {
        fn step(&mut self, stdout: &[u8], stderr: &[u8]) -> Step {
            if stdout.ends_with(b"ok\n") {
                Step::Ready
            } else if stderr.ends_with(b"pw?") && !self.answered {
                self.answered = true;
                Step::Reply(b"secret\n".to_vec())
            } else if stderr.ends_with(b"bad") {
                Step::Fail("bad answer".into())
            } else {
                Step::Wait
            }
        }
        fn timeout(&self) -> std::time::Duration {
            std::time::Duration::from_secs(1)
        }
        fn timeout_message(&self, _: &ExecOutput) -> String {
            "timed out".into()
        }
    }

    #[tokio::test]
    async fn dialog_answers_then_feeds_stdin() {
        let c = LocalConnection;
        let script = r#"printf 'pw?' >&2; read p; if [ "$p" = secret ]; then echo ok; cat; else printf bad >&2; sleep 5; fi"#;
        let out = c
            .exec_dialog(script, false, &mut Asker { answered: false }, Some(b"data"))
            .await
            .expect("runs");
        assert_eq!(
            out,
            DialogOutcome::Finished(ExecOutput {
                rc: 0,
                stdout: b"ok\ndata".to_vec(),
                stderr: b"pw?".to_vec(),
            })
        );
        let wrong = r#"printf 'pw?' >&2; read p; printf bad >&2; sleep 30"#;
        let started = std::time::Instant::now();
        match c
            .exec_dialog(wrong, false, &mut Asker { answered: false }, None)
            .await
            .expect("runs")
        {
            DialogOutcome::Failed { msg, .. } => assert_eq!(msg, "bad answer"),
            other => panic!("{other:?}"),
        }
        match c
            .exec_dialog("sleep 30", false, &mut Asker { answered: false }, None)
            .await
            .expect("runs")
        {
            DialogOutcome::Failed { msg, .. } => assert_eq!(msg, "timed out"),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
