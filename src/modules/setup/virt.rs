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

    /// (type, role, guest techs, host techs) of a host.
    fn summary(raw: &Raw) -> (String, String, Json, Json) {
        let f = virtual_facts(raw).expect("virtual");
        let s = |k: &str| f.get(k).and_then(Json::as_str).unwrap_or("-").to_string();
        (
            s("virtualization_type"),
            s("virtualization_role"),
            f["virtualization_tech_guest"].clone(),
            f["virtualization_tech_host"].clone(),
        )
    }

    #[test]
    fn containers_from_cgroups_and_pid_1_environment() {
        // cgroup v1 inside docker.
        let raw = reply(&[
            ("t", "ef /proc/1/cgroup\n"),
            (
                "f /proc/1/cgroup",
                "12:pids:/docker/3f1e5c0a9b\n11:memory:/docker/3f1e5c0a9b\n",
            ),
        ]);
        assert_eq!(
            summary(&raw),
            (
                "docker".into(),
                "guest".into(),
                json!(["container", "docker"]),
                json!([])
            )
        );

        let raw = reply(&[
            ("t", "ef /proc/1/cgroup\n"),
            ("f /proc/1/cgroup", "0::/system.slice/containerd.service\n"),
        ]);
        assert_eq!(
            summary(&raw),
            (
                "containerd".into(),
                "guest".into(),
                json!(["container", "containerd"]),
                json!([])
            )
        );

        // LXC on cgroup v2 only says so in PID 1's environment.
        let raw = reply(&[
            ("t", "ef /proc/1/cgroup\nef /proc/1/environ\n"),
            ("f /proc/1/cgroup", "0::/init.scope\n"),
            (
                "f /proc/1/environ",
                "container=lxc\0PATH=/usr/bin\0TERM=linux\0",
            ),
        ]);
        assert_eq!(
            summary(&raw),
            (
                "lxc".into(),
                "guest".into(),
                json!(["container", "lxc"]),
                json!([])
            )
        );

        let raw = reply(&[
            ("t", "ef /proc/1/environ\n"),
            ("f /proc/1/environ", "PATH=/bin\0container=podman\0"),
        ]);
        assert_eq!(
            summary(&raw),
            (
                "podman".into(),
                "guest".into(),
                json!(["container", "podman"]),
                json!([])
            )
        );
    }

    #[test]
    fn systemd_nspawn_is_a_generic_container_first() {
        // PID 1's `container=` names the type before /run/systemd/container does.
        let raw = reply(&[
            ("t", "ef /proc/1/environ\nef /run/systemd/container\n"),
            ("f /proc/1/environ", "container=systemd-nspawn\0"),
            ("f /run/systemd/container", "systemd-nspawn\n"),
        ]);
        assert_eq!(
            summary(&raw),
            (
                "container".into(),
                "guest".into(),
                json!(["container", "systemd-nspawn"]),
                json!([])
            )
        );
        // Without root, environ is unreadable: the systemd file decides.
        let raw = reply(&[
            ("t", "ef /run/systemd/container\n"),
            ("f /run/systemd/container", "systemd-nspawn\n"),
        ]);
        assert_eq!(summary(&raw).0, "systemd-nspawn");
        assert_eq!(summary(&raw).2, json!(["container", "systemd-nspawn"]));
    }

    #[test]
    fn openvz_guest_and_host() {
        let raw = reply(&[("t", "ed /proc/vz\n")]);
        assert_eq!(
            summary(&raw),
            (
                "openvz".into(),
                "guest".into(),
                json!(["container", "openvz"]),
                json!([])
            )
        );
        let raw = reply(&[("t", "ed /proc/vz\ned /proc/bc\n")]);
        assert_eq!(
            summary(&raw),
            ("openvz".into(), "host".into(), json!([]), json!(["openvz"]))
        );
        // CloudLinux's LVE also has /proc/vz: not OpenVZ.
        let raw = reply(&[("t", "ed /proc/vz\ned /proc/lve\n")]);
        assert_eq!(summary(&raw).0, "NA");
    }

    #[test]
    fn xen_dom0_and_domu() {
        let raw = reply(&[
            ("t", "ed /proc/xen\n"),
            ("f /proc/xen/capabilities", "control_d\n"),
        ]);
        assert_eq!(
            summary(&raw),
            ("xen".into(), "host".into(), json!([]), json!(["xen"]))
        );
        let raw = reply(&[
            ("t", "ed /proc/xen\n"),
            ("f /proc/xen/capabilities", ""),
            ("f /sys/devices/virtual/dmi/id/bios_vendor", "Xen\n"),
        ]);
        assert_eq!(
            summary(&raw),
            ("xen".into(), "guest".into(), json!(["xen"]), json!([]))
        );
    }

    fn dmi(product: &str, vendor: &str, family: &str, bios: &str) -> Raw {
        let mut sections = Vec::new();
        for (k, v) in [
            ("product_name", product),
            ("sys_vendor", vendor),
            ("product_family", family),
            ("bios_vendor", bios),
        ] {
            if !v.is_empty() {
                sections.push((
                    format!("f /sys/devices/virtual/dmi/id/{k}"),
                    format!("{v}\n"),
                ));
            }
        }
        let borrowed: Vec<(&str, &str)> = sections
            .iter()
            .map(|(h, b)| (h.as_str(), b.as_str()))
            .collect();
        reply(&borrowed)
    }

    #[test]
    fn hypervisors_from_dmi_strings() {
        let guest = |t: &str, techs: Json| (t.to_string(), "guest".to_string(), techs, json!([]));
        let vmware = dmi(
            "VMware Virtual Platform",
            "VMware, Inc.",
            "",
            "Phoenix Technologies LTD",
        );
        assert_eq!(summary(&vmware), guest("VMware", json!(["VMware"])));
        let vbox = dmi(
            "VirtualBox",
            "innotek GmbH",
            "Virtual Machine",
            "innotek GmbH",
        );
        assert_eq!(summary(&vbox), guest("virtualbox", json!(["virtualbox"])));
        let ec2 = dmi("m5.large", "Amazon EC2", "", "Amazon EC2");
        assert_eq!(summary(&ec2), guest("kvm", json!(["kvm"])));
        let hyperv = dmi(
            "Virtual Machine",
            "Microsoft Corporation",
            "",
            "Microsoft Corporation",
        );
        assert_eq!(summary(&hyperv), guest("VirtualPC", json!(["VirtualPC"])));
        let gce = dmi("Google Compute Engine", "Google", "", "Google");
        assert_eq!(summary(&gce), guest("kvm", json!(["kvm"])));
        let rhv = dmi("RHEV Hypervisor", "Red Hat", "RHV", "SeaBIOS");
        assert_eq!(summary(&rhv), guest("RHV", json!(["RHV"])));
        let rhev = dmi("RHEV Hypervisor", "Red Hat", "", "SeaBIOS");
        assert_eq!(summary(&rhev), guest("RHEV", json!(["RHEV"])));
        let ovirt = dmi("oVirt Node", "oVirt", "", "SeaBIOS");
        assert_eq!(summary(&ovirt), guest("oVirt", json!(["oVirt"])));
        let nova = dmi(
            "OpenStack Nova",
            "OpenStack Foundation",
            "Virtual Machine",
            "SeaBIOS",
        );
        assert_eq!(summary(&nova), guest("openstack", json!(["openstack"])));
        let bhyve = dmi("BHYVE", "", "", "BHYVE");
        assert_eq!(summary(&bhyve), guest("bhyve", json!(["bhyve"])));
        let kubevirt = dmi("None", "KubeVirt", "KubeVirt", "SeaBIOS");
        assert_eq!(summary(&kubevirt), guest("KubeVirt", json!(["KubeVirt"])));
        let parallels = dmi(
            "Parallels Virtual Platform",
            "Parallels Software International Inc.",
            "",
            "",
        );
        assert_eq!(
            summary(&parallels),
            guest("parallels", json!(["parallels"]))
        );
        // A Proxmox guest: product "Standard PC", vendor QEMU, plus "KVM"-less bios.
        let pve = dmi("Standard PC (i440FX + PIIX, 1996)", "QEMU", "", "SeaBIOS");
        assert_eq!(summary(&pve), guest("kvm", json!(["kvm"])));
        // Physical machines: no virtualization at all.
        let metal = dmi("PowerEdge R650", "Dell Inc.", "PowerEdge", "Dell Inc.");
        assert_eq!(
            summary(&metal),
            ("NA".into(), "NA".into(), json!([]), json!([]))
        );
    }

    #[test]
    fn kvm_virtualbox_and_rhev_hosts_from_kernel_modules() {
        let raw = reply(&[
            ("t", "ef /proc/modules\nec /dev/kvm\n"),
            (
                "f /proc/modules",
                "kvm_intel 409600 0 - Live 0x0000000000000000\nkvm 1142784 1 kvm_intel, Live 0x0000000000000000\n",
            ),
        ]);
        assert_eq!(
            summary(&raw),
            ("kvm".into(), "host".into(), json!([]), json!(["kvm"]))
        );
        // A RHEV hypervisor runs vdsm: the type becomes RHEV, both techs stay.
        let raw = reply(&[
            ("t", "ef /proc/modules\ned /rhev/\n"),
            ("f /proc/modules", "kvm 1142784 1 kvm_intel, Live 0x0\n"),
            ("rhev_comms", "systemd\nvdsmd\nsshd\n"),
        ]);
        assert_eq!(
            summary(&raw),
            (
                "RHEV".into(),
                "host".into(),
                json!([]),
                json!(["RHEV", "kvm"])
            )
        );
        let raw = reply(&[("f /proc/modules", "vboxdrv 552960 3 vboxnetadp, Live 0x0\n")]);
        assert_eq!(
            summary(&raw),
            (
                "virtualbox".into(),
                "host".into(),
                json!([]),
                json!(["virtualbox"])
            )
        );
        // Ansible counts a virtio module as a kvm *host* technology of a guest.
        let raw = reply(&[("f /proc/modules", "virtio 16384 0 - Live 0x0\n")]);
        assert_eq!(
            summary(&raw),
            ("kvm".into(), "guest".into(), json!([]), json!(["kvm"]))
        );
    }

    #[test]
    fn guests_told_by_cpuinfo() {
        let raw = reply(&[(
            "f /proc/cpuinfo",
            "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: QEMU Virtual CPU version 2.5+\n",
        )]);
        assert_eq!(
            summary(&raw),
            ("kvm".into(), "guest".into(), json!(["kvm"]), json!([]))
        );
        let raw = reply(&[(
            "f /proc/cpuinfo",
            "processor\t: 0\nvendor_id\t: User Mode Linux\nmodel name\t: UML\n",
        )]);
        assert_eq!(
            summary(&raw),
            ("uml".into(), "guest".into(), json!(["uml"]), json!([]))
        );
        // s390x without lscpu: Ansible's fallback name replaces PR/SM as the
        // type, so the role is a plain guest.
        let raw = reply(&[(
            "f /proc/cpuinfo",
            "vendor_id       : IBM/S390\n# processors    : 2\n",
        )]);
        assert_eq!(
            summary(&raw),
            (
                "ibm_systemz".into(),
                "guest".into(),
                json!(["PR/SM", "ibm_systemz"]),
                json!([])
            )
        );
        // In an LPAR lscpu has only a "Hypervisor vendor" line: PR/SM stays.
        let raw = reply(&[
            ("f /proc/cpuinfo", "vendor_id       : IBM/S390\n"),
            (
                "c lscpu",
                "Architecture:        s390x\nHypervisor vendor:   PR/SM\n",
            ),
            ("rc lscpu 0", ""),
            ("bins", "lscpu /usr/bin/lscpu\n"),
        ]);
        assert_eq!(
            summary(&raw),
            ("PR/SM".into(), "LPAR".into(), json!(["PR/SM"]), json!([]))
        );
        // Under z/VM, lscpu names the hypervisor.
        let raw = reply(&[
            ("f /proc/cpuinfo", "vendor_id       : IBM/S390\n"),
            (
                "c lscpu",
                "Architecture:        s390x\nHypervisor:          z/VM 7.2.0\nHypervisor vendor:   IBM\n",
            ),
            ("rc lscpu 0", ""),
            ("bins", "lscpu /usr/bin/lscpu\n"),
        ]);
        assert_eq!(
            summary(&raw),
            (
                "z/VM 7.2.0".into(),
                "guest".into(),
                json!(["PR/SM", "z/VM 7.2.0"]),
                json!([])
            )
        );
    }

    #[test]
    fn linux_vserver_and_dmidecode() {
        let raw = reply(&[("vxid", "VxID:\t0\n")]);
        assert_eq!(
            summary(&raw),
            (
                "linux_vserver".into(),
                "host".into(),
                json!([]),
                json!(["linux_vserver"])
            )
        );
        let raw = reply(&[("vxid", "VxID:\t40001\n")]);
        assert_eq!(
            summary(&raw),
            (
                "linux_vserver".into(),
                "guest".into(),
                json!(["linux_vserver"]),
                json!([])
            )
        );
        // Old kernels without /sys DMI: dmidecode's comments are skipped.
        let raw = reply(&[
            (
                "c dmi_system-product-name",
                "# SMBIOS implementations newer than version 2.7 are not\n# fully supported.\nVMware Virtual Platform\n",
            ),
            ("rc dmi_system-product-name 0", ""),
            ("bins", "dmidecode /usr/sbin/dmidecode\n"),
        ]);
        assert_eq!(
            summary(&raw),
            (
                "VMware".into(),
                "guest".into(),
                json!(["VMware"]),
                json!([])
            )
        );
        let raw = reply(&[
            ("c dmi_system-product-name", "BHYVE\n"),
            ("rc dmi_system-product-name 0", ""),
            ("bins", "dmidecode /usr/sbin/dmidecode\n"),
        ]);
        assert_eq!(summary(&raw).0, "bhyve");
    }
}
