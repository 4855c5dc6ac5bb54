// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! File transfer over SSH against a real sshd: 100 MiB up and back in
//! constant memory with checksums, small payloads in one round trip, and a
//! write under sudo with a password as the become user.

mod support;

use std::fs;
use std::io::Write;
use std::time::Duration;

use kiln::modules::Become;
use kiln::transport::transfer::{AsLoginUser, download, upload, upload_bytes};
use kiln::transport::{Connection, Secret, SshConnection};
use support::sshd::{self, TestHost};

const MIB: usize = 1024 * 1024;

/// This process's peak resident memory (VmHWM), in bytes.
fn peak_rss() -> usize {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map(|kb| kb * 1024)
        .expect("VmHWM")
}

async fn remote(conn: &SshConnection, cmd: &str) -> String {
    let out = tokio::time::timeout(Duration::from_secs(60), conn.exec(cmd, None))
        .await
        .expect("in time")
        .expect("exec");
    assert_eq!(out.rc, 0, "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_mib_up_and_back_in_constant_memory() {
    let host = TestHost::start();
    let conn = SshConnection::connect(&host.ssh_target())
        .await
        .expect("connect");
    // The source is written in 1 MiB pieces, never held whole.
    let local = host.dir().join("big.src");
    {
        let mut f = std::io::BufWriter::new(fs::File::create(&local).expect("create"));
        let mut block = vec![0u8; MIB];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100 {
            for b in block.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            f.write_all(&block).expect("write");
        }
    }
    let before = peak_rss();
    let dest = host.state_dir().join("big.bin").display().to_string();
    let mut src = tokio::fs::File::open(&local).await.expect("open");
    let sent = tokio::time::timeout(
        Duration::from_secs(120),
        upload(&conn, &AsLoginUser, &mut src, &dest, Some("0600")),
    )
    .await
    .expect("in time")
    .expect("upload");
    assert_eq!(sent.bytes, 100 * MIB as u64);
    let host_sum = remote(&conn, &format!("sha1sum < {dest}")).await;
    assert_eq!(host_sum.split_whitespace().next(), Some(sent.sha1.as_str()));
    // Only the file itself: the temporary name was renamed away.
    assert_eq!(
        remote(&conn, &format!("ls -A {}", host.state_dir().display())).await,
        "big.bin\n"
    );

    let back = host.dir().join("big.back");
    let mut dst = tokio::fs::File::create(&back).await.expect("create");
    let got = tokio::time::timeout(
        Duration::from_secs(120),
        download(&conn, &AsLoginUser, &dest, &mut dst),
    )
    .await
    .expect("in time")
    .expect("download");
    assert_eq!(got, sent);
    assert_eq!(fs::metadata(&back).expect("stat").len(), 100 * MIB as u64);
    let grew = peak_rss().saturating_sub(before);
    assert!(
        grew < 48 * MIB,
        "peak memory grew by {} MiB for a 100 MiB round trip",
        grew / MIB
    );
}

#[tokio::test]
async fn small_payload_and_become_with_a_password() {
    sshd::ensure_test_users();
    let host = TestHost::start();
    // A root-only directory: only the become user can write there.
    let dir = host.state_dir().join("root-only");
    fs::create_dir(&dir).expect("mkdir");
    let mut t = host.ssh_target();
    t.user = sshd::SUDO_USER.into();
    let conn = SshConnection::connect(&t).await.expect("connect");
    let dest = dir.join("conf").display().to_string();
    let mut perms = fs::metadata(&dir).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
    fs::set_permissions(&dir, perms).expect("chmod");

    let as_login = upload_bytes(&conn, &AsLoginUser, b"x=1\n", &dest, None).await;
    assert!(as_login.is_err(), "the login user must not write there");

    let become_root = Become {
        method: "sudo".into(),
        user: "root".into(),
        password: Some(Secret::new(sshd::SUDO_PASSWORD)),
        exe: None,
        flags: None,
    };
    let sent = upload_bytes(&conn, &become_root, b"x=1\n", &dest, Some("0640"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent.bytes, 4);
    assert_eq!(fs::read(&dest).expect("read"), b"x=1\n");
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(&dest).expect("stat");
    assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o640));

    // Streamed, replaced, and read back, all through sudo.
    let mut src: &[u8] = b"x=2\n";
    upload(&conn, &become_root, &mut src, &dest, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut back = Vec::new();
    download(&conn, &become_root, &dest, &mut back)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, b"x=2\n");
    let meta = fs::metadata(&dest).expect("stat");
    assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o640), "mode kept");

    let wrong = Become {
        password: Some(Secret::new("wrong")),
        ..become_root
    };
    let e = upload_bytes(&conn, &wrong, b"x=3\n", &dest, None)
        .await
        .expect_err("wrong password");
    assert_eq!(e.to_string(), "Task failed: Incorrect sudo password");
    assert_eq!(fs::read(&dest).expect("read"), b"x=2\n");
}
