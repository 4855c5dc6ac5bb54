// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The `virtual` collector for Linux: containers first (cgroups, PID 1's
//! environment, marker files), then hypervisors (DMI strings, cpuinfo,
//! kernel modules, /dev/kvm). The first finding sets `virtualization_type`
//! and `_role`; every finding lands in `virtualization_tech_guest`/`_host`.

use super::raw::{Raw, py_strip};
use regex::Regex;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeSet;

type Facts = Map<String, Json>;

#[derive(Default)]
struct State {
    vtype: Option<String>,
    role: Option<String>,
    found: bool,
    guest: BTreeSet<String>,
    host: BTreeSet<String>,
}

impl State {
    /// A guest technology; the first one found also names the type.
    fn guest_found(&mut self, tech: &str, vtype: &str, role: Option<&str>) {
        self.guest.insert(tech.to_string());
        if !self.found {
            self.vtype = Some(vtype.to_string());
            if let Some(r) = role {
                self.role = Some(r.to_string());
            }
            self.found = true;
        }
    }
}

fn matches(pattern: &str, text: &str) -> bool {
    Regex::new(pattern).is_ok_and(|r| r.is_match(text))
}

pub fn virtual_facts(raw: &Raw) -> Result<Facts, String> {
    let mut s = State::default();
    if raw.exists("/proc/1/cgroup") {
        for line in raw.lines("/proc/1/cgroup") {
            if matches(r"/docker(/|-[0-9a-f]+\.scope)", line) {
                s.guest_found("docker", "docker", Some("guest"));
            }
            if line.contains("/lxc/") || line.contains("/machine.slice/machine-lxc") {
                s.guest_found("lxc", "lxc", Some("guest"));
            }
            if line.contains("/system.slice/containerd.service") {
                s.guest_found("containerd", "containerd", Some("guest"));
            }
        }
    }
    if raw.exists("/proc/1/environ") {
        let env = raw.file("/proc/1/environ").unwrap_or("");
        for line in env.trim_end_matches('\0').split('\0') {
            if line.contains("container=lxc") {
                s.guest_found("lxc", "lxc", Some("guest"));
            }
            if line.contains("container=podman") {
                s.guest_found("podman", "podman", Some("guest"));
            }
            if line.starts_with("container=") && line.len() > "container=".len() {
                s.guest_found("container", "container", Some("guest"));
            }
        }
    }
    if raw.exists("/proc/vz") && !raw.exists("/proc/lve") {
        s.vtype = Some("openvz".into());
        if raw.exists("/proc/bc") {
            s.host.insert("openvz".into());
            if !s.found {
                s.role = Some("host".into());
            }
        } else {
            s.guest.insert("openvz".into());
            if !s.found {
                s.role = Some("guest".into());
            }
        }
        s.found = true;
    }
    let systemd_container = raw.file("/run/systemd/container").map(str::to_string);
    if let Some(c) = &systemd_container {
        s.guest_found(c, c, Some("guest"));
    }
    if raw.exists("/.dockerenv") || raw.exists("/.dockerinit") {
        s.guest_found("docker", "docker", Some("guest"));
    }
    let containers = ["docker", "lxc", "podman", "openvz", "containerd"];
    if containers.iter().any(|c| s.guest.contains(*c)) || systemd_container.is_some() {
        s.guest.insert("container".into());
    }
    if raw.exists("/proc/xen") {
        let xen_host = raw
            .lines("/proc/xen/capabilities")
            .iter()
            .any(|l| l.contains("control_d"));
        if xen_host {
            s.host.insert("xen".into());
            if !s.found {
                s.vtype = Some("xen".into());
                s.role = Some("host".into());
            }
        } else if !s.found {
            s.vtype = Some("xen".into());
            s.role = Some("guest".into());
        }
        s.found = true;
    }
    if !s.found {
        s.role = Some("guest".into());
    }
    let dmi = |k: &str| raw.file(&format!("/sys/devices/virtual/dmi/id/{k}"));
    let product_name = dmi("product_name");
    let sys_vendor = dmi("sys_vendor");
    let product_family = dmi("product_family");
    let bios_vendor = dmi("bios_vendor");
    let pn = product_name.unwrap_or("\u{0}");
    let sv = sys_vendor.unwrap_or("\u{0}");
    if [
        "KVM",
        "KVM Server",
        "Bochs",
        "AHV",
        "CloudStack KVM Hypervisor",
    ]
    .contains(&pn)
    {
        s.guest_found("kvm", "kvm", None);
    }
    if sv == "oVirt" {
        s.guest_found("oVirt", "oVirt", None);
    }
    if sv == "Red Hat" {
        if product_family == Some("RHV") {
            s.guest_found("RHV", "RHV", None);
        } else if pn == "RHEV Hypervisor" {
            s.guest_found("RHEV", "RHEV", None);
        }
    }
    if product_name.is_some_and(|p| p.starts_with("VMware")) {
        s.guest_found("VMware", "VMware", None);
    }
    if ["OpenStack Compute", "OpenStack Nova"].contains(&pn) {
        s.guest_found("openstack", "openstack", None);
    }
    if pn == "BHYVE" {
        s.guest_found("bhyve", "bhyve", None);
    }
    let bv = bios_vendor.unwrap_or("\u{0}");
    if bv == "Xen" {
        s.guest_found("xen", "xen", None);
    }
    if bv == "innotek GmbH" {
        s.guest_found("virtualbox", "virtualbox", None);
    }
    if ["Amazon EC2", "DigitalOcean", "Hetzner", "Linode"].contains(&bv) {
        s.guest_found("kvm", "kvm", None);
    }
    if [
        "QEMU",
        "Amazon EC2",
        "DigitalOcean",
        "Google",
        "Scaleway",
        "Nutanix",
    ]
    .contains(&sv)
    {
        s.guest_found("kvm", "kvm", None);
    }
    for (vendor, tech) in [
        ("KubeVirt", "KubeVirt"),
        ("Microsoft Corporation", "VirtualPC"),
        ("Parallels Software International Inc.", "parallels"),
        ("OpenStack Foundation", "openstack"),
    ] {
        if sv == vendor {
            s.guest_found(tech, tech, None);
        }
    }
    if !s.found {
        s.role = None;
    }
    for line in raw.section("vxid").unwrap_or("").lines() {
        if matches(r"^VxID:\s+\d+", line) {
            if !s.found {
                s.vtype = Some("linux_vserver".into());
            }
            if matches(r"^VxID:\s+0", line) {
                s.host.insert("linux_vserver".into());
                if !s.found {
                    s.role = Some("host".into());
                }
            } else {
                s.guest.insert("linux_vserver".into());
                if !s.found {
                    s.role = Some("guest".into());
                }
            }
            s.found = true;
        }
    }
    if raw.exists("/proc/cpuinfo") {
        for line in raw.lines("/proc/cpuinfo") {
            let tech = if matches("^model name.*QEMU Virtual CPU", line) {
                "kvm"
            } else if matches("^vendor_id.*User Mode Linux", line)
                || matches("^model name.*UML", line)
            {
                "uml"
            } else if matches("^machine.*CHRP IBM pSeries .emulated by qemu.", line) {
                "kvm"
            } else if matches("^vendor_id.*PowerVM Lx86", line) {
                "powervm_lx86"
            } else if matches("^vendor_id.*IBM/S390", line) {
                "PR/SM"
            } else {
                continue;
            };
            s.guest.insert(tech.into());
            if !s.found {
                s.vtype = Some(tech.into());
            }
            if tech == "PR/SM" {
                let hypervisor = raw.ok("lscpu").and_then(|out| {
                    out.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        (py_strip(k) == "Hypervisor").then(|| py_strip(v).to_string())
                    })
                });
                let t = if raw.bin("lscpu").is_some() {
                    hypervisor
                } else {
                    Some("ibm_systemz".to_string())
                };
                if let Some(t) = t {
                    s.guest.insert(t.clone());
                    if !s.found {
                        s.vtype = Some(t);
                    }
                }
            }
            let vtype = s.vtype.clone().ok_or("KeyError: 'virtualization_type'")?;
            if !s.found {
                s.role = Some(if vtype == "PR/SM" { "LPAR" } else { "guest" }.into());
                s.found = true;
            }
        }
    }
    if raw.file_raw("/proc/modules").is_some() {
        let modules: Vec<&str> = raw
            .lines("/proc/modules")
            .iter()
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect();
        if modules.contains(&"kvm") {
            s.host.insert("kvm".into());
            if !s.found {
                s.vtype = Some("kvm".into());
                s.role = Some("host".into());
            }
            if raw.is_dir("/rhev/") {
                let vdsm = raw
                    .section("rhev_comms")
                    .unwrap_or("")
                    .lines()
                    .any(|c| c == "vdsm" || c == "vdsmd");
                if vdsm {
                    s.host.insert("RHEV".into());
                    if !s.found {
                        s.vtype = Some("RHEV".into());
                    }
                }
            }
            s.found = true;
        }
        if modules.contains(&"vboxdrv") {
            s.host.insert("virtualbox".into());
            if !s.found {
                s.vtype = Some("virtualbox".into());
                s.role = Some("host".into());
                s.found = true;
            }
        }
        if modules.contains(&"virtio") {
            s.host.insert("kvm".into());
            if !s.found {
                s.vtype = Some("kvm".into());
                s.role = Some("guest".into());
                s.found = true;
            }
        }
    }
    if raw.bin("dmidecode").is_some()
        && let Some(out) = raw.ok("dmi_system-product-name")
    {
        let vendor: String = out
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(py_strip)
            .collect();
        if vendor.starts_with("VMware") {
            s.guest_found("VMware", "VMware", Some("guest"));
        }
        if out.contains("BHYVE") {
            s.guest_found("bhyve", "bhyve", Some("guest"));
        }
    }
    if raw.exists("/dev/kvm") {
        s.host.insert("kvm".into());
        if !s.found {
            s.vtype = Some("kvm".into());
            s.role = Some("host".into());
            s.found = true;
        }
    }
    if !s.found {
        s.vtype = Some("NA".into());
        s.role = Some("NA".into());
    }
    let mut f = Facts::new();
    if let Some(t) = s.vtype {
        f.insert("virtualization_type".into(), json!(t));
    }
    if let Some(r) = s.role {
        f.insert("virtualization_role".into(), json!(r));
    }
    // Python sets, which Ansible returns in no particular order: sorted here.
    f.insert("virtualization_tech_guest".into(), json!(s.guest));
    f.insert("virtualization_tech_host".into(), json!(s.host));
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(sections: &[(&str, &str)]) -> Raw {
        let mut s = String::new();
        for (head, body) in sections {
            s.push_str(&format!("\nMK {head}\n{body}"));
        }
        s.push_str("\nMK end\n");
        Raw::parse(s.as_bytes(), "MK")
    }

    #[test]
    fn docker_container_on_kvm_host() {
        let raw = reply(&[
            ("t", "ef /proc/1/cgroup\nef /.dockerenv\nef /dev/kvm\n"),
            ("f /proc/1/cgroup", "0::/\n"),
        ]);
        let f = virtual_facts(&raw).expect("virtual");
        assert_eq!(f["virtualization_type"], "docker");
        assert_eq!(f["virtualization_role"], "guest");
        assert_eq!(
            f["virtualization_tech_guest"],
            json!(["container", "docker"])
        );
        assert_eq!(f["virtualization_tech_host"], json!(["kvm"]));
    }

    #[test]
    fn kvm_guest_from_dmi() {
        let raw = reply(&[("f /sys/devices/virtual/dmi/id/sys_vendor", "QEMU\n")]);
        let f = virtual_facts(&raw).expect("virtual");
        assert_eq!(f["virtualization_type"], "kvm");
        assert_eq!(f["virtualization_role"], "guest");
        assert_eq!(f["virtualization_tech_guest"], json!(["kvm"]));
    }

    #[test]
    fn bare_metal() {
        let f = virtual_facts(&reply(&[])).expect("virtual");
        assert_eq!(f["virtualization_type"], "NA");
        assert_eq!(f["virtualization_role"], "NA");
    }
}
