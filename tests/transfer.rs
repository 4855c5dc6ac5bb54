// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! File transfer over SSH against a real sshd: 100 MiB up and back in
//! constant memory with checksums, small payloads in one round trip, a
//! write under sudo with a password as the become user, and `copy` of a
//! large controller file by the kiln binary, its peak memory measured.

mod support;

use std::fs;
use std::io::Write;
use std::process::Command;
use std::time::Duration;

use kiln::modules::Become;
use kiln::transport::transfer::{AsLoginUser, download, upload, upload_bytes};
use kiln::transport::{Connection, Secret, SshConnection};
use support::sshd::{self, TestHost};

const MIB: usize = 1024 * 1024;

/// This process's peak resident memory (VmHWM), in bytes.
fn peak_rss() -> usize {
    vm_hwm("self").expect("VmHWM")
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

/// The peak resident memory (VmHWM) of a process (`self` or a pid), in
/// bytes; `None` once it has gone.
fn vm_hwm(pid: &str) -> Option<usize> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map(|kb| kb * 1024)
}

/// A `mib` MiB file that is mostly holes, with 1 MiB of noise every 32 MiB
/// and at its end (so every part of the transfer is checked), and its SHA-1.
fn sparse_source(path: &std::path::Path, mib: usize) -> String {
    use sha1::Digest;
    use std::io::{Seek, SeekFrom};
    let mut f = fs::File::create(path).expect("create");
    f.set_len((mib * MIB) as u64).expect("set_len");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut block = vec![0u8; MIB];
    for at in (0..mib).step_by(32).chain([mib - 1]) {
        for b in block.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        f.seek(SeekFrom::Start((at * MIB) as u64)).expect("seek");
        f.write_all(&block).expect("write");
    }
    drop(f);
    let mut hasher = sha1::Sha1::new();
    let mut r = fs::File::open(path).expect("open");
    std::io::copy(&mut r, &mut hasher).expect("hash");
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs the kiln binary to its end, polling its peak memory; returns its
/// exit code, stdout and that peak.
fn run_measured(cmd: &mut std::process::Command) -> (i32, String, String, usize) {
    use std::io::Read;
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kiln runs");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = std::time::Instant::now();
    let mut peak = 0;
    let status = loop {
        // VmHWM only grows: the last reading before the exit is the peak.
        if let Some(p) = vm_hwm(&child.id().to_string()) {
            peak = peak.max(p);
        }
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        assert!(
            started.elapsed() < support::fleet::RUN_LIMIT,
            "kiln ran too long"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = stdout.join().expect("stdout");
    let err = stderr.join().expect("stderr");
    (status.code().unwrap_or(-1), out, err, peak)
}

/// `copy` of a `mib` MiB controller file by the kiln binary, alone and
/// inside a directory copy: the content arrives whole (the host's SHA-1 is
/// the source's), `--diff` does not read the file (`src_larger`), a second
/// run is unchanged, and kiln's peak memory stays far below the file's size.
fn copy_in_constant_memory(mib: usize, with_tree: bool) {
    let fleet = support::fleet::Fleet::start(&support::fleet::Header {
        hosts: 1,
        ..Default::default()
    });
    let src = fleet.root.path().join("image.raw");
    let want = sparse_source(&src, mib);
    // A directory copy streams its large files in their turn among the
    // small ones (a hard link: no second copy on the controller's disk).
    let tree = fleet.root.path().join("tree");
    fs::create_dir_all(tree.join("sub")).expect("mkdir");
    fs::write(tree.join("a.txt"), "before\n").expect("write");
    fs::hard_link(&src, tree.join("sub/image.raw")).expect("link");
    fs::write(tree.join("z.txt"), "after\n").expect("write");
    let state = fleet.state_dir("h1");
    let dest = state.join("image.raw");
    let playbook = fleet.root.path().join("big.yml");
    fs::write(
        &playbook,
        format!(
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - copy:\n        src: {}\n        dest: {}\n        mode: \"0600\"\n    - copy:\n        src: {}/\n        dest: {}/tree/\n      when: {with_tree}\n",
            src.display(),
            dest.display(),
            tree.display(),
            state.display()
        ),
    )
    .expect("playbook");
    let limit = 64 * MIB;
    for (args, changed) in [(&["--diff"][..], true), (&["--check", "--diff"][..], false)] {
        let (code, out, err, peak) = run_measured(&mut fleet.command(&playbook, args));
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        let recap = match (changed, with_tree) {
            (false, _) => "changed=0",
            (true, true) => "changed=2",
            (true, false) => "changed=1",
        };
        assert!(out.contains(recap), "{args:?}: {out}");
        assert!(
            peak < limit,
            "{args:?}: kiln's peak memory was {} MiB copying a {mib} MiB file",
            peak / MIB
        );
        eprintln!("{args:?}: peak {} MiB for {mib} MiB", peak / MIB);
        if changed {
            // The diff names the source too large to show, as Ansible's does.
            assert!(
                out.contains("diff skipped: source file size is greater than 104448"),
                "{out}"
            );
        }
    }
    let mut copies = vec![dest.clone()];
    if with_tree {
        copies.push(state.join("tree/sub/image.raw"));
    }
    for copied in &copies {
        let host_sum = Command::new("sha1sum")
            .arg(copied)
            .output()
            .expect("sha1sum");
        let host_sum = String::from_utf8_lossy(&host_sum.stdout).into_owned();
        assert_eq!(host_sum.split_whitespace().next(), Some(want.as_str()));
    }
    use std::os::unix::fs::MetadataExt;
    assert_eq!(fs::metadata(&dest).expect("stat").mode() & 0o777, 0o600);
    if !with_tree {
        // Only the file (no temporary left); the disk is given back at once.
        assert_eq!(fs::read_dir(&state).expect("ls").count(), 1);
        fs::remove_file(&dest).expect("rm");
        return;
    }
    assert_eq!(fs::read(state.join("tree/a.txt")).expect("a"), b"before\n");
    assert_eq!(fs::read(state.join("tree/z.txt")).expect("z"), b"after\n");
    // Nothing but the copies: the private temporary files were renamed.
    let left = Command::new("find")
        .arg(&state)
        .args(["-mindepth", "1", "-printf", "%P\n"])
        .output()
        .expect("find");
    let mut left: Vec<String> = String::from_utf8_lossy(&left.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "image.raw",
            "tree",
            "tree/a.txt",
            "tree/sub",
            "tree/sub/image.raw",
            "tree/z.txt"
        ]
    );
}

#[test]
fn copy_of_a_256_mib_file_in_constant_memory() {
    copy_in_constant_memory(256, true);
}

/// The 2 GiB copy (minutes in a debug build, and 2 GiB of disk on
/// the host side), the file alone:
/// `cargo test --test transfer -- --ignored two_gib`.
#[test]
#[ignore]
fn copy_of_a_two_gib_file_in_constant_memory() {
    copy_in_constant_memory(2048, false);
}

/// Uploads under sudo on a `requiretty` host: the first write is refused
/// without a terminal and sent again on one; later ones go there at once,
/// framed so that every byte value crosses the raw terminal unchanged; the
/// file is written as the become user, with and without a password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_under_sudo_requiretty_cross_a_terminal() {
    sshd::ensure_tty_user();
    let host = TestHost::start();
    let shared = tempfile::Builder::new()
        .prefix("kiln-ttyup-")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let dir = shared.path();
    fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).expect("chmod");
    let data: Vec<u8> = (0..(200 * 1024 + 13))
        .map(|i| (i * 131 % 256) as u8)
        .collect();
    for (to, password) in [("root", Some(sshd::TTY_PASSWORD)), (sshd::OTHER_USER, None)] {
        let mut t = host.ssh_target();
        t.user = sshd::TTY_USER.into();
        let conn = SshConnection::connect(&t).await.expect("connect");
        let esc = Become {
            method: "sudo".into(),
            user: to.into(),
            password: password.map(Secret::new),
            exe: None,
            flags: None,
        };
        let small = dir.join(format!("{to}.small")).display().to_string();
        upload_bytes(&conn, &esc, b"x=1\n", &small, Some("0640"))
            .await
            .unwrap_or_else(|e| panic!("{to}: {e}"));
        assert!(conn.escalation_needs_tty(), "sudo refused without one");
        let dest = dir.join(format!("{to}.bin")).display().to_string();
        let mut src: &[u8] = &data;
        let sent = tokio::time::timeout(
            Duration::from_secs(120),
            upload(&conn, &esc, &mut src, &dest, Some("0600")),
        )
        .await
        .expect("in time")
        .unwrap_or_else(|e| panic!("{to}: {e}"));
        assert_eq!(sent.bytes, data.len() as u64);
        assert!(fs::read(&dest).expect("read") == data, "{to}: bytes differ");
        assert_eq!(fs::read(&small).expect("read"), b"x=1\n");
        use std::os::unix::fs::MetadataExt;
        let want_uid = Command::new("id").args(["-u", to]).output().expect("id");
        let want_uid: u32 = String::from_utf8_lossy(&want_uid.stdout)
            .trim()
            .parse()
            .expect("uid");
        for (path, mode) in [(&dest, 0o600), (&small, 0o640)] {
            let meta = fs::metadata(path).expect("stat");
            assert_eq!(
                (meta.uid(), meta.mode() & 0o777),
                (want_uid, mode),
                "{path}"
            );
        }
        let mut back = Vec::new();
        download(&conn, &esc, &dest, &mut back)
            .await
            .unwrap_or_else(|e| panic!("{to}: {e}"));
        assert!(back == data, "{to}: read back differs");
        conn.close().await;
    }
}
