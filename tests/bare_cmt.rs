// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! CMT's host preparation playbooks, unchanged from the corpus, run by kiln
//! against bare Debian hosts and by ansible-playbook 2.21 against identical
//! hosts with Python, twice each, with a CMT-shaped inventory (flat groups,
//! run values in `all.vars`, a `selection` group): password SSH login as a
//! user whose sudo needs its password. Per task and host the statuses of
//! both runs must agree, and so must the end state. Needs root, debootstrap,
//! systemd-container and (for Ansible's password logins) sshpass.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::nspawn::{self, BareFleet, Flavour, PW_PASSWORD, PW_USER};

const K1: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKilnCmtKeyOneKilnCmtKeyOneKilnCmtKey01 cmt-one";
const K2: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKilnCmtKeyTwoKilnCmtKeyTwoKilnCmtKey02 cmt-two";

/// CMT's playbooks: `KILN_CMT_CORPUS`, else `shared/corpus/cmt` beside the
/// clone (or beside its worktree directory).
fn cmt_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("KILN_CMT_CORPUS") {
        return Some(PathBuf::from(d));
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        here.join("../shared/corpus/cmt"),
        here.join("../../shared/corpus/cmt"),
    ]
    .into_iter()
    .find(|d| d.join("prepare_node.yaml").is_file())
}

/// The inventory CMT would write for a run on these hosts.
fn write_inventory(fleet: &BareFleet, ansible: bool) -> PathBuf {
    let mut hosts = String::new();
    for h in &fleet.hosts {
        hosts.push_str(&format!(
            "    {}:\n      ansible_host: {}\n      ansible_port: {}\n",
            h.name,
            h.address(),
            h.port()
        ));
    }
    let ssh_args = if ansible {
        format!(
            "    ansible_ssh_args: \"-C -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=/tmp/kiln-cmt-%C -o UserKnownHostsFile={} -o PubkeyAuthentication=no\"\n",
            fleet.home.join(".ssh/known_hosts").display()
        )
    } else {
        String::new()
    };
    let selection: String = fleet
        .hosts
        .iter()
        .map(|h| format!("    {}: {{}}\n", h.name))
        .collect();
    let text = format!(
        "all:\n  hosts:\n{hosts}  vars:\n    ansible_user: {PW_USER}\n    ansible_password: {PW_PASSWORD}\n    ansible_become_pass: {PW_PASSWORD}\n{ssh_args}    authorized_keys:\n      - \"{K1}\"\n      - \"{K2}\"\n    http_proxy: \"\"\n    https_proxy: \"\"\n    no_proxy: \"\"\n    use_proxy: \"no\"\n    packages: [jq, tree]\n    held_packages: [tree]\n    cluster_name: kubernetes\ncontrolplane:\n  hosts: {{}}\nnodes:\n  hosts: {{}}\nselection:\n  hosts:\n{selection}"
    );
    let path = fleet.root.join("cmt-inventory.yaml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("inventory: {e}"));
    path
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(fleet: &BareFleet, ansible: bool, dir: &Path, book: &Path, extra: &[&str]) -> Run {
    let inventory = write_inventory(fleet, ansible);
    let mut cmd = if ansible {
        Command::new(nspawn::ansible_venv().join("bin/ansible-playbook"))
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
        c.arg("playbook");
        c
    };
    let out = cmd
        .arg("-i")
        .arg(&inventory)
        .args(extra)
        .arg(book)
        .env("HOME", &fleet.home)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("ANSIBLE_CONFIG")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_HOST_KEY_CHECKING", "True")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running the playbook: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `task | host | status` for every host line, and the recap, sorted
/// (hosts finish a task in any order).
fn statuses(stdout: &str) -> Vec<String> {
    let mut task = String::new();
    let mut index = 0;
    let mut out = Vec::new();
    for line in stdout.lines() {
        // Tasks by position: kiln does not template task names in the
        // header yet (`Adding {{ ansible_user }} to sudoers`).
        if line.starts_with("TASK [") {
            index += 1;
            task = format!("task {index}");
            continue;
        }
        for status in ["ok", "changed", "fatal", "failed", "skipping"] {
            if let Some(rest) = line.strip_prefix(&format!("{status}: [")) {
                let host = rest.split(']').next().unwrap_or("");
                let item = rest
                    .split("(item=")
                    .nth(1)
                    .map(|i| format!(" item={}", i.split(')').next().unwrap_or("")))
                    .unwrap_or_default();
                out.push(format!("{task} | {host} | {status}{item}"));
            }
        }
        if line.starts_with("h1 ") || line.starts_with("h2 ") {
            out.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    out.sort();
    out
}

fn state(fleet: &BareFleet) -> Vec<String> {
    fleet
        .hosts
        .iter()
        .map(|h| {
            h.sh(&format!(
                "stat -c '%n %a %U' /etc/sudoers.d/{PW_USER} /home/{PW_USER}/.ssh/authorized_keys; cat /etc/sudoers.d/{PW_USER}; grep -c cmt- /home/{PW_USER}/.ssh/authorized_keys; swapon --show; dpkg-query -W -f '${{Package}} ${{Status}}\\n' jq tree 2>&1; apt-mark showhold; true"
            ))
        })
        .collect()
}

fn run_twice_like_ansible(books: &[&str]) {
    if !nspawn::available() {
        eprintln!("skipped: bare hosts need root, debootstrap and systemd-nspawn");
        return;
    }
    let Some(dir) = cmt_dir() else {
        eprintln!("skipped: CMT's corpus not found (set KILN_CMT_CORPUS)");
        return;
    };
    let kiln = nspawn::shared(Flavour::Bare, 2);
    let ansible = nspawn::shared(Flavour::Python, 2);
    for name in books {
        let book = dir.join(name);
        for round in ["first", "second"] {
            let k = run(&kiln, false, &dir, &book, &[]);
            let a = run(&ansible, true, &dir, &book, &[]);
            assert_eq!(
                statuses(&k.stdout),
                statuses(&a.stdout),
                "{name}, {round} run\n--- kiln ---\n{}{}\n--- ansible ---\n{}{}",
                k.stdout,
                k.stderr,
                a.stdout,
                a.stderr
            );
            assert_eq!(k.code, a.code, "{name}, {round} run: exit codes");
        }
    }
    assert_eq!(state(&kiln), state(&ansible), "end state");
}

#[test]
fn cmt_host_preparation_matches_ansible() {
    run_twice_like_ansible(&[
        "prepare_passwordless_ansible.yaml",
        "prepare_node.yaml",
        "install_packages.yaml",
    ]);
}

/// CMT's playbooks that use only the modules of issue 7 (commands, files,
/// facts and controller actions). Left out: those that also use apt, dnf,
/// systemd, reboot or authorized_key (add_kubernetes_repo, install_packages,
/// kubeadm_join_node, kubeadm_purge, kubeadm_setup_*, kubeadm_teardown_node,
/// kubeadm_upgrade_*, prepare_passwordless_ansible, reboot, rke2_setup_*,
/// rke2_upgrade_*, setup_containerd, setup_cri-o, setup_docker.io,
/// update_os), and delete_node, whose only host is the controller (this
/// build machine).
const CHECK_MODE_BOOKS: &[&str] = &[
    "custom_command.yaml",
    "custom_command_root.yaml",
    "facts_ping.yaml",
    "fetch_dmesg.yaml",
    "fetch_kube_config.yaml",
    "fetch_log.yaml",
    "get_facts.yaml",
    "get_versions.yaml",
    "kubeadm_create_join_token.yaml",
    "kubeadm_teardown_control_plane.yaml",
    "list_cpus.yaml",
    "list_gpus.yaml",
    "list_network_adapters.yaml",
    "list_pci_devices.yaml",
    "list_usb_devices.yaml",
    "load_ping.yaml",
    "nvidia_smi.yaml",
    "ping.yaml",
    "preflight_check.yaml",
    "prepare_control_plane.yaml",
    "prepare_node.yaml",
    "prune_unused_container_images.yaml",
    "rke2_purge.yaml",
    "rke2_teardown_control_plane.yaml",
    "rke2_teardown_node.yaml",
    "sync_time.yaml",
    "teardown_cni.yaml",
    "update_device_ids.yaml",
    "uptime.yaml",
    "vm_create.yaml",
    "vm_destroy.yaml",
    "vm_instantiate.yaml",
    "vm_purge.yaml",
    "vm_template_commit.yaml",
    "vm_template_create.yaml",
    "vm_template_instantiate.yaml",
    "vm_undefine.yaml",
];

/// What CMT passes with `-e` for the playbooks that take parameters.
const CHECK_MODE_VARS: &str = r#"{"command": "uptime", "timestamp": "20260101-000000", "unit": "ssh", "instances": [["vm1", "52:54:00:00:00:01", "10.0.0.2"]], "base_image": "https://example.invalid/base.img", "base_image_name": "base.img", "template_name": "tmpl.qcow2", "template_balloon_size": "1G", "os_variant": "debian12", "vcpus": 1, "vmram": 1024}"#;

/// Every qualifying playbook in check mode on bare hosts (no Python) and on
/// Python hosts under ansible-playbook: the same statuses per task and
/// host, the same exit code, and for kiln no error Ansible does not have.
#[test]
fn cmt_check_mode_matches_ansible() {
    if !nspawn::available() {
        eprintln!("skipped: bare hosts need root, debootstrap and systemd-nspawn");
        return;
    }
    let Some(dir) = cmt_dir() else {
        eprintln!("skipped: CMT's corpus not found (set KILN_CMT_CORPUS)");
        return;
    };
    let kiln = nspawn::shared(Flavour::Bare, 2);
    let ansible = nspawn::shared(Flavour::Python, 2);
    let extra = ["--check", "-e", CHECK_MODE_VARS];
    let mut differ = Vec::new();
    for name in CHECK_MODE_BOOKS {
        let book = dir.join(name);
        let k = run(&kiln, false, &dir, &book, &extra);
        let a = run(&ansible, true, &dir, &book, &extra);
        eprintln!("{name}: kiln exit {}, ansible exit {}", k.code, a.code);
        if statuses(&k.stdout) != statuses(&a.stdout) || k.code != a.code {
            differ.push(format!(
                "{name}\n--- kiln ---\n{}{}\n--- ansible ---\n{}{}",
                k.stdout, k.stderr, a.stdout, a.stderr
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}
